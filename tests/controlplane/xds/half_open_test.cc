// Half-open connections: a client whose network path silently stops carrying packets (no FIN,
// no RST) is detected by the server's keepalive pings, and its stream and node are dropped.
// The client reaches the server through an in-test TCP relay that can black-hole the path.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "controlplane/api/node_status.h"
#include "controlplane/xds/resource.h"
#include "controlplane/xds/xds_server.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/xds/tcp_relay.h"
#include "tests/controlplane/xds/xds_test_util.h"

namespace strata::xds {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using testing::MakeCluster;
using testing::MakeSnapshot;

using Client = testing::ScriptedClient<DiscoveryRequest, DiscoveryResponse>;
using ::strata::testing::TcpRelay;

XdsServer::TransportOptions ShortKeepalive() {
  XdsServer::TransportOptions options;
  options.keepalive_time = absl::Seconds(1);
  options.keepalive_timeout = absl::Seconds(1);
  return options;
}

TEST(HalfOpenTest, KeepaliveDropsAStreamWhosePeerVanished) {
  MetricsRegistry metrics;
  api::NodeStatusRegistry registry(metrics, RealClock::Get());
  testing::RecordingCallbacks callbacks(&registry);
  testing::TestXdsServer xds(callbacks, {.tcp = true, .transport = ShortKeepalive()});
  ASSERT_NE(xds.port(), 0);
  xds.cache().SetSnapshot("g1", MakeSnapshot({MakeCluster("c1")}));

  absl::StatusOr<std::unique_ptr<TcpRelay>> relay = TcpRelay::Create(xds.port());
  ASSERT_TRUE(relay.ok()) << relay.status();
  auto channel = grpc::CreateChannel(absl::StrCat("ipv4:127.0.0.1:", (*relay)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = AggregatedDiscoveryService::NewStub(channel);
  auto client = std::make_unique<Client>(
      [&](grpc::ClientContext* ctx) { return stub->StreamAggregatedResources(ctx); });

  DiscoveryRequest first;
  first.set_type_url(std::string(kClusterTypeUrl));
  first.mutable_node()->set_id("node-1");
  first.mutable_node()->set_cluster("g1");
  ASSERT_TRUE(client->Send(first));
  auto response = client->Next();
  ASSERT_TRUE(response.has_value());
  DiscoveryRequest ack;
  ack.set_type_url(response->type_url());
  ack.set_version_info(response->version_info());
  ack.set_response_nonce(response->nonce());
  ASSERT_TRUE(client->Send(ack));
  ASSERT_TRUE(callbacks.WaitForOpened(1));
  ASSERT_EQ(registry.Snapshot().size(), 1u);

  // xDS streams are idle most of the time. The server must keep pinging such a connection
  // (here: besides the flow-control pings that follow the requests, at least three keepalive
  // pings, more than gRPC's default of two pings without data), or a peer that vanishes after
  // a quiet spell is never noticed.
  const uint64_t kIdlePings = 5;
  ASSERT_TRUE((*relay)->WaitForUpstreamPings(kIdlePings, absl::Seconds(15)))
      << "the server sent only " << (*relay)->upstream_pings() << " keepalive pings";
  EXPECT_EQ(callbacks.closed(), 0);

  (*relay)->BlackHole();
  const absl::Time black_hole_at = absl::Now();
  // keepalive_time + keepalive_timeout is about 2 s; allow for a slow machine.
  ASSERT_TRUE(callbacks.WaitForClosed(1, absl::Seconds(10)))
      << "the server did not notice the dead peer";
  EXPECT_LT(absl::Now() - black_hole_at, absl::Seconds(10));
  EXPECT_TRUE(registry.Snapshot().empty());
  EXPECT_THAT(metrics.Render(), ::testing::HasSubstr("strata_xds_connected_nodes 0\n"));
}

}  // namespace
}  // namespace strata::xds
