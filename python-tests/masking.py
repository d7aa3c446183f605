"""The only normalisations applied before comparing QEMU's bytes with migemu's.

1. Event timestamps: ``"timestamp": {"seconds": S, "microseconds": U}`` (compact
   or pretty, whitespace kept byte for byte) -> ``<S>``/``<US>``.
2. The package string: in the greeting / query-version (``"package": "..."``),
   and wherever the side's own package string appears literally (HMP
   ``info version`` prints QEMU_VERSION immediately followed by the package;
   ``-version`` prints it in parentheses).
3. The program name at the start of a stderr/stdout line
   (``qemu-system-x86_64: `` vs ``migemu: ``) -> ``<PROG>: ``.

Nothing else is masked.
"""

import json
import os
import re

TIMESTAMP_RE = re.compile(
    rb'("timestamp":\s*\{\s*"seconds":\s*)(-?\d+)(,\s*"microseconds":\s*)(-?\d+)(\s*\})')
PACKAGE_RE = re.compile(rb'("package":\s*)"(?:[^"\\]|\\.)*"')

QEMU_PROGNAME = "qemu-system-x86_64"


def timestamps(data):
    """All (seconds, microseconds) pairs found in ``data``."""
    return [(int(m.group(2)), int(m.group(4))) for m in TIMESTAMP_RE.finditer(data)]


class Masker:
    def __init__(self, binary, package=None):
        self.binary = binary
        self.package = package
        names = {os.path.basename(binary), QEMU_PROGNAME, "migemu"}
        self.prog_re = re.compile(
            rb"(?m)^(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names)) + rb"): ")

    def stream(self, data):
        """Mask a monitor byte stream (QMP or HMP)."""
        data = TIMESTAMP_RE.sub(rb"\1<S>\3<US>\5", data)
        data = PACKAGE_RE.sub(rb'\1"<PACKAGE>"', data)
        if self.package and len(self.package) >= 4:
            raw = self.package.encode()
            escaped = json.dumps(self.package)[1:-1].encode()
            data = data.replace(raw, b"<PACKAGE>")
            if escaped != raw:
                data = data.replace(escaped, b"<PACKAGE>")
        return data

    def output(self, data):
        """Mask process stdout/stderr: program name prefixes + package."""
        data = self.prog_re.sub(b"<PROG>: ", data)
        return self.stream(data)
