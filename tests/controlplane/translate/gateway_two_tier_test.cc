// Gateway API objects through the two-tier translation: attachment, hostnames, precedence,
// filters, backends and the conditions strata reports.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/translate/two_tier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/translate/tier_test_util.h"
#include "tests/dataplane/tls/tls_test_util.h"

namespace strata::translate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace ::strata::translate::testing;  // NOLINT(google-build-using-namespace)

// strata's GatewayClass and a Gateway "edge" in strata-system with `listeners_yaml`.
std::string Gateway(const std::string& listeners_yaml) {
  return absl::StrCat(R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: strata, generation: 1}
spec: {controllerName: strata.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: strata-system, generation: 3}
spec:
  gatewayClassName: strata
  listeners:
)",
                      listeners_yaml);
}

// One HTTP listener on port 80 for every namespace.
std::string OpenGateway() {
  return Gateway(
      "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n");
}

std::string HttpRoute(const std::string& ns, const std::string& name, const std::string& spec,
                      const std::string& created = "2026-01-01T00:00:00Z") {
  return absl::StrCat("\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n",
                      "metadata: {name: ", name, ", namespace: ", ns,
                      ", generation: 2, creationTimestamp: \"", created, "\"}\nspec:\n", spec);
}

const HttpRouteStatus* RouteStatus(const TwoTierConfig& config, const std::string& ns,
                                   const std::string& name) {
  for (const HttpRouteStatus& status : config.gateway_api.routes) {
    if (status.key == source::ObjectKey{ns, name}) return &status;
  }
  return nullptr;
}

// "Type=Status/Reason" of each condition of the route's first parent.
std::vector<std::string> ParentConditions(const TwoTierConfig& config, const std::string& ns,
                                          const std::string& name, size_t parent = 0) {
  const HttpRouteStatus* status = RouteStatus(config, ns, name);
  if (status == nullptr) return {"no status"};
  if (status->parents.size() <= parent) return {"no parent"};
  std::vector<std::string> out;
  for (const Condition& c : status->parents[parent].conditions) {
    out.push_back(absl::StrCat(c.type, "=", c.status, "/", c.reason));
  }
  return out;
}

std::string ConditionMessage(const TwoTierConfig& config, const std::string& ns,
                             const std::string& name, const std::string& type) {
  const HttpRouteStatus* status = RouteStatus(config, ns, name);
  if (status == nullptr || status->parents.empty()) return "no status";
  for (const Condition& c : status->parents[0].conditions) {
    if (c.type == type) return c.message;
  }
  return "no condition";
}

std::vector<std::string> Conditions(const std::vector<Condition>& conditions) {
  std::vector<std::string> out;
  for (const Condition& c : conditions) {
    out.push_back(absl::StrCat(c.type, "=", c.status, "/", c.reason));
  }
  return out;
}

const std::string kShopServices = Service("shop", "web", 8080, {"10.0.1.1"}) +
                                  Service("shop", "api", 9090, {"10.0.1.2"}) +
                                  Service("shop", "login", 7070, {"10.0.1.3"});

TEST(GatewayTwoTierTest, AnHttpRouteIsServedAtTheEdgeWithItsConditions) {
  const TwoTierConfig config =
      TranslateTwoTier(Parse(OpenGateway() + kShopServices + HttpRoute("shop", "front", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: Exact, value: /login}}]
    backendRefs: [{name: login, port: 80}]
  - backendRefs: [{name: web, port: 80}]
)")),
                       Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api/orders"), "svc/shop/api/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api"), "svc/shop/api/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/apix"), "svc/shop/web/80");  // element-wise
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/login"), "svc/shop/login/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/login/x"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "other.example.com", "/"), "404");
  EXPECT_THAT(config.reports, IsEmpty());
  // HTTPRoutes get conditions, not the annotation and Events of Ingresses.
  EXPECT_THAT(config.served, IsEmpty());

  ASSERT_EQ(config.gateway_api.classes.size(), 1u);
  EXPECT_EQ(config.gateway_api.classes[0].name, "strata");
  EXPECT_THAT(Conditions(config.gateway_api.classes[0].conditions),
              ElementsAre("Accepted=True/Accepted"));
  ASSERT_EQ(config.gateway_api.gateways.size(), 1u);
  const GatewayStatus& gateway = config.gateway_api.gateways[0];
  EXPECT_EQ(gateway.generation, 3);
  EXPECT_THAT(Conditions(gateway.conditions),
              ElementsAre("Accepted=True/Accepted", "Programmed=True/Programmed"));
  ASSERT_EQ(gateway.listeners.size(), 1u);
  EXPECT_EQ(gateway.listeners[0].attached_routes, 1);
  EXPECT_THAT(Conditions(gateway.listeners[0].conditions),
              ElementsAre("Accepted=True/Accepted", "Conflicted=False/NoConflicts",
                          "ResolvedRefs=True/ResolvedRefs", "Programmed=True/Programmed"));
  ASSERT_EQ(gateway.listeners[0].supported_kinds.size(), 1u);
  EXPECT_EQ(gateway.listeners[0].supported_kinds[0].kind, "HTTPRoute");

  const HttpRouteStatus* route = RouteStatus(config, "shop", "front");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->generation, 2);
  ASSERT_EQ(route->parents.size(), 1u);
  EXPECT_EQ(route->parents[0].parent_ref.name, "edge");
  EXPECT_EQ(route->parents[0].parent_ref.namespace_, "strata-system");
  EXPECT_THAT(ParentConditions(config, "shop", "front"),
              ElementsAre("Accepted=True/Accepted", "ResolvedRefs=True/ResolvedRefs"));
}

TEST(GatewayTwoTierTest, ObjectsOfOtherControllersAreLeftAlone) {
  const TwoTierConfig config = TranslateTwoTier(Parse(R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: other}
spec: {controllerName: example.com/other}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: theirs, namespace: shop}
spec:
  gatewayClassName: other
  listeners: [{name: http, port: 80, protocol: HTTP}]
)" + kShopServices + HttpRoute("shop", "front", R"(
  parentRefs: [{name: theirs}]
  hostnames: [shop.example.com]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)")),
                                                Options());
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "404");
  EXPECT_THAT(config.gateway_api.classes, IsEmpty());
  EXPECT_THAT(config.gateway_api.gateways, IsEmpty());
  EXPECT_THAT(config.gateway_api.routes, IsEmpty());
}

