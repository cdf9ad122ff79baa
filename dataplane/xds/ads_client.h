#ifndef STRATA_DATAPLANE_XDS_ADS_CLIENT_H_
#define STRATA_DATAPLANE_XDS_ADS_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dataplane/server/proxy_config.h"
#include "dataplane/xds/config_state.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace strata::xds {

// The proxy's xDS client: one ADS stream (Delta by default, SotW supported) on a thread of its
// own. Responses are validated and applied through ConfigState; accepted ones are ACKed and
// the new config is handed to `on_config`; rejected ones are NACKed with an error_detail that
// names the resource and field, and nothing changes. When the stream fails the proxy keeps
// serving what it has and reconnects with jittered exponential backoff; on reconnect a Delta
// stream announces the versions it holds (initial_resource_versions).
class AdsClient {
 public:
  struct Options {
    std::string target;  // gRPC target of the control plane ("127.0.0.1:18000")
    envoy::config::core::v3::Node node;
    bool delta = true;
    absl::Duration initial_backoff = absl::Milliseconds(500);
    absl::Duration max_backoff = absl::Seconds(30);
  };
  struct Stats {
    bool connected = false;
    uint64_t streams = 0;  // streams opened so far
    uint64_t responses = 0;
    uint64_t acks = 0;
    uint64_t nacks = 0;
    std::string last_nack;
  };
  using ConfigCallback = std::function<void(server::ProxyConfig)>;

  AdsClient(Options options, ConfigState& state, ConfigCallback on_config);
  ~AdsClient();  // Stop()

  void Start();
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run();
  // One stream until it fails; true if it received at least one response.
  bool RunSotw(grpc::ClientContext& context);
  bool RunDelta(grpc::ClientContext& context);
  void Publish();
  void CountResponse(bool accepted, const std::string& message) ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  ConfigState& state_;
  const ConfigCallback on_config_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<envoy::service::discovery::v3::AggregatedDiscoveryService::Stub> stub_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::xds

#endif  // STRATA_DATAPLANE_XDS_ADS_CLIENT_H_
