#!/usr/bin/python3
"""Records the golden QMP/HMP exchanges of tests/migration_options_test.cc from
the real qemu-system-x86_64 7.2 (-M none -m 64M -nodefaults -display none):
  tests/data/qemu72-migration-options-qmp.jsonl  {"send": request, "recv": reply bytes}
  tests/data/qemu72-migration-options-hmp.jsonl  {"cmd": line, "out": output bytes}
  tests/data/qemu72-info-migrate.jsonl           {"label", "qmp": query-migrate reply,
                                                  "hmp": `info migrate` right after}
Run from the repository root: /usr/bin/python3 tests/data/gen_migration_options_golden.py"""
import json, os, socket, sys, time
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'python-tests'))
from launcher import Instance
from monclient import QMPClient, RawSocket, connect_unix
from differential import STD_ARGS, unix_server

CAPS = ['xbzrle', 'rdma-pin-all', 'auto-converge', 'zero-blocks', 'compress', 'events',
        'postcopy-ram', 'x-colo', 'release-ram', 'block', 'return-path',
        'pause-before-switchover', 'multifd', 'dirty-bitmaps', 'postcopy-blocktime',
        'late-block-activate', 'x-ignore-shared', 'validate-uuid', 'background-snapshot',
        'zero-copy-send', 'postcopy-preempt']
BG_INCOMPAT = ['postcopy-ram', 'dirty-bitmaps', 'postcopy-blocktime', 'late-block-activate',
               'return-path', 'multifd', 'pause-before-switchover', 'auto-converge',
               'release-ram', 'rdma-pin-all', 'compress', 'xbzrle', 'x-colo', 'validate-uuid',
               'zero-copy-send']


# -global migration.* entries of the 'globals' capture (the test applies the same).
GLOBALS = ['store-global-state=off', 'send-section-footer=off', 'decompress-error-check=no',
           'x-clear-bitmap-shift=20', 'send-configuration=false', 'x-events=on',
           'x-max-bandwidth=0x10k', 'tls-authz=az']


def caps(*pairs):
    return {'execute': 'migrate-set-capabilities',
            'arguments': {'capabilities': [{'capability': c, 'state': s} for c, s in pairs]}}


def params(**kw):
    return {'execute': 'migrate-set-parameters', 'arguments': kw}


def p(args):
    return {'execute': 'migrate-set-parameters', 'arguments': args}


QC = {'execute': 'query-migrate-capabilities'}
QP = {'execute': 'query-migrate-parameters'}


