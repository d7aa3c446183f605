"""Migration capabilities and parameters, compared byte for byte with QEMU 7.2:
migrate-set-capabilities / query-migrate-capabilities (every capability alone,
combinations, checks over the current set, argument errors),
migrate-set-parameters / query-migrate-parameters (every range and type
error, StrOrNull, uint64 wrap-around, block-bitmap-mapping), the HMP commands
migrate_set_capability / migrate_set_parameter (value parsing, errors, TAB
completion, help), `info migrate_capabilities`, `info migrate_parameters` and
the globals block of `info migrate` (also through human-monitor-command),
and the -global migration.* / -only-migratable start-up options.
"""

import json

import pytest

from differential import STD_ARGS, unix_server

HMP_ARGS = ["-monitor", unix_server("hmp.sock")]

CAPS = ["xbzrle", "rdma-pin-all", "auto-converge", "zero-blocks", "compress", "events",
        "postcopy-ram", "x-colo", "release-ram", "block", "return-path",
        "pause-before-switchover", "multifd", "dirty-bitmaps", "postcopy-blocktime",
        "late-block-activate", "x-ignore-shared", "validate-uuid", "background-snapshot",
        "zero-copy-send", "postcopy-preempt"]

# 7.2's list of capabilities refused together with background-snapshot.
BG_INCOMPATIBLE = ["postcopy-ram", "dirty-bitmaps", "postcopy-blocktime", "late-block-activate",
                   "return-path", "multifd", "pause-before-switchover", "auto-converge",
                   "release-ram", "rdma-pin-all", "compress", "xbzrle", "x-colo",
                   "validate-uuid", "zero-copy-send"]

QC = {"execute": "query-migrate-capabilities"}
QP = {"execute": "query-migrate-parameters"}


def caps(*pairs):
    return {"execute": "migrate-set-capabilities",
            "arguments": {"capabilities": [{"capability": c, "state": s} for c, s in pairs]}}


def params(args):
    return {"execute": "migrate-set-parameters", "arguments": args}


def hmc(cmdline):
    return {"execute": "human-monitor-command", "arguments": {"command-line": cmdline}}


def start_qmp(s, *extra):
    s.launch_std(*extra)
    return s.qmp(negotiate=True)


def send_all(q, requests):
    for r in requests:
        q.send(json.dumps(r).encode(), msgs=1)


def start_hmp(s, *extra):
    s.launch(*STD_ARGS, *HMP_ARGS, *extra)
    return s.hmp()


def typed(h, line, prompts=1):
    if isinstance(line, str):
        line = line.encode()
    return h.send(line + b"\r", prompts=prompts)


# ---------------------------------------------------------------------------
# QMP: capabilities


def test_each_capability_alone(differ):
    def script(s):
        q = start_qmp(s)
        send_all(q, [QC])
        for c in CAPS:
            send_all(q, [caps((c, True)), QC, caps((c, False))])
        send_all(q, [QC])
    differ(script)


def test_capability_combinations(differ):
    combos = [("multifd", "compress"), ("multifd", "xbzrle"), ("postcopy-ram", "compress"),
              ("zero-copy-send", "multifd"), ("postcopy-preempt", "postcopy-ram"),
              ("postcopy-ram", "multifd"), ("postcopy-ram", "x-ignore-shared"),
              ("zero-copy-send", "multifd", "xbzrle"), ("zero-copy-send", "multifd", "compress"),
              ("postcopy-preempt", "postcopy-ram", "compress"), ("postcopy-preempt", "compress"),
              ("compress", "multifd", "postcopy-preempt"),
              ("events", "pause-before-switchover", "return-path", "auto-converge")]

    def script(s):
        q = start_qmp(s)
        for combo in combos:
            send_all(q, [caps(*[(c, True) for c in combo]), QC,
                         caps(*[(c, False) for c in combo])])
        for c in BG_INCOMPATIBLE:
            send_all(q, [caps(("background-snapshot", True), (c, True)),
                         caps((c, True), ("background-snapshot", True), ("xbzrle", True)),
                         caps(("background-snapshot", False), (c, False), ("xbzrle", False))])
        send_all(q, [QC])
    differ(script)


