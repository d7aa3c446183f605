"""QMP commands of the foundation issue.

Differential (byte-identical with QEMU 7.2): query-* results, run-state
changes and their events, human-monitor-command, getfd/closefd, add-fd /
remove-fd / query-fdsets, argument errors.

Not byte-compared (migemu implements a subset of QEMU's 216 commands):
query-commands and query-qmp-schema. For those the tests check that
query-commands lists exactly what migemu implements (every listed name
dispatches, every other 7.2 command is CommandNotFound), that the schema is
well-formed SchemaInfo consistent with query-commands, and that the schema
entries of migemu's commands and events are structurally identical to QEMU's.
"""

import importlib
import json
import os
import re

import pytest

from differential import STD_ARGS, unix_server
from launcher import Instance
from monclient import QMPClient, connect_unix

HERE = os.path.dirname(os.path.abspath(__file__))

# Commands of the foundation issue (migemu must implement at least these).
FOUNDATION_COMMANDS = {
    "qmp_capabilities", "query-version", "query-commands", "query-qmp-schema",
    "query-status", "query-name", "query-uuid", "query-kvm", "query-target",
    "stop", "cont", "quit", "system_powerdown", "system_reset",
    "human-monitor-command", "getfd", "closefd", "add-fd", "remove-fd", "query-fdsets",
}
FOUNDATION_EVENTS = {"STOP", "RESUME", "SHUTDOWN", "POWERDOWN", "RESET"}


def start(s, *extra):
    s.launch_std(*extra)
    return s.qmp(negotiate=True)


def hmc(cmdline, id=None):
    msg = {"execute": "human-monitor-command", "arguments": {"command-line": cmdline}}
    if id is not None:
        msg["id"] = id
    return json.dumps(msg).encode()


# ---------------------------------------------------------------------------
# queries


def test_queries(differ):
    def script(s):
        q = start(s)
        for cmd in ["query-version", "query-status", "query-name", "query-uuid", "query-kvm",
                    "query-target", "query-fdsets"]:
            q.send(b'{"execute": "%s"}' % cmd.encode(), msgs=1)
            q.send(b'{"execute": "%s", "arguments": {}, "id": "%s"}' % (cmd.encode(), cmd.encode()),
                   msgs=1)
            q.send(b'{"execute": "%s", "arguments": {"x": 1}}' % cmd.encode(), msgs=1)
    differ(script)


def test_queries_with_name_and_uuid(differ):
    def script(s):
        q = start(s, "-name", "guest-\u00e9 1", "-uuid", "12345678-9abc-def0-1234-56789ABCDEF0")
        q.send(b'{"execute": "query-name"}', msgs=1)
        q.send(b'{"execute": "query-uuid"}', msgs=1)
        q.send(hmc("info name"), msgs=1)
        q.send(hmc("info uuid"), msgs=1)
    differ(script)


# ---------------------------------------------------------------------------
# run state and events


def test_stop_cont_reset_powerdown(differ):
    def script(s):
        q = start(s)
        for i, c in enumerate([b"query-status", b"stop", b"query-status", b"stop", b"system_reset",
                               b"query-status", b"system_powerdown", b"query-status", b"cont",
                               b"query-status", b"cont", b"system_reset", b"system_powerdown",
                               b"query-status"]):
            q.raw.send(b'{"execute": "%s", "id": "%s"}' % (c, c))
            q.sync("m%d" % i, label="qmp <- %s (+ marker)" % c.decode())
    differ(script)


def test_prelaunch(differ):
    def script(s):
        q = start(s, "-S")
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(hmc("info status"), msgs=1)
        q.send(b'{"execute": "stop"}', msgs=1)           # no STOP event in prelaunch
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "system_reset"}', msgs=2)
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "system_powerdown"}', msgs=2)
        q.send(b'{"execute": "cont"}', msgs=2)           # RESUME
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(hmc("info status"), msgs=1)
        q.send(b'{"execute": "quit"}', msgs=2)
        q.expect(eof=True)
        s.wait_exit()
    differ(script)


def test_no_shutdown_and_powerdown(differ):
    def script(s):
        q = start(s, "-no-shutdown")
        q.send(b'{"execute": "system_powerdown"}', msgs=2)
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "stop"}', msgs=2)
        q.send(b'{"execute": "system_powerdown"}', msgs=2)
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "quit"}', msgs=2)
        q.expect(eof=True)
        s.wait_exit()
    differ(script)


