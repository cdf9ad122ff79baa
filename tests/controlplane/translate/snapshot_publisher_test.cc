#include "controlplane/translate/snapshot_publisher.h"

#include <set>
#include <string>

#include "common/clock.h"
#include "controlplane/source/manifest_parser.h"
#include "controlplane/source/state_diff.h"
#include "controlplane/xds/snapshot_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::translate {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kTiers[] = R"(
apiVersion: v1
kind: Service
metadata: {name: strata-edge, namespace: strata-system}
spec: {ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: strata-edge-1, namespace: strata-system, labels: {kubernetes.io/service-name: strata-edge}}
addressType: IPv4
ports: [{port: 8080}]
endpoints: [{addresses: [10.0.0.7]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: front, namespace: shop}
spec:
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
)";

constexpr char kAppTier[] = R"(
---
apiVersion: v1
kind: Service
metadata: {name: strata-app, namespace: shop, labels: {strata.dev/tier: app}}
spec: {ports: [{name: http, port: 80, targetPort: 8081}]}
)";

source::ClusterState Parse(const std::string& text) {
  source::ManifestSet set;
  absl::Status status = set.AddManifest("test.yaml", text);
  EXPECT_TRUE(status.ok()) << status;
  return set.TakeState();
}

std::vector<std::string> Names(const xds::SnapshotConstSharedPtr& snapshot,
                               xds::ResourceType type) {
  std::vector<std::string> names;
  if (snapshot == nullptr) return {"no snapshot"};
  for (const auto& [name, resource] : snapshot->resources(type)) names.push_back(name);
  return names;
}

TEST(SnapshotPublisherTest, EveryGroupGetsItsSnapshotAndAVanishedAppTierAnEmptyOne) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  xds::SnapshotCache cache({absl::ZeroDuration(), absl::ZeroDuration(), false}, clock);
  TwoTierOptions options;
  SnapshotPublisher publisher(cache, options, "grpc");

  const source::ClusterState with_app = Parse(std::string(kTiers) + kAppTier);
  publisher.Publish(with_app, source::StateChanges::All());
  cache.Flush();
  EXPECT_THAT(cache.Groups(), UnorderedElementsAre("grpc", "edge", "app/shop"));
  EXPECT_THAT(Names(cache.GetSnapshot("edge"), xds::ResourceType::kCluster),
              ElementsAre("app/shop"));
  EXPECT_THAT(Names(cache.GetSnapshot("app/shop"), xds::ResourceType::kCluster),
              ElementsAre("svc/shop/web/80"));
  EXPECT_THAT(Names(cache.GetSnapshot("app/shop"), xds::ResourceType::kListener),
              ElementsAre("app-http"));
  EXPECT_THAT(Names(cache.GetSnapshot("grpc"), xds::ResourceType::kCluster),
              ElementsAre("strata-app.shop.svc.cluster.local:80",
                          "strata-edge.strata-system.svc.cluster.local:80",
                          "web.shop.svc.cluster.local:80"));

  // The app tier is removed: its proxies are told to stop, the edge routes to the Service.
  const source::ClusterState without = Parse(kTiers);
  const source::StateChanges changes = source::DiffStates(with_app, without);
  EXPECT_EQ(changes.namespaces, std::set<std::string>{"shop"});
  publisher.Publish(without, changes);
  cache.Flush();
  EXPECT_EQ(cache.GetSnapshot("app/shop")->size(), 0u);
  EXPECT_THAT(Names(cache.GetSnapshot("edge"), xds::ResourceType::kCluster),
              ElementsAre("svc/shop/web/80"));
}

}  // namespace
}  // namespace strata::translate
