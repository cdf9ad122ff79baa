#ifndef STRATA_CONTROLPLANE_SOURCE_MANIFEST_PARSER_H_
#define STRATA_CONTROLPLANE_SOURCE_MANIFEST_PARSER_H_

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controlplane/source/cluster_state.h"
#include "nlohmann/json.hpp"

namespace strata::source {

// Reads Kubernetes manifests (YAML or JSON, several documents per file) into a ClusterState.
//
// Objects read: `v1` Service and Namespace, `discovery.k8s.io/v1` EndpointSlice,
// `networking.k8s.io/v1` Ingress and IngressClass, Traefik's IngressRoute (`traefik.io/v1alpha1`
// and `traefik.containo.us/v1alpha1`; its `match` must parse as a Traefik v3 rule), and the
// Gateway API's GatewayClass, Gateway, HTTPRoute and ReferenceGrant
// (`gateway.networking.k8s.io/v1`, or `v1beta1`, which has the same schema), also as the items
// of a `v1` List. Every document must be an object with string `apiVersion` and `kind`; objects
// of any other kind are skipped and counted. Fields strata does not use are ignored; the ones it
// uses are validated and defaulted as the Kubernetes API server would (metadata.namespace
// "default", protocol TCP, absent targetPort = port, absent ready/serving = true, ...); for the
// Gateway API, as the v1.6.1 CRDs do (schema, defaults and CEL rules), e.g.
//   routes.yaml: document 1 (HTTPRoute shop/web): spec.rules[0].matches[1].path.value: must
//   start with "/".
//
// Errors are InvalidArgument and name the file, the document (1-based, in the YAML stream), the
// object when known, and the field:
//   services.yaml: document 2 (Service default/web): spec.ports[0].port: must be an integer
//   1..65535
// A List item is named as "document 1, items[3] (...)".

// Manifest files larger than this are rejected.
inline constexpr size_t kMaxManifestFileBytes = size_t{16} << 20;

struct ManifestStats {
  int files = 0;
  int documents = 0;         // non-empty YAML documents
  int services = 0;          // Services read
  int endpoint_slices = 0;   // EndpointSlices read
  int ingresses = 0;         // Ingresses read
  int ingress_classes = 0;   // IngressClasses read
  int ingress_routes = 0;    // Traefik IngressRoutes read (both API groups)
  int namespaces = 0;        // Namespaces read
  int gateway_classes = 0;   // GatewayClasses read
  int gateways = 0;          // Gateways read
  int http_routes = 0;       // HTTPRoutes read
  int reference_grants = 0;  // ReferenceGrants read
  int tls_secrets = 0;       // Secrets of type kubernetes.io/tls read
  int skipped_objects = 0;   // objects of other kinds
};

// Collects the objects of several manifest files into one ClusterState.
class ManifestSet {
 public:
  // Parses `text` and adds its objects. `file_name` only labels errors. An object with the
  // kind, namespace and name of one added before is an error. On error nothing of `text` is
  // added.
  absl::Status AddManifest(std::string_view file_name, std::string_view text);

  const ClusterState& state() const { return state_; }
  const ManifestStats& stats() const { return stats_; }
  ClusterState TakeState() { return std::move(state_); }

 private:
  ClusterState state_;
  ManifestStats stats_;
  // (kind, namespace, name) -> where it was defined, for duplicate errors.
  std::map<std::tuple<std::string, std::string, std::string>, std::string> origins_;
};

// One object as the Kubernetes API serves it, read and validated as AddManifest reads a
// document (it must carry kind and apiVersion). `where` starts error messages, e.g.
// "Ingress shop/web: spec.rules[0].host: ...". Objects of other kinds give the monostate.
using ApiObject =
    std::variant<std::monostate, Service, EndpointSlice, Ingress, IngressClass, IngressRoute,
                 Namespace, GatewayClass, Gateway, HttpRoute, ReferenceGrant, TlsSecret>;
absl::StatusOr<ApiObject> ReadApiObject(const nlohmann::json& object, std::string_view where);

// Adds `object` (not the monostate) to `state` as AddManifest would, under its namespace and
// name (its name alone for the cluster-scoped IngressClass, Namespace and GatewayClass),
// replacing an object of the same kind and key. Of two IngressRoutes with one namespace/name
// the traefik.io one is kept.
void AddToState(const ApiObject& object, ClusterState& state);

// Removes the object of `kind` (as in a manifest: "Service", "Secret", ...) and key from
// `state`, if there is one; `namespace_` is ignored for the cluster-scoped kinds. Returns
// false for a kind strata does not read.
bool RemoveFromState(std::string_view kind, const std::string& namespace_, const std::string& name,
                     ClusterState& state);
// Whether strata reads `kind` without a namespace (IngressClass, Namespace, GatewayClass).
bool IsClusterScoped(std::string_view kind);

// status.loadBalancer.ingress of a Service or an Ingress object, read leniently (status is
// written by controllers: odd entries are skipped, never an error).
std::vector<LoadBalancerAddress> ReadLoadBalancerStatus(const nlohmann::json& object);

// status.parents[].controllerName of a route object, read leniently.
std::set<std::string> ReadStatusControllers(const nlohmann::json& object);

// Loads every regular file named *.yaml, *.yml or *.json directly in `dir` (not in
// subdirectories; names starting with '.' are skipped, which also skips the `..data` links of
// a mounted ConfigMap), in name order. Errors name the file relative to `dir`. Any error fails
// the whole load. If `stats` is not null it receives the counts of a successful load.
absl::StatusOr<ClusterState> LoadManifestDirectory(const std::string& dir,
                                                   ManifestStats* stats = nullptr);

}  // namespace strata::source

#endif  // STRATA_CONTROLPLANE_SOURCE_MANIFEST_PARSER_H_