def test_incoming_defer_runstate(differ):
    def script(s):
        q = start(s, "-incoming", "defer")
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(hmc("info status"), msgs=1)
        q.send(b'{"execute": "stop"}', msgs=1)
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "cont"}', msgs=1)
        q.send(b'{"execute": "system_reset"}', msgs=2)
        q.send(b'{"execute": "query-status"}', msgs=1)
    differ(script)


# ---------------------------------------------------------------------------
# human-monitor-command


def test_human_monitor_command(differ):
    def script(s):
        q = start(s)
        for line in ["info status", "info version", "info name", "info uuid", "info kvm",
                     "", "   ", "foo", "info foo", "help stop", "help cont", "? quit",
                     "help info status", "help nosuch", "info status extra", "stop", "info status",
                     "c", "info status", "system_reset", "system_powerdown", "stop x"]:
            q.raw.send(hmc(line))
            q.sync("h%d" % len(s.steps), label="hmc %r (+ marker)" % line)
        q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": "info status", '
               b'"cpu-index": 0}}', msgs=1)
        q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": "info status", '
               b'"cpu-index": "x"}}', msgs=1)
        q.send(b'{"execute": "human-monitor-command"}', msgs=1)
        q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": 1}}', msgs=1)
        q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": null}}', msgs=1)
        q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": "x", "y": 1}}', msgs=1)
        q.send(hmc("quit", id="q"), msgs=2)
        q.expect(eof=True)
        s.wait_exit()
    differ(script)


# ---------------------------------------------------------------------------
# file descriptors


def test_getfd_closefd(differ):
    def script(s):
        q = start(s)
        r, w = os.pipe()
        try:
            q.send(b'{"execute": "getfd", "arguments": {"fdname": "a"}}', msgs=1)  # no fd
            q.send(b'{"execute": "getfd", "arguments": {"fdname": "a"}, "id": 1}', fds=[r], msgs=1)
            q.send(b'{"execute": "getfd", "arguments": {"fdname": "a"}, "id": 2}', fds=[w], msgs=1)
            q.send(b'{"execute": "getfd", "arguments": {"fdname": "b"}}', fds=[w], msgs=1)
            q.send(b'{"execute": "getfd", "arguments": {"fdname": "1abc"}}', fds=[w], msgs=1)
            q.send(b'{"execute": "closefd", "arguments": {"fdname": "a"}}', msgs=1)
            q.send(b'{"execute": "closefd", "arguments": {"fdname": "a"}}', msgs=1)
            q.send(b'{"execute": "closefd", "arguments": {"fdname": "b"}, "id": "c"}', msgs=1)
            q.send(b'{"execute": "closefd", "arguments": {"fdname": "nosuch"}}', msgs=1)
            q.send(b'{"execute": "closefd", "arguments": {"fdname": "1abc"}}', msgs=1)
            q.send(b'{"execute": "getfd"}', msgs=1)
            q.send(b'{"execute": "getfd", "arguments": {"fdname": 1}}', fds=[r], msgs=1)
            q.send(b'{"execute": "getfd", "arguments": {"fdname": "x", "y": 1}}', fds=[r], msgs=1)
            q.send(b'{"execute": "closefd"}', msgs=1)
            q.send(b'{"execute": "closefd", "arguments": {"fdname": null}}', msgs=1)
            # an fd attached to a command that does not take one is not kept
            q.send(b'{"execute": "query-status"}', fds=[r], msgs=1)
            q.send(b'{"execute": "getfd", "arguments": {"fdname": "late"}}', msgs=1)
        finally:
            os.close(r)
            os.close(w)
    differ(script)


def test_getfd_keeps_the_descriptor(bins):
    """Non-differential: the descriptor received with getfd is really held
    by the process (the pipe's write end stays open until closefd)."""
    inst = Instance(bins.migemu, STD_ARGS + ["-qmp", unix_server("qmp.sock")]).start()
    r, w = os.pipe()
    try:
        q = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
        q.negotiate()
        assert q.cmd("getfd", {"fdname": "wr"}, fds=[w]) == {}
        os.close(w)
        w = None
        os.set_blocking(r, False)
        # migemu holds the write end: no EOF on our read end
        with pytest.raises(BlockingIOError):
            os.read(r, 1)
        assert q.cmd("closefd", {"fdname": "wr"}) == {}
        os.set_blocking(r, True)
        import select
        assert select.select([r], [], [], 5)[0], "closefd did not close the descriptor"
        assert os.read(r, 1) == b""
    finally:
        os.close(r)
        if w is not None:
            os.close(w)
        inst.cleanup()


