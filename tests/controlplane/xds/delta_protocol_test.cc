// Protocol rules of XDS_PROTOCOL.md §1.5 for Delta (incremental) streams, checked over a real
// in-process gRPC channel with a scripted client.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/xds/callbacks.h"
#include "controlplane/xds/snapshot_cache.h"
#include "controlplane/xds/xds_server.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/xds/xds_test_util.h"

namespace strata::xds {
namespace {

using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MakeCluster;
using testing::MakeEndpoints;
using testing::MakeListener;
using testing::MakeRoute;
using testing::MakeSecret;
using testing::MakeSnapshot;

using Client = testing::ScriptedClient<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

std::vector<std::string> Names(const DeltaDiscoveryResponse& r) {
  std::vector<std::string> names;
  for (const auto& res : r.resources()) names.push_back(res.name());
  return names;
}
std::vector<std::string> Removed(const DeltaDiscoveryResponse& r) {
  return {r.removed_resources().begin(), r.removed_resources().end()};
}

class DeltaProtocolTest : public ::testing::Test {
 protected:
  std::unique_ptr<Client> Ads() {
    return std::make_unique<Client>(
        [this](grpc::ClientContext* ctx) { return xds_.ads().DeltaAggregatedResources(ctx); });
  }
  static DeltaDiscoveryRequest Req(absl::string_view type_url, std::vector<std::string> sub,
                                   std::vector<std::string> unsub = {},
                                   const std::string& nonce = "", bool with_node = false) {
    DeltaDiscoveryRequest r;
    r.set_type_url(std::string(type_url));
    for (auto& n : sub) r.add_resource_names_subscribe(n);
    for (auto& n : unsub) r.add_resource_names_unsubscribe(n);
    r.set_response_nonce(nonce);
    if (with_node) {
      r.mutable_node()->set_id("node-1");
      r.mutable_node()->set_cluster("g1");
    }
    return r;
  }
  static DeltaDiscoveryRequest First(absl::string_view type_url, std::vector<std::string> sub) {
    return Req(type_url, std::move(sub), {}, "", true);
  }
  static DeltaDiscoveryRequest Ack(const DeltaDiscoveryResponse& r) {
    return Req(r.type_url(), {}, {}, r.nonce());
  }
  // Subscribes to a fresh name of the barrier secret; its answer must come next.
  void ExpectBarrierNext(Client& c) {
    c.Send(Req(kSecretTypeUrl, {"barrier"}));
    auto r = c.Next();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->type_url(), kSecretTypeUrl);
    EXPECT_THAT(Names(*r), ElementsAre("barrier"));
    c.Send(Ack(*r));
  }

  std::vector<ResourceConstSharedPtr> Base() {
    return {MakeCluster("c1"),
            MakeCluster("c2"),
            MakeEndpoints("c1", {"10.0.0.1"}),
            MakeEndpoints("c2", {"10.0.0.2"}),
            MakeListener("l1", "r1"),
            MakeRoute("r1", "c1"),
            MakeSecret("barrier", "b"),
            MakeSecret("tls", "key")};
  }

  testing::RecordingCallbacks callbacks_;
  testing::TestXdsServer xds_{callbacks_};
  SnapshotCache& cache_ = xds_.cache();
};

TEST_F(DeltaProtocolTest, SubscribedNamesAreSentWithVersionsAndNonce) {
  auto snapshot = MakeSnapshot(Base());
  cache_.SetSnapshot("g1", snapshot);
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {"c1"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->nonce().empty());
  ASSERT_THAT(Names(*r), ElementsAre("c1"));
  EXPECT_EQ(r->resources(0).version(), snapshot->Find(ResourceType::kCluster, "c1")->version);
}

TEST_F(DeltaProtocolTest, LegacyWildcardOnFirstEmptyRequest) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(Names(*r), ElementsAre("c1", "c2"));
}

TEST_F(DeltaProtocolTest, MissingNameGoesToRemovedResourcesAndIsPushedWhenItAppears) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kEndpointTypeUrl, {"c9"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(Names(*r), IsEmpty());
  EXPECT_THAT(Removed(*r), ElementsAre("c9"));
  c->Send(Ack(*r));
  auto base = Base();
  base.push_back(MakeCluster("c9"));
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(Names(*r2), ElementsAre("c9"));
}

TEST_F(DeltaProtocolTest, DeletedResourceIsRemoved) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {"*"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  c->Send(Ack(*r));
  auto base = Base();
  base.erase(base.begin() + 1);  // c2
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(Names(*r2), IsEmpty());
  EXPECT_THAT(Removed(*r2), ElementsAre("c2"));
}

