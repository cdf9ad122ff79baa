// strata-proxy configured over ADS by the project's xDS server (xds_test_server), Delta and
// SotW: config changes mid-traffic, a rejected update that leaves traffic alone, and the
// server killed and restarted.
#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process.h"
#include "tests/e2e/proxy_fixture.h"

namespace strata::test {
namespace {

class XdsServer {
 public:
  explicit XdsServer(int port = 0) {
    process_ = Subprocess::Start({Runfile("tests/e2e/xds_test_server"), absl::StrCat(port)});
    EXPECT_TRUE(process_->WaitForOutput("xds on port ", absl::Seconds(20)));
    const std::string out = process_->Output();
    const size_t at = out.find("xds on port ") + 12;
    EXPECT_TRUE(absl::SimpleAtoi(out.substr(at, out.find('\n', at) - at), &port_));
  }
  // Serves `yaml`; true once the server took it.
  bool Load(const std::string& yaml) {
    const std::string path = absl::StrCat(TempDir("snapshots"), "/s", loads_, ".yaml");
    WriteFile(path, yaml);
    process_->WriteStdin("load " + path + "\n");
    ++loads_;
    return WaitCount("loaded ", loads_);
  }
  int port() const { return port_; }
  void Kill() { process_.reset(); }

 private:
  bool WaitCount(const std::string& word, int count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      const std::string out = process_->Output();
      int n = 0;
      for (size_t at = out.find(word); at != std::string::npos; at = out.find(word, at + 1)) ++n;
      if (n >= count) return true;
      if (out.find("error: ") != std::string::npos) return false;
      process_->WaitForOutput("\n", absl::Milliseconds(20));
    }
    return false;
  }
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
  int loads_ = 0;
};

// A snapshot: listener "http" (RDS "routes"), web.example → EDS cluster "web" with
// `backend_port`; `route_extra` adds to the route match (e.g. a bad regex).
std::string Snapshot(int backend_port, const std::string& path_match = "prefix: \"/\"") {
  return absl::StrFormat(R"(listeners:
- name: http
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: edge
        rds: {route_config_name: routes, config_source: {ads: {}}}
        http_filters:
        - name: envoy.filters.http.router
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
routes:
- name: routes
  virtual_hosts:
  - name: web
    domains: ["web.example"]
    routes:
    - match: {%s}
      route: {cluster: web}
clusters:
- name: web
  type: EDS
  connect_timeout: 1s
  eds_cluster_config: {eds_config: {ads: {}}}
endpoints:
- cluster_name: web
  endpoints:
  - lb_endpoints:
    - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}
)",
                         path_match, backend_port);
}

std::string BackendOf(const Proxy& proxy) {
  const std::string out = Curl(proxy, "/");
  if (StatusOf(out) != 200) return absl::StrCat("status ", StatusOf(out));
  return BodyOf(out)["backend"].get<std::string>();
}

bool Eventually(const std::function<bool()>& condition, absl::Duration within) {
  const absl::Time deadline = absl::Now() + within;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));  // polling an external process's state
  }
  return condition();
}

class ProxyXdsTest : public ::testing::TestWithParam<bool> {};

