// Two strata-controlplane processes against the stand-in API server elect one leader through
// a coordination.k8s.io/v1 Lease (short durations so the test is quick). Killing the leader
// moves leadership within the lease duration; stopping it cleanly hands the Lease over at once.
#include <csignal>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process.h"
#include "tests/e2e/proxy_fixture.h"
#include "tests/kube/stand_in.h"

namespace strata::test {
namespace {

constexpr absl::Duration kLeaseDuration = absl::Seconds(3);
constexpr absl::Duration kRetryPeriod = absl::Milliseconds(500);

class LeaderElectionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Subprocess> StartReplica(const std::string& identity,
                                           const std::string& lease_duration = "3s",
                                           const std::string& renew_deadline = "2s") {
    int xds_port = 0;
    auto process =
        StartControlPlane({"--kubeconfig=" + api_.kubeconfig(), "--identity=" + identity,
                           "--lease_duration=3s", "--renew_deadline=2s", "--retry_period=500ms"},
                          xds_port);
    EXPECT_NE(xds_port, 0);
    return process;
  }
  std::string Holder() const {
    return api_.Kubectl(
        "get lease strata-controlplane -n strata-system -o jsonpath='{.spec.holderIdentity}'");
  }
  // Polls the Lease until `identity` holds it; how long that took, or nullopt after `timeout`.
  std::optional<absl::Duration> AwaitHolder(const std::string& identity, absl::Duration timeout) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < timeout) {
      if (Holder() == identity) return absl::Now() - start;
    }
    return std::nullopt;
  }

  StandInApiServer api_;
};

TEST_F(LeaderElectionTest, OneLeaderAndItMovesWhenTheLeaderDies) {
  auto a = StartReplica("cp-a");
  ASSERT_TRUE(a->WaitForOutput("leader election: now leading", absl::Seconds(10))) << a->Output();
  auto b = StartReplica("cp-b");
  ASSERT_TRUE(AwaitHolder("cp-a", absl::Seconds(5)).has_value());
  // b keeps trying for a while and does not lead.
  EXPECT_FALSE(b->WaitForOutput("leader election: now leading", 3 * kRetryPeriod));

  // The leader is killed (SIGKILL: no hand-over). b takes over once the Lease, unrenewed,
  // has run out on its own clock: within the lease duration plus a retry period or two.
  const absl::Time killed = absl::Now();
  a.reset();
  ASSERT_TRUE(b->WaitForOutput("leader election: now leading", absl::Seconds(10))) << b->Output();
  const absl::Duration takeover = absl::Now() - killed;
  EXPECT_LE(takeover, kLeaseDuration + 3 * kRetryPeriod) << takeover;
  EXPECT_EQ(Holder(), "cp-b");
}

TEST_F(LeaderElectionTest, AStoppedLeaderHandsTheLeaseOver) {
  // A long Lease, so a takeover by expiry could not pass for a hand-over.
  auto a = StartReplica("cp-a", "30s", "20s");
  ASSERT_TRUE(a->WaitForOutput("leader election: now leading", absl::Seconds(10)));
  auto b = StartReplica("cp-b", "30s", "20s");
  ASSERT_TRUE(AwaitHolder("cp-a", absl::Seconds(5)).has_value());
  const absl::Time stopped = absl::Now();
  a->Signal(SIGTERM);
  ASSERT_TRUE(b->WaitForOutput("leader election: now leading", absl::Seconds(10)));
  // Released, not expired: in about a retry period, far within the 30 s Lease.
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(5)) << absl::Now() - stopped;
  ASSERT_TRUE(a->WaitExit(absl::Seconds(10)).has_value());
  EXPECT_NE(a->Output().find("leader election: no longer leading"), std::string::npos)
      << a->Output();
}

}  // namespace
}  // namespace strata::test
