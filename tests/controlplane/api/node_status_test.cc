// NodeStatusRegistry: node lifetime across streams, and the xDS metrics it renders, both by
// direct calls and behind a real xDS server driven by a scripted client.
#include "controlplane/api/node_status.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "controlplane/xds/resource.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/xds/xds_test_util.h"

namespace strata::api {
namespace {

using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using xds::ResourceType;
using xds::testing::MakeCluster;
using xds::testing::MakeEndpoints;
using xds::testing::MakeListener;
using xds::testing::MakeRoute;
using xds::testing::MakeSnapshot;

envoy::config::core::v3::Node Node(const std::string& id) {
  envoy::config::core::v3::Node node;
  node.set_id(id);
  node.set_cluster("g1");
  return node;
}

std::vector<std::string> NodeIds(const NodeStatusRegistry& registry) {
  std::vector<std::string> ids;
  for (const auto& p : registry.Snapshot()) ids.push_back(p.node_id());
  return ids;
}

// A sample line of the rendered metrics, e.g. `name{type="cds",group="g1"} 1`.
std::string Line(absl::string_view name, absl::string_view labels, absl::string_view value) {
  return absl::StrCat("\n", name, labels.empty() ? "" : absl::StrCat("{", labels, "}"), " ", value,
                      "\n");
}

TEST(NodeStatusRegistryTest, NodeIsDroppedWhenItsLastStreamCloses) {
  MetricsRegistry metrics;
  ManualClock clock;
  NodeStatusRegistry registry(metrics, clock);
  registry.OnStreamOpen(1, Node("n1"), "g1", /*delta=*/false);
  registry.OnStreamOpen(2, Node("n1"), "g1", /*delta=*/true);
  registry.OnStreamOpen(3, Node("n2"), "g1", /*delta=*/false);
  ASSERT_EQ(registry.Snapshot().size(), 2u);
  EXPECT_EQ(registry.Snapshot()[0].streams(), 2);

  registry.OnStreamClose(1);
  EXPECT_THAT(NodeIds(registry), ::testing::ElementsAre("n1", "n2"));
  EXPECT_EQ(registry.Snapshot()[0].streams(), 1);
  EXPECT_THAT(metrics.Render(), HasSubstr(Line("strata_xds_connected_nodes", "", "2")));

  registry.OnStreamClose(2);
  EXPECT_THAT(NodeIds(registry), ::testing::ElementsAre("n2"));
  registry.OnStreamClose(2);  // a repeated close changes nothing
  EXPECT_THAT(NodeIds(registry), ::testing::ElementsAre("n2"));
  registry.OnStreamClose(3);
  EXPECT_THAT(NodeIds(registry), IsEmpty());
  EXPECT_THAT(metrics.Render(), HasSubstr(Line("strata_xds_connected_nodes", "", "0")));
}

TEST(NodeStatusRegistryTest, NackIsRecordedWithMessageAndTime) {
  MetricsRegistry metrics;
  ManualClock clock(absl::FromUnixSeconds(1700000000));
  NodeStatusRegistry registry(metrics, clock);
  registry.OnStreamOpen(1, Node("n1"), "g1", false);
  registry.OnResponseSent(1, ResourceType::kCluster, "v1", 2);
  registry.OnAck(1, ResourceType::kCluster, "v1", absl::Milliseconds(3));
  registry.OnResponseSent(1, ResourceType::kCluster, "v2", 2);
  registry.OnNack(1, ResourceType::kCluster, "v2", "bad cluster");
  auto snapshot = registry.Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  ASSERT_EQ(snapshot[0].types_size(), 1);
  const auto& t = snapshot[0].types(0);
  EXPECT_EQ(t.type_url(), xds::kClusterTypeUrl);
  EXPECT_EQ(t.sent_version(), "v2");
  EXPECT_EQ(t.acked_version(), "v1");
  EXPECT_EQ(t.nacked_version(), "v2");
  EXPECT_EQ(t.nack_message(), "bad cluster");
  EXPECT_EQ(t.nack_time().seconds(), 1700000000);
}

using Client = xds::testing::ScriptedClient<DiscoveryRequest, DiscoveryResponse>;

// The registry behind a real xDS server. RecordingCallbacks forwards to it and lets the test
// wait for streams to open and close.
class NodeStatusOverXdsTest : public ::testing::Test {
 protected:
  NodeStatusOverXdsTest() {
    xds_.cache().SetSnapshot("g1",
                             MakeSnapshot({MakeCluster("c1"), MakeEndpoints("c1", {"10.0.0.1"}),
                                           MakeListener("l1", "r1"), MakeRoute("r1", "c1")}));
  }

