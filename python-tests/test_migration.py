"""Live migration between two processes of the binary under test (migemu -> migemu).

Real processes, real transports (tcp, unix, exec, fd passed with SCM_RIGHTS).
Guest RAM is a memory-backend-file in /dev/shm (share=on) so that the test can
fill it from outside before migrating and ``cmp`` both ends afterwards; the
guest digest (x-query-guest-digest) must be equal on both ends as well.

Expected behaviour is QEMU 7.2's (qemu-reference.md 3.2 query-migrate members
per state, 3.6 event sequences, 3.7 run states, 2.5 ``info migrate``); every
test here also passes QEMU -> QEMU (``MIGEMU_BIN=/usr/bin/qemu-system-x86_64``,
see migration_helpers for how the workload is produced on QEMU).
"""

import json
import os
import re
import socket
import time

import pytest

from differential import free_tcp_port
from migration_helpers import (ACTIVE_KEYS, INFO_MIGRATE_GLOBALS, MiB, PAGE, check_completed_info,
                               check_dest_events, check_source_events, event_tokens, files_equal,
                               fill_pattern, fill_random, mig,  # noqa: F401  (fixture)
                               start_slow_migration)

RAM = 64 * MiB


def workload_for(vm_is_qemu):
    """A dirtying workload that still converges at the default 128 MiB/s.
    (QEMU's firmware workload is limited to 512 KiB of working set.)"""
    if vm_is_qemu:
        return {"rate": "16M", "wss": "512K", "pattern": "sequential", "content": "random"}
    return {"rate": "32M", "wss": "8M", "pattern": "random", "content": "random", "threads": 2,
            "seed": 7}


def start_pair(mig, incoming, workload=False, src_kw=None, dst_kw=None, via="qmp"):
    """Source (running, pattern-filled RAM) and a destination listening on
    ``incoming`` via -incoming defer + migrate-incoming (so that the
    destination's MIGRATION setup event is observed). With a workload the
    destination starts with -S so that both RAMs can be compared afterwards."""
    is_qemu = mig.is_qemu(mig.bins.migemu)
    wl = workload_for(is_qemu) if workload else None
    src = mig.vm("migemu", "src", workload=wl, workload_via=via, **(src_kw or {}))
    machine = src.machine
    dst = mig.vm("migemu", "dst", incoming="defer", paused=bool(workload), machine=machine,
                 **(dst_kw or {}))
    kinds = fill_pattern(src.memfile, src.ram, seed=11, region=src.fill_region)
    if incoming == "tcp":
        uri = "tcp:127.0.0.1:%d" % free_tcp_port()
    elif incoming == "unix":
        uri = "unix:" + mig.path("dst-mig.sock")
    else:
        uri = incoming
    if incoming is not None:
        dst.cmd("migrate-incoming", {"uri": uri})
    return src, dst, uri, kinds


def finish_and_check(src, dst, *, running=True, dst_state="running", workload=False, since=0):
    """Wait for both ends, then check everything a completed migration shows.
    ``since``: index of the source's first event of this migration."""
    info = src.wait_source_completed(since=since)
    dst.wait_migration_event("completed", timeout=30)
    check_completed_info(info, src.migrated_ram)
    ram = info["ram"]
    pages = ram["total"] // PAGE
    if workload:
        # some page was dirtied after it had been sent: the workload ran during the migration
        assert ram["normal"] + ram["duplicate"] > pages, ram
        assert ram["dirty-sync-count"] >= 3, ram
    else:
        # nothing dirties an idle guest: every page is sent exactly once
        assert ram["normal"] + ram["duplicate"] == pages, ram
    if running:
        assert ram["precopy-bytes"] > 0, ram
    else:
        assert ram["precopy-bytes"] == 0 and ram["downtime-bytes"] == ram["transferred"], ram
    src.pump()
    dst.pump()
    src.check_event_timestamps()
    dst.check_event_timestamps()
    check_source_events(event_tokens(src.events()[since:]), running=running)
    assert src.run_state() == {"status": "postmigrate", "singlestep": False, "running": False}
    st = dst.run_state()
    assert st["status"] == dst_state and st["running"] == (dst_state == "running"), st
    assert dst.query_migrate() == {"status": "completed"}
    if workload and not src.is_qemu:
        wi = src.workload_info()
        assert wi["active"] is False, wi  # the source guest is stopped (postmigrate)
        assert wi["pages-written"] > 0, wi
    ok, at = files_equal(src.memfile, dst.memfile, src.unstable)
    assert ok, "guest RAM differs at byte 0x%x (cmp src dst)" % at
    d = src.digest()
    assert d == dst.digest()
    return info


