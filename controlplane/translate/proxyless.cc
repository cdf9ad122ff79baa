#include "controlplane/translate/proxyless.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/source/names.h"
#include "controlplane/translate/service_endpoints.h"
#include "envoy/config/listener/v3/api_listener.pb.h"
#include "envoy/config/route/v3/route_components.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"

namespace strata::translate {
namespace {

using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using envoy::extensions::filters::http::router::v3::Router;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

constexpr uint32_t kMaxPort = 65535;

Listener MakeListener(const std::string& name, const std::string& canonical) {
  HttpConnectionManager hcm;
  hcm.set_stat_prefix(canonical);
  auto* rds = hcm.mutable_rds();
  *rds->mutable_config_source() = AdsConfigSource();
  rds->set_route_config_name(canonical);
  auto* router = hcm.add_http_filters();
  router->set_name(kRouterFilterName);
  router->mutable_typed_config()->PackFrom(Router());

  Listener listener;
  listener.set_name(name);
  listener.mutable_api_listener()->mutable_api_listener()->PackFrom(hcm);
  return listener;
}

RouteConfiguration MakeRouteConfiguration(const std::vector<std::string>& names,
                                          const std::string& port_suffix) {
  const std::string& canonical = names.front();
  RouteConfiguration route_config;
  route_config.set_name(canonical);
  auto* virtual_host = route_config.add_virtual_hosts();
  virtual_host->set_name(canonical);
  // gRPC matches the target's authority as the client wrote it, with or without the port.
  for (const std::string& name : names) {
    virtual_host->add_domains(name);
    virtual_host->add_domains(name.substr(0, name.size() - port_suffix.size()));
  }
  auto* route = virtual_host->add_routes();
  route->mutable_match()->set_prefix("");
  route->mutable_route()->set_cluster(canonical);
  return route_config;
}

}  // namespace

std::string CanonicalName(const std::string& service, const std::string& namespace_,
                          uint32_t port) {
  return absl::StrCat(service, ".", namespace_, ".svc.cluster.local:", port);
}

std::vector<std::string> ListenerNames(const std::string& service, const std::string& namespace_,
                                       uint32_t port) {
  return {
      CanonicalName(service, namespace_, port),
      absl::StrCat(service, ".", namespace_, ".svc:", port),
      absl::StrCat(service, ".", namespace_, ":", port),
  };
}

XdsResources TranslateProxyless(const source::ClusterState& state) {
  XdsResources out;

  const SliceIndex slices_by_service(state);

  std::set<std::string> emitted;  // canonical names
  for (const auto& [key, service] : state.services) {
    const std::string service_ref = absl::StrCat("Service ", service.namespace_, "/", service.name);
    if (service.type == "ExternalName") {
      out.warnings.push_back(absl::StrCat(
          service_ref, ": type ExternalName has no endpoints for proxyless gRPC; skipped"));
      continue;
    }
    if (!source::IsDnsLabel(service.namespace_) || !source::IsDnsLabel(service.name)) {
      out.warnings.push_back(
          absl::StrCat(service_ref, ": namespace or name is not a DNS label; skipped"));
      continue;
    }
    if (service.ports.empty()) {
      out.warnings.push_back(absl::StrCat(service_ref, ": no ports; skipped"));
      continue;
    }

    const std::vector<UsableSlice> slices =
        slices_by_service.Usable(service.namespace_, service.name, out.warnings);

    // Sorted so that which of two clashing ports wins does not depend on manifest order.
    std::vector<const source::ServicePort*> ports;
    for (const source::ServicePort& port : service.ports) ports.push_back(&port);
    std::sort(ports.begin(), ports.end(), [](const auto* a, const auto* b) {
      return std::tie(a->port, a->name, a->protocol) < std::tie(b->port, b->name, b->protocol);
    });

    std::set<uint32_t> seen_ports;
    for (const source::ServicePort* port : ports) {
      const std::string port_ref =
          absl::StrCat(service_ref, " port ", port->port, "/", port->protocol);
      if (!IsTcp(port->protocol)) {
        out.warnings.push_back(
            absl::StrCat(port_ref, ": only TCP is supported by proxyless gRPC; skipped"));
        continue;
      }
      if (port->port == 0 || port->port > kMaxPort) {
        out.warnings.push_back(absl::StrCat(port_ref, ": port out of range; skipped"));
        continue;
      }
      if (!seen_ports.insert(port->port).second) {
        out.warnings.push_back(
            absl::StrCat(port_ref, " (\"", port->name, "\"): duplicate port number; skipped"));
        continue;
      }
      const std::vector<std::string> names =
          ListenerNames(service.name, service.namespace_, port->port);
      const std::string& canonical = names.front();
      if (!emitted.insert(canonical).second) {
        out.warnings.push_back(
            absl::StrCat(port_ref, ": ", canonical, " is already generated; skipped"));
        continue;
      }
      for (const std::string& name : names) out.listeners.push_back(MakeListener(name, canonical));
      out.routes.push_back(MakeRouteConfiguration(names, absl::StrCat(":", port->port)));
      out.clusters.push_back(MakeEdsCluster(canonical));
      out.endpoints.push_back(MakeLoadAssignment(canonical, *port, slices, out.warnings));
    }
  }

  SortResources(out);
  return out;
}

}  // namespace strata::translate
