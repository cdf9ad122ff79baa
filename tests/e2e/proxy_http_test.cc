// strata-proxy end to end: a real proxy process from a static bootstrap, real backend
// processes (echo_backend.py), curl and raw sockets as clients.
#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/process.h"
#include "tests/e2e/proxy_fixture.h"

namespace strata::test {
namespace {

// A bootstrap with one listener "http" on an ephemeral port, virtual host web.example routed
// to cluster "web" (the given ports), plus optional extra HCM fields, routes and clusters.
std::string Bootstrap(const std::vector<int>& ports, const std::string& hcm_extra = "",
                      const std::string& routes_extra = "", const std::string& clusters_extra = "",
                      const std::string& route_extra = "") {
  return absl::StrCat(kBootstrapHead, R"(    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          use_remote_address: true
)",
                      hcm_extra, R"(          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
          route_config:
            name: local
            virtual_hosts:
            - name: web
              domains: ["web.example"]
              routes:
)",
                      routes_extra, R"(              - match: {prefix: "/"}
                route: {cluster: web)",
                      route_extra, R"(}
  clusters:
)",
                      StaticCluster("web", ports), clusters_extra);
}

TEST(ProxyHttpTest, ForwardsWithClientHeadersAndAnswersUnknownHostWith404) {
  Backend backend = StartBackend("a");
  Proxy proxy(Bootstrap({backend.port}));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();

  const std::string ok = Curl(proxy, "/hello?x=1", "-H 'X-Forwarded-For: 203.0.113.9'");
  ASSERT_EQ(StatusOf(ok), 200) << ok;
  const auto echo = BodyOf(ok);
  EXPECT_EQ(echo["path"], "/hello?x=1");
  EXPECT_EQ(echo["version"], "HTTP/1.1");
  EXPECT_EQ(Header(echo, "host"), "web.example");
  // use_remote_address: the peer is appended to what the client claimed.
  EXPECT_EQ(Header(echo, "x-forwarded-for"), "203.0.113.9, 127.0.0.1");
  EXPECT_EQ(Header(echo, "x-forwarded-proto"), "http");
  EXPECT_EQ(Header(echo, "x-request-id").size(), 36u);

  const uint64_t upstream_before = proxy.Stat("upstream_cx_total");
  const std::string unknown = Curl(proxy, "/", "", "evil.example");
  EXPECT_EQ(StatusOf(unknown), 404);
  EXPECT_TRUE(absl::StartsWith(unknown, "unknown host")) << unknown;
  EXPECT_EQ(proxy.Stat("downstream_rq_no_route"), 1u);
  EXPECT_EQ(proxy.Stat("upstream_cx_total"), upstream_before);  // no upstream was contacted
}

TEST(ProxyHttpTest, KeepAliveOnBothSidesAndRoundRobin) {
  Backend a = StartBackend("a");
  Backend b = StartBackend("b");
  Proxy proxy(Bootstrap({a.port, b.port}), /*concurrency=*/1);
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  // Ten requests on one client connection.
  std::string urls;
  for (int i = 0; i < 10; ++i) absl::StrAppend(&urls, " '", proxy.Url("/rr"), "'");
  const std::string out = Shell(absl::StrCat("curl -s --max-time 20 -H 'Host: web.example'", urls));
  std::map<std::string, int> seen;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << line;
    ++seen[json["backend"].get<std::string>()];
  }
  EXPECT_EQ(seen["a"], 5);
  EXPECT_EQ(seen["b"], 5);
  EXPECT_EQ(proxy.Stat("downstream_cx_total"), 1u);
  EXPECT_EQ(proxy.Stat("upstream_cx_total"), 2u);  // one per backend, then reused
  EXPECT_EQ(proxy.Stat("upstream_cx_reused"), 8u);
}

