// Protocol rules of XDS_PROTOCOL.md §1 for State-of-the-World streams, checked over a real
// in-process gRPC channel with a scripted client.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/xds/callbacks.h"
#include "controlplane/xds/snapshot_cache.h"
#include "controlplane/xds/xds_server.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/xds/xds_test_util.h"

namespace strata::xds {
namespace {

using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeCluster;
using testing::MakeEndpoints;
using testing::MakeListener;
using testing::MakeRoute;
using testing::MakeSecret;
using testing::MakeSnapshot;
using testing::SotwNames;
using ::testing::UnorderedElementsAre;

using Client = testing::ScriptedClient<DiscoveryRequest, DiscoveryResponse>;

class SotwProtocolTest : public ::testing::Test {
 protected:
  std::unique_ptr<Client> Ads() {
    return std::make_unique<Client>(
        [this](grpc::ClientContext* ctx) { return xds_.ads().StreamAggregatedResources(ctx); });
  }

  static DiscoveryRequest Req(absl::string_view type_url, std::vector<std::string> names,
                              const std::string& nonce = "", const std::string& version = "",
                              bool with_node = false) {
    DiscoveryRequest r;
    r.set_type_url(std::string(type_url));
    for (auto& n : names) r.add_resource_names(n);
    r.set_response_nonce(nonce);
    r.set_version_info(version);
    if (with_node) {
      r.mutable_node()->set_id("node-1");
      r.mutable_node()->set_cluster("g1");
    }
    return r;
  }
  static DiscoveryRequest First(absl::string_view type_url, std::vector<std::string> names) {
    return Req(type_url, std::move(names), "", "", true);
  }
  static DiscoveryRequest Ack(const DiscoveryResponse& resp, std::vector<std::string> names) {
    return Req(resp.type_url(), std::move(names), resp.nonce(), resp.version_info());
  }

  // (Re)subscribes to the secret "barrier" and expects the next response to be its answer:
  // anything the server had sent before would come first on the stream.
  void ExpectBarrierNext(Client& client) {
    std::string& nonce = barrier_nonces_[&client];
    if (!nonce.empty()) client.Send(Req(kSecretTypeUrl, {}, nonce));  // unsubscribe
    client.Send(Req(kSecretTypeUrl, {"barrier"}, nonce));
    auto r = client.Next();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->type_url(), kSecretTypeUrl);
    EXPECT_THAT(SotwNames(*r), ElementsAre("barrier"));
    nonce = r->nonce();
    client.Send(Req(kSecretTypeUrl, {"barrier"}, nonce, r->version_info()));  // ACK
  }

  std::vector<ResourceConstSharedPtr> Base() {
    return {MakeCluster("c1"),
            MakeCluster("c2"),
            MakeEndpoints("c1", {"10.0.0.1"}),
            MakeEndpoints("c2", {"10.0.0.2"}),
            MakeListener("l1", "r1"),
            MakeListener("l2", "r2"),
            MakeRoute("r1", "c1"),
            MakeRoute("r2", "c2"),
            MakeSecret("barrier", "b")};
  }

  std::map<Client*, std::string> barrier_nonces_;
  testing::RecordingCallbacks callbacks_;
  testing::TestXdsServer xds_{callbacks_};
  SnapshotCache& cache_ = xds_.cache();
};

TEST_F(SotwProtocolTest, FirstRequestWithoutNodeEndsOnlyThatStream) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto bad = Ads();
  bad->Send(Req(kClusterTypeUrl, {}));
  grpc::Status status = bad->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("must carry a node"));

  auto good = Ads();
  good->Send(First(kClusterTypeUrl, {}));
  auto r = good->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(SotwNames(*r), ElementsAre("c1", "c2"));
}

TEST_F(SotwProtocolTest, UnknownTypeUrlEndsOnlyThatStream) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto good = Ads();
  good->Send(First(kClusterTypeUrl, {}));
  auto first = good->Next();
  ASSERT_TRUE(first.has_value());

  auto bad = Ads();
  bad->Send(First("type.googleapis.com/envoy.config.nothing.v3.Nothing", {}));
  grpc::Status status = bad->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown type_url"));

  // The healthy stream still gets updates.
  good->Send(Ack(*first, {}));
  auto base = Base();
  base.push_back(MakeCluster("c3"));
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto update = good->Next();
  ASSERT_TRUE(update.has_value());
  EXPECT_THAT(SotwNames(*update), ElementsAre("c1", "c2", "c3"));
}

