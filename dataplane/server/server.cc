#include "dataplane/server/server.h"

#include <unistd.h>

#include <atomic>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/logging.h"
#include "dataplane/config/proto_fields.h"
#include "dataplane/upstream/load_balancer.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace strata::server {

absl::StatusOr<std::unique_ptr<Server>> Server::Create(Options options) {
  if (options.concurrency < 1) return absl::InvalidArgumentError("concurrency must be >= 1");
  std::unique_ptr<Server> server(new Server(options));
  auto health = event::Dispatcher::Create("health");
  if (!health.ok()) return health.status();
  server->health_dispatcher_ = std::move(*health);
  server->health_thread_ =
      std::thread([dispatcher = server->health_dispatcher_.get()] { dispatcher->Run(); });
  for (int i = 0; i < options.concurrency; ++i) {
    Worker::Options worker_options;
    worker_options.index = i;
    worker_options.connection_limit = &server->connection_limit_;
    worker_options.access_log = &server->access_log_;
    auto worker = Worker::Create(worker_options);
    if (!worker.ok()) return worker.status();
    server->workers_.push_back(std::move(*worker));
  }
  for (auto& worker : server->workers_) worker->Start();
  return server;
}

Server::Server(Options options) : options_(options), connection_limit_(options.max_connections) {
  current_ = std::make_shared<ProxyConfig>();
}

Server::~Server() {
  Stop();
  if (!health_thread_.joinable()) return;
  // Workers hold snapshots, and with them references to checkers and detectors: let them go
  // while the health thread still runs, so that everything is destroyed there.
  workers_.clear();
  {
    absl::MutexLock lock(&mu_);
    current_ = std::make_shared<ProxyConfig>();
  }
  RunOnHealthThread([this] {
    for (auto& [name, entry] : health_) {
      if (entry.health_checker != nullptr) RetireHealthChecker(entry.health_checker);
      if (entry.outlier_detector != nullptr) RetireOutlierDetector(entry.outlier_detector);
    }
    health_.clear();
  });
  health_dispatcher_->Exit();  // after the deletions posted by workers' references
  health_thread_.join();
}

void Server::RunOnHealthThread(absl::AnyInvocable<void()> fn) const {
  absl::Notification done;
  health_dispatcher_->Post([&fn, &done] {
    fn();
    done.Notify();
  });
  done.WaitForNotification();
}

template <typename T>
std::shared_ptr<T> Server::ShareWithWorkers(std::unique_ptr<T> object) {
  return std::shared_ptr<T>(object.release(), [dispatcher = health_dispatcher_,
                                               thread = std::this_thread::get_id()](T* shared) {
    if (std::this_thread::get_id() == thread) {
      delete shared;
    } else {
      dispatcher->Post([shared] { delete shared; });
    }
  });
}

void Server::RetireHealthChecker(std::shared_ptr<upstream::HealthChecker>& checker) {
  checker->SetHosts({});  // no more checks; workers may still report traffic to it
  const upstream::HealthChecker::Stats& stats = checker->stats();
  retired_health_stats_.attempts += stats.attempts;
  retired_health_stats_.successes += stats.successes;
  retired_health_stats_.failures += stats.failures;
  checker.reset();
}

void Server::RetireOutlierDetector(std::shared_ptr<upstream::OutlierDetector>& detector) {
  detector->SetHosts({});  // ends its ejections; workers' results are ignored from now on
  const upstream::OutlierDetector::Stats& stats = detector->stats();
  retired_outlier_stats_.ejections_enforced_total += stats.ejections_enforced_total;
  retired_outlier_stats_.ejections_overflow += stats.ejections_overflow;
  detector.reset();
}

