#include "dataplane/server/proxy_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace strata::server {
namespace {

using envoy::config::listener::v3::Listener;

// A filter chain whose HttpConnectionManager routes everything to `cluster` (stat_prefix
// names the chain so tests can tell which one was picked).
void AddChain(Listener& listener, const std::string& match_text, const std::string& prefix) {
  auto* chain = listener.add_filter_chains();
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(match_text,
                                                            chain->mutable_filter_chain_match()));
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
  hcm.set_stat_prefix(prefix);
  auto* filter = hcm.add_http_filters();
  filter->set_name("envoy.filters.http.router");
  filter->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());
  auto* vhost = hcm.mutable_route_config()->add_virtual_hosts();
  vhost->set_name("all");
  vhost->add_domains("*");
  auto* route = vhost->add_routes();
  route->mutable_match()->set_prefix("/");
  route->mutable_route()->set_cluster("c");
  auto* network = chain->add_filters();
  network->set_name("envoy.filters.network.http_connection_manager");
  network->mutable_typed_config()->PackFrom(hcm);
}

Listener BaseListener() {
  Listener listener;
  listener.set_name("l");
  listener.mutable_address()->mutable_socket_address()->set_address("127.0.0.1");
  listener.mutable_address()->mutable_socket_address()->set_port_value(8080);
  return listener;
}

net::Address Addr(const std::string& ip) { return *net::Address::FromIpPort(ip, 1); }

TEST(ListenerConfigTest, ChainsByDirectAndProxiedSourceRanges) {
  Listener proto = BaseListener();
  AddChain(proto, R"pb(direct_source_prefix_ranges {
                         address_prefix: "10.1.0.0"
                         prefix_len { value: 16 }
                       })pb",
           "edge-pods");
  AddChain(proto, R"pb(source_prefix_ranges {
                         address_prefix: "192.0.2.0"
                         prefix_len { value: 24 }
                       })pb",
           "office");
  AddChain(proto, "", "anyone");
  auto listener = ListenerConfig::Create(proto);
  ASSERT_TRUE(listener.ok()) << listener.status();
  auto pick = [&](const std::string& direct, const std::string& source) {
    const FilterChainConfig* chain = (*listener)->SelectChain(Addr(direct), Addr(source), "");
    return chain == nullptr ? std::string("none") : chain->hcm->stat_prefix;
  };
  EXPECT_EQ(pick("10.1.2.3", "203.0.113.1"), "edge-pods");  // a range beats no range
  EXPECT_EQ(pick("10.9.0.1", "192.0.2.77"), "office");
  EXPECT_EQ(pick("10.9.0.1", "203.0.113.1"), "anyone");
}

TEST(ListenerConfigTest, NoChainForAnUntrustedPeer) {
  Listener proto = BaseListener();
  AddChain(proto, R"pb(direct_source_prefix_ranges {
                         address_prefix: "10.1.0.0"
                         prefix_len { value: 16 }
                       })pb",
           "edge-pods");
  auto listener = ListenerConfig::Create(proto);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_FALSE((*listener)->AnyChainFor(Addr("127.0.0.1"), Addr("127.0.0.1")));
  EXPECT_EQ((*listener)->SelectChain(Addr("127.0.0.1"), Addr("10.1.0.1"), ""), nullptr);
  EXPECT_TRUE((*listener)->AnyChainFor(Addr("10.1.0.1"), Addr("198.51.100.1")));
}

TEST(ListenerConfigTest, ProxyProtocolListenerFilter) {
  Listener proto = BaseListener();
  envoy::extensions::filters::listener::proxy_protocol::v3::ProxyProtocol pp;
  pp.set_allow_requests_without_proxy_protocol(true);
  auto* filter = proto.add_listener_filters();
  filter->set_name("envoy.filters.listener.proxy_protocol");
  filter->mutable_typed_config()->PackFrom(pp);
  proto.mutable_listener_filters_timeout()->set_seconds(3);
  AddChain(proto, "", "all");
  auto listener = ListenerConfig::Create(proto);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE((*listener)->proxy_protocol);
  EXPECT_TRUE((*listener)->allow_without_proxy_protocol);
  EXPECT_EQ((*listener)->listener_filters_timeout, absl::Seconds(3));
}

TEST(ListenerConfigTest, TlsChainWaitsForItsSdsSecret) {
  Listener proto = BaseListener();
  AddChain(proto, R"pb(server_names: "a.example")pb", "a");
  envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext tls;
  auto* sds = tls.mutable_common_tls_context()->add_tls_certificate_sds_secret_configs();
  sds->set_name("a-cert");
  sds->mutable_sds_config()->mutable_ads();
  proto.mutable_filter_chains(0)->mutable_transport_socket()->set_name("tls");
  proto.mutable_filter_chains(0)->mutable_transport_socket()->mutable_typed_config()->PackFrom(tls);
  auto listener = ListenerConfig::Create(proto);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE((*listener)->tls);
  EXPECT_FALSE((*listener)->Warm());
  EXPECT_EQ((*listener)->missing_secrets, (std::vector<std::string>{"a-cert"}));
  EXPECT_EQ((*listener)->secret_names.count("a-cert"), 1u);
  EXPECT_EQ((*listener)->tls_context, nullptr);
}

struct BadCase {
  const char* name;
  std::function<void(Listener&)> edit;
  const char* error;
};

class ListenerRejectsTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ListenerRejectsTest, WithAPreciseMessage) {
  Listener proto = BaseListener();
  AddChain(proto, "", "all");
  GetParam().edit(proto);
  auto listener = ListenerConfig::Create(proto);
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.status().message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ListenerRejectsTest,
    ::testing::Values(
        BadCase{"ServerNamesWithoutTls",
                [](Listener& l) {
                  l.mutable_filter_chains(0)->mutable_filter_chain_match()->add_server_names("x");
                },
                "listener \"l\".filter_chains[0].filter_chain_match.server_names: needs a TLS "
                "transport_socket"},
        BadCase{"DestinationPortMatch",
                [](Listener& l) {
                  l.mutable_filter_chains(0)
                      ->mutable_filter_chain_match()
                      ->mutable_destination_port()
                      ->set_value(80);
                },
                "listener \"l\".filter_chains[0].filter_chain_match.destination_port: not "
                "supported by strata-proxy"},
        BadCase{"BadRange",
                [](Listener& l) {
                  auto* r = l.mutable_filter_chains(0)
                                ->mutable_filter_chain_match()
                                ->add_source_prefix_ranges();
                  r->set_address_prefix("10.0.0.0");
                  r->mutable_prefix_len()->set_value(40);
                },
                "listener \"l\".filter_chains[0].filter_chain_match.source_prefix_ranges[0]: "
                "prefix /40 > 32"},
        BadCase{"UnknownListenerFilter",
                [](Listener& l) {
                  auto* f = l.add_listener_filters();
                  f->set_name("x");
                  f->mutable_typed_config()->PackFrom(
                      envoy::extensions::filters::http::router::v3::Router());
                },
                "listener \"l\".listener_filters[0].typed_config: "
                "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router is not "
                "supported (ProxyProtocol or TlsInspector)"},
        BadCase{"NoChains", [](Listener& l) { l.clear_filter_chains(); },
                "listener \"l\".filter_chains: at least one is required"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace strata::server
