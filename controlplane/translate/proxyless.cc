#include "controlplane/translate/proxyless.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "envoy/config/core/v3/address.pb.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/config/core/v3/config_source.pb.h"
#include "envoy/config/core/v3/health_check.pb.h"
#include "envoy/config/endpoint/v3/endpoint_components.pb.h"
#include "envoy/config/listener/v3/api_listener.pb.h"
#include "envoy/config/route/v3/route_components.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"

namespace strata::translate {
namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::config::core::v3::ConfigSource;
using envoy::config::endpoint::v3::ClusterLoadAssignment;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using envoy::extensions::filters::http::router::v3::Router;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

constexpr int64_t kConnectTimeoutSeconds = 5;
constexpr uint32_t kMaxPort = 65535;

// RFC 1123 label: what Kubernetes accepts for namespace names (Service names are stricter).
// Validating both keeps the generated names unambiguous: no '.' or ':' inside a part.
bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') return false;
  }
  return s.front() != '-' && s.back() != '-';
}

// Kubernetes defaults an absent protocol to TCP.
bool IsTcp(const std::string& protocol) { return protocol.empty() || protocol == "TCP"; }

// The canonical text form of `address` if it is an IP address of the slice's address type.
std::optional<std::string> CanonicalIp(const std::string& address, const std::string& type) {
  const int family = type == "IPv4" ? AF_INET : AF_INET6;
  if (address.find('\0') != std::string::npos) return std::nullopt;
  unsigned char binary[sizeof(in6_addr)];
  if (inet_pton(family, address.c_str(), binary) != 1) return std::nullopt;
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(family, binary, text, sizeof(text)) == nullptr) return std::nullopt;
  return std::string(text);
}

ConfigSource AdsConfigSource() {
  ConfigSource source;
  source.mutable_ads();
  source.set_resource_api_version(envoy::config::core::v3::ApiVersion::V3);
  return source;
}

std::string SliceRef(const source::EndpointSlice& slice) {
  return absl::StrCat("EndpointSlice ", slice.namespace_, "/", slice.name);
}

// A ready endpoint address of one EndpointSlice, already validated.
struct ReadyAddress {
  std::string address;  // canonical IP text
  std::string zone;
};

// An EndpointSlice usable for the proxyless output, with its ready addresses.
struct UsableSlice {
  const source::EndpointSlice* slice;
  std::vector<ReadyAddress> ready;
};

// Validates the slices of one Service once (not once per Service port), keeping the usable
// ones with their ready addresses.
std::vector<UsableSlice> PrepareSlices(const std::vector<const source::EndpointSlice*>& slices,
                                       std::vector<std::string>& warnings) {
  std::vector<UsableSlice> usable;
  for (const source::EndpointSlice* slice : slices) {
    if (slice->address_type == "FQDN") {
      warnings.push_back(absl::StrCat(SliceRef(*slice),
                                      ": address type FQDN is not supported by proxyless gRPC, "
                                      "which needs IP addresses; skipped"));
      continue;
    }
    if (slice->address_type != "IPv4" && slice->address_type != "IPv6") {
      warnings.push_back(absl::StrCat(SliceRef(*slice), ": unknown address type \"",
                                      slice->address_type, "\"; skipped"));
      continue;
    }
    UsableSlice entry{slice, {}};
    for (const source::Endpoint& endpoint : slice->endpoints) {
      if (!endpoint.conditions.ready) continue;  // gRPC only uses HEALTHY/UNKNOWN endpoints
      for (const std::string& address : endpoint.addresses) {
        std::optional<std::string> ip = CanonicalIp(address, slice->address_type);
        if (!ip.has_value()) {
          warnings.push_back(absl::StrCat(SliceRef(*slice), ": address \"", address,
                                          "\" is not an ", slice->address_type,
                                          " address; skipped"));
          continue;
        }
        entry.ready.push_back(ReadyAddress{*std::move(ip), endpoint.zone});
      }
    }
    usable.push_back(std::move(entry));
  }
  return usable;
}

// The port number `slice` gives to `service_port`, or nullopt if the slice has none for it
// (a Pod without the named container port ends up in a slice without that port).
std::optional<uint32_t> ResolveSlicePort(const source::EndpointSlice& slice,
                                         const source::ServicePort& service_port,
                                         std::vector<std::string>& warnings) {
  std::vector<const source::EndpointPort*> matches;
  for (const source::EndpointPort& port : slice.ports) {
    if (port.name == service_port.name && IsTcp(port.protocol)) matches.push_back(&port);
  }
  if (matches.empty() && service_port.name.empty() && slice.ports.size() == 1 &&
      IsTcp(slice.ports.front().protocol)) {
    matches.push_back(&slice.ports.front());
  }
  const std::string port_ref = absl::StrCat(SliceRef(slice), " port \"", service_port.name, "\"");
  if (matches.empty()) return std::nullopt;
  if (matches.size() > 1) {
    warnings.push_back(absl::StrCat(port_ref, ": listed ", matches.size(), " times; skipped"));
    return std::nullopt;
  }
  const std::optional<uint32_t>& number = matches.front()->port;
  if (!number.has_value()) {
    warnings.push_back(absl::StrCat(port_ref, ": no port number; skipped"));
    return std::nullopt;
  }
  if (*number == 0 || *number > kMaxPort) {
    warnings.push_back(absl::StrCat(port_ref, ": port ", *number, " is out of range; skipped"));
    return std::nullopt;
  }
  return number;
}

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

