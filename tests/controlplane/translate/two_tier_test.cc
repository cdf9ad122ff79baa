#include "controlplane/translate/two_tier.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/source/manifest_parser.h"
#include "dataplane/router/route_table.h"
#include "dataplane/server/proxy_config.h"
#include "dataplane/upstream/cluster.h"
#include "envoy/extensions/transport_sockets/proxy_protocol/v3/upstream_proxy_protocol.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/translate/tier_test_util.h"

namespace strata::translate {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Key;
using namespace ::strata::translate::testing;  // NOLINT(google-build-using-namespace)

// ---- Single tier ------------------------------------------------------------------------

TEST(TwoTierTest, WithoutAnAppTierTheEdgeRoutesToServices) {
  const TwoTierConfig config =
      TranslateTwoTier(Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
                             Service("shop", "api", 9090, {"10.0.1.2"}) +
                             Ingress("shop", "front", "shop.example.com",
                                     {{"/", "Prefix", "web"}, {"/api", "Prefix", "api"}})),
                       Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_THAT(config.apps, IsEmpty());
  EXPECT_THAT(config.reports, IsEmpty());
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api"), "svc/shop/api/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api/orders?x=1"), "svc/shop/api/80");
  EXPECT_EQ(AtEdge(config, "SHOP.example.com:8080", "/api/"), "svc/shop/api/80");
  // Element-wise: /apix is not under /api.
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/apix"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "svc/shop/web/80");
  // Strict host ownership: an unknown host reaches nobody.
  EXPECT_EQ(AtEdge(config, "other.example.com", "/"), "404");
  EXPECT_EQ(AtEdge(config, "10.0.0.1", "/"), "404");
  EXPECT_THAT(ClusterNames(config.edge), ElementsAre("svc/shop/api/80", "svc/shop/web/80"));
  EXPECT_THAT(Endpoints(config.edge, "svc/shop/api/80"), ElementsAre("10.0.1.2:9090"));
  ASSERT_EQ(config.edge.listeners.size(), 1u);
  EXPECT_EQ(config.edge.listeners[0].name(), kEdgeListenerName);
  EXPECT_EQ(config.edge.listeners[0].address().socket_address().port_value(), 8080u);
}

TEST(TwoTierTest, IngressPathPrecedenceIsLongestFirstThenExact) {
  // Declared shortest first and spread over two Ingresses: order must not matter.
  const std::string services = Service("shop", "a", 1001, {"10.0.0.1"}) +
                               Service("shop", "b", 1002, {"10.0.0.2"}) +
                               Service("shop", "c", 1003, {"10.0.0.3"});
  const TwoTierConfig config = TranslateTwoTier(
      Parse(services +
            Ingress("shop", "one", "shop.example.com",
                    {{"/", "Prefix", "a"}, {"/foo", "Prefix", "b"}}) +
            Ingress("shop", "two", "shop.example.com",
                    {{"/foo", "Exact", "c"}, {"/foo/bar/", "ImplementationSpecific", "a"}})),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_THAT(config.reports, IsEmpty());
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/foo"), "svc/shop/c/80");   // Exact wins a tie
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/foo/"), "svc/shop/b/80");  // not Exact
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/foo/x"), "svc/shop/b/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/foo/bar"), "svc/shop/a/80");  // longest
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/foo/bar/baz"), "svc/shop/a/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/foo/barbaz"), "svc/shop/b/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/Foo"), "svc/shop/a/80");  // case-sensitive
}

TEST(TwoTierTest, IngressPathPrecedenceDoesNotDependOnDeclarationOrder) {
  const std::string services = Service("shop", "a", 1001, {"10.0.0.1"}) +
                               Service("shop", "b", 1002, {"10.0.0.2"}) +
                               Service("shop", "c", 1003, {"10.0.0.3"});
  const std::vector<PathSpec> paths = {{"/", "Prefix", "a"},
                                       {"/foo", "Prefix", "b"},
                                       {"/foo", "Exact", "c"},
                                       {"/foo/bar/", "Prefix", "a"},
                                       {"/foo/bar/baz", "Exact", "b"}};
  std::vector<PathSpec> reversed(paths.rbegin(), paths.rend());
  const TwoTierConfig forward = TranslateTwoTier(
      Parse(services + Ingress("shop", "x", "shop.example.com", paths)), Options());
  const TwoTierConfig backward = TranslateTwoTier(
      Parse(services + Ingress("shop", "x", "shop.example.com", reversed)), Options());
  for (const std::string path : {"/", "/foo", "/foo/", "/foo/x", "/foo/bar", "/foo/bar/baz",
                                 "/foo/bar/baz/", "/foox", "/zzz"}) {
    EXPECT_EQ(AtEdge(forward, "shop.example.com", path), AtEdge(backward, "shop.example.com", path))
        << path;
  }
  EXPECT_EQ(AtEdge(forward, "shop.example.com", "/foo/bar/baz"), "svc/shop/b/80");
  EXPECT_EQ(AtEdge(forward, "shop.example.com", "/foo/bar/baz/"), "svc/shop/a/80");
}

TEST(TwoTierTest, SamePathInTwoIngressesGoesToTheOlder) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "a", 1001, {"10.0.0.1"}) + Service("shop", "b", 1002, {"10.0.0.2"}) +
            Ingress("shop", "zz-old", "shop.example.com", {{"/x", "Prefix", "a"}},
                    "2026-01-01T00:00:00Z") +
            Ingress("shop", "aa-new", "shop.example.com", {{"/x/", "Prefix", "b"}},
                    "2026-02-01T00:00:00Z")),
      Options());
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/x/1"), "svc/shop/a/80");
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "aa-new"),
              ElementsAre(AllOf(HasSubstr("path Prefix /x"),
                                HasSubstr("already routed by Ingress shop/zz-old"))));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "zz-old"), IsEmpty());
}

