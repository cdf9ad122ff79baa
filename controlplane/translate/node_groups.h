#ifndef STRATA_CONTROLPLANE_TRANSLATE_NODE_GROUPS_H_
#define STRATA_CONTROLPLANE_TRANSLATE_NODE_GROUPS_H_

#include <string>
#include <utility>

#include "controlplane/xds/callbacks.h"
#include "envoy/config/core/v3/base.pb.h"

namespace strata::translate {

// Which snapshot a node is served, from what its bootstrap says about it (until proxies
// authenticate, docs/two-tier.md):
//   node.cluster "edge"                              → "edge"
//   node.cluster "app", metadata.namespace = N       → "app/N" (N must be a namespace name)
//   anything else (proxyless gRPC clients, tools)    → `default_group`
// An app node without a valid namespace gets kNoGroup, which never has a snapshot.
class TierNodeGrouper final : public xds::NodeGrouper {
 public:
  static constexpr char kNoGroup[] = "";

  explicit TierNodeGrouper(std::string default_group) : default_group_(std::move(default_group)) {}
  std::string GroupOf(const envoy::config::core::v3::Node& node) const override;

 private:
  std::string default_group_;
};

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_NODE_GROUPS_H_
