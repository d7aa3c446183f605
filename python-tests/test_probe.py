"""libvirt 9.0's capabilities probe.

1. migemu started exactly as libvirt starts its probe (-daemonize, -pidfile,
   -machine none,accel=kvm:tcg) and sent libvirt's probe commands in
   libvirt's order; every reply must be one libvirt accepts (a result, or
   an error of the class libvirt tolerates for that command).
2. Differential: the same commands sent to QEMU 7.2 and to migemu. Where
   migemu models a thing (a QOM type, a machine type, a CPU model, an option
   group) its answer must equal QEMU's; what migemu does not model must be
   absent in the way QEMU reports a missing thing. QEMU lists types,
   machines and properties in GLib hash-table order, so those lists are
   compared as sets; lists QEMU sorts (CPU definitions, command-line
   options) are compared in order.

Both programs run with accel=tcg here: on a host with /dev/kvm QEMU would
otherwise use KVM, which migemu never does.
"""

import json
import os

import pytest

from launcher import Instance, _kill_pid
from monclient import QMPClient, connect_unix

PROBE_ARGS = ["-S", "-no-user-config", "-nodefaults", "-nographic"]

# device-list-properties typenames libvirt 9.0 asks about (each only if
# qom-list-types lists it), in its order.
LIBVIRT_DEVICES = [
    "virtio-blk-pci", "virtio-net-pci", "virtio-scsi-pci", "virtio-net-ccw", "virtio-scsi-ccw",
    "vfio-pci", "scsi-hd", "ide-hd", "PIIX4_PM", "usb-redir", "usb-storage", "kvm-pit", "VGA",
    "vmware-svga", "qxl", "virtio-gpu-pci", "virtio-gpu-device", "ICH9-LPC", "virtio-balloon-pci",
    "virtio-balloon-ccw", "virtio-balloon-device", "intel-iommu", "mch", "nvdimm",
    "pcie-root-port", "usb-host", "vhost-user-fs-device", "virtio-mem-pci", "virtio-iommu-pci",
]
LIBVIRT_OBJECTS = ["memory-backend-file", "memory-backend-memfd", "max-x86_64-cpu"]

# CPU types are registered but their ~440 feature properties are not
# modelled yet (see docs/qom-model.md); everything else must match.
CPU_TYPE_SUFFIX = "-x86_64-cpu"


class Probe:
    """One daemonized process started with libvirt's probe command line."""

    def __init__(self, binary, accel, machine="none"):
        self.inst = Instance(binary, PROBE_ARGS + [
            "-machine", "%s,accel=%s" % (machine, accel),
            "-qmp", "unix:qmp.monitor,server=on,wait=off",
            "-pidfile", "qmp.pid", "-daemonize"])

    def __enter__(self):
        self.inst.start()
        rc = self.inst.wait(timeout=20)
        assert rc == 0, "probe start failed (%s): %r" % (rc, self.inst.stderr())
        with open(self.inst.path("qmp.pid")) as f:
            self.pid = int(f.read())
        self.inst.extra_pids.append(self.pid)
        self.qmp = QMPClient(connect_unix(self.inst.path("qmp.monitor"), 10))
        self.qmp.negotiate()
        return self

    def reply(self, name, args=None):
        r = self.qmp.cmd_raw(name, args)
        r.pop("id", None)
        return r

    def __exit__(self, *exc):
        try:
            self.qmp.close()
        finally:
            self.inst.cleanup()
        return False


@pytest.fixture(scope="module")
def pair(bins):
    """(qemu, migemu) probes, both TCG, shared by the differential tests."""
    with Probe(bins.qemu, "tcg") as q, Probe(bins.migemu, "tcg") as m:
        yield q, m


def key(obj):
    return json.dumps(obj, sort_keys=True)


def as_set(reply):
    assert "return" in reply, reply
    return {key(x) for x in reply["return"]}


# ---------------------------------------------------------------------------
# 1. libvirt's probe against migemu alone


def test_probe_command_line_daemonizes_and_serves(bins):
    """The exact probe line: the parent exits 0 once the monitor listens,
    the pidfile names the live daemon, and SIGTERM (how libvirt ends the
    probe) ends it and removes the pidfile."""
    with Probe(bins.migemu, "kvm:tcg") as p:
        assert os.path.exists("/proc/%d" % p.pid)
        assert p.reply("query-status")["return"]["status"] == "prelaunch"
        # no /dev/kvm use: TCG, as QEMU ends up on a host without KVM
        assert p.reply("query-kvm") == {"return": {"enabled": False, "present": True}}
        p.qmp.close()
        _kill_pid_term(p.pid)
        assert not os.path.exists(p.inst.path("qmp.pid"))


