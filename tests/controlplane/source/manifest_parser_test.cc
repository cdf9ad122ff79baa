#include "controlplane/source/manifest_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/source/cluster_state_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataplane/tls/tls_test_util.h"

namespace strata::source {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// Parses one file into a fresh set; the error message, or "" on success.
std::string ErrorOf(std::string_view text, std::string_view file_name = "services.yaml") {
  ManifestSet set;
  absl::Status status = set.AddManifest(file_name, text);
  if (!status.ok()) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  }
  std::string message(status.message());
  return message;
}

ClusterState Parse(std::string_view text) {
  ManifestSet set;
  absl::Status status = set.AddManifest("test.yaml", text);
  EXPECT_TRUE(status.ok()) << status;
  return set.TakeState();
}

constexpr char kWebService[] = R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels: {strata.dev/tier: app, app.kubernetes.io/name: web}
spec:
  type: NodePort
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: grpc
    protocol: TCP
    port: 9000
    targetPort: grpc-port
    appProtocol: kubernetes.io/h2c
  - name: dns
    protocol: UDP
    port: 53
)";

TEST(ManifestParserTest, Service) {
  ClusterState state = Parse(kWebService);
  EXPECT_THAT(state.endpoint_slices, IsEmpty());
  ASSERT_EQ(state.services.size(), 1u);
  const Service& service = state.services.at({"shop", "web"});
  EXPECT_EQ(service.namespace_, "shop");
  EXPECT_EQ(service.name, "web");
  EXPECT_EQ(service.type, "NodePort");
  EXPECT_EQ(service.labels, (std::map<std::string, std::string>{{"app.kubernetes.io/name", "web"},
                                                                {"strata.dev/tier", "app"}}));
  ASSERT_EQ(service.ports.size(), 3u);
  EXPECT_EQ(service.ports[0].name, "http");
  EXPECT_EQ(service.ports[0].protocol, "TCP");
  EXPECT_EQ(service.ports[0].port, 80u);
  EXPECT_EQ(service.ports[0].target_port, (std::variant<uint32_t, std::string>(8080u)));
  EXPECT_EQ(service.ports[0].app_protocol, "");
  EXPECT_EQ(service.ports[1].target_port,
            (std::variant<uint32_t, std::string>(std::string("grpc-port"))));
  EXPECT_EQ(service.ports[1].app_protocol, "kubernetes.io/h2c");
  EXPECT_EQ(service.ports[2].protocol, "UDP");
  EXPECT_EQ(service.ports[2].target_port, (std::variant<uint32_t, std::string>(53u)));
}

TEST(ManifestParserTest, LoadBalancerAddressesOfServicesAndIngresses) {
  const ClusterState state = Parse(R"(
apiVersion: v1
kind: Service
metadata: {name: strata-edge, namespace: strata-system}
spec:
  type: LoadBalancer
  externalIPs: [192.0.2.9, "2001:db8::9", 010.1.1.1, 7]
  ports: [{port: 80}]
status:
  loadBalancer:
    ingress: [{ip: 203.0.113.7}, {hostname: lb.example.net}, {}, 7, {ip: 5}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec: {rules: [{host: shop.example.com}]}
status: {loadBalancer: {ingress: [{ip: 203.0.113.7}]}}
)");
  const Service& edge = state.services.at(ObjectKey("strata-system", "strata-edge"));
  // Read leniently: what is not an IP address is left out, and the Service stays.
  EXPECT_THAT(edge.external_ips, ElementsAre("192.0.2.9", "2001:db8::9"));
  // Status is read leniently: entries with neither an ip nor a hostname string are skipped.
  EXPECT_THAT(edge.load_balancer, ElementsAre(LoadBalancerAddress{"203.0.113.7", ""},
                                              LoadBalancerAddress{"", "lb.example.net"}));
  EXPECT_THAT(state.ingresses.at(ObjectKey("shop", "web")).load_balancer,
              ElementsAre(LoadBalancerAddress{"203.0.113.7", ""}));
}

TEST(ManifestParserTest, ServiceDefaults) {
  ClusterState state = Parse(R"(
apiVersion: v1
kind: Service
metadata: {name: single}
spec:
  ports: [{port: 8443, targetPort: 0}]
---
apiVersion: v1
kind: Service
metadata: {name: headless, namespace: ""}
spec: {clusterIP: None}
---
apiVersion: v1
kind: Service
metadata: {name: nospec}
)");
  ASSERT_EQ(state.services.size(), 3u);
  const Service& single = state.services.at({"default", "single"});
  EXPECT_EQ(single.type, "ClusterIP");
  ASSERT_EQ(single.ports.size(), 1u);
  EXPECT_EQ(single.ports[0].name, "");
  EXPECT_EQ(single.ports[0].protocol, "TCP");
  EXPECT_EQ(single.ports[0].target_port, (std::variant<uint32_t, std::string>(8443u)));
  EXPECT_THAT(state.services.at({"default", "headless"}).ports, IsEmpty());
  EXPECT_THAT(state.services.at({"default", "nospec"}).ports, IsEmpty());
}

TEST(ManifestParserTest, EndpointSlice) {
  ClusterState state = Parse(R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  namespace: shop
  labels:
    kubernetes.io/service-name: web
    endpointslice.kubernetes.io/managed-by: manual
addressType: IPv4
ports:
- name: http
  port: 8080
- name: dns
  protocol: UDP
- name: ""
  port: 9
endpoints:
- addresses: ["10.0.0.1"]
  conditions: {ready: true}
  zone: eu-west-1a
  nodeName: node-1
- addresses: ["10.0.0.2", "10.0.0.3"]
  conditions: {ready: false, serving: true, terminating: true}
- addresses: ["10.0.0.4"]
)");
  ASSERT_EQ(state.endpoint_slices.size(), 1u);
  const EndpointSlice& slice = state.endpoint_slices.at({"shop", "web-abc12"});
  EXPECT_EQ(slice.service_name, "web");
  EXPECT_EQ(slice.address_type, "IPv4");
  ASSERT_EQ(slice.ports.size(), 3u);
  EXPECT_EQ(slice.ports[0].name, "http");
  EXPECT_EQ(slice.ports[0].protocol, "TCP");
  EXPECT_EQ(slice.ports[0].port, 8080u);
  EXPECT_EQ(slice.ports[1].protocol, "UDP");
  EXPECT_EQ(slice.ports[1].port, std::nullopt);
  EXPECT_EQ(slice.ports[2].name, "");
  ASSERT_EQ(slice.endpoints.size(), 3u);
  EXPECT_THAT(slice.endpoints[0].addresses, ElementsAre("10.0.0.1"));
  EXPECT_EQ(slice.endpoints[0].zone, "eu-west-1a");
  EXPECT_EQ(slice.endpoints[0].node_name, "node-1");
  EXPECT_TRUE(slice.endpoints[0].conditions.ready);
  EXPECT_TRUE(slice.endpoints[0].conditions.serving);
  EXPECT_FALSE(slice.endpoints[0].conditions.terminating);
  EXPECT_THAT(slice.endpoints[1].addresses, ElementsAre("10.0.0.2", "10.0.0.3"));
  EXPECT_FALSE(slice.endpoints[1].conditions.ready);
  EXPECT_TRUE(slice.endpoints[1].conditions.serving);
  EXPECT_TRUE(slice.endpoints[1].conditions.terminating);
  // No conditions at all: ready and serving, not terminating.
  EXPECT_TRUE(slice.endpoints[2].conditions.ready);
  EXPECT_TRUE(slice.endpoints[2].conditions.serving);
  EXPECT_FALSE(slice.endpoints[2].conditions.terminating);
  EXPECT_EQ(slice.endpoints[2].zone, "");
}

TEST(ManifestParserTest, EndpointSliceAddressTypes) {
  ClusterState state = Parse(R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: v6}
addressType: IPv6
endpoints: [{addresses: ["fd00::1"]}, {addresses: ["::ffff:10.0.0.1"]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: names}
addressType: FQDN
endpoints: [{addresses: [db.example.com]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: empty}
addressType: IPv4
)");
  ASSERT_EQ(state.endpoint_slices.size(), 3u);
  EXPECT_EQ(state.endpoint_slices.at({"default", "v6"}).endpoints.size(), 2u);
  EXPECT_EQ(state.endpoint_slices.at({"default", "v6"}).service_name, "");
  EXPECT_THAT(state.endpoint_slices.at({"default", "names"}).endpoints[0].addresses,
              ElementsAre("db.example.com"));
  EXPECT_THAT(state.endpoint_slices.at({"default", "empty"}).endpoints, IsEmpty());
}

TEST(ManifestParserTest, JsonListAsFromKubectl) {
  ClusterState state = Parse(R"({
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Service",
     "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}},
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": {"name": "web-1", "namespace": "shop",
                  "labels": {"kubernetes.io/service-name": "web"}},
     "addressType": "IPv4",
     "endpoints": [{"addresses": ["10.1.2.3"], "conditions": {"ready": true}}],
     "ports": [{"port": 8080}]},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}
  ],
  "metadata": {"resourceVersion": ""}
})");
  EXPECT_THAT(state.services, ElementsAre(Pair(ObjectKey("shop", "web"), testing::_)));
  EXPECT_THAT(state.endpoint_slices, ElementsAre(Pair(ObjectKey("shop", "web-1"), testing::_)));
}

TEST(ManifestParserTest, UnknownKindsAreSkippedAndCounted) {
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("app.yaml", R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: 3, template: {spec: {containers: [{name: web, image: "web:1"}]}}}
---
apiVersion: discovery.k8s.io/v1beta1
kind: EndpointSlice
metadata: {name: old}
---
---
apiVersion: v1
kind: Service
metadata: {name: web}
)")
                  .ok());
  EXPECT_EQ(set.stats().files, 1);
  EXPECT_EQ(set.stats().documents, 3);
  EXPECT_EQ(set.stats().services, 1);
  EXPECT_EQ(set.stats().endpoint_slices, 0);
  EXPECT_EQ(set.stats().skipped_objects, 2);
  EXPECT_EQ(set.state().services.size(), 1u);
}

TEST(ManifestParserTest, EmptyFile) {
  ManifestSet set;
  EXPECT_TRUE(set.AddManifest("empty.yaml", "# nothing here\n").ok());
  EXPECT_THAT(set.state().services, IsEmpty());
  EXPECT_EQ(set.stats().documents, 0);
}

// The brief's example message, exactly.
TEST(ManifestParserTest, ErrorNamesFileDocumentObjectAndField) {
  EXPECT_EQ(ErrorOf(R"(
apiVersion: v1
kind: Service
metadata: {name: api}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - port: 70000
)"),
            "services.yaml: document 2 (Service default/web): spec.ports[0].port: must be an "
            "integer 1..65535");
}

TEST(ManifestParserTest, Ingress) {
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("ingress.yaml", R"(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: team-a
  creationTimestamp: "2026-03-04T05:06:07Z"
  annotations: {kubernetes.io/ingress.class: legacy}
spec:
  ingressClassName: strata
  defaultBackend:
    resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static}
  tls:
  - hosts: [shop.example.com, "*.shop.example.com"]
    secretName: shop-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
      - {path: /, pathType: Exact, backend: {service: {name: web, port: {number: 8080}}}}
      - {pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 8080}}}}
  - http:
      paths:
      - {path: /health, pathType: Exact, backend: {service: {name: web, port: {number: 8080}}}}
  - host: "*.shop.example.com"
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: strata
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec:
  controller: strata.dev/edge
)")
                  .ok());
  EXPECT_EQ(set.stats().ingresses, 1);
  EXPECT_EQ(set.stats().ingress_classes, 1);
  const ClusterState& state = set.state();
  ASSERT_EQ(state.ingresses.count(ObjectKey("team-a", "shop")), 1u);
  const Ingress& ingress = state.ingresses.at(ObjectKey("team-a", "shop"));
  EXPECT_EQ(ingress.ingress_class, "strata");  // the field wins over the annotation
  ASSERT_TRUE(ingress.created.has_value());
  EXPECT_EQ(*ingress.created, absl::FromUnixSeconds(1772600767));
  ASSERT_TRUE(ingress.default_backend.has_value());
  EXPECT_EQ(ingress.default_backend->resource_kind, "StorageBucket");
  EXPECT_EQ(ingress.default_backend->resource_name, "static");
  EXPECT_TRUE(ingress.default_backend->service_name.empty());
  ASSERT_EQ(ingress.tls.size(), 1u);
  EXPECT_THAT(ingress.tls[0].hosts, ElementsAre("shop.example.com", "*.shop.example.com"));
  EXPECT_EQ(ingress.tls[0].secret_name, "shop-tls");
  ASSERT_EQ(ingress.rules.size(), 3u);
  EXPECT_EQ(ingress.rules[0].host, "shop.example.com");
  ASSERT_EQ(ingress.rules[0].paths.size(), 3u);
  EXPECT_EQ(ingress.rules[0].paths[0].path, "/api");
  EXPECT_EQ(ingress.rules[0].paths[0].path_type, "Prefix");
  EXPECT_EQ(ingress.rules[0].paths[0].backend.service_name, "api");
  EXPECT_EQ(ingress.rules[0].paths[0].backend.service_port,
            (std::variant<uint32_t, std::string>(std::string("http"))));
  EXPECT_EQ(ingress.rules[0].paths[1].backend.service_port,
            (std::variant<uint32_t, std::string>(uint32_t{8080})));
  EXPECT_EQ(ingress.rules[0].paths[2].path, "");
  EXPECT_EQ(ingress.rules[1].host, "");  // every host
  EXPECT_EQ(ingress.rules[2].host, "*.shop.example.com");
  EXPECT_TRUE(ingress.rules[2].paths.empty());

  ASSERT_EQ(state.ingress_classes.count("strata"), 1u);
  const IngressClass& ingress_class = state.ingress_classes.at("strata");
  EXPECT_EQ(ingress_class.controller, "strata.dev/edge");
  EXPECT_TRUE(ingress_class.is_default);
}

TEST(ManifestParserTest, IngressDefaults) {
  ClusterState state = Parse(R"(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations: {kubernetes.io/ingress.class: legacy}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: other, namespace: ignored}
spec: {controller: example.com/other}
)");
  const Ingress& ingress = state.ingresses.at(ObjectKey("default", "web"));
  EXPECT_EQ(ingress.ingress_class, "legacy");  // the annotation, without the field
  EXPECT_FALSE(ingress.created.has_value());
  EXPECT_TRUE(ingress.rules.empty());
  EXPECT_FALSE(state.ingress_classes.at("other").is_default);
}

TEST(ManifestParserTest, IngressEquality) {
  const std::string manifest =
      "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec:\n"
      "  rules: [{host: a.example, http: {paths: [{path: /, pathType: Prefix, backend: "
      "{service: {name: web, port: {number: 80}}}}]}}]\n";
  ClusterState a = Parse(manifest);
  ClusterState b = Parse(manifest);
  EXPECT_TRUE(a == b);
  b.ingresses.begin()->second.rules[0].paths[0].path_type = "Exact";
  EXPECT_FALSE(a == b);
  b = a;
  b.ingresses.begin()->second.rules[0].paths[0].backend.service_port = std::string("http");
  EXPECT_FALSE(a == b);
}

constexpr char kIngressRoute[] = R"(
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata:
  name: shop
  namespace: team-a
  annotations: {kubernetes.io/ingress.class: traefik-edge}
