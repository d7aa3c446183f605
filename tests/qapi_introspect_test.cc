// Tests of the query-qmp-schema data (qapi-introspect.h): the main schema's
// and the tests' schema's (QEMU 7.2's migration.json plus Test* types).
//
// Literal entries marked [qemu] are what the installed qemu-system-x86_64
// 7.2 sends: our schema is a subset of QEMU's, and up to the first entry
// it lacks, the masked numbers come out the same.

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "qapi/json_writer.h"
#include "qapi/qapi-introspect.h"
#include "qapi/qapi-visit.h"
#include "qapi/test-qapi-introspect.h"

namespace migemu::qapi {
namespace {

using Entries = std::map<std::string, const Dict*>;

Entries ByName(const Value& schema) {
  Entries out;
  for (const Value& e : schema.as_list()) {
    const Dict& d = e.as_dict();
    std::string name = d.get("name")->as_string();
    EXPECT_EQ(out.count(name), 0u) << "duplicate " << name;
    out[name] = &d;
  }
  return out;
}

std::string Str(const Dict* d, const char* key) {
  const Value* v = d ? d->get(key) : nullptr;
  return v && v->is_string() ? v->as_string() : "<none>";
}

std::vector<std::string> Keys(const Dict& d) {
  std::vector<std::string> out;
  for (const auto& e : d.entries()) out.push_back(e.first);
  return out;
}

std::vector<std::string> Strings(const Value* list) {
  std::vector<std::string> out;
  if (!list) return out;
  for (const Value& v : list->as_list()) out.push_back(v.as_string());
  return out;
}

const Dict* Member(const Dict* obj, const std::string& name) {
  if (!obj) return nullptr;
  for (const Value& m : obj->get("members")->as_list()) {
    if (Str(&m.as_dict(), "name") == name) return &m.as_dict();
  }
  return nullptr;
}

// Every type name used anywhere names exactly one entry, every entry's keys
// are in SchemaInfo order, and the numbers are handed out in order.
void ExpectWellFormed(const Value& schema) {
  Entries by = ByName(schema);
  auto check = [&](const std::string& t) { EXPECT_EQ(by.count(t), 1u) << "dangling " << t; };
  int last_number = -1;
  bool types_started = false;
  for (const Value& e : schema.as_list()) {
    const Dict& d = e.as_dict();
    std::string meta = Str(&d, "meta-type");
    std::vector<std::string> keys = Keys(d);
    ASSERT_GE(keys.size(), 2u);
    EXPECT_EQ(keys[0], "name");
    EXPECT_EQ(keys[1], "meta-type");
    bool command_or_event = meta == "command" || meta == "event";
    if (!command_or_event) types_started = true;
    EXPECT_FALSE(command_or_event && types_started) << "commands and events come first";
    std::string name = Str(&d, "name");
    if (!name.empty() && isdigit(static_cast<unsigned char>(name[0]))) {
      // Described in order of first use, and numbered in order of first use;
      // numbers of switched-off definitions are skipped.
      int n = std::stoi(name);
      EXPECT_GT(n, last_number) << name;
      last_number = n;
    }
    if (meta == "command") {
      check(Str(&d, "arg-type"));
      check(Str(&d, "ret-type"));
    } else if (meta == "event") {
      check(Str(&d, "arg-type"));
    } else if (meta == "array") {
      check(Str(&d, "element-type"));
      EXPECT_EQ(name, "[" + Str(&d, "element-type") + "]");
    } else if (meta == "object") {
      for (const Value& m : d.get("members")->as_list()) {
        const Dict& md = m.as_dict();
        check(Str(&md, "type"));
        std::vector<std::string> mk = Keys(md);
        EXPECT_EQ(mk[0], "name");
        EXPECT_EQ(mk[1], "type");
        if (const Value* def = md.get("default")) {
          EXPECT_TRUE(def->is_null());
          EXPECT_EQ(mk[2], "default");
        }
      }
      if (const Value* vs = d.get("variants")) {
        EXPECT_TRUE(d.has("tag"));
        for (const Value& v : vs->as_list()) check(Str(&v.as_dict(), "type"));
      }
    } else if (meta == "alternate") {
      for (const Value& m : d.get("members")->as_list()) check(Str(&m.as_dict(), "type"));
    } else if (meta == "builtin") {
      EXPECT_EQ(keys, (std::vector<std::string>{"name", "meta-type", "json-type"}));
    } else if (meta == "enum") {
      EXPECT_EQ(keys.back(), "values");
    }
  }
}

TEST(QapiIntrospect, WellFormed) {
  ExpectWellFormed(qmp_schema_introspection_ref());
  ExpectWellFormed(test::qmp_schema_introspection_ref());
  EXPECT_EQ(qmp_schema_introspection(), qmp_schema_introspection_ref());
}

TEST(QapiIntrospect, CommandsAndEventsFirstInModuleOrder) {
  std::vector<std::string> names;
  for (const Value& e : qmp_schema_introspection_ref().as_list()) {
    std::string meta = Str(&e.as_dict(), "meta-type");
    if (meta != "command" && meta != "event") break;
    names.push_back(Str(&e.as_dict(), "name"));
  }
  const std::vector<std::string> expected = {"query-status",
                                             "SHUTDOWN",
                                             "POWERDOWN",
                                             "RESET",
                                             "STOP",
                                             "RESUME",
                                             "query-block",
                                             "query-blockstats",
                                             "query-block-jobs",
                                             "query-named-block-nodes",
                                             "query-jobs",
                                             "query-chardev",
                                             "dump-guest-memory",
                                             "query-dump",
                                             "DUMP_COMPLETED",
                                             "query-dump-guest-memory-capability",
                                             "query-tpm-models",
                                             "query-tpm-types",
                                             "query-migrate",
                                             "migrate-set-capabilities",
                                             "query-migrate-capabilities",
                                             "migrate-set-parameters",
                                             "query-migrate-parameters",
                                             "MIGRATION",
                                             "MIGRATION_PASS",
                                             "migrate_cancel",
                                             "migrate-continue",
                                             "migrate",
                                             "migrate-incoming",
                                             "qmp_capabilities",
                                             "query-version",
                                             "query-commands",
                                             "quit",
                                             "query-qmp-schema",
                                             "qom-list",
                                             "qom-get",
                                             "qom-set",
                                             "qom-list-types",
                                             "qom-list-properties",
                                             "device-list-properties",
                                             "query-cpus-fast",
                                             "query-machines",
                                             "query-target",
                                             "query-uuid",
                                             "system_reset",
                                             "system_powerdown",
                                             "query-kvm",
                                             "query-hotpluggable-cpus",
                                             "balloon",
                                             "query-balloon",
                                             "BALLOON_CHANGE",
                                             "query-cpu-definitions",
                                             "query-name",
                                             "query-iothreads",
                                             "stop",
                                             "cont",
                                             "human-monitor-command",
                                             "getfd",
                                             "closefd",
                                             "add-fd",
                                             "remove-fd",
                                             "query-fdsets",
                                             "query-command-line-options",
                                             "query-sev-capabilities",
                                             "query-sgx-capabilities",
                                             "query-pci",
                                             "x-workload",
                                             "x-query-workload",
                                             "x-query-guest-digest",
                                             "x-migration-fault"};
  EXPECT_EQ(names, expected);
  // query-commands lists them the other way round (QEMU 7.2 ends with
  // query-status), events aside.
  std::vector<std::string> order;
  for (const char* n : qmp_query_commands_order()) order.push_back(n);
  std::vector<std::string> commands;
  for (auto it = expected.rbegin(); it != expected.rend(); ++it) {
    if (!isupper(static_cast<unsigned char>((*it)[0]))) commands.push_back(*it);
  }
  EXPECT_EQ(order, commands);
  EXPECT_EQ(order.back(), "query-status");
}

TEST(QapiIntrospect, WireBytesOfLeadingEntries) {
  const auto& list = qmp_schema_introspection_ref().as_list();
  // [qemu] byte for byte, numbers included.
  EXPECT_EQ(
      to_json(list[0]),
      R"({"name": "query-status", "ret-type": "1", "meta-type": "command", "arg-type": "0"})");
  EXPECT_EQ(to_json(list[1]), R"({"name": "SHUTDOWN", "meta-type": "event", "arg-type": "2"})");
  EXPECT_EQ(to_json(list[2]), R"({"name": "POWERDOWN", "meta-type": "event", "arg-type": "0"})");
  EXPECT_EQ(to_json(list[3]), R"({"name": "RESET", "meta-type": "event", "arg-type": "3"})");
  Entries by = ByName(qmp_schema_introspection_ref());
  EXPECT_EQ(to_json(Value(*by["0"])), R"({"name": "0", "members": [], "meta-type": "object"})");
  // [qemu] but for RunState's number (QEMU numbers more types before it).
  std::string run_state = Str(Member(by["1"], "status"), "type");
  EXPECT_EQ(to_json(Value(*by["1"])),
            R"({"name": "1", "members": [{"name": "running", "type": "bool"}, )"
            R"({"name": "singlestep", "type": "bool"}, {"name": "status", "type": ")" +
                run_state + R"("}], "meta-type": "object"})");
  EXPECT_EQ(Strings(by[run_state]->get("values")).size(), 16u);
  EXPECT_EQ(to_json(Value(*by["str"])),
            R"({"name": "str", "json-type": "string", "meta-type": "builtin"})");
}

