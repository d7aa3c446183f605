"""Helpers for the live-migration end-to-end tests (test_migration*.py).

Everything here drives real processes: the binary under test (migemu) and the
reference QEMU 7.2. Nothing is simulated.

* ``MigEnv`` (fixture ``mig``): starts guests (``VM``) in one temporary
  directory, hands out free TCP ports and unix socket paths, and always kills
  every process it started (by pid) and removes the RAM backing files.
* ``VM``: one emulator process with a QMP client (every event kept in arrival
  order), optional HMP client, guest RAM in a ``memory-backend-file`` under
  /dev/shm (so tests can fill it from outside and ``cmp`` both ends), a guest
  digest and an optional dirtying workload.
* Stream builders for QEMU 7.2's migration format (reference sections 5.2-5.9)
  used to feed broken streams to a destination.

Guest digest. migemu answers ``x-query-guest-digest``; its definition
(system/guest_memory.h, "migemu-ram-sha256-v1") can be recomputed from a RAM
dump, which is how the digest of a real QEMU guest is obtained here (from its
backing file, or from an HMP ``pmemsave`` dump for anonymous RAM).

Workload. migemu dirties guest RAM with ``x-workload`` / ``-x-workload``
(threads that write only while the guest runs and obey auto-converge's
throttle). Real QEMU has no such command and ``-M none`` has no CPU, so when a
test's binary *is* QEMU (harness validation: ``MIGEMU_BIN=qemu-system-x86_64``)
the same workload is a real vCPU: ``-M pc -cpu qemu64,-apic`` with a 64 KiB
firmware (``workload_rom``) that programs the PIT and, on every timer tick,
dirties K pages of a working set in low RAM (at most 128 pages = 512 KiB at
0x10000; one 4-byte store per page: pass counter and page index). Its dirty rate therefore follows wall-clock time, stops exactly when
the vCPU stops, and drops under auto-converge's throttle, like migemu's.
"""

import hashlib
import json
import os
import re
import shutil
import socket
import struct
import tempfile
import time
import uuid

import pytest

from differential import free_tcp_port
from launcher import Instance
from monclient import ConnectionClosed, HMPClient, QMPClient, ReadTimeout, connect_unix

PAGE = 4096
MiB = 1 << 20

# ---------------------------------------------------------------------------
# reference facts (qemu-reference.md 3.2)

RAM_STATS_KEYS = {
    "transferred", "remaining", "total", "duplicate", "skipped", "normal", "normal-bytes",
    "dirty-pages-rate", "mbps", "dirty-sync-count", "postcopy-requests", "page-size",
    "multifd-bytes", "pages-per-second", "precopy-bytes", "downtime-bytes", "postcopy-bytes",
    "dirty-sync-missed-zero-copy",
}
COMPLETED_KEYS = {"status", "setup-time", "downtime", "total-time", "ram"}
ACTIVE_KEYS = {"status", "setup-time", "total-time", "expected-downtime", "ram"}

INFO_MIGRATE_GLOBALS = (
    "globals:\r\n"
    "store-global-state: on\r\n"
    "only-migratable: off\r\n"
    "send-configuration: on\r\n"
    "send-section-footer: on\r\n"
    "decompress-error-check: on\r\n"
    "clear-bitmap-shift: 18\r\n"
)


def parse_size(s):
    if isinstance(s, int):
        return s
    m = re.fullmatch(r"(\d+)([kKMGT]?)", s)
    assert m, s
    return int(m.group(1)) << {"": 0, "k": 10, "K": 10, "M": 20, "G": 30, "T": 40}[m.group(2)]


def same_file(a, b):
    return os.path.realpath(a) == os.path.realpath(b)


# ---------------------------------------------------------------------------
# guest digest (migemu's "migemu-ram-sha256-v1", system/guest_memory.h)

DIGEST_CHUNK_PAGES = 16384
_ZERO_PAGE = bytes(PAGE)