# ---------------------------------------------------------------------------
# transports, with and without a dirtying workload


def test_ipv6_wildcard_listener_takes_ipv4(mig):
    """libvirt's destination listens on tcp:[::]:PORT and its source
    connects to an IPv4 address: the listener is dual-stack, as QEMU's is
    when the URI names no ipv4/ipv6 flag."""
    port = free_tcp_port()
    src, dst, _, _ = start_pair(mig, "tcp:[::]:%d" % port)
    addr = dst.query_migrate()["socket-address"]
    assert addr == [{"port": str(port), "ipv6": True, "host": "::", "type": "inet"}], addr
    src.cmd("migrate", {"uri": "tcp:127.0.0.1:%d" % port})
    finish_and_check(src, dst)


@pytest.mark.parametrize("workload", [False, True], ids=["idle", "workload"])
@pytest.mark.parametrize("transport", ["tcp", "unix", "exec", "fd-tcp", "fd-unix"])
def test_transport(mig, transport, workload):
    if transport in ("tcp", "unix"):
        # the unix+workload variant gives the workload on the command line
        via = "cmdline" if transport == "unix" else "qmp"
        src, dst, uri, _ = start_pair(mig, transport, workload, via=via)
        src.cmd("migrate", {"uri": uri})
    elif transport == "exec":
        src, dst, _, _ = start_pair(mig, None, workload)
        dump = mig.path("stream.bin")
        src.cmd("migrate", {"uri": "exec:cat > %s" % dump})
        src.wait_migration_event("completed", timeout=60)
        assert os.path.getsize(dump) > 0
        with open(dump, "rb") as f:
            assert f.read(8) == b"QEVM\x00\x00\x00\x03"
        dst.cmd("migrate-incoming", {"uri": "exec:cat %s" % dump})
    else:
        kind = transport.split("-")[1]
        src, dst, uri, _ = start_pair(mig, kind, workload)
        if kind == "tcp":
            port = int(uri.rsplit(":", 1)[1])
            sock = socket.create_connection(("127.0.0.1", port))
        else:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(uri[len("unix:"):])
        mig.sockets.append(sock)
        assert src.cmd("getfd", {"fdname": "migfd"}, fds=[sock.fileno()]) == {}
        sock.close()  # the source holds its own copy now
        src.cmd("migrate", {"uri": "fd:migfd"})
    finish_and_check(src, dst, workload=workload,
                     dst_state="paused" if workload else "running")
    check_dest_events(event_tokens(dst.events()), resumes=not workload)
    if not workload and not src.is_qemu:
        # x-query-guest-digest is migemu's documented digest of the RAM dump
        assert src.digest() == src.file_digest()


def test_heavy_workload(mig):
    """A bigger guest (256 MiB) dirtying 64 MiB/s at random over 128 MiB with
    random content from 4 threads (the -x-workload example of the brief),
    default bandwidth: it converges in a few passes and both RAMs are equal.
    (QEMU harness validation: the firmware workload, 512 KiB at 16 MiB/s.)"""
    is_qemu = mig.is_qemu(mig.bins.migemu)
    wl = (workload_for(True) if is_qemu else
          {"rate": "64M", "wss": "128M", "pattern": "random", "content": "random", "threads": 4,
           "seed": 99})
    src = mig.vm("migemu", "src", ram="256M", workload=wl, workload_via="cmdline")
    dst = mig.vm("migemu", "dst", ram="256M", incoming="tcp", paused=True, machine=src.machine)
    if not is_qemu:
        wi = src.workload_info()
        assert wi["active"] is True and wi["threads"] == 4 and wi["wss-bytes"] == 128 * MiB, wi
        time.sleep(0.5)  # let it write a good part of the working set first
        assert src.workload_info()["pages-written"] > 0
    n = len(src.events())
    src.cmd("migrate", {"uri": dst.uri})
    info = finish_and_check(src, dst, workload=True, dst_state="paused", since=n)
    assert info["ram"]["normal"] > 0
    dst.pump()
    check_dest_events(event_tokens(dst.events()), resumes=False, setup=None)


