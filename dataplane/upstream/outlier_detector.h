#ifndef STRATA_DATAPLANE_UPSTREAM_OUTLIER_DETECTOR_H_
#define STRATA_DATAPLANE_UPSTREAM_OUTLIER_DETECTOR_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/upstream/cluster.h"
#include "dataplane/upstream/load_balancer.h"
#include "envoy/config/cluster/v3/outlier_detection.pb.h"

namespace strata::upstream {

// Settings from envoy.config.cluster.v3.OutlierDetection, with Envoy's defaults. A threshold of
// 0 turns that detector off. `enforcing_*` is the chance (percent) that a detected outlier is
// actually ejected.
struct OutlierConfig {
  uint32_t consecutive_5xx = 5;
  uint32_t consecutive_gateway_failure = 5;
  uint32_t consecutive_local_origin_failure = 5;
  uint32_t enforcing_consecutive_5xx = 100;
  uint32_t enforcing_consecutive_gateway_failure = 0;
  uint32_t enforcing_consecutive_local_origin_failure = 100;
  bool split_external_local_origin_errors = false;
  absl::Duration interval = absl::Seconds(10);
  absl::Duration base_ejection_time = absl::Seconds(30);
  // Default: the larger of 300 s and base_ejection_time.
  absl::Duration max_ejection_time = absl::Seconds(300);
  uint32_t max_ejection_percent = 10;
  bool always_eject_one_host = false;
};

// Passive health checking for one cluster: ejects hosts whose recent requests failed in a row,
// by setting Host::kOutlierEjected (through SetHostFlag, so load balancers notice).
//
// Detection (Envoy's consecutive_5xx, consecutive_gateway_failure and
// consecutive_local_origin_failure):
//  - every 5xx response counts towards consecutive_5xx; 502/503/504 also count towards
//    consecutive_gateway_failure, and any other 5xx resets that counter; a non-5xx response
//    resets both;
//  - local-origin failures (connect failure, timeout, reset) count, unless
//    split_external_local_origin_errors is set, as a 503 (504 for a timeout): towards both
//    counters above; kConnectSuccess is then ignored;
//  - with split_external_local_origin_errors they count towards consecutive_local_origin_failure
//    only, and kConnectSuccess or any response resets that counter.
// When a counter reaches its threshold, the ejection is decided on the dispatcher thread: the
// counter is reset; a host that is already ejected stays as it is; otherwise, with chance
// enforcing_* percent, the host is ejected unless that would eject more than
// max_ejection_percent of the hosts (rounded down; yet one host may always be ejected when the
// percentage is not 0, or when always_eject_one_host is set).
//
// Ejection time: base_ejection_time × the host's ejection multiplier, at most
// max_ejection_time. The multiplier grows by one on each ejection (until the product reaches
// max_ejection_time) and shrinks by one on each interval check that finds the host serving
// again for at least one interval, so a host that keeps failing is ejected for longer and
// longer, and one that recovered is forgiven over time. Hosts are un-ejected (and their
// counters reset) by the check that runs every `interval` on the dispatcher, so an ejection
// lasts up to one interval longer than its ejection time.
//
// Threading: RecordResult() may be called from any thread; it uses only atomics (the host
// table is read under a two-counter grace period, so SetHosts() never blocks workers and
// workers never lock). Reaching a threshold posts one callback to the dispatcher. Everything
// else runs on the dispatcher's thread. Destroy the detector on that thread, after every
// worker has stopped calling RecordResult().
class OutlierDetector {
 public:
  enum class ResultKind {
    kSuccess,         // a response with a status below 500
    kServerError,     // a 5xx response other than 502, 503, 504
    kGatewayError,    // a 502, 503 or 504 response
    kConnectFailed,   // local origin: the connection could not be established
    kTimeout,         // local origin: no response in time
    kReset,           // local origin: the connection broke before a complete response
    kConnectSuccess,  // local origin: the connection was established
  };
  enum class EjectionType { kConsecutive5xx, kConsecutiveGatewayFailure, kLocalOriginFailure };