def test_capability_checks_use_the_current_set(differ):
    def script(s):
        q = start_qmp(s)
        send_all(q, [
            caps(("multifd", True)), caps(("zero-copy-send", True)), caps(("compress", True)),
            caps(("xbzrle", True)), caps(("multifd", False)), QC,
            # zero copy against the parameters, both ways
            params({"multifd-compression": "zlib"}), params({"tls-creds": "x"}),
            params({"tls-creds": None}), params({"multifd-compression": "none"}),
            caps(("zero-copy-send", False), ("multifd", False)),
            params({"multifd-compression": "zstd"}),
            caps(("zero-copy-send", True), ("multifd", True)),
            params({"multifd-compression": "none", "tls-creds": "c"}),
            caps(("zero-copy-send", True), ("multifd", True)),
            params({"tls-creds": ""}),
            caps(("zero-copy-send", True), ("multifd", True)),
            caps(("zero-copy-send", False), ("multifd", False)),
            # postcopy pairs, one at a time
            caps(("postcopy-ram", True)), caps(("x-ignore-shared", True)),
            caps(("postcopy-ram", False)), caps(("x-ignore-shared", True)),
            caps(("postcopy-ram", True)), caps(("x-ignore-shared", False)),
            caps(("postcopy-preempt", True)), caps(("compress", True)),
            caps(("postcopy-ram", False)), caps(("postcopy-preempt", False)), QC,
            # the same capability twice: the last one wins
            caps(("events", True), ("events", False)), QC,
            caps(("events", False), ("events", True)), QC, caps(("events", False)),
        ])
    differ(script)


def test_capability_argument_errors(differ):
    def script(s):
        q = start_qmp(s)
        send_all(q, [
            caps(("foo", True)),
            {"execute": "migrate-set-capabilities",
             "arguments": {"capabilities": [{"capability": "xbzrle", "state": "yes"}]}},
            {"execute": "migrate-set-capabilities",
             "arguments": {"capabilities": [{"capability": "xbzrle"}]}},
            {"execute": "migrate-set-capabilities", "arguments": {"capabilities": [{"state": True}]}},
            {"execute": "migrate-set-capabilities",
             "arguments": {"capabilities": {"capability": "xbzrle", "state": True}}},
            {"execute": "migrate-set-capabilities", "arguments": {"capabilities": [1]}},
            {"execute": "migrate-set-capabilities",
             "arguments": {"capabilities": [{"capability": 5, "state": True}]}},
            {"execute": "migrate-set-capabilities",
             "arguments": {"capabilities": [{"capability": "xbzrle", "state": True, "x": 1}]}},
            {"execute": "migrate-set-capabilities", "arguments": {}},
            {"execute": "migrate-set-capabilities"},
            {"execute": "migrate-set-capabilities", "arguments": {"capabilities": []}},
            {"execute": "query-migrate-capabilities", "arguments": {"x": 1}},
            {"execute": "query-migrate-parameters", "arguments": {"x": 1}},
            {"execute": "query-migrate-capabilities", "arguments": {}, "id": 7},
        ])
    differ(script)


# ---------------------------------------------------------------------------
# QMP: parameters

U8 = {"compress-level": 1, "compress-threads": 8, "decompress-threads": 2,
      "throttle-trigger-threshold": 50, "cpu-throttle-initial": 20, "cpu-throttle-increment": 10,
      "max-cpu-throttle": 99, "multifd-channels": 2, "multifd-zlib-level": 1,
      "multifd-zstd-level": 1}
SIZES = {"announce-initial": 50, "announce-max": 550, "announce-rounds": 5,
         "announce-step": 100, "max-bandwidth": 134217728, "xbzrle-cache-size": 67108864,
         "max-postcopy-bandwidth": 0}


