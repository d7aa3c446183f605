// util/canceller.h: hooks, the pollable fd, and poll_cancellable.
#include "util/canceller.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

namespace migemu {
namespace {

TEST(Canceller, RunsEveryLiveHookOnceAndLateHooksAtOnce) {
  Canceller c;
  int a = 0, b = 0, late = 0;
  Canceller::Hook ha = c.on_cancel([&] { a++; });
  Canceller::Hook hb = c.on_cancel([&] { b++; });
  hb.reset();  // gone before the cancel: never runs
  EXPECT_FALSE(c.cancelled());
  c.cancel();
  c.cancel();  // idempotent
  EXPECT_TRUE(c.cancelled());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 0);
  Canceller::Hook hl = c.on_cancel([&] { late++; });
  EXPECT_EQ(late, 1);
}

TEST(Canceller, FdBecomesReadable) {
  Canceller c;
  pollfd p{c.fd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0);
  c.cancel();
  EXPECT_EQ(poll(&p, 1, 0), 1);
}

TEST(Canceller, PollCancellableReportsReadyTimeoutAndCancel) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Canceller c;
  EXPECT_EQ(poll_cancellable(fds[0], POLLIN, &c, 10), 0);  // nothing yet
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  EXPECT_EQ(poll_cancellable(fds[0], POLLIN, &c, -1), 1);
  // A wait without limit ends when another thread cancels.
  char drain;
  ASSERT_EQ(read(fds[0], &drain, 1), 1);
  auto t0 = std::chrono::steady_clock::now();
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    c.cancel();
  });
  EXPECT_EQ(poll_cancellable(fds[0], POLLIN, &c, -1), -ECANCELED);
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  // Once cancelled, it never waits.
  EXPECT_EQ(poll_cancellable(fds[0], POLLIN, &c, -1), -ECANCELED);
  close(fds[0]);
  close(fds[1]);
}

TEST(Canceller, HookDestructionWaitsForARunningHook) {
  Canceller c;
  std::atomic<bool> in_hook{false}, hook_done{false};
  auto hook = std::make_unique<Canceller::Hook>(c.on_cancel([&] {
    in_hook = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    hook_done = true;
  }));
  std::thread t([&] { c.cancel(); });
  while (!in_hook) std::this_thread::yield();
  hook.reset();  // must not return while the hook still runs
  EXPECT_TRUE(hook_done);
  t.join();
}

}  // namespace
}  // namespace migemu