TEST(GatewayTwoTierTest, PrecedenceAcrossRoutesFollowsTheSpec) {
  // Declared in the reverse of their precedence, over three routes.
  const TwoTierConfig config = TranslateTwoTier(Parse(OpenGateway() + kShopServices +
                                                      HttpRoute("shop", "a-older", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}, headers: [{name: X-Canary, value: "1"}]}]
    backendRefs: [{name: login, port: 80}]
)",
                                                                "2026-01-01T00:00:00Z") +
                                                      HttpRoute("shop", "b-newer", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: login, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}, method: POST}]
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api/v2}}]
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: Exact, value: /api}}]
    backendRefs: [{name: login, port: 80}]
)",
                                                                "2026-02-01T00:00:00Z")),
                                                Options());
  ExpectProxyAccepts(config.edge);
  // Exact first, then the longest prefix.
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api"), "svc/shop/login/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api/v2/x"), "svc/shop/api/80");
  // Same prefix: a method match before header matches, header matches before none.
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api/x", {{"x-canary", "1"}}, "POST"),
            "svc/shop/api/80");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api/x", {{"x-canary", "1"}}), "svc/shop/login/80");
  // Identical matches: the older route wins.
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/api/x"), "svc/shop/web/80");
}

TEST(GatewayTwoTierTest, ListenersDecideWhichNamespacesMayAttach) {
  const std::string namespaces = R"(
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {edge-access: granted}}
---
apiVersion: v1
kind: Namespace
metadata: {name: blog}
)";
  const std::string gateway = Gateway(R"(  - name: same
    port: 80
    protocol: HTTP
    hostname: "*.infra.example.com"
  - name: selected
    port: 80
    protocol: HTTP
    hostname: "*.apps.example.com"
    allowedRoutes:
      namespaces:
        from: Selector
        selector: {matchLabels: {edge-access: granted}}
)");
  auto route = [](const std::string& ns, const std::string& host, const std::string& section) {
    return HttpRoute(ns, "r",
                     absl::StrCat(R"(
  parentRefs: [{name: edge, namespace: strata-system, sectionName: )",
                                  section, "}]\n  hostnames: [", host, R"(]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)"));
  };
  const TwoTierConfig config = TranslateTwoTier(
      Parse(namespaces + gateway + kShopServices + Service("blog", "web", 8080, {"10.0.2.1"}) +
            Service("strata-system", "web", 8080, {"10.0.3.1"}) +
            route("shop", "shop.apps.example.com", "selected") +
            route("blog", "blog.apps.example.com", "selected") +
            route("strata-system", "ops.infra.example.com", "same") +
            HttpRoute("shop", "wrong-section", R"(
  parentRefs: [{name: edge, namespace: strata-system, sectionName: missing}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)")),
      Options());
  EXPECT_EQ(AtEdge(config, "shop.apps.example.com", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "blog.apps.example.com", "/"), "404");
  EXPECT_EQ(AtEdge(config, "ops.infra.example.com", "/"), "svc/strata-system/web/80");
  EXPECT_THAT(ParentConditions(config, "shop", "r"),
              ElementsAre("Accepted=True/Accepted", "ResolvedRefs=True/ResolvedRefs"));
  EXPECT_THAT(
      ParentConditions(config, "blog", "r"),
      ElementsAre("Accepted=False/NotAllowedByListeners", "ResolvedRefs=True/ResolvedRefs"));
  EXPECT_THAT(ParentConditions(config, "shop", "wrong-section"),
              ElementsAre("Accepted=False/NoMatchingParent", "ResolvedRefs=True/ResolvedRefs"));
  EXPECT_EQ(ConditionMessage(config, "shop", "wrong-section", "Accepted"),
            "Gateway strata-system/edge has no listener named \"missing\"");
  ASSERT_EQ(config.gateway_api.gateways.size(), 1u);
  EXPECT_EQ(config.gateway_api.gateways[0].listeners[0].attached_routes, 1);
  EXPECT_EQ(config.gateway_api.gateways[0].listeners[1].attached_routes, 1);
}

TEST(GatewayTwoTierTest, HostnamesAreTheIntersectionWithTheListener) {
  const std::string gateway = Gateway(R"(  - name: http
    port: 80
    protocol: HTTP
    hostname: "*.example.com"
    allowedRoutes: {namespaces: {from: All}}
)");
  const TwoTierConfig config =
      TranslateTwoTier(Parse(gateway + kShopServices + Service("blog", "web", 8080, {"10.0.2.1"}) +
                             HttpRoute("shop", "named", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com, shop.example.org]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)",
                                       "2025-01-01T00:00:00Z") +
                             HttpRoute("blog", "whole-listener", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)") + HttpRoute("blog", "elsewhere", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [blog.example.net]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)")),
                       Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "shop.example.org", "/"), "404");
  // blog took the listener's wildcard, after shop took its name; Gateway API wildcards match
  // any depth.
  EXPECT_EQ(AtEdge(config, "news.example.com", "/"), "svc/blog/web/80");
  EXPECT_EQ(AtEdge(config, "a.b.example.com", "/"), "svc/blog/web/80");
  EXPECT_EQ(AtEdge(config, "example.com", "/"), "404");
  EXPECT_EQ(AtEdge(config, "blog.example.net", "/"), "404");
  EXPECT_THAT(
      ParentConditions(config, "blog", "elsewhere"),
      ElementsAre("Accepted=False/NoMatchingListenerHostname", "ResolvedRefs=True/ResolvedRefs"));
}

