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
from launcher import Instance
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
        allowed = [""]
        if vm is src and a == "qemu":
            # 7.2's cleanup can shut a channel under its own trailing empty
            # packet after `completed` (docs/multifd.md, Packets): QEMU's race.
            allowed.append("qemu-system-x86_64: Unable to write to socket: Broken pipe\n")
        assert vm.stderr() in allowed, vm.stderr()


# ---------------------------------------------------------------------------
# exec: and fd: refuse multifd as 7.2 does (checked against the real binary)


@pytest.mark.parametrize("which", ["migemu", "qemu"])
def test_multifd_exec_source_refused(mig, which):
    """7.2: `migrate` answers {}, the migration is failed without an
    error-desc, the reason goes to stderr without the program name (it is
    printed in the monitor's context), and the guest runs on."""
    src = mig.vm(which, "src")
    src.set_caps(multifd=True)
    assert src.cmd("migrate", {"uri": "exec:cat > /dev/null"}) == {}
    src.wait_migration_event("failed")
    assert src.query_migrate() == {"status": "failed"}
    assert src.run_state()["status"] == "running"
    deadline = time.monotonic() + 5
    while "multifd" not in src.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert src.stderr() == "multifd is not supported by current protocol\n"


@pytest.mark.parametrize("which", ["migemu", "qemu"])
def test_multifd_exec_destination_refused(mig, which):
    """7.2: the channel is refused when it is processed (stderr, with the
    program name), the destination stays in inmigrate, and afterwards the
    capability cannot be set for this protocol."""
    stream = mig.path("stream")
    with open(stream, "wb") as f:
        f.write(b"QEVM" + struct.pack(">I", 3))
    dst = mig.vm(which, "dst", incoming="defer")
    dst.set_caps(multifd=True)
    assert dst.cmd("migrate-incoming", {"uri": "exec:cat " + stream}) == {}
    deadline = time.monotonic() + 5
    while "multifd" not in dst.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    prog = os.path.basename(dst.binary)
    assert dst.stderr() == prog + ": multifd is not supported by current protocol\n"
    assert dst.run_state()["status"] == "inmigrate"
    r = dst.cmd_raw("migrate-set-capabilities",
                    {"capabilities": [{"capability": "multifd", "state": True}]})
    assert r["error"]["desc"] == "multifd is not supported by current protocol", r
    assert dst.alive()


# ---------------------------------------------------------------------------
# a broken source: the migemu destination fails (stderr, exit status 1)


def init_packet(cid, version=1, magic=MAGIC, uuid=bytes(16)):
    return struct.pack(">II", magic, version) + uuid + bytes([cid]) + bytes(39)


def packet_header(flags, pages, block=b"mem", offsets=(), next_size=0, num=0):
    h = struct.pack(">IIIIIIQ", MAGIC, 1, flags, 128, pages, next_size, num) + bytes(32)
    h += block.ljust(256, b"\0")
    offs = b"".join(struct.pack(">Q", o) for o in offsets)
    return h + offs.ljust(8 * 128, b"\0")


def main_prefix(ram):
    """Header, configuration and the RAM setup section up to its EOS: a
    destination reading this waits for every channel's SYNC."""
    from migration_helpers import configuration, counted, footer, header, RAM_SID
    body = (struct.pack(">Q", ram | 0x04) + counted("mem") + struct.pack(">Q", ram)
            + struct.pack(">Q", 0x10))
    return (header() + configuration() + b"\x01" + struct.pack(">I", RAM_SID) + counted("ram")
            + struct.pack(">II", 0, 4) + body + footer(RAM_SID))


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def expect_exit(dst, text, timeout=6.0):
    t0 = time.monotonic()
    assert dst.wait_exit(timeout) == 1, dst.stderr()
    assert time.monotonic() - t0 < timeout
    assert text in dst.stderr(), dst.stderr()


def broken_destination(mig):
    dst = mig.vm("migemu", "dst", incoming="defer")
    enable_multifd(dst, 2, "none")
    port = free_tcp_port()
    dst.cmd("migrate-incoming", {"uri": "tcp:127.0.0.1:%d" % port})
    return dst, port


def test_multifd_dest_garbage(mig):
    dst, port = broken_destination(mig)
    s = connect(port)
    s.sendall(b"GARBAGE!" * 8)
    expect_exit(dst, "failed to receive packet via multifd channel 0: multifd: received packet "
                     "magic 47415242 expected 11223344")
    s.close()


