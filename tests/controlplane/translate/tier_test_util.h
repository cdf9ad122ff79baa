#ifndef STRATA_TESTS_CONTROLPLANE_TRANSLATE_TIER_TEST_UTIL_H_
#define STRATA_TESTS_CONTROLPLANE_TRANSLATE_TIER_TEST_UTIL_H_

// Helpers of the two-tier translation tests: manifests in, strata-proxy's view of the
// output out.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/source/manifest_parser.h"
#include "controlplane/translate/two_tier.h"
#include "dataplane/router/route_table.h"
#include "dataplane/server/proxy_config.h"
#include "dataplane/upstream/cluster.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "gtest/gtest.h"

namespace strata::translate::testing {

// ---- Input: manifests, read by the real manifest reader --------------------------------

inline source::ClusterState Parse(const std::string& text) {
  source::ManifestSet set;
  absl::Status status = set.AddManifest("test.yaml", text);
  EXPECT_TRUE(status.ok()) << status;
  return set.TakeState();
}

// A Service with one port 80 → `target`, and one EndpointSlice with `ips` on `target`.
inline std::string Service(const std::string& ns, const std::string& name, int target,
                           const std::vector<std::string>& ips, const std::string& labels = "{}") {
  std::string endpoints;
  for (const std::string& ip : ips) absl::StrAppend(&endpoints, "\n- addresses: [", ip, "]");
  return absl::StrCat(R"(
---
apiVersion: v1
kind: Service
metadata: {name: )",
                      name, ", namespace: ", ns, ", labels: ", labels, R"(}
spec:
  ports: [{name: http, port: 80, targetPort: )",
                      target, R"(}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: )",
                      name, "-1\n  namespace: ", ns,
                      "\n  labels: {kubernetes.io/service-name: ", name, R"(}
addressType: IPv4
ports: [{name: http, port: )",
                      target, "}]\nendpoints:", ips.empty() ? " []" : endpoints, "\n");
}

inline std::string AppTier(const std::string& ns, int port, const std::vector<std::string>& ips) {
  return Service(ns, "strata-app", port, ips, "{strata.dev/tier: app}");
}

inline std::string EdgeTier(const std::vector<std::string>& ips) {
  return Service("strata-system", "strata-edge", 8080, ips);
}

struct PathSpec {
  std::string path;
  std::string type;
  std::string service;
};

inline std::string Ingress(const std::string& ns, const std::string& name, const std::string& host,
                           const std::vector<PathSpec>& paths, const std::string& created = "") {
  std::string out = absl::StrCat("\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\n",
                                 "metadata:\n  name: ", name, "\n  namespace: ", ns, "\n");
  if (!created.empty()) absl::StrAppend(&out, "  creationTimestamp: \"", created, "\"\n");
  absl::StrAppend(&out, "spec:\n  rules:\n  - ");
  if (!host.empty()) absl::StrAppend(&out, "host: \"", host, "\"\n    ");
  absl::StrAppend(&out, "http:\n      paths:\n");
  for (const PathSpec& p : paths) {
    absl::StrAppend(&out, "      - {path: \"", p.path, "\", pathType: ", p.type,
                    ", backend: {service: {name: ", p.service, ", port: {number: 80}}}}\n");
  }
  return out;
}

inline std::string IngressRoute(const std::string& ns, const std::string& name,
                                const std::string& routes_yaml,
                                const std::string& extra_spec = "") {
  return absl::StrCat("\n---\napiVersion: traefik.io/v1alpha1\nkind: IngressRoute\n",
                      "metadata: {name: ", name, ", namespace: ", ns, "}\nspec:\n", extra_spec,
                      "  routes:\n", routes_yaml);
}

// A Secret of type kubernetes.io/tls.
inline std::string TlsSecret(const std::string& ns, const std::string& name,
                             const std::string& cert_pem, const std::string& key_pem) {
  return absl::StrCat(
      "\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: ", name, ", namespace: ", ns,
      "}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ", absl::Base64Escape(cert_pem),
      "\n  tls.key: ", absl::Base64Escape(key_pem), "\n");
}

// ---- Output: run through strata-proxy's own config code --------------------------------

inline const envoy::config::listener::v3::Listener* TlsListener(const XdsResources& edge) {
  for (const auto& listener : edge.listeners) {
    if (listener.name() == kEdgeTlsListenerName) return &listener;
  }
  return nullptr;
}

// Each filter chain of the edge's TLS listener as "<SDS secret>: <server names>".
inline std::vector<std::string> Chains(const XdsResources& edge) {
  std::vector<std::string> out;
  const auto* listener = TlsListener(edge);
  if (listener == nullptr) return out;
  for (const auto& chain : listener->filter_chains()) {
    envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext tls;
    EXPECT_TRUE(chain.transport_socket().typed_config().UnpackTo(&tls));
    out.push_back(
        absl::StrCat(tls.common_tls_context().tls_certificate_sds_secret_configs(0).name(), ": ",
                     absl::StrJoin(chain.filter_chain_match().server_names(), ",")));
  }
  return out;
}

inline TwoTierOptions Options() {
  TwoTierOptions options;
  options.listen_address = "127.0.0.1";
  return options;
}

// Every resource must be accepted by strata-proxy as it is.
// TLS listeners are built with the group's secrets, as a proxy builds them once SDS has them.
inline void ExpectProxyAccepts(const XdsResources& resources) {
  server::SecretMap secrets;
  for (const auto& secret : resources.secrets) secrets.emplace(secret.name(), secret);
  for (const auto& listener : resources.listeners) {
    auto config = server::ListenerConfig::Create(listener, secrets);
    EXPECT_TRUE(config.ok()) << config.status() << "\n" << listener.DebugString();
    if (config.ok()) {
      EXPECT_TRUE((*config)->Warm()) << listener.name() << ": secrets missing";
    }
  }
  for (const auto& routes : resources.routes) {
    auto table = router::RouteTable::Create(routes);
    EXPECT_TRUE(table.ok()) << table.status() << "\n" << routes.DebugString();
  }
  for (const auto& cluster : resources.clusters) {
    const envoy::config::endpoint::v3::ClusterLoadAssignment* cla = nullptr;
    for (const auto& e : resources.endpoints) {
      if (e.cluster_name() == cluster.name()) cla = &e;
    }
    EXPECT_NE(cla, nullptr) << "no endpoints for cluster " << cluster.name();
    auto built = upstream::Cluster::Create(cluster, cla);
    EXPECT_TRUE(built.ok()) << built.status() << "\n" << cluster.DebugString();
  }
}

class Headers : public router::HeaderLookup {
 public:
  explicit Headers(std::map<std::string, std::string> headers) : headers_(std::move(headers)) {}
  std::optional<absl::string_view> Get(absl::string_view name) const override {
    auto it = headers_.find(std::string(name));
    if (it == headers_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string> headers_;
};

// One request as a test sends it.
struct TestRequest {
  std::string host;
  std::string path;
  std::map<std::string, std::string> headers;
  std::string method = "GET";
  uint64_t random = 0;  // picks runtime fractions
};

// Where strata-proxy sends `request` with this config: the cluster (several joined with "+"
// for weighted clusters, as "name*weight"), the status of a direct response, "redirect
// <location>", or "404".
inline std::string RouteRequest(const XdsResources& resources, const std::string& route_config,
                                const TestRequest& request) {
  for (const auto& routes : resources.routes) {
    if (routes.name() != route_config) continue;
    auto table = router::RouteTable::Create(routes);
    if (!table.ok()) return absl::StrCat("invalid: ", table.status().message());
    Headers lookup(request.headers);
    router::RequestView view;
    view.authority = request.host;
    view.path = request.path;
    view.method = request.method;
    view.scheme = "http";
    view.headers = &lookup;
    view.random = request.random;
    router::RouteTable::MatchResult match = (*table)->Match(view);
    if (match.route == nullptr) return "404";
    if (const auto* direct = match.route->direct_response()) {
      return absl::StrCat(direct->status);
    }
    const router::ForwardAction* forward = match.route->forward();
    if (forward == nullptr) return absl::StrCat("redirect ", match.route->RedirectLocation(view));
    if (!forward->cluster().empty()) return forward->cluster();
    std::vector<std::string> names;
    for (const auto& w : forward->weighted_clusters()) {
      names.push_back(absl::StrCat(w.name, "*", w.weight));
    }
    return absl::StrJoin(names, "+");
  }
  return absl::StrCat("no route configuration ", route_config);
}

inline std::string Route(const XdsResources& resources, const std::string& route_config,
                         const std::string& host, const std::string& path,
                         std::map<std::string, std::string> headers = {},
                         const std::string& method = "GET") {
  return RouteRequest(resources, route_config, TestRequest{host, path, std::move(headers), method});
}

inline std::string AtEdge(const TwoTierConfig& config, const std::string& host,
                          const std::string& path, std::map<std::string, std::string> headers = {},
                          const std::string& method = "GET") {
  return Route(config.edge, kEdgeListenerName, host, path, std::move(headers), method);
}

inline std::string AtApp(const TwoTierConfig& config, const std::string& ns,
                         const std::string& host, const std::string& path) {
  auto it = config.apps.find(ns);
  if (it == config.apps.end()) return "no app tier";
  return Route(it->second, kAppListenerName, host, path);
}

inline std::vector<std::string> ProblemsOf(const TwoTierConfig& config, const std::string& kind,
                                           const std::string& ns, const std::string& name) {
  for (const ObjectReport& report : config.reports) {
    if (report.kind == kind && report.namespace_ == ns && report.name == name) {
      return report.problems;
    }
  }
  return {};
}

inline std::vector<std::string> ClusterNames(const XdsResources& resources) {
  std::vector<std::string> names;
  for (const auto& c : resources.clusters) names.push_back(c.name());
  return names;
}

inline const envoy::config::endpoint::v3::ClusterLoadAssignment* FindCla(const XdsResources& r,
                                                                         const std::string& name) {
  for (const auto& e : r.endpoints) {
    if (e.cluster_name() == name) return &e;
  }
  return nullptr;
}

inline std::vector<std::string> Endpoints(const XdsResources& r, const std::string& cluster) {
  std::vector<std::string> out;
  const auto* cla = FindCla(r, cluster);
  if (cla == nullptr) return {"missing"};
  for (const auto& locality : cla->endpoints()) {
    for (const auto& e : locality.lb_endpoints()) {
      const auto& a = e.endpoint().address().socket_address();
      out.push_back(absl::StrCat(a.address(), ":", a.port_value()));
    }
  }
  return out;
}

}  // namespace strata::translate::testing

#endif  // STRATA_TESTS_CONTROLPLANE_TRANSLATE_TIER_TEST_UTIL_H_
