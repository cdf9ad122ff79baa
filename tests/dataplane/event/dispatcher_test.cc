#include "dataplane/event/dispatcher.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace strata::event {
namespace {

class ManualMonotonicClock final : public MonotonicClock {
 public:
  MonoTime Now() const override { return now_; }
  void Advance(absl::Duration d) { now_ += absl::ToChronoNanoseconds(d); }

 private:
  MonoTime now_{};
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dispatcher = Dispatcher::Create("test", clock_);
    ASSERT_TRUE(dispatcher.ok()) << dispatcher.status();
    dispatcher_ = std::move(*dispatcher);
  }
  // Advances manual time and runs one iteration without blocking.
  void Tick(absl::Duration d) {
    clock_.Advance(d);
    dispatcher_->RunOnce(absl::ZeroDuration());
  }

  ManualMonotonicClock clock_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, TimerFiresAtItsDeadlineNotBefore) {
  int fired = 0;
  auto timer = dispatcher_->CreateTimer([&] { ++fired; });
  timer->Enable(absl::Milliseconds(100));
  Tick(absl::Milliseconds(99));
  EXPECT_EQ(fired, 0);
  Tick(absl::Milliseconds(1));
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer->Enabled());
  Tick(absl::Seconds(10));
  EXPECT_EQ(fired, 1);  // one-shot
}

TEST_F(DispatcherTest, TimersFireInDeadlineOrder) {
  std::vector<int> order;
  std::vector<std::unique_ptr<Timer>> timers;
  const int delays[] = {50, 10, 40, 20, 30};
  for (int d : delays) {
    timers.push_back(dispatcher_->CreateTimer([&order, d] { order.push_back(d); }));
    timers.back()->Enable(absl::Milliseconds(d));
  }
  Tick(absl::Milliseconds(100));
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30, 40, 50}));
}

TEST_F(DispatcherTest, ReArmingLaterPostponesWithoutFiringEarly) {
  int fired = 0;
  auto timer = dispatcher_->CreateTimer([&] { ++fired; });
  timer->Enable(absl::Milliseconds(100));
  Tick(absl::Milliseconds(60));
  timer->Enable(absl::Milliseconds(100));  // now due at 160
  Tick(absl::Milliseconds(50));            // 110: the old heap key surfaces, must not fire
  EXPECT_EQ(fired, 0);
  EXPECT_TRUE(timer->Enabled());
  Tick(absl::Milliseconds(49));  // 159
  EXPECT_EQ(fired, 0);
  Tick(absl::Milliseconds(1));  // 160
  EXPECT_EQ(fired, 1);
}

TEST_F(DispatcherTest, ReArmingEarlierFiresEarlier) {
  int fired = 0;
  auto timer = dispatcher_->CreateTimer([&] { ++fired; });
  timer->Enable(absl::Seconds(10));
  timer->Enable(absl::Milliseconds(5));
  Tick(absl::Milliseconds(5));
  EXPECT_EQ(fired, 1);
}

TEST_F(DispatcherTest, DisabledOrDestroyedTimersNeverFire) {
  int fired = 0;
  auto a = dispatcher_->CreateTimer([&] { ++fired; });
  auto b = dispatcher_->CreateTimer([&] { ++fired; });
  a->Enable(absl::Milliseconds(10));
  b->Enable(absl::Milliseconds(10));
  a->Disable();
  b.reset();
  Tick(absl::Seconds(1));
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(dispatcher_->TimerCount(), 0u);
}

TEST_F(DispatcherTest, CallbackMayDestroyAnotherTimerDueInTheSameRound) {
  int fired_b = 0;
  std::unique_ptr<Timer> b = dispatcher_->CreateTimer([&] { ++fired_b; });
  auto a = dispatcher_->CreateTimer([&] { b.reset(); });
  a->Enable(absl::Milliseconds(1));
  b->Enable(absl::Milliseconds(2));
  Tick(absl::Milliseconds(5));  // both due; a runs first and destroys b
  EXPECT_EQ(fired_b, 0);
}

TEST_F(DispatcherTest, ZeroDelayReArmRunsOncePerIteration) {
  int fired = 0;
  std::unique_ptr<Timer> timer;
  timer = dispatcher_->CreateTimer([&] {
    ++fired;
    timer->Enable(absl::ZeroDuration());
  });
  timer->Enable(absl::ZeroDuration());
  Tick(absl::ZeroDuration());
  EXPECT_EQ(fired, 1);
  Tick(absl::ZeroDuration());
  EXPECT_EQ(fired, 2);
}

