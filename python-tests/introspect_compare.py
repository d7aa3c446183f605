#!/usr/bin/env python3
"""Compare migemu's query-qmp-schema data with QEMU's, through the masks.

Type names in query-qmp-schema are masked as numbers handed out in order of
first use, so the numbers of a subset schema (migemu's) differ from QEMU's.
What must agree is the structure behind them: for every command and event
migemu defines, its arguments, result and features must be the same as in
QEMU once every masked name is replaced by the type it stands for,
recursively (recursive types are compared coinductively).

Also checked: migemu's commands and events appear in QEMU's relative order,
every name is defined once, and on both sides the types are described in
increasing number order.

Library use (e.g. from pytest):
    from introspect_compare import compare, load
    problems = compare(load(ours_path_or_value), load(qemu_path_or_value))
    assert not problems, '\\n'.join(problems)

Command line:
    introspect_compare.py OURS.json QEMU.json [--ignore REGEX]
Each file holds the SchemaInfo list, or a whole QMP reply {"return": [...]}.
Exit status 0 when they agree, 1 otherwise (the differences are printed).
"""

import argparse
import json
import re
import sys

__all__ = ['load', 'compare', 'main']


def load(src):
    """The SchemaInfo list from a path, a JSON text, a reply dict or a list."""
    if isinstance(src, (list, dict)):
        data = src
    elif isinstance(src, (bytes, str)) and src.lstrip()[:1] in ('[', '{',
                                                                 b'[', b'{'):
        data = json.loads(src)
    else:
        with open(src, 'rb') as f:
            data = json.loads(f.read())
    if isinstance(data, dict):
        data = data['return']
    if not isinstance(data, list):
        raise ValueError('not a SchemaInfo list')
    return data


def _index(schema, problems, side):
    out = {}
    for e in schema:
        name = e.get('name')
        if name in out:
            problems.append(f'{side}: {name!r} is defined twice')
        out[name] = e
    return out


def _is_masked(name):
    return name.isdigit()


class _Comparer:
    def __init__(self, ours, theirs, problems):
        self.ours = ours
        self.theirs = theirs
        self.problems = problems
        self.assumed = set()

    def fail(self, path, msg):
        self.problems.append(f'{path}: {msg}')
        return False

    def types(self, a, b, path):
        """Whether our type name `a` denotes the same type as QEMU's `b`."""
        a_arr = a.startswith('[') and a.endswith(']')
        b_arr = b.startswith('[') and b.endswith(']')
        if a_arr or b_arr:
            if not (a_arr and b_arr):
                return self.fail(path, f'{a} vs {b}')
            return self.types(a[1:-1], b[1:-1], path + '[]')
        if not _is_masked(a) or not _is_masked(b):
            if a != b:
                return self.fail(path, f'type {a} vs {b}')
            if not _is_masked(a):
                return True
        if (a, b) in self.assumed:
            return True
        self.assumed.add((a, b))
        ea, eb = self.ours.get(a), self.theirs.get(b)
        if ea is None or eb is None:
            return self.fail(path, f'undefined type {a if ea is None else b}')
        return self.entries(ea, eb, path)

    def features(self, a, b, path):
        if a.get('features', []) != b.get('features', []):
            return self.fail(path, f"features {a.get('features', [])} vs "
                             f"{b.get('features', [])}")
        return True

    def entries(self, a, b, path):
        meta = a.get('meta-type')
        if meta != b.get('meta-type'):
            return self.fail(path, f"meta-type {meta} vs {b.get('meta-type')}")
        ok = self.features(a, b, path)
        if meta == 'builtin':
            if a.get('json-type') != b.get('json-type'):
                ok = self.fail(path, 'json-type differs')
        elif meta == 'enum':
            if a.get('values') != b.get('values'):
                ok = self.fail(path, f"values {a.get('values')} vs "
                               f"{b.get('values')}")
            elif a.get('members') != b.get('members'):
                ok = self.fail(path, 'enum members differ')
        elif meta == 'array':
            ok = self.types(a['element-type'], b['element-type'],
                            path + '[]') and ok
        elif meta == 'object':
            ok = self.objects(a, b, path) and ok
        elif meta == 'alternate':
            ma, mb = a.get('members', []), b.get('members', [])
            if len(ma) != len(mb):
                return self.fail(path, f'{len(ma)} vs {len(mb)} alternatives')
            for i, (x, y) in enumerate(zip(ma, mb)):
                ok = self.types(x['type'], y['type'], f'{path}|{i}') and ok
        elif meta == 'command':
            for key in ('arg-type', 'ret-type'):
                ok = self.types(a[key], b[key], f'{path}.{key}') and ok
            if a.get('allow-oob', False) != b.get('allow-oob', False):
                ok = self.fail(path, 'allow-oob differs')
        elif meta == 'event':
            ok = self.types(a['arg-type'], b['arg-type'],
                            f'{path}.arg-type') and ok
        else:
            ok = self.fail(path, f'unknown meta-type {meta}')
        return ok

    def objects(self, a, b, path):
        ok = True
        ma, mb = a.get('members', []), b.get('members', [])
        names_a = [m['name'] for m in ma]
        names_b = [m['name'] for m in mb]
        if names_a != names_b:
            return self.fail(path, f'members {names_a} vs {names_b}')
        for x, y in zip(ma, mb):
            p = f"{path}.{x['name']}"
            if ('default' in x) != ('default' in y):
                ok = self.fail(p, 'optional in one schema only')
            elif x.get('default', None) != y.get('default', None):
                ok = self.fail(p, 'default differs')
            ok = self.features(x, y, p) and ok
            ok = self.types(x['type'], y['type'], p) and ok
        if a.get('tag') != b.get('tag'):
            return self.fail(path, f"tag {a.get('tag')} vs {b.get('tag')}")
        va, vb = a.get('variants', []), b.get('variants', [])
        cases_a = [v['case'] for v in va]
        cases_b = [v['case'] for v in vb]
        if cases_a != cases_b:
            return self.fail(path, f'variants {cases_a} vs {cases_b}')
        for x, y in zip(va, vb):
            ok = self.types(x['type'], y['type'],
                            f"{path}({x['case']})") and ok
        return ok


