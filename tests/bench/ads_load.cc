#include "tests/bench/ads_load.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/str_format.h"
#include "common/logging.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "tests/bench/synthetic_config.h"

namespace strata::bench {
namespace {

using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;
using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using xds::ResourceType;

int Index(ResourceType type) { return static_cast<int>(type); }

void AddRouteNames(const google::protobuf::Any& config, std::vector<std::string>& out) {
  HttpConnectionManager hcm;
  if (!config.Is<HttpConnectionManager>() || !config.UnpackTo(&hcm)) return;
  if (hcm.has_rds()) out.push_back(hcm.rds().route_config_name());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ProxyState

bool ProxyState::Apply(ResourceType type, const std::string& bytes, std::string* name) {
  Held held;
  switch (type) {
    case ResourceType::kCluster: {
      envoy::config::cluster::v3::Cluster cluster;
      if (!cluster.ParseFromString(bytes)) return false;
      *name = cluster.name();
      if (cluster.type() == envoy::config::cluster::v3::Cluster::EDS) {
        const std::string& service = cluster.eds_cluster_config().service_name();
        held.references.push_back(service.empty() ? cluster.name() : service);
      }
      break;
    }
    case ResourceType::kListener: {
      envoy::config::listener::v3::Listener listener;
      if (!listener.ParseFromString(bytes)) return false;
      *name = listener.name();
      if (listener.has_api_listener()) {
        AddRouteNames(listener.api_listener().api_listener(), held.references);
      }
      for (const auto& chain : listener.filter_chains()) {
        for (const auto& filter : chain.filters()) {
          AddRouteNames(filter.typed_config(), held.references);
        }
      }
      break;
    }
    case ResourceType::kEndpoint: {
      envoy::config::endpoint::v3::ClusterLoadAssignment cla;
      if (!cla.ParseFromString(bytes)) return false;
      *name = cla.cluster_name();
      for (const auto& locality : cla.endpoints()) held.count += locality.lb_endpoints_size();
      break;
    }
    case ResourceType::kRoute: {
      envoy::config::route::v3::RouteConfiguration config;
      if (!config.ParseFromString(bytes)) return false;
      *name = config.name();
      for (const auto& vhost : config.virtual_hosts()) held.count += vhost.routes_size();
      break;
    }
    case ResourceType::kSecret: {
      envoy::extensions::transport_sockets::tls::v3::Secret secret;
      if (!secret.ParseFromString(bytes)) return false;
      *name = secret.name();
      break;
    }
  }
  held_[Index(type)][*name] = std::move(held);
  return true;
}

void ProxyState::Remove(ResourceType type, const std::string& name) {
  held_[Index(type)].erase(name);
}

void ProxyState::RetainOnly(ResourceType type, const std::set<std::string>& names) {
  auto& held = held_[Index(type)];
  for (auto it = held.begin(); it != held.end();) {
    if (names.count(it->first) == 0) {
      it = held.erase(it);
    } else {
      ++it;
    }
  }
}

std::set<std::string> ProxyState::Wanted(ResourceType type) const {
  std::set<std::string> out;
  const ResourceType from =
      type == ResourceType::kEndpoint ? ResourceType::kCluster : ResourceType::kListener;
  for (const auto& [name, held] : held_[Index(from)]) {
    out.insert(held.references.begin(), held.references.end());
  }
  return out;
}

bool ProxyState::Complete() const {
  for (ResourceType type : {ResourceType::kEndpoint, ResourceType::kRoute}) {
    std::set<std::string> wanted = Wanted(type);
    if (wanted.empty()) return false;
    for (const std::string& name : wanted) {
      if (held_[Index(type)].count(name) == 0) return false;
    }
  }
  return true;
}

int ProxyState::clusters() const { return held_[Index(ResourceType::kCluster)].size(); }

int ProxyState::endpoints() const {
  int n = 0;
  for (const auto& [name, held] : held_[Index(ResourceType::kEndpoint)]) n += held.count;
  return n;
}

int ProxyState::routes() const {
  int n = 0;
  for (const auto& [name, held] : held_[Index(ResourceType::kRoute)]) n += held.count;
  return n;
}

// ---------------------------------------------------------------------------------------------
// AckTracker

AckTracker::AckTracker(int streams) : streams_(streams) {}

void AckTracker::OnAck(int stream, ResourceType type, const std::string& version, absl::Time at) {
  absl::MutexLock lock(&mu_);
  StreamState& s = streams_[stream];
  s.acked[Index(type)] = Acked{version, at};
  if (pending_ > 0 && type == expected_type_ && s.expectation >= 0 &&
      expected_times_[s.expectation] == absl::InfinitePast() &&
      expected_versions_[s.expectation] == version) {
    expected_times_[s.expectation] = at;
    --pending_;
  }
}

void AckTracker::OnSynced(int stream, absl::Time at, SyncCounts counts) {
  absl::MutexLock lock(&mu_);
  StreamState& s = streams_[stream];
  if (s.synced) return;
  s.synced = true;
  if (synced_ == 0) {
    min_counts_ = counts;
    max_counts_ = counts;
    last_sync_ = at;
  }
  ++synced_;
  last_sync_ = std::max(last_sync_, at);
  min_counts_.clusters = std::min(min_counts_.clusters, counts.clusters);
  min_counts_.endpoints = std::min(min_counts_.endpoints, counts.endpoints);
  min_counts_.routes = std::min(min_counts_.routes, counts.routes);
  max_counts_.clusters = std::max(max_counts_.clusters, counts.clusters);
  max_counts_.endpoints = std::max(max_counts_.endpoints, counts.endpoints);
  max_counts_.routes = std::max(max_counts_.routes, counts.routes);
}

void AckTracker::OnNack(int stream, const std::string& message) {
  absl::MutexLock lock(&mu_);
  if (nacks_++ < 5) {
    STRATA_LOG(WARNING) << "stream " << stream << " rejected: " << message;
  }
}

void AckTracker::OnDone(int stream, const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  StreamState& s = streams_[stream];
  if (s.done) return;
  s.done = true;
  ++done_;
  if (!ends_expected_) {
    if (failures_++ < 5) {
      STRATA_LOG(ERROR) << "stream " << stream << " ended: " << status.error_code() << " "
                        << status.error_message();
    }
  }
}

std::optional<absl::Time> AckTracker::AwaitSynced(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return synced_ == static_cast<int>(streams_.size()) || failures_ > 0;
  };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  if (synced_ != static_cast<int>(streams_.size())) return std::nullopt;
  return last_sync_;
}

int AckTracker::synced() const {
  absl::MutexLock lock(&mu_);
  return synced_;
}

std::pair<AckTracker::SyncCounts, AckTracker::SyncCounts> AckTracker::SyncCountRange() const {
  absl::MutexLock lock(&mu_);
  return {min_counts_, max_counts_};
}

std::optional<std::vector<absl::Time>> AckTracker::AwaitAcks(
    ResourceType type, const std::vector<std::pair<int, std::string>>& expected,
    absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  for (StreamState& s : streams_) s.expectation = -1;
  expected_type_ = type;
  expected_versions_.assign(expected.size(), "");
  expected_times_.assign(expected.size(), absl::InfinitePast());
  pending_ = expected.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    StreamState& s = streams_[expected[i].first];
    s.expectation = i;
    expected_versions_[i] = expected[i].second;
    // It may have ACKed before the expectation was known.
    if (s.acked[Index(type)].version == expected[i].second) {
      expected_times_[i] = s.acked[Index(type)].at;
      --pending_;
    }
  }
  auto ready = [this]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pending_ == 0 || failures_ > 0; };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  last_acked_ = expected.size() - pending_;
  const bool complete = pending_ == 0;
  pending_ = 0;
  if (!complete) return std::nullopt;
  return expected_times_;
}