absl::Status Server::UpdateHealth(const ProxyConfig& config,
                                  std::map<std::string, ClusterHealth>* cluster_health) {
  using google::protobuf::util::MessageDifferencer;
  // First what can fail: a checker or detector for every cluster whose settings for it are new
  // or changed. Nothing running is touched before all of them exist.
  std::map<std::string, std::unique_ptr<upstream::HealthChecker>> new_checkers;
  std::map<std::string, std::unique_ptr<upstream::OutlierDetector>> new_detectors;
  for (const auto& [name, cluster] : config.clusters) {
    const auto& proto = cluster->config();
    const std::string path = absl::StrCat("cluster \"", name, "\"");
    auto it = health_.find(name);
    const HealthEntry* entry = it == health_.end() ? nullptr : &it->second;
    if (cluster->health_check_config() != nullptr &&
        (entry == nullptr || entry->health_checker == nullptr ||
         !MessageDifferencer::Equals(entry->cluster->config().health_checks(0),
                                     proto.health_checks(0)))) {
      auto checker =
          upstream::HealthChecker::Create(proto.health_checks(0), name, *health_dispatcher_,
                                          config::FieldPath(path, "health_checks[0]"));
      if (!checker.ok()) return checker.status();
      new_checkers[name] = std::move(*checker);
    }
    if (cluster->outlier_config() != nullptr &&
        (entry == nullptr || entry->outlier_detector == nullptr ||
         !MessageDifferencer::Equals(entry->cluster->config().outlier_detection(),
                                     proto.outlier_detection()))) {
      auto detector = upstream::OutlierDetector::Create(
          proto.outlier_detection(), *health_dispatcher_,
          config::FieldPath(path, "outlier_detection"), std::hash<std::string>()(name));
      if (!detector.ok()) return detector.status();
      new_detectors[name] = std::move(*detector);
    }
  }

  for (const auto& [name, cluster] : config.clusters) {
    HealthEntry& entry = health_[name];
    const std::vector<upstream::HostSharedPtr>& hosts = cluster->hosts();
    if (auto fresh = new_checkers.find(name); fresh != new_checkers.end()) {
      // Hosts keep the flag an earlier checker set until the new one passes them.
      if (entry.health_checker != nullptr) RetireHealthChecker(entry.health_checker);
      entry.health_checker = ShareWithWorkers(std::move(fresh->second));
      entry.health_checker->SetTransport(cluster->transport());
      entry.health_checker->SetHosts(hosts);
    } else if (cluster->health_check_config() != nullptr) {
      if (entry.cluster != cluster) {
        entry.health_checker->SetTransport(cluster->transport());
        entry.health_checker->SetHosts(hosts);
      }
    } else if (entry.health_checker != nullptr) {
      RetireHealthChecker(entry.health_checker);
      // Nothing checks these hosts any more: no verdict may outlive its checker.
      for (const auto& host : hosts) {
        upstream::SetHostFlag(*host, upstream::Host::kFailedActiveHealthCheck, false);
      }
    }
    if (auto fresh = new_detectors.find(name); fresh != new_detectors.end()) {
      if (entry.outlier_detector != nullptr) RetireOutlierDetector(entry.outlier_detector);
      entry.outlier_detector = ShareWithWorkers(std::move(fresh->second));
      entry.outlier_detector->SetHosts(hosts);
    } else if (cluster->outlier_config() != nullptr) {
      if (entry.cluster != cluster) entry.outlier_detector->SetHosts(hosts);
    } else if (entry.outlier_detector != nullptr) {
      RetireOutlierDetector(entry.outlier_detector);
    }
    if (entry.health_checker == nullptr && entry.outlier_detector == nullptr) {
      health_.erase(name);
      continue;
    }
    entry.cluster = cluster;
    (*cluster_health)[name] = ClusterHealth{entry.outlier_detector, entry.health_checker};
  }
  // Clusters that are gone.
  for (auto it = health_.begin(); it != health_.end();) {
    if (config.clusters.contains(it->first)) {
      ++it;
      continue;
    }
    if (it->second.health_checker != nullptr) RetireHealthChecker(it->second.health_checker);
    if (it->second.outlier_detector != nullptr) RetireOutlierDetector(it->second.outlier_detector);
    health_.erase(it++);
  }
  return absl::OkStatus();
}

absl::Status Server::Apply(ProxyConfig config) {
  absl::MutexLock lock(&mu_);
  // Sockets first, for every listener that is new or changed address; all or nothing.
  std::vector<std::map<std::string, int>> fds(workers_.size());
  std::map<std::string, net::Address> bound;
  auto close_all = [&fds] {
    for (auto& per_worker : fds) {
      for (auto& [name, fd] : per_worker) close(fd);
    }
  };
  for (const auto& [name, listener] : config.listeners) {
    auto old = current_->listeners.find(name);
    auto old_bound = bound_.find(name);
    if (old != current_->listeners.end() && old->second->SameAddress(*listener) &&
        old_bound != bound_.end()) {
      bound[name] = old_bound->second;
      continue;
    }
    net::Address address = listener->address;
    for (size_t w = 0; w < workers_.size(); ++w) {
      auto fd = net::CreateListenSocket(address);
      if (!fd.ok()) {
        close_all();
        return absl::UnavailableError(
            absl::StrCat("listener \"", name, "\": ", fd.status().message()));
      }
      if (w == 0 && address.port() == 0) {
        // Port 0: the other workers' sockets join the port the kernel picked.
        auto local = net::LocalAddress(*fd);
        if (local.ok()) address = *local;
      }
      fds[w][name] = *fd;
    }
    bound[name] = address;
  }
  // Health checking for the new clusters, before any worker can send them traffic.
  absl::Status health_status;
  std::map<std::string, ClusterHealth> cluster_health;
  RunOnHealthThread([&] { health_status = UpdateHealth(config, &cluster_health); });
  if (!health_status.ok()) {
    close_all();
    return health_status;
  }
  config.cluster_health = std::move(cluster_health);
  config.version = next_version_++;
  auto snapshot = std::make_shared<const ProxyConfig>(std::move(config));
  for (size_t w = 0; w < workers_.size(); ++w)
    workers_[w]->ApplyConfig(snapshot, std::move(fds[w]));
  current_ = snapshot;
  bound_ = std::move(bound);
  return absl::OkStatus();
}