spec:
  entryPoints: [websecure]
  routes:
  - match: Host(`shop.example.com`) && PathPrefix(`/api`)
    kind: Rule
    priority: 50
    services:
    - {name: api, port: http, weight: 3}
    - {name: api-canary, namespace: team-a, port: 8080, weight: 1, scheme: h2c, passHostHeader: false}
    middlewares:
    - {name: strip-api}
  - match: Host(`shop.example.com`)
    services:
    - {name: web, port: "80"}
    - {name: blend, kind: TraefikService}
  tls:
    secretName: shop-tls
    certResolver: letsencrypt
)";

TEST(ManifestParserTest, TraefikIngressRoute) {
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("routes.yaml", kIngressRoute).ok());
  EXPECT_EQ(set.stats().ingress_routes, 1);
  const IngressRoute& route = set.state().ingress_routes.at(ObjectKey("team-a", "shop"));
  EXPECT_EQ(route.api_group, "traefik.io");
  EXPECT_EQ(route.ingress_class, "traefik-edge");
  EXPECT_THAT(route.entry_points, ElementsAre("websecure"));
  ASSERT_EQ(route.routes.size(), 2u);
  EXPECT_EQ(route.routes[0].match, "Host(`shop.example.com`) && PathPrefix(`/api`)");
  EXPECT_EQ(route.routes[0].priority, 50);
  ASSERT_EQ(route.routes[0].services.size(), 2u);
  EXPECT_EQ(route.routes[0].services[0].port,
            (std::variant<uint32_t, std::string>(std::string("http"))));
  EXPECT_EQ(route.routes[0].services[0].weight, 3);
  EXPECT_TRUE(route.routes[0].services[0].pass_host_header);
  EXPECT_EQ(route.routes[0].services[1].port, (std::variant<uint32_t, std::string>(8080u)));
  EXPECT_EQ(route.routes[0].services[1].scheme, "h2c");
  EXPECT_FALSE(route.routes[0].services[1].pass_host_header);
  ASSERT_EQ(route.routes[0].middlewares.size(), 1u);
  EXPECT_EQ(route.routes[0].middlewares[0].name, "strip-api");
  EXPECT_EQ(route.routes[1].priority, 0);  // Traefik's default: the rule's length
  EXPECT_EQ(route.routes[1].services[0].port, (std::variant<uint32_t, std::string>(80u)));
  EXPECT_EQ(route.routes[1].services[1].kind, "TraefikService");
  EXPECT_FALSE(route.routes[1].services[1].weight.has_value());
  EXPECT_TRUE(route.tls);
  EXPECT_EQ(route.tls_secret_name, "shop-tls");
  EXPECT_EQ(route.tls_cert_resolver, "letsencrypt");
}

TEST(ManifestParserTest, TraefikIoWinsOverTheOldApiGroup) {
  std::string old_group = kIngressRoute;
  old_group.replace(old_group.find("traefik.io"), 10, "traefik.containo.us");
  old_group.replace(old_group.find("priority: 50"), 12, "priority: 7");
  for (bool old_first : {true, false}) {
    SCOPED_TRACE(old_first);
    ManifestSet set;
    ASSERT_TRUE(set.AddManifest("a.yaml", old_first ? old_group : kIngressRoute).ok());
    ASSERT_TRUE(set.AddManifest("b.yaml", old_first ? kIngressRoute : old_group).ok());
    const IngressRoute& route = set.state().ingress_routes.at(ObjectKey("team-a", "shop"));
    EXPECT_EQ(route.api_group, "traefik.io");
    EXPECT_EQ(route.routes[0].priority, 50);
  }
  // Within one group a second object of the same name is still a duplicate.
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("a.yaml", old_group).ok());
  EXPECT_THAT(set.AddManifest("b.yaml", old_group).message(), HasSubstr("duplicate object"));
}

struct ErrorCase {
  std::string name;
  std::string manifest;
  std::string error;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ManifestErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(ManifestErrorTest, ExactMessage) {
  EXPECT_EQ(ErrorOf(GetParam().manifest), GetParam().error);
}

constexpr char kSvc[] = "apiVersion: v1\nkind: Service\n";
constexpr char kSlice[] = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n";

std::string Svc(const std::string& rest) { return kSvc + rest; }
std::string Slice(const std::string& rest) { return kSlice + rest; }

constexpr char kI[] = "services.yaml: document 1 (Ingress default/web): ";
constexpr char kDns1035[] =
    "must be a DNS label: at most 63 characters of a-z, 0-9 and '-', starting with a letter and "
    "ending with a letter or digit";
constexpr char kGoodPath[] =
    "paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]";

std::string Ing(const std::string& spec) {
  return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n" + spec;
}
std::string IngRule(const std::string& host, const std::string& http) {
  return absl::StrCat("spec:\n  rules:\n  - ", host, "\n    http: {", http, "}\n");
}

constexpr char kIR[] = "services.yaml: document 1 (IngressRoute default/web): ";
std::string IR(const std::string& spec) {
  return "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: {name: web}\nspec:\n" +
         spec;
}

std::vector<ErrorCase> ErrorCases() {
  constexpr char kP[] = "services.yaml: document 1 (Service default/web): ";
  constexpr char kS[] = "services.yaml: document 1 (EndpointSlice default/web-1): ";
  const std::string web = "metadata: {name: web}\n";
  const std::string slice = "metadata: {name: web-1}\naddressType: IPv4\n";
  return {
      {"NotAnObject", "- a\n- b\n", "services.yaml: document 1: must be an object"},
      {"NoApiVersion", "kind: Service\n", "services.yaml: document 1: apiVersion: required"},
      {"EmptyKind", "apiVersion: v1\nkind: \"\"\n", "services.yaml: document 1: kind: required"},
      {"KindNotString", "apiVersion: v1\nkind: [Service]\n",
       "services.yaml: document 1: kind: must be a string"},
      {"NoMetadata", Svc(""), "services.yaml: document 1 (Service): metadata: required"},
      {"MetadataNotObject", Svc("metadata: web\n"),
       "services.yaml: document 1 (Service): metadata: must be an object"},
      {"NoName", Svc("metadata: {namespace: shop}\n"),
       "services.yaml: document 1 (Service): metadata.name: required"},
      {"BadName", Svc("metadata: {name: Web}\n"),
       "services.yaml: document 1 (Service default/Web): metadata.name: must be a DNS label: at "
       "most 63 characters of a-z, 0-9 and '-', starting with a letter and ending with a letter "
       "or digit"},
      {"ServiceNameStartsWithDigit", Svc("metadata: {name: 1web}\n"),
       "services.yaml: document 1 (Service default/1web): metadata.name: must be a DNS label: at "
       "most 63 characters of a-z, 0-9 and '-', starting with a letter and ending with a letter "
       "or digit"},
      {"BadNamespace", Svc("metadata: {name: web, namespace: my_ns}\n"),
       "services.yaml: document 1 (Service my_ns/web): metadata.namespace: must be a DNS label: "
       "at most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"},
      {"LabelNotString", Svc("metadata: {name: web, labels: {tier: 1}}\n"),
       absl::StrCat(kP, "metadata.labels.tier: must be a string")},
      {"BadType", Svc(web + "spec: {type: Magic}\n"),
       absl::StrCat(kP, "spec.type: must be ClusterIP, NodePort, LoadBalancer or ExternalName")},
      {"PortsNotList", Svc(web + "spec: {ports: {port: 80}}\n"),
       absl::StrCat(kP, "spec.ports: must be a list")},
      {"PortNotObject", Svc(web + "spec: {ports: [80]}\n"),
       absl::StrCat(kP, "spec.ports[0]: must be an object")},
      {"PortMissing", Svc(web + "spec: {ports: [{name: http}]}\n"),
       absl::StrCat(kP, "spec.ports[0].port: required")},
      {"PortZero", Svc(web + "spec: {ports: [{port: 0}]}\n"),
       absl::StrCat(kP, "spec.ports[0].port: must be an integer 1..65535")},
      {"PortString", Svc(web + "spec: {ports: [{port: \"80\"}]}\n"),
       absl::StrCat(kP, "spec.ports[0].port: must be an integer 1..65535")},
      {"PortFloat", Svc(web + "spec: {ports: [{port: 80.5}]}\n"),
       absl::StrCat(kP, "spec.ports[0].port: must be an integer 1..65535")},
      {"PortNameRequired", Svc(web + "spec: {ports: [{name: a, port: 80}, {port: 81}]}\n"),
       absl::StrCat(kP, "spec.ports[1].name: required when the Service has more than one port")},
      {"PortNameInvalid", Svc(web + "spec: {ports: [{name: HTTP, port: 80}]}\n"),
       absl::StrCat(kP,
                    "spec.ports[0].name: must be a DNS label: at most 63 characters of a-z, 0-9 "
                    "and '-', starting and ending with a letter or digit")},
      {"DuplicatePortName",
       Svc(web + "spec: {ports: [{name: a, port: 80}, {name: a, port: 81}]}\n"),
       absl::StrCat(kP, "spec.ports[1].name: duplicate port name \"a\"")},
      {"DuplicatePort", Svc(web + "spec: {ports: [{name: a, port: 80}, {name: b, port: 80}]}\n"),
       absl::StrCat(kP, "spec.ports[1]: duplicate port 80/TCP")},
      {"BadProtocol", Svc(web + "spec: {ports: [{port: 80, protocol: tcp}]}\n"),
       absl::StrCat(kP, "spec.ports[0].protocol: must be TCP, UDP or SCTP")},
      {"TargetPortOutOfRange", Svc(web + "spec: {ports: [{port: 80, targetPort: 70000}]}\n"),
       absl::StrCat(kP, "spec.ports[0].targetPort: must be an integer 1..65535 or a port name")},
      {"TargetPortBool", Svc(web + "spec: {ports: [{port: 80, targetPort: true}]}\n"),
       absl::StrCat(kP, "spec.ports[0].targetPort: must be an integer 1..65535 or a port name")},
      {"TargetPortDigits", Svc(web + "spec: {ports: [{port: 80, targetPort: \"8080\"}]}\n"),
       absl::StrCat(kP,
                    "spec.ports[0].targetPort: must be a port name: at most 15 characters of "
                    "a-z, 0-9 and '-', with a letter, no '--' and no '-' at either end")},
      {"TargetPortNameTooLong",
       Svc(web + "spec: {ports: [{port: 80, targetPort: a-very-long-port-name}]}\n"),
       absl::StrCat(kP,
                    "spec.ports[0].targetPort: must be a port name: at most 15 characters of "
                    "a-z, 0-9 and '-', with a letter, no '--' and no '-' at either end")},
      {"AppProtocolNotString", Svc(web + "spec: {ports: [{port: 80, appProtocol: 2}]}\n"),
       absl::StrCat(kP, "spec.ports[0].appProtocol: must be a string")},
      {"SliceBadName", Slice("metadata: {name: web_1}\naddressType: IPv4\n"),
       "services.yaml: document 1 (EndpointSlice default/web_1): metadata.name: must be a DNS "
       "subdomain: at most 253 characters, dot-separated DNS labels of a-z, 0-9 and '-'"},
      {"SliceNoAddressType", Slice("metadata: {name: web-1}\n"),
       absl::StrCat(kS, "addressType: required")},
      {"SliceBadAddressType", Slice("metadata: {name: web-1}\naddressType: ipv4\n"),
       absl::StrCat(kS, "addressType: must be IPv4, IPv6 or FQDN")},
      {"SliceServiceLabelNotString",
       Slice("metadata: {name: web-1, labels: {kubernetes.io/service-name: [web]}}\n"
             "addressType: IPv4\n"),
       absl::StrCat(kS, "metadata.labels[\"kubernetes.io/service-name\"]: must be a string")},
      {"EndpointsNotList", Slice(slice + "endpoints: {addresses: [10.0.0.1]}\n"),
       absl::StrCat(kS, "endpoints: must be a list")},
      {"NoAddresses", Slice(slice + "endpoints: [{addresses: [10.0.0.1]}, {zone: a}]\n"),
       absl::StrCat(kS, "endpoints[1].addresses: must have at least one address")},
      {"EmptyAddresses", Slice(slice + "endpoints: [{addresses: []}]\n"),
       absl::StrCat(kS, "endpoints[0].addresses: must have at least one address")},
      {"AddressNotString", Slice(slice + "endpoints: [{addresses: [10]}]\n"),
       absl::StrCat(kS, "endpoints[0].addresses[0]: must be a string")},
      {"BadIPv4", Slice(slice + "endpoints: [{addresses: [10.0.0.1, 10.0.0.256]}]\n"),
       absl::StrCat(kS, "endpoints[0].addresses[1]: must be an IPv4 address")},
      {"IPv6InIPv4Slice", Slice(slice + "endpoints: [{addresses: [\"fd00::1\"]}]\n"),
       absl::StrCat(kS, "endpoints[0].addresses[0]: must be an IPv4 address")},
      {"IPv4InIPv6Slice",
       Slice("metadata: {name: web-1}\naddressType: IPv6\nendpoints: [{addresses: [10.0.0.1]}]\n"),
       absl::StrCat(kS, "endpoints[0].addresses[0]: must be an IPv6 address")},
      {"ReadyNotBool",
       Slice(slice + "endpoints: [{addresses: [10.0.0.1], conditions: {ready: \"yes\"}}]\n"),
       absl::StrCat(kS, "endpoints[0].conditions.ready: must be true or false")},
      {"TerminatingNotBool",
       Slice(slice + "endpoints: [{addresses: [10.0.0.1], conditions: {terminating: 1}}]\n"),
       absl::StrCat(kS, "endpoints[0].conditions.terminating: must be true or false")},
      {"ConditionsNotObject",
       Slice(slice + "endpoints: [{addresses: [10.0.0.1], conditions: [ready]}]\n"),
       absl::StrCat(kS, "endpoints[0].conditions: must be an object")},
      {"SlicePortZero", Slice(slice + "ports: [{name: http, port: 0}]\n"),
       absl::StrCat(kS, "ports[0].port: must be an integer 1..65535")},
      {"SlicePortBadProtocol", Slice(slice + "ports: [{name: http, protocol: HTTP}]\n"),
       absl::StrCat(kS, "ports[0].protocol: must be TCP, UDP or SCTP")},
      {"SliceTwoUnnamedPorts", Slice(slice + "ports: [{port: 80}, {port: 81}]\n"),
       absl::StrCat(kS, "ports[1].name: only one port may be unnamed")},
      {"SliceDuplicatePortName", Slice(slice + "ports: [{name: a, port: 80}, {name: a}]\n"),
       absl::StrCat(kS, "ports[1].name: duplicate port name \"a\"")},
      {"NestedList",
       "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: []\n",
       "services.yaml: document 1, items[0]: a List inside a List is not supported"},
      {"ListItemsNotList", "apiVersion: v1\nkind: List\nitems: {}\n",
       "services.yaml: document 1: items: must be a list"},
      {"ListItemError",
       "apiVersion: v1\nkind: List\nitems:\n"
       "- {apiVersion: v1, kind: Service, metadata: {name: a}}\n"
       "- {apiVersion: v1, kind: Service, metadata: {name: b}, spec: {ports: [{port: -1}]}}\n",
       "services.yaml: document 1, items[1] (Service default/b): spec.ports[0].port: must be an "
       "integer 1..65535"},
      {"YamlSyntax", "apiVersion: v1\n kind: Service\n",
       "services.yaml: line 2, column 6: mapping values are not allowed in this context"},
      {"DuplicateKey", Svc("metadata: {name: web}\nmetadata: {name: api}\n"),
       "services.yaml: line 4, column 1: duplicate key \"metadata\""},
      {"DuplicateObject", Svc(web) + "---\n" + Svc("metadata: {name: web, namespace: default}\n"),
       "services.yaml: document 2 (Service default/web): duplicate object, first defined in "
       "services.yaml document 1"},
      {"IngressWithoutRulesOrDefault", Ing("spec: {tls: []}\n"),
       std::string(kI) + "spec: must have rules or a defaultBackend"},
      {"IngressNoSpec", Ing(""), std::string(kI) + "spec: required"},
      {"IngressHostIsIp", Ing(IngRule("host: 10.0.0.1", kGoodPath)),
       std::string(kI) + "spec.rules[0].host: must be a DNS name, not an IP address"},
      {"IngressHostWithPort", Ing(IngRule("host: shop.example:80", kGoodPath)),
       std::string(kI) + "spec.rules[0].host: must be a DNS name of lowercase a-z, 0-9, '-' and "
                         "'.' (no port), optionally with \"*\" as its whole first label"},
      {"IngressWildcardNotFirst", Ing(IngRule("host: shop.*.example", kGoodPath)),
       std::string(kI) + "spec.rules[0].host: must be a DNS name of lowercase a-z, 0-9, '-' and "
                         "'.' (no port), optionally with \"*\" as its whole first label"},
      {"IngressNoPaths", Ing(IngRule("host: a.example", "paths: []")),
       std::string(kI) + "spec.rules[0].http.paths: must have at least one path"},
      {"IngressNoPathType",
       Ing(IngRule("host: a.example",
                   "paths: [{path: /, backend: {service: {name: web, port: {number: 80}}}}]")),
       std::string(kI) + "spec.rules[0].http.paths[0].pathType: required"},
      {"IngressBadPathType",
       Ing(IngRule("host: a.example",
                   "paths: [{path: /, pathType: Regex, backend: {service: "
                   "{name: web, port: {number: 80}}}}]")),
       std::string(kI) +
           "spec.rules[0].http.paths[0].pathType: must be Exact, Prefix or ImplementationSpecific"},
      {"IngressRelativePath",
       Ing(IngRule("host: a.example",
                   "paths: [{path: api, pathType: Prefix, backend: {service: "
                   "{name: web, port: {number: 80}}}}]")),
       std::string(kI) +
           "spec.rules[0].http.paths[0].path: must be an absolute path (start with \"/\")"},
      {"IngressExactWithoutPath",
       Ing(IngRule("host: a.example",
                   "paths: [{pathType: Exact, backend: {service: "
                   "{name: web, port: {number: 80}}}}]")),
       std::string(kI) + "spec.rules[0].http.paths[0].path: required for pathType Exact"},
      {"IngressBackendBoth",
       Ing("spec:\n  defaultBackend: {service: {name: web, port: {number: 80}}, resource: {kind: "
           "Bucket, name: b}}\n"),
       std::string(kI) + "spec.defaultBackend: must have exactly one of service and resource"},
      {"IngressPortBoth",
       Ing("spec:\n  defaultBackend: {service: {name: web, port: {number: 80, name: http}}}\n"),
       std::string(kI) +
           "spec.defaultBackend.service.port: must have exactly one of number and name"},
      {"IngressPortMissing", Ing("spec:\n  defaultBackend: {service: {name: web}}\n"),
       std::string(kI) + "spec.defaultBackend.service.port: required"},
      {"IngressPortOutOfRange",
       Ing("spec:\n  defaultBackend: {service: {name: web, port: {number: 70000}}}\n"),
       std::string(kI) + "spec.defaultBackend.service.port.number: must be an integer 1..65535"},
      {"IngressServiceNameBad",
       Ing("spec:\n  defaultBackend: {service: {name: Web, port: {number: 80}}}\n"),
       std::string(kI) + "spec.defaultBackend.service.name: " + std::string(kDns1035)},
      {"IngressClassNameBad",
       Ing("spec:\n  ingressClassName: Edge_Class\n  defaultBackend: {service: {name: web, port: "
           "{number: 80}}}\n"),
       std::string(kI) + "spec.ingressClassName: must be a DNS subdomain: at most 253 "
                         "characters, dot-separated DNS labels of a-z, 0-9 and '-'"},
      {"IngressTlsHostBad",
       Ing("spec:\n  tls: [{hosts: [\"*\"]}]\n  defaultBackend: {service: {name: web, port: "
           "{number: 80}}}\n"),
       std::string(kI) + "spec.tls[0].hosts[0]: must be a DNS name of lowercase a-z, 0-9, '-' "
                         "and '.' (no port), optionally with \"*\" as its whole first label"},
      {"IngressCreationTimestampBad",
       "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, "
       "creationTimestamp: yesterday}\nspec: {defaultBackend: {service: {name: web, port: "
       "{number: 80}}}}\n",
       std::string(kI) +
           "metadata.creationTimestamp: must be an RFC 3339 time such as 2026-01-02T15:04:05Z"},
      {"IngressClassNoController",
       "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: edge}\n",
       "services.yaml: document 1 (IngressClass /edge): spec.controller: required"},
      {"IngressClassControllerNotDomainPrefixed",
       "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: edge}\nspec: "
       "{controller: strata}\n",
       "services.yaml: document 1 (IngressClass /edge): spec.controller: must be a "
       "domain-prefixed path such as \"example.com/edge\""},
      {"IngressRouteBadRule", IR("  routes:\n  - match: Host(`a.example`) && Hots(`b`)\n"),
       std::string(kIR) + "spec.routes[0].match: column 22: unknown matcher \"Hots\"; known: Host, "
                          "HostRegexp, Path, PathPrefix, PathRegexp, Header, HeaderRegexp, Method, "
                          "Query, QueryRegexp, ClientIP"},
      {"IngressRouteV2Syntax", IR("  routes:\n  - match: Host(`a`, `b`)\n    syntax: v2\n"),
       std::string(kIR) + "spec.routes[0].syntax: only the Traefik v3 rule syntax is supported; "
                          "rewrite the rule in it"},
      {"IngressRouteNoRoutes", IR("  entryPoints: [web]\n"),
       std::string(kIR) + "spec.routes: must have at least one route"},
      {"IngressRouteNoMatch", IR("  routes:\n  - kind: Rule\n"),
       std::string(kIR) + "spec.routes[0].match: required"},
      {"IngressRouteBadKind", IR("  routes:\n  - match: Host(`a`)\n    kind: Middleware\n"),
       std::string(kIR) + "spec.routes[0].kind: must be Rule"},
      {"IngressRouteNegativePriority", IR("  routes:\n  - match: Host(`a`)\n    priority: -1\n"),
       std::string(kIR) + "spec.routes[0].priority: must be a non-negative integer"},
      {"IngressRouteServiceKind",
       IR("  routes:\n  - match: Host(`a`)\n    services: [{name: a, kind: Pod}]\n"),
       std::string(kIR) + "spec.routes[0].services[0].kind: must be Service or TraefikService"},
      {"IngressRouteServicePort",
       IR("  routes:\n  - match: Host(`a`)\n    services: [{name: a, port: 0}]\n"),
       std::string(kIR) +
           "spec.routes[0].services[0].port: must be an integer 1..65535 or a port name"},
      {"IngressRouteServicePortString",
       IR("  routes:\n  - match: Host(`a`)\n    services: [{name: a, port: \"99999\"}]\n"),
       std::string(kIR) + "spec.routes[0].services[0].port: must be an integer 1..65535"},
      {"IngressRouteScheme",
       IR("  routes:\n  - match: Host(`a`)\n    services: [{name: a, scheme: ftp}]\n"),
       std::string(kIR) + "spec.routes[0].services[0].scheme: must be http, https or h2c"},
      {"IngressRouteMiddlewareName",
       IR("  routes:\n  - match: Host(`a`)\n    middlewares: [{namespace: x}]\n"),
       std::string(kIR) + "spec.routes[0].middlewares[0].name: required"},
      {"DuplicateObjectInList",
       Svc(web) + "---\napiVersion: v1\nkind: List\nitems:\n" +
           "- {apiVersion: v1, kind: Service, metadata: {name: web}}\n",
       "services.yaml: document 2, items[0] (Service default/web): duplicate object, first "
       "defined in services.yaml document 1"},
  };
}

INSTANTIATE_TEST_SUITE_P(All, ManifestErrorTest, testing::ValuesIn(ErrorCases()),
                         [](const testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

TEST(ManifestParserTest, SameNameDifferentKindOrNamespaceIsNoDuplicate) {
  ClusterState state = Parse(R"(
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web}
addressType: IPv4
)");
  EXPECT_EQ(state.services.size(), 2u);
  EXPECT_EQ(state.endpoint_slices.size(), 1u);
}

TEST(ManifestParserTest, DuplicateAcrossFilesNamesFirstFile) {
  ManifestSet set;
  ASSERT_TRUE(
      set.AddManifest("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n").ok());
  absl::Status status = set.AddManifest("b.yaml",
                                        "apiVersion: v1\nkind: Service\nmetadata: {name: y}\n---\n"
                                        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n");
  EXPECT_EQ(status.message(),
            "b.yaml: document 2 (Service default/x): duplicate object, first defined in a.yaml "
            "document 1");
  // The failed file added nothing, not even its first, valid, object.
  EXPECT_THAT(set.state().services, ElementsAre(Pair(ObjectKey("default", "x"), testing::_)));
  EXPECT_EQ(set.stats().files, 1);
}

TEST(ManifestParserTest, EqualityOperators) {
  ClusterState a = Parse(kWebService);
  ClusterState b = Parse(kWebService);
  EXPECT_TRUE(a == b);
  b.services.begin()->second.ports[1].target_port = uint32_t{9000};
  EXPECT_FALSE(a == b);
  b = a;
  b.services.begin()->second.ports[2].app_protocol = "dns";
  EXPECT_TRUE(a != b);
}

// ---- Namespace and the Gateway API

TEST(ManifestParserTest, Namespace) {
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("ns.yaml", R"(
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  namespace: ignored
  labels: {kubernetes.io/metadata.name: shop, team: checkout}
---
apiVersion: v1
kind: Namespace
metadata: {name: blog}
)")
                  .ok());
  EXPECT_EQ(set.stats().namespaces, 2);
  const ClusterState& state = set.state();
  ASSERT_EQ(state.namespaces.size(), 2u);
  const Namespace& shop = state.namespaces.at("shop");
  EXPECT_EQ(shop.name, "shop");
  EXPECT_EQ(shop.labels, (std::map<std::string, std::string>{
                             {"kubernetes.io/metadata.name", "shop"}, {"team", "checkout"}}));
  EXPECT_THAT(state.namespaces.at("blog").labels, IsEmpty());
}

TEST(ManifestParserTest, GatewayClass) {
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("classes.yaml", R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: strata, generation: 3}
spec:
  controllerName: strata.dev/gateway-controller
  description: ignored
  parametersRef: {group: strata.dev, kind: Config, name: edge}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: GatewayClass
metadata: {name: other}
spec: {controllerName: "example.com/a/b~c"}
)")
                  .ok());
  EXPECT_EQ(set.stats().gateway_classes, 2);
  const GatewayClass& strata = set.state().gateway_classes.at("strata");
  EXPECT_EQ(strata.name, "strata");
  EXPECT_EQ(strata.controller_name, "strata.dev/gateway-controller");
  EXPECT_EQ(strata.generation, 3);
  const GatewayClass& other = set.state().gateway_classes.at("other");
  EXPECT_EQ(other.controller_name, "example.com/a/b~c");
  EXPECT_EQ(other.generation, 0);
}