TEST(TwoTierTest, MissingBackendAnswers503AndIsReported) {
  const TwoTierConfig config =
      TranslateTwoTier(Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
                             Ingress("shop", "front", "shop.example.com",
                                     {{"/", "Prefix", "web"}, {"/gone", "Prefix", "nosuch"}})),
                       Options());
  ExpectProxyAccepts(config.edge);
  // The broken path must not fall through to the shorter "/" route (another app).
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/gone/x"), "503");
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "front"),
              ElementsAre(HasSubstr("Service shop/nosuch not found")));
}

// ---- Host ownership ---------------------------------------------------------------------

TEST(TwoTierTest, AHostBelongsToTheOldestClaimsNamespace) {
  const std::string services =
      Service("shop", "web", 8080, {"10.0.1.1"}) + Service("evil", "web", 8080, {"10.0.2.1"});
  const TwoTierConfig config =
      TranslateTwoTier(Parse(services +
                             Ingress("evil", "grab", "shop.example.com", {{"/", "Prefix", "web"}},
                                     "2026-03-01T00:00:00Z") +
                             Ingress("shop", "front", "shop.example.com", {{"/", "Prefix", "web"}},
                                     "2026-01-01T00:00:00Z")),
                       Options());
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "svc/shop/web/80");
  EXPECT_THAT(ClusterNames(config.edge), ElementsAre("svc/shop/web/80"));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "evil", "grab"),
              ElementsAre(AllOf(HasSubstr("not routed"), HasSubstr("belongs to namespace \"shop\""),
                                HasSubstr("Ingress shop/front, created 2026-01-01T00:00:00Z"))));
}

TEST(TwoTierTest, ManifestsWithoutTimestampsLoseToDatedOnes) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(
          Service("a", "web", 8080, {"10.0.1.1"}) + Service("b", "web", 8080, {"10.0.2.1"}) +
          Ingress("a", "undated", "x.example.com", {{"/", "Prefix", "web"}}) +
          Ingress("b", "dated", "x.example.com", {{"/", "Prefix", "web"}}, "2026-05-01T00:00:00Z")),
      Options());
  EXPECT_EQ(AtEdge(config, "x.example.com", "/"), "svc/b/web/80");
  EXPECT_THAT(ProblemsOf(config, "Ingress", "a", "undated"),
              ElementsAre(HasSubstr("Ingress b/dated, created 2026-05-01T00:00:00Z")));
}