TEST_F(DeltaProtocolTest, PureUnsubscribeNeedsNoReply) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kEndpointTypeUrl, {"c1", "c2"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  c->Send(Ack(*r));
  c->Send(Req(kEndpointTypeUrl, {}, {"c2", "never-subscribed"}));
  ExpectBarrierNext(*c);
  // c2 changes: not pushed any more.
  auto base = Base();
  base[3] = MakeEndpoints("c2", {"10.7.7.7"});
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  c->Send(Req(kSecretTypeUrl, {}, {"barrier"}));
  ExpectBarrierNext(*c);
}

TEST_F(DeltaProtocolTest, UnsubscribingANameCoveredByWildcardIsAnswered) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {"*", "c1"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  c->Send(Ack(*r));
  c->Send(Req(kClusterTypeUrl, {}, {"c1"}));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(Names(*r2), ElementsAre("c1"));  // still covered by the wildcard
}

TEST_F(DeltaProtocolTest, ResubscribedNameIsSentEvenIfClientHasIt) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kSecretTypeUrl, {"tls"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  c->Send(Ack(*r));
  c->Send(Req(kSecretTypeUrl, {"tls"}));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(Names(*r2), ElementsAre("tls"));
}

TEST_F(DeltaProtocolTest, InitialResourceVersionsSkipCurrentSendChangedRemoveGone) {
  auto snapshot = MakeSnapshot(Base());
  cache_.SetSnapshot("g1", snapshot);
  auto c = Ads();
  DeltaDiscoveryRequest first = First(kClusterTypeUrl, {"*"});
  auto& initial = *first.mutable_initial_resource_versions();
  initial["c1"] = snapshot->Find(ResourceType::kCluster, "c1")->version;  // current
  initial["c2"] = "stale-version";
  initial["gone"] = "v0";
  c->Send(first);
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(Names(*r), ElementsAre("c2"));
  EXPECT_THAT(Removed(*r), IsEmpty());
  // Over ADS removals come last, in their own response once the update is acknowledged.
  c->Send(Ack(*r));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(Names(*r2), IsEmpty());
  EXPECT_THAT(Removed(*r2), ElementsAre("gone"));
}

TEST_F(DeltaProtocolTest, ReconnectNeverStarvesALaterSubscription) {
  // Envoy Gateway #9519: after a reconnect with matching versions, later subscriptions must
  // still be answered.
  auto snapshot = MakeSnapshot(Base());
  cache_.SetSnapshot("g1", snapshot);
  auto c = Ads();
  DeltaDiscoveryRequest first = First(kSecretTypeUrl, {"barrier"});
  (*first.mutable_initial_resource_versions())["barrier"] =
      snapshot->Find(ResourceType::kSecret, "barrier")->version;
  c->Send(first);
  c->Send(Req(kSecretTypeUrl, {"tls"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(Names(*r), ElementsAre("tls"));
}

TEST_F(DeltaProtocolTest, SubscriptionChangesApplyEvenWithAStaleNonce) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kEndpointTypeUrl, {"c1"}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  c->Send(Ack(*r1));
  c->Send(Req(kEndpointTypeUrl, {"c2"}, {}, "not-the-current-nonce"));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(Names(*r2), ElementsAre("c2"));
}

TEST_F(DeltaProtocolTest, NackedVersionIsNotResent) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {"c1"}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  DeltaDiscoveryRequest nack = Ack(*r1);
  nack.mutable_error_detail()->set_message("bad cluster");
  c->Send(nack);
  auto base = Base();
  base[5] = MakeRoute("r1", "c2");  // unrelated change
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  ExpectBarrierNext(*c);
  base[0] = MakeCluster("c1", 30);
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(Names(*r2), ElementsAre("c1"));
}

TEST_F(DeltaProtocolTest, AdsOrderAndRemovalsLast) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kRouteTypeUrl, {"r1"}));
  auto rds = c->Next();
  ASSERT_TRUE(rds.has_value());
  c->Send(Ack(*rds));
  c->Send(Req(kClusterTypeUrl, {"*"}));
  auto cds = c->Next();
  ASSERT_TRUE(cds.has_value());
  c->Send(Ack(*cds));
  c->Send(Req(kEndpointTypeUrl, {"c1", "c2"}));
  auto eds = c->Next();
  ASSERT_TRUE(eds.has_value());
  c->Send(Ack(*eds));
  // r1 moves from c1 to a new c3; c1 goes away.
  cache_.SetSnapshot(
      "g1",
      MakeSnapshot({MakeCluster("c2"), MakeCluster("c3"), MakeEndpoints("c2", {"10.0.0.2"}),
                    MakeEndpoints("c3", {"10.0.0.3"}), MakeListener("l1", "r1"),
                    MakeRoute("r1", "c3"), MakeSecret("barrier", "b"), MakeSecret("tls", "key")}));
  auto p1 = c->Next();
  ASSERT_TRUE(p1.has_value());
  EXPECT_EQ(p1->type_url(), kClusterTypeUrl);
  EXPECT_THAT(Names(*p1), ElementsAre("c3"));
  EXPECT_THAT(Removed(*p1), IsEmpty());
  auto p2 = c->Next();
  ASSERT_TRUE(p2.has_value());
  EXPECT_EQ(p2->type_url(), kRouteTypeUrl);
  EXPECT_THAT(Names(*p2), ElementsAre("r1"));
  // Removals after every addition: c1's endpoints, then (once CDS is ACKed) c1 itself.
  auto p3 = c->Next();
  ASSERT_TRUE(p3.has_value());
  EXPECT_EQ(p3->type_url(), kEndpointTypeUrl);
  EXPECT_THAT(Removed(*p3), ElementsAre("c1"));
  c->Send(Ack(*p1));
  auto p4 = c->Next();
  ASSERT_TRUE(p4.has_value());
  EXPECT_EQ(p4->type_url(), kClusterTypeUrl);
  EXPECT_THAT(Removed(*p4), ElementsAre("c1"));
}