TEST(ProxyHttpTest, StreamsBodiesBothWaysChunkedAndLarge) {
  Backend backend = StartBackend("a");
  Proxy proxy(Bootstrap({backend.port}));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  const std::string dir = TempDir("bodies");
  // 5 MiB with a length, then 300 KiB chunked (curl sends stdin chunked).
  Shell(absl::StrCat("head -c 5242880 /dev/urandom > ", dir, "/big"));
  Shell(absl::StrCat("head -c 307200 /dev/urandom > ", dir, "/small"));
  const std::string big_sha = Shell(absl::StrCat("sha256sum ", dir, "/big | cut -c1-64"));
  const std::string small_sha = Shell(absl::StrCat("sha256sum ", dir, "/small | cut -c1-64"));

  const std::string big = Curl(proxy, "/upload", absl::StrCat("--data-binary @", dir, "/big"));
  ASSERT_EQ(StatusOf(big), 200) << big;
  EXPECT_EQ(BodyOf(big)["body_sha256"].get<std::string>() + "\n", big_sha);
  EXPECT_FALSE(BodyOf(big)["chunked"].get<bool>());

  const std::string chunked =
      Curl(proxy, "/upload",
           absl::StrCat("-H 'Transfer-Encoding: chunked' --data-binary @- < ", dir, "/small"));
  ASSERT_EQ(StatusOf(chunked), 200) << chunked;
  EXPECT_EQ(BodyOf(chunked)["body_sha256"].get<std::string>() + "\n", small_sha);
  EXPECT_TRUE(BodyOf(chunked)["chunked"].get<bool>());

  // A chunked response is re-chunked to the client; a close-delimited one too.
  const std::string stream = Curl(proxy, "/stream/100");
  ASSERT_EQ(StatusOf(stream), 200);
  std::string expected;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&expected, "chunk-", i, "\n");
  EXPECT_EQ(stream.substr(0, stream.rfind('\n')), expected);
  const std::string until_close = Curl(proxy, "/close");
  EXPECT_EQ(until_close, "until-close body\n\n200");
}

TEST(ProxyHttpTest, PipelinedRequestsAreAnsweredInOrder) {
  Backend backend = StartBackend("a");
  Proxy proxy(Bootstrap({backend.port}));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  const std::string response =
      RawExchange(proxy.port(),
                  "GET /one HTTP/1.1\r\nHost: web.example\r\n\r\n"
                  "GET /nowhere HTTP/1.1\r\nHost: nobody.example\r\n\r\n"
                  "GET /three HTTP/1.1\r\nHost: web.example\r\nConnection: close\r\n\r\n");
  const size_t one = response.find("\"path\": \"/one\"");
  const size_t not_found = response.find("HTTP/1.1 404");
  const size_t three = response.find("\"path\": \"/three\"");
  ASSERT_NE(one, std::string::npos) << response;
  ASSERT_NE(not_found, std::string::npos) << response;
  ASSERT_NE(three, std::string::npos) << response;
  EXPECT_LT(one, not_found);
  EXPECT_LT(not_found, three);
}

struct BadRequest {
  const char* name;
  std::string request;
  const char* status_line;
  // The head was valid and the fault is in the body: the upstream request had already begun
  // (streaming), and is abandoned.
  bool body_error = false;
};

