"""Command line: startup errors (exit code, stdout, stderr with the program
name masked), options whose effect is visible on the monitors, -version,
-daemonize/-pidfile, a listening socket inherited as chardev fd=N (the way
libvirt starts QEMU), JSON -object.
"""

import os
import time

import pytest

from differential import STD_ARGS, SessionAbort, listening_unix_socket, unix_server

BASE = ["-M", "none", "-nodefaults", "-display", "none"]


def expect_startup_failure(s, args):
    s.launch(*args)
    s.wait_exit(timeout=5)
    s.record_output()


STARTUP_ERRORS = {
    "m-foo": BASE + ["-m", "foo"],
    "m-negative": BASE + ["-m", "-1"],
    "m-bad-suffix": BASE + ["-m", "1x"],
    "m-size-foo": BASE + ["-m", "size=foo"],
    "m-missing-arg": BASE + ["-m"],
    "m-maxmem-too-small": BASE + ["-m", "64M,maxmem=32M"],
    "unknown-machine": ["-M", "nosuch", "-nodefaults", "-display", "none"],
    "unknown-machine-long": ["-machine", "nosuch", "-nodefaults", "-display", "none"],
    "machine-unknown-property": ["-M", "none,foo=bar", "-nodefaults", "-display", "none"],
    "M-missing-arg": BASE + ["-M"],
    "unknown-option": BASE + ["-bogus"],
    "unknown-option-double-dash": BASE + ["--bogus"],
    "name-missing-arg": BASE + ["-name"],
    "qmp-missing-arg": BASE + ["-qmp"],
    "uuid-missing-arg": BASE + ["-uuid"],
    "chardev-missing-arg": BASE + ["-chardev"],
    "mon-missing-arg": BASE + ["-mon"],
    "incoming-missing-arg": BASE + ["-incoming"],
    "uuid-bad": BASE + ["-uuid", "xyz"],
    "uuid-short": BASE + ["-uuid", "1234"],
    "uuid-bad-hex": BASE + ["-uuid", "g2345678-9abc-def0-1234-56789abcdef0"],
    "duplicate-chardev-id": BASE + [
        "-chardev", "socket,id=c,path=x1.sock,server=on,wait=off",
        "-chardev", "socket,id=c,path=x2.sock,server=on,wait=off"],
    "mon-unknown-chardev": BASE + ["-mon", "chardev=nochr,mode=control"],
    "mon-without-chardev": BASE + ["-mon", "mode=control"],
    "mon-bad-mode": BASE + ["-chardev", "socket,id=c,path=c.sock,server=on,wait=off",
                            "-mon", "chardev=c,mode=bogus"],
    "qmp-bad-backend": BASE + ["-qmp", "foo:bar"],
    "chardev-bad-backend": BASE + ["-chardev", "bogus,id=x"],
    "chardev-no-id": BASE + ["-chardev", "socket,path=c.sock,server=on,wait=off"],
    "chardev-fd-not-open": BASE + ["-chardev", "socket,id=c,fd=99,server=on,wait=off",
                                   "-mon", "chardev=c,mode=control"],
    "chardev-fd-not-a-number": BASE + ["-chardev", "socket,id=c,fd=abc,server=on,wait=off",
                                       "-mon", "chardev=c,mode=control"],
    "chardev-fd-not-a-socket": BASE + ["-chardev", "socket,id=c,fd=0,server=on,wait=off",
                                       "-mon", "chardev=c,mode=control"],
    "object-json-bad-size": BASE + [
        "-object", '{"qom-type":"memory-backend-ram","id":"mem","size":"x"}'],
    "object-json-no-id": BASE + ["-object", '{"qom-type":"memory-backend-ram","size":67108864}'],
    "object-json-syntax": BASE + [
        "-object", '{"qom-type":"memory-backend-ram","id":"mem","size":67108864'],
    "object-json-unknown-type": BASE + ["-object", '{"qom-type":"nosuch","id":"x"}'],
    "object-duplicate-id": BASE + [
        "-object", '{"qom-type":"memory-backend-ram","id":"mem","size":67108864}',
        "-object", "memory-backend-ram,id=mem,size=1M"],
    "memory-backend-size-mismatch": [
        "-M", "none,memory-backend=mem", "-nodefaults", "-display", "none", "-m", "32M",
        "-object", '{"qom-type":"memory-backend-ram","id":"mem","size":67108864}'],
    "memory-backend-not-found": ["-M", "none,memory-backend=nomem", "-nodefaults",
                                 "-display", "none"],
    "name-short-form-boolean": BASE + ["-name", "plain name,with comma"],
    "m-slots-without-maxmem": BASE + ["-m", "128M,slots=2"],
    "pidfile-bad-dir": BASE + ["-pidfile", "/nonexistent/p.pid"],
    "display-bad": BASE + ["-display", "bogus"],
}


@pytest.mark.parametrize("case", sorted(STARTUP_ERRORS))
def test_startup_error(differ, case):
    args = STARTUP_ERRORS[case]
    differ(lambda s: expect_startup_failure(s, args))