TEST_F(DeltaProtocolTest, AStaleNonceNeitherAcksNorNacks) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {"c1"}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  c->Send(Ack(*r1));
  auto base = Base();
  base[0] = MakeCluster("c1", 30);
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  ASSERT_EQ(callbacks_.acks(ResourceType::kCluster), 1);

  // A complaint about the older response is not a NACK of the newer one, and does not
  // release the next push either.
  DeltaDiscoveryRequest stale = Ack(*r1);
  stale.mutable_error_detail()->set_message("about r1");
  c->Send(stale);
  base[0] = MakeCluster("c1", 31);
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  ExpectBarrierNext(*c);
  EXPECT_THAT(callbacks_.nacks(), IsEmpty());
  EXPECT_EQ(callbacks_.acks(ResourceType::kCluster), 1);

  // The current nonce is honoured: r2 is ACKed and the held-back version follows.
  c->Send(Ack(*r2));
  auto r3 = c->Next();
  ASSERT_TRUE(r3.has_value());
  EXPECT_EQ(r3->type_url(), kClusterTypeUrl);
  ASSERT_THAT(Names(*r3), ElementsAre("c1"));
  EXPECT_NE(r3->resources(0).version(), r2->resources(0).version());
  EXPECT_EQ(callbacks_.acks(ResourceType::kCluster), 2);
}

TEST_F(DeltaProtocolTest, AckAndNackAreToldApartByErrorDetail) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kEndpointTypeUrl, {"c1"}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  // An ACK that subscribes another name in the same request, at an unchanged version.
  c->Send(Req(kEndpointTypeUrl, {"c2"}, {}, r1->nonce()));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(Names(*r2), ElementsAre("c2"));
  EXPECT_THAT(callbacks_.nacks(), IsEmpty());
  EXPECT_EQ(callbacks_.acks(ResourceType::kEndpoint), 1);

  DeltaDiscoveryRequest nack = Ack(*r2);
  nack.mutable_error_detail()->set_code(3);
  nack.mutable_error_detail()->set_message("endpoint c2: bad address");
  c->Send(nack);
  ExpectBarrierNext(*c);
  EXPECT_THAT(callbacks_.nacks(), ElementsAre("endpoint c2: bad address"));
  EXPECT_EQ(callbacks_.acks(ResourceType::kEndpoint), 1);
}

TEST_F(DeltaProtocolTest, NoDuplicateNamesInAResponse) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {"c1", "c1", "*", "c2", "c9", "c9"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(Names(*r), ElementsAre("c1", "c2"));
  // Over ADS the missing name is reported after the ACK, once.
  c->Send(Ack(*r));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(Names(*r2), IsEmpty());
  EXPECT_THAT(Removed(*r2), ElementsAre("c9"));
}

