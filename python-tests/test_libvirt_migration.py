"""Live migration between two libvirt 9.0 daemons on one machine, driven by
virsh as a user drives it, with migemu (and, to keep the tests honest, real
QEMU 7.2) as the domain's <emulator>.

scripts/libvirt-setup starts two private daemons that act as two hosts:
each has its own host UUID, listens on its own TCP port (for peer-to-peer
migration) and hands out its own range of incoming migration ports. libvirt
drives the source through pause-before-switchover and return-path (STOP
before pre-switchover, migrate-continue) and the destination through
-incoming defer, late-block-activate and migrate-incoming
(reference/libvirt/PHASES.md); these tests check what a user sees: the
domain runs on the other host afterwards with the same RAM, and a migration
that is aborted or whose destination dies leaves it running where it was.
Needs root (libvirt's system instance); skipped otherwise.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from libvirt_domain import domain_xml

HERE = os.path.dirname(os.path.abspath(__file__))
SETUP = os.path.join(os.path.dirname(HERE), "scripts", "libvirt-setup")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="libvirtd's system instance needs root")



def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Host:
    """One libvirtd of the pair."""

    def __init__(self, root, port):
        self.root = root
        # No port: the one it was first started with (kept in ROOT).
        r = subprocess.run([SETUP, "start", root] + ([str(port)] if port else []),
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise AssertionError("libvirt-setup start failed:\n" + r.stdout + r.stderr)
        self.uri = subprocess.run([SETUP, "tcp-uri", root], check=True, capture_output=True,
                                  text=True).stdout.strip()

    def virsh(self, *args, check=True, timeout=120):
        r = subprocess.run(["virsh", "-c", self.uri] + list(args), capture_output=True,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("virsh %s failed: %s\n--- libvirtd log ---\n%s"
                                 % (" ".join(args), r.stderr.strip(), self.log_tail()))
        return r

    def qmp(self, dom, cmd, args=None):
        req = {"execute": cmd}
        if args is not None:
            req["arguments"] = args
        out = self.virsh("qemu-monitor-command", dom, json.dumps(req)).stdout
        return json.loads(out)["return"]

    def hmp(self, dom, line):
        return self.virsh("qemu-monitor-command", dom, "--hmp", line).stdout

    def running(self):
        out = self.virsh("list", "--name").stdout
        return [n for n in out.split() if n]

    def state(self, dom):
        return self.virsh("domstate", dom, "--reason").stdout.strip()

    def emulator_pid(self, dom):
        with open(os.path.join(self.root, "run", "qemu", dom + ".pid")) as f:
            return int(f.read())

    def jobinfo(self, dom, *flags):
        """virsh domjobinfo as a dict of its 'Key: value' lines."""
        out = self.virsh("domjobinfo", dom, *flags).stdout
        info = {}
        for line in out.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                info[k.strip()] = v.strip()
        return info

    def log_tail(self, n=30):
        try:
            with open(os.path.join(self.root, "libvirtd.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def destroy_all(self):
        for name in self.running():
            self.virsh("destroy", name, check=False)

    def stop(self):
        self.destroy_all()
        subprocess.run([SETUP, "stop", self.root], capture_output=True, timeout=60)

    def restart(self):
        """Start the daemon again (after it was stopped or killed)."""
        self.__init__(self.root, None)


@pytest.fixture(scope="module")
def pair():
    top = tempfile.mkdtemp(prefix="mt-lvpair-", dir="/tmp")
    hosts = []
    try:
        for name in ("host1", "host2"):
            hosts.append(Host(os.path.join(top, name), _free_port()))
        yield hosts
    finally:
        for h in hosts:
            h.stop()
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def domain(pair, bins, request):
    """A transient migemu domain started on host1; destroyed on whichever
    host it ends up on."""
    src, dst = pair
    name = "mt-" + request.node.name.split("[")[0].replace("test_", "")[:30].replace("_", "-")
    path = os.path.join(src.root, name + ".xml")
    with open(path, "w") as f:
        f.write(domain_xml(name, bins.migemu))
    src.virsh("create", path)
    yield name
    for h in pair:
        h.virsh("destroy", name, check=False)


def _dirty(host, dom, mib=16):
    """Write some guest RAM, then stop writing: a digest to compare."""
    host.qmp(dom, "x-workload", {"rate": 256 << 20, "wss": mib << 20})
    time.sleep(0.3)
    host.qmp(dom, "x-workload", {"rate": 0})
    return host.qmp(dom, "x-query-guest-digest")["digest"]


def _migrate(src, dst, dom, *flags):
    src.virsh("migrate", "--live", *flags, dom, dst.uri, timeout=180)
    assert dom not in src.running()
    assert dst.state(dom) == "running (migrated)"


def test_p2p_tcp_there_and_back_keeps_ram(pair, domain):
    h1, h2 = pair
    digest = _dirty(h1, domain)
    _migrate(h1, h2, domain, "--p2p", "--verbose")
    assert h2.qmp(domain, "x-query-guest-digest")["digest"] == digest
    assert h2.hmp(domain, "info status").strip() == "VM status: running"
    done = h2.jobinfo(domain, "--completed")
    assert done["Operation"] == "Incoming migration"
    assert done["Memory total"] == "128.000 MiB"
    # and back, peer to peer from the second daemon
    digest = _dirty(h2, domain, 8)
    _migrate(h2, h1, domain, "--p2p")
    assert h1.qmp(domain, "x-query-guest-digest")["digest"] == digest
    done = h1.jobinfo(domain, "--completed")
    assert int(done["Total downtime"].split()[0]) < 300
    # the source side keeps its completed job too
    out = h2.virsh("list", "--all", "--name").stdout.split()
    assert domain not in out


def test_client_managed_over_unix_and_tunnelled(pair, domain):
    """Without --p2p virsh itself talks to both daemons; --migrateuri
    unix:// makes the destination listen on a unix socket; --tunnelled
    carries the stream through the daemons (an fd: pipe at both ends)."""
    h1, h2 = pair
    digest = _dirty(h1, domain)
    sock = os.path.join(h2.root, "mig.sock")
    _migrate(h1, h2, domain, "--migrateuri", "unix://" + sock)
    assert h2.qmp(domain, "x-query-guest-digest")["digest"] == digest
    assert not os.path.exists(sock)
    _migrate(h2, h1, domain, "--p2p", "--tunnelled")
    assert h1.qmp(domain, "x-query-guest-digest")["digest"] == digest


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_domain_with_libvirts_default_devices(pair, bins, machine):
    """A domain that leaves the memory balloon and the USB controller to
    libvirt's defaults: the destination is started with the same
    virtio-balloon-pci (on q35 behind the same pcie-root-port), and the
    balloon answers there as before."""
    h1, h2 = pair
    name = "mt-default-devices-" + machine
    xml = domain_xml(name, bins.migemu, machine=machine)
    for line in ["    <controller type='usb' model='none'/>\n", "    <memballoon model='none'/>\n"]:
        xml = xml.replace(line, "")
    path = os.path.join(h1.root, name + ".xml")
    with open(path, "w") as f:
        f.write(xml)
    h1.virsh("create", path)
    try:
        digest = _dirty(h1, name)
        _migrate(h1, h2, name, "--p2p")
        assert h2.qmp(name, "x-query-guest-digest")["digest"] == digest
        assert h2.qmp(name, "query-balloon") == {"actual": 128 << 20}
        pci = h2.hmp(name, "info pci")
        if machine == "pc":
            assert pci.count('id "balloon0"') == 1
        else:
            # behind its port, whose bus firmware would number
            assert 'id "pci.1"' in pci and "secondary bus 0." in pci
        _migrate(h2, h1, name, "--p2p")
        assert h1.qmp(name, "x-query-guest-digest")["digest"] == digest
    finally:
        for h in pair:
            h.virsh("destroy", name, check=False)


def test_parallel_connections(pair, domain):
    """--parallel: libvirt turns on multifd with multifd-channels on both
    sides and gives the source a tcp: URI instead of an fd."""
    h1, h2 = pair
    digest = _dirty(h1, domain, 32)
    _migrate(h1, h2, domain, "--p2p", "--parallel", "--parallel-connections", "4")
    assert h2.qmp(domain, "x-query-guest-digest")["digest"] == digest
    _migrate(h2, h1, domain, "--p2p", "--parallel")
    assert h1.qmp(domain, "x-query-guest-digest")["digest"] == digest
    # libvirt resets the capabilities it set once the job is over
    caps = {c["capability"]: c["state"] for c in h1.qmp(domain, "query-migrate-capabilities")}
    assert caps["multifd"] is False and caps["return-path"] is False


def test_auto_converge_and_tunables(pair, domain):
    """A guest that dirties memory faster than the bandwidth cap allows only
    converges because libvirt turns on auto-converge, which throttles it."""
    h1, h2 = pair
    h1.virsh("migrate-setspeed", domain, "32")
    h1.virsh("migrate-setmaxdowntime", domain, "300")
    assert h1.virsh("migrate-getspeed", domain).stdout.strip() == "32"
    h1.qmp(domain, "x-workload", {"rate": 128 << 20, "wss": 16 << 20})
    _migrate(h1, h2, domain, "--p2p", "--auto-converge")
    done = h2.jobinfo(domain, "--completed")
    assert int(done["Iteration"]) > 2
    params = h2.qmp(domain, "query-migrate-parameters")
    assert params["downtime-limit"] == 300


def _wait_active(src, dom, timeout=60):
    """Until domjobinfo shows RAM moving (the destination is up)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = src.jobinfo(dom)
        if info.get("Job type") == "Unbounded" and "Memory processed" in info:
            return info
        time.sleep(0.2)
    raise AssertionError("migration of %s never became active" % dom)


