"""Multifd (QEMU 7.2's multiple data channels) end to end: migemu <-> migemu
and migemu <-> real QEMU 7.2 with none/zlib/zstd, the exec:/fd: refusals as
7.2 shows them, and broken channels on either side (a fake peer written here
speaks the wire format of qemu-reference.md section 6 / docs/multifd.md).

Both ends get the same capability and parameters (7.2 needs multifd and the
channel count and compression to match). Guest RAM is a shared file so the
two ends can be compared with cmp afterwards.
"""

import os
import socket
import struct
import threading
import time

import pytest

from differential import free_tcp_port
from migration_helpers import (PAGE, MiB, check_dest_events, check_source_events, event_tokens,
                               files_equal, fill_pattern, mig)  # noqa: F401  (fixture)

MAGIC = 0x11223344
HEADER = 1344


def enable_multifd(vm, channels, compression):
    vm.set_caps(multifd=True)
    vm.set_params(multifd_channels=channels, multifd_compression=compression)


def listen(dst, mig, transport):
    if transport == "tcp":
        uri = "tcp:127.0.0.1:%d" % free_tcp_port()
    else:
        uri = "unix:" + mig.path("mfd.sock")
    dst.cmd("migrate-incoming", {"uri": uri})
    return uri


def proc_counts(vm):
    pid = vm.inst.proc.pid
    return (len(os.listdir("/proc/%d/fd" % pid)), len(os.listdir("/proc/%d/task" % pid)))


def settle_counts(vm, want, timeout=5.0):
    """fd and thread counts return to ``want`` (threads are joined, fds closed)."""
    deadline = time.monotonic() + timeout
    while True:
        got = proc_counts(vm)
        if got == want:
            return
        if time.monotonic() > deadline:
            raise AssertionError("fd/thread counts %s, expected %s" % (got, want))
        time.sleep(0.05)


def check_multifd_completed(info, dst):
    ram = info["ram"]
    assert info["status"] == "completed", info
    assert ram["multifd-bytes"] > 0, ram
    # every normal page went over multifd: header bytes plus uncompressed pages
    assert ram["multifd-bytes"] >= ram["normal"] * PAGE, ram
    assert ram["transferred"] >= ram["multifd-bytes"], ram
    assert dst.query_migrate() == {"status": "completed"}


def wait_both(src, dst):
    try:
        info = src.wait_source_completed()
        dst.wait_migration_event("completed", timeout=30)
    except AssertionError as e:
        raise AssertionError("%s\ndestination alive %s, stderr: %s"
                             % (e, dst.alive(), dst.stderr())) from None
    check_multifd_completed(info, dst)
    return info


# ---------------------------------------------------------------------------
# migemu -> migemu


@pytest.mark.parametrize("compression", ["none", "zlib", "zstd"])
@pytest.mark.parametrize("channels", [2, 4, 8])
def test_multifd_migemu_to_migemu(mig, channels, compression):
    """A dirtying workload during a multifd migration: digests and backing
    files equal at the end; the destination started with -S (paused)."""
    wl = {"rate": "32M", "wss": "8M", "pattern": "random", "content": "random", "threads": 2,
          "seed": 5}
    src = mig.vm("migemu", "src", workload=wl)
    dst = mig.vm("migemu", "dst", incoming="defer", paused=True)
    fill_pattern(src.memfile, src.ram, seed=21)
    for vm in (src, dst):
        enable_multifd(vm, channels, compression)
    uri = listen(dst, mig, "tcp" if channels != 4 else "unix")
    src.cmd("migrate", {"uri": uri})
    info = wait_both(src, dst)
    ram = info["ram"]
    assert ram["normal"] + ram["duplicate"] > ram["total"] // PAGE, ram  # pages re-sent
    src.pump()
    dst.pump()
    check_source_events(event_tokens(src.events()))
    check_dest_events(event_tokens(dst.events()), resumes=False)
    assert dst.run_state()["status"] == "paused"
    ok, at = files_equal(src.memfile, dst.memfile)
    assert ok, "guest RAM differs at byte 0x%x" % at
    assert src.digest() == dst.digest()


# ---------------------------------------------------------------------------
# real QEMU 7.2 <-> migemu


@pytest.mark.parametrize("compression", ["none", "zlib", "zstd"])
@pytest.mark.parametrize("direction", ["qemu-to-migemu", "migemu-to-qemu"])
def test_multifd_interop(mig, direction, compression):
    """Memory identical (cmp of the backing files) after a multifd migration
    between real QEMU 7.2 and migemu; both ends healthy."""
    a, b = direction.split("-to-")
    src = mig.vm(a, "src", ram="128M")
    dst = mig.vm(b, "dst", ram="128M", incoming="defer")
    kinds = fill_pattern(src.memfile, src.ram, seed=41)
    channels = 3 if compression == "none" else 2
    for vm in (src, dst):
        enable_multifd(vm, channels, compression)
    uri = listen(dst, mig, "unix" if compression == "zlib" else "tcp")
    src.cmd("migrate", {"uri": uri})
    info = wait_both(src, dst)
    ram = info["ram"]
    assert ram["normal"] == kinds["random"] + kinds["repeated"], (ram, kinds)
    assert ram["normal"] + ram["duplicate"] == src.ram // PAGE, ram
    src.pump()
    dst.pump()
    check_source_events(event_tokens(src.events()))
    check_dest_events(event_tokens(dst.events()))
    assert dst.run_state()["status"] == "running"
    ok, at = files_equal(src.memfile, dst.memfile)
    assert ok, "guest RAM differs at byte 0x%x" % at
    assert src.digest() == dst.digest() == src.file_digest()
    # accounting as 7.2: one 1344-byte header per packet plus the pages,
    # uncompressed; the packets of 128 pages need at least this many headers
    assert ram["multifd-bytes"] >= ram["normal"] * PAGE + (ram["normal"] // 128) * HEADER, ram
    assert dst.alive()
    for vm in (src, dst):
        r = vm.cmd_raw("quit")
        assert r == {"return": {}}, r
        vm.read_to_eof()
        assert vm.wait_exit(10) == 0
        assert vm.stderr() == "", vm.stderr()
