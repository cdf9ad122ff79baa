#ifndef STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_H_
#define STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
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

// One address of a load balancer: an entry of status.loadBalancer.ingress of a Service or an
// Ingress.
struct LoadBalancerAddress {
  std::string ip;        // may be empty
  std::string hostname;  // may be empty
  bool operator==(const LoadBalancerAddress&) const = default;
};

struct Service {
  std::string namespace_;
  std::string name;
  std::map<std::string, std::string> labels;  // metadata.labels
  std::string type = "ClusterIP";
  std::vector<ServicePort> ports;
  std::vector<std::string> external_ips;           // spec.externalIPs
  std::vector<LoadBalancerAddress> load_balancer;  // status.loadBalancer.ingress
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
  // status.loadBalancer.ingress as the API server has it (strata writes the edge's).
  std::vector<LoadBalancerAddress> load_balancer;
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

// ---- Gateway API v1 (gateway.networking.k8s.io) ------------------------------------------

inline constexpr char kGatewayApiGroup[] = "gateway.networking.k8s.io";

// `v1` Namespace: only its labels, for a listener's allowedRoutes selector. A namespace
// strata has not seen still carries kubernetes.io/metadata.name=<name>, as the API server
// sets it on every namespace.
struct Namespace {
  std::string name;
  std::map<std::string, std::string> labels;
};

struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
};

// A metav1.LabelSelector. Empty selects everything.
struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
};

// `gateway.networking.k8s.io/v1` GatewayClass (cluster-scoped).
struct GatewayClass {
  std::string name;
  std::string controller_name;  // spec.controllerName
  int64_t generation = 0;       // metadata.generation, for status observedGeneration
};

// A group and kind; group "" is the core API group.
struct GroupKind {
  std::string group;
  std::string kind;
  bool operator==(const GroupKind&) const = default;
};

// A reference to an object of another kind (a listener's certificateRefs).
struct SecretObjectReference {
  std::string group;       // "" (core)
  std::string kind;        // default Secret
  std::string namespace_;  // empty: the Gateway's namespace
  std::string name;
};

struct GatewayListener {
  std::string name;      // unique within the Gateway
  std::string hostname;  // empty: every host; "*.example.com" matches one or more labels
  uint32_t port = 0;
  std::string protocol;  // HTTP, HTTPS, TLS, TCP, UDP, or a domain-prefixed custom protocol
  std::string tls_mode;  // spec.tls.mode: Terminate (the default when tls is set) or Passthrough
  std::vector<SecretObjectReference> certificate_refs;
  // allowedRoutes.namespaces.from: Same (the default), All or Selector.
  std::string allowed_from = "Same";
  LabelSelector allowed_selector;  // with Selector
  // allowedRoutes.kinds; empty: the kinds the protocol allows (HTTPRoute for HTTP/HTTPS).
  std::vector<GroupKind> allowed_kinds;
};

// `gateway.networking.k8s.io/v1` Gateway.
struct Gateway {
  std::string namespace_;
  std::string name;
  std::optional<absl::Time> created;
  int64_t generation = 0;
  std::string gateway_class_name;  // spec.gatewayClassName
  std::vector<GatewayListener> listeners;
  std::string uid;
};

// A route's spec.parentRefs[] entry.
struct ParentReference {
  std::string group = kGatewayApiGroup;
  std::string kind = "Gateway";
  std::string namespace_;  // empty: the route's namespace
  std::string name;
  std::string section_name;  // a listener name; empty: every listener
  std::optional<uint32_t> port;
  bool operator==(const ParentReference&) const = default;
};

// Type is Exact, PathPrefix (the default, value "/") or RegularExpression; the same shape
// serves header and query parameter matches (type Exact or RegularExpression).
struct HttpPathMatch {
  std::string type = "PathPrefix";
  std::string value = "/";
};
struct HttpValueMatch {
  std::string type = "Exact";
  std::string name;
  std::string value;
};

// One entry of a rule's matches: every field present must match.
struct HttpRouteMatch {
  HttpPathMatch path;
  std::vector<HttpValueMatch> headers;
  std::vector<HttpValueMatch> query_params;
  std::string method;  // empty: any method
};

struct HttpHeader {
  std::string name;
  std::string value;
};

// RequestHeaderModifier / ResponseHeaderModifier.
struct HttpHeaderFilter {
  std::vector<HttpHeader> set;
  std::vector<HttpHeader> add;
  std::vector<std::string> remove;
};

// The path part of a RequestRedirect or URLRewrite.
struct HttpPathModifier {
  std::string type;   // ReplaceFullPath or ReplacePrefixMatch
  std::string value;  // replaceFullPath or replacePrefixMatch
};

struct HttpRequestRedirect {
  std::string scheme;    // empty: the request's
  std::string hostname;  // empty: the request's
  std::optional<HttpPathModifier> path;
  std::optional<uint32_t> port;
  int status_code = 302;  // 301, 302, 303, 307 or 308
};

