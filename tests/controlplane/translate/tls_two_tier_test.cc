// TLS at the edge: Ingress spec.tls and kubernetes.io/tls Secrets, translated and read back
// through strata-proxy's own listener and secret code.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/translate/two_tier.h"
#include "dataplane/server/proxy_config.h"
#include "dataplane/server/tls_config.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/translate/tier_test_util.h"
#include "tests/dataplane/tls/tls_test_util.h"

namespace strata::translate {
namespace {

using ::strata::tls::testing::KeyPair;
using ::strata::tls::testing::TestPki;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using namespace ::strata::translate::testing;  // NOLINT(google-build-using-namespace)

std::string Secret(const std::string& ns, const std::string& name, const KeyPair& pair) {
  return TlsSecret(ns, name, pair.cert_pem, pair.key_pem);
}

// `ingress` (from Ingress()) with a spec.tls entry.
std::string WithTls(const std::string& ingress, const std::vector<std::string>& hosts,
                    const std::string& secret) {
  std::string out = absl::StrCat(ingress, "  tls:\n  - hosts: [");
  for (size_t i = 0; i < hosts.size(); ++i) {
    absl::StrAppend(&out, i ? ", " : "", "\"", hosts[i], "\"");
  }
  absl::StrAppend(&out, "]\n");
  if (!secret.empty()) absl::StrAppend(&out, "    secretName: ", secret, "\n");
  return out;
}

TEST(TlsTwoTierTest, TheOwnersCertificateIsServedAtTheEdgeOnly) {
  const TestPki& pki = TestPki::Get();
  const TwoTierConfig config = TranslateTwoTier(
      Parse(EdgeTier({"10.0.0.7"}) + AppTier("shop", 8081, {"10.0.1.5"}) +
            Service("shop", "web", 8080, {"10.0.1.1"}) +
            Service("blog", "web", 8080, {"10.0.2.1"}) + Secret("shop", "site", pki.a) +
            Secret("blog", "site", pki.wild) + Secret("blog", "unused", pki.b) +
            WithTls(Ingress("shop", "front", "a.example", {{"/", "Prefix", "web"}}), {"a.example"},
                    "site") +
            // No hosts: the rules' hosts. Two hosts under one wildcard certificate.
            WithTls(Ingress("blog", "front", "x.wild.example", {{"/", "Prefix", "web"}}) +
                        "  - host: y.wild.example\n    http:\n      paths:\n"
                        "      - {path: /, pathType: Prefix, backend: {service: {name: web, "
                        "port: {number: 80}}}}\n",
                    {}, "site")),
      Options());
  EXPECT_THAT(config.reports, IsEmpty());
  ExpectProxyAccepts(config.edge);

  // One chain per Secret, chosen by SNI, on the HTTPS port; the routes are the HTTP ones.
  const auto* listener = TlsListener(config.edge);
  ASSERT_NE(listener, nullptr);
  EXPECT_EQ(listener->address().socket_address().port_value(), 8443u);
  EXPECT_THAT(Chains(config.edge), ElementsAre("tls/blog/site: x.wild.example,y.wild.example",
                                               "tls/shop/site: a.example"));
  auto parsed = server::ListenerConfig::Create(*listener);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT((*parsed)->secret_names, ElementsAre("tls/blog/site", "tls/shop/site"));
  EXPECT_EQ(AtEdge(config, "a.example", "/"), "app/shop");
  EXPECT_EQ(AtEdge(config, "y.wild.example", "/"), "svc/blog/web/80");

  // Only the Secrets in use, only to the edge: the app tier never sees a private key.
  ASSERT_EQ(config.edge.secrets.size(), 2u);
  EXPECT_EQ(config.edge.secrets[0].name(), "tls/blog/site");
  EXPECT_EQ(config.edge.secrets[1].name(), "tls/shop/site");
  EXPECT_EQ(config.edge.secrets[1].tls_certificate().certificate_chain().inline_string(),
            pki.a.cert_pem);
  EXPECT_EQ(config.edge.secrets[1].tls_certificate().private_key().inline_string(), pki.a.key_pem);
  for (const auto& secret : config.edge.secrets) {
    EXPECT_TRUE(server::ValidateSecret(secret, "secret").ok()) << secret.name();
  }
  EXPECT_THAT(config.apps.at("shop").secrets, IsEmpty());
}

TEST(TlsTwoTierTest, WithoutTlsHostsThereIsNoHttpsListener) {
  const TestPki& pki = TestPki::Get();
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "web", 8080, {"10.0.1.1"}) + Secret("shop", "site", pki.a) +
            Ingress("shop", "front", "a.example", {{"/", "Prefix", "web"}})),
      Options());
  EXPECT_EQ(TlsListener(config.edge), nullptr);
  EXPECT_THAT(config.edge.secrets, IsEmpty());
}

