"""C++ output: types, visitors, command marshallers, event senders.

Everything lands in namespace migemu::qapi. Definitions whose 'if'
condition is false are left out entirely.
"""

from schema_model import (AlternateType, ArrayType, BuiltinType, Command,
                          EnumType, Event, ObjectType, SchemaError, camel,
                          cxx_ident)

DEFAULT_NAMESPACE = 'migemu::qapi'

# Values of these built-in types are passed by value; others by reference.
_SCALAR_CXX = {'double', 'int64_t', 'int8_t', 'int16_t', 'int32_t',
               'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'bool',
               'std::nullptr_t'}


def _live(items):
    return [i for i in items if i.enabled]


def _cstr(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def command_cname(name):
    return ''.join(c if c.isalnum() or c == '_' else '_' for c in name)


def event_cname(name):
    return command_cname(name.lower())


class CxxSchema:
    """Names and C++ types for a checked schema."""

    def __init__(self, schema, namespace=DEFAULT_NAMESPACE, prefix=''):
        self.schema = schema
        self.ns = namespace
        self.prefix = prefix
        self._order = None
        self._boxed = set()
        self.type_names = {}   # schema type name -> C++ struct/enum name
        self.arg_structs = []  # implicit command argument types
        for ent in schema.entities:
            if not ent.enabled:
                continue
            if isinstance(ent, (EnumType, AlternateType)) or \
                    (isinstance(ent, ObjectType) and not ent.is_implicit()):
                self.type_names[ent.name] = _type_ident(ent.name)
        taken = {v: k for k, v in self.type_names.items()}
        for ent in schema.entities:
            if isinstance(ent, Command) and ent.enabled and ent.arg_type \
                    and ent.arg_type.is_implicit():
                name = camel(ent.name) + 'Arg'
                if name in taken:
                    raise SchemaError(str(ent.loc), f"argument type '{name}' "
                                      f"of '{ent.name}' collides with "
                                      f"'{taken[name]}'")
                taken[name] = ent.name
                self.type_names[ent.arg_type.name] = name
                self.arg_structs.append(ent.arg_type)
        self._check_references()

    def include(self, name):
        return f'#include "qapi/{self.prefix}{name}"'

    def _check_references(self):
        for ent in self.schema.entities:
            if not ent.enabled:
                continue
            refs = []
            if isinstance(ent, ObjectType):
                refs = [m.type for m in _live(ent.members)]
                if ent.variants:
                    refs += [v.type for v in _live(ent.variants.variants)]
            elif isinstance(ent, AlternateType):
                refs = [v.type for v in _live(ent.variants.variants)]
            elif isinstance(ent, (Command, Event)):
                refs = [t for t in (ent.arg_type,
                                    getattr(ent, 'ret_type', None)) if t]
            for t in refs:
                if not t.enabled:
                    raise SchemaError(str(ent.loc), f"'{ent.name}' uses "
                                      f"'{t.name}', whose condition is false")

    def cxx_type(self, typ):
        if isinstance(typ, BuiltinType):
            return typ.cxx_type
        if isinstance(typ, ArrayType):
            return f'std::vector<{self.cxx_type(typ.element_type)}>'
        if typ.name in self.type_names:
            return self.type_names[typ.name]
        raise AssertionError(f'no C++ type for {typ.name}')

    def param_type(self, typ, optional=False):
        t = self.cxx_type(typ)
        if optional:
            return f'const std::optional<{t}>&'
        if t in _SCALAR_CXX or isinstance(typ, EnumType):
            return t
        return f'const {t}&'

    def struct_types(self):
        """Object and alternate types in an order where every type comes
        after the types it holds by value. A member or branch that would
        close a cycle is held in a Box instead (see boxed())."""
        if self._order is not None:
            return self._order
        order = []
        state = {}
        self._boxed = set()

        def edges(t):
            """(kind, name, type, by_value) for each type t refers to."""
            out = []

            def add(kind, name, typ):
                if isinstance(typ, ArrayType):
                    typ = typ.element_type
                    by_value = False
                else:
                    by_value = True
                if typ.name in self.type_names and \
                        not isinstance(typ, EnumType):
                    out.append((kind, name, typ, by_value))
            if isinstance(t, ObjectType):
                for m in _live(t.members):
                    add('member', m.name, m.type)
                if t.variants:
                    for v in _live(t.variants.variants):
                        add('branch', v.name, v.type)
            else:
                for v in _live(t.variants.variants):
                    add('branch', v.name, v.type)
            return out

        def visit(t):
            state[t.name] = 'active'
            for kind, name, d, by_value in edges(t):
                st = state.get(d.name)
                if st == 'active':
                    if by_value:
                        self._boxed.add((t.name, kind, name))
                elif st is None:
                    visit(d)
            state[t.name] = 'done'
            order.append(t)

        for ent in self.schema.entities:
            if ent.enabled and ent.name in self.type_names and \
                    isinstance(ent, (ObjectType, AlternateType)) and \
                    not ent.is_implicit() and ent.name not in state:
                visit(ent)
        self._order = order
        return order

    def boxed(self, owner, kind, name):
        self.struct_types()
        return (owner.name, kind, name) in self._boxed

    def held_type(self, owner, kind, name, typ):
        """The C++ type of a member or branch as held in `owner`."""
        t = self.cxx_type(typ)
        if self.boxed(owner, kind, name):
            t = f'Box<{t}>'
        return t

    def enums(self):
        return [e for e in self.schema.entities
                if isinstance(e, EnumType) and e.enabled]

    def commands(self):
        return [e for e in self.schema.in_module_order()
                if isinstance(e, Command) and e.enabled]

    def events(self):
        return [e for e in self.schema.in_module_order()
                if isinstance(e, Event) and e.enabled]


def _type_ident(name):
    return ''.join(c if c.isalnum() or c == '_' else '_' for c in name)


def _enum_consts(enum):
    consts = []
    seen = {}
    for m in _live(enum.members):
        c = 'k' + camel(m.name)
        if c in seen:
            raise SchemaError(str(enum.loc), f"values '{seen[c]}' and "
                              f"'{m.name}' of '{enum.name}' both become {c}")
        seen[c] = m.name
        consts.append((c, m.name))
    return consts


def _member_ident(m):
    return cxx_ident(m.name)


# --- qapi-types.h / .cc ----------------------------------------------------

_TYPES_DOC = '''\
// Schema types as C++:
//  - enum:      enum class E { kValueName, ... } (k + CamelCase of the value,
//               '-', '_' and '.' splitting words), to_string(E),
//               E_from_string(s), E_MAX, E_values() (all values, in order);
//  - struct:    members in schema order, base members first; optional ones
//               as std::optional, arrays as std::vector, 'any' as Value,
//               int/int64 as int64_t, uintN/size as uintN_t/uint64_t;
//  - union:     the base members (the tag among them), then
//               u.<branch>: a std::optional per branch, the tag's one set;
//  - alternate: `value`, a std::variant of the branches in schema order;
//  - arguments of a command whose 'data' is inline: struct <Command>Arg.'''


def gen_types_h(cx, header):
    out = [header, _TYPES_DOC, '#pragma once', '',
           '#include <array>', '#include <cstddef>', '#include <cstdint>',
           '#include <optional>', '#include <string>',
           '#include <string_view>', '#include <variant>',
           '#include <vector>', '', '#include "qapi/qobject.h"',
           '#include "qapi/visit_runtime.h"', '',
           f'namespace {cx.ns} {{', '']
    for e in cx.enums():
        name = cx.type_names[e.name]
        consts = _enum_consts(e)
        out.append(f'// {e.name} (schema enum)')
        out.append(f'enum class {name} {{')
        for c, _ in consts:
            out.append(f'  {c},')
        out.append('};')
        out.append(f'inline constexpr int {name}_MAX = {len(consts)};')
        out.append(f'const char* to_string({name} value);')
        out.append(f'std::optional<{name}> {name}_from_string('
                   'std::string_view s);')
        out.append(f'constexpr std::array<{name}, {name}_MAX> '
                   f'{name}_values() {{')
        out.append('  return {')
        for c, _ in consts:
            out.append(f'      {name}::{c},')
        out.append('  };')
        out.append('}')
        out.append('')
    structs = cx.struct_types()
    if any(cx.type_names[t.name] for t in structs):
        out.append('// Declared ahead for arrays and recursive types.')
        for t in structs:
            out.append(f'struct {cx.type_names[t.name]};')
        out.append('')
    for t in structs:
        out += _gen_struct(cx, t)
    for t in cx.arg_structs:
        out += _gen_struct(cx, t)
    out += [f'}}  // namespace {cx.ns}', '']
    return '\n'.join(out)


def _gen_struct(cx, t):
    name = cx.type_names[t.name]
    if isinstance(t, AlternateType):
        alts = ', '.join(cx.held_type(t, 'branch', v.name, v.type)
                         for v in _live(t.variants.variants))
        return [f'// {t.name} (schema alternate): holds one of its branches.',
                f'struct {name} {{',
                f'  std::variant<{alts}> value{{}};',
                f'  bool operator==(const {name}&) const = default;',
                '};', '']
    what = 'union' if t.variants else 'struct'
    if t.is_implicit():
        cmd = t.name[len('q_obj_'):-len('-arg')]
        lines = [f"// Arguments of command '{cmd}'."]
    else:
        lines = [f'// {t.name} (schema {what})']
    lines.append(f'struct {name} {{')
    idents = set()
    for m in _live(t.members):
        ident = _member_ident(m)
        if ident in cx.type_names.values():
            raise SchemaError(str(m.loc), f"member '{m.name}' of '{t.name}' "
                              "has the C++ name of a type")
        idents.add(ident)
        typ = cx.held_type(t, 'member', m.name, m.type)
        if m.optional:
            typ = f'std::optional<{typ}>'
        lines.append(f'  {typ} {ident}{{}};')
    if t.variants:
        if 'u' in idents:
            raise SchemaError(str(t.loc), f"'{t.name}' has a member 'u', "
                              "which is where its branches go")
        lines.append(f'  // Branch members; the one named by '
                     f'{cxx_ident(t.variants.tag_member.name)} is set.')
        lines.append('  struct Branches {')
        for v in _live(t.variants.variants):
            if v.type.is_empty() and v.type.is_implicit():
                continue
            typ = cx.held_type(t, 'branch', v.name, v.type)
            lines.append(f'    std::optional<{typ}> '
                         f'{cxx_ident(v.name)}{{}};')
        lines.append('    bool operator==(const Branches&) const = default;')
        lines.append('  };')
        lines.append('  Branches u{};')
    lines.append(f'  bool operator==(const {name}&) const = default;')
    lines.append('};')
    lines.append('')
    return lines


def gen_types_cc(cx, header):
    out = [header, cx.include('qapi-types.h'), '',
           f'namespace {cx.ns} {{', '', 'namespace {', '']
    for e in cx.enums():
        name = cx.type_names[e.name]
        consts = _enum_consts(e)
        names = ', '.join(_cstr(v) for _, v in consts)
        out.append(f'constexpr const char* k{name}Names[] = {{{names}}};'
                   if consts else
                   f'constexpr const char* k{name}Names[] = {{nullptr}};')
    out += ['', '}  // namespace', '']
    for e in cx.enums():
        name = cx.type_names[e.name]
        out += [
            f'const char* to_string({name} value) {{',
            '  int i = static_cast<int>(value);',
            f'  return i >= 0 && i < {name}_MAX ? k{name}Names[i] : "";',
            '}', '',
            f'std::optional<{name}> {name}_from_string(std::string_view s) {{',
            f'  for (int i = 0; i < {name}_MAX; i++) {{',
            f'    if (s == k{name}Names[i]) return static_cast<{name}>(i);',
            '  }',
            '  return std::nullopt;',
            '}', '']
    out += [f'}}  // namespace {cx.ns}', '']
    return '\n'.join(out)


# --- qapi-visit.h / .cc ----------------------------------------------------

_VISIT_DOC = '''\
// Conversions between schema types and Values, as QEMU's output and strict
// input visitors do them (see qapi/visit_runtime.h for from_value<T>()):
//   Value to_value(const T&)             members in schema order, optional
//                                        ones only when set
//   bool visit_in(InputVisitor&, name, T*)  T as member `name` (or root)
//   void put_members(Dict&, const T&)    (objects) members into a Dict
//   bool visit_members(InputVisitor&, T*)  (objects) members of the open
//                                        object, no leftover check'''


def gen_visit_h(cx, header):
    out = [header, _VISIT_DOC, '#pragma once', '', cx.include('qapi-types.h'),
           '#include "qapi/visit_runtime.h"', '',
           f'namespace {cx.ns} {{', '']
    if cx.ns != DEFAULT_NAMESPACE:
        # Keep the built-in overloads visible next to this namespace's.
        out += [f'using ::{DEFAULT_NAMESPACE}::to_value;',
                f'using ::{DEFAULT_NAMESPACE}::visit_in;', '']
    for e in cx.enums():
        name = cx.type_names[e.name]
        out += [f'Value to_value({name} value);',
                f'bool visit_in(InputVisitor& v, const char* name, '
                f'{name}* out);']
    out.append('')
    for t in cx.struct_types() + cx.arg_structs:
        name = cx.type_names[t.name]
        out.append(f'Value to_value(const {name}& value);')
        out.append(f'bool visit_in(InputVisitor& v, const char* name, '
                   f'{name}* out);')
        if isinstance(t, ObjectType):
            out.append(f'void put_members(Dict& d, const {name}& value);')
            out.append(f'bool visit_members(InputVisitor& v, {name}* out);')
    out += ['', f'}}  // namespace {cx.ns}', '']
    return '\n'.join(out)


def gen_visit_cc(cx, header):
    out = [header, cx.include('qapi-visit.h'), '',
           '#include <utility>', '',
           f'namespace {cx.ns} {{', '']
    for e in cx.enums():
        name = cx.type_names[e.name]
        out += [
            f'Value to_value({name} value) {{ return Value(to_string(value)); }}',
            '',
            f'bool visit_in(InputVisitor& v, const char* name, {name}* out) {{',
            '  std::string s;',
            '  if (!v.type_str(name, &s)) return false;',
            f'  std::optional<{name}> e = {name}_from_string(s);',
            '  if (!e) return v.fail_enum(name, s);',
            '  *out = *e;',
            '  return true;',
            '}', '']
    for t in cx.struct_types() + cx.arg_structs:
        if isinstance(t, AlternateType):
            out += _gen_alternate_visit(cx, t)
        else:
            out += _gen_object_visit(cx, t)
    out += [f'}}  // namespace {cx.ns}', '']
    return '\n'.join(out)


def _branch_has_struct(v):
    return not (v.type.is_empty() and v.type.is_implicit())


def _gen_object_visit(cx, t):
    name = cx.type_names[t.name]
    members = _live(t.members)
    out = [f'void put_members(Dict& d, const {name}& value) {{']
    if not members and not t.variants:
        out[0] = f'void put_members(Dict& /*d*/, const {name}& /*value*/) {{'
    for m in members:
        ident = _member_ident(m)
        if m.optional:
            out.append(f'  if (value.{ident}) d.put({_cstr(m.name)}, '
                       f'to_value(*value.{ident}));')
        else:
            out.append(f'  d.put({_cstr(m.name)}, to_value(value.{ident}));')
    if t.variants:
        tag = t.variants.tag_member
        enum_name = cx.type_names[tag.type.name]
        out.append(f'  switch (value.{cxx_ident(tag.name)}) {{')
        consts = dict((v, c) for c, v in _enum_consts(tag.type))
        for v in _live(t.variants.variants):
            out.append(f'    case {enum_name}::{consts[v.name]}:')
            if _branch_has_struct(v):
                b = cxx_ident(v.name)
                deref = '**' if cx.boxed(t, 'branch', v.name) else '*'
                out.append(f'      if (value.u.{b}) put_members(d, '
                           f'{deref}value.u.{b});')
            out.append('      break;')
        out.append('  }')
    out += ['}', '']
    out += [f'Value to_value(const {name}& value) {{',
            '  Dict d;',
            '  put_members(d, value);',
            '  return Value(std::move(d));',
            '}', '']
    if not members and not t.variants:
        out.append(f'bool visit_members(InputVisitor& /*v*/, '
                   f'{name}* /*out*/) {{')
    else:
        out.append(f'bool visit_members(InputVisitor& v, {name}* out) {{')
    for m in members:
        ident = _member_ident(m)
        n = _cstr(m.name)
        if m.optional:
            out += [f'  if (v.optional({n})) {{',
                    f'    out->{ident}.emplace();',
                    f'    if (!visit_in(v, {n}, &*out->{ident})) '
                    'return false;',
                    '  }']
        else:
            out.append(f'  if (!visit_in(v, {n}, &out->{ident})) '
                       'return false;')
    if t.variants:
        tag = t.variants.tag_member
        enum_name = cx.type_names[tag.type.name]
        consts = dict((v, c) for c, v in _enum_consts(tag.type))
        out.append(f'  switch (out->{cxx_ident(tag.name)}) {{')
        for v in _live(t.variants.variants):
            out.append(f'    case {enum_name}::{consts[v.name]}:')
            if _branch_has_struct(v):
                b = cxx_ident(v.name)
                deref = '**' if cx.boxed(t, 'branch', v.name) else '*'
                out.append(f'      out->u.{b}.emplace();')
                out.append(f'      return visit_members(v, &{deref}out->u.{b});')
            else:
                out.append('      break;')
        out.append('  }')
    out += ['  return true;', '}', '']
    out += [f'bool visit_in(InputVisitor& v, const char* name, {name}* out) {{',
            '  if (!v.start_struct(name)) return false;',
            '  if (!visit_members(v, out) || !v.check_struct()) return false;',
            '  v.end_struct();',
            '  return true;',
            '}', '']
    return out


_QTYPE = {
    'string': 'String', 'number': 'Number', 'int': 'Number',
    'boolean': 'Bool', 'null': 'Null', 'array': 'List', 'object': 'Dict',
}


def _gen_alternate_visit(cx, t):
    name = cx.type_names[t.name]
    branches = _live(t.variants.variants)
    out = [f'Value to_value(const {name}& value) {{',
           '  switch (value.value.index()) {']
    for i, _ in enumerate(branches):
        out.append(f'    case {i}:')
        out.append(f'      return to_value(std::get<{i}>(value.value));')
    out += ['  }', '  return Value();', '}', '']
    out += [f'bool visit_in(InputVisitor& v, const char* name, {name}* out) {{',
            '  std::optional<Value::Type> type = v.start_alternate(name);',
            '  if (!type) return false;',
            '  switch (*type) {']
    for i, br in enumerate(branches):
        typ = cx.held_type(t, 'branch', br.name, br.type)
        out += [f'    case Value::Type::{_QTYPE[br.type.json_type()]}: {{',
                f'      {typ} branch{{}};',
                '      if (!visit_in(v, name, &branch)) return false;',
                f'      out->value.emplace<{i}>(std::move(branch));',
                '      return true;',
                '    }']
    out += ['    default:', '      break;', '  }',
            f'  return v.fail_alternate(name, {_cstr(t.name)});', '}', '']
    return out


# --- qapi-commands.h / .cc -------------------------------------------------

def _ret_type(cx, cmd):
    return cx.cxx_type(cmd.ret_type) if cmd.ret_type else None


def _handler_proto(cx, cmd):
    ret = _ret_type(cx, cmd)
    r = f'Result<{ret}>' if ret else 'Status'
    cname = command_cname(cmd.name)
    if cmd.arg_type and not cmd.arg_type.is_empty():
        args = cx.type_names[cmd.arg_type.name]
        return f'{r} qmp_{cname}(const {args}& args, CommandContext& ctx)'
    return f'{r} qmp_{cname}(CommandContext& ctx)'


def _marshal_proto(cmd):
    return (f'Result<Value> qmp_marshal_{command_cname(cmd.name)}'
            '(const Dict* args, CommandContext& ctx)')


def gen_commands_h(cx, header):
    out = [header, '#pragma once', '',
           '#include <vector>', '',
           '#include "qapi/error.h"', cx.include('qapi-introspect.h'),
           cx.include('qapi-types.h'), '#include "qapi/qobject.h"', '',
           'namespace migemu {', '// Defined by the monitor.',
           'struct CommandContext;', '}  // namespace migemu', '',
           f'namespace {cx.ns} {{', '',
           '// Handlers: one per command with generated marshalling, '
           'implemented',
           '// elsewhere in the program.']
    for cmd in cx.commands():
        if cmd.gen:
            out.append(_handler_proto(cx, cmd) + ';')
    out += ['', '// Marshallers: visit the arguments strictly, call the '
            'handler, convert',
            '// its result. Those of \'gen\': false commands are written by '
            'hand.']
    for cmd in cx.commands():
        out.append(_marshal_proto(cmd) + ';')
    out += ['',
            'struct QmpCommand {',
            '  const char* name;',
            '  Result<Value> (*marshal)(const Dict* args, CommandContext& ctx);',
            '  bool allow_oob;',
            '  bool allow_preconfig;',
            '  bool success_response;',
            '};', '',
            '// Every command of the schema, in schema order. '
            '(qmp_query_commands_order()',
            '// in qapi-introspect.h has the order of query-commands.)',
            'const std::vector<QmpCommand>& qmp_commands();',
            '',
            f'}}  // namespace {cx.ns}', '']
    return '\n'.join(out)


def gen_commands_cc(cx, header):
    out = [header, cx.include('qapi-commands.h'), '',
           cx.include('qapi-visit.h'), '',
           f'namespace {cx.ns} {{', '']
    for cmd in cx.commands():
        if not cmd.gen:
            continue
        cname = command_cname(cmd.name)
        has_args = cmd.arg_type and not cmd.arg_type.is_empty()
        out.append(_marshal_proto(cmd) + ' {')
        out.append('  InputVisitor v(args ? *args : empty_dict());')
        out.append('  if (!v.start_struct(nullptr)) return v.take_error();')
        if has_args:
            argt = cx.type_names[cmd.arg_type.name]
            out.append(f'  {argt} arg{{}};')
            out.append('  if (!visit_members(v, &arg) || !v.check_struct()) '
                       'return v.take_error();')
        else:
            out.append('  if (!v.check_struct()) return v.take_error();')
        out.append('  v.end_struct();')
        call = f'qmp_{cname}(arg, ctx)' if has_args else f'qmp_{cname}(ctx)'
        out.append(f'  auto r = {call};')
        out.append('  if (!r.ok()) return r.take_error();')
        if cmd.ret_type:
            out.append('  return to_value(*r);')
        else:
            out.append('  return Value::dict();')
        out.append('}')
        out.append('')
    out.append('const std::vector<QmpCommand>& qmp_commands() {')
    out.append('  static const std::vector<QmpCommand> table = {')
    for cmd in cx.commands():
        b = lambda x: 'true' if x else 'false'  # noqa: E731
        out.append(f'      {{{_cstr(cmd.name)}, '
                   f'qmp_marshal_{command_cname(cmd.name)}, '
                   f'{b(cmd.allow_oob)}, {b(cmd.allow_preconfig)}, '
                   f'{b(cmd.success_response)}}},')
    out += ['  };', '  return table;', '}', '',
            f'}}  // namespace {cx.ns}', '']
    return '\n'.join(out)


# --- qapi-events.h / .cc ---------------------------------------------------

def _event_params(cx, ev):
    """(C++ parameter list, body lines that fill Dict 'qapi_data_')."""
    if not ev.arg_type or ev.arg_type.is_empty():
        return '', []
    if ev.boxed:
        t = cx.type_names[ev.arg_type.name]
        return f'const {t}& arg', ['  put_members(qapi_data_, arg);']
    params, body = [], []
    for m in _live(ev.arg_type.members):
        ident = cxx_ident(m.name)
        params.append(f'{cx.param_type(m.type, m.optional)} {ident}')
        if m.optional:
            body.append(f'  if ({ident}) qapi_data_.put({_cstr(m.name)}, '
                        f'to_value(*{ident}));')
        else:
            body.append(f'  qapi_data_.put({_cstr(m.name)}, '
                        f'to_value({ident}));')
    return ', '.join(params), body


def gen_events_h(cx, header):
    out = [header, '#pragma once', '', '#include <optional>',
           '#include <string>', '#include <vector>', '',
           cx.include('qapi-types.h'), '',
           f'namespace {cx.ns} {{', '',
           '// Each builds the event\'s data in schema order and hands it to',
           '// migemu::qapi_event_emit (no "data" when there is nothing to '
           'send).']
    for ev in cx.events():
        params, _ = _event_params(cx, ev)
        out.append(f'void qapi_event_send_{event_cname(ev.name)}({params});')
    out += ['', f'}}  // namespace {cx.ns}', '']
    return '\n'.join(out)


def gen_events_cc(cx, header):
    out = [header, cx.include('qapi-events.h'), '',
           '#include <utility>', '',
           '#include "qapi/event_sink.h"', cx.include('qapi-visit.h'), '',
           f'namespace {cx.ns} {{', '']
    for ev in cx.events():
        params, body = _event_params(cx, ev)
        out.append(f'void qapi_event_send_{event_cname(ev.name)}({params}) {{')
        can_be_empty = ev.boxed or not any(
            not m.optional for m in _live(ev.arg_type.members)) \
            if body else True
        if body and not can_be_empty:
            out.append('  Dict qapi_data_;')
            out += body
            out.append(f'  qapi_event_emit({_cstr(ev.name)}, '
                       'std::move(qapi_data_));')
        elif body:
            out.append('  Dict qapi_data_;')
            out += body
            out.append('  if (qapi_data_.empty()) {')
            out.append(f'    qapi_event_emit({_cstr(ev.name)}, std::nullopt);')
            out.append('  } else {')
            out.append(f'    qapi_event_emit({_cstr(ev.name)}, '
                       'std::move(qapi_data_));')
            out.append('  }')
        else:
            out.append(f'  qapi_event_emit({_cstr(ev.name)}, std::nullopt);')
        out.append('}')
        out.append('')
    out += [f'}}  // namespace {cx.ns}', '']
    return '\n'.join(out)