TEST(GatewayTwoTierTest, AHostOwnedByAnotherNamespaceIsRefusedWithACondition) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(OpenGateway() + kShopServices + Service("blog", "web", 8080, {"10.0.2.1"}) +
            Ingress("shop", "front", "shop.example.com", {{"/", "Prefix", "web"}},
                    "2025-06-01T00:00:00Z") +
            HttpRoute("blog", "hijack", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)") + HttpRoute("blog", "catch-all", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)")),
      Options());
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "unknown.example.com", "/"), "404");
  EXPECT_THAT(ParentConditions(config, "blog", "hijack"),
              ElementsAre("Accepted=False/HostnameNotOwned", "ResolvedRefs=True/ResolvedRefs"));
  EXPECT_THAT(ConditionMessage(config, "blog", "hijack", "Accepted"),
              HasSubstr("host \"shop.example.com\" belongs to namespace \"shop\""));
  EXPECT_THAT(ParentConditions(config, "blog", "catch-all"),
              ElementsAre("Accepted=False/HostnameNotOwned", "ResolvedRefs=True/ResolvedRefs"));
  EXPECT_THAT(ConditionMessage(config, "blog", "catch-all", "Accepted"),
              HasSubstr("a rule without a host"));
  // Logged too.
  EXPECT_THAT(ProblemsOf(config, "HTTPRoute", "blog", "hijack"),
              ElementsAre(HasSubstr("not routed: host \"shop.example.com\" belongs to")));
}

TEST(GatewayTwoTierTest, FiltersBecomeRedirectsRewritesAndHeaderChanges) {
  const TwoTierConfig config =
      TranslateTwoTier(Parse(OpenGateway() + kShopServices + HttpRoute("shop", "front", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, statusCode: 301, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}
  - matches: [{path: {type: PathPrefix, value: /moved}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: www.example.com, port: 8443}
  - matches: [{path: {type: PathPrefix, value: /v1}}]
    filters:
    - type: URLRewrite
      urlRewrite: {hostname: api.internal, path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Tier, value: edge}]
        add: [{name: X-Trace, value: "1"}]
        remove: [X-Debug]
    - type: ResponseHeaderModifier
      responseHeaderModifier: {remove: [Server]}
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /strip}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: Exact, value: /page}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /index.html}}
    backendRefs: [{name: web, port: 80}]
    timeouts: {request: 30s}
)")),
                       Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/old/a?x=1"),
            "redirect https://shop.example.com/new/a?x=1");
  EXPECT_EQ(AtEdge(config, "shop.example.com:8080", "/old"),
            "redirect https://shop.example.com/new");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/moved/b"),
            "redirect http://www.example.com:8443/moved/b");

  // Rewrites, as strata-proxy applies them.
  auto rewritten = [&](const std::string& path) {
    for (const auto& routes : config.edge.routes) {
      auto table = router::RouteTable::Create(routes);
      if (!table.ok()) return std::string("invalid");
      router::RequestView request;
      request.authority = "shop.example.com";
      request.path = path;
      request.method = "GET";
      const router::Route* route = (*table)->Match(request).route;
      if (route == nullptr) return std::string("404");
      return absl::StrCat(route->RewriteHost(request), " ", route->RewritePath(request));
    }
    return std::string("none");
  };
  EXPECT_EQ(rewritten("/v1/items?id=3"), "api.internal /v2/items?id=3");
  EXPECT_EQ(rewritten("/v1"), "api.internal /v2");
  EXPECT_EQ(rewritten("/strip/a/b"), "shop.example.com /a/b");
  EXPECT_EQ(rewritten("/strip"), "shop.example.com /");
  EXPECT_EQ(rewritten("/page?q=1"), "shop.example.com /index.html?q=1");

  // The header changes and the timeout are on the routes.
  const envoy::config::route::v3::Route* v1 = nullptr;
  const envoy::config::route::v3::Route* page = nullptr;
  for (const auto& vhost : config.edge.routes[0].virtual_hosts()) {
    for (const auto& r : vhost.routes()) {
      if (r.match().path_separated_prefix() == "/v1") v1 = &r;
      if (r.match().path() == "/page") page = &r;
    }
  }
  ASSERT_NE(v1, nullptr);
  ASSERT_EQ(v1->request_headers_to_add_size(), 2);
  EXPECT_EQ(v1->request_headers_to_add(0).header().key(), "x-tier");
  EXPECT_EQ(v1->request_headers_to_add(0).append_action(),
            envoy::config::core::v3::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  EXPECT_EQ(v1->request_headers_to_add(1).header().key(), "x-trace");
  EXPECT_EQ(v1->request_headers_to_add(1).append_action(),
            envoy::config::core::v3::HeaderValueOption::APPEND_IF_EXISTS_OR_ADD);
  EXPECT_THAT(v1->request_headers_to_remove(), ElementsAre("x-debug"));
  EXPECT_THAT(v1->response_headers_to_remove(), ElementsAre("server"));
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->route().timeout().seconds(), 30);
}

TEST(GatewayTwoTierTest, InvalidBackendsGet500ForTheirShare) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(OpenGateway() + kShopServices + Service("backend", "db", 5432, {"10.0.9.1"}) +
            Service("granted", "search", 9200, {"10.0.8.1"}) + R"(
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: shop-may-search, namespace: granted}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service, name: search}]
)" + HttpRoute("shop", "front", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /missing}}]
    backendRefs: [{name: nowhere, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /split}}]
    backendRefs: [{name: web, port: 80, weight: 3}, {name: nowhere, port: 80, weight: 1}]
  - matches: [{path: {type: PathPrefix, value: /other-ns}}]
    backendRefs: [{name: db, namespace: backend, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /granted}}]
    backendRefs: [{name: search, namespace: granted, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /kind}}]
    backendRefs: [{group: example.com, kind: Bucket, name: b}]
  - matches: [{path: {type: PathPrefix, value: /none}}]
)")),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/missing"), "500");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/other-ns"), "500");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/kind"), "500");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/none"), "500");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/granted/q"), "svc/granted/search/80");
  // A quarter of /split gets 500, the rest goes to web.
  std::map<std::string, int> split;
  for (uint64_t r = 0; r < 1000; ++r) {
    ++split[RouteRequest(config.edge, kEdgeListenerName,
                         TestRequest{"shop.example.com", "/split", {}, "GET", r * 1000})];
  }
  EXPECT_EQ(split["500"], 250);
  EXPECT_EQ(split["svc/shop/web/80"], 750);

  EXPECT_THAT(ParentConditions(config, "shop", "front"),
              ElementsAre("Accepted=True/Accepted", "ResolvedRefs=False/BackendNotFound"));
  const std::string message = ConditionMessage(config, "shop", "front", "ResolvedRefs");
  EXPECT_THAT(message, HasSubstr("spec.rules[0].backendRefs[0]: Service shop/nowhere not found"));
  EXPECT_THAT(message, HasSubstr("spec.rules[2].backendRefs[0]: Service backend/db is in "
                                 "another namespace and no ReferenceGrant there allows it"));
  EXPECT_THAT(message, HasSubstr("spec.rules[4].backendRefs[0]: kind example.com/Bucket is not "
                                 "supported"));
  EXPECT_THAT(ClusterNames(config.edge), ElementsAre("svc/granted/search/80", "svc/shop/web/80"));
}

