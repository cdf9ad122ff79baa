#include "dataplane/xds/ads_client.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace strata::xds {

namespace {

using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

constexpr XdsType kWildcardTypes[] = {XdsType::kCluster, XdsType::kListener};
constexpr XdsType kNamedTypes[] = {XdsType::kSecret, XdsType::kEndpoint, XdsType::kRoute};

int Index(XdsType type) { return static_cast<int>(type); }

// Resource name as the proto carries it (SotW responses have no separate name).
std::string NameOf(XdsType type, const google::protobuf::Any& any) {
  switch (type) {
    case XdsType::kListener: {
      envoy::config::listener::v3::Listener m;
      return any.UnpackTo(&m) ? m.name() : "";
    }
    case XdsType::kRoute: {
      envoy::config::route::v3::RouteConfiguration m;
      return any.UnpackTo(&m) ? m.name() : "";
    }
    case XdsType::kCluster: {
      envoy::config::cluster::v3::Cluster m;
      return any.UnpackTo(&m) ? m.name() : "";
    }
    case XdsType::kEndpoint: {
      envoy::config::endpoint::v3::ClusterLoadAssignment m;
      return any.UnpackTo(&m) ? m.cluster_name() : "";
    }
    case XdsType::kSecret: {
      envoy::extensions::transport_sockets::tls::v3::Secret m;
      return any.UnpackTo(&m) ? m.name() : "";
    }
  }
  return "";
}

}  // namespace

AdsClient::AdsClient(Options options, ConfigState& state, ConfigCallback on_config)
    : options_(std::move(options)), state_(state), on_config_(std::move(on_config)) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 30000);
  channel_ = grpc::CreateCustomChannel(options_.target, grpc::InsecureChannelCredentials(), args);
  stub_ = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel_);
}

AdsClient::~AdsClient() { Stop(); }

void AdsClient::Start() {
  thread_ = std::thread([this] { Run(); });
}

void AdsClient::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

AdsClient::Stats AdsClient::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void AdsClient::CountResponse(bool accepted, const std::string& message) {
  absl::MutexLock lock(&mu_);
  ++stats_.responses;
  if (accepted) {
    ++stats_.acks;
  } else {
    ++stats_.nacks;
    stats_.last_nack = message;
  }
}

void AdsClient::Publish() { on_config_(state_.Build()); }

void AdsClient::Run() {
  std::mt19937_64 random(std::random_device{}());
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      context_ = &context;
      ++stats_.streams;
    }
    const bool got_response = options_.delta ? RunDelta(context) : RunSotw(context);
    {
      absl::MutexLock lock(&mu_);
      context_ = nullptr;
      stats_.connected = false;
      if (stopping_) return;
    }
    if (got_response) backoff = options_.initial_backoff;
    // Full jitter around the current step: [backoff/2, backoff*3/2).
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    const absl::Duration wait = backoff * jitter(random);
    backoff = std::min(backoff * 2, options_.max_backoff);
    STRATA_LOG(WARNING) << "xDS stream to " << options_.target << " ended; reconnecting in "
                        << absl::FormatDuration(wait);
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    if (stopping_) return;
  }
}

bool AdsClient::RunSotw(grpc::ClientContext& context) {
  auto stream = stub_->StreamAggregatedResources(&context);
  std::string version[kNumXdsTypes];
  std::string nonce[kNumXdsTypes];
  std::set<std::string> names[kNumXdsTypes];
  bool got_response = false;
  auto send = [&](XdsType type, const std::string* error) {
    DiscoveryRequest request;
    *request.mutable_node() = options_.node;
    request.set_type_url(XdsTypeUrl(type));
    request.set_version_info(version[Index(type)]);
    request.set_response_nonce(nonce[Index(type)]);
    for (const auto& name : names[Index(type)]) request.add_resource_names(name);
    if (error != nullptr) {
      request.mutable_error_detail()->set_code(grpc::StatusCode::INVALID_ARGUMENT);
      request.mutable_error_detail()->set_message(*error);
    }
    return stream->Write(request);
  };
  // Wildcard types first; named types when there is something to ask for (a reconnect).
  for (XdsType type : kWildcardTypes) {
    if (!send(type, nullptr)) return false;
  }
  for (XdsType type : kNamedTypes) {
    names[Index(type)] = state_.WantedNames(type);
    if (!names[Index(type)].empty() && !send(type, nullptr)) return false;
  }
  DiscoveryResponse response;
  while (stream->Read(&response)) {
    if (!got_response) {
      got_response = true;
      absl::MutexLock lock(&mu_);
      stats_.connected = true;
    }
    XdsType type;
    if (!ParseXdsTypeUrl(response.type_url(), &type)) {
      STRATA_LOG(WARNING) << "xDS: ignoring a response of unknown type " << response.type_url();
      continue;
    }
    nonce[Index(type)] = response.nonce();
    std::vector<XdsResource> resources;
    for (const auto& any : response.resources()) {
      resources.push_back(XdsResource{NameOf(type, any), response.version_info(), any});
    }
    const absl::Status status = state_.Apply(type, resources, {}, /*state_of_the_world=*/true);
    if (status.ok()) {
      STRATA_LOG(INFO) << "xDS: accepted " << XdsTypeName(type) << " version "
                       << response.version_info() << ": " << resources.size() << " resources";
      version[Index(type)] = response.version_info();
      Publish();
      CountResponse(true, "");
      if (!send(type, nullptr)) break;
    } else {
      const std::string message = std::string(status.message());
      STRATA_LOG(WARNING) << "xDS: rejected " << XdsTypeName(type) << " version "
                          << response.version_info() << ": " << message;
      CountResponse(false, message);
      if (!send(type, &message)) break;
    }
    // Follow the names the accepted config needs.
    for (XdsType named : kNamedTypes) {
      std::set<std::string> wanted = state_.WantedNames(named);
      if (wanted != names[Index(named)]) {
        names[Index(named)] = std::move(wanted);
        if (!send(named, nullptr)) break;
      }
    }
  }
  const grpc::Status status = stream->Finish();
  STRATA_LOG(WARNING) << "xDS stream: " << status.error_message();
  return got_response;
}