  std::unique_ptr<Client> Ads() {
    return std::make_unique<Client>(
        [this](grpc::ClientContext* ctx) { return xds_.ads().StreamAggregatedResources(ctx); });
  }
  static DiscoveryRequest Req(absl::string_view type_url, std::vector<std::string> names,
                              const std::string& node_id = "") {
    DiscoveryRequest r;
    r.set_type_url(std::string(type_url));
    for (auto& n : names) r.add_resource_names(n);
    if (!node_id.empty()) *r.mutable_node() = Node(node_id);
    return r;
  }
  static DiscoveryRequest Reply(const DiscoveryResponse& response, std::vector<std::string> names,
                                absl::string_view nack_message = "") {
    DiscoveryRequest r = Req(response.type_url(), std::move(names));
    r.set_response_nonce(response.nonce());
    if (nack_message.empty()) {
      r.set_version_info(response.version_info());
    } else {
      r.mutable_error_detail()->set_code(3);
      r.mutable_error_detail()->set_message(std::string(nack_message));
    }
    return r;
  }

  MetricsRegistry metrics_;
  NodeStatusRegistry registry_{metrics_, RealClock::Get()};
  xds::testing::RecordingCallbacks callbacks_{&registry_};
  xds::testing::TestXdsServer xds_{callbacks_};
};

TEST_F(NodeStatusOverXdsTest, TwoStreamsOfOneNode) {
  auto a = Ads();
  a->Send(Req(xds::kClusterTypeUrl, {}, "n1"));
  ASSERT_TRUE(a->Next().has_value());
  auto b = Ads();
  b->Send(Req(xds::kClusterTypeUrl, {}, "n1"));
  ASSERT_TRUE(b->Next().has_value());
  ASSERT_TRUE(callbacks_.WaitForOpened(2));
  auto nodes = registry_.Snapshot();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].node_id(), "n1");
  EXPECT_EQ(nodes[0].streams(), 2);

  a.reset();  // cancels the stream
  ASSERT_TRUE(callbacks_.WaitForClosed(1));
  nodes = registry_.Snapshot();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].streams(), 1);

  b.reset();
  ASSERT_TRUE(callbacks_.WaitForClosed(2));
  EXPECT_THAT(registry_.Snapshot(), IsEmpty());
}