FD_RE = re.compile(rb'("fd": )(\d+)')


def renumber_fds(data, table):
    """Replace descriptor numbers (process specific) by their order of first
    appearance. This is the only extra normalisation in this file."""
    def sub(m):
        n = int(m.group(2))
        if n not in table:
            table[n] = len(table)
        return m.group(1) + b"<fd%d>" % table[n]
    return FD_RE.sub(sub, data)


def test_add_fd_remove_fd_query_fdsets(differ):
    def script(s):
        q = start(s)
        r, w = os.pipe()
        try:
            cmds = [
                (b'{"execute": "query-fdsets"}', None),
                (b'{"execute": "add-fd"}', None),
                (b'{"execute": "add-fd", "arguments": {}}', r),
                (b'{"execute": "add-fd", "arguments": {"fdset-id": 1}}', r),
                (b'{"execute": "add-fd", "arguments": {"fdset-id": 1, "opaque": "hello"}, "id": 3}', w),
                (b'{"execute": "add-fd", "arguments": {}}', r),
                (b'{"execute": "add-fd", "arguments": {"fdset-id": 7, "opaque": "\\u00e9"}}', w),
                (b'{"execute": "add-fd", "arguments": {"fdset-id": -1}}', r),
                (b'{"execute": "add-fd", "arguments": {"fdset-id": "x"}}', r),
                (b'{"execute": "add-fd", "arguments": {"opaque": 1}}', r),
                (b'{"execute": "add-fd", "arguments": {"bogus": 1}}', r),
                (b'{"execute": "query-fdsets"}', None),
                (b'{"execute": "remove-fd", "arguments": {"fdset-id": 1}}', None),
                (b'{"execute": "query-fdsets"}', None),
                (b'{"execute": "remove-fd", "arguments": {"fdset-id": 1}}', None),
                (b'{"execute": "remove-fd", "arguments": {"fdset-id": 0, "fd": 99}}', None),
                (b'{"execute": "remove-fd", "arguments": {"fdset-id": 7, "fd": 3}}', None),
                (b'{"execute": "remove-fd", "arguments": {"fdset-id": 12}}', None),
                (b'{"execute": "remove-fd"}', None),
                (b'{"execute": "remove-fd", "arguments": {"fdset-id": "0"}}', None),
                (b'{"execute": "remove-fd", "arguments": {"fdset-id": 0, "fd": "x"}}', None),
                (b'{"execute": "query-fdsets"}', None),
                (b'{"execute": "add-fd", "arguments": {}}', r),
                (b'{"execute": "query-fdsets"}', None),
            ]
            for c, fd in cmds:
                q.send(c, fds=[fd] if fd is not None else None, msgs=1)
            # remove each remaining fd by number, as reported by query-fdsets
            sets = json.loads(s.steps[-1].data)["return"]
            for fs in sets:
                for f in fs["fds"]:
                    q.send(b'{"execute": "remove-fd", "arguments": {"fdset-id": %d, "fd": %d}}'
                           % (fs["fdset-id"], f["fd"]), msgs=1)
            q.send(b'{"execute": "query-fdsets"}', msgs=1)
        finally:
            os.close(r)
            os.close(w)

    # Descriptor numbers depend on how many files the process has open; they
    # are renumbered consistently per side before comparing (see renumber_fds).
    def renumbered(script_fn):
        def wrapped(s):
            try:
                script_fn(s)
            finally:
                table = {}
                for st in s.steps:
                    if st.kind == "stream":
                        st.data = renumber_fds(st.data, table)
        return wrapped

    differ(renumbered(script))


# ---------------------------------------------------------------------------
# argument errors


