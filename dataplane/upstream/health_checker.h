#ifndef STRATA_DATAPLANE_UPSTREAM_HEALTH_CHECKER_H_
#define STRATA_DATAPLANE_UPSTREAM_HEALTH_CHECKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/upstream/cluster.h"
#include "envoy/config/core/v3/health_check.pb.h"

namespace strata::upstream {

// Settings from an envoy.config.core.v3.HealthCheck with an http_health_check.
struct HealthCheckConfig {
  absl::Duration timeout;
  absl::Duration interval;
  // Used instead of `interval` until traffic is reported (only when configured).
  std::optional<absl::Duration> no_traffic_interval;
  uint32_t unhealthy_threshold = 1;
  uint32_t healthy_threshold = 1;
  std::string path;
  std::string host;  // Host header: http_health_check.host, else the cluster's name
  // Half-open [start, end) ranges; default {[200, 201)}.
  std::vector<std::pair<int64_t, int64_t>> expected_statuses;
  std::vector<std::pair<int64_t, int64_t>> retriable_statuses;
};

// Active HTTP/1.1 health checking of one cluster's hosts, on one dispatcher. Each check opens a
// connection to the host with the cluster's transport (plain TCP, TLS, with a PROXY protocol
// LOCAL header first when the cluster sends PROXY protocol), sends
//   GET <path> HTTP/1.1\r\nHost: <host>\r\nConnection: close\r\n\r\n
// and reads the status line only; the connection is then closed. The next check of a host
// starts `interval` after the previous one ended.
//
// Verdicts (Envoy's semantics):
//  - a status in expected_statuses is a success;
//  - a status outside expected_statuses and retriable_statuses fails the host at once: the
//    unhealthy threshold does not apply (as Envoy documents for HTTP checks);
//  - a retriable status, a timeout, a failed connect, a connection closed before the status
//    line and a malformed status line are failures that count towards unhealthy_threshold.
// A healthy host gets Host::kFailedActiveHealthCheck (through SetHostFlag) after
// unhealthy_threshold failures in a row (or one immediate failure); a failed host loses it
// after healthy_threshold successes in a row.
//
// Hosts start healthy until proven otherwise: a new host serves traffic before its first
// check (unlike Envoy, which holds new hosts back until they pass one), so adding a checker
// never empties a cluster. A host that already carries the flag (from an earlier checker)
// keeps it until it passes healthy_threshold checks. A host removed from the set is no longer
// checked and its flag is left as it is.
//
// Not thread-safe, except ReportTraffic(): everything runs on the dispatcher's thread.
class HealthChecker {
 public:
  struct Stats {
    uint64_t attempts = 0;
    uint64_t successes = 0;
    uint64_t failures = 0;  // all of the kinds below
    uint64_t unexpected_statuses = 0;
    uint64_t retriable_statuses = 0;
    uint64_t timeouts = 0;
    uint64_t connect_failures = 0;
    uint64_t closed_early = 0;   // the connection ended before a status line
    uint64_t bad_responses = 0;  // not an HTTP/1.x status line
  };

  // Validates `config` for a cluster named `cluster_name`: only http_health_check is
  // supported, and every field strata does not implement is an error naming it under `path`.
  static absl::StatusOr<HealthCheckConfig> ParseConfig(
      const envoy::config::core::v3::HealthCheck& config, absl::string_view cluster_name,
      absl::string_view path);
  static absl::StatusOr<std::unique_ptr<HealthChecker>> Create(
      const envoy::config::core::v3::HealthCheck& config, absl::string_view cluster_name,
      event::Dispatcher& dispatcher, absl::string_view path = "health_check");
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // The hosts to check. New hosts get their first check on the next loop iteration; hosts no
  // longer listed stop being checked (a check in flight is abandoned); the others keep their
  // state and schedule.
  void SetHosts(const std::vector<HostSharedPtr>& hosts);
  // How checks connect (the cluster's transport_socket: TLS, PROXY protocol); plain TCP until
  // set. Applies from each host's next check.
  void SetTransport(UpstreamTransportConstSharedPtr transport) {
    transport_ = std::move(transport);
  }
  // Any thread: the cluster has seen traffic, so `interval` applies from each host's next
  // scheduling on instead of no_traffic_interval.
  void ReportTraffic() { traffic_seen_.store(true, std::memory_order_relaxed); }

  const HealthCheckConfig& config() const { return config_; }
  const Stats& stats() const { return stats_; }
  // The request each check sends.
  const std::string& request() const { return request_; }

 private:
  class Session;
  enum class Outcome {
    kSuccess,
    kUnexpectedStatus,
    kRetriableStatus,
    kTimeout,
    kConnectFailed,
    kClosedEarly,
    kBadResponse,
  };

  HealthChecker(HealthCheckConfig config, event::Dispatcher& dispatcher);
  absl::Duration NextInterval() const;
  Outcome Classify(int status) const;
  void Record(Session& session, Outcome outcome);

  const HealthCheckConfig config_;
  event::Dispatcher& dispatcher_;
  const std::string request_;
  std::atomic<bool> traffic_seen_{false};
  UpstreamTransportConstSharedPtr transport_ = UpstreamTransport::Plain();
  absl::flat_hash_map<const Host*, std::unique_ptr<Session>> sessions_;
  Stats stats_;
};

}  // namespace strata::upstream

#endif  // STRATA_DATAPLANE_UPSTREAM_HEALTH_CHECKER_H_