Cluster MakeCluster(const std::string& canonical) {
  Cluster cluster;
  cluster.set_name(canonical);
  cluster.set_type(Cluster::EDS);
  auto* eds = cluster.mutable_eds_cluster_config();
  *eds->mutable_eds_config() = AdsConfigSource();
  eds->set_service_name(canonical);
  cluster.set_lb_policy(Cluster::ROUND_ROBIN);
  cluster.mutable_connect_timeout()->set_seconds(kConnectTimeoutSeconds);
  return cluster;
}

ClusterLoadAssignment MakeLoadAssignment(const std::string& canonical,
                                         const source::ServicePort& service_port,
                                         const std::vector<UsableSlice>& slices,
                                         std::vector<std::string>& warnings) {
  // Ordered by address, port, zone: the first entry of an address:port keeps it, so a
  // (malformed) duplicate in two zones resolves the same way whatever the input order.
  std::set<std::tuple<std::string, uint32_t, std::string>> found;
  for (const UsableSlice& usable : slices) {
    std::optional<uint32_t> port = ResolveSlicePort(*usable.slice, service_port, warnings);
    if (!port.has_value()) continue;
    for (const ReadyAddress& ready : usable.ready) found.emplace(ready.address, *port, ready.zone);
  }
  std::map<std::string, std::vector<std::pair<std::string, uint32_t>>> by_zone;
  std::optional<std::pair<std::string, uint32_t>> previous;
  for (const auto& [address, port, zone] : found) {
    if (previous.has_value() && previous->first == address && previous->second == port) continue;
    previous.emplace(address, port);
    by_zone[zone].emplace_back(address, port);
  }

  ClusterLoadAssignment assignment;
  assignment.set_cluster_name(canonical);
  for (const auto& [zone, addresses] : by_zone) {
    auto* locality = assignment.add_endpoints();
    // Always present, even when empty: gRPC rejects a LocalityLbEndpoints without locality.
    locality->mutable_locality()->set_zone(zone);
    // gRPC skips localities without a weight.
    locality->mutable_load_balancing_weight()->set_value(static_cast<uint32_t>(addresses.size()));
    locality->set_priority(0);
    for (const auto& [address, port] : addresses) {
      auto* lb_endpoint = locality->add_lb_endpoints();
      lb_endpoint->set_health_status(envoy::config::core::v3::HEALTHY);
      auto* socket_address =
          lb_endpoint->mutable_endpoint()->mutable_address()->mutable_socket_address();
      socket_address->set_address(address);
      socket_address->set_port_value(port);
    }
  }
  return assignment;
}

template <typename T>
void SortByName(std::vector<T>& resources) {
  std::sort(resources.begin(), resources.end(),
            [](const T& a, const T& b) { return a.name() < b.name(); });
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

ProxylessResources TranslateProxyless(const source::ClusterState& state) {
  ProxylessResources out;

  // EndpointSlices by the namespace/name of the Service they belong to, ordered by slice key.
  std::map<source::ObjectKey, std::vector<const source::EndpointSlice*>> slices_by_service;
  for (const auto& [key, slice] : state.endpoint_slices) {
    if (slice.service_name.empty()) continue;
    slices_by_service[{slice.namespace_, slice.service_name}].push_back(&slice);
  }

  std::set<std::string> emitted;  // canonical names
  for (const auto& [key, service] : state.services) {
    const std::string service_ref = absl::StrCat("Service ", service.namespace_, "/", service.name);
    if (service.type == "ExternalName") {
      out.warnings.push_back(absl::StrCat(
          service_ref, ": type ExternalName has no endpoints for proxyless gRPC; skipped"));
      continue;
    }
    if (!IsDnsLabel(service.namespace_) || !IsDnsLabel(service.name)) {
      out.warnings.push_back(
          absl::StrCat(service_ref, ": namespace or name is not a DNS label; skipped"));
      continue;
    }
    if (service.ports.empty()) {
      out.warnings.push_back(absl::StrCat(service_ref, ": no ports; skipped"));
      continue;
    }

    std::vector<UsableSlice> slices;
    if (auto it = slices_by_service.find({service.namespace_, service.name});
        it != slices_by_service.end()) {
      slices = PrepareSlices(it->second, out.warnings);
    }

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
      out.clusters.push_back(MakeCluster(canonical));
      out.endpoints.push_back(MakeLoadAssignment(canonical, *port, slices, out.warnings));
    }
  }

  SortByName(out.listeners);
  SortByName(out.routes);
  SortByName(out.clusters);
  std::sort(out.endpoints.begin(), out.endpoints.end(),
            [](const ClusterLoadAssignment& a, const ClusterLoadAssignment& b) {
              return a.cluster_name() < b.cluster_name();
            });
  std::sort(out.warnings.begin(), out.warnings.end());
  out.warnings.erase(std::unique(out.warnings.begin(), out.warnings.end()), out.warnings.end());
  return out;
}

}  // namespace strata::translate
