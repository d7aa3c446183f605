"""QMP wire protocol: differential sessions against QEMU 7.2 and migemu.

Every test sends the same bytes to both programs and requires identical
replies (after masking timestamps / package string only).
"""

import random

import pytest

from differential import STD_ARGS, unix_server

NEG = b'{"execute": "qmp_capabilities"}'


def start(s, *extra, negotiate=True):
    s.launch_std(*extra)
    return s.qmp(negotiate=negotiate)


# ---------------------------------------------------------------------------
# negotiation


def test_greeting_and_negotiation(differ):
    def script(s):
        q = start(s, "-S", negotiate=False)  # -S: the very first connection is recorded
        # everything before qmp_capabilities is refused ...
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "query-status", "id": 1}', msgs=1)
        q.send(b'{"execute": "no-such-command", "id": "x"}', msgs=1)
        q.send(b'{"execute": "stop"}', msgs=1)
        # ... but request validation and parse errors still work
        q.send(b'{"foo": 1}', msgs=1)
        q.send(b'{"id": 5}', msgs=1)
        q.send(b'[1, 2]', msgs=1)
        q.send(b'{"execute": }', msgs=1)
        q.send(b'{"exec-oob": "query-status", "id": 2}', msgs=1)
        # capability errors
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": ["foo"]}}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": ["oob", "bar"]}, "id": 3}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": "oob"}}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": [1]}}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": null}}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"bogus": 1}}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "arguments": []}', msgs=1)
        # still in negotiation mode after all those failures
        q.send(b'{"execute": "query-name"}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "id": "neg"}', msgs=1)
        # command mode
        q.send(b'{"execute": "qmp_capabilities"}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "id": 7}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}, "id": 8}', msgs=1)
        q.send(b'{"execute": "query-status", "id": 9}', msgs=1)
    differ(script)


def test_negotiation_enable_oob_duplicates(differ):
    def script(s):
        q = start(s, negotiate=False)
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": ["oob", "oob"]}, "id": 1}', msgs=1)
        q.send(b'{"exec-oob": "query-status", "id": "o"}', msgs=1)
        q.send(b'{"execute": "query-status", "id": 2}', msgs=1)
    differ(script)


def test_negotiation_empty_enable(differ):
    def script(s):
        q = start(s, negotiate=False)
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": []}}', msgs=1)
        # oob was not enabled: exec-oob is just an unexpected member
        q.send(b'{"exec-oob": "query-status", "id": "o"}', msgs=1)
    differ(script)


# ---------------------------------------------------------------------------
# request validation

VALIDATION_CASES = [
    b'[1, 2]',
    b'[{"execute": "query-status"}]',
    b'"hello"',
    b'42',
    b'-1.5',
    b'null',
    b'true',
    b'false',
    b'{}',
    b'{"foo": 1}',
    b'{"id": 5}',
    b'{"id": "only-id", "foo": 1}',
    b'{"execute": 1}',
    b'{"execute": null, "id": 1}',
    b'{"execute": {"a": 1}}',
    b'{"execute": ["query-status"]}',
    b'{"execute": ""}',
    b'{"execute": "", "id": ""}',
    b'{"execute": "query-status", "arguments": []}',
    b'{"execute": "query-status", "arguments": null}',
    b'{"execute": "query-status", "arguments": "x", "id": 4}',
    b'{"execute": "query-status", "arguments": {}}',
    b'{"execute": "query-status", "arguments": {"foo": 1}}',
    b'{"execute": "query-status", "exec-oob": "query-status"}',
    b'{"exec-oob": "query-status", "id": 6}',
    # several bad members: the reported one follows QEMU's dict order
    b'{"foo": 1, "execute": 1}',
    b'{"arguments": 1, "execute": 2, "bar": 3}',
    b'{"id": 1, "execute": "x", "foo": 2}',
    b'{"zzz": 1, "aaa": 2, "execute": "query-status"}',
    b'{"arguments": [], "execute": 5, "id": 3}',
    b'{"execute": "nope", "arguments": 5}',
    b'{"execute": "no-such-command"}',
    b'{"execute": "no-such-command", "id": "x1"}',
    b'{"execute": "nope", "id": {"k": 1}}',
    b'{"execute": "Query-Status"}',
    b'{"execute": "query_status"}',
    b'{"execute": "query-status ", "id": 1}',
    b'{"execute": "query-\\u006eame"}',
    b'{"id": "first", "execute": "query-name"}',
]


