#include "dataplane/upstream/upstream_transport.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "dataplane/net/proxy_protocol.h"
#include "dataplane/upstream/cluster.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/extensions/transport_sockets/proxy_protocol/v3/upstream_proxy_protocol.pb.h"
#include "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/dataplane/tls/tls_test_util.h"

namespace strata::upstream {
namespace {

using envoy::config::core::v3::TransportSocket;
using tls::testing::TestPki;

constexpr char kTls[] =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
constexpr char kProxy[] =
    "type.googleapis.com/"
    "envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport";
constexpr char kRaw[] =
    "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer";

// Text-format TransportSocket; "$CA" and "$OTHER_CA" stand for the test CAs' PEM.
TransportSocket Parse(const std::string& text) {
  const std::string expanded =
      absl::StrReplaceAll(text, {{"$CA", absl::CEscape(TestPki::Get().ca_pem)},
                                 {"$OTHER_CA", absl::CEscape(TestPki::Get().other_ca_pem)}});
  TransportSocket socket;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(expanded, &socket)) << expanded;
  return socket;
}

std::string TlsSocket(const std::string& body) {
  return absl::StrCat("name: \"tls\" typed_config { [", kTls, "] { ", body, " } }");
}

TEST(UpstreamTransportTest, PlainRawBufferAndTls) {
  EXPECT_FALSE(UpstreamTransport::Plain()->tls());
  EXPECT_EQ(UpstreamTransport::Plain()->proxy_protocol_version(), 0);

  auto raw = UpstreamTransport::Create(
      Parse(absl::StrCat("name: \"raw\" typed_config { [", kRaw, "] {} }")), "ts");
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_FALSE((*raw)->tls());
  EXPECT_EQ(
      (*raw)->ProxyHeader(*net::Address::Parse("1.2.3.4:5"), *net::Address::Parse("5.6.7.8:9")),
      "");

  auto verified = UpstreamTransport::Create(Parse(TlsSocket(R"(sni: "app.internal"
          common_tls_context {
            alpn_protocols: "http/1.1"
            tls_params { tls_minimum_protocol_version: TLSv1_3 }
            validation_context {
              trusted_ca { inline_string: "$CA" }
              match_typed_subject_alt_names { san_type: DNS matcher { exact: "app.internal" } }
            }
          })")),
                                            "ts");
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE((*verified)->tls());
  EXPECT_TRUE((*verified)->verifies_certificate());

  // As in Envoy, no validation context: any certificate is accepted.
  auto unverified = UpstreamTransport::Create(Parse(TlsSocket(R"(sni: "app.internal")")), "ts");
  ASSERT_TRUE(unverified.ok()) << unverified.status();
  EXPECT_TRUE((*unverified)->tls());
  EXPECT_FALSE((*unverified)->verifies_certificate());
}

TEST(UpstreamTransportTest, ProxyProtocolHeadersForClientsAndHealthChecks) {
  const net::Address client = *net::Address::Parse("203.0.113.7:5555");
  const net::Address listener = *net::Address::Parse("10.0.0.1:443");

  auto v2 = UpstreamTransport::Create(
      Parse(absl::StrCat("name: \"pp\" typed_config { [", kProxy,
                         "] { config { version: V2 } transport_socket { name: \"tls\" "
                         "typed_config { [",
                         kTls, "] { sni: \"app.internal\" } } } } }")),
      "ts");
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ((*v2)->proxy_protocol_version(), 2);
  EXPECT_TRUE((*v2)->tls());  // the PROXY header goes first, then TLS
  EXPECT_EQ((*v2)->ProxyHeader(client, listener), net::EncodeProxyProtocolV2(client, listener));
  EXPECT_EQ((*v2)->ProxyHeader(net::Address(), net::Address()), net::EncodeProxyProtocolV2Local());

  // Version 1 is the default, as in Envoy.
  auto v1 = UpstreamTransport::Create(
      Parse(absl::StrCat("name: \"pp\" typed_config { [", kProxy,
                         "] { transport_socket { name: \"raw\" typed_config { [", kRaw,
                         "] {} } } } }")),
      "ts");
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ((*v1)->proxy_protocol_version(), 1);
  EXPECT_FALSE((*v1)->tls());
  EXPECT_EQ((*v1)->ProxyHeader(client, listener), "PROXY TCP4 203.0.113.7 10.0.0.1 5555 443\r\n");
  EXPECT_EQ((*v1)->ProxyHeader(net::Address(), net::Address()), "PROXY UNKNOWN\r\n");
}

TEST(UpstreamTransportTest, AnEndpointUpdateKeepsTheClusterTransport) {
  envoy::config::cluster::v3::Cluster config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      absl::StrCat(R"pb(name: "app"
                        type: EDS
                        eds_cluster_config { eds_config { ads {} } }
                        transport_socket {)pb",
                   TlsSocket(R"(sni: "app.internal")"), " }"),
      &config));
  envoy::config::endpoint::v3::ClusterLoadAssignment first, second;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(cluster_name: "app"
           endpoints {
             lb_endpoints {
               endpoint { address { socket_address { address: "127.0.0.1" port_value: 1 } } }
             }
           })pb",
      &first));
  second = first;
  second.mutable_endpoints(0)
      ->mutable_lb_endpoints(0)
      ->mutable_endpoint()
      ->mutable_address()
      ->mutable_socket_address()
      ->set_port_value(2);
  auto v1 = Cluster::Create(config, &first);
  ASSERT_TRUE(v1.ok()) << v1.status();
  auto v2 = Cluster::Create(config, &second, v1->get());
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ((*v1)->transport(), (*v2)->transport());  // the same TLS context
  config.mutable_transport_socket()->clear_typed_config();
  config.mutable_transport_socket()->mutable_typed_config()->PackFrom(
      envoy::extensions::transport_sockets::raw_buffer::v3::RawBuffer());
  auto v3 = Cluster::Create(config, &second, v2->get());
  ASSERT_TRUE(v3.ok()) << v3.status();
  EXPECT_FALSE((*v3)->transport()->tls());
}