int AckTracker::last_acked() const {
  absl::MutexLock lock(&mu_);
  return last_acked_;
}

void AckTracker::ExpectEnds() {
  absl::MutexLock lock(&mu_);
  ends_expected_ = true;
}

bool AckTracker::AwaitAllDone(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return done_ == static_cast<int>(streams_.size());
  };
  return mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
}

int AckTracker::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

int AckTracker::nacks() const {
  absl::MutexLock lock(&mu_);
  return nacks_;
}

// ---------------------------------------------------------------------------------------------
// Streams

class LoadClient::Stream {
 public:
  virtual ~Stream() = default;
  virtual void Start(AggregatedDiscoveryService::Stub& stub) = 0;
  virtual void Cancel() = 0;
};

namespace {

// The protocol-independent half of a simulated Envoy's ADS stream: one write at a time from a
// queue, reads one after another, and the bookkeeping of what was ACKed and when the initial
// sync completed.
template <typename Request, typename Response>
class AdsStream : public LoadClient::Stream, public grpc::ClientBidiReactor<Request, Response> {
 public:
  AdsStream(int index, std::string node_id, std::string group, AckTracker& tracker)
      : index_(index), node_id_(std::move(node_id)), group_(std::move(group)), tracker_(tracker) {
    context_.set_wait_for_ready(true);
  }

  void Cancel() override { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    Handle(response_);
    this->StartRead(&response_);
  }