TEST_P(ProxyXdsTest, FollowsChangesMidTrafficKeepsLastGoodAndSurvivesServerRestart) {
  const bool delta = GetParam();
  Backend a = StartBackend("a");
  Backend b = StartBackend("b");
  auto xds = std::make_unique<XdsServer>();
  const int xds_port = xds->port();
  ASSERT_TRUE(xds->Load(Snapshot(a.port)));
  Proxy proxy(AdsBootstrap(xds_port), 2, {absl::StrCat("--xds_delta=", delta)});
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  EXPECT_EQ(BackendOf(proxy), "a");

  // Endpoint changes while traffic flows: no request fails.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> requests{0};
  std::thread traffic([&] {
    while (!stop) {
      const std::string out = Curl(proxy, "/");
      if (StatusOf(out) != 200) ++failures;
      ++requests;
    }
  });
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(xds->Load(Snapshot(i % 2 == 0 ? b.port : a.port)));
  ASSERT_TRUE(xds->Load(Snapshot(b.port)));
  EXPECT_TRUE(Eventually([&] { return BackendOf(proxy) == "b"; }, absl::Seconds(5)));
  stop = true;
  traffic.join();
  EXPECT_EQ(failures.load(), 0) << "of " << requests.load();

  // A route table with an invalid regex is NACKed; the last good config keeps serving.
  const int nacks_before = nlohmann::json::parse(proxy.Admin("/xds"))["nacks"].get<int>();
  ASSERT_TRUE(xds->Load(Snapshot(a.port, "safe_regex: {regex: \"(\"}")));
  EXPECT_TRUE(Eventually(
      [&] { return nlohmann::json::parse(proxy.Admin("/xds"))["nacks"].get<int>() > nacks_before; },
      absl::Seconds(5)));
  const auto xds_status = nlohmann::json::parse(proxy.Admin("/xds"));
  EXPECT_TRUE(absl::StrContains(xds_status["last_nack"].get<std::string>(), "routes"))
      << xds_status.dump();
  EXPECT_TRUE(absl::StrContains(xds_status["last_nack"].get<std::string>(), "safe_regex"))
      << xds_status.dump();
  // The CLA part of that snapshot (back to a) was valid and applied; routes stayed as they were.
  EXPECT_TRUE(Eventually([&] { return BackendOf(proxy) == "a"; }, absl::Seconds(5)));

  // The control plane dies: traffic goes on with the last good config.
  xds->Kill();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(BackendOf(proxy), "a");
  // It comes back on the same port with a change: the proxy reconnects and follows.
  xds = std::make_unique<XdsServer>(xds_port);
  ASSERT_TRUE(xds->Load(Snapshot(b.port)));
  EXPECT_TRUE(Eventually([&] { return BackendOf(proxy) == "b"; }, absl::Seconds(15)));
  EXPECT_GE(nlohmann::json::parse(proxy.Admin("/xds"))["streams"].get<int>(), 2);
}

TEST_P(ProxyXdsTest, ConfigChurnUnderLoadLosesNoRequest) {
  const bool delta = GetParam();
  Backend a = StartBackend("a");
  Backend b = StartBackend("b");
  XdsServer xds;
  ASSERT_TRUE(xds.Load(Snapshot(a.port)));
  Proxy proxy(AdsBootstrap(xds.port()), 2, {absl::StrCat("--xds_delta=", delta)});
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  // wrk keeps 8 connections busy for 4 s while the endpoints change 20 times a second.
  std::string wrk_output;
  std::thread load([&] {
    wrk_output =
        Shell(absl::StrCat("wrk -t1 -c8 -d4s -H 'Host: web.example' ", proxy.Url("/"), " 2>&1"));
  });
  const absl::Time until = absl::Now() + absl::Seconds(3);
  int changes = 0;
  while (absl::Now() < until) {
    ASSERT_TRUE(xds.Load(Snapshot(changes % 2 == 0 ? b.port : a.port)));
    ++changes;
    absl::SleepFor(absl::Milliseconds(50));  // pacing the changes, not synchronisation
  }
  load.join();
  EXPECT_GE(changes, 30);
  EXPECT_TRUE(absl::StrContains(wrk_output, "requests in")) << wrk_output;
  EXPECT_FALSE(absl::StrContains(wrk_output, "Non-2xx")) << wrk_output;
  EXPECT_FALSE(absl::StrContains(wrk_output, "Socket errors")) << wrk_output;
  EXPECT_EQ(proxy.Stat("downstream_rq_5xx"), 0u) << proxy.Admin("/stats");
}

INSTANTIATE_TEST_SUITE_P(Protocols, ProxyXdsTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Delta" : "SotW"; });

}  // namespace
}  // namespace strata::test