constexpr char kEdgeGateway[] = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
  namespace: infra
  creationTimestamp: "2026-03-04T05:06:07Z"
  generation: 7
  uid: 5f1c0d9e-0000-4000-8000-000000000001
spec:
  gatewayClassName: strata
  addresses: [{type: IPAddress, value: 10.0.0.9}]
  listeners:
  - name: http
    hostname: "*.example.com"
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces: {from: All}
  - name: https-shop
    hostname: shop.example.com
    port: 443
    protocol: HTTPS
    tls:
      mode: Terminate
      certificateRefs:
      - {group: "", kind: Secret, name: shop-tls, namespace: certs}
      - {name: shop-tls-ecdsa}
    allowedRoutes:
      namespaces:
        from: Selector
        selector:
          matchLabels: {tier: frontend}
          matchExpressions:
          - {key: team, operator: In, values: [shop, checkout]}
          - {key: legacy, operator: DoesNotExist}
      kinds:
      - {kind: HTTPRoute}
      - {group: example.com, kind: CustomRoute}
  - name: passthrough.db
    hostname: db.example.com
    port: 8443
    protocol: TLS
    tls: {mode: Passthrough}
  - name: raw
    port: 9000
    protocol: example.com/raw
)";

TEST(ManifestParserTest, Gateway) {
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("gateway.yaml", kEdgeGateway).ok());
  EXPECT_EQ(set.stats().gateways, 1);
  ASSERT_EQ(set.state().gateways.count(ObjectKey("infra", "edge")), 1u);
  const Gateway& gateway = set.state().gateways.at(ObjectKey("infra", "edge"));
  EXPECT_EQ(gateway.namespace_, "infra");
  EXPECT_EQ(gateway.name, "edge");
  EXPECT_EQ(gateway.created, absl::FromUnixSeconds(1772600767));
  EXPECT_EQ(gateway.generation, 7);
  EXPECT_EQ(gateway.uid, "5f1c0d9e-0000-4000-8000-000000000001");
  EXPECT_EQ(gateway.gateway_class_name, "strata");
  ASSERT_EQ(gateway.listeners.size(), 4u);

  const GatewayListener& http = gateway.listeners[0];
  EXPECT_EQ(http.name, "http");
  EXPECT_EQ(http.hostname, "*.example.com");
  EXPECT_EQ(http.port, 80u);
  EXPECT_EQ(http.protocol, "HTTP");
  EXPECT_EQ(http.tls_mode, "");
  EXPECT_THAT(http.certificate_refs, IsEmpty());
  EXPECT_EQ(http.allowed_from, "All");
  EXPECT_THAT(http.allowed_selector.match_labels, IsEmpty());
  EXPECT_THAT(http.allowed_selector.match_expressions, IsEmpty());
  EXPECT_THAT(http.allowed_kinds, IsEmpty());

  const GatewayListener& https = gateway.listeners[1];
  EXPECT_EQ(https.name, "https-shop");
  EXPECT_EQ(https.hostname, "shop.example.com");
  EXPECT_EQ(https.port, 443u);
  EXPECT_EQ(https.protocol, "HTTPS");
  EXPECT_EQ(https.tls_mode, "Terminate");
  ASSERT_EQ(https.certificate_refs.size(), 2u);
  EXPECT_EQ(https.certificate_refs[0].group, "");
  EXPECT_EQ(https.certificate_refs[0].kind, "Secret");
  EXPECT_EQ(https.certificate_refs[0].name, "shop-tls");
  EXPECT_EQ(https.certificate_refs[0].namespace_, "certs");
  EXPECT_EQ(https.certificate_refs[1].name, "shop-tls-ecdsa");
  EXPECT_EQ(https.certificate_refs[1].namespace_, "");
  EXPECT_EQ(https.allowed_from, "Selector");
  EXPECT_EQ(https.allowed_selector.match_labels,
            (std::map<std::string, std::string>{{"tier", "frontend"}}));
  ASSERT_EQ(https.allowed_selector.match_expressions.size(), 2u);
  EXPECT_EQ(https.allowed_selector.match_expressions[0].key, "team");
  EXPECT_EQ(https.allowed_selector.match_expressions[0].op, "In");
  EXPECT_THAT(https.allowed_selector.match_expressions[0].values, ElementsAre("shop", "checkout"));
  EXPECT_EQ(https.allowed_selector.match_expressions[1].key, "legacy");
  EXPECT_EQ(https.allowed_selector.match_expressions[1].op, "DoesNotExist");
  EXPECT_THAT(https.allowed_selector.match_expressions[1].values, IsEmpty());
  EXPECT_THAT(https.allowed_kinds, ElementsAre(GroupKind{"gateway.networking.k8s.io", "HTTPRoute"},
                                               GroupKind{"example.com", "CustomRoute"}));

  const GatewayListener& db = gateway.listeners[2];
  EXPECT_EQ(db.name, "passthrough.db");
  EXPECT_EQ(db.protocol, "TLS");
  EXPECT_EQ(db.tls_mode, "Passthrough");
  EXPECT_THAT(db.certificate_refs, IsEmpty());
  EXPECT_EQ(db.allowed_from, "Same");  // the default

  const GatewayListener& raw = gateway.listeners[3];
  EXPECT_EQ(raw.protocol, "example.com/raw");
  EXPECT_EQ(raw.hostname, "");
}