TEST(TlsTwoTierTest, ProblemsAreReportedAndTheHostStaysOnHttp) {
  const TestPki& pki = TestPki::Get();
  source::ClusterState state = Parse(
      Service("shop", "web", 8080, {"10.0.1.1"}) + Service("blog", "web", 8080, {"10.0.2.1"}) +
      Secret("shop", "site", pki.a) + Secret("shop", "rotated", pki.a_rotated) +
      WithTls(
          Ingress("shop", "front", "a.example", {{"/", "Prefix", "web"}}, "2026-01-01T00:00:00Z"),
          {"a.example"}, "site") +
      // Newer, same host, another Secret: the older object's certificate stays.
      WithTls(Ingress("shop", "late", "a.example", {{"/late", "Prefix", "web"}},
                      "2026-02-01T00:00:00Z"),
              {"a.example"}, "rotated") +
      // A host of another namespace, and a Secret that does not exist.
      WithTls(
          Ingress("blog", "thief", "b.example", {{"/", "Prefix", "web"}}, "2026-03-01T00:00:00Z"),
          {"a.example", "b.example"}, "site") +
      // The certificate does not name the host: served, and said.
      WithTls(Ingress("shop", "mismatch", "c.example", {{"/", "Prefix", "web"}}), {"c.example"},
              "site") +
      WithTls(Ingress("shop", "nosecret", "d.example", {{"/", "Prefix", "web"}}), {"d.example"},
              "") +
      WithTls(Ingress("shop", "broken", "e.example", {{"/", "Prefix", "web"}}), {"e.example"},
              "broken"));
  source::RejectedObject rejected;
  rejected.kind = "Secret";
  rejected.namespace_ = "shop";
  rejected.name = "broken";
  rejected.message = "Secret shop/broken: data: the private key does not match the certificate";
  state.rejected[{"Secret", "shop", "broken"}] = rejected;
  const TwoTierConfig config = TranslateTwoTier(state, Options());
  ExpectProxyAccepts(config.edge);

  EXPECT_THAT(Chains(config.edge), ElementsAre("tls/shop/site: a.example,c.example"));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "front"), IsEmpty());
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "late"),
              ElementsAre("spec.tls[0]: host \"a.example\" already has the certificate of Secret "
                          "shop/site (from Ingress shop/front, which is older); Secret "
                          "shop/rotated is not used for it"));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "blog", "thief"),
              UnorderedElementsAre(
                  "spec.tls[0]: host \"a.example\" is not served for namespace \"blog\", so no "
                  "certificate is served for it",
                  "spec.tls[0]: Secret blog/site does not exist or is not of type "
                  "kubernetes.io/tls; host \"b.example\" is served over HTTP only"));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "mismatch"),
              ElementsAre("spec.tls[0]: the certificate of Secret shop/site is for "
                          "\"a.example\", not for host \"c.example\"; clients will refuse it"));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "nosecret"),
              ElementsAre("spec.tls[0]: no secretName, and strata has no default certificate; "
                          "hosts \"d.example\" are served over HTTP only"));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "broken"),
              ElementsAre("spec.tls[0]: Secret shop/broken is not a usable TLS Secret: Secret "
                          "shop/broken: data: the private key does not match the certificate; "
                          "host \"e.example\" is served over HTTP only"));
  // Every host is still routed over HTTP.
  for (const char* host : {"b.example", "d.example", "e.example"}) {
    EXPECT_EQ(AtEdge(config, host, "/"),
              "svc/" + std::string(host[0] == 'b' ? "blog" : "shop") + "/web/80")
        << host;
  }
}

