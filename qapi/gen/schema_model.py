"""The checked schema: types, commands and events with references resolved.

Built from the expressions schema_parser produces. Semantics follow the QAPI
language of QEMU 7.2: implicit object types for inline 'data'/'base', array
types named ELEMList, union branches not written out get the empty object
type, 'if' conditions are decided at generation time from a set of defined
symbols (a false condition removes the definition, member, value, feature or
branch, as the C preprocessor would in QEMU).
"""

import os
import re

from schema_parser import Include, SchemaError, parse_schema

# name, JSON type of its values, C++ type
BUILTINS = [
    ('str', 'string', 'std::string'),
    ('number', 'number', 'double'),
    ('int', 'int', 'int64_t'),
    ('int8', 'int', 'int8_t'),
    ('int16', 'int', 'int16_t'),
    ('int32', 'int', 'int32_t'),
    ('int64', 'int', 'int64_t'),
    ('uint8', 'int', 'uint8_t'),
    ('uint16', 'int', 'uint16_t'),
    ('uint32', 'int', 'uint32_t'),
    ('uint64', 'int', 'uint64_t'),
    ('size', 'int', 'uint64_t'),
    ('bool', 'boolean', 'bool'),
    ('any', 'value', '::migemu::Value'),
    ('null', 'null', 'std::nullptr_t'),
]

EMPTY_OBJECT = 'q_empty'
BUILTIN_MODULE = './builtin'

_NAME_RE = re.compile(r'^(__[a-z0-9.-]+_)?(x-)?[A-Za-z][A-Za-z0-9_.-]*$')


def _where(loc):
    return str(loc) if loc else None


class Feature:
    def __init__(self, name, enabled=True):
        self.name = name
        self.enabled = enabled


class Entity:
    meta = None

    def __init__(self, name, loc, features=(), module=BUILTIN_MODULE):
        self.name = name
        self.loc = loc
        self.features = list(features)
        self.module = module
        self.enabled = True  # its 'if' condition holds

    def describe(self):
        return f"{self.meta} '{self.name}'"


class Type(Entity):
    def json_type(self):
        raise NotImplementedError

    def is_implicit(self):
        return False


class BuiltinType(Type):
    meta = 'built-in type'

    def __init__(self, name, json_type, cxx_type):
        super().__init__(name, None)
        self._json_type = json_type
        self.cxx_type = cxx_type

    def json_type(self):
        return self._json_type


class EnumMember:
    def __init__(self, name, features, enabled=True):
        self.name = name
        self.features = features
        self.enabled = enabled


class EnumType(Type):
    meta = 'enum'

    def __init__(self, name, loc, members, features, module):
        super().__init__(name, loc, features, module)
        self.members = members

    def json_type(self):
        return 'string'

    def member_names(self):
        return [m.name for m in self.members]


class ArrayType(Type):
    meta = 'array type'

    def __init__(self, name, loc, element_name, module):
        super().__init__(name, loc, (), module)
        self.element_name = element_name
        self.element_type = None

    def json_type(self):
        return 'array'

    def is_implicit(self):
        return True


class ObjectMember:
    def __init__(self, name, type_name, optional, features, loc,
                 enabled=True):
        self.name = name
        self.type_name = type_name
        self.type = None
        self.optional = optional
        self.features = features
        self.loc = loc
        self.defined_in = None
        self.enabled = enabled


class Variant:
    def __init__(self, name, type_name, loc, enabled=True):
        self.name = name
        self.type_name = type_name
        self.type = None
        self.loc = loc
        self.enabled = enabled


class Variants:
    """Branches of a union (tag_name set) or an alternate (tag_name None)."""

    def __init__(self, tag_name, variants):
        self.tag_name = tag_name
        self.tag_member = None
        self.variants = variants


class ObjectType(Type):
    meta = 'struct'

    def __init__(self, name, loc, base_name, local_members, variants,
                 features, module, implicit=False):
        super().__init__(name, loc, features, module)
        self.base_name = base_name
        self.base = None
        self.local_members = local_members
        self.variants = variants
        self.members = None   # base members first, then local ones
        self.implicit = implicit
        self._checking = False
        if variants:
            self.meta = 'union'

    def json_type(self):
        return 'object'

    def is_implicit(self):
        return self.implicit

    def is_empty(self):
        return not self.members and not self.variants