TEST(TwoTierTest, CatchAllOnlyFromNamespacesTheAdminLists) {
  const std::string manifests = Service("tenant", "web", 8080, {"10.0.1.1"}) +
                                Service("ops", "fallback", 8080, {"10.0.9.9"}) +
                                Ingress("tenant", "greedy", "", {{"/", "Prefix", "web"}}) +
                                Ingress("ops", "default", "", {{"/", "Prefix", "fallback"}});
  TwoTierOptions options = Options();
  TwoTierConfig config = TranslateTwoTier(Parse(manifests), options);
  EXPECT_EQ(AtEdge(config, "anything.example.com", "/"), "404");
  EXPECT_THAT(ProblemsOf(config, "Ingress", "tenant", "greedy"),
              ElementsAre(HasSubstr("\"tenant\" is not listed")));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "ops", "default"),
              ElementsAre(HasSubstr("\"ops\" is not listed")));

  options.catch_all_namespaces = {"ops"};
  config = TranslateTwoTier(Parse(manifests), options);
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "anything.example.com", "/"), "svc/ops/fallback/80");
  EXPECT_THAT(ProblemsOf(config, "Ingress", "tenant", "greedy"),
              ElementsAre(HasSubstr("\"tenant\" is not listed")));
}

TEST(TwoTierTest, WildcardHostsMatchExactlyOneLabel) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
            Service("blog", "web", 8080, {"10.0.2.1"}) +
            Ingress("shop", "wild", "*.example.com", {{"/", "Prefix", "web"}}) +
            Ingress("blog", "deep", "*.blog.example.com", {{"/", "Prefix", "web"}})),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "a.example.com", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "A.Example.COM:8080", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "a.b.example.com", "/"), "404");
  EXPECT_EQ(AtEdge(config, "example.com", "/"), "404");
  EXPECT_EQ(AtEdge(config, "x.blog.example.com", "/"), "svc/blog/web/80");
  EXPECT_EQ(AtEdge(config, "y.x.blog.example.com", "/"), "404");
}

TEST(TwoTierTest, AFullyQualifiedHostReachesTheSameOwner) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
            Service("blog", "web", 8080, {"10.0.2.1"}) +
            Ingress("shop", "front", "shop.example.com", {{"/", "Prefix", "web"}}) +
            Ingress("blog", "wild", "*.blog.example.com", {{"/", "Prefix", "web"}})),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "shop.example.com.", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com.:8080", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "x.blog.example.com.", "/"), "svc/blog/web/80");
  EXPECT_EQ(AtEdge(config, "y.x.blog.example.com.", "/"), "404");
}

TEST(TwoTierTest, PathsNoRequestCanHaveAreReportedAndTheRestStays) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(
          Service("shop", "web", 8080, {"10.0.1.1"}) +
          Ingress("shop", "front", "shop.example.com",
                  {{"/", "Prefix", "web"}, {"/a#b", "Prefix", "web"}, {"/q?x=1", "Exact", "web"}})),
      Options());
  ExpectProxyAccepts(config.edge);  // one tenant's odd path must not get the edge config refused
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/a"), "svc/shop/web/80");
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "front"),
              ElementsAre(HasSubstr("path \"/a#b\" contains '?' or '#'"),
                          HasSubstr("path \"/q?x=1\" contains '?' or '#'")));
}

// ---- Two tiers --------------------------------------------------------------------------

