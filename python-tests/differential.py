"""Differential runner: one scripted session, run against QEMU and migemu.

A *script* is a plain function ``script(s)`` that receives a ``Session``. It
launches the emulator (``s.launch``), connects monitors (``s.qmp``, ``s.hmp``),
sends bytes and says how much output to wait for (lines, complete QMP
messages, HMP prompts, EOF). Everything received is recorded step by step.
The script runs first against QEMU (the reference), then against migemu; the
two recordings are masked (see masking.py) and must be byte-identical.

Reading never sleeps for a fixed time: each step reads until the expected
amount of output has arrived, with a timeout. If a step times out or the
connection closes early, what was received is recorded together with a
``<TIMEOUT>``/``<EOF>`` marker and the session stops there. A reference
(QEMU) session that does not complete is reported as a *test bug*.
"""

import json
import os
import shutil
import socket
import tempfile
import time

from launcher import Instance
from masking import timestamps
from monclient import (DEFAULT_TIMEOUT, ConnectionClosed, RawSocket, ReadTimeout,
                       connect_unix)

STD_ARGS = ["-M", "none", "-m", "64M", "-nodefaults", "-display", "none"]


def unix_server(path):
    return "unix:%s,server=on,wait=off" % path


class SessionAbort(Exception):
    pass


class Step:
    __slots__ = ("label", "kind", "data")

    def __init__(self, label, kind, data):
        self.label = label
        self.kind = kind  # "stream" | "output" | "info"
        self.data = data

    def __repr__(self):
        return "Step(%r, %r, %r)" % (self.label, self.kind, self.data)


class Channel:
    """A recorded monitor connection."""

    def __init__(self, session, raw, name):
        self.s = session
        self.raw = raw
        self.name = name
        self.closed = False

    # each wait_* returns the bytes received and records them
    def _wait(self, label, fn):
        try:
            data = fn()
        except ReadTimeout as e:
            self.s.record(label, e.data + b"<TIMEOUT>")
            raise SessionAbort(label)
        except ConnectionClosed as e:
            self.s.record(label, e.data + b"<EOF>")
            raise SessionAbort(label)
        self.s.record(label, data)
        return data

    def send(self, data, lines=None, msgs=None, prompts=None, eof=False, nothing=None,
             until=None, count=1, fds=None, label=None, timeout=DEFAULT_TIMEOUT):
        """Send ``data`` and wait for the given amount of output.

        Exactly one of ``lines`` (\\r\\n-terminated lines), ``msgs`` (complete
        QMP messages, also pretty ones), ``prompts`` (HMP ``(qemu) ``), ``eof``,
        ``until`` (bytes that must have been received ``count`` times) or
        ``nothing`` (seconds of silence, whatever arrives is recorded) may be
        given; with none of them nothing is read.
        """
        if isinstance(data, str):
            data = data.encode()
        label = label or "%s <- %s" % (self.name, _short(data))
        try:
            self.raw.send(data, fds=fds)
        except (BrokenPipeError, ConnectionResetError) as e:
            self.s.record(label, b"<SEND FAILED: %s>" % type(e).__name__.encode())
            raise SessionAbort(label)
        return self.expect(lines=lines, msgs=msgs, prompts=prompts, eof=eof, nothing=nothing,
                           until=until, count=count, label=label, timeout=timeout)

    def expect(self, lines=None, msgs=None, prompts=None, eof=False, nothing=None,
               until=None, count=1, label=None, timeout=DEFAULT_TIMEOUT):
        label = label or "%s: read" % self.name
        if lines is not None:
            return self._wait(label, lambda: self.raw.read_lines(lines, timeout))
        if msgs is not None:
            return self._wait(label, lambda: self.raw.read_messages(msgs, timeout))
        if prompts is not None:
            return self._wait(label, lambda: self.raw.read_prompts(prompts, timeout))
        if until is not None:
            return self._wait(label, lambda: self.raw.read_prompts(count, timeout, prompt=until))
        if eof:
            return self._wait(label, lambda: self.raw.read_eof(timeout) + b"<EOF>")
        if nothing is not None:
            data = self.raw.read_available(quiet=nothing, timeout=nothing + 1.0)
            if self.raw.eof:
                data += b"<EOF>"
            self.s.record(label + " (expect silence)", data)
            return data
        return b""

    def sync(self, tag, label=None, timeout=DEFAULT_TIMEOUT, prefix=b""):
        """Send ``prefix`` + a marker command (query-name with id ``tag``) and
        record everything up to and including the marker's reply. Used when
        the number of replies to some input is not known in advance."""
        marker = b'{"execute": "query-name", "id": "%s"}' % tag.encode()
        end = b'"id": "%s"}\r\n' % tag.encode()
        label = label or "%s: sync %s" % (self.name, tag)
        self.raw.send(prefix + marker)

        def pred(buf):
            i = buf.find(end)
            return None if i < 0 else i + len(end)
        return self._wait(label, lambda: self.raw.read_until(pred, timeout, "marker %s" % tag))

    def close(self):
        if not self.closed:
            self.raw.close()
            self.closed = True