class AlternateType(Type):
    meta = 'alternate'

    def __init__(self, name, loc, variants, features, module):
        super().__init__(name, loc, features, module)
        self.variants = variants

    def json_type(self):
        return 'value'


class Command(Entity):
    meta = 'command'

    def __init__(self, name, loc, arg_name, ret_name, flags, features, module):
        super().__init__(name, loc, features, module)
        self.arg_name = arg_name
        self.ret_name = ret_name
        self.arg_type = None
        self.ret_type = None
        self.gen = flags.get('gen', True)
        self.success_response = flags.get('success-response', True)
        self.boxed = flags.get('boxed', False)
        self.allow_oob = flags.get('allow-oob', False)
        self.allow_preconfig = flags.get('allow-preconfig', False)
        self.coroutine = flags.get('coroutine', False)


class Event(Entity):
    meta = 'event'

    def __init__(self, name, loc, arg_name, boxed, features, module):
        super().__init__(name, loc, features, module)
        self.arg_name = arg_name
        self.arg_type = None
        self.boxed = boxed


# --- conditions -----------------------------------------------------------

def eval_cond(cond, defines, loc):
    if cond is None:
        return True
    if isinstance(cond, str):
        return cond in defines
    if isinstance(cond, dict) and len(cond) == 1:
        (op, arg), = cond.items()
        if op == 'not':
            return not eval_cond(arg, defines, loc)
        if op in ('all', 'any') and isinstance(arg, list) and arg:
            vals = [eval_cond(a, defines, loc) for a in arg]
            return all(vals) if op == 'all' else any(vals)
    raise SchemaError(_where(loc), f"malformed 'if' condition {cond!r}")


# --- the schema -----------------------------------------------------------