  void OnWriteDone(bool ok) override {
    const Request* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      queue_.pop_front();
      if (ok && !queue_.empty()) {
        next = &queue_.front();
      } else {
        writing_ = false;
      }
    }
    if (next != nullptr) this->StartWrite(next);
  }

  void OnDone(const grpc::Status& status) override { tracker_.OnDone(index_, status); }

 protected:
  virtual void Handle(const Response& response) = 0;

  // Opens the call with the first requests queued.
  void Begin(std::vector<Request> first) {
    for (Request& r : first) Send(std::move(r));
    this->StartRead(&response_);
    this->StartCall();
  }

  void Send(Request request) {
    const Request* start = nullptr;
    {
      absl::MutexLock lock(&mu_);
      queue_.push_back(std::move(request));  // a deque keeps the element in flight in place
      if (!writing_) {
        writing_ = true;
        start = &queue_.front();
      }
    }
    if (start != nullptr) this->StartWrite(start);
  }

  void SetNode(envoy::config::core::v3::Node* node) const {
    node->set_id(node_id_);
    node->set_cluster(group_);
    node->set_user_agent_name("strata-xds-bench");
  }

  // Reports the ACK just sent, and the initial sync once it is complete.
  void Acked(ResourceType type, const std::string& version, absl::Time at) {
    tracker_.OnAck(index_, type, version, at);
    acked_once_[Index(type)] = true;
    if (!synced_ && acked_once_[Index(ResourceType::kCluster)] &&
        acked_once_[Index(ResourceType::kListener)] && state_.Complete()) {
      synced_ = true;
      tracker_.OnSynced(index_, at, {state_.clusters(), state_.endpoints(), state_.routes()});
    }
  }

  const int index_;
  const std::string node_id_;
  const std::string group_;
  AckTracker& tracker_;
  grpc::ClientContext context_;
  // Touched by OnReadDone only (reads do not overlap).
  Response response_;
  ProxyState state_;
  std::array<bool, xds::kNumResourceTypes> acked_once_{};
  bool synced_ = false;

 private:
  absl::Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
};

// State of the World: every request carries the full subscription, ACKs echo version_info.
class SotwStream final : public AdsStream<DiscoveryRequest, DiscoveryResponse> {
 public:
  using AdsStream::AdsStream;

  void Start(AggregatedDiscoveryService::Stub& stub) override {
    stub.async()->StreamAggregatedResources(&context_, this);
    std::vector<DiscoveryRequest> first = {Request(ResourceType::kCluster),
                                           Request(ResourceType::kListener)};
    SetNode(first[0].mutable_node());
    Begin(std::move(first));
  }

 private:
  struct TypeState {
    std::set<std::string> names;  // empty: wildcard (CDS, LDS)
    std::string version;          // last accepted
    std::string nonce;            // last received
  };

  DiscoveryRequest Request(ResourceType type) const {
    const TypeState& st = types_[Index(type)];
    DiscoveryRequest r;
    r.set_type_url(std::string(xds::TypeUrl(type)));
    r.set_version_info(st.version);
    r.set_response_nonce(st.nonce);
    for (const std::string& name : st.names) r.add_resource_names(name);
    return r;
  }

  void Handle(const DiscoveryResponse& response) override {
    ResourceType type;
    if (!xds::ParseTypeUrl(response.type_url(), &type)) {
      tracker_.OnNack(index_, "unknown type_url " + response.type_url());
      return;
    }
    std::set<std::string> names;
    std::string error;
    for (const auto& any : response.resources()) {
      std::string name;
      if (any.type_url() != response.type_url() || !state_.Apply(type, any.value(), &name)) {
        error = "a resource does not decode";
        break;
      }
      names.insert(name);
    }
    if (error.empty() && xds::IsFullStateType(type)) state_.RetainOnly(type, names);

    TypeState& st = types_[Index(type)];
    st.nonce = response.nonce();
    if (error.empty()) st.version = response.version_info();
    DiscoveryRequest ack = Request(type);
    if (!error.empty()) {
      ack.mutable_error_detail()->set_code(3);  // INVALID_ARGUMENT
      ack.mutable_error_detail()->set_message(error);
      tracker_.OnNack(index_, error);
    }
    const absl::Time at = absl::Now();
    Send(std::move(ack));
    // Clusters and listeners lead to EDS and RDS subscriptions.
    for (ResourceType dependent : {ResourceType::kEndpoint, ResourceType::kRoute}) {
      std::set<std::string> wanted = state_.Wanted(dependent);
      TypeState& dep = types_[Index(dependent)];
      if (wanted.empty() || wanted == dep.names) continue;
      dep.names = std::move(wanted);
      Send(Request(dependent));
    }
    if (error.empty()) Acked(type, response.version_info(), at);
  }

