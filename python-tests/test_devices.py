"""-device: byte-identical with QEMU 7.2 (stdout, stderr, exit status) where
QEMU refuses the device too (unknown name, abstract or board-only type, a
bus the board lacks or does not have, a missing driver, a property the
device lacks or a value it does not take, a PCI address in use, a second
balloon) and for the help texts of what migemu creates (isa-serial,
virtio-balloon-pci); migemu's own error, checked here as such, for a device
QEMU would create and migemu does not emulate.
"""

import pytest

from launcher import run_to_exit

PC = ["-M", "pc", "-nodefaults", "-display", "none", "-S"]
Q35 = ["-M", "q35", "-nodefaults", "-display", "none", "-S"]
NONE = ["-M", "none", "-nodefaults", "-display", "none", "-S"]


def expect_startup_failure(s, args):
    s.launch(*args)
    s.wait_exit(timeout=5)
    s.record_output()


REFUSED_BY_BOTH = {
    "unknown": PC + ["-device", "foo"],
    "unknown-json": PC + ["-device", '{"driver":"foo","id":"x"}'],
    "unknown-driver-key": PC + ["-device", "driver=foo"],
    "not-a-device": PC + ["-device", "tcg-accel"],
    "abstract-modelled": PC + ["-device", "isa-device"],
    "abstract-qemu": PC + ["-device", "pci-device"],
    "board-only": PC + ["-device", "i440FX-pcihost"],
    "board-only-pm": PC + ["-device", "PIIX4_PM"],
    "no-driver": PC + ["-device", "id=x"],
    "no-driver-json": PC + ["-device", '{"id":"x"}'],
    "help-as-json-driver": PC + ["-device", '{"driver":"help"}'],
    "no-pci-bus": NONE + ["-device", "virtio-net-pci"],
    "no-pci-bus-alias": NONE + ["-device", "virtio-net"],
    "no-isa-bus": NONE + ["-device", "isa-serial"],
    "no-usb-bus": PC + ["-device", "usb-tablet"],
    "unknown-property": PC + ["-device", "isa-serial,foo=1"],
    "unknown-property-json": PC + ["-device", '{"driver":"isa-serial","foo":1}'],
    "unknown-chardev": PC + ["-device", "isa-serial,chardev=nosuch"],
    # key=value devices are created before the JSON ones
    "kv-before-json": NONE + ["-device", '{"driver":"nosuch"}', "-device", "foo2"],
    "serial-on-pci-bus": PC + ["-device", "isa-serial,bus=pci.0"],
    "serial-on-pcie-bus": Q35 + ["-device", "isa-serial,bus=pcie.0"],
    "serial-index-not-integer": PC + ["-device", "isa-serial,index=1k"],
    "serial-index-octal": PC + ["-device", "isa-serial,index=08"],
    "serial-index-negative": PC + ["-device", "isa-serial,index=-1"],
    "serial-index-too-big": PC + ["-device", "isa-serial,index=4294967296"],
    "serial-baudbase-not-integer": PC + ["-device", "isa-serial,baudbase=x"],
    "serial-index-out-of-range": PC + ["-device", "isa-serial,index=0x10"],
    "serial-fifth-port": PC + ["-device", "isa-serial", "-device", "isa-serial",
                               "-device", "isa-serial", "-device", "isa-serial",
                               "-device", "isa-serial"],
    "balloon-no-pci-bus": NONE + ["-device", "virtio-balloon-pci"],
    "balloon-unknown-bus": PC + ["-device", "virtio-balloon-pci,id=b,bus=pci.1"],
    "balloon-on-isa-bus": PC + ["-device", "virtio-balloon-pci,id=b,bus=isa.0"],
    "balloon-slot-of-board": PC + ["-device", "virtio-balloon-pci,id=b,addr=0x1"],
    "balloon-slot-out-of-range": PC + ["-device", "virtio-balloon-pci,id=b,addr=0x20"],
    "balloon-function-out-of-range": PC + ["-device", "virtio-balloon-pci,id=b,addr=0x3.0x8"],
    "balloon-addr-not-hex": PC + ["-device", "virtio-balloon-pci,id=b,addr=zz"],
    "balloon-addr-in-use": PC + ["-device", "virtio-balloon-pci,id=b,addr=2",
                                 "-device", "virtio-balloon-pci,id=c,addr=2"],
    "balloon-second": PC + ["-device", "virtio-balloon-pci,id=b",
                            "-device", '{"driver":"virtio-balloon","id":"c"}'],
    "balloon-bool-value": PC + ["-device", "virtio-balloon-pci,id=b,deflate-on-oom=maybe"],
    "balloon-unknown-property": PC + ["-device", "virtio-balloon-pci,id=b,nosuch=1"],
    "balloon-hint-without-iothread": PC + ["-device", "virtio-balloon-pci,free-page-hint=on"],
    "balloon-q35-slot-of-board": Q35 + ["-device", "virtio-balloon-pci,addr=0x1f.0x2"],
    "balloon-function-of-single-function-slot": Q35 + ["-device", "virtio-balloon-pci,addr=0.1"],
    "port-same-chassis-and-slot": Q35 + ["-device", "pcie-root-port,id=p1",
                                         "-device", "pcie-root-port,id=p2"],
    "port-function-without-multifunction": Q35 + [
        "-device", "pcie-root-port,id=p1,addr=2",
        "-device", "pcie-root-port,id=p2,addr=2.1,chassis=2"],
    "port-single-function-after-others": Q35 + [
        "-device", "pcie-root-port,id=p1,addr=2.1,chassis=2",
        "-device", "pcie-root-port,id=p0,addr=2"],
    "port-number-too-big": Q35 + ["-device", "pcie-root-port,id=p1,port=300"],
    "port-slot-too-big": Q35 + ["-device", "pcie-root-port,id=p1,slot=65536"],
    "port-hotplug-value": Q35 + ["-device", "pcie-root-port,id=p1,hotplug=maybe"],
    "port-unknown-property": Q35 + ["-device", "pcie-root-port,id=p1,foo=1"],
    "port-second-balloon-behind-it": Q35 + [
        "-device", "pcie-root-port,id=p1", "-device", "virtio-balloon-pci,bus=p1",
        "-device", "virtio-balloon-pci,bus=p1"],
    "port-bus-slot-in-use": Q35 + [
        "-device", "pcie-root-port,id=p1", "-device", "virtio-balloon-pci,bus=p1",
        "-device", "isa-serial,bus=p1"],
}