@pytest.mark.parametrize("bad,text", [
    (init_packet(0, version=2), "failed to receive packet via multifd channel 0: multifd: "
                                "received packet version 2 expected 1"),
    (init_packet(0, uuid=bytes(range(16))),
     "failed to receive packet via multifd channel 0: multifd: received uuid "
     "'00010203-0405-0607-0809-0a0b0c0d0e0f' and expected uuid "
     "'00000000-0000-0000-0000-000000000000' for channel 0"),
    (init_packet(2), "failed to receive packet via multifd channel 0: multifd: received channel "
                     "version 1 expected 1"),
], ids=["version", "uuid", "id"])
def test_multifd_dest_bad_handshake(mig, bad, text):
    dst, port = broken_destination(mig)
    s = connect(port)
    s.sendall(bad)
    expect_exit(dst, text)
    s.close()


def test_multifd_dest_duplicate_id(mig):
    dst, port = broken_destination(mig)
    m = connect(port)
    m.sendall(main_prefix(dst.ram))
    a = connect(port)
    a.sendall(init_packet(0))
    b = connect(port)
    b.sendall(init_packet(0))
    expect_exit(dst, "multifd: received id '0' already setup'")
    for s in (m, a, b):
        s.close()


def test_multifd_dest_missing_channel(mig):
    """The source gives up (closes the main channel) while the destination
    waits for a channel that never came: it fails within seconds (7.2 would
    wait for ever)."""
    dst, port = broken_destination(mig)
    m = connect(port)
    m.sendall(main_prefix(dst.ram))
    a = connect(port)
    a.sendall(init_packet(0) + packet_header(1, 0))
    time.sleep(0.3)
    m.close()
    expect_exit(dst, "multifd 1: channel never connected")
    a.close()


def test_multifd_dest_channel_dies_mid_packet(mig):
    dst, port = broken_destination(mig)
    m = connect(port)
    m.sendall(main_prefix(dst.ram))
    a = connect(port)
    b = connect(port)
    b.sendall(init_packet(1))
    a.sendall(init_packet(0) + packet_header(0, 2, offsets=(0, PAGE), next_size=2 * PAGE)
              + b"x" * PAGE)
    time.sleep(0.2)
    a.close()
    expect_exit(dst, "Unexpected end-of-file before all bytes were read")
    for s in (m, b):
        s.close()


def test_multifd_dest_connection_that_never_sends(mig):
    """A connection that says nothing is left pending; the migration itself
    (main + 2 channels from a migemu source) completes."""
    src = mig.vm("migemu", "src")
    dst, port = broken_destination(mig)
    enable_multifd(src, 2, "none")
    fill_pattern(src.memfile, src.ram, seed=3)
    idle = connect(port)
    src.cmd("migrate", {"uri": "tcp:127.0.0.1:%d" % port})
    wait_both(src, dst)
    ok, _ = files_equal(src.memfile, dst.memfile)
    assert ok
    idle.close()


# The same failures, 100 destination processes each (a failed load ends
# the process with status 1, as in 7.2). Started without a monitor, the
# capability from the command line, several at a time.

DEST_RAM = 16 * MiB
DEST_ARGS = ["-M", "none,memory-backend=mem", "-object",
             "memory-backend-ram,id=mem,size=%d" % DEST_RAM, "-nodefaults", "-display", "none",
             "-global", "migration.x-multifd=on", "-incoming", "unix:in.sock"]


def garbage(connect):
    s = connect()
    s.sendall(b"GARBAGE!" * 8)
    return [s], ("failed to receive packet via multifd channel 0: multifd: received packet "
                 "magic 47415242 expected 11223344")


def duplicate_id(connect):
    m = connect()
    m.sendall(main_prefix(DEST_RAM))
    a = connect()
    a.sendall(init_packet(0))
    b = connect()
    b.sendall(init_packet(0))
    return [m, a, b], "multifd: received id '0' already setup'"


def never_connects(connect):
    m = connect()
    m.sendall(main_prefix(DEST_RAM))
    a = connect()
    a.sendall(init_packet(0) + packet_header(1, 0))
    time.sleep(0.1)
    m.close()
    return [a], "multifd 1: channel never connected"


