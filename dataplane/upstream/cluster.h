#ifndef STRATA_DATAPLANE_UPSTREAM_CLUSTER_H_
#define STRATA_DATAPLANE_UPSTREAM_CLUSTER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dataplane/net/address.h"
#include "dataplane/upstream/upstream_transport.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"

namespace strata::upstream {

// One upstream endpoint. Shared by every worker and carried over across cluster updates while
// its address stays, so health-check and outlier state survive an EDS push. Mutable state is
// atomic: workers never lock to read it.
class Host {
 public:
  enum Flag : uint32_t {
    kFailedActiveHealthCheck = 1u << 0,
    kOutlierEjected = 1u << 1,
  };

  Host(const net::Address& address, uint32_t weight, bool eds_healthy)
      : address_(address), weight_(weight), eds_healthy_(eds_healthy) {}

  const net::Address& address() const { return address_; }
  uint32_t weight() const { return weight_; }
  // Healthy per EDS and not failed by an active health check nor ejected as an outlier.
  bool Healthy() const { return eds_healthy_ && flags_.load(std::memory_order_relaxed) == 0; }
  bool eds_healthy() const { return eds_healthy_; }
  uint32_t flags() const { return flags_.load(std::memory_order_relaxed); }
  void SetFlag(Flag flag) { flags_.fetch_or(flag, std::memory_order_relaxed); }
  void ClearFlag(Flag flag) {
    flags_.fetch_and(~static_cast<uint32_t>(flag), std::memory_order_relaxed);
  }

  // Requests in flight to this host from every worker (least-request balancing).
  std::atomic<uint32_t>& active_requests() const { return active_requests_; }

 private:
  const net::Address address_;
  const uint32_t weight_;
  const bool eds_healthy_;
  std::atomic<uint32_t> flags_{0};
  mutable std::atomic<uint32_t> active_requests_{0};
};
using HostSharedPtr = std::shared_ptr<Host>;

enum class LbPolicy { kRoundRobin, kLeastRequest, kRandom };

struct CircuitBreakers {
  uint32_t max_connections = 1024;
  uint32_t max_pending_requests = 1024;
  uint32_t max_requests = 1024;
  uint32_t max_retries = 3;
};

// Parsed `outlier_detection` and `health_checks[0]` (outlier_detector.h, health_checker.h).
struct OutlierConfig;
struct HealthCheckConfig;

class Cluster;
using ClusterConstSharedPtr = std::shared_ptr<const Cluster>;

// An immutable upstream cluster: settings from a CDS Cluster (or a static one) and hosts from
// its ClusterLoadAssignment (inline `load_assignment`, or from EDS).
class Cluster {
 public:
  // Validates `config` (every field strata does not implement is an error naming it). For an
  // EDS cluster `assignment` is the CLA received for it (null: no endpoints yet); for a
  // STATIC cluster it must be null (the inline load_assignment is used). Hosts of `previous`
  // with the same address and weight are reused so their health state carries over.
  static absl::StatusOr<ClusterConstSharedPtr> Create(
      const envoy::config::cluster::v3::Cluster& config,
      const envoy::config::endpoint::v3::ClusterLoadAssignment* assignment,
      const Cluster* previous = nullptr);

  // Validates a ClusterLoadAssignment on its own (for an EDS response before it is used).
  static absl::Status ValidateAssignment(
      const envoy::config::endpoint::v3::ClusterLoadAssignment& assignment, absl::string_view path);

  const std::string& name() const { return name_; }
  bool is_eds() const { return is_eds_; }
  // The EDS resource name: eds_cluster_config.service_name, else the cluster's name.
  const std::string& eds_service_name() const { return eds_service_name_; }
  LbPolicy lb_policy() const { return lb_policy_; }
  uint32_t choice_count() const { return choice_count_; }
  // Below this share of healthy hosts (percent), balance across all hosts (Envoy's panic mode).
  double healthy_panic_threshold() const { return healthy_panic_threshold_; }
  absl::Duration connect_timeout() const { return connect_timeout_; }
  uint32_t per_connection_buffer_limit() const { return per_connection_buffer_limit_; }
  const CircuitBreakers& circuit_breakers() const { return circuit_breakers_; }
  // How connections to the hosts are made (`transport_socket`): plain, TLS, PROXY protocol.
  const UpstreamTransportConstSharedPtr& transport() const { return transport_; }
  const std::vector<HostSharedPtr>& hosts() const { return hosts_; }
  // Passive health checking (`outlier_detection`), or null when not configured.
  const OutlierConfig* outlier_config() const { return outlier_config_.get(); }
  // Active health checking (the one entry of `health_checks`), or null when not configured.
  const HealthCheckConfig* health_check_config() const { return health_check_config_.get(); }
  const envoy::config::cluster::v3::Cluster& config() const { return config_; }
  const envoy::config::endpoint::v3::ClusterLoadAssignment& assignment() const {
    return assignment_;
  }

 private:
  Cluster() = default;

  std::string name_;
  bool is_eds_ = false;
  std::string eds_service_name_;
  LbPolicy lb_policy_ = LbPolicy::kRoundRobin;
  uint32_t choice_count_ = 2;
  double healthy_panic_threshold_ = 50.0;
  absl::Duration connect_timeout_ = absl::Seconds(5);
  uint32_t per_connection_buffer_limit_ = 1024 * 1024;
  CircuitBreakers circuit_breakers_;
  UpstreamTransportConstSharedPtr transport_;
  std::vector<HostSharedPtr> hosts_;
  std::shared_ptr<const OutlierConfig> outlier_config_;
  std::shared_ptr<const HealthCheckConfig> health_check_config_;
  envoy::config::cluster::v3::Cluster config_;
  envoy::config::endpoint::v3::ClusterLoadAssignment assignment_;
};

}  // namespace strata::upstream

#endif  // STRATA_DATAPLANE_UPSTREAM_CLUSTER_H_
