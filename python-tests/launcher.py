"""Start a QEMU-compatible binary in its own temporary directory and always kill it.

Every process is started with ``cwd`` = a fresh temporary directory so that the
same *relative* socket paths (``unix:qmp.sock,...``) can be given to QEMU and
to migemu: any message that quotes a path is then identical on both sides.
Only processes started here are ever killed, by their own pid.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

DEFAULT_START_TIMEOUT = 10.0


class ProcessExited(Exception):
    """The process died while we were waiting for it."""


class Instance:
    """One running emulator process.

    ``args`` are passed verbatim; relative paths resolve inside ``self.dir``.
    ``pass_fds`` are inherited by the child (with the same numbers).
    """

    def __init__(self, binary, args, workdir=None, pass_fds=(), env=None):
        self.binary = binary
        self.args = list(args)
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="mt-", dir="/tmp")
        self.pass_fds = tuple(pass_fds)
        self.env = env
        self.proc = None
        self.extra_pids = []  # e.g. a daemonized child read from a pidfile
        self._stdout_path = os.path.join(self.dir, ".stdout")
        self._stderr_path = os.path.join(self.dir, ".stderr")

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        out = open(self._stdout_path, "wb")
        err = open(self._stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(
                [self.binary] + self.args,
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                pass_fds=self.pass_fds,
                env=self.env,
            )
        finally:
            out.close()
            err.close()
        return self

    def path(self, name):
        return os.path.join(self.dir, name)

    def wait_for_path(self, name, timeout=DEFAULT_START_TIMEOUT):
        """Wait until ``name`` (relative to the work dir) exists."""
        p = self.path(name)
        deadline = time.monotonic() + timeout
        while not os.path.exists(p):
            if self.proc is not None and self.proc.poll() is not None:
                raise ProcessExited(
                    "%s exited with %s before creating %s; stderr: %r"
                    % (self.binary, self.proc.returncode, name, self.stderr()))
            if time.monotonic() > deadline:
                raise TimeoutError("%s did not create %s within %.1fs; stderr: %r"
                                   % (self.binary, name, timeout, self.stderr()))
            time.sleep(0.005)
        return p

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout=10.0):
        """Wait for exit; returns the exit code or None on timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stdout(self):
        try:
            with open(self._stdout_path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def stderr(self):
        try:
            with open(self._stderr_path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for pid in self.extra_pids:
            _kill_pid(pid)
        self.extra_pids = []

    def cleanup(self):
        self.kill()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False


def _kill_pid(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    # Not our child (daemonized): poll until gone.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.01)


def run_to_exit(binary, args, timeout=10.0, cwd=None, pass_fds=(), stdin=b""):
    """Run a process that is expected to exit by itself.

    Returns (returncode, stdout, stderr). A process still running after
    ``timeout`` is killed and reported with returncode None.
    """
    own = cwd is None
    cwd = cwd or tempfile.mkdtemp(prefix="mt-", dir="/tmp")
    try:
        p = subprocess.Popen([binary] + list(args), cwd=cwd, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             pass_fds=pass_fds)
        try:
            out, err = p.communicate(stdin, timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            rc = None
        return rc, out, err
    finally:
        if own:
            shutil.rmtree(cwd, ignore_errors=True)
