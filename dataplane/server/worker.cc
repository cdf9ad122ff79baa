#include "dataplane/server/worker.h"

#include <unistd.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "dataplane/tls/tls_socket.h"

namespace strata::server {

namespace {

// The request-facing view of one config snapshot, owned by one worker.
class WorkerRequestConfig final : public http::RequestConfig {
 public:
  explicit WorkerRequestConfig(ProxyConfigConstSharedPtr config) : config_(std::move(config)) {}
  const router::RouteTable* FindRouteTable(absl::string_view name) const override {
    auto it = config_->route_tables.find(std::string(name));
    return it == config_->route_tables.end() ? nullptr : it->second.get();
  }

 private:
  const ProxyConfigConstSharedPtr config_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(Options options) {
  auto dispatcher = event::Dispatcher::Create(absl::StrCat("worker-", options.index));
  if (!dispatcher.ok()) return dispatcher.status();
  return std::unique_ptr<Worker>(new Worker(options, std::move(*dispatcher)));
}

Worker::Worker(Options options, std::unique_ptr<event::Dispatcher> dispatcher)
    : options_(options),
      dispatcher_(std::move(dispatcher)),
      random_(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
              (static_cast<uint64_t>(options.index) << 48)),
      pool_(*dispatcher_, upstream::ConnPool::Options{}) {
  request_config_ = std::make_shared<WorkerRequestConfig>(std::make_shared<ProxyConfig>());
  log_timer_ = dispatcher_->CreateTimer([this] { FlushAccessLog(); });
}

Worker::~Worker() { Stop(); }

void Worker::Start() {
  thread_ = std::thread([this] {
    dispatcher_->Run();
    // Tear down on the loop's thread: sessions and pooled connections own loop objects.
    FlushAccessLog();
    sessions_.clear();
    readers_.clear();
    listeners_.clear();
    clusters_.clear();
  });
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  dispatcher_->Exit();
  thread_.join();
}

void Worker::ApplyConfig(ProxyConfigConstSharedPtr config, std::map<std::string, int> listen_fds) {
  dispatcher_->Post([this, config = std::move(config), fds = std::move(listen_fds)] {
    DoApplyConfig(config, fds);
  });
}

void Worker::DoApplyConfig(const ProxyConfigConstSharedPtr& config,
                           const std::map<std::string, int>& listen_fds) {
  // Clusters: a changed cluster gets a new balancer; pooled connections to hosts that left it,
  // or made with a transport it no longer uses, are closed.
  absl::flat_hash_map<std::string, http::WorkerCluster> clusters;
  for (const auto& [name, cluster] : config->clusters) {
    ClusterHealth health;
    if (auto h = config->cluster_health.find(name); h != config->cluster_health.end()) {
      health = h->second;
    }
    auto it = clusters_.find(name);
    if (it != clusters_.end() && it->second.cluster == cluster &&
        it->second.outlier_detector == health.outlier_detector &&
        it->second.health_checker == health.health_checker) {
      clusters.emplace(name, std::move(it->second));
      continue;
    }
    if (it != clusters_.end()) {
      // A new transport (TLS settings, PROXY protocol) makes every pooled connection stale.
      const bool new_transport = it->second.cluster->transport() != cluster->transport();
      for (const auto& old_host : it->second.cluster->hosts()) {
        bool kept = false;
        for (const auto& host : cluster->hosts()) kept = kept || host == old_host;
        if (!kept || new_transport) pool_.DrainHost(*old_host);
      }
    }
    clusters.emplace(name, http::WorkerCluster{cluster, upstream::LoadBalancer::Create(cluster),
                                               std::move(health.outlier_detector),
                                               std::move(health.health_checker)});
  }
  for (auto& [name, old] : clusters_) {
    if (!config->clusters.contains(name)) {
      for (const auto& host : old.cluster->hosts()) pool_.DrainHost(*host);
    }
  }
  clusters_ = std::move(clusters);

  // Listeners: new ones start accepting, removed ones stop (their connections finish), kept
  // ones switch to the new settings for new connections.
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    auto next = config->listeners.find(it->first);
    if (next == config->listeners.end() || listen_fds.contains(it->first)) {
      it = listeners_.erase(it);
    } else {
      it->second.config = next->second;
      ++it;
    }
  }
  for (auto& [name, fd] : listen_fds) {
    auto cfg = config->listeners.find(name);
    if (cfg == config->listeners.end() || draining_) {
      close(fd);
      continue;
    }
    ActiveListener active;
    active.config = cfg->second;
    const std::string listener_name = name;
    active.listener = std::make_unique<net::Listener>(
        *dispatcher_, fd, options_.connection_limit,
        [this, listener_name](int cfd, const net::Address& peer, const net::Address& local) {
          OnAccept(listener_name, cfd, peer, local);
        });
    listeners_[name] = std::move(active);
  }
  config_ = config;
  request_config_ = std::make_shared<WorkerRequestConfig>(config);
  applied_version_.store(config->version, std::memory_order_release);
}

void Worker::OnAccept(const std::string& listener_name, int fd, const net::Address& peer,
                      const net::Address& local) {
  auto it = listeners_.find(listener_name);
  if (it == listeners_.end()) {
    close(fd);
    if (options_.connection_limit != nullptr) options_.connection_limit->Release();
    return;
  }
  ListenerConfigConstSharedPtr config = it->second.config;
  if (!config->proxy_protocol) {
    StartSession(config, fd, peer, peer, local);
    return;
  }
  // PROXY protocol first: the client's address comes from the header.
  auto reader = std::make_unique<ProxyProtocolReader>(
      *dispatcher_, fd, config->listener_filters_timeout, config->allow_without_proxy_protocol,
      [this, config, peer, local](ProxyProtocolReader& reader,
                                  std::optional<net::ProxyHeader> header, const char* error) {
        auto owned = readers_.find(&reader);
        std::unique_ptr<ProxyProtocolReader> self = std::move(owned->second);
        readers_.erase(owned);
        if (error != nullptr) {
          stats_.downstream_cx_proxy_protocol_error.Inc();
          STRATA_LOG(DEBUG) << "listener " << config->name << ": " << peer.ToString() << ": "
                            << error;
          if (options_.connection_limit != nullptr) options_.connection_limit->Release();
          dispatcher_->DeferredDelete(std::move(self));  // closes the socket
          return;
        }
        net::Address source = peer;
        net::Address destination = local;
        if (header.has_value() && header->HasAddresses()) {
          source = header->source;
          destination = header->destination;
        }
        const int fd = reader.TakeFd();
        dispatcher_->DeferredDelete(std::move(self));
        StartSession(config, fd, peer, source, destination);
      });
  ProxyProtocolReader* raw = reader.get();
  readers_.emplace(raw, std::move(reader));
}

void Worker::StartSession(const ListenerConfigConstSharedPtr& config, int fd,
                          const net::Address& direct_peer, const net::Address& source,
                          const net::Address& local) {
  // A connection no filter chain takes is closed (e.g. not from a trusted PROXY sender).
  if (!config->AnyChainFor(direct_peer, source) || (config->tls && !config->tls_context)) {
    stats_.downstream_cx_no_filter_chain.Inc();
    close(fd);
    if (options_.connection_limit != nullptr) options_.connection_limit->Release();
    return;
  }
  std::unique_ptr<net::TransportSocket> transport;
  http::HcmConfigConstSharedPtr hcm;
  http::ServerSession::HcmResolver resolver;
  if (config->tls) {
    transport = tls::TlsTransportSocket::CreateServer(config->tls_context);
    resolver = [config, direct_peer, source](absl::string_view server_name) {
      const FilterChainConfig* chain = config->SelectChain(direct_peer, source, server_name);
      return chain == nullptr ? nullptr : chain->hcm;
    };
  } else {
    transport = std::make_unique<net::RawTransportSocket>();
    hcm = config->SelectChain(direct_peer, source, "")->hcm;
  }
  auto connection =
      net::Connection::CreateServer(*dispatcher_, fd, std::move(transport), source, local);
  connection->SetBufferLimits(config->per_connection_buffer_limit);
  auto session = std::make_unique<http::ServerSession>(*this, std::move(hcm), std::move(connection),
                                                       std::move(resolver));
  http::ServerSession* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  active_sessions_.fetch_add(1, std::memory_order_relaxed);
  raw->Start();
}

void Worker::OnSessionClosed(http::ServerSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  dispatcher_->DeferredDelete(std::move(it->second));
  sessions_.erase(it);
  active_sessions_.fetch_sub(1, std::memory_order_relaxed);
  if (options_.connection_limit != nullptr) options_.connection_limit->Release();
  if (draining_) CheckDrained();
}

http::WorkerCluster* Worker::FindCluster(absl::string_view name) {
  auto it = clusters_.find(name);
  return it == clusters_.end() ? nullptr : &it->second;
}

void Worker::AccessLog(absl::string_view path, std::string line) {
  std::string& batch = log_batches_[std::string(path)];
  batch += line;
  batch.push_back('\n');
  if (!log_timer_->Enabled()) log_timer_->Enable(absl::Milliseconds(100));
}

void Worker::FlushAccessLog() {
  for (auto& [path, lines] : log_batches_) {
    if (lines.empty()) continue;
    if (options_.access_log != nullptr) options_.access_log->Submit(path, std::move(lines));
    lines = std::string();
  }
}

void Worker::Drain(absl::AnyInvocable<void()> on_drained) {
  dispatcher_->Post([this, cb = std::move(on_drained)]() mutable {
    draining_ = true;
    on_drained_ = std::move(cb);
    listeners_.clear();  // stop accepting
    std::vector<http::ServerSession*> sessions;
    for (auto& [raw, owned] : sessions_) sessions.push_back(raw);
    for (auto* session : sessions) session->Drain();
    CheckDrained();
  });
}

void Worker::CheckDrained() {
  if (sessions_.empty() && on_drained_) {
    FlushAccessLog();
    auto cb = std::move(on_drained_);
    on_drained_ = nullptr;
    cb();
  }
}

}  // namespace strata::server
