"""The queries libvirt makes when it starts a domain, for a pc/q35 machine
with CPUs, chardevs and a serial port.

Differential (byte-identical with QEMU 7.2): query-chardev and `info
chardev` over socket, file and null chardevs, query-hotpluggable-cpus with a
topology, the empty block layer, query-iothreads, qom-list of
/machine/peripheral, qom-get/qom-list errors, `cpu N`.

Compared after normalising what differs between two processes by nature
(thread ids, /dev/pts numbers): query-cpus-fast, `info cpus`, a pty chardev,
and every property of a vCPU (qom-list, and qom-get of each readable one)
for several CPU models.
"""

import os
import re

import pytest

from differential import unix_server, hmp_cmd, qmp_cmd
from launcher import Instance
from monclient import QMPClient, connect_unix

PC_ARGS = ["-S", "-machine", "pc-i440fx-7.2,usb=off", "-accel", "tcg", "-m", "128",
           "-display", "none", "-nodefaults", "-no-user-config"]


q = qmp_cmd
hmc = hmp_cmd


def test_chardevs_and_peripherals(differ):
    def script(s):
        s.launch(*PC_ARGS, "-cpu", "qemu64", "-qmp", unix_server("qmp.sock"),
                 "-chardev", "socket,id=mon2,path=m2.sock,server=on,wait=off",
                 "-chardev", "file,id=log,path=out.log",
                 "-chardev", "null,id=n0",
                 "-chardev", "null,id=serialchr",
                 "-device", "isa-serial,chardev=serialchr,id=serial0")
        c = s.qmp(negotiate=True)
        for m in [q("query-chardev"), hmc("info chardev"), q("query-block"),
                  q("query-named-block-nodes", flat=True), q("query-blockstats"),
                  q("query-blockstats", **{"query-nodes": True}), q("query-block-jobs"),
                  q("query-jobs"), q("query-iothreads"),
                  q("qom-list", path="/machine/peripheral"),
                  q("qom-list", path="/machine/peripheral-anon"),
                  q("qom-list", path="/machine/nosuch"),
                  q("qom-get", path="/machine/nosuch", property="type"),
                  q("qom-get", path="/machine/unattached/device[0]", property="nosuch"),
                  q("qom-get", path="/machine/unattached/device[0]", property="legacy-memory"),
                  q("qom-get", path="/machine/unattached/device[0]", property="crash-information"),
                  q("qom-get", path="/machine/unattached/device[0]", property="type"),
                  hmc("cpu 0"), hmc("cpu 1"), hmc("cpu x"),
                  hmc("info status", **{"cpu-index": 1})]:
            c.send(m, msgs=1)
    differ(script)


@pytest.mark.parametrize("machine,smp", [("pc", "2,maxcpus=4"),
                                         ("q35", "4,sockets=2,dies=2,cores=1,threads=1"),
                                         ("pc", "2,sockets=1,cores=2,threads=1,maxcpus=2")])
def test_hotpluggable_cpus(differ, machine, smp):
    def script(s):
        s.launch("-S", "-M", machine, "-accel", "tcg", "-display", "none", "-nodefaults",
                 "-smp", smp, "-qmp", unix_server("qmp.sock"))
        c = s.qmp(negotiate=True)
        c.send(q("query-hotpluggable-cpus"), msgs=1)
    differ(script)


def test_none_machine_cpus(differ):
    def script(s):
        s.launch_std()
        c = s.qmp(negotiate=True)
        for m in [q("query-hotpluggable-cpus"), q("query-cpus-fast"), hmc("info cpus"),
                  hmc("info status", **{"cpu-index": 0})]:
            c.send(m, msgs=1)
    differ(script)


def _session(binary, args):
    inst = Instance(binary, args + ["-qmp", unix_server("qmp.sock")])
    inst.start()
    c = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
    c.negotiate()
    return inst, c


def _threads_of(pid):
    return {int(t) for t in os.listdir("/proc/%d/task" % pid)}


def _normalised_cpu_view(binary, model, smp="2"):
    inst, c = _session(binary, PC_ARGS + ["-cpu", model, "-smp", smp, "-name", "g,debug-threads=on",
                                          "-chardev", "pty,id=charserial0", "-device",
                                          '{"driver":"isa-serial","chardev":"charserial0",'
                                          '"id":"serial0","index":0}'])
    try:
        view = {}
        fast = c.cmd("query-cpus-fast")
        tids = _threads_of(inst.proc.pid)
        for cpu in fast:
            assert cpu["thread-id"] in tids, "thread-id is a thread of the process"
            with open("/proc/%d/task/%d/comm" % (inst.proc.pid, cpu["thread-id"])) as f:
                assert f.read().strip() == "CPU %d/TCG" % cpu["cpu-index"]
            cpu["thread-id"] = "<TID>"
        view["query-cpus-fast"] = fast
        info = c.cmd("human-monitor-command", {"command-line": "info cpus"})
        view["info cpus"] = re.sub(r"thread_id=\d+", "thread_id=<TID>", info)
        chardevs = c.cmd("query-chardev")
        for ch in chardevs:
            if ch["label"] == "charserial0":
                assert re.fullmatch(r"pty:/dev/pts/\d+", ch["filename"])
                assert os.path.exists(ch["filename"][4:])
                ch["filename"] = "pty:<PTY>"
        view["query-chardev"] = chardevs
        path = fast[0]["qom-path"]
        props = c.cmd("qom-list", {"path": path})
        view["qom-list"] = sorted((p["name"], p["type"]) for p in props)
        values = {}
        for p in props:
            if p["type"].startswith(("child<", "link<")):
                continue
            r = c.cmd_raw("qom-get", {"path": path, "property": p["name"]})
            values[p["name"]] = r.get("return", r.get("error"))
        view["values"] = values
        with open(inst.path(".stdout")) as f:
            out = f.read()
        view["stdout"] = re.sub(r"/dev/pts/\d+", "<PTY>", out)
        return view
    finally:
        c.close()
        inst.cleanup()


@pytest.mark.parametrize("model", ["qemu64", "Nehalem", "Opteron_G2", "max", "486", "athlon"])
def test_vcpus_and_cpu_properties(bins, model):
    ours = _normalised_cpu_view(bins.migemu, model)
    theirs = _normalised_cpu_view(bins.qemu, model)
    for key in theirs:
        assert ours[key] == theirs[key], key
