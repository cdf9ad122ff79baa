#include "controlplane/xds/snapshot.h"

#include <array>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"

namespace strata::xds {

namespace {

absl::Status Insert(ResourceConstSharedPtr r, Snapshot::ResourceMap& map) {
  // Resources of a type that come sorted by name (as large groups are built) go in at the end
  // without a search.
  if (map.empty() || map.rbegin()->first < r->name) {
    map.emplace_hint(map.end(), r->name, std::move(r));
  } else if (!map.emplace(r->name, r).second) {
    return absl::InvalidArgumentError(
        absl::StrCat("duplicate ", ShortName(r->type), " resource name \"", r->name, "\""));
  }
  return absl::OkStatus();
}

absl::Status Check(const ResourceConstSharedPtr& r) {
  if (r == nullptr) return absl::InvalidArgumentError("null resource");
  if (r->name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", ShortName(r->type), " resource has no name"));
  }
  return absl::OkStatus();
}

}  // namespace

void Snapshot::AddMissingEndpoints(const ResourceMap& clusters, ResourceMap& endpoints) {
  for (const auto& [name, cluster] : clusters) {
    for (const std::string& eds_name : cluster->references) {
      if (endpoints.contains(eds_name)) continue;
      envoy::config::endpoint::v3::ClusterLoadAssignment cla;
      cla.set_cluster_name(eds_name);
      endpoints.emplace(eds_name, MakeResource(ResourceType::kEndpoint, cla));
    }
  }
}

void Snapshot::SetVersion(TypeResources& type) {
  // FNV-1a over every name and content hash, in name order.
  uint64_t h = 14695981039346656037ull;
  auto add = [&h](const void* data, size_t size) {
    for (size_t i = 0; i < size; ++i) {
      h ^= static_cast<const unsigned char*>(data)[i];
      h *= 1099511628211ull;
    }
  };
  for (const auto& [name, r] : type.resources) {
    add(name.data(), name.size() + 1);  // with the terminating NUL: names cannot run together
    add(&r->hash, sizeof(r->hash));
  }
  type.version = absl::StrFormat("%016x", h);
}

absl::StatusOr<SnapshotConstSharedPtr> Snapshot::Create(
    std::vector<ResourceConstSharedPtr> resources) {
  std::array<TypeResources, kNumResourceTypes> types;
  for (auto& r : resources) {
    if (absl::Status s = Check(r); !s.ok()) return s;
    auto& map = types[static_cast<int>(r->type)].resources;
    if (absl::Status s = Insert(std::move(r), map); !s.ok()) return s;
  }
  // An EDS answer for every announced cluster.
  AddMissingEndpoints(types[static_cast<int>(ResourceType::kCluster)].resources,
                      types[static_cast<int>(ResourceType::kEndpoint)].resources);
  std::shared_ptr<Snapshot> snapshot(new Snapshot());
  for (int t = 0; t < kNumResourceTypes; ++t) {
    SetVersion(types[t]);
    snapshot->types_[t] = std::make_shared<const TypeResources>(std::move(types[t]));
  }
  return SnapshotConstSharedPtr(std::move(snapshot));
}

absl::StatusOr<SnapshotConstSharedPtr> Snapshot::Update(
    const Snapshot& base, std::vector<ResourceConstSharedPtr> upserts,
    const std::vector<std::pair<ResourceType, std::string>>& removals) {
  std::array<std::optional<TypeResources>, kNumResourceTypes> changed;
  auto touch = [&](ResourceType type) -> ResourceMap& {
    auto& slot = changed[static_cast<int>(type)];
    if (!slot.has_value()) slot = *base.types_[static_cast<int>(type)];
    return slot->resources;
  };
  for (const auto& [type, name] : removals) touch(type).erase(name);
  std::set<std::pair<ResourceType, std::string>> upserted;
  for (auto& r : upserts) {
    if (absl::Status s = Check(r); !s.ok()) return s;
    if (!upserted.emplace(r->type, r->name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate ", ShortName(r->type), " resource name \"", r->name, "\""));
    }
    touch(r->type).insert_or_assign(r->name, r);
  }
  const int clusters = static_cast<int>(ResourceType::kCluster);
  const int endpoints = static_cast<int>(ResourceType::kEndpoint);
  if (changed[clusters].has_value() || changed[endpoints].has_value()) {
    ResourceMap& eds = touch(ResourceType::kEndpoint);
    AddMissingEndpoints(changed[clusters].has_value() ? changed[clusters]->resources
                                                      : base.resources(ResourceType::kCluster),
                        eds);
  }
  std::shared_ptr<Snapshot> snapshot(new Snapshot());
  for (int t = 0; t < kNumResourceTypes; ++t) {
    if (changed[t].has_value()) {
      SetVersion(*changed[t]);
      snapshot->types_[t] = std::make_shared<const TypeResources>(*std::move(changed[t]));
    } else {
      snapshot->types_[t] = base.types_[t];
    }
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
  for (const auto& t : types_) n += t->resources.size();
  return n;
}

}  // namespace strata::xds
