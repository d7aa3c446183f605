// Readline echo tests. Every expected byte string in the k* tables below was
// recorded from qemu-system-x86_64 7.2.22 (Debian 12) on a unix-socket HMP
// monitor, one write per table row, with a fresh QEMU per table.
#include <gtest/gtest.h>

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "monitor/hmp_args.h"
#include "monitor/readline.h"
#include "tests/hmp_qemu72_table.h"

namespace migemu {
namespace {

using namespace std::literals;

struct Step {
  bool reconnect;  // the client disconnected and connected again
  std::string_view in;
  std::string_view out;
};

using test_tables::kQemu72Commands;

// A stand-in for the HMP monitor: echoes through Readline, runs nothing, but
// prints what QEMU prints for blank lines, unknown commands and bad arguments.
class FakeMonitor {
 public:
  FakeMonitor()
      : rl_([this](std::string_view b) { out_ += expand_newlines(b); },
            [](Readline& rl, std::string_view cmdline) {
              hmp_find_completion(rl, cmdline, kQemu72Commands);
            }) {
    rl_.start("(qemu) ", [this](std::string line) {
      lines_.push_back(line);
      HmpParsedLine p = hmp_parse_command_line(line, kQemu72Commands);
      out_ += expand_newlines(p.output);
      rl_.show_prompt();  // monitor_resume
    });
    connect();
  }

  void connect() {
    out_ += expand_newlines("QEMU 7.2.22 monitor - type 'help' for more information\n");
    rl_.restart();
    rl_.show_prompt();
  }