def test_anonymous_ram_tcp(mig):
    """Plain ``-m`` guest RAM (block "ram"), destination given -incoming tcp
    on the command line. migemu's guest gets content from a short workload
    burst; the digest is compared (QEMU's via a pmemsave dump)."""
    src = mig.vm("migemu", "src", backend="anon", ram="128M")
    dst = mig.vm("migemu", "dst", backend="anon", ram="128M", incoming="tcp")
    if not src.is_qemu:
        zero = src.digest()
        src.cmd("x-workload", {"rate": 256 * MiB, "wss": 32 * MiB, "content": "compressible",
                               "pattern": "sequential"})
        deadline = time.monotonic() + 10
        while src.workload_info()["pages-written"] < 4096 and time.monotonic() < deadline:
            time.sleep(0.02)
        src.cmd("x-workload", {"rate": 0})
        assert src.workload_info()["active"] is False
        assert src.digest() != zero
    before = src.digest()
    src.cmd("migrate", {"uri": dst.uri})
    info = src.wait_source_completed()
    dst.wait_status("completed")
    check_completed_info(info, 128 * MiB)
    assert info["ram"]["normal"] + info["ram"]["duplicate"] == 128 * MiB // PAGE
    dst.pump()
    # -incoming on the command line: setup was emitted while the QMP client connected
    check_dest_events(event_tokens(dst.events()), setup=None)
    assert dst.run_state()["status"] == "running"
    assert src.digest() == before == dst.digest()


# ---------------------------------------------------------------------------
# run states


@pytest.mark.parametrize("case", ["src-stopped", "src-prelaunch", "dst-S"])
def test_runstates(mig, case):
    """stop'ed source -> destination paused; -S (prelaunch) source ->
    destination prelaunch; running source + destination -S -> paused."""
    src = mig.vm("migemu", "src", paused=(case == "src-prelaunch"))
    dst = mig.vm("migemu", "dst", incoming="unix", paused=(case == "dst-S"))
    fill_pattern(src.memfile, src.ram, seed=3)
    if case == "src-stopped":
        src.cmd("stop")
        src.wait_event(lambda e: e["event"] == "STOP")
    n = len(src.events())
    src.cmd("migrate", {"uri": dst.uri})
    running = case == "dst-S"
    # (a stopped source sends no STOP: checked by check_source_events)
    info = finish_and_check(src, dst, running=running, since=n,
                            dst_state={"src-stopped": "paused", "src-prelaunch": "prelaunch",
                                       "dst-S": "paused"}[case])
    dst.pump()
    check_dest_events(event_tokens(dst.events()), resumes=False, setup=None)
    # a stopped destination can be started and then runs
    dst.cmd("cont")
    dst.wait_event(lambda e: e["event"] == "RESUME")
    assert dst.run_state()["status"] == "running"
    assert info["ram"]["total"] == RAM


# ---------------------------------------------------------------------------
# HMP, second migration


INFO_MIGRATE_COMPLETED = re.compile(
    re.escape(INFO_MIGRATE_GLOBALS) +
    r"Migration status: completed\r\n"
    r"total time: (?P<total>\d+) ms\r\n"
    r"downtime: (?P<downtime>\d+) ms\r\n"
    r"setup: (?P<setup>\d+) ms\r\n"
    r"transferred ram: (?P<transferred>\d+) kbytes\r\n"
    r"throughput: (?P<mbps>\d+\.\d\d) mbps\r\n"
    r"remaining ram: 0 kbytes\r\n"
    r"total ram: (?P<total_ram>\d+) kbytes\r\n"
    r"duplicate: (?P<duplicate>\d+) pages\r\n"
    r"skipped: 0 pages\r\n"
    r"normal: (?P<normal>\d+) pages\r\n"
    r"normal bytes: (?P<normal_bytes>\d+) kbytes\r\n"
    r"dirty sync count: (?P<sync>\d+)\r\n"
    r"page size: 4 kbytes\r\n"
    r"multifd bytes: 0 kbytes\r\n"
    r"pages-per-second: (?P<pps>\d+)\r\n"
    r"(?:precopy ram: (?P<precopy>\d+) kbytes\r\n)?"
    r"(?:downtime ram: (?P<downtime_ram>\d+) kbytes\r\n)?\Z")


