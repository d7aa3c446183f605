"""x-migration-fault: faults armed on the next migration of either side.

Each fault must make the migration behave as the matching real failure
would (a cut connection, a stalled or slow link, a corrupted byte, a
destination that refuses or is slow to take the connection), leave the
source's guest running, and be used up: the next migration succeeds.
Destinations are migemu and, where the fault is on migemu's source, real
QEMU 7.2.
"""

import time

import pytest

from migration_helpers import MiB, fill_random, mig  # noqa: F401

FAILED_WRITE = ("Unable to write to socket: Connection reset by peer",
                "Unable to write to socket: Broken pipe")


def arm(vm, side, action, **kw):
    vm.cmd("x-migration-fault", dict(side=side, action=action, **kw))


def source_fails(src, dst, error):
    n = len(src.events())
    src.cmd("migrate", {"uri": dst.uri})
    src.wait_migration_event("failed", timeout=30, since=n)
    info = src.query_migrate()
    assert info["status"] == "failed", info
    if isinstance(error, str):
        assert info.get("error-desc") == error, info
    else:
        assert info.get("error-desc") in error, info
    assert src.run_state()["status"] == "running"
    return info


def migrate_ok(src, dst):
    n = len(src.events())
    src.cmd("migrate", {"uri": dst.uri})
    info = src.wait_source_completed(timeout=60, since=n)
    dst.wait_migration_event("completed", timeout=30)
    assert dst.digest() == src.digest()
    return info


def fresh_pair(mig, name, dst_binary="migemu"):
    dst = mig.vm(dst_binary, name, incoming="tcp", ram="32M")
    return dst


@pytest.fixture
def src(mig):
    vm = mig.vm("migemu", "src", ram="32M", hmp=True)
    fill_random(vm.memfile, 0, 8 * MiB, seed=7)
    return vm


def test_source_drop_fails_like_a_cut_connection_then_next_succeeds(mig, src):
    dst = fresh_pair(mig, "dst1")
    arm(src, "source", "drop", offset=1 * MiB)
    source_fails(src, dst, "Unable to write to socket: Connection reset by peer")
    assert dst.wait_exit(10) == 1  # the destination saw the stream end
    assert "load of migration failed" in dst.stderr()
    migrate_ok(src, fresh_pair(mig, "dst2"))


def test_source_drop_to_real_qemu(mig, src):
    dst = fresh_pair(mig, "q1", "qemu")
    arm(src, "source", "drop", offset=2 * MiB)
    source_fails(src, dst, "Unable to write to socket: Connection reset by peer")
    assert dst.wait_exit(10) == 1
    migrate_ok(src, fresh_pair(mig, "q2", "qemu"))


def test_source_corrupt_byte_fails_the_destination_load(mig, src):
    dst = fresh_pair(mig, "dst1")
    arm(src, "source", "corrupt", offset=1)  # inside the QEVM magic
    info = source_fails(src, dst, FAILED_WRITE + (None,))
    assert dst.wait_exit(10) == 1
    assert "load of migration failed: Invalid argument" in dst.stderr(), dst.stderr()
    del info
    migrate_ok(src, fresh_pair(mig, "dst2"))


def test_source_stall_delays_but_completes(mig, src):
    arm(src, "source", "stall", offset=64 * 1024, duration=800)
    info = migrate_ok(src, fresh_pair(mig, "dst1"))
    assert info["total-time"] >= 800, info


def test_source_throttle_caps_the_rate(mig, src):
    src.set_params(max_bandwidth=0)
    arm(src, "source", "throttle", rate=8 * MiB)
    t0 = time.monotonic()
    migrate_ok(src, fresh_pair(mig, "dst1"))
    # 8 MiB of random pages at 8 MiB/s: about a second, never much less
    assert time.monotonic() - t0 >= 0.9


def test_destination_drop_fails_both_sides(mig, src):
    dst = fresh_pair(mig, "dst1")
    arm(dst, "destination", "drop", offset=1 * MiB)
    source_fails(src, dst, FAILED_WRITE)
    assert dst.wait_exit(10) == 1
    migrate_ok(src, fresh_pair(mig, "dst2"))