TEST(ManifestParserTest, GatewayDefaults) {
  ClusterState state = Parse(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: strata
  listeners:
  - {name: https, port: 443, protocol: https, tls: {certificateRefs: [{name: cert}]},
     allowedRoutes: {}}
  - {name: opts, port: 443, protocol: HTTPS, hostname: a.example.com,
     tls: {options: {example.com/cert-store: vault}}, allowedRoutes: {namespaces: {}}}
  - {name: wide, port: 443, protocol: HTTPS, hostname: "*.example.com",
     tls: {certificateRefs: [{name: cert}]},
     allowedRoutes: {namespaces: {from: Selector, selector: {}}}}
)");
  const Gateway& gateway = state.gateways.at(ObjectKey("default", "gw"));
  EXPECT_FALSE(gateway.created.has_value());
  EXPECT_EQ(gateway.generation, 0);
  EXPECT_EQ(gateway.uid, "");
  ASSERT_EQ(gateway.listeners.size(), 3u);
  const GatewayListener& https = gateway.listeners[0];
  EXPECT_EQ(https.protocol, "https");  // as written; core protocols are case-insensitive
  EXPECT_EQ(https.tls_mode, "Terminate");
  ASSERT_EQ(https.certificate_refs.size(), 1u);
  EXPECT_EQ(https.certificate_refs[0].group, "");
  EXPECT_EQ(https.certificate_refs[0].kind, "Secret");
  EXPECT_EQ(https.certificate_refs[0].namespace_, "");
  EXPECT_EQ(https.allowed_from, "Same");
  EXPECT_EQ(gateway.listeners[1].tls_mode, "Terminate");
  EXPECT_THAT(gateway.listeners[1].certificate_refs, IsEmpty());
  EXPECT_EQ(gateway.listeners[1].allowed_from, "Same");
  // An empty selector selects every namespace.
  EXPECT_EQ(gateway.listeners[2].allowed_from, "Selector");
  EXPECT_THAT(gateway.listeners[2].allowed_selector.match_labels, IsEmpty());
}

constexpr char kShopRoute[] = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: shop
  creationTimestamp: "2026-03-04T05:06:07Z"
  generation: 4
  uid: 5f1c0d9e-0000-4000-8000-000000000002
spec:
  parentRefs:
  - {group: gateway.networking.k8s.io, kind: Gateway, namespace: infra, name: edge,
     sectionName: https-shop, port: 443}
  - {name: internal}
  hostnames: [shop.example.com, "*.shop.example.com"]
  rules:
  - name: api
    matches:
    - path: {type: Exact, value: /api/v1/cart}
      headers:
      - {type: RegularExpression, name: X-Version, value: "v[0-9]+"}
      - {name: x-canary, value: "true"}
      queryParams:
      - {name: debug, value: "1"}
      method: POST
    - path: {type: PathPrefix, value: "/api/v1/orders/%7Bid%7D"}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Tier, value: edge}]
        add: [{name: X-Trace, value: "a,b"}, {name: Via, value: strata}]
        remove: [X-Internal, Cookie]
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: Cache-Control, value: no-store}]
    - type: URLRewrite
      urlRewrite:
        hostname: api.internal
        path: {type: ReplaceFullPath, replaceFullPath: /cart}
    backendRefs:
    - name: api
      namespace: shop
      port: 8080
      weight: 90
      filters:
      - type: RequestHeaderModifier
        requestHeaderModifier: {set: [{name: X-Backend, value: api}]}
    - {name: api-canary, port: 8080, weight: 10}
    timeouts: {request: 1h30m, backendRequest: 500ms}
    retry: {attempts: 3}
  - matches:
    - path: {type: PathPrefix, value: /old}
    filters:
    - type: RequestRedirect
      requestRedirect:
        scheme: https
        hostname: www.example.com
        port: 8443
        statusCode: 301
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}
  - matches:
    - path: {type: RegularExpression, value: "^/static/.*[.](css|js)$"}
    filters:
    - {type: ExtensionRef, extensionRef: {group: strata.dev, kind: Cache, name: static}}
    - {type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}}}
    backendRefs:
    - {group: storage.example.com, kind: Bucket, name: assets}
    timeouts: {request: 0s}
)";

TEST(ManifestParserTest, HttpRoute) {
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("routes.yaml", kShopRoute).ok());
  EXPECT_EQ(set.stats().http_routes, 1);
  ASSERT_EQ(set.state().http_routes.count(ObjectKey("shop", "web")), 1u);
  const HttpRoute& route = set.state().http_routes.at(ObjectKey("shop", "web"));
  EXPECT_EQ(route.namespace_, "shop");
  EXPECT_EQ(route.name, "web");
  EXPECT_EQ(route.created, absl::FromUnixSeconds(1772600767));
  EXPECT_EQ(route.generation, 4);
  EXPECT_EQ(route.uid, "5f1c0d9e-0000-4000-8000-000000000002");
  ParentReference edge;
  edge.namespace_ = "infra";
  edge.name = "edge";
  edge.section_name = "https-shop";
  edge.port = 443;
  ParentReference internal;
  internal.name = "internal";
  EXPECT_THAT(route.parent_refs, ElementsAre(edge, internal));
  EXPECT_EQ(route.parent_refs[1].group, "gateway.networking.k8s.io");
  EXPECT_EQ(route.parent_refs[1].kind, "Gateway");
  EXPECT_THAT(route.hostnames, ElementsAre("shop.example.com", "*.shop.example.com"));
  ASSERT_EQ(route.rules.size(), 3u);

  const HttpRouteRule& api = route.rules[0];
  EXPECT_EQ(api.name, "api");
  ASSERT_EQ(api.matches.size(), 2u);
  EXPECT_EQ(api.matches[0].path.type, "Exact");
  EXPECT_EQ(api.matches[0].path.value, "/api/v1/cart");
  ASSERT_EQ(api.matches[0].headers.size(), 2u);
  EXPECT_EQ(api.matches[0].headers[0].type, "RegularExpression");
  EXPECT_EQ(api.matches[0].headers[0].name, "X-Version");
  EXPECT_EQ(api.matches[0].headers[0].value, "v[0-9]+");
  EXPECT_EQ(api.matches[0].headers[1].type, "Exact");
  EXPECT_EQ(api.matches[0].headers[1].name, "x-canary");
  EXPECT_EQ(api.matches[0].headers[1].value, "true");
  ASSERT_EQ(api.matches[0].query_params.size(), 1u);
  EXPECT_EQ(api.matches[0].query_params[0].type, "Exact");
  EXPECT_EQ(api.matches[0].query_params[0].name, "debug");
  EXPECT_EQ(api.matches[0].query_params[0].value, "1");
  EXPECT_EQ(api.matches[0].method, "POST");
  EXPECT_EQ(api.matches[1].path.type, "PathPrefix");
  EXPECT_EQ(api.matches[1].path.value, "/api/v1/orders/%7Bid%7D");
  EXPECT_THAT(api.matches[1].headers, IsEmpty());
  EXPECT_EQ(api.matches[1].method, "");

  ASSERT_EQ(api.filters.size(), 3u);
  EXPECT_EQ(api.filters[0].type, "RequestHeaderModifier");
  ASSERT_TRUE(api.filters[0].request_header_modifier.has_value());
  const HttpHeaderFilter& request_headers = *api.filters[0].request_header_modifier;
  ASSERT_EQ(request_headers.set.size(), 1u);
  EXPECT_EQ(request_headers.set[0].name, "X-Tier");
  EXPECT_EQ(request_headers.set[0].value, "edge");
  ASSERT_EQ(request_headers.add.size(), 2u);
  EXPECT_EQ(request_headers.add[0].name, "X-Trace");
  EXPECT_EQ(request_headers.add[0].value, "a,b");
  EXPECT_EQ(request_headers.add[1].name, "Via");
  EXPECT_THAT(request_headers.remove, ElementsAre("X-Internal", "Cookie"));
  EXPECT_FALSE(api.filters[0].response_header_modifier.has_value());
  EXPECT_FALSE(api.filters[0].request_redirect.has_value());
  EXPECT_FALSE(api.filters[0].url_rewrite.has_value());
  EXPECT_EQ(api.filters[1].type, "ResponseHeaderModifier");
  ASSERT_TRUE(api.filters[1].response_header_modifier.has_value());
  EXPECT_FALSE(api.filters[1].request_header_modifier.has_value());
  ASSERT_EQ(api.filters[1].response_header_modifier->set.size(), 1u);
  EXPECT_EQ(api.filters[1].response_header_modifier->set[0].name, "Cache-Control");
  EXPECT_EQ(api.filters[1].response_header_modifier->set[0].value, "no-store");
  EXPECT_EQ(api.filters[2].type, "URLRewrite");
  ASSERT_TRUE(api.filters[2].url_rewrite.has_value());
  EXPECT_EQ(api.filters[2].url_rewrite->hostname, "api.internal");
  ASSERT_TRUE(api.filters[2].url_rewrite->path.has_value());
  EXPECT_EQ(api.filters[2].url_rewrite->path->type, "ReplaceFullPath");
  EXPECT_EQ(api.filters[2].url_rewrite->path->value, "/cart");

  ASSERT_EQ(api.backend_refs.size(), 2u);
  const HttpBackendRef& backend = api.backend_refs[0];
  EXPECT_EQ(backend.group, "");
  EXPECT_EQ(backend.kind, "Service");
  EXPECT_EQ(backend.name, "api");
  EXPECT_EQ(backend.namespace_, "shop");
  EXPECT_EQ(backend.port, 8080u);
  EXPECT_EQ(backend.weight, 90);
  ASSERT_EQ(backend.filters.size(), 1u);
  EXPECT_EQ(backend.filters[0].type, "RequestHeaderModifier");
  ASSERT_TRUE(backend.filters[0].request_header_modifier.has_value());
  EXPECT_EQ(backend.filters[0].request_header_modifier->set[0].value, "api");
  EXPECT_EQ(api.backend_refs[1].name, "api-canary");
  EXPECT_EQ(api.backend_refs[1].namespace_, "");
  EXPECT_EQ(api.backend_refs[1].weight, 10);
  EXPECT_THAT(api.backend_refs[1].filters, IsEmpty());
  EXPECT_EQ(api.request_timeout, absl::Minutes(90));

  const HttpRouteRule& old = route.rules[1];
  EXPECT_EQ(old.name, "");
  ASSERT_EQ(old.filters.size(), 1u);
  ASSERT_TRUE(old.filters[0].request_redirect.has_value());
  const HttpRequestRedirect& redirect = *old.filters[0].request_redirect;
  EXPECT_EQ(redirect.scheme, "https");
  EXPECT_EQ(redirect.hostname, "www.example.com");
  EXPECT_EQ(redirect.port, 8443u);
  EXPECT_EQ(redirect.status_code, 301);
  ASSERT_TRUE(redirect.path.has_value());
  EXPECT_EQ(redirect.path->type, "ReplacePrefixMatch");
  EXPECT_EQ(redirect.path->value, "/new");
  EXPECT_THAT(old.backend_refs, IsEmpty());
  EXPECT_FALSE(old.request_timeout.has_value());

  const HttpRouteRule& assets = route.rules[2];
  EXPECT_EQ(assets.matches[0].path.type, "RegularExpression");
  EXPECT_EQ(assets.matches[0].path.value, "^/static/.*[.](css|js)$");
  ASSERT_EQ(assets.filters.size(), 2u);
  EXPECT_EQ(assets.filters[0].type, "ExtensionRef");
  EXPECT_EQ(assets.filters[1].type, "RequestMirror");
  ASSERT_EQ(assets.backend_refs.size(), 1u);
  EXPECT_EQ(assets.backend_refs[0].group, "storage.example.com");
  EXPECT_EQ(assets.backend_refs[0].kind, "Bucket");
  EXPECT_EQ(assets.backend_refs[0].port, std::nullopt);     // not a Service: no port needed
  EXPECT_EQ(assets.request_timeout, absl::ZeroDuration());  // zero: no timeout
}

TEST(ManifestParserTest, HttpRouteDefaults) {
  ClusterState state = Parse(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: everything}
spec:
  parentRefs: [{name: edge}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: partial}
spec:
  parentRefs: [{name: edge, group: "", kind: Service}]
  rules:
  - backendRefs: [{name: web, port: 80}]
  - matches: [{}, {path: {value: /docs}}, {path: {type: Exact}}, {headers: [{name: a, value: b}]}]
  - matches: []
    filters: [{type: RequestRedirect, requestRedirect: {}}]
  - filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch,
                                                      replacePrefixMatch: ""}}}]
)");
  const HttpRoute& everything = state.http_routes.at(ObjectKey("default", "everything"));
  EXPECT_FALSE(everything.created.has_value());
  EXPECT_EQ(everything.generation, 0);
  EXPECT_THAT(everything.hostnames, IsEmpty());
  ASSERT_EQ(everything.parent_refs.size(), 1u);
  EXPECT_EQ(everything.parent_refs[0].group, "gateway.networking.k8s.io");
  EXPECT_EQ(everything.parent_refs[0].kind, "Gateway");
  EXPECT_EQ(everything.parent_refs[0].namespace_, "");
  EXPECT_EQ(everything.parent_refs[0].section_name, "");
  EXPECT_EQ(everything.parent_refs[0].port, std::nullopt);
  // No rules: the CRD's default, one rule matching PathPrefix "/".
  ASSERT_EQ(everything.rules.size(), 1u);
  ASSERT_EQ(everything.rules[0].matches.size(), 1u);
  EXPECT_EQ(everything.rules[0].matches[0].path.type, "PathPrefix");
  EXPECT_EQ(everything.rules[0].matches[0].path.value, "/");
  EXPECT_THAT(everything.rules[0].backend_refs, IsEmpty());

  const HttpRoute& partial = state.http_routes.at(ObjectKey("default", "partial"));
  EXPECT_EQ(partial.parent_refs[0].group, "");  // set explicitly to the core group
  EXPECT_EQ(partial.parent_refs[0].kind, "Service");
  ASSERT_EQ(partial.rules.size(), 4u);
  const HttpRouteRule& backends = partial.rules[0];
  ASSERT_EQ(backends.matches.size(), 1u);  // absent matches: PathPrefix "/"
  EXPECT_EQ(backends.matches[0].path.type, "PathPrefix");
  EXPECT_EQ(backends.matches[0].path.value, "/");
  EXPECT_EQ(backends.backend_refs[0].group, "");
  EXPECT_EQ(backends.backend_refs[0].kind, "Service");
  EXPECT_EQ(backends.backend_refs[0].weight, 1);
  EXPECT_FALSE(backends.request_timeout.has_value());
  const HttpRouteRule& matches = partial.rules[1];
  ASSERT_EQ(matches.matches.size(), 4u);
  EXPECT_EQ(matches.matches[0].path.type, "PathPrefix");
  EXPECT_EQ(matches.matches[0].path.value, "/");
  EXPECT_EQ(matches.matches[1].path.type, "PathPrefix");
  EXPECT_EQ(matches.matches[1].path.value, "/docs");
  EXPECT_EQ(matches.matches[2].path.type, "Exact");
  EXPECT_EQ(matches.matches[2].path.value, "/");
  EXPECT_EQ(matches.matches[3].headers[0].type, "Exact");
  // An explicit empty list stays empty (and still means PathPrefix "/").
  EXPECT_THAT(partial.rules[2].matches, IsEmpty());
  const HttpRequestRedirect& redirect = *partial.rules[2].filters[0].request_redirect;
  EXPECT_EQ(redirect.status_code, 302);
  EXPECT_EQ(redirect.scheme, "");
  EXPECT_EQ(redirect.hostname, "");
  EXPECT_EQ(redirect.port, std::nullopt);
  EXPECT_FALSE(redirect.path.has_value());
  const HttpUrlRewrite& rewrite = *partial.rules[3].filters[0].url_rewrite;
  EXPECT_EQ(rewrite.hostname, "");
  ASSERT_TRUE(rewrite.path.has_value());
  EXPECT_EQ(rewrite.path->type, "ReplacePrefixMatch");
  EXPECT_EQ(rewrite.path->value, "");
}