TEST(GatewayTwoTierTest, UnsupportedFiltersDropOnlyTheirRule) {
  const std::string rules = R"(
  - matches: [{path: {type: PathPrefix, value: /mirror}}]
    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: api, port: 80}}
    backendRefs: [{name: web, port: 80}]
)";
  const TwoTierConfig config = TranslateTwoTier(Parse(OpenGateway() + kShopServices +
                                                      HttpRoute("shop", "partly",
                                                                absl::StrCat(R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules:)",
                                                                             rules, R"(
  - backendRefs: [{name: web, port: 80}]
)")) +
                                                      HttpRoute("shop", "wholly",
                                                                absl::StrCat(R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [api.example.com]
  rules:)",
                                                                             rules))),
                                                Options());
  // The dropped rule's requests fall to the next rule, not to the mirror's backends.
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/mirror"), "svc/shop/web/80");
  EXPECT_THAT(ParentConditions(config, "shop", "partly"),
              ElementsAre("Accepted=True/Accepted", "ResolvedRefs=True/ResolvedRefs",
                          "PartiallyInvalid=True/UnsupportedValue"));
  EXPECT_EQ(ConditionMessage(config, "shop", "partly", "PartiallyInvalid"),
            "Dropped Rule: spec.rules[0]: filters[0]: filter type RequestMirror is not "
            "supported yet");
  EXPECT_THAT(ParentConditions(config, "shop", "wholly"),
              ElementsAre("Accepted=False/UnsupportedValue", "ResolvedRefs=True/ResolvedRefs"));
  EXPECT_EQ(AtEdge(config, "api.example.com", "/mirror"), "404");
}

TEST(GatewayTwoTierTest, ListenerProblemsAreConditionsAndOnlyValidListenersServe) {
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Gateway(R"(  - {name: ok, port: 80, protocol: HTTP, hostname: ok.example.com}
  - {name: tls, port: 443, protocol: HTTPS, hostname: ok.example.com, tls: {certificateRefs: [{name: cert}]}}
  - {name: other-port, port: 8081, protocol: HTTP}
  - {name: dup-a, port: 8443, protocol: HTTP, hostname: dup.example.com}
  - {name: dup-b, port: 8443, protocol: HTTPS, hostname: dup.example.com, tls: {certificateRefs: [{name: cert}]}}
  - name: kinds
    port: 80
    protocol: HTTP
    hostname: kinds.example.com
    allowedRoutes: {kinds: [{kind: GRPCRoute}]}
)") + Service("strata-system", "web", 8080, {"10.0.3.1"}) +
            HttpRoute("strata-system", "dup", R"(
  parentRefs: [{name: edge, sectionName: dup-a}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)")),
      Options());
  ASSERT_EQ(config.gateway_api.gateways.size(), 1u);
  const GatewayStatus& gateway = config.gateway_api.gateways[0];
  EXPECT_THAT(Conditions(gateway.conditions),
              ElementsAre("Accepted=True/ListenersNotValid", "Programmed=True/Programmed"));
  ASSERT_EQ(gateway.listeners.size(), 6u);
  EXPECT_THAT(Conditions(gateway.listeners[0].conditions),
              ElementsAre("Accepted=True/Accepted", "Conflicted=False/NoConflicts",
                          "ResolvedRefs=True/ResolvedRefs", "Programmed=True/Programmed"));
  // HTTPS on the HTTPS port is accepted, but its Secret does not exist.
  EXPECT_THAT(Conditions(gateway.listeners[1].conditions),
              ElementsAre("Accepted=True/Accepted", "Conflicted=False/NoConflicts",
                          "ResolvedRefs=False/InvalidCertificateRef", "Programmed=False/Invalid"));
  EXPECT_THAT(Conditions(gateway.listeners[2].conditions),
              ElementsAre("Accepted=False/PortUnavailable", "Conflicted=False/NoConflicts",
                          "ResolvedRefs=True/ResolvedRefs", "Programmed=False/Invalid"));
  // HTTP and HTTPS on one port: both are conflicted, whatever else is wrong with them.
  EXPECT_THAT(Conditions(gateway.listeners[3].conditions),
              ElementsAre("Accepted=False/PortUnavailable", "Conflicted=True/ProtocolConflict",
                          "ResolvedRefs=True/ResolvedRefs", "Programmed=False/Invalid"));
  EXPECT_THAT(Conditions(gateway.listeners[4].conditions),
              ElementsAre("Accepted=False/PortUnavailable", "Conflicted=True/ProtocolConflict",
                          "ResolvedRefs=False/InvalidCertificateRef", "Programmed=False/Invalid"));
  EXPECT_THAT(Conditions(gateway.listeners[5].conditions),
              ElementsAre("Accepted=True/Accepted", "Conflicted=False/NoConflicts",
                          "ResolvedRefs=False/InvalidRouteKinds", "Programmed=False/Invalid"));
  EXPECT_THAT(gateway.listeners[5].supported_kinds, IsEmpty());
  // A route naming a listener that is not served is not attached.
  EXPECT_THAT(
      ParentConditions(config, "strata-system", "dup"),
      ElementsAre("Accepted=False/NotAllowedByListeners", "ResolvedRefs=True/ResolvedRefs"));
  EXPECT_EQ(AtEdge(config, "dup.example.com", "/"), "404");
}

