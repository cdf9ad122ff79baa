#ifndef STRATA_TESTS_CONTROLPLANE_XDS_XDS_TEST_UTIL_H_
#define STRATA_TESTS_CONTROLPLANE_XDS_XDS_TEST_UTIL_H_

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controlplane/xds/callbacks.h"
#include "controlplane/xds/resource.h"
#include "controlplane/xds/snapshot.h"
#include "controlplane/xds/snapshot_cache.h"
#include "controlplane/xds/xds_server.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/endpoint/v3/eds.grpc.pb.h"
#include "envoy/service/listener/v3/lds.grpc.pb.h"
#include "envoy/service/route/v3/rds.grpc.pb.h"
#include "envoy/service/secret/v3/sds.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace strata::xds::testing {

// A scripted xDS client over a real gRPC stream: the test sends requests and waits (with a
// deadline) for the responses, which a reader thread collects in order.
template <typename Request, typename Response>
class ScriptedClient {
 public:
  using Stream = grpc::ClientReaderWriter<Request, Response>;
  template <typename Opener>
  explicit ScriptedClient(Opener open) {
    stream_ = open(&context_);
    reader_ = std::thread([this] {
      Response response;
      while (stream_->Read(&response)) {
        absl::MutexLock lock(&mu_);
        received_.push_back(response);
      }
      absl::MutexLock lock(&mu_);
      closed_ = true;
    });
  }
  ~ScriptedClient() {
    context_.TryCancel();
    reader_.join();
  }

  bool Send(const Request& request) { return stream_->Write(request); }

  // The next response, or nullopt if none arrives within `timeout` or the stream closed.
  std::optional<Response> Next(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !received_.empty() || closed_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (received_.empty()) return std::nullopt;
    Response r = std::move(received_.front());
    received_.pop_front();
    return r;
  }

  // Waits for the server to end the stream and returns its status.
  grpc::Status Finish() {
    {
      absl::MutexLock lock(&mu_);
      auto closed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_; };
      mu_.AwaitWithTimeout(absl::Condition(&closed), absl::Seconds(10));
    }
    return stream_->Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<Stream> stream_;
  std::thread reader_;
  absl::Mutex mu_;
  std::deque<Response> received_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Records what streams report and lets a test wait for streams to open and close. Every call
// is first forwarded to `next`, if given (e.g. a NodeStatusRegistry under test), so once a wait
// returns, `next` has seen the event too.
class RecordingCallbacks : public XdsCallbacks {
 public:
  explicit RecordingCallbacks(XdsCallbacks* next = nullptr) : next_(next) {}

  void OnStreamOpen(uint64_t stream_id, const envoy::config::core::v3::Node& node,
                    absl::string_view group, bool delta) override {
    if (next_ != nullptr) next_->OnStreamOpen(stream_id, node, group, delta);
    absl::MutexLock lock(&mu_);
    ++opened_;
  }
  void OnStreamClose(uint64_t stream_id) override {
    if (next_ != nullptr) next_->OnStreamClose(stream_id);
    absl::MutexLock lock(&mu_);
    ++closed_;
  }
  void OnTypeRequested(uint64_t stream_id, ResourceType type) override {
    if (next_ != nullptr) next_->OnTypeRequested(stream_id, type);
  }
  void OnResponseSent(uint64_t stream_id, ResourceType type, absl::string_view version,
                      size_t resources) override {
    if (next_ != nullptr) next_->OnResponseSent(stream_id, type, version, resources);
  }
  void OnAck(uint64_t stream_id, ResourceType type, absl::string_view version,
             absl::Duration latency) override {
    if (next_ != nullptr) next_->OnAck(stream_id, type, version, latency);
    absl::MutexLock lock(&mu_);
    ++acks_[static_cast<int>(type)];
  }
  void OnNack(uint64_t stream_id, ResourceType type, absl::string_view version,
              absl::string_view message) override {
    if (next_ != nullptr) next_->OnNack(stream_id, type, version, message);
    absl::MutexLock lock(&mu_);
    nacks_.push_back(std::string(message));
  }

  // The messages of the NACKs seen, in order.
  std::vector<std::string> nacks() {
    absl::MutexLock lock(&mu_);
    return nacks_;
  }
  // How many ACKs of `type` were seen.
  int acks(ResourceType type) {
    absl::MutexLock lock(&mu_);
    return acks_[static_cast<int>(type)];
  }
  int opened() {
    absl::MutexLock lock(&mu_);
    return opened_;
  }
  int closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  // Whether at least `n` streams have been opened (closed) within `timeout`.
  bool WaitForOpened(int n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return opened_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  }
  bool WaitForClosed(int n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  }