def test_destination_refuse_accept_then_the_next_connection_works(mig, src):
    dst = fresh_pair(mig, "dst1")
    arm(dst, "destination", "refuse-accept")
    source_fails(src, dst, FAILED_WRITE)
    assert dst.alive()
    migrate_ok(src, dst)


def test_destination_delay_accept(mig, src):
    dst = fresh_pair(mig, "dst1")
    arm(dst, "destination", "delay-accept", duration=700)
    info = migrate_ok(src, dst)
    assert info["total-time"] >= 700, info


def test_clear_disarms(mig, src):
    arm(src, "source", "drop", offset=0)
    arm(src, "source", "clear")
    migrate_ok(src, fresh_pair(mig, "dst1"))


def test_bad_requests_are_refused(mig, src):
    def err(args):
        r = src.cmd_raw("x-migration-fault", args)
        assert "error" in r, r
        return r["error"]["desc"]
    assert err({"side": "source", "action": "refuse-accept"}) == (
        "Fault 'refuse-accept' applies to the destination side only")
    assert err({"side": "source", "action": "stall"}) == "Parameter 'duration' is missing"
    assert err({"side": "source", "action": "throttle", "rate": 0}) == (
        "Parameter 'rate' expects a positive number of bytes per second")
    assert err({"side": "source", "action": "corrupt"}) == "Parameter 'offset' is missing"
    assert err({"side": "source", "action": "explode"}) == (
        "Parameter 'action' does not accept value 'explode'")
    assert err({"side": "sideways", "action": "drop"}) == (
        "Parameter 'side' does not accept value 'sideways'")
    # nothing was armed by the refused requests
    migrate_ok(src, fresh_pair(mig, "dst1"))


def test_hmp_twin(mig, src):
    assert src.hmp_cmd("x_migration_fault source stall offset=4K,duration=300") == ""
    assert src.hmp_cmd("x_migration_fault source nope") == (
        "Error: Parameter 'action' does not accept value 'nope'\r\n")
    assert src.hmp_cmd("x_migration_fault source drop size=3") == (
        "Error: Invalid parameter 'size'\r\n")
    info = migrate_ok(src, fresh_pair(mig, "dst1"))
    assert info["total-time"] >= 300, info


# ---------------------------------------------------------------------------
# faults on a multifd channel ("channel": N; offsets count that channel's
# bytes from its 64-byte initial packet on)

CHANNELS = 2


def multifd_pair(mig, src, name):
    """A fresh multifd destination; `src` gets the same settings."""
    dst = mig.vm("migemu", name, incoming="defer", ram="32M")
    for vm in (src, dst):
        vm.set_caps(multifd=True)
        vm.set_params(multifd_channels=CHANNELS, multifd_compression="none")
    dst.uri = "unix:" + mig.path(name + ".sock")
    dst.cmd("migrate-incoming", {"uri": dst.uri})
    return dst


def both_fail_within(src, dst, bound, error=None):
    """The source fails within `bound` seconds with its guest running; the
    destination's load fails (status 1) as well."""
    n = len(src.events())
    t0 = time.monotonic()
    src.cmd("migrate", {"uri": dst.uri})
    src.wait_migration_event("failed", timeout=bound, since=n)
    assert time.monotonic() - t0 < bound
    info = src.query_migrate()
    if error:
        assert info.get("error-desc") in error, info
    assert src.run_state()["status"] == "running"
    assert dst.wait_exit(bound) == 1, dst.stderr()
    return dst.stderr()


def test_multifd_source_drop_on_a_channel(mig, src):
    dst = multifd_pair(mig, src, "dst1")
    arm(src, "source", "drop", offset=100000, channel=1)  # inside its first data packet
    err = both_fail_within(src, dst, 10, FAILED_WRITE)
    # The source then closes every channel: whichever the destination finds
    # cut first names the failure, as with a real cut.
    assert ("Unexpected end-of-file before all bytes were read" in err
            or "load of migration failed" in err), err
    migrate_ok(src, multifd_pair(mig, src, "dst2"))


