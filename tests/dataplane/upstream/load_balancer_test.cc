#include "dataplane/upstream/load_balancer.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace strata::upstream {
namespace {

// A STATIC cluster with hosts 10.0.0.1.. and the given weights.
ClusterConstSharedPtr MakeCluster(const std::string& policy, const std::vector<uint32_t>& weights,
                                  const std::string& extra = "") {
  std::string text = absl::StrCat("name: \"c\" type: STATIC lb_policy: ", policy, " ", extra,
                                  " load_assignment { endpoints {");
  for (size_t i = 0; i < weights.size(); ++i) {
    absl::StrAppend(
        &text, "lb_endpoints { endpoint { address { socket_address { address: \"10.0.0.", i + 1,
        "\" port_value: 80 } } } load_balancing_weight { value: ", weights[i], " } }");
  }
  absl::StrAppend(&text, "} }");
  envoy::config::cluster::v3::Cluster config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  auto cluster = Cluster::Create(config, nullptr);
  EXPECT_TRUE(cluster.ok()) << cluster.status();
  return *cluster;
}

std::map<std::string, int> Count(LoadBalancer& lb, int picks, FastRandom& random) {
  std::map<std::string, int> counts;
  for (int i = 0; i < picks; ++i) {
    Host* host = lb.Choose(random);
    EXPECT_NE(host, nullptr);
    if (host != nullptr) ++counts[host->address().Ip()];
  }
  return counts;
}

TEST(LoadBalancerTest, RoundRobinCyclesInOrder) {
  auto cluster = MakeCluster("ROUND_ROBIN", {1, 1, 1});
  auto lb = LoadBalancer::Create(cluster);
  FastRandom random(1);
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) order.push_back(lb->Choose(random)->address().Ip());
  EXPECT_EQ(order, (std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1",
                                             "10.0.0.2", "10.0.0.3"}));
}

TEST(LoadBalancerTest, WeightedRoundRobinIsExactOverAPeriodAndInterleaved) {
  auto cluster = MakeCluster("ROUND_ROBIN", {3, 1});
  auto lb = LoadBalancer::Create(cluster);
  FastRandom random(1);
  auto counts = Count(*lb, 400, random);
  EXPECT_EQ(counts["10.0.0.1"], 300);
  EXPECT_EQ(counts["10.0.0.2"], 100);
  // Interleaved, not 300 in a row: within any 4 consecutive picks the light host appears once.
  int light_in_window = 0;
  for (int i = 0; i < 4; ++i) light_in_window += lb->Choose(random)->address().Ip() == "10.0.0.2";
  EXPECT_EQ(light_in_window, 1);
}

TEST(LoadBalancerTest, UnhealthyHostsAreSkippedAndComeBack) {
  auto cluster = MakeCluster("ROUND_ROBIN", {1, 1, 1, 1});
  auto lb = LoadBalancer::Create(cluster);
  FastRandom random(1);
  SetHostFlag(*cluster->hosts()[1], Host::kOutlierEjected, true);
  auto counts = Count(*lb, 300, random);
  EXPECT_EQ(counts.count("10.0.0.2"), 0u);
  EXPECT_EQ(counts["10.0.0.1"], 100);
  EXPECT_FALSE(lb->panic());
  SetHostFlag(*cluster->hosts()[1], Host::kOutlierEjected, false);
  counts = Count(*lb, 400, random);
  EXPECT_EQ(counts["10.0.0.2"], 100);
}

TEST(LoadBalancerTest, PanicModeUsesAllHostsBelowThreshold) {
  auto cluster = MakeCluster("ROUND_ROBIN", {1, 1, 1, 1});
  auto lb = LoadBalancer::Create(cluster);
  FastRandom random(1);
  for (int i = 0; i < 3; ++i) {
    SetHostFlag(*cluster->hosts()[i], Host::kFailedActiveHealthCheck, true);  // 25% healthy
  }
  auto counts = Count(*lb, 400, random);
  EXPECT_TRUE(lb->panic());
  EXPECT_EQ(counts.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    SetHostFlag(*cluster->hosts()[i], Host::kFailedActiveHealthCheck, false);
  }
}

TEST(LoadBalancerTest, PanicThresholdZeroNeverPanics) {
  auto cluster = MakeCluster("ROUND_ROBIN", {1, 1},
                             "common_lb_config { healthy_panic_threshold { value: 0 } }");
  auto lb = LoadBalancer::Create(cluster);
  FastRandom random(1);
  SetHostFlag(*cluster->hosts()[0], Host::kOutlierEjected, true);
  SetHostFlag(*cluster->hosts()[1], Host::kOutlierEjected, true);
  EXPECT_EQ(lb->Choose(random), nullptr);  // no healthy host and no panic: nothing to pick
  SetHostFlag(*cluster->hosts()[0], Host::kOutlierEjected, false);
  SetHostFlag(*cluster->hosts()[1], Host::kOutlierEjected, false);
}

TEST(LoadBalancerTest, LeastRequestPrefersIdleHosts) {
  auto cluster = MakeCluster("LEAST_REQUEST", {1, 1, 1, 1});
  auto lb = LoadBalancer::Create(cluster);
  FastRandom random(7);
  for (int i = 0; i < 3; ++i) cluster->hosts()[i]->active_requests() = 100;
  auto counts = Count(*lb, 1000, random);
  // With two choices, the idle host wins whenever it is sampled: 1 - (3/4)^2 = 7/16 of picks.
  EXPECT_GT(counts["10.0.0.4"], 350);
  EXPECT_LT(counts["10.0.0.4"], 530);
  for (int i = 0; i < 3; ++i) cluster->hosts()[i]->active_requests() = 0;
}

TEST(LoadBalancerTest, RandomFollowsWeights) {
  auto cluster = MakeCluster("RANDOM", {1, 9});
  auto lb = LoadBalancer::Create(cluster);
  FastRandom random(42);
  auto counts = Count(*lb, 10000, random);
  EXPECT_GT(counts["10.0.0.2"], 8700);
  EXPECT_LT(counts["10.0.0.2"], 9300);
}

TEST(LoadBalancerTest, EmptyClusterGivesNoHost) {
  auto cluster = MakeCluster("ROUND_ROBIN", {});
  auto lb = LoadBalancer::Create(cluster);
  FastRandom random(1);
  EXPECT_EQ(lb->Choose(random), nullptr);
}

}  // namespace
}  // namespace strata::upstream