struct HttpUrlRewrite {
  std::string hostname;  // empty: unchanged
  std::optional<HttpPathModifier> path;
};

struct HttpRouteFilter {
  // RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite,
  // RequestMirror, CORS, ExternalAuth or ExtensionRef. Only the member of `type` is set.
  std::string type;
  std::optional<HttpHeaderFilter> request_header_modifier;
  std::optional<HttpHeaderFilter> response_header_modifier;
  std::optional<HttpRequestRedirect> request_redirect;
  std::optional<HttpUrlRewrite> url_rewrite;
};

struct HttpBackendRef {
  std::string group;  // "" (core)
  std::string kind = "Service";
  std::string name;
  std::string namespace_;  // empty: the route's namespace
  std::optional<uint32_t> port;
  int64_t weight = 1;  // 0..1000000
  std::vector<HttpRouteFilter> filters;
};

struct HttpRouteRule {
  std::string name;                     // optional section name
  std::vector<HttpRouteMatch> matches;  // empty: one match, PathPrefix "/"
  std::vector<HttpRouteFilter> filters;
  std::vector<HttpBackendRef> backend_refs;
  std::optional<absl::Duration> request_timeout;  // timeouts.request; zero disables it
};

// `gateway.networking.k8s.io/v1` HTTPRoute.
struct HttpRoute {
  std::string namespace_;
  std::string name;
  std::optional<absl::Time> created;
  int64_t generation = 0;
  std::vector<ParentReference> parent_refs;
  std::vector<std::string> hostnames;  // empty: the listener's hostname, or every host
  std::vector<HttpRouteRule> rules;
  std::string uid;
  // controllerName of every status.parents entry: strata removes its own entries once the
  // route no longer names one of its Gateways.
  std::set<std::string> status_controllers;
};

// `gateway.networking.k8s.io/v1` (or v1beta1) ReferenceGrant: lets objects of `from` refer
// to objects of `to` in the grant's own namespace.
struct ReferenceGrantFrom {
  std::string group;
  std::string kind;
  std::string namespace_;
};
struct ReferenceGrantTo {
  std::string group;
  std::string kind;
  std::string name;  // empty: every object of the kind
};
struct ReferenceGrant {
  std::string namespace_;
  std::string name;
  std::vector<ReferenceGrantFrom> from;
  std::vector<ReferenceGrantTo> to;
};

// An object whose latest version strata refused (from the Kubernetes API, where each object
// is read on its own). Its last valid version, if it had one, stays in the state and is
// served: a broken edit does not take down what worked.
struct RejectedObject {
  std::string kind;  // Ingress, IngressRoute, HTTPRoute, ...
  std::string namespace_;
  std::string name;
  int64_t generation = 0;  // of the refused version; 0 for kinds without generations
  std::string message;     // what is wrong, naming the field
  // Of the refused version, read leniently: what status writes compare against.
  std::string uid;
  std::string reported_problems;                   // the strata.dev/problems annotation
  std::vector<LoadBalancerAddress> load_balancer;  // status.loadBalancer.ingress
  std::set<std::string> status_controllers;        // status.parents[].controllerName
  bool operator==(const RejectedObject&) const = default;
};

// `v1` Secret of type `kubernetes.io/tls`, its certificate chain and private key read and
// checked (they parse, the key is the leaf's, RSA of 2048 bits or more, or ECDSA).
struct TlsSecret {
  std::string namespace_;
  std::string name;
  std::string cert_chain_pem;   // data["tls.crt"], decoded
  std::string private_key_pem;  // data["tls.key"], decoded
  // The names the leaf certificate serves (subjectAltName DNS entries, else the subject CN),
  // lower case.
  std::vector<std::string> dns_names;
  std::string uid;  // metadata.uid; "" in manifests
};

struct ClusterState {
  std::map<ObjectKey, Service> services;
  std::map<ObjectKey, EndpointSlice> endpoint_slices;
  std::map<ObjectKey, Ingress> ingresses;
  std::map<std::string, IngressClass> ingress_classes;  // by name
  std::map<ObjectKey, IngressRoute> ingress_routes;
  std::map<std::string, Namespace> namespaces;          // by name
  std::map<std::string, GatewayClass> gateway_classes;  // by name
  std::map<ObjectKey, Gateway> gateways;
  std::map<ObjectKey, HttpRoute> http_routes;
  std::map<ObjectKey, ReferenceGrant> reference_grants;
  std::map<ObjectKey, TlsSecret> tls_secrets;
  // By kind, namespace, name.
  std::map<std::tuple<std::string, std::string, std::string>, RejectedObject> rejected;
};

using ClusterStateConstSharedPtr = std::shared_ptr<const ClusterState>;

}  // namespace strata::source

#endif  // STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_H_
