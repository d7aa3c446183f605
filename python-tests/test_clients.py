"""What two client libraries send, against QEMU 7.2 and migemu.

go-qemu (DigitalOcean, Debian's golang-github-digitalocean-go-qemu-dev):
Domain.BlockDevices/BlockStats/BlockJobs/PCIDevices send `query-block`,
`query-blockstats`, `query-block-jobs` and `query-pci` with no arguments.
A small Go program (clients/goqemu_probe.go) built against the packaged
library makes those calls; its output (raw replies and decoded results) must
be identical for both emulators. Skipped when Go or the library is missing
(scripts/install-deps installs both).

qmp-shell -H (QEMU's python/qemu/qmp/qmp_shell.py, not packaged in Debian
12): every line goes out as human-monitor-command with `cpu-index` (0 until
the user types `cpu N`); at start it reads `help` and `info` for its
completion. The same messages are sent here by hand.
"""

import json
import os
import shutil
import subprocess

import pytest

from differential import unix_server
from launcher import Instance
from monclient import QMPClient, connect_unix

HERE = os.path.dirname(os.path.abspath(__file__))
GOQEMU_SRC = "/usr/share/gocode/src/github.com/digitalocean/go-qemu"

# libvirt's minimal domain (reference/libvirt/REPORT.md section 2.2).
LIBVIRT_ARGS = ["-S", "-no-user-config", "-nodefaults", "-accel", "tcg", "-cpu", "qemu64",
                "-m", "128", "-display", "none", "-chardev", "null,id=charserial0",
                "-device", '{"driver":"isa-serial","chardev":"charserial0","id":"serial0","index":0}']


@pytest.fixture(scope="module")
def goqemu_probe(tmp_path_factory):
    go = shutil.which("go")
    if not go or not os.path.isdir(GOQEMU_SRC):
        pytest.skip("go or golang-github-digitalocean-go-qemu-dev not installed")
    d = tmp_path_factory.mktemp("goqemu")
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
               GOCACHE=str(d / "cache"), HOME=str(d))
    out = d / "goqemu_probe"
    subprocess.run([go, "build", "-o", str(out), os.path.join(HERE, "clients", "goqemu_probe.go")],
                   check=True, env=env, cwd=str(d), timeout=300)
    return str(out)


def _run_probe(probe, binary, args):
    inst = Instance(binary, args + ["-qmp", unix_server("qmp.sock")])
    try:
        inst.start()
        # Wait for the socket as a client would, then let the probe connect.
        connect_unix(inst.path("qmp.sock"), 10, inst.alive).close()
        r = subprocess.run([probe, inst.path("qmp.sock")], capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return [json.loads(line) for line in r.stdout.decode().splitlines()]
    finally:
        inst.cleanup()


@pytest.mark.parametrize("machine", ["pc-i440fx-7.2,usb=off,dump-guest-core=off",
                                     "pc-q35-7.2,usb=off,dump-guest-core=off", "none"])
def test_goqemu_device_calls(bins, goqemu_probe, machine):
    args = ["-machine", machine] + (LIBVIRT_ARGS if machine != "none" else
                                    ["-S", "-nodefaults", "-display", "none"])
    want = _run_probe(goqemu_probe, bins.qemu, args)
    got = _run_probe(goqemu_probe, bins.migemu, args)
    calls = [x["call"] for x in got]
    assert "PCIDevices" in calls and all("error" not in x for x in got), got
    assert got == want


def _hmc(line, cpu_index=0):
    return json.dumps({"execute": "human-monitor-command",
                       "arguments": {"command-line": line, "cpu-index": cpu_index}}).encode()


# Lines a qmp-shell -H user types whose answers do not depend on the process
# (thread ids, pty numbers) or on commands migemu lacks.
HMP_LINES = ["info status", "info version", "info pci", "info block", "info block -n",
             "info blockstats", "info block-jobs", "info name", "info kvm", "info pci x",
             "info nosuch", "nosuch"]


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_qmp_shell_hmp_mode(differ, machine):
    def script(s):
        s.launch("-M", machine, *LIBVIRT_ARGS, "-qmp", unix_server("qmp.sock"))
        c = s.qmp(negotiate=True)
        for line in HMP_LINES:
            c.send(_hmc(line), msgs=1)
        # `cpu 0` in qmp-shell: it checks the index with `info version`.
        c.send(_hmc("info version", 0), msgs=1)
        c.send(_hmc("info status", 1), msgs=1)
    differ(script)


def test_qmp_shell_completion_lists(bins):
    """qmp-shell -H fills its completion from `help` and `info`: every line
    migemu prints is QEMU's line for that command (migemu has fewer)."""
    replies = []
    for binary in (bins.qemu, bins.migemu):
        inst = Instance(binary, ["-M", "pc"] + LIBVIRT_ARGS + ["-qmp", unix_server("qmp.sock")])
        try:
            inst.start()
            c = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
            c.negotiate()
            replies.append([c.cmd("human-monitor-command",
                                  {"command-line": line, "cpu-index": 0}).split("\r\n")
                            for line in ("help", "info")])
        finally:
            inst.cleanup()
    for qemu_lines, migemu_lines in zip(*replies):
        extra = [x for x in migemu_lines if x not in qemu_lines and not x.startswith(("x_", "info x_"))]
        assert not extra, extra
    info_lines = replies[1][1]
    assert "info pci  -- show PCI info" in info_lines
    assert "info block-jobs  -- show progress of ongoing block device operations" in info_lines
