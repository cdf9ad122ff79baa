// strata-proxy with TLS (filter chains by SNI, inline and SDS certificates, rotation) and the
// PROXY protocol, received and sent, against real peers: curl, openssl s_client, the project's
// xDS server, and a second strata-proxy as a TLS app tier.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process.h"
#include "tests/e2e/proxy_fixture.h"

namespace strata::test {
namespace {

// A CA and leaf certificates made with the openssl CLI for one test run.
class Pki {
 public:
  Pki() : dir_(TempDir(absl::StrCat("pki", count_++))) {
    Shell(absl::StrCat("cd ", dir_,
                       " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                       "-keyout ca.key -out ca.pem -days 2 -subj /CN=strata-test-ca 2>&1"));
  }
  // Issues a leaf for `name` (SAN DNS) under file prefix `id`; returns its serial.
  std::string Issue(const std::string& id, const std::string& name) {
    Shell(absl::StrCat(
        "cd ", dir_, " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ",
        id, ".key -out ", id, ".csr -subj /CN=", name, " 2>&1 && printf 'subjectAltName=DNS:", name,
        "' > ", id, ".ext && openssl x509 -req -in ", id, ".csr -CA ca.pem -CAkey ca.key ",
        "-CAcreateserial -out ", id, ".pem -days 2 -extfile ", id, ".ext 2>&1"));
    return Shell(absl::StrCat("openssl x509 -noout -serial -in ", dir_, "/", id, ".pem"));
  }
  std::string Path(const std::string& file) const { return absl::StrCat(dir_, "/", file); }
  std::string Read(const std::string& file) const { return ReadFile(Path(file)); }

 private:
  static inline int count_ = 0;  // each instance its own CA
  std::string dir_;
};

// Runs curl over TLS to `name` (resolved to the proxy); returns "<status>\n<body>" plus the
// certificate subject curl saw on stderr.
std::string CurlTls(const Proxy& proxy, const Pki& pki, const std::string& name) {
  return Shell(absl::StrCat("curl -sv --max-time 10 --cacert ", pki.Path("ca.pem"), " --resolve ",
                            name, ":", proxy.port(), ":127.0.0.1 https://", name, ":", proxy.port(),
                            "/ -w '\\n%{http_code}' 2>&1"));
}

TEST(ProxyTlsTest, FilterChainsBySniAndUnknownNamesFailTheHandshake) {
  Pki pki;
  pki.Issue("a", "a.example");
  pki.Issue("b", "b.example");
  Backend a = StartBackend("a");
  Backend b = StartBackend("b");
  const std::string bootstrap =
      absl::StrCat(kBootstrapHead, R"(    listener_filters:
    - name: envoy.filters.listener.tls_inspector
      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector}
    filter_chains:
    - filter_chain_match: {server_names: ["a.example"]}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            alpn_protocols: ["http/1.1"]
            tls_certificates:
            - certificate_chain: {filename: ")",
                   pki.Path("a.pem"), R"("}
              private_key: {filename: ")",
                   pki.Path("a.key"), R"("}
)",
                   Hcm("a.example", "a", "      "), R"(
    - filter_chain_match: {server_names: ["b.example"]}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificates:
            - certificate_chain: {inline_string: ")",
                   absl::StrReplaceAll(pki.Read("b.pem"), {{"\n", "\\n"}}),
                   R"("}
              private_key: {inline_string: ")",
                   absl::StrReplaceAll(pki.Read("b.key"), {{"\n", "\\n"}}),
                   R"("}
)",
                   Hcm("b.example", "b", "      "), R"(
  clusters:
)",
                   StaticCluster("a", {a.port}), StaticCluster("b", {b.port}));
  Proxy proxy(bootstrap);
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();

  const std::string to_a = CurlTls(proxy, pki, "a.example");
  EXPECT_TRUE(absl::StrContains(to_a, "subject: CN=a.example")) << to_a;
  EXPECT_TRUE(absl::StrContains(to_a, "\"backend\": \"a\"")) << to_a;
  EXPECT_TRUE(absl::StrContains(to_a, "ALPN: server accepted http/1.1")) << to_a;
  EXPECT_TRUE(absl::EndsWith(to_a, "\n200")) << to_a;
  const std::string to_b = CurlTls(proxy, pki, "b.example");
  EXPECT_TRUE(absl::StrContains(to_b, "subject: CN=b.example")) << to_b;
  EXPECT_TRUE(absl::StrContains(to_b, "\"backend\": \"b\"")) << to_b;
  // The client's scheme reaches the backend.
  EXPECT_TRUE(absl::StrContains(to_b, "[\"x-forwarded-proto\", \"https\"]")) << to_b;

