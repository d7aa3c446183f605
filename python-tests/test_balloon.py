"""The virtio memory balloon (-device virtio-balloon-pci), libvirt's default
<memballoon>, against QEMU 7.2 with a guest that has no balloon driver (QEMU
under -S runs no guest code; migemu's guest has no driver either).

Byte-identical: balloon / query-balloon and HMP `balloon` / `info balloon`
with and without the device (DeviceNotActive), the targets QEMU refuses or
clamps, the device's PCI function in query-pci / `info pci` (explicit and
automatic addresses, pc and q35, key=value and JSON -device), /machine/
peripheral, and qom-get of the properties libvirt and users read
(guest-stats, guest-stats-polling-interval, addresses, bus, children, flags).
Compared as sets (QEMU lists them in hash order): qom-list of the device and
qom-list-properties of its types.
"""

import json

import pytest

from differential import unix_server, hmp_cmd, qmp_cmd
from launcher import Instance
from monclient import QMPClient, connect_unix

q = qmp_cmd
hmc = hmp_cmd

BASE = ["-S", "-nodefaults", "-display", "none", "-no-user-config", "-m", "256"]
DEV = "/machine/peripheral/balloon0"

QUERIES = [
    q("query-balloon"), hmc("info balloon"),
    q("balloon", value=0), q("balloon", value=-5), hmc("balloon 0"),
    q("balloon", value=64 << 20), q("query-balloon"),
    q("balloon", value=1 << 40), hmc("balloon 100"), hmc("info balloon"),
    q("balloon"), q("balloon", value="x"),
    q("query-pci"), hmc("info pci"),
    q("qom-list", path="/machine/peripheral"),
    q("qom-list", path="/machine/peripheral-anon"),
]

PROPERTIES = ["guest-stats", "guest-stats-polling-interval", "type", "realized", "addr",
              "legacy-addr", "parent_bus", "hotpluggable", "hotplugged", "virtio-backend",
              "virtio-bus", "bus master[0]", "iothread", "romfile", "romsize", "rombar",
              "disable-legacy", "disable-modern", "deflate-on-oom", "free-page-reporting",
              "event_idx", "multifunction", "nosuch"]


@pytest.mark.parametrize("machine,device", [
    # libvirt's form for a pc domain's default <memballoon model='virtio'/>
    ("pc-i440fx-7.2,usb=off", "virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x2"),
    ("pc", '{"driver":"virtio-balloon-pci","id":"balloon0","bus":"pci.0","addr":"0x5",'
           '"deflate-on-oom":true,"free-page-reporting":true}'),
    ("pc", "virtio-balloon,id=balloon0,deflate-on-oom=on"),
    ("q35", "virtio-balloon-pci,id=balloon0"),
    ("pc", "virtio-balloon-pci,id=balloon0,addr=4.3"),
    ("pc", None),
])
def test_balloon_session(differ, machine, device):
    def script(s):
        args = BASE + ["-M", machine, "-qmp", unix_server("qmp.sock")]
        if device:
            args += ["-device", device]
        s.launch(*args)
        c = s.qmp(negotiate=True)
        for m in QUERIES + [q("qom-get", path=DEV, property=p) for p in PROPERTIES]:
            c.send(m, msgs=1)
        # The stats interval libvirt sets from <stats period='N'/>, read back.
        c.send(q("qom-get", path="balloon0", property="guest-stats-polling-interval"), msgs=1)
    differ(script)


def test_balloon_without_device_in_anonymous_form(differ):
    """A balloon without id sits in /machine/peripheral-anon."""
    def script(s):
        s.launch(*BASE, "-M", "pc", "-qmp", unix_server("qmp.sock"),
                 "-device", "virtio-balloon-pci")
        c = s.qmp(negotiate=True)
        for m in [q("query-balloon"), q("query-pci"),
                  q("qom-list", path="/machine/peripheral-anon"),
                  q("qom-get", path="/machine/peripheral-anon/device[0]", property="type")]:
            c.send(m, msgs=1)
    differ(script)


def _replies(binary, args, requests):
    inst = Instance(binary, args + ["-qmp", unix_server("qmp.sock")])
    inst.start()
    try:
        c = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
        c.negotiate()
        return [c.cmd(r["execute"], r.get("arguments")) for r in requests]
    finally:
        inst.kill()


def _as_set(reply):
    assert isinstance(reply, list), reply
    return {json.dumps(x, sort_keys=True) for x in reply}


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_listings_as_sets(bins, machine):
    requests = [{"execute": "qom-list", "arguments": {"path": DEV}}] + [
        {"execute": "qom-list-properties", "arguments": {"typename": t}}
        for t in ["virtio-balloon-pci", "virtio-balloon-pci-base", "virtio-pci", "pci-device"]
    ] + [{"execute": "device-list-properties", "arguments": {"typename": "virtio-balloon-pci"}},
         {"execute": "qom-list-types",
          "arguments": {"implements": "conventional-pci-device", "abstract": True}}]
    args = BASE + ["-M", machine, "-device", "virtio-balloon-pci,id=balloon0"]
    want = _replies(bins.qemu, args, requests)
    got = _replies(bins.migemu, args, requests)
    for r, a, b in zip(requests, want, got):
        if r["execute"] == "qom-list-types":
            # QEMU has two more balloon types (transitional variants) that
            # migemu does not create.
            assert _as_set(b) <= _as_set(a) and any(
                t["name"] == "virtio-balloon-pci" for t in b), (r, b)
        else:
            assert _as_set(b) == _as_set(a), r


def test_stats_polling_interval_is_kept(bins):
    """qom-set is not a migemu command, so the interval keeps its default;
    guest-stats stays 'never reported' either way (no guest driver)."""
    got = _replies(bins.migemu, BASE + ["-M", "pc", "-device", "virtio-balloon-pci,id=b"], [
        {"execute": "qom-get", "arguments": {"path": "b", "property":
                                             "guest-stats-polling-interval"}},
        {"execute": "qom-get", "arguments": {"path": "b", "property": "guest-stats"}},
    ])
    assert got[0] == 0
    assert got[1]["last-update"] == 0
    assert set(got[1]["stats"].values()) == {2 ** 64 - 1} and len(got[1]["stats"]) == 10