TEST(TlsTwoTierTest, HttpsOnlyRoutesAreKeptApartAtBothTiers) {
  const TestPki& pki = TestPki::Get();
  const TwoTierConfig config = TranslateTwoTier(
      Parse(EdgeTier({"10.0.0.7"}) + AppTier("shop", 8081, {"10.0.1.5"}) +
            Service("shop", "web", 8080, {"10.0.1.1"}) +
            Service("shop", "api", 8080, {"10.0.1.2"}) +
            Service("blog", "web", 8080, {"10.0.2.1"}) + Secret("shop", "site", pki.a) +
            Secret("blog", "site", pki.b) +
            // shop, two tiers: the Ingress serves both schemes and gives the certificate;
            // a TLS router (HTTPS only) and a "web" router (HTTP only) share the host.
            WithTls(Ingress("shop", "front", "a.example", {{"/", "Prefix", "web"}}), {"a.example"},
                    "site") +
            IngressRoute("shop", "secure", R"(
  - match: Host(`a.example`) && PathPrefix(`/admin`)
    kind: Rule
    services: [{name: api, port: 80}]
)",
                         "  tls: {}\n") +
            IngressRoute("shop", "plain", R"(
  - match: Host(`a.example`) && PathPrefix(`/plain`)
    kind: Rule
    services: [{name: api, port: 80}]
)",
                         "  entryPoints: [web]\n") +
            // blog, single tier: HTTPS only, with its own certificate.
            IngressRoute("blog", "site", R"(
  - match: Host(`b.example`)
    kind: Rule
    services: [{name: web, port: 80}]
)",
                         "  entryPoints: [websecure]\n  tls: {secretName: site}\n")),
      Options());
  EXPECT_THAT(config.reports, IsEmpty());
  ExpectProxyAccepts(config.edge);
  ExpectProxyAccepts(config.apps.at("shop"));
  EXPECT_THAT(Chains(config.edge),
              ElementsAre("tls/blog/site: b.example", "tls/shop/site: a.example"));

  // The edge: one route configuration per listener.
  auto https = [&](const std::string& host, const std::string& path) {
    return Route(config.edge, kEdgeTlsListenerName, host, path);
  };
  EXPECT_EQ(AtEdge(config, "a.example", "/admin"), "app/shop");
  EXPECT_EQ(https("a.example", "/admin"), "app/shop");
  EXPECT_EQ(AtEdge(config, "b.example", "/"), "404");
  EXPECT_EQ(https("b.example", "/"), "svc/blog/web/80");

  // shop's app tier tells the schemes apart by the X-Forwarded-Proto the edge always sets.
  auto app = [&](const std::string& path, const std::string& proto) {
    return Route(config.apps.at("shop"), kAppListenerName, "a.example", path,
                 {{"x-forwarded-proto", proto}});
  };
  EXPECT_EQ(app("/admin/x", "https"), "svc/shop/api/80");
  EXPECT_EQ(app("/admin/x", "http"), "svc/shop/web/80");
  EXPECT_EQ(app("/plain", "http"), "svc/shop/api/80");
  EXPECT_EQ(app("/plain", "https"), "svc/shop/web/80");
  EXPECT_EQ(app("/other", "https"), "svc/shop/web/80");
}

