// Debouncer timing rules and SnapshotCache coalescing, driven by a ManualClock: a burst of
// updates is published once, a continuous burst is still published within max_delay, and an
// update after a quiet period starts a new window.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controlplane/xds/snapshot.h"
#include "controlplane/xds/snapshot_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/xds/xds_test_util.h"

namespace strata::xds {
namespace {

using testing::MakeCluster;
using testing::MakeSnapshot;

constexpr absl::Duration kDebounce = absl::Milliseconds(100);
constexpr absl::Duration kMaxDelay = absl::Seconds(1);

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(DebouncerTest, NothingPendingHasNoDeadline) {
  Debouncer d(kDebounce, kMaxDelay);
  EXPECT_EQ(d.Deadline(), std::nullopt);
}

TEST(DebouncerTest, EachUpdateOfABurstPushesTheDeadlineBack) {
  Debouncer d(kDebounce, kMaxDelay);
  d.OnUpdate(kStart);
  EXPECT_EQ(d.Deadline(), kStart + kDebounce);
  d.OnUpdate(kStart + absl::Milliseconds(60));
  EXPECT_EQ(d.Deadline(), kStart + absl::Milliseconds(160));
  d.OnUpdate(kStart + absl::Milliseconds(150));
  EXPECT_EQ(d.Deadline(), kStart + absl::Milliseconds(250));
}

TEST(DebouncerTest, MaxDelayBoundsAContinuousBurst) {
  Debouncer d(kDebounce, kMaxDelay);
  for (absl::Duration t = absl::ZeroDuration(); t <= absl::Seconds(3);
       t += absl::Milliseconds(50)) {
    d.OnUpdate(kStart + t);
    ASSERT_TRUE(d.Deadline().has_value());
    EXPECT_LE(*d.Deadline(), kStart + kMaxDelay) << "after an update at " << t;
  }
  EXPECT_EQ(d.Deadline(), kStart + kMaxDelay);
}

TEST(DebouncerTest, AfterResetTheNextUpdateStartsANewWindow) {
  Debouncer d(kDebounce, kMaxDelay);
  d.OnUpdate(kStart);
  d.Reset();
  EXPECT_EQ(d.Deadline(), std::nullopt);
  const absl::Time later = kStart + absl::Seconds(5);
  d.OnUpdate(later);
  EXPECT_EQ(d.Deadline(), later + kDebounce);
  // The max-delay bound now counts from the new first update, not from kStart.
  for (int i = 1; i <= 30; ++i) d.OnUpdate(later + i * absl::Milliseconds(50));
  EXPECT_EQ(d.Deadline(), later + kMaxDelay);
}

// Counts the snapshots published to one group. Thread-safe.
class CountingWatcher : public SnapshotWatcher {
 public:
  void OnSnapshot(SnapshotConstSharedPtr snapshot) override {
    absl::MutexLock lock(&mu_);
    received_.push_back(std::move(snapshot));
  }
  std::vector<SnapshotConstSharedPtr> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  bool WaitForCount(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return received_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  }

 private:
  absl::Mutex mu_;
  std::vector<SnapshotConstSharedPtr> received_ ABSL_GUARDED_BY(mu_);
};

// Snapshot number `n`: each has a different cluster version.
SnapshotConstSharedPtr Version(int n) { return MakeSnapshot({MakeCluster("c1", n)}); }

class SnapshotCacheDebounceTest : public ::testing::Test {
 protected:
  SnapshotCacheDebounceTest()
      : clock_(kStart),
        cache_({.debounce = kDebounce, .max_delay = kMaxDelay, .background_publisher = false},
               clock_),
        watcher_(std::make_shared<CountingWatcher>()),
        handle_(cache_.Watch("g1", watcher_)) {}