TEST(QapiIntrospect, MaskingDefaultsFeaturesAndFlags) {
  Entries by = ByName(qmp_schema_introspection_ref());
  // Commands without arguments or result use the empty object.
  EXPECT_EQ(Str(by["quit"], "arg-type"), "0");
  EXPECT_EQ(Str(by["quit"], "ret-type"), "0");
  // Optional members carry "default": null; ints show as "int".
  const Dict* add_fd_args = by[Str(by["add-fd"], "arg-type")];
  ASSERT_TRUE(add_fd_args);
  EXPECT_EQ(to_json(Value(*Member(add_fd_args, "fdset-id"))),
            R"({"name": "fdset-id", "default": null, "type": "int"})");
  const Dict* caps = by[Str(by["qmp_capabilities"], "arg-type")];
  const Dict* enable = Member(caps, "enable");
  ASSERT_TRUE(enable);
  std::string arr = Str(enable, "type");
  ASSERT_EQ(arr.front(), '[');
  EXPECT_EQ(Str(by[arr], "meta-type"), "array");
  const Dict* cap_enum = by[Str(by[arr], "element-type")];
  EXPECT_EQ(Strings(cap_enum->get("values")), std::vector<std::string>{"oob"});
  EXPECT_EQ(to_json(Value(*cap_enum)).find(R"("members": [{"name": "oob"}])") != std::string::npos,
            true);
  // Features, on a command and on a member.
  EXPECT_EQ(Strings(by["human-monitor-command"]->get("features")),
            std::vector<std::string>{"savevm-monitor-nodes"});
  EXPECT_EQ(Str(by["human-monitor-command"], "ret-type"), "str");
  EXPECT_EQ(Keys(*by["human-monitor-command"]),
            (std::vector<std::string>{"name", "meta-type", "features", "arg-type", "ret-type"}));
  // query-qmp-schema returns [SchemaInfo], a union; its 'values' member is
  // deprecated.
  std::string info_list = Str(by["query-qmp-schema"], "ret-type");
  const Dict* info = by[Str(by[info_list], "element-type")];
  ASSERT_TRUE(info);
  EXPECT_EQ(Str(info, "tag"), "meta-type");
  EXPECT_EQ(Keys(*info),
            (std::vector<std::string>{"name", "meta-type", "members", "tag", "variants"}));
  EXPECT_EQ(info->get("variants")->as_list().size(), 7u);
  const Dict* enum_info = nullptr;
  for (const Value& v : info->get("variants")->as_list()) {
    if (Str(&v.as_dict(), "case") == "enum") enum_info = by[Str(&v.as_dict(), "type")];
  }
  EXPECT_EQ(Strings(Member(enum_info, "values")->get("features")),
            std::vector<std::string>{"deprecated"});
  // No "allow-oob" unless true.
  for (const auto& [name, d] : by) EXPECT_FALSE(d->has("allow-oob")) << name;
  // Only types that something references are described: nothing refers to
  // a list of booleans.
  EXPECT_EQ(by.count("[bool]"), 0u);
}

