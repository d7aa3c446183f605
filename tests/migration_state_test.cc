// The migration status machine and URI parsing, in process: which states
// count as running, compare-and-swap transitions with their MIGRATION
// events, query-migrate's shape per state, and QEMU's URI error texts.
#include <gtest/gtest.h>

#include <vector>

#include "migration/migration.h"
#include "migration/options.h"
#include "migration/transport.h"
#include "qapi/event_sink.h"
#include "qapi/json_writer.h"
#include "qapi/qapi-visit.h"

namespace migemu {
namespace {

using S = MigrationStatus;

TEST(MigrationStatus, RunningStatesAreQemus) {
  for (S s : qapi::MigrationStatus_values()) {
    bool expected = s == S::kActive || s == S::kPostcopyActive || s == S::kPostcopyPaused ||
                    s == S::kPostcopyRecover || s == S::kSetup || s == S::kPreSwitchover ||
                    s == S::kDevice || s == S::kWaitUnplug || s == S::kCancelling;
    EXPECT_EQ(migration_status_is_running(s), expected) << qapi::to_string(s);
  }
}

struct EventLog {
  std::vector<std::string> events;
  EventLog() {
    set_event_sink([this](const char* name, std::optional<Dict> data) {
      std::string e = name;
      if (data) e += " " + to_json(Value(std::move(*data)));
      events.push_back(e);
    });
  }
  ~EventLog() { set_event_sink(nullptr); }
};

TEST(MigrationStatus, TransitionsAreCompareAndSwapAndAnnouncedWithEventsOn) {
  // The test thread plays the main thread: own the default context.
  ASSERT_TRUE(g_main_context_acquire(g_main_context_default()));
  EventLog log;
  MigrationState st;
  EXPECT_TRUE(st.set_state(S::kNone, S::kSetup));
  EXPECT_FALSE(st.set_state(S::kNone, S::kActive));  // not in `none` any more
  EXPECT_EQ(st.status(), S::kSetup);
  EXPECT_TRUE(log.events.empty());  // the events capability is off
  ASSERT_TRUE(migration_options()
                  .set_capabilities(
                      {qapi::MigrationCapabilityStatus{qapi::MigrationCapability::kEvents, true}})
                  .ok());
  EXPECT_TRUE(st.set_state(S::kSetup, S::kActive));
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0], "MIGRATION {\"status\": \"active\"}");
  // query-migrate while active without a source thread: status only.
  qapi::MigrationInfo info = st.query();
  EXPECT_EQ(to_json(qapi::to_value(info)), "{\"status\": \"active\"}");
  EXPECT_TRUE(st.set_state(S::kActive, S::kFailed));
  // migrate-continue checks the state it is told about.
  Status c = st.continue_from(S::kPreSwitchover);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().desc, "Migration not in expected state: failed");
  ASSERT_TRUE(migration_options()
                  .set_capabilities(
                      {qapi::MigrationCapabilityStatus{qapi::MigrationCapability::kEvents, false}})
                  .ok());
  g_main_context_release(g_main_context_default());
}

TEST(MigrationStatus, NeverMigratedQueryIsEmpty) {
  MigrationState st;
  EXPECT_EQ(to_json(qapi::to_value(st.query())), "{}");
}

TEST(MigrationUri, OutgoingErrorsAreQemus) {
  struct Case {
    const char* uri;
    const char* error;
  } cases[] = {
      {"foo:bar", "Parameter 'uri' expects a valid migration protocol"},
      {"tcp:nohost", "error parsing address 'nohost'"},
      {"tcp:[::1", "error parsing IPv6 address '[::1'"},
      {"tcp::", "error parsing port in address ':'"},
      {"unix:", "invalid Unix socket address"},
      {"tcp:127.0.0.1:4444,ipv4=maybe", "error parsing 'ipv4' flag '=maybe'"},
  };
  for (const auto& c : cases) {
    auto r = parse_outgoing_uri(c.uri);
    ASSERT_FALSE(r.ok()) << c.uri;
    EXPECT_EQ(r.error().desc, c.error) << c.uri;
  }
  auto bad_in = parse_incoming_uri("foo:bar");
  ASSERT_FALSE(bad_in.ok());
  EXPECT_EQ(bad_in.error().desc, "unknown migration protocol: foo:bar");
}

TEST(MigrationUri, KindsAndParts) {
  auto t = parse_outgoing_uri("tcp:127.0.0.1:4444,ipv4");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, MigrationUri::Kind::Tcp);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, "4444");
  EXPECT_EQ(t->ipv4, true);
  auto v6 = parse_outgoing_uri("tcp:[::1]:5555");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "5555");
  auto any = parse_incoming_uri("tcp::6666");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->port, "6666");
  auto u = parse_outgoing_uri("unix:/tmp/x.sock");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->path, "/tmp/x.sock");
  auto e = parse_outgoing_uri("exec:cat > /dev/null");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->command, "cat > /dev/null");
  auto f = parse_outgoing_uri("fd:mig");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->fdname, "mig");
}

}  // namespace
}  // namespace migemu
