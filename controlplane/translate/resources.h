#ifndef STRATA_CONTROLPLANE_TRANSLATE_RESOURCES_H_
#define STRATA_CONTROLPLANE_TRANSLATE_RESOURCES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/xds/snapshot.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"

namespace strata::translate {

// The xDS resources of one node group. Every vector is sorted by resource name
// (ClusterLoadAssignment: by cluster_name).
struct XdsResources {
  std::vector<envoy::config::listener::v3::Listener> listeners;
  std::vector<envoy::config::route::v3::RouteConfiguration> routes;
  std::vector<envoy::config::cluster::v3::Cluster> clusters;
  std::vector<envoy::config::endpoint::v3::ClusterLoadAssignment> endpoints;
  std::vector<envoy::extensions::transport_sockets::tls::v3::Secret> secrets;
  // Human-readable reasons for objects (or parts of them) that were left out. Sorted.
  std::vector<std::string> warnings;
};

// Sorts every vector of `resources` as XdsResources promises, and drops repeated warnings.
void SortResources(XdsResources& resources);

// The xDS snapshot that serves `resources` (each resource serialized once, here).
absl::StatusOr<xds::SnapshotConstSharedPtr> BuildSnapshot(const XdsResources& resources);

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_RESOURCES_H_