def test_version(differ):
    """Only the first line of -version is compared (the brief's contract)."""
    def script(s):
        for opt in ("-version", "--version"):
            s.launch(opt, subdir=opt)
            s.wait_exit(timeout=5)
            out = s.masker.output(s.inst.stdout())
            s.record("%s: first line" % opt, out.split(b"\n", 1)[0] + b"\n", "output")
            s.note("%s: stdout ends with a newline" % opt, out.endswith(b"\n"))
            s.record("%s: stderr" % opt, s.masker.output(s.inst.stderr()), "output")
    differ(script)


def test_version_line_format(bins):
    from launcher import run_to_exit
    rc, out, err = run_to_exit(bins.migemu, ["-version"], timeout=10)
    assert rc == 0 and err == b""
    first = out.split(b"\n")[0].decode()
    assert first.startswith("QEMU emulator version 7.2.22 ("), first
    assert first.endswith(")")


# ---------------------------------------------------------------------------
# options visible through the monitors


def test_name_and_uuid_options(differ):
    def script(s):
        s.launch_std("-name", "guest=vm1,debug-threads=on", "-uuid",
                     "ABCDEF01-2345-6789-abcd-ef0123456789")
        q = s.qmp(negotiate=True)
        q.send(b'{"execute": "query-name"}', msgs=1)
        q.send(b'{"execute": "query-uuid"}', msgs=1)
        s.launch(*STD_ARGS, "-qmp", unix_server("q2.sock"), "-name", "plain name,,with escaped comma",
                 subdir="second")
        q2 = s.qmp("q2.sock", negotiate=True)
        q2.send(b'{"execute": "query-name"}', msgs=1)
        q2.send(b'{"execute": "query-uuid"}', msgs=1)
    differ(script)


def test_incoming_defer(differ):
    def script(s):
        s.launch_std("-incoming", "defer")
        q = s.qmp(negotiate=True)
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": "info status"}}',
               msgs=1)
        q.send(b'{"execute": "quit"}', msgs=2)
        q.expect(eof=True)
        s.wait_exit()
    differ(script)


def test_startup_flags_runstate(differ):
    def script(s):
        for i, extra in enumerate([[], ["-S"], ["-S", "-no-shutdown"], ["-incoming", "defer", "-S"]]):
            s.launch(*STD_ARGS, "-qmp", unix_server("q.sock"), *extra, subdir="run%d" % i)
            q = s.qmp("q.sock", name="qmp%d" % i, negotiate=True)
            q.send(b'{"execute": "query-status"}', msgs=1)
    differ(script)


def test_m_sizes_accepted(differ):
    def script(s):
        for i, m in enumerate(["64", "64M", "65536k", "size=64M", "0.0625G", "1G"]):
            s.launch("-M", "none", "-nodefaults", "-display", "none", "-m", m,
                     "-qmp", unix_server("q.sock"), subdir="m%d" % i)
            q = s.qmp("q.sock", name="m=%s" % m, negotiate=True)
            q.send(b'{"execute": "query-status"}', msgs=1)
    differ(script)


def test_json_object_memory_backend_ram(differ):
    def script(s):
        s.launch("-M", "none,memory-backend=mem", "-nodefaults", "-display", "none",
                 "-object", '{"qom-type":"memory-backend-ram","id":"mem","size":67108864}',
                 "-qmp", unix_server("qmp.sock"))
        q = s.qmp(negotiate=True)
        q.send(b'{"execute": "query-status"}', msgs=1)
        s.launch("-M", "none,memory-backend=mem", "-nodefaults", "-display", "none", "-m", "64M",
                 "-object", '{"qom-type": "memory-backend-ram", "id": "mem", "size": 67108864, '
                 '"share": false}', "-S", "-qmp", unix_server("qmp.sock"), subdir="second")
        q = s.qmp(negotiate=True, name="second")
        q.send(b'{"execute": "query-status"}', msgs=1)
    differ(script)


# ---------------------------------------------------------------------------
# -daemonize / -pidfile


def _pid_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_daemonize_and_pidfile(differ):
    def script(s):
        inst = s.launch_std("-daemonize", "-pidfile", "vm.pid")
        s.wait_exit(timeout=10)          # the parent exits once the daemon is ready
        s.record_output()
        try:
            with open(s.path("vm.pid"), "rb") as f:
                content = f.read()
        except OSError as e:
            s.note("pidfile", "missing: %s" % e.__class__.__name__)
            raise SessionAbort("no pidfile")
        s.note("pidfile format is PID + newline", content[:-1].isdigit() and content.endswith(b"\n"))
        pid = int(content.split()[0])
        inst.extra_pids.append(pid)
        s.note("daemon differs from the parent", pid != inst.proc.pid)
        s.note("daemon alive", _pid_state(pid) not in (None, "Z"))
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        s.note("daemon detached into another session", int(fields[3]) != os.getsid(0))
        q = s.qmp(negotiate=True)
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "quit"}', msgs=2)
        q.expect(eof=True)
        deadline = time.monotonic() + 10
        while _pid_state(pid) not in (None, "Z") and time.monotonic() < deadline:
            time.sleep(0.01)
        s.note("daemon exited after quit", _pid_state(pid) in (None, "Z"))
        s.note("pidfile removed at exit", not os.path.exists(s.path("vm.pid")))
    differ(script)


