#ifndef STRATA_DATAPLANE_SERVER_SERVER_H_
#define STRATA_DATAPLANE_SERVER_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/net/listener.h"
#include "dataplane/server/access_log.h"
#include "dataplane/server/proxy_config.h"
#include "dataplane/server/worker.h"

namespace strata::server {

// The main thread's side of the proxy: owns the workers, opens listening sockets (one per
// worker and listener, SO_REUSEPORT) and hands each new config snapshot to every worker.
// Apply() may be called from any one thread at a time (the xDS client or startup).
//
// Health checking runs on a thread of its own (the health thread): per cluster name, the
// active health checker (`health_checks`) and the outlier detector (`outlier_detection`).
// Apply() creates, updates and removes them before the workers see the new snapshot, which
// carries them (ProxyConfig::cluster_health) to the workers. They are kept while the
// cluster's settings for them stay the same, so host state survives endpoint updates; a
// detector whose settings changed is replaced (its ejections end), a replaced checker leaves
// its verdicts for the new one to revise. Snapshots must not outlive the Server.
class Server {
 public:
  struct Options {
    int concurrency = 1;
    int64_t max_connections = 1 << 20;
  };

  static absl::StatusOr<std::unique_ptr<Server>> Create(Options options);
  ~Server();

  // Serves `config` from now on. Listeners that are new or moved get sockets; if a socket
  // cannot be opened, nothing changes and the error says which listener.
  absl::Status Apply(ProxyConfig config) ABSL_LOCKS_EXCLUDED(mu_);
  // True once every worker runs the latest applied config.
  bool AllWorkersApplied() const ABSL_LOCKS_EXCLUDED(mu_);
  // The bound address of every active listener (port 0 resolved).
  std::map<std::string, net::Address> ListenerAddresses() const ABSL_LOCKS_EXCLUDED(mu_);
  ProxyConfigConstSharedPtr current() const ABSL_LOCKS_EXCLUDED(mu_);

  // Prometheus text of the workers' counters, summed, and of health checking.
  std::string StatsText() const;
  // The current listeners, clusters (with endpoints) and route tables as JSON.
  std::string ConfigDumpJson() const;

  // Stops accepting, lets in-flight requests finish, closes idle keep-alive connections; waits
  // at most `deadline`. Returns true if every connection finished in time.
  bool Drain(absl::Duration deadline);
  // Stops all workers (connections still open are dropped). Health checks go on until the
  // Server is destroyed.
  void Stop();

 private:
  // A cluster's health checking as the health thread keeps it.
  struct HealthEntry {
    upstream::ClusterConstSharedPtr cluster;  // the version whose hosts are watched
    std::shared_ptr<upstream::HealthChecker> health_checker;
    std::shared_ptr<upstream::OutlierDetector> outlier_detector;
  };

  explicit Server(Options options);
  // Runs `fn` on the health thread and waits for it (never call it from that thread).
  void RunOnHealthThread(absl::AnyInvocable<void()> fn) const;
  // Health thread: brings health_ in line with `config` (all or nothing) and returns what the
  // workers need.
  absl::Status UpdateHealth(const ProxyConfig& config,
                            std::map<std::string, ClusterHealth>* cluster_health);
  // Health thread: stops a checker or detector that leaves health_ and keeps its counters.
  void RetireHealthChecker(std::shared_ptr<upstream::HealthChecker>& checker);
  void RetireOutlierDetector(std::shared_ptr<upstream::OutlierDetector>& detector);
  // Health thread: shares an object with the workers; it is destroyed on the health thread
  // whichever thread drops the last reference.
  template <typename T>
  std::shared_ptr<T> ShareWithWorkers(std::unique_ptr<T> object);

  const Options options_;
  net::ConnectionLimit connection_limit_;
  AccessLogWriter access_log_;
  std::vector<std::unique_ptr<Worker>> workers_;
  mutable absl::Mutex mu_;
  ProxyConfigConstSharedPtr current_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, net::Address> bound_ ABSL_GUARDED_BY(mu_);
  uint64_t next_version_ ABSL_GUARDED_BY(mu_) = 1;

  std::shared_ptr<event::Dispatcher> health_dispatcher_;
  std::thread health_thread_;
  // Health thread only.
  absl::flat_hash_map<std::string, HealthEntry> health_;
  upstream::HealthChecker::Stats retired_health_stats_;     // of checkers no longer in use
  upstream::OutlierDetector::Stats retired_outlier_stats_;  // of detectors no longer in use
};

}  // namespace strata::server

#endif  // STRATA_DATAPLANE_SERVER_SERVER_H_
