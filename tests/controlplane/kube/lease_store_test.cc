// Leader election through ApiLeaseStore against the stand-in API server (real HTTP, real
// resourceVersion checks), with each replica's clock under the test's control.
#include "controlplane/kube/lease_store.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "controlplane/kube/api_client.h"
#include "controlplane/kube/leader_elector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/kube/stand_in.h"

namespace strata::kube {
namespace {

class LeaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = api_.Client();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  std::unique_ptr<LeaderElector> Elector(const std::string& identity, LeaseStore& store,
                                         Clock& clock) {
    auto elector = LeaderElector::Create(store, clock, {identity});
    EXPECT_TRUE(elector.ok()) << elector.status();
    return elector.ok() ? *std::move(elector) : nullptr;
  }

  std::string Holder() {
    return test::Shell(absl::StrCat("kubectl --kubeconfig=", api_.kubeconfig(),
                                    " get lease strata -n strata-system -o "
                                    "jsonpath='{.spec.holderIdentity}' 2>&1"));
  }

  test::StandInApiServer api_;
  std::unique_ptr<ApiClient> client_;
};

TEST_F(LeaseStoreTest, OneLeaderThenTakeoverAfterTheLeaseRunsOut) {
  ApiLeaseStore store_a(*client_, "strata-system", "strata");
  ApiLeaseStore store_b(*client_, "strata-system", "strata");
  ManualClock clock_a(absl::FromUnixSeconds(1'000'000));
  ManualClock clock_b(absl::FromUnixSeconds(5'000'000));  // clocks need not agree
  auto a = Elector("replica-a", store_a, clock_a);
  auto b = Elector("replica-b", store_b, clock_b);
  ASSERT_TRUE(a && b);

  EXPECT_TRUE(a->Tick());   // creates the Lease
  EXPECT_FALSE(b->Tick());  // sees a holding it
  EXPECT_EQ(Holder(), "replica-a");

  // a renews; b waits. Then a stops renewing (it died): after a lease duration on b's own
  // clock without a change, b takes over.
  clock_a.Advance(absl::Seconds(2));
  clock_b.Advance(absl::Seconds(2));
  EXPECT_TRUE(a->Tick());
  EXPECT_FALSE(b->Tick());
  clock_b.Advance(absl::Seconds(14));
  EXPECT_FALSE(b->Tick());  // 14 s since the last change it saw: not yet
  clock_b.Advance(absl::Seconds(2));
  EXPECT_TRUE(b->Tick());
  EXPECT_EQ(Holder(), "replica-b");

  // a comes back: it finds b in the Lease and does not lead.
  clock_a.Advance(absl::Seconds(1));
  EXPECT_FALSE(a->Tick());
  EXPECT_FALSE(a->IsLeader());

  auto record = store_a.Get();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->lease_transitions, 1);
  EXPECT_EQ(record->lease_duration_seconds, 15);
}

TEST_F(LeaseStoreTest, AStaleUpdateIsAConflictAndAReleaseHandsOver) {
  ApiLeaseStore store(*client_, "strata-system", "strata");
  EXPECT_TRUE(absl::IsNotFound(store.Get().status()));
  LeaseRecord first;
  first.holder_identity = "x";
  first.lease_duration_seconds = 15;
  first.renew_time = absl::FromUnixMicros(1'700'000'000'123'456);
  auto created = store.Create(first);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->renew_time, first.renew_time);  // microseconds survive the round trip
  EXPECT_TRUE(absl::IsAlreadyExists(store.Create(first).status()));

  LeaseRecord update = *created;
  update.holder_identity = "y";
  auto updated = store.Update(update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_NE(updated->resource_version, created->resource_version);
  // The same update again carries the old resourceVersion: 409.
  EXPECT_TRUE(absl::IsAborted(store.Update(update).status())) << store.Update(update).status();

  ManualClock clock(absl::FromUnixSeconds(1'000'000));
  ManualClock other_clock(absl::FromUnixSeconds(1'000'000));
  ApiLeaseStore other_store(*client_, "strata-system", "strata");
  auto a = Elector("replica-a", store, clock);
  auto b = Elector("replica-b", other_store, other_clock);
  // "y" never renews; a takes over after a lease duration, then hands the Lease back.
  EXPECT_FALSE(a->Tick());
  clock.Advance(absl::Seconds(16));
  EXPECT_TRUE(a->Tick());
  ASSERT_TRUE(a->Release().ok());
  EXPECT_FALSE(a->IsLeader());
  // Nobody holds the released Lease: b takes it at once, without waiting out 15 s.
  EXPECT_TRUE(b->Tick());
  EXPECT_EQ(Holder(), "replica-b");
}

}  // namespace
}  // namespace strata::kube