def test_request_validation(differ):
    def script(s):
        q = start(s)
        for case in VALIDATION_CASES:
            q.send(case + b"\n", msgs=1)
    differ(script)


# ---------------------------------------------------------------------------
# ids

ID_CASES = [
    b'1', b'-5', b'0', b'-0', b'1.5', b'1e3', b'1.5e3', b'1E2', b'1e-2', b'0.1', b'0.0',
    b'-0.0', b'3.0', b'1e400', b'-1e400', b'123456789.123456789',
    b'9223372036854775807', b'9223372036854775808', b'18446744073709551615',
    b'18446744073709551616', b'-9223372036854775808', b'-9223372036854775809',
    b'"abc"', b'""', b'"q\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001"', b'"\\u001f\\u007f\\u0080\\u00ff"',
    b'{"a": [1, {"b": null}], "c": "d"}',
    b'{"c": 1, "a": 2, "b": 3, "execute": 5, "id": 6, "arguments": 7}',
    b'{"return": 1, "error": 2, "class": 3, "desc": 4, "QMP": 5, "timestamp": 6, "event": 7}',
    b'{}', b'[]', b'[1, "two", 3.0, [], {}, null, true, false]',
    b'null', b'true', b'false',
    b'{"nested": {"deeper": {"deepest": [[[]]]}}}',
]


def test_ids_of_every_json_type(differ):
    def script(s):
        q = start(s)
        for i in ID_CASES:
            q.send(b'{"execute": "query-name", "id": ' + i + b'}', msgs=1)
        # ids on error replies
        q.send(b'{"execute": "nope", "id": [1, {"x": "y"}]}', msgs=1)
        q.send(b'{"execute": "query-status", "arguments": {"x": 1}, "id": [1]}', msgs=1)
        q.send(b'{"execute": "query-status", "arguments": {"x": 1}, "id": 1.5e3}', msgs=1)
        q.send(b'{"execute": "qmp_capabilities", "id": {"b": 1, "a": 2}}', msgs=1)
    differ(script)


NON_ASCII_IDS = [
    '"h\u00e9\u20ac\U0001F600"'.encode(),
    '"\u00e9"'.encode(),
    '"\u0800\uffff\U00010000\U0010FFFF"'.encode(),
    b'"\\u00e9\\u20AC\\ud83d\\ude00"',
    b'"\\uD83D\\uDE00x"',
    b'"\xc0\x80"',            # modified UTF-8 NUL
    b'"\\u0000"',
    b'"a\x7fb"',
    b'"\xe2\x82\xac"',
    '{"\u00e9": "\u00e8"}'.encode(),
]


def test_non_ascii_id_escaping(differ):
    def script(s):
        q = start(s)
        for i in NON_ASCII_IDS:
            q.send(b'{"execute": "query-name", "id": ' + i + b'}', msgs=1)
    differ(script)


# ---------------------------------------------------------------------------
# JSON syntax extensions and framing


def test_single_quotes_and_escapes(differ):
    def script(s):
        q = start(s)
        q.send(b"{'execute': 'query-status'}", msgs=1)
        q.send(b"{'execute': 'query-name', 'id': 'it\\'s'}", msgs=1)
        q.send(b"{'execute': \"query-name\", \"id\": 'say \"hi\"'}", msgs=1)
        q.send(b'{"execute": "query-name", "id": "\\\'"}', msgs=1)
        q.send(b"{'execute': 'query-name', 'id': '\\u00e9\\n'}", msgs=1)
        q.send(b"{'execute': 'query-name', 'id': ['a', \"b\", 'c\"']}", msgs=1)
        q.send(b"{'execute': 'nope', 'id': ''}", msgs=1)
    differ(script)