bool Server::AllWorkersApplied() const {
  uint64_t version;
  {
    absl::MutexLock lock(&mu_);
    version = current_->version;
  }
  for (const auto& worker : workers_) {
    if (worker->applied_version() < version) return false;
  }
  return true;
}

std::map<std::string, net::Address> Server::ListenerAddresses() const {
  absl::MutexLock lock(&mu_);
  return bound_;
}

ProxyConfigConstSharedPtr Server::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::string Server::StatsText() const {
  struct Field {
    const char* name;
    const char* help;
    const http::WorkerCounter http::HttpStats::*counter;
  };
  static const Field kFields[] = {
      {"downstream_cx_total", "Downstream connections accepted.",
       &http::HttpStats::downstream_cx_total},
      {"downstream_rq_total", "Downstream requests.", &http::HttpStats::downstream_rq_total},
      {"downstream_rq_2xx", "Responses 2xx.", &http::HttpStats::downstream_rq_2xx},
      {"downstream_rq_3xx", "Responses 3xx.", &http::HttpStats::downstream_rq_3xx},
      {"downstream_rq_4xx", "Responses 4xx.", &http::HttpStats::downstream_rq_4xx},
      {"downstream_rq_5xx", "Responses 5xx.", &http::HttpStats::downstream_rq_5xx},
      {"downstream_rq_rejected", "Malformed requests rejected (400/431/501).",
       &http::HttpStats::downstream_rq_rejected},
      {"downstream_rq_no_route", "Requests without a virtual host or route (404).",
       &http::HttpStats::downstream_rq_no_route},
      {"downstream_rq_header_timeout", "Request heads not received in time.",
       &http::HttpStats::downstream_rq_header_timeout},
      {"downstream_cx_proxy_protocol_error",
       "Connections closed for a bad, missing or late PROXY protocol header.",
       &http::HttpStats::downstream_cx_proxy_protocol_error},
      {"downstream_cx_no_filter_chain", "Connections closed because no filter chain matched.",
       &http::HttpStats::downstream_cx_no_filter_chain},
      {"upstream_cx_total", "Upstream connections opened.", &http::HttpStats::upstream_cx_total},
      {"upstream_cx_connect_fail", "Upstream connection attempts that failed.",
       &http::HttpStats::upstream_cx_connect_fail},
      {"upstream_cx_reused", "Requests sent on a pooled upstream connection.",
       &http::HttpStats::upstream_cx_reused},
      {"upstream_rq_retry", "Upstream request retries.", &http::HttpStats::upstream_rq_retry},
      {"upstream_rq_timeout", "Upstream requests that timed out.",
       &http::HttpStats::upstream_rq_timeout},
      {"upstream_rq_reset", "Upstream connections reset before a response.",
       &http::HttpStats::upstream_rq_reset},
      {"upstream_rq_no_healthy", "Requests with no healthy upstream host.",
       &http::HttpStats::upstream_rq_no_healthy},
      {"websocket_upgrades", "Upgraded (WebSocket) connections.",
       &http::HttpStats::websocket_upgrades},
  };
  std::string out;
  for (const Field& field : kFields) {
    uint64_t sum = 0;
    for (const auto& worker : workers_) sum += (worker->http_stats().*field.counter).Get();
    absl::StrAppend(&out, "# HELP strata_", field.name, " ", field.help, "\n# TYPE strata_",
                    field.name, " counter\nstrata_", field.name, " ", sum, "\n");
  }
  int64_t active = 0;
  for (const auto& worker : workers_) active += worker->active_sessions();
  absl::StrAppend(&out,
                  "# HELP strata_downstream_cx_active Open downstream connections.\n"
                  "# TYPE strata_downstream_cx_active gauge\nstrata_downstream_cx_active ",
                  active, "\n");
  absl::StrAppend(&out,
                  "# HELP strata_access_log_dropped_bytes Access-log bytes dropped because the "
                  "writer fell behind.\n# TYPE strata_access_log_dropped_bytes counter\n"
                  "strata_access_log_dropped_bytes ",
                  access_log_.dropped_bytes(), "\n");

  // Health checking: live checkers and detectors plus those already replaced or removed.
  upstream::HealthChecker::Stats checks;
  upstream::OutlierDetector::Stats outliers;
  RunOnHealthThread([&] {
    checks = retired_health_stats_;
    outliers = retired_outlier_stats_;
    for (const auto& [name, entry] : health_) {
      if (entry.health_checker != nullptr) {
        const auto& stats = entry.health_checker->stats();
        checks.attempts += stats.attempts;
        checks.successes += stats.successes;
        checks.failures += stats.failures;
      }
      if (entry.outlier_detector != nullptr) {
        const auto& stats = entry.outlier_detector->stats();
        outliers.ejections_active += stats.ejections_active;
        outliers.ejections_enforced_total += stats.ejections_enforced_total;
        outliers.ejections_overflow += stats.ejections_overflow;
      }
    }
  });
  struct Metric {
    const char* name;
    const char* type;
    const char* help;
    uint64_t value;
  };
  const Metric metrics[] = {
      {"health_check_attempts_total", "counter", "Active health checks started.", checks.attempts},
      {"health_check_successes_total", "counter", "Active health checks passed.", checks.successes},
      {"health_check_failures_total", "counter",
       "Active health checks failed (status, timeout, connect failure, bad response).",
       checks.failures},
      {"outlier_ejections_active", "gauge", "Hosts ejected as outliers now.",
       outliers.ejections_active},
      {"outlier_ejections_total", "counter", "Outlier ejections enforced.",
       outliers.ejections_enforced_total},
      {"outlier_ejections_overflow_total", "counter",
       "Outlier ejections not done because max_ejection_percent was reached.",
       outliers.ejections_overflow},
  };
  for (const Metric& metric : metrics) {
    absl::StrAppend(&out, "# HELP strata_", metric.name, " ", metric.help, "\n# TYPE strata_",
                    metric.name, " ", metric.type, "\nstrata_", metric.name, " ", metric.value,
                    "\n");
  }
  return out;
}