TEST(ProxyHttpTest, MalformedAndSmugglingRequestsGetPreciseStatusAndClose) {
  Backend backend = StartBackend("a");
  Proxy proxy(Bootstrap({backend.port}));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  const std::string host = "Host: web.example\r\n";
  const std::vector<BadRequest> cases = {
      {"ContentLengthAndTransferEncoding",
       "POST / HTTP/1.1\r\n" + host +
           "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400"},
      {"DifferingContentLengths",
       "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
       "HTTP/1.1 400"},
      {"InvalidChunkSize",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
       "HTTP/1.1 400", /*body_error=*/true},
      {"ObsFold", "GET / HTTP/1.1\r\n" + host + "X-A: one\r\n  two\r\n\r\n", "HTTP/1.1 400"},
      {"SpaceBeforeColon", "GET / HTTP/1.1\r\n" + host + "X-A : one\r\n\r\n", "HTTP/1.1 400"},
      {"BareLf", "GET / HTTP/1.1\nHost: web.example\n\n", "HTTP/1.1 400"},
      {"NulInValue", std::string("GET / HTTP/1.1\r\n") + host + "X-A: a\0b\r\n\r\n",
       "HTTP/1.1 400"},
      {"MissingHost", "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400"},
      {"UnsupportedTransferCoding",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 501"},
      {"OversizeHeaders",
       "GET / HTTP/1.1\r\n" + host + "X-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n",
       "HTTP/1.1 431"},
  };
  // NulInValue must keep its NUL byte.
  const_cast<std::string&>(cases[6].request) =
      std::string("GET / HTTP/1.1\r\nHost: web.example\r\nX-A: a") + '\0' + "b\r\n\r\n";
  const uint64_t upstream_before = proxy.Stat("upstream_cx_total");
  uint64_t body_errors = 0;
  for (const BadRequest& c : cases) {
    body_errors += c.body_error;
    const absl::Time start = absl::Now();
    // A trailing valid request must never be served: the connection closes after the error.
    const std::string response =
        RawExchange(proxy.port(), c.request + "GET /after HTTP/1.1\r\n" + host + "\r\n");
    EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << c.name << ": connection not closed";
    EXPECT_TRUE(absl::StartsWith(response, c.status_line)) << c.name << ": " << response;
    EXPECT_TRUE(absl::StrContains(response, "connection: close")) << c.name << ": " << response;
    EXPECT_FALSE(absl::StrContains(response, "/after")) << c.name << ": " << response;
  }
  // A bad head never reaches an upstream.
  EXPECT_EQ(proxy.Stat("upstream_cx_total"), upstream_before + body_errors);
  EXPECT_EQ(proxy.Stat("downstream_rq_rejected"), cases.size());
}

TEST(ProxyHttpTest, SlowlorisGets408WithinTheHeaderTimeout) {
  Backend backend = StartBackend("a");
  Proxy proxy(Bootstrap({backend.port}, "          request_headers_timeout: 1s\n"));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  const absl::Time start = absl::Now();
  const std::string response =
      RawExchange(proxy.port(), "GET / HTTP/1.1\r\nHost: web.example\r\nX-Slow: ");
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 408")) << response;
  EXPECT_GE(elapsed, absl::Milliseconds(900));
  EXPECT_LT(elapsed, absl::Seconds(5));
  EXPECT_EQ(proxy.Stat("downstream_rq_header_timeout"), 1u);
}

TEST(ProxyHttpTest, RedirectsDirectResponsesAndHeaderRules) {
  Backend backend = StartBackend("a");
  const std::string routes = R"(              - match: {path: "/old"}
                redirect: {path_redirect: "/new", response_code: FOUND}
              - match: {prefix: "/health"}
                direct_response: {status: 200, body: {inline_string: "ok"}}
              - match: {prefix: "/api/"}
                route: {cluster: web, prefix_rewrite: "/v2/"}
                request_headers_to_add:
                - header: {key: x-tier, value: edge}
                response_headers_to_add:
                - header: {key: x-served-by, value: strata}
)";
  Proxy proxy(Bootstrap({backend.port}, "", routes));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  const std::string redirect = Shell(absl::StrCat(
      "curl -s -o /dev/null -H 'Host: web.example' -w '%{http_code} %{redirect_url}' '",
      proxy.Url("/old"), "'"));
  EXPECT_EQ(redirect, "302 http://web.example/new");
  EXPECT_EQ(Curl(proxy, "/health"), "ok\n\n200");
  const std::string api =
      Shell(absl::StrCat("curl -s -i -H 'Host: web.example' '", proxy.Url("/api/items?q=1"), "'"));
  EXPECT_TRUE(absl::StrContains(api, "x-served-by: strata")) << api;
  EXPECT_TRUE(absl::StrContains(api, "\"path\": \"/v2/items?q=1\"")) << api;
  EXPECT_TRUE(absl::StrContains(api, "[\"x-tier\", \"edge\"]")) << api;
}

