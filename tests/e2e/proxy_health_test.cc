// strata-proxy end to end: active health checks and outlier detection against real backend
// processes (echo_backend.py) that are switched unhealthy and back at run time.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/process.h"
#include "tests/e2e/proxy_fixture.h"

namespace strata::test {
namespace {

// One listener "http" on an ephemeral port routing web.example to cluster "web" (the given
// ports); `cluster_extra` is YAML added to the cluster (indented by four spaces).
std::string Bootstrap(const std::vector<int>& ports, const std::string& cluster_extra) {
  return absl::StrCat(kBootstrapHead, "    filter_chains:\n    -",
                      Hcm("web.example", "web", "      ").substr(5), "  clusters:\n",
                      StaticCluster("web", ports, cluster_extra));
}

// A member of a JSON object, or null (no throwing accessors).
const nlohmann::json* Member(const nlohmann::json& json, const std::string& key) {
  if (!json.is_object()) return nullptr;
  const auto it = json.find(key);
  return it == json.end() ? nullptr : &*it;
}
std::string StringField(const nlohmann::json& json, const std::string& key) {
  const nlohmann::json* member = Member(json, key);
  return member != nullptr && member->is_string() ? member->get<std::string>() : "";
}
bool BoolField(const nlohmann::json& json, const std::string& key) {
  const nlohmann::json* member = Member(json, key);
  return member != nullptr && member->is_boolean() && member->get<bool>();
}

// Polls `condition` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return condition();
}

// Switches a backend at run time (echo_backend.py's /control/...), straight to its port.
void Control(const Backend& backend, const std::string& path) {
  const std::string response = RawExchange(
      backend.port,
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(absl::StartsWith(response, "HTTP/1.0 200") ||
              absl::StartsWith(response, "HTTP/1.1 200"))
      << path << ": " << response;
}

// The host of cluster "web" on `port` as /config_dump shows it (null if absent).
nlohmann::json HostState(Proxy& proxy, int port) {
  const auto dump = nlohmann::json::parse(proxy.Admin("/config_dump"), nullptr, false);
  const nlohmann::json* clusters = Member(dump, "clusters");
  if (clusters == nullptr || !clusters->is_array()) return nullptr;
  const std::string address = absl::StrCat("127.0.0.1:", port);
  for (const auto& cluster : *clusters) {
    const nlohmann::json* config = Member(cluster, "cluster");
    const nlohmann::json* hosts = Member(cluster, "hosts");
    if (config == nullptr || StringField(*config, "name") != "web" || hosts == nullptr ||
        !hosts->is_array()) {
      continue;
    }
    for (const auto& host : *hosts) {
      if (StringField(host, "address") == address) return host;
    }
  }
  return nullptr;
}

bool HostFlag(Proxy& proxy, int port, const std::string& field) {
  return BoolField(HostState(proxy, port), field);
}

// `n` requests on one keep-alive connection: how many each backend answered (by name); any
// other answer (a local reply of the proxy) is counted under "other: <its body>".
std::map<std::string, int> Spread(const Proxy& proxy, int n) {
  std::string urls;
  for (int i = 0; i < n; ++i) absl::StrAppend(&urls, " '", proxy.Url("/spread"), "'");
  const std::string out = Shell(absl::StrCat("curl -s --max-time 20 -H 'Host: web.example'", urls));
  std::map<std::string, int> seen;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object()) {
      ++seen[StringField(json, "backend")];
    } else {
      ++seen[absl::StrCat("other: ", line)];
    }
  }
  return seen;
}

// One request on a new connection: "<backend>/<status>" ("-" when the proxy answered itself).
std::string OneRequest(const Proxy& proxy) {
  const std::string out = Curl(proxy, "/one");
  const auto body = BodyOf(out);
  const std::string backend = body.is_object() ? StringField(body, "backend") : "-";
  return absl::StrCat(backend, "/", StatusOf(out));
}

// Sends requests one at a time until `wanted` of them got `outcome`; false if that took more
// than `max_requests`.
bool SendUntil(const Proxy& proxy, const std::string& outcome, int wanted, int max_requests) {
  int got = 0;
  for (int i = 0; i < max_requests && got < wanted; ++i) {
    if (OneRequest(proxy) == outcome) ++got;
  }
  return got == wanted;
}

constexpr char kHealthCheck[] = R"(    health_checks:
    - timeout: 1s
      interval: 0.1s
      unhealthy_threshold: 2
      healthy_threshold: 2
      http_health_check: {path: /healthz}
)";