@pytest.mark.parametrize("case", sorted(REFUSED_BY_BOTH))
def test_refused_by_both(differ, case):
    args = REFUSED_BY_BOTH[case]
    differ(lambda s: expect_startup_failure(s, args))


HELP = {
    "isa-serial": PC + ["-device", "isa-serial,help"],
    "isa-serial-question-mark": PC + ["-device", "isa-serial,?"],
    "unknown": PC + ["-device", "foo,help"],
    "abstract": PC + ["-device", "device,help"],
    "abstract-qemu": PC + ["-device", "pci-device,help"],
    "cpu": PC + ["-device", "qemu64-x86_64-cpu,help"],
    "balloon": PC + ["-device", "virtio-balloon-pci,help"],
    "balloon-alias": PC + ["-device", "virtio-balloon,help"],
    "root-port": Q35 + ["-device", "pcie-root-port,help"],
}


@pytest.mark.parametrize("case", sorted(HELP))
def test_device_type_help(differ, case):
    """QEMU exits 0 after the help, and after the error of a help request."""
    args = HELP[case]
    differ(lambda s: expect_startup_failure(s, args))


@pytest.mark.parametrize("args,shown", [
    (PC + ["-device", "virtio-net-pci"], "virtio-net-pci"),
    (PC + ["-device", "virtio-net"], "virtio-net-pci"),  # an alias names its type
    (["-M", "q35", "-nodefaults", "-display", "none", "-S", "-device", "ioh3420"], "ioh3420"),
    (PC + ["-M", "pc,usb=on", "-device", "usb-tablet"], "usb-tablet"),
    (PC + ["-device", "qemu64-x86_64-cpu"], "qemu64-x86_64-cpu"),
    (PC + ["-device", "piix3-usb-uhci,id=usb"], "piix3-usb-uhci"),
])
def test_unemulated_device_is_refused(bins, args, shown):
    """A device QEMU creates and migemu does not emulate: migemu refuses to
    start rather than run a machine without it (QEMU would run)."""
    rc, out, err = run_to_exit(bins.migemu, args)
    assert rc == 1 and out == b""
    loc = args[args.index("-device") + 1]
    assert err.decode().endswith(
        ": -device %s: device '%s' is not supported by migemu\n" % (loc, shown)), err


def test_device_list_help(bins):
    """`-device help` lists what migemu can create, in QEMU's format."""
    rc, out, err = run_to_exit(bins.migemu, PC + ["-device", "help"])
    assert rc == 0 and err == b""
    port = b'name "pcie-root-port", bus PCI, desc "PCI Express Root Port"\n'
    balloon = (b'name "virtio-balloon-pci", bus PCI, alias "virtio-balloon"\n'
               b'name "virtio-balloon-pci-non-transitional", bus PCI\n'
               b'name "virtio-balloon-pci-transitional", bus PCI\n')
    assert out == (b'Controller/Bridge/Hub devices:\n' + port +
                   b'\nInput devices:\nname "isa-serial", bus ISA\n'
                   b'\nMisc devices:\n' + balloon)
    rc, qout, _ = run_to_exit(bins.qemu, PC + ["-device", "help"])
    assert rc == 0 and b'\nInput devices:\n' in qout and b'name "isa-serial", bus ISA\n' in qout
    assert qout.startswith(b'Controller/Bridge/Hub devices:\n')
    assert port in qout[:qout.index(b'\n\n')]
    misc = qout[qout.index(b'\nMisc devices:\n'):]
    assert balloon in misc[:misc.index(b'\n\n', 1)]