  std::array<TypeState, xds::kNumResourceTypes> types_;
};

// Delta: subscriptions change by difference, ACKs echo the nonce; the version reported is the
// response's system_version_info.
class DeltaStream final : public AdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
 public:
  using AdsStream::AdsStream;

  void Start(AggregatedDiscoveryService::Stub& stub) override {
    stub.async()->DeltaAggregatedResources(&context_, this);
    // An empty first subscription to a full-state type is a wildcard.
    std::vector<DeltaDiscoveryRequest> first(2);
    first[0].set_type_url(std::string(xds::kClusterTypeUrl));
    SetNode(first[0].mutable_node());
    first[1].set_type_url(std::string(xds::kListenerTypeUrl));
    Begin(std::move(first));
  }

 private:
  void Handle(const DeltaDiscoveryResponse& response) override {
    ResourceType type;
    if (!xds::ParseTypeUrl(response.type_url(), &type)) {
      tracker_.OnNack(index_, "unknown type_url " + response.type_url());
      return;
    }
    std::string error;
    for (const auto& resource : response.resources()) {
      std::string name;
      if (resource.resource().type_url() != response.type_url() ||
          !state_.Apply(type, resource.resource().value(), &name) || name != resource.name()) {
        error = "a resource does not decode";
        break;
      }
    }
    if (error.empty()) {
      for (const std::string& name : response.removed_resources()) state_.Remove(type, name);
    }

    DeltaDiscoveryRequest ack;
    ack.set_type_url(response.type_url());
    ack.set_response_nonce(response.nonce());
    if (!error.empty()) {
      ack.mutable_error_detail()->set_code(3);  // INVALID_ARGUMENT
      ack.mutable_error_detail()->set_message(error);
      tracker_.OnNack(index_, error);
    }
    const absl::Time at = absl::Now();
    Send(std::move(ack));
    for (ResourceType dependent : {ResourceType::kEndpoint, ResourceType::kRoute}) {
      std::set<std::string> wanted = state_.Wanted(dependent);
      std::set<std::string>& subscribed = subscribed_[Index(dependent)];
      if (wanted.empty() || wanted == subscribed) continue;
      DeltaDiscoveryRequest change;
      change.set_type_url(std::string(xds::TypeUrl(dependent)));
      for (const std::string& name : wanted) {
        if (subscribed.count(name) == 0) change.add_resource_names_subscribe(name);
      }
      for (const std::string& name : subscribed) {
        if (wanted.count(name) == 0) change.add_resource_names_unsubscribe(name);
      }
      subscribed = std::move(wanted);
      Send(std::move(change));
    }
    if (error.empty()) Acked(type, response.system_version_info(), at);
  }

  std::array<std::set<std::string>, xds::kNumResourceTypes> subscribed_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// LoadClient

LoadClient::LoadClient(Options options, AckTracker& tracker)
    : options_(std::move(options)), tracker_(tracker) {
  for (int i = 0; i < options_.channels; ++i) {
    grpc::ChannelArguments args;
    // A subchannel pool per channel: every channel opens its own TCP connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(64 << 20);
    channels_.push_back(
        grpc::CreateCustomChannel(options_.target, grpc::InsecureChannelCredentials(), args));
    stubs_.push_back(AggregatedDiscoveryService::NewStub(channels_.back()));
  }
}

LoadClient::~LoadClient() {
  if (!streams_.empty()) Stop(absl::Now() + absl::Seconds(10));
}

void LoadClient::Start() {
  for (int i = 0; i < streams(); ++i) {
    std::string node_id = absl::StrFormat("bench-node-%04d", i);
    std::string group = GroupName(GroupOf(i));
    if (options_.protocol == Protocol::kSotw) {
      streams_.push_back(
          std::make_unique<SotwStream>(i, std::move(node_id), std::move(group), tracker_));
    } else {
      streams_.push_back(
          std::make_unique<DeltaStream>(i, std::move(node_id), std::move(group), tracker_));
    }
    streams_.back()->Start(*stubs_[i % options_.channels]);
  }
}

bool LoadClient::Stop(absl::Time deadline) {
  tracker_.ExpectEnds();
  for (auto& s : streams_) s->Cancel();
  if (!tracker_.AwaitAllDone(deadline)) {
    // Still running: destroying them would pull the reactors from under gRPC.
    for (auto& s : streams_) static_cast<void>(s.release());
    streams_.clear();
    return false;
  }
  streams_.clear();
  return true;
}

}  // namespace strata::bench