TEST(ManifestParserTest, HttpRouteStatusControllersAreReadLeniently) {
  const ClusterState state = Parse(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: edge}]
status:
  parents:
  - {controllerName: strata.dev/gateway-controller, parentRef: {name: edge}}
  - {controllerName: example.com/other}
  - 7
  - {controllerName: 5}
)");
  EXPECT_THAT(state.http_routes.at(ObjectKey("shop", "web")).status_controllers,
              ElementsAre("example.com/other", "strata.dev/gateway-controller"));
  // A status that is not even an object does not drop the route.
  const ClusterState odd = Parse(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: edge}]
status: [1, 2]
)");
  EXPECT_THAT(odd.http_routes.at(ObjectKey("shop", "web")).status_controllers, IsEmpty());
}

TEST(ManifestParserTest, HttpRouteDurations) {
  const std::pair<std::string, absl::Duration> cases[] = {
      {"10s", absl::Seconds(10)},
      {"500ms", absl::Milliseconds(500)},
      {"1h30m", absl::Minutes(90)},
      {"1m1s1ms1h", absl::Hours(1) + absl::Minutes(1) + absl::Seconds(1) + absl::Milliseconds(1)},
      {"99999ms", absl::Milliseconds(99999)},
      {"0s", absl::ZeroDuration()},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    ClusterState state = Parse(absl::StrCat(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\n"
        "spec: {rules: [{timeouts: {request: ",
        text, "}}]}\n"));
    EXPECT_EQ(state.http_routes.at(ObjectKey("default", "r")).rules.at(0).request_timeout,
              expected);
  }
}

// References to one parent must differ in sectionName (standard channel) or in sectionName
// and port (experimental channel); either is accepted.
TEST(ManifestParserTest, HttpRouteParentRefsToOneGateway) {
  ClusterState state = Parse(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: sections}
spec:
  parentRefs: [{name: edge, sectionName: http}, {name: edge, sectionName: https},
               {name: edge, namespace: other}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ports}
spec:
  parentRefs: [{name: edge, port: 80}, {name: edge, port: 443}]
)");
  EXPECT_EQ(state.http_routes.at(ObjectKey("default", "sections")).parent_refs.size(), 3u);
  EXPECT_EQ(state.http_routes.at(ObjectKey("default", "ports")).parent_refs.size(), 2u);
}

TEST(ManifestParserTest, ReferenceGrant) {
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("grants.yaml", R"(
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: routes-to-api, namespace: shop}
spec:
  from:
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: front}
  - {group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}
  to:
  - {group: "", kind: Service, name: api}
  - {group: "", kind: Secret}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: old-style, namespace: shop}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: blog}]
  to: [{group: "", kind: Service}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: empty, namespace: shop}
)")
                  .ok());
  EXPECT_EQ(set.stats().reference_grants, 3);
  const ReferenceGrant& grant = set.state().reference_grants.at(ObjectKey("shop", "routes-to-api"));
  EXPECT_EQ(grant.namespace_, "shop");
  EXPECT_EQ(grant.name, "routes-to-api");
  ASSERT_EQ(grant.from.size(), 2u);
  EXPECT_EQ(grant.from[0].group, "gateway.networking.k8s.io");
  EXPECT_EQ(grant.from[0].kind, "HTTPRoute");
  EXPECT_EQ(grant.from[0].namespace_, "front");
  EXPECT_EQ(grant.from[1].kind, "Gateway");
  EXPECT_EQ(grant.from[1].namespace_, "infra");
  ASSERT_EQ(grant.to.size(), 2u);
  EXPECT_EQ(grant.to[0].group, "");
  EXPECT_EQ(grant.to[0].kind, "Service");
  EXPECT_EQ(grant.to[0].name, "api");
  EXPECT_EQ(grant.to[1].kind, "Secret");
  EXPECT_EQ(grant.to[1].name, "");  // every Secret of the namespace
  const ReferenceGrant& old = set.state().reference_grants.at(ObjectKey("shop", "old-style"));
  ASSERT_EQ(old.from.size(), 1u);
  EXPECT_EQ(old.from[0].namespace_, "blog");
  // spec is optional in the CRD: such a grant grants nothing.
  const ReferenceGrant& empty = set.state().reference_grants.at(ObjectKey("shop", "empty"));
  EXPECT_THAT(empty.from, IsEmpty());
  EXPECT_THAT(empty.to, IsEmpty());
}

TEST(ManifestParserTest, GatewayApiVersionsAreOneKind) {
  std::string beta = kShopRoute;
  beta.replace(beta.find("/v1\n"), 4, "/v1beta1\n");
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("beta.yaml", beta).ok());
  EXPECT_EQ(set.state().http_routes.at(ObjectKey("shop", "web")).rules.size(), 3u);
  // The same HTTPRoute in v1 is the same object of the API server: a duplicate.
  EXPECT_EQ(set.AddManifest("v1.yaml", kShopRoute).message(),
            "v1.yaml: document 1 (HTTPRoute shop/web): duplicate object, first defined in "
            "beta.yaml document 1");
  // Another kind with the same name is not.
  EXPECT_TRUE(set.AddManifest("gw.yaml",
                              "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                              "metadata: {name: web, namespace: shop}\nspec:\n"
                              "  gatewayClassName: c\n"
                              "  listeners: [{name: http, port: 80, protocol: HTTP}]\n")
                  .ok());
  // Other versions of the group are other kinds, skipped.
  ManifestSet alpha;
  ASSERT_TRUE(alpha
                  .AddManifest("alpha.yaml",
                               "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: "
                               "TLSRoute\nmetadata: {name: t}\n---\napiVersion: "
                               "gateway.networking.k8s.io/v1alpha2\nkind: ReferenceGrant\n"
                               "metadata: {name: g}\n")
                  .ok());
  EXPECT_EQ(alpha.stats().skipped_objects, 2);
  EXPECT_THAT(alpha.state().reference_grants, IsEmpty());
}

TEST(ManifestParserTest, GatewayApiEquality) {
  const std::string manifest = absl::StrCat(kEdgeGateway, "---", kShopRoute, R"(
---
apiVersion: v1
kind: Namespace
metadata: {name: other-shop, labels: {team: b}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: other-strata, generation: 3}
spec: {controllerName: strata.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: g, namespace: shop}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: blog}]
  to: [{group: "", kind: Service}]
)");
  ClusterState a = Parse(manifest);
  ClusterState b = Parse(manifest);
  EXPECT_TRUE(a == b);
  // Every changed entry below exists in both states: a change of content, not a new key.
  ASSERT_TRUE(a.namespaces.contains("other-shop"));
  ASSERT_TRUE(a.gateway_classes.contains("other-strata"));
  ASSERT_TRUE(a.reference_grants.contains(ObjectKey("shop", "g")));
  b.http_routes.begin()->second.rules[0].filters[0].request_header_modifier->remove.pop_back();
  EXPECT_FALSE(a == b);
  b = a;
  b.http_routes.begin()->second.rules[1].filters[0].request_redirect->status_code = 302;
  EXPECT_FALSE(a == b);
  b = a;
  b.http_routes.begin()->second.rules[0].request_timeout = absl::Seconds(1);
  EXPECT_FALSE(a == b);
  b = a;
  b.http_routes.begin()->second.parent_refs[1].port = 80;
  EXPECT_FALSE(a == b);
  b = a;
  b.gateways.begin()->second.listeners[1].allowed_selector.match_expressions[0].values.clear();
  EXPECT_FALSE(a == b);
  b = a;
  b.gateways.begin()->second.listeners[1].certificate_refs[1].namespace_ = "x";
  EXPECT_FALSE(a == b);
  b = a;
  b.namespaces.at("other-shop").labels["team"] = "a";
  EXPECT_FALSE(a == b);
  b = a;
  b.gateway_classes.at("other-strata").generation = 1;
  EXPECT_FALSE(a == b);
  b = a;
  b.gateway_classes.at("other-strata").controller_name = "x/y";
  EXPECT_FALSE(a == b);
  b = a;
  b.reference_grants.at(ObjectKey("shop", "g")).to[0].name = "web";
  EXPECT_FALSE(a == b);
  b = a;
  b.reference_grants.at(ObjectKey("shop", "g")).from[0].namespace_ = "news";
  EXPECT_FALSE(a == b);
}

// ---- Errors in Gateway API objects.

constexpr char kHR[] = "services.yaml: document 1 (HTTPRoute default/web): ";
constexpr char kGW[] = "services.yaml: document 1 (Gateway default/gw): ";
constexpr char kHostnameMessage[] =
    "must be a hostname: dot-separated labels of a-z, 0-9 and '-', each starting and ending "
    "with a letter or digit (at most 253 characters, no IP address, no port), optionally "
    "starting with \"*.\"";
constexpr char kPathCharacters[] =
    "must only contain the characters of a URL path (letters, digits, -/._~!$&'()*+,;=:@) and "
    "%-escapes of two hex digits";
constexpr char kDurationMessage[] =
    "must be a Gateway API duration: 1 to 4 groups of up to 5 digits and a unit h, m, s or ms, "
    "such as \"1h30m\" or \"500ms\"";
constexpr char kHeaderNameMessage[] =
    "must be an HTTP header name (an RFC 7230 token): at most 256 characters of letters, digits "
    "and !#$%&'*+-.^_`|~";

// An HTTPRoute default/web with this spec (block YAML, indented by two).
std::string HR(const std::string& spec) {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web}\n"
         "spec:\n" +
         spec;
}
// An HTTPRoute with one rule, written as a flow mapping.
std::string Rule(const std::string& rule) { return HR("  rules:\n  - " + rule + "\n"); }
// An HTTPRoute with one rule with this filter (a flow mapping).
std::string Filter(const std::string& filter) { return Rule("{filters: [" + filter + "]}"); }
// A Gateway default/gw with these listeners (flow mappings, one per line).
std::string GW(const std::vector<std::string>& listeners) {
  std::string out =
      "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n"
      "  gatewayClassName: strata\n  listeners:\n";
  for (const std::string& listener : listeners) absl::StrAppend(&out, "  - ", listener, "\n");
  return out;
}
// `n` copies of `item`, comma-separated.
std::string Repeat(const std::string& item, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, i == 0 ? "" : ", ", item);
  return out;
}
// `n` items made by `make(i)`, comma-separated.
template <typename F>
std::string Generate(int n, F make) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, i == 0 ? "" : ", ", make(i));
  return out;
}
std::string Selector(const std::string& selector) {
  return GW(
      {"{name: a, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, "
       "selector: " +
       selector + "}}}"});
}
constexpr char kSelectorPath[] = "spec.listeners[0].allowedRoutes.namespaces.selector";