def dies_mid_stream(connect):
    m = connect()
    m.sendall(main_prefix(DEST_RAM))
    a = connect()
    b = connect()
    b.sendall(init_packet(1))
    a.sendall(init_packet(0) + packet_header(0, 2, offsets=(0, PAGE), next_size=2 * PAGE)
              + b"x" * PAGE)
    time.sleep(0.05)
    a.close()
    return [m, b], "Unexpected end-of-file before all bytes were read"


def fail_one_destination(binary, script, bound=5.0):
    """Runs ``script`` against a fresh destination; None if it exited with
    status 1 and the expected text within ``bound`` seconds, else why not."""
    inst = Instance(binary, DEST_ARGS)
    socks = []
    try:
        inst.start()
        path = inst.wait_for_path("in.sock")

        def connect():
            # The socket file exists from bind(), a moment before listen().
            deadline = time.monotonic() + 5
            while True:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                socks.append(s)
                s.settimeout(5)
                try:
                    s.connect(path)
                    return s
                except ConnectionRefusedError:
                    if socks[:-1] or time.monotonic() > deadline:
                        raise
                    socks.pop().close()
                    time.sleep(0.005)
        _, text = script(connect)
        t0 = time.monotonic()
        rc = inst.wait(bound + 2)
        took = time.monotonic() - t0
        err = inst.stderr().decode(errors="replace")
        if rc != 1 or took >= bound or text not in err:
            return "%s: status %s after %.1fs, stderr %r" % (script.__name__, rc, took, err)
        return None
    finally:
        for s in socks:
            s.close()
        inst.cleanup()


@pytest.mark.sanitizer_slow
def test_multifd_dest_failures_100x(bins):
    """Issue 8: garbage, a duplicate channel id, a channel that never
    connects and one that dies mid-packet, 100 destinations each: every
    one exits with status 1 and 7.2's text within seconds."""
    from concurrent.futures import ThreadPoolExecutor
    scripts = [garbage, duplicate_id, never_connects, dies_mid_stream] * 100
    with ThreadPoolExecutor(max_workers=12) as pool:
        problems = [p for p in pool.map(lambda sc: fail_one_destination(bins.migemu, sc), scripts)
                    if p]
    assert not problems, "%d of %d: %s" % (len(problems), len(scripts), problems[:5])


# ---------------------------------------------------------------------------
# a broken destination: the migemu source fails cleanly, repeatedly


class FakeDestination:
    """Listens on a unix socket; takes the main channel and then behaves as
    ``mode`` says: "refuse" closes the listener (channel connects fail),
    "die" takes the channels and closes channel 0 after some bytes,
    "stall" takes them and never reads."""

    def __init__(self, path, mode):
        self.path = path
        self.mode = mode
        self.conns = []
        self.done = threading.Event()
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        self.ls.listen(16)
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        try:
            main, _ = self.ls.accept()
            self.conns.append(main)
            if self.mode == "refuse":
                self.ls.close()
                os.unlink(self.path)
                self.drain(main)
                return
            chans = []
            for _ in range(2):
                c, _ = self.ls.accept()
                chans.append(c)
                self.conns.append(c)
            threading.Thread(target=self.drain, args=(main,), daemon=True).start()
            if self.mode == "die":
                got = 0
                while got < 64 + HEADER + 4096:
                    d = chans[0].recv(65536)
                    if not d:
                        break
                    got += len(d)
                chans[0].close()
                self.drain(chans[1])
            else:
                self.done.wait(60)
        except OSError:
            pass

    @staticmethod
    def drain(s):
        try:
            while s.recv(1 << 16):
                pass
        except OSError:
            pass

    def close(self):
        self.done.set()
        for c in self.conns + [self.ls]:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        self.t.join(5)
        if os.path.exists(self.path):
            os.unlink(self.path)