bool AdsClient::RunDelta(grpc::ClientContext& context) {
  auto stream = stub_->DeltaAggregatedResources(&context);
  std::set<std::string> names[kNumXdsTypes];
  bool first_request = true;
  bool got_response = false;
  auto start = [&](XdsType type, const std::set<std::string>& subscribe) {
    DeltaDiscoveryRequest request;
    if (first_request) *request.mutable_node() = options_.node;
    first_request = false;
    request.set_type_url(XdsTypeUrl(type));
    for (const auto& name : subscribe) request.add_resource_names_subscribe(name);
    for (const auto& [name, version] : state_.Versions(type)) {
      (*request.mutable_initial_resource_versions())[name] = version;
    }
    return stream->Write(request);
  };
  for (XdsType type : kWildcardTypes) {
    if (!start(type, {})) return false;  // no names: the wildcard subscription
  }
  for (XdsType type : kNamedTypes) {
    names[Index(type)] = state_.WantedNames(type);
    if (!names[Index(type)].empty() && !start(type, names[Index(type)])) return false;
  }
  DeltaDiscoveryResponse response;
  while (stream->Read(&response)) {
    if (!got_response) {
      got_response = true;
      absl::MutexLock lock(&mu_);
      stats_.connected = true;
    }
    XdsType type;
    if (!ParseXdsTypeUrl(response.type_url(), &type)) {
      STRATA_LOG(WARNING) << "xDS: ignoring a response of unknown type " << response.type_url();
      continue;
    }
    std::vector<XdsResource> resources;
    for (const auto& r : response.resources()) {
      resources.push_back(XdsResource{r.name(), r.version(), r.resource()});
    }
    std::vector<std::string> removed(response.removed_resources().begin(),
                                     response.removed_resources().end());
    const absl::Status status =
        state_.Apply(type, resources, removed, /*state_of_the_world=*/false);
    DeltaDiscoveryRequest ack;
    ack.set_type_url(response.type_url());
    ack.set_response_nonce(response.nonce());
    if (status.ok()) {
      STRATA_LOG(INFO) << "xDS: accepted " << XdsTypeName(type) << ": " << resources.size()
                       << " updated, " << removed.size() << " removed";
      Publish();
      CountResponse(true, "");
    } else {
      const std::string message = std::string(status.message());
      STRATA_LOG(WARNING) << "xDS: rejected " << XdsTypeName(type) << ": " << message;
      CountResponse(false, message);
      ack.mutable_error_detail()->set_code(grpc::StatusCode::INVALID_ARGUMENT);
      ack.mutable_error_detail()->set_message(message);
    }
    if (!stream->Write(ack)) break;
    for (XdsType named : kNamedTypes) {
      const std::set<std::string> wanted = state_.WantedNames(named);
      std::set<std::string>& have = names[Index(named)];
      if (wanted == have) continue;
      DeltaDiscoveryRequest change;
      change.set_type_url(XdsTypeUrl(named));
      for (const auto& name : wanted) {
        if (!have.contains(name)) change.add_resource_names_subscribe(name);
      }
      for (const auto& name : have) {
        if (!wanted.contains(name)) change.add_resource_names_unsubscribe(name);
      }
      have = wanted;
      if (!stream->Write(change)) break;
    }
  }
  const grpc::Status status = stream->Finish();
  STRATA_LOG(WARNING) << "xDS stream: " << status.error_message();
  return got_response;
}

}  // namespace strata::xds