std::vector<ErrorCase> GatewayApiErrorCases() {
  const std::string path_prefix = "spec.rules[0].matches[0].path.value: ";
  auto path = [](const std::string& value) {
    return Rule("{matches: [{path: {value: \"" + value + "\"}}]}");
  };
  const std::string http = "{name: http, port: 80, protocol: HTTP}";
  const std::string cert = "tls: {certificateRefs: [{name: c}]}";
  // 3 rules of 43 matches: 129 in all.
  std::string many_matches = HR("  rules:\n");
  for (int i = 0; i < 3; ++i)
    absl::StrAppend(&many_matches, "  - {matches: [", Repeat("{}", 43), "]}\n");
  std::vector<std::string> many_listeners;
  for (int i = 0; i < 65; ++i) {
    many_listeners.push_back(
        absl::StrCat("{name: l", i, ", port: ", 1000 + i, ", protocol: HTTP}"));
  }
  return {
      // The brief's example, exactly.
      {"PathWithoutSlash",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
       "metadata: {name: web, namespace: shop}\nspec:\n"
       "  rules: [{matches: [{path: {value: /ok}}, {path: {type: PathPrefix, value: api}}]}]\n",
       "services.yaml: document 1 (HTTPRoute shop/web): spec.rules[0].matches[1].path.value: "
       "must start with \"/\""},
      {"ExactPathWithoutSlash", Rule("{matches: [{path: {type: Exact, value: api}}]}"),
       kHR + path_prefix + "must start with \"/\""},
      {"EmptyPath", path(""), kHR + path_prefix + "must start with \"/\""},
      {"PathDoubleSlash", path("/a//b"), kHR + path_prefix + "must not contain \"//\""},
      {"PathDotSegment", path("/a/./b"), kHR + path_prefix + "must not contain \"/./\""},
      {"PathDotDotSegment", path("/a/../b"), kHR + path_prefix + "must not contain \"/../\""},
      {"PathEncodedSlash", path("/a%2fb"), kHR + path_prefix + "must not contain \"%2f\""},
      {"PathEncodedSlashUpper", path("/a%2Fb"), kHR + path_prefix + "must not contain \"%2F\""},
      {"PathFragment", path("/a#b"), kHR + path_prefix + "must not contain \"#\""},
      {"PathEndsInDotDot", path("/a/.."), kHR + path_prefix + "must not end with \"/..\""},
      {"PathEndsInDot", path("/a/."), kHR + path_prefix + "must not end with \"/.\""},
      {"PathSpace", path("/a b"), kHR + path_prefix + kPathCharacters},
      {"PathBadEscape", path("/a%zz"), kHR + path_prefix + kPathCharacters},
      {"PathShortEscape", path("/a%2"), kHR + path_prefix + kPathCharacters},
      {"PathTooLong", path("/" + std::string(1024, 'a')),
       kHR + path_prefix + "must be at most 1024 characters"},
      {"PathBadType", Rule("{matches: [{path: {type: Prefix, value: /}}]}"),
       kHR + std::string("spec.rules[0].matches[0].path.type: must be Exact, PathPrefix or "
                         "RegularExpression")},
      {"PathNotObject", Rule("{matches: [{path: /a}]}"),
       kHR + std::string("spec.rules[0].matches[0].path: must be an object")},
      {"HeaderNameWithSpace", Rule("{matches: [{headers: [{name: \"x y\", value: v}]}]}"),
       kHR + std::string("spec.rules[0].matches[0].headers[0].name: ") + kHeaderNameMessage},
      {"HeaderNamePseudo", Rule("{matches: [{headers: [{name: \":method\", value: GET}]}]}"),
       kHR + std::string("spec.rules[0].matches[0].headers[0].name: ") + kHeaderNameMessage},
      {"HeaderNameMissing", Rule("{matches: [{headers: [{value: v}]}]}"),
       kHR + std::string("spec.rules[0].matches[0].headers[0].name: required")},
      {"HeaderValueMissing", Rule("{matches: [{headers: [{name: a}]}]}"),
       kHR + std::string("spec.rules[0].matches[0].headers[0].value: required")},
      {"HeaderValueTooLong",
       Rule("{matches: [{headers: [{name: a, value: " + std::string(4097, 'v') + "}]}]}"),
       kHR + std::string("spec.rules[0].matches[0].headers[0].value: must be at most 4096 "
                         "characters")},
      {"HeaderDuplicate",
       Rule("{matches: [{headers: [{name: a, value: b}, {name: c, value: d}, {name: a, value: "
            "e}]}]}"),
       kHR + std::string("spec.rules[0].matches[0].headers[2].name: duplicate name \"a\"")},
      {"HeaderBadType", Rule("{matches: [{headers: [{type: Prefix, name: a, value: b}]}]}"),
       kHR + std::string("spec.rules[0].matches[0].headers[0].type: must be Exact or "
                         "RegularExpression")},
      {"TooManyHeaders",
       Rule("{matches: [{headers: [" +
            Generate(17, [](int i) { return absl::StrCat("{name: h", i, ", value: v}"); }) +
            "]}]}"),
       kHR + std::string("spec.rules[0].matches[0].headers: must have at most 16 items")},
      {"QueryValueTooLong",
       Rule("{matches: [{queryParams: [{name: q, value: " + std::string(1025, 'v') + "}]}]}"),
       kHR + std::string("spec.rules[0].matches[0].queryParams[0].value: must be at most 1024 "
                         "characters")},
      {"QueryDuplicate",
       Rule("{matches: [{queryParams: [{name: q, value: a}, {name: q, value: b}]}]}"),
       kHR + std::string("spec.rules[0].matches[0].queryParams[1].name: duplicate name \"q\"")},
      {"MethodLowercase", Rule("{matches: [{method: get}]}"),
       kHR + std::string("spec.rules[0].matches[0].method: must be GET, HEAD, POST, PUT, DELETE, "
                         "CONNECT, OPTIONS, TRACE or PATCH")},
      {"TooManyMatches", Rule("{matches: [" + Repeat("{}", 65) + "]}"),
       kHR + std::string("spec.rules[0].matches: must have at most 64 items")},
      {"TooManyMatchesInRoute", many_matches,
       kHR + std::string("spec.rules: While 16 rules and 64 matches per rule are allowed, the "
                         "total number of matches across all rules in a route must be less than "
                         "128")},
      {"TooManyHostnames",
       HR("  hostnames: [" +
          Generate(17, [](int i) { return absl::StrCat("h", i, ".example.com"); }) + "]\n"),
       kHR + std::string("spec.hostnames: must have at most 16 items")},
      {"HostnameIp", HR("  hostnames: [shop.example.com, 10.0.0.1]\n"),
       kHR + std::string("spec.hostnames[1]: ") + kHostnameMessage},
      {"HostnameUppercase", HR("  hostnames: [Shop.example.com]\n"),
       kHR + std::string("spec.hostnames[0]: ") + kHostnameMessage},
      {"HostnameWildcardInside", HR("  hostnames: [\"shop.*.example.com\"]\n"),
       kHR + std::string("spec.hostnames[0]: ") + kHostnameMessage},
      {"HostnameBareWildcard", HR("  hostnames: [\"*\"]\n"),
       kHR + std::string("spec.hostnames[0]: ") + kHostnameMessage},
      {"HostnameWithPort", HR("  hostnames: [\"shop.example.com:443\"]\n"),
       kHR + std::string("spec.hostnames[0]: ") + kHostnameMessage},
      {"HostnameEmpty", HR("  hostnames: [\"\"]\n"),
       kHR + std::string("spec.hostnames[0]: ") + kHostnameMessage},
      {"HostnameNotString", HR("  hostnames: [[a]]\n"),
       kHR + std::string("spec.hostnames[0]: must be a string")},
      {"TooManyParentRefs",
       HR("  parentRefs: [" +
          Generate(33, [](int i) { return absl::StrCat("{name: gw", i, "}"); }) + "]\n"),
       kHR + std::string("spec.parentRefs: must have at most 32 items")},
      {"ParentRefWithoutName", HR("  parentRefs: [{sectionName: http}]\n"),
       kHR + std::string("spec.parentRefs[0].name: required")},
      {"ParentRefBadNamespace", HR("  parentRefs: [{name: gw, namespace: Infra}]\n"),
       kHR + std::string("spec.parentRefs[0].namespace: must be a DNS label: at most 63 "
                         "characters of a-z, 0-9 and '-', starting and ending with a letter or "
                         "digit")},
      {"ParentRefBadKind", HR("  parentRefs: [{name: gw, kind: \"my/kind\"}]\n"),
       kHR + std::string("spec.parentRefs[0].kind: must be a kind: at most 63 characters of "
                         "letters, digits and '-', starting with a letter and ending with a "
                         "letter or digit")},
      {"ParentRefBadGroup", HR("  parentRefs: [{name: gw, group: Example.com}]\n"),
       kHR + std::string("spec.parentRefs[0].group: must be empty (the core API group) or an API "
                         "group such as gateway.networking.k8s.io")},
      {"ParentRefBadSection", HR("  parentRefs: [{name: gw, sectionName: HTTP}]\n"),
       kHR + std::string("spec.parentRefs[0].sectionName: must be dot-separated labels of a-z, "
                         "0-9 and '-', each starting and ending with a letter or digit (at most "
                         "253 characters)")},
      {"ParentRefPortZero", HR("  parentRefs: [{name: gw, port: 0}]\n"),
       kHR + std::string("spec.parentRefs[0].port: must be an integer 1..65535")},
      {"ParentRefsSectionNameMissing",
       HR("  parentRefs: [{name: gw, sectionName: http}, {name: gw}]\n"),
       kHR + std::string("spec.parentRefs: sectionName must be specified when parentRefs "
                         "includes 2 or more references to the same parent")},
      {"ParentRefsDuplicate",
       HR("  parentRefs: [{name: gw, sectionName: http}, {name: gw, sectionName: http}]\n"),
       kHR + std::string("spec.parentRefs: sectionName must be unique when parentRefs includes "
                         "2 or more references to the same parent")},
      {"ParentRefsDuplicateWithoutSection",
       HR("  parentRefs: [{name: gw}, {name: gw, group: gateway.networking.k8s.io}]\n"),
       kHR + std::string("spec.parentRefs: sectionName must be unique when parentRefs includes "
                         "2 or more references to the same parent")},
      {"NoSpec",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: "
       "web}\n",
       kHR + std::string("spec: required")},
      {"NegativeGeneration",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, "
       "generation: -1}\nspec: {}\n",
       kHR + std::string("metadata.generation: must be a non-negative integer")},
      {"RulesEmpty", HR("  rules: []\n"),
       kHR + std::string("spec.rules: must have at least one rule")},
      {"TooManyRules", HR("  rules: [" + Repeat("{}", 17) + "]\n"),
       kHR + std::string("spec.rules: must have at most 16 items")},
      {"DuplicateRuleName", HR("  rules: [{name: a}, {name: b}, {}, {name: a}]\n"),
       kHR + std::string("spec.rules[3].name: duplicate rule name \"a\"")},
      {"BadRuleName", Rule("{name: Rule_1}"),
       kHR + std::string("spec.rules[0].name: must be dot-separated labels of a-z, 0-9 and '-', "
                         "each starting and ending with a letter or digit (at most 253 "
                         "characters)")},
      {"FilterWithoutType", Filter("{requestHeaderModifier: {}}"),
       kHR + std::string("spec.rules[0].filters[0].type: required")},
      {"FilterBadType", Filter("{type: Rewrite}"),
       kHR + std::string("spec.rules[0].filters[0].type: must be RequestHeaderModifier, "
                         "ResponseHeaderModifier, RequestMirror, RequestRedirect, URLRewrite, "
                         "ExtensionRef, CORS or ExternalAuth")},
      {"FilterWithoutMember", Filter("{type: RequestHeaderModifier}"),
       kHR + std::string("spec.rules[0].filters[0]: filter.requestHeaderModifier must be "
                         "specified for RequestHeaderModifier filter.type")},
      {"FilterWithOtherMember",
       Filter("{type: URLRewrite, urlRewrite: {}, requestHeaderModifier: {}}"),
       kHR + std::string("spec.rules[0].filters[0]: filter.requestHeaderModifier must be nil if "
                         "the filter.type is not RequestHeaderModifier")},
      {"FilterMirrorWithoutMember", Filter("{type: RequestMirror, extensionRef: {}}"),
       kHR + std::string("spec.rules[0].filters[0]: filter.requestMirror must be specified for "
                         "RequestMirror filter.type")},
      {"FilterCorsMemberOnRedirect",
       Filter("{type: RequestRedirect, requestRedirect: {}, cors: {}}"),
       kHR + std::string("spec.rules[0].filters[0]: filter.cors must be nil if the filter.type "
                         "is not CORS")},
      {"RedirectAndRewrite",
       Filter("{type: RequestRedirect, requestRedirect: {}}, {type: URLRewrite, urlRewrite: {}}"),
       kHR + std::string("spec.rules[0].filters: May specify either "
                         "httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but "
                         "not both")},
      {"RequestHeaderModifierTwice",
       Filter("{type: RequestHeaderModifier, requestHeaderModifier: {}}, {type: ExtensionRef, "
              "extensionRef: {}}, {type: RequestHeaderModifier, requestHeaderModifier: {}}"),
       kHR + std::string("spec.rules[0].filters: RequestHeaderModifier filter cannot be "
                         "repeated")},
      {"ResponseHeaderModifierTwice",
       Filter(Repeat("{type: ResponseHeaderModifier, responseHeaderModifier: {}}", 2)),
       kHR + std::string("spec.rules[0].filters: ResponseHeaderModifier filter cannot be "
                         "repeated")},
      {"UrlRewriteTwice", Filter(Repeat("{type: URLRewrite, urlRewrite: {}}", 2)),
       kHR + std::string("spec.rules[0].filters: URLRewrite filter cannot be repeated")},
      {"CorsTwice", Filter(Repeat("{type: CORS, cors: {}}", 2)),
       kHR + std::string("spec.rules[0].filters: CORS filter cannot be repeated")},
      {"TooManyFilters", Filter(Repeat("{type: ExtensionRef, extensionRef: {}}", 17)),
       kHR + std::string("spec.rules[0].filters: must have at most 16 items")},
      {"HeaderModifierDuplicateSet",
       Filter("{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: b}, "
              "{name: a, value: c}]}}"),
       kHR + std::string("spec.rules[0].filters[0].requestHeaderModifier.set[1].name: duplicate "
                         "name \"a\"")},
      {"HeaderModifierBadName",
       Filter("{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: \"a:b\", "
              "value: c}]}}"),
       kHR + std::string("spec.rules[0].filters[0].responseHeaderModifier.add[0].name: ") +
           kHeaderNameMessage},
      {"HeaderModifierEmptyValue",
       Filter("{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: "
              "\"\"}]}}"),
       kHR + std::string("spec.rules[0].filters[0].requestHeaderModifier.set[0].value: "
                         "required")},
      {"HeaderModifierDuplicateRemove",
       Filter("{type: RequestHeaderModifier, requestHeaderModifier: {remove: [a, b, a]}}"),
       kHR + std::string("spec.rules[0].filters[0].requestHeaderModifier.remove[2]: duplicate "
                         "\"a\"")},
      {"HeaderModifierTooManySet",
       Filter("{type: RequestHeaderModifier, requestHeaderModifier: {set: [" +
              Generate(17, [](int i) { return absl::StrCat("{name: h", i, ", value: v}"); }) +
              "]}}"),
       kHR + std::string("spec.rules[0].filters[0].requestHeaderModifier.set: must have at most "
                         "16 items")},
      {"RedirectStatus", Filter("{type: RequestRedirect, requestRedirect: {statusCode: 304}}"),
       kHR + std::string("spec.rules[0].filters[0].requestRedirect.statusCode: must be 301, 302, "
                         "303, 307 or 308")},
      {"RedirectStatusString",
       Filter("{type: RequestRedirect, requestRedirect: {statusCode: \"301\"}}"),
       kHR + std::string("spec.rules[0].filters[0].requestRedirect.statusCode: must be 301, 302, "
                         "303, 307 or 308")},
      {"RedirectScheme", Filter("{type: RequestRedirect, requestRedirect: {scheme: HTTPS}}"),
       kHR + std::string("spec.rules[0].filters[0].requestRedirect.scheme: must be http or "
                         "https")},
      {"RedirectWildcardHostname",
       Filter("{type: RequestRedirect, requestRedirect: {hostname: \"*.example.com\"}}"),
       kHR + std::string("spec.rules[0].filters[0].requestRedirect.hostname: must be a hostname: "
                         "dot-separated labels of a-z, 0-9 and '-', each starting and ending "
                         "with a letter or digit (at most 253 characters, no wildcard, no "
                         "port)")},
      {"RedirectPort", Filter("{type: RequestRedirect, requestRedirect: {port: 65536}}"),
       kHR + std::string("spec.rules[0].filters[0].requestRedirect.port: must be an integer "
                         "1..65535")},
      {"RedirectWithBackends",
       Rule("{filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}], "
            "backendRefs: [{name: web, port: 80}]}"),
       kHR + std::string("spec.rules[0]: RequestRedirect filter must not be used together with "
                         "backendRefs")},
      {"PathModifierWithoutType",
       Filter("{type: URLRewrite, urlRewrite: {path: {replaceFullPath: /a}}}"),
       kHR + std::string("spec.rules[0].filters[0].urlRewrite.path.type: required")},
      {"PathModifierBadType",
       Filter("{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefix}}}"),
       kHR + std::string("spec.rules[0].filters[0].urlRewrite.path.type: must be "
                         "ReplaceFullPath or ReplacePrefixMatch")},
      {"ReplaceFullPathMissing",
       Filter("{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath}}}"),
       kHR + std::string("spec.rules[0].filters[0].urlRewrite.path: replaceFullPath must be "
                         "specified when type is set to 'ReplaceFullPath'")},
      {"ReplaceFullPathWithWrongType",
       Filter("{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, "
              "replacePrefixMatch: /a, replaceFullPath: /b}}}"),
       kHR + std::string("spec.rules[0].filters[0].urlRewrite.path: type must be "
                         "'ReplaceFullPath' when replaceFullPath is set")},
      {"ReplacePrefixMatchMissing",
       Filter("{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch}}}"),
       kHR + std::string("spec.rules[0].filters[0].requestRedirect.path: replacePrefixMatch "
                         "must be specified when type is set to 'ReplacePrefixMatch'")},
      {"ReplacePrefixMatchWithWrongType",
       Filter("{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, "
              "replaceFullPath: /a, replacePrefixMatch: /b}}}"),
       kHR + std::string("spec.rules[0].filters[0].requestRedirect.path: type must be "
                         "'ReplacePrefixMatch' when replacePrefixMatch is set")},
      {"ReplaceFullPathTooLong",
       Filter("{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: "
              "/" +
              std::string(1024, 'a') + "}}}"),
       kHR + std::string("spec.rules[0].filters[0].urlRewrite.path.replaceFullPath: must be at "
                         "most 1024 characters")},
      {"RewritePrefixWithExactMatch",
       Rule("{matches: [{path: {type: Exact, value: /a}}], filters: [{type: URLRewrite, "
            "urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]}"),
       kHR + std::string("spec.rules[0]: When using URLRewrite filter with "
                         "path.replacePrefixMatch, exactly one PathPrefix match must be "
                         "specified")},
      {"RedirectPrefixWithTwoMatches",
       Rule("{matches: [{path: {value: /a}}, {path: {value: /b}}], filters: [{type: "
            "RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, "
            "replacePrefixMatch: /c}}}]}"),
       kHR + std::string("spec.rules[0]: When using RequestRedirect filter with "
                         "path.replacePrefixMatch, exactly one PathPrefix match must be "
                         "specified")},
      {"RewritePrefixWithNoMatches",
       Rule("{matches: [], filters: [{type: URLRewrite, urlRewrite: {path: {type: "
            "ReplacePrefixMatch, replacePrefixMatch: /b}}}]}"),
       kHR + std::string("spec.rules[0]: When using URLRewrite filter with "
                         "path.replacePrefixMatch, exactly one PathPrefix match must be "
                         "specified")},
      {"BackendRewritePrefixWithRegexMatch",
       Rule("{matches: [{path: {type: RegularExpression, value: /a.*}}], backendRefs: [{name: "
            "web, port: 80, filters: [{type: URLRewrite, urlRewrite: {path: {type: "
            "ReplacePrefixMatch, replacePrefixMatch: /b}}}]}]}"),
       kHR + std::string("spec.rules[0]: Within backendRefs, When using URLRewrite filter with "
                         "path.replacePrefixMatch, exactly one PathPrefix match must be "
                         "specified")},
      {"BackendRedirectPrefixWithExactMatch",
       Rule("{matches: [{path: {type: Exact, value: /a}}], backendRefs: [{name: web, port: 80, "
            "filters: [{type: RequestRedirect, requestRedirect: {path: {type: "
            "ReplacePrefixMatch, replacePrefixMatch: /b}}}]}]}"),
       kHR + std::string("spec.rules[0]: Within backendRefs, when using RequestRedirect filter "
                         "with path.replacePrefixMatch, exactly one PathPrefix match must be "
                         "specified")},
      {"BackendFiltersRepeated",
       Rule("{backendRefs: [{name: web, port: 80, filters: [" +
            Repeat("{type: RequestHeaderModifier, requestHeaderModifier: {}}", 2) + "]}]}"),
       kHR + std::string("spec.rules[0].backendRefs[0].filters: RequestHeaderModifier filter "
                         "cannot be repeated")},
      {"BackendWithoutPort", Rule("{backendRefs: [{name: web}]}"),
       kHR + std::string("spec.rules[0].backendRefs[0].port: required when the backend is a "
                         "Service")},
      {"BackendServiceExplicitWithoutPort",
       Rule("{backendRefs: [{name: web, port: 80}, {group: \"\", kind: Service, name: api}]}"),
       kHR + std::string("spec.rules[0].backendRefs[1].port: required when the backend is a "
                         "Service")},
      {"BackendWithoutName", Rule("{backendRefs: [{port: 80}]}"),
       kHR + std::string("spec.rules[0].backendRefs[0].name: required")},
      {"BackendNameTooLong",
       Rule("{backendRefs: [{port: 80, name: " + std::string(254, 'a') + "}]}"),
       kHR + std::string("spec.rules[0].backendRefs[0].name: must be at most 253 characters")},
      {"BackendBadNamespace", Rule("{backendRefs: [{name: web, port: 80, namespace: a.b}]}"),
       kHR + std::string("spec.rules[0].backendRefs[0].namespace: must be a DNS label: at most "
                         "63 characters of a-z, 0-9 and '-', starting and ending with a letter "
                         "or digit")},
      {"BackendNegativeWeight", Rule("{backendRefs: [{name: web, port: 80, weight: -1}]}"),
       kHR + std::string("spec.rules[0].backendRefs[0].weight: must be an integer 0..1000000")},
      {"BackendWeightTooBig", Rule("{backendRefs: [{name: web, port: 80, weight: 1000001}]}"),
       kHR + std::string("spec.rules[0].backendRefs[0].weight: must be an integer 0..1000000")},
      {"BackendPortZero", Rule("{backendRefs: [{name: web, port: 0}]}"),
       kHR + std::string("spec.rules[0].backendRefs[0].port: must be an integer 1..65535")},
      {"TooManyBackends", Rule("{backendRefs: [" + Repeat("{name: web, port: 80}", 17) + "]}"),
       kHR + std::string("spec.rules[0].backendRefs: must have at most 16 items")},
      {"TimeoutDays", Rule("{timeouts: {request: 1d}}"),
       kHR + std::string("spec.rules[0].timeouts.request: ") + kDurationMessage},
      // More digits than an int64 holds: refused, never overflowed.
      {"TimeoutHugeNumber", Rule("{timeouts: {request: 99999999999999999999999s}}"),
       kHR + std::string("spec.rules[0].timeouts.request: ") + kDurationMessage},
      {"TimeoutFraction", Rule("{timeouts: {request: 1.5s}}"),
       kHR + std::string("spec.rules[0].timeouts.request: ") + kDurationMessage},
      {"TimeoutSixDigits", Rule("{timeouts: {request: 100000s}}"),
       kHR + std::string("spec.rules[0].timeouts.request: ") + kDurationMessage},
      {"TimeoutFiveGroups", Rule("{timeouts: {request: 1h1m1s1ms1h}}"),
       kHR + std::string("spec.rules[0].timeouts.request: ") + kDurationMessage},
      {"TimeoutEmpty", Rule("{timeouts: {request: \"\"}}"),
       kHR + std::string("spec.rules[0].timeouts.request: ") + kDurationMessage},
      {"TimeoutNoUnit", Rule("{timeouts: {backendRequest: \"10\"}}"),
       kHR + std::string("spec.rules[0].timeouts.backendRequest: ") + kDurationMessage},
      {"BackendTimeoutLonger", Rule("{timeouts: {request: 1s, backendRequest: 1001ms}}"),
       kHR + std::string("spec.rules[0].timeouts: backendRequest timeout cannot be longer than "
                         "request timeout")},

      // Gateway.
      {"GatewayNoSpec",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n",
       kGW + std::string("spec: required")},
      {"GatewayNoClass",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n"
       "  listeners: [{name: a, port: 80, protocol: HTTP}]\n",
       kGW + std::string("spec.gatewayClassName: required")},
      {"GatewayNoListeners",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n"
       "  gatewayClassName: strata\n",
       kGW + std::string("spec.listeners: must have at least one listener")},
      {"GatewayEmptyListeners",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n"
       "  gatewayClassName: strata\n  listeners: []\n",
       kGW + std::string("spec.listeners: must have at least one listener")},
      {"TooManyListeners", GW(many_listeners),
       kGW + std::string("spec.listeners: must have at most 64 items")},
      {"ListenerWithoutName", GW({"{port: 80, protocol: HTTP}"}),
       kGW + std::string("spec.listeners[0].name: required")},
      {"ListenerBadName", GW({"{name: Http, port: 80, protocol: HTTP}"}),
       kGW + std::string("spec.listeners[0].name: must be dot-separated labels of a-z, 0-9 and "
                         "'-', each starting and ending with a letter or digit (at most 253 "
                         "characters)")},
      {"ListenerDuplicateName", GW({http, "{name: http, port: 81, protocol: HTTP}"}),
       kGW + std::string("spec.listeners[1].name: duplicate listener name \"http\"")},
      {"ListenerWithoutPort", GW({"{name: a, protocol: HTTP}"}),
       kGW + std::string("spec.listeners[0].port: required")},
      {"ListenerPortTooBig", GW({"{name: a, port: 65536, protocol: HTTP}"}),
       kGW + std::string("spec.listeners[0].port: must be an integer 1..65535")},
      {"ListenerWithoutProtocol", GW({"{name: a, port: 80}"}),
       kGW + std::string("spec.listeners[0].protocol: required")},
      {"ListenerBadProtocol", GW({"{name: a, port: 80, protocol: HTTP/2}"}),
       kGW + std::string("spec.listeners[0].protocol: must be HTTP, HTTPS, TLS, TCP, UDP or a "
                         "domain-prefixed protocol such as \"example.com/proto\"")},
      {"ListenerHostnameIp", GW({"{name: a, port: 80, protocol: HTTP, hostname: 10.1.2.3}"}),
       kGW + std::string("spec.listeners[0].hostname: ") + kHostnameMessage},
      {"ListenerHostnameWildcardOnly", GW({"{name: a, port: 80, protocol: HTTP, hostname: \"*\"}"}),
       kGW + std::string("spec.listeners[0].hostname: ") + kHostnameMessage},
      {"ListenersNotDistinct",
       GW({"{name: a, port: 80, protocol: HTTP, hostname: a.example.com}",
           "{name: b, port: 80, protocol: HTTP, hostname: b.example.com}",
           "{name: c, port: 80, protocol: HTTP, hostname: a.example.com}"}),
       kGW + std::string("spec.listeners[2]: same port, protocol and hostname as "
                         "spec.listeners[0]; the combination must be unique")},
      {"ListenersNotDistinctWithoutHostname", GW({http, "{name: other, port: 80, protocol: HTTP}"}),
       kGW + std::string("spec.listeners[1]: same port, protocol and hostname as "
                         "spec.listeners[0]; the combination must be unique")},
      {"TlsOnHttp", GW({"{name: a, port: 80, protocol: HTTP, " + cert + "}"}),
       kGW + std::string("spec.listeners[0]: tls must not be specified for protocols ['HTTP', "
                         "'TCP', 'UDP']")},
      {"TlsOnLowercaseTcp", GW({"{name: a, port: 80, protocol: tcp, " + cert + "}"}),
       kGW + std::string("spec.listeners[0]: tls must not be specified for protocols ['HTTP', "
                         "'TCP', 'UDP']")},
      {"HttpsPassthrough", GW({"{name: a, port: 443, protocol: HTTPS, tls: {mode: Passthrough}}"}),
       kGW + std::string("spec.listeners[0]: tls mode must be Terminate for protocol HTTPS")},
      {"TlsWithoutTls", GW({"{name: a, port: 443, protocol: TLS}"}),
       kGW + std::string("spec.listeners[0]: tls mode must be set for protocol TLS")},
      {"TcpHostname", GW({"{name: a, port: 5432, protocol: TCP, hostname: db.example.com}"}),
       kGW + std::string("spec.listeners[0]: hostname must not be specified for protocols "
                         "['TCP', 'UDP']")},
      {"TerminateWithoutCertificates", GW({"{name: a, port: 443, protocol: HTTPS, tls: {}}"}),
       kGW + std::string("spec.listeners[0].tls: certificateRefs or options must be specified "
                         "when mode is Terminate")},
      {"TlsBadMode", GW({"{name: a, port: 443, protocol: TLS, tls: {mode: Reencrypt}}"}),
       kGW + std::string("spec.listeners[0].tls.mode: must be Terminate or Passthrough")},
      {"CertificateRefWithoutName",
       GW({"{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{kind: Secret}]}}"}),
       kGW + std::string("spec.listeners[0].tls.certificateRefs[0].name: required")},
      {"CertificateRefBadNamespace",
       GW({"{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: c, namespace: "
           "\"\"}]}}"}),
       kGW + std::string("spec.listeners[0].tls.certificateRefs[0].namespace: must be a DNS "
                         "label: at most 63 characters of a-z, 0-9 and '-', starting and ending "
                         "with a letter or digit")},
      {"TooManyCertificateRefs",
       GW({"{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [" +
           Repeat("{name: c}", 65) + "]}}"}),
       kGW + std::string("spec.listeners[0].tls.certificateRefs: must have at most 64 items")},
      {"TooManyTlsOptions",
       GW({"{name: a, port: 443, protocol: HTTPS, tls: {options: {" +
           Generate(17, [](int i) { return absl::StrCat("example.com/o", i, ": v"); }) + "}}}"}),
       kGW + std::string("spec.listeners[0].tls.options: must have at most 16 entries")},
      {"AllowedFromBad",
       GW({"{name: a, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: None}}}"}),
       kGW + std::string("spec.listeners[0].allowedRoutes.namespaces.from: must be All, "
                         "Selector or Same")},
      {"SelectorMissing",
       GW({"{name: a, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: "
           "Selector}}}"}),
       kGW + std::string(kSelectorPath) + ": required when from is Selector"},
      {"SelectorInWithoutValues", Selector("{matchExpressions: [{key: team, operator: In}]}"),
       kGW + std::string(kSelectorPath) + ".matchExpressions[0].values: required for operator In"},
      {"SelectorNotInEmptyValues",
       Selector("{matchExpressions: [{key: a, operator: Exists}, {key: team, operator: NotIn, "
                "values: []}]}"),
       kGW + std::string(kSelectorPath) +
           ".matchExpressions[1].values: required for operator NotIn"},
      {"SelectorExistsWithValues",
       Selector("{matchExpressions: [{key: team, operator: Exists, values: [a]}]}"),
       kGW + std::string(kSelectorPath) +
           ".matchExpressions[0].values: must be empty for operator Exists"},
      {"SelectorDoesNotExistWithValues",
       Selector("{matchExpressions: [{key: team, operator: DoesNotExist, values: [a]}]}"),
       kGW + std::string(kSelectorPath) +
           ".matchExpressions[0].values: must be empty for operator DoesNotExist"},
      {"SelectorBadOperator", Selector("{matchExpressions: [{key: team, operator: Equals}]}"),
       kGW + std::string(kSelectorPath) +
           ".matchExpressions[0].operator: must be In, NotIn, Exists or DoesNotExist"},
      {"SelectorWithoutKey", Selector("{matchExpressions: [{operator: Exists}]}"),
       kGW + std::string(kSelectorPath) + ".matchExpressions[0].key: required"},
      {"SelectorLabelNotString", Selector("{matchLabels: {kubernetes.io/metadata.name: [a]}}"),
       kGW + std::string(kSelectorPath) +
           ".matchLabels[\"kubernetes.io/metadata.name\"]: must be a string"},
      {"AllowedKindWithoutKind",
       GW({"{name: a, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{group: x.io}]}}"}),
       kGW + std::string("spec.listeners[0].allowedRoutes.kinds[0].kind: required")},
      {"TooManyAllowedKinds",
       GW({"{name: a, port: 80, protocol: HTTP, allowedRoutes: {kinds: [" +
           Repeat("{kind: HTTPRoute}", 9) + "]}}"}),
       kGW + std::string("spec.listeners[0].allowedRoutes.kinds: must have at most 8 items")},

      // GatewayClass.
      {"GatewayClassNoSpec",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c}\n",
       "services.yaml: document 1 (GatewayClass /c): spec: required"},
      {"GatewayClassNoController",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c}\n"
       "spec: {description: d}\n",
       "services.yaml: document 1 (GatewayClass /c): spec.controllerName: required"},
      {"GatewayClassControllerWithoutPath",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c}\n"
       "spec: {controllerName: strata.dev}\n",
       "services.yaml: document 1 (GatewayClass /c): spec.controllerName: must be a "
       "domain-prefixed path such as \"example.com/gateway-controller\" (at most 253 "
       "characters)"},
      {"GatewayClassControllerUppercaseDomain",
       "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: GatewayClass\nmetadata: {name: c}\n"
       "spec: {controllerName: Strata.dev/gw}\n",
       "services.yaml: document 1 (GatewayClass /c): spec.controllerName: must be a "
       "domain-prefixed path such as \"example.com/gateway-controller\" (at most 253 "
       "characters)"},
      {"GatewayClassBadName",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: C}\n"
       "spec: {controllerName: strata.dev/gw}\n",
       "services.yaml: document 1 (GatewayClass /C): metadata.name: must be a DNS subdomain: at "
       "most 253 characters, dot-separated DNS labels of a-z, 0-9 and '-'"},

      // Namespace.
      {"NamespaceBadName", "apiVersion: v1\nkind: Namespace\nmetadata: {name: my.shop}\n",
       "services.yaml: document 1 (Namespace /my.shop): metadata.name: must be a DNS label: at "
       "most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"},
      {"NamespaceLabelNotString",
       "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: 1}}\n",
       "services.yaml: document 1 (Namespace /shop): metadata.labels.team: must be a string"},

      // ReferenceGrant.
      {"GrantWithoutFrom",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g}\n"
       "spec: {to: [{group: \"\", kind: Service}]}\n",
       "services.yaml: document 1 (ReferenceGrant default/g): spec.from: must have at least one "
       "entry"},
      {"GrantEmptyTo",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g}\n"
       "spec: {from: [{group: \"\", kind: Gateway, namespace: a}], to: []}\n",
       "services.yaml: document 1 (ReferenceGrant default/g): spec.to: must have at least one "
       "entry"},
      {"GrantFromWithoutGroup",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g}\n"
       "spec: {from: [{kind: HTTPRoute, namespace: a}], to: [{group: \"\", kind: Service}]}\n",
       "services.yaml: document 1 (ReferenceGrant default/g): spec.from[0].group: required"},
      {"GrantFromWithoutNamespace",
       "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: "
       "g}\nspec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute}], to: [{group: "
       "\"\", kind: Service}]}\n",
       "services.yaml: document 1 (ReferenceGrant default/g): spec.from[0].namespace: required"},
      {"GrantToWithoutKind",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g}\n"
       "spec: {from: [{group: \"\", kind: Gateway, namespace: a}], to: [{group: \"\"}]}\n",
       "services.yaml: document 1 (ReferenceGrant default/g): spec.to[0].kind: required"},
      {"GrantToNameTooLong",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g}\n"
       "spec: {from: [{group: \"\", kind: Gateway, namespace: a}], to: [{group: \"\", kind: "
       "Secret, name: " +
           std::string(254, 's') + "}]}\n",
       "services.yaml: document 1 (ReferenceGrant default/g): spec.to[0].name: must be at most "
       "253 characters"},
      {"GrantTooManyFrom",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g}\n"
       "spec: {from: [" +
           Repeat("{group: \"\", kind: Gateway, namespace: a}", 17) +
           "], to: [{group: \"\", kind: Service}]}\n",
       "services.yaml: document 1 (ReferenceGrant default/g): spec.from: must have at most 16 "
       "items"},
  };
}