def test_whitespace_split_and_batched_writes(differ):
    def script(s):
        q = start(s)
        # several messages in one write, no newlines
        q.send(b'{"execute": "query-status", "id": 1}{"execute": "query-name", "id": 2}'
               b'{"execute": "query-uuid", "id": 3}', msgs=3)
        # no trailing newline needed
        q.send(b'{"execute": "query-name", "id": "nonl"}', msgs=1)
        # split over writes (nothing arrives until the object is complete)
        q.send(b'{"execute": "query-', nothing=0.15)
        q.send(b'name", "id": "split"}\n', msgs=1)
        # byte by byte
        for b in b'{"execute": "query-name", "id": "bytewise"':
            q.raw.send(bytes([b]))
        q.send(b'}', msgs=1)
        # leading whitespace, CR LF TAB between tokens
        q.send(b'\r\n  \t{"execute": "query-name"}\r\n', msgs=1)
        q.send(b'{\n"execute"\t:\r"query-name" ,\n "id"  :  7 }', msgs=1)
        # one write holding a complete message plus the start of the next
        q.send(b'{"execute": "query-name", "id": "a"}{"execute": "query-na', msgs=1)
        q.send(b'me", "id": "b"}', msgs=1)
        # error + valid command in one write
        q.send(b'}{"execute": "query-name", "id": "c"}', msgs=2)
    differ(script)


# ---------------------------------------------------------------------------
# parse errors and recovery

PARSE_ERROR_CASES = [
    b'{"execute": "query-status",}',
    b'{"execute": "query-status" "id": 1}',
    b'{"execute" "query-status"}',
    b'{1: 2}',
    b'{"a": 1, }',
    b'[1, 2,]',
    b'[1 2]',
    b'}',
    b']',
    b'hello',
    b'tru',
    b'nulll',
    b'True',
    b'{"execute": "query-status", "id": "\\q"}',
    b'{"execute": "query-status", "id": "\\x41"}',
    b'{"execute": "query-status", "id": "\\u12"}',
    b'{"execute": "query-status", "id": "\\u12zz"}',
    b'{"execute": "query-name", "id": "\\ud800"}',
    b'{"execute": "query-name", "id": "\\udc00x"}',
    b'{"execute": "query-name", "id": "\\ud800\\u0041"}',
    b'{"execute": "no-such", "execute": "query-name"}',
    b'{"execute": "query-name", "id": 1, "id": 2}',
    b'\x00',
    b'\xff',
    b'\xfe',
    b'\x01',
    b'01',
    b'@',
    b'-',
    b'1.',
    b'1e',
    b'.5',
    b'+1',
    b'0x10',
    b'{"execute": "query-name", "id": "a\tb"}',
    b'{"execute": "query-name", "id": "a\nb"}',
    b'{"execute": "query-name", "id": "a\xffb"}',
    b'{"execute": "query-name", "id": "a\xfeb"}',
    b'{"execute": "query-name", "id": 01}',
    b'{"execute": "query-name", "id": @}',
    b'{"execute": "query-name" : "x"}',
    b'{"execute":: "query-name"}',
    b'{,}',
    b'[,]',
    b'{"a"}',
    b'{"execute": "query-name", "id": [1, 2}',
    b'{"execute": "query-name", "id": {"a": 1]}',
]


def test_parse_errors(differ):
    def script(s):
        q = start(s)
        for i, case in enumerate(PARSE_ERROR_CASES):
            # after each case: 0x01 resets the parser (one stray error), then a marker
            q.raw.send(case)
            q.sync("m%d" % i, prefix=b"\x01", label="case %r, then 0x01 + marker" % case)
    differ(script)


