#include "controlplane/source/manifest_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/source/cluster_state_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace strata::source