def ram_digest(blocks):
    """``blocks``: list of (idstr, bytes-like of the block's used length)."""
    top = hashlib.sha256(b"migemu-ram-digest-v1")
    for name, data in blocks:
        data = memoryview(data)
        assert len(data) % PAGE == 0
        npages = len(data) // PAGE
        top.update(struct.pack(">I", len(name)) + name.encode() + struct.pack(">Q", len(data)))
        for first in range(0, npages, DIGEST_CHUNK_PAGES):
            c = hashlib.sha256()
            zeros = 0
            for p in range(first, min(npages, first + DIGEST_CHUNK_PAGES)):
                page = data[p * PAGE:(p + 1) * PAGE]
                if page == _ZERO_PAGE:
                    zeros += 1
                else:
                    c.update(struct.pack(">Q", p))
                    c.update(page)
            c.update(struct.pack(">Q", zeros))
            top.update(c.digest())
    return top.hexdigest()


# ---------------------------------------------------------------------------
# guest RAM patterns written into a backing file from outside


def fill_pattern(path, size, seed=1, region=None):
    """Write a mix of random pages, zero pages and repeated-byte pages (every
    fill value 0x01..0xFF appears) into the backing file ``path``. Returns
    the number of pages of each kind. ``region`` = (offset, length) limits it."""
    import random
    rnd = random.Random(seed)
    off, length = region or (0, size)
    kinds = {"random": 0, "zero": 0, "repeated": 0}
    with open(path, "r+b") as f:
        f.seek(off)
        buf = bytearray()
        for i in range(length // PAGE):
            k = i % 7
            if k in (0, 3):
                buf += rnd.randbytes(PAGE)
                kinds["random"] += 1
            elif k in (1, 5):
                buf += _ZERO_PAGE
                kinds["zero"] += 1
            else:
                buf += bytes([1 + (i * 37) % 255]) * PAGE
                kinds["repeated"] += 1
            if len(buf) >= 4 * MiB:
                f.write(buf)
                buf = bytearray()
        f.write(buf)
    return kinds


def start_slow_migration(src, dst, *, seed, bandwidth, settle):
    """Fill 32 MiB of the source's RAM with random pages, cap max-bandwidth so
    the migration stays active, start it, wait until both ends are active
    and ``settle`` more seconds; returns the source's query-migrate."""
    fill_random(src.memfile, 0, 32 * MiB, seed=seed)
    src.set_params(max_bandwidth=bandwidth)
    src.cmd("migrate", {"uri": dst.uri})
    src.wait_migration_event("active")
    dst.wait_migration_event("active")
    time.sleep(settle)
    info = src.query_migrate()
    assert info["status"] == "active" and info["ram"]["remaining"] > 0, info
    return info


def fill_random(path, offset, length, seed=2):
    import random
    rnd = random.Random(seed)
    with open(path, "r+b") as f:
        f.seek(offset)
        left = length
        while left:
            n = min(left, 4 * MiB)
            f.write(rnd.randbytes(n))
            left -= n


def _blank(data, pos, exclude):
    """``data`` (read at file offset ``pos``) with the ``exclude`` ranges zeroed."""
    if not exclude:
        return data
    data = bytearray(data)
    for off, n in exclude:
        lo, hi = max(off, pos), min(off + n, pos + len(data))
        if lo < hi:
            data[lo - pos:hi - pos] = bytes(hi - lo)
    return bytes(data)


def files_equal(a, b, exclude=()):
    """cmp(1)-like: (True, None) or (False, first differing byte offset).
    ``exclude``: (offset, length) ranges not compared (see VM.unstable)."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        pos = 0
        while True:
            x = _blank(fa.read(1 << 20), pos, exclude)
            y = _blank(fb.read(1 << 20), pos, exclude)
            if x != y:
                n = min(len(x), len(y))
                for i in range(n):
                    if x[i] != y[i]:
                        return False, pos + i
                return False, pos + n
            if not x:
                return True, None
            pos += len(x)


# ---------------------------------------------------------------------------
# the QEMU-side workload: a tiny real-mode firmware for -M pc (see module doc)
#
# Assembled from (GNU as, .code16, loaded at F000:0100):
#   cli; xor ax,ax; mov ss,ax; mov sp,0x7000; mov ds,ax
#   mov word [0x20],handler; mov word [0x22],0xF000       ; IVT vector 8
#   8259 init: ICW1 0x11, ICW2 0x08/0x70, ICW3 4/2, ICW4 1; mask all but IRQ0
#   PIT ch0 mode 2: out 0x43,0x34; mov ax,DIVISOR; out 0x40,al; out 0x40,ah
#   xor si,si; mov bp,1; cld; sti
# main: hlt; mov cx,PAGES_PER_TICK
# page: mov ax,si; shl ax,8; add ax,0x1000; mov es,ax      ; page si of the set
#       invlpg es:[0]; mov es:[0],bp; mov es:[2],si        ; pass counter, index
#       inc si; cmp si,NPAGES; jb 1f; xor si,si; inc bp
#    1: loop page; jmp main
# handler: push ax; mov al,0x20; out 0x20,al; pop ax; iret
# Reset vector (F000:FFF0): ljmp F000:0100.
# Each page write is ONE store preceded by invlpg: QEMU 7.2's TCG clears the
# migration dirty bits without resetting its softmmu TLB, so a store through a
# still-cached TLB entry would not be logged (the page is then never re-sent);
# invlpg forces a TLB refill, which re-arms dirty logging for that page, and a
# single store leaves no window in which part of the page is written unlogged.
_ROM_CODE = bytes.fromhex(
    "fa31c08ed0bc00708ed8c70620007a01c706220000f0b011e620e6a0b008e621b070e6a1"
    "b004e621b002e6a1b001e621e6a1b0fee621b0ffe6a1b034e643b83412e64088e0e64031"
    "f6bd0100fcfbf4b9785689f0c1e0080500108ec0260f013e000026892e00002689360200"
    "4681febc9a720331f645e2daebd450b020e62058cf")
_ROM_DIVISOR = 0x13f   # file offsets of the patched immediates
_ROM_PAGES_PER_TICK = 0x150
_ROM_NPAGES = 0x16f
PIT_HZ = 1193182
ROM_WSS_BASE = 0x10000
ROM_MAX_PAGES = 128
# The firmware's stack page (SS:SP = 0:7000): interrupt frames are pushed by
# the CPU through a TLB entry that nothing re-arms, so under TCG QEMU may not
# log them (see above) and the page can legitimately differ between source and
# destination. Only for QEMU's pc workload guests: excluded from comparisons.
ROM_STACK_PAGE = (0x6000, PAGE)


def workload_rom(rate, wss):
    """64 KiB firmware dirtying ``rate`` bytes/s over ``wss`` bytes at 0x10000."""
    npages = max(1, min(ROM_MAX_PAGES, parse_size(wss) // PAGE))
    pps = max(1, parse_size(rate) // PAGE)
    if pps >= 1000:
        divisor, per_tick = PIT_HZ // 1000, max(1, round(pps / 1000))
    else:
        divisor, per_tick = min(65535, PIT_HZ // pps), 1
    rom = bytearray(0x10000)
    rom[0x100:0x100 + len(_ROM_CODE)] = _ROM_CODE
    struct.pack_into("<H", rom, _ROM_DIVISOR, divisor)
    struct.pack_into("<H", rom, _ROM_PAGES_PER_TICK, per_tick)
    struct.pack_into("<H", rom, _ROM_NPAGES, npages)
    rom[0xFFF0:0xFFF5] = bytes.fromhex("ea0001" "00f0")  # ljmp f000:0100
    return bytes(rom)


# ---------------------------------------------------------------------------
# processes


class VM:
    """One emulator process (migemu or QEMU) with QMP (+ optional HMP).

    ``ram``: guest RAM size. ``backend``: "file" (memory-backend-file in
    /dev/shm, share=on; block id "mem") or "anon" (plain ``-m``; block "ram").
    ``incoming``: None, "defer", "tcp", "unix" or a literal URI.
    ``workload``: dict for x-workload (rate, wss, pattern, content, threads,
    seed); ``workload_via``: "qmp" or "cmdline" (migemu only).
    ``machine``: "none" normally; QEMU workload guests use "pc" (module doc),
    and their destinations must say so too (``machine="pc"``).
    """

    def __init__(self, env, binary, name, *, is_qemu, ram="64M", backend="file",
                 incoming=None, paused=False, workload=None, workload_via="qmp",
                 machine=None, hmp=False, events=True, extra=(), pass_fds=(),
                 memfile=None):
        self.env = env
        self.binary = binary
        self.name = name
        self.is_qemu = is_qemu
        self.ram = parse_size(ram)
        self.backend = backend
        self.workload = dict(workload) if workload else None
        self.workload_via = workload_via
        if machine is None:
            machine = "pc" if (is_qemu and self.workload) else "none"
        self.machine = machine
        if machine == "pc":
            assert is_qemu and backend == "file"
        self.want_hmp = hmp
        self.events_cap = events
        self.dir = os.path.join(env.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.memfile = None
        self.uri = None
        self.port = None
        self.qmp = None
        self.hmp = None

        args = []
        if backend == "file":
            self.memfile = memfile or "/dev/shm/mm-%s-%s" % (env.tag, name)
            env.shm_files.add(self.memfile)
            args += ["-M", "%s,memory-backend=mem" % machine,
                     "-object", "memory-backend-file,id=mem,size=%d,mem-path=%s,share=on"
                     % (self.ram, self.memfile)]
            self.block = "mem"
        else:
            args += ["-M", machine, "-m", "%dM" % (self.ram >> 20)]
            self.block = "ram"
        if machine == "pc":
            rom = os.path.join(self.dir, "workload.rom")
            wl = self.workload or {"rate": 4096, "wss": 4096}
            with open(rom, "wb") as f:
                f.write(workload_rom(wl.get("rate", 0) or 4096, wl.get("wss", 0) or 4096))
            args += ["-cpu", "qemu64,-apic", "-bios", rom]
        args += ["-nodefaults", "-display", "none",
                 "-qmp", "unix:qmp.sock,server=on,wait=off"]
        if hmp:
            args += ["-monitor", "unix:hmp.sock,server=on,wait=off"]
        if paused:
            args += ["-S"]
        if incoming == "tcp":
            self.port = free_tcp_port()
            self.uri = "tcp:127.0.0.1:%d" % self.port
        elif incoming == "unix":
            self.uri = "unix:" + os.path.join(self.dir, "mig.sock")
        elif incoming is not None and incoming != "defer":
            self.uri = incoming
        if incoming is not None:
            args += ["-incoming", "defer" if incoming == "defer" else self.uri]
        if self.workload and not is_qemu and workload_via == "cmdline":
            args += ["-x-workload", ",".join("%s=%s" % kv for kv in self.workload.items())]
        args += list(extra)
        self.inst = Instance(binary, args, workdir=self.dir, pass_fds=pass_fds)

    @property
    def migrated_ram(self):
        """Bytes of RAM the stream carries (ram.total); None for QEMU's pc
        workload guests, which also migrate their firmware/option ROM blocks."""
        return self.ram if self.machine == "none" else None

    # -- lifecycle -----------------------------------------------------------
    def start(self):
        self.t_start = time.time()
        self.inst.start()
        self.qmp = QMPClient(connect_unix(self.inst.path("qmp.sock"), 10, self.inst.alive),
                             "qmp-" + self.name)
        self.qmp.read_greeting(10)
        self.qmp.negotiate()
        if self.events_cap:
            self.cmd("migrate-set-capabilities",
                     {"capabilities": [{"capability": "events", "state": True}]})
        if self.want_hmp:
            self.hmp = HMPClient(connect_unix(self.inst.path("hmp.sock"), 10, self.inst.alive),
                                 "hmp-" + self.name)
            self.hmp.read_banner(5)
        if self.workload and not self.is_qemu and self.workload_via == "qmp":
            self.cmd("x-workload", self.workload_args(self.workload))
        return self

    @staticmethod
    def workload_args(wl):
        out = {}
        for k, v in wl.items():
            out[k] = parse_size(v) if k in ("rate", "wss") else v
        return out

    def alive(self):
        return self.inst.alive()

    def wait_exit(self, timeout=10.0):
        return self.inst.wait(timeout)

    def stderr(self):
        return self.inst.stderr().decode(errors="replace")

    def kill(self):
        self.inst.kill()

    def close_monitors(self):
        for c in (self.qmp, self.hmp):
            if c is not None:
                c.close()

    # -- QMP -----------------------------------------------------------------
    def cmd(self, name, args=None, timeout=5.0, fds=None):
        r = self.qmp.cmd_raw(name, args, fds=fds, timeout=timeout)
        if "error" in r:
            raise AssertionError("%s: %s %s failed: %s\nstderr: %s"
                                 % (self.name, name, json.dumps(args), json.dumps(r), self.stderr()))
        return r["return"]

    def cmd_raw(self, name, args=None, timeout=5.0, fds=None):
        return self.qmp.cmd_raw(name, args, fds=fds, timeout=timeout)

    def query_migrate(self):
        return self.cmd("query-migrate")

    def run_state(self):
        return self.cmd("query-status")

    def hmp_cmd(self, line, timeout=10.0):
        return self.hmp.command(line, timeout).decode()

    def set_caps(self, **caps):
        self.cmd("migrate-set-capabilities",
                 {"capabilities": [{"capability": k.replace("_", "-"), "state": v}
                                   for k, v in caps.items()]})

    def set_params(self, **params):
        self.cmd("migrate-set-parameters", {k.replace("_", "-"): v for k, v in params.items()})

    # -- events --------------------------------------------------------------
    def events(self):
        """Every event received so far, in arrival order."""
        out = []
        for raw in self.qmp.transcript:
            m = json.loads(raw)
            if "event" in m:
                out.append(m)
        return out

    def check_event_timestamps(self, slack=2.0):
        """Event timestamps are the wall clock (within the process's lifetime,
        microseconds < 10^6) and never go backwards."""
        last = None
        now = time.time()
        for e in self.events():
            ts = e["timestamp"]
            t = ts["seconds"] + ts["microseconds"] / 1e6
            assert 0 <= ts["microseconds"] < 1000000, e
            assert self.t_start - slack <= t <= now + slack, (e, self.t_start, now)
            assert last is None or t >= last, ("timestamps go backwards", e, last)
            last = t

    def pump(self, quiet=0.05, timeout=2.0):
        """Read whatever events arrive until ``quiet`` seconds of silence."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                m = self.qmp.recv_msg(quiet)
            except ReadTimeout:
                return
            except ConnectionClosed:
                self.qmp_eof = True
                return
            if "event" not in m:
                raise AssertionError("%s: unexpected reply %r" % (self.name, m))

    def read_to_eof(self, timeout=10.0):
        """Collect events until the process closes QMP (it exited)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.qmp.recv_msg(max(0.01, deadline - time.monotonic()))
            except ConnectionClosed:
                return True
            except ReadTimeout:
                break
        raise AssertionError("%s: QMP not closed within %.0fs" % (self.name, timeout))

    def wait_event(self, pred, timeout=10.0, what="event", since=0):
        """Wait until an event satisfying ``pred`` has been received (also if it
        already was; only events()[since:] count). Returns it."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events()[since:]:
                if pred(e):
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s: no %s within %.0fs; events: %s\nstderr: %s"
                                     % (self.name, what, timeout, event_tokens(self.events()),
                                        self.stderr()))
            try:
                self.qmp.recv_msg(min(left, 0.5))
            except ReadTimeout:
                pass
            except ConnectionClosed:
                raise AssertionError("%s: QMP closed while waiting for %s (exit %r); events: %s\n"
                                     "stderr: %s" % (self.name, what, self.inst.wait(2),
                                                     event_tokens(self.events()), self.stderr()))

    def wait_migration_event(self, status, timeout=30.0, since=0):
        return self.wait_event(lambda e: e["event"] == "MIGRATION"
                               and e["data"]["status"] == status, timeout,
                               "MIGRATION %s event" % status, since)

    def wait_status(self, wanted, timeout=30.0, poll=0.02):
        """Poll query-migrate until its status is in ``wanted``; returns the reply."""
        if isinstance(wanted, str):
            wanted = (wanted,)
        deadline = time.monotonic() + timeout
        last = None
        while True:
            last = self.query_migrate()
            if last.get("status") in wanted:
                return last
            if last.get("status") in ("failed", "cancelled") and not set(wanted) & {"failed", "cancelled"}:
                raise AssertionError("%s: migration %s while waiting for %s: %s\nstderr: %s"
                                     % (self.name, last.get("status"), wanted, json.dumps(last),
                                        self.stderr()))
            if time.monotonic() > deadline:
                raise AssertionError("%s: status %r not reached within %.0fs; last: %s\nstderr: %s"
                                     % (self.name, wanted, timeout, json.dumps(last), self.stderr()))
            time.sleep(poll)

    def wait_source_completed(self, timeout=60.0, since=0):
        """Wait for the source's migration to complete and settle; returns the
        final query-migrate. QEMU 7.2 announces ``completed`` (event and
        status) from the migration thread *before* it computes total-time/
        downtime and moves finish-migrate -> postmigrate under the BQL, so a
        query right after the event can see ``"total-time": 0``; the final
        values are those seen once the run state has left finish-migrate."""
        if self.events_cap:
            self.wait_migration_event("completed", timeout, since)
        else:
            self.wait_status("completed", timeout)
        deadline = time.monotonic() + 10
        while self.run_state()["status"] == "finish-migrate":
            assert time.monotonic() < deadline, "%s: still finish-migrate" % self.name
            time.sleep(0.01)
        return self.query_migrate()

    # -- guest ---------------------------------------------------------------
    def digest(self):
        """Digest of guest RAM (migemu: x-query-guest-digest; QEMU: recomputed
        from the backing file or a pmemsave dump)."""
        if not self.is_qemu:
            r = self.cmd("x-query-guest-digest")
            assert set(r) == {"digest", "algorithm"}, r
            assert re.fullmatch(r"[0-9a-f]{64}", r["digest"]), r
            return r["digest"]
        return self.file_digest()

    @property
    def fill_region(self):
        """(offset, length) of guest RAM that a test may overwrite from outside:
        all of it, except the low 1 MiB of QEMU's pc workload guests (the
        firmware's interrupt vectors, stack and working set live there)."""
        return (0, self.ram) if self.machine == "none" else (MiB, self.ram - MiB)

    @property
    def unstable(self):
        """RAM ranges excluded from source/destination comparisons: none, except
        the firmware stack page of QEMU's pc workload guests (ROM_STACK_PAGE)."""
        return [ROM_STACK_PAGE] if self.machine == "pc" else []

    def file_digest(self):
        if self.memfile:
            with open(self.memfile, "rb") as f:
                return ram_digest([(self.block, _blank(f.read(), 0, self.unstable))])
        dump = os.path.join(self.dir, "ram.dump")
        self.cmd("pmemsave", {"val": 0, "size": self.ram, "filename": dump}, timeout=30)
        with open(dump, "rb") as f:
            data = f.read()
        os.unlink(dump)
        return ram_digest([(self.block, data)])

    def workload_info(self):
        return None if self.is_qemu else self.cmd("x-query-workload")


