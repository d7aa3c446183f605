"""Raw clients for QEMU's monitors over unix sockets.

* ``RawSocket``: byte-level connection with a receive buffer; reads until a
  condition holds (n lines, n messages, a prompt, EOF) or a timeout expires.
  Sending can carry file descriptors (SCM_RIGHTS via ``socket.send_fds``).
* ``QMPClient``: a small QMP client on top (greeting, negotiation, commands
  returning parsed replies, events collected on the side).
* ``HMPClient``: a human-monitor client (banner, prompt, raw typed bytes).

Nothing here hides or rewrites bytes: the raw received bytes are always
available, because the differential tests compare them exactly.
"""

import errno
import json
import os
import select
import socket
import time

DEFAULT_TIMEOUT = 3.0
PROMPT = b"(qemu) "


class ReadTimeout(Exception):
    def __init__(self, what, data):
        super().__init__("timed out waiting for %s; received so far: %r" % (what, data[-2000:]))
        self.data = data


class ConnectionClosed(Exception):
    def __init__(self, what, data):
        super().__init__("connection closed while waiting for %s; received: %r"
                         % (what, data[-2000:]))
        self.data = data


def connect_unix(path, timeout=DEFAULT_TIMEOUT, alive=None):
    """Connect to a unix socket (or to ("127.0.0.1", port) over TCP), retrying
    while it does not exist or does not listen yet. ``alive`` (callable)
    aborts the retries when the server died."""
    deadline = time.monotonic() + timeout
    while True:
        if isinstance(path, tuple):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError as e:
            s.close()
            if e.errno not in (errno.ENOENT, errno.ECONNREFUSED, errno.EAGAIN):
                raise
            if alive is not None and not alive():
                raise ConnectionRefusedError("server process exited before %s was connectable" % path)
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def complete_messages(data):
    """Number of complete top-level QMP messages in ``data``.

    Compact mode: every ``{...}\\r\\n`` line is a message. Pretty mode: a
    message ends with a line that is exactly ``}\\r\\n`` (nested closing
    brackets are indented).
    """
    n = 0
    for line in data.split(b"\r\n")[:-1]:
        if line == b"}" or (line.startswith(b"{") and line.endswith(b"}")):
            n += 1
    return n