def test_hmp_migrate_info_migrate_and_second_migration(mig):
    src = mig.vm("migemu", "src", hmp=True)
    dst = mig.vm("migemu", "dst", incoming="tcp")
    fill_pattern(src.memfile, src.ram, seed=5)
    assert src.hmp_cmd("info migrate") == INFO_MIGRATE_GLOBALS
    assert src.hmp_cmd("migrate -d %s" % dst.uri) == ""
    info = src.wait_source_completed()
    dst.wait_status("completed")
    check_completed_info(info, RAM)
    text = src.hmp_cmd("info migrate")
    m = INFO_MIGRATE_COMPLETED.match(text)
    assert m, "info migrate on a completed source:\n" + text
    ram = info["ram"]
    assert int(m["total"]) == info["total-time"] and int(m["downtime"]) == info["downtime"]
    assert int(m["setup"]) == info["setup-time"]
    assert int(m["transferred"]) == ram["transferred"] >> 10
    assert m["mbps"] == "%0.2f" % ram["mbps"]
    assert int(m["total_ram"]) == RAM >> 10
    assert int(m["duplicate"]) == ram["duplicate"] and int(m["normal"]) == ram["normal"]
    assert int(m["normal_bytes"]) == ram["normal-bytes"] >> 10
    assert int(m["sync"]) == ram["dirty-sync-count"] and int(m["pps"]) == ram["pages-per-second"]
    assert (m["precopy"] is not None) == (ram["precopy-bytes"] != 0)
    assert (m["downtime_ram"] is not None) == (ram["downtime-bytes"] != 0)
    if m["precopy"] is not None:
        assert int(m["precopy"]) == ram["precopy-bytes"] >> 10
    assert src.hmp_cmd("info status") == "VM status: paused (postmigrate)\r\n"
    # destination view after completion (listener gone, no times recorded)
    assert dst.cmd("human-monitor-command", {"command-line": "info migrate"}) == (
        INFO_MIGRATE_GLOBALS + "Migration status: completed\r\ntotal time: 0 ms\r\n")

    # migrating again needs a cont first
    dst2 = mig.vm("migemu", "dst2", incoming="unix")
    err = src.cmd_raw("migrate", {"uri": dst2.uri})
    assert err == {"error": {"class": "GenericError",
                             "desc": "Can't migrate the vm that was paused due to previous migration"}}
    assert src.hmp_cmd("migrate -d %s" % dst2.uri) == (
        "Error: Can't migrate the vm that was paused due to previous migration\r\n")
    assert src.query_migrate()["status"] == "completed"
    assert src.hmp_cmd("cont") == ""
    src.wait_event(lambda e: e["event"] == "RESUME")
    assert src.run_state()["status"] == "running"
    n_before = len(src.events())
    assert src.hmp_cmd("migrate -d %s" % dst2.uri) == ""
    info = src.wait_source_completed(since=n_before)
    dst2.wait_status("completed")
    check_source_events(event_tokens(src.events()[n_before:]))
    check_completed_info(info, RAM)
    assert dst2.run_state()["status"] == "running"
    ok, at = files_equal(src.memfile, dst2.memfile, src.unstable)
    assert ok, at
    assert src.digest() == dst2.digest() == dst.digest()


# ---------------------------------------------------------------------------
# cancel, commands refused while active


INFO_MIGRATE_ACTIVE = re.compile(
    re.escape(INFO_MIGRATE_GLOBALS) +
    r"Migration status: active\r\n"
    r"total time: \d+ ms\r\n"
    r"expected downtime: \d+ ms\r\n"
    r"setup: \d+ ms\r\n"
    r"transferred ram: \d+ kbytes\r\n"
    r"throughput: \d+\.\d\d mbps\r\n"
    r"remaining ram: [1-9]\d* kbytes\r\n"
    r"total ram: 65536 kbytes\r\n"
    r"duplicate: \d+ pages\r\n"
    r"skipped: 0 pages\r\n"
    r"normal: [1-9]\d* pages\r\n"
    r"normal bytes: \d+ kbytes\r\n"
    r"dirty sync count: \d+\r\n"
    r"page size: 4 kbytes\r\n"
    r"multifd bytes: 0 kbytes\r\n"
    r"pages-per-second: \d+\r\n"
    r"(?:dirty pages rate: \d+ pages\r\n)?"
    r"precopy ram: \d+ kbytes\r\n\Z")


