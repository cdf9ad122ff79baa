#include "controlplane/translate/node_groups.h"

#include <string>
#include <vector>

#include "envoy/config/core/v3/base.pb.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"

namespace strata::translate {
namespace {

envoy::config::core::v3::Node MakeNode(const std::string& cluster, const std::string* ns) {
  envoy::config::core::v3::Node node;
  node.set_id("n1");
  node.set_cluster(cluster);
  if (ns != nullptr)
    (*node.mutable_metadata()->mutable_fields())["namespace"].set_string_value(*ns);
  return node;
}

TEST(TierNodeGrouperTest, GroupsFollowTheBootstrapsClusterAndNamespace) {
  const TierNodeGrouper grouper("proxyless");
  const std::string shop = "shop";
  EXPECT_EQ(grouper.GroupOf(MakeNode("edge", nullptr)), "edge");
  EXPECT_EQ(grouper.GroupOf(MakeNode("edge", &shop)), "edge");
  EXPECT_EQ(grouper.GroupOf(MakeNode("app", &shop)), "app/shop");
  EXPECT_EQ(grouper.GroupOf(MakeNode("", nullptr)), "proxyless");
  EXPECT_EQ(grouper.GroupOf(MakeNode("my-grpc-client", &shop)), "proxyless");
}

TEST(TierNodeGrouperTest, AnAppNodeWithoutAValidNamespaceGetsNothing) {
  const TierNodeGrouper grouper("proxyless");
  for (const std::string& ns :
       std::vector<std::string>{"", "Shop", "shop/../edge", "a.b", std::string(64, 'a')}) {
    EXPECT_EQ(grouper.GroupOf(MakeNode("app", &ns)), TierNodeGrouper::kNoGroup) << ns;
  }
  EXPECT_EQ(grouper.GroupOf(MakeNode("app", nullptr)), TierNodeGrouper::kNoGroup);
  envoy::config::core::v3::Node numeric = MakeNode("app", nullptr);
  (*numeric.mutable_metadata()->mutable_fields())["namespace"].set_number_value(1);
  EXPECT_EQ(grouper.GroupOf(numeric), TierNodeGrouper::kNoGroup);
}

}  // namespace
}  // namespace strata::translate