TEST(QapiIntrospect, RoundTripsThroughSchemaInfo) {
  // QEMU 7.2 sends its schema through the SchemaInfo visitors; reading ours
  // back as SchemaInfo and writing it out again must change nothing,
  // key order included.
  const Value& schema = qmp_schema_introspection_ref();
  auto infos = from_value<std::vector<SchemaInfo>>(schema);
  ASSERT_TRUE(infos.ok()) << infos.error().desc;
  EXPECT_EQ(infos->size(), schema.as_list().size());
  Value again = to_value(*infos);
  EXPECT_EQ(again, schema);
  EXPECT_EQ(to_json(again), to_json(schema));
  auto test_infos = from_value<std::vector<SchemaInfo>>(test::qmp_schema_introspection_ref());
  ASSERT_TRUE(test_infos.ok()) << test_infos.error().desc;
  EXPECT_EQ(to_json(to_value(*test_infos)), to_json(test::qmp_schema_introspection_ref()));
}

TEST(QapiIntrospect, MigrationSchema) {
  Entries by = ByName(test::qmp_schema_introspection_ref());
  // Unsigned sizes collapse to int, arrays of them to [int].
  const Dict* params = by[Str(by["query-migrate-parameters"], "ret-type")];
  ASSERT_TRUE(params);
  EXPECT_EQ(Str(Member(params, "max-bandwidth"), "type"), "int");
  EXPECT_EQ(Str(Member(params, "multifd-channels"), "type"), "int");
  EXPECT_EQ(Strings(Member(params, "x-checkpoint-delay")->get("features")),
            std::vector<std::string>{"unstable"});
  const Dict* info = by[Str(by["query-migrate"], "ret-type")];
  EXPECT_EQ(Str(Member(info, "postcopy-vcpu-blocktime"), "type"), "[int]");
  // The alternate StrOrNull, in the boxed migrate-set-parameters arguments.
  const Dict* set = by[Str(by["migrate-set-parameters"], "arg-type")];
  const Dict* alt = by[Str(Member(set, "tls-creds"), "type")];
  EXPECT_EQ(to_json(Value(*alt)), R"({"name": ")" + Str(alt, "name") +
                                      R"(", "members": [{"type": "str"}, {"type": "null"}], )"
                                      R"("meta-type": "alternate"})");
  // Enum members with features.
  const Dict* caps = by[Str(by["query-migrate-capabilities"], "ret-type")];
  const Dict* cap_status = by[Str(caps, "element-type")];
  const Dict* cap_enum = by[Str(Member(cap_status, "capability"), "type")];
  EXPECT_EQ(to_json(cap_enum->get("members")->as_list()[7]),
            R"({"name": "x-colo", "features": ["unstable"]})");
  // SocketAddress: a flat union, branches in schema order.
  const Dict* sa = by[Str(by[Str(Member(info, "socket-address"), "type")], "element-type")];
  ASSERT_TRUE(sa);
  std::vector<std::string> cases;
  for (const Value& v : sa->get("variants")->as_list()) cases.push_back(Str(&v.as_dict(), "case"));
  EXPECT_EQ(cases, (std::vector<std::string>{"inet", "unix", "vsock", "fd"}));
  // Conditional members as in Debian's 7.2 build (all three defined).
  const Dict* unix_addr = nullptr;
  for (const Value& v : sa->get("variants")->as_list()) {
    if (Str(&v.as_dict(), "case") == "unix") unix_addr = by[Str(&v.as_dict(), "type")];
  }
  EXPECT_TRUE(Member(unix_addr, "abstract"));
  EXPECT_TRUE(Member(unix_addr, "tight"));
}