def event_tokens(events, names=("MIGRATION", "MIGRATION_PASS", "STOP", "RESUME")):
    """Compact list like ['MIGRATION:setup', 'MIGRATION_PASS:1', 'STOP']."""
    out = []
    for e in events:
        if e["event"] not in names:
            continue
        if e["event"] == "MIGRATION":
            out.append("MIGRATION:" + e["data"]["status"])
        elif e["event"] == "MIGRATION_PASS":
            out.append("MIGRATION_PASS:%d" % e["data"]["pass"])
        else:
            out.append(e["event"])
    return out


class MigEnv:
    def __init__(self, bins):
        self.bins = bins
        self.dir = tempfile.mkdtemp(prefix="mm-", dir="/tmp")
        self.tag = os.path.basename(self.dir)[3:] + uuid.uuid4().hex[:4]
        self.vms = []
        self.shm_files = set()
        self.sockets = []

    def is_qemu(self, binary):
        return same_file(binary, self.bins.qemu)

    def vm(self, which, name, start=True, **kw):
        """``which``: "migemu" (binary under test), "qemu" (reference) or a path."""
        binary = {"migemu": None, "qemu": self.bins.qemu}.get(which, which)
        if binary is None:
            binary = self.bins.migemu  # fails the test if missing
        v = VM(self, binary, name, is_qemu=self.is_qemu(binary), **kw)
        self.vms.append(v)
        if start:
            v.start()
        return v

    def path(self, name):
        return os.path.join(self.dir, name)

    def cleanup(self):
        for v in self.vms:
            v.close_monitors()
            v.kill()
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass
        for f in self.shm_files:
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def mig(bins):
    env = MigEnv(bins)
    try:
        yield env
    finally:
        env.cleanup()


