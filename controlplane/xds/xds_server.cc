#include "controlplane/xds/xds_server.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "controlplane/xds/stream.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/endpoint/v3/eds.grpc.pb.h"
#include "envoy/service/listener/v3/lds.grpc.pb.h"
#include "envoy/service/route/v3/rds.grpc.pb.h"
#include "envoy/service/secret/v3/sds.grpc.pb.h"

namespace strata::xds {
namespace {

using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryRequest;

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// One gRPC stream: a thin adapter between the callback API and XdsStream. It reads and writes
// raw bytes and does the protobuf parsing itself, because the typed API reports a message that
// does not parse exactly like the client's half-close; here it ends the stream with an error.
template <typename Request>
class Reactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                      public StreamTransport {
 public:
  explicit Reactor(std::shared_ptr<XdsStream> stream) : stream_(std::move(stream)) {
    stream_->Attach(this);
    StartRead(&read_buffer_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed or the call broke; end our side too.
      stream_->RequestFinish(absl::OkStatus());
      return;
    }
    Request request;
    absl::Status status = Parse(&request);
    if (status.ok()) status = Handle(request);
    if (!status.ok()) {
      stream_->RequestFinish(status);
      return;
    }
    StartRead(&read_buffer_);
  }
  void OnWriteDone(bool ok) override {
    write_buffer_.Clear();  // don't keep the last response's bytes per idle stream
    stream_->OnWriteDone(ok);
  }
  void OnCancel() override { stream_->RequestFinish(absl::CancelledError("stream cancelled")); }
  void OnDone() override {
    stream_->Detach();
    delete this;
  }

  void WriteResponse(const google::protobuf::Message* message) override {
    write_buffer_.Clear();  // the previous write is done
    bool own_buffer;
    grpc::Status status = grpc::SerializationTraits<google::protobuf::Message>::Serialize(
        *message, &write_buffer_, &own_buffer);
    if (!status.ok()) {
      stream_->OnWriteDone(false);  // ends the stream
      return;
    }
    StartWrite(&write_buffer_);
  }
  void FinishStream(const absl::Status& status) override { Finish(ToGrpcStatus(status)); }

 private:
  absl::Status Parse(Request* request) {
    if (!grpc::SerializationTraits<Request>::Deserialize(&read_buffer_, request).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("request is not a valid ", Request::descriptor()->full_name()));
    }
    return absl::OkStatus();
  }
  absl::Status Handle(const DiscoveryRequest& r) { return stream_->OnSotwRequest(r); }
  absl::Status Handle(const DeltaDiscoveryRequest& r) { return stream_->OnDeltaRequest(r); }

  std::shared_ptr<XdsStream> stream_;
  grpc::ByteBuffer read_buffer_;
  grpc::ByteBuffer write_buffer_;  // the write in flight (XdsStream allows one at a time)
};

using SotwReactor = Reactor<DiscoveryRequest>;
using DeltaReactor = Reactor<DeltaDiscoveryRequest>;

}  // namespace

class XdsServer::Services {
 public:
  Services(SnapshotCache& cache, const NodeGrouper& grouper, XdsCallbacks& callbacks, Clock& clock)
      : deps_{cache, grouper, callbacks, clock},
        ads_(this),
        lds_(this),
        rds_(this),
        cds_(this),
        eds_(this),
        sds_(this) {}

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* NewSotw(
      std::optional<ResourceType> type) {
    return new SotwReactor(
        std::make_shared<XdsStream>(XdsStream::Kind::kSotw, type, deps_, next_id_++));
  }
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* NewDelta(
      std::optional<ResourceType> type) {
    return new DeltaReactor(
        std::make_shared<XdsStream>(XdsStream::Kind::kDelta, type, deps_, next_id_++));
  }

  void Register(grpc::ServerBuilder& builder) {
    builder.RegisterService(&ads_);
    builder.RegisterService(&lds_);
    builder.RegisterService(&rds_);
    builder.RegisterService(&cds_);
    builder.RegisterService(&eds_);
    builder.RegisterService(&sds_);
  }

