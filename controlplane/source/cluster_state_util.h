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
         a.type == b.type && a.ports == b.ports && a.external_ips == b.external_ips &&
         a.load_balancer == b.load_balancer;
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
         a.uid == b.uid && a.load_balancer == b.load_balancer;
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

inline bool operator==(const Namespace& a, const Namespace& b) {
  return a.name == b.name && a.labels == b.labels;
}

inline bool operator==(const LabelSelectorRequirement& a, const LabelSelectorRequirement& b) {
  return a.key == b.key && a.op == b.op && a.values == b.values;
}

inline bool operator==(const LabelSelector& a, const LabelSelector& b) {
  return a.match_labels == b.match_labels && a.match_expressions == b.match_expressions;
}

inline bool operator==(const GatewayClass& a, const GatewayClass& b) {
  return a.name == b.name && a.controller_name == b.controller_name && a.generation == b.generation;
}

inline bool operator==(const SecretObjectReference& a, const SecretObjectReference& b) {
  return a.group == b.group && a.kind == b.kind && a.namespace_ == b.namespace_ && a.name == b.name;
}

inline bool operator==(const GatewayListener& a, const GatewayListener& b) {
  return a.name == b.name && a.hostname == b.hostname && a.port == b.port &&
         a.protocol == b.protocol && a.tls_mode == b.tls_mode &&
         a.certificate_refs == b.certificate_refs && a.allowed_from == b.allowed_from &&
         a.allowed_selector == b.allowed_selector && a.allowed_kinds == b.allowed_kinds;
}

inline bool operator==(const Gateway& a, const Gateway& b) {
  return a.namespace_ == b.namespace_ && a.name == b.name && a.created == b.created &&
         a.generation == b.generation && a.gateway_class_name == b.gateway_class_name &&
         a.listeners == b.listeners && a.uid == b.uid;
}

inline bool operator==(const HttpPathMatch& a, const HttpPathMatch& b) {
  return a.type == b.type && a.value == b.value;
}

inline bool operator==(const HttpValueMatch& a, const HttpValueMatch& b) {
  return a.type == b.type && a.name == b.name && a.value == b.value;
}

inline bool operator==(const HttpRouteMatch& a, const HttpRouteMatch& b) {
  return a.path == b.path && a.headers == b.headers && a.query_params == b.query_params &&
         a.method == b.method;
}

inline bool operator==(const HttpHeader& a, const HttpHeader& b) {
  return a.name == b.name && a.value == b.value;
}

inline bool operator==(const HttpHeaderFilter& a, const HttpHeaderFilter& b) {
  return a.set == b.set && a.add == b.add && a.remove == b.remove;
}

inline bool operator==(const HttpPathModifier& a, const HttpPathModifier& b) {
  return a.type == b.type && a.value == b.value;
}

inline bool operator==(const HttpRequestRedirect& a, const HttpRequestRedirect& b) {
  return a.scheme == b.scheme && a.hostname == b.hostname && a.path == b.path && a.port == b.port &&
         a.status_code == b.status_code;
}

inline bool operator==(const HttpUrlRewrite& a, const HttpUrlRewrite& b) {
  return a.hostname == b.hostname && a.path == b.path;
}

inline bool operator==(const HttpRouteFilter& a, const HttpRouteFilter& b) {
  return a.type == b.type && a.request_header_modifier == b.request_header_modifier &&
         a.response_header_modifier == b.response_header_modifier &&
         a.request_redirect == b.request_redirect && a.url_rewrite == b.url_rewrite;
}

inline bool operator==(const HttpBackendRef& a, const HttpBackendRef& b) {
  return a.group == b.group && a.kind == b.kind && a.name == b.name &&
         a.namespace_ == b.namespace_ && a.port == b.port && a.weight == b.weight &&
         a.filters == b.filters;
}

inline bool operator==(const HttpRouteRule& a, const HttpRouteRule& b) {
  return a.name == b.name && a.matches == b.matches && a.filters == b.filters &&
         a.backend_refs == b.backend_refs && a.request_timeout == b.request_timeout;
}

inline bool operator==(const HttpRoute& a, const HttpRoute& b) {
  return a.namespace_ == b.namespace_ && a.name == b.name && a.created == b.created &&
         a.generation == b.generation && a.parent_refs == b.parent_refs &&
         a.hostnames == b.hostnames && a.rules == b.rules && a.uid == b.uid &&
         a.status_controllers == b.status_controllers;
}

inline bool operator==(const ReferenceGrantFrom& a, const ReferenceGrantFrom& b) {
  return a.group == b.group && a.kind == b.kind && a.namespace_ == b.namespace_;
}

inline bool operator==(const ReferenceGrantTo& a, const ReferenceGrantTo& b) {
  return a.group == b.group && a.kind == b.kind && a.name == b.name;
}

inline bool operator==(const ReferenceGrant& a, const ReferenceGrant& b) {
  return a.namespace_ == b.namespace_ && a.name == b.name && a.from == b.from && a.to == b.to;
}

inline bool operator==(const TlsSecret& a, const TlsSecret& b) {
  return a.namespace_ == b.namespace_ && a.name == b.name && a.cert_chain_pem == b.cert_chain_pem &&
         a.private_key_pem == b.private_key_pem && a.dns_names == b.dns_names && a.uid == b.uid;
}

inline bool operator==(const ClusterState& a, const ClusterState& b) {
  return a.services == b.services && a.endpoint_slices == b.endpoint_slices &&
         a.ingresses == b.ingresses && a.ingress_classes == b.ingress_classes &&
         a.ingress_routes == b.ingress_routes && a.namespaces == b.namespaces &&
         a.gateway_classes == b.gateway_classes && a.gateways == b.gateways &&
         a.http_routes == b.http_routes && a.reference_grants == b.reference_grants &&
         a.tls_secrets == b.tls_secrets && a.rejected == b.rejected;
}

}  // namespace strata::source

#endif  // STRATA_CONTROLPLANE_SOURCE_CLUSTER_STATE_UTIL_H_