# ---------------------------------------------------------------------------
# assertions shared by the test files


def check_completed_info(info, ram_total=None):
    """query-migrate on a completed source (reference 3.2)."""
    assert info["status"] == "completed", info
    assert set(info) == COMPLETED_KEYS, "completed query-migrate keys: %s" % sorted(info)
    for k in ("setup-time", "downtime", "total-time"):
        assert isinstance(info[k], int) and info[k] >= 0, (k, info)
    assert info["setup-time"] <= info["total-time"], info
    assert info["downtime"] <= info["total-time"], info
    ram = info["ram"]
    assert set(ram) == RAM_STATS_KEYS, "ram keys: missing %s extra %s" % (
        sorted(RAM_STATS_KEYS - set(ram)), sorted(set(ram) - RAM_STATS_KEYS))
    assert ram["remaining"] == 0 and ram["dirty-pages-rate"] == 0, ram
    assert ram["page-size"] == PAGE and ram["skipped"] == 0, ram
    assert ram["normal-bytes"] == ram["normal"] * PAGE, ram
    assert ram["postcopy-requests"] == 0 and ram["postcopy-bytes"] == 0, ram
    assert ram["multifd-bytes"] == 0, ram
    assert isinstance(ram["mbps"], (int, float)), ram
    assert ram["dirty-sync-count"] >= 2, ram
    assert ram["transferred"] >= ram["normal-bytes"], ram
    assert ram["transferred"] == ram["precopy-bytes"] + ram["downtime-bytes"], ram
    if ram_total is not None:
        assert ram["total"] == ram_total, ram
        assert ram["normal"] + ram["duplicate"] >= ram_total // PAGE, ram


