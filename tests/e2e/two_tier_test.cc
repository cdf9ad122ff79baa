// The two tiers end to end, all real processes: strata-controlplane serving a directory of
// manifests, an edge strata-proxy, the app-tier strata-proxy of namespace "shop", and echo
// backends. Clients connect from 127.0.0.2 so the client address is told apart from the
// proxies' own (127.0.0.1).
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process.h"
#include "tests/e2e/proxy_fixture.h"

namespace strata::test {
namespace {

constexpr char kShopIngress[] = R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: front, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
)";

// A newer claim on shop's host, from another namespace.
constexpr char kEvilIngress[] = R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: grab, namespace: evil, creationTimestamp: "2026-06-01T00:00:00Z"}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)";

constexpr char kBlogRoute[] = R"(---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: blog}
spec:
  entryPoints: [web]
  routes:
  - match: Host(`blog.example.com`) && PathPrefix(`/`)
    kind: Rule
    services: [{name: web, port: 80}]
)";

// curl from 127.0.0.2 to `port` with a Host header; "<body>\n<status>".
std::string CurlFrom(const std::string& source, int port, const std::string& host,
                     const std::string& path, const std::string& extra = "") {
  return Shell(absl::StrCat("curl -s --max-time 10 --interface ", source, " -H 'Host: ", host, "' ",
                            extra, " -w '\\n%{http_code}' 'http://127.0.0.1:", port, path, "'"));
}

class TwoTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shop_web_ = StartBackend("shop-web");
    shop_api_ = StartBackend("shop-api");
    blog_web_ = StartBackend("blog-web");
    evil_web_ = StartBackend("evil-web");
    edge_port_ = FreePort();
    app_port_ = FreePort();
    ASSERT_NE(edge_port_, 0);
    ASSERT_NE(app_port_, 0);
    dir_ = TempDir("manifests");
    WriteFile(dir_ + "/tiers.yaml",
              ServiceManifest("strata-system", "strata-edge", edge_port_) +
                  ServiceManifest("shop", "strata-app", app_port_, "{strata.dev/tier: app}"));
    WriteFile(dir_ + "/apps.yaml", ServiceManifest("shop", "web", shop_web_.port) +
                                       ServiceManifest("shop", "api", shop_api_.port) +
                                       ServiceManifest("blog", "web", blog_web_.port) +
                                       ServiceManifest("evil", "web", evil_web_.port));
    WriteFile(dir_ + "/routes.yaml", absl::StrCat(kShopIngress, kEvilIngress));
    WriteFile(dir_ + "/blog.yaml", kBlogRoute);

    int xds_port = 0;
    controlplane_ = StartControlPlane({"--manifests=" + dir_, "--proxy_listen_address=127.0.0.1",
                                       absl::StrCat("--edge_http_port=", edge_port_)},
                                      xds_port);
    ASSERT_NE(xds_port, 0);

    edge_ = std::make_unique<Proxy>(AdsBootstrap(xds_port, "{id: edge-1, cluster: edge}"));
    app_ = std::make_unique<Proxy>(
        AdsBootstrap(xds_port, "{id: app-shop-1, cluster: app, metadata: {namespace: shop}}"));
    ASSERT_TRUE(edge_->Ready("edge-http")) << edge_->process().Output();
    ASSERT_TRUE(app_->Ready("app-http")) << app_->process().Output();
    ASSERT_EQ(edge_->port(), edge_port_);
    ASSERT_EQ(app_->port(), app_port_);
  }

  Backend shop_web_, shop_api_, blog_web_, evil_web_;
  int edge_port_ = 0;
  int app_port_ = 0;
  std::string dir_;
  std::unique_ptr<Subprocess> controlplane_;
  std::unique_ptr<Proxy> edge_;
  std::unique_ptr<Proxy> app_;
};