TEST_F(SotwProtocolTest, EveryResponseHasAFreshNonceAndTheTypeVersion) {
  auto snapshot = MakeSnapshot(Base());
  cache_.SetSnapshot("g1", snapshot);
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  EXPECT_FALSE(r1->nonce().empty());
  EXPECT_EQ(r1->version_info(), snapshot->version(ResourceType::kCluster));
  c->Send(Req(kEndpointTypeUrl, {"c1"}));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_NE(r2->nonce(), r1->nonce());
}

TEST_F(SotwProtocolTest, StaleNonceIsIgnored) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  c->Send(Ack(*r1, {}));
  auto base = Base();
  base.push_back(MakeCluster("c3"));
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  // A request carrying the older nonce (and a different subscription) must be ignored.
  c->Send(Req(kClusterTypeUrl, {"c1"}, r1->nonce(), r1->version_info()));
  ExpectBarrierNext(*c);
  // The current nonce is honoured.
  c->Send(Req(kClusterTypeUrl, {"c1"}, r2->nonce(), r2->version_info()));
  auto r3 = c->Next();
  ASSERT_TRUE(r3.has_value());
  EXPECT_THAT(SotwNames(*r3), ElementsAre("c1"));
}

TEST_F(SotwProtocolTest, NackedVersionIsNotResentUntilANewVersionExists) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  DiscoveryRequest nack = Req(kClusterTypeUrl, {}, r1->nonce(), "");
  nack.mutable_error_detail()->set_code(3);
  nack.mutable_error_detail()->set_message("cluster c2: bad connect_timeout");
  c->Send(nack);
  ExpectBarrierNext(*c);
  EXPECT_THAT(callbacks_.nacks(), ElementsAre("cluster c2: bad connect_timeout"));

  // An unrelated change of another type does not re-send the rejected clusters.
  auto base = Base();
  base[4] = MakeListener("l1", "r1-new");
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  ExpectBarrierNext(*c);  // no CDS response came before the barrier's (already ACK-less) answer
  // A new cluster version is sent.
  base[1] = MakeCluster("c2", 7);
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->type_url(), kClusterTypeUrl);
  EXPECT_THAT(SotwNames(*r2), ElementsAre("c1", "c2"));
}

TEST_F(SotwProtocolTest, AckAndNackAreToldApartByErrorDetailNotVersion) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kEndpointTypeUrl, {"c1"}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  // An ACK that also subscribes a new name at an unchanged version: not a NACK.
  c->Send(Ack(*r1, {"c1", "c2"}));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(SotwNames(*r2), ElementsAre("c2"));
  EXPECT_TRUE(callbacks_.nacks().empty());
}

TEST_F(SotwProtocolTest, LegacyWildcardAndEmptyListRules) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  // Empty list on the first LDS request: wildcard.
  c->Send(First(kListenerTypeUrl, {}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  EXPECT_THAT(SotwNames(*r1), ElementsAre("l1", "l2"));
  // A named subscription replaces it.
  c->Send(Ack(*r1, {"l1"}));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(SotwNames(*r2), ElementsAre("l1"));
  // Now an empty list means "unsubscribe from everything", not wildcard.
  c->Send(Ack(*r2, {}));
  ExpectBarrierNext(*c);
  auto base = Base();
  base.push_back(MakeListener("l3", "r1"));
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  ExpectBarrierNext(*c);
  // Explicit "*" subscribes to everything again.
  c->Send(Req(kListenerTypeUrl, {"*"}, r2->nonce(), r2->version_info()));
  auto r3 = c->Next();
  ASSERT_TRUE(r3.has_value());
  EXPECT_THAT(SotwNames(*r3), ElementsAre("l1", "l2", "l3"));
}

TEST_F(SotwProtocolTest, EmptyListForRdsIsNotWildcard) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kRouteTypeUrl, {}));
  ExpectBarrierNext(*c);
}

TEST_F(SotwProtocolTest, NewlyRequestedNamesAreResentEvenIfUnchanged) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kEndpointTypeUrl, {"c1"}));
  auto r1 = c->Next();
  ASSERT_TRUE(r1.has_value());
  c->Send(Ack(*r1, {"c2"}));
  auto r2 = c->Next();
  ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(SotwNames(*r2), ElementsAre("c2"));
  c->Send(Ack(*r2, {"c1", "c2"}));
  auto r3 = c->Next();
  ASSERT_TRUE(r3.has_value());
  EXPECT_THAT(SotwNames(*r3), ElementsAre("c1"));
}

