#ifndef STRATA_DATAPLANE_SERVER_PROXY_CONFIG_H_
#define STRATA_DATAPLANE_SERVER_PROXY_CONFIG_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dataplane/http/hcm_config.h"
#include "dataplane/net/address.h"
#include "dataplane/router/route_table.h"
#include "dataplane/server/tls_config.h"
#include "dataplane/tls/tls_context.h"
#include "dataplane/upstream/cluster.h"
#include "dataplane/upstream/health_checker.h"
#include "dataplane/upstream/outlier_detector.h"
#include "envoy/config/listener/v3/listener.pb.h"

namespace strata::server {

// One filter chain: which connections it takes, and the HTTP layer that serves them.
struct FilterChainConfig {
  std::string name;
  std::vector<std::string> server_names;             // lower case; "*.example.com" allowed
  std::vector<net::CidrRange> direct_source_ranges;  // the TCP peer (before PROXY protocol)
  std::vector<net::CidrRange> source_ranges;         // the client (after PROXY protocol)
  http::HcmConfigConstSharedPtr hcm;
  std::string sds_secret;  // TLS certificate from SDS (empty: inline or plain)
};

// One listener, validated: an address, optional listener filters (PROXY protocol), and its
// filter chains, either all TLS (one certificate per chain, picked by SNI) or all plain.
struct ListenerConfig {
  std::string name;
  net::Address address;
  uint32_t per_connection_buffer_limit = 1024 * 1024;
  std::vector<FilterChainConfig> chains;
  bool tls = false;
  std::shared_ptr<const tls::ServerTlsContext> tls_context;  // set when tls and warm
  std::vector<std::string> missing_secrets;                  // SDS secrets not received yet
  std::set<std::string> secret_names;                        // SDS secrets it uses
  bool proxy_protocol = false;                               // the PROXY protocol listener filter
  bool allow_without_proxy_protocol = false;
  absl::Duration listener_filters_timeout = absl::Seconds(15);
  envoy::config::listener::v3::Listener proto;  // as received, for /config_dump

  // `secrets`: SDS secrets known now. `previous`: the version this one replaces, whose TLS
  // session ticket keys carry over (resumption survives a certificate rotation).
  static absl::StatusOr<std::shared_ptr<const ListenerConfig>> Create(
      const envoy::config::listener::v3::Listener& proto, const SecretMap& secrets = {},
      const ListenerConfig* previous = nullptr);

  // Ready to serve: every secret it needs is known.
  bool Warm() const { return missing_secrets.empty(); }
  // Same socket, same behaviour: a listener update that changes nothing keeps its sockets.
  bool SameAddress(const ListenerConfig& other) const { return address == other.address; }
  // Whether some chain could take a connection from these addresses (SNI not known yet).
  bool AnyChainFor(const net::Address& direct_peer, const net::Address& source) const;
  // The chain for a connection, or null (the connection is closed): among chains whose
  // source conditions hold, the best server-name match (exact, then the longest
  // "*.suffix", then chains without names); within those, chains with address ranges
  // before chains without.
  const FilterChainConfig* SelectChain(const net::Address& direct_peer, const net::Address& source,
                                       absl::string_view server_name) const;
};
using ListenerConfigConstSharedPtr = std::shared_ptr<const ListenerConfig>;

// The health checking of one cluster, run by the Server on its health thread and shared with
// the workers, which report request outcomes and traffic to it.
struct ClusterHealth {
  std::shared_ptr<upstream::OutlierDetector> outlier_detector;  // null: no outlier_detection
  std::shared_ptr<upstream::HealthChecker> health_checker;      // null: no health_checks
};

// Everything workers serve from, immutable once built. A new one replaces the old as a whole
// (read-copy-update); requests in flight keep the one they started with.
struct ProxyConfig {
  std::map<std::string, ListenerConfigConstSharedPtr> listeners;
  std::map<std::string, router::RouteTableConstSharedPtr> route_tables;
  std::map<std::string, upstream::ClusterConstSharedPtr> clusters;
  // Set by Server::Apply for the clusters with health checking.
  std::map<std::string, ClusterHealth> cluster_health;
  uint64_t version = 0;  // increases with every new config
};
using ProxyConfigConstSharedPtr = std::shared_ptr<const ProxyConfig>;

}  // namespace strata::server

#endif  // STRATA_DATAPLANE_SERVER_PROXY_CONFIG_H_