  // Counters; read on the dispatcher thread.
  struct Stats {
    uint64_t ejections_active = 0;
    uint64_t ejections_enforced_total = 0;
    uint64_t ejections_enforced_consecutive_5xx = 0;
    uint64_t ejections_enforced_consecutive_gateway_failure = 0;
    uint64_t ejections_enforced_consecutive_local_origin_failure = 0;
    uint64_t ejections_detected_consecutive_5xx = 0;
    uint64_t ejections_detected_consecutive_gateway_failure = 0;
    uint64_t ejections_detected_consecutive_local_origin_failure = 0;
    // Ejections not done because max_ejection_percent was reached.
    uint64_t ejections_overflow = 0;
  };

  // The kind for an HTTP response status.
  static ResultKind ResultKindForStatus(int status);

  // Validates `config`: every field strata does not implement (success rate, failure
  // percentage, jitter, monitors, ...) is an error naming it under `path`.
  static absl::StatusOr<OutlierConfig> ParseConfig(
      const envoy::config::cluster::v3::OutlierDetection& config, absl::string_view path);
  // A detector whose interval check runs on `dispatcher` (which must outlive it). `random_seed`
  // drives the enforcing_* percentages.
  static absl::StatusOr<std::unique_ptr<OutlierDetector>> Create(
      const envoy::config::cluster::v3::OutlierDetection& config, event::Dispatcher& dispatcher,
      absl::string_view path = "outlier_detection", uint64_t random_seed = 0x5eed);
  ~OutlierDetector();
  OutlierDetector(const OutlierDetector&) = delete;
  OutlierDetector& operator=(const OutlierDetector&) = delete;

  // Dispatcher thread. The hosts to watch (the cluster's current hosts). State carries over for
  // hosts already watched; a host no longer in the set forgets its state and, if it was
  // ejected, has kOutlierEjected cleared.
  void SetHosts(const std::vector<HostSharedPtr>& hosts);

  // Any thread. Results for hosts not in the set are ignored.
  void RecordResult(Host& host, ResultKind result);

  const OutlierConfig& config() const { return config_; }
  // Dispatcher thread.
  const Stats& stats() const { return stats_; }
  // Dispatcher thread: the host's ejection multiplier (0 when never ejected or forgiven).
  uint32_t EjectionMultiplier(const Host& host) const;
  // Dispatcher thread: host tables replaced by SetHosts() and not yet freed.
  size_t PendingTablesForTest() const { return retired_.size() + grace_.size(); }
  // Any thread: holds a reader section open, as a worker inside RecordResult() would, until
  // the returned object is destroyed.
  std::shared_ptr<void> HoldReaderForTest();

 private:
  struct Monitor;
  struct Table;
  class ReadGuard;
  struct alignas(64) ReaderCount {
    std::atomic<int64_t> value{0};
  };

  OutlierDetector(const OutlierConfig& config, event::Dispatcher& dispatcher, uint64_t random_seed);
  void Trigger(const std::shared_ptr<Monitor>& monitor, EjectionType type);
  void OnThresholdReached(Monitor& monitor, EjectionType type);
  void OnInterval();
  void Uneject(Monitor& monitor);
  size_t AllowedEjections(size_t hosts) const;
  void Reclaim();

  const OutlierConfig config_;
  event::Dispatcher& dispatcher_;
  std::unique_ptr<event::Timer> interval_timer_;
  // Lets callbacks posted by workers find out, on the dispatcher thread, whether the detector
  // still exists.
  std::shared_ptr<OutlierDetector*> self_;

  // Read by every worker; replaced on the dispatcher thread.
  std::atomic<const Table*> table_{nullptr};
  std::atomic<uint32_t> epoch_{0};
  ReaderCount readers_[2];

  // Dispatcher thread only.
  std::vector<const Table*> retired_;  // replaced, waiting for a grace period to start
  std::vector<const Table*> grace_;    // waiting for both reader counts to be seen at zero
  bool seen_zero_[2] = {false, false};
  FastRandom random_;
  Stats stats_;
};

}  // namespace strata::upstream

#endif  // STRATA_DATAPLANE_UPSTREAM_OUTLIER_DETECTOR_H_
