#ifndef STRATA_DATAPLANE_SERVER_WORKER_H_
#define STRATA_DATAPLANE_SERVER_WORKER_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/http/server_session.h"
#include "dataplane/http/worker_context.h"
#include "dataplane/net/listener.h"
#include "dataplane/server/access_log.h"
#include "dataplane/server/proxy_config.h"
#include "dataplane/server/proxy_protocol_reader.h"
#include "dataplane/upstream/conn_pool.h"

namespace strata::server {

// One worker thread: an event loop with its own listening sockets (SO_REUSEPORT), its
// downstream sessions, upstream connection pools and load balancers. The main thread talks to
// it only by posting: a new config, a drain, a stop. Nothing here takes a lock another worker
// can hold.
class Worker final : public http::WorkerContext {
 public:
  struct Options {
    int index = 0;
    net::ConnectionLimit* connection_limit = nullptr;  // shared by all workers; may be null
    AccessLogWriter* access_log = nullptr;
  };

  static absl::StatusOr<std::unique_ptr<Worker>> Create(Options options);
  ~Worker() override;

  void Start();
  // Main thread: serve `config`. `listen_fds` holds this worker's socket for every listener
  // of the config that is new (or moved to another address); the worker takes ownership.
  void ApplyConfig(ProxyConfigConstSharedPtr config, std::map<std::string, int> listen_fds);
  // Main thread: stop accepting; close idle connections; busy ones close after their
  // response. `on_drained` runs on this worker's thread once no connection is left.
  void Drain(absl::AnyInvocable<void()> on_drained);
  // Main thread: ends the loop and joins the thread (open connections are dropped).
  void Stop();

  const http::HttpStats& http_stats() const { return stats_; }
  int64_t active_sessions() const { return active_sessions_.load(std::memory_order_relaxed); }
  // Bumped when the worker has applied a config (main waits for it in tests and /ready).
  uint64_t applied_version() const { return applied_version_.load(std::memory_order_acquire); }

  // http::WorkerContext
  event::Dispatcher& dispatcher() override { return *dispatcher_; }
  upstream::FastRandom& random() override { return random_; }
  http::HttpStats& stats() override { return stats_; }
  upstream::ConnPool& conn_pool() override { return pool_; }
  http::RequestParserPool& parser_pool() override { return parser_pool_; }
  http::RequestConfigSharedPtr config() override { return request_config_; }
  http::WorkerCluster* FindCluster(absl::string_view name) override;
  void AccessLog(absl::string_view path, std::string line) override;
  void OnSessionClosed(http::ServerSession* session) override;
  bool draining() const override { return draining_; }

 private:
  struct ActiveListener {
    ListenerConfigConstSharedPtr config;
    std::unique_ptr<net::Listener> listener;
  };

  Worker(Options options, std::unique_ptr<event::Dispatcher> dispatcher);
  void DoApplyConfig(const ProxyConfigConstSharedPtr& config,
                     const std::map<std::string, int>& listen_fds);
  void OnAccept(const std::string& listener_name, int fd, const net::Address& peer,
                const net::Address& local);
  // After the listener filters: picks the filter chain and transport and starts the HTTP
  // session. `direct_peer` is the TCP peer, `source` the client (from PROXY protocol).
  void StartSession(const ListenerConfigConstSharedPtr& config, int fd,
                    const net::Address& direct_peer, const net::Address& source,
                    const net::Address& local);
  void FlushAccessLog();
  void CheckDrained();

  const Options options_;
  std::unique_ptr<event::Dispatcher> dispatcher_;
  std::thread thread_;
  upstream::FastRandom random_;
  http::HttpStats stats_;
  upstream::ConnPool pool_;
  http::RequestParserPool parser_pool_;
  ProxyConfigConstSharedPtr config_;
  http::RequestConfigSharedPtr request_config_;
  absl::flat_hash_map<std::string, http::WorkerCluster> clusters_;
  std::map<std::string, ActiveListener> listeners_;
  absl::flat_hash_map<http::ServerSession*, std::unique_ptr<http::ServerSession>> sessions_;
  absl::flat_hash_map<ProxyProtocolReader*, std::unique_ptr<ProxyProtocolReader>> readers_;
  std::atomic<int64_t> active_sessions_{0};
  std::atomic<uint64_t> applied_version_{0};
  bool draining_ = false;
  absl::AnyInvocable<void()> on_drained_;
  // Access-log lines batched per path, handed to the writer thread by a timer.
  std::map<std::string, std::string> log_batches_;
  std::unique_ptr<event::Timer> log_timer_;
};

}  // namespace strata::server

#endif  // STRATA_DATAPLANE_SERVER_WORKER_H_
