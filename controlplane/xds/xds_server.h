#ifndef STRATA_CONTROLPLANE_XDS_XDS_SERVER_H_
#define STRATA_CONTROLPLANE_XDS_XDS_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controlplane/xds/callbacks.h"
#include "controlplane/xds/snapshot_cache.h"
#include "grpcpp/grpcpp.h"

namespace strata::xds {

// The xDS v3 gRPC services: ADS (SotW and Delta) and the per-type services for LDS, RDS, CDS,
// EDS and SDS (SotW and Delta), all on the callback API, serving from a SnapshotCache.
class XdsServer {
 public:
  XdsServer(SnapshotCache& cache, const NodeGrouper& grouper, XdsCallbacks& callbacks,
            Clock& clock = RealClock::Get());
  ~XdsServer();

  // Registers every service on `builder`.
  void RegisterServices(grpc::ServerBuilder& builder);

  struct TransportOptions {
    absl::Duration keepalive_time = absl::Seconds(30);  // server pings an idle connection
    absl::Duration keepalive_timeout = absl::Seconds(10);
    int64_t max_receive_message_bytes = 64 << 20;  // Delta reconnects can exceed 4 MiB
    absl::Duration max_connection_age = absl::InfiniteDuration();
    absl::Duration max_connection_age_grace = absl::Minutes(1);
  };
  // Checks that `options` can be applied: positive keepalive settings, a receive limit of at
  // least 32 MiB (Delta reconnects carry every known version) and durations gRPC can hold.
  // The message names the offending field.
  static absl::Status ValidateTransportOptions(const TransportOptions& options);
  // Channel arguments for keepalive (half-open connections are detected and closed), message
  // size and connection age.
  static void ApplyTransportOptions(const TransportOptions& options, grpc::ServerBuilder& builder);

 private:
  class Services;
  std::unique_ptr<Services> services_;
};

}  // namespace strata::xds

#endif  // STRATA_CONTROLPLANE_XDS_XDS_SERVER_H_
