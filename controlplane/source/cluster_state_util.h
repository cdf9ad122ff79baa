#ifndef STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_UTIL_H_
#define STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_UTIL_H_

#include "controlplane/source/cluster_state.h"

namespace strata::source {

// Field-by-field equality of the ClusterState structs, so a source can tell whether a reload
// changed anything. Keep in step with cluster_state.h when a field is added.

inline bool operator==(const ServicePort& a, const ServicePort& b) {
  return a.name == b.name && a.protocol == b.protocol && a.port == b.port &&
         a.target_port == b.target_port && a.app_protocol == b.app_protocol;
}

inline bool operator==(const Service& a, const Service& b) {
  return a.namespace_ == b.namespace_ && a.name == b.name && a.labels == b.labels &&
         a.type == b.type && a.ports == b.ports;
}

inline bool operator==(const EndpointConditions& a, const EndpointConditions& b) {
  return a.ready == b.ready && a.serving == b.serving && a.terminating == b.terminating;
}

inline bool operator==(const Endpoint& a, const Endpoint& b) {
  return a.addresses == b.addresses && a.conditions == b.conditions && a.zone == b.zone &&
         a.node_name == b.node_name;
}

inline bool operator==(const EndpointPort& a, const EndpointPort& b) {
  return a.name == b.name && a.protocol == b.protocol && a.port == b.port;
}

inline bool operator==(const EndpointSlice& a, const EndpointSlice& b) {
  return a.namespace_ == b.namespace_ && a.name == b.name && a.service_name == b.service_name &&
         a.address_type == b.address_type && a.ports == b.ports && a.endpoints == b.endpoints;
}

inline bool operator==(const IngressBackend& a, const IngressBackend& b) {
  return a.service_name == b.service_name && a.service_port == b.service_port &&
         a.resource_kind == b.resource_kind && a.resource_name == b.resource_name;
}

inline bool operator==(const IngressPath& a, const IngressPath& b) {
  return a.path == b.path && a.path_type == b.path_type && a.backend == b.backend;
}

inline bool operator==(const IngressRule& a, const IngressRule& b) {
  return a.host == b.host && a.paths == b.paths;
}

inline bool operator==(const IngressTls& a, const IngressTls& b) {
  return a.hosts == b.hosts && a.secret_name == b.secret_name;
}

inline bool operator==(const Ingress& a, const Ingress& b) {
  return a.namespace_ == b.namespace_ && a.name == b.name && a.created == b.created &&
         a.ingress_class == b.ingress_class && a.default_backend == b.default_backend &&
         a.rules == b.rules && a.tls == b.tls && a.reported_problems == b.reported_problems &&
         a.uid == b.uid;
}

inline bool operator==(const IngressClass& a, const IngressClass& b) {
  return a.name == b.name && a.controller == b.controller && a.is_default == b.is_default;
}

inline bool operator==(const IngressRouteService& a, const IngressRouteService& b) {
  return a.name == b.name && a.kind == b.kind && a.namespace_ == b.namespace_ && a.port == b.port &&
         a.weight == b.weight && a.scheme == b.scheme && a.pass_host_header == b.pass_host_header;
}

inline bool operator==(const MiddlewareRef& a, const MiddlewareRef& b) {
  return a.name == b.name && a.namespace_ == b.namespace_;
}

inline bool operator==(const IngressRouteRoute& a, const IngressRouteRoute& b) {
  return a.match == b.match && a.priority == b.priority && a.services == b.services &&
         a.middlewares == b.middlewares;
}

inline bool operator==(const IngressRoute& a, const IngressRoute& b) {
  return a.namespace_ == b.namespace_ && a.name == b.name && a.api_group == b.api_group &&
         a.created == b.created && a.ingress_class == b.ingress_class &&
         a.entry_points == b.entry_points && a.routes == b.routes &&
         a.tls_secret_name == b.tls_secret_name && a.tls == b.tls &&
         a.tls_cert_resolver == b.tls_cert_resolver && a.reported_problems == b.reported_problems &&
         a.uid == b.uid;
}

inline bool operator==(const ClusterState& a, const ClusterState& b) {
  return a.services == b.services && a.endpoint_slices == b.endpoint_slices &&
         a.ingresses == b.ingresses && a.ingress_classes == b.ingress_classes &&
         a.ingress_routes == b.ingress_routes;
}

}  // namespace strata::source

#endif  // STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_UTIL_H_
