#include "monitor/hmp.h"

#include <cstdio>

#include "build-config.h"
#include "monitor/command_tables.h"
#include "system/vm.h"

namespace migemu {

void hmp_handle_command(Monitor& mon, std::string_view cmdline) {
  const CommandTables& tables = command_tables();
  HmpParsedLine parsed = hmp_parse_command_line(cmdline, tables.hmp);
  // QEMU prints a few parse diagnostics on its own stdout/stderr.
  if (!parsed.proc.out.empty()) fputs(parsed.proc.out.c_str(), stdout);
  if (!parsed.proc.err.empty()) fprintf(stderr, "%s: %s", g_get_prgname(), parsed.proc.err.c_str());
  mon.puts(parsed.output);
  if (parsed.status == HmpParsedLine::Status::Ok && tables.run_hmp) {
    tables.run_hmp(mon, *parsed.cmd, parsed.args);
  }
}

HmpMonitor::HmpMonitor(Chardev* chr)
    : Monitor(chr),
      rl_([this](std::string_view bytes) { puts(bytes); },
          [](Readline& rl, std::string_view cmdline) {
            hmp_find_completion(rl, cmdline, command_tables().hmp);
          }) {
  rl_.start("(qemu) ", [this](std::string line) { on_line(std::move(line)); });
  chr_->attach_frontend(Chardev::Handlers{
      [this] { on_opened(); },
      [this](std::string_view bytes) { on_read(bytes); },
      [] { vm().monitor_disconnected(); },
  });
}

void HmpMonitor::on_opened() {
  printf("QEMU %s monitor - type 'help' for more information\n", QEMU_VERSION_STRING);
  rl_.restart();
  rl_.show_prompt();
}

void HmpMonitor::on_read(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); i++) {
    // After `quit` the monitor is suspended: the rest of the input is not read.
    if (vm().exit_requested()) return;
    if (suspended_) {
      pending_input_.append(bytes.substr(i));
      return;
    }
    rl_.handle_byte(static_cast<uint8_t>(bytes[i]));
  }
}

void HmpMonitor::on_line(std::string line) {
  hmp_handle_command(*this, line);
  if (!vm().exit_requested() && !suspended_) rl_.show_prompt();
}

bool HmpMonitor::suspend() {
  suspended_++;
  chr_->set_reading(false);
  return true;
}

void HmpMonitor::resume() {
  if (suspended_ == 0 || --suspended_ > 0) return;
  rl_.show_prompt();
  chr_->set_reading(true);
  std::string pending = std::move(pending_input_);
  pending_input_.clear();
  on_read(pending);
}

}  // namespace migemu