class Schema:
    def __init__(self, root_fname, defines=()):
        self.defines = set(defines)
        self.entities = []          # definition order
        self.by_name = {}
        self.modules = [BUILTIN_MODULE]
        parsed = parse_schema(root_fname)
        self.pragmas = parsed.pragmas
        self.modules.append(os.path.normpath(root_fname))
        self._define_builtins()
        for item in parsed.items:
            if isinstance(item, Include):
                if item.fname not in self.modules:
                    self.modules.append(item.fname)
            else:
                self._define(item)
        self._check()

    # -- helpers

    def lookup(self, name):
        return self.by_name.get(name)

    def lookup_type(self, name):
        ent = self.by_name.get(name)
        return ent if isinstance(ent, Type) else None

    def _add(self, ent):
        if ent.name in self.by_name:
            other = self.by_name[ent.name]
            raise SchemaError(_where(ent.loc),
                              f"'{ent.name}' is already defined"
                              + (f" at {other.loc}" if other.loc else ''))
        self.by_name[ent.name] = ent
        self.entities.append(ent)

    def _define_builtins(self):
        for name, jtype, cxx in BUILTINS:
            self._add(BuiltinType(name, jtype, cxx))
            self._array_of(name, None, BUILTIN_MODULE)
        self.empty_object = ObjectType(EMPTY_OBJECT, None, None, [], None, [],
                                       BUILTIN_MODULE, implicit=True)
        self._add(self.empty_object)

    def _array_of(self, elem, loc, module):
        name = elem + 'List'
        if name not in self.by_name:
            self._add(ArrayType(name, loc, elem, module))
        return name

    def _type_ref(self, ref, loc, module, what):
        """A type reference: 'Name' or ['Name'] (an array)."""
        if isinstance(ref, str):
            return ref
        if isinstance(ref, list) and len(ref) == 1 and \
                isinstance(ref[0], str):
            return self._array_of(ref[0], loc, module)
        raise SchemaError(_where(loc), f"{what} must name a type or be a "
                          "one-element array of a type name")

    def _features(self, spec, loc):
        if spec is None:
            return []
        if not isinstance(spec, list):
            raise SchemaError(_where(loc), "'features' must be an array")
        out = []
        for f in spec:
            if isinstance(f, str):
                f = {'name': f}
            if not isinstance(f, dict) or not isinstance(f.get('name'), str):
                raise SchemaError(_where(loc), "malformed feature")
            _check_keys(f, {'name'}, {'if'}, loc, 'feature')
            _check_name(f['name'], loc, 'feature')
            out.append(Feature(f['name'],
                               eval_cond(f.get('if'), self.defines, loc)))
        return out

    def _members(self, data, loc, module, what):
        if not isinstance(data, dict):
            raise SchemaError(_where(loc), f"{what} must be an object")
        out = []
        for key, spec in data.items():
            if not isinstance(spec, dict):
                spec = {'type': spec}
            _check_keys(spec, {'type'}, {'if', 'features'}, loc,
                        f"member '{key}'")
            optional = key.startswith('*')
            name = key[1:] if optional else key
            _check_name(name, loc, 'member')
            tname = self._type_ref(spec['type'], loc, module,
                                   f"member '{name}'")
            out.append(ObjectMember(
                name, tname, optional,
                self._features(spec.get('features'), loc), loc,
                eval_cond(spec.get('if'), self.defines, loc)))
        return out

    def _branches(self, data, loc, module):
        if not isinstance(data, dict) or not data:
            raise SchemaError(_where(loc), "'data' must be a non-empty object")
        out = []
        for key, spec in data.items():
            if not isinstance(spec, dict):
                spec = {'type': spec}
            _check_keys(spec, {'type'}, {'if'}, loc, f"branch '{key}'")
            _check_name(key, loc, 'branch')
            tname = self._type_ref(spec['type'], loc, module,
                                   f"branch '{key}'")
            out.append(Variant(key, tname, loc,
                               eval_cond(spec.get('if'), self.defines, loc)))
        return out

    def _implicit_object(self, owner, role, members, loc, module):
        if not members:
            return None
        name = f'q_obj_{owner}-{role}'
        if name not in self.by_name:
            self._add(ObjectType(name, loc, None, members, None, [], module,
                                 implicit=True))
        return name

    # -- definitions

    def _define(self, expr):
        data, loc, module = expr.data, expr.loc, expr.fname
        for kind in ('enum', 'struct', 'union', 'alternate', 'command',
                     'event'):
            if kind in data:
                break
        else:
            raise SchemaError(_where(loc), "unknown kind of expression")
        name = data[kind]
        if not isinstance(name, str):
            raise SchemaError(_where(loc), f"'{kind}' requires a string name")
        _check_name(name, loc, kind)
        if name.endswith('List') or name.startswith('q_'):
            raise SchemaError(_where(loc), f"name '{name}' is reserved")
        features = self._features(data.get('features'), loc)
        count = len(self.entities)
        getattr(self, '_define_' + kind)(name, data, loc, module, features)
        enabled = eval_cond(data.get('if'), self.defines, loc)
        # The definition and the implicit types made for it share the
        # condition (array types are shared, and stay unconditional).
        for ent in self.entities[count:]:
            if not isinstance(ent, ArrayType):
                ent.enabled = enabled

    def _define_enum(self, name, data, loc, module, features):
        _check_keys(data, {'enum', 'data'}, {'if', 'features', 'prefix'}, loc,
                    'enum')
        if not isinstance(data['data'], list):
            raise SchemaError(_where(loc), "enum 'data' must be an array")
        members = []
        for v in data['data']:
            if isinstance(v, str):
                v = {'name': v}
            if not isinstance(v, dict) or not isinstance(v.get('name'), str):
                raise SchemaError(_where(loc), "malformed enum value")
            _check_keys(v, {'name'}, {'if', 'features'}, loc, 'enum value')
            _check_name(v['name'], loc, 'enum value', enum_value=True)
            members.append(EnumMember(
                v['name'], self._features(v.get('features'), loc),
                eval_cond(v.get('if'), self.defines, loc)))
        names = [m.name for m in members]
        if len(set(names)) != len(names):
            raise SchemaError(_where(loc), f"enum '{name}' repeats a value")
        self._add(EnumType(name, loc, members, features, module))

    def _define_struct(self, name, data, loc, module, features):
        _check_keys(data, {'struct', 'data'}, {'base', 'if', 'features'}, loc,
                    'struct')
        base = data.get('base')
        if base is not None and not isinstance(base, str):
            raise SchemaError(_where(loc), "struct 'base' must be a type name")
        members = self._members(data['data'], loc, module, "'data'")
        self._add(ObjectType(name, loc, base, members, None, features, module))

    def _define_union(self, name, data, loc, module, features):
        _check_keys(data, {'union', 'base', 'discriminator', 'data'},
                    {'if', 'features'}, loc, 'union')
        base = data['base']
        if isinstance(base, dict):
            base = self._implicit_object(
                name, 'base', self._members(base, loc, module, "'base'"),
                loc, module)
        elif not isinstance(base, str):
            raise SchemaError(_where(loc), "union 'base' must be a type name "
                              "or an object")
        if not isinstance(data['discriminator'], str):
            raise SchemaError(_where(loc), "'discriminator' must be a string")
        variants = Variants(data['discriminator'],
                            self._branches(data['data'], loc, module))
        self._add(ObjectType(name, loc, base, [], variants, features, module))

    def _define_alternate(self, name, data, loc, module, features):
        _check_keys(data, {'alternate', 'data'}, {'if', 'features'}, loc,
                    'alternate')
        variants = Variants(None, self._branches(data['data'], loc, module))
        self._add(AlternateType(name, loc, variants, features, module))

    def _define_command(self, name, data, loc, module, features):
        flags = {'gen', 'success-response', 'boxed', 'allow-oob',
                 'allow-preconfig', 'coroutine'}
        _check_keys(data, {'command'},
                    {'data', 'returns', 'if', 'features'} | flags, loc,
                    'command')
        for f in flags:
            if f in data and not isinstance(data[f], bool):
                raise SchemaError(_where(loc), f"'{f}' must be true or false")
        args = data.get('data')
        if isinstance(args, dict):
            if data.get('boxed'):
                raise SchemaError(_where(loc), "'boxed' requires 'data' to "
                                  "name a type")
            args = self._implicit_object(
                name, 'arg', self._members(args, loc, module, "'data'"),
                loc, module)
        elif args is not None and not isinstance(args, str):
            raise SchemaError(_where(loc), "command 'data' must be an object "
                              "or a type name")
        rets = data.get('returns')
        if rets is not None:
            rets = self._type_ref(rets, loc, module, "'returns'")
        self._add(Command(name, loc, args, rets,
                          {f: data[f] for f in flags if f in data},
                          features, module))

    def _define_event(self, name, data, loc, module, features):
        _check_keys(data, {'event'}, {'data', 'boxed', 'if', 'features'}, loc,
                    'event')
        args = data.get('data')
        if isinstance(args, dict):
            if data.get('boxed'):
                raise SchemaError(_where(loc), "'boxed' requires 'data' to "
                                  "name a type")
            args = self._implicit_object(
                name, 'arg', self._members(args, loc, module, "'data'"),
                loc, module)
        elif args is not None and not isinstance(args, str):
            raise SchemaError(_where(loc), "event 'data' must be an object "
                              "or a type name")
        self._add(Event(name, loc, args, data.get('boxed', False), features,
                        module))

    # -- checking

    def _resolve(self, name, loc, what):
        typ = self.lookup_type(name)
        if typ is None:
            raise SchemaError(_where(loc), f"{what} uses unknown type '{name}'")
        return typ

    def _check(self):
        for ent in list(self.entities):
            if isinstance(ent, ArrayType):
                ent.element_type = self._resolve(ent.element_name, ent.loc,
                                                 f"array '{ent.name}'")
                if isinstance(ent.element_type, ArrayType):
                    raise SchemaError(_where(ent.loc),
                                      "arrays of arrays are not supported")
                ent.enabled = ent.element_type.enabled
        for ent in self.entities:
            if isinstance(ent, ObjectType):
                self._check_object(ent)
            elif isinstance(ent, AlternateType):
                self._check_alternate(ent)
        for ent in self.entities:
            if isinstance(ent, Command):
                self._check_command(ent)
            elif isinstance(ent, Event):
                self._check_event(ent)

    def _check_object(self, obj):
        if obj.members is not None:
            return
        if obj._checking:
            raise SchemaError(_where(obj.loc),
                              f"object '{obj.name}' contains itself as base")
        obj._checking = True
        members = []
        if obj.base_name:
            base = self._resolve(obj.base_name, obj.loc, f"'{obj.name}' base")
            if not isinstance(base, ObjectType) or base.variants:
                raise SchemaError(_where(obj.loc),
                                  f"'base' of '{obj.name}' must be a struct")
            self._check_object(base)
            obj.base = base
            members = list(base.members)
        seen = {}
        for m in members:
            seen[cxx_ident(m.name)] = m
        for m in obj.local_members:
            m.type = self._resolve(m.type_name, m.loc,
                                   f"member '{m.name}' of '{obj.name}'")
            m.defined_in = obj.name
            key = cxx_ident(m.name)
            if key in seen:
                raise SchemaError(_where(m.loc),
                                  f"member '{m.name}' of '{obj.name}' "
                                  f"collides with '{seen[key].name}'")
            seen[key] = m
            members.append(m)
        obj.members = members
        obj._checking = False
        if obj.variants:
            self._check_union(obj, seen)

    def _check_union(self, obj, seen):
        v = obj.variants
        tag = next((m for m in obj.members if m.name == v.tag_name), None)
        if tag is None:
            raise SchemaError(_where(obj.loc), f"discriminator '{v.tag_name}' "
                              f"is not a member of the base of '{obj.name}'")
        if not isinstance(tag.type, EnumType) or tag.optional:
            raise SchemaError(_where(obj.loc), f"discriminator '{v.tag_name}' "
                              "must be a mandatory enum member")
        v.tag_member = tag
        values = tag.type.member_names()
        names = set()
        for br in v.variants:
            if br.name not in values:
                raise SchemaError(_where(br.loc), f"branch '{br.name}' is not "
                                  f"a value of '{tag.type.name}'")
            names.add(br.name)
        for m in tag.type.members:
            if m.name not in names:
                v.variants.append(Variant(m.name, EMPTY_OBJECT, obj.loc,
                                          m.enabled))
        for br in v.variants:
            br.type = self._resolve(br.type_name, br.loc,
                                    f"branch '{br.name}' of '{obj.name}'")
            if not isinstance(br.type, ObjectType):
                raise SchemaError(_where(br.loc), f"branch '{br.name}' of "
                                  f"'{obj.name}' must be an object type")
            self._check_object(br.type)
            if br.type.variants:
                raise SchemaError(_where(br.loc), f"branch '{br.name}' of "
                                  f"'{obj.name}' cannot be a union")
            for m in br.type.members:
                if cxx_ident(m.name) in seen:
                    raise SchemaError(_where(br.loc),
                                      f"member '{m.name}' of branch "
                                      f"'{br.name}' collides with a base "
                                      "member")

    def _check_alternate(self, alt):
        # As QEMU: the branch is chosen by the JSON type of the value, and
        # a string branch must not be confusable with a number or boolean
        # (keyval input, where everything is a string).
        kinds = {'string': 'str', 'number': 'num', 'int': 'num',
                 'boolean': 'bool', 'null': 'null', 'array': 'list',
                 'object': 'dict'}
        seen = {}
        for br in alt.variants.variants:
            br.type = self._resolve(br.type_name, br.loc,
                                    f"branch '{br.name}' of '{alt.name}'")
            kind = kinds.get(br.type.json_type())
            if kind is None:
                raise SchemaError(_where(br.loc), f"branch '{br.name}' of "
                                  f"'{alt.name}' cannot be '{br.type.name}'")
            conflicting = {kind}
            if kind == 'str':
                if isinstance(br.type, EnumType):
                    for m in br.type.members:
                        if m.name in ('on', 'off'):
                            conflicting.add('bool')
                        if re.match(r'[-+0-9.]', m.name):
                            conflicting.add('num')
                else:
                    conflicting |= {'num', 'bool'}
            for k in conflicting:
                if k in seen:
                    raise SchemaError(_where(br.loc), f"branch '{br.name}' "
                                      f"of '{alt.name}' can't be told apart "
                                      f"from '{seen[k]}'")
                seen[k] = br.name

    def _check_command(self, cmd):
        if cmd.arg_name:
            cmd.arg_type = self._resolve(cmd.arg_name, cmd.loc,
                                         f"command '{cmd.name}'")
            if not isinstance(cmd.arg_type, ObjectType):
                raise SchemaError(_where(cmd.loc), f"'data' of command "
                                  f"'{cmd.name}' must be an object type")
            if cmd.arg_type.variants and not cmd.boxed:
                raise SchemaError(_where(cmd.loc), f"command '{cmd.name}' "
                                  "takes a union; it must be 'boxed'")
        if cmd.ret_name:
            cmd.ret_type = self._resolve(cmd.ret_name, cmd.loc,
                                         f"command '{cmd.name}'")
            exceptions = self.pragmas.get('command-returns-exceptions', [])
            rt = cmd.ret_type
            inner = rt.element_type if isinstance(rt, ArrayType) else rt
            if not isinstance(inner, ObjectType) and \
                    cmd.name not in exceptions:
                raise SchemaError(_where(cmd.loc), f"command '{cmd.name}' "
                                  "must return an object or an array of "
                                  "objects")

    def _check_event(self, ev):
        if ev.arg_name:
            ev.arg_type = self._resolve(ev.arg_name, ev.loc,
                                        f"event '{ev.name}'")
            if not isinstance(ev.arg_type, ObjectType):
                raise SchemaError(_where(ev.loc), f"'data' of event "
                                  f"'{ev.name}' must be an object type")
            if ev.arg_type.variants and not ev.boxed:
                raise SchemaError(_where(ev.loc), f"event '{ev.name}' "
                                  "carries a union; it must be 'boxed'")

    # -- walking

    def in_module_order(self):
        """Entities grouped by module (modules in first-include order),
        definition order within a module: QEMU's visiting order."""
        by_mod = {m: [] for m in self.modules}
        for ent in self.entities:
            by_mod.setdefault(ent.module, []).append(ent)
        out = []
        for mods in by_mod.values():
            out.extend(mods)
        return out