def check_source_events(tokens, running=True, pause_before_switchover=False):
    """Source sequence from the first MIGRATION setup (reference 3.6):
    setup, PASS 1, active, PASS k..., [STOP], [pre-switchover, device,] PASS n, completed;
    pass numbers consecutive from 1. Returns the number of passes."""
    seq = [t for t in tokens if t.split(":")[0] in ("MIGRATION", "MIGRATION_PASS", "STOP")]
    assert seq[:3] == ["MIGRATION:setup", "MIGRATION_PASS:1", "MIGRATION:active"], seq
    passes = [int(t.split(":")[1]) for t in seq if t.startswith("MIGRATION_PASS:")]
    assert passes == list(range(1, len(passes) + 1)), seq
    tail = [t for t in seq[3:] if not t.startswith("MIGRATION_PASS:")]
    expect = (["STOP"] if running else []) + (
        ["MIGRATION:pre-switchover", "MIGRATION:device"] if pause_before_switchover else []) + [
        "MIGRATION:completed"]
    assert tail == expect, seq
    # the final dirty-bitmap sync comes after the switchover starts
    last_pass = max(i for i, t in enumerate(seq) if t.startswith("MIGRATION_PASS:"))
    if running:
        assert seq.index("STOP") < last_pass, seq
    assert seq[-1] == "MIGRATION:completed" and last_pass == len(seq) - 2, seq
    return len(passes)