def qmp_session():
    s = [QC, QP]
    for c in CAPS:
        s += [caps((c, True)), caps((c, False))]
    for combo in [('multifd', 'compress'), ('multifd', 'xbzrle'), ('postcopy-ram', 'compress'),
                  ('zero-copy-send', 'multifd'), ('postcopy-preempt', 'postcopy-ram'),
                  ('background-snapshot', 'postcopy-ram'), ('postcopy-ram', 'multifd'),
                  ('postcopy-ram', 'x-ignore-shared'), ('x-ignore-shared', 'multifd'),
                  ('zero-copy-send', 'multifd', 'xbzrle'), ('zero-copy-send', 'multifd', 'compress'),
                  ('postcopy-preempt', 'postcopy-ram', 'compress'),
                  ('postcopy-preempt', 'compress'), ('compress', 'multifd', 'postcopy-preempt')]:
        s += [caps(*[(c, True) for c in combo]), QC, caps(*[(c, False) for c in combo])]
    for c in BG_INCOMPAT:
        s += [caps(('background-snapshot', True), (c, True)),
              caps(('background-snapshot', False), (c, False))]
    # cumulative: the current set counts
    s += [caps(('multifd', True)), caps(('zero-copy-send', True)), caps(('compress', True)),
          caps(('xbzrle', True)), QC,
          params(**{'multifd-compression': 'zlib'}), params(**{'tls-creds': 'x'}),
          params(**{'tls-creds': ''}), params(**{'multifd-compression': 'none'}),
          caps(('multifd', False)), caps(('zero-copy-send', False)), QC,
          caps(('zero-copy-send', False), ('multifd', False)), QC,
          params(**{'multifd-compression': 'zstd'}),
          caps(('zero-copy-send', True), ('multifd', True)),
          params(**{'multifd-compression': 'none', 'tls-creds': 'c'}),
          caps(('zero-copy-send', True), ('multifd', True)),
          params(**{'tls-creds': None}),
          caps(('zero-copy-send', True), ('multifd', True)),
          caps(('zero-copy-send', False), ('multifd', False)),
          caps(('postcopy-ram', True)), caps(('x-ignore-shared', True)),
          caps(('postcopy-ram', False)), caps(('x-ignore-shared', True)),
          caps(('postcopy-ram', True)), caps(('x-ignore-shared', False)),
          caps(('postcopy-preempt', True)), caps(('compress', True)), caps(('postcopy-ram', False)),
          caps(('postcopy-preempt', False)), QC,
          caps(('events', True), ('events', False)), caps(('events', False), ('events', True)), QC,
          caps(('events', False))]
    # argument errors of the capability list
    s += [caps(('foo', True)), {'execute': 'migrate-set-capabilities',
                                  'arguments': {'capabilities': [{'capability': 'xbzrle', 'state': 'yes'}]}},
          {'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': [{'capability': 'xbzrle'}]}},
          {'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': [{'state': True}]}},
          {'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': {'capability': 'xbzrle', 'state': True}}},
          {'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': [1]}},
          {'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': [{'capability': 5, 'state': True}]}},
          {'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': [{'capability': 'xbzrle', 'state': True, 'x': 1}]}},
          {'execute': 'migrate-set-capabilities', 'arguments': {}},
          {'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': []}},
          {'execute': 'query-migrate-capabilities', 'arguments': {'x': 1}},
          {'execute': 'query-migrate-parameters', 'arguments': {'x': 1}}]
    # parameters: ranges (names with underscores), types, wrap-around
    u8 = ['compress-level', 'compress-threads', 'decompress-threads', 'throttle-trigger-threshold',
          'cpu-throttle-initial', 'cpu-throttle-increment', 'max-cpu-throttle', 'multifd-channels',
          'multifd-zlib-level', 'multifd-zstd-level']
    sizes = ['announce-initial', 'announce-max', 'announce-rounds', 'announce-step', 'max-bandwidth',
             'xbzrle-cache-size', 'max-postcopy-bandwidth']
    for name in u8:
        for v in [0, 1, 9, 10, 20, 21, 99, 100, 101, 255, 256, -1, '1', 1.0, True, None]:
            s.append(p({name: v}))
        s.append(p({name: {'name': 'cpu-throttle-initial'}.get(name) and 20 or {
            'compress-level': 1, 'compress-threads': 8, 'decompress-threads': 2,
            'throttle-trigger-threshold': 50, 'cpu-throttle-initial': 20,
            'cpu-throttle-increment': 10, 'max-cpu-throttle': 99, 'multifd-channels': 2,
            'multifd-zlib-level': 1, 'multifd-zstd-level': 1}[name]}))
        s.append(QP)
    for name in sizes:
        for v in [0, 1, 1000, 1001, 4096, 4097, 10000, 10001, 100000, 100001, 2 ** 63,
                  2 ** 64 - 1, 2 ** 64, -1, -4096, '1', 1.5, False]:
            s.append(p({name: v}))
        s.append(QP)
    for v in [0, 2000000, 2000001, -1, 2 ** 64 - 1, '500', 1.5, 300]:
        s.append(p({'downtime-limit': v}))
    for v in [0, 2 ** 32 - 1, 2 ** 32, -1, 'x', 20000]:
        s.append(p({'x-checkpoint-delay': v}))
    for name in ['compress-wait-thread', 'cpu-throttle-tailslow', 'block-incremental']:
        for v in [True, False, 'on', 1, None]:
            s.append(p({name: v}))
    for v in ['zlib', 'zstd', 'lz4', 'bogus', 1, None, 'none']:
        s.append(p({'multifd-compression': v}))
    s.append(QP)
    s += [p({'cpu-throttle-initial': 50, 'max-cpu-throttle': 40}),
          p({'max-cpu-throttle': 40}), p({'cpu-throttle-initial': 30, 'max-cpu-throttle': 40}),
          p({'cpu-throttle-initial': 50}), p({'max-cpu-throttle': 30}),
          p({'cpu-throttle-initial': 20, 'max-cpu-throttle': 99}),
          p({'downtime-limit': 450, 'multifd-channels': 0}),
          p({'downtime-limit': 400, 'foo': 1}), p({'foo': 1}), p({}), QP]
    for name in ['tls-creds', 'tls-hostname', 'tls-authz']:
        for v in ['abc', None, '', 1, True, ['x'], {'a': 1}, 'x y']:
            s.append(p({name: v}))
        s.append(QP)
    s += [p({'tls-creds': ''}), p({'tls-hostname': ''}), p({'tls-authz': ''})]
    # block-bitmap-mapping
    good = [{'node-name': 'drive0', 'alias': 'n0',
             'bitmaps': [{'name': 'bm0', 'alias': 'b0'},
                         {'name': 'bm1', 'alias': 'b1', 'transform': {'persistent': True}}]},
            {'node-name': 'drive1', 'alias': 'n1', 'bitmaps': []}]
    s += [p({'block-bitmap-mapping': []}), QP, p({'block-bitmap-mapping': good}), QP,
          p({'block-bitmap-mapping': [{'node-name': 'a', 'alias': '1x', 'bitmaps': []}]}),
          p({'block-bitmap-mapping': [{'node-name': 'a', 'alias': 'x' * 256, 'bitmaps': []}]}),
          p({'block-bitmap-mapping': [{'node-name': 'n' * 32, 'alias': 'x', 'bitmaps': []}]}),
          p({'block-bitmap-mapping': [{'node-name': 'n' * 31, 'alias': 'x', 'bitmaps': []}]}),
          p({'block-bitmap-mapping': [{'node-name': 'a', 'alias': 'x', 'bitmaps': []},
                                      {'node-name': 'a', 'alias': 'y', 'bitmaps': []}]}),
          p({'block-bitmap-mapping': [{'node-name': 'a', 'alias': 'x', 'bitmaps': []},
                                      {'node-name': 'b', 'alias': 'x', 'bitmaps': []}]}),
          p({'block-bitmap-mapping': [{'node-name': 'a', 'alias': 'x', 'bitmaps': [
              {'name': 'm', 'alias': 'p'}, {'name': 'm', 'alias': 'q'}]}]}),
          p({'block-bitmap-mapping': [{'node-name': 'a', 'alias': 'x', 'bitmaps': [
              {'name': 'm', 'alias': 'p'}, {'name': 'n', 'alias': 'p'}]}]}),
          p({'block-bitmap-mapping': [{'node-name': 'a', 'alias': 'x', 'bitmaps': [
              {'name': 'm', 'alias': 'p' * 256}]}]}),
          p({'block-bitmap-mapping': [{'node-name': 'a', 'alias': 'x', 'bitmaps': [
              {'name': 'm' * 1024, 'alias': 'p'}]}]}),
          p({'block-bitmap-mapping': [{'node-name': 'a', 'alias': 'x'}]}),
          p({'block-bitmap-mapping': [{'alias': 'x', 'bitmaps': []}]}),
          p({'block-bitmap-mapping': {}}),
          p({'block-bitmap-mapping': None}), QP]
    # everything at once, then the defaults back
    s += [p({'announce-initial': 1, 'announce-max': 2, 'announce-rounds': 3, 'announce-step': 4,
             'compress-level': 5, 'compress-threads': 6, 'compress-wait-thread': False,
             'decompress-threads': 7, 'throttle-trigger-threshold': 8, 'cpu-throttle-initial': 9,
             'cpu-throttle-increment': 10, 'cpu-throttle-tailslow': True, 'tls-creds': 'c',
             'tls-hostname': 'h', 'tls-authz': 'a', 'max-bandwidth': 11, 'downtime-limit': 12,
             'x-checkpoint-delay': 13, 'block-incremental': True, 'multifd-channels': 14,
             'xbzrle-cache-size': 8192, 'max-postcopy-bandwidth': 15, 'max-cpu-throttle': 16,
             'multifd-compression': 'zlib', 'multifd-zlib-level': 2, 'multifd-zstd-level': 3}), QP,
          p({'announce-initial': 50, 'announce-max': 550, 'announce-rounds': 5, 'announce-step': 100,
             'compress-level': 1, 'compress-threads': 8, 'compress-wait-thread': True,
             'decompress-threads': 2, 'throttle-trigger-threshold': 50, 'cpu-throttle-initial': 20,
             'cpu-throttle-increment': 10, 'cpu-throttle-tailslow': False, 'tls-creds': None,
             'tls-hostname': None, 'tls-authz': None, 'max-bandwidth': 134217728,
             'downtime-limit': 300, 'x-checkpoint-delay': 20000, 'block-incremental': False,
             'multifd-channels': 2, 'xbzrle-cache-size': 67108864, 'max-postcopy-bandwidth': 0,
             'max-cpu-throttle': 99, 'multifd-compression': 'none'}), QP]
    return s