  ManualClock clock_;
  SnapshotCache cache_;
  std::shared_ptr<CountingWatcher> watcher_;
  SnapshotCache::WatchHandle handle_;
};

TEST_F(SnapshotCacheDebounceTest, BurstWithinTheWindowIsPublishedOnce) {
  std::vector<SnapshotConstSharedPtr> burst = {Version(1), Version(2), Version(3)};
  for (const auto& s : burst) {
    cache_.SetSnapshot("g1", s);
    EXPECT_FALSE(cache_.PublishIfDue());
    clock_.Advance(absl::Milliseconds(60));
    EXPECT_FALSE(cache_.PublishIfDue());
  }
  EXPECT_TRUE(watcher_->received().empty());
  EXPECT_EQ(cache_.GetSnapshot("g1"), nullptr);

  // 60 ms after the last update; due 100 ms after it.
  clock_.Advance(absl::Milliseconds(39));
  EXPECT_FALSE(cache_.PublishIfDue());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(cache_.PublishIfDue());
  EXPECT_THAT(watcher_->received(), ::testing::ElementsAre(burst.back()));
  EXPECT_EQ(cache_.GetSnapshot("g1"), burst.back());

  // Nothing is pending any more.
  clock_.Advance(absl::Seconds(10));
  EXPECT_FALSE(cache_.PublishIfDue());
  EXPECT_EQ(watcher_->received().size(), 1u);
}

TEST_F(SnapshotCacheDebounceTest, MaxDelayForcesAPublicationDuringAContinuousBurst) {
  // An update every 50 ms never leaves the 100 ms quiet gap the debounce waits for.
  int version = 0;
  absl::Duration elapsed = absl::ZeroDuration();
  std::vector<absl::Duration> published_at;
  std::vector<SnapshotConstSharedPtr> latest_at_publication;
  SnapshotConstSharedPtr latest;
  while (elapsed <= absl::Milliseconds(2500)) {
    latest = Version(++version);
    cache_.SetSnapshot("g1", latest);
    clock_.Advance(absl::Milliseconds(50));
    elapsed += absl::Milliseconds(50);
    if (cache_.PublishIfDue()) {
      published_at.push_back(elapsed);
      latest_at_publication.push_back(latest);
    }
  }
  // One publication at each max-delay bound of the burst: at 1 s, then 1 s after the first
  // update that followed it (at 1 s too, published at 2 s).
  EXPECT_THAT(published_at, ::testing::ElementsAre(absl::Seconds(1), absl::Seconds(2)));
  EXPECT_EQ(watcher_->received(), latest_at_publication);
}

TEST_F(SnapshotCacheDebounceTest, UpdateAfterAQuietPeriodStartsANewWindow) {
  cache_.SetSnapshot("g1", Version(1));
  clock_.Advance(kDebounce);
  ASSERT_TRUE(cache_.PublishIfDue());

  clock_.Advance(absl::Seconds(30));  // quiet, far beyond max_delay
  SnapshotConstSharedPtr next = Version(2);
  cache_.SetSnapshot("g1", next);
  // Not due at once: the window starts now, not at the old burst's first update.
  EXPECT_FALSE(cache_.PublishIfDue());
  clock_.Advance(kDebounce - absl::Milliseconds(1));
  EXPECT_FALSE(cache_.PublishIfDue());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(cache_.PublishIfDue());
  ASSERT_EQ(watcher_->received().size(), 2u);
  EXPECT_EQ(watcher_->received().back(), next);
}

TEST_F(SnapshotCacheDebounceTest, UnchangedVersionsAreNotPublishedAgain) {
  cache_.SetSnapshot("g1", Version(1));
  clock_.Advance(kDebounce);
  ASSERT_TRUE(cache_.PublishIfDue());
  cache_.SetSnapshot("g1", Version(1));  // same content, so same versions
  clock_.Advance(kDebounce);
  EXPECT_TRUE(cache_.PublishIfDue());
  EXPECT_EQ(watcher_->received().size(), 1u);
}

TEST(SnapshotCachePublisherTest, BackgroundThreadPublishesOnceTheClockPassesTheDeadline) {
  ManualClock clock(kStart);
  SnapshotCache cache({.debounce = kDebounce, .max_delay = kMaxDelay}, clock);
  auto watcher = std::make_shared<CountingWatcher>();
  SnapshotCache::WatchHandle handle = cache.Watch("g1", watcher);
  cache.SetSnapshot("g1", Version(1));
  cache.SetSnapshot("g1", Version(2));
  SnapshotConstSharedPtr last = Version(3);
  cache.SetSnapshot("g1", last);
  // The clock stands still, so the burst cannot be due yet.
  EXPECT_TRUE(watcher->received().empty());
  clock.Advance(kDebounce);
  ASSERT_TRUE(watcher->WaitForCount(1, absl::Seconds(10)));
  EXPECT_THAT(watcher->received(), ::testing::ElementsAre(last));
}

}  // namespace
}  // namespace strata::xds