def test_uint8_parameters(differ):
    def script(s):
        q = start_qmp(s)
        for name, default in U8.items():
            for v in [0, 1, 9, 10, 20, 21, 99, 100, 101, 255, 256, -1, "1", 1.0, True, None]:
                send_all(q, [params({name: v})])
            send_all(q, [QP, params({name: default})])
    differ(script)


def test_size_parameters(differ):
    def script(s):
        q = start_qmp(s)
        for name, default in SIZES.items():
            for v in [0, 1, 1000, 1001, 4096, 4097, 10000, 10001, 100000, 100001, 2 ** 63,
                      2 ** 64 - 1, 2 ** 64, -1, -4096, "1", 1.5, False]:
                send_all(q, [params({name: v})])
            send_all(q, [QP, params({name: default})])
        send_all(q, [QP])
    differ(script)


def test_other_parameters(differ):
    def script(s):
        q = start_qmp(s)
        for v in [0, 2000000, 2000001, -1, 2 ** 64 - 1, "500", 1.5, 300]:
            send_all(q, [params({"downtime-limit": v})])
        for v in [0, 2 ** 32 - 1, 2 ** 32, -1, "x", 20000]:
            send_all(q, [params({"x-checkpoint-delay": v})])
        for name in ["compress-wait-thread", "cpu-throttle-tailslow", "block-incremental"]:
            for v in [True, False, "on", 1, None]:
                send_all(q, [params({name: v})])
        for v in ["zlib", "zstd", "lz4", "bogus", 1, None, "none"]:
            send_all(q, [params({"multifd-compression": v})])
        send_all(q, [
            QP,
            params({"cpu-throttle-initial": 50, "max-cpu-throttle": 40}),
            params({"max-cpu-throttle": 40}), params({"cpu-throttle-initial": 30, "max-cpu-throttle": 40}),
            params({"cpu-throttle-initial": 50}), params({"max-cpu-throttle": 30}),
            params({"cpu-throttle-initial": 20, "max-cpu-throttle": 99}),
            params({"downtime-limit": 450, "multifd-channels": 0}),
            params({"downtime-limit": 400, "foo": 1}), params({"foo": 1}), params({}),
            {"execute": "migrate-set-parameters"}, QP,
        ])
    differ(script)


def test_tls_parameters(differ):
    def script(s):
        q = start_qmp(s)
        for name in ["tls-creds", "tls-hostname", "tls-authz"]:
            for v in ["abc", None, "", 1, True, ["x"], {"a": 1}, "x y", "h\u00e9"]:
                send_all(q, [params({name: v}), QP])
        send_all(q, [params({"tls-creds": "a", "tls-hostname": "b", "tls-authz": "c"}), QP,
                     hmc("info migrate_parameters"),
                     params({"tls-creds": None, "tls-hostname": None, "tls-authz": None}), QP])
    differ(script)


def test_block_bitmap_mapping(differ):
    good = [{"node-name": "drive0", "alias": "n0",
             "bitmaps": [{"name": "bm0", "alias": "b0"},
                         {"name": "bm1", "alias": "b1", "transform": {"persistent": True}}]},
            {"node-name": "drive1", "alias": "n1", "bitmaps": []}]
    bad = [
        [{"node-name": "a", "alias": "1x", "bitmaps": []}],
        [{"node-name": "a", "alias": "x" * 256, "bitmaps": []}],
        [{"node-name": "n" * 32, "alias": "x", "bitmaps": []}],
        [{"node-name": "a", "alias": "x", "bitmaps": []},
         {"node-name": "a", "alias": "y", "bitmaps": []}],
        [{"node-name": "a", "alias": "x", "bitmaps": []},
         {"node-name": "b", "alias": "x", "bitmaps": []}],
        [{"node-name": "a", "alias": "x",
          "bitmaps": [{"name": "m", "alias": "p"}, {"name": "m", "alias": "q"}]}],
        [{"node-name": "a", "alias": "x",
          "bitmaps": [{"name": "m", "alias": "p"}, {"name": "n", "alias": "p"}]}],
        [{"node-name": "a", "alias": "x", "bitmaps": [{"name": "m", "alias": "p" * 256}]}],
        [{"node-name": "a", "alias": "x", "bitmaps": [{"name": "m" * 1024, "alias": "p"}]}],
        [{"node-name": "a", "alias": "x"}],
        [{"alias": "x", "bitmaps": []}],
        {}, None, [{"node-name": "a", "alias": "x", "bitmaps": [], "extra": 1}],
    ]

    def script(s):
        q = start_qmp(s)
        send_all(q, [QP, params({"block-bitmap-mapping": []}), QP,
                     hmc("info migrate_parameters"),
                     params({"block-bitmap-mapping": good}), QP, hmc("info migrate_parameters")])
        for m in bad:
            send_all(q, [params({"block-bitmap-mapping": m})])
        send_all(q, [params({"block-bitmap-mapping": [{"node-name": "n" * 31, "alias": "x",
                                                        "bitmaps": []}]}), QP])
    differ(script)