TEST(QapiIntrospect, ConditionsAndImplicitBranches) {
  Entries by = ByName(test::qmp_schema_introspection_ref());
  // A switched-off command is gone, but its types may still be described
  // (QEMU numbers and lists types regardless of the commands' conditions).
  EXPECT_EQ(by.count("test-cond"), 0u);
  const Dict* tu = by["test-union"];
  ASSERT_TRUE(tu);
  EXPECT_EQ(tu->get("allow-oob")->as_bool(), true);
  EXPECT_EQ(Keys(*tu), (std::vector<std::string>{"name", "meta-type", "features", "arg-type",
                                                 "ret-type", "allow-oob"}));
  const Dict* u = by[Str(tu, "ret-type")];
  std::vector<std::string> cases, types;
  for (const Value& v : u->get("variants")->as_list()) {
    cases.push_back(Str(&v.as_dict(), "case"));
    types.push_back(Str(&v.as_dict(), "type"));
  }
  // 'three' is switched off; 'none' has the empty object as implicit branch.
  EXPECT_EQ(cases, (std::vector<std::string>{"one", "two", "none"}));
  EXPECT_EQ(types[2], Str(by["migrate_cancel"], "arg-type"));
  EXPECT_EQ(to_json(Value(*by[types[2]])),
            R"({"name": ")" + types[2] + R"(", "members": [], "meta-type": "object"})");
  const Dict* kind = by[Str(Member(u, "kind"), "type")];
  EXPECT_EQ(Strings(kind->get("values")), (std::vector<std::string>{"one", "two", "none"}));
}

}  // namespace
}  // namespace migemu::qapi
