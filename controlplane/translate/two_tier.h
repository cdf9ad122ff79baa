#ifndef STRATA_CONTROLPLANE_TRANSLATE_TWO_TIER_H_
#define STRATA_CONTROLPLANE_TRANSLATE_TWO_TIER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "controlplane/source/cluster_state.h"
#include "controlplane/translate/gateway_api.h"
#include "controlplane/translate/resources.h"

namespace strata::translate {

// Node groups of the two tiers (see TierNodeGrouper).
inline constexpr char kEdgeGroup[] = "edge";
// "app/<namespace>": the app tier of one namespace.
std::string AppGroup(const std::string& namespace_);

// Resource names. Stable and independent of content, so an edit changes versions, not names.
inline constexpr char kEdgeListenerName[] = "edge-http";  // also its RouteConfiguration
inline constexpr char kAppListenerName[] = "app-http";    // also its RouteConfiguration
// The edge's TLS listener; it serves the RouteConfiguration of kEdgeListenerName.
inline constexpr char kEdgeTlsListenerName[] = "edge-https";
// The SDS secret of TLS Secret namespace/name: "tls/<namespace>/<name>".
std::string TlsSecretName(const std::string& namespace_, const std::string& name);
// The edge's cluster of namespace N's app tier: "app/<N>".
std::string AppTierClusterName(const std::string& namespace_);
// The cluster of one Service port: "svc/<namespace>/<name>/<port>".
std::string ServiceClusterName(const std::string& namespace_, const std::string& name,
                               uint32_t port);

struct TwoTierOptions {
  // Address the generated listeners bind on the proxies.
  std::string listen_address = "0.0.0.0";
  // Port of the edge's HTTP listener.
  uint32_t edge_http_port = 8080;
  // Port of the edge's HTTPS listener (present while some host has a certificate).
  uint32_t edge_https_port = 8443;
  // The Service whose endpoints are the edge proxies: the only senders an app tier accepts
  // PROXY protocol from. Chosen by the cluster admin, never by a label a tenant could set.
  source::ObjectKey edge_service = {"strata-system", "strata-edge"};
  // IngressClass `spec.controller` value that marks classes strata serves.
  std::string ingress_controller = "strata.dev/ingress-controller";
  // GatewayClass `spec.controllerName` that marks classes strata serves.
  std::string gateway_controller = "strata.dev/gateway-controller";
  // The port of the edge Service that reaches the edge's HTTP listener: the only port a
  // Gateway's HTTP listener may use (the edge has one HTTP listener).
  uint32_t gateway_http_port = 80;
  // The port of the edge Service that reaches the edge's HTTPS listener: the only port a
  // Gateway's HTTPS listener may use.
  uint32_t gateway_https_port = 443;
  // Namespaces whose host-less rules and default backends become the catch-all for hosts
  // nobody owns; from every other namespace such a rule is refused.
  std::set<std::string> catch_all_namespaces;
};

// What went wrong with one object: refused hosts, unsupported features, missing backends.
// Reported as a log line, and (with a Kubernetes source) as an Event and an annotation.
struct ObjectReport {
  std::string kind;  // Ingress, IngressRoute, HTTPRoute, Service
  std::string namespace_;
  std::string name;
  std::vector<std::string> problems;  // sorted, each a full sentence
};

// An object strata serves: its class is strata's (whether or not all of it is routed).
struct ServedObject {
  std::string kind;  // Ingress, IngressRoute
  std::string namespace_;
  std::string name;
  bool operator==(const ServedObject&) const = default;
  // Not a defaulted <=>: clang-tidy 14 takes its synthesized 0 for a null pointer.
  bool operator<(const ServedObject& other) const {
    return std::tie(kind, namespace_, name) < std::tie(other.kind, other.namespace_, other.name);
  }
};

struct TwoTierConfig {
  XdsResources edge;
  // Namespace → the app tier's resources, for every namespace that has an app tier (a
  // Service labelled strata.dev/tier=app).
  std::map<std::string, XdsResources> apps;
  // Objects with problems, sorted by kind, namespace, name.
  std::vector<ObjectReport> reports;
  // Every Ingress and IngressRoute strata serves, sorted: the objects whose status strata
  // owns (the others belong to other controllers).
  std::vector<ServedObject> served;
  // Conditions of the GatewayClasses and Gateways of strata's class and of the HTTPRoutes
  // attached to them.
  GatewayApiStatus gateway_api;
  // Where clients reach the edge: the edge Service's load balancer addresses, else its
  // externalIPs; empty when it has neither (or does not exist). Served Ingresses publish
  // them in status.loadBalancer, Gateways in status.addresses.
  std::vector<source::LoadBalancerAddress> edge_addresses;
};

// What ties the translation of one namespace's objects to other namespaces'.
struct NamespaceTies {
  // Hostnames (normalised) its objects claim, won or lost, or list on Gateway listeners:
  // another namespace naming the same host, or one a wildcard of either covers, may change
  // what this namespace gets. (A certificate serves only hosts its namespace claims.)
  std::set<std::string> names;
  // Namespaces its objects refer to: the Gateways its HTTPRoutes attach to, their backends,
  // the Secrets of its Gateways.
  std::set<std::string> namespaces;
};

// Where the parts of a translation come from, by namespace.
struct TwoTierAttribution {
  std::map<std::string, NamespaceTies> ties;  // by namespace; only namespaces with ties
  // The namespace of each virtual host of the edge's route configurations, by (HTTPS, name).
  std::map<std::pair<bool, std::string>, std::string> edge_vhosts;
  // The edge's warnings, by the namespace of the Service they are about.
  std::map<std::string, std::vector<std::string>> edge_warnings;
  // The edge's HTTPS route configuration while no host has a certificate: not served then,
  // but its virtual hosts are a namespace's part all the same.
  envoy::config::route::v3::RouteConfiguration unserved_https_routes;
};

// Translates the Ingresses and IngressRoutes strata serves into the edge's and the app
// tiers' configuration. Pure and deterministic (docs/two-tier.md has the full rules):
//   - Every host has one owning namespace (ResolveHostOwnership). Refused claims are not
//     routed and are reported. A host nobody owns has no virtual host: 404 at the edge.
//   - The edge listens on options.edge_http_port. A host of a namespace with an app tier is
//     sent, whole, to that app tier's endpoints with PROXY protocol v2; a host of a namespace
//     without one is routed at the edge straight to the Services (single tier).
//   - An app tier listens on its Service's numeric targetPort, reads PROXY protocol, and
//     accepts connections only from the edge Service's endpoint addresses. It holds only its
//     own namespace's hosts, routes and Services.
//   - Ingress paths: Exact, Prefix element-wise (ImplementationSpecific as Prefix), longest
//     first and Exact before Prefix on a tie. IngressRoute routes by priority (default: the
//     length of the rule), before the Ingress paths of the same host.
//   - HTTPRoutes attached to Gateways of strata's GatewayClass: the hostnames they share with
//     their listeners are claims like any other; rules are ordered by Gateway API precedence
//     and come after IngressRoute routes and before Ingress paths of the same host.
//     Gateway API wildcards match names of any depth.
//   - Anything strata cannot honour (a matcher, a middleware, a cross-namespace service) takes
//     the route out, reported: dropping part of a match would widen it.
//
// With `attribution`, also says which namespace each part of the edge's configuration comes
// from and how namespaces depend on each other (for IncrementalTwoTier).
TwoTierConfig TranslateTwoTier(const source::ClusterState& state, const TwoTierOptions& options,
                               TwoTierAttribution* attribution = nullptr);

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_TWO_TIER_H_
