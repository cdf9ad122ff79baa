// End to end: a change in the manifest directory reaches a connected xDS client within a
// second, with strata-controlplane's default debounce settings.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "controlplane/xds/resource.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/controlplane/xds/xds_test_util.h"
#include "tests/e2e/process.h"

namespace strata {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using Client = xds::testing::ScriptedClient<DiscoveryRequest, DiscoveryResponse>;

constexpr char kCluster[] = "web.default.svc.cluster.local:50051";

// Writes the Service and one EndpointSlice with `port`, by rename so no half-written file is
// ever read.
void WriteManifests(const std::string& dir, int port) {
  const std::string yaml = absl::StrFormat(
      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
      "spec:\n  ports:\n  - {name: grpc, port: 50051, targetPort: grpc}\n"
      "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
      "metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}\n"
      "addressType: IPv4\nports: [{name: grpc, port: %d}]\n"
      "endpoints:\n- addresses: [\"127.0.0.1\"]\n  conditions: {ready: true}\n",
      port);
  test::WriteFile(dir + "/.web.tmp", yaml);
  ASSERT_EQ(std::rename((dir + "/.web.tmp").c_str(), (dir + "/web.yaml").c_str()), 0);
}

// The endpoint ports of an EDS response.
std::vector<int> Ports(const DiscoveryResponse& response) {
  std::vector<int> ports;
  for (const auto& any : response.resources()) {
    envoy::config::endpoint::v3::ClusterLoadAssignment cla;
    if (!any.UnpackTo(&cla)) continue;
    for (const auto& locality : cla.endpoints()) {
      for (const auto& lb : locality.lb_endpoints()) {
        ports.push_back(static_cast<int>(lb.endpoint().address().socket_address().port_value()));
      }
    }
  }
  return ports;
}

TEST(ControlPlanePropagationTest, ManifestChangeReachesAConnectedClientWithinASecond) {
  const std::string dir = test::TempDir("manifests");
  WriteManifests(dir, 7001);
  auto cp = test::Subprocess::Start({test::Runfile("controlplane/strata-controlplane"),
                                     "--manifests=" + dir, "--xds_address=127.0.0.1:0",
                                     "--admin_address=127.0.0.1:0"});
  ASSERT_TRUE(cp->WaitForOutput("admin on port", absl::Seconds(20))) << cp->Output();
  const std::string log = cp->Output();
  const size_t at = log.find("xDS on port ") + 12;
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(log.substr(at, log.find(',', at) - at), &port)) << log;

  auto channel = grpc::CreateChannel(absl::StrCat("ipv4:127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto stub = AggregatedDiscoveryService::NewStub(channel);
  Client client([&](grpc::ClientContext* ctx) { return stub->StreamAggregatedResources(ctx); });
  DiscoveryRequest request;
  request.set_type_url(std::string(xds::kEndpointTypeUrl));
  request.add_resource_names(kCluster);
  request.mutable_node()->set_id("propagation-test");
  ASSERT_TRUE(client.Send(request));
  auto first = client.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Ports(*first), std::vector<int>{7001});
  request.clear_node();
  request.set_version_info(first->version_info());
  request.set_response_nonce(first->nonce());
  ASSERT_TRUE(client.Send(request));

  // Three changes one after another, each waited for: every one arrives within a second.
  for (int next_port : {7002, 7003, 7004}) {
    SCOPED_TRACE(next_port);
    const absl::Time changed_at = absl::Now();
    WriteManifests(dir, next_port);
    auto update = client.Next(absl::Seconds(1));
    ASSERT_TRUE(update.has_value()) << "no update within 1 s";
    EXPECT_EQ(Ports(*update), std::vector<int>{next_port});
    EXPECT_LT(absl::Now() - changed_at, absl::Seconds(1));
    request.set_version_info(update->version_info());
    request.set_response_nonce(update->nonce());
    ASSERT_TRUE(client.Send(request));
  }
}

}  // namespace
}  // namespace strata
