#include "dataplane/upstream/cluster.h"

#include "dataplane/upstream/health_checker.h"
#include "dataplane/upstream/outlier_detector.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace strata::upstream {
namespace {

envoy::config::cluster::v3::Cluster ParseCluster(const std::string& text) {
  envoy::config::cluster::v3::Cluster cluster;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cluster)) << text;
  return cluster;
}

envoy::config::endpoint::v3::ClusterLoadAssignment ParseCla(const std::string& text) {
  envoy::config::endpoint::v3::ClusterLoadAssignment cla;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cla)) << text;
  return cla;
}

constexpr char kStatic[] = R"pb(
  name: "web"
  type: STATIC
  connect_timeout { seconds: 2 }
  lb_policy: LEAST_REQUEST
  least_request_lb_config { choice_count { value: 3 } }
  circuit_breakers {
    thresholds {
      max_connections { value: 10 }
      max_requests { value: 20 }
    }
  }
  load_assignment {
    cluster_name: "web"
    endpoints {
      lb_endpoints {
        endpoint { address { socket_address { address: "127.0.0.1" port_value: 8080 } } }
      }
      lb_endpoints {
        endpoint { address { socket_address { address: "::1" port_value: 8081 } } }
        load_balancing_weight { value: 5 }
        health_status: DRAINING
      }
    }
  }
)pb";

TEST(ClusterTest, StaticClusterSettingsAndHosts) {
  auto cluster = Cluster::Create(ParseCluster(kStatic), nullptr);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const Cluster& c = **cluster;
  EXPECT_EQ(c.name(), "web");
  EXPECT_FALSE(c.is_eds());
  EXPECT_EQ(c.lb_policy(), LbPolicy::kLeastRequest);
  EXPECT_EQ(c.choice_count(), 3u);
  EXPECT_EQ(c.connect_timeout(), absl::Seconds(2));
  EXPECT_EQ(c.circuit_breakers().max_connections, 10u);
  EXPECT_EQ(c.circuit_breakers().max_requests, 20u);
  EXPECT_EQ(c.circuit_breakers().max_pending_requests, 1024u);  // default kept
  ASSERT_EQ(c.hosts().size(), 2u);
  EXPECT_EQ(c.hosts()[0]->address().ToString(), "127.0.0.1:8080");
  EXPECT_TRUE(c.hosts()[0]->Healthy());
  EXPECT_EQ(c.hosts()[1]->address().ToString(), "[::1]:8081");
  EXPECT_EQ(c.hosts()[1]->weight(), 5u);
  EXPECT_FALSE(c.hosts()[1]->Healthy());  // DRAINING
}

TEST(ClusterTest, EdsClusterTakesItsAssignmentAndKeepsHostState) {
  const auto config = ParseCluster(R"pb(
    name: "api"
    type: EDS
    eds_cluster_config {
      eds_config { ads {} }
      service_name: "api-eds"
    }
  )pb");
  auto empty = Cluster::Create(config, nullptr);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE((*empty)->is_eds());
  EXPECT_EQ((*empty)->eds_service_name(), "api-eds");
  EXPECT_TRUE((*empty)->hosts().empty());

  const auto cla1 = ParseCla(R"pb(
    cluster_name: "api-eds"
    endpoints {
      lb_endpoints {
        endpoint { address { socket_address { address: "10.0.0.1" port_value: 80 } } }
      }
      lb_endpoints {
        endpoint { address { socket_address { address: "10.0.0.2" port_value: 80 } } }
      }
    }
  )pb");
  auto v1 = Cluster::Create(config, &cla1, empty->get());
  ASSERT_TRUE(v1.ok()) << v1.status();
  ASSERT_EQ((*v1)->hosts().size(), 2u);
  (*v1)->hosts()[0]->SetFlag(Host::kOutlierEjected);

  const auto cla2 = ParseCla(R"pb(
    cluster_name: "api-eds"
    endpoints {
      lb_endpoints {
        endpoint { address { socket_address { address: "10.0.0.1" port_value: 80 } } }
      }
      lb_endpoints {
        endpoint { address { socket_address { address: "10.0.0.3" port_value: 80 } } }
      }
    }
  )pb");
  auto v2 = Cluster::Create(config, &cla2, v1->get());
  ASSERT_TRUE(v2.ok());
  // 10.0.0.1 is the same Host object, still ejected; 10.0.0.3 is new and healthy.
  EXPECT_EQ((*v2)->hosts()[0].get(), (*v1)->hosts()[0].get());
  EXPECT_FALSE((*v2)->hosts()[0]->Healthy());
  EXPECT_TRUE((*v2)->hosts()[1]->Healthy());
}

TEST(ClusterTest, WithoutHealthCheckingHasNoDetectorConfigs) {
  auto cluster = Cluster::Create(ParseCluster(kStatic), nullptr);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_EQ((*cluster)->outlier_config(), nullptr);
  EXPECT_EQ((*cluster)->health_check_config(), nullptr);
}