class RawSocket:
    def __init__(self, sock, name="sock"):
        self.sock = sock
        self.name = name
        self.buf = b""
        self.eof = False

    @classmethod
    def connect(cls, path, timeout=DEFAULT_TIMEOUT, alive=None, name=None):
        return cls(connect_unix(path, timeout, alive), name or os.path.basename(path))

    # -- sending -----------------------------------------------------------
    def send(self, data, fds=None):
        if isinstance(data, str):
            data = data.encode()
        if fds:
            n = socket.send_fds(self.sock, [data], list(fds))
            if n < len(data):
                self.sock.sendall(data[n:])
        else:
            self.sock.sendall(data)

    def send_nowait(self, data):
        """Send as much as possible without blocking forever (used for floods
        to a peer that may stop reading). Returns the number of bytes sent."""
        sent = 0
        self.sock.setblocking(False)
        try:
            while sent < len(data):
                try:
                    sent += self.sock.send(data[sent:sent + 65536])
                except BlockingIOError:
                    r = select.select([], [self.sock], [], 2.0)
                    if not r[1]:
                        break
                except (BrokenPipeError, ConnectionResetError):
                    break
        finally:
            self.sock.setblocking(True)
        return sent

    # -- receiving ---------------------------------------------------------
    def _fill(self, deadline):
        """Receive once (waiting at most until ``deadline``). Returns False on
        timeout, True if data or EOF arrived."""
        if self.eof:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], remaining)
        if not r:
            return False
        try:
            chunk = self.sock.recv(1 << 20)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
        else:
            self.buf += chunk
        return True

    def read_until(self, pred, timeout=DEFAULT_TIMEOUT, what="data"):
        """Read until ``pred(buf)`` returns an index (bytes to consume) that
        is not None. Returns the consumed bytes. Raises ReadTimeout or
        ConnectionClosed (both carry what had been received)."""
        deadline = time.monotonic() + timeout
        while True:
            idx = pred(self.buf)
            if idx is not None:
                out, self.buf = self.buf[:idx], self.buf[idx:]
                return out
            if self.eof:
                data, self.buf = self.buf, b""
                raise ConnectionClosed(what, data)
            if not self._fill(deadline):
                data, self.buf = self.buf, b""
                raise ReadTimeout(what, data)

    def read_lines(self, n, timeout=DEFAULT_TIMEOUT):
        """Read exactly ``n`` lines terminated by \\r\\n."""
        def pred(buf):
            pos = 0
            for _ in range(n):
                i = buf.find(b"\r\n", pos)
                if i < 0:
                    return None
                pos = i + 2
            return pos
        return self.read_until(pred, timeout, "%d line(s)" % n)

    def read_messages(self, n, timeout=DEFAULT_TIMEOUT):
        """Read ``n`` complete QMP messages (compact or pretty)."""
        def pred(buf):
            pos = 0
            count = 0
            while count < n:
                i = buf.find(b"\r\n", pos)
                if i < 0:
                    return None
                line = buf[pos:i]
                pos = i + 2
                if line == b"}" or (line.startswith(b"{") and line.endswith(b"}")):
                    count += 1
            return pos
        return self.read_until(pred, timeout, "%d message(s)" % n)

    def read_prompts(self, n=1, timeout=DEFAULT_TIMEOUT, prompt=PROMPT):
        """Read until ``n`` prompts were received and the data ends with one."""
        def pred(buf):
            pos = 0
            for _ in range(n):
                i = buf.find(prompt, pos)
                if i < 0:
                    return None
                pos = i + len(prompt)
            return pos
        return self.read_until(pred, timeout, "%d prompt(s)" % n)

    def read_eof(self, timeout=DEFAULT_TIMEOUT):
        """Read everything until the peer closes the connection."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            if not self._fill(deadline):
                data, self.buf = self.buf, b""
                raise ReadTimeout("EOF", data)
        data, self.buf = self.buf, b""
        return data

    def read_available(self, quiet=0.1, timeout=DEFAULT_TIMEOUT):
        """Read until nothing arrives for ``quiet`` seconds (or EOF)."""
        hard = time.monotonic() + timeout
        while not self.eof and time.monotonic() < hard:
            if not self._fill(min(hard, time.monotonic() + quiet)):
                break
        data, self.buf = self.buf, b""
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)


class QMPError(Exception):
    def __init__(self, reply):
        super().__init__(json.dumps(reply))
        self.reply = reply
        self.cls = reply["error"]["class"]
        self.desc = reply["error"]["desc"]


class QMPClient(RawSocket):
    """Minimal QMP client. Events arriving before a reply are kept in
    ``self.events``; ``self.transcript`` keeps every raw received message."""

    def __init__(self, sock, name="qmp"):
        super().__init__(sock, name)
        self.events = []
        self.greeting = None
        self.transcript = []

    def recv_msg(self, timeout=DEFAULT_TIMEOUT):
        raw = self.read_messages(1, timeout)
        self.transcript.append(raw)
        return json.loads(raw)

    def read_greeting(self, timeout=DEFAULT_TIMEOUT):
        # A client that connects while QEMU is still starting may get the
        # start-up RESUME event before the greeting: keep such events.
        while True:
            m = self.recv_msg(timeout)
            if "event" in m:
                self.events.append(m)
                continue
            assert "QMP" in m, m
            self.greeting = m
            return m

    def negotiate(self, enable=None, timeout=DEFAULT_TIMEOUT):
        if self.greeting is None:
            self.read_greeting(timeout)
        args = {"enable": enable} if enable is not None else None
        return self.cmd("qmp_capabilities", args)

    def request(self, name, args=None, id=None, oob=False):
        msg = {"exec-oob" if oob else "execute": name}
        if args is not None:
            msg["arguments"] = args
        if id is not None:
            msg["id"] = id
        return json.dumps(msg).encode()

    def cmd_raw(self, name, args=None, id=None, fds=None, timeout=DEFAULT_TIMEOUT, oob=False):
        """Send a command; return the parsed reply (events are stored)."""
        self.send(self.request(name, args, id, oob), fds=fds)
        while True:
            m = self.recv_msg(timeout)
            if "event" in m:
                self.events.append(m)
                continue
            return m

    def cmd(self, name, args=None, id=None, fds=None, timeout=DEFAULT_TIMEOUT):
        """Send a command; return its ``return`` value or raise QMPError."""
        r = self.cmd_raw(name, args, id, fds, timeout)
        if "error" in r:
            raise QMPError(r)
        return r["return"]

    def wait_event(self, name, timeout=DEFAULT_TIMEOUT):
        for i, e in enumerate(self.events):
            if e["event"] == name:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv_msg(max(0.0, deadline - time.monotonic()))
            if m.get("event") == name:
                return m
            self.events.append(m)


class HMPClient(RawSocket):
    def read_banner(self, timeout=DEFAULT_TIMEOUT):
        return self.read_prompts(1, timeout)

    def command(self, line, timeout=DEFAULT_TIMEOUT):
        """Type ``line`` + CR; return the output between the echo and the
        next prompt (echo bytes stripped as a socket user would)."""
        self.send(line.encode() + b"\r")
        raw = self.read_prompts(1, timeout)
        body = raw[: -len(PROMPT)]
        i = body.rfind(b"\x1b[K\r\n")
        if i >= 0:
            body = body[i + len(b"\x1b[K\r\n"):]
        elif body.startswith(b"\r\n"):
            body = body[2:]
        return body