def test_incomplete_message_then_recovery(differ):
    def script(s):
        q = start(s)
        q.send(b'{"execute": ', nothing=0.15)
        q.send(b'\n', nothing=0.1)
        q.send(b'}\n', msgs=1)  # completes the bad object: "expecting value"
        q.send(b'{"execute": "query-status"}\n', msgs=1)
        # a newline does not resynchronise: the second object is swallowed
        q.send(b'{"execute": "query-name", "id": 1\n\n{"execute": "query-name", "id": 2}\n', nothing=0.2)
        q.send(b'{"execute": "query-name", "id": 3}', nothing=0.2)
        # a lexical error (0x01) resets: exactly one stray error
        q.send(b'\x01', msgs=1)
        q.send(b'{"execute": "query-name", "id": "after-01"}', msgs=1)
        # same with 0xFF in the middle of an unfinished object
        q.send(b'{"execute": "query-name", "id": [1, 2, ', nothing=0.15)
        q.send(b'\xff', msgs=1)
        q.send(b'{"execute": "query-name", "id": "after-ff"}', msgs=1)
        # idle parser: 0x01 still produces one error reply
        q.send(b'\x01', msgs=1)
        q.send(b'\xff\xff', msgs=2)
        q.send(b'\x01\x01\x01', msgs=3)
        # recovery skips bytes until a structural or control character
        q.send(b'{"execute": "query-name", "id": "r"}', msgs=1)  # leaves recovery mode
        q.send(b'01abc"def', msgs=1)
        q.send(b'[', nothing=0.1)
        q.send(b']', msgs=1)
        q.send(b'{"execute": "query-name", "id": "done"}', msgs=1)
        # unfinished string swallowing braces, then reset
        q.send(b'{"execute": "query-name", "id": "abc}}}}', nothing=0.15)
        q.send(b'\x01', msgs=1)
        q.sync("end")
    differ(script)


INVALID_UTF8 = [
    b'\x80', b'\xbf', b'\xc0\xaf', b'\xc1\xbf', b'\xc2', b'\xc2\x41', b'\xe0\x80\x80',
    b'\xe2\x82', b'\xed\xa0\x80', b'\xed\xbf\xbf', b'\xef\xbf\xbe', b'\xf0\x80\x80\x80',
    b'\xf4\x90\x80\x80', b'\xf5\x80\x80\x80', b'\xf8\x88\x80\x80\x80', b'\xfc\x84\x80\x80\x80\x80',
    b'\xc0\x80', b'\xe0\x80\x80', b'a\xe2\x82\xacb\xe2\x82c',
]


def test_invalid_utf8(differ):
    def script(s):
        q = start(s)
        for i, bad in enumerate(INVALID_UTF8):
            q.raw.send(b'{"execute": "query-name", "id": "' + bad + b'"}')
            q.sync("u%d" % i, prefix=b"\x01", label="id with %r" % bad)
            q.raw.send(b'{"execute": "' + bad + b'"}')
            q.sync("v%d" % i, prefix=b"\x01", label="command name %r" % bad)
        # invalid UTF-8 outside strings
        q.raw.send(b'\xc3\xa9')
        q.sync("w", prefix=b"\x01", label="raw UTF-8 outside a string")
    differ(script)


# ---------------------------------------------------------------------------
# limits


def _nested(depth, inner=b"0"):
    return b"[" * depth + inner + b"]" * depth


