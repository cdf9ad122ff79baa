// Both tiers configured from a Kubernetes API server, all real processes: kubectl writes
// Services, EndpointSlices, an Ingress, an IngressRoute and Gateway API objects to the
// stand-in API server;
// strata-controlplane watches it through a kubeconfig (TLS, bearer token); an edge proxy and
// shop's app-tier proxy route to echo backends. Then the API server misbehaves (dropped
// watches, a forced 410, an outage) and everything must converge without a restart while
// the proxies keep serving.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process.h"
#include "tests/e2e/proxy_fixture.h"
#include "tests/kube/stand_in.h"

namespace strata::test {
namespace {

std::string IngressYaml(const std::string& ns, const std::string& name, const std::string& host,
                        const std::string& service) {
  return absl::StrFormat(R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: %s, namespace: %s}
spec:
  rules:
  - host: %s
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: %s, port: {number: 80}}}}
)",
                         name, ns, host, service);
}

constexpr char kBlogRoute[] = R"(---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: blog}
spec:
  routes:
  - match: Host(`blog.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
)";

// strata's GatewayClass and an edge Gateway that takes HTTPRoutes from every namespace.
constexpr char kGateway[] = R"(---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: strata}
spec: {controllerName: strata.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: strata-system}
spec:
  gatewayClassName: strata
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
)";

std::string HttpRouteYaml(const std::string& ns, const std::string& name, const std::string& host,
                          const std::string& service) {
  return absl::StrFormat(R"(---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s, namespace: %s}
spec:
  parentRefs: [{name: edge, namespace: strata-system}]
  hostnames: [%s]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: %s, port: 80}]
)",
                         name, ns, host, service);
}

class KubeTwoTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shop_web_ = StartBackend("shop-web");
    blog_web_ = StartBackend("blog-web");
    edge_port_ = FreePort();
    edge_tls_port_ = FreePort();
    app_port_ = FreePort();
    ASSERT_NE(edge_port_, 0);
    ASSERT_NE(edge_tls_port_, 0);
    ASSERT_NE(app_port_, 0);
    Apply(ServiceManifest("strata-system", "strata-edge", edge_port_) +
          ServiceManifest("shop", "strata-app", app_port_, "{strata.dev/tier: app}") +
          ServiceManifest("shop", "web", shop_web_.port) +
          ServiceManifest("blog", "web", blog_web_.port) +
          IngressYaml("shop", "front", "shop.example.com", "web") + kBlogRoute + kGateway +
          HttpRouteYaml("shop", "api", "api.example.com", "web"));

    int& xds_port = xds_port_;
    controlplane_ =
        StartControlPlane({"--kubeconfig=" + api_.kubeconfig(), "--proxy_listen_address=127.0.0.1",
                           absl::StrCat("--edge_http_port=", edge_port_),
                           absl::StrCat("--edge_https_port=", edge_tls_port_)},
                          xds_port);
    ASSERT_NE(xds_port, 0);

    edge_ = std::make_unique<Proxy>(AdsBootstrap(xds_port, "{id: edge-1, cluster: edge}"));
    app_ = std::make_unique<Proxy>(
        AdsBootstrap(xds_port, "{id: app-shop-1, cluster: app, metadata: {namespace: shop}}"));
    ASSERT_TRUE(edge_->Ready("edge-http")) << edge_->process().Output();
    ASSERT_TRUE(app_->Ready("app-http")) << app_->process().Output();
  }

  // kubectl apply -f.
  void Apply(const std::string& yaml) {
    const std::string file = absl::StrCat(TempDir("objects"), "/objects.yaml");
    WriteFile(file, yaml);
    const std::string out = api_.Kubectl("apply -f " + file);
    ASSERT_EQ(out.find("rror"), std::string::npos) << out;
  }

  // The backend that answers `host` at the edge, "404", or another status; polled until it is
  // `expected` or `timeout` passes.
  std::string AwaitRouted(const std::string& host, const std::string& expected,
                          absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    std::string got;
    do {
      const std::string out =
          Shell(absl::StrCat("curl -s --max-time 5 -H 'Host: ", host,
                             "' -w '\\n%{http_code}' http://127.0.0.1:", edge_port_, "/"));
      const int status = StatusOf(out);
      got = status == 200 ? BodyOf(out)["backend"].get<std::string>() : absl::StrCat(status);
    } while (got != expected && absl::Now() < deadline);
    return got;
  }

  // Polls `kubectl args` until its output is `expected` (or contains it, when not empty).
  bool AwaitOutput(const std::string& args, const std::string& expected) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      const std::string out = api_.Kubectl(args);
      if (expected.empty() ? out.empty() : out.find(expected) != std::string::npos) return true;
    }
    return false;
  }

  StandInApiServer api_{/*bookmark_interval_seconds=*/1};
  Backend shop_web_, blog_web_;
  int edge_port_ = 0;
  int edge_tls_port_ = 0;
  int xds_port_ = 0;
  int app_port_ = 0;
  std::unique_ptr<Subprocess> controlplane_;
  std::unique_ptr<Proxy> edge_;
  std::unique_ptr<Proxy> app_;
};

TEST_F(KubeTwoTierTest, ObjectsWrittenWithKubectlAreRoutedAndFollowed) {
  EXPECT_EQ(AwaitRouted("shop.example.com", "shop-web"), "shop-web");
  EXPECT_EQ(AwaitRouted("blog.example.com", "blog-web"), "blog-web");
  EXPECT_EQ(AwaitRouted("unknown.example.com", "404"), "404");
  EXPECT_GE(app_->Stat("downstream_rq_total"), 1u);  // shop went through its app tier

  // Deleting a route: 404 within a second.
  const absl::Time deleted = absl::Now();
  ASSERT_NE(api_.Kubectl("delete ingressroutes.traefik.io site -n blog").find("deleted"),
            std::string::npos);
  EXPECT_EQ(AwaitRouted("blog.example.com", "404", absl::Seconds(1)), "404");
  EXPECT_LT(absl::Now() - deleted, absl::Seconds(1));

  // A newer claim from another namespace is refused and logged.
  Apply(IngressYaml("blog", "grab", "shop.example.com", "web"));
  EXPECT_TRUE(controlplane_->WaitForOutput(
      "Ingress blog/grab: not routed: host \"shop.example.com\" belongs to namespace \"shop\"",
      absl::Seconds(10)))
      << controlplane_->Output();
  EXPECT_EQ(AwaitRouted("shop.example.com", "shop-web"), "shop-web");

  // The leader (the only replica) says so on the object: an annotation and a Warning Event.
  const std::string annotation =
      "get ingress grab -n blog -o jsonpath='{.metadata.annotations.strata\\.dev/problems}'";
  EXPECT_TRUE(AwaitOutput(annotation, "belongs to namespace \"shop\"")) << api_.Kubectl(annotation);
  const std::string events =
      "get events -n blog -o jsonpath='{.items[*].reason} {.items[*].message}'";
  EXPECT_TRUE(AwaitOutput(events, "NotRouted not routed: host \"shop.example.com\" belongs"))
      << api_.Kubectl(events);

  // The owner's Ingress goes away: the claim is accepted, routed, and the annotation cleared.
  ASSERT_NE(api_.Kubectl("delete ingress front -n shop").find("deleted"), std::string::npos);
  EXPECT_EQ(AwaitRouted("shop.example.com", "blog-web"), "blog-web");
  EXPECT_TRUE(AwaitOutput(annotation, "")) << api_.Kubectl(annotation);
}

TEST_F(KubeTwoTierTest, HttpRoutesAndIngressesGetTheirStatus) {
  // The HTTPRoute reaches shop's backend through shop's app tier.
  EXPECT_EQ(AwaitRouted("api.example.com", "shop-web"), "shop-web");
  auto conditions = [](const std::string& name, const std::string& ns) {
    return absl::StrCat(
        "get httproute ", name, " -n ", ns,
        " -o jsonpath='{range .status.parents[*].conditions[*]}{.type}={.status}/{.reason} {end}'");
  };
  EXPECT_TRUE(AwaitOutput(conditions("api", "shop"),
                          "Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs"))
      << api_.Kubectl(conditions("api", "shop"));
  const std::string gateway =
      "get gateway edge -n strata-system -o "
      "jsonpath='{.status.conditions[*].reason} {.status.listeners[0].attachedRoutes}'";
  EXPECT_TRUE(AwaitOutput(gateway, "Accepted Programmed 1")) << api_.Kubectl(gateway);

  // The edge Service gets a load balancer: served Ingresses and the Gateway show its address.
  const std::string patched = api_.Kubectl(
      "patch service strata-edge -n strata-system --subresource=status --type=merge "
      "-p '{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.7\"}]}}}'");
  ASSERT_NE(patched.find("patched"), std::string::npos) << patched;
  const std::string ingress_address =
      "get ingress front -n shop -o jsonpath='{.status.loadBalancer.ingress[*].ip}'";
  EXPECT_TRUE(AwaitOutput(ingress_address, "203.0.113.7")) << api_.Kubectl(ingress_address);
  const std::string gateway_address =
      "get gateway edge -n strata-system -o jsonpath='{.status.addresses[*].value}'";
  EXPECT_TRUE(AwaitOutput(gateway_address, "203.0.113.7")) << api_.Kubectl(gateway_address);

  // blog's HTTPRoute for the same host is newer: refused, with the reason on its status.
  Apply(HttpRouteYaml("blog", "grab", "api.example.com", "web"));
  EXPECT_TRUE(AwaitOutput(conditions("grab", "blog"), "Accepted=False/HostnameNotOwned"))
      << api_.Kubectl(conditions("grab", "blog"));
  const std::string message =
      "get httproute grab -n blog -o "
      "jsonpath='{.status.parents[0].conditions[0].message}'";
  EXPECT_TRUE(AwaitOutput(message, "belongs to namespace \"shop\"")) << api_.Kubectl(message);
  EXPECT_EQ(AwaitRouted("api.example.com", "shop-web"), "shop-web");

  // shop's route goes: blog's claim is the oldest left, is routed, and says so.
  ASSERT_NE(api_.Kubectl("delete httproute api -n shop").find("deleted"), std::string::npos);
  EXPECT_EQ(AwaitRouted("api.example.com", "blog-web"), "blog-web");
  EXPECT_TRUE(AwaitOutput(conditions("grab", "blog"),
                          "Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs"))
      << api_.Kubectl(conditions("grab", "blog"));
}

// A self-signed certificate for `host` made with the openssl program: <dir>/<id>.pem and
// <dir>/<id>.key.
void MakeCertificate(const std::string& dir, const std::string& id, const std::string& host) {
  const std::string out = Shell(absl::StrCat(
      "cd ", dir, " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ",
      "-keyout ", id, ".key -out ", id, ".pem -days 2 -subj /CN=", host,
      " -addext subjectAltName=DNS:", host, " 2>&1 && echo made"));
  ASSERT_NE(out.find("made"), std::string::npos) << out;
}

TEST_F(KubeTwoTierTest, TlsSecretsServeHttpsAtTheEdge) {
  const std::string dir = TempDir("certificates");
  MakeCertificate(dir, "first", "shop.example.com");
  MakeCertificate(dir, "second", "shop.example.com");
  // HTTPS through the edge to shop's app tier, trusting only `ca`: "<status> <backend>
  // <X-Forwarded-Proto the backend saw>", or "failed <curl exit code>".
  auto https = [&](const std::string& host, const std::string& ca) {
    const std::string out =
        Shell(absl::StrCat("curl -s --max-time 5 --cacert ", dir, "/", ca, ".pem --resolve ", host,
                           ":", edge_tls_port_, ":127.0.0.1 -w '\n%{http_code}' https://", host,
                           ":", edge_tls_port_, "/; echo \" $?\""));
    const std::string exit_code(
        absl::StripTrailingAsciiWhitespace(absl::string_view(out).substr(out.rfind(' ') + 1)));
    if (exit_code != "0") return "failed " + exit_code;
    const std::string response = out.substr(0, out.rfind(' '));
    const int status = StatusOf(response);
    if (status != 200) return absl::StrCat(status);  // no echo body to read
    const nlohmann::json body = BodyOf(response);
    if (!body.is_object() || !body.contains("backend")) return std::string("unreadable body");
    return absl::StrCat(status, " ", body["backend"].get<std::string>(), " ",
                        Header(body, "x-forwarded-proto"));
  };
  auto await_https = [&](const std::string& host, const std::string& ca,
                         const std::string& expected) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    std::string got;
    do {
      got = https(host, ca);
    } while (got != expected && absl::Now() < deadline);
    return got;
  };

  // The Secret as kubectl makes it (`create secret tls`; applied, as the stand-in takes JSON
  // only), and the Ingress naming it.
  auto apply_secret = [&](const std::string& id) {
    const std::string file = absl::StrCat(dir, "/", id, ".yaml");
    Shell(absl::StrCat("kubectl create secret tls site -n shop --cert=", dir, "/", id,
                       ".pem --key=", dir, "/", id, ".key --dry-run=client -o yaml > ", file));
    const std::string out = api_.Kubectl("apply -f " + file);
    EXPECT_EQ(out.find("rror"), std::string::npos) << out;
  };
  apply_secret("first");
  Apply(IngressYaml("shop", "front", "shop.example.com", "web") +
        "  tls:\n  - {hosts: [shop.example.com], secretName: site}\n");
  ASSERT_TRUE(edge_->Ready("edge-https")) << edge_->process().Output();
  // The app tier keeps the edge's X-Forwarded-Proto.
  EXPECT_EQ(await_https("shop.example.com", "first", "200 shop-web https"), "200 shop-web https");
  EXPECT_EQ(AwaitRouted("shop.example.com", "shop-web"), "shop-web");  // HTTP still served

  // A name without a certificate: the handshake fails (curl: 35), nothing else is offered.
  Apply(IngressYaml("blog", "plain", "plain.example.com", "web"));
  ASSERT_EQ(AwaitRouted("plain.example.com", "blog-web"), "blog-web");
  EXPECT_EQ(https("plain.example.com", "first"), "failed 35");

  // Rotation: the Secret's new certificate is what new handshakes get.
  apply_secret("second");
  EXPECT_EQ(await_https("shop.example.com", "second", "200 shop-web https"), "200 shop-web https");
  // Not the old one any more, on any worker.
  EXPECT_EQ(await_https("shop.example.com", "first", "failed 60"), "failed 60");

  // Tools reading snapshots see the certificate, never the key.
  const std::string snapshot =
      Shell(absl::StrCat(Runfile("controlplane/ctl/strata-ctl"), " --server=127.0.0.1:", xds_port_,
                         " snapshot edge 2>&1"));
  EXPECT_NE(snapshot.find("BEGIN CERTIFICATE"), std::string::npos) << snapshot;
  EXPECT_NE(snapshot.find("[redacted]"), std::string::npos) << snapshot;
  EXPECT_EQ(snapshot.find("PRIVATE KEY"), std::string::npos) << snapshot;

  // The Secret deleted: the host is back to HTTP only (no host has a certificate, so the
  // HTTPS listener is gone: curl 7), and the Ingress says why.
  ASSERT_NE(api_.Kubectl("delete secret site -n shop").find("deleted"), std::string::npos);
  EXPECT_EQ(await_https("shop.example.com", "second", "failed 7"), "failed 7");
  EXPECT_EQ(AwaitRouted("shop.example.com", "shop-web"), "shop-web");
  const std::string annotation =
      "get ingress front -n shop -o jsonpath='{.metadata.annotations.strata\\.dev/problems}'";
  EXPECT_TRUE(AwaitOutput(annotation, "Secret shop/site does not exist"))
      << api_.Kubectl(annotation);
}

TEST_F(KubeTwoTierTest, DroppedWatchesAForced410AndAnOutageConverge) {
  ASSERT_EQ(AwaitRouted("shop.example.com", "shop-web"), "shop-web");

  // Watches dropped: resumed, no relist needed.
  api_.Fault("drop-watches");
  Apply(IngressYaml("blog", "one", "one.example.com", "web"));
  EXPECT_EQ(AwaitRouted("one.example.com", "blog-web"), "blog-web");

  // History compacted while the watches are down: the resumed watches get 410 and relist.
  // (Every watch is first let run past a second, so its end is a normal one.)
  // Twelve watches: Services, EndpointSlices, Ingresses, IngressClasses, IngressRoutes of
  // both groups, Namespaces, four Gateway API kinds (v1beta1 ReferenceGrants are not served
  // by the stand-in) and TLS Secrets.
  ASSERT_TRUE(api_.AwaitWatchesOlderThan(12, absl::Milliseconds(1200)));
  api_.Fault("down?seconds=60");
  api_.Fault("compact");
  api_.Fault("up");
  Apply(IngressYaml("blog", "two", "two.example.com", "web"));
  EXPECT_EQ(AwaitRouted("two.example.com", "blog-web"), "blog-web");
  EXPECT_TRUE(controlplane_->WaitForOutput("relisting", absl::Seconds(5)))
      << controlplane_->Output();

  // An outage: the proxies keep serving the last config, and changes made after it arrive.
  api_.Fault("down?seconds=60");
  EXPECT_EQ(AwaitRouted("shop.example.com", "shop-web"), "shop-web");
  EXPECT_EQ(AwaitRouted("two.example.com", "blog-web"), "blog-web");
  api_.Fault("up");
  Apply(IngressYaml("blog", "three", "three.example.com", "web"));
  EXPECT_EQ(AwaitRouted("three.example.com", "blog-web", absl::Seconds(40)), "blog-web");
}

}  // namespace
}  // namespace strata::test