TEST_F(SotwProtocolTest, RememberedNamesArePushedWhenTheyAppear) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kRouteTypeUrl, {"r9"}));
  ExpectBarrierNext(*c);
  auto base = Base();
  base.push_back(MakeRoute("r9", "c1"));
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->type_url(), kRouteTypeUrl);
  EXPECT_THAT(SotwNames(*r), ElementsAre("r9"));
}

TEST_F(SotwProtocolTest, NoDuplicateNamesInAResponse) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kListenerTypeUrl, {"l1", "l1", "*", "l2"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(SotwNames(*r), ElementsAre("l1", "l2"));
}

TEST_F(SotwProtocolTest, FullStateForClustersPartialForEndpoints) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {}));
  auto cds = c->Next();
  ASSERT_TRUE(cds.has_value());
  c->Send(Ack(*cds, {}));
  c->Send(Req(kEndpointTypeUrl, {"c1", "c2"}));
  auto eds = c->Next();
  ASSERT_TRUE(eds.has_value());
  EXPECT_THAT(SotwNames(*eds), ElementsAre("c1", "c2"));
  c->Send(Ack(*eds, {"c1", "c2"}));

  auto base = Base();
  base[3] = MakeEndpoints("c2", {"10.0.0.2", "10.0.0.3"});
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto eds2 = c->Next();
  ASSERT_TRUE(eds2.has_value());
  EXPECT_EQ(eds2->type_url(), kEndpointTypeUrl);
  EXPECT_THAT(SotwNames(*eds2), ElementsAre("c2"));  // partial

  base[1] = MakeCluster("c2", 9);
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto cds2 = c->Next();
  ASSERT_TRUE(cds2.has_value());
  EXPECT_EQ(cds2->type_url(), kClusterTypeUrl);
  EXPECT_THAT(SotwNames(*cds2), ElementsAre("c1", "c2"));  // full state
}

TEST_F(SotwProtocolTest, AdsPushesInMakeBeforeBreakOrderWithRemovalsLast) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  // Subscribe in "wrong" order; ACK everything.
  c->Send(First(kRouteTypeUrl, {"r1", "r2"}));
  auto rds = c->Next();
  ASSERT_TRUE(rds.has_value());
  c->Send(Ack(*rds, {"r1", "r2"}));
  c->Send(Req(kListenerTypeUrl, {}));
  auto lds = c->Next();
  ASSERT_TRUE(lds.has_value());
  c->Send(Ack(*lds, {}));
  c->Send(Req(kClusterTypeUrl, {}));
  auto cds = c->Next();
  ASSERT_TRUE(cds.has_value());
  c->Send(Ack(*cds, {}));
  c->Send(Req(kEndpointTypeUrl, {"c1", "c2"}));
  auto eds = c->Next();
  ASSERT_TRUE(eds.has_value());
  c->Send(Ack(*eds, {"c1", "c2"}));

  // One update: route r2 moves from c2 to a new c3, c2 goes away, l2 changes.
  SnapshotConstSharedPtr next = MakeSnapshot(
      {MakeCluster("c1"), MakeCluster("c3"), MakeEndpoints("c1", {"10.0.0.1"}),
       MakeEndpoints("c3", {"10.0.0.3"}), MakeListener("l1", "r1"), MakeListener("l2", "r2"),
       MakeRoute("r1", "c1"), MakeRoute("r2", "c3"), MakeSecret("barrier", "b")});
  cache_.SetSnapshot("g1", next);
  auto p1 = c->Next();
  ASSERT_TRUE(p1.has_value());
  EXPECT_EQ(p1->type_url(), kClusterTypeUrl);
  // c2 is kept until the route that used it has been replaced.
  EXPECT_THAT(SotwNames(*p1), UnorderedElementsAre("c1", "c2", "c3"));
  auto p2 = c->Next();
  ASSERT_TRUE(p2.has_value());
  EXPECT_EQ(p2->type_url(), kRouteTypeUrl);
  EXPECT_THAT(SotwNames(*p2), ElementsAre("r2"));
  // After the clusters are ACKed, the removal follows.
  c->Send(Ack(*p1, {}));
  auto p3 = c->Next();
  ASSERT_TRUE(p3.has_value());
  EXPECT_EQ(p3->type_url(), kClusterTypeUrl);
  EXPECT_THAT(SotwNames(*p3), ElementsAre("c1", "c3"));
}

