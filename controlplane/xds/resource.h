#ifndef STRATA_CONTROLPLANE_XDS_RESOURCE_H_
#define STRATA_CONTROLPLANE_XDS_RESOURCE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace strata::xds {

// The resource types strata serves, in the order an ADS stream pushes them
// (make-before-break: secrets and clusters before the endpoints, listeners and routes that use
// them).
enum class ResourceType : int {
  kSecret = 0,
  kCluster = 1,
  kEndpoint = 2,
  kListener = 3,
  kRoute = 4,
};
inline constexpr int kNumResourceTypes = 5;
inline constexpr std::array<ResourceType, kNumResourceTypes> kPushOrder = {
    ResourceType::kSecret, ResourceType::kCluster, ResourceType::kEndpoint, ResourceType::kListener,
    ResourceType::kRoute};

inline constexpr absl::string_view kListenerTypeUrl =
    "type.googleapis.com/envoy.config.listener.v3.Listener";
inline constexpr absl::string_view kRouteTypeUrl =
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
inline constexpr absl::string_view kClusterTypeUrl =
    "type.googleapis.com/envoy.config.cluster.v3.Cluster";
inline constexpr absl::string_view kEndpointTypeUrl =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
inline constexpr absl::string_view kSecretTypeUrl =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

absl::string_view TypeUrl(ResourceType type);
// Returns false for a type URL strata does not serve.
bool ParseTypeUrl(absl::string_view type_url, ResourceType* type);
// Short name for logs and metrics: "lds", "rds", "cds", "eds", "sds".
absl::string_view ShortName(ResourceType type);

// LDS and CDS are "state of the world" in SotW: every response carries the full set, and a
// missing resource is deleted. RDS, EDS and SDS responses may carry a subset.
inline bool IsFullStateType(ResourceType type) {
  return type == ResourceType::kListener || type == ResourceType::kCluster;
}

// One version of one named resource, serialized exactly once; every stream shares the bytes.
struct Resource {
  ResourceType type;
  std::string name;
  std::string serialized;  // the resource message's wire bytes (the Any's value)
  uint64_t hash;           // content hash of `serialized`
  std::string version;     // hex of `hash`
  // Names of resources this one depends on: a Cluster's EDS service name, a Listener's
  // RouteConfiguration names.
  std::vector<std::string> references;
  // The message itself is not kept: `serialized` is all a stream needs, and keeping both
  // would double the memory of every snapshot.
};
using ResourceConstSharedPtr = std::shared_ptr<const Resource>;

// Serializes `message` (deterministically) and fills in name, hash, version and references.
// The name comes from the message's `name` field (`cluster_name` for ClusterLoadAssignment).
ResourceConstSharedPtr MakeResource(ResourceType type, const google::protobuf::Message& message);
inline ResourceConstSharedPtr MakeResource(
    ResourceType type, const std::shared_ptr<const google::protobuf::Message>& message) {
  return MakeResource(type, *message);
}

// `message`'s wire bytes, serialized deterministically (as every resource is).
std::string SerializeDeterministic(const google::protobuf::Message& message);

// A resource from bytes serialized elsewhere (SerializeDeterministic) (deterministically), for a
// type whose resources refer to nothing (RouteConfiguration, ClusterLoadAssignment, Secret).
ResourceConstSharedPtr MakeSerializedResource(ResourceType type, std::string name,
                                              std::string serialized);

// How many resource serializations this process has done (each version of each resource is
// serialized once, in MakeResource).
uint64_t SerializationCount();

// 64-bit content hash used for versions.
uint64_t ContentHash(absl::string_view bytes);

}  // namespace strata::xds

#endif  // STRATA_CONTROLPLANE_XDS_RESOURCE_H_
