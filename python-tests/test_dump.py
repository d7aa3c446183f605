"""dump-guest-memory (ELF, as `virsh dump --memory-only` uses it), QEMU 7.2
vs migemu: same QMP answers and events, same ELF structure; migemu's PT_LOAD
bytes are its guest RAM (a shared memory-backend-file)."""

import json
import os
import socket
import struct
import subprocess
import time

import pytest


class Emu:
    def __init__(self, binary, tmp, name, extra):
        self.sock = os.path.join(tmp, name + ".qmp")
        self.proc = subprocess.Popen(
            [binary, "-nodefaults", "-display", "none", "-S",
             "-qmp", "unix:%s,server=on,wait=off" % self.sock] + extra,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(self.sock)
                break
            except OSError:
                assert time.time() < deadline and self.proc.poll() is None
                time.sleep(0.05)
        self.f = self.s.makefile("rb")
        self.events = []
        json.loads(self.f.readline())
        self.cmd("qmp_capabilities")

    def cmd(self, name, args=None, fds=None):
        m = {"execute": name}
        if args is not None:
            m["arguments"] = args
        data = json.dumps(m).encode() + b"\n"
        if fds:
            socket.send_fds(self.s, [data], fds)
        else:
            self.s.sendall(data)
        while True:
            r = json.loads(self.f.readline())
            if "event" in r:
                self.events.append(r)
                continue
            return r

    def wait_event(self, name, timeout=30):
        self.s.settimeout(timeout)
        while not any(e["event"] == name for e in self.events):
            self.events.append(json.loads(self.f.readline()))
        self.s.settimeout(None)
        return [e for e in self.events if e["event"] == name][-1]["data"]

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.s.close()


def elf_structure(path):
    with open(path, "rb") as f:
        data = f.read(1 << 16)
    cls = data[4]
    if cls == 2:
        eh = struct.unpack_from("<16sHHIQQQIHHHHHH", data)
        phoff, phentsize, phnum = eh[5], eh[9], eh[10]
        phdrs = [struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize) for i in range(phnum)]
        # type, flags, offset, vaddr, paddr, filesz, memsz, align
    else:
        eh = struct.unpack_from("<16sHHIIIIIHHHHHH", data)
        phoff, phentsize, phnum = eh[5], eh[9], eh[10]
        raw = [struct.unpack_from("<IIIIIIII", data, phoff + i * phentsize) for i in range(phnum)]
        phdrs = [(t, fl, o, v, p, fs, ms, a) for t, o, v, p, fs, ms, fl, a in raw]
    notes = []
    if phdrs and phdrs[0][0] == 4:
        off, end = phdrs[0][2], phdrs[0][2] + phdrs[0][5]
        while off < end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            name = data[off + 12:off + 12 + namesz]
            notes.append((name, ntype, descsz))
            off += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    return eh, phdrs, notes, data


def dump_both(bins, tmp_path, extra, dump_args, name="d"):
    out = {}
    for who, binary in (("qemu", bins.qemu), ("migemu", bins.migemu)):
        e = Emu(binary, str(tmp_path), who, extra)
        try:
            path = str(tmp_path / ("%s-%s.elf" % (who, name)))
            args = dict(dump_args, protocol="file:" + path)
            r = e.cmd("dump-guest-memory", args)
            assert r == {"return": {}}, (who, r)
            ev = e.wait_event("DUMP_COMPLETED")
            out[who] = (path, ev, e.cmd("query-dump")["return"])
        finally:
            e.close()
    return out


@pytest.mark.parametrize("extra", [["-M", "pc", "-m", "128"], ["-M", "pc", "-m", "128", "-smp", "2"],
                                   ["-M", "q35", "-m", "128"], ["-M", "none", "-m", "64M"]])
def test_elf_structure_matches_qemu(bins, tmp_path, extra):
    out = dump_both(bins, tmp_path, extra, {"paging": False, "detach": True})
    q, m = out["qemu"], out["migemu"]
    assert q[1] == m[1] and q[2] == m[2]
    assert m[1]["result"]["status"] == "completed"
    qe, qp, qn, qd = elf_structure(q[0])
    me, mp, mn, md = elf_structure(m[0])
    assert qe == me and qp == mp and qn == mn
    # headers and notes byte for byte (migemu's vCPUs are in the reset state)
    head = qp[0][2] + qp[0][5]
    assert qd[:head] == md[:head]
    assert os.path.getsize(q[0]) == os.path.getsize(m[0])