TEST(TwoTierTest, AnAppTierGetsItsNamespaceOnlyBehindTheEdge) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(EdgeTier({"10.0.0.7", "10.0.0.8"}) + AppTier("shop", 8081, {"10.0.1.5", "10.0.1.6"}) +
            Service("shop", "web", 8080, {"10.0.1.1"}) +
            Service("shop", "api", 9090, {"10.0.1.2"}) +
            Service("blog", "web", 8080, {"10.0.2.1"}) +
            Ingress("shop", "front", "shop.example.com",
                    {{"/", "Prefix", "web"}, {"/api", "Prefix", "api"}}) +
            Ingress("blog", "front", "blog.example.com", {{"/", "Prefix", "web"}})),
      Options());
  ExpectProxyAccepts(config.edge);
  ASSERT_THAT(config.apps, ElementsAre(Key("shop")));
  const XdsResources& app = config.apps.at("shop");
  ExpectProxyAccepts(app);
  EXPECT_THAT(config.reports, IsEmpty());

  // The edge sends the whole host to the app tier, with PROXY protocol v2...
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api/x"), "app/shop");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "app/shop");
  EXPECT_THAT(Endpoints(config.edge, "app/shop"), ElementsAre("10.0.1.5:8081", "10.0.1.6:8081"));
  envoy::extensions::transport_sockets::proxy_protocol::v3::ProxyProtocolUpstreamTransport proxy;
  for (const auto& c : config.edge.clusters) {
    if (c.name() == "app/shop") {
      ASSERT_TRUE(c.transport_socket().typed_config().UnpackTo(&proxy));
    }
  }
  EXPECT_EQ(proxy.config().version(), envoy::config::core::v3::ProxyProtocolConfig::V2);
  // ...and keeps single-tier routing for the namespace without one.
  EXPECT_EQ(AtEdge(config, "blog.example.com", "/"), "svc/blog/web/80");
  EXPECT_THAT(ClusterNames(config.edge), ElementsAre("app/shop", "svc/blog/web/80"));

  // The app tier: its own hosts and Services only.
  EXPECT_EQ(AtApp(config, "shop", "shop.example.com", "/api/x"), "svc/shop/api/80");
  EXPECT_EQ(AtApp(config, "shop", "shop.example.com", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtApp(config, "shop", "blog.example.com", "/"), "404");
  EXPECT_THAT(ClusterNames(app), ElementsAre("svc/shop/api/80", "svc/shop/web/80"));
  EXPECT_THAT(Endpoints(app, "svc/shop/web/80"), ElementsAre("10.0.1.1:8080"));

  // It listens on the app Service's targetPort, reads PROXY headers, and takes connections
  // only from the edge pods.
  ASSERT_EQ(app.listeners.size(), 1u);
  const auto& listener = app.listeners[0];
  EXPECT_EQ(listener.address().socket_address().port_value(), 8081u);
  ASSERT_EQ(listener.listener_filters_size(), 1);
  EXPECT_EQ(listener.listener_filters(0).name(), "envoy.filters.listener.proxy_protocol");
  auto parsed = server::ListenerConfig::Create(listener);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE((*parsed)->proxy_protocol);
  std::vector<std::string> ranges;
  for (const auto& r :
       listener.filter_chains(0).filter_chain_match().direct_source_prefix_ranges()) {
    ranges.push_back(absl::StrCat(r.address_prefix(), "/", r.prefix_len().value()));
  }
  EXPECT_THAT(ranges, ElementsAre("10.0.0.7/32", "10.0.0.8/32"));
}

TEST(TwoTierTest, AnAppTierWithoutKnownEdgeAddressesGetsNoListener) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(AppTier("shop", 8081, {"10.0.1.5"}) + Service("shop", "web", 8080, {"10.0.1.1"}) +
            Ingress("shop", "front", "shop.example.com", {{"/", "Prefix", "web"}})),
      Options());
  ASSERT_THAT(config.apps, ElementsAre(Key("shop")));
  EXPECT_THAT(config.apps.at("shop").listeners, IsEmpty());
  EXPECT_THAT(config.apps.at("shop").warnings,
              Contains(HasSubstr("strata-system/strata-edge has no endpoints")));
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "app/shop");
}

TEST(TwoTierTest, AWildcardHostOfATwoTierNamespace) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(EdgeTier({"10.0.0.7"}) + AppTier("shop", 8081, {"10.0.1.5"}) +
            Service("shop", "web", 8080, {"10.0.1.1"}) +
            Ingress("shop", "wild", "*.shop.example.com", {{"/", "Prefix", "web"}})),
      Options());
  ExpectProxyAccepts(config.edge);
  ExpectProxyAccepts(config.apps.at("shop"));
  EXPECT_EQ(AtEdge(config, "a.shop.example.com", "/"), "app/shop");
  EXPECT_EQ(AtEdge(config, "a.b.shop.example.com", "/"), "404");
  EXPECT_EQ(AtApp(config, "shop", "a.shop.example.com", "/x"), "svc/shop/web/80");
  EXPECT_EQ(AtApp(config, "shop", "a.b.shop.example.com", "/x"), "404");
}

