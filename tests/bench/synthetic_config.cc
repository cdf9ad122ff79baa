#include "tests/bench/synthetic_config.h"

#include <memory>
#include <utility>

#include "absl/strings/str_format.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "tests/controlplane/xds/xds_test_util.h"

namespace strata::bench {
namespace {

using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

std::string ClusterName(int g, int c) { return absl::StrFormat("g%03d-svc-%03d", g, c); }
std::string RouteConfigName(int g) { return absl::StrFormat("g%03d-routes", g); }

// An Envoy-style listener: one filter chain whose HTTP connection manager takes its routes
// from RDS over ADS.
xds::ResourceConstSharedPtr BuildListener(int g) {
  HttpConnectionManager hcm;
  hcm.set_stat_prefix("ingress_http");
  hcm.mutable_rds()->set_route_config_name(RouteConfigName(g));
  hcm.mutable_rds()->mutable_config_source()->mutable_ads();
  hcm.mutable_rds()->mutable_config_source()->set_resource_api_version(envoy::config::core::v3::V3);
  auto* router = hcm.add_http_filters();
  router->set_name("envoy.filters.http.router");
  router->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());

  auto listener = std::make_shared<envoy::config::listener::v3::Listener>();
  listener->set_name(absl::StrFormat("g%03d-http", g));
  auto* address = listener->mutable_address()->mutable_socket_address();
  address->set_address("0.0.0.0");
  address->set_port_value(10000);
  auto* filter = listener->add_filter_chains()->add_filters();
  filter->set_name("envoy.filters.network.http_connection_manager");
  filter->mutable_typed_config()->PackFrom(hcm);
  return xds::MakeResource(xds::ResourceType::kListener, std::move(listener));
}

}  // namespace

std::string GroupName(int g) { return absl::StrFormat("group-%03d", g); }

SyntheticConfig::SyntheticConfig(ConfigShape shape) : shape_(shape) {
  groups_.resize(shape_.groups);
  for (int g = 0; g < shape_.groups; ++g) {
    Group& group = groups_[g];
    group.listener = BuildListener(g);
    group.routes = BuildRoutes(g, 0);
    for (int c = 0; c < shape_.clusters_per_group; ++c) {
      group.clusters.push_back(xds::testing::MakeCluster(ClusterName(g, c)));
      group.endpoints.push_back(BuildEndpoints(g, c, 0));
    }
  }
}

// Route i sends /api/svc-<i>/ to cluster i mod clusters_per_group. Revision r > 0 gives route
// (r - 1) mod routes_per_group a timeout of 15 + r seconds, so every revision differs from the
// one before it.
xds::ResourceConstSharedPtr SyntheticConfig::BuildRoutes(int g, int revision) const {
  auto config = std::make_shared<envoy::config::route::v3::RouteConfiguration>();
  config->set_name(RouteConfigName(g));
  auto* vhost = config->add_virtual_hosts();
  vhost->set_name("services");
  vhost->add_domains(std::string("*"));  // (const char* trips GCC 12 -Wrestrict at -O2)
  const int edited = revision > 0 ? (revision - 1) % shape_.routes_per_group : -1;
  for (int i = 0; i < shape_.routes_per_group; ++i) {
    auto* route = vhost->add_routes();
    route->set_name(absl::StrFormat("svc-%03d", i));
    route->mutable_match()->set_prefix(absl::StrFormat("/api/svc-%03d/", i));
    route->mutable_route()->set_cluster(ClusterName(g, i % shape_.clusters_per_group));
    route->mutable_route()->mutable_timeout()->set_seconds(i == edited ? 15 + revision : 15);
  }
  return xds::MakeResource(xds::ResourceType::kRoute, std::move(config));
}

// Endpoint e of cluster c in group g is 127.<g>.<c>.<e+1>:8080 (addresses only appear in the
// configuration; nothing connects to them). Revision r > 0 moves endpoint (r - 1) mod
// endpoints_per_cluster to port 20000 + r, as if its pod had been replaced.
xds::ResourceConstSharedPtr SyntheticConfig::BuildEndpoints(int g, int c, int revision) const {
  auto cla = std::make_shared<envoy::config::endpoint::v3::ClusterLoadAssignment>();
  cla->set_cluster_name(ClusterName(g, c));
  auto* locality = cla->add_endpoints();
  locality->mutable_locality()->set_zone("zone-a");
  const int edited = revision > 0 ? (revision - 1) % shape_.endpoints_per_cluster : -1;
  for (int e = 0; e < shape_.endpoints_per_cluster; ++e) {
    auto* lb = locality->add_lb_endpoints();
    lb->mutable_load_balancing_weight()->set_value(1);
    auto* address = lb->mutable_endpoint()->mutable_address()->mutable_socket_address();
    address->set_address(absl::StrFormat("127.%d.%d.%d", g % 256, c % 256, e % 254 + 1));
    address->set_port_value(e == edited ? 20000 + revision : 8080);
  }
  return xds::MakeResource(xds::ResourceType::kEndpoint, std::move(cla));
}

absl::StatusOr<xds::SnapshotConstSharedPtr> SyntheticConfig::Snapshot(int g) const {
  const Group& group = groups_[g];
  std::vector<xds::ResourceConstSharedPtr> resources;
  resources.reserve(2 + group.clusters.size() + group.endpoints.size());
  resources.push_back(group.listener);
  resources.push_back(group.routes);
  resources.insert(resources.end(), group.clusters.begin(), group.clusters.end());
  resources.insert(resources.end(), group.endpoints.begin(), group.endpoints.end());
  return xds::Snapshot::Create(std::move(resources));
}

void SyntheticConfig::ChangeEndpoints(int g) {
  Group& group = groups_[g];
  const int c = group.endpoint_edits % shape_.clusters_per_group;
  ++group.endpoint_edits;
  // Cluster c has been edited once per full round over the group's clusters, this one included.
  const int revision = (group.endpoint_edits - 1) / shape_.clusters_per_group + 1;
  group.endpoints[c] = BuildEndpoints(g, c, revision);
}

void SyntheticConfig::ChangeRoute(int g) {
  Group& group = groups_[g];
  group.routes = BuildRoutes(g, ++group.route_edits);
}

}  // namespace strata::bench