def check_dest_events(tokens, resumes=True, setup=True):
    """Destination sequence: setup, active, [RESUME], completed.
    ``setup=None``: the destination got ``-incoming URI`` on its command line,
    so its setup event was emitted while the QMP client was connecting and
    may or may not have been received (a race in QEMU as well)."""
    seq = [t for t in tokens if t.split(":")[0] in ("MIGRATION", "RESUME", "STOP")]
    if setup is None and seq[:1] == ["MIGRATION:setup"]:
        seq = seq[1:]
    want = (["MIGRATION:setup"] if setup else []) + ["MIGRATION:active"] + (
        ["RESUME"] if resumes else []) + ["MIGRATION:completed"]
    assert seq == want, seq


def status_of(vm):
    return vm.run_state()


# ---------------------------------------------------------------------------
# migration stream builders (QEMU 7.2 format, reference 5.2-5.9)

def be16(v):
    return struct.pack(">H", v)


def be32(v):
    return struct.pack(">I", v)


def be64(v):
    return struct.pack(">Q", v)


def counted(s):
    if isinstance(s, str):
        s = s.encode()
    return bytes([len(s)]) + s


RAM_SID = 2
TIMER_SID = 0
GLOBALSTATE_SID = 4
RAM_FLAG_ZERO = 0x02
RAM_FLAG_MEM_SIZE = 0x04
RAM_FLAG_PAGE = 0x08
RAM_FLAG_EOS = 0x10
RAM_FLAG_CONTINUE = 0x20