def _check_keys(data, required, optional, loc, what):
    for key in required:
        if key not in data:
            raise SchemaError(_where(loc), f"{what} lacks '{key}'")
    for key in data:
        if key not in required and key not in optional:
            raise SchemaError(_where(loc), f"{what} has unknown key '{key}'")


def _check_name(name, loc, what, enum_value=False):
    if enum_value:
        ok = re.match(r'^(__[a-z0-9.-]+_)?[A-Za-z0-9][A-Za-z0-9_.-]*$', name)
    else:
        ok = _NAME_RE.match(name)
    if not ok:
        raise SchemaError(_where(loc), f"{what} has an invalid name '{name}'")


# --- C++ spelling ----------------------------------------------------------

CXX_KEYWORDS = set('''
alignas alignof and and_eq asm auto bitand bitor bool break case catch char
char8_t char16_t char32_t class compl concept const consteval constexpr
constinit const_cast continue co_await co_return co_yield decltype default
delete do double dynamic_cast else enum explicit export extern false float for
friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast
requires return short signed sizeof static static_assert static_cast struct
switch template this thread_local throw true try typedef typeid typename union
unsigned using virtual void volatile wchar_t while xor xor_eq
'''.split())
# Predefined as macros by some compilers in GNU modes.
POLLUTED = {'unix', 'linux', 'i386', 'mips', 'sparc', 'errno'}


def cxx_ident(name):
    """A schema name as a C++ identifier: other characters become '_',
    keywords and predefined macro names get a trailing '_'."""
    out = re.sub(r'[^A-Za-z0-9_]', '_', name)
    if out[0].isdigit():
        out = '_' + out
    if out in CXX_KEYWORDS or out in POLLUTED:
        out += '_'
    return out


def camel(name):
    """'internal-error' -> 'InternalError', 'x86_64' -> 'X8664'."""
    words = [w for w in re.split(r'[-_.]', name) if w]
    return ''.join(w[0].upper() + w[1:] for w in words)