def _check_numbering(schema, problems, side):
    """Types are described in the order they were first used, which is the
    order their numbers were handed out in (with gaps where a definition is
    switched off by a build condition)."""
    last = -1
    for e in schema:
        name = e.get('name', '')
        if e.get('meta-type') in ('command', 'event') or not _is_masked(name):
            continue
        if int(name) <= last:
            problems.append(f'{side}: type {name} is described after {last}')
        last = int(name)


def compare(ours, theirs, ignore=None):
    """Differences between our schema and QEMU's, as a list of strings."""
    problems = []
    ours_by = _index(ours, problems, 'ours')
    theirs_by = _index(theirs, problems, 'qemu')
    ignore_re = re.compile(ignore) if ignore else None
    cmp = _Comparer(ours_by, theirs_by, problems)
    last_pos = -1
    last_name = None
    pos = {e['name']: i for i, e in enumerate(theirs)}
    for e in ours:
        if e.get('meta-type') not in ('command', 'event'):
            continue
        name = e['name']
        if ignore_re and ignore_re.search(name):
            continue
        other = theirs_by.get(name)
        if other is None:
            problems.append(f'{name}: not in QEMU\'s schema')
            continue
        if pos[name] < last_pos:
            problems.append(f'{name}: comes before {last_name} in QEMU')
        last_pos, last_name = pos[name], name
        cmp.entries(e, other, name)
    _check_numbering(ours, problems, 'ours')
    _check_numbering(theirs, problems, 'qemu')
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Compare migemu's query-qmp-schema with QEMU's.")
    ap.add_argument('ours')
    ap.add_argument('qemu')
    ap.add_argument('--ignore', help='skip commands/events matching REGEX')
    args = ap.parse_args(argv)
    ours = load(args.ours)
    problems = compare(ours, load(args.qemu), args.ignore)
    for p in problems:
        print(p)
    n = sum(1 for e in ours if e.get('meta-type') in ('command', 'event'))
    print(f"{'MISMATCH' if problems else 'OK'}: {n} commands and events, "
          f'{len(problems)} problems', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