VMDESC = (b'{"page_size": 4096, "devices": [{"name": "timer", "instance_id": 0, "vmsd_name": '
          b'"timer", "version": 2, "fields": [{"name": "cpu_ticks_offset", "type": "int64", '
          b'"size": 8}, {"name": "unused", "type": "unused_buffer", "size": 8}, {"name": '
          b'"cpu_clock_offset", "type": "int64", "size": 8}]}, {"name": "globalstate", '
          b'"instance_id": 0, "vmsd_name": "globalstate", "version": 1, "fields": [{"name": '
          b'"size", "type": "uint32", "size": 4}, {"name": "runstate", "type": "buffer", '
          b'"size": 100}]}]}')


def header(magic=b"QEVM", version=3):
    return magic + be32(version)


def configuration(machine="none"):
    m = machine.encode()
    return b"\x07" + be32(len(m)) + m


def footer(sid):
    return b"\x7e" + be32(sid)


def section_start(sid, idstr, instance, version):
    return b"\x01" + be32(sid) + counted(idstr) + be32(instance) + be32(version)


def section_full(sid, idstr, instance, version):
    return b"\x04" + be32(sid) + counted(idstr) + be32(instance) + be32(version)


def section_part(sid):
    return b"\x02" + be32(sid)


def section_end(sid):
    return b"\x03" + be32(sid)


