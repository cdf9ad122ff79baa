#include "controlplane/xds/snapshot.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"

namespace strata::xds {

absl::StatusOr<SnapshotConstSharedPtr> Snapshot::Create(
    std::vector<ResourceConstSharedPtr> resources) {
  std::shared_ptr<Snapshot> snapshot(new Snapshot());
  for (auto& r : resources) {
    if (r == nullptr) return absl::InvalidArgumentError("null resource");
    if (r->name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("a ", ShortName(r->type), " resource has no name"));
    }
    const ResourceType type = r->type;
    const std::string name = r->name;
    auto& map = snapshot->types_[static_cast<int>(type)].resources;
    if (!map.emplace(name, std::move(r)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate ", ShortName(type), " resource name \"", name, "\""));
    }
  }
  // An EDS answer for every announced cluster.
  auto& endpoints = snapshot->types_[static_cast<int>(ResourceType::kEndpoint)].resources;
  for (const auto& [name, cluster] : snapshot->resources(ResourceType::kCluster)) {
    for (const std::string& eds_name : cluster->references) {
      if (endpoints.count(eds_name) > 0) continue;
      envoy::config::endpoint::v3::ClusterLoadAssignment cla;
      cla.set_cluster_name(eds_name);
      endpoints.emplace(eds_name, MakeResource(ResourceType::kEndpoint, cla));
    }
  }
  for (auto& type : snapshot->types_) {
    uint64_t h = 1469598103934665603ull;
    for (const auto& [name, r] : type.resources) {
      h = ContentHash(absl::StrCat(h, "/", name, "/", r->hash));
    }
    type.version = absl::StrFormat("%016x", h);
  }
  return SnapshotConstSharedPtr(std::move(snapshot));
}

ResourceConstSharedPtr Snapshot::Find(ResourceType type, absl::string_view name) const {
  const auto& map = resources(type);
  auto it = map.find(name);
  return it == map.end() ? nullptr : it->second;
}

size_t Snapshot::size() const {
  size_t n = 0;
  for (const auto& t : types_) n += t.resources.size();
  return n;
}

}  // namespace strata::xds
