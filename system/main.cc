// migemu: a process that looks like qemu-system-x86_64 7.2 to management
// software. main() parses the QEMU-style command line, creates chardevs and
// monitors, sets the initial run state and runs the GLib main loop.
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "chardev/chardev.h"
#include "dump/dump.h"
#include "io/fd_watch.h"
#include "migration/migration.h"
#include "migration/options.h"
#include "monitor/all_commands.h"
#include "monitor/fdsets.h"
#include "monitor/monitor.h"
#include "system/cmdline.h"
#include "system/guest_memory.h"
#include "system/runstate.h"
#include "system/vcpus.h"
#include "system/vm.h"
#include "system/workload.h"

namespace migemu {
namespace {

// error_report's prefixes: an ISO 8601 time with -msg timestamp=on, the
// guest name with -msg guest-name=on, then the program name.
void report(const std::string& text, bool timestamp, const std::optional<std::string>& guest) {
  if (timestamp) {
    GDateTime* now = g_date_time_new_now_utc();
    GCharPtr iso(g_date_time_format_iso8601(now));
    g_date_time_unref(now);
    fprintf(stderr, "%s ", iso.get());
  }
  if (guest) fprintf(stderr, "%s ", guest->c_str());
  fprintf(stderr, "%s: %s\n", g_get_prgname(), text.c_str());
}

[[noreturn]] void die(const std::string& msg) {
  report(msg, false, std::nullopt);
  exit(1);
}

// -daemonize: the parent waits until the child is fully set up (sockets
// listening) and exits with the child's verdict, as QEMU's os_daemonize does.
class Daemonizer {
 public:
  void fork_now() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) die(std::string("cannot create pipe: ") + strerror(errno));
    pid_t pid = fork();
    if (pid < 0) die(std::string("cannot fork: ") + strerror(errno));
    if (pid > 0) {
      close(fds[1]);
      char status = 1;
      ssize_t n;
      do {
        n = read(fds[0], &status, 1);
      } while (n < 0 && errno == EINTR);
      _exit(n == 1 ? status : 1);
    }
    close(fds[0]);
    ready_fd_ = Fd(fds[1]);
    setsid();
  }
  void report_ready() {
    if (!ready_fd_.valid()) return;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      close(null);
    }
    char ok = 0;
    (void)!write(ready_fd_.get(), &ok, 1);
    ready_fd_.reset();
  }

 private:
  Fd ready_fd_;
};

const sigset_t& termination_signals() {
  static sigset_t set = [] {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGHUP);
    return s;
  }();
  return set;
}

// qemu_kill_report: "terminating on signal N from pid P (argv0 of P)".
void report_termination_signal(int sig, pid_t pid) {
  if (pid == 0) {
    report("terminating on signal " + std::to_string(sig), false, std::nullopt);
    return;
  }
  std::string name = "<unknown process>";
  gchar* contents = nullptr;
  gsize len = 0;
  std::string path = "/proc/" + std::to_string(pid) + "/cmdline";
  if (g_file_get_contents(path.c_str(), &contents, &len, nullptr)) {
    name = contents;  // up to the first NUL: the sender's argv[0]
    g_free(contents);
  }
  report("terminating on signal " + std::to_string(sig) + " from pid " + std::to_string(pid) +
             " (" + name + ")",
         false, std::nullopt);
}

void write_pidfile(const std::string& path) {
  FILE* f = fopen(path.c_str(), "w");
  if (!f) {
    die("cannot create PID file: Could not create '" + path + "': " + strerror(errno));
  }
  fprintf(f, "%d\n", getpid());
  fclose(f);
}