  std::string take() { return std::exchange(out_, {}); }
  std::string feed(std::string_view bytes) {
    rl_.handle_bytes(bytes);
    return take();
  }
  Readline& rl() { return rl_; }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::string out_;
  std::vector<std::string> lines_;
  Readline rl_;
};

std::string printable(std::string_view s) {
  std::string o;
  for (unsigned char c : s) {
    if (c == 0x1b) {
      o += "<ESC>";
    } else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      snprintf(b, sizeof b, "\\x%02x", c);
      o += b;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o;
}

template <size_t N>
void run_session(const Step (&steps)[N]) {
  FakeMonitor m;
  m.take();
  for (size_t i = 0; i < N; ++i) {
    const Step& s = steps[i];
    std::string got;
    if (s.reconnect) {
      m.connect();
      got = m.take();
    } else {
      got = m.feed(s.in);
    }
    EXPECT_EQ(printable(got), printable(s.out)) << "step " << i << " input " << printable(s.in);
  }
}

// Recorded from qemu-system-x86_64 7.2.22.
const Step kEdit[] = {
    {false, "ab"sv, "a\033[K\033[Dab\033[K"sv},
    {false, "\001"sv, "\033[D\033[D"sv},
    {false, "X"sv, "Xab\033[K\033[D\033[D"sv},
    {false, "\005"sv, "\033[C\033[C"sv},
    {false, "\177"sv, "\033[D\033[D\033[DXa\033[K"sv},
    {false, "\010"sv, "\033[D\033[DX\033[K"sv},
    {false, "\r"sv, "\r\nunknown command: 'X'\r\n(qemu) "sv},
};

// Recorded from qemu-system-x86_64 7.2.22.
const Step kKeys[] = {
    {false, "foo bar  baz"sv,
     "f\033[K\033[Dfo\033[K\033[D\033[Dfoo\033[K\033[D\033[D\033[Dfoo \033[K\033[D\033[D\033[D\033[Dfoo b\033[K\033[D\033[D\033[D\033[D\033[Dfoo ba\033[K\033[D\033[D\033[D\033[D\033[D\033[Dfoo bar\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dfoo bar \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dfoo bar  \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dfoo bar  b\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dfoo bar  ba\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dfoo bar  baz\033[K"sv},
    {false, "\027"sv,
     "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dfoo bar  \033[K"sv},
    {false, "\027"sv, "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dfoo \033[K"sv},
    {false, "\027"sv, "\033[D\033[D\033[D\033[D\033[K"sv},
    {false, "\027"sv, ""sv},
    {false, "abc"sv, "a\033[K\033[Dab\033[K\033[D\033[Dabc\033[K"sv},
    {false, "\033[D"sv, "\033[D"sv},
    {false, "\033[D\004"sv, "\033[D\033[Dac\033[K\033[D"sv},
    {false, "\033[1~"sv, "\033[D"sv},
    {false, "\033[3~"sv, "c\033[K\033[D"sv},
    {false, "\033[4~"sv, "\033[C"sv},
    {false, "\033OH"sv, "\033[D"sv},
    {false, "\033OF"sv, "\033[C"sv},
    {false, "\033x"sv, ""sv},
    {false, "\033[Z"sv, ""sv},
    {false, "\233D"sv, "\033[D"sv},
    {false, "\033[5D"sv, ""sv},
    {false, "\033[12"sv, ""sv},
    {false, "3~"sv, ""sv},
    {false, "\014"sv, "\033[2J\033[1;1H(qemu) c\033[K\033[D"sv},
    {false, "\033[1;5D"sv, "5c\033[K\033[D\033[D5Dc\033[K\033[D"sv},
    {false, "\025"sv, ""sv},
    {false, "\003\r"sv, "\r\nunknown command: '5Dc'\r\n(qemu) "sv},
};

// Recorded from qemu-system-x86_64 7.2.22.
const Step kEscEdge[] = {
    {false, "stop\r"sv,
     "s\033[K\033[Dst\033[K\033[D\033[Dsto\033[K\033[D\033[D\033[Dstop\033[K\r\n(qemu) "sv},
    {false, "ab\033\r"sv, "a\033[K\033[Dab\033[K"sv},
    {false, "\r"sv, "\r\nunknown command: 'ab'\r\n(qemu) "sv},
    {false, "\033[F"sv, "ab\033[K"sv},
    {false, "\033[E"sv, "\033[D\033[D\033[K"sv},
    {false, "abcde\033[D\033[D\033[D"sv,
     "a\033[K\033[Dab\033[K\033[D\033[Dabc\033[K\033[D\033[D\033[Dabcd\033[K\033[D\033[D\033[D\033[Dabcde\033[K\033[D\033[D\033[D"sv},
    {false, "\033[3~"sv, "\033[D\033[Dabde\033[K\033[D\033[D"sv},
    {false, "\233~"sv, "\033[D\033[Dabe\033[K\033[D"sv},
    {false, "\033[4294967297~"sv, "\033[D\033[D"sv},
    {false, "\033[4~"sv, "\033[C\033[C\033[C"sv},
    {false, "\033Ox"sv, ""sv},
    {false, "\027\027\r"sv, "\033[D\033[D\033[D\033[K\r\n(qemu) "sv},
};

// Recorded from qemu-system-x86_64 7.2.22.
const Step kHistory[] = {
    {false, "\033[A"sv, ""sv},
    {false, "\033[B"sv, ""sv},
    {false, "one\r"sv,
     "o\033[K\033[Don\033[K\033[D\033[Done\033[K\r\nunknown command: 'one'\r\n(qemu) "sv},
    {false, "two\r"sv,
     "t\033[K\033[Dtw\033[K\033[D\033[Dtwo\033[K\r\nunknown command: 'two'\r\n(qemu) "sv},
    {false, "three\r"sv,
     "t\033[K\033[Dth\033[K\033[D\033[Dthr\033[K\033[D\033[D\033[Dthre\033[K\033[D\033[D\033[D\033[Dthree\033[K\r\nunknown command: 'three'\r\n(qemu) "sv},
    {false, "\033[A"sv, "three\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[D\033[D\033[Dtwo\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[Done\033[K"sv},
    {false, "\033[A"sv, ""sv},
    {false, "\033[B"sv, "\033[D\033[D\033[Dtwo\033[K"sv},
    {false, "\033[B"sv, "\033[D\033[D\033[Dthree\033[K"sv},
    {false, "\033[B"sv, "\033[D\033[D\033[D\033[D\033[D\033[K"sv},
    {false, "\033[B"sv, ""sv},
    {false, "\033[A"sv, "three\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[D\033[D\033[Dtwo\033[K"sv},
    {false, "\r"sv, "\r\nunknown command: 'two'\r\n(qemu) "sv},
    {false, "\033[A"sv, "two\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[Dthree\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[D\033[D\033[Done\033[K"sv},
    {false, "\033[A"sv, ""sv},
    {true, ""sv, "QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) "sv},
    {false, "\033[A\033[A\027"sv, ""sv},
    {false, "\r"sv, "\r\n(qemu) "sv},
    {false, "\033[A"sv, ""sv},
    {false, "\r"sv, "\r\n(qemu) "sv},
    {false, "\033[A"sv, ""sv},
    {false, "\033[B"sv, "three\033[K"sv},
    {false, "\033[B"sv, "\033[D\033[D\033[D\033[D\033[Dtwo\033[K"sv},
};

// Recorded from qemu-system-x86_64 7.2.22.
const Step kHistoryEditAndDuplicates[] = {
    {false, "stop\r"sv,
     "s\033[K\033[Dst\033[K\033[D\033[Dsto\033[K\033[D\033[D\033[Dstop\033[K\r\n(qemu) "sv},
    {false, "cont\r"sv,
     "c\033[K\033[Dco\033[K\033[D\033[Dcon\033[K\033[D\033[D\033[Dcont\033[K\r\n(qemu) "sv},
    {false, "stop\r"sv,
     "s\033[K\033[Dst\033[K\033[D\033[Dsto\033[K\033[D\033[D\033[Dstop\033[K\r\n(qemu) "sv},
    {false, "\033[A"sv, "stop\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[D\033[Dcont\033[K"sv},
    {false, "\033[A"sv, ""sv},
    {false, "\177x\r"sv,
     "\033[D\033[D\033[D\033[Dcon\033[K\033[D\033[D\033[Dconx\033[K\r\nunknown command: 'conx'\r\n(qemu) "sv},
    {false, "\033[A"sv, "conx\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[D\033[Dstop\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[D\033[Dcont\033[K"sv},
    {false, "\033[A"sv, ""sv},
    {false, "\033[A\r"sv, "\r\n(qemu) "sv},
    {false, "\033[A"sv, "cont\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[D\033[Dconx\033[K"sv},
    {false, "\033[A"sv, "\033[D\033[D\033[D\033[Dstop\033[K"sv},
    {false, "\033[A"sv, ""sv},
};

// Recorded from qemu-system-x86_64 7.2.22.
const Step
    kCompletion[] =
        {
            {false, "migrate_s\t"sv,
             "m\033[K\033[Dmi\033[K\033[D\033[Dmig\033[K\033[D\033[D\033[Dmigr\033[K\033[D\033[D\033[D\033[Dmigra\033[K\033[D\033[D\033[D\033[D\033[Dmigrat\033[K\033[D\033[D\033[D\033[D\033[D\033[Dmigrate\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_s\033[K\r\nmigrate_set_capability  migrate_set_parameter   migrate_start_postcopy  \r\n(qemu) migrate_s\033[K"sv},
            {false, "\027"sv, "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "sto\t"sv,
             "s\033[K\033[Dst\033[K\033[D\033[Dsto\033[K\r\nstop         stopcapture  \r\n(qemu) stop\033[K"sv},
            {false, "\027"sv, "\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "migrate_set_c\t"sv,
             "m\033[K\033[Dmi\033[K\033[D\033[Dmig\033[K\033[D\033[D\033[Dmigr\033[K\033[D\033[D\033[D\033[Dmigra\033[K\033[D\033[D\033[D\033[D\033[Dmigrat\033[K\033[D\033[D\033[D\033[D\033[D\033[Dmigrate\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_s\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_se\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_c\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability \033[K"sv},
            {false, "xb\t"sv,
             "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability x\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xb\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzrle \033[K"sv},
            {false, "o\t"sv,
             "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzrle o\033[K\r\noff       on        \r\n(qemu) migrate_set_capability xbzrle o\033[K"sv},
            {false, "\027\027\027"sv,
             "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzrle \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "info mig\t"sv,
             "i\033[K\033[Din\033[K\033[D\033[Dinf\033[K\033[D\033[D\033[Dinfo\033[K\033[D\033[D\033[D\033[Dinfo \033[K\033[D\033[D\033[D\033[D\033[Dinfo m\033[K\033[D\033[D\033[D\033[D\033[D\033[Dinfo mi\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo mig\033[K\r\nmigrate               migrate_capabilities  migrate_parameters    \r\n(qemu) info migrate\033[K"sv},
            {false, "\027\027"sv,
             "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo \033[K\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "info mig\033[D\033[D\t"sv,
             "i\033[K\033[Din\033[K\033[D\033[Dinf\033[K\033[D\033[D\033[Dinfo\033[K\033[D\033[D\033[D\033[Dinfo \033[K\033[D\033[D\033[D\033[D\033[Dinfo m\033[K\033[D\033[D\033[D\033[D\033[D\033[Dinfo mi\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo mig\033[K\033[D\033[D\r\nmem                   memdev                memory-devices        \r\nmemory_size_summary   mice                  migrate               \r\nmigrate_capabilities  migrate_parameters    mtree                 \r\n(qemu) info mig\033[K\033[D\033[D"sv},
            {false, "\005\027\027"sv,
             "\033[C\033[C\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo \033[K\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "help mig\t"sv,
             "h\033[K\033[Dhe\033[K\033[D\033[Dhel\033[K\033[D\033[D\033[Dhelp\033[K\033[D\033[D\033[D\033[Dhelp \033[K\033[D\033[D\033[D\033[D\033[Dhelp m\033[K\033[D\033[D\033[D\033[D\033[D\033[Dhelp mi\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dhelp mig\033[K\r\nmigrate                 migrate_cancel          migrate_continue        \r\nmigrate_incoming        migrate_pause           migrate_recover         \r\nmigrate_set_capability  migrate_set_parameter   migrate_start_postcopy  \r\n(qemu) help migrate\033[K"sv},
            {false, "\027\027"sv,
             "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dhelp \033[K\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "s\t"sv,
             "s\033[K\r\ns                                savevm                           \r\nscreendump                       sendkey                          \r\nset_link                         set_password                     \r\nset_vcpu_dirty_limit             singlestep                       \r\nsnapshot_blkdev                  snapshot_blkdev_internal         \r\nsnapshot_delete_blkdev_internal  stop                             \r\nstopcapture                      sum                              \r\nsync-profile                     system_powerdown                 \r\nsystem_reset                     system_wakeup                    \r\n(qemu) s\033[K"sv},
            {false, "\027"sv, "\033[D\033[K"sv},
            {false, "info  sta\t"sv,
             "i\033[K\033[Din\033[K\033[D\033[Dinf\033[K\033[D\033[D\033[Dinfo\033[K\033[D\033[D\033[D\033[Dinfo \033[K\033[D\033[D\033[D\033[D\033[Dinfo  \033[K\033[D\033[D\033[D\033[D\033[D\033[Dinfo  s\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo  st\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo  sta\033[K\r\nstats     status    \r\n(qemu) info  stat\033[K"sv},
            {false, "\027\027"sv,
             "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo  \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "foo \t"sv,
             "f\033[K\033[Dfo\033[K\033[D\033[Dfoo\033[K\033[D\033[D\033[Dfoo \033[K"sv},
            {false, "\027"sv, "\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "migrate \"a b\" \t"sv,
             "m\033[K\033[Dmi\033[K\033[D\033[Dmig\033[K\033[D\033[D\033[Dmigr\033[K\033[D\033[D\033[D\033[Dmigra\033[K\033[D\033[D\033[D\033[D\033[Dmigrat\033[K\033[D\033[D\033[D\033[D\033[D\033[Dmigrate\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \"\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \"a\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \"a \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \"a b\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \"a b\"\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \"a b\" \033[K"sv},
            {false, "\027\027\027\027"sv,
             "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \"a \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "\t"sv,
             "\r\n?                                announce_self                    \r\nballoon                          block_job_cancel                 \r\nblock_job_complete               block_job_pause                  \r\nblock_job_resume                 block_job_set_speed              \r\nblock_resize                     block_set_io_throttle            \r\nblock_stream                     boot_set                         \r\nc                                calc_dirty_rate                  \r\ncancel_vcpu_dirty_limit          change                           \r\nchardev-add                      chardev-change                   \r\nchardev-remove                   chardev-send-break               \r\nclient_migrate_info              closefd                          \r\ncommit                           cont                             \r\ncpu                              delvm                            \r\ndevice_add                       device_del                       \r\ndrive_add                        drive_backup                     \r\ndrive_del                        drive_mirror                     \r\ndump-guest-memory                dumpdtb                          \r\neject                            exit_preconfig                   \r\nexpire_password                  gdbserver                        \r\ngetfd                            gpa2hpa                          \r\ngpa2hva                          gva2gpa                          \r\nhelp                             hostfwd_add                      \r\nhostfwd_remove                   i                                \r\ninfo                             loadvm                           \r\nlog                              logfile                          \r\nmce                              memsave                          \r\nmigrate                          migrate_cancel                   \r\nmigrate_continue                 migrate_incoming                 \r\nmigrate_pause                    migrate_recover                  \r\nmigrate_set_capability           migrate_set_parameter            \r\nmigrate_start_postcopy           mouse_button                     \r\nmouse_move                       mouse_set                        \r\nnbd_server_add                   nbd_server_remove                \r\nnbd_server_start                 nbd_server_stop                  \r\nnetdev_add                       netdev_del                       \r\nnmi                              o                                \r\nobject_add                       object_del                       \r\np                                pcie_aer_inject_error            \r\npmemsave                         print                            \r\nq                                qemu-io                          \r\nqom-get                          qom-list                         \r\nqom-set                          quit                             \r\nreplay_break                     replay_delete_break              \r\nreplay_seek                      ringbuf_read                     \r\nringbuf_write                    s                                \r\nsavevm                           screendump                       \r\nsendkey                          set_link                         \r\nset_password                     set_vcpu_dirty_limit             \r\nsinglestep                       snapshot_blkdev                  \r\nsnapshot_blkdev_internal         snapshot_delete_blkdev_internal  \r\nstop                             stopcapture                      \r\nsum                              sync-profile                     \r\nsystem_powerdown                 system_reset                     \r\nsystem_wakeup                    trace-event                      \r\nwatchdog_action                  wavcapture                       \r\nx                                x_colo_lost_heartbeat            \r\nxp                               \r\n(qemu) "sv},
            {false, "info \t"sv,
             "i\033[K\033[Din\033[K\033[D\033[Dinf\033[K\033[D\033[D\033[Dinfo\033[K\033[D\033[D\033[D\033[Dinfo \033[K\r\nballoon                    block                      \r\nblock-jobs                 blockstats                 \r\ncapture                    chardev                    \r\ncpus                       dirty_rate                 \r\ndump                       history                    \r\nhotpluggable-cpus          iothreads                  \r\nirq                        jit                        \r\nkvm                        lapic                      \r\nmem                        memdev                     \r\nmemory-devices             memory_size_summary        \r\nmice                       migrate                    \r\nmigrate_capabilities       migrate_parameters         \r\nmtree                      name                       \r\nnetwork                    numa                       \r\nopcount                    pci                        \r\npic                        profile                    \r\nqdm                        qom-tree                   \r\nqtree                      ramblock                   \r\nrdma                       registers                  \r\nreplay                     rocker                     \r\nrocker-of-dpa-flows        rocker-of-dpa-groups       \r\nrocker-ports               roms                       \r\nsev                        sgx                        \r\nsnapshots                  spice                      \r\nstats                      status                     \r\nsync-profile               tlb                        \r\ntpm                        trace-events               \r\nusb                        usbhost                    \r\nusernet                    uuid                       \r\nvcpu_dirty_limit           version                    \r\nvirtio                     virtio-queue-element       \r\nvirtio-queue-status        virtio-status              \r\nvirtio-vhost-queue-status  vm-generation-id           \r\nvnc                        \r\n(qemu) info \033[K"sv},
            {false, "\027"sv, "\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "q\t"sv,
             "q\033[K\r\nq         qemu-io   qom-get   qom-list  qom-set   quit      \r\n(qemu) q\033[K"sv},
            {false, "\027"sv, "\033[D\033[K"sv},
            {false, "info vers\t"sv,
             "i\033[K\033[Din\033[K\033[D\033[Dinf\033[K\033[D\033[D\033[Dinfo\033[K\033[D\033[D\033[D\033[Dinfo \033[K\033[D\033[D\033[D\033[D\033[Dinfo v\033[K\033[D\033[D\033[D\033[D\033[D\033[Dinfo ve\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo ver\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo vers\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo version \033[K"sv},
            {false, "\027\027"sv,
             "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo \033[K\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "logfile /tm\t"sv,
             "l\033[K\033[Dlo\033[K\033[D\033[Dlog\033[K\033[D\033[D\033[Dlogf\033[K\033[D\033[D\033[D\033[Dlogfi\033[K\033[D\033[D\033[D\033[D\033[Dlogfil\033[K\033[D\033[D\033[D\033[D\033[D\033[Dlogfile\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /t\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /tm\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /tmp/\033[K"sv},
            {false, "\027\027"sv,
             "\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[K"sv},
            {false, "logfile /nonexistent/x\t"sv,
             "l\033[K\033[Dlo\033[K\033[D\033[Dlog\033[K\033[D\033[D\033[Dlogf\033[K\033[D\033[D\033[D\033[Dlogfi\033[K\033[D\033[D\033[D\033[D\033[Dlogfil\033[K\033[D\033[D\033[D\033[D\033[D\033[Dlogfile\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /n\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /no\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /non\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /none\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /nonex\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /nonexi\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /nonexis\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /nonexist\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /nonexiste\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /nonexisten\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /nonexistent\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /nonexistent/\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dlogfile /nonexistent/x\033[K"sv},
};

// Recorded from qemu-system-x86_64 7.2.22.
const Step kLineEndings[] = {
    {false, "stop\r\n"sv,
     "s\033[K\033[Dst\033[K\033[D\033[Dsto\033[K\033[D\033[D\033[Dstop\033[K\r\n(qemu) \r\n(qemu) "sv},
    {false, "cont\n"sv,
     "c\033[K\033[Dco\033[K\033[D\033[Dcon\033[K\033[D\033[D\033[Dcont\033[K\r\n(qemu) "sv},
    {false, "\r\n"sv, "\r\n(qemu) \r\n(qemu) "sv},
    {false, "\000\007\016\037"sv, ""sv},
    {false, "\303\251\377"sv, "\303\033[K\033[D\303\251\033[K\033[D\033[D\303\251\377\033[K"sv},
    {false, "\r"sv, "\r\nunknown command: '\303\251\377'\r\n(qemu) "sv},
    {false, "\n\n"sv, "\r\n(qemu) \r\n(qemu) "sv},
};

// Recorded from qemu-system-x86_64 7.2.22.
const Step kWholeLines[] = {
    {false, "migrate_set_capability xbzrle foo\r"sv,
     "m\033[K\033[Dmi\033[K\033[D\033[Dmig\033[K\033[D\033[D\033[Dmigr\033[K\033[D\033[D\033[D\033[Dmigra\033[K\033[D\033[D\033[D\033[D\033[Dmigrat\033[K\033[D\033[D\033[D\033[D\033[D\033[Dmigrate\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_s\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_se\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_c\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_ca\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_cap\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capa\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capab\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capabi\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capabil\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capabili\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capabilit\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability x\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xb\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbz\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzr\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzrl\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzrle\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzrle \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzrle f\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzrle fo\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate_set_capability xbzrle foo\033[K\r\nExpected 'on' or 'off'\r\nTry \"help migrate_set_capability\" for more information\r\n(qemu) "sv},
    {false, "c x\r"sv,
     "c\033[K\033[Dc \033[K\033[D\033[Dc x\033[K\r\ncont|c: extraneous characters at the end of line\r\nTry \"help c\" for more information\r\n(qemu) "sv},
    {false, "  stop extra\r"sv,
     " \033[K\033[D  \033[K\033[D\033[D  s\033[K\033[D\033[D\033[D  st\033[K\033[D\033[D\033[D\033[D  sto\033[K\033[D\033[D\033[D\033[D\033[D  stop\033[K\033[D\033[D\033[D\033[D\033[D\033[D  stop \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D  stop e\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D  stop ex\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D  stop ext\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D  stop extr\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D  stop extra\033[K\r\nstop|s: extraneous characters at the end of line\r\nTry \"help   stop\" for more information\r\n(qemu) "sv},
    {false, "migrate -\r"sv,
     "m\033[K\033[Dmi\033[K\033[D\033[Dmig\033[K\033[D\033[D\033[Dmigr\033[K\033[D\033[D\033[D\033[Dmigra\033[K\033[D\033[D\033[D\033[D\033[Dmigrat\033[K\033[D\033[D\033[D\033[D\033[D\033[Dmigrate\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Dmigrate -\033[K\r\nmigrate: unsupported option -Try \"help migrate\" for more information\r\n(qemu) "sv},
    {false, "info foo\r"sv,
     "i\033[K\033[Din\033[K\033[D\033[Dinf\033[K\033[D\033[D\033[Dinfo\033[K\033[D\033[D\033[D\033[Dinfo \033[K\033[D\033[D\033[D\033[D\033[Dinfo f\033[K\033[D\033[D\033[D\033[D\033[D\033[Dinfo fo\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[Dinfo foo\033[K\r\nunknown command: 'info foo'\r\n(qemu) "sv},
    {false, "   foo  bar\r"sv,
     " \033[K\033[D  \033[K\033[D\033[D   \033[K\033[D\033[D\033[D   f\033[K\033[D\033[D\033[D\033[D   fo\033[K\033[D\033[D\033[D\033[D\033[D   foo\033[K\033[D\033[D\033[D\033[D\033[D\033[D   foo \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D   foo  \033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D   foo  b\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D   foo  ba\033[K\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D   foo  bar\033[K\r\nunknown command: '   foo'\r\n(qemu) "sv},
    {false, "/x\r"sv, "/\033[K\033[D/x\033[K\r\nunknown command: ''\r\n(qemu) "sv},
    {false, "stop\rcont\r"sv,
     "s\033[K\033[Dst\033[K\033[D\033[Dsto\033[K\033[D\033[D\033[Dstop\033[K\r\n(qemu) c\033[K\033[Dco\033[K\033[D\033[Dcon\033[K\033[D\033[D\033[Dcont\033[K\r\n(qemu) "sv},
};

TEST(Readline, Banner) {
  FakeMonitor m;
  EXPECT_EQ(m.take(), "QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) ");
}

TEST(Readline, TypingAndCursorKeys) {
  run_session(kEdit);
}
TEST(Readline, ControlAndEscapeKeys) {
  run_session(kKeys);
}
TEST(Readline, EscapeSequenceCornerCases) {
  run_session(kEscEdge);
}
TEST(Readline, HistoryUpDown) {
  run_session(kHistory);
}
TEST(Readline, HistoryEditAndDuplicates) {
  run_session(kHistoryEditAndDuplicates);
}
TEST(Readline, TabCompletion) {
  run_session(kCompletion);
}
TEST(Readline, LineEndings) {
  run_session(kLineEndings);
}
TEST(Readline, WholeLinesInOneWrite) {
  run_session(kWholeLines);
}

TEST(Readline, SubmittedLinesReachHandler) {
  FakeMonitor m;
  m.feed("stop\r\ncont\n\x01x\x7f\r"sv);
  EXPECT_EQ(m.lines(), (std::vector<std::string>{"stop", "", "cont", ""}));
}

// QEMU echoes a 5000-byte line as 4095 redraws (one per accepted byte, each
// going back over the previous text) and ignores the bytes beyond 4095: 33546240
// bytes in total, checked byte for byte against the real binary.
TEST(Readline, LongLineIsCutAt4095) {
  FakeMonitor m;
  m.take();
  std::string got = m.feed(std::string(5000, 'a'));
  EXPECT_EQ(got.size(), 33546240u);
  std::string expected;
  expected.reserve(got.size());
  for (size_t n = 1; n <= 4095; ++n) {
    for (size_t i = 1; i < n; ++i) expected += "\033[D";
    expected.append(n, 'a');
    expected += "\033[K";
  }
  EXPECT_TRUE(got == expected);
  EXPECT_EQ(m.feed("\r"), "\r\nunknown command: '" + std::string(4095, 'a') + "'\r\n(qemu) ");
  ASSERT_EQ(m.lines().size(), 1u);
  EXPECT_EQ(m.lines()[0].size(), 4095u);
}

// Deliberate deviation: QEMU overruns its buffer when a byte is inserted into a
// full line before its end (and then prints garbage); we drop the byte.
TEST(Readline, FullBufferDropsInsertInTheMiddle) {
  FakeMonitor m;
  m.feed(std::string(4095, 'a'));
  m.take();
  EXPECT_EQ(m.feed("\x01"), [] {
    std::string s;
    for (int i = 0; i < 4095; ++i) s += "\033[D";
    return s;
  }());
  EXPECT_EQ(m.feed("x"), "");
  EXPECT_EQ(m.rl().buffer(), std::string(4095, 'a'));
  EXPECT_EQ(m.rl().cursor(), 0u);
}

// 70 distinct lines, then one again: QEMU's "info history" then lists c7..c9,
// c11..c69, c10, 'info history' (64 entries; a repeated line moves to the end).
TEST(Readline, HistoryKeeps64Entries) {
  FakeMonitor m;
  for (int i = 0; i < 70; ++i) m.feed("c" + std::to_string(i) + "\r");
  m.feed("c10\rinfo history\r");
  std::vector<std::string> hist;
  for (size_t i = 0; m.rl().history_entry(i); ++i) hist.push_back(*m.rl().history_entry(i));
  ASSERT_EQ(hist.size(), 64u);
  EXPECT_EQ(hist[0], "c7");
  EXPECT_EQ(hist[2], "c9");
  EXPECT_EQ(hist[3], "c11");
  EXPECT_EQ(hist[61], "c69");
  EXPECT_EQ(hist[62], "c10");
  EXPECT_EQ(hist[63], "info history");
  EXPECT_EQ(m.rl().history_entry(64), nullptr);
}

TEST(Readline, CompletionWithoutCompleterDoesNothing) {
  std::string out;
  Readline rl([&](std::string_view b) { out += b; }, nullptr);
  rl.start("> ", nullptr);
  rl.show_prompt();
  rl.handle_bytes("ab\t");
  EXPECT_EQ(out, "> a\033[K\033[Dab\033[K");
}

TEST(Readline, CompletionListColumnsAndPrefix) {
  std::string out;
  Readline rl([&](std::string_view b) { out += b; },
              [](Readline& r, std::string_view cmdline) {
                r.set_completion_index(static_cast<int>(cmdline.size()));
                for (const char* s : {"abcd", "abce", "abcd",
                                      "ab"
                                      "cdefghij"})
                  r.add_completion(s);
              });
  rl.start("(qemu) ", nullptr);
  rl.handle_bytes("ab");
  out.clear();
  rl.handle_byte('\t');
  // Sorted, de-duplicated, common prefix "abc" inserted, 10-column minimum.
  EXPECT_EQ(out, "\nabcd        abcdefghij  abce        \n(qemu) abc\033[K");
}

TEST(Readline, PromptIsCutAt255Bytes) {
  std::string out;
  Readline rl([&](std::string_view b) { out += b; }, nullptr);
  rl.start(std::string(300, 'p'), nullptr);
  rl.show_prompt();
  EXPECT_EQ(out, std::string(255, 'p'));
}

TEST(Readline, ExpandNewlines) {
  EXPECT_EQ(expand_newlines("a\nb\r\n"), "a\r\nb\r\r\n");
  EXPECT_EQ(expand_newlines("x\0y\n"sv), "x");
}

}  // namespace
}  // namespace migemu