TEST(GatewayTwoTierTest, AnAppTierNamespaceGetsItsHttpRoutes) {
  const TwoTierConfig config =
      TranslateTwoTier(Parse(OpenGateway() + kShopServices + AppTier("shop", 8081, {"10.0.1.9"}) +
                             EdgeTier({"10.0.0.5"}) + HttpRoute("shop", "front", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: ["*.shop.example.com"]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: api, port: 80}]
)")),
                       Options());
  ExpectProxyAccepts(config.edge);
  ASSERT_TRUE(config.apps.contains("shop"));
  ExpectProxyAccepts(config.apps.at("shop"));
  // The edge hands the whole host to the app tier, at any depth under the wildcard.
  EXPECT_EQ(AtEdge(config, "a.shop.example.com", "/"), "app/shop");
  EXPECT_EQ(AtEdge(config, "a.b.shop.example.com", "/x"), "app/shop");
  EXPECT_EQ(AtApp(config, "shop", "a.b.shop.example.com", "/api/x"), "svc/shop/api/80");
  EXPECT_EQ(AtApp(config, "shop", "a.shop.example.com", "/other"), "404");
  EXPECT_THAT(ClusterNames(config.apps.at("shop")), ElementsAre("svc/shop/api/80"));
}

}  // namespace
}  // namespace strata::translate

namespace strata::translate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace ::strata::translate::testing;  // NOLINT(google-build-using-namespace)

TEST(GatewayTwoTierTest, ValuesAProxyWouldRefuseDropTheirRuleNotTheConfiguration) {
  // Each of these, sent as is, would make strata-proxy (and Envoy) refuse the whole edge
  // route configuration, for every tenant.
  const TwoTierConfig config =
      TranslateTwoTier(Parse(OpenGateway() + kShopServices + HttpRoute("shop", "hostile", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /percent}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier: {set: [{name: X-Load, value: "100%"}]}
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /host}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: Host, value: evil.example.com}]}
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /pseudo}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {remove: [":path"]}
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /crlf}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {add: [{name: X-A, value: "a\r\nInjected: 1"}]}
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: RegularExpression, value: ""}}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /full}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: "no-slash"}}
    backendRefs: [{name: web, port: 80}]
  - backendRefs: [{name: api, port: 80}]
)")),
                       Options());
  ExpectProxyAccepts(config.edge);
  // The literal percent sign survives.
  bool found = false;
  for (const auto& vhost : config.edge.routes[0].virtual_hosts()) {
    for (const auto& r : vhost.routes()) {
      if (r.match().path_separated_prefix() != "/percent") continue;
      found = true;
      ASSERT_EQ(r.response_headers_to_add_size(), 1);
      EXPECT_EQ(r.response_headers_to_add(0).header().value(), "100%%");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/percent"), "svc/shop/web/80");
  // The others are dropped: their requests reach the catch-all rule.
  for (const char* path : {"/host", "/pseudo", "/crlf", "/full"}) {
    EXPECT_EQ(AtEdge(config, "shop.example.com", path), "svc/shop/api/80") << path;
  }
  const std::string dropped = ConditionMessage(config, "shop", "hostile", "PartiallyInvalid");
  EXPECT_THAT(dropped, HasSubstr("spec.rules[1]: matches[0]: the Host header cannot be changed"));
  EXPECT_THAT(dropped, HasSubstr("spec.rules[2]: matches[0]: header name \":path\" is not an "
                                 "HTTP token"));
  EXPECT_THAT(dropped, HasSubstr("spec.rules[3]: matches[0]: the value of header X-A holds "
                                 "control characters"));
  EXPECT_THAT(dropped, HasSubstr("spec.rules[4]: matches[0]: path regular expression \"\": an "
                                 "empty regular expression"));
  EXPECT_THAT(dropped, HasSubstr("spec.rules[5]: matches[0]: ReplaceFullPath \"no-slash\" must "
                                 "start with '/'"));
}

TEST(GatewayTwoTierTest, AMoreSpecificListenerKeepsItsHostnameFromWiderOnes) {
  // The admin gives shop.example.com to namespace shop alone; a public listener takes the
  // rest. An older route of another namespace must not reach shop's host through it.
  const std::string gateway = Gateway(R"(  - name: shop
    port: 80
    protocol: HTTP
    hostname: shop.example.com
    allowedRoutes:
      namespaces:
        from: Selector
        selector: {matchLabels: {kubernetes.io/metadata.name: shop}}
  - name: apps
    port: 80
    protocol: HTTP
    hostname: "*.apps.example.com"
    allowedRoutes: {namespaces: {from: All}}
  - name: public
    port: 80
    protocol: HTTP
    allowedRoutes: {namespaces: {from: All}}
)");
  const TwoTierConfig config = TranslateTwoTier(
      Parse(gateway + kShopServices + Service("intruder", "web", 8080, {"10.6.6.6"}) +
            HttpRoute("intruder", "grab", R"(
  parentRefs: [{name: edge, namespace: strata-system, sectionName: public}]
  hostnames: [shop.example.com, "*.example.com", x.apps.example.com, intruder.example.org]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)",
                      "2020-01-01T00:00:00Z")),
      Options());
  ExpectProxyAccepts(config.edge);
  // shop has no route yet: its listener's host answers 404, not the intruder's wildcard.
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "404");
  EXPECT_EQ(AtEdge(config, "a.apps.example.com", "/"), "404");
  EXPECT_EQ(AtEdge(config, "x.apps.example.com", "/"), "404");
  // What the public listener may have is served.
  EXPECT_EQ(AtEdge(config, "intruder.example.org", "/"), "svc/intruder/web/80");
  EXPECT_EQ(AtEdge(config, "other.example.com", "/"), "svc/intruder/web/80");

  // shop's route, newer than the intruder's, gets its host: the intruder's older wildcard,
  // reached through the wider listener, does not cover the shop listener's hostname.
  const TwoTierConfig with_shop = TranslateTwoTier(
      Parse(gateway + kShopServices + Service("intruder", "web", 8080, {"10.6.6.6"}) +
            HttpRoute("intruder", "grab", R"(
  parentRefs: [{name: edge, namespace: strata-system, sectionName: public}]
  hostnames: [shop.example.com, "*.example.com"]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)",
                      "2020-01-01T00:00:00Z") +
            HttpRoute("shop", "front", R"(
  parentRefs: [{name: edge, namespace: strata-system, sectionName: shop}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)")),
      Options());
  EXPECT_EQ(AtEdge(with_shop, "shop.example.com", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(with_shop, "other.example.com", "/"), "svc/intruder/web/80");
  EXPECT_THAT(ParentConditions(with_shop, "shop", "front"),
              ElementsAre("Accepted=True/Accepted", "ResolvedRefs=True/ResolvedRefs"));
  EXPECT_THAT(ParentConditions(with_shop, "intruder", "grab"),
              ElementsAre("Accepted=True/Accepted", "ResolvedRefs=True/ResolvedRefs"));
}

TEST(GatewayTwoTierTest, ListenerPrecedenceStopsAtTheGateway) {
  // A Gateway of strata's class in a tenant's namespace cannot use a listener of its own to
  // take a host from an older claim made through the admin's Gateway.
  const std::string tenant_gateway = R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: mine, namespace: intruder}
spec:
  gatewayClassName: strata
  listeners:
  - {name: shop, port: 80, protocol: HTTP, hostname: shop.example.com}
  - {name: news, port: 80, protocol: HTTP, hostname: news.blog.example.com}
)";
  const TwoTierConfig config =
      TranslateTwoTier(Parse(OpenGateway() + tenant_gateway + kShopServices +
                             Service("intruder", "web", 8080, {"10.6.6.6"}) +
                             Service("blog", "web", 8080, {"10.0.2.1"}) +
                             HttpRoute("shop", "front", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)",
                                       "2024-01-01T00:00:00Z") +
                             Ingress("blog", "site", "*.blog.example.com", {{"/", "Prefix", "web"}},
                                     "2024-01-01T00:00:00Z") +
                             HttpRoute("intruder", "grab", R"(
  parentRefs: [{name: mine, sectionName: shop}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)")),
                       Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/"), "svc/shop/web/80");
  EXPECT_THAT(ParentConditions(config, "intruder", "grab"),
              ElementsAre("Accepted=False/HostnameNotOwned", "ResolvedRefs=True/ResolvedRefs"));
  // The tenant's listener reserves nothing that blog's Ingress wildcard already covers.
  EXPECT_EQ(AtEdge(config, "news.blog.example.com", "/"), "svc/blog/web/80");
}

TEST(GatewayTwoTierTest, StrataRemovesItsStatusFromRoutesThatLeftItsGateways) {
  const TwoTierConfig config = TranslateTwoTier(Parse(OpenGateway() + kShopServices + R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: moved, namespace: shop, generation: 5}
spec:
  parentRefs: [{name: elsewhere}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
status:
  parents:
  - parentRef: {name: edge, namespace: strata-system}
    controllerName: strata.dev/gateway-controller
    conditions: []
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: theirs, namespace: shop}
spec:
  parentRefs: [{name: elsewhere}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
status:
  parents:
  - parentRef: {name: elsewhere}
    controllerName: example.com/other
    conditions: []
)"),
                                                Options());
  const HttpRouteStatus* moved = RouteStatus(config, "shop", "moved");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->generation, 5);
  EXPECT_THAT(moved->parents, ::testing::IsEmpty());
  EXPECT_EQ(RouteStatus(config, "shop", "theirs"), nullptr);
}