INSTANTIATE_TEST_SUITE_P(GatewayApi, ManifestErrorTest, testing::ValuesIn(GatewayApiErrorCases()),
                         [](const testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

// ---- LoadManifestDirectory

class ManifestDirectoryTest : public testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/manifests.XXXXXX");
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }

  void Write(const std::string& name, std::string_view content) {
    FILE* f = fopen((dir_ + "/" + name).c_str(), "w");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(fwrite(content.data(), 1, content.size(), f), content.size());
    ASSERT_EQ(fclose(f), 0);
  }

  std::string dir_;
};

TEST_F(ManifestDirectoryTest, LoadsManifestFilesInNameOrder) {
  Write("b-service.yml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n");
  Write("a-slice.json",
        R"({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "web-1", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"]}]})");
  Write("c-deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n");
  // Not manifests: wrong suffix, hidden (editor files, ConfigMap `..data` links), directories.
  Write("README.md", "not yaml: [");
  Write(".web.yaml.swp", "not yaml: [");
  Write(".hidden.yaml", "not yaml: [");
  ASSERT_EQ(mkdir((dir_ + "/sub.yaml").c_str(), 0755), 0);
  Write("sub.yaml/inner.yaml", "not yaml: [");

  ManifestStats stats;
  absl::StatusOr<ClusterState> state = LoadManifestDirectory(dir_, &stats);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_THAT(state->services, ElementsAre(Pair(ObjectKey("default", "web"), testing::_)));
  EXPECT_THAT(state->endpoint_slices, ElementsAre(Pair(ObjectKey("default", "web-1"), testing::_)));
  EXPECT_EQ(stats.files, 3);
  EXPECT_EQ(stats.documents, 3);
  EXPECT_EQ(stats.skipped_objects, 1);

  // Duplicates across files name both, in file name order.
  Write("d-again.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n");
  EXPECT_EQ(LoadManifestDirectory(dir_).status().message(),
            "d-again.yaml: document 1 (Service default/web): duplicate object, first defined in "
            "b-service.yml document 1");
}