TEST(UpstreamTransportTest, RejectsACaBundleThatIsNoCertificate) {
  auto transport = UpstreamTransport::Create(
      Parse(TlsSocket("common_tls_context { validation_context { trusted_ca { "
                      "inline_string: \"not a certificate\" } } }")),
      "ts");
  ASSERT_FALSE(transport.ok());
  EXPECT_TRUE(
      absl::StartsWith(transport.status().message(), "ts.typed_config: cannot parse ca_pem"))
      << transport.status();
}

struct RejectCase {
  std::string name;
  std::string transport_socket;
  std::string error;
};

class UpstreamTransportRejectsTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(UpstreamTransportRejectsTest, WithAPreciseMessage) {
  auto transport = UpstreamTransport::Create(Parse(GetParam().transport_socket), "ts");
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.status().message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UpstreamTransportRejectsTest,
    ::testing::Values(
        RejectCase{"NoTypedConfig", "name: \"tls\"", "ts.typed_config: is required"},
        RejectCase{"UnknownType",
                   "name: \"x\" typed_config { [type.googleapis.com/"
                   "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext] {} }",
                   "ts.typed_config: type.googleapis.com/"
                   "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext is not "
                   "supported (UpstreamTlsContext, RawBuffer or ProxyProtocolUpstreamTransport)"},
        RejectCase{"H2Alpn", TlsSocket("common_tls_context { alpn_protocols: \"h2\" }"),
                   "ts.typed_config.common_tls_context.alpn_protocols: \"h2\" is not supported "
                   "(http/1.1: strata-proxy speaks HTTP/1.1 to upstreams)"},
        RejectCase{"ClientCertificate",
                   TlsSocket("common_tls_context { tls_certificates { certificate_chain { "
                             "inline_string: \"x\" } } }"),
                   "ts.typed_config.common_tls_context.tls_certificates: not supported by "
                   "strata-proxy"},
        RejectCase{"NoTrustAnchor",
                   TlsSocket("common_tls_context { validation_context { "
                             "match_typed_subject_alt_names { san_type: DNS matcher { exact: "
                             "\"a\" } } } }"),
                   "ts.typed_config.common_tls_context.validation_context: exactly one of "
                   "trusted_ca and system_root_certs is required"},
        RejectCase{"UriSan",
                   TlsSocket("common_tls_context { validation_context { trusted_ca { "
                             "inline_string: \"$CA\" } match_typed_subject_alt_names { san_type: "
                             "URI matcher { exact: \"spiffe://x\" } } } }"),
                   "ts.typed_config.common_tls_context.validation_context."
                   "match_typed_subject_alt_names[0].san_type: URI is not supported (DNS or "
                   "IP_ADDRESS)"},
        RejectCase{"PrefixMatcher",
                   TlsSocket("common_tls_context { validation_context { trusted_ca { "
                             "inline_string: \"$CA\" } match_typed_subject_alt_names { san_type: "
                             "DNS matcher { prefix: \"app\" } } } }"),
                   "ts.typed_config.common_tls_context.validation_context."
                   "match_typed_subject_alt_names[0].matcher.prefix: not supported by "
                   "strata-proxy"},
        RejectCase{"IpTypeWithADnsName",
                   TlsSocket("common_tls_context { validation_context { trusted_ca { "
                             "inline_string: \"$CA\" } match_typed_subject_alt_names { san_type: "
                             "IP_ADDRESS matcher { exact: \"app.internal\" } } } }"),
                   "ts.typed_config.common_tls_context.validation_context."
                   "match_typed_subject_alt_names[0].matcher.exact: \"app.internal\" does not "
                   "fit san_type IP_ADDRESS"},
        RejectCase{"PassThroughTlvs",
                   absl::StrCat("name: \"pp\" typed_config { [", kProxy,
                                "] { config { pass_through_tlvs {} } transport_socket { name: "
                                "\"raw\" typed_config { [",
                                kRaw, "] {} } } } }"),
                   "ts.typed_config.config.pass_through_tlvs: not supported by strata-proxy"},
        RejectCase{"ProxyWithoutInner",
                   absl::StrCat("name: \"pp\" typed_config { [", kProxy, "] { config {} } }"),
                   "ts.typed_config.transport_socket: is required"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace strata::upstream
