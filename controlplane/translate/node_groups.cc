#include "controlplane/translate/node_groups.h"

#include <string>

#include "controlplane/source/names.h"
#include "controlplane/translate/two_tier.h"
#include "google/protobuf/struct.pb.h"

namespace strata::translate {

std::string TierNodeGrouper::GroupOf(const envoy::config::core::v3::Node& node) const {
  if (node.cluster() == kEdgeGroup) return kEdgeGroup;
  if (node.cluster() != "app") return default_group_;
  const auto& fields = node.metadata().fields();
  auto it = fields.find("namespace");
  if (it == fields.end() || it->second.kind_case() != google::protobuf::Value::kStringValue ||
      !source::IsDnsLabel(it->second.string_value())) {
    return kNoGroup;
  }
  return AppGroup(it->second.string_value());
}

}  // namespace strata::translate