TEST_F(SotwProtocolTest, EveryAnnouncedClusterGetsAnEndpointAnswer) {
  // c1 has no ClusterLoadAssignment in the input.
  cache_.SetSnapshot("g1", MakeSnapshot({MakeCluster("c1"), MakeSecret("barrier", "b")}));
  auto c = Ads();
  c->Send(First(kEndpointTypeUrl, {"c1"}));
  auto r = c->Next();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->resources_size(), 1);
  envoy::config::endpoint::v3::ClusterLoadAssignment cla;
  ASSERT_TRUE(r->resources(0).UnpackTo(&cla));
  EXPECT_EQ(cla.cluster_name(), "c1");
  EXPECT_EQ(cla.endpoints_size(), 0);
}

TEST_F(SotwProtocolTest, UpdatedClusterGetsItsEndpointsAgain) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  c->Send(First(kClusterTypeUrl, {}));
  auto cds = c->Next();
  ASSERT_TRUE(cds.has_value());
  c->Send(Ack(*cds, {}));
  c->Send(Req(kEndpointTypeUrl, {"c1", "c2"}));
  auto eds = c->Next();
  ASSERT_TRUE(eds.has_value());
  c->Send(Ack(*eds, {"c1", "c2"}));
  auto base = Base();
  base[0] = MakeCluster("c1", 11);  // endpoints unchanged
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto cds2 = c->Next();
  ASSERT_TRUE(cds2.has_value());
  EXPECT_EQ(cds2->type_url(), kClusterTypeUrl);
  auto eds2 = c->Next();
  ASSERT_TRUE(eds2.has_value());
  EXPECT_EQ(eds2->type_url(), kEndpointTypeUrl);
  EXPECT_THAT(SotwNames(*eds2), ElementsAre("c1"));
}

TEST_F(SotwProtocolTest, OnlyStreamsWhoseResourcesChangedArePushed) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto a = Ads();
  a->Send(First(kEndpointTypeUrl, {"c1"}));
  auto ra = a->Next();
  ASSERT_TRUE(ra.has_value());
  a->Send(Ack(*ra, {"c1"}));
  auto b = Ads();
  b->Send(First(kEndpointTypeUrl, {"c2"}));
  auto rb = b->Next();
  ASSERT_TRUE(rb.has_value());
  b->Send(Ack(*rb, {"c2"}));

  auto base = Base();
  base[3] = MakeEndpoints("c2", {"10.9.9.9"});
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto rb2 = b->Next();
  ASSERT_TRUE(rb2.has_value());
  EXPECT_THAT(SotwNames(*rb2), ElementsAre("c2"));
  ExpectBarrierNext(*a);  // nothing for a
}

TEST_F(SotwProtocolTest, ResourcesAreSerializedOnceForAllStreams) {
  auto snapshot = MakeSnapshot(Base());
  cache_.SetSnapshot("g1", snapshot);
  const uint64_t before = SerializationCount();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(Ads());
    clients.back()->Send(First(kClusterTypeUrl, {}));
  }
  for (auto& c : clients) {
    auto r = c->Next();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->resources(0).value(), snapshot->Find(ResourceType::kCluster, "c1")->serialized);
  }
  EXPECT_EQ(SerializationCount(), before);
}