 private:
  // Each per-type service is two one-line methods; a macro keeps the five of them in step.
  // Both methods are raw (bytes in, bytes out); see Reactor.
#define STRATA_XDS_TYPED_SERVICE(Class, Base, StreamMethod, DeltaMethod, Type)        \
  class Class final : public Base::WithRawCallbackMethod_##StreamMethod<              \
                          Base::WithRawCallbackMethod_##DeltaMethod<Base::Service>> { \
   public:                                                                            \
    explicit Class(Services* s) : s_(s) {}                                            \
    grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StreamMethod(        \
        grpc::CallbackServerContext*) override {                                      \
      return s_->NewSotw(Type);                                                       \
    }                                                                                 \
    grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* DeltaMethod(         \
        grpc::CallbackServerContext*) override {                                      \
      return s_->NewDelta(Type);                                                      \
    }                                                                                 \
                                                                                      \
   private:                                                                           \
    Services* s_;                                                                     \
  }

  STRATA_XDS_TYPED_SERVICE(Ads, envoy::service::discovery::v3::AggregatedDiscoveryService,
                           StreamAggregatedResources, DeltaAggregatedResources, std::nullopt);
  STRATA_XDS_TYPED_SERVICE(Lds, envoy::service::listener::v3::ListenerDiscoveryService,
                           StreamListeners, DeltaListeners, ResourceType::kListener);
  STRATA_XDS_TYPED_SERVICE(Rds, envoy::service::route::v3::RouteDiscoveryService, StreamRoutes,
                           DeltaRoutes, ResourceType::kRoute);
  STRATA_XDS_TYPED_SERVICE(Cds, envoy::service::cluster::v3::ClusterDiscoveryService,
                           StreamClusters, DeltaClusters, ResourceType::kCluster);
  STRATA_XDS_TYPED_SERVICE(Eds, envoy::service::endpoint::v3::EndpointDiscoveryService,
                           StreamEndpoints, DeltaEndpoints, ResourceType::kEndpoint);
  STRATA_XDS_TYPED_SERVICE(Sds, envoy::service::secret::v3::SecretDiscoveryService, StreamSecrets,
                           DeltaSecrets, ResourceType::kSecret);
#undef STRATA_XDS_TYPED_SERVICE

  XdsStream::Deps deps_;
  std::atomic<uint64_t> next_id_{1};
  Ads ads_;
  Lds lds_;
  Rds rds_;
  Cds cds_;
  Eds eds_;
  Sds sds_;
};

XdsServer::XdsServer(SnapshotCache& cache, const NodeGrouper& grouper, XdsCallbacks& callbacks,
                     Clock& clock)
    : services_(std::make_unique<Services>(cache, grouper, callbacks, clock)) {}

XdsServer::~XdsServer() = default;

void XdsServer::RegisterServices(grpc::ServerBuilder& builder) { services_->Register(builder); }

absl::Status XdsServer::ValidateTransportOptions(const TransportOptions& options) {
  // gRPC takes durations as int milliseconds and sizes as int bytes.
  const absl::Duration max_duration = absl::Milliseconds(std::numeric_limits<int>::max());
  auto check_duration = [&](absl::string_view field, absl::Duration d) {
    if (d < absl::Milliseconds(1) || d > max_duration) {
      return absl::InvalidArgumentError(absl::StrCat(field, " must be at least 1ms and at most ",
                                                     absl::FormatDuration(max_duration), ", got ",
                                                     absl::FormatDuration(d)));
    }
    return absl::OkStatus();
  };
  STRATA_RETURN_IF_ERROR(check_duration("keepalive_time", options.keepalive_time));
  STRATA_RETURN_IF_ERROR(check_duration("keepalive_timeout", options.keepalive_timeout));
  if (options.max_connection_age != absl::InfiniteDuration()) {
    STRATA_RETURN_IF_ERROR(check_duration("max_connection_age", options.max_connection_age));
    STRATA_RETURN_IF_ERROR(
        check_duration("max_connection_age_grace", options.max_connection_age_grace));
  }
  constexpr int64_t kMinReceive = int64_t{32} << 20;
  const int64_t max_receive = std::numeric_limits<int>::max();
  if (options.max_receive_message_bytes < kMinReceive) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_receive_message_bytes must be at least 32 MiB (Delta clients reconnect with the "
        "versions of every resource they hold), got ",
        options.max_receive_message_bytes));
  }
  if (options.max_receive_message_bytes > max_receive) {
    return absl::InvalidArgumentError(absl::StrCat("max_receive_message_bytes must be at most ",
                                                   max_receive, ", got ",
                                                   options.max_receive_message_bytes));
  }
  return absl::OkStatus();
}

void XdsServer::ApplyTransportOptions(const TransportOptions& options,
                                      grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Clients may ping us as often as every 10 s without being told to go away.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 1 << 20);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_receive_message_bytes));
  if (options.max_connection_age != absl::InfiniteDuration()) {
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_MS,
        static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_age)));
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
        static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_age_grace)));
  }
}

}  // namespace strata::xds