# ---------------------------------------------------------------------------
# chardev fd=N (listening socket inherited from the parent, libvirt style)

FIXED_FD = 42


def test_chardev_fd_inherited_listening_socket(differ):
    def script(s):
        os.makedirs(s.dir, exist_ok=True)
        path = os.path.join(s.dir, "libvirt-monitor.sock")
        _, fd = listening_unix_socket(path, FIXED_FD)
        try:
            s.launch(*STD_ARGS, "-S",
                     "-chardev", "socket,id=charmonitor,fd=%d,server=on,wait=off" % fd,
                     "-mon", "chardev=charmonitor,id=monitor,mode=control", pass_fds=(fd,))
        finally:
            os.close(fd)
        q = s.qmp("libvirt-monitor.sock", negotiate=True)
        q.send(b'{"execute": "query-status", "id": "libvirt-1"}', msgs=1)
        q.send(b'{"execute": "cont", "id": "libvirt-2"}', msgs=2)
        q.close()
        q = s.qmp("libvirt-monitor.sock", name="reconnect")
        q.send(b'{"execute": "qmp_capabilities"}{"execute": "query-status"}', msgs=2)
        q.send(b'{"execute": "quit"}', msgs=2)
        q.expect(eof=True)
        s.wait_exit()
    differ(script)


def test_chardev_fd_hmp(differ):
    def script(s):
        os.makedirs(s.dir, exist_ok=True)
        path = os.path.join(s.dir, "hmp-fd.sock")
        _, fd = listening_unix_socket(path, FIXED_FD)
        try:
            s.launch(*STD_ARGS, "-chardev", "socket,id=h,fd=%d,server=on,wait=off" % fd,
                     "-mon", "chardev=h,mode=readline", pass_fds=(fd,))
        finally:
            os.close(fd)
        h = s.hmp("hmp-fd.sock")
        h.send(b"info status\r", prompts=1)
    differ(script)


# ---------------------------------------------------------------------------
# chardev socket variants


def test_qmp_server_wait_on(differ):
    """server=on without wait=off: startup blocks until a client connects
    (QEMU prints an info line on stderr)."""
    def script(s):
        s.launch(*STD_ARGS, "-S", "-qmp", "unix:w.sock,server=on")
        q = s.qmp("w.sock", negotiate=True)
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.close()
        q = s.qmp("w.sock", name="second client", negotiate=True)
        q.send(b'{"execute": "quit"}', msgs=2)
        q.expect(eof=True)
        s.wait_exit()
        s.record_output()
    differ(script)


def test_legacy_server_nowait_syntax(differ):
    def script(s):
        s.launch(*STD_ARGS, "-qmp", "unix:q.sock,server,nowait",
                 "-monitor", "unix:h.sock,server,nowait")
        q = s.qmp("q.sock", negotiate=True)
        q.send(b'{"execute": "query-status"}', msgs=1)
        h = s.hmp("h.sock")
        h.send(b"info status\r", prompts=1)
        s.record_output()
    differ(script)


def test_monitors_over_tcp(differ):
    from differential import free_tcp_port

    def script(s):
        qport, hport = free_tcp_port(), free_tcp_port()
        s.launch(*STD_ARGS,
                 "-qmp", "tcp:127.0.0.1:%d,server=on,wait=off" % qport,
                 "-chardev", "socket,id=h,host=127.0.0.1,port=%d,server=on,wait=off" % hport,
                 "-mon", "chardev=h,mode=readline")
        q = s.qmp(qport, name="qmp-tcp", negotiate=True)
        h = s.hmp(hport, name="hmp-tcp")
        q.send(b'{"execute": "stop"}', msgs=2)
        h.send(b"info status\r", prompts=1)
        h.send(b"c\r", prompts=1)
        q.expect(msgs=1, label="qmp-tcp: RESUME")
        q.close()
        q = s.qmp(qport, name="qmp-tcp#2")
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities"}{"execute": "quit"}', msgs=3)
        q.expect(eof=True)
        h.expect(eof=True, label="hmp-tcp: closed at exit")
        s.wait_exit()
    differ(script)


def test_termination_signals(differ):
    # SIGTERM/SIGINT/SIGHUP from another process: QEMU reports the sender on
    # stderr, emits SHUTDOWN (host-signal) and exits 0. The sender is this
    # test process for both binaries, so its pid and name match.
    import signal

    def script(s):
        for i, sig in enumerate([signal.SIGTERM, signal.SIGINT, signal.SIGHUP]):
            inst = s.launch_std("-S", subdir="sig%d" % i)
            q = s.qmp(name="qmp%d" % i, negotiate=True, inst=inst)
            inst.proc.send_signal(sig)
            q.expect(msgs=1)
            q.expect(eof=True)
            s.wait_exit(inst=inst)
            s.record_output(inst=inst, stdout=False)
    differ(script)
