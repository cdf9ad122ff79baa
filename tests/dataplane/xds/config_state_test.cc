#include "dataplane/xds/config_state.h"

#include <string>

#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace strata::xds {
namespace {

template <typename Proto>
XdsResource Make(const std::string& text, const std::string& version = "1") {
  Proto proto;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &proto)) << text;
  XdsResource r;
  r.version = version;
  r.resource.PackFrom(proto);
  return r;
}

XdsResource ListenerWithRds(const std::string& name, const std::string& rds) {
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
  hcm.mutable_rds()->set_route_config_name(rds);
  hcm.mutable_rds()->mutable_config_source()->mutable_ads();
  auto* filter = hcm.add_http_filters();
  filter->set_name("envoy.filters.http.router");
  filter->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());
  envoy::config::listener::v3::Listener listener;
  listener.set_name(name);
  listener.mutable_address()->mutable_socket_address()->set_address("127.0.0.1");
  listener.mutable_address()->mutable_socket_address()->set_port_value(0);
  auto* f = listener.add_filter_chains()->add_filters();
  f->set_name("hcm");
  f->mutable_typed_config()->PackFrom(hcm);
  XdsResource r;
  r.name = name;
  r.version = "1";
  r.resource.PackFrom(listener);
  return r;
}

const char kRoutes[] = R"pb(name: "routes"
                            virtual_hosts {
                              name: "web"
                              domains: "web.example"
                              routes {
                                match { prefix: "/" }
                                route { cluster: "web" }
                              }
                            })pb";
const char kEdsCluster[] = R"pb(name: "web"
                                type: EDS
                                eds_cluster_config { eds_config { ads {} } })pb";
const char kAssignment[] =
    R"pb(cluster_name: "web"
         endpoints {
           lb_endpoints {
             endpoint { address { socket_address { address: "10.0.0.1" port_value: 80 } } }
           }
         })pb";

using envoy::config::cluster::v3::Cluster;
using envoy::config::endpoint::v3::ClusterLoadAssignment;
using envoy::config::route::v3::RouteConfiguration;

TEST(ConfigStateTest, ListenerWarmsUntilRoutesClustersAndEndpointsArrive) {
  ConfigState state{server::ProxyConfig()};
  ASSERT_TRUE(state.Apply(XdsType::kListener, {ListenerWithRds("http", "routes")}, {}, true).ok());
  EXPECT_TRUE(state.Build().listeners.empty());
  EXPECT_EQ(state.WarmingListeners(), (std::vector<std::string>{"http"}));
  EXPECT_EQ(state.WantedNames(XdsType::kRoute), (std::set<std::string>{"routes"}));

  ASSERT_TRUE(state.Apply(XdsType::kRoute, {Make<RouteConfiguration>(kRoutes)}, {}, true).ok());
  EXPECT_TRUE(state.Build().listeners.empty());  // cluster "web" unknown

  ASSERT_TRUE(state.Apply(XdsType::kCluster, {Make<Cluster>(kEdsCluster)}, {}, true).ok());
  EXPECT_TRUE(state.Build().listeners.empty());  // no endpoints yet
  EXPECT_EQ(state.WantedNames(XdsType::kEndpoint), (std::set<std::string>{"web"}));

  ASSERT_TRUE(
      state.Apply(XdsType::kEndpoint, {Make<ClusterLoadAssignment>(kAssignment)}, {}, true).ok());
  const server::ProxyConfig config = state.Build();
  EXPECT_EQ(config.listeners.count("http"), 1u);
  ASSERT_EQ(config.clusters.count("web"), 1u);
  EXPECT_EQ(config.clusters.at("web")->hosts().size(), 1u);
  EXPECT_TRUE(state.WarmingListeners().empty());
}

TEST(ConfigStateTest, ABadResourceRejectsTheResponseAndKeepsTheLastGoodState) {
  ConfigState state{server::ProxyConfig()};
  ASSERT_TRUE(state.Apply(XdsType::kRoute, {Make<RouteConfiguration>(kRoutes)}, {}, true).ok());
  const auto bad = Make<RouteConfiguration>(
      R"pb(name: "other"
           virtual_hosts {
             name: "v"
             domains: "*"
             routes {
               match { safe_regex { regex: "(" } }
               route { cluster: "c" }
             }
           })pb");
  const absl::Status status =
      state.Apply(XdsType::kRoute, {Make<RouteConfiguration>(kRoutes, "2"), bad}, {}, true);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("other"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("safe_regex"), absl::string_view::npos) << status;
  EXPECT_EQ(state.Versions(XdsType::kRoute).at("routes"), "1");  // unchanged
  EXPECT_EQ(state.Versions(XdsType::kRoute).count("other"), 0u);
}

TEST(ConfigStateTest, StateOfTheWorldRemovesMissingClustersDeltaRemovesNamedOnes) {
  ConfigState state{server::ProxyConfig()};
  const auto a = Make<Cluster>(R"pb(name: "a" type: STATIC)pb");
  const auto b = Make<Cluster>(R"pb(name: "b" type: STATIC)pb");
  ASSERT_TRUE(state.Apply(XdsType::kCluster, {a, b}, {}, true).ok());
  EXPECT_EQ(state.Build().clusters.size(), 2u);
  ASSERT_TRUE(state.Apply(XdsType::kCluster, {a}, {}, true).ok());  // SotW: b is gone
  EXPECT_EQ(state.Build().clusters.count("b"), 0u);
  ASSERT_TRUE(state.Apply(XdsType::kCluster, {b}, {}, false).ok());  // Delta: b added
  EXPECT_EQ(state.Build().clusters.size(), 2u);
  ASSERT_TRUE(state.Apply(XdsType::kCluster, {}, {"a"}, false).ok());  // Delta: a removed
  EXPECT_EQ(state.Build().clusters.count("a"), 0u);
  EXPECT_EQ(state.Build().clusters.count("b"), 1u);
}

TEST(ConfigStateTest, RejectsTypeMismatchesDuplicatesAndStaticNameClashes) {
  server::ProxyConfig static_config;
  envoy::config::cluster::v3::Cluster static_cluster;
  static_cluster.set_name("static");
  static_config.clusters["static"] = *upstream::Cluster::Create(static_cluster, nullptr);
  ConfigState state(std::move(static_config));
  const auto route_as_cluster = Make<RouteConfiguration>(kRoutes);
  EXPECT_EQ(state.Apply(XdsType::kCluster, {route_as_cluster}, {}, true).message(),
            "CDS resource \"\": type_url "
            "type.googleapis.com/envoy.config.route.v3.RouteConfiguration is not "
            "type.googleapis.com/envoy.config.cluster.v3.Cluster");
  const auto a = Make<Cluster>(R"pb(name: "a" type: STATIC)pb");
  EXPECT_EQ(state.Apply(XdsType::kCluster, {a, a}, {}, true).message(),
            "CDS resource \"a\" appears twice in one response");
  EXPECT_EQ(
      state
          .Apply(XdsType::kCluster, {Make<Cluster>(R"pb(name: "static" type: STATIC)pb")}, {}, true)
          .message(),
      "CDS resource \"static\": the bootstrap has a static resource of that name");
}

}  // namespace
}  // namespace strata::xds