  // An unknown name gets no certificate at all: the handshake fails.
  const std::string unknown =
      Shell(absl::StrCat("echo | openssl s_client -connect 127.0.0.1:", proxy.port(),
                         " -servername c.example -CAfile ", pki.Path("ca.pem"), " 2>&1"));
  EXPECT_TRUE(absl::StrContains(unknown, "unrecognized name")) << unknown;
  EXPECT_FALSE(absl::StrContains(unknown, "CN = a.example")) << unknown;
  EXPECT_FALSE(absl::StrContains(unknown, "CN = b.example")) << unknown;
  // TLS 1.2 works as well as 1.3.
  const std::string tls12 =
      Shell(absl::StrCat("echo | openssl s_client -tls1_2 -connect 127.0.0.1:", proxy.port(),
                         " -servername a.example -CAfile ", pki.Path("ca.pem"), " 2>&1"));
  EXPECT_TRUE(absl::StrContains(tls12, "Protocol  : TLSv1.2")) << tls12;
  EXPECT_TRUE(absl::StrContains(tls12, "Verify return code: 0 (ok)")) << tls12;
}

// The xDS test server, reading snapshots from files (as in proxy_xds_test).
class XdsServer {
 public:
  XdsServer() {
    process_ = Subprocess::Start({Runfile("tests/e2e/xds_test_server"), "0"});
    EXPECT_TRUE(process_->WaitForOutput("xds on port ", absl::Seconds(20)));
    const std::string out = process_->Output();
    const size_t at = out.find("xds on port ") + 12;
    EXPECT_TRUE(absl::SimpleAtoi(out.substr(at, out.find('\n', at) - at), &port_));
  }
  bool Load(const std::string& yaml) {
    const std::string path = absl::StrCat(TempDir("snapshots"), "/s", loads_++, ".yaml");
    WriteFile(path, yaml);
    process_->WriteStdin("load " + path + "\n");
    const std::string want = absl::StrCat("loaded ");
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      const std::string out = process_->Output();
      int n = 0;
      for (size_t at = out.find(want); at != std::string::npos; at = out.find(want, at + 1)) ++n;
      if (n >= loads_) return true;
      process_->WaitForOutput("\n", absl::Milliseconds(20));
    }
    return false;
  }
  int port() const { return port_; }

 private:
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
  int loads_ = 0;
};

std::string SecretSnapshot(const Pki& pki, const std::string& id) {
  return absl::StrCat(
      "secrets:\n- name: a-cert\n  tls_certificate:\n    certificate_chain: ", "{inline_string: \"",
      absl::StrReplaceAll(pki.Read(id + ".pem"), {{"\n", "\\n"}}),
      "\"}\n    private_key: {inline_string: \"",
      absl::StrReplaceAll(pki.Read(id + ".key"), {{"\n", "\\n"}}), "\"}\n");
}

std::string ServedSerial(const Proxy& proxy, const Pki& pki) {
  return Shell(absl::StrCat("echo | openssl s_client -connect 127.0.0.1:", proxy.port(),
                            " -servername a.example -CAfile ", pki.Path("ca.pem"),
                            " 2>/dev/null | openssl x509 -noout -serial"));
}

