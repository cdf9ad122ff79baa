#ifndef STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_H_
#define STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"

namespace strata::source {

// Typed, immutable view of the Kubernetes objects strata reads. Sources (a directory of
// manifests, later the Kubernetes API) fill it; translation reads it. Only the fields strata
// uses are kept.

// namespace/name of an object.
using ObjectKey = std::pair<std::string, std::string>;

struct ServicePort {
  std::string name;              // may be empty for a single-port Service
  std::string protocol = "TCP";  // TCP, UDP or SCTP
  uint32_t port = 0;             // 1..65535
  // targetPort: a number, or the name of a container port (resolved per EndpointSlice port).
  // Absent in the manifest means "same as port".
  std::variant<uint32_t, std::string> target_port = uint32_t{0};
  std::string app_protocol;  // appProtocol, may be empty
};

// Annotation in which strata reports why an Ingress or IngressRoute (or part of it) is not
// routed; absent when everything is. Written by the leader.
inline constexpr char kProblemsAnnotation[] = "strata.dev/problems";

// Label that makes a Service the app tier of its namespace: its endpoints are that
// namespace's strata-proxy pods (value "app").
inline constexpr char kTierLabel[] = "strata.dev/tier";

struct Service {
  std::string namespace_;
  std::string name;
  std::map<std::string, std::string> labels;  // metadata.labels
  std::string type = "ClusterIP";
  std::vector<ServicePort> ports;
};

struct EndpointConditions {
  // Kubernetes semantics: an absent `ready` or `serving` counts as true; absent `terminating`
  // counts as false.
  bool ready = true;
  bool serving = true;
  bool terminating = false;
};

struct Endpoint {
  std::vector<std::string> addresses;  // IP addresses (at least one)
  EndpointConditions conditions;
  std::string zone;       // may be empty
  std::string node_name;  // may be empty
};

struct EndpointPort {
  std::string name;  // may be empty; matches ServicePort.name
  std::string protocol = "TCP";
  std::optional<uint32_t> port;  // absent means "all ports" in Kubernetes; strata skips it
};

struct EndpointSlice {
  std::string namespace_;
  std::string name;
  std::string service_name;  // label kubernetes.io/service-name; empty if absent
  std::string address_type;  // IPv4, IPv6 or FQDN
  std::vector<EndpointPort> ports;
  std::vector<Endpoint> endpoints;
};

// A backend of an Ingress: a Service of the Ingress's namespace, or a resource reference
// (which strata reports as unsupported when it translates).
struct IngressBackend {
  std::string service_name;  // empty for a resource backend
  // The Service port: a number, or the name of one of the Service's ports.
  std::variant<uint32_t, std::string> service_port = uint32_t{0};
  std::string resource_kind;  // a resource backend's kind and name
  std::string resource_name;
};

struct IngressPath {
  std::string path;       // starts with "/"; may be empty for ImplementationSpecific
  std::string path_type;  // Exact, Prefix or ImplementationSpecific
  IngressBackend backend;
};

struct IngressRule {
  std::string host;  // empty: every host; "*.example.com" matches exactly one label
  std::vector<IngressPath> paths;
};

struct IngressTls {
  std::vector<std::string> hosts;
  std::string secret_name;
};

// `networking.k8s.io/v1` Ingress.
struct Ingress {
  std::string namespace_;
  std::string name;
  // metadata.creationTimestamp; absent in most manifests.
  std::optional<absl::Time> created;
  // spec.ingressClassName, or else the legacy annotation kubernetes.io/ingress.class; empty if
  // neither is set.
  std::string ingress_class;
  std::optional<IngressBackend> default_backend;
  std::vector<IngressRule> rules;
  std::vector<IngressTls> tls;
  std::string reported_problems;  // the strata.dev/problems annotation, "" when absent
  std::string uid;                // metadata.uid; "" in manifests
};

// `networking.k8s.io/v1` IngressClass (cluster-scoped).
struct IngressClass {
  std::string name;
  std::string controller;  // spec.controller, e.g. "strata.dev/edge"
  // Annotation ingressclass.kubernetes.io/is-default-class: "true".
  bool is_default = false;
};

// A service of a Traefik IngressRoute route.
struct IngressRouteService {
  std::string name;
  std::string kind = "Service";  // Service or TraefikService
  std::string namespace_;        // empty: the IngressRoute's namespace
  // A number, or the name of one of the Service's ports; 0 when absent.
  std::variant<uint32_t, std::string> port = uint32_t{0};
  std::optional<int64_t> weight;
  std::string scheme;  // http, https or h2c; empty when absent
  bool pass_host_header = true;
};

// A middleware reference of a route (strata reports every one as unsupported for now).
struct MiddlewareRef {
  std::string name;
  std::string namespace_;  // empty: the IngressRoute's namespace
};

struct IngressRouteRoute {
  std::string match;     // the rule, as written; checked with translate::ParseTraefikRule
  int64_t priority = 0;  // 0: Traefik's default, the length of `match`
  std::vector<IngressRouteService> services;
  std::vector<MiddlewareRef> middlewares;
};

// Traefik IngressRoute (`traefik.io/v1alpha1`, or the older `traefik.containo.us/v1alpha1`;
// when both exist for one namespace/name, the traefik.io one is used, as Traefik does).
struct IngressRoute {
  std::string namespace_;
  std::string name;
  std::string api_group;  // traefik.io or traefik.containo.us
  std::optional<absl::Time> created;
  std::string
      ingress_class;  // spec.ingressClassName, or the kubernetes.io/ingress.class annotation
  std::vector<std::string> entry_points;  // empty: every entry point
  std::vector<IngressRouteRoute> routes;
  std::string tls_secret_name;  // spec.tls.secretName; empty when absent
  bool tls = false;             // spec.tls is present
  std::string tls_cert_resolver;
  std::string reported_problems;  // the strata.dev/problems annotation, "" when absent
  std::string uid;                // metadata.uid; "" in manifests
};

struct ClusterState {
  std::map<ObjectKey, Service> services;
  std::map<ObjectKey, EndpointSlice> endpoint_slices;
  std::map<ObjectKey, Ingress> ingresses;
  std::map<std::string, IngressClass> ingress_classes;  // by name
  std::map<ObjectKey, IngressRoute> ingress_routes;
};

using ClusterStateConstSharedPtr = std::shared_ptr<const ClusterState>;

}  // namespace strata::source

#endif  // STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_H_