def test_cancel_then_migrate_again(mig):
    src = mig.vm("migemu", "src", hmp=True)
    dst = mig.vm("migemu", "dst", incoming="tcp", hmp=True)
    info = start_slow_migration(src, dst, seed=21, bandwidth=4 * MiB, settle=0.3)
    assert set(info) == ACTIVE_KEYS, info
    assert 0 < info["ram"]["transferred"] < 32 * MiB and info["ram"]["remaining"] > 0, info
    assert info["ram"]["precopy-bytes"] == info["ram"]["transferred"], info
    text = src.hmp_cmd("info migrate")
    assert INFO_MIGRATE_ACTIVE.match(text), "info migrate on an active source:\n" + text
    # destination view while loading: the listener is still there (reference 3.2, 2.5)
    assert dst.query_migrate() == {"status": "active", "socket-address": [
        {"port": str(dst.port), "ipv4": True, "host": "127.0.0.1", "type": "inet"}]}
    assert dst.hmp_cmd("info migrate") == (
        INFO_MIGRATE_GLOBALS + "Migration status: active\r\ntotal time: 0 ms\r\n"
        "socket address: [\r\n\ttcp:127.0.0.1:%d\r\n]\r\n" % dst.port)
    assert dst.hmp_cmd("info status") == "VM status: paused (inmigrate)\r\n"
    # commands refused while a migration runs
    busy = {"error": {"class": "GenericError", "desc": "There's a migration process in progress"}}
    assert src.cmd_raw("migrate", {"uri": dst.uri}) == busy
    assert src.cmd_raw("migrate-set-capabilities", {"capabilities": [
        {"capability": "events", "state": True}]}) == busy
    assert src.run_state()["status"] == "running"

    n = len(src.events())
    assert src.cmd("migrate_cancel") == {}
    src.wait_migration_event("cancelled", timeout=10)
    assert event_tokens(src.events()[n:]) == ["MIGRATION:cancelling", "MIGRATION:cancelled"]
    assert src.query_migrate() == {"status": "cancelled"}
    assert src.run_state() == {"status": "running", "singlestep": False, "running": True}
    assert src.hmp_cmd("info migrate") == (INFO_MIGRATE_GLOBALS +
                                           "Migration status: cancelled\r\ntotal time: 0 ms\r\n")
    assert src.cmd("migrate_cancel") == {}  # no-op now
    assert src.query_migrate() == {"status": "cancelled"}
    # the destination gave up: QEMU 7.2 exits with status 1
    dst.read_to_eof()
    rc = dst.wait_exit(10)
    assert rc == 1, (rc, dst.stderr())
    lines = dst.stderr().splitlines()
    assert lines and re.fullmatch(r"[^:]+: load of migration failed: .+", lines[-1]), lines
    # (setup: emitted while QMP connected, may have been missed)
    failed = ["MIGRATION:active", "MIGRATION:failed"]
    assert event_tokens(dst.events()) in (failed, ["MIGRATION:setup"] + failed)

    dst2 = mig.vm("migemu", "dst2", incoming="unix")
    src.set_params(max_bandwidth=0)
    n = len(src.events())
    src.cmd("migrate", {"uri": dst2.uri})
    info = src.wait_source_completed(since=n)
    dst2.wait_status("completed")
    check_source_events(event_tokens(src.events()[n:]))
    check_completed_info(info, RAM)
    assert dst2.run_state()["status"] == "running"
    ok, at = files_equal(src.memfile, dst2.memfile, src.unstable)
    assert ok, at
    assert src.digest() == dst2.digest()


# ---------------------------------------------------------------------------
# pause-before-switchover


def test_pause_before_switchover(mig):
    src = mig.vm("migemu", "src")
    dst = mig.vm("migemu", "dst", incoming="tcp")
    fill_pattern(src.memfile, src.ram, seed=8)
    src.set_caps(pause_before_switchover=True)
    caps = {c["capability"]: c["state"] for c in src.cmd("query-migrate-capabilities")}
    assert caps["pause-before-switchover"] is True and caps["events"] is True
    assert src.cmd_raw("migrate-continue", {"state": "pre-switchover"}) == {"error": {
        "class": "GenericError", "desc": "Migration not in expected state: none"}}
    src.cmd("migrate", {"uri": dst.uri})
    src.wait_migration_event("pre-switchover", timeout=60)
    time.sleep(0.2)  # it must stay there until told to continue
    info = src.query_migrate()
    assert info["status"] == "pre-switchover", info
    assert set(info) == ACTIVE_KEYS, info
    assert src.run_state() == {"status": "finish-migrate", "singlestep": False, "running": False}
    assert dst.query_migrate()["status"] == "active"
    assert dst.run_state()["status"] == "inmigrate"
    assert src.cmd_raw("migrate-continue", {"state": "active"}) == {"error": {
        "class": "GenericError", "desc": "Migration not in expected state: pre-switchover"}}
    assert src.cmd_raw("migrate", {"uri": dst.uri})["error"]["desc"] == \
        "There's a migration process in progress"
    assert src.cmd("migrate-continue", {"state": "pre-switchover"}) == {}
    info = src.wait_source_completed()
    dst.wait_status("completed")
    toks = event_tokens(src.events())
    check_source_events(toks, pause_before_switchover=True)
    assert toks.index("STOP") < toks.index("MIGRATION:pre-switchover")
    check_completed_info(info, RAM)
    assert dst.run_state()["status"] == "running"
    ok, at = files_equal(src.memfile, dst.memfile, src.unstable)
    assert ok, at
    assert src.digest() == dst.digest()


