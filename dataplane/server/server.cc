#include "dataplane/server/server.h"

#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/logging.h"
#include "google/protobuf/util/json_util.h"

namespace strata::server {

absl::StatusOr<std::unique_ptr<Server>> Server::Create(Options options) {
  if (options.concurrency < 1) return absl::InvalidArgumentError("concurrency must be >= 1");
  std::unique_ptr<Server> server(new Server(options));
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

Server::~Server() { Stop(); }

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
      out += absl::StrCat("{\"address\":\"", host->address().ToString(),
                          "\",\"healthy\":", host->Healthy() ? "true" : "false", "}");
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
