#ifndef STRATA_CONTROLPLANE_API_API_SERVICE_H_
#define STRATA_CONTROLPLANE_API_API_SERVICE_H_

#include "controlplane/api/node_status.h"
#include "controlplane/xds/snapshot_cache.h"
#include "proto/strata/v1/controlplane.grpc.pb.h"

namespace strata::api {

// strata.v1.ControlPlane: proxy status and snapshot inspection for integrators.
class ApiService final : public strata::v1::ControlPlane::CallbackService {
 public:
  ApiService(const NodeStatusRegistry& status, const xds::SnapshotCache& cache)
      : status_(status), cache_(cache) {}

  grpc::ServerUnaryReactor* ListProxies(grpc::CallbackServerContext* context,
                                        const strata::v1::ListProxiesRequest* request,
                                        strata::v1::ListProxiesResponse* response) override;
  grpc::ServerUnaryReactor* ListGroups(grpc::CallbackServerContext* context,
                                       const strata::v1::ListGroupsRequest* request,
                                       strata::v1::ListGroupsResponse* response) override;
  grpc::ServerUnaryReactor* GetSnapshot(grpc::CallbackServerContext* context,
                                        const strata::v1::GetSnapshotRequest* request,
                                        strata::v1::GetSnapshotResponse* response) override;

 private:
  const NodeStatusRegistry& status_;
  const xds::SnapshotCache& cache_;
};

}  // namespace strata::api

#endif  // STRATA_CONTROLPLANE_API_API_SERVICE_H_
