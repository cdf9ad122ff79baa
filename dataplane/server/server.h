#ifndef STRATA_DATAPLANE_SERVER_SERVER_H_
#define STRATA_DATAPLANE_SERVER_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dataplane/net/listener.h"
#include "dataplane/server/access_log.h"
#include "dataplane/server/proxy_config.h"
#include "dataplane/server/worker.h"

namespace strata::server {

// The main thread's side of the proxy: owns the workers, opens listening sockets (one per
// worker and listener, SO_REUSEPORT) and hands each new config snapshot to every worker.
// Apply() may be called from any one thread at a time (the xDS client or startup).
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

  // Prometheus text of the workers' counters, summed.
  std::string StatsText() const;
  // The current listeners, clusters (with endpoints) and route tables as JSON.
  std::string ConfigDumpJson() const;

  // Stops accepting, lets in-flight requests finish, closes idle keep-alive connections; waits
  // at most `deadline`. Returns true if every connection finished in time.
  bool Drain(absl::Duration deadline);
  // Stops all workers (connections still open are dropped).
  void Stop();

 private:
  explicit Server(Options options);

  const Options options_;
  net::ConnectionLimit connection_limit_;
  AccessLogWriter access_log_;
  std::vector<std::unique_ptr<Worker>> workers_;
  mutable absl::Mutex mu_;
  ProxyConfigConstSharedPtr current_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, net::Address> bound_ ABSL_GUARDED_BY(mu_);
  uint64_t next_version_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace strata::server

#endif  // STRATA_DATAPLANE_SERVER_SERVER_H_
