#include "controlplane/translate/proxyless_snapshot.h"

#include <memory>
#include <vector>

namespace strata::translate {
namespace {

template <typename Message>
void AddAll(xds::ResourceType type, const std::vector<Message>& messages,
            std::vector<xds::ResourceConstSharedPtr>& out) {
  for (const Message& m : messages) {
    out.push_back(xds::MakeResource(type, std::make_shared<const Message>(m)));
  }
}

}  // namespace

absl::StatusOr<xds::SnapshotConstSharedPtr> BuildSnapshot(const ProxylessResources& resources) {
  std::vector<xds::ResourceConstSharedPtr> all;
  AddAll(xds::ResourceType::kListener, resources.listeners, all);
  AddAll(xds::ResourceType::kRoute, resources.routes, all);
  AddAll(xds::ResourceType::kCluster, resources.clusters, all);
  AddAll(xds::ResourceType::kEndpoint, resources.endpoints, all);
  return xds::Snapshot::Create(std::move(all));
}

}  // namespace strata::translate
