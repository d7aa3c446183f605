"""pytest configuration for the migemu end-to-end suite.

Binaries:
  --migemu-bin / $MIGEMU_BIN   default: <repo>/build/migemu
  --qemu-bin   / $QEMU_BIN     default: /usr/bin/qemu-system-x86_64

Setting MIGEMU_BIN to the QEMU binary runs every test QEMU-vs-QEMU (this is
how the harness itself is validated). A missing migemu binary makes the tests
FAIL, never skip.
"""

import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from differential import STD_ARGS, Differ, unix_server  # noqa: E402
from launcher import Instance  # noqa: E402
from masking import Masker  # noqa: E402
from monclient import QMPClient, connect_unix  # noqa: E402

DEFAULT_MIGEMU = os.path.join(REPO, "build", "migemu")
DEFAULT_QEMU = "/usr/bin/qemu-system-x86_64"


def pytest_addoption(parser):
    parser.addoption("--migemu-bin", default=None,
                     help="binary under test (default $MIGEMU_BIN or %s)" % DEFAULT_MIGEMU)
    parser.addoption("--qemu-bin", default=None,
                     help="reference QEMU 7.2 (default $QEMU_BIN or %s)" % DEFAULT_QEMU)


def _migemu_path(config):
    return config.getoption("--migemu-bin") or os.environ.get("MIGEMU_BIN") or DEFAULT_MIGEMU


def _qemu_path(config):
    return config.getoption("--qemu-bin") or os.environ.get("QEMU_BIN") or DEFAULT_QEMU


def pytest_report_header(config):
    m = _migemu_path(config)
    q = _qemu_path(config)
    return ["migemu under test: %s (%s)" % (m, "present" if os.access(m, os.X_OK) else "MISSING"),
            "reference QEMU:    %s (%s)" % (q, "present" if os.access(q, os.X_OK) else "MISSING")]


def ensure_binary(path, what):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("%s binary not found or not executable: %s" % (what, path), pytrace=False)
    return path


_package_cache = {}


def package_of(binary):
    """The package string a binary announces in its QMP greeting (None if it
    cannot be determined; masking then falls back to the JSON member)."""
    if binary in _package_cache:
        return _package_cache[binary]
    pkg = None
    if os.access(binary, os.X_OK):
        inst = Instance(binary, STD_ARGS + ["-qmp", unix_server("qmp.sock")])
        try:
            inst.start()
            c = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
            g = c.read_greeting(5)
            pkg = g["QMP"]["version"]["package"]
            c.close()
        except Exception:
            pkg = None
        finally:
            inst.cleanup()
    _package_cache[binary] = pkg
    return pkg


class Binaries:
    def __init__(self, config):
        self._migemu = _migemu_path(config)
        self.qemu = _qemu_path(config)

    @property
    def migemu(self):
        """Path of the binary under test; fails the calling test if missing."""
        return ensure_binary(self._migemu, "migemu")

    def masker(self, binary):
        return Masker(binary, package_of(binary))

    @property
    def same(self):
        return os.path.realpath(self._migemu) == os.path.realpath(self.qemu)


@pytest.fixture(scope="session")
def bins(pytestconfig):
    b = Binaries(pytestconfig)
    ensure_binary(b.qemu, "reference QEMU")
    return b


@pytest.fixture
def differ(bins):
    """``differ(script)``: run ``script`` against QEMU and migemu, assert
    byte identity of the masked transcripts, return (qemu, migemu) sessions."""
    # The binary is checked when the test body runs the session, so that a
    # missing migemu is reported as a test FAILURE (not a setup error/skip).
    migemu = bins._migemu
    return Differ(bins.qemu, migemu,
                  lambda: bins.masker(bins.qemu),
                  lambda: bins.masker(migemu),
                  check_binary=lambda: ensure_binary(migemu, "migemu"))


@pytest.fixture(scope="session")
def qemu_reference_schema(bins):
    """QEMU 7.2's query-qmp-schema and query-commands (fetched once)."""
    inst = Instance(bins.qemu, STD_ARGS + ["-qmp", unix_server("qmp.sock")])
    try:
        inst.start()
        c = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
        c.negotiate()
        schema = c.cmd("query-qmp-schema")
        commands = [x["name"] for x in c.cmd("query-commands")]
        c.close()
    finally:
        inst.cleanup()
    return {"schema": schema, "commands": commands}


def dumps(obj):
    """QEMU-like compact JSON for building requests."""
    return json.dumps(obj)
