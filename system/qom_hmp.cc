// HMP views of the QMP QOM commands, printed as QEMU 7.2 prints them:
// qom-list one "name (type)" line per property ("/" without a path),
// qom-get the value as pretty JSON, qom-set with the value as text that the
// property parses as its own type, or as JSON with -j.
#include "system/qom_hmp.h"

#include "monitor/hmp_args.h"
#include "qapi/json_parser.h"
#include "qapi/json_writer.h"
#include "qapi/qapi-commands.h"
#include "system/qom_tree.h"

namespace migemu {

void hmp_qom_list(Monitor& mon, const Dict& args) {
  const std::string* path = hmp_str_arg(args, "path");
  if (!path) {
    mon.puts("/\n");
    return;
  }
  CommandContext ctx{&mon};
  auto list = qapi::qmp_qom_list(qapi::QomListArg{*path}, ctx);
  if (!list.ok()) {
    mon.puts(hmp_error_text(Status(list.take_error())));
    return;
  }
  for (const qapi::ObjectPropertyInfo& p : *list) {
    mon.printf("%s (%s)\n", p.name.c_str(), p.type.c_str());
  }
}

void hmp_qom_get(Monitor& mon, const Dict& args) {
  CommandContext ctx{&mon};
  auto value = qapi::qmp_qom_get(
      qapi::QomGetArg{*hmp_str_arg(args, "path"), *hmp_str_arg(args, "property")}, ctx);
  if (!value.ok()) {
    mon.puts(hmp_error_text(Status(value.take_error())));
    return;
  }
  mon.puts(to_json(*value, true) + "\n");
}

void hmp_qom_set(Monitor& mon, const Dict& args) {
  const std::string& path = *hmp_str_arg(args, "path");
  const std::string& property = *hmp_str_arg(args, "property");
  const std::string& text = *hmp_str_arg(args, "value");
  if (!hmp_bool_arg(args, "json")) {
    Value v(text);
    mon.puts(hmp_error_text(qapi::qom_set(path, property, QomSetValue{v, true})));
    return;
  }
  Result<Value> v = parse_json(text);
  if (!v.ok()) {
    mon.puts(hmp_error_text(Status(v.take_error())));
    return;
  }
  mon.puts(hmp_error_text(qapi::qom_set(path, property, QomSetValue{*v})));
}

}  // namespace migemu