TEST_F(DeltaProtocolTest, EveryAnnouncedClusterGetsAnEndpointAnswer) {
  // c1 has no ClusterLoadAssignment in the input.
  cache_.SetSnapshot("g1", MakeSnapshot({MakeCluster("c1"), MakeSecret("barrier", "b")}));
  auto c = Ads();
  c->Send(First(kEndpointTypeUrl, {"c1"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(Removed(*r), IsEmpty());
  ASSERT_THAT(Names(*r), ElementsAre("c1"));
  envoy::config::endpoint::v3::ClusterLoadAssignment cla;
  ASSERT_TRUE(r->resources(0).resource().UnpackTo(&cla));
  EXPECT_EQ(cla.cluster_name(), "c1");
  EXPECT_EQ(cla.endpoints_size(), 0);
}

TEST_F(DeltaProtocolTest, UnsubscribingTheWildcardKeepsOnlyNamedResources) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {"*", "c1"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(Names(*r), ElementsAre("c1", "c2"));
  c->Send(Ack(*r));
  c->Send(Req(kClusterTypeUrl, {}, {"*"}));
  ExpectBarrierNext(*c);

  // c2 was only covered by the wildcard: its changes and new clusters are not pushed any
  // more; the named c1 still is.
  auto base = Base();
  base[1] = MakeCluster("c2", 40);
  base.push_back(MakeCluster("c3"));
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  ExpectBarrierNext(*c);
  base[0] = MakeCluster("c1", 41);
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->type_url(), kClusterTypeUrl);
  EXPECT_THAT(Names(*r2), ElementsAre("c1"));
  EXPECT_THAT(Removed(*r2), IsEmpty());
}

TEST_F(DeltaProtocolTest, OneUpdateOfEveryTypeIsPushedCdsEdsLdsRds) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  // Subscribed in push order, each answered and ACKed before the next.
  c->Send(First(kClusterTypeUrl, {"*"}));
  for (absl::string_view type_url :
       {kEndpointTypeUrl, kListenerTypeUrl, kRouteTypeUrl, absl::string_view()}) {
    auto r = c->Next();
    ASSERT_TRUE(r.has_value());
    c->Send(Ack(*r));
    if (type_url == kEndpointTypeUrl) c->Send(Req(type_url, {"c1", "c2"}));
    if (type_url == kListenerTypeUrl) c->Send(Req(type_url, {"*"}));
    if (type_url == kRouteTypeUrl) c->Send(Req(type_url, {"r1"}));
  }
  ExpectBarrierNext(*c);

  auto base = Base();
  base[0] = MakeCluster("c1", 21);
  base[2] = MakeEndpoints("c1", {"10.0.0.11"});
  base[4] = MakeListener("l1", "r1-v2");
  base[5] = MakeRoute("r1", "c2");
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    auto r = c->Next();
    ASSERT_TRUE(r.has_value());
    order.push_back(r->type_url());
    EXPECT_THAT(Names(*r), ElementsAre(i == 2 ? "l1" : (i == 3 ? "r1" : "c1")));
  }
  EXPECT_THAT(order,
              ElementsAre(kClusterTypeUrl, kEndpointTypeUrl, kListenerTypeUrl, kRouteTypeUrl));
}

TEST_F(DeltaProtocolTest, PerTypeServicesDefaultTheTypeUrlAndRejectOthers) {
  auto base = Base();
  base.push_back(MakeListener("l2", "r2"));
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  testing::PerTypeStubs stubs(xds_.channel());
  struct Case {
    ResourceType type;
    std::vector<std::string> subscribe;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {{ResourceType::kListener, {}, {"l1", "l2"}},
                                   {ResourceType::kRoute, {"r1"}, {"r1"}},
                                   {ResourceType::kCluster, {}, {"c1", "c2"}},
                                   {ResourceType::kEndpoint, {"c2"}, {"c2"}},
                                   {ResourceType::kSecret, {"tls"}, {"tls"}}};
  for (const Case& tc : cases) {
    SCOPED_TRACE(TypeUrl(tc.type));
    auto open = [&](grpc::ClientContext* ctx) { return stubs.Delta(tc.type, ctx); };
    Client c(open);
    c.Send(First("", tc.subscribe));
    auto r = c.Next();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->type_url(), TypeUrl(tc.type));
    EXPECT_THAT(Names(*r), ::testing::ElementsAreArray(tc.expected));

    // A stream of one type does not take requests for another.
    Client wrong(open);
    wrong.Send(First(tc.type == ResourceType::kCluster ? kListenerTypeUrl : kClusterTypeUrl, {}));
    EXPECT_EQ(wrong.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
}

}  // namespace
}  // namespace strata::xds
