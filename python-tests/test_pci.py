"""The machine's PCI functions: query-pci and HMP `info pci`, byte-identical
with QEMU 7.2 for the command lines libvirt uses (pc and q35 with
-nodefaults and a serial port) and for the machine options and defaults
that change what the board carries (usb, sata, smbus, acpi, the default
display and NIC, old machine versions, `none`).

Everything is observed under -S: no firmware has run, so every BAR is
unmapped and every interrupt line 0, in QEMU as in migemu (which never runs
firmware; docs/qom-model.md says what a BIOS would change).
"""


import pytest

from differential import unix_server, hmp_cmd, qmp_cmd
from launcher import Instance
from monclient import QMPClient, connect_unix

# reference/libvirt/REPORT.md section 2.2, with a null chardev behind the
# serial port instead of a pty (whose /dev/pts number differs between runs).
LIBVIRT_ARGS = ["-S", "-no-user-config", "-nodefaults", "-accel", "tcg", "-cpu", "qemu64",
                "-m", "128", "-overcommit", "mem-lock=off", "-smp", "1,sockets=1,cores=1,threads=1",
                "-display", "none", "-rtc", "base=utc", "-no-shutdown", "-boot", "strict=on",
                "-chardev", "null,id=charserial0",
                "-device", '{"driver":"isa-serial","chardev":"charserial0","id":"serial0","index":0}']


q = qmp_cmd
hmc = hmp_cmd


def _pci_session(s, *args):
    s.launch(*args, "-qmp", unix_server("qmp.sock"))
    c = s.qmp(negotiate=True)
    c.send(q("query-pci"), msgs=1)
    c.send(hmc("info pci"), msgs=1)
    return c


@pytest.mark.parametrize("machine", [
    "pc-i440fx-7.2,usb=off,dump-guest-core=off",
    "pc-q35-7.2,usb=off,dump-guest-core=off",
])
def test_libvirt_domain(differ, machine):
    def script(s):
        c = _pci_session(s, "-machine", machine, *LIBVIRT_ARGS)
        # The HMP form qmp-shell -H sends, and a stray argument.
        c.send(hmc("info pci", **{"cpu-index": 0}), msgs=1)
        c.send(hmc("info pci x"), msgs=1)
    differ(script)


@pytest.mark.parametrize("machine", [
    "none", "pc", "q35", "pc,usb=on", "q35,usb=on", "q35,sata=off,smbus=off", "pc,acpi=off",
    "pc,smbus=off", "pc-i440fx-2.0", "pc-q35-2.10",
])
def test_board_options(differ, machine):
    def script(s):
        _pci_session(s, "-S", "-M", machine, "-nodefaults", "-display", "none")
    differ(script)


@pytest.mark.parametrize("extra", [[], ["-vga", "none"], ["-net", "none"], ["-no-acpi"]])
@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_default_display_and_nic(differ, machine, extra):
    """Without -nodefaults the board also gets QEMU's default VGA and NIC,
    in the first free slots."""
    def script(s):
        _pci_session(s, "-S", "-M", machine, "-display", "none", "-serial", "none",
                     "-parallel", "none", "-monitor", "none", *extra)
    differ(script)


def test_regions_are_unmapped_under_S(bins):
    """What the differential tests rely on, stated directly: before any
    firmware has run QEMU reports every BAR at address -1."""
    for binary in (bins.qemu, bins.migemu):
        inst = Instance(binary, ["-S", "-M", "q35", "-nodefaults", "-display", "none",
                                 "-qmp", unix_server("qmp.sock")])
        try:
            inst.start()
            c = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
            c.negotiate()
            devices = c.cmd("query-pci")[0]["devices"]
            regions = [r for d in devices for r in d["regions"]]
            assert regions and all(r["address"] == -1 for r in regions)
            sata = [d for d in devices if d["class_info"].get("desc") == "SATA controller"]
            assert sata and sata[0]["irq"] == 0 and sata[0]["irq_pin"] == 1
        finally:
            inst.cleanup()