def _interrupted(src, dst, dom, interrupt):
    """A p2p migration of a guest that dirties memory faster than the
    bandwidth cap lets it converge; once RAM moves, ``interrupt(info)`` (info:
    domjobinfo at that point) does something to it. Returns virsh's exit
    status and stderr."""
    src.virsh("migrate-setspeed", dom, "16")
    src.qmp(dom, "x-workload", {"rate": 256 << 20, "wss": 64 << 20})
    p = subprocess.Popen(["virsh", "-c", src.uri, "migrate", "--live", "--p2p", dom, dst.uri],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        interrupt(_wait_active(src, dom))
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, err


def _calm_then_migrate(src, dst, dom):
    """Stop the workload and the cap; the migration then completes with RAM intact."""
    src.qmp(dom, "x-workload", {"rate": 0})
    src.virsh("migrate-setspeed", dom, "0")
    digest = src.qmp(dom, "x-query-guest-digest")["digest"]
    _migrate(src, dst, dom, "--p2p")
    assert dst.qmp(dom, "x-query-guest-digest")["digest"] == digest


def test_domjobinfo_during_and_domjobabort(pair, domain):
    h1, h2 = pair

    def abort(info):
        assert info["Operation"] == "Outgoing migration"
        assert info["Memory total"] == "128.000 MiB"
        time.sleep(1)
        later = h1.jobinfo(domain)
        assert float(later["Memory processed"].split()[0]) > 0
        h1.virsh("domjobabort", domain)

    rc, err = _interrupted(h1, h2, domain, abort)
    assert rc != 0 and "canceled by client" in err, err
    assert h1.state(domain).startswith("running")
    assert h1.qmp(domain, "query-migrate")["status"] == "cancelled"
    assert domain not in h2.virsh("list", "--all", "--name").stdout.split()
    _calm_then_migrate(h1, h2, domain)


def test_destination_emulator_dies(pair, domain):
    """The destination's migemu is killed mid-migration: libvirt reports an
    error and the domain runs on at the source. Which error depends on which
    daemon notices first: the source's migemu failing to write ("job
    'migration out' failed: ..."; libvirt then finds the migration failed),
    or the destination daemon losing its emulator's monitor (libvirt then
    cancels the source's migration); QEMU races the same way."""
    h1, h2 = pair
    rc, err = _interrupted(h1, h2, domain, lambda _: os.kill(h2.emulator_pid(domain), 9))
    assert rc != 0, err
    assert h1.state(domain).startswith("running")
    status = h1.qmp(domain, "query-migrate")
    if "job 'migration out' failed" in err:
        assert status["status"] == "failed" and status["error-desc"] in err, (status, err)
    else:
        assert "qemu unexpectedly closed the monitor" in err, err
        assert status["status"] in ("failed", "cancelled"), status
    _calm_then_migrate(h1, h2, domain)


def test_same_flow_with_qemu(pair, bins):
    """The same virsh commands with real QEMU 7.2 as the emulator: what the
    migemu tests above expect is what libvirt does with QEMU."""
    h1, h2 = pair
    name = "mt-qemu"
    path = os.path.join(h1.root, name + ".xml")
    with open(path, "w") as f:
        f.write(domain_xml(name, bins.qemu, mib=64))
    h1.virsh("create", path)
    try:
        _migrate(h1, h2, name, "--p2p")
        assert h2.jobinfo(name, "--completed")["Operation"] == "Incoming migration"
        _migrate(h2, h1, name, "--migrateuri", "unix://" + os.path.join(h1.root, "q.sock"))
        _migrate(h1, h2, name, "--p2p", "--tunnelled")
        _migrate(h2, h1, name, "--p2p", "--parallel")
    finally:
        for h in pair:
            h.virsh("destroy", name, check=False)


def _emulators_of(dom):
    """pids of emulator processes started for domain ``dom`` (any daemon)."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"-name" in argv and argv[argv.index(b"-name") + 1].startswith(
                b"guest=%s," % dom.encode()):
            pids.append(int(pid))
    return pids


def _wait_gone(pids, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = [p for p in pids if os.path.exists("/proc/%d" % p)]
        if not pids:
            return
        time.sleep(0.1)
    raise AssertionError("emulators still running: %s" % pids)


def test_destination_daemon_dies(pair, domain):
    """The destination's libvirtd is killed mid-migration: the source's job
    fails, the domain runs on at the source, the orphaned destination
    emulator goes away by itself (its stream broke: exit status 1), and
    once the daemon is back the domain migrates."""
    h1, h2 = pair
    dest = []

    def kill_daemon(_):
        dest.append(h2.emulator_pid(domain))
        with open(os.path.join(h2.root, "libvirtd.pid")) as f:
            os.kill(int(f.read()), 9)

    try:
        rc, err = _interrupted(h1, h2, domain, kill_daemon)
    finally:
        h2.restart()
    assert rc != 0, err
    assert h1.state(domain).startswith("running")
    _wait_gone(dest)
    assert domain not in h2.virsh("list", "--all", "--name").stdout.split()
    _calm_then_migrate(h1, h2, domain)


def test_source_emulator_dies(pair, domain):
    """The source's migemu is killed mid-migration: libvirt reports the
    domain gone at the source, and the destination cleans up its half."""
    h1, h2 = pair
    dest = []

    def kill_source(_):
        dest.append(h2.emulator_pid(domain))
        os.kill(h1.emulator_pid(domain), 9)

    rc, err = _interrupted(h1, h2, domain, kill_source)
    assert rc != 0, err
    assert domain not in h1.running()
    _wait_gone(dest)
    assert domain not in h2.virsh("list", "--all", "--name").stdout.split()
    assert _emulators_of(domain) == []