TEST_F(SotwProtocolTest, PerTypeServiceDefaultsTheTypeUrl) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto stub = envoy::service::cluster::v3::ClusterDiscoveryService::NewStub(xds_.channel());
  Client c([&](grpc::ClientContext* ctx) { return stub->StreamClusters(ctx); });
  c.Send(First("", {}));
  auto r = c.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->type_url(), kClusterTypeUrl);
  EXPECT_THAT(SotwNames(*r), ElementsAre("c1", "c2"));

  Client wrong([&](grpc::ClientContext* ctx) { return stub->StreamClusters(ctx); });
  wrong.Send(First(kListenerTypeUrl, {}));
  EXPECT_EQ(wrong.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(SotwProtocolTest, FullStateForListenersPartialForRoutesAndSecrets) {
  auto base = Base();
  base.push_back(MakeSecret("tls", "key-1"));
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  auto c = Ads();
  c->Send(First(kListenerTypeUrl, {}));
  auto lds = c->Next();
  ASSERT_TRUE(lds.has_value());
  c->Send(Ack(*lds, {}));
  c->Send(Req(kRouteTypeUrl, {"r1", "r2"}));
  auto rds = c->Next();
  ASSERT_TRUE(rds.has_value());
  c->Send(Ack(*rds, {"r1", "r2"}));
  c->Send(Req(kSecretTypeUrl, {"barrier", "tls"}));
  auto sds = c->Next();
  ASSERT_TRUE(sds.has_value());
  EXPECT_THAT(SotwNames(*sds), ElementsAre("barrier", "tls"));
  c->Send(Ack(*sds, {"barrier", "tls"}));

  // One listener, one route and one secret change.
  base[5] = MakeListener("l2", "r2-v2");
  base[7] = MakeRoute("r2", "c1");
  base[9] = MakeSecret("tls", "key-2");
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  // One response per type; the secret's may come last if its ACK arrived after the update.
  std::map<std::string, std::vector<std::string>> pushed;
  for (int i = 0; i < 3; ++i) {
    auto r = c->Next();
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(pushed.contains(r->type_url())) << r->type_url();
    pushed[r->type_url()] = SotwNames(*r);
  }
  EXPECT_THAT(pushed[std::string(kListenerTypeUrl)], ElementsAre("l1", "l2"));  // full state
  EXPECT_THAT(pushed[std::string(kRouteTypeUrl)], ElementsAre("r2"));           // partial
  EXPECT_THAT(pushed[std::string(kSecretTypeUrl)], ElementsAre("tls"));         // partial
}

TEST_F(SotwProtocolTest, OneUpdateOfEveryTypeIsPushedCdsEdsLdsRds) {
  cache_.SetSnapshot("g1", MakeSnapshot(Base()));
  auto c = Ads();
  const std::vector<std::pair<absl::string_view, std::vector<std::string>>> subscriptions = {
      {kClusterTypeUrl, {}},
      {kEndpointTypeUrl, {"c1", "c2"}},
      {kListenerTypeUrl, {}},
      {kRouteTypeUrl, {"r1", "r2"}}};
  for (const auto& [type_url, names] : subscriptions) {
    DiscoveryRequest request = Req(type_url, names);
    if (type_url == kClusterTypeUrl) request = First(type_url, names);
    c->Send(request);
    auto r = c->Next();
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->type_url(), type_url);
    c->Send(Ack(*r, names));
  }
  ExpectBarrierNext(*c);

  // A route moves to another cluster whose settings and endpoints change, behind a listener
  // that changes too.
  auto base = Base();
  base[1] = MakeCluster("c2", 21);
  base[3] = MakeEndpoints("c2", {"10.0.0.22"});
  base[4] = MakeListener("l1", "r2");
  base[6] = MakeRoute("r1", "c2");
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    auto r = c->Next();
    ASSERT_TRUE(r.has_value());
    order.push_back(r->type_url());
  }
  EXPECT_THAT(order,
              ElementsAre(kClusterTypeUrl, kEndpointTypeUrl, kListenerTypeUrl, kRouteTypeUrl));
}

TEST_F(SotwProtocolTest, EveryPerTypeServiceDefaultsItsTypeUrlAndRejectsOthers) {
  auto base = Base();
  base.push_back(MakeSecret("tls", "key"));
  cache_.SetSnapshot("g1", MakeSnapshot(base));
  testing::PerTypeStubs stubs(xds_.channel());
  struct Case {
    ResourceType type;
    std::vector<std::string> names;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {{ResourceType::kListener, {}, {"l1", "l2"}},
                                   {ResourceType::kRoute, {"r2"}, {"r2"}},
                                   {ResourceType::kEndpoint, {"c1"}, {"c1"}},
                                   {ResourceType::kSecret, {"tls"}, {"tls"}}};
  for (const Case& tc : cases) {
    SCOPED_TRACE(TypeUrl(tc.type));
    auto open = [&](grpc::ClientContext* ctx) { return stubs.Sotw(tc.type, ctx); };
    Client c(open);
    c.Send(First("", tc.names));
    auto r = c.Next();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->type_url(), TypeUrl(tc.type));
    EXPECT_THAT(SotwNames(*r), ::testing::ElementsAreArray(tc.expected));

    Client wrong(open);
    wrong.Send(First(kClusterTypeUrl, {}));
    EXPECT_EQ(wrong.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
}

}  // namespace
}  // namespace strata::xds