ARGUMENT_CASES = [
    b'{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}',
    b'{"execute": "stop", "arguments": {"x": 1}}',
    b'{"execute": "stop", "arguments": {"x": 1, "y": 2}}',
    b'{"execute": "cont", "arguments": {"": 1}}',
    b'{"execute": "quit", "arguments": {"x": null}}',
    b'{"execute": "system_reset", "arguments": {"x": []}}',
    b'{"execute": "system_powerdown", "arguments": {"x": {}}}',
    b'{"execute": "query-commands", "arguments": {"x": 1}}',
    b'{"execute": "query-qmp-schema", "arguments": {"x": 1}}',
    b'{"execute": "query-version", "arguments": {"\\u00e9": 1}}',
    b'{"execute": "human-monitor-command", "arguments": {}}',
    b'{"execute": "human-monitor-command", "arguments": {"command-line": true}}',
    b'{"execute": "human-monitor-command", "arguments": {"command-line": 1.5}}',
    b'{"execute": "human-monitor-command", "arguments": {"command-line": []}}',
    b'{"execute": "human-monitor-command", "arguments": {"command-line": {}}}',
    b'{"execute": "human-monitor-command", "arguments": {"cpu-index": 0}}',
    b'{"execute": "human-monitor-command", "arguments": {"command-line": "info status", "cpu-index": -1}}',
    b'{"execute": "human-monitor-command", "arguments": {"command-line": "info status", "cpu-index": 1.0}}',
    b'{"execute": "human-monitor-command", "arguments": {"command-line": "info status", "cpu-index": 99999999999}}',
    b'{"execute": "human-monitor-command", "arguments": {"command-line": "info status", "cpu-index": null}}',
    b'{"execute": "getfd", "arguments": {}}',
    b'{"execute": "getfd", "arguments": {"fdname": false}}',
    b'{"execute": "closefd", "arguments": {"fdname": 1}}',
    b'{"execute": "closefd", "arguments": {"fdname": "a", "b": 1}}',
    b'{"execute": "add-fd", "arguments": {"fdset-id": 1.5}}',
    b'{"execute": "add-fd", "arguments": {"fdset-id": 18446744073709551616}}',
    b'{"execute": "add-fd", "arguments": {"fdset-id": 9223372036854775808}}',
    b'{"execute": "remove-fd", "arguments": {}}',
    b'{"execute": "remove-fd", "arguments": {"fd": 1}}',
    b'{"execute": "remove-fd", "arguments": {"fdset-id": true}}',
    b'{"execute": "remove-fd", "arguments": {"fdset-id": 0, "fd": null}}',
    b'{"execute": "remove-fd", "arguments": {"fdset-id": 0, "x": 1}}',
]


def test_argument_errors(differ):
    def script(s):
        q = start(s)
        for c in ARGUMENT_CASES:
            q.send(c, msgs=1)
        q.send(b'{"execute": "query-status"}', msgs=1)
    differ(script)


# ---------------------------------------------------------------------------
# query-commands / query-qmp-schema (not byte-compared)


def _fetch(binary, *cmds):
    inst = Instance(binary, STD_ARGS + ["-qmp", unix_server("qmp.sock")]).start()
    try:
        q = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
        q.negotiate()
        out = [q.cmd(c) for c in cmds]
        raw = list(q.transcript)
        q.close()
        return out, raw
    finally:
        inst.cleanup()


def test_query_commands_lists_exactly_what_works(bins, qemu_reference_schema):
    qemu_cmds = set(qemu_reference_schema["commands"])
    inst = Instance(bins.migemu, STD_ARGS + ["-qmp", unix_server("qmp.sock")]).start()
    try:
        q = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
        q.negotiate()
        reply = q.cmd("query-commands")
        assert isinstance(reply, list)
        for e in reply:
            assert list(e) == ["name"], e
        names = [e["name"] for e in reply]
        assert len(names) == len(set(names)), "duplicate names in query-commands"
        listed = set(names)
        missing = FOUNDATION_COMMANDS - listed
        assert not missing, "foundation commands missing from query-commands: %s" % sorted(missing)
        # migemu's own commands are x- prefixed; everything else must be QEMU's
        unknown = {n for n in listed - qemu_cmds if not n.startswith("x-")}
        assert not unknown, "query-commands lists commands QEMU 7.2 does not have: %s" % sorted(unknown)
        # every listed command dispatches (an argument error proves that the
        # handler exists without running it); every other 7.2 command is unknown
        problems = []
        for name in sorted(qemu_cmds):
            r = q.cmd_raw(name, {"migemu-test-bogus-argument": 1}, id=name)
            if name in listed:
                err = r.get("error", {})
                ok = "error" in r and (err["class"] != "CommandNotFound" or
                                       (name == "qmp_capabilities" and "already complete" in err["desc"]))
                if not ok:
                    problems.append("listed command %s does not dispatch: %s" % (name, json.dumps(r)))
            else:
                exp = {"id": name, "error": {"class": "CommandNotFound",
                                             "desc": "The command %s has not been found" % name}}
                if r != exp:
                    problems.append("unlisted command %s answered %s" % (name, json.dumps(r)))
        assert not problems, "\n".join(problems)
        assert inst.alive()
        q.close()
    finally:
        inst.cleanup()