def _kill_pid_term(pid):
    import signal
    import time
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    _kill_pid(pid)
    raise AssertionError("probe process ignored SIGTERM")


def test_libvirt_probe_sequence_is_accepted(bins):
    """libvirt 9.0's probe (virQEMUCapsInitQMPMonitor), command by command,
    with libvirt's rule for each: F = must succeed, T = the error class
    named is tolerated."""
    with Probe(bins.migemu, "kvm:tcg") as p:
        def must(name, args=None):
            r = p.reply(name, args)
            assert "return" in r, "%s %s: libvirt fails the probe on %s" % (name, args, r)
            return r["return"]

        def may(name, cls, args=None):
            r = p.reply(name, args)
            if "error" in r:
                assert r["error"]["class"] == cls, "%s %s: %s" % (name, args, r)
                return None
            return r["return"]

        v = must("query-version")
        assert (v["qemu"]["major"], v["qemu"]["minor"]) >= (4, 2)
        assert must("query-target") == {"arch": "x86_64"}
        assert isinstance(must("query-qmp-schema"), list)
        commands = {c["name"] for c in must("query-commands")}
        kvm = must("query-kvm")
        assert set(kvm) >= {"enabled", "present"}
        types = {t["name"] for t in must("qom-list-types")}
        assert "tcg-accel" in types, "libvirt needs tcg-accel for <domain type='qemu'>"
        for t in LIBVIRT_DEVICES:
            if t in types:
                may("device-list-properties", "DeviceNotFound", {"typename": t})
        for t in LIBVIRT_OBJECTS:
            may("qom-list-properties", "DeviceNotFound", {"typename": t})
        machines = must("query-machines")
        assert any(m.get("alias") == "pc" for m in machines)
        assert any(m.get("alias") == "q35" for m in machines)
        may("qom-list-properties", "DeviceNotFound", {"typename": "none-machine"})
        if "query-cpu-definitions" in commands:
            may("query-cpu-definitions", "GenericError")
        may("query-tpm-models", "CommandNotFound")
        may("query-tpm-types", "CommandNotFound")
        options = {o["option"] for o in must("query-command-line-options")}
        assert "sandbox" in options
        must("query-migrate-capabilities")
        if "sev-guest" in types:
            may("query-sev-capabilities", "GenericError")
        if "sgx-epc" in types:
            may("query-sgx-capabilities", "GenericError")
        if "query-cpu-model-expansion" in commands:
            for args in ({"type": "static", "model": {"name": "host"}},
                         {"type": "static", "model": {"name": "host",
                                                      "props": {"migratable": False}}}):
                may("query-cpu-model-expansion", "GenericError", args)


# ---------------------------------------------------------------------------
# 2. Differential: QEMU 7.2 vs migemu


def test_identity_queries(pair):
    q, m = pair
    for name in ("query-target", "query-kvm", "query-migrate-capabilities",
                 "query-sev-capabilities"):
        assert m.reply(name) == q.reply(name), name
    # version numbers equal; the package string is each program's own
    qv, mv = q.reply("query-version"), m.reply("query-version")
    assert qv["return"]["qemu"] == mv["return"]["qemu"]


@pytest.mark.skipif(os.path.exists("/dev/sgx_vepc"), reason="host has SGX: QEMU reports it")
def test_sgx_capabilities(pair):
    q, m = pair
    assert m.reply("query-sgx-capabilities") == q.reply("query-sgx-capabilities")


def test_tpm_lists_are_empty(pair):
    # migemu models no TPM: the lists of a QEMU built without any.
    _, m = pair
    assert m.reply("query-tpm-models") == {"return": []}
    assert m.reply("query-tpm-types") == {"return": []}


@pytest.mark.parametrize("args", [
    {}, {"abstract": True}, {"implements": "machine"}, {"implements": "accel", "abstract": True},
    {"implements": "device", "abstract": True}, {"implements": "memory-backend"},
    {"implements": "user-creatable"}, {"implements": "isa-serial"}, {"implements": "nosuch"},
])
def test_qom_list_types_subset(pair, args):
    """Every type migemu lists, QEMU lists identically (name, parent,
    abstract); and the types libvirt keys on are there."""
    q, m = pair
    qs, ms = as_set(q.reply("qom-list-types", args)), as_set(m.reply("qom-list-types", args))
    assert ms <= qs, "types QEMU 7.2 does not list like this: %s" % sorted(ms - qs)[:10]
    if args == {}:
        names = {json.loads(x)["name"] for x in ms}
        assert {"tcg-accel", "isa-serial", "memory-backend-file", "memory-backend-memfd",
                "max-x86_64-cpu", "pc-i440fx-7.2-machine", "none-machine"} <= names