std::string Server::ConfigDumpJson() const {
  ProxyConfigConstSharedPtr config = current();
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto to_json = [&options](const google::protobuf::Message& message) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok())
      return std::string("null");
    return json;
  };
  std::string out = "{\"version\":" + std::to_string(config->version) + ",\"listeners\":[";
  bool first = true;
  for (const auto& [name, listener] : config->listeners) {
    if (!first) out += ",";
    first = false;
    out += to_json(listener->proto);
  }
  out += "],\"clusters\":[";
  first = true;
  for (const auto& [name, cluster] : config->clusters) {
    if (!first) out += ",";
    first = false;
    out += "{\"cluster\":" + to_json(cluster->config()) +
           ",\"load_assignment\":" + to_json(cluster->assignment()) + ",\"hosts\":[";
    bool first_host = true;
    for (const auto& host : cluster->hosts()) {
      if (!first_host) out += ",";
      first_host = false;
      const uint32_t flags = host->flags();
      out += absl::StrCat(
          "{\"address\":\"", host->address().ToString(),
          "\",\"healthy\":", host->Healthy() ? "true" : "false", ",\"failed_active_health_check\":",
          (flags & upstream::Host::kFailedActiveHealthCheck) != 0 ? "true" : "false",
          ",\"outlier_ejected\":",
          (flags & upstream::Host::kOutlierEjected) != 0 ? "true" : "false", "}");
    }
    out += "]}";
  }
  out += "],\"route_tables\":[";
  first = true;
  for (const auto& [name, table] : config->route_tables) {
    if (!first) out += ",";
    first = false;
    out += "\"" + name + "\"";
  }
  out += "]}";
  return out;
}

bool Server::Drain(absl::Duration deadline) {
  std::atomic<size_t> drained{0};
  absl::Notification all_drained;
  const size_t n = workers_.size();
  for (auto& worker : workers_) {
    worker->Drain([&drained, &all_drained, n] {
      if (drained.fetch_add(1) + 1 == n) all_drained.Notify();
    });
  }
  const bool done = all_drained.WaitForNotificationWithTimeout(deadline);
  if (!done) {
    STRATA_LOG(WARNING) << "drain deadline reached with connections still open";
  }
  Stop();  // before the notification and counter go out of scope
  return done;
}

void Server::Stop() {
  for (auto& worker : workers_) worker->Stop();
  access_log_.Flush();
}

}  // namespace strata::server