TEST(ProxyTlsTest, CertificateFromSdsRotatesWithoutDroppingConnections) {
  Pki pki;
  const std::string serial1 = pki.Issue("a1", "a.example");
  const std::string serial2 = pki.Issue("a2", "a.example");
  ASSERT_NE(serial1, serial2);
  Backend backend = StartBackend("a");
  XdsServer xds;
  ASSERT_TRUE(xds.Load(SecretSnapshot(pki, "a1")));
  const std::string bootstrap =
      absl::StrCat(R"(admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
dynamic_resources:
  ads_config:
    api_type: DELTA_GRPC
    transport_api_version: V3
    grpc_services: [{envoy_grpc: {cluster_name: xds}}]
static_resources:
  listeners:
  - name: http
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filter_chain_match: {server_names: ["a.example"]}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificate_sds_secret_configs: [{name: a-cert, sds_config: {ads: {}}}]
)",
                   Hcm("a.example", "a", "      "), R"(
  clusters:
)",
                   StaticCluster("a", {backend.port}), StaticCluster("xds", {xds.port()}));
  Proxy proxy(bootstrap);
  // The listener serves only once its certificate arrived over SDS.
  ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
  EXPECT_EQ(ServedSerial(proxy, pki), serial1);

  // A connection opened now stays usable across the rotation.
  auto client = Subprocess::Start({"openssl", "s_client", "-quiet", "-connect",
                                   absl::StrCat("127.0.0.1:", proxy.port()), "-servername",
                                   "a.example", "-CAfile", pki.Path("ca.pem")});
  client->WriteStdin("GET /first HTTP/1.1\r\nHost: a.example\r\n\r\n");
  ASSERT_TRUE(client->WaitForOutput("/first", absl::Seconds(10))) << client->Output();

  ASSERT_TRUE(xds.Load(SecretSnapshot(pki, "a2")));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::string served;
  while (absl::Now() < deadline && (served = ServedSerial(proxy, pki)) != serial2) {
    absl::SleepFor(absl::Milliseconds(50));  // polling the proxy from outside
  }
  EXPECT_EQ(served, serial2);
  client->WriteStdin("GET /second HTTP/1.1\r\nHost: a.example\r\n\r\n");
  EXPECT_TRUE(client->WaitForOutput("/second", absl::Seconds(10))) << client->Output();
}

TEST(ProxyTlsTest, ProxyProtocolFromTrustedSendersOnly) {
  Backend backend = StartBackend("a");
  auto bootstrap = [&](const std::string& trusted) {
    return absl::StrCat(kBootstrapHead, R"(    listener_filters:
    - name: envoy.filters.listener.proxy_protocol
      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol}
    filter_chains:
    - filter_chain_match:
        direct_source_prefix_ranges: [{address_prefix: ")",
                        trusted, R"(", prefix_len: 32}]
)",
                        Hcm("web.example", "web", "      "), R"(
  clusters:
)",
                        StaticCluster("web", {backend.port}));
  };
  {
    Proxy proxy(bootstrap("127.0.0.1"));
    ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
    // curl speaks PROXY protocol v1: the backend sees the client curl reports, not the edge.
    const std::string out =
        Shell(absl::StrCat("curl -s --max-time 10 --haproxy-protocol -H 'Host: web.example' ",
                           proxy.Url("/"), " -w '\\n%{http_code}'"));
    EXPECT_EQ(StatusOf(out), 200) << out;
    EXPECT_EQ(Header(BodyOf(out), "x-forwarded-for"), "127.0.0.1");
    // An explicit header with another client address is believed from a trusted peer.
    const std::string raw = RawExchange(
        proxy.port(),
        "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\nGET / HTTP/1.1\r\nHost: web.example\r\n"
        "Connection: close\r\n\r\n");
    EXPECT_TRUE(absl::StrContains(raw, "[\"x-forwarded-for\", \"203.0.113.7\"]")) << raw;
    // No header: closed without an answer.
    const std::string missing = RawExchange(
        proxy.port(), "GET / HTTP/1.1\r\nHost: web.example\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(missing, "");
    EXPECT_EQ(proxy.Stat("downstream_cx_proxy_protocol_error"), 1u);
  }
  {
    // The only chain trusts another address: a PROXY header from 127.0.0.1 is not believed,
    // the connection is closed.
    Proxy proxy(bootstrap("10.9.9.9"));
    ASSERT_TRUE(proxy.Ready()) << proxy.process().Output();
    const std::string raw = RawExchange(
        proxy.port(),
        "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\nGET / HTTP/1.1\r\nHost: web.example\r\n\r\n");
    EXPECT_EQ(raw, "");
    EXPECT_EQ(proxy.Stat("downstream_cx_no_filter_chain"), 1u);
    EXPECT_EQ(proxy.Stat("upstream_cx_total"), 0u);
  }
}

// An HttpConnectionManager that routes each "host=cluster" pair and leaves X-Forwarded-For as
// it came (an edge in front of an app tier that reads the client from PROXY protocol).
std::string EdgeHcm(const std::vector<std::pair<std::string, std::string>>& routes) {
  return absl::StrCat("\n", Hcm(routes, "      ", /*use_remote_address=*/false));
}

