// Snapshot::Create and Snapshot::Update: the same content gives the same versions whichever
// way a snapshot is made, and an update shares every type it does not touch.
#include "controlplane/xds/snapshot.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "gtest/gtest.h"

namespace strata::xds {
namespace {

ResourceConstSharedPtr Cluster(const std::string& name) {
  envoy::config::cluster::v3::Cluster cluster;
  cluster.set_name(name);
  cluster.set_type(envoy::config::cluster::v3::Cluster::EDS);
  return MakeResource(ResourceType::kCluster, cluster);
}

ResourceConstSharedPtr Endpoints(const std::string& name, const std::string& address) {
  envoy::config::endpoint::v3::ClusterLoadAssignment cla;
  cla.set_cluster_name(name);
  cla.add_endpoints()
      ->add_lb_endpoints()
      ->mutable_endpoint()
      ->mutable_address()
      ->mutable_socket_address()
      ->set_address(address);
  return MakeResource(ResourceType::kEndpoint, cla);
}

ResourceConstSharedPtr Route(const std::string& name, const std::string& domain) {
  envoy::config::route::v3::RouteConfiguration route;
  route.set_name(name);
  route.add_virtual_hosts()->add_domains(domain);
  return MakeResource(ResourceType::kRoute, route);
}

std::vector<std::string> Versions(const Snapshot& snapshot) {
  std::vector<std::string> out;
  for (ResourceType type : kPushOrder) {
    out.push_back(snapshot.version(type));
    for (const auto& [name, r] : snapshot.resources(type)) {
      out.push_back(absl::StrCat(ShortName(type), " ", name, " ", r->version));
    }
  }
  return out;
}

TEST(SnapshotTest, AnUpdateIsTheSnapshotOfItsContentAndSharesWhatItDoesNotTouch) {
  auto base = Snapshot::Create({Cluster("a"), Cluster("b"), Endpoints("a", "10.0.0.1"),
                                Endpoints("b", "10.0.0.2"), Route("r", "a.example")});
  ASSERT_TRUE(base.ok()) << base.status();

  // One endpoint moves, cluster b goes (with its endpoints), a route is added.
  auto updated = Snapshot::Update(**base, {Endpoints("a", "10.0.0.3"), Route("s", "s.example")},
                                  {{ResourceType::kCluster, "b"}, {ResourceType::kEndpoint, "b"}});
  ASSERT_TRUE(updated.ok()) << updated.status();
  auto expected = Snapshot::Create(
      {Cluster("a"), Endpoints("a", "10.0.0.3"), Route("r", "a.example"), Route("s", "s.example")});
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(Versions(**updated), Versions(**expected));

  // Untouched types are the base's own maps, not copies.
  auto endpoints_only = Snapshot::Update(**base, {Endpoints("b", "10.0.0.9")}, {});
  ASSERT_TRUE(endpoints_only.ok());
  EXPECT_EQ(&(*endpoints_only)->resources(ResourceType::kCluster),
            &(*base)->resources(ResourceType::kCluster));
  EXPECT_EQ(&(*endpoints_only)->resources(ResourceType::kRoute),
            &(*base)->resources(ResourceType::kRoute));
  EXPECT_NE((*endpoints_only)->version(ResourceType::kEndpoint),
            (*base)->version(ResourceType::kEndpoint));
  EXPECT_EQ((*endpoints_only)->version(ResourceType::kCluster),
            (*base)->version(ResourceType::kCluster));
  // The base is unchanged.
  EXPECT_EQ((*base)->Find(ResourceType::kEndpoint, "b")->version,
            Endpoints("b", "10.0.0.2")->version);
}

TEST(SnapshotTest, AnUpdateKeepsAnEdsAnswerForEveryCluster) {
  auto base = Snapshot::Create({Cluster("a"), Endpoints("a", "10.0.0.1")});
  ASSERT_TRUE(base.ok());
  // Endpoints removed while the cluster stays, and a new cluster without endpoints: both get
  // an empty ClusterLoadAssignment, as Create gives them.
  auto updated = Snapshot::Update(**base, {Cluster("c")}, {{ResourceType::kEndpoint, "a"}});
  ASSERT_TRUE(updated.ok());
  auto expected = Snapshot::Create({Cluster("a"), Cluster("c")});
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(Versions(**updated), Versions(**expected));
  EXPECT_NE((*updated)->Find(ResourceType::kEndpoint, "c"), nullptr);
}

TEST(SnapshotTest, BadResourcesAreRefused) {
  auto base = Snapshot::Create({Cluster("a")});
  ASSERT_TRUE(base.ok());
  auto twice = Snapshot::Update(**base, {Route("r", "x"), Route("r", "y")}, {});
  EXPECT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("duplicate rds resource name \"r\""), std::string::npos)
      << twice.status();
  EXPECT_FALSE(Snapshot::Update(**base, {Route("", "x")}, {}).ok());
  EXPECT_FALSE(Snapshot::Create({Cluster("a"), Cluster("a")}).ok());
  // Unsorted input is taken as well as sorted input.
  auto unsorted = Snapshot::Create({Cluster("b"), Cluster("a"), Cluster("c")});
  ASSERT_TRUE(unsorted.ok());
  auto sorted = Snapshot::Create({Cluster("a"), Cluster("b"), Cluster("c")});
  EXPECT_EQ(Versions(**unsorted), Versions(**sorted));
}

}  // namespace
}  // namespace strata::xds