def test_all_parameters_at_once(differ):
    def script(s):
        q = start_qmp(s)
        send_all(q, [
            params({"announce-initial": 1, "announce-max": 2, "announce-rounds": 3,
                    "announce-step": 4, "compress-level": 5, "compress-threads": 6,
                    "compress-wait-thread": False, "decompress-threads": 7,
                    "throttle-trigger-threshold": 8, "cpu-throttle-initial": 9,
                    "cpu-throttle-increment": 10, "cpu-throttle-tailslow": True,
                    "tls-creds": "c", "tls-hostname": "h", "tls-authz": "a", "max-bandwidth": 11,
                    "downtime-limit": 12, "x-checkpoint-delay": 13, "block-incremental": True,
                    "multifd-channels": 14, "xbzrle-cache-size": 8192,
                    "max-postcopy-bandwidth": 15, "max-cpu-throttle": 16,
                    "multifd-compression": "zlib", "multifd-zlib-level": 2,
                    "multifd-zstd-level": 3}),
            QP, hmc("info migrate_parameters"), hmc("info migrate"),
        ])
    differ(script)


# ---------------------------------------------------------------------------
# HMP


HMP_SESSION = [
    "info migrate", "info migrate_capabilities", "info migrate_parameters",
    "migrate_set_capability xbzrle on", "info migrate_capabilities",
    "migrate_set_capability xbzrle foo", "migrate_set_capability foo on",
    "migrate_set_capability xbzrle", "migrate_set_capability", "migrate_set_capability xbzrle yes",
    "migrate_set_capability xbzrle off x", "migrate_set_capability zero-copy-send on",
    "migrate_set_capability postcopy-preempt on", "migrate_set_capability multifd on",
    "migrate_set_capability compress on", "migrate_set_capability multifd on",
    "migrate_set_capability compress off", "migrate_set_capability multifd off",
    "migrate_set_capability events on", "migrate_set_capability x-colo on",
    "migrate_set_capability block on", "migrate_set_capability background-snapshot on",
    "info migrate_capabilities",
    "migrate_set_capability x-colo off", "migrate_set_capability block off",
    "migrate_set_capability events off", "migrate_set_capability xbzrle off",
    "migrate_set_parameter downtime-limit 500", "info migrate_parameters",
    "migrate_set_parameter downtime-limit abc", "migrate_set_parameter downtime-limit -1",
    "migrate_set_parameter downtime-limit 2000001", "migrate_set_parameter downtime-limit 1k",
    "migrate_set_parameter downtime-limit 1.5k", "migrate_set_parameter downtime-limit 1.5",
    "migrate_set_parameter downtime-limit 20E", "migrate_set_parameter downtime-limit 0x10",
    "migrate_set_parameter downtime-limit 0x10k", "migrate_set_parameter downtime-limit 0x10kb",
    "migrate_set_parameter downtime-limit 2b", "info migrate_parameters",
    "migrate_set_parameter downtime-limit 300",
    "migrate_set_parameter multifd-channels 0", "migrate_set_parameter multifd-channels 300",
    "migrate_set_parameter multifd-channels -1", "migrate_set_parameter multifd-channels abc",
    "migrate_set_parameter multifd-channels 0x10", "migrate_set_parameter multifd-channels 010",
    'migrate_set_parameter multifd-channels " 3"', 'migrate_set_parameter multifd-channels "3 "',
    "migrate_set_parameter multifd-channels 1k", "info migrate_parameters",
    "migrate_set_parameter multifd-channels 2",
    "migrate_set_parameter foo 1", "migrate_set_parameter downtime-limit",
    "migrate_set_parameter", "migrate_set_parameter downtime-limit 1 2",
    "migrate_set_parameter max-bandwidth 100", "info migrate_parameters",
    "migrate_set_parameter max-bandwidth 1G", "migrate_set_parameter max-bandwidth 1x",
    "migrate_set_parameter max-bandwidth 8E", "migrate_set_parameter max-bandwidth 7E",
    "migrate_set_parameter max-bandwidth 16E", "migrate_set_parameter max-bandwidth -1",
    "migrate_set_parameter max-bandwidth 0x10", "migrate_set_parameter max-bandwidth 0x10k",
    "migrate_set_parameter max-bandwidth 0x10kx", "migrate_set_parameter max-bandwidth 1.5",
    "info migrate_parameters",
    "migrate_set_parameter max-bandwidth 512k", "migrate_set_parameter max-bandwidth 100b",
    "migrate_set_parameter max-bandwidth 0", "info migrate_parameters",
    "migrate_set_parameter xbzrle-cache-size 1M", "migrate_set_parameter xbzrle-cache-size 1000",
    "migrate_set_parameter xbzrle-cache-size 8E", "migrate_set_parameter xbzrle-cache-size 9E",
    "migrate_set_parameter xbzrle-cache-size 16E", "migrate_set_parameter xbzrle-cache-size 4k",
    "migrate_set_parameter tls-creds foo", 'migrate_set_parameter tls-hostname "a b"',
    "migrate_set_parameter tls-authz z", "migrate_set_parameter tls-creds",
    "migrate_set_parameter multifd-compression zstd",
    "migrate_set_parameter multifd-compression bogus",
    "migrate_set_parameter compress-wait-thread off", "migrate_set_parameter compress-wait-thread n",
    "migrate_set_parameter compress-wait-thread maybe",
    "migrate_set_parameter compress-wait-thread Y",
    "migrate_set_parameter cpu-throttle-tailslow true",
    "migrate_set_parameter block-incremental yes",
    "migrate_set_parameter compress-level 10", "migrate_set_parameter compress-level 9",
    "migrate_set_parameter compress-threads 0", "migrate_set_parameter decompress-threads 256",
    "migrate_set_parameter throttle-trigger-threshold 101",
    "migrate_set_parameter cpu-throttle-initial 0",
    "migrate_set_parameter cpu-throttle-increment 100",
    "migrate_set_parameter max-cpu-throttle 10",
    "migrate_set_parameter x-checkpoint-delay -1",
    "migrate_set_parameter x-checkpoint-delay 4294967296",
    "migrate_set_parameter x-checkpoint-delay 100", "migrate_set_parameter multifd-zlib-level 10",
    "migrate_set_parameter multifd-zstd-level 300",
    "migrate_set_parameter max-postcopy-bandwidth 1M",
    "migrate_set_parameter announce-initial 100001", "migrate_set_parameter announce-max 1k",
    "migrate_set_parameter announce-rounds 1001", "migrate_set_parameter announce-step 0",
    "migrate_set_parameter announce-step 10k", "migrate_set_parameter announce-step 200",
    "migrate_set_parameter block-bitmap-mapping x", "info migrate_parameters",
    "info migrate",
    "help migrate_set_capability", "help migrate_set_parameter",
    "help info migrate_capabilities", "help info migrate_parameters", "help info migrate",
]