TEST(GatewayTwoTierTest, RedirectsKeepTheListenerPortAndEveryStatusCode) {
  const std::string route = HttpRoute("shop", "front", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /host}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: www.example.com}}]
  - matches: [{path: {type: PathPrefix, value: /see}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 303, path: {type: ReplaceFullPath, replaceFullPath: /other}}}]
  - matches: [{path: {type: PathPrefix, value: /strip}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: ""}}}]
    backendRefs: [{name: web, port: 80}]
)");
  const TwoTierConfig config =
      TranslateTwoTier(Parse(OpenGateway() + kShopServices + route), Options());
  ExpectProxyAccepts(config.edge);
  // The listener's port is 80: left out of an http location.
  EXPECT_EQ(AtEdge(config, "shop.example.com:8080", "/host/a"),
            "redirect http://www.example.com/host/a");
  EXPECT_EQ(AtEdge(config, "shop.example.com", "/see"), "redirect http://shop.example.com/other");

  TwoTierOptions options = Options();
  options.gateway_http_port = 8080;
  const TwoTierConfig local =
      TranslateTwoTier(Parse(Gateway("  - {name: http, port: 8080, protocol: HTTP}\n") +
                             Service("strata-system", "web", 8080, {"10.0.3.1"}) +
                             HttpRoute("strata-system", "r", R"(
  parentRefs: [{name: edge}]
  hostnames: [shop.example.com]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {hostname: www.example.com}}]
)")),
                       options);
  EXPECT_EQ(AtEdge(local, "shop.example.com:8080", "/a"), "redirect http://www.example.com:8080/a");

  // The 303 is kept as a 303.
  for (const auto& vhost : config.edge.routes[0].virtual_hosts()) {
    for (const auto& r : vhost.routes()) {
      if (r.match().path_separated_prefix() == "/see") {
        EXPECT_EQ(r.redirect().response_code(),
                  envoy::config::route::v3::RedirectAction::SEE_OTHER);
      }
    }
  }
}

}  // namespace
}  // namespace strata::translate

