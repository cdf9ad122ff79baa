// The xDS server's transport options over real TCP connections: the receive limit (Delta
// reconnects carry large initial_resource_versions) and the maximum connection age.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "controlplane/xds/resource.h"
#include "controlplane/xds/xds_server.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/xds/xds_test_util.h"

namespace strata::xds {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using ::testing::HasSubstr;
using testing::MakeCluster;
using testing::MakeSnapshot;

using DeltaClient = testing::ScriptedClient<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
using SotwClient = testing::ScriptedClient<DiscoveryRequest, DiscoveryResponse>;

// A first Delta request for clusters whose initial_resource_versions weigh about `bytes`.
DeltaDiscoveryRequest LargeReconnect(size_t bytes) {
  DeltaDiscoveryRequest r;
  r.set_type_url(std::string(kClusterTypeUrl));
  r.mutable_node()->set_id("node-1");
  r.mutable_node()->set_cluster("g1");
  r.add_resource_names_subscribe("c1");
  (*r.mutable_initial_resource_versions())["c1"] = std::string(bytes, 'v');
  return r;
}

std::unique_ptr<DeltaClient> OpenDelta(AggregatedDiscoveryService::Stub& stub) {
  return std::make_unique<DeltaClient>(
      [&](grpc::ClientContext* ctx) { return stub.DeltaAggregatedResources(ctx); });
}

TEST(TransportOptionsTest, DefaultReceiveLimitTakesA40MiBReconnectAndRefusesMoreThan64MiB) {
  testing::RecordingCallbacks callbacks;
  testing::TestXdsServer xds(callbacks, {.tcp = true, .transport = XdsServer::TransportOptions{}});
  ASSERT_NE(xds.port(), 0);
  xds.cache().SetSnapshot("g1", MakeSnapshot({MakeCluster("c1")}));
  auto stub = AggregatedDiscoveryService::NewStub(xds.TcpChannel());

  // gRPC's default limit is 4 MiB; a reconnect with 40 MiB of known versions is served.
  auto large = OpenDelta(*stub);
  ASSERT_TRUE(large->Send(LargeReconnect(40 << 20)));
  auto response = large->Next(absl::Seconds(30));
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->resources_size(), 1);
  EXPECT_EQ(response->resources(0).name(), "c1");

  // Beyond the limit only that stream ends, and says why.
  auto too_large = OpenDelta(*stub);
  too_large->Send(LargeReconnect(65 << 20));
  grpc::Status status = too_large->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("larger than max"));

  // The first stream still gets updates.
  DeltaDiscoveryRequest ack;
  ack.set_type_url(std::string(kClusterTypeUrl));
  ack.set_response_nonce(response->nonce());
  ASSERT_TRUE(large->Send(ack));
  xds.cache().SetSnapshot("g1", MakeSnapshot({MakeCluster("c1", 9)}));
  auto update = large->Next();
  ASSERT_TRUE(update.has_value());
  ASSERT_EQ(update->resources_size(), 1);
  EXPECT_NE(update->resources(0).version(), response->resources(0).version());
}

TEST(TransportOptionsTest, MaxConnectionAgeEndsTheConnectionAndTheClientComesBack) {
  XdsServer::TransportOptions options;
  options.max_connection_age = absl::Seconds(1);
  options.max_connection_age_grace = absl::Seconds(1);
  testing::RecordingCallbacks callbacks;
  testing::TestXdsServer xds(callbacks, {.tcp = true, .transport = options});
  ASSERT_NE(xds.port(), 0);
  xds.cache().SetSnapshot("g1", MakeSnapshot({MakeCluster("c1")}));
  auto stub = AggregatedDiscoveryService::NewStub(xds.TcpChannel());

  DiscoveryRequest first;
  first.set_type_url(std::string(kClusterTypeUrl));
  first.mutable_node()->set_id("node-1");
  first.mutable_node()->set_cluster("g1");
  auto client = std::make_unique<SotwClient>(
      [&](grpc::ClientContext* ctx) { return stub->StreamAggregatedResources(ctx); });
  ASSERT_TRUE(client->Send(first));
  ASSERT_TRUE(client->Next().has_value());

  // The stream outlives neither the age nor the grace period that follows it.
  ASSERT_TRUE(callbacks.WaitForClosed(1, absl::Seconds(20)));
  grpc::Status status = client->Finish();
  EXPECT_FALSE(status.ok());

  // The same channel connects again and is served.
  auto again = std::make_unique<SotwClient>(
      [&](grpc::ClientContext* ctx) { return stub->StreamAggregatedResources(ctx); });
  ASSERT_TRUE(again->Send(first));
  auto response = again->Next();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->type_url(), kClusterTypeUrl);
}

TEST(TransportOptionsTest, ValidationNamesWhatIsWrong) {
  EXPECT_TRUE(XdsServer::ValidateTransportOptions({}).ok());

  XdsServer::TransportOptions small;
  small.max_receive_message_bytes = 16 << 20;
  absl::Status status = XdsServer::ValidateTransportOptions(small);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("at least 32 MiB"));

  XdsServer::TransportOptions huge;
  huge.max_receive_message_bytes = int64_t{4096} << 20;
  status = XdsServer::ValidateTransportOptions(huge);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("at most"));

  XdsServer::TransportOptions no_keepalive;
  no_keepalive.keepalive_time = absl::ZeroDuration();
  status = XdsServer::ValidateTransportOptions(no_keepalive);
  EXPECT_THAT(status.message(), HasSubstr("keepalive_time"));

  XdsServer::TransportOptions sub_millisecond;
  sub_millisecond.keepalive_timeout = absl::Microseconds(500);  // gRPC would read 0 ms
  status = XdsServer::ValidateTransportOptions(sub_millisecond);
  EXPECT_THAT(status.message(), HasSubstr("keepalive_timeout must be at least 1ms"));

  XdsServer::TransportOptions instant_age;
  instant_age.max_connection_age = absl::ZeroDuration();
  status = XdsServer::ValidateTransportOptions(instant_age);
  EXPECT_THAT(status.message(), HasSubstr("max_connection_age"));
}

}  // namespace
}  // namespace strata::xds