def test_nesting_depth_limit(differ):
    def script(s):
        q = start(s)
        # 1023 arrays inside the command object: depth 1024 -> accepted
        q.send(b'{"execute": "query-name", "id": ' + _nested(1023) + b'}', msgs=1)
        q.send(b'{"execute": "query-name", "id": "alive1"}', msgs=1)
        # depth 1025: one limit error, then one error per remaining closing bracket
        q.send(b'{"execute": "query-name", "id": ' + _nested(1024) + b'}', msgs=1026)
        q.send(b'{"execute": "query-name", "id": "alive2"}', msgs=1)
        # objects count as well
        deep = b'{"a": ' * 1023 + b'1' + b'}' * 1023
        q.send(b'{"execute": "query-name", "id": ' + deep + b'}', msgs=1)
        deep = b'{"a": ' * 1024 + b'1' + b'}' * 1024
        q.raw.send(b'{"execute": "query-name", "id": ' + deep + b'}')
        q.sync("alive3", label="objects depth 1025")
        # the limit hit in a bare array (no command object)
        q.raw.send(_nested(1025))
        q.sync("alive4", label="bare arrays depth 1025")
    differ(script)


def test_long_string_id(differ):
    def script(s):
        q = start(s)
        q.send(b'{"execute": "query-name", "id": "' + b"x" * 20000 + b'"}', msgs=1)
        q.send(b'{"execute": "query-name", "id": [' + b",".join([b"7"] * 5000) + b']}', msgs=1)
    differ(script)


def test_token_count_limit(bins):
    """Not differential (QEMU reads ~100 KB/s; 2 MiB of input takes ~20 s there):
    2,097,169 tokens exceed the 2 Mi token limit. Expected replies recorded from
    QEMU 7.2: the limit error, then one reply per leftover token, then the
    monitor keeps working."""
    from launcher import Instance
    from monclient import QMPClient, connect_unix
    inst = Instance(bins.migemu, STD_ARGS + ["-qmp", unix_server("qmp.sock")]).start()
    try:
        q = QMPClient(connect_unix(inst.path("qmp.sock"), 10, inst.alive))
        q.negotiate()
        ok = b'{"execute": "query-name", "id": [' + b",".join([b"0"] * 1048570) + b']}\n'
        q.send(ok)
        r = q.read_messages(1, timeout=120)
        assert r.startswith(b'{"return": {}, "id": [0, 0, ') and r.endswith(b'0]}\r\n')
        assert len(r) == 3145734
        over = b'{"execute": "query-name", "id": [' + b",".join([b"0"] * 1048580) + b']}\n'
        q.send(over)
        q.send(b'{"execute": "query-name", "id": "alive"}')
        data = q.read_until(lambda b: (lambda i: None if i < 0 else i + 21)(b.find(b'"id": "alive"}\r\n')),
                            timeout=120)
        lines = data.split(b"\r\n")[:-1]
        limit = b'{"error": {"class": "GenericError", "desc": "JSON token count limit exceeded"}}'
        notobj = b'{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}'
        expval = b'{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}'
        expected = [limit] + [expval, notobj] * 7 + [expval, expval] + [b'{"return": {}, "id": "alive"}']
        assert lines == expected
    finally:
        inst.cleanup()


# ---------------------------------------------------------------------------
# output modes


def test_pretty_mode(differ):
    def script(s):
        s.launch(*STD_ARGS, "-chardev", "socket,id=m,path=pretty.sock,server=on,wait=off",
                 "-mon", "chardev=m,mode=control,pretty=on")
        q = s.qmp("pretty.sock")
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(NEG, msgs=1)
        q.send(b'{"execute": "query-status", "id": [1, [], {}, {"a": []}, "x"]}', msgs=1)
        q.send(b'{"execute": "query-version"}', msgs=1)
        q.send(b'{"execute": "query-name", "id": {"a": {"b": {"c": [1, [2, [3]]]}}}}', msgs=1)
        q.send(b'{"execute": "nope", "id": 1}', msgs=1)
        q.send(b'{"execute": ', nothing=0.05)
        q.send(b'}', msgs=1)
        q.send(b'{"execute": "query-name", "id": "\\u00e9\\n\\t"}', msgs=1)
        q.send(b'{"execute": "stop"}', msgs=2)
        q.send(b'{"execute": "cont", "id": 3}', msgs=2)
        q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": "info status"}}', msgs=1)
        q.send(b'{"execute": "quit"}', msgs=2)
        q.expect(eof=True)
    differ(script)


