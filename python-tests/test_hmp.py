"""HMP (human monitor) over a unix socket, compared byte for byte with QEMU 7.2:
banner, prompt, readline echo/redraw bytes, editing keys, history, help,
info commands, run-state commands, errors, quit. One test drives HMP
through the real ``socat`` binary the way a user would.
"""

import os
import socket
import subprocess

from differential import STD_ARGS, unix_server
from monclient import RawSocket

HMP_ARGS = ["-monitor", unix_server("hmp.sock")]


def start(s, *extra):
    s.launch(*STD_ARGS, *HMP_ARGS, *extra)
    return s.hmp()


def typed(h, line, prompts=1, end=b"\r"):
    """Send a whole line (one write) and wait for the next prompt(s)."""
    return h.send(line + end, prompts=prompts)


# ---------------------------------------------------------------------------


def test_banner_prompt_and_empty_lines(differ):
    def script(s):
        h = start(s)
        h.send(b"\r", prompts=1)
        h.send(b"\n", prompts=1)
        h.send(b"\r\n", prompts=2)    # CRLF = two Enter presses
        h.send(b"\n\r", prompts=2)
        h.send(b"   \r", prompts=1)
        h.send(b"\r\r\r", prompts=3)
    differ(script)


def test_echo_of_typed_lines(differ):
    def script(s):
        h = start(s)
        typed(h, b"info status")
        typed(h, b"info status", end=b"\n")
        # byte by byte, each in its own write
        for b in b"info version":
            h.raw.send(bytes([b]))
        h.send(b"\r", prompts=1)
        typed(h, b"x" * 150)                   # long unknown command
        typed(h, b"info  status")              # two spaces
        typed(h, b"  info status  ")           # leading/trailing blanks
        typed(h, "caf\u00e9 \u20ac".encode())  # non-ASCII bytes are echoed as typed
    differ(script)


def test_backspace(differ):
    def script(s):
        h = start(s)
        typed(h, b"abc\x7f\x7fd")
        typed(h, b"abc\x08\x08\x08\x08\x08")     # more backspaces than characters
        typed(h, b"\x7f\x7finfo stat\x7fus")
        typed(h, b"info statuss\x08")
        typed(h, b"stop\x7f\x7f\x7f\x7fcont")
    differ(script)


def test_ctrl_a_ctrl_e_and_cursor_keys(differ):
    def script(s):
        h = start(s)
        typed(h, b"tus\x01info sta\x05")
        typed(h, b"status\x01info \x05")
        typed(h, b"info stXus\x1b[D\x1b[D\x1b[D\x7f\x05")       # left arrow, backspace mid-line
        typed(h, b"nfo status\x01\x1b[Ci\x1b[D\x1b[D\x1b[C\x05")  # right arrow
        typed(h, b"info status\x01\x01\x05\x05")
        typed(h, b"\x01\x05info name")
        typed(h, b"info uuid\x1b[H\x1b[F")                      # Home / End escape keys
    differ(script)


K = b"\x1b[K"  # every readline redraw ends with ESC [ K


def test_history(differ):
    def script(s):
        h = start(s)
        typed(h, b"info status")
        typed(h, b"info name")
        typed(h, b"info uuid")
        typed(h, b"info name")              # duplicate entry
        h.send(b"\x1b[A", until=K)
        h.send(b"\x1b[A", until=K)
        h.send(b"\x1b[A", until=K)
        h.send(b"\x1b[A", nothing=0.2)      # beyond the oldest entry
        h.send(b"\x1b[A", nothing=0.2)
        h.send(b"\x1b[B", until=K)
        h.send(b"\r", prompts=1)            # runs the recalled line
        h.send(b"\x1b[A\x1b[A\x1b[B\x1b[B", until=K, count=4)
        h.send(b"\x1b[B", nothing=0.2)      # beyond the newest entry
        h.send(b"\r", prompts=1)
        h.send(b"\x1b[A\x7f\x7f\x7f\x7fkvm\r", prompts=1)  # edit a recalled line
        h.send(b"\x1b[A\x1b[A", until=K, count=2)
        h.send(b"\x05 x\r", prompts=1)
        h.send(b"\x1b[A\r", prompts=1)
        typed(h, b"xyz\x1b[A\x1b[B")         # typed text, up, down
    differ(script)


def test_help(differ):
    def script(s):
        h = start(s)
        for line in [b"help stop", b"? cont", b"help c", b"help s", b"help q", b"help quit",
                     b"help help", b"help info status", b"help info version",
                     b"help info nosuch", b"help nosuch", b"help system_reset",
                     b"help system_powerdown", b"? stop cont", b"help migrate",
                     b"help migrate_set_parameter", b"help info migrate"]:
            typed(h, line)
    differ(script)