TEST(TlsTwoTierTest, AnotherNamespacesWildcardCertificateDoesNotServeAHost) {
  const TestPki& pki = TestPki::Get();
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
            Service("blog", "web", 8080, {"10.0.2.1"}) + Secret("shop", "wild", pki.wild) +
            WithTls(Ingress("shop", "front", "*.wild.example", {{"/", "Prefix", "web"}}),
                    {"*.wild.example"}, "wild") +
            Ingress("blog", "front", "x.wild.example", {{"/", "Prefix", "web"}})),
      Options());
  EXPECT_THAT(config.reports, IsEmpty());
  EXPECT_THAT(Chains(config.edge), ElementsAre("tls/shop/wild: *.wild.example"));
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "y.wild.example", "/"), "svc/shop/web/80");
  // blog's host answers HTTP; over HTTPS (shop's certificate by SNI) it is not routed.
  EXPECT_EQ(AtEdge(config, "x.wild.example", "/"), "svc/blog/web/80");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "x.wild.example", "/"), "404");
}

TEST(TlsTwoTierTest, ARefusedEditKeepsTheLastCertificateAndSaysSo) {
  const TestPki& pki = TestPki::Get();
  source::ClusterState state =
      Parse(Service("shop", "web", 8080, {"10.0.1.1"}) + Secret("shop", "site", pki.wild) +
            // The certificate is for a name the namespace's wildcard rule covers.
            WithTls(Ingress("shop", "front", "*.wild.example", {{"/", "Prefix", "web"}}),
                    {"a.wild.example"}, "site"));
  source::RejectedObject rejected;
  rejected.kind = "Secret";
  rejected.namespace_ = "shop";
  rejected.name = "site";
  rejected.message = "Secret shop/site: data[tls.key]: must be base64";
  state.rejected[{"Secret", "shop", "site"}] = rejected;
  const TwoTierConfig config = TranslateTwoTier(state, Options());
  EXPECT_THAT(Chains(config.edge), ElementsAre("tls/shop/site: a.wild.example"));
  EXPECT_THAT(ProblemsOf(config, "Ingress", "shop", "front"),
              ElementsAre("spec.tls[0]: the latest version of Secret shop/site is refused "
                          "(Secret shop/site: data[tls.key]: must be base64); its last valid "
                          "version is served"));
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "a.wild.example", "/"), "svc/shop/web/80");
}

TEST(TlsTwoTierTest, AHostHeaderUnlikeTheSniNeverReachesAnotherNamespace) {
  const TestPki& pki = TestPki::Get();
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
            Service("blog", "web", 8080, {"10.0.2.1"}) + Secret("shop", "site", pki.wild) +
            Ingress("blog", "front", "b.wild.example", {{"/", "Prefix", "web"}},
                    "2026-01-01T00:00:00Z") +
            WithTls(Ingress("shop", "front", "*.wild.example", {{"/", "Prefix", "web"}},
                            "2026-02-01T00:00:00Z"),
                    {"a.wild.example"}, "site")),
      Options());
  // A TLS connection made for a.wild.example asking for blog's host: 404, not shop's routes.
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "a.wild.example", "/"), "svc/shop/web/80");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "b.wild.example", "/"), "404");
  EXPECT_EQ(AtEdge(config, "b.wild.example", "/"), "svc/blog/web/80");
}

TEST(TlsTwoTierTest, AHostWithoutRoutesForAProtocolIsA404OfItsOwn) {
  const TestPki& pki = TestPki::Get();
  const TwoTierConfig config = TranslateTwoTier(
      Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
            Service("blog", "web", 8080, {"10.0.2.1"}) + Secret("shop", "wild", pki.wild) +
            Secret("blog", "own", pki.a) +
            // blog's older hosts: one HTTPS-only without a certificate, one with a certificate
            // whose only route is HTTP-only.
            IngressRoute("blog", "secure", R"(
  - match: Host(`s.wild.example`)
    kind: Rule
    services: [{name: web, port: 80}]
)",
                         "  tls: {}\n") +
            IngressRoute("blog", "plain", R"(
  - match: Host(`p.wild.example`)
    kind: Rule
    services: [{name: web, port: 80}]
)",
                         "  entryPoints: [web]\n") +
            WithTls(Ingress("blog", "cert", "p.wild.example", {{"/x?", "Prefix", "web"}}),
                    {"p.wild.example"}, "own") +
            // shop's wildcard, with a certificate, claimed later: it never gets blog's hosts.
            // (Undated, as blog's objects: the tie goes to namespace blog.)
            WithTls(Ingress("shop", "front", "*.wild.example", {{"/", "Prefix", "web"}}),
                    {"*.wild.example"}, "wild")),
      Options());
  ExpectProxyAccepts(config.edge);
  EXPECT_EQ(AtEdge(config, "s.wild.example", "/"), "404");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "s.wild.example", "/"), "404");
  EXPECT_EQ(AtEdge(config, "p.wild.example", "/"), "svc/blog/web/80");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "p.wild.example", "/"), "404");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "x.wild.example", "/"), "svc/shop/web/80");
  EXPECT_THAT(ProblemsOf(config, "IngressRoute", "blog", "secure"),
              ElementsAre("host \"s.wild.example\" has no certificate of its namespace, and "
                          "routes of this object serve HTTPS only; they are not routed for it"));
}