META_KEYS = {
    "builtin": ({"name", "meta-type", "json-type"}, set()),
    "enum": ({"name", "meta-type", "members", "values"}, {"features"}),
    "array": ({"name", "meta-type", "element-type"}, {"features"}),
    "object": ({"name", "meta-type", "members"}, {"tag", "variants", "features"}),
    "alternate": ({"name", "meta-type", "members"}, {"features"}),
    "command": ({"name", "meta-type", "arg-type", "ret-type"}, {"allow-oob", "features"}),
    "event": ({"name", "meta-type", "arg-type"}, {"features"}),
}
JSON_TYPES = {"string", "number", "int", "boolean", "null", "object", "array", "value"}


def validate_schema(schema):
    """Return a list of problems with a query-qmp-schema reply."""
    errs = []
    if not isinstance(schema, list) or not schema:
        return ["schema is not a non-empty list"]
    byname = {}
    for e in schema:
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            errs.append("bad entry %r" % (e,))
            continue
        if e["name"] in byname:
            errs.append("duplicate name %s" % e["name"])
        byname[e["name"]] = e
    for e in schema:
        mt = e.get("meta-type")
        if mt not in META_KEYS:
            errs.append("%s: bad meta-type %r" % (e["name"], mt))
            continue
        req, opt = META_KEYS[mt]
        keys = set(e)
        if not req <= keys or not keys <= req | opt:
            errs.append("%s: keys %s" % (e["name"], sorted(keys)))
            continue
        if "features" in e and not (isinstance(e["features"], list) and
                                    all(isinstance(f, str) for f in e["features"])):
            errs.append("%s: bad features" % e["name"])

        def ref(t, where):
            if not isinstance(t, str) or t not in byname:
                errs.append("%s: %s refers to unknown type %r" % (e["name"], where, t))
        if mt == "builtin" and e["json-type"] not in JSON_TYPES:
            errs.append("%s: bad json-type" % e["name"])
        if mt == "enum":
            if not all(isinstance(v, str) for v in e["values"]) or \
                    [m.get("name") for m in e["members"]] != e["values"]:
                errs.append("%s: enum members/values mismatch" % e["name"])
        if mt == "array":
            ref(e["element-type"], "element-type")
            if e["name"] != "[%s]" % e["element-type"]:
                errs.append("%s: array name does not match element type" % e["name"])
        if mt == "object":
            for m in e["members"]:
                if set(m) - {"name", "type", "default", "features"} or "name" not in m or "type" not in m:
                    errs.append("%s: bad member %r" % (e["name"], m))
                    continue
                if "default" in m and m["default"] is not None:
                    errs.append("%s: member default must be null" % e["name"])
                ref(m["type"], "member %s" % m["name"])
            if ("tag" in e) != ("variants" in e):
                errs.append("%s: tag without variants or vice versa" % e["name"])
            if "tag" in e:
                if e["tag"] not in [m["name"] for m in e["members"]]:
                    errs.append("%s: tag is not a member" % e["name"])
                for v in e["variants"]:
                    if set(v) != {"case", "type"}:
                        errs.append("%s: bad variant %r" % (e["name"], v))
                    else:
                        ref(v["type"], "variant %s" % v["case"])
        if mt == "alternate":
            for m in e["members"]:
                if set(m) != {"type"}:
                    errs.append("%s: bad alternate member %r" % (e["name"], m))
                else:
                    ref(m["type"], "alternate member")
        if mt == "command":
            ref(e["arg-type"], "arg-type")
            ref(e["ret-type"], "ret-type")
            if "allow-oob" in e and e["allow-oob"] is not True:
                errs.append("%s: allow-oob must be true when present" % e["name"])
        if mt == "event":
            ref(e["arg-type"], "arg-type")
        if mt in ("command", "event", "builtin"):
            continue
        # every other type has a masked name (a number) or is an array of one
        if mt != "array" and not re.fullmatch(r"\d+", e["name"]):
            errs.append("%s: non-builtin type without a masked (numeric) name" % e["name"])
    return errs