// A cluster of one endpoint on 127.0.0.1:`port` with `transport_socket` (YAML at 4 spaces).
std::string ClusterWith(const std::string& name, int port, const std::string& transport_socket,
                        const std::string& more = "") {
  return absl::StrCat(StaticCluster(name, {port}), "    transport_socket:\n", transport_socket,
                      more);
}

// An UpstreamTlsContext transport socket, indented by `indent`.
std::string UpstreamTls(const std::string& sni, const std::string& ca_path, const std::string& san,
                        const std::string& indent) {
  std::string text = absl::StrFormat(R"(name: envoy.transport_sockets.tls
typed_config:
  "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
  sni: %s
  common_tls_context:
    validation_context:
      trusted_ca: {filename: "%s"}
      match_typed_subject_alt_names:
      - {san_type: DNS, matcher: {exact: "%s"}}
)",
                                     sni, ca_path, san);
  std::string out = indent + absl::StrReplaceAll(text, {{"\n", "\n" + indent}});
  absl::StripTrailingAsciiWhitespace(&out);
  return out + "\n";
}

// An app-tier proxy: TLS for `server_name` only, optionally behind the PROXY protocol listener
// filter (trusted from 127.0.0.1), routing everything to `backend_port`.
std::string AppTier(const Pki& pki, const std::string& server_name, bool proxy_protocol,
                    int backend_port) {
  return absl::StrCat(kBootstrapHead,
                      proxy_protocol ? R"(    listener_filters:
    - name: envoy.filters.listener.proxy_protocol
      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol}
)"
                                     : "",
                      R"(    filter_chains:
    - filter_chain_match:
        server_names: [")",
                      server_name, R"("]
        direct_source_prefix_ranges: [{address_prefix: 127.0.0.1, prefix_len: 32}]
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificates:
            - certificate_chain: {filename: ")",
                      pki.Path("app.pem"), R"("}
              private_key: {filename: ")",
                      pki.Path("app.key"), R"("}
)",
                      Hcm("*", "web", "      "), R"(
  clusters:
)",
                      StaticCluster("web", {backend_port}));
}

TEST(ProxyTlsTest, UpstreamTlsVerifiesTheBackendCertificate) {
  Pki pki;
  pki.Issue("app", "app.internal");
  Pki other;  // another CA, which the backend's certificate does not chain to
  Backend backend = StartBackend("web");
  Proxy app(AppTier(pki, "app.internal", /*proxy_protocol=*/false, backend.port));
  ASSERT_TRUE(app.Ready()) << app.process().Output();
  const std::string ts = "      ";
  Proxy edge(absl::StrCat(
      kBootstrapHead, R"(    filter_chains:
    -)",
      EdgeHcm({{"good.example", "good"},
               {"wrongname.example", "wrongname"},
               {"untrusted.example", "untrusted"},
               {"unknownsni.example", "unknownsni"}}),
      R"(  clusters:
)",
      ClusterWith("good", app.port(),
                  UpstreamTls("app.internal", pki.Path("ca.pem"), "app.internal", ts)),
      ClusterWith("wrongname", app.port(),
                  UpstreamTls("app.internal", pki.Path("ca.pem"), "db.internal", ts)),
      ClusterWith("untrusted", app.port(),
                  UpstreamTls("app.internal", other.Path("ca.pem"), "app.internal", ts)),
      ClusterWith("unknownsni", app.port(),
                  UpstreamTls("other.internal", pki.Path("ca.pem"), "app.internal", ts))));
  ASSERT_TRUE(edge.Ready()) << edge.process().Output();

  const std::string good = Curl(edge, "/hello", "", "good.example");
  ASSERT_EQ(StatusOf(good), 200) << good;
  EXPECT_EQ(BodyOf(good)["path"], "/hello");
  // The app tier received the request over TLS.
  EXPECT_EQ(Header(BodyOf(good), "x-forwarded-proto"), "https");

  const std::string wrong_name = Curl(edge, "/", "", "wrongname.example");
  EXPECT_EQ(StatusOf(wrong_name), 503) << wrong_name;
  EXPECT_TRUE(absl::StartsWith(
      wrong_name,
      "upstream connect error: TLS handshake failed: peer certificate does not match the server "
      "name"))
      << wrong_name;
  const std::string untrusted = Curl(edge, "/", "", "untrusted.example");
  EXPECT_EQ(StatusOf(untrusted), 503) << untrusted;
  EXPECT_TRUE(absl::StartsWith(
      untrusted, "upstream connect error: TLS handshake failed: peer certificate not trusted"))
      << untrusted;
  // The app tier has no certificate for that name: it refuses the handshake.
  const std::string unknown_sni = Curl(edge, "/", "", "unknownsni.example");
  EXPECT_EQ(StatusOf(unknown_sni), 503) << unknown_sni;
  EXPECT_TRUE(absl::StartsWith(unknown_sni, "upstream connect error: TLS handshake failed"))
      << unknown_sni;
  EXPECT_EQ(edge.Stat("upstream_cx_connect_fail"), 3u);
  // A failed handshake never reached the app tier's HTTP layer.
  EXPECT_EQ(app.Stat("downstream_rq_total"), 1u);
}

