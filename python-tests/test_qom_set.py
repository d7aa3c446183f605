"""qom-set on the objects migemu models, against QEMU 7.2: a realized vCPU,
the serial port, the memory balloon, the peripheral containers.

Byte-identical sessions: the properties QEMU lets a running object change
(the balloon's stats interval, the vCPU's family/model/stepping/vendor/
model-id/tsc-frequency/start-powered-off), read back with qom-get, their
range and type errors, read-only properties, qdev properties fixed at
realize (named by device id, or by the child type an alias points to),
links, unknown paths and properties, missing arguments.

HMP qom-list, qom-get and qom-set (text parsed as each property's type, or
JSON with -j), byte-identical too.

A sweep: every property of a vCPU, the serial ports, the balloon and the
containers (pc), and of PCIe root ports with the balloon behind one (q35),
is set to the value qom-get reads from it, and each reply must be QEMU's; so
must every qom-get of the devices' properties, query-pci and `info pci`.
"""

import contextlib
import json

import pytest

from differential import unix_server, qmp_cmd
from launcher import Instance
from monclient import QMPClient, connect_unix

q = qmp_cmd

ARGS = ["-S", "-M", "pc", "-nodefaults", "-display", "none", "-no-user-config", "-smp", "2",
        "-cpu", "qemu64", "-chardev", "null,id=c0", "-device", "isa-serial,chardev=c0,id=serial0",
        "-device", "virtio-balloon-pci,id=balloon0",
        # a second port: the next number, COM2's address and IRQ
        "-device", "isa-serial,id=serial1,baudbase=9600"]
CPU = "/machine/unattached/device[0]"
B = "/machine/peripheral/balloon0"
S = "/machine/peripheral/serial0"


def _set(path, prop, value):
    return q("qom-set", path=path, property=prop, value=value)


def _get(path, prop):
    return q("qom-get", path=path, property=prop)


SESSION = [
    # the balloon's stats interval: set, read back, refused values
    _set(B, "guest-stats-polling-interval", 5), _get(B, "guest-stats-polling-interval"),
    _set(B, "guest-stats-polling-interval", -1), _set(B, "guest-stats-polling-interval", 1 << 32),
    _set(B, "guest-stats-polling-interval", "x"), _set(B, "guest-stats-polling-interval", 1.5),
    _set("balloon0", "guest-stats-polling-interval", 0), _get(B, "guest-stats-polling-interval"),
    # fixed at realize, on the device and on its virtio child (aliases)
    _set(B, "addr", 3), _set(B, "romfile", "x"), _set(B, "disable-legacy", "on"),
    _set(B, "deflate-on-oom", True), _set(B, "deflate-on-oom", "x"),
    _set(S, "index", 1), _set(S, "chardev", "c0"), _set(S, "baudbase", 9600),
    # read-only
    _set(B, "type", "x"), _set(B, "guest-stats", {}), _set(B, "virtio-backend", "x"),
    _set(B, "legacy-addr", "x"), _set(B, "hotplugged", True), _set(B, "hotpluggable", True),
    _set(B, "parent_bus", "x"), _set(S, "serial", "x"), _set(B, "bus master[0]", "x"),
    # links
    _set(B, "iothread", "x"), _set(B, "iothread", ""), _set(CPU, "memory", ""),
    _set(CPU, "memory", "/machine/nosuch"),
    # realized: true is no change
    _set(B, "realized", True), _set(CPU, "realized", True), _set(CPU, "realized", "x"),
    # the vCPU's identification, read back
    _set(CPU, "family", 15), _get(CPU, "family"), _set(CPU, "family", 300),
    _set(CPU, "family", -1), _set(CPU, "family", "x"), _set(CPU, "family", 1.5),
    _set(CPU, "model", 256), _set(CPU, "model", 42), _get(CPU, "model"),
    _set(CPU, "stepping", 16), _set(CPU, "stepping", 9), _get(CPU, "stepping"),
    _set(CPU, "vendor", "abc"), _set(CPU, "vendor", "GenuineIntel"), _get(CPU, "vendor"),
    _set(CPU, "vendor", 5),
    _set(CPU, "model-id", "A" * 60), _get(CPU, "model-id"), _set(CPU, "model-id", ""),
    _get(CPU, "model-id"),
    _set(CPU, "tsc-frequency", -1), _set(CPU, "tsc-frequency", 1500),
    _get(CPU, "tsc-frequency"), _set(CPU, "tsc-frequency", 2 ** 64 - 1),
    _set(CPU, "start-powered-off", True), _get(CPU, "start-powered-off"),
    _set(CPU, "start-powered-off", "x"),
    # features and qdev properties of the vCPU; an old spelling
    _set(CPU, "sse4.2", True), _set(CPU, "sse4.2", "x"), _set(CPU, "sse4_2", False),
    _set(CPU, "level", "x"), _set(CPU, "apic-id", 0), _set(CPU, "pmu", True),
    _set(CPU, "type", "x"), _set(CPU, "lapic", "x"), _set(CPU, "feature-words", []),
    # paths and names
    _set(CPU, "nosuch", 1), _set("/machine/nosuch", "x", 1), _set("device[0]", "family", 6),
    _set("/machine/peripheral", "type", "x"), _set("/machine/peripheral", "x", 1),
    _set(B, "nosuch", 1),
    q("qom-set", path=CPU), q("qom-set", path=CPU, property="family"),
    q("qom-set", path=CPU, property="family", value=6, extra=1),
    q("query-balloon"),
]