TEST(TwoTierTest, OnlyTheAdminsEdgeServiceIsTrusted) {
  // A tenant naming its own Service strata-edge gains nothing: the edge is a namespace/name
  // the admin chose.
  const TwoTierConfig config = TranslateTwoTier(
      Parse(EdgeTier({"10.0.0.7"}) + Service("shop", "strata-edge", 8080, {"10.6.6.6"}) +
            AppTier("shop", 8081, {"10.0.1.5"}) + Service("shop", "web", 8080, {"10.0.1.1"}) +
            Ingress("shop", "front", "shop.example.com", {{"/", "Prefix", "web"}})),
      Options());
  const auto& match = config.apps.at("shop").listeners.at(0).filter_chains(0).filter_chain_match();
  ASSERT_EQ(match.direct_source_prefix_ranges_size(), 1);
  EXPECT_EQ(match.direct_source_prefix_ranges(0).address_prefix(), "10.0.0.7");
}

// ---- IngressRoute -----------------------------------------------------------------------

TEST(TwoTierTest, IngressRouteRulesAndPriorities) {
  const std::string services = Service("shop", "web", 8080, {"10.0.1.1"}) +
                               Service("shop", "api", 9090, {"10.0.1.2"}) +
                               Service("shop", "admin", 7070, {"10.0.1.3"});
  const TwoTierConfig config = TranslateTwoTier(Parse(services + IngressRoute("shop", "routes", R"(
  - match: Host(`shop.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
  - match: Host(`shop.example.com`) && PathPrefix(`/api`)
    kind: Rule
    services: [{name: api, port: http}]
  - match: (Host(`shop.example.com`) || Host(`www.example.com`)) && Header(`X-Admin`, `yes`) && !Method(`DELETE`)
    kind: Rule
    services: [{name: admin, port: 80}]
  - match: Host(`shop.example.com`) && Query(`debug`)
    kind: Rule
    priority: 1
    services: [{name: admin, port: 80}]
)")),
                                                Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_THAT(config.reports, IsEmpty());
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "svc/shop/web/80");
  // Traefik's PathPrefix is a plain string prefix.
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/apiary"), "svc/shop/api/80");
  // The longest rule has the highest default priority.
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api", {{"x-admin", "yes"}}), "svc/shop/admin/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api", {{"x-admin", "yes"}}, "DELETE"),
            "svc/shop/api/80");
  EXPECT_EQ(AtEdge(config, "www.example.com", "/", {{"x-admin", "yes"}}), "svc/shop/admin/80");
  EXPECT_EQ(AtEdge(config, "www.example.com", "/"), "404");
  // Priority 1 comes after everything with a longer rule.
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/?debug=1"), "svc/shop/web/80");
}

TEST(TwoTierTest, IngressRoutePriorityCrossesFromAWildcardToItsExactHosts) {
  // As in Traefik, where routers are ordered by priority whatever their hosts.
  const std::string services = Service("shop", "web", 8080, {"10.0.1.1"}) +
                               Service("shop", "api", 9090, {"10.0.1.2"}) +
                               Service("blog", "web", 8080, {"10.0.2.1"});
  const TwoTierConfig config = TranslateTwoTier(Parse(services + IngressRoute("shop", "routes", R"(
  - match: Host(`*.example.com`) && PathPrefix(`/api`)
    kind: Rule
    services: [{name: api, port: 80}]
  - match: Host(`x.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
  - match: Host(`y.example.com`)
    kind: Rule
    priority: 1000
    services: [{name: web, port: 80}]
)") + IngressRoute("blog", "own", R"(
  - match: Host(`z.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
)")),
                                                Options());
  ExpectProxyAccepts(config.edge);
  // The wildcard's rule is longer, so its priority is higher than x's.
  EXPECT_EQ(AtEdge(config, "x.example.com", "/api/cart"), "svc/shop/api/80");
  EXPECT_EQ(AtEdge(config, "x.example.com", "/"), "svc/shop/web/80");
  // y's explicit priority beats the wildcard.
  EXPECT_EQ(AtEdge(config, "y.example.com", "/api/cart"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "other.example.com", "/api"), "svc/shop/api/80");
  // Another namespace's exact host never gets shop's routes.
  EXPECT_EQ(AtEdge(config, "z.example.com", "/api"), "svc/blog/web/80");
}

TEST(TwoTierTest, IngressRouteWeightsAndBeforeIngressOnOneHost) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "v1", 8080, {"10.0.1.1"}) + Service("shop", "v2", 8080, {"10.0.1.2"}) +
            Service("shop", "old", 8080, {"10.0.1.3"}) +
            Ingress("shop", "legacy", "shop.example.com", {{"/", "Prefix", "old"}}) +
            IngressRoute("shop", "canary", R"(
  - match: Host(`shop.example.com`) && PathPrefix(`/`)
    kind: Rule
    services: [{name: v1, port: 80, weight: 9}, {name: v2, port: 80}]
)")),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/x"), "svc/shop/v1/80*9+svc/shop/v2/80*1");
}

TEST(TwoTierTest, WhatCannotBeHonouredIsNotRoutedAndReported) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
            Service("other", "web", 8080, {"10.0.2.1"}) + IngressRoute("shop", "auth", R"(
  - match: Host(`a.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
    middlewares: [{name: basic-auth}]
)") + IngressRoute("shop", "regexp", R"(
  - match: HostRegexp(`^.+\.example\.com$`) || Host(`b.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
)") + IngressRoute("shop", "cross", R"(
  - match: Host(`c.example.com`)
    kind: Rule
    services: [{name: web, namespace: other, port: 80}]
)") +
            IngressRoute("shop", "secure", R"(
  - match: Host(`d.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
)",
                         "  entryPoints: [websecure]\n")),
      Options());
  ExpectProxyAccepts(config.edge);
  // A route whose middleware strata cannot apply is not exposed without it.
  EXPECT_EQ(AtEdge(config, "a.example.com", "/"), "404");
  EXPECT_THAT(ProblemsOf(config, "IngressRoute", "shop", "auth"),
              ElementsAre(HasSubstr("middlewares [basic-auth]")));
  // The supported alternative of a rule stays.
  EXPECT_EQ(AtEdge(config, "b.example.com", "/"), "svc/shop/web/80");
  EXPECT_THAT(ProblemsOf(config, "IngressRoute", "shop", "regexp"),
              ElementsAre(HasSubstr("HostRegexp(`^.+\\.example\\.com$`) is not supported")));
  EXPECT_EQ(AtEdge(config, "c.example.com", "/"), "404");
  EXPECT_THAT(ProblemsOf(config, "IngressRoute", "shop", "cross"),
              ElementsAre(HasSubstr("services of other namespaces are refused")));
  EXPECT_EQ(AtEdge(config, "d.example.com", "/"), "404");
  // HTTPS only, and no certificate: not routed either.
  EXPECT_THAT(ProblemsOf(config, "IngressRoute", "shop", "secure"),
              ElementsAre("host \"d.example.com\" has no certificate of its namespace, and "
                          "routes of this object serve HTTPS only; they are not routed for it"));
}

TEST(TwoTierTest, ARefusedRouteStillHoldsItsHost) {
  // shop's routes cannot be served (a middleware, a TLS-only entry point), but the hosts stay
  // shop's: a newer claim from another namespace must not take them over meanwhile.
  const TwoTierConfig config =
      TranslateTwoTier(Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
                             Service("intruder", "web", 8080, {"10.6.6.6"}) +
                             R"(
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: auth, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  routes:
  - match: Host(`shop.example.com`) || Host(`admin.example.com`) && ClientIP(`10.0.0.0/8`)
    kind: Rule
    services: [{name: web, port: 80}]
    middlewares: [{name: basic-auth}]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: secure, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  entryPoints: [websecure]
  routes:
  - match: Host(`pay.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
)" +
                             Ingress("intruder", "grab1", "shop.example.com",
                                     {{"/", "Prefix", "web"}}, "2026-06-01T00:00:00Z") +
                             Ingress("intruder", "grab2", "admin.example.com",
                                     {{"/", "Prefix", "web"}}, "2026-06-01T00:00:00Z") +
                             Ingress("intruder", "grab3", "pay.example.com",
                                     {{"/", "Prefix", "web"}}, "2026-06-01T00:00:00Z")),
                       Options());
  ExpectProxyAccepts(config.edge);
  for (const std::string host : {"shop.example.com", "admin.example.com", "pay.example.com"}) {
    EXPECT_EQ(AtEdge(config, host, "/"), "404") << host;
  }
  EXPECT_THAT(ClusterNames(config.edge), IsEmpty());
  for (const std::string name : {"grab1", "grab2", "grab3"}) {
    EXPECT_THAT(ProblemsOf(config, "Ingress", "intruder", name),
                Contains(HasSubstr("belongs to namespace \"shop\"")))
        << name;
  }
}

TEST(TwoTierTest, NegatedHeadersMatchRequestsWithoutTheHeader) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "a", 8080, {"10.0.1.1"}) + Service("shop", "b", 8080, {"10.0.1.2"}) +
            IngressRoute("shop", "r", R"(
  - match: Host(`x.example.com`) && !Header(`X-Env`, `prod`) && !HeaderRegexp(`X-Tier`, `^gold$`)
    kind: Rule
    services: [{name: a, port: 80}]
  - match: Host(`x.example.com`)
    kind: Rule
    services: [{name: b, port: 80}]
  - match: Host(`y.example.com`) && !HeaderRegexp(`X-Env`, `.*`)
    kind: Rule
    services: [{name: a, port: 80}]
)")),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "x.example.com", "/"), "svc/shop/a/80");
  EXPECT_EQ(AtEdge(config, "x.example.com", "/", {{"x-env", "dev"}}), "svc/shop/a/80");
  EXPECT_EQ(AtEdge(config, "x.example.com", "/", {{"x-env", "prod"}}), "svc/shop/b/80");
  EXPECT_EQ(AtEdge(config, "x.example.com", "/", {{"x-tier", "gold"}}), "svc/shop/b/80");
  // A negation whose pattern matches an empty value cannot be expressed: reported.
  EXPECT_EQ(AtEdge(config, "y.example.com", "/"), "404");
  EXPECT_THAT(ProblemsOf(config, "IngressRoute", "shop", "r"),
              ElementsAre(HasSubstr("!HeaderRegexp(`x-env`, `.*`) is not supported: it matches "
                                    "an empty value")));
}

TEST(TwoTierTest, RegexpsAndHostPatternsTheProxyCannotTakeAreReported) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "web", 8080, {"10.0.1.1"}) + IngressRoute("shop", "r", R"(
  - match: Host(`x.example.com`) && PathRegexp(`\Qabc`)
    kind: Rule
    services: [{name: web, port: 80}]
  - match: Host(`**.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
  - match: Host(`x.example.com`) && PathRegexp(`^/ok/[0-9]+$`)
    kind: Rule
    services: [{name: web, port: 80}]
)")),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "x.example.com", "/ok/12"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "x.example.com", "/abc"), "404");
  EXPECT_THAT(ProblemsOf(config, "IngressRoute", "shop", "r"),
              ElementsAre(HasSubstr("PathRegexp(`\\Qabc`) is not supported"),
                          HasSubstr("Host(`**.example.com`) is not supported")));
  // A refused "**" pattern claims nothing.
  EXPECT_EQ(config.edge.routes[0].virtual_hosts_size(), 1);
}

TEST(TwoTierTest, IngressClassesDecideWhatStrataServes) {
  const std::string classes = R"(
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: strata}
spec: {controller: strata.dev/ingress-controller}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
)";
  std::string ours = Ingress("shop", "ours", "a.example.com", {{"/", "Prefix", "web"}});
  ours.insert(ours.find("spec:\n") + 6, "  ingressClassName: strata\n");
  std::string theirs = Ingress("shop", "theirs", "b.example.com", {{"/", "Prefix", "web"}});
  theirs.insert(theirs.find("spec:\n") + 6, "  ingressClassName: nginx\n");
  const std::string unclassed =
      Ingress("shop", "unclassed", "c.example.com", {{"/", "Prefix", "web"}});
  const std::string web = Service("shop", "web", 8080, {"10.0.1.1"});

  TwoTierConfig config =
      TranslateTwoTier(Parse(web + classes + ours + theirs + unclassed), Options());
  EXPECT_EQ(AtEdge(config, "a.example.com", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "b.example.com", "/"), "404");
  // Without a class, an Ingress is the default class's: nginx's here.
  EXPECT_EQ(AtEdge(config, "c.example.com", "/"), "404");
  EXPECT_THAT(config.reports, IsEmpty());

  // With no default class at all, strata serves class-less Ingresses.
  config = TranslateTwoTier(Parse(web + ours + unclassed), Options());
  EXPECT_EQ(AtEdge(config, "c.example.com", "/"), "svc/shop/web/80");
}

}  // namespace
}  // namespace strata::translate
