#include "controlplane/kube/leader_elector.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::kube {
namespace {

using ::testing::HasSubstr;

// The Lease as the API server keeps it: resourceVersion checked on every update, as for real
// Leases (a stale one is a 409 Conflict). A hook runs before an update, to let another writer
// in between a candidate's read and its write; `fail` makes every call fail like an outage.
class FakeLeaseStore : public LeaseStore {
 public:
  absl::StatusOr<LeaseRecord> Get() override {
    if (fail) return absl::UnavailableError("API server unreachable");
    if (!lease_.has_value()) return absl::NotFoundError("leases \"strata\" not found");
    return *lease_;
  }
  absl::StatusOr<LeaseRecord> Create(const LeaseRecord& record) override {
    if (fail) return absl::UnavailableError("API server unreachable");
    if (lease_.has_value()) return absl::AlreadyExistsError("leases \"strata\" already exists");
    lease_ = record;
    lease_->resource_version = absl::StrCat(++version_);
    return *lease_;
  }
  absl::StatusOr<LeaseRecord> Update(const LeaseRecord& record) override {
    if (before_update) {
      auto hook = std::move(before_update);
      before_update = nullptr;
      hook();
    }
    if (fail) return absl::UnavailableError("API server unreachable");
    if (!lease_.has_value()) return absl::NotFoundError("leases \"strata\" not found");
    if (record.resource_version != lease_->resource_version) {
      return absl::AbortedError("the object has been modified");
    }
    lease_ = record;
    lease_->resource_version = absl::StrCat(++version_);
    ++updates;
    return *lease_;
  }

  const std::optional<LeaseRecord>& lease() const { return lease_; }
  // An outside writer (an admin, or a replica after the Lease was deleted) sets the holder.
  void ForceHolder(const std::string& holder) {
    lease_->holder_identity = holder;
    lease_->resource_version = absl::StrCat(++version_);
  }

  bool fail = false;
  int updates = 0;
  std::function<void()> before_update;

 private:
  std::optional<LeaseRecord> lease_;
  int version_ = 0;
};

std::unique_ptr<LeaderElector> Elector(FakeLeaseStore& store, Clock& clock,
                                       const std::string& identity) {
  LeaderElectionConfig config;
  config.identity = identity;
  absl::StatusOr<std::unique_ptr<LeaderElector>> elector =
      LeaderElector::Create(store, clock, config);
  EXPECT_TRUE(elector.ok()) << elector.status();
  return elector.ok() ? *std::move(elector) : nullptr;
}

const absl::Time kStart = absl::FromUnixSeconds(1800000000);

TEST(LeaderElectorTest, ConfigFollowsClientGoRules) {
  FakeLeaseStore store;
  ManualClock clock(kStart);
  LeaderElectionConfig config;
  EXPECT_THAT(LeaderElector::Create(store, clock, config).status().message(),
              HasSubstr("identity must not be empty"));
  config.identity = "a";
  EXPECT_TRUE(LeaderElector::Create(store, clock, config).ok());
  config.renew_deadline = absl::Seconds(15);  // not below the lease duration
  EXPECT_THAT(LeaderElector::Create(store, clock, config).status().message(),
              HasSubstr("need lease duration > renew deadline > 1.2 x retry period > 0"));
  config.renew_deadline = absl::Milliseconds(2400);  // not above 1.2 x 2 s
  EXPECT_FALSE(LeaderElector::Create(store, clock, config).ok());
  config.renew_deadline = absl::Seconds(10);
  config.retry_period = absl::ZeroDuration();
  EXPECT_FALSE(LeaderElector::Create(store, clock, config).ok());
}

TEST(LeaderElectorTest, TheFirstCandidateCreatesTheLease) {
  FakeLeaseStore store;
  ManualClock clock(kStart);
  auto a = Elector(store, clock, "pod-a");
  EXPECT_TRUE(a->Tick());
  ASSERT_TRUE(store.lease().has_value());
  EXPECT_EQ(store.lease()->holder_identity, "pod-a");
  EXPECT_EQ(store.lease()->lease_duration_seconds, 15);
  EXPECT_EQ(store.lease()->acquire_time, kStart);
  EXPECT_EQ(store.lease()->lease_transitions, 0);

  // Renewing moves renewTime only.
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(a->Tick());
  EXPECT_EQ(store.lease()->renew_time, kStart + absl::Seconds(2));
  EXPECT_EQ(store.lease()->acquire_time, kStart);
  EXPECT_EQ(store.lease()->lease_transitions, 0);
}

TEST(LeaderElectorTest, ACandidateWaitsALeaseDurationAfterTheLastRenewalItSaw) {
  FakeLeaseStore store;
  ManualClock clock(kStart);
  auto a = Elector(store, clock, "pod-a");
  auto b = Elector(store, clock, "pod-b");
  ASSERT_TRUE(a->Tick());
  for (int i = 0; i < 15; ++i) {  // 30 s of renewals: b never takes over
    EXPECT_FALSE(b->Tick());
    clock.Advance(absl::Seconds(2));
    ASSERT_TRUE(a->Tick());
  }
  // a dies right after its last renewal; b sees that renewal at its next tick.
  const absl::Time last_change_seen = clock.Now();
  EXPECT_FALSE(b->Tick());
  while (clock.Now() - last_change_seen < absl::Seconds(15)) {
    EXPECT_FALSE(b->Tick()) << "took over after " << (clock.Now() - last_change_seen);
    clock.Advance(absl::Seconds(2));
  }
  EXPECT_TRUE(b->Tick());
  EXPECT_EQ(store.lease()->holder_identity, "pod-b");
  EXPECT_EQ(store.lease()->lease_transitions, 1);
  EXPECT_EQ(store.lease()->acquire_time, clock.Now());
}

TEST(LeaderElectorTest, OtherReplicasClocksDoNotMatter) {
  // a's clock is an hour behind b's: the renewTime a writes looks long expired to b, yet b
  // waits because the record keeps changing.
  FakeLeaseStore store;
  ManualClock clock_a(kStart - absl::Hours(1));
  ManualClock clock_b(kStart);
  auto a = Elector(store, clock_a, "pod-a");
  auto b = Elector(store, clock_b, "pod-b");
  ASSERT_TRUE(a->Tick());
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(b->Tick());
    clock_a.Advance(absl::Seconds(2));
    clock_b.Advance(absl::Seconds(2));
    ASSERT_TRUE(a->Tick());
  }
}