def test_pretty_off_explicit_and_mixed_monitors(differ):
    def script(s):
        s.launch(*STD_ARGS,
                 "-chardev", "socket,id=a,path=a.sock,server=on,wait=off",
                 "-mon", "chardev=a,mode=control,pretty=off",
                 "-chardev", "socket,id=b,path=b.sock,server=on,wait=off",
                 "-mon", "chardev=b,mode=control,pretty=on")
        a = s.qmp("a.sock", negotiate=True)
        b = s.qmp("b.sock", negotiate=True)
        a.send(b'{"execute": "stop"}', msgs=2)
        b.expect(msgs=1, label="b: STOP event (pretty)")
        b.send(b'{"execute": "cont"}', msgs=2)
        a.expect(msgs=1, label="a: RESUME event (compact)")
    differ(script)


# ---------------------------------------------------------------------------
# events, quit


def test_event_order(differ):
    def script(s):
        q = start(s)
        q.send(b'{"execute": "stop", "id": 1}', msgs=2)
        q.send(b'{"execute": "stop", "id": 2}', msgs=1)
        q.send(b'{"execute": "cont", "id": 3}', msgs=2)
        q.send(b'{"execute": "cont", "id": 4}', msgs=1)
        q.send(b'{"execute": "system_reset", "id": 5}', msgs=2)
        q.send(b'{"execute": "system_powerdown", "id": 6}', msgs=2)
        q.send(b'{"execute": "query-status", "id": 7}', msgs=1)
        # pipelined: events stay in front of their command's reply
        q.send(b'{"execute": "stop", "id": 8}{"execute": "query-status", "id": 9}'
               b'{"execute": "cont", "id": 10}{"execute": "query-status", "id": 11}', msgs=6)
    differ(script)


def test_events_go_to_every_negotiated_qmp_monitor(differ):
    def script(s):
        s.launch(*STD_ARGS, "-qmp", unix_server("a.sock"), "-qmp", unix_server("b.sock"),
                 "-qmp", unix_server("c.sock"))
        a = s.qmp("a.sock", negotiate=True)
        b = s.qmp("b.sock", negotiate=True)
        c = s.qmp("c.sock")  # stays in negotiation mode: no events
        a.send(b'{"execute": "stop"}', msgs=2)
        b.expect(msgs=1, label="b: STOP")
        c.expect(nothing=0.15, label="c: no events before negotiation")
        c.send(NEG, msgs=1)
        b.send(b'{"execute": "cont"}', msgs=2)
        a.expect(msgs=1, label="a: RESUME")
        c.expect(msgs=1, label="c: RESUME")
        c.send(b'{"execute": "quit"}', msgs=2)
        c.expect(eof=True)
        a.expect(eof=True, label="a: SHUTDOWN then EOF")
        b.expect(eof=True, label="b: SHUTDOWN then EOF")
        s.wait_exit()
    differ(script)


def test_quit(differ):
    def script(s):
        q = start(s)
        q.send(b'{"execute": "quit", "id": "bye"}', msgs=2)
        q.expect(eof=True)
        s.wait_exit()
        s.record_output()
    differ(script)


def test_quit_with_bad_arguments_does_not_quit(differ):
    def script(s):
        q = start(s)
        q.send(b'{"execute": "quit", "arguments": {"force": true}}', msgs=1)
        q.send(b'{"execute": "quit", "arguments": []}', msgs=1)
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "quit"}', msgs=2)
        q.expect(eof=True)
        s.wait_exit()
    differ(script)


# ---------------------------------------------------------------------------
# out-of-band (7.2's allow-oob commands are not implemented by migemu, so only
# the dispatcher's own OOB errors and in-order in-band queueing are compared)