def canonical(schema, name, _stack=()):
    """Structure of a type with QEMU's numeric names resolved (comparable
    between two schemas whose numbering differs)."""
    byname = schema if isinstance(schema, dict) else {e["name"]: e for e in schema}
    if name in _stack:
        return ("<recursive>", _stack.index(name))
    e = byname[name]
    st = _stack + (name,)
    mt = e["meta-type"]
    if mt == "builtin":
        return ("builtin", name, e["json-type"])
    if mt == "enum":
        return ("enum", tuple(json.dumps(m, sort_keys=True) for m in e["members"]),
                tuple(e.get("features", [])))
    if mt == "array":
        return ("array", canonical(byname, e["element-type"], st))
    if mt == "alternate":
        return ("alternate", tuple(canonical(byname, m["type"], st) for m in e["members"]))
    if mt == "object":
        return ("object",
                tuple((m["name"], canonical(byname, m["type"], st), "default" in m,
                       tuple(m.get("features", []))) for m in e["members"]),
                e.get("tag"),
                tuple((v["case"], canonical(byname, v["type"], st)) for v in e.get("variants", [])),
                tuple(e.get("features", [])))
    if mt == "command":
        return ("command", canonical(byname, e["arg-type"], st), canonical(byname, e["ret-type"], st),
                e.get("allow-oob", False), tuple(e.get("features", [])))
    if mt == "event":
        return ("event", canonical(byname, e["arg-type"], st), tuple(e.get("features", [])))
    raise AssertionError("unknown meta-type %r" % mt)


def test_query_qmp_schema(bins, qemu_reference_schema):
    (schema, commands), raw = _fetch(bins.migemu, "query-qmp-schema", "query-commands")
    errs = validate_schema(schema)
    assert not errs, "malformed query-qmp-schema:\n" + "\n".join(errs[:30])
    listed = {c["name"] for c in commands}
    schema_cmds = {e["name"] for e in schema if e["meta-type"] == "command"}
    assert schema_cmds == listed, ("schema commands != query-commands: only in schema %s, only listed %s"
                                   % (sorted(schema_cmds - listed), sorted(listed - schema_cmds)))
    events = {e["name"] for e in schema if e["meta-type"] == "event"}
    assert FOUNDATION_EVENTS <= events, "events missing from schema: %s" % sorted(FOUNDATION_EVENTS - events)
    # the reply is one compact line like every other reply
    assert raw[-2].count(b"\r\n") == 1 and raw[-2].startswith(b'{"return": [{')
    # QEMU puts commands and events first, then types in order of first use
    first_type = next(i for i, e in enumerate(schema) if e["meta-type"] not in ("command", "event"))
    assert all(e["meta-type"] not in ("command", "event") for e in schema[first_type:]), \
        "commands/events must come before all types"

    ref = qemu_reference_schema["schema"]
    ref_by = {e["name"]: e for e in ref}
    got_by = {e["name"]: e for e in schema}
    diffs = []
    for name in sorted(schema_cmds | events):
        if name not in ref_by:
            # migemu's own additions must be x- prefixed and marked unstable
            if not (name.startswith("x-") and "unstable" in got_by[name].get("features", [])):
                diffs.append("%s: not in QEMU 7.2's schema" % name)
            continue
        a = canonical(ref_by, name)
        b = canonical(got_by, name)
        if a != b:
            diffs.append("%s:\n   QEMU:   %s\n   migemu: %s" % (name, a, b))
    # the order of commands/events follows QEMU's schema order
    ref_order = [e["name"] for e in ref if e["name"] in got_by and e["meta-type"] in ("command", "event")]
    got_order = [e["name"] for e in schema if e["meta-type"] in ("command", "event")
                 and e["name"] in ref_by]
    if ref_order != got_order:
        diffs.append("command/event order differs from QEMU's:\n   QEMU:   %s\n   migemu: %s"
                     % (ref_order, got_order))
    assert not diffs, "schema entries differ from QEMU 7.2:\n" + "\n".join(diffs)

    helper = os.path.join(HERE, "introspect_compare.py")
    if os.path.exists(helper):
        _run_introspect_compare(ref, schema, sorted(schema_cmds))


def _run_introspect_compare(ref, schema, commands):
    """Use the shared comparison module (introspect_compare.py, written
    separately): compare(ours, qemu) returns a list of problems."""
    mod = importlib.import_module("introspect_compare")
    # migemu's own x- commands have no QEMU counterpart to compare with
    problems = mod.compare(mod.load(schema), mod.load(ref), ignore=r"^x-")
    assert not problems, "introspect_compare reports differences:\n" + "\n".join(problems[:50])
