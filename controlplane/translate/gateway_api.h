#ifndef STRATA_CONTROLPLANE_TRANSLATE_GATEWAY_API_H_
#define STRATA_CONTROLPLANE_TRANSLATE_GATEWAY_API_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/source/cluster_state.h"

namespace strata::translate {

// Status of the Gateway API objects strata serves, as translation computes it. The leader
// writes it to each object's status subresource.

// A metav1.Condition without the times, which the writer sets.
struct Condition {
  std::string type;    // Accepted, Programmed, ResolvedRefs, Conflicted, PartiallyInvalid
  std::string status;  // True, False
  std::string reason;
  std::string message;
  bool operator==(const Condition&) const = default;
};

struct GatewayClassStatus {
  std::string name;
  int64_t generation = 0;
  std::vector<Condition> conditions;
};

struct ListenerStatus {
  std::string name;
  std::vector<source::GroupKind> supported_kinds;
  int64_t attached_routes = 0;
  std::vector<Condition> conditions;
};

struct GatewayStatus {
  source::ObjectKey key;
  std::string uid;
  int64_t generation = 0;
  std::vector<source::LoadBalancerAddress> addresses;  // the edge's
  std::vector<Condition> conditions;
  std::vector<ListenerStatus> listeners;  // in the order of spec.listeners
};

// One entry of an HTTPRoute's status.parents: for a parentRef naming a Gateway of strata's
// class.
struct RouteParentStatus {
  source::ParentReference parent_ref;  // as written, with the route's namespace filled in
  std::vector<Condition> conditions;
};

struct HttpRouteStatus {
  source::ObjectKey key;
  std::string uid;
  int64_t generation = 0;
  std::vector<RouteParentStatus> parents;
};

struct GatewayApiStatus {
  std::string controller_name;              // strata's GatewayClass controllerName
  std::vector<GatewayClassStatus> classes;  // by name
  std::vector<GatewayStatus> gateways;      // by namespace/name
  std::vector<HttpRouteStatus> routes;      // by namespace/name
};

// Whether `labels` satisfy `selector` (matchLabels and matchExpressions, ANDed; an empty
// selector selects everything).
bool SelectorMatches(const source::LabelSelector& selector,
                     const std::map<std::string, std::string>& labels);

// The labels of namespace `name`: its object's, plus kubernetes.io/metadata.name, which the
// API server sets on every namespace.
std::map<std::string, std::string> NamespaceLabels(const source::ClusterState& state,
                                                   const std::string& name);

// The hostname a route with hostname `route` serves through a listener with hostname
// `listener` ("" for either means every host), or none when they do not intersect. Gateway
// API wildcards ("*.example.com") match one or more labels; the more specific of two
// matching names is the one served.
std::optional<std::string> IntersectHostnames(const std::string& listener,
                                              const std::string& route);

// Whether a ReferenceGrant in `to_namespace` lets objects of (from_group, from_kind) in
// `from_namespace` refer to the object (to_group, to_kind, to_name).
bool ReferenceGranted(const source::ClusterState& state, const std::string& from_group,
                      const std::string& from_kind, const std::string& from_namespace,
                      const std::string& to_group, const std::string& to_kind,
                      const std::string& to_namespace, const std::string& to_name);

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_GATEWAY_API_H_