def test_oob_errors_and_queue(differ):
    def script(s):
        q = start(s, negotiate=False)
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}', msgs=1)
        q.send(b'{"exec-oob": "query-status", "id": "o2"}', msgs=1)
        q.send(b'{"exec-oob": "query-status"}', msgs=1)
        q.send(b'{"exec-oob": "no-such", "id": 5}', msgs=1)
        q.send(b'{"exec-oob": 1, "id": 6}', msgs=1)
        q.send(b'{"exec-oob": "quit", "id": 7}', msgs=1)
        q.send(b'{"execute": "query-status", "exec-oob": "query-status", "id": 4}', msgs=1)
        q.send(b'{"exec-oob": "query-status", "execute": "query-status", "id": 8}', msgs=1)
        q.send(b'{"exec-oob": "query-status", "arguments": 1, "id": 9}', msgs=1)
        q.send(b'{"execute": "query-status"}', msgs=1)
        q.send(b'{"execute": "query-status", "id": 3}', msgs=1)
        # many in-band requests at once: none dropped, replies in order
        burst = b"".join(b'{"execute": "query-status", "id": %d}' % i for i in range(40))
        q.send(burst, msgs=40)
        burst = b"".join(b'{"execute": "query-name", "id": %d}{"execute": "nope", "id": %d}'
                         % (i, i) for i in range(20))
        q.send(burst, msgs=40)
    differ(script)


# ---------------------------------------------------------------------------
# connections


def test_reconnect_resets_session(differ):
    def script(s):
        s.launch_std()
        q = s.qmp()
        q.send(b'{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}', msgs=1)
        q.send(b'{"execute": "stop"}', msgs=2)
        q.send(b'{"execute": "query-name", "id": [1, 2, ', nothing=0.05)  # unfinished
        q.close()
        q = s.qmp(name="qmp#2")
        # negotiation mode again, parser fresh, oob off
        q.send(b'{"execute": "query-status", "id": 1}', msgs=1)
        q.send(b'{"exec-oob": "query-status", "id": 2}', msgs=1)
        q.send(NEG, msgs=1)
        q.send(b'{"exec-oob": "query-status", "id": 3}', msgs=1)
        q.send(b'{"execute": "query-status", "id": 4}', msgs=1)  # run state survives
        q.send(b'{"execute": "cont"}', msgs=2)
        q.close()
        q = s.qmp(name="qmp#3")
        q.send(NEG, msgs=1)
        q.send(b'{"execute": "query-status"}', msgs=1)
    differ(script)


def test_second_client_waits_for_the_first(differ):
    def script(s):
        s.launch_std()
        a = s.qmp(name="first", negotiate=True)
        b = s.qmp(name="second", greeting=False)
        b.expect(nothing=0.3, label="second: nothing while first is connected")
        a.send(b'{"execute": "query-status"}', msgs=1)
        b.send(b'{"execute": "query-name", "id": "queued"}', nothing=0.2,
               label="second: request while waiting (not served yet)")
        a.close()
        b.expect(msgs=1, label="second: greeting after first left")
        # the request sent while waiting belongs to the new session: refused
        b.expect(msgs=1, label="second: reply to the early request")
        b.send(NEG, msgs=1)
        b.send(b'{"execute": "query-status"}', msgs=1)
    differ(script)


def test_qmp_and_hmp_monitors_at_once(differ):
    def script(s):
        s.launch(*STD_ARGS, "-qmp", unix_server("qmp.sock"), "-monitor", unix_server("hmp.sock"))
        q = s.qmp(negotiate=True)
        h = s.hmp()
        h.send(b"stop\r", prompts=1)
        q.expect(msgs=1, label="qmp: STOP caused by HMP")
        q.send(b'{"execute": "query-status"}', msgs=1)
        h.send(b"info status\r", prompts=1)
        q.send(b'{"execute": "cont"}', msgs=2)
        h.send(b"info status\r", prompts=1)
        h.expect(nothing=0.1, label="hmp: no event text on HMP")
        q.send(b'{"execute": "human-monitor-command", "arguments": {"command-line": "stop"}}', msgs=2)
        h.send(b"info status\r", prompts=1)
        h.send(b"c\r", prompts=1)
        q.expect(msgs=1, label="qmp: RESUME caused by HMP")
        h.send(b"quit\r", eof=True)
        q.expect(eof=True, label="qmp: SHUTDOWN then EOF")
        s.wait_exit()
    differ(script)