TEST(TlsTwoTierTest, OnlyTheCertificateTheProxyPresentsMakesAHostReachable) {
  const TestPki& pki = TestPki::Get();
  // shop owns x.b.wild.example (older) and *.wild.example with a certificate; blog owns
  // *.b.wild.example with its own. A client asking for x.b.wild.example gets blog's
  // certificate (the longest wildcard), so shop's host must not be served over it.
  const TwoTierConfig config =
      TranslateTwoTier(Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
                             Service("blog", "web", 8080, {"10.0.2.1"}) +
                             Secret("shop", "wild", pki.wild) + Secret("blog", "deeper", pki.b) +
                             Ingress("shop", "exact", "x.b.wild.example", {{"/", "Prefix", "web"}},
                                     "2026-01-01T00:00:00Z") +
                             WithTls(Ingress("shop", "front", "*.wild.example",
                                             {{"/", "Prefix", "web"}}, "2026-01-01T00:00:00Z"),
                                     {"*.wild.example"}, "wild") +
                             WithTls(Ingress("blog", "front", "*.b.wild.example",
                                             {{"/", "Prefix", "web"}}, "2026-02-01T00:00:00Z"),
                                     {"*.b.wild.example"}, "deeper")),
                       Options());
  EXPECT_THAT(Chains(config.edge),
              ElementsAre("tls/blog/deeper: *.b.wild.example", "tls/shop/wild: *.wild.example"));
  EXPECT_EQ(AtEdge(config, "x.b.wild.example", "/"), "svc/shop/web/80");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "x.b.wild.example", "/"), "404");
  EXPECT_EQ(Route(config.edge, kEdgeTlsListenerName, "y.b.wild.example", "/"), "svc/blog/web/80");
}

TEST(TlsTwoTierTest, IngressRoutesOnNoEntryPointOfTheEdgeAreReported) {
  const TwoTierConfig config =
      TranslateTwoTier(Parse(Service("shop", "web", 8080, {"10.0.1.1"}) +
                             IngressRoute("shop", "tls-on-web", R"(
  - match: Host(`a.example`)
    kind: Rule
    services: [{name: web, port: 80}]
)",
                                          "  entryPoints: [web]\n  tls: {}\n") +
                             IngressRoute("shop", "elsewhere", R"(
  - match: Host(`b.example`)
    kind: Rule
    services: [{name: web, port: 80}]
)",
                                          "  entryPoints: [metrics]\n")),
                       Options());
  EXPECT_THAT(ProblemsOf(config, "IngressRoute", "shop", "tls-on-web"),
              ElementsAre("spec.tls with only the entry point \"web\": strata serves TLS on "
                          "\"websecure\" only; not routed"));
  EXPECT_THAT(ProblemsOf(config, "IngressRoute", "shop", "elsewhere"),
              ElementsAre("spec.entryPoints [metrics]: none is an entry point of strata's edge; "
                          "not routed",
                          "spec.entryPoints: \"metrics\" is not an entry point of strata's edge "
                          "(\"web\": HTTP, \"websecure\": HTTPS); ignored"));
  // The hosts stay claimed: 404, not another namespace's.
  EXPECT_EQ(AtEdge(config, "a.example", "/"), "404");
}

}  // namespace
}  // namespace strata::translate