TEST(ProxyHttpTest, WebSocketUpgradeIsTunnelled) {
  Backend backend = StartBackend("a");
  Proxy proxy(
      Bootstrap({backend.port}, "          upgrade_configs: [{upgrade_type: websocket}]\n"));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  // After the 101, bytes flow both ways untouched (the backend echoes them).
  const std::string response = RawExchange(
      proxy.port(),
      "GET /ws HTTP/1.1\r\nHost: web.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
      "ping-through-the-tunnel",
      absl::Seconds(3));
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 101")) << response;
  EXPECT_TRUE(absl::StrContains(response, "\r\n\r\nping-through-the-tunnel")) << response;
  EXPECT_EQ(proxy.Stat("websocket_upgrades"), 1u);
}

TEST(ProxyHttpTest, IdleTunnelIsClosedAfterStreamIdleTimeout) {
  Backend backend = StartBackend("a");
  Proxy proxy(Bootstrap({backend.port},
                        "          upgrade_configs: [{upgrade_type: websocket}]\n"
                        "          stream_idle_timeout: 1s\n"));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  const absl::Time start = absl::Now();
  const std::string response = RawExchange(
      proxy.port(),
      "GET /ws HTTP/1.1\r\nHost: web.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      absl::Seconds(10));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 101")) << response;
  EXPECT_GE(elapsed, absl::Milliseconds(900));
  EXPECT_LT(elapsed, absl::Seconds(5));  // closed by the proxy, not by our 10 s limit
}

TEST(ProxyHttpTest, DeadUpstreamIs503AndConnectFailuresAreRetriedElsewhere) {
  Backend live = StartBackend("live");
  // A port nothing listens on: bind it, then let it go.
  Backend dead = StartBackend("dead");
  const int dead_port = dead.port;
  dead.process.reset();
  {
    Proxy only_dead(Bootstrap({dead_port}));
    ASSERT_TRUE(only_dead.Ready()) << only_dead.process().Output();
    const std::string out = Curl(only_dead, "/");
    EXPECT_EQ(StatusOf(out), 503);
    EXPECT_TRUE(absl::StartsWith(out, "upstream connect error")) << out;
  }
  Proxy proxy(Bootstrap({dead_port, live.port}, "", "", "",
                        ", retry_policy: {retry_on: connect-failure, num_retries: 2}"),
              /*concurrency=*/1);
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  for (int i = 0; i < 6; ++i) {
    const std::string out = Curl(proxy, "/");
    ASSERT_EQ(StatusOf(out), 200) << out;
    EXPECT_EQ(BodyOf(out)["backend"], "live");
  }
  EXPECT_GE(proxy.Stat("upstream_rq_retry"), 3u);
}

TEST(ProxyHttpTest, SigtermLetsInFlightRequestsFinish) {
  Backend backend = StartBackend("a");
  Proxy proxy(Bootstrap({backend.port}));
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  std::string slow;
  std::thread client([&] { slow = Curl(proxy, "/slow/1500"); });
  // Wait until the request is in flight (counted by the proxy), then ask it to stop.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (proxy.Stat("downstream_rq_total") < 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));  // polling an external counter, not ordering
  }
  proxy.process().Signal(SIGTERM);
  client.join();
  EXPECT_EQ(StatusOf(slow), 200) << slow;
  EXPECT_EQ(proxy.process().WaitExit(absl::Seconds(10)), 0);
}

TEST(ProxyHttpTest, UnsupportedBootstrapFieldIsNamed) {
  Proxy proxy(Bootstrap({1}) + "  secrets: []\nlayered_runtime: {}\n");
  EXPECT_EQ(proxy.process().WaitExit(absl::Seconds(20)), 1);
  EXPECT_TRUE(absl::StrContains(proxy.process().Output(),
                                "bootstrap.layered_runtime: not supported by strata-proxy"))
      << proxy.process().Output();
}

}  // namespace
}  // namespace strata::test