int run(int argc, char** argv) {
  const char* slash = strrchr(argv[0], '/');
  g_set_prgname(slash ? slash + 1 : argv[0]);

  std::vector<std::string> args(argv + 1, argv + argc);
  ParseDiagnostics diag;
  Result<Config> parsed = parse_command_line(args, &diag);
  // Warnings and notes QEMU prints while it parses, in order.
  for (const StderrLine& line : diag.messages) {
    if (line.report) {
      report(line.text, line.timestamp, line.guest_name);
    } else {
      fprintf(stderr, "%s\n", line.text.c_str());
    }
  }
  if (!parsed.ok()) {
    report(parsed.error().desc, diag.error_timestamp, diag.error_guest_name);
    return 1;
  }
  Config& cfg = *parsed;
  if (cfg.action != Config::Action::Run) {
    // -version, -help, -machine help and QemuOpts help texts.
    fputs(cfg.output_text.c_str(), stdout);
    return cfg.exit_status;
  }
  // A peer hanging up on a monitor must not kill the process.
  signal(SIGPIPE, SIG_IGN);
  // Termination signals are taken from a signalfd on the main loop; block
  // them before any thread exists so that every thread inherits the mask.
  // QEMU installs handlers for them, so they end it even when it was started
  // with them ignored (nohup, `&` in a script): an ignored signal would never
  // reach the signalfd, so take them back to their default first. An exec:
  // child then starts with them at their default, as QEMU's does.
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) signal(sig, SIG_DFL);
  sigprocmask(SIG_BLOCK, &termination_signals(), nullptr);

  Daemonizer daemon;
  if (cfg.daemonize) daemon.fork_now();

  install_command_tables();
  vm().configure(cfg);
  vcpus().create(cfg);
  if (Status st = guest_memory().init(cfg); !st.ok()) die(st.error().desc);
  attach_to_run_state(workload(), runstate());
  if (cfg.x_workload) {
    auto wp = parse_workload_option(*cfg.x_workload);
    Status st = wp.ok() ? workload_configure(*wp) : Status(wp.take_error());
    if (!st.ok()) die("-x-workload " + *cfg.x_workload + ": " + st.error().desc);
  }
  for (const ChardevConfig& c : cfg.chardevs) {
    auto chr = create_chardev(c);
    if (!chr.ok())
      die((c.location.empty() ? "-chardev " + c.id : c.location) + ": " + chr.error().desc);
    Status st = chardevs().add(std::move(*chr));
    if (!st.ok()) die(st.error().desc);
  }
  // Serial ports are their chardevs' frontends; with no guest OS nothing is
  // ever written to them, and what a console user types is dropped.
  for (const DeviceConfig& d : cfg.devices) {
    auto it = d.props.find("chardev");
    if (it == d.props.end()) continue;
    if (Chardev* chr = chardevs().find(it->second)) chr->attach_frontend({});
  }
  // migration_object_init: -global migration.* and -only-migratable.
  {
    std::vector<std::string> warnings;
    Status st = migration_options().apply_globals(cfg.globals, &warnings);
    for (const auto& w : warnings) fprintf(stderr, "%s: %s\n", g_get_prgname(), w.c_str());
    if (!st.ok()) die(st.error().desc);
    migration_options().set_only_migratable(cfg.only_migratable);
  }
  for (const MonitorConfig& m : cfg.monitors) {
    Status st = monitors().add_monitor(m.chardev, m.control, m.pretty);
    if (!st.ok()) die("-mon " + m.chardev + ": " + st.error().desc);
  }
  fdsets().vm_running = [] { return runstate().is_running(); };
  fdsets().monitors_connected = [] { return monitors().connected_count(); };

  // Initial run state, as qemu_init leaves it.
  RunStateMachine& rs = runstate();
  if (cfg.incoming) {
    rs.set(RunState::kInmigrate);
    rs.autostart = !cfg.start_paused;
    if (*cfg.incoming == "defer") {
      migration_state().incoming_deferred = true;
    } else if (Status st = migration_state().start_incoming(*cfg.incoming, true); !st.ok()) {
      die("-incoming " + *cfg.incoming + ": " + st.error().desc);
    }
  } else if (!cfg.start_paused) {
    rs.vm_start();
  }

  if (cfg.pidfile) write_pidfile(*cfg.pidfile);

  GMainLoopPtr loop(g_main_loop_new(nullptr, FALSE));
  vm().on_exit = [&loop] { g_main_loop_quit(loop.get()); };
  // SIGTERM/SIGINT/SIGHUP end the VM like QEMU's termsig handler: report
  // who sent it, SHUTDOWN (host-signal), exit. Blocked in main() before any
  // thread starts, read here through a signalfd to learn the sender.
  Fd sigfd(signalfd(-1, &termination_signals(), SFD_CLOEXEC | SFD_NONBLOCK));
  FdWatch sig_watch(sigfd.get(), G_IO_IN, [&sigfd](GIOCondition) {
    signalfd_siginfo si;
    while (read(sigfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (vm().exit_requested()) continue;
      report_termination_signal(static_cast<int>(si.ssi_signo), static_cast<pid_t>(si.ssi_pid));
      vm().request_shutdown(qapi::ShutdownCause::kHostSignal);
    }
  });

  daemon.report_ready();
  g_main_loop_run(loop.get());

  migration_state().shutdown_for_exit();
  dump_shutdown_for_exit();
  chardevs().flush_all();
  if (cfg.pidfile) unlink(cfg.pidfile->c_str());
  return vm().exit_status();
}

}  // namespace
}  // namespace migemu

int main(int argc, char** argv) {
  return migemu::run(argc, argv);
}