TEST(ProxyHealthTest, ActiveHealthCheckTakesAFailingHostOutAndBringsItBack) {
  Backend a = StartBackend("a");
  Backend b = StartBackend("b");
  Proxy proxy(Bootstrap({a.port, b.port}, kHealthCheck));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();

  // Both hosts are checked and pass; traffic reaches both.
  ASSERT_TRUE(
      WaitFor([&] { return proxy.Stat("health_check_successes_total") >= 4; }, absl::Seconds(10)));
  EXPECT_EQ(proxy.Stat("health_check_failures_total"), 0u);
  auto seen = Spread(proxy, 10);
  EXPECT_EQ(seen["a"], 5);
  EXPECT_EQ(seen["b"], 5);

  // b answers its checks with 503, a status outside expected_statuses that fails it at once
  // (unhealthy_threshold is for timeouts, connect failures and retriable statuses): no more
  // traffic for b.
  Control(b, "/control/health/fail");
  ASSERT_TRUE(WaitFor([&] { return HostFlag(proxy, b.port, "failed_active_health_check"); },
                      absl::Seconds(10)))
      << proxy.Admin("/config_dump");
  EXPECT_FALSE(HostFlag(proxy, b.port, "healthy"));
  EXPECT_TRUE(HostFlag(proxy, a.port, "healthy"));
  EXPECT_GE(proxy.Stat("health_check_failures_total"), 1u);
  seen = Spread(proxy, 20);
  EXPECT_EQ(seen["a"], 20);
  EXPECT_EQ(seen.count("b"), 0u);

  // b passes again: two good checks and it is back in the rotation.
  Control(b, "/control/health/pass");
  ASSERT_TRUE(WaitFor([&] { return HostFlag(proxy, b.port, "healthy"); }, absl::Seconds(10)))
      << proxy.Admin("/config_dump");
  EXPECT_FALSE(HostFlag(proxy, b.port, "failed_active_health_check"));
  seen = Spread(proxy, 10);
  EXPECT_EQ(seen["a"], 5);
  EXPECT_EQ(seen["b"], 5);
}

TEST(ProxyHealthTest, ActiveHealthCheckFailsAHostThatIsGone) {
  Backend a = StartBackend("a");
  int gone_port = 0;
  {
    Backend gone = StartBackend("gone");
    gone_port = gone.port;
  }  // stopped: its port now refuses connections
  Proxy proxy(Bootstrap({a.port, gone_port}, kHealthCheck));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  // Connect failures count towards unhealthy_threshold (2).
  ASSERT_TRUE(WaitFor([&] { return HostFlag(proxy, gone_port, "failed_active_health_check"); },
                      absl::Seconds(10)))
      << proxy.Admin("/config_dump");
  EXPECT_TRUE(HostFlag(proxy, a.port, "healthy"));
  auto seen = Spread(proxy, 10);
  EXPECT_EQ(seen["a"], 10);
  EXPECT_EQ(proxy.Stat("upstream_cx_connect_fail"), 0u);  // no request tried the dead host
}

TEST(ProxyHealthTest, OutlierDetectionEjectsAHostAfterConsecutive5xx) {
  Backend a = StartBackend("a");
  Backend b = StartBackend("b");
  // One worker: its round robin alternates between a and b, request after request.
  Proxy proxy(Bootstrap({a.port, b.port}, R"(    outlier_detection:
      consecutive_5xx: 3
      base_ejection_time: 300s
)"),
              /*concurrency=*/1);
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();

  // Two 5xx in a row from b, then a success: the streak is broken.
  Control(b, "/control/force/500");
  ASSERT_TRUE(SendUntil(proxy, "b/500", 2, 10));
  Control(b, "/control/force/0");
  ASSERT_TRUE(SendUntil(proxy, "b/200", 1, 10));
  // Two more: four failures, but never three in a row.
  Control(b, "/control/force/500");
  ASSERT_TRUE(SendUntil(proxy, "b/500", 2, 10));
  EXPECT_EQ(proxy.Stat("outlier_ejections_total"), 0u);
  EXPECT_TRUE(HostFlag(proxy, b.port, "healthy"));

  // The third in a row ejects b.
  ASSERT_TRUE(SendUntil(proxy, "b/500", 1, 10));
  ASSERT_TRUE(
      WaitFor([&] { return HostFlag(proxy, b.port, "outlier_ejected"); }, absl::Seconds(10)))
      << proxy.Admin("/config_dump");
  EXPECT_FALSE(HostFlag(proxy, b.port, "healthy"));
  EXPECT_TRUE(HostFlag(proxy, a.port, "healthy"));
  EXPECT_EQ(proxy.Stat("outlier_ejections_total"), 1u);
  EXPECT_EQ(proxy.Stat("outlier_ejections_active"), 1u);

  // From now on everything goes to a.
  auto seen = Spread(proxy, 20);
  EXPECT_EQ(seen["a"], 20);
  EXPECT_EQ(seen.count("b"), 0u);
}

TEST(ProxyHealthTest, OutlierDetectionEjectsAHostThatRefusesConnections) {
  Backend a = StartBackend("a");
  int gone_port = 0;
  {
    Backend gone = StartBackend("gone");
    gone_port = gone.port;
  }
  // Local-origin failures counted on their own: connect failures, not 5xx.
  Proxy proxy(Bootstrap({a.port, gone_port}, R"(    outlier_detection:
      split_external_local_origin_errors: true
      consecutive_local_origin_failure: 2
      consecutive_5xx: 100
      base_ejection_time: 300s
)"),
              /*concurrency=*/1);
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();

  ASSERT_TRUE(SendUntil(proxy, "-/503", 1, 10));  // 503 upstream connect error
  EXPECT_EQ(proxy.Stat("outlier_ejections_total"), 0u);
  ASSERT_TRUE(SendUntil(proxy, "-/503", 1, 10));
  ASSERT_TRUE(
      WaitFor([&] { return HostFlag(proxy, gone_port, "outlier_ejected"); }, absl::Seconds(10)))
      << proxy.Admin("/config_dump");
  EXPECT_EQ(proxy.Stat("upstream_cx_connect_fail"), 2u);
  EXPECT_EQ(proxy.Stat("outlier_ejections_total"), 1u);

  auto seen = Spread(proxy, 10);
  EXPECT_EQ(seen["a"], 10);
  EXPECT_EQ(proxy.Stat("upstream_cx_connect_fail"), 2u);
}

}  // namespace
}  // namespace strata::test
