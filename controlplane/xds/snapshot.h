#ifndef STRATA_CONTROLPLANE_XDS_SNAPSHOT_H_
#define STRATA_CONTROLPLANE_XDS_SNAPSHOT_H_

#include <array>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/xds/resource.h"

namespace strata::xds {

// The resources one node group should see, immutable once built. Per type: resources by name
// and a type version (a hash over the type's resource versions).
class Snapshot {
 public:
  using ResourceMap = std::map<std::string, ResourceConstSharedPtr, std::less<>>;

  // Builds a snapshot. Fails on a duplicate name within a type or an unnamed resource. Every
  // EDS cluster whose ClusterLoadAssignment is missing gets an empty one, so clients never wait
  // for an answer to a cluster they were told about.
  static absl::StatusOr<std::shared_ptr<const Snapshot>> Create(
      std::vector<ResourceConstSharedPtr> resources);

  // `base` with `upserts` added (replacing resources of the same type and name) and `removals`
  // (type, name) removed, with the same guarantee of an EDS answer for every cluster. A type
  // neither touches shares base's resources and version: a change to one resource of a large
  // group costs what that type's map costs to copy, not a whole new snapshot.
  static absl::StatusOr<std::shared_ptr<const Snapshot>> Update(
      const Snapshot& base, std::vector<ResourceConstSharedPtr> upserts,
      const std::vector<std::pair<ResourceType, std::string>>& removals);

  const ResourceMap& resources(ResourceType type) const {
    return types_[static_cast<int>(type)]->resources;
  }
  const std::string& version(ResourceType type) const {
    return types_[static_cast<int>(type)]->version;
  }
  ResourceConstSharedPtr Find(ResourceType type, absl::string_view name) const;
  size_t size() const;

 private:
  struct TypeResources {
    ResourceMap resources;
    std::string version;
  };
  Snapshot() = default;
  // Gives every cluster's EDS name a ClusterLoadAssignment in `endpoints` (an empty one when
  // missing).
  static void AddMissingEndpoints(const ResourceMap& clusters, ResourceMap& endpoints);
  static void SetVersion(TypeResources& type);
  std::array<std::shared_ptr<const TypeResources>, kNumResourceTypes> types_;
};
using SnapshotConstSharedPtr = std::shared_ptr<const Snapshot>;

}  // namespace strata::xds

#endif  // STRATA_CONTROLPLANE_XDS_SNAPSHOT_H_