// Splits the output of one curl run over several URLs with -w '\n%{http_code}\n--\n'.
std::vector<std::string> SplitResponses(const std::string& out) {
  std::vector<std::string> parts = absl::StrSplit(out, "\n--\n", absl::SkipEmpty());
  return parts;
}

TEST(ProxyTlsTest, UpstreamProxyProtocolCarriesEachClientsAddressAcrossTiers) {
  Pki pki;
  pki.Issue("app", "app.internal");
  Backend backend = StartBackend("web");
  // The app tier believes PROXY headers from the edge (127.0.0.1) and speaks TLS behind them.
  Proxy app(AppTier(pki, "app.internal", /*proxy_protocol=*/true, backend.port));
  ASSERT_TRUE(app.Ready()) << app.process().Output();
  const std::string proxy_then_tls =
      absl::StrCat(R"(      name: envoy.transport_sockets.upstream_proxy_protocol
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport
        config: {version: V2}
        transport_socket:
)",
                   UpstreamTls("app.internal", pki.Path("ca.pem"), "app.internal", "          "));
  // One worker, so both clients' requests meet the same connection pool.
  Proxy edge(absl::StrCat(kBootstrapHead, R"(    filter_chains:
    -)",
                          EdgeHcm({{"web.example", "app"}}), R"(  clusters:
)",
                          ClusterWith("app", app.port(), proxy_then_tls, R"(    health_checks:
    - timeout: 2s
      interval: 0.2s
      unhealthy_threshold: 1
      healthy_threshold: 1
      http_health_check: {path: /healthz}
)")),
             /*concurrency=*/1);
  ASSERT_TRUE(edge.Ready()) << edge.process().Output();

  // Two requests on one client connection from 127.0.0.2, then one from 127.0.0.3.
  const std::string url = edge.Url("/");
  const std::string first =
      Shell(absl::StrCat("curl -s --max-time 20 --interface 127.0.0.2 -H 'Host: web.example' -w "
                         "'\\n%{http_code}\\n--\\n' '",
                         url, "' '", url, "'"));
  const std::vector<std::string> responses = SplitResponses(first);
  ASSERT_EQ(responses.size(), 2u) << first;
  for (const std::string& response : responses) {
    ASSERT_EQ(StatusOf(response), 200) << response;
    EXPECT_EQ(Header(BodyOf(response), "x-forwarded-for"), "127.0.0.2") << response;
    EXPECT_EQ(Header(BodyOf(response), "x-forwarded-proto"), "https") << response;
  }
  const std::string second = Shell(absl::StrCat(
      "curl -s --max-time 20 --interface 127.0.0.3 -H 'Host: web.example' -w '\\n%{http_code}' '",
      url, "'"));
  ASSERT_EQ(StatusOf(second), 200) << second;
  EXPECT_EQ(Header(BodyOf(second), "x-forwarded-for"), "127.0.0.3") << second;
  // The second request of 127.0.0.2 reused its connection; 127.0.0.3 did not get it.
  EXPECT_EQ(edge.Stat("upstream_cx_total"), 2u);
  EXPECT_EQ(edge.Stat("upstream_cx_reused"), 1u);

  // Health checks go through the same transport (a PROXY LOCAL header, then TLS) and pass.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (edge.Stat("health_check_successes_total") < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));  // polling the proxy from outside
  }
  EXPECT_GE(edge.Stat("health_check_successes_total"), 2u);
  EXPECT_EQ(edge.Stat("health_check_failures_total"), 0u);
  EXPECT_EQ(app.Stat("downstream_cx_proxy_protocol_error"), 0u);
}

}  // namespace
}  // namespace strata::test