TEST(LeaderElectorTest, AStaleResourceVersionLosesTheRace) {
  FakeLeaseStore store;
  ManualClock clock(kStart);
  auto a = Elector(store, clock, "pod-a");
  auto b = Elector(store, clock, "pod-b");
  auto c = Elector(store, clock, "pod-c");
  ASSERT_TRUE(a->Tick());
  EXPECT_FALSE(b->Tick());
  EXPECT_FALSE(c->Tick());
  clock.Advance(absl::Seconds(16));  // a is gone
  // b read the expired Lease; c writes before b does: b's update is a conflict.
  store.before_update = [&] { EXPECT_TRUE(c->Tick()); };
  EXPECT_FALSE(b->Tick());
  EXPECT_FALSE(b->IsLeader());
  EXPECT_TRUE(c->IsLeader());
  EXPECT_EQ(store.lease()->holder_identity, "pod-c");
}

TEST(LeaderElectorTest, ALeaderThatCannotRenewStepsDownAfterTheRenewDeadline) {
  FakeLeaseStore store;
  ManualClock clock(kStart);
  auto a = Elector(store, clock, "pod-a");
  ASSERT_TRUE(a->Tick());
  store.fail = true;
  const absl::Time last_renew = clock.Now();
  while (true) {
    clock.Advance(absl::Seconds(2));
    const bool leads = a->Tick();
    if (clock.Now() - last_renew < absl::Seconds(10)) {
      EXPECT_TRUE(leads) << "stepped down after " << (clock.Now() - last_renew);
      EXPECT_TRUE(a->Healthy(absl::ZeroDuration()));
    } else {
      EXPECT_FALSE(leads);
      break;
    }
  }
  // Back on its feet, it competes again like any candidate.
  store.fail = false;
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(a->Tick());
}

TEST(LeaderElectorTest, ALeaderThatStopsTickingIsReportedUnhealthy) {
  FakeLeaseStore store;
  ManualClock clock(kStart);
  auto a = Elector(store, clock, "pod-a");
  ASSERT_TRUE(a->Tick());
  clock.Advance(absl::Seconds(15));
  EXPECT_TRUE(a->Healthy(absl::Seconds(1)));
  clock.Advance(absl::Seconds(2));
  EXPECT_FALSE(a->Healthy(absl::Seconds(1)));
}

TEST(LeaderElectorTest, ReleaseHandsTheLeaseOverAtOnce) {
  FakeLeaseStore store;
  ManualClock clock(kStart);
  auto a = Elector(store, clock, "pod-a");
  auto b = Elector(store, clock, "pod-b");
  ASSERT_TRUE(a->Tick());
  EXPECT_FALSE(b->Tick());
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(a->Release().ok());
  EXPECT_FALSE(a->IsLeader());
  EXPECT_EQ(store.lease()->holder_identity, "");
  EXPECT_EQ(store.lease()->lease_duration_seconds, 1);
  EXPECT_EQ(store.lease()->lease_transitions, 0);
  // b's next round takes it, long before a lease duration has passed.
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(b->Tick());
  EXPECT_EQ(store.lease()->holder_identity, "pod-b");
  EXPECT_EQ(store.lease()->lease_transitions, 1);
  // Releasing when not leading does nothing.
  const int updates = store.updates;
  EXPECT_TRUE(a->Release().ok());
  EXPECT_EQ(store.updates, updates);
}

TEST(LeaderElectorTest, ALeaderThatFindsAnotherHolderStopsAtOnceAndReleasesNothing) {
  FakeLeaseStore store;
  ManualClock clock(kStart);
  auto a = Elector(store, clock, "pod-a");
  ASSERT_TRUE(a->Tick());
  store.ForceHolder("pod-b");
  clock.Advance(absl::Seconds(2));
  EXPECT_FALSE(a->Tick());  // well within the renew deadline, yet no longer the leader
  const int updates = store.updates;
  EXPECT_TRUE(a->Release().ok());
  EXPECT_EQ(store.updates, updates);  // pod-b's Lease is left alone
  EXPECT_EQ(store.lease()->holder_identity, "pod-b");
}

}  // namespace
}  // namespace strata::kube