# ---------------------------------------------------------------------------
# bandwidth, auto-converge


def test_max_bandwidth_respected(mig):
    bw = 16 * MiB
    src = mig.vm("migemu", "src")
    dst = mig.vm("migemu", "dst", incoming="tcp")
    fill_random(src.memfile, 0, 24 * MiB, seed=9)
    src.set_params(max_bandwidth=bw)
    assert src.cmd("query-migrate-parameters")["max-bandwidth"] == bw
    t0 = time.monotonic()
    src.cmd("migrate", {"uri": dst.uri})
    src.wait_status("completed", timeout=60)
    wall = time.monotonic() - t0
    info = src.wait_source_completed()
    dst.wait_status("completed")
    check_completed_info(info, RAM)
    sent = info["ram"]["transferred"]
    assert sent >= 24 * MiB
    rate = sent / (info["total-time"] / 1000.0)
    assert rate <= bw * 1.15, "average %.1f MiB/s over a %d MiB/s limit" % (rate / MiB, bw // MiB)
    assert wall >= sent / bw * 0.85, "took %.2fs for %d bytes at %d B/s" % (wall, sent, bw)
    # reported throughput (7.2: bytes * 8 / (total-time - setup-time) / 1000)
    exp_mbps = sent * 8 / (info["total-time"] - info["setup-time"]) / 1000.0
    assert abs(info["ram"]["mbps"] - exp_mbps) <= exp_mbps * 0.05 + 1, (info["ram"]["mbps"], exp_mbps)
    ok, at = files_equal(src.memfile, dst.memfile, src.unstable)
    assert ok, at


AC_WORKLOAD = {"rate": "4M", "wss": "512K", "pattern": "sequential", "content": "random"}
AC_BANDWIDTH = 1 * MiB
AC_DOWNTIME = 50  # ms: the switchover may leave at most ~13 pages (1 MiB/s * 50 ms)


def test_auto_converge(mig):
    """4 MiB/s of dirtying over 512 KiB against a 1 MiB/s link and a 50 ms
    downtime limit never converges (the whole working set is dirty again by
    the time it has been sent); with auto-converge the guest is throttled
    (60 %, then 60+40 capped at max-cpu-throttle 99 %; cpu-throttle-percentage
    shows while active) until the migration completes."""
    src = mig.vm("migemu", "src", workload=AC_WORKLOAD)
    dst = mig.vm("migemu", "dst", incoming="tcp", paused=True, machine=src.machine)
    src.set_params(max_bandwidth=AC_BANDWIDTH, downtime_limit=AC_DOWNTIME,
                   cpu_throttle_initial=60, cpu_throttle_increment=40)
    src.cmd("migrate", {"uri": dst.uri})
    src.wait_migration_event("active")
    time.sleep(3)
    info = src.query_migrate()
    assert info["status"] == "active", "converged without auto-converge: %s" % info
    assert "cpu-throttle-percentage" not in info, info
    assert info["ram"]["dirty-sync-count"] >= 4, info
    assert info["ram"]["normal"] > 2 * (512 * 1024 // PAGE), info  # the working set was re-sent
    assert src.run_state()["status"] == "running"
    src.cmd("migrate_cancel")
    src.wait_migration_event("cancelled", timeout=10)
    assert dst.wait_exit(10) == 1

    dst2 = mig.vm("migemu", "dst2", incoming="tcp", paused=True, machine=src.machine)
    src.set_caps(auto_converge=True)
    n = len(src.events())
    src.cmd("migrate", {"uri": dst2.uri})
    throttles = []
    guest_throttles = []
    deadline = time.monotonic() + 30
    while True:
        info = src.query_migrate()
        if info["status"] == "completed":
            break
        assert info["status"] in ("setup", "active"), info
        if "cpu-throttle-percentage" in info:
            assert info["status"] == "active", info
            assert set(info) == ACTIVE_KEYS | {"cpu-throttle-percentage"}, info
            throttles.append(info["cpu-throttle-percentage"])
            if not src.is_qemu:
                guest_throttles.append(src.workload_info()["throttle-percentage"])
        assert time.monotonic() < deadline, "auto-converge did not converge: %s" % info
        time.sleep(0.05)
    assert throttles, "cpu-throttle-percentage never shown while active"
    assert throttles[0] == 60 and set(throttles) <= {60, 99}, throttles
    assert throttles == sorted(throttles), throttles
    if not src.is_qemu:
        # the workload threads were really throttled
        assert set(guest_throttles) & set(throttles), (guest_throttles, throttles)
    info = src.wait_source_completed(since=n)
    check_completed_info(info, src.migrated_ram)
    assert "cpu-throttle-percentage" not in info
    dst2.wait_status("completed")
    check_source_events(event_tokens(src.events()[n:]))
    assert dst2.run_state()["status"] == "paused"
    ok, at = files_equal(src.memfile, dst2.memfile, src.unstable)
    assert ok, at
    assert src.digest() == dst2.digest()
    if not src.is_qemu:
        assert src.workload_info()["throttle-percentage"] == 0  # throttling ends with the migration


# ---------------------------------------------------------------------------
# the knobs used above, byte for byte against QEMU (differential)


def test_capabilities_and_parameters_differential(differ):
    """query/set of the capabilities and parameters the tests above rely on
    (events, pause-before-switchover, auto-converge, return-path;
    max-bandwidth, downtime-limit, cpu-throttle-*), their range errors, and
    the HMP views/setters, byte-identical with QEMU 7.2."""
    def qmp(q, name, args=None):
        msg = {"execute": name}
        if args is not None:
            msg["arguments"] = args
        q.send(json.dumps(msg).encode(), msgs=1)

    def hmc(q, line):
        qmp(q, "human-monitor-command", {"command-line": line})

    def script(s):
        s.launch_std()
        q = s.qmp(negotiate=True)
        qmp(q, "query-migrate-capabilities")
        qmp(q, "query-migrate-parameters")
        qmp(q, "migrate-set-capabilities", {"capabilities": [
            {"capability": c, "state": True}
            for c in ("events", "pause-before-switchover", "auto-converge", "return-path")]})
        qmp(q, "query-migrate-capabilities")
        qmp(q, "migrate-set-capabilities", {"capabilities": [{"capability": "bogus", "state": True}]})
        qmp(q, "migrate-set-parameters", {"max-bandwidth": 33554432, "downtime-limit": 100,
                                          "cpu-throttle-initial": 30, "cpu-throttle-increment": 5,
                                          "max-cpu-throttle": 90, "throttle-trigger-threshold": 60})
        qmp(q, "query-migrate-parameters")
        for bad in ({"downtime-limit": 2000001}, {"cpu-throttle-initial": 0},
                    {"cpu-throttle-initial": 100}, {"cpu-throttle-increment": 101},
                    {"max-cpu-throttle": 100}, {"throttle-trigger-threshold": 0},
                    {"max-bandwidth": -1}, {"downtime-limit": "x"}):
            qmp(q, "migrate-set-parameters", bad)
        qmp(q, "query-migrate-parameters")
        hmc(q, "info migrate_capabilities")
        hmc(q, "info migrate_parameters")
        hmc(q, "migrate_set_parameter max-bandwidth 100")
        hmc(q, "migrate_set_parameter downtime-limit 1k")
        hmc(q, "migrate_set_parameter max-bandwidth 1x")
        hmc(q, "migrate_set_capability auto-converge off")
        hmc(q, "migrate_set_capability bogus on")
        hmc(q, "info migrate_parameters")
        hmc(q, "info migrate")
        qmp(q, "query-migrate")
        qmp(q, "migrate_cancel")
        qmp(q, "migrate-continue", {"state": "pre-switchover"})
        qmp(q, "migrate-continue", {"state": "bogus"})
        qmp(q, "query-migrate")
    differ(script)