def break_source(mig, mode, rounds):
    """``rounds`` migrations of one migemu source to FakeDestination(mode):
    each fails (or, stalled, is cancelled) within seconds with the guest
    running; afterwards the process has the fd and thread counts it had
    after the first round (the kept migration object holds its canceller)."""
    src = mig.vm("migemu", "src", ram="16M")
    enable_multifd(src, 2, "none")
    src.set_params(max_bandwidth=0)
    fill_pattern(src.memfile, src.ram, seed=9)
    baseline = None
    for i in range(rounds):
        path = mig.path("fake%d.sock" % i)
        fake = FakeDestination(path, mode)
        n = len(src.events())
        t0 = time.monotonic()
        src.cmd("migrate", {"uri": "unix:" + path})
        if mode == "stall":
            src.wait_migration_event("active", since=n)
            time.sleep(0.05 if rounds > 10 else 0.3)
            t0 = time.monotonic()
            src.cmd("migrate_cancel")
            src.wait_migration_event("cancelled", since=n, timeout=5)
            assert time.monotonic() - t0 < 2
        else:
            src.wait_migration_event("failed", since=n, timeout=10)
            assert time.monotonic() - t0 < 5
            desc = src.query_migrate().get("error-desc", "")
            assert desc, src.query_migrate()
            if mode == "die":
                assert desc.startswith("Unable to write to socket: "), desc
        assert src.run_state()["status"] == "running"
        fake.close()
        if baseline is None:
            time.sleep(0.3)
            baseline = proc_counts(src)
        else:
            settle_counts(src, baseline)
    # and the next migration still works
    dst = mig.vm("migemu", "dst", ram="16M", incoming="defer")
    enable_multifd(dst, 2, "none")
    n = len(src.events())
    src.cmd("migrate", {"uri": listen(dst, mig, "unix")})
    src.wait_source_completed(since=n)
    dst.wait_migration_event("completed", timeout=30)
    assert src.digest() == dst.digest()


@pytest.mark.parametrize("mode", ["refuse", "die", "stall"])
def test_multifd_source_broken_destination(mig, mode):
    """The source fails (or, stalled, is cancelled) within seconds, the guest
    keeps running, and every thread and fd of the attempt is gone: the same
    counts after each of several attempts in one process."""
    break_source(mig, mode, 4)


@pytest.mark.sanitizer_slow
@pytest.mark.parametrize("mode", ["refuse", "die", "stall"])
def test_multifd_source_broken_destination_100x(mig, mode):
    """Issue 8: a channel that never connects (refuse), dies mid-stream
    (die) or stalls (then cancel), 100 times against one source process:
    bounded time each, and the same fd and thread counts at the end."""
    break_source(mig, mode, 100)


def test_multifd_cancel_migemu_to_migemu(mig):
    """migrate_cancel while 4 zstd channels are busy: cancelled within a
    second, guest running, and (from the second round on, once the kept
    migration object holds its canceller) the same fd and thread counts."""
    src = mig.vm("migemu", "src")
    enable_multifd(src, 4, "zstd")
    fill_pattern(src.memfile, src.ram, seed=12)
    src.set_params(max_bandwidth=4 * MiB)
    baseline = None
    for i in range(3):
        dst = mig.vm("migemu", "dst%d" % i, incoming="defer")
        enable_multifd(dst, 4, "zstd")
        uri = listen(dst, mig, "tcp")
        n = len(src.events())
        src.cmd("migrate", {"uri": uri})
        src.wait_migration_event("active", since=n)
        time.sleep(0.5)
        t0 = time.monotonic()
        src.cmd("migrate_cancel")
        src.wait_migration_event("cancelled", timeout=5, since=n)
        assert time.monotonic() - t0 < 1.0
        assert src.run_state()["status"] == "running"
        assert src.query_migrate() == {"status": "cancelled"}
        # the destination's load fails as 7.2's does when the source goes away
        assert dst.wait_exit(10) == 1
        if baseline is None:
            time.sleep(0.3)
            baseline = proc_counts(src)
        else:
            settle_counts(src, baseline)


@pytest.mark.parametrize("which", ["migemu", "qemu"])
def test_multifd_info_migrate(mig, which):
    """HMP `info migrate` on a completed multifd source shows the multifd
    bytes of query-migrate (in kbytes), as 7.2 prints them."""
    src = mig.vm(which, "src", hmp=True)
    dst = mig.vm("migemu", "dst", incoming="defer")
    fill_pattern(src.memfile, src.ram, seed=17)
    for vm in (src, dst):
        enable_multifd(vm, 2, "zlib")
    uri = listen(dst, mig, "tcp")
    src.cmd("migrate", {"uri": uri})
    info = wait_both(src, dst)
    text = src.hmp_cmd("info migrate")
    assert "multifd bytes: %d kbytes\r\n" % (info["ram"]["multifd-bytes"] >> 10) in text, text
