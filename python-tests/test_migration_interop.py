"""Live migration between migemu and the real QEMU 7.2, both directions.

Both ends use file-backed shared guest RAM (``-M none,memory-backend=mem
-object memory-backend-file,...,share=on``): the test writes a pattern into
the source's backing file from outside (random pages, zero pages, pages of
one repeated byte 0x01..0xFF) and compares the two backing files afterwards.
Both ends' query-migrate, query-status and events are checked against what a
QEMU -> QEMU migration shows (qemu-reference.md 3.2, 3.6, 5.10), and a QEMU
destination must stay healthy (running, exit status 0 on quit).
"""

import time

import pytest

from migration_helpers import (PAGE, MiB, check_completed_info, check_dest_events,
                               check_source_events, event_tokens, files_equal, fill_pattern,
                               mig)  # noqa: F401  (fixture)


def quit_cleanly(vm):
    """``quit`` -> SHUTDOWN event, empty return, exit status 0, nothing on stderr."""
    r = vm.cmd_raw("quit")
    assert r == {"return": {}}, r
    vm.read_to_eof()
    assert vm.wait_exit(10) == 0
    assert vm.stderr() == "", vm.stderr()
    assert [e["data"] for e in vm.events() if e["event"] == "SHUTDOWN"] == [
        {"guest": False, "reason": "host-qmp-quit"}]


def migrate_and_check(mig, src_which, dst_which, transport, ram="64M", seed=1):
    src = mig.vm(src_which, "src", ram=ram)
    dst = mig.vm(dst_which, "dst", ram=ram, incoming="defer")
    kinds = fill_pattern(src.memfile, src.ram, seed=seed)
    assert min(kinds.values()) > 0
    if transport == "tcp":
        dst.cmd("migrate-incoming", {"uri": "tcp:127.0.0.1:0"})
        addr = dst.query_migrate()["socket-address"]
        assert len(addr) == 1 and addr[0]["type"] == "inet" and addr[0]["host"] == "127.0.0.1"
        assert addr[0]["ipv4"] is True and int(addr[0]["port"]) > 0
        uri = "tcp:127.0.0.1:%s" % addr[0]["port"]
    else:
        path = mig.path("mig.sock")
        dst.cmd("migrate-incoming", {"uri": "unix:" + path})
        assert dst.query_migrate() == {"socket-address": [{"path": path, "type": "unix"}]}
        uri = "unix:" + path
    assert dst.run_state()["status"] == "inmigrate"
    src.cmd("migrate", {"uri": uri})
    info = src.wait_source_completed()
    dst.wait_migration_event("completed", timeout=30)
    check_completed_info(info, src.ram)
    ram = info["ram"]
    assert ram["normal"] + ram["duplicate"] == src.ram // PAGE, ram
    # every page that is not all-zero is a normal page (repeated-byte pages are not "zero")
    assert ram["normal"] == kinds["random"] + kinds["repeated"], (ram, kinds)
    src.pump()
    dst.pump()
    check_source_events(event_tokens(src.events()))
    check_dest_events(event_tokens(dst.events()))
    assert src.run_state() == {"status": "postmigrate", "singlestep": False, "running": False}
    assert dst.run_state() == {"status": "running", "singlestep": False, "running": True}
    assert dst.query_migrate() == {"status": "completed"}
    ok, at = files_equal(src.memfile, dst.memfile)
    assert ok, "guest RAM differs at byte 0x%x" % at
    assert src.digest() == dst.digest() == src.file_digest()
    return src, dst


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_qemu_to_migemu(mig, transport):
    src, dst = migrate_and_check(mig, "qemu", "migemu", transport, seed=31)
    # the migemu destination keeps working: stop/cont, and it can quit cleanly
    dst.cmd("stop")
    dst.cmd("cont")
    assert dst.run_state()["status"] == "running"
    quit_cleanly(dst)
    quit_cleanly(src)


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_migemu_to_qemu(mig, transport):
    src, dst = migrate_and_check(mig, "migemu", "qemu", transport, ram="128M", seed=32)
    assert dst.alive()
    quit_cleanly(dst)
    quit_cleanly(src)