TEST_F(NodeStatusOverXdsTest, MetricsAfterAnAckAndANack) {
  auto c = Ads();
  c->Send(Req(xds::kClusterTypeUrl, {}, "n1"));
  auto cds = c->Next();
  ASSERT_TRUE(cds.has_value());
  c->Send(Reply(*cds, {}));  // ACK
  c->Send(Req(xds::kEndpointTypeUrl, {"c1"}));
  auto eds = c->Next();
  ASSERT_TRUE(eds.has_value());
  ASSERT_EQ(eds->type_url(), xds::kEndpointTypeUrl);
  c->Send(Reply(*eds, {"c1"}, "endpoint c1: bad address"));  // NACK
  // Requests are handled in order: once LDS is answered, the NACK has been counted.
  c->Send(Req(xds::kListenerTypeUrl, {}));
  auto lds = c->Next();
  ASSERT_TRUE(lds.has_value());
  ASSERT_EQ(lds->type_url(), xds::kListenerTypeUrl);

  const std::string text = metrics_.Render();
  const std::string cds_labels = R"(type="cds",group="g1")";
  const std::string eds_labels = R"(type="eds",group="g1")";
  const std::string lds_labels = R"(type="lds",group="g1")";
  EXPECT_THAT(text, HasSubstr(Line("strata_xds_connected_nodes", "", "1")));
  EXPECT_THAT(text, HasSubstr(Line("strata_xds_connected_streams", cds_labels, "1")));
  EXPECT_THAT(text, HasSubstr(Line("strata_xds_connected_streams", eds_labels, "1")));
  EXPECT_THAT(text, HasSubstr(Line("strata_xds_connected_streams", lds_labels, "1")));
  EXPECT_THAT(text, HasSubstr(Line("strata_xds_pushes_total", cds_labels, "1")));
  EXPECT_THAT(text, HasSubstr(Line("strata_xds_pushes_total", eds_labels, "1")));
  EXPECT_THAT(text, HasSubstr(Line("strata_xds_acks_total", cds_labels, "1")));
  EXPECT_THAT(text, HasSubstr(Line("strata_xds_nacks_total", eds_labels, "1")));
  // The NACKed type has no ACK and the ACKed one no NACK.
  EXPECT_THAT(text, Not(HasSubstr(absl::StrCat("strata_xds_acks_total{", eds_labels))));
  EXPECT_THAT(text, Not(HasSubstr(absl::StrCat("strata_xds_nacks_total{", cds_labels))));
  EXPECT_THAT(text, HasSubstr(Line("strata_xds_push_ack_seconds_count", R"(type="cds")", "1")));

  auto nodes = registry_.Snapshot();
  ASSERT_EQ(nodes.size(), 1u);
  bool saw_nack = false;
  for (const auto& t : nodes[0].types()) {
    if (t.type_url() != xds::kEndpointTypeUrl) continue;
    saw_nack = true;
    EXPECT_EQ(t.nack_message(), "endpoint c1: bad address");
    EXPECT_EQ(t.nacked_version(), eds->version_info());
    EXPECT_EQ(t.acked_version(), "");
  }
  EXPECT_TRUE(saw_nack);

  // Once the stream is gone its gauges are too; the counters stay.
  c.reset();
  ASSERT_TRUE(callbacks_.WaitForClosed(1));
  const std::string after = metrics_.Render();
  EXPECT_THAT(after, HasSubstr(Line("strata_xds_connected_nodes", "", "0")));
  EXPECT_THAT(after, Not(HasSubstr("strata_xds_connected_streams{")));
  EXPECT_THAT(after, HasSubstr(Line("strata_xds_nacks_total", eds_labels, "1")));
}

// The value of an unlabelled sample in the rendered metrics, or -1.
double Sample(const std::string& text, absl::string_view name) {
  const std::string prefix = absl::StrCat("\n", name, " ");
  size_t at = text.find(prefix);
  if (at == std::string::npos) return -1;
  at += prefix.size();
  double value = -1;
  if (!absl::SimpleAtod(text.substr(at, text.find('\n', at) - at), &value)) return -1;
  return value;
}

TEST_F(NodeStatusOverXdsTest, SerializationsMetricCountsResourceVersionsNotStreams) {
  const double before = Sample(metrics_.Render(), "strata_xds_serializations");
  ASSERT_GE(before, 0);
  // Each resource version is serialized once, when it is built...
  auto snapshot = MakeSnapshot({MakeCluster("c1", 9), MakeCluster("c2"),
                                MakeEndpoints("c1", {"10.0.0.1"}), MakeEndpoints("c2", {})});
  EXPECT_EQ(Sample(metrics_.Render(), "strata_xds_serializations"), before + 4);
  xds_.cache().SetSnapshot("g1", snapshot);

  // ...and not again for any of the streams it is sent to.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(Ads());
    clients.back()->Send(Req(xds::kClusterTypeUrl, {}, absl::StrCat("n", i)));
  }
  for (auto& c : clients) {
    auto r = c->Next();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->resources_size(), 2);
  }
  EXPECT_EQ(Sample(metrics_.Render(), "strata_xds_serializations"), before + 4);
}

}  // namespace
}  // namespace strata::api
