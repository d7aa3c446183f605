// In-process tests of the QMP and HMP monitors over a fake chardev: the
// bytes a client would see for greeting, negotiation, dispatch errors,
// events and HMP lines, plus fdset bookkeeping.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "monitor/all_commands.h"
#include "monitor/fdsets.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "monitor/qmp.h"
#include "system/runstate.h"

namespace migemu {
namespace {

class FakeChardev : public Chardev {
 public:
  explicit FakeChardev(std::string id = "fake") : Chardev(std::move(id)) {}
  void set_handlers(Handlers h) override { h_ = std::move(h); }
  void write(std::string_view bytes) override { out.append(bytes); }
  Fd take_msgfd() override { return std::move(pending_fd); }
  void set_reading(bool) override {}
  bool connected() const override { return is_open; }

  void open() {
    is_open = true;
    h_.opened();
  }
  void input(std::string_view bytes) { h_.read(bytes); }
  void close() {
    is_open = false;
    h_.closed();
  }
  std::string take() { return std::exchange(out, {}); }

  std::string out;
  Fd pending_fd;
  bool is_open = false;

 private:
  Handlers h_;
};

const char kGreeting[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
    "\"package\": \"migemu 0.1.0\"}, \"capabilities\": [\"oob\"]}}\r\n";

// The monitor core dispatches through tables installed at start-up, as
// main() installs them.
const bool kCommandsInstalled = (install_command_tables(), true);

TEST(Qmp, GreetingAndNegotiation) {
  FakeChardev chr;
  QmpMonitor mon(&chr, false);
  chr.open();
  EXPECT_EQ(chr.take(), kGreeting);
  chr.input("{\"execute\": \"query-status\", \"id\": 1}");
  EXPECT_EQ(chr.take(),
            "{\"id\": 1, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting "
            "capabilities negotiation with 'qmp_capabilities'\"}}\r\n");
  chr.input("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"foo\"]}}");
  EXPECT_EQ(chr.take(),
            "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'null' does not "
            "accept value 'foo'\"}}\r\n");
  chr.input("{\"execute\": \"qmp_capabilities\"}");
  EXPECT_EQ(chr.take(), "{\"return\": {}}\r\n");
  chr.input("{\"execute\": \"qmp_capabilities\", \"id\": 7}");
  EXPECT_EQ(chr.take(),
            "{\"id\": 7, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities "
            "negotiation is already complete, command ignored\"}}\r\n");
  // A reconnect starts a fresh session.
  chr.close();
  chr.open();
  EXPECT_EQ(chr.take(), kGreeting);
  chr.input("{\"execute\": \"query-version\"}");
  EXPECT_NE(chr.take().find("Expecting capabilities negotiation"), std::string::npos);
}

TEST(Qmp, RequestValidationOrderAndTexts) {
  FakeChardev chr;
  QmpMonitor mon(&chr, false);
  chr.open();
  chr.take();
  chr.input("{\"execute\": \"qmp_capabilities\"}");
  chr.take();
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"42\n",
       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON "
       "object\"}}\r\n"},
      {"{\"execute\": 1, \"id\": \"x\"}",
       "{\"id\": \"x\", \"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member "
       "'execute' must be a string\"}}\r\n"},
      {"{\"arguments\": {}}",
       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input lacks member "
       "'execute'\"}}\r\n"},
      {"{\"execute\": \"query-status\", \"arguments\": []}",
       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'arguments' must "
       "be an object\"}}\r\n"},
      {"{\"exec-oob\": \"query-status\"}",
       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'exec-oob' is "
       "unexpected\"}}\r\n"},
      {"{\"execute\": \"nope\", \"id\": 5}",
       "{\"id\": 5, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has "
       "not been found\"}}\r\n"},
      {"{\"execute\": \"getfd\", \"arguments\": {}}",
       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'fdname' is "
       "missing\"}}\r\n"},
      {"{\"execute\": \"query-name\", \"id\": [1, {\"a\": null}]}",
       "{\"return\": {}, \"id\": [1, {\"a\": null}]}\r\n"},
  };
  for (const auto& c : cases) {
    chr.input(c.in);
    EXPECT_EQ(chr.take(), c.out) << c.in;
  }
}

TEST(Qmp, PrettyOutput) {
  FakeChardev chr;
  QmpMonitor mon(&chr, true);
  chr.open();
  chr.take();
  chr.input("{\"execute\": \"qmp_capabilities\"}");
  EXPECT_EQ(chr.take(), "{\r\n    \"return\": {\r\n    }\r\n}\r\n");
}

TEST(Qmp, OobOnlyForAllowOobCommands) {
  FakeChardev chr;
  QmpMonitor mon(&chr, false);
  chr.open();
  chr.take();
  chr.input("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
  EXPECT_EQ(chr.take(), "{\"return\": {}}\r\n");
  chr.input("{\"exec-oob\": \"query-status\", \"id\": 1}");
  EXPECT_EQ(chr.take(),
            "{\"id\": 1, \"error\": {\"class\": \"GenericError\", \"desc\": \"The command "
            "query-status does not support OOB\"}}\r\n");
  chr.input("{\"execute\": \"query-status\", \"exec-oob\": \"query-status\"}");
  EXPECT_EQ(chr.take(),
            "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'execute' "
            "clashes with 'exec-oob'\"}}\r\n");
}

TEST(Qmp, StopEmitsEventBeforeReplyOnlyAfterNegotiation) {
  auto owned = std::make_unique<FakeChardev>("ev1");
  FakeChardev* a = owned.get();
  ASSERT_TRUE(chardevs().add(std::move(owned)).ok());
  ASSERT_TRUE(monitors().add_monitor("ev1", true, false).ok());
  auto owned2 = std::make_unique<FakeChardev>("ev2");
  FakeChardev* b = owned2.get();
  ASSERT_TRUE(chardevs().add(std::move(owned2)).ok());
  ASSERT_TRUE(monitors().add_monitor("ev2", true, false).ok());
  a->open();
  b->open();
  a->take();
  b->take();
  a->input("{\"execute\": \"qmp_capabilities\"}");
  a->take();
  if (!runstate().is_running()) runstate().vm_start();
  a->take();
  a->input("{\"execute\": \"stop\"}");
  std::string out = a->take();
  EXPECT_EQ(out.find("{\"timestamp\": {\"seconds\": "), 0u) << out;
  EXPECT_NE(out.find("\"event\": \"STOP\"}\r\n{\"return\": {}}\r\n"), std::string::npos) << out;
  EXPECT_EQ(b->take(), "");  // still negotiating: no events
  a->input("{\"execute\": \"query-status\"}");
  EXPECT_EQ(
      a->take(),
      "{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}}\r\n");
  a->input("{\"execute\": \"cont\"}");
  out = a->take();
  EXPECT_NE(out.find("\"event\": \"RESUME\"}\r\n{\"return\": {}}\r\n"), std::string::npos) << out;
}

TEST(Hmp, BannerPromptEchoAndOutput) {
  FakeChardev chr;
  HmpMonitor mon(&chr);
  chr.open();
  EXPECT_EQ(chr.take(), "QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) ");
  chr.input("ab");
  EXPECT_EQ(chr.take(),
            "a\x1b[K\x1b[D"
            "ab\x1b[K");
  chr.input(
      "\x7f\x7f"
      "info version\r");
  std::string out = chr.take();
  EXPECT_NE(out.find("\r\n7.2.22migemu 0.1.0\r\n(qemu) "), std::string::npos) << out;
  chr.input("foo\n");
  out = chr.take();
  EXPECT_NE(out.find("\r\nunknown command: 'foo'\r\n(qemu) "), std::string::npos) << out;
  chr.input("getfd\n");
  out = chr.take();
  EXPECT_NE(out.find("\r\ngetfd: string expected\r\nTry \"help getfd\" for more information\r\n"),
            std::string::npos)
      << out;
}

TEST(Hmp, HumanMonitorCommandCapturesCrlfOutput) {
  CaptureMonitor cap;
  hmp_handle_command(cap, "help info");
  // `help info` lists the info sub-commands sorted by name, each prefixed with "info ".
  const std::string& out = cap.output();
  EXPECT_EQ(
      out.rfind("info balloon  -- show balloon information\r\n"
                "info block [-n] [-v] [device] -- show info of one block device or all block "
                "devices (-n: show named nodes; -v: show details)\r\ninfo block-jobs  -- show "
                "progress of ongoing block device operations\r\ninfo blockstats  -- show block "
                "device statistics\r\n"
                "info chardev  -- show the character devices\r\ninfo cpus  -- show infos for "
                "each CPU\r\ninfo dump  -- Display the latest dump status\r\ninfo kvm  -- show KVM "
                "information\r\ninfo migrate  -- ",
                0),
      0u)
      << out;
  size_t name = out.find("info name  -- show the current VM name\r\n");
  size_t status = out.find("info status  -- show the current VM status (running|paused)\r\n");
  size_t version = out.find("info version  -- show the version of QEMU\r\n");
  EXPECT_TRUE(name < status && status < version && version != std::string::npos) << out;
  CaptureMonitor cap2;
  hmp_handle_command(cap2, "info nope");
  EXPECT_EQ(cap2.output(), "unknown command: 'info nope'\r\n");
}

TEST(Fdsets, IdsAreAllocatedInOrderAndErrorsMatchQemu) {
  FdsetTable t;
  t.vm_running = [] { return true; };
  t.monitors_connected = [] { return 1; };
  auto pipe_fd = [] {
    int p[2];
    EXPECT_EQ(pipe(p), 0);
    close(p[1]);
    return Fd(p[0]);
  };
  auto a = t.add(pipe_fd(), std::nullopt, std::nullopt);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->fdset_id, 0);
  auto b = t.add(pipe_fd(), 5, std::string("x"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->fdset_id, 5);
  auto c = t.add(pipe_fd(), std::nullopt, std::nullopt);
  EXPECT_EQ(c->fdset_id, 1);
  auto bad = t.add(pipe_fd(), -1, std::nullopt);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().desc, "Parameter 'fdset-id' expects a non-negative value");
  Status st = t.remove(9, std::nullopt);
  EXPECT_EQ(st.error().desc, "File descriptor named 'fdset-id:9' not found");
  st = t.remove(5, 12345);
  EXPECT_EQ(st.error().desc, "File descriptor named 'fdset-id:5, fd:12345' not found");
  EXPECT_TRUE(t.remove(5, std::nullopt).ok());
  ASSERT_EQ(t.sets().size(), 2u);
  EXPECT_EQ(t.sets().front().id, 0);
  EXPECT_EQ(t.sets().back().id, 1);
}

}  // namespace
}  // namespace migemu