def _replay(messages):
    """A differential session script: ARGS, then each message."""
    def script(s):
        s.launch(*ARGS, "-qmp", unix_server("qmp.sock"))
        c = s.qmp(negotiate=True)
        for m in messages:
            c.send(m, msgs=1)
    return script


def test_qom_set_session(differ):
    differ(_replay(SESSION))


def _hmp(line):
    return qmp_cmd("human-monitor-command", **{"command-line": line})


HMP_SESSION = [
    _hmp("qom-list"), _hmp("qom-list /machine/peripheral"), _hmp("qom-list /machine/nosuch"),
    _hmp("qom-list nosuch[0]"),
    _hmp("qom-get %s guest-stats" % B), _hmp("qom-get %s guest-stats-polling-interval" % B),
    _hmp("qom-get %s family" % CPU), _hmp("qom-get %s feature-words" % CPU),
    _hmp("qom-get %s model-id" % CPU), _hmp("qom-get %s nosuch" % CPU), _hmp("qom-get x y"),
    _hmp("qom-get %s" % CPU),
    # text, parsed as the property's type
    _hmp("qom-set %s family 6" % CPU), _hmp("qom-set %s family 0x10" % CPU),
    _hmp("qom-get %s family" % CPU), _hmp("qom-set %s family x" % CPU),
    _hmp("qom-set %s family 300" % CPU), _hmp("qom-set %s vendor GenuineIntel" % CPU),
    _hmp("qom-set %s model-id My CPU" % CPU), _hmp("qom-get %s model-id" % CPU),
    _hmp("qom-set %s start-powered-off yes" % CPU), _hmp("qom-set %s start-powered-off 1" % CPU),
    _hmp("qom-set %s realized on" % CPU), _hmp("qom-set %s sse4.2 x" % CPU),
    _hmp("qom-set %s guest-stats-polling-interval 3" % B),
    _hmp("qom-set %s guest-stats-polling-interval three" % B),
    _hmp("qom-get %s guest-stats-polling-interval" % B),
    _hmp("qom-set %s deflate-on-oom on" % B), _hmp("qom-set %s type x" % B),
    _hmp("qom-set /machine/nosuch a b"), _hmp("qom-set device[0] family 6"),
    # JSON with -j
    _hmp("qom-set -j %s family 7" % CPU), _hmp("qom-set -j %s family \"7\"" % CPU),
    _hmp("qom-set -j %s vendor \"AuthenticAMD\"" % CPU), _hmp("qom-set -j %s vendor abc" % CPU),
    _hmp("qom-set -j %s family {" % CPU), _hmp("qom-set -j %s family 1 2" % CPU),
    _hmp("qom-get %s vendor" % CPU),
    # missing arguments, help
    _hmp("qom-set"), _hmp("qom-set %s" % CPU), _hmp("qom-set %s family" % CPU),
    _hmp("help qom-set"), _hmp("help qom-list"), _hmp("help qom-get"),
]


