#include "controlplane/translate/service_endpoints.h"

#include <arpa/inet.h>
#include <netinet/in.h>

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
#include "envoy/config/core/v3/health_check.pb.h"
#include "envoy/config/endpoint/v3/endpoint_components.pb.h"

namespace strata::translate {
namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::config::core::v3::ConfigSource;
using envoy::config::endpoint::v3::ClusterLoadAssignment;

constexpr int64_t kConnectTimeoutSeconds = 5;
constexpr uint32_t kMaxPort = 65535;

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

std::string SliceRef(const source::EndpointSlice& slice) {
  return absl::StrCat("EndpointSlice ", slice.namespace_, "/", slice.name);
}

}  // namespace

bool IsTcp(const std::string& protocol) { return protocol.empty() || protocol == "TCP"; }

ConfigSource AdsConfigSource() {
  ConfigSource source;
  source.mutable_ads();
  source.set_resource_api_version(envoy::config::core::v3::ApiVersion::V3);
  return source;
}

Cluster MakeEdsCluster(const std::string& name) {
  Cluster cluster;
  cluster.set_name(name);
  cluster.set_type(Cluster::EDS);
  auto* eds = cluster.mutable_eds_cluster_config();
  *eds->mutable_eds_config() = AdsConfigSource();
  eds->set_service_name(name);
  cluster.set_lb_policy(Cluster::ROUND_ROBIN);
  cluster.mutable_connect_timeout()->set_seconds(kConnectTimeoutSeconds);
  return cluster;
}

SliceIndex::SliceIndex(const source::ClusterState& state) {
  for (const auto& [key, slice] : state.endpoint_slices) {
    if (slice.service_name.empty()) continue;
    by_service_[{slice.namespace_, slice.service_name}].push_back(&slice);
  }
}

std::vector<UsableSlice> SliceIndex::Usable(const std::string& namespace_,
                                            const std::string& service,
                                            std::vector<std::string>& warnings) const {
  std::vector<UsableSlice> usable;
  auto it = by_service_.find({namespace_, service});
  if (it == by_service_.end()) return usable;
  for (const source::EndpointSlice* slice : it->second) {
    if (slice->address_type == "FQDN") {
      warnings.push_back(
          absl::StrCat(SliceRef(*slice),
                       ": address type FQDN is not supported (IP addresses are needed); "
                       "skipped"));
      continue;
    }
    if (slice->address_type != "IPv4" && slice->address_type != "IPv6") {
      warnings.push_back(absl::StrCat(SliceRef(*slice), ": unknown address type \"",
                                      slice->address_type, "\"; skipped"));
      continue;
    }
    UsableSlice entry{slice, {}, {}};
    for (const source::Endpoint& endpoint : slice->endpoints) {
      std::vector<UsableSlice::Address>& list =
          endpoint.conditions.ready ? entry.ready : entry.not_ready;
      for (const std::string& address : endpoint.addresses) {
        std::optional<std::string> ip = CanonicalIp(address, slice->address_type);
        if (!ip.has_value()) {
          warnings.push_back(absl::StrCat(SliceRef(*slice), ": address \"", address,
                                          "\" is not an ", slice->address_type,
                                          " address; skipped"));
          continue;
        }
        list.push_back(UsableSlice::Address{*std::move(ip), endpoint.zone});
      }
    }
    usable.push_back(std::move(entry));
  }
  return usable;
}

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

ClusterLoadAssignment MakeLoadAssignment(const std::string& cluster_name,
                                         const source::ServicePort& service_port,
                                         const std::vector<UsableSlice>& slices,
                                         std::vector<std::string>& warnings) {
  // Ordered by address, port, zone: the first entry of an address:port keeps it, so a
  // (malformed) duplicate in two zones resolves the same way whatever the input order.
  std::set<std::tuple<std::string, uint32_t, std::string>> found;
  for (const UsableSlice& usable : slices) {
    std::optional<uint32_t> port = ResolveSlicePort(*usable.slice, service_port, warnings);
    if (!port.has_value()) continue;
    for (const UsableSlice::Address& ready : usable.ready) {
      found.emplace(ready.ip, *port, ready.zone);
    }
  }
  std::map<std::string, std::vector<std::pair<std::string, uint32_t>>> by_zone;
  std::optional<std::pair<std::string, uint32_t>> previous;
  for (const auto& [address, port, zone] : found) {
    if (previous.has_value() && previous->first == address && previous->second == port) continue;
    previous.emplace(address, port);
    by_zone[zone].emplace_back(address, port);
  }

  ClusterLoadAssignment assignment;
  assignment.set_cluster_name(cluster_name);
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

}  // namespace strata::translate