def _migemu_types(m):
    return [t["name"] for t in m.reply("qom-list-types", {"abstract": True})["return"]]


def test_qom_list_properties_of_every_modelled_type(pair):
    q, m = pair
    diffs = []
    for name in _migemu_types(m):
        if name.endswith(CPU_TYPE_SUFFIX) or name == "x86_64-cpu":
            continue
        a, b = q.reply("qom-list-properties", {"typename": name}), \
            m.reply("qom-list-properties", {"typename": name})
        if "error" in a or "error" in b:
            if a != b:
                diffs.append("%s: QEMU %s, migemu %s" % (name, a, b))
        elif as_set(a) != as_set(b):
            diffs.append("%s: only QEMU %s; only migemu %s"
                         % (name, sorted(as_set(a) - as_set(b))[:5], sorted(as_set(b) - as_set(a))[:5]))
    assert not diffs, "\n".join(diffs)


@pytest.mark.parametrize("typename", ["max-x86_64-cpu", "qemu64-x86_64-cpu", "host-x86_64-cpu",
                                      "486-x86_64-cpu", "x86_64-cpu", "cpu"])
def test_cpu_type_properties(pair, typename):
    """Every feature bit, old spelling and qdev property of the x86 CPU
    classes, with QEMU's descriptions; the abstract x86_64-cpu lists only
    what the class has (not the aliases each object adds)."""
    q, m = pair
    args = {"typename": typename}
    assert as_set(m.reply("qom-list-properties", args)) == as_set(q.reply("qom-list-properties", args))


@pytest.mark.parametrize("typename", ["nosuch", "interface", "user-creatable"])
def test_qom_list_properties_errors(pair, typename):
    q, m = pair
    args = {"typename": typename}
    assert m.reply("qom-list-properties", args) == q.reply("qom-list-properties", args)


@pytest.mark.parametrize("typename", LIBVIRT_DEVICES + [
    "isa-serial", "device", "isa-device", "memory-backend-file", "tcg-accel",
    "qemu64-x86_64-cpu", "max-x86_64-cpu", "x86_64-cpu",
    "pc-i440fx-7.2-machine", "user-creatable", "nosuch"])
def test_device_list_properties(pair, typename):
    """Modelled devices answer as QEMU; the rest as QEMU answers for a device
    it lacks (libvirt then treats the device as absent)."""
    q, m = pair
    args = {"typename": typename}
    a, b = q.reply("device-list-properties", args), m.reply("device-list-properties", args)
    if "error" in b and b["error"]["class"] == "DeviceNotFound":
        assert b["error"]["desc"] == "Device '%s' not found" % typename
        return
    if "error" in a or "error" in b:
        assert a == b
    else:
        assert as_set(a) == as_set(b)


def test_query_machines_subset(pair):
    q, m = pair
    qs, ms = as_set(q.reply("query-machines")), as_set(m.reply("query-machines"))
    assert ms <= qs, "machines QEMU 7.2 reports differently: %s" % sorted(ms - qs)[:5]
    # every pc/q35 version and none is modelled
    want = {x for x in qs if json.loads(x)["name"].startswith(("pc-", "none"))}
    assert want <= ms, "missing: %s" % sorted(json.loads(x)["name"] for x in want - ms)


def _filtered(qreply, mreply, field):
    names = [x[field] for x in mreply["return"]]
    return [x for x in qreply["return"] if x[field] in names], mreply["return"]


def test_query_cpu_definitions_in_qemu_order(pair):
    q, m = pair
    expected, got = _filtered(q.reply("query-cpu-definitions"), m.reply("query-cpu-definitions"),
                              "name")
    assert got == expected
    assert {"qemu64", "max", "base", "host"} <= {x["name"] for x in got}


@pytest.mark.parametrize("machine", ["pc-i440fx-4.0", "pc-q35-4.0.1", "pc-i440fx-4.1"])
def test_query_cpu_definitions_alias_depends_on_machine(bins, machine):
    """Machines up to 4.0 report no alias-of (legacy CPU model versions)."""
    with Probe(bins.qemu, "tcg", machine) as q, Probe(bins.migemu, "tcg", machine) as m:
        expected, got = _filtered(q.reply("query-cpu-definitions"),
                                  m.reply("query-cpu-definitions"), "name")
        assert got == expected


@pytest.mark.parametrize("args", [{}, {"option": "sandbox"}, {"option": "machine"},
                                  {"option": "chardev"}, {"option": "name"},
                                  {"option": "nosuch"}])
def test_query_command_line_options(pair, args):
    q, m = pair
    a, b = q.reply("query-command-line-options", args), m.reply("query-command-line-options", args)
    if "error" in a:
        assert b == a
        return
    expected, got = _filtered(a, b, "option")
    assert got == expected