def test_load_data_is_guest_ram(bins, tmp_path):
    ram = tmp_path / "ram"
    size = 128 << 20
    with open(ram, "wb") as f:
        f.truncate(size)
        for off in (0, 0x5000, 0xbf000, 0xc0000, 0x100000, 0x3000000, size - 4096):
            f.seek(off)
            f.write(os.urandom(4096))
    e = Emu(bins.migemu, str(tmp_path), "m",
            ["-M", "pc", "-m", "128", "-object",
             "memory-backend-file,id=mem,size=128M,mem-path=%s,share=on" % ram,
             "-machine", "memory-backend=mem"])
    try:
        path = str(tmp_path / "m.elf")
        assert e.cmd("dump-guest-memory", {"paging": False, "protocol": "file:" + path}) == {"return": {}}
        ev = e.wait_event("DUMP_COMPLETED")
        assert ev["result"]["status"] == "completed"
    finally:
        e.close()
    _, phdrs, _, _ = elf_structure(path)
    with open(path, "rb") as f, open(ram, "rb") as r:
        for t, _, off, _, paddr, filesz, _, _ in phdrs[1:]:
            f.seek(off)
            got = f.read(filesz)
            if paddr < 0xc0000 or 0x100000 <= paddr < 0xfffc0000:
                r.seek(paddr)
                assert got == r.read(filesz), hex(paddr)
            else:
                assert got == bytes(filesz), hex(paddr)  # firmware: not modelled
    # sparse: the holes of the RAM were not written
    assert os.stat(path).st_blocks * 512 < 4 << 20


def test_errors_and_query_dump(bins, tmp_path):
    steps = [
        ("query-dump", None),
        ("query-dump-guest-memory-capability", None),
        ("dump-guest-memory", {"paging": False, "protocol": "fd:nope"}),
        ("dump-guest-memory", {"paging": False, "protocol": "bad:x"}),
        ("dump-guest-memory", {"paging": False, "protocol": "file:/nonexistent/x"}),
        ("dump-guest-memory", {"paging": False, "protocol": "file:%s/x" % tmp_path, "begin": 0}),
        ("dump-guest-memory", {"paging": False, "protocol": "file:%s/x" % tmp_path, "length": 1}),
        ("dump-guest-memory", {"paging": False, "protocol": "file:%s/x" % tmp_path,
                               "begin": 0, "length": 0}),
        ("dump-guest-memory", {"paging": False, "protocol": "file:%s/x" % tmp_path,
                               "begin": 0x8000000, "length": 4096}),
        ("dump-guest-memory", {"paging": True, "protocol": "file:%s/x" % tmp_path,
                               "format": "kdump-zlib"}),
        ("dump-guest-memory", {"paging": False, "protocol": "file:%s/x" % tmp_path,
                               "format": "kdump-lzo"}),
        ("dump-guest-memory", {"paging": False, "protocol": "file:%s/x" % tmp_path,
                               "format": "kdump-snappy"}),
    ]
    res = {}
    for who, binary in (("qemu", bins.qemu), ("migemu", bins.migemu)):
        e = Emu(binary, str(tmp_path), who, ["-M", "pc", "-m", "128"])
        try:
            res[who] = [e.cmd(c, a) for c, a in steps]
            # a dump while one runs: keep one busy on a pipe nobody reads
            rfd, wfd = os.pipe()
            assert e.cmd("getfd", {"fdname": "dump"}, fds=[wfd]) == {"return": {}}
            os.close(wfd)
            assert e.cmd("dump-guest-memory", {"paging": False, "protocol": "fd:dump",
                                               "detach": True}) == {"return": {}}
            res[who].append(e.cmd("query-dump")["return"]["status"])
            res[who].append(e.cmd("dump-guest-memory", {"paging": False,
                                                        "protocol": "file:%s/y" % tmp_path}))
            os.close(rfd)  # the writer fails with EPIPE
            ev = e.wait_event("DUMP_COMPLETED")
            res[who].append((ev["result"]["status"], e.cmd("query-dump")["return"]["status"]))
        finally:
            e.close()
    # migemu writes ELF only: its capability lists only that format
    assert res["migemu"][1] == {"return": {"formats": ["elf"]}}
    res["migemu"][1] = res["qemu"][1]
    assert res["qemu"] == res["migemu"]


def test_libvirt_sequence_fd_and_hmp(bins, tmp_path):
    """stop, getfd, dump fd: detached, DUMP_COMPLETED, cont; then HMP."""
    e = Emu(bins.migemu, str(tmp_path), "m", ["-M", "pc", "-m", "128"])
    try:
        e.cmd("cont")
        assert e.cmd("stop") == {"return": {}}
        path = tmp_path / "x.dump"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        assert e.cmd("getfd", {"fdname": "dump"}, fds=[fd]) == {"return": {}}
        os.close(fd)
        assert e.cmd("dump-guest-memory", {"paging": False, "protocol": "fd:dump",
                                           "detach": True}) == {"return": {}}
        ev = e.wait_event("DUMP_COMPLETED")
        assert ev == {"result": {"total": 134479872, "status": "completed",
                                 "completed": 134479872}}
        assert e.cmd("cont") == {"return": {}}
        assert os.path.getsize(path) == 134481035
        # a running guest is stopped for the dump and resumed after
        e.events.clear()
        h = e.cmd("human-monitor-command",
                  {"command-line": "dump-guest-memory %s/h.elf" % tmp_path})
        assert h == {"return": ""}
        names = [x["event"] for x in e.events]
        assert names == ["STOP", "DUMP_COMPLETED", "RESUME"]
        assert e.cmd("human-monitor-command", {"command-line": "info dump"}) == \
            {"return": "Status: completed\r\n"}
        assert e.cmd("human-monitor-command",
                     {"command-line": "dump-guest-memory -w -z %s/h.elf" % tmp_path}) == \
            {"return": "Error: only one of '-z|-l|-s|-w' can be set\r\n"}
    finally:
        e.close()
