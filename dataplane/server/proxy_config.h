#ifndef STRATA_DATAPLANE_SERVER_PROXY_CONFIG_H_
#define STRATA_DATAPLANE_SERVER_PROXY_CONFIG_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/http/hcm_config.h"
#include "dataplane/net/address.h"
#include "dataplane/router/route_table.h"
#include "dataplane/upstream/cluster.h"
#include "envoy/config/listener/v3/listener.pb.h"

namespace strata::server {

// One listener, validated: an address and its HTTP connection manager.
struct ListenerConfig {
  std::string name;
  net::Address address;
  http::HcmConfigConstSharedPtr hcm;
  uint32_t per_connection_buffer_limit = 1024 * 1024;
  envoy::config::listener::v3::Listener proto;  // as received, for /config_dump

  static absl::StatusOr<std::shared_ptr<const ListenerConfig>> Create(
      const envoy::config::listener::v3::Listener& proto);
  // Same socket, same behaviour: a listener update that changes nothing keeps its sockets.
  bool SameAddress(const ListenerConfig& other) const { return address == other.address; }
};
using ListenerConfigConstSharedPtr = std::shared_ptr<const ListenerConfig>;

// Everything workers serve from, immutable once built. A new one replaces the old as a whole
// (read-copy-update); requests in flight keep the one they started with.
struct ProxyConfig {
  std::map<std::string, ListenerConfigConstSharedPtr> listeners;
  std::map<std::string, router::RouteTableConstSharedPtr> route_tables;
  std::map<std::string, upstream::ClusterConstSharedPtr> clusters;
  uint64_t version = 0;  // increases with every new config
};
using ProxyConfigConstSharedPtr = std::shared_ptr<const ProxyConfig>;

}  // namespace strata::server

#endif  // STRATA_DATAPLANE_SERVER_PROXY_CONFIG_H_
