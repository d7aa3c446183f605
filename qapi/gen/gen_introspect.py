"""query-qmp-schema data, computed the way QEMU 7.2 describes its schema.

The result is a list of SchemaInfo dicts. Commands and events come first, in
module order; then every type they reach, in the order it was first reached.
Type names other than built-ins are replaced by decimal numbers handed out
in order of first reference; all integer types show as 'int'; arrays are
named '[ELEMENT]'.

QEMU 7.2 sends this list through its generated SchemaInfo output visitor, so
the keys of every dict are inserted in SchemaInfo's member order (common
members first, then the members of the meta-type's branch). The dicts built
here use that order; json_writer turns it into QEMU's hash order.
"""

import json

from schema_model import (AlternateType, ArrayType, BuiltinType, Command,
                          EnumType, Event, ObjectType)


class Introspector:
    def __init__(self, schema):
        self.schema = schema
        self.used = []
        self.used_set = set()
        self.names = {}
        self.entries = []

    def run(self):
        empty = self.schema.empty_object
        for ent in self.schema.in_module_order():
            if isinstance(ent, Command):
                info = self._head(ent.name, 'command', ent.features)
                info['arg-type'] = self._use(ent.arg_type or empty)
                info['ret-type'] = self._use(ent.ret_type or empty)
                if ent.allow_oob:
                    info['allow-oob'] = True
                self._add(ent, info)
            elif isinstance(ent, Event):
                info = self._head(ent.name, 'event', ent.features)
                info['arg-type'] = self._use(ent.arg_type or empty)
                self._add(ent, info)
        # The list grows while it is walked: types reach further types.
        i = 0
        while i < len(self.used):
            self._describe(self.used[i])
            i += 1
        return self.entries

    def _add(self, ent, info):
        # Everything is walked, conditions or not, so that the masked
        # numbers come out as QEMU's (its generator numbers the whole
        # schema and leaves the conditions to the C preprocessor); what
        # is switched off is dropped only here.
        if ent.enabled:
            self.entries.append(info)

    def _mask(self, name):
        if name not in self.names:
            self.names[name] = str(len(self.names))
        return self.names[name]

    def _use(self, typ):
        lookup = self.schema.lookup_type
        if typ.json_type() == 'int':
            typ = lookup('int')
        elif isinstance(typ, ArrayType) and \
                typ.element_type.json_type() == 'int':
            typ = lookup('intList')
        if typ.name not in self.used_set:
            self.used_set.add(typ.name)
            self.used.append(typ)
        if isinstance(typ, BuiltinType):
            return typ.name
        if isinstance(typ, ArrayType):
            return '[' + self._use(typ.element_type) + ']'
        return self._mask(typ.name)

    @staticmethod
    def _head(name, meta, features=()):
        info = {'name': name, 'meta-type': meta}
        features = [f.name for f in features if f.enabled]
        if features:
            info['features'] = features
        return info

    def _describe(self, typ):
        if isinstance(typ, BuiltinType):
            info = self._head(typ.name, 'builtin')
            info['json-type'] = typ.json_type()
        elif isinstance(typ, ArrayType):
            elem = self._use(typ.element_type)
            info = self._head('[' + elem + ']', 'array')
            info['element-type'] = elem
        elif isinstance(typ, EnumType):
            info = self._head(self._mask(typ.name), 'enum', typ.features)
            members = []
            for m in typ.members:
                mi = {'name': m.name}
                features = [f.name for f in m.features if f.enabled]
                if features:
                    mi['features'] = features
                if m.enabled:
                    members.append(mi)
            info['members'] = members
            info['values'] = [m.name for m in typ.members if m.enabled]
        elif isinstance(typ, ObjectType):
            info = self._head(self._mask(typ.name), 'object', typ.features)
            members = []
            for m in typ.members:
                mi = {'name': m.name, 'type': self._use(m.type)}
                if m.optional:
                    mi['default'] = None
                features = [f.name for f in m.features if f.enabled]
                if features:
                    mi['features'] = features
                if m.enabled:
                    members.append(mi)
            info['members'] = members
            if typ.variants:
                info['tag'] = typ.variants.tag_member.name
                variants = []
                for v in typ.variants.variants:
                    vi = {'case': v.name, 'type': self._use(v.type)}
                    if v.enabled:
                        variants.append(vi)
                info['variants'] = variants
        elif isinstance(typ, AlternateType):
            info = self._head(self._mask(typ.name), 'alternate', typ.features)
            members = []
            for v in typ.variants.variants:
                vi = {'type': self._use(v.type)}
                if v.enabled:
                    members.append(vi)
            info['members'] = members
        else:
            raise AssertionError(typ)
        self._add(typ, info)


def introspection(schema):
    return Introspector(schema).run()


def to_json_text(entries):
    return json.dumps(entries, separators=(', ', ': '), ensure_ascii=True)


def gen_introspect_cc(entries, header_comment, namespace='migemu::qapi',
                      prefix='', query_commands=()):
    text = to_json_text(entries)
    # Split the literal into pieces well below any compiler string limit.
    pieces = []
    step = 4000
    for i in range(0, len(text), step):
        pieces.append('    R"qapi(' + text[i:i + step] + ')qapi"')
    lines = [
        header_comment,
        f'#include "qapi/{prefix}qapi-introspect.h"',
        '',
        '#include <cstdlib>',
        '#include <cstdio>',
        '',
        '#include "qapi/json_parser.h"',
        '',
        f'namespace {namespace} {{',
        '',
        'namespace {',
        '',
        '// The SchemaInfo list as JSON text, keys in insertion order.',
        'constexpr const char kSchemaJson[] =',
        '\n'.join(pieces) + ';',
        '',
        'Value parse_schema() {',
        '  Result<Value> r = parse_json(kSchemaJson);',
        '  if (!r.ok()) {',
        '    std::fprintf(stderr, "qapi: bad built-in schema: %s\\n", '
        'r.error().desc.c_str());',
        '    std::abort();',
        '  }',
        '  return std::move(*r);',
        '}',
        '',
        '}  // namespace',
        '',
        'const Value& qmp_schema_introspection_ref() {',
        '  static const Value schema = parse_schema();',
        '  return schema;',
        '}',
        '',
        'Value qmp_schema_introspection() { return '
        'qmp_schema_introspection_ref(); }',
        '',
        'const std::vector<const char*>& qmp_query_commands_order() {',
        '  static const std::vector<const char*> names = {',
    ] + [f'      "{n}",' for n in query_commands] + [
        '  };',
        '  return names;',
        '}',
        '',
        f'}}  // namespace {namespace}',
        '',
    ]
    return '\n'.join(lines)


def gen_introspect_h(header_comment, namespace='migemu::qapi'):
    return '\n'.join([
        header_comment,
        '#pragma once',
        '',
        '#include <vector>',
        '',
        '#include "qapi/qobject.h"',
        '',
        f'namespace {namespace} {{',
        '',
        '// What query-qmp-schema returns: the SchemaInfo list of this schema,',
        '// with dict keys inserted in the order QEMU 7.2 inserts them.',
        'Value qmp_schema_introspection();',
        '// The same, without a copy (built once, on first use).',
        'const Value& qmp_schema_introspection_ref();',
        '',
        '// Every command name, in the order QEMU 7.2\'s query-commands lists',
        '// them: the reverse of schema order (QEMU registers commands in schema',
        '// order and query-commands prepends each to its list).',
        'const std::vector<const char*>& qmp_query_commands_order();',
        '',
        f'}}  // namespace {namespace}',
        '',
    ])