 private:
  XdsCallbacks* const next_;
  absl::Mutex mu_;
  int opened_ ABSL_GUARDED_BY(mu_) = 0;
  int closed_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> nacks_ ABSL_GUARDED_BY(mu_);
  std::map<int, int> acks_ ABSL_GUARDED_BY(mu_);
};

struct TestXdsServerOptions {
  // Also listen on 127.0.0.1 (an ephemeral port); otherwise in-process only.
  bool tcp = false;
  // Applied with XdsServer::ApplyTransportOptions when set.
  std::optional<XdsServer::TransportOptions> transport;
};

// An XdsServer on a real gRPC server, serving a SnapshotCache that publishes at once. Nodes
// are grouped by their `cluster`. The ADS stub talks over the in-process channel.
class TestXdsServer {
 public:
  explicit TestXdsServer(XdsCallbacks& callbacks, TestXdsServerOptions options = {})
      : cache_({absl::ZeroDuration(), absl::ZeroDuration()}, RealClock::Get()),
        server_(cache_, grouper_, callbacks) {
    grpc::ServerBuilder builder;
    if (options.transport.has_value()) {
      XdsServer::ApplyTransportOptions(*options.transport, builder);
    }
    if (options.tcp) {
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    }
    server_.RegisterServices(builder);
    grpc_server_ = builder.BuildAndStart();
    channel_ = grpc_server_->InProcessChannel(grpc::ChannelArguments());
    ads_ = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel_);
  }
  ~TestXdsServer() { grpc_server_->Shutdown(); }
  TestXdsServer(const TestXdsServer&) = delete;
  TestXdsServer& operator=(const TestXdsServer&) = delete;

  SnapshotCache& cache() { return cache_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  envoy::service::discovery::v3::AggregatedDiscoveryService::Stub& ads() { return *ads_; }
  // The TCP port (with options.tcp), or 0.
  int port() const { return port_; }
  // A new channel to the TCP port.
  std::shared_ptr<grpc::Channel> TcpChannel() const {
    return grpc::CreateChannel(absl::StrCat("ipv4:127.0.0.1:", port_),
                               grpc::InsecureChannelCredentials());
  }

 private:
  ClusterNodeGrouper grouper_;
  SnapshotCache cache_;
  XdsServer server_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<envoy::service::discovery::v3::AggregatedDiscoveryService::Stub> ads_;
};

// Stubs of the five per-type xDS services (LDS, RDS, CDS, EDS, SDS) on one channel.
class PerTypeStubs {
 public:
  using SotwStream = grpc::ClientReaderWriter<envoy::service::discovery::v3::DiscoveryRequest,
                                              envoy::service::discovery::v3::DiscoveryResponse>;
  using DeltaStream =
      grpc::ClientReaderWriter<envoy::service::discovery::v3::DeltaDiscoveryRequest,
                               envoy::service::discovery::v3::DeltaDiscoveryResponse>;

  explicit PerTypeStubs(const std::shared_ptr<grpc::Channel>& channel)
      : lds_(envoy::service::listener::v3::ListenerDiscoveryService::NewStub(channel)),
        rds_(envoy::service::route::v3::RouteDiscoveryService::NewStub(channel)),
        cds_(envoy::service::cluster::v3::ClusterDiscoveryService::NewStub(channel)),
        eds_(envoy::service::endpoint::v3::EndpointDiscoveryService::NewStub(channel)),
        sds_(envoy::service::secret::v3::SecretDiscoveryService::NewStub(channel)) {}

  // Opens the State-of-the-World stream of `type`'s service.
  std::unique_ptr<SotwStream> Sotw(ResourceType type, grpc::ClientContext* ctx) {
    switch (type) {
      case ResourceType::kListener:
        return lds_->StreamListeners(ctx);
      case ResourceType::kRoute:
        return rds_->StreamRoutes(ctx);
      case ResourceType::kCluster:
        return cds_->StreamClusters(ctx);
      case ResourceType::kEndpoint:
        return eds_->StreamEndpoints(ctx);
      case ResourceType::kSecret:
        return sds_->StreamSecrets(ctx);
    }
    return nullptr;
  }
  // Opens the Delta stream of `type`'s service.
  std::unique_ptr<DeltaStream> Delta(ResourceType type, grpc::ClientContext* ctx) {
    switch (type) {
      case ResourceType::kListener:
        return lds_->DeltaListeners(ctx);
      case ResourceType::kRoute:
        return rds_->DeltaRoutes(ctx);
      case ResourceType::kCluster:
        return cds_->DeltaClusters(ctx);
      case ResourceType::kEndpoint:
        return eds_->DeltaEndpoints(ctx);
      case ResourceType::kSecret:
        return sds_->DeltaSecrets(ctx);
    }
    return nullptr;
  }