TEST_F(TwoTierTest, HostsReachTheirNamespaceWithTheClientAddress) {
  // shop has an app tier: edge → app tier (PROXY protocol) → Service, routed by path there.
  std::string out = CurlFrom("127.0.0.2", edge_port_, "shop.example.com", "/api/orders");
  ASSERT_EQ(StatusOf(out), 200) << out;
  nlohmann::json echo = BodyOf(out);
  EXPECT_EQ(echo["backend"], "shop-api");
  EXPECT_EQ(Header(echo, "x-forwarded-for"), "127.0.0.2");
  out = CurlFrom("127.0.0.2", edge_port_, "shop.example.com", "/apiary");
  ASSERT_EQ(StatusOf(out), 200) << out;
  EXPECT_EQ(BodyOf(out)["backend"], "shop-web");  // Ingress Prefix is element-wise
  EXPECT_GE(app_->Stat("downstream_rq_total"), 2u);

  // blog has none: the edge routes its IngressRoute straight to the Service.
  out = CurlFrom("127.0.0.2", edge_port_, "blog.example.com", "/post/1");
  ASSERT_EQ(StatusOf(out), 200) << out;
  echo = BodyOf(out);
  EXPECT_EQ(echo["backend"], "blog-web");
  EXPECT_EQ(Header(echo, "x-forwarded-for"), "127.0.0.2");

  // The app tier only knows its own namespace's hosts.
  out = CurlFrom("127.0.0.1", app_port_, "blog.example.com", "/", "--haproxy-protocol");
  EXPECT_EQ(StatusOf(out), 404) << out;
}

TEST_F(TwoTierTest, UnknownAndStolenHostsAreNotRouted) {
  const std::string out = CurlFrom("127.0.0.2", edge_port_, "unknown.example.com", "/");
  EXPECT_EQ(StatusOf(out), 404) << out;
  // evil's newer claim on shop.example.com is refused and reported; shop keeps its host.
  for (int i = 0; i < 5; ++i) {
    const std::string shop = CurlFrom("127.0.0.2", edge_port_, "shop.example.com", "/");
    ASSERT_EQ(StatusOf(shop), 200) << shop;
    EXPECT_EQ(BodyOf(shop)["backend"], "shop-web");
  }
  EXPECT_TRUE(controlplane_->WaitForOutput(
      "Ingress evil/grab: not routed: host \"shop.example.com\" belongs to namespace \"shop\"",
      absl::Seconds(5)))
      << controlplane_->Output();
}

TEST_F(TwoTierTest, TheAppTierTakesPROXYHeadersOnlyFromTheEdge) {
  // From the edge's address (127.0.0.1) a PROXY header is believed...
  std::string out = CurlFrom("127.0.0.1", app_port_, "shop.example.com", "/", "--haproxy-protocol");
  ASSERT_EQ(StatusOf(out), 200) << out;
  // ...from anywhere else the connection is closed without an answer.
  out = CurlFrom("127.0.0.3", app_port_, "shop.example.com", "/", "--haproxy-protocol");
  EXPECT_EQ(StatusOf(out), 0) << out;
  out = CurlFrom("127.0.0.3", app_port_, "shop.example.com", "/");
  EXPECT_EQ(StatusOf(out), 0) << out;
}

TEST_F(TwoTierTest, DeletingARouteGives404WithinASecond) {
  ASSERT_EQ(StatusOf(CurlFrom("127.0.0.2", edge_port_, "blog.example.com", "/")), 200);
  const absl::Time deleted_at = absl::Now();
  ASSERT_EQ(unlink((dir_ + "/blog.yaml").c_str()), 0);
  int status = 200;
  while (status != 404 && absl::Now() - deleted_at < absl::Seconds(1)) {
    status = StatusOf(CurlFrom("127.0.0.2", edge_port_, "blog.example.com", "/"));
  }
  EXPECT_EQ(status, 404) << "still routed 1 s after the IngressRoute was deleted";
  // shop is untouched by the change.
  EXPECT_EQ(StatusOf(CurlFrom("127.0.0.2", edge_port_, "shop.example.com", "/")), 200);
}

}  // namespace
}  // namespace strata::test