HMP_CMDS = [
    'info migrate', 'info migrate_capabilities', 'info migrate_parameters',
    'migrate_set_capability xbzrle on', 'info migrate_capabilities',
    'migrate_set_capability xbzrle foo', 'migrate_set_capability foo on',
    'migrate_set_capability xbzrle', 'migrate_set_capability', 'migrate_set_capability xbzrle yes',
    'migrate_set_capability xbzrle off x', 'migrate_set_capability zero-copy-send on',
    'migrate_set_capability postcopy-preempt on', 'migrate_set_capability multifd on',
    'migrate_set_capability compress on', 'migrate_set_capability multifd off',
    'migrate_set_capability events on', 'migrate_set_capability x-colo on',
    'migrate_set_capability block on', 'info migrate_capabilities',
    'migrate_set_capability x-colo off', 'migrate_set_capability block off',
    'migrate_set_capability events off', 'migrate_set_capability xbzrle off',
    'migrate_set_parameter downtime-limit 500', 'info migrate_parameters',
    'migrate_set_parameter downtime-limit abc', 'migrate_set_parameter downtime-limit -1',
    'migrate_set_parameter downtime-limit 2000001', 'migrate_set_parameter downtime-limit 1k',
    'migrate_set_parameter downtime-limit 1.5k', 'migrate_set_parameter downtime-limit 1.5',
    'migrate_set_parameter downtime-limit 20E', 'migrate_set_parameter downtime-limit 0x10',
    'migrate_set_parameter downtime-limit 0x10k', 'migrate_set_parameter downtime-limit 0x10kb',
    'migrate_set_parameter downtime-limit 2b', 'migrate_set_parameter downtime-limit 300',
    'migrate_set_parameter multifd-channels 0', 'migrate_set_parameter multifd-channels 300',
    'migrate_set_parameter multifd-channels -1', 'migrate_set_parameter multifd-channels abc',
    'migrate_set_parameter multifd-channels 0x10', 'migrate_set_parameter multifd-channels 010',
    'migrate_set_parameter multifd-channels " 3"', 'migrate_set_parameter multifd-channels "3 "',
    'migrate_set_parameter multifd-channels 1k', 'migrate_set_parameter multifd-channels 2',
    'migrate_set_parameter foo 1', 'migrate_set_parameter downtime-limit',
    'migrate_set_parameter', 'migrate_set_parameter downtime-limit 1 2',
    'migrate_set_parameter max-bandwidth 100', 'info migrate_parameters',
    'migrate_set_parameter max-bandwidth 1G', 'migrate_set_parameter max-bandwidth 1x',
    'migrate_set_parameter max-bandwidth 8E', 'migrate_set_parameter max-bandwidth 7E',
    'migrate_set_parameter max-bandwidth 16E', 'migrate_set_parameter max-bandwidth -1',
    'migrate_set_parameter max-bandwidth 0x10', 'migrate_set_parameter max-bandwidth 0x10k',
    'migrate_set_parameter max-bandwidth 0x10kx', 'migrate_set_parameter max-bandwidth 1.5',
    'migrate_set_parameter max-bandwidth 512k', 'migrate_set_parameter max-bandwidth 100b',
    'migrate_set_parameter max-bandwidth 0', 'info migrate_parameters',
    'migrate_set_parameter max-bandwidth 32M',
    'migrate_set_parameter xbzrle-cache-size 1M', 'migrate_set_parameter xbzrle-cache-size 1000',
    'migrate_set_parameter xbzrle-cache-size 8E', 'migrate_set_parameter xbzrle-cache-size 9E',
    'migrate_set_parameter xbzrle-cache-size 16E', 'migrate_set_parameter xbzrle-cache-size 4k',
    'migrate_set_parameter tls-creds foo', 'migrate_set_parameter tls-hostname "a b"',
    'migrate_set_parameter tls-authz z', 'migrate_set_parameter tls-creds',
    'migrate_set_parameter multifd-compression zstd', 'migrate_set_parameter multifd-compression bogus',
    'migrate_set_parameter compress-wait-thread off', 'migrate_set_parameter compress-wait-thread n',
    'migrate_set_parameter compress-wait-thread maybe', 'migrate_set_parameter compress-wait-thread Y',
    'migrate_set_parameter cpu-throttle-tailslow true', 'migrate_set_parameter block-incremental yes',
    'migrate_set_parameter compress-level 10', 'migrate_set_parameter compress-level 9',
    'migrate_set_parameter compress-threads 0', 'migrate_set_parameter decompress-threads 256',
    'migrate_set_parameter throttle-trigger-threshold 101', 'migrate_set_parameter cpu-throttle-initial 0',
    'migrate_set_parameter cpu-throttle-increment 100', 'migrate_set_parameter max-cpu-throttle 10',
    'migrate_set_parameter x-checkpoint-delay -1', 'migrate_set_parameter x-checkpoint-delay 4294967296',
    'migrate_set_parameter x-checkpoint-delay 100', 'migrate_set_parameter multifd-zlib-level 10',
    'migrate_set_parameter multifd-zstd-level 300', 'migrate_set_parameter max-postcopy-bandwidth 1M',
    'migrate_set_parameter announce-initial 100001', 'migrate_set_parameter announce-max 1k',
    'migrate_set_parameter announce-rounds 1001', 'migrate_set_parameter announce-step 0',
    'migrate_set_parameter announce-step 10k', 'migrate_set_parameter announce-step 200',
    'migrate_set_parameter block-bitmap-mapping x', 'info migrate_parameters',
    'migrate_set_parameter max-bandwidth 128M', 'migrate_set_parameter tls-creds ""',
    'migrate_set_parameter tls-hostname ""', 'migrate_set_parameter tls-authz ""',
    'migrate_set_parameter multifd-compression none', 'migrate_set_parameter xbzrle-cache-size 64M',
    'migrate_set_parameter compress-wait-thread on', 'migrate_set_parameter downtime-limit 300',
    'migrate_set_parameter cpu-throttle-tailslow off', 'migrate_set_parameter block-incremental off',
    'migrate_set_parameter compress-level 1', 'migrate_set_parameter x-checkpoint-delay 20000',
    'migrate_set_parameter max-postcopy-bandwidth 0', 'migrate_set_parameter announce-step 100',
    'info migrate_parameters', 'info migrate',
]