def test_info_commands(differ):
    def script(s):
        h = start(s)
        for line in [b"info status", b"info version", b"info name", b"info uuid", b"info kvm",
                     b"info nosuch", b"info status x", b"info version 1"]:
            typed(h, line)
    differ(script)


def _listing(binary, line):
    """The output lines of one HMP command (after the echo), as a list."""
    from launcher import Instance
    from monclient import HMPClient, connect_unix
    inst = Instance(binary, STD_ARGS + HMP_ARGS).start()
    try:
        h = HMPClient(connect_unix(inst.path("hmp.sock"), 10, inst.alive))
        h.read_banner()
        out = h.command(line.decode()).decode()
        h.close()
        return [l for l in out.split("\r\n") if l]
    finally:
        inst.cleanup()


def test_full_help_listings_are_qemus_lines_for_what_migemu_implements(bins):
    # `help` and `info` list every command of the binary. migemu implements a
    # subset of QEMU's commands, so its listing must be QEMU's lines for those
    # commands, in QEMU's (sorted) order, plus only migemu's own x_ commands.
    for line in (b"help", b"?", b"info", b"help info"):
        ours = _listing(bins.migemu, line)
        theirs = _listing(bins.qemu, line)
        assert ours, line
        pos = 0
        for l in ours:
            name = l.split(" -- ")[0].split()
            if name and (name[0].startswith("x_") or (name[0] == "info" and len(name) > 1
                                                      and name[1].startswith("x_"))):
                continue  # migemu-only commands are x_ prefixed
            assert l in theirs[pos:], "%r: line %r is not in QEMU's listing (in order)" % (line, l)
            pos = theirs.index(l, pos) + 1


def test_info_with_name_and_uuid(differ):
    def script(s):
        h = start(s, "-name", "my vm", "-uuid", "0A0B0C0D-1111-2222-3333-444455556666", "-S")
        for line in [b"info name", b"info uuid", b"info status"]:
            typed(h, line)
    differ(script)


def test_stop_cont(differ):
    def script(s):
        h = start(s)
        for line in [b"info status", b"stop", b"info status", b"stop", b"s", b"cont",
                     b"info status", b"c", b"s", b"info status", b"c", b"stop x", b"c x",
                     b"cont 1", b"system_reset", b"system_powerdown", b"info status"]:
            typed(h, line)
    differ(script)


def test_prelaunch_and_incoming(differ):
    def script(s):
        h = start(s, "-S")
        for line in [b"info status", b"stop", b"info status", b"c", b"info status"]:
            typed(h, line)
        s.launch(*STD_ARGS, "-monitor", unix_server("hmp2.sock"), "-incoming", "defer",
                 subdir="incoming")
        h2 = s.hmp("hmp2.sock")
        for line in [b"info status", b"c", b"info status"]:
            typed(h2, line)
    differ(script)


def test_unknown_commands_and_bad_arguments(differ):
    def script(s):
        h = start(s)
        for line in [b"foo", b"info foo", b"Info status", b"STOP", b"stop_x", b"st",
                     b"\"stop\"", b"stop;", b"help stop x y", b"q x", b"quit now"]:
            typed(h, line)
    differ(script)


def test_missing_arguments(differ):
    """HMP getfd/closefd (the HMP faces of QMP getfd/closefd): required
    string argument missing, unknown name, quoted argument."""
    def script(s):
        h = start(s)
        for line in [b"getfd", b"closefd", b"closefd nosuch", b"closefd \"a b\"",
                     b"getfd 1abc"]:
            typed(h, line)
        s.launch_std(subdir="qmp")
        q = s.qmp(negotiate=True)
        r, w = os.pipe()
        try:
            q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": "getfd h"}}',
                   fds=[r], msgs=1)
            q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": "closefd h"}}',
                   msgs=1)
            q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": "closefd h"}}',
                   msgs=1)
        finally:
            os.close(r)
            os.close(w)
    differ(script)


def test_quit_variants(differ):
    def script(s):
        h = start(s)
        typed(h, b"info status")
        h.send(b"q\r", eof=True)
        s.wait_exit()
        s.record_output()
        s.launch(*STD_ARGS, *HMP_ARGS, subdir="second")
        h = s.hmp()
        h.send(b"quit\r", eof=True)
        s.wait_exit()
    differ(script)


