#ifndef STRATA_DATAPLANE_HTTP_WORKER_CONTEXT_H_
#define STRATA_DATAPLANE_HTTP_WORKER_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/http/http1_parser.h"
#include "dataplane/router/route_table.h"
#include "dataplane/upstream/cluster.h"
#include "dataplane/upstream/conn_pool.h"
#include "dataplane/upstream/health_checker.h"
#include "dataplane/upstream/load_balancer.h"
#include "dataplane/upstream/outlier_detector.h"

namespace strata::http {

class ServerSession;

// A counter written by one worker and read by the admin thread: a relaxed load and store, no
// locked instruction on the hot path.
class WorkerCounter {
 public:
  void Inc(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Per-worker HTTP counters, summed over workers by /stats.
struct HttpStats {
  WorkerCounter downstream_cx_total;
  WorkerCounter downstream_rq_total;
  WorkerCounter downstream_rq_2xx;
  WorkerCounter downstream_rq_3xx;
  WorkerCounter downstream_rq_4xx;
  WorkerCounter downstream_rq_5xx;
  WorkerCounter downstream_rq_rejected;  // 400/431/501 from the parser
  WorkerCounter downstream_rq_no_route;  // 404 without an upstream
  WorkerCounter downstream_rq_header_timeout;
  WorkerCounter downstream_cx_proxy_protocol_error;  // bad, missing or late PROXY header
  WorkerCounter downstream_cx_no_filter_chain;       // closed: no filter chain matched
  WorkerCounter upstream_cx_total;
  WorkerCounter upstream_cx_connect_fail;
  WorkerCounter upstream_cx_reused;
  WorkerCounter upstream_rq_retry;
  WorkerCounter upstream_rq_timeout;
  WorkerCounter upstream_rq_reset;
  WorkerCounter upstream_rq_no_healthy;
  WorkerCounter websocket_upgrades;
};

// One cluster as one worker sees it: the immutable cluster and this worker's balancer, plus
// the cluster's health checking (shared by all workers; null when not configured).
struct WorkerCluster {
  upstream::ClusterConstSharedPtr cluster;
  std::unique_ptr<upstream::LoadBalancer> lb;
  // Takes the outcome of every request sent to one of the cluster's hosts.
  std::shared_ptr<upstream::OutlierDetector> outlier_detector;
  // Told once per worker that the cluster has traffic (for no_traffic_interval).
  std::shared_ptr<upstream::HealthChecker> health_checker;
  bool traffic_reported = false;
};

// The config a request runs with: a worker-local handle on an immutable snapshot, so holding
// it per request never touches a reference count shared with other workers.
class RequestConfig {
 public:
  virtual ~RequestConfig() = default;
  // The RDS route table of that name, or null.
  virtual const router::RouteTable* FindRouteTable(absl::string_view name) const = 0;
};
using RequestConfigSharedPtr = std::shared_ptr<const RequestConfig>;

// Request parsers a worker keeps for reuse: a session takes one when a request starts and
// gives it back when the exchange ends, so an idle connection holds none and a busy worker
// allocates none. A parser whose storage grew past kMaxKeptBytes (a huge head) is freed
// instead. Worker thread only.
class RequestParserPool {
 public:
  static constexpr size_t kMaxKept = 64;
  static constexpr size_t kMaxKeptBytes = 8 * 1024;

  std::unique_ptr<Http1Parser> Take(Http1ParserCallbacks& callbacks, Http1ParserOptions options) {
    if (free_.empty()) {
      return std::make_unique<Http1Parser>(Http1Parser::Mode::kRequest, callbacks, options);
    }
    std::unique_ptr<Http1Parser> parser = std::move(free_.back());
    free_.pop_back();
    parser->Reset(callbacks, options);
    return parser;
  }
  void Give(std::unique_ptr<Http1Parser> parser) {
    if (parser == nullptr || free_.size() >= kMaxKept || parser->RetainedBytes() > kMaxKeptBytes) {
      return;
    }
    free_.push_back(std::move(parser));
  }
  size_t kept() const { return free_.size(); }

 private:
  std::vector<std::unique_ptr<Http1Parser>> free_;
};

// What a downstream session needs from its worker. All methods run on the worker's thread.
class WorkerContext {
 public:
  virtual ~WorkerContext() = default;
  virtual event::Dispatcher& dispatcher() = 0;
  virtual upstream::FastRandom& random() = 0;
  virtual HttpStats& stats() = 0;
  virtual upstream::ConnPool& conn_pool() = 0;
  virtual RequestParserPool& parser_pool() = 0;
  // The current config snapshot of this worker.
  virtual RequestConfigSharedPtr config() = 0;
  // This worker's view of a cluster in the current config, or null when there is none.
  virtual WorkerCluster* FindCluster(absl::string_view name) = 0;
  // Appends one access log line (without the newline); never blocks.
  virtual void AccessLog(absl::string_view path, std::string line) = 0;
  // A session's connection closed; the worker forgets it and destroys it later.
  virtual void OnSessionClosed(ServerSession* session) = 0;
  // True once the worker is draining: keep-alive connections close after their request.
  virtual bool draining() const = 0;
};

}  // namespace strata::http

#endif  // STRATA_DATAPLANE_HTTP_WORKER_CONTEXT_H_