def info_migrate_session(out_path):
    qemu = os.environ.get('QEMU_BIN', '/usr/bin/qemu-system-x86_64')
    def start(extra):
        inst = Instance(qemu, STD_ARGS + ['-qmp', unix_server('qmp.sock')] + extra)
        inst.start()
        c = QMPClient(connect_unix(inst.path('qmp.sock'), 10, inst.alive))
        c.read_greeting(5); c.negotiate()
        return inst, c

    def hmc(c, line):
        return c.cmd('human-monitor-command', {'command-line': line})

    def snap(c, label, out):
        t = hmc(c, 'info migrate')
        c.send(b'{"execute":"query-migrate"}\n')
        raw = c.read_messages(1, 3)
        while b'"event"' in raw:
            raw = c.read_messages(1, 3)
        out.append({'label': label, 'hmp': t, 'qmp': raw.decode()})

    def freeport():
        s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

    out = []
    port = freeport()
    dinst, d = start(['-incoming', 'tcp:127.0.0.1:%d' % port])
    sinst, s = start([])
    try:
        snap(d, 'dest listening', out)
        s.cmd('migrate-set-parameters', {'max-bandwidth': 32768})
        s.cmd('migrate-set-capabilities', {'capabilities': [{'capability': 'pause-before-switchover', 'state': True}]})
        s.cmd('migrate', {'uri': 'tcp:127.0.0.1:%d' % port})
        time.sleep(1.0)
        snap(s, 'src active', out)
        snap(d, 'dest active', out)
        s.cmd('migrate-set-parameters', {'max-bandwidth': 0})
        for i in range(100):
            st = s.cmd('query-migrate')['status']
            if st == 'pre-switchover': break
            time.sleep(0.2)
        snap(s, 'src pre-switchover', out)
        s.cmd('migrate-continue', {'state': 'pre-switchover'})
        for i in range(100):
            st = s.cmd('query-migrate')['status']
            if st == 'completed': break
            time.sleep(0.1)
        time.sleep(0.5)
        snap(s, 'src completed', out)
        snap(d, 'dest completed', out)
    finally:
        sinst.cleanup(); dinst.cleanup()

    # cancelled + failed
    sinst, s = start([])
    try:
        port = freeport()
        lst = socket.socket(); lst.bind(('127.0.0.1', port)); lst.listen(1)
        s.cmd('migrate-set-parameters', {'max-bandwidth': 4096})
        s.cmd('migrate', {'uri': 'tcp:127.0.0.1:%d' % port})
        conn, _ = lst.accept()
        time.sleep(0.5)
        s.cmd('migrate_cancel')
        time.sleep(0.5)
        snap(s, 'src cancelled', out)
        conn.close(); lst.close()
        s.cmd('migrate', {'uri': 'tcp:127.0.0.1:1'})
        time.sleep(0.5)
        snap(s, 'src failed', out)
        s.cmd('migrate', {'uri': 'exec:false'})
        time.sleep(1)
        snap(s, 'src failed exec', out)
    finally:
        sinst.cleanup()

    # the globals block after -only-migratable and -global migration.*
    ginst, g = start(['-only-migratable'] + sum((['-global', 'migration.' + x] for x in GLOBALS), []))
    try:
        snap(g, 'globals', out)
    finally:
        ginst.cleanup()
    with open(out_path, 'w') as f:
        for o in out:
            f.write(json.dumps(o) + '\n')


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else HERE
    qemu = os.environ.get('QEMU_BIN', '/usr/bin/qemu-system-x86_64')
    inst = Instance(qemu, STD_ARGS + ['-qmp', unix_server('qmp.sock'),
                                      '-monitor', unix_server('hmp.sock')])
    inst.start()
    try:
        c = QMPClient(connect_unix(inst.path('qmp.sock'), 10, inst.alive))
        c.read_greeting(5)
        c.negotiate()
        with open(os.path.join(out_dir, 'qemu72-migration-options-qmp.jsonl'), 'w') as f:
            for req in qmp_session():
                data = json.dumps(req)
                c.send(data.encode() + b'\n')
                reply = c.read_messages(1, 5)
                assert b'"event"' not in reply, reply
                f.write(json.dumps({'send': data, 'recv': reply.decode()}) + '\n')
        h = RawSocket(connect_unix(inst.path('hmp.sock'), 10, inst.alive))
        h.read_prompts(1, 5)
        with open(os.path.join(out_dir, 'qemu72-migration-options-hmp.jsonl'), 'w') as f:
            for cmd in HMP_CMDS:
                h.send(cmd.encode() + b'\r')
                raw = h.read_prompts(1, 5)
                i = raw.rfind(b'\x1b[K\r\n')
                assert i >= 0 and raw.endswith(b'(qemu) '), raw
                f.write(json.dumps({'cmd': cmd, 'out': raw[i + 5:-7].decode()}) + '\n')
    finally:
        assert inst.alive()
        inst.cleanup()
    info_migrate_session(os.path.join(out_dir, 'qemu72-info-migrate.jsonl'))


if __name__ == '__main__':
    main()
