#!/usr/bin/env python3
"""Golden test of the QAPI generator.

Usage: run_golden.py QAPI_GEN TESTS_DIR [--update]

Runs QAPI_GEN on TESTS_DIR/golden/tiny.json and compares every output file
with TESTS_DIR/golden/expected/ (--update rewrites the expected files);
then runs it on every TESTS_DIR/bad/*.json, which must fail with the
message given on the file's first line ('# expect: TEXT').
"""

import difflib
import os
import subprocess
import sys
import tempfile


def main():
    args = [a for a in sys.argv[1:] if a != '--update']
    update = '--update' in sys.argv[1:]
    gen, tests_dir = args
    golden = os.path.join(tests_dir, 'golden')
    expected_dir = os.path.join(golden, 'expected')
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, gen, '-o', out, '-D', 'YES',
                        '--namespace', 'migemu::qapi::golden', '--prefix', 'tiny-',
                        os.path.join(golden, 'tiny.json')], check=True)
        produced = sorted(os.listdir(out))
        if update:
            os.makedirs(expected_dir, exist_ok=True)
            for name in os.listdir(expected_dir):
                os.unlink(os.path.join(expected_dir, name))
            for name in produced:
                with open(os.path.join(out, name), encoding='utf-8') as f:
                    text = f.read()
                with open(os.path.join(expected_dir, name), 'w',
                          encoding='utf-8') as f:
                    f.write(text)
            print(f'updated {len(produced)} files in {expected_dir}')
            return 0
        expected = sorted(os.listdir(expected_dir))
        failed = False
        if produced != expected:
            print(f'file lists differ: produced {produced}, '
                  f'expected {expected}')
            failed = True
        for name in produced:
            if name not in expected:
                continue
            with open(os.path.join(out, name), encoding='utf-8') as f:
                got = f.read().splitlines(keepends=True)
            with open(os.path.join(expected_dir, name),
                      encoding='utf-8') as f:
                want = f.read().splitlines(keepends=True)
            if got != want:
                failed = True
                sys.stdout.writelines(difflib.unified_diff(
                    want, got, 'expected/' + name, 'produced/' + name))
    bad_dir = os.path.join(tests_dir, 'bad')
    for name in sorted(os.listdir(bad_dir)):
        path = os.path.join(bad_dir, name)
        with open(path, encoding='utf-8') as f:
            expect = f.readline().split('expect:', 1)[1].strip()
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run([sys.executable, gen, '-o', out, path],
                               capture_output=True, text=True, check=False,
                               cwd=tests_dir)
        if r.returncode != 1 or expect not in r.stderr:
            failed = True
            print(f'{name}: expected exit 1 and {expect!r}, got '
                  f'{r.returncode}: {r.stderr.strip()}')
    if failed:
        print('golden test FAILED (run with --update if intended)')
        return 1
    print(f'golden test passed ({len(produced)} files, '
          f'{len(os.listdir(bad_dir))} bad schemas)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