def test_disconnect_mid_message_and_garbage_flood(differ):
    rnd = random.Random(1234)
    garbage = bytes(rnd.randrange(256) for _ in range(48 * 1024))

    def script(s):
        s.launch(*STD_ARGS, "-qmp", unix_server("a.sock"), "-qmp", unix_server("b.sock"))
        b = s.qmp("b.sock", negotiate=True)
        no_a_client = s.socket_count()
        a = s.qmp("a.sock", negotiate=True)
        a.send(b'{"execute": "query-status", "id": [1, ', nothing=0.05)
        a.close()  # disconnect in the middle of a message
        b.send(b'{"execute": "query-status", "id": "b1"}', msgs=1)
        a = s.qmp("a.sock", name="a#2")
        a.send(b'{"execute": "qmp_capabilities"}{"execute": "query-status", "id": "a2"}', msgs=2)
        a.raw.send_nowait(garbage)
        a.close()  # disconnect without reading any reply to the garbage
        for i in range(5):
            b.send(b'{"execute": "query-name", "id": "b%d"}' % (i + 2), msgs=1)
        b.send(b'{"execute": "stop"}', msgs=2)
        # the flooding client is gone: a new client gets a fresh session
        s.wait_socket_count(no_a_client, "server closed the flooding connection")
        a = s.qmp("a.sock", name="a#3", negotiate=True)
        a.send(b'{"execute": "query-status"}', msgs=1)
        b.send(b'{"execute": "cont"}', msgs=2)
        a.expect(msgs=1, label="a#3: RESUME")
    differ(script)


def _mutations(seed, n):
    rnd = random.Random(seed)
    base = [b'{"execute": "query-name", "id": [1, "two", {"x": null}]}',
            b'{"execute": "query-status", "arguments": {}, "id": 1.5}',
            b"{'execute': 'query-version', 'id': 'q\\u00e9'}",
            b'{"execute": "qmp_capabilities"}']
    out = []
    alphabet = b'{}[]:,"\'\\ \n\t\r0123456789.eE+-truefalsn@\x00\x01\xff\xc3\xa9u'
    for _ in range(n):
        m = bytearray(rnd.choice(base))
        for _ in range(rnd.randrange(1, 4)):
            op = rnd.randrange(3)
            pos = rnd.randrange(len(m) + 1)
            if op == 0 and m:
                del m[min(pos, len(m) - 1)]
            elif op == 1:
                m.insert(pos, rnd.choice(alphabet))
            elif m:
                m[min(pos, len(m) - 1)] = rnd.choice(alphabet)
        out.append(bytes(m))
    return out


@pytest.mark.parametrize("kind", ["json-alphabet", "all-bytes", "mutated-requests"])
def test_garbage_replies(differ, kind):
    """Deterministic garbage; every reply up to a marker is compared."""
    rnd = random.Random(kind)
    if kind == "json-alphabet":
        alphabet = b'{}[]:,"\'\\ \n0123456789.eE-truefalsnxq\x01\xff\xc3\xa9'
        chunks = [bytes(rnd.choice(alphabet) for _ in range(3000))]
    elif kind == "all-bytes":
        chunks = [bytes(rnd.randrange(256) for _ in range(3000))]
    else:
        chunks = _mutations(kind, 150)

    def script(s):
        q = start(s)
        for i, c in enumerate(chunks):
            q.raw.send(c)
            if kind == "mutated-requests" and i % 10 != 9:
                continue
            q.sync("g%d" % i, prefix=b"\x01", label="up to chunk %d (%r...)" % (i, c[:40]))
        q.sync("final", prefix=b"\x01")
    differ(script)
