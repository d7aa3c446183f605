"""Real libvirt 9.0 (Debian 12's libvirtd, python3-libvirt) driving migemu,
unmodified, through a private daemon set up by scripts/libvirt-setup.

The daemon probes migemu as it probes QEMU (its capabilities cache lands in
the daemon's own directory) and the tests check what libvirt derived: domain
capabilities, the capability flags compared with QEMU 7.2's, and defining a
minimal domain, and the lifecycle of a started domain through a
libvirtd restart. Needs root (libvirt's system instance); skipped otherwise.
"""

import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

from libvirt_domain import domain_xml
from migration_helpers import ram_digest

HERE = os.path.dirname(os.path.abspath(__file__))
SETUP = os.path.join(os.path.dirname(HERE), "scripts", "libvirt-setup")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="libvirtd's system instance needs root")



class Daemon:
    def __init__(self, root):
        self.root = root
        self.uri = subprocess.run([SETUP, "uri", root], check=True, capture_output=True,
                                  text=True).stdout.strip()

    def log_tail(self, n=40):
        try:
            with open(os.path.join(self.root, "libvirtd.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def cached_caps(self, emulator):
        """libvirt's capabilities cache for one emulator, parsed."""
        d = os.path.join(self.root, "cache", "qemu", "capabilities")
        for f in os.listdir(d):
            tree = ET.parse(os.path.join(d, f))
            if tree.findtext("emulator") == emulator:
                return tree.getroot()
        raise AssertionError("no capabilities cache for %s" % emulator)


@pytest.fixture(scope="module")
def daemon():
    root = tempfile.mkdtemp(prefix="mt-libvirt-", dir="/tmp")
    r = subprocess.run([SETUP, "start", root], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail("scripts/libvirt-setup start failed:\n%s%s" % (r.stdout, r.stderr))
    d = Daemon(root)
    try:
        yield d
    finally:
        _destroy_all(d.uri)
        subprocess.run([SETUP, "stop", root], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def _destroy_all(uri):
    import libvirt
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError:
        return
    try:
        for dom in conn.listAllDomains():
            if dom.isActive():
                dom.destroy()
    finally:
        conn.close()


def _remove(conn, name):
    """Destroy (if running) and undefine a test's domain, with any managed
    save image it left."""
    import libvirt
    d = conn.lookupByName(name)
    if d.isActive():
        d.destroy()
    d.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)


@pytest.fixture
def conn(daemon):
    import libvirt
    c = libvirt.open(daemon.uri)
    yield c
    c.close()


def _domcaps(conn, emulator, machine=None):
    return ET.fromstring(conn.getDomainCapabilities(emulator, "x86_64", machine, "qemu", 0))


def test_domcapabilities(conn, bins):
    caps = _domcaps(conn, bins.migemu)
    assert caps.findtext("path") == bins.migemu
    assert caps.findtext("domain") == "qemu"
    assert caps.findtext("machine") == "pc-i440fx-7.2"
    assert caps.findtext("arch") == "x86_64"
    assert caps.find("vcpu").get("max") == "255"
    models = {m.text: m.get("usable") for m in caps.findall("./cpu/mode[@name='custom']/model")}
    assert models.get("qemu64") == "yes" and models.get("Nehalem") == "yes"
    q35 = _domcaps(conn, bins.migemu, "q35")
    assert q35.findtext("machine") == "pc-q35-7.2"
    assert q35.find("vcpu").get("max") == "288"


def test_capabilities_derived_are_a_subset_of_qemu(conn, daemon, bins):
    """What libvirt concludes about migemu never claims more than what it
    concludes about QEMU 7.2; the flags a type='qemu' domain relies on are
    there."""
    _domcaps(conn, bins.migemu)
    _domcaps(conn, bins.qemu)
    ours, theirs = daemon.cached_caps(bins.migemu), daemon.cached_caps(bins.qemu)
    flags = {f.get("name") for f in ours.findall("flag")}
    qflags = {f.get("name") for f in theirs.findall("flag")}
    assert flags <= qflags, "flags QEMU 7.2 does not get: %s" % sorted(flags - qflags)
    assert {"tcg", "isa-serial", "seccomp-sandbox", "query-cpu-definitions",
            "memory-backend-memfd", "x86-max-cpu", "migration.blocked-reasons"} <= flags
    assert ours.findtext("version") == theirs.findtext("version") == "7002022"
    machines = {m.get("name"): m.attrib for m in ours.findall("./machine[@type='tcg']")}
    qmachines = {m.get("name"): m.attrib for m in theirs.findall("./machine[@type='tcg']")}
    assert machines and all(qmachines.get(n) == a for n, a in machines.items())
    cpus = {c.get("name"): c.attrib for c in ours.findall("./cpu[@type='tcg']")}
    qcpus = {c.get("name"): c.attrib for c in theirs.findall("./cpu[@type='tcg']")}
    assert cpus and all(qcpus.get(n) == a for n, a in cpus.items())


@pytest.mark.parametrize("machine,canonical", [("pc", "pc-i440fx-7.2"), ("q35", "pc-q35-7.2")])
def test_define_minimal_domain(conn, bins, machine, canonical):
    name = "mt-" + machine.replace(".", "-")
    dom = conn.defineXML(domain_xml(name, bins.migemu, machine=machine, serial=False))
    try:
        xml = ET.fromstring(dom.XMLDesc(0))
        assert xml.find("./os/type").get("machine") == canonical
        assert xml.findtext("./devices/emulator") == bins.migemu
        assert conn.lookupByName(name).UUIDString() == dom.UUIDString()
    finally:
        dom.undefine()


def test_machine_none_is_refused_as_for_qemu(conn, bins):
    """libvirt 9.0 never offers machine 'none' (it is skipped in the probe),
    for QEMU and migemu alike."""
    import libvirt
    errors = []
    for emulator in (bins.qemu, bins.migemu):
        with pytest.raises(libvirt.libvirtError) as e:
            conn.defineXML(domain_xml("mt-none", emulator, machine="none", serial=False))
        errors.append(str(e.value).replace(emulator, "EMULATOR"))
    assert errors[0] == errors[1]
    assert "does not support machine type 'none'" in errors[1]




def _state(dom):
    return dom.state()[0]


def _qmp(dom, cmd, args=None):
    """A QMP command through virsh qemu-monitor-command; its return value."""
    import libvirt_qemu
    req = {"execute": cmd}
    if args is not None:
        req["arguments"] = args
    return json.loads(libvirt_qemu.qemuMonitorCommand(dom, json.dumps(req), 0))["return"]


@pytest.mark.parametrize("add,device", [
    ("    <controller type='virtio-serial' index='0'/>\n", "virtio-serial-pci"),
])
def test_unemulated_device_fails_the_start(daemon, bins, add, device):
    """A domain with a device libvirt turns into a -device migemu does not
    emulate: the start fails with migemu's error in libvirt's message, rather
    than a domain running without the device."""
    import libvirt
    conn = libvirt.open(daemon.uri)
    xml = domain_xml("mt-dev-" + device, bins.migemu)
    anchor = "  </devices>"
    dom = conn.defineXML(xml.replace(anchor, add + anchor))
    try:
        with pytest.raises(libvirt.libvirtError) as e:
            dom.create()
        assert "device '%s' is not supported by migemu" % device in str(e.value)
        assert not dom.isActive()
    finally:
        dom.undefine()


@pytest.mark.parametrize("machine", ["pc", "q35"])
@pytest.mark.parametrize("which", ["migemu", "qemu"])
def test_default_devices_and_balloon(daemon, bins, which, machine):
    """A domain that leaves the USB controller and the memory balloon to
    libvirt's defaults starts. The balloon (virtio-balloon-pci) answers as
    QEMU's does for a guest without a balloon driver: `virsh setmem` is
    accepted, the guest gives nothing back, so the current memory and
    dommemstat's "actual" stay at the maximum; a stats period is set through
    qom-set. On q35 libvirt puts the balloon behind a pcie-root-port of its
    own and adds a spare one. (The default USB controller
    is left out for migemu: libvirt passes no -device for it to an emulator
    without piix3-usb-uhci among its types; docs/libvirt.md.)"""
    import libvirt
    import libvirt_qemu
    name = "mt-defaults-%s-%s" % (which, machine)
    conn = libvirt.open(daemon.uri)
    xml = domain_xml(name, getattr(bins, which), mib=256, machine=machine)
    for line in ["    <controller type='usb' model='none'/>\n", "    <memballoon model='none'/>\n"]:
        assert line in xml
        xml = xml.replace(line, "")
    dom = conn.defineXML(xml)
    try:
        dom.create()
        assert "<memballoon model='virtio'>" in dom.XMLDesc(0)
        assert dom.info()[2] == 256 << 10
        dom.setMemoryFlags(128 << 10, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        stats = dom.memoryStats()
        assert stats["actual"] == 256 << 10, stats
        assert dom.info()[2] == 256 << 10
        hmp = libvirt_qemu.qemuMonitorCommand(dom, "info balloon",
                                              libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
        assert hmp.strip() == "balloon: actual=256"
        # `virsh dommemstat --period 5 --live`: libvirt finds the balloon in
        # /machine/peripheral and sets its stats interval with qom-set.
        dom.setMemoryStatsPeriod(5, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        assert _qmp(dom, "qom-get", {"path": "/machine/peripheral/balloon0",
                                     "property": "guest-stats-polling-interval"}) == 5
        dom.destroy()
    finally:
        _remove(conn, name)


@pytest.mark.parametrize("which", ["migemu", "qemu"])
def test_domain_lifecycle(daemon, bins, which):
    """virsh start, suspend, resume, reset, shutdown, qemu-monitor-command
    (QMP and HMP), a libvirtd restart that reconnects to the running
    emulator, and destroy: what libvirt 9.0 does with QEMU 7.2
    (reference/libvirt/PHASES.md), done with migemu and with QEMU."""
    import libvirt
    import libvirt_qemu
    name = "mt-life-" + which
    conn = libvirt.open(daemon.uri)
    dom = conn.defineXML(domain_xml(name, getattr(bins, which)))
    try:
        try:
            dom.create()
        except libvirt.libvirtError as e:
            raise AssertionError("%s\n--- libvirtd log ---\n%s" % (e, daemon.log_tail())) from e
        assert dom.state() == [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_BOOTED]
        # The guest CPU libvirt read back from the vCPU's QOM properties.
        xml = ET.fromstring(dom.XMLDesc(0))
        tty = xml.find("./devices/serial/source").get("path")
        assert tty.startswith("/dev/pts/") and os.path.exists(tty)
        dom.suspend()
        assert dom.state() == [libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_USER]
        dom.resume()
        assert dom.state() == [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_UNPAUSED]
        dom.reset()
        assert _state(dom) == libvirt.VIR_DOMAIN_RUNNING
        info = dom.info()
        assert info[0] == libvirt.VIR_DOMAIN_RUNNING and info[1] == 131072 and info[3] == 1
        st = json.loads(libvirt_qemu.qemuMonitorCommand(dom, '{"execute":"query-status"}', 0))
        assert st["return"] == {"status": "running", "singlestep": False, "running": True}
        cpus = libvirt_qemu.qemuMonitorCommand(
            dom, "info cpus", libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
        assert re.fullmatch(r"\* CPU #0: thread_id=\d+\r?\n", cpus)
        chardevs = libvirt_qemu.qemuMonitorCommand(
            dom, "info chardev", libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
        assert "charserial0: filename=pty:" + tty in chardevs
        # system_powerdown: with no guest OS nothing answers it, as with QEMU.
        dom.shutdown()
        assert _state(dom) == libvirt.VIR_DOMAIN_RUNNING
        pid = int(open(os.path.join(daemon.root, "run", "qemu", name + ".pid")).read())
        conn.close()
        conn = None
        subprocess.run([SETUP, "stop", daemon.root], check=True, capture_output=True, timeout=60)
        os.kill(pid, 0)  # the emulator outlives the daemon
        r = subprocess.run([SETUP, "start", daemon.root], capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stderr
        conn = libvirt.open(daemon.uri)
        dom = conn.lookupByName(name)
        assert dom.state() == [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_UNPAUSED]
        out = libvirt_qemu.qemuMonitorCommand(
            dom, "info status", libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
        assert out.strip() == "VM status: running"
        dom.destroy()
        assert dom.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DESTROYED]
        with pytest.raises(ProcessLookupError):
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
    finally:
        if conn is None:
            conn = libvirt.open(daemon.uri)
        _remove(conn, name)
        conn.close()


def test_save_under_an_armed_fault_fails_then_save_and_restore_work(daemon, bins):
    """virsh save is a migration to an fd (getfd + migrate fd:): with a drop
    armed through qemu-monitor-command libvirt sees it fail and the domain
    runs on; the next save and a restore then work, with guest RAM equal."""
    import libvirt
    conn = libvirt.open(daemon.uri)
    dom = conn.defineXML(domain_xml("mt-save", bins.migemu))
    path = os.path.join(daemon.root, "mt-save.img")

    try:
        dom.create()
        _qmp(dom, "x-workload", {"rate": 64 << 20, "wss": 8 << 20})
        time.sleep(0.3)
        _qmp(dom, "x-workload", {"rate": 0})
        _qmp(dom, "x-migration-fault", {"side": "source", "action": "drop", "offset": 1 << 20})
        with pytest.raises(libvirt.libvirtError) as e:
            dom.save(path)
        assert "Unable to write to file: Broken pipe" in str(e.value), str(e.value)
        assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        digest = _qmp(dom, "x-query-guest-digest")["digest"]
        dom.save(path)
        assert dom.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
        conn.restore(path)
        dom = conn.lookupByName("mt-save")
        assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        assert _qmp(dom, "x-query-guest-digest")["digest"] == digest
    except libvirt.libvirtError as e:
        raise AssertionError("%s\n--- libvirtd log ---\n%s" % (e, daemon.log_tail())) from e
    finally:
        _remove(conn, "mt-save")
        conn.close()
        if os.path.exists(path):
            os.unlink(path)


def test_managedsave_then_start_and_migration_tunables(daemon, bins):
    """virsh managedsave + start (restore from libvirt's own image), and the
    single-daemon migration tunables libvirt maps to migrate-set-parameters /
    query-migrate-parameters (PHASES.md domain/13-19)."""
    import libvirt
    conn = libvirt.open(daemon.uri)
    dom = conn.defineXML(domain_xml("mt-msave", bins.migemu))

    try:
        dom.create()
        dom.migrateSetMaxDowntime(500, 0)
        assert dom.migrateGetMaxDowntime(0) == 500
        assert _qmp(dom, "query-migrate-parameters")["downtime-limit"] == 500
        dom.migrateSetMaxSpeed(100, 0)
        assert dom.migrateGetMaxSpeed(0) == 100
        assert _qmp(dom, "query-migrate-parameters")["max-bandwidth"] == 100 << 20
        dom.migrateSetMaxSpeed(50, libvirt.VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY)
        assert dom.migrateGetMaxSpeed(libvirt.VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY) == 50
        _qmp(dom, "x-workload", {"rate": 64 << 20, "wss": 4 << 20})
        time.sleep(0.2)
        _qmp(dom, "x-workload", {"rate": 0})
        digest = _qmp(dom, "x-query-guest-digest")["digest"]
        dom.managedSave(0)
        assert dom.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
        assert dom.hasManagedSaveImage(0) == 1
        dom.create()  # starts from the managed save image
        assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        assert dom.hasManagedSaveImage(0) == 0
        assert _qmp(dom, "x-query-guest-digest")["digest"] == digest
    except libvirt.libvirtError as e:
        raise AssertionError("%s\n--- libvirtd log ---\n%s" % (e, daemon.log_tail())) from e
    finally:
        _remove(conn, "mt-msave")
        conn.close()


def test_dump_memory_only(daemon, bins):
    """virsh dump --memory-only: stop, getfd, detached dump-guest-memory to
    the fd, DUMP_COMPLETED, cont (PHASES.md domain/12). The file is an ELF
    core whose PT_LOAD of guest RAM holds what the guest's RAM holds."""
    import libvirt
    import libvirt_qemu
    conn = libvirt.open(daemon.uri)
    dom = conn.defineXML(domain_xml("mt-dump", bins.migemu))
    path = os.path.join(daemon.root, "mt-dump.core")
    try:
        dom.create()
        # Written RAM above 1 MiB: 0xa0000-0xfffff of pc.ram is behind VGA
        # and ROM in the core, zeros without firmware (docs/dump.md). The
        # workload's window is placed by its seed: take one that lands high.
        for seed in range(1, 50):
            _qmp(dom, "x-workload", {"rate": 64 << 20, "wss": 8 << 20, "window": "random",
                                     "seed": seed})
            if _qmp(dom, "x-query-workload")["wss-offset"] >= 1 << 20:
                break
        time.sleep(0.3)
        _qmp(dom, "x-workload", {"rate": 0})
        digest = _qmp(dom, "x-query-guest-digest")["digest"]
        dom.coreDumpWithFormat(path, libvirt.VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
                               libvirt.VIR_DUMP_MEMORY_ONLY)
        assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        # Guest RAM (block pc.ram, 128 MiB at guest physical 0) rebuilt
        # from the core's PT_LOAD segments has the guest's digest.
        ram = bytearray(128 << 20)
        with open(path, "rb") as f:
            head = f.read(64)
            assert head[:4] == b"\x7fELF"
            # 32-bit core for a guest not in long mode (never, without firmware)
            elf64 = head[4] == 2
            eh = struct.unpack_from("<16sHHIQQQIHHHHHH" if elf64 else "<16sHHIIIIIHHHHHH", head)
            f.seek(eh[5])
            phdrs = [struct.unpack("<IIQQQQQQ" if elf64 else "<IIIIIIII", f.read(eh[9]))
                     for _ in range(eh[10])]
            if not elf64:  # type, offset, vaddr, paddr, filesz, memsz, flags, align
                phdrs = [(t, fl, o, v, p, fs, ms, al) for t, o, v, p, fs, ms, fl, al in phdrs]
            loads = [p for p in phdrs if p[0] == 1]  # PT_LOAD
            assert loads
            for _, _, off, _, paddr, filesz, _, _ in loads:
                if paddr < len(ram):
                    f.seek(off)
                    ram[paddr:paddr + filesz] = f.read(min(filesz, len(ram) - paddr))
        assert ram_digest([("pc.ram", ram)]) == digest
    except libvirt.libvirtError as e:
        raise AssertionError("%s\n--- libvirtd log ---\n%s" % (e, daemon.log_tail())) from e
    finally:
        _remove(conn, "mt-dump")
        conn.close()
        if os.path.exists(path):
            os.unlink(path)