def test_hmp_qom_commands(differ):
    differ(_replay(HMP_SESSION))


@contextlib.contextmanager
def _client(binary, args):
    """A negotiated QMP client of a process started with args."""
    inst = Instance(binary, args + ["-qmp", unix_server("qmp.sock")])
    inst.start()
    try:
        c = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
        c.negotiate()
        yield c
    finally:
        inst.kill()


def _hmp_lines(binary, line):
    with _client(binary, ARGS) as c:
        return c.cmd("human-monitor-command", {"command-line": line}).split("\r\n")


@pytest.mark.parametrize("path", [CPU, S, B])
def test_hmp_qom_list_lines(bins, path):
    """One "name (type)" line per property; QEMU lists an object's
    properties in hash-table order, so the lines are compared as sets."""
    want = _hmp_lines(bins.qemu, "qom-list " + path)
    got = _hmp_lines(bins.migemu, "qom-list " + path)
    assert len(got) == len(want) and set(got) == set(want)


# q35 as libvirt builds it for a domain with the default balloon: root ports
# (one multifunction slot, one without hotplug), the balloon behind one, and
# an anonymous port.
Q35_ARGS = ["-S", "-M", "q35", "-nodefaults", "-display", "none", "-no-user-config",
            "-device", "pcie-root-port,port=16,chassis=1,id=pci.1,bus=pcie.0,multifunction=on,"
            "addr=0x2",
            "-device", "pcie-root-port,port=17,chassis=2,id=pci.2,bus=pcie.0,addr=0x2.0x1,"
            "hotplug=off",
            "-device", "virtio-balloon-pci,id=balloon0,bus=pci.2,addr=0x0",
            "-device", "pcie-root-port,chassis=3,addr=3"]
# The balloon's other two types: modern only on pc's conventional bus,
# transitional (legacy kept) behind a PCIe port.
PC_MODERN_ARGS = ["-S", "-M", "pc", "-nodefaults", "-display", "none",
                  "-device", "virtio-balloon-pci-non-transitional,id=balloon0,addr=5"]
Q35_TRANSITIONAL_ARGS = Q35_ARGS[:-4] + [
    "-device", "virtio-balloon-pci-transitional,id=balloon0,bus=pci.1"]
SWEEPS = {
    "pc-non-transitional": (PC_MODERN_ARGS, [B, "/machine/peripheral"]),
    "q35-transitional": (Q35_TRANSITIONAL_ARGS, [B, "/machine/peripheral/pci.1"]),
    "pc": (ARGS, [CPU, B, S, S[:-1] + "1", "/machine/peripheral"]),
    "q35-ports": (Q35_ARGS, ["/machine/peripheral/pci.1", "/machine/peripheral/pci.2", B,
                             "/machine/peripheral-anon/device[0]", "/machine/peripheral",
                             "/machine/peripheral-anon"]),
}


def _sweep(binary, config):
    args, paths = SWEEPS[config]
    with _client(binary, args) as c:
        out = {}
        for cmd in ["query-pci", "query-balloon"]:
            out[cmd] = json.dumps(c.cmd_raw(cmd))
        out["info pci"] = c.cmd("human-monitor-command", {"command-line": "info pci"})
        for path in paths:
            for p in c.cmd("qom-list", {"path": path}):
                name = p["name"]
                got = c.cmd_raw("qom-get", {"path": path, "property": name})
                if path != CPU:  # the vCPU's: test_machine_queries.py
                    out[("get", path, name)] = json.dumps(got, sort_keys=True)
                value = got.get("return", 0 if "int" in p["type"] else "")
                if name == "realized":
                    continue  # false would unrealize: in the session above
                r = c.cmd_raw("qom-set", {"path": path, "property": name, "value": value})
                out[(path, name)] = json.dumps(r, sort_keys=True)
        return out


@pytest.mark.parametrize("config", sorted(SWEEPS))
def test_every_property_set_to_its_own_value(bins, config):
    want, got = _sweep(bins.qemu, config), _sweep(bins.migemu, config)
    assert set(got) == set(want)
    diff = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
    assert not diff, list(diff.items())[:5]
