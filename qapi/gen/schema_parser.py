"""Reader for QAPI schema files.

The schema language is a restricted JSON dialect: single-quoted strings,
'#' comments up to the end of the line, objects, arrays, true and false.
Each file is a sequence of top-level objects. Two of them are directives:
{ 'include': FILE } pulls in another file once (a file already read is
skipped), { 'pragma': {...} } sets schema-wide options. Every other object
is a definition and comes out as an Expr carrying its source position and
the file it was written in.
"""

import os


class SchemaError(Exception):
    """A problem in the schema, reported as 'file:line: message'."""

    def __init__(self, where, msg):
        super().__init__(f'{where}: {msg}' if where else msg)


class Location:
    def __init__(self, fname, line, parent=None):
        self.fname = fname
        self.line = line
        self.parent = parent  # Location of the include directive, if any

    def __str__(self):
        return f'{self.fname}:{self.line}'


class Expr:
    """One definition: its dict, where it came from, and its file."""

    def __init__(self, data, loc):
        self.data = data
        self.loc = loc

    @property
    def fname(self):
        return self.loc.fname


class Include:
    """Marks the point where a file was first included."""

    def __init__(self, fname, loc):
        self.fname = fname
        self.loc = loc


class _Lexer:
    PUNCT = '{}[]:,'

    def __init__(self, fname, text):
        self.fname = fname
        self.text = text if text.endswith('\n') else text + '\n'
        self.pos = 0
        self.line = 1

    def where(self):
        return f'{self.fname}:{self.line}'

    def error(self, msg):
        raise SchemaError(self.where(), msg)

    def next_token(self):
        """Returns (kind, value, line); kind is a punctuation char, 'str',
        'bool' or None at the end of input."""
        text = self.text
        while True:
            if self.pos >= len(text):
                return (None, None, self.line)
            ch = text[self.pos]
            if ch == '\n':
                self.line += 1
                self.pos += 1
            elif ch in ' \t\r':
                self.pos += 1
            elif ch == '#':
                end = text.find('\n', self.pos)
                self.pos = end
            else:
                break
        line = self.line
        if ch in self.PUNCT:
            self.pos += 1
            return (ch, None, line)
        if ch == "'":
            self.pos += 1
            out = []
            while True:
                c = text[self.pos]
                self.pos += 1
                if c == '\n':
                    self.error("unterminated string")
                if c == '\\':
                    nxt = text[self.pos]
                    self.pos += 1
                    if nxt != '\\':
                        self.error(f"unsupported escape '\\{nxt}'")
                    out.append('\\')
                    continue
                if c == "'":
                    return ('str', ''.join(out), line)
                if ord(c) < 32 or ord(c) > 126:
                    self.error("only printable ASCII is allowed in strings")
                out.append(c)
        for word, val in (('true', True), ('false', False)):
            if text.startswith(word, self.pos):
                self.pos += len(word)
                return ('bool', val, line)
        self.error(f"unexpected character {ch!r}")
        return None  # unreachable


class _FileParser:
    def __init__(self, fname, text):
        self.lex = _Lexer(fname, text)
        self.tok = None
        self.advance()

    def advance(self):
        self.tok = self.lex.next_token()

    def expect(self, kind):
        if self.tok[0] != kind:
            self.lex.error(f"expected '{kind}'")
        self.advance()

    def value(self):
        kind, val, _ = self.tok
        if kind == '{':
            return self.obj()
        if kind == '[':
            return self.array()
        if kind in ('str', 'bool'):
            self.advance()
            return val
        self.lex.error('expected a value')
        return None

    def obj(self):
        self.expect('{')
        out = {}
        if self.tok[0] == '}':
            self.advance()
            return out
        while True:
            if self.tok[0] != 'str':
                self.lex.error('expected a string key')
            key = self.tok[1]
            self.advance()
            self.expect(':')
            if key in out:
                self.lex.error(f"duplicate key '{key}'")
            out[key] = self.value()
            if self.tok[0] == '}':
                self.advance()
                return out
            self.expect(',')

    def array(self):
        self.expect('[')
        out = []
        if self.tok[0] == ']':
            self.advance()
            return out
        while True:
            out.append(self.value())
            if self.tok[0] == ']':
                self.advance()
                return out
            self.expect(',')

    def top_level(self):
        """Yields (dict, line) for each top-level expression."""
        while self.tok[0] is not None:
            line = self.tok[2]
            if self.tok[0] != '{':
                self.lex.error('a top-level expression must be an object')
            yield self.obj(), line


class ParsedSchema:
    """Everything read from a root schema file and what it includes."""

    def __init__(self):
        self.items = []      # Expr and Include, in reading order
        self.pragmas = {}


def parse_schema(root_fname):
    result = ParsedSchema()
    seen = set()
    _parse_file(os.path.normpath(root_fname), None, seen, result)
    return result


def _parse_file(fname, incl_loc, seen, result):
    seen.add(os.path.abspath(fname))
    try:
        with open(fname, encoding='utf-8') as f:
            text = f.read()
    except OSError as err:
        raise SchemaError(str(incl_loc) if incl_loc else None,
                          f"can't read '{fname}': {err.strerror}") from err
    parser = _FileParser(fname, text)
    for data, line in parser.top_level():
        loc = Location(fname, line, incl_loc)
        if 'include' in data:
            if len(data) != 1 or not isinstance(data['include'], str):
                raise SchemaError(loc, "malformed 'include' directive")
            target = os.path.normpath(
                os.path.join(os.path.dirname(fname), data['include']))
            # An include cycle is an error; a repeated include is a no-op.
            anc = incl_loc
            while anc:
                if os.path.abspath(anc.fname) == os.path.abspath(target):
                    raise SchemaError(loc, f"include loop through '{target}'")
                anc = anc.parent
            if os.path.abspath(target) == os.path.abspath(fname):
                raise SchemaError(loc, f"'{target}' includes itself")
            result.items.append(Include(target, loc))
            if os.path.abspath(target) not in seen:
                _parse_file(target, loc, seen, result)
        elif 'pragma' in data:
            if len(data) != 1 or not isinstance(data['pragma'], dict):
                raise SchemaError(loc, "malformed 'pragma' directive")
            for key, val in data['pragma'].items():
                result.pragmas[key] = val
        else:
            result.items.append(Expr(data, loc))