TEST_F(DispatcherTest, ManyTimersKeepHeapOrderUnderRandomReArms) {
  // A deterministic pseudo-random sequence of enables/disables against a reference model.
  constexpr int kTimers = 200;
  std::vector<int64_t> expected_ms(kTimers, -1);  // -1: disabled
  std::vector<int64_t> fired_at(kTimers, -1);
  std::vector<std::unique_ptr<Timer>> timers;
  int64_t now_ms = 0;
  for (int i = 0; i < kTimers; ++i) {
    timers.push_back(dispatcher_->CreateTimer([&, i] { fired_at[i] = now_ms; }));
  }
  uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u; };
  for (int step = 0; step < 2000; ++step) {
    const int i = next() % kTimers;
    if (next() % 4 == 0) {
      timers[i]->Disable();
      expected_ms[i] = -1;
    } else {
      const int64_t delay = next() % 50;
      timers[i]->Enable(absl::Milliseconds(delay));
      expected_ms[i] = now_ms + delay;
    }
    if (step % 10 == 0) {
      now_ms += 3;
      Tick(absl::Milliseconds(3));
      for (int t = 0; t < kTimers; ++t) {
        if (expected_ms[t] >= 0 && expected_ms[t] <= now_ms) {
          ASSERT_EQ(fired_at[t], now_ms) << "timer " << t << " due at " << expected_ms[t];
          expected_ms[t] = -1;
          fired_at[t] = -1;
        } else {
          ASSERT_EQ(fired_at[t], -1) << "timer " << t << " fired early";
        }
      }
    }
  }
}

TEST_F(DispatcherTest, FileEventReportsReadAndPeerClose) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  uint32_t seen = 0;
  auto event = dispatcher_->CreateFileEvent(fds[0], [&](uint32_t events) { seen |= events; });
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  dispatcher_->RunOnce(absl::Seconds(5));
  EXPECT_TRUE(seen & kRead);
  seen = 0;
  close(fds[1]);
  dispatcher_->RunOnce(absl::Seconds(5));
  EXPECT_TRUE(seen & kClosed);
  event.reset();
  close(fds[0]);
}

TEST_F(DispatcherTest, ActivateDeliversWithoutNewEdge) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  std::vector<uint32_t> calls;
  auto event =
      dispatcher_->CreateFileEvent(fds[0], [&](uint32_t events) { calls.push_back(events); });
  dispatcher_->RunOnce(absl::Seconds(5));  // initial writable edge
  calls.clear();
  event->Activate(kRead);
  event->Activate(kWrite);  // merged into one call
  dispatcher_->RunOnce(absl::Seconds(5));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], kRead | kWrite);
  event.reset();
  close(fds[0]);
  close(fds[1]);
}

TEST_F(DispatcherTest, EventDestroyedByEarlierCallbackOfTheSameBatchIsNotCalled) {
  int a[2], b[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
  std::unique_ptr<FileEvent> ea, eb;
  int calls = 0;
  // Whichever runs first destroys the other.
  ea = dispatcher_->CreateFileEvent(a[0], [&](uint32_t) {
    ++calls;
    eb.reset();
  });
  eb = dispatcher_->CreateFileEvent(b[0], [&](uint32_t) {
    ++calls;
    ea.reset();
  });
  dispatcher_->RunOnce(absl::Seconds(5));  // both writable in one batch
  EXPECT_EQ(calls, 1);
  ea.reset();
  eb.reset();
  for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
}

TEST(DispatcherThreadTest, PostFromOtherThreadsRunsOnTheLoopAndExitStopsIt) {
  auto dispatcher = Dispatcher::Create("worker");
  ASSERT_TRUE(dispatcher.ok());
  Dispatcher& d = **dispatcher;
  std::atomic<int> ran{0};
  std::atomic<bool> on_loop_thread{true};
  std::thread loop([&] { d.Run(); });
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        d.Post([&] {
          if (!d.IsThreadSafe()) on_loop_thread = false;
          ran.fetch_add(1);
        });
      }
    });
  }
  for (auto& p : posters) p.join();
  absl::Notification all_ran;
  d.Post([&] { all_ran.Notify(); });  // posts run in order per poster; this one is last
  ASSERT_TRUE(all_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(ran.load(), 1000);
  EXPECT_TRUE(on_loop_thread.load());
  d.Exit();
  loop.join();
}

TEST_F(DispatcherTest, DeferredDeleteRunsAfterTheCurrentCallback) {
  struct Flag : DeferredDeletable {
    explicit Flag(bool& deleted) : deleted(deleted) {}
    ~Flag() override { deleted = true; }
    bool& deleted;
  };
  bool deleted = false;
  bool deleted_inside = true;
  auto timer = dispatcher_->CreateTimer([&] {
    dispatcher_->DeferredDelete(std::make_unique<Flag>(deleted));
    deleted_inside = deleted;
  });
  timer->Enable(absl::ZeroDuration());
  Tick(absl::ZeroDuration());
  EXPECT_FALSE(deleted_inside);
  EXPECT_TRUE(deleted);
}

TEST_F(DispatcherTest, DeletionsDeferredByDestructorsAlsoRun) {
  // A deferred object whose destructor defers another (a session dropping its upstream).
  struct Inner : DeferredDeletable {
    explicit Inner(bool& deleted) : deleted(deleted) {}
    ~Inner() override { deleted = true; }
    bool& deleted;
  };
  struct Outer : DeferredDeletable {
    Outer(Dispatcher& d, bool& inner_deleted) : d(d), inner_deleted(inner_deleted) {}
    ~Outer() override { d.DeferredDelete(std::make_unique<Inner>(inner_deleted)); }
    Dispatcher& d;
    bool& inner_deleted;
  };
  bool inner_deleted = false;
  dispatcher_->DeferredDelete(std::make_unique<Outer>(*dispatcher_, inner_deleted));
  Tick(absl::ZeroDuration());
  EXPECT_TRUE(inner_deleted);
}

}  // namespace
}  // namespace strata::event