namespace strata::translate {
namespace {

using namespace ::strata::translate::testing;  // NOLINT(google-build-using-namespace)

std::string EdgeService(const std::string& extra) {
  return absl::StrCat(R"(
---
apiVersion: v1
kind: Service
metadata: {name: strata-edge, namespace: strata-system}
)",
                      extra);
}

TEST(GatewayTwoTierTest, TheEdgeAddressesAreThoseOfTheEdgeService) {
  using source::LoadBalancerAddress;
  // The load balancer's addresses win over externalIPs.
  TwoTierConfig config = TranslateTwoTier(Parse(OpenGateway() + EdgeService(R"(spec:
  type: LoadBalancer
  externalIPs: [192.0.2.9]
  ports: [{port: 80, targetPort: 8080}]
status: {loadBalancer: {ingress: [{ip: 203.0.113.7}, {hostname: lb.example.net}]}}
)")),
                                          Options());
  EXPECT_THAT(config.edge_addresses,
              ::testing::ElementsAre(LoadBalancerAddress{"203.0.113.7", ""},
                                     LoadBalancerAddress{"", "lb.example.net"}));
  ASSERT_EQ(config.gateway_api.gateways.size(), 1u);
  EXPECT_EQ(config.gateway_api.gateways[0].addresses, config.edge_addresses);

  config = TranslateTwoTier(Parse(OpenGateway() + EdgeService(R"(spec:
  externalIPs: [192.0.2.9]
  ports: [{port: 80, targetPort: 8080}]
)")),
                            Options());
  EXPECT_THAT(config.edge_addresses, ::testing::ElementsAre(LoadBalancerAddress{"192.0.2.9", ""}));

  // Without an edge Service there is nothing to publish.
  config = TranslateTwoTier(Parse(OpenGateway()), Options());
  EXPECT_THAT(config.edge_addresses, ::testing::IsEmpty());
}

}  // namespace
}  // namespace strata::translate

namespace strata::translate {
namespace {

using ::testing::ElementsAre;
using namespace ::strata::translate::testing;  // NOLINT(google-build-using-namespace)

TEST(GatewayTwoTierTest, ARefusedEditKeepsTheLastValidVersionAndSaysSo) {
  source::ClusterState state =
      Parse(OpenGateway() + kShopServices +
            Ingress("shop", "front", "www.example.com", {{"/", "Prefix", "web"}}) +
            HttpRoute("shop", "api", R"(
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [api.example.com]
  rules: [{backendRefs: [{name: api, port: 80}]}]
)"));
  // What the Kubernetes source records when a newer version cannot be read.
  auto rejected = [&](const std::string& kind, const std::string& name, int64_t generation,
                      const std::string& message) -> source::RejectedObject& {
    source::RejectedObject& r = state.rejected[{kind, "shop", name}];
    r.kind = kind;
    r.namespace_ = "shop";
    r.name = name;
    r.generation = generation;
    r.message = message;
    return r;
  };
  rejected("HTTPRoute", "api", 3, "spec.rules[0]: bad");
  rejected("Ingress", "front", 7, "spec.rules[0].host: bad");
  rejected("Ingress", "new", 1, "spec: required");
  rejected("Service", "broken", 0, "spec.ports[0].port: bad");
  // A route strata reported on before, whose only version now is refused.
  rejected("HTTPRoute", "gone-bad", 4, "spec.hostnames[0]: bad")
      .status_controllers.insert("strata.dev/gateway-controller");
  const TwoTierConfig config = TranslateTwoTier(state, Options());
  // Both are still served as they were.
  EXPECT_EQ(AtEdge(config, "api.example.com", "/"), "svc/shop/api/80");
  EXPECT_EQ(AtEdge(config, "www.example.com", "/"), "svc/shop/web/80");
  EXPECT_THAT(ParentConditions(config, "shop", "api"),
              ElementsAre("Accepted=True/Accepted", "ResolvedRefs=True/ResolvedRefs",
                          "PartiallyInvalid=True/UnsupportedValue"));
  EXPECT_EQ(ConditionMessage(config, "shop", "api", "PartiallyInvalid"),
            "Fall Back: generation 3 is not valid (spec.rules[0]: bad); generation 2 is still "
            "served");
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "front"),
              ElementsAre("generation 7 is not valid and is not served; the previous valid "
                          "version still is: spec.rules[0].host: bad"));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "new"),
              ElementsAre("not valid, not served: spec: required"));
  EXPECT_THAT(ProblemsOf(config, "Service", "shop", "broken"),
              ElementsAre("not valid, not served: spec.ports[0].port: bad"));
  // strata's old conditions go from the refused route.
  const HttpRouteStatus* gone = RouteStatus(config, "shop", "gone-bad");
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->generation, 4);
  EXPECT_THAT(gone->parents, ::testing::IsEmpty());
}

TEST(GatewayTwoTierTest, HttpsListenersServeTheirRoutesWithTheGatewaysCertificate) {
  const tls::testing::TestPki& pki = tls::testing::TestPki::Get();
  // The usual pair: HTTP redirects to HTTPS, the app is attached to HTTPS only.
  const TwoTierConfig config = TranslateTwoTier(
      Parse(
          Gateway(
              R"(  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - name: https
    port: 443
    protocol: HTTPS
    hostname: "*.wild.example"
    tls: {certificateRefs: [{name: wild}]}
    allowedRoutes: {namespaces: {from: All}}
  - name: foreign
    port: 443
    protocol: HTTPS
    hostname: a.example
    tls: {certificateRefs: [{name: a, namespace: certs}]}
  - name: granted
    port: 443
    protocol: HTTPS
    hostname: b.example
    tls: {certificateRefs: [{name: b, namespace: certs}, {name: missing}]}
)") + TlsSecret("strata-system", "wild", pki.wild.cert_pem, pki.wild.key_pem) +
          TlsSecret("certs", "a", pki.a.cert_pem, pki.a.key_pem) +
          TlsSecret("certs", "b", pki.b.cert_pem, pki.b.key_pem) + R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: gateways, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: strata-system}]
  to: [{group: "", kind: Secret, name: b}]
)" + kShopServices +
          HttpRoute("shop", "redirect", R"(
  parentRefs: [{name: edge, namespace: strata-system, sectionName: http}]
  hostnames: [shop.wild.example]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
)") + HttpRoute("shop", "app", R"(
  parentRefs: [{name: edge, namespace: strata-system, sectionName: https}]
  hostnames: [shop.wild.example]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)") + HttpRoute("shop", "both", R"(
  parentRefs:
  - {name: edge, namespace: strata-system, sectionName: http}
  - {name: edge, namespace: strata-system, sectionName: https}
  hostnames: [both.wild.example]
  rules: [{backendRefs: [{name: api, port: 80}]}]
)")),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_THAT(ParentConditions(config, "shop", "app"),
              ElementsAre("Accepted=True/Accepted", "ResolvedRefs=True/ResolvedRefs"));
  // A certificate serves the hostnames of the routes attached through its listener.
  EXPECT_THAT(Chains(config.edge),
              ElementsAre("tls/strata-system/wild: both.wild.example,shop.wild.example"));
  // Attached through both: served on both.
  EXPECT_EQ(AtEdge(config, "both.wild.example", "/"), "svc/shop/api/80");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "both.wild.example", "/"), "svc/shop/api/80");
  EXPECT_EQ(AtEdge(config, "shop.wild.example", "/x"), "redirect https://shop.wild.example/x");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "shop.wild.example", "/x"), "svc/shop/web/80");
  // Each listener has only its own routes: no redirect over HTTPS, no app over HTTP.
  for (const auto& routes : config.edge.routes) {
    for (const auto& vhost : routes.virtual_hosts()) {
      if (vhost.name() != "shop.wild.example") continue;
      ASSERT_EQ(vhost.routes_size(), 1) << routes.name();
      EXPECT_EQ(vhost.routes(0).has_redirect(), routes.name() == kEdgeListenerName);
    }
  }

  const GatewayStatus& gateway = config.gateway_api.gateways.at(0);
  ASSERT_EQ(gateway.listeners.size(), 4u);
  EXPECT_THAT(Conditions(gateway.listeners[1].conditions),
              ElementsAre("Accepted=True/Accepted", "Conflicted=False/NoConflicts",
                          "ResolvedRefs=True/ResolvedRefs", "Programmed=True/Programmed"));
  EXPECT_EQ(gateway.listeners[1].attached_routes, 2);
  // Another namespace's Secret needs a ReferenceGrant there.
  EXPECT_THAT(Conditions(gateway.listeners[2].conditions),
              ElementsAre("Accepted=True/Accepted", "Conflicted=False/NoConflicts",
                          "ResolvedRefs=False/RefNotPermitted", "Programmed=False/Invalid"));
  EXPECT_EQ(gateway.listeners[2].conditions[2].message,
            "tls.certificateRefs[0]: Secret certs/a is in another namespace and no "
            "ReferenceGrant there allows it");
  // Granted, it serves; a reference that does not resolve is still said.
  EXPECT_THAT(
      Conditions(gateway.listeners[3].conditions),
      ElementsAre("Accepted=True/Accepted", "Conflicted=False/NoConflicts",
                  "ResolvedRefs=False/InvalidCertificateRef", "Programmed=True/Programmed"));
  EXPECT_EQ(gateway.listeners[3].conditions[2].message,
            "tls.certificateRefs[1]: Secret strata-system/missing does not exist or is not of "
            "type kubernetes.io/tls");
}