TEST_F(ManifestDirectoryTest, EmptyDirectory) {
  absl::StatusOr<ClusterState> state = LoadManifestDirectory(dir_);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_THAT(state->services, IsEmpty());
  EXPECT_THAT(state->endpoint_slices, IsEmpty());
}

TEST_F(ManifestDirectoryTest, AnyBadFileFailsTheLoad) {
  Write("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n");
  Write("b.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {ports: [{}]}\n");
  absl::StatusOr<ClusterState> state = LoadManifestDirectory(dir_);
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.status().message(),
            "b.yaml: document 1 (Service default/api): spec.ports[0].port: required");
}

TEST_F(ManifestDirectoryTest, FileSizeLimit) {
  Write("big.yaml", "");
  ASSERT_EQ(truncate((dir_ + "/big.yaml").c_str(), kMaxManifestFileBytes + 1), 0);
  EXPECT_EQ(LoadManifestDirectory(dir_).status().message(), "big.yaml: file is larger than 16 MiB");
  // Exactly at the limit is read (and here, being blank, holds no documents).
  ASSERT_EQ(truncate((dir_ + "/big.yaml").c_str(), 0), 0);
  Write("big.yaml", std::string(kMaxManifestFileBytes, '\n'));
  EXPECT_TRUE(LoadManifestDirectory(dir_).ok());
}

TEST_F(ManifestDirectoryTest, MissingDirectory) {
  absl::StatusOr<ClusterState> state = LoadManifestDirectory(dir_ + "/absent");
  EXPECT_EQ(state.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(state.status().message(), HasSubstr(dir_ + "/absent"));
}

}  // namespace
}  // namespace strata::source

namespace strata::source {
namespace {

TEST(ReadApiObjectTest, ReadsOneObjectOfTheApiAndNamesItInErrors) {
  const nlohmann::json ingress = nlohmann::json::parse(R"({
    "kind": "Ingress", "apiVersion": "networking.k8s.io/v1",
    "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "12",
                 "creationTimestamp": "2026-01-02T03:04:05Z"},
    "spec": {"rules": [{"host": "shop.example.com"}]}})");
  auto read = ReadApiObject(ingress, "ingresses.networking.k8s.io");
  ASSERT_TRUE(read.ok()) << read.status();
  const auto* parsed = std::get_if<Ingress>(&*read);
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(parsed->rules.at(0).host, "shop.example.com");
  ClusterState state;
  AddToState(*read, state);
  EXPECT_EQ(state.ingresses.count({"shop", "web"}), 1u);

  nlohmann::json bad = ingress;
  bad["spec"]["rules"][0]["host"] = "Shop..example.com";
  read = ReadApiObject(bad, "ingresses.networking.k8s.io");
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()),
              ::testing::StartsWith(
                  "ingresses.networking.k8s.io (Ingress shop/web): spec.rules[0].host: "));

  read = ReadApiObject(nlohmann::json::parse(R"({"kind": "Pod", "apiVersion": "v1",
                                                 "metadata": {"name": "p"}})"),
                       "pods");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(*read));
}

TEST(ReadApiObjectTest, ReadsGatewayApiObjectsAndNamespaces) {
  // As the API server lists them: defaults filled in, status and managed fields around.
  const nlohmann::json route = nlohmann::json::parse(R"({
    "kind": "HTTPRoute", "apiVersion": "gateway.networking.k8s.io/v1",
    "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "generation": 2,
                 "resourceVersion": "40", "creationTimestamp": "2026-01-02T03:04:05Z",
                 "managedFields": [{"manager": "kubectl"}]},
    "spec": {"parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                             "name": "edge"}],
             "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                        "backendRefs": [{"group": "", "kind": "Service", "name": "web",
                                         "port": 80, "weight": 1}]}]},
    "status": {"parents": []}})");
  auto read = ReadApiObject(route, "httproutes.gateway.networking.k8s.io");
  ASSERT_TRUE(read.ok()) << read.status();
  const auto* parsed = std::get_if<HttpRoute>(&*read);
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(parsed->uid, "u-1");
  EXPECT_EQ(parsed->generation, 2);
  EXPECT_EQ(parsed->created, absl::FromUnixSeconds(1767323045));
  EXPECT_EQ(parsed->rules.at(0).backend_refs.at(0).port, 80u);
  ClusterState state;
  AddToState(*read, state);
  ASSERT_EQ(state.http_routes.count({"shop", "web"}), 1u);

  nlohmann::json bad = route;
  bad["spec"]["rules"][0]["matches"][0]["path"]["value"] = "api";
  read = ReadApiObject(bad, "httproutes.gateway.networking.k8s.io");
  EXPECT_EQ(read.status().message(),
            "httproutes.gateway.networking.k8s.io (HTTPRoute shop/web): "
            "spec.rules[0].matches[0].path.value: must start with \"/\"");

  // A later version of an object replaces the earlier one.
  nlohmann::json changed = route;
  changed["spec"]["rules"][0]["backendRefs"][0]["port"] = 8080;
  read = ReadApiObject(changed, "httproutes.gateway.networking.k8s.io");
  ASSERT_TRUE(read.ok()) << read.status();
  AddToState(*read, state);
  EXPECT_EQ(state.http_routes.at({"shop", "web"}).rules.at(0).backend_refs.at(0).port, 8080u);

  read = ReadApiObject(nlohmann::json::parse(R"({"kind": "Namespace", "apiVersion": "v1",
      "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop"}},
      "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})"),
                       "namespaces");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(std::holds_alternative<Namespace>(*read));
  AddToState(*read, state);
  EXPECT_EQ(state.namespaces.at("shop").labels.at("kubernetes.io/metadata.name"), "shop");

  for (const char* object : {
           R"({"kind": "GatewayClass", "apiVersion": "gateway.networking.k8s.io/v1",
               "metadata": {"name": "strata"}, "spec": {"controllerName": "strata.dev/gw"}})",
           R"({"kind": "Gateway", "apiVersion": "gateway.networking.k8s.io/v1",
               "metadata": {"name": "edge", "namespace": "infra"},
               "spec": {"gatewayClassName": "strata",
                        "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}})",
           R"({"kind": "ReferenceGrant", "apiVersion": "gateway.networking.k8s.io/v1",
               "metadata": {"name": "g", "namespace": "shop"},
               "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                  "namespace": "front"}],
                        "to": [{"group": "", "kind": "Service"}]}})"}) {
    read = ReadApiObject(nlohmann::json::parse(object), "objects");
    ASSERT_TRUE(read.ok()) << read.status();
    AddToState(*read, state);
  }
  EXPECT_EQ(state.gateway_classes.at("strata").controller_name, "strata.dev/gw");
  EXPECT_EQ(state.gateways.at({"infra", "edge"}).listeners.at(0).name, "http");
  EXPECT_EQ(state.reference_grants.at({"shop", "g"}).from.at(0).namespace_, "front");
}

// ---- TLS Secrets -------------------------------------------------------------------------

// A Secret manifest; `data` lines go under `data:` (base64) unless `string_data`.
std::string SecretManifest(const std::string& type, const std::string& crt, const std::string& key,
                           bool string_data = false) {
  std::string out = absl::StrCat(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: site, namespace: shop, uid: u-1}\n",
      "type: ", type, "\n", string_data ? "stringData:\n" : "data:\n");
  auto value = [&](const std::string& v) {
    return string_data ? absl::StrCat("|\n    ", absl::StrReplaceAll(v, {{"\n", "\n    "}}))
                       : absl::Base64Escape(v);
  };
  if (!crt.empty()) absl::StrAppend(&out, "  tls.crt: ", value(crt), "\n");
  if (!key.empty()) absl::StrAppend(&out, "  tls.key: ", value(key), "\n");
  return out;
}

TEST(ManifestParserTest, TlsSecretIsReadAndChecked) {
  const auto& pki = tls::testing::TestPki::Get();
  for (bool string_data : {false, true}) {
    SCOPED_TRACE(string_data ? "stringData" : "data");
    const ClusterState state = Parse(
        SecretManifest("kubernetes.io/tls", pki.wild.cert_pem, pki.wild.key_pem, string_data));
    ASSERT_EQ(state.tls_secrets.size(), 1u);
    const TlsSecret& secret = state.tls_secrets.at({"shop", "site"});
    EXPECT_EQ(secret.cert_chain_pem, pki.wild.cert_pem);
    EXPECT_EQ(secret.private_key_pem, pki.wild.key_pem);
    EXPECT_THAT(secret.dns_names, ElementsAre("*.wild.example"));
    EXPECT_EQ(secret.uid, "u-1");
  }
  // Without a subjectAltName, the names come from the subject CN; RSA keys are taken too.
  EXPECT_THAT(Parse(SecretManifest("kubernetes.io/tls", pki.cn_only.cert_pem, pki.cn_only.key_pem))
                  .tls_secrets.at({"shop", "site"})
                  .dns_names,
              ElementsAre("cn-only.example"));
  EXPECT_THAT(Parse(SecretManifest("kubernetes.io/tls", pki.b.cert_pem, pki.b.key_pem)).tls_secrets,
              testing::SizeIs(1));
}

TEST(ManifestParserTest, OtherSecretsAreSkippedUnread) {
  ManifestSet set;
  ASSERT_TRUE(set.AddManifest("s.yaml", SecretManifest("Opaque", "not a certificate", "x")).ok());
  ASSERT_TRUE(set.AddManifest("t.yaml",
                              "apiVersion: v1\nkind: Secret\n"
                              "metadata: {name: token, namespace: shop}\n")
                  .ok());
  EXPECT_EQ(set.stats().skipped_objects, 2);
  EXPECT_EQ(set.stats().tls_secrets, 0);
  EXPECT_THAT(set.TakeState().tls_secrets, IsEmpty());
}

TEST(ManifestParserTest, UnusableTlsSecretsAreRefusedWithTheReason) {
  const auto& pki = tls::testing::TestPki::Get();
  const std::string where = "services.yaml: document 1 (Secret shop/site): ";
  EXPECT_EQ(ErrorOf(SecretManifest("kubernetes.io/tls", pki.a.cert_pem, "")),
            where + "data[tls.key]: required for a Secret of type kubernetes.io/tls");
  EXPECT_EQ(ErrorOf(SecretManifest("kubernetes.io/tls", "", pki.a.key_pem)),
            where + "data[tls.crt]: required for a Secret of type kubernetes.io/tls");
  EXPECT_EQ(ErrorOf("apiVersion: v1\nkind: Secret\nmetadata: {name: site, namespace: shop}\n"
                    "type: kubernetes.io/tls\ndata: {tls.crt: '%%%', tls.key: 'eA=='}\n"),
            where + "data[tls.crt]: must be base64");
  EXPECT_EQ(ErrorOf(SecretManifest("kubernetes.io/tls", pki.a.cert_pem, pki.b.key_pem)),
            where +
                "data: certificate (/CN=a.example): the private key does not match the "
                "certificate");
  EXPECT_THAT(ErrorOf(SecretManifest("kubernetes.io/tls",
                                     "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                     "-----END CERTIFICATE-----\n",
                                     pki.a.key_pem)),
              testing::StartsWith(where + "data: certificate: cannot parse the certificate PEM: "));
  EXPECT_THAT(ErrorOf(SecretManifest("kubernetes.io/tls", pki.a.cert_pem, "not a key")),
              testing::StartsWith(where + "data: certificate (/CN=a.example): cannot parse the "
                                          "private key PEM: "));
}

}  // namespace
}  // namespace strata::source