def test_multifd_source_corrupt_a_channel_magic(mig, src):
    dst = multifd_pair(mig, src, "dst1")
    arm(src, "source", "corrupt", offset=1, channel=1)  # 0x22 of the initial packet's magic
    err = both_fail_within(src, dst, 10)
    assert ("failed to receive packet via multifd channel 0: multifd: received packet magic "
            "11dd3344 expected 11223344") in err, err
    migrate_ok(src, multifd_pair(mig, src, "dst2"))


def test_multifd_source_stall_on_a_channel_then_cancel(mig, src):
    dst = multifd_pair(mig, src, "dst1")
    arm(src, "source", "stall", offset=64, duration=60000, channel=0)
    n = len(src.events())
    src.cmd("migrate", {"uri": dst.uri})
    src.wait_migration_event("setup", since=n)
    time.sleep(0.5)
    assert src.query_migrate()["status"] in ("setup", "active")  # held by the stalled channel
    t0 = time.monotonic()
    src.cmd("migrate_cancel")
    src.wait_migration_event("cancelled", timeout=5, since=n)
    assert time.monotonic() - t0 < 2
    assert src.run_state()["status"] == "running"
    assert dst.wait_exit(10) == 1
    migrate_ok(src, multifd_pair(mig, src, "dst2"))


def test_multifd_destination_drop_on_a_channel(mig, src):
    dst = multifd_pair(mig, src, "dst1")
    arm(dst, "destination", "drop", offset=64 + 1344 + 10, channel=0)
    err = both_fail_within(src, dst, 10, FAILED_WRITE)
    # The channel's reset, or, when the source's reaction (closing every
    # channel) reaches the loader first, the main channel's end of file: the
    # destination reports whichever failure it saw first (slow ASan runs
    # show the second).
    assert ("Unable to read from socket: Connection reset by peer" in err or
            "Unexpected end-of-file before all bytes were read" in err), err
    migrate_ok(src, multifd_pair(mig, src, "dst2"))


def test_multifd_destination_stall_on_a_channel_delays(mig, src):
    dst = multifd_pair(mig, src, "dst1")
    arm(dst, "destination", "stall", offset=64, duration=700, channel=1)
    info = migrate_ok(src, dst)
    assert info["total-time"] >= 700, info


def test_multifd_fault_channel_arguments(mig, src):
    def err(args):
        r = src.cmd_raw("x-migration-fault", args)
        assert "error" in r, r
        return r["error"]["desc"]
    assert err({"side": "destination", "action": "refuse-accept", "channel": 0}) == (
        "Fault 'refuse-accept' applies to the main channel only")
    assert err({"side": "source", "action": "drop", "channel": "other"}) == (
        "Parameter 'channel' does not accept value 'other'")
    assert err({"side": "source", "action": "drop", "channel": 256}) == (
        "Parameter 'channel' expects uint8_t")
    assert src.hmp_cmd("x_migration_fault source drop channel=x") == (
        "Error: Parameter 'channel' does not accept value 'x'\r\n")
    # "main" is the default; a channel the migration does not open is used
    # up with it; HMP takes channel= too.
    arm(src, "source", "drop", offset=0, channel=5)
    assert src.hmp_cmd("x_migration_fault source stall offset=64,duration=400,channel=1") == ""
    info = migrate_ok(src, multifd_pair(mig, src, "dst1"))
    assert info["total-time"] >= 400, info
    src.cmd("cont")  # out of postmigrate, to migrate again
    arm(src, "source", "stall", offset=0, duration=300, channel="main")
    info = migrate_ok(src, multifd_pair(mig, src, "dst2"))
    assert info["total-time"] >= 300, info
    src.cmd("cont")
    migrate_ok(src, multifd_pair(mig, src, "dst3"))
