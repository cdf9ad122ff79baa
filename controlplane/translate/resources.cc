#include "controlplane/translate/resources.h"

#include <algorithm>
#include <memory>
#include <vector>

namespace strata::translate {
namespace {

template <typename Message>
void AddAll(xds::ResourceType type, const std::vector<Message>& messages,
            std::vector<xds::ResourceConstSharedPtr>& out) {
  for (const Message& m : messages) {
    out.push_back(xds::MakeResource(type, m));
  }
}

template <typename T>
void SortByName(std::vector<T>& resources) {
  std::sort(resources.begin(), resources.end(),
            [](const T& a, const T& b) { return a.name() < b.name(); });
}

}  // namespace

void SortResources(XdsResources& resources) {
  SortByName(resources.listeners);
  SortByName(resources.routes);
  SortByName(resources.clusters);
  SortByName(resources.secrets);
  std::sort(resources.endpoints.begin(), resources.endpoints.end(),
            [](const auto& a, const auto& b) { return a.cluster_name() < b.cluster_name(); });
  std::vector<std::string>& warnings = resources.warnings;
  std::sort(warnings.begin(), warnings.end());
  warnings.erase(std::unique(warnings.begin(), warnings.end()), warnings.end());
}

absl::StatusOr<xds::SnapshotConstSharedPtr> BuildSnapshot(const XdsResources& resources) {
  std::vector<xds::ResourceConstSharedPtr> all;
  AddAll(xds::ResourceType::kListener, resources.listeners, all);
  AddAll(xds::ResourceType::kRoute, resources.routes, all);
  AddAll(xds::ResourceType::kCluster, resources.clusters, all);
  AddAll(xds::ResourceType::kEndpoint, resources.endpoints, all);
  AddAll(xds::ResourceType::kSecret, resources.secrets, all);
  return xds::Snapshot::Create(std::move(all));
}

}  // namespace strata::translate