def test_hmp_set_and_info(differ):
    def script(s):
        h = start_hmp(s)
        for line in HMP_SESSION:
            typed(h, line)
    differ(script)


def test_hmp_tab_completion(differ):
    def script(s):
        h = start_hmp(s)
        for prefix in [b"migrate_set_cap", b"migrate_set_capability ",
                       b"migrate_set_capability p", b"migrate_set_capability postcopy-",
                       b"migrate_set_capability postcopy-b", b"migrate_set_capability events ",
                       b"migrate_set_capability events o", b"migrate_set_capability events of",
                       b"migrate_set_parameter ", b"migrate_set_parameter max-",
                       b"migrate_set_parameter tls-a", b"migrate_set_parameter max-bandwidth 1",
                       b"info migrate", b"info migrate_p"]:
            # TAB, then ^A ^K-like cleanup: Enter on the completed line runs it
            # (harmless: at most an error), keeping both sides in step.
            h.send(prefix + b"\t", nothing=0.3)
            typed(h, b"")
    differ(script)


def test_hmc_commands(differ):
    def script(s):
        q = start_qmp(s)
        send_all(q, [hmc("info migrate"), hmc("info migrate_capabilities"),
                     hmc("info migrate_parameters"),
                     hmc("migrate_set_capability events on"), hmc("migrate_set_capability x on"),
                     hmc("migrate_set_capability events"),
                     hmc("migrate_set_parameter downtime-limit abc"),
                     hmc("migrate_set_parameter downtime-limit 0x10k"),
                     hmc("migrate_set_parameter max-bandwidth 1"),
                     hmc("info migrate_capabilities"), hmc("info migrate_parameters"),
                     QC, QP])
    differ(script)