 private:
  std::unique_ptr<envoy::service::listener::v3::ListenerDiscoveryService::Stub> lds_;
  std::unique_ptr<envoy::service::route::v3::RouteDiscoveryService::Stub> rds_;
  std::unique_ptr<envoy::service::cluster::v3::ClusterDiscoveryService::Stub> cds_;
  std::unique_ptr<envoy::service::endpoint::v3::EndpointDiscoveryService::Stub> eds_;
  std::unique_ptr<envoy::service::secret::v3::SecretDiscoveryService::Stub> sds_;
};

// Builders for small test resources.
inline ResourceConstSharedPtr MakeCluster(const std::string& name, int timeout_s = 5) {
  auto c = std::make_shared<envoy::config::cluster::v3::Cluster>();
  c->set_name(name);
  c->set_type(envoy::config::cluster::v3::Cluster::EDS);
  c->mutable_eds_cluster_config()->mutable_eds_config()->mutable_ads();
  c->mutable_connect_timeout()->set_seconds(timeout_s);
  return MakeResource(ResourceType::kCluster, std::move(c));
}

inline ResourceConstSharedPtr MakeEndpoints(const std::string& cluster,
                                            const std::vector<std::string>& ips) {
  auto cla = std::make_shared<envoy::config::endpoint::v3::ClusterLoadAssignment>();
  cla->set_cluster_name(cluster);
  auto* locality = cla->add_endpoints();
  locality->mutable_load_balancing_weight()->set_value(1);
  for (const auto& ip : ips) {
    auto* addr = locality->add_lb_endpoints()->mutable_endpoint()->mutable_address();
    addr->mutable_socket_address()->set_address(ip);
    addr->mutable_socket_address()->set_port_value(8080);
  }
  return MakeResource(ResourceType::kEndpoint, std::move(cla));
}

inline ResourceConstSharedPtr MakeListener(const std::string& name, const std::string& route) {
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
  hcm.set_stat_prefix(name);
  hcm.mutable_rds()->set_route_config_name(route);
  hcm.mutable_rds()->mutable_config_source()->mutable_ads();
  auto l = std::make_shared<envoy::config::listener::v3::Listener>();
  l->set_name(name);
  l->mutable_api_listener()->mutable_api_listener()->PackFrom(hcm);
  return MakeResource(ResourceType::kListener, std::move(l));
}

inline ResourceConstSharedPtr MakeRoute(const std::string& name, const std::string& cluster) {
  auto r = std::make_shared<envoy::config::route::v3::RouteConfiguration>();
  r->set_name(name);
  auto* vh = r->add_virtual_hosts();
  vh->set_name("all");
  vh->add_domains("*");
  auto* route = vh->add_routes();
  route->mutable_match()->set_prefix("");
  route->mutable_route()->set_cluster(cluster);
  return MakeResource(ResourceType::kRoute, std::move(r));
}

inline ResourceConstSharedPtr MakeSecret(const std::string& name, const std::string& value) {
  auto s = std::make_shared<envoy::extensions::transport_sockets::tls::v3::Secret>();
  s->set_name(name);
  s->mutable_generic_secret()->mutable_secret()->set_inline_string(value);
  return MakeResource(ResourceType::kSecret, std::move(s));
}

inline SnapshotConstSharedPtr MakeSnapshot(std::vector<ResourceConstSharedPtr> resources) {
  auto s = Snapshot::Create(std::move(resources));
  return s.ok() ? *s : nullptr;
}

// Names of the resources in a SotW response, in order.
template <typename Response>
std::vector<std::string> SotwNames(const Response& response) {
  std::vector<std::string> names;
  for (const auto& any : response.resources()) {
    if (any.type_url() == kClusterTypeUrl) {
      envoy::config::cluster::v3::Cluster m;
      any.UnpackTo(&m);
      names.push_back(m.name());
    } else if (any.type_url() == kEndpointTypeUrl) {
      envoy::config::endpoint::v3::ClusterLoadAssignment m;
      any.UnpackTo(&m);
      names.push_back(m.cluster_name());
    } else if (any.type_url() == kListenerTypeUrl) {
      envoy::config::listener::v3::Listener m;
      any.UnpackTo(&m);
      names.push_back(m.name());
    } else if (any.type_url() == kRouteTypeUrl) {
      envoy::config::route::v3::RouteConfiguration m;
      any.UnpackTo(&m);
      names.push_back(m.name());
    } else if (any.type_url() == kSecretTypeUrl) {
      envoy::extensions::transport_sockets::tls::v3::Secret m;
      any.UnpackTo(&m);
      names.push_back(m.name());
    }
  }
  return names;
}

}  // namespace strata::xds::testing

#endif  // STRATA_TESTS_CONTROLPLANE_XDS_XDS_TEST_UTIL_H_