TEST(ClusterTest, ParsesOutlierDetectionAndHealthCheck) {
  auto config = ParseCluster(kStatic);
  auto* outlier = config.mutable_outlier_detection();
  outlier->mutable_consecutive_5xx()->set_value(3);
  outlier->mutable_interval()->set_nanos(500000000);
  outlier->mutable_base_ejection_time()->set_seconds(60);
  outlier->mutable_max_ejection_percent()->set_value(50);
  outlier->set_split_external_local_origin_errors(true);
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        timeout { seconds: 1 }
        interval { seconds: 2 }
        no_traffic_interval { seconds: 30 }
        unhealthy_threshold { value: 3 }
        healthy_threshold { value: 2 }
        http_health_check {
          path: "/healthz"
          expected_statuses { start: 200 end: 300 }
        }
      )pb",
      config.add_health_checks()));
  auto cluster = Cluster::Create(config, nullptr);
  ASSERT_TRUE(cluster.ok()) << cluster.status();

  const OutlierConfig* od = (*cluster)->outlier_config();
  ASSERT_NE(od, nullptr);
  EXPECT_EQ(od->consecutive_5xx, 3u);
  EXPECT_EQ(od->consecutive_gateway_failure, 5u);  // Envoy's default kept
  EXPECT_EQ(od->interval, absl::Milliseconds(500));
  EXPECT_EQ(od->base_ejection_time, absl::Seconds(60));
  EXPECT_EQ(od->max_ejection_time, absl::Seconds(300));
  EXPECT_EQ(od->max_ejection_percent, 50u);
  EXPECT_TRUE(od->split_external_local_origin_errors);

  const HealthCheckConfig* hc = (*cluster)->health_check_config();
  ASSERT_NE(hc, nullptr);
  EXPECT_EQ(hc->timeout, absl::Seconds(1));
  EXPECT_EQ(hc->interval, absl::Seconds(2));
  EXPECT_EQ(hc->no_traffic_interval, absl::Seconds(30));
  EXPECT_EQ(hc->unhealthy_threshold, 3u);
  EXPECT_EQ(hc->healthy_threshold, 2u);
  EXPECT_EQ(hc->path, "/healthz");
  EXPECT_EQ(hc->host, "web");  // the cluster's name by default
  ASSERT_EQ(hc->expected_statuses.size(), 1u);
  EXPECT_EQ(hc->expected_statuses[0], std::make_pair(int64_t{200}, int64_t{300}));
}

TEST(ClusterTest, EmptyOutlierDetectionTakesEnvoyDefaults) {
  auto config = ParseCluster(kStatic);
  config.mutable_outlier_detection();
  auto cluster = Cluster::Create(config, nullptr);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const OutlierConfig* od = (*cluster)->outlier_config();
  ASSERT_NE(od, nullptr);
  EXPECT_EQ(od->consecutive_5xx, 5u);
  EXPECT_EQ(od->enforcing_consecutive_5xx, 100u);
  EXPECT_EQ(od->enforcing_consecutive_gateway_failure, 0u);
  EXPECT_EQ(od->interval, absl::Seconds(10));
  EXPECT_EQ(od->base_ejection_time, absl::Seconds(30));
  EXPECT_EQ(od->max_ejection_percent, 10u);
}

TEST(ClusterTest, EdsClusterAcceptsHealthChecking) {
  const auto config = ParseCluster(R"pb(
    name: "api"
    type: EDS
    eds_cluster_config { eds_config { ads {} } }
    outlier_detection { consecutive_gateway_failure { value: 2 } }
    health_checks {
      timeout { seconds: 1 }
      interval { seconds: 1 }
      unhealthy_threshold { value: 1 }
      healthy_threshold { value: 1 }
      http_health_check { path: "/ready" host: "api.internal" }
    }
  )pb");
  auto cluster = Cluster::Create(config, nullptr);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ASSERT_NE((*cluster)->outlier_config(), nullptr);
  EXPECT_EQ((*cluster)->outlier_config()->consecutive_gateway_failure, 2u);
  ASSERT_NE((*cluster)->health_check_config(), nullptr);
  EXPECT_EQ((*cluster)->health_check_config()->host, "api.internal");
}

struct BadCase {
  const char* name;
  const char* cluster;
  const char* error;
};

class ClusterRejectsTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ClusterRejectsTest, WithAPreciseMessage) {
  auto cluster = Cluster::Create(ParseCluster(GetParam().cluster), nullptr);
  ASSERT_FALSE(cluster.ok());
  EXPECT_EQ(cluster.status().message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ClusterRejectsTest,
    ::testing::Values(
        BadCase{"NoName", R"pb(type: STATIC)pb", "cluster: name is required"},
        BadCase{"DnsType", R"pb(name: "x" type: STRICT_DNS)pb",
                "cluster \"x\".type: STRICT_DNS is not supported (STATIC or EDS)"},
        BadCase{"RingHash", R"pb(name: "x" type: STATIC lb_policy: RING_HASH)pb",
                "cluster \"x\".lb_policy: RING_HASH is not supported (ROUND_ROBIN, LEAST_REQUEST "
                "or RANDOM)"},
        BadCase{"UnsupportedField", R"pb(name: "x"
                                         type: STATIC
                                         cleanup_interval { seconds: 1 })pb",
                "cluster \"x\".cleanup_interval: not supported by strata-proxy"},
        BadCase{
            "Hostname",
            R"pb(name: "x"
                 type: STATIC
                 load_assignment {
                   endpoints {
                     lb_endpoints {
                       endpoint { address { socket_address { address: "backend" port_value: 80 } } }
                     }
                   }
                 })pb",
            "cluster \"x\".load_assignment.endpoints[0].lb_endpoints[0].endpoint.address."
            "socket_address: \"backend\" is not a numeric IP address (endpoints must be IP "
            "addresses; use EDS or a STATIC cluster)"},
        BadCase{
            "ZeroWeight",
            R"pb(name: "x"
                 type: STATIC
                 load_assignment {
                   endpoints {
                     lb_endpoints {
                       endpoint { address { socket_address { address: "1.2.3.4" port_value: 80 } } }
                       load_balancing_weight { value: 0 }
                     }
                   }
                 })pb",
            "cluster \"x\".load_assignment.endpoints[0].lb_endpoints[0].load_balancing_weight: "
            "must be at least 1"},
        BadCase{"EdsWithoutAds", R"pb(name: "x"
                                      type: EDS
                                      eds_cluster_config { eds_config { path: "/x" } })pb",
                "cluster \"x\".eds_cluster_config.eds_config: only `ads: {}` is supported"},
        BadCase{"NegativeTimeout", R"pb(name: "x"
                                        type: STATIC
                                        connect_timeout { seconds: -1 })pb",
                "cluster \"x\".connect_timeout: invalid duration"},
        BadCase{"ChoiceCountOne",
                R"pb(name: "x"
                     type: STATIC
                     lb_policy: LEAST_REQUEST
                     least_request_lb_config { choice_count { value: 1 } })pb",
                "cluster \"x\".least_request_lb_config.choice_count: must be at least 2"},
        BadCase{"OutlierSuccessRate",
                R"pb(name: "x"
                     type: STATIC
                     outlier_detection { success_rate_minimum_hosts { value: 3 } })pb",
                "cluster \"x\".outlier_detection.success_rate_minimum_hosts: not supported by "
                "strata-proxy"},
        BadCase{"OutlierPercent",
                R"pb(name: "x"
                     type: STATIC
                     outlier_detection { max_ejection_percent { value: 150 } })pb",
                "cluster \"x\".outlier_detection.max_ejection_percent: 150 is not a percentage "
                "(0 to 100)"},
        BadCase{"OutlierZeroInterval",
                R"pb(name: "x"
                     type: STATIC
                     outlier_detection { interval {} })pb",
                "cluster \"x\".outlier_detection.interval: must be positive"},
        BadCase{"OutlierMaxBelowBase",
                R"pb(name: "x"
                     type: STATIC
                     outlier_detection {
                       base_ejection_time { seconds: 60 }
                       max_ejection_time { seconds: 10 }
                     })pb",
                "cluster \"x\".outlier_detection.max_ejection_time: 10s is shorter than "
                "base_ejection_time (1m)"},
        BadCase{"TwoHealthChecks",
                R"pb(name: "x"
                     type: STATIC
                     health_checks {}
                     health_checks {})pb",
                "cluster \"x\".health_checks: at most one health check is supported (got 2)"},
        BadCase{"HealthCheckWithoutInterval",
                R"pb(name: "x"
                     type: STATIC
                     health_checks {
                       timeout { seconds: 1 }
                       unhealthy_threshold { value: 1 }
                       healthy_threshold { value: 1 }
                       http_health_check { path: "/healthz" }
                     })pb",
                "cluster \"x\".health_checks[0].interval: required"},
        BadCase{"TcpHealthCheck",
                R"pb(name: "x"
                     type: STATIC
                     health_checks {
                       timeout { seconds: 1 }
                       interval { seconds: 1 }
                       unhealthy_threshold { value: 1 }
                       healthy_threshold { value: 1 }
                       tcp_health_check {}
                     })pb",
                "cluster \"x\".health_checks[0].tcp_health_check: not supported by strata-proxy"},
        BadCase{"HealthCheckZeroThreshold",
                R"pb(name: "x"
                     type: STATIC
                     health_checks {
                       timeout { seconds: 1 }
                       interval { seconds: 1 }
                       unhealthy_threshold { value: 0 }
                       healthy_threshold { value: 1 }
                       http_health_check { path: "/healthz" }
                     })pb",
                "cluster \"x\".health_checks[0].unhealthy_threshold: must be at least 1"},
        BadCase{"HealthCheckRelativePath",
                R"pb(name: "x"
                     type: STATIC
                     health_checks {
                       timeout { seconds: 1 }
                       interval { seconds: 1 }
                       unhealthy_threshold { value: 1 }
                       healthy_threshold { value: 1 }
                       http_health_check { path: "healthz" }
                     })pb",
                "cluster \"x\".health_checks[0].http_health_check.path: must start with '/'"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace strata::upstream