TEST(GatewayTwoTierTest, ListenerPrecedenceIsPerPort) {
  const tls::testing::TestPki& pki = tls::testing::TestPki::Get();
  // Over HTTP a more specific listener holds b.wild.example (404 until a route has it); over
  // HTTPS there is no such listener, so the wildcard route covers it.
  const TwoTierConfig config = TranslateTwoTier(
      Parse(
          Gateway(
              R"(  - {name: http, port: 80, protocol: HTTP, hostname: "*.wild.example", allowedRoutes: {namespaces: {from: All}}}
  - {name: http-b, port: 80, protocol: HTTP, hostname: b.wild.example, allowedRoutes: {namespaces: {from: All}}}
  - name: https
    port: 443
    protocol: HTTPS
    hostname: "*.wild.example"
    tls: {certificateRefs: [{name: wild}]}
    allowedRoutes: {namespaces: {from: All}}
)") + TlsSecret("strata-system", "wild", pki.wild.cert_pem, pki.wild.key_pem) +
          kShopServices + HttpRoute("shop", "app", R"(
  parentRefs:
  - {name: edge, namespace: strata-system, sectionName: http}
  - {name: edge, namespace: strata-system, sectionName: https}
  rules: [{backendRefs: [{name: web, port: 80}]}]
)")),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "c.wild.example", "/"), "svc/shop/web/80");
  EXPECT_EQ(AtEdge(config, "b.wild.example", "/"), "404");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "c.wild.example", "/"), "svc/shop/web/80");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "b.wild.example", "/"), "svc/shop/web/80");
}

// The port a path-only redirect keeps, per route configuration and X-Forwarded-Proto.
std::vector<std::string> RedirectPorts(const XdsResources& resources, const std::string& host) {
  std::vector<std::string> out;
  for (const auto& routes : resources.routes) {
    for (const auto& vhost : routes.virtual_hosts()) {
      if (vhost.name() != host) continue;
      for (const auto& route : vhost.routes()) {
        std::string proto = "any";
        for (const auto& header : route.match().headers()) {
          if (header.name() == "x-forwarded-proto") proto = header.string_match().exact();
        }
        out.push_back(absl::StrCat(routes.name(), " ", proto, " ",
                                   route.has_redirect() ? route.redirect().port_redirect() : 0));
      }
    }
  }
  return out;
}

TEST(GatewayTwoTierTest, ARedirectKeepsThePortOfTheListenerTheRequestCameThrough) {
  const tls::testing::TestPki& pki = tls::testing::TestPki::Get();
  const std::string objects =
      Gateway(
          R"(  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - name: https
    port: 443
    protocol: HTTPS
    tls: {certificateRefs: [{name: wild}]}
    allowedRoutes: {namespaces: {from: All}}
)") + TlsSecret("strata-system", "wild", pki.wild.cert_pem, pki.wild.key_pem) +
      kShopServices + HttpRoute("shop", "moved", R"(
  parentRefs:
  - {name: edge, namespace: strata-system, sectionName: http}
  - {name: edge, namespace: strata-system, sectionName: https}
  hostnames: [moved.wild.example]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /new}}}]
)");
  // Single tier: one route per listener.
  const TwoTierConfig single = TranslateTwoTier(Parse(objects), Options());
  EXPECT_THAT(RedirectPorts(single.edge, "moved.wild.example"),
              ElementsAre("edge-http any 80", "edge-https any 443"));
  // Two tiers: the app tier tells them apart by X-Forwarded-Proto.
  const TwoTierConfig tiers = TranslateTwoTier(
      Parse(objects + EdgeTier({"10.0.0.7"}) + AppTier("shop", 8081, {"10.0.1.5"})), Options());
  ExpectProxyAccepts(tiers.apps.at("shop"));
  EXPECT_THAT(RedirectPorts(tiers.apps.at("shop"), "moved.wild.example"),
              ElementsAre("app-http https 443", "app-http http 80"));
}

}  // namespace
}  // namespace strata::translate