def ram_setup(blocks):
    """SECTION_START body for RAM: blocks = [(idstr, length)]."""
    total = sum(n for _, n in blocks)
    body = be64(total | RAM_FLAG_MEM_SIZE)
    for name, n in blocks:
        body += counted(name) + be64(n)
    return body + be64(RAM_FLAG_EOS)


def ram_pages(block, pages):
    """Page records: pages = [(offset, bytes or int fill)]; first names the block."""
    out = b""
    first = True
    for off, content in pages:
        cont = 0 if first else RAM_FLAG_CONTINUE
        name = counted(block) if first else b""
        if isinstance(content, int):
            out += be64(off | RAM_FLAG_ZERO | cont) + name + bytes([content])
        else:
            assert len(content) == PAGE
            out += be64(off | RAM_FLAG_PAGE | cont) + name + content
        first = False
    return out


def timer_section(sid=TIMER_SID):
    return section_full(sid, "timer", 0, 2) + bytes(24) + footer(sid)


def globalstate_section(state="running", sid=GLOBALSTATE_SID):
    s = state.encode() + b"\0"
    return section_full(sid, "globalstate", 0, 1) + be32(len(s)) + s.ljust(100, b"\0") + footer(sid)


def valid_stream(ram_size=64 * MiB, block="ram", pages=None, state="running"):
    """A complete stream that a 7.2 ``-M none -m SIZE -nodefaults`` destination
    accepts. ``pages`` default: a few data pages and a zero page."""
    if pages is None:
        pages = [(0, b"\xaa" * PAGE), (PAGE, 0), (5 * PAGE, bytes(range(256)) * 16)]
    return (header() + configuration() +
            section_start(RAM_SID, "ram", 0, 4) + ram_setup([(block, ram_size)]) + footer(RAM_SID) +
            section_part(RAM_SID) + ram_pages(block, pages) + be64(RAM_FLAG_EOS) + footer(RAM_SID) +
            section_end(RAM_SID) + be64(RAM_FLAG_EOS) + footer(RAM_SID) +
            timer_section() + globalstate_section(state) +
            b"\x00" + b"\x06" + be32(len(VMDESC)) + VMDESC)


def connect_tcp(port, timeout=10.0, alive=None):
    return connect_unix(("127.0.0.1", port), timeout, alive)


def read_all(sock, timeout=10.0):
    """Read until EOF (or timeout); returns the bytes."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


__all__ = [n for n in dir() if not n.startswith("_")] + ["_ZERO_PAGE"]