class Session:
    def __init__(self, side, binary, masker):
        self.side = side
        self.binary = binary
        self.masker = masker
        self.steps = []
        self.instances = []
        self.channels = []
        self.values = {}  # free-form per-side results for extra assertions
        self._settled = set()
        self.dir = tempfile.mkdtemp(prefix="mt-%s-" % side[:1], dir="/tmp")
        self.t_start = time.time()
        self.t_end = None
        self.aborted = None

    # -- recording ------------------------------------------------------------
    def record(self, label, data, kind="stream"):
        self.steps.append(Step(label, kind, data))

    def note(self, label, value):
        """Record a non-byte value (exit code, a computed fact) for comparison."""
        self.steps.append(Step(label, "info", repr(value).encode()))

    # -- processes ------------------------------------------------------------
    def launch(self, *args, pass_fds=(), subdir=None):
        d = self.dir if subdir is None else os.path.join(self.dir, subdir)
        os.makedirs(d, exist_ok=True)
        inst = Instance(self.binary, list(args), workdir=d, pass_fds=pass_fds)
        inst.start()
        self.instances.append(inst)
        return inst

    def launch_std(self, *extra, qmp="qmp.sock", subdir=None):
        """Launch ``-M none -m 64M -nodefaults -display none -qmp unix:qmp.sock``."""
        return self.launch(*STD_ARGS, "-qmp", unix_server(qmp), *extra, subdir=subdir)

    @property
    def inst(self):
        return self.instances[-1]

    def path(self, name):
        return os.path.join(self.inst.dir, name)

    def _connect(self, sockname, name, inst):
        inst = inst or self.inst
        label = "connect %s" % (name or ("tcp" if isinstance(sockname, int) else sockname))
        try:
            sock = connect_unix(_addr(inst, sockname), timeout=DEFAULT_TIMEOUT, alive=inst.alive)
        except OSError as e:
            rc = inst.wait(2.0)
            self.record(label, ("<CONNECT FAILED: %s; exit=%r>" % (e.__class__.__name__, rc)).encode())
            self.record("stderr after failed connect", self.masker.output(inst.stderr()), "output")
            raise SessionAbort(label)
        name = name or (sockname if isinstance(sockname, str) else "tcp")
        ch = Channel(self, RawSocket(sock, name), name)
        self.channels.append(ch)
        return ch

    def _settle_qmp(self, sockname, inst):
        """QEMU sends events to a QMP monitor that has never had a client yet,
        so a client that connects while QEMU is still starting up can receive
        the start-up RESUME event before its greeting (a race in QEMU). To keep
        sessions deterministic, unless the VM starts stopped (-S, -incoming),
        the first connection to every QMP socket of a process is a throw-away
        probe that waits for the greeting; after that
        the monitor is in negotiation mode and never sends unsolicited events
        to a fresh client. The probe is not recorded."""
        inst = inst or self.inst
        if "-S" in inst.args or "-incoming" in inst.args:
            return  # the VM does not start running: no start-up event, no race
        key = (id(inst), sockname)
        if key in self._settled:
            return
        self._settled.add(key)
        try:
            sock = connect_unix(_addr(inst, sockname), timeout=DEFAULT_TIMEOUT, alive=inst.alive)
        except OSError:
            return  # the real connection attempt reports the failure
        probe = RawSocket(sock, "probe")
        try:
            probe.read_messages(1, DEFAULT_TIMEOUT)
        except (ReadTimeout, ConnectionClosed):
            pass
        finally:
            probe.close()

    def qmp(self, sockname="qmp.sock", name=None, greeting=True, negotiate=False, inst=None,
            settle=True):
        """Connect to a QMP socket; by default wait for (and record) the greeting."""
        if settle:
            self._settle_qmp(sockname, inst)
        ch = self._connect(sockname, name, inst)
        if greeting:
            ch.expect(msgs=1, label="%s: greeting" % ch.name)
        if negotiate:
            ch.send(b'{"execute": "qmp_capabilities"}', msgs=1)
        return ch

    def hmp(self, sockname="hmp.sock", name=None, banner=True, inst=None):
        ch = self._connect(sockname, name, inst)
        if banner:
            ch.expect(prompts=1, label="%s: banner" % ch.name)
        return ch

    def socket_count(self, inst=None):
        """Number of sockets the process holds open (from /proc/PID/fd)."""
        inst = inst or self.inst
        n = 0
        d = "/proc/%d/fd" % inst.proc.pid
        for fd in os.listdir(d):
            try:
                if os.readlink(os.path.join(d, fd)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
        return n

    def wait_socket_count(self, count, label, timeout=20.0, inst=None):
        """Wait until the process holds exactly ``count`` sockets, e.g. until it
        has noticed that a client went away. Recorded as an info step."""
        deadline = time.monotonic() + timeout
        while True:
            n = self.socket_count(inst)
            if n == count:
                self.note(label, "ok")
                time.sleep(0.05)
                return
            if time.monotonic() > deadline:
                self.note(label, "still %d sockets open, expected %d" % (n, count))
                raise SessionAbort(label)
            time.sleep(0.01)

    def wait_exit(self, timeout=10.0, inst=None):
        inst = inst or self.inst
        rc = inst.wait(timeout)
        self.note("exit code", rc)
        if rc is None:
            raise SessionAbort("process did not exit")
        return rc

    def record_output(self, inst=None, stdout=True):
        inst = inst or self.inst
        if stdout:
            self.record("stdout", self.masker.output(inst.stdout()), "output")
        self.record("stderr", self.masker.output(inst.stderr()), "output")

    # -- end of session ---------------------------------------------------------
    def finish(self, drain=0.1, record_stderr=True):
        for ch in self.channels:
            if ch.closed:
                continue
            data = ch.raw.read_available(quiet=drain, timeout=drain + 1.0)
            self.record("%s: trailing output" % ch.name, data)
        if record_stderr and self.instances:
            self.record("stderr at end", self.masker.output(self.inst.stderr()), "output")

    def cleanup(self):
        self.t_end = time.time()
        for ch in self.channels:
            ch.close()
        for inst in self.instances:
            inst.kill()
        self.stderr_tail = b"".join(i.stderr()[-3000:] for i in self.instances)
        shutil.rmtree(self.dir, ignore_errors=True)


def _addr(inst, sockname):
    """A unix socket name relative to the instance directory, or a TCP port."""
    if isinstance(sockname, int):
        return ("127.0.0.1", sockname)
    return os.path.join(inst.dir, sockname)


def qmp_cmd(cmd, **args):
    """One QMP command as the bytes a session script sends."""
    m = {"execute": cmd}
    if args:
        m["arguments"] = args
    return json.dumps(m).encode()


def hmp_cmd(line, **extra):
    """human-monitor-command for an HMP line (extra: e.g. cpu-index)."""
    return qmp_cmd("human-monitor-command", **{"command-line": line}, **extra)


def free_tcp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _short(data, n=90):
    r = repr(bytes(data))
    return r if len(r) <= n else r[: n - 20] + "..." + r[-17:]


def run_session(script, side, binary, masker, finish=True):
    s = Session(side, binary, masker)
    try:
        try:
            script(s)
            if finish:
                s.finish()
        except SessionAbort as e:
            s.aborted = str(e)
    finally:
        s.cleanup()
    return s


# ---------------------------------------------------------------------------
# comparison


def masked_steps(s):
    out = []
    for st in s.steps:
        if st.kind == "stream":
            data = s.masker.stream(st.data)
        else:
            data = st.data  # output steps are masked when recorded
        out.append((st.label, data))
    return out


def _first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def _show(data, at, ctx=160):
    lo = max(0, at - ctx)
    hi = at + ctx
    prefix = "..." if lo > 0 else ""
    suffix = "..." if hi < len(data) else ""
    return "%s%r%s (len %d)" % (prefix, bytes(data[lo:hi]), suffix, len(data))


def compare(ref, got, max_report=8):
    """Return a list of human-readable mismatch descriptions (empty if equal)."""
    a = masked_steps(ref)
    b = masked_steps(got)
    problems = []
    for i in range(max(len(a), len(b))):
        if i >= len(a):
            problems.append("step %d [%s]: extra step on migemu side: %r" % (i, b[i][0], b[i][1][:300]))
            continue
        if i >= len(b):
            problems.append("step %d [%s]: missing on migemu side (session aborted at %r)\n"
                            "    expected: %r" % (i, a[i][0], got.aborted, a[i][1][:300]))
            continue
        (la, da), (_, db) = a[i], b[i]
        if da != db:
            at = _first_diff(da, db)
            problems.append("step %d [%s]: first difference at byte %d\n    expected: %s\n"
                            "    got:      %s" % (i, la, at, _show(da, at), _show(db, at)))
    if len(problems) > max_report:
        extra = len(problems) - max_report
        problems = problems[:max_report] + ["... and %d more differing steps" % extra]
    return problems


def check_timestamps(s, slack=3.0):
    """Event timestamps must be the wall clock of the session."""
    bad = []
    for st in s.steps:
        if st.kind != "stream":
            continue
        for sec, usec in timestamps(st.data):
            if not (0 <= usec < 1000000) or not (s.t_start - slack <= sec <= (s.t_end or time.time()) + slack):
                bad.append("step [%s]: implausible timestamp seconds=%d microseconds=%d "
                           "(session ran %.0f..%.0f)" % (st.label, sec, usec, s.t_start, s.t_end))
    return bad


def format_transcript(s, limit=40):
    lines = []
    for st in s.steps[:limit]:
        lines.append("  [%s] %s" % (st.label, _short(st.data, 300)))
    if len(s.steps) > limit:
        lines.append("  ... %d more steps" % (len(s.steps) - limit))
    return "\n".join(lines)


def dump(ref, got, directory):
    """Write both masked transcripts (one step per line, repr'd) for inspection."""
    import re as _re
    os.makedirs(directory, exist_ok=True)
    name = os.environ.get("PYTEST_CURRENT_TEST", "session").split(" ")[0]
    name = _re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    for s in (ref, got):
        with open(os.path.join(directory, "%s.%s.txt" % (name, s.side)), "w") as f:
            for label, data in masked_steps(s):
                f.write("[%s]\n    %r\n" % (label, data))


class Differ:
    """Callable fixture object: ``differ(script)`` runs both sides, asserts
    identity and returns (qemu_session, migemu_session)."""

    def __init__(self, ref_bin, test_bin, ref_masker, test_masker, check_binary=None):
        self.check_binary = check_binary
        self.ref_bin = ref_bin
        self.test_bin = test_bin
        self.ref_masker = ref_masker
        self.test_masker = test_masker

    def run_ref(self, script, finish=True):
        ref = run_session(script, "qemu", self.ref_bin, self.ref_masker(), finish)
        if ref.aborted:
            raise AssertionError(
                "TEST BUG: the reference session against QEMU (%s) did not complete (%s).\n"
                "Transcript:\n%s\nQEMU stderr: %r"
                % (self.ref_bin, ref.aborted, format_transcript(ref, 200), ref.stderr_tail))
        return ref

    def __call__(self, script, finish=True):
        if self.check_binary is not None:
            self.check_binary()
        ref = self.run_ref(script, finish)
        got = run_session(script, "migemu", self.test_bin, self.test_masker(), finish)
        dump_dir = os.environ.get("MIGEMU_TEST_DUMP")
        if dump_dir:
            dump(ref, got, dump_dir)
        problems = compare(ref, got)
        problems += check_timestamps(got)
        if problems:
            msg = ["migemu (%s) differs from QEMU (%s):" % (self.test_bin, self.ref_bin)]
            msg += problems
            if got.aborted:
                msg.append("migemu session stopped at: %s" % got.aborted)
            msg.append("migemu stderr tail: %r" % got.stderr_tail[-1500:])
            raise AssertionError("\n".join(msg))
        return ref, got


def listening_unix_socket(path, fixed_fd=None):
    """Create a listening unix socket (as libvirt does before exec'ing QEMU).
    If ``fixed_fd`` is given the socket is moved to that descriptor number so
    that both sides see the same command line. Returns (socket, fd)."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    if fixed_fd is None:
        return srv, srv.fileno()
    while True:  # never clobber a descriptor the test process already uses
        try:
            os.fstat(fixed_fd)
            fixed_fd += 1
        except OSError:
            break
    os.dup2(srv.fileno(), fixed_fd, inheritable=True)
    srv.close()
    return None, fixed_fd