@pytest.mark.parametrize("state", ["paused", "prelaunch"])
@pytest.mark.parametrize("direction", ["qemu-to-migemu", "migemu-to-qemu"])
def test_interop_runstate_carried(mig, direction, state):
    """The destination ends in the source's run state (globalstate section):
    a stop'ed source -> paused, a -S source -> prelaunch; no RESUME anywhere."""
    a, b = direction.split("-to-")
    src = mig.vm(a, "src", paused=(state == "prelaunch"))
    dst = mig.vm(b, "dst", incoming="tcp")
    fill_pattern(src.memfile, src.ram, seed=33)
    if state == "paused":
        src.cmd("stop")
        src.wait_event(lambda e: e["event"] == "STOP")
    n = len(src.events())
    src.cmd("migrate", {"uri": dst.uri})
    info = src.wait_source_completed()
    dst.wait_status("completed")
    check_completed_info(info, src.ram)
    assert info["ram"]["precopy-bytes"] == 0 and info["ram"]["downtime-bytes"] == info["ram"]["transferred"]
    dst.pump()
    check_source_events(event_tokens(src.events()[n:]), running=False)
    check_dest_events(event_tokens(dst.events()), resumes=False, setup=None)
    assert src.run_state()["status"] == "postmigrate"
    assert dst.run_state() == {"status": state, "singlestep": False, "running": False}
    ok, at = files_equal(src.memfile, dst.memfile)
    assert ok, at
    assert src.digest() == dst.digest()
    dst.cmd("cont")
    dst.wait_event(lambda e: e["event"] == "RESUME")
    assert dst.run_state()["status"] == "running"
    quit_cleanly(dst)


def test_migemu_with_workload_to_qemu(mig):
    """A migemu source whose guest keeps dirtying RAM during the migration
    (pages re-sent in later passes) -> QEMU destination started with -S; both
    RAMs equal afterwards. (QEMU -> QEMU in harness-validation mode: the pc
    firmware workload, see migration_helpers.)"""
    src = mig.vm("migemu", "src", workload={"rate": "32M", "wss": "4M", "pattern": "random",
                                            "content": "random", "seed": 3})
    dst = mig.vm("qemu", "dst", incoming="tcp", paused=True, machine=src.machine)
    # The working set written once, and a rate slow enough that the workload
    # dirties pages already sent (never-written pages cost migemu nothing to
    # send, so an uncapped run may not last).
    deadline = time.monotonic() + 10
    while not src.is_qemu and src.cmd("x-query-workload")["pages-written"] < 4096:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    src.set_params(max_bandwidth=16 * MiB)
    src.cmd("migrate", {"uri": dst.uri})
    info = src.wait_source_completed()
    dst.wait_status("completed")
    check_completed_info(info, src.migrated_ram)
    assert info["ram"]["normal"] + info["ram"]["duplicate"] > info["ram"]["total"] // PAGE, info
    assert dst.run_state()["status"] == "paused"
    ok, at = files_equal(src.memfile, dst.memfile, src.unstable)
    assert ok, "guest RAM differs at byte 0x%x" % at
    dst.cmd("cont")
    dst.wait_event(lambda e: e["event"] == "RESUME")
    quit_cleanly(dst)


@pytest.mark.parametrize("direction", ["qemu-to-migemu", "migemu-to-qemu", "migemu-to-migemu"])
def test_return_path(mig, direction):
    """Capability return-path on the source: OPEN_RETURN_PATH + PING(1) in the
    stream, PONG and, at the end, SHUT(0) back from the destination; a 7.2
    source does not report ``completed`` before it has read SHUT(0)."""
    a, b = direction.split("-to-")
    src = mig.vm(a, "src")
    dst = mig.vm(b, "dst", incoming="unix")
    fill_pattern(src.memfile, src.ram, seed=34)
    src.set_caps(return_path=True)
    caps = {c["capability"]: c["state"] for c in src.cmd("query-migrate-capabilities")}
    assert caps["return-path"] is True
    src.cmd("migrate", {"uri": dst.uri})
    info = src.wait_source_completed()
    dst.wait_status("completed")
    check_completed_info(info, src.ram)
    src.pump()
    check_source_events(event_tokens(src.events()))
    assert dst.run_state()["status"] == "running"
    ok, at = files_equal(src.memfile, dst.memfile)
    assert ok, at
    assert src.digest() == dst.digest()
    quit_cleanly(dst)