def test_reconnect(differ):
    def script(s):
        h = start(s)
        typed(h, b"info status")
        typed(h, b"stop")
        h.send(b"info na", until=K, count=7)   # unfinished line
        h.close()
        h = s.hmp(name="hmp#2")
        h.send(b"me\r", prompts=1)
        h.send(b"\x1b[A", until=K)    # history survives the reconnect
        h.send(b"\x1b[A", until=K)
        h.send(b"\r", prompts=1)
        typed(h, b"info status")
    differ(script)


def test_hmp_via_mon_readline_chardev(differ):
    def script(s):
        s.launch(*STD_ARGS, "-chardev", "socket,id=h,path=h.sock,server=on,wait=off",
                 "-mon", "chardev=h,mode=readline",
                 "-chardev", "socket,id=h2,path=h2.sock,server=on,wait=off", "-mon", "chardev=h2")
        h = s.hmp("h.sock")
        h2 = s.hmp("h2.sock")
        typed(h, b"stop")
        typed(h2, b"info status")
        typed(h2, b"c")
        typed(h, b"info status")
        h2.send(b"q\r", eof=True)
        h.expect(eof=True, label="h: closed by quit on h2")
        s.wait_exit()
    differ(script)


# ---------------------------------------------------------------------------
# the real socat binary, as a user would run it


class SocatProcess(RawSocket):
    """``socat - UNIX-CONNECT:path`` with stdin from a pipe; its stdout is a
    socketpair end, read like any other monitor connection."""

    def __init__(self, path):
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(["socat", "-", "UNIX-CONNECT:" + path],
                                     stdin=subprocess.PIPE, stdout=theirs.fileno(),
                                     stderr=subprocess.PIPE)
        theirs.close()
        super().__init__(ours, "socat")

    def send(self, data, fds=None):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        super().close()


def test_socat_session(differ):
    def script(s):
        from differential import Channel
        s.launch(*STD_ARGS, *HMP_ARGS)
        path = s.inst.wait_for_path("hmp.sock")
        sp = SocatProcess(path)
        ch = Channel(s, sp, "socat")
        s.channels.append(ch)
        ch.expect(prompts=1, label="socat: banner")
        for line in [b"info status", b"info version", b"stop", b"info status", b"c",
                     b"foo", b"help cont", b"info name"]:
            ch.send(line + b"\n", prompts=1)
        ch.send(b"q\n", eof=True)
        rc = sp.proc.wait(timeout=10)
        s.note("socat exit code", rc)
        s.record("socat stderr", sp.proc.stderr.read(), "output")
        s.wait_exit()
    differ(script)


def test_socat_piped_script_without_waiting(differ):
    """All commands written at once and stdin closed, like
    ``printf 'info status\\nstop\\n...' | socat - UNIX-CONNECT:...``."""
    def script(s):
        s.launch(*STD_ARGS, *HMP_ARGS, "-S")
        path = s.inst.wait_for_path("hmp.sock")
        p = subprocess.run(["socat", "-t", "2", "-", "UNIX-CONNECT:" + path],
                           input=b"info status\nc\ninfo status\nfoo\nhelp stop\nq\n",
                           capture_output=True, timeout=20)
        s.record("socat stdout", p.stdout)
        s.note("socat exit code", p.returncode)
        s.wait_exit()
    differ(script)


def test_other_editing_keys(differ):
    """Readline keys beyond backspace/ctrl-a/ctrl-e/history: ^D (delete under
    the cursor), ^W (delete word backwards), ^L (clear screen), ESC [ 3 ~
    (Delete), ESC [ 1 ~ / ESC [ 4 ~ and ESC O H / ESC O F (Home/End)."""
    def script(s):
        h = start(s)
        typed(h, b"info xstatus\x01\x1b[C\x1b[C\x1b[C\x1b[C\x1b[C\x04")
        typed(h, b"info name status\x17\x17\x17info status")
        typed(h, b"info statusX\x1b[D\x1b[3~")
        typed(h, b"nfo status\x1b[1~i\x1b[4~")
        typed(h, b"nfo uuid\x1bOHi\x1bOF")
        h.send(b"info st\x0c", prompts=1)
        h.send(b"atus\r", prompts=1)
        typed(h, b"\x04\x17\x1b[3~info kvm")
    differ(script)


def test_second_hmp_client_waits(differ):
    def script(s):
        h1 = start(s)
        h2 = s.hmp(name="second", banner=False)
        h2.expect(nothing=0.3, label="second: nothing while the first is connected")
        h2.send(b"stop\r", nothing=0.2, label="second: typed while waiting (not served yet)")
        typed(h1, b"info status")
        h1.close()
        h2.expect(prompts=2, label="second: banner, then the early line runs")
        typed(h2, b"info status")
    differ(script)