# ---------------------------------------------------------------------------
# start-up knobs


def test_globals_and_only_migratable(differ):
    globals_ = ["store-global-state=off", "send-section-footer=off",
                "decompress-error-check=no", "x-clear-bitmap-shift=20",
                "send-configuration=false", "x-events=on", "x-return-path=yes",
                "x-max-bandwidth=0x10k", "x-downtime-limit=1000", "tls-authz=az",
                "multifd-channels=9", "multifd-zlib-level=9", "multifd-compression=zstd",
                "x-checkpoint-delay=5", "announce-step=7", "x-cpu-throttle-tailslow=on"]
    args = ["-only-migratable"]
    for g in globals_:
        args += ["-global", "migration." + g]

    def script(s):
        q = start_qmp(s, *args)
        send_all(q, [hmc("info migrate"), hmc("info migrate_capabilities"),
                     hmc("info migrate_parameters"), QC, QP])
        s.record_output()
    differ(script)


GLOBAL_ERRORS = {
    "bad-uint64": ["x-downtime-limit=abc"],
    "unknown-property": ["foo=1"],
    "no-x-property-for-validate-uuid": ["x-validate-uuid=on"],
    "uint8-range": ["x-clear-bitmap-shift=300"],
    "bool": ["x-events=maybe"],
    "size": ["x-max-bandwidth=abc"],
    "size-range": ["x-max-bandwidth=20E"],
    "uint32": ["x-checkpoint-delay=-1"],
    "enum": ["multifd-compression=lz4"],
    "param-check": ["x-downtime-limit=2000001"],
    "param-check-throttle": ["max-cpu-throttle=10"],
    "param-check-announce": ["announce-step=0"],
    "cap-check-zero-copy": ["x-zero-copy-send=on"],
    "cap-check-preempt": ["x-postcopy-preempt=on"],
    "cap-check-zero-copy-compression": ["x-zero-copy-send=on", "x-multifd=on",
                                        "multifd-compression=zlib"],
    "first-error-wins": ["foo=1", "bar=2"],
    "hex-suffix-warning-then-error": ["x-max-bandwidth=0x10kx"],
}


@pytest.mark.parametrize("name", sorted(GLOBAL_ERRORS))
def test_global_errors(differ, name):
    args = ["-M", "none", "-nodefaults", "-display", "none"]
    for g in GLOBAL_ERRORS[name]:
        args += ["-global", "migration." + g]

    def script(s):
        s.launch(*args)
        s.wait_exit(timeout=5)
        s.record_output()
    differ(script)
