#include "controlplane/translate/proxyless.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "controlplane/source/cluster_state.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace strata::translate {
namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::config::endpoint::v3::ClusterLoadAssignment;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using envoy::extensions::filters::http::router::v3::Router;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kWeb[] = "web.default.svc.cluster.local:8080";

// ---- Building input ---------------------------------------------------------------------

source::ServicePort Port(std::string name, uint32_t port,
                         std::variant<uint32_t, std::string> target = uint32_t{0},
                         std::string protocol = "TCP") {
  source::ServicePort p;
  p.name = std::move(name);
  p.port = port;
  p.target_port = std::move(target);
  p.protocol = std::move(protocol);
  return p;
}

void AddService(source::ClusterState& state, std::string ns, std::string name,
                std::vector<source::ServicePort> ports, std::string type = "ClusterIP") {
  source::Service service;
  service.namespace_ = ns;
  service.name = name;
  service.type = std::move(type);
  service.ports = std::move(ports);
  state.services[{std::move(ns), std::move(name)}] = std::move(service);
}

source::EndpointPort SlicePort(std::string name, std::optional<uint32_t> port,
                               std::string protocol = "TCP") {
  source::EndpointPort p;
  p.name = std::move(name);
  p.port = port;
  p.protocol = std::move(protocol);
  return p;
}

source::Endpoint Ep(std::vector<std::string> addresses, std::string zone = "", bool ready = true) {
  source::Endpoint e;
  e.addresses = std::move(addresses);
  e.zone = std::move(zone);
  e.conditions.ready = ready;
  return e;
}

void AddSlice(source::ClusterState& state, std::string ns, std::string name,
              std::string service_name, std::vector<source::EndpointPort> ports,
              std::vector<source::Endpoint> endpoints, std::string address_type = "IPv4") {
  source::EndpointSlice slice;
  slice.namespace_ = ns;
  slice.name = name;
  slice.service_name = std::move(service_name);
  slice.address_type = std::move(address_type);
  slice.ports = std::move(ports);
  slice.endpoints = std::move(endpoints);
  state.endpoint_slices[{std::move(ns), std::move(name)}] = std::move(slice);
}

// The Service web/default with one port "grpc" 8080.
source::ClusterState WebState() {
  source::ClusterState state;
  AddService(state, "default", "web", {Port("grpc", 8080)});
  return state;
}

// ---- Inspecting output ------------------------------------------------------------------

template <typename T>
T ParseText(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

template <typename T>
::testing::AssertionResult ProtoEquals(const T& actual, const std::string& expected_text) {
  const T expected = ParseText<T>(expected_text);
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(expected, actual)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << report << "\nactual:\n" << actual.DebugString();
}

std::string Serialize(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  EXPECT_TRUE(message.SerializeToCodedStream(&coded));
  return out;
}

// Everything in `resources`, serialized, in output order.
std::vector<std::string> SerializeAll(const XdsResources& resources) {
  std::vector<std::string> out;
  for (const auto& r : resources.listeners) out.push_back(Serialize(r));
  for (const auto& r : resources.routes) out.push_back(Serialize(r));
  for (const auto& r : resources.clusters) out.push_back(Serialize(r));
  for (const auto& r : resources.endpoints) out.push_back(Serialize(r));
  for (const auto& w : resources.warnings) out.push_back(w);
  return out;
}

template <typename T>
std::vector<std::string> Names(const std::vector<T>& resources) {
  std::vector<std::string> names;
  for (const T& r : resources) names.push_back(r.name());
  return names;
}

std::vector<std::string> ClusterNames(const std::vector<ClusterLoadAssignment>& assignments) {
  std::vector<std::string> names;
  for (const auto& a : assignments) names.push_back(a.cluster_name());
  return names;
}

const ClusterLoadAssignment* FindAssignment(const XdsResources& resources,
                                            const std::string& name) {
  for (const auto& a : resources.endpoints) {
    if (a.cluster_name() == name) return &a;
  }
  return nullptr;
}

// (zone, address, port) of every endpoint of `assignment`, in output order.
using Flat = std::tuple<std::string, std::string, uint32_t>;
std::vector<Flat> Flatten(const ClusterLoadAssignment& assignment) {
  std::vector<Flat> out;
  for (const auto& locality : assignment.endpoints()) {
    for (const auto& lb_endpoint : locality.lb_endpoints()) {
      const auto& socket = lb_endpoint.endpoint().address().socket_address();
      out.emplace_back(locality.locality().zone(), socket.address(), socket.port_value());
    }
  }
  return out;
}

bool HasWarningContaining(const XdsResources& resources, const std::string& needle) {
  return std::any_of(resources.warnings.begin(), resources.warnings.end(),
                     [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

// ---- Names ------------------------------------------------------------------------------

TEST(ProxylessNamesTest, CanonicalNameAndAliases) {
  EXPECT_EQ(CanonicalName("web", "default", 8080), kWeb);
  EXPECT_THAT(ListenerNames("web", "default", 8080),
              ElementsAre(kWeb, "web.default.svc:8080", "web.default:8080"));
}

TEST(ProxylessTest, OneServicePortYieldsThreeListenersAndOneOfEverythingElse) {
  const XdsResources out = TranslateProxyless(WebState());
  EXPECT_THAT(Names(out.listeners), ElementsAre("web.default.svc.cluster.local:8080",
                                                "web.default.svc:8080", "web.default:8080"));
  EXPECT_THAT(Names(out.routes), ElementsAre(kWeb));
  EXPECT_THAT(Names(out.clusters), ElementsAre(kWeb));
  EXPECT_THAT(ClusterNames(out.endpoints), ElementsAre(kWeb));
  EXPECT_THAT(out.warnings, IsEmpty());
}

// ---- Listener ---------------------------------------------------------------------------

TEST(ProxylessTest, ListenerIsApiListenerWithRdsOverAdsAndRouterLast) {
  const XdsResources out = TranslateProxyless(WebState());
  ASSERT_THAT(out.listeners, SizeIs(3));
  for (const Listener& listener : out.listeners) {
    SCOPED_TRACE(listener.name());
    // Only name and api_listener: no address, no filter chains, no listener filters.
    EXPECT_FALSE(listener.has_address());
    EXPECT_THAT(listener.filter_chains(), IsEmpty());
    EXPECT_THAT(listener.listener_filters(), IsEmpty());
    EXPECT_FALSE(listener.has_default_filter_chain());
    Listener only_name_and_api = listener;
    only_name_and_api.clear_api_listener();
    Listener expected_rest;
    expected_rest.set_name(listener.name());
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(only_name_and_api, expected_rest));

    ASSERT_TRUE(listener.api_listener().api_listener().Is<HttpConnectionManager>());
    EXPECT_EQ(listener.api_listener().api_listener().type_url(),
              "type.googleapis.com/"
              "envoy.extensions.filters.network.http_connection_manager.v3."
              "HttpConnectionManager");
    HttpConnectionManager hcm;
    ASSERT_TRUE(listener.api_listener().api_listener().UnpackTo(&hcm));
    EXPECT_FALSE(hcm.stat_prefix().empty());
    ASSERT_TRUE(hcm.has_rds());
    EXPECT_FALSE(hcm.has_route_config());
    EXPECT_TRUE(hcm.rds().config_source().has_ads());
    EXPECT_EQ(hcm.rds().config_source().resource_api_version(),
              envoy::config::core::v3::ApiVersion::V3);
    EXPECT_EQ(hcm.rds().route_config_name(), kWeb);  // aliases too share the canonical routes

    ASSERT_THAT(hcm.http_filters(), SizeIs(1));
    const auto& router = hcm.http_filters(hcm.http_filters_size() - 1);  // router is last
    EXPECT_EQ(router.name(), "envoy.filters.http.router");
    EXPECT_EQ(router.name(), kRouterFilterName);
    EXPECT_FALSE(router.is_optional());
    ASSERT_TRUE(router.typed_config().Is<Router>());
    EXPECT_EQ(router.typed_config().type_url(),
              "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router");
    Router unpacked;
    EXPECT_TRUE(router.typed_config().UnpackTo(&unpacked));

    EXPECT_TRUE(ProtoEquals(hcm, R"pb(
      stat_prefix: "web.default.svc.cluster.local:8080"
      rds {
        config_source {
          ads {}
          resource_api_version: V3
        }
        route_config_name: "web.default.svc.cluster.local:8080"
      }
      http_filters {
        name: "envoy.filters.http.router"
        typed_config {
          [type.googleapis.com/envoy.extensions.filters.http.router.v3.Router] {}
        }
      }
    )pb"));
  }
}

// ---- RouteConfiguration -----------------------------------------------------------------

TEST(ProxylessTest, RouteConfigurationMatchesEveryNameWithAndWithoutPort) {
  const XdsResources out = TranslateProxyless(WebState());
  ASSERT_THAT(out.routes, SizeIs(1));
  EXPECT_TRUE(ProtoEquals(out.routes[0], R"pb(
    name: "web.default.svc.cluster.local:8080"
    virtual_hosts {
      name: "web.default.svc.cluster.local:8080"
      domains: "web.default.svc.cluster.local:8080"
      domains: "web.default.svc.cluster.local"
      domains: "web.default.svc:8080"
      domains: "web.default.svc"
      domains: "web.default:8080"
      domains: "web.default"
      routes {
        match { prefix: "" }
        route { cluster: "web.default.svc.cluster.local:8080" }
      }
    }
  )pb"));
  // `prefix: ""` must be present (a route needs a path specifier), not merely defaulted.
  EXPECT_EQ(out.routes[0].virtual_hosts(0).routes(0).match().path_specifier_case(),
            envoy::config::route::v3::RouteMatch::kPrefix);
}

// ---- Cluster ----------------------------------------------------------------------------

TEST(ProxylessTest, ClusterIsEdsOverAdsRoundRobin) {
  const XdsResources out = TranslateProxyless(WebState());
  ASSERT_THAT(out.clusters, SizeIs(1));
  EXPECT_TRUE(ProtoEquals(out.clusters[0], R"pb(
    name: "web.default.svc.cluster.local:8080"
    type: EDS
    eds_cluster_config {
      eds_config {
        ads {}
        resource_api_version: V3
      }
      service_name: "web.default.svc.cluster.local:8080"
    }
    lb_policy: ROUND_ROBIN
    connect_timeout { seconds: 5 }
  )pb"));
  EXPECT_EQ(out.clusters[0].type(), Cluster::EDS);
  EXPECT_TRUE(out.clusters[0].eds_cluster_config().eds_config().has_ads());
}

// ---- ClusterLoadAssignment --------------------------------------------------------------

TEST(ProxylessTest, ServiceWithoutSlicesGetsEmptyAssignment) {
  const XdsResources out = TranslateProxyless(WebState());
  ASSERT_THAT(out.endpoints, SizeIs(1));
  EXPECT_TRUE(ProtoEquals(out.endpoints[0], R"pb(
    cluster_name: "web.default.svc.cluster.local:8080"
  )pb"));
}

TEST(ProxylessTest, AssignmentShape) {
  source::ClusterState state = WebState();
  AddSlice(state, "default", "web-abc", "web", {SlicePort("grpc", 8080)},
           {Ep({"10.0.0.2"}, "zone-a"), Ep({"10.0.0.1"}, "zone-a")});
  const XdsResources out = TranslateProxyless(state);
  ASSERT_THAT(out.endpoints, SizeIs(1));
  EXPECT_TRUE(ProtoEquals(out.endpoints[0], R"pb(
    cluster_name: "web.default.svc.cluster.local:8080"
    endpoints {
      locality { zone: "zone-a" }
      load_balancing_weight { value: 2 }
      lb_endpoints {
        endpoint { address { socket_address { address: "10.0.0.1" port_value: 8080 } } }
        health_status: HEALTHY
      }
      lb_endpoints {
        endpoint { address { socket_address { address: "10.0.0.2" port_value: 8080 } } }
        health_status: HEALTHY
      }
    }
  )pb"));
  EXPECT_THAT(out.warnings, IsEmpty());
}

TEST(ProxylessTest, NamedTargetPortResolvesPerSlice) {
  source::ClusterState state;
  AddService(state, "default", "web", {Port("http", 80, std::string("http"))});
  // The two slices hold Pods whose container port "http" has different numbers.
  AddSlice(state, "default", "web-a", "web", {SlicePort("http", 8080)},
           {Ep({"10.0.0.1"}), Ep({"10.0.0.2"})});
  AddSlice(state, "default", "web-b", "web", {SlicePort("http", 9090)}, {Ep({"10.0.1.1"})});
  const XdsResources out = TranslateProxyless(state);
  const ClusterLoadAssignment* cla = FindAssignment(out, "web.default.svc.cluster.local:80");
  ASSERT_NE(cla, nullptr);
  EXPECT_THAT(Flatten(*cla), ElementsAre(Flat{"", "10.0.0.1", 8080}, Flat{"", "10.0.0.2", 8080},
                                         Flat{"", "10.0.1.1", 9090}));
  EXPECT_THAT(out.warnings, IsEmpty());
}

TEST(ProxylessTest, PortsAreMatchedByNameNotPosition) {
  source::ClusterState state;
  AddService(state, "default", "web", {Port("grpc", 8080), Port("metrics", 9100)});
  AddSlice(state, "default", "web-a", "web",
           {SlicePort("metrics", 19100), SlicePort("grpc", 18080)}, {Ep({"10.0.0.1"})});
  const XdsResources out = TranslateProxyless(state);
  ASSERT_NE(FindAssignment(out, kWeb), nullptr);
  EXPECT_THAT(Flatten(*FindAssignment(out, kWeb)), ElementsAre(Flat{"", "10.0.0.1", 18080}));
  ASSERT_NE(FindAssignment(out, "web.default.svc.cluster.local:9100"), nullptr);
  EXPECT_THAT(Flatten(*FindAssignment(out, "web.default.svc.cluster.local:9100")),
              ElementsAre(Flat{"", "10.0.0.1", 19100}));
}

TEST(ProxylessTest, UnnamedServicePortMatchesUnnamedOrSingleSlicePort) {
  source::ClusterState state;
  AddService(state, "default", "one", {Port("", 80)});
  AddService(state, "default", "two", {Port("", 80)});
  AddService(state, "default", "three", {Port("", 80)});
  // Unnamed slice port: matched by (empty) name.
  AddSlice(state, "default", "one-a", "one", {SlicePort("", 8080)}, {Ep({"10.0.0.1"})});
  // A single port with a name: used because the Service port has no name.
  AddSlice(state, "default", "two-a", "two", {SlicePort("web", 8081)}, {Ep({"10.0.0.2"})});
  // Several named ports: none matches an unnamed Service port.
  AddSlice(state, "default", "three-a", "three", {SlicePort("a", 1), SlicePort("b", 2)},
           {Ep({"10.0.0.3"})});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Flatten(*FindAssignment(out, "one.default.svc.cluster.local:80")),
              ElementsAre(Flat{"", "10.0.0.1", 8080}));
  EXPECT_THAT(Flatten(*FindAssignment(out, "two.default.svc.cluster.local:80")),
              ElementsAre(Flat{"", "10.0.0.2", 8081}));
  EXPECT_THAT(Flatten(*FindAssignment(out, "three.default.svc.cluster.local:80")), IsEmpty());
}

TEST(ProxylessTest, NotReadyEndpointsAreLeftOut) {
  source::ClusterState state = WebState();
  source::Endpoint terminating = Ep({"10.0.0.3"}, "", /*ready=*/false);
  terminating.conditions.serving = true;
  terminating.conditions.terminating = true;
  source::Endpoint starting = Ep({"10.0.0.4"}, "", /*ready=*/false);
  starting.conditions.serving = false;
  AddSlice(state, "default", "web-a", "web", {SlicePort("grpc", 8080)},
           {Ep({"10.0.0.1"}), terminating, starting, Ep({"10.0.0.2"})});
  const XdsResources out = TranslateProxyless(state);
  const ClusterLoadAssignment* cla = FindAssignment(out, kWeb);
  ASSERT_NE(cla, nullptr);
  EXPECT_THAT(Flatten(*cla), ElementsAre(Flat{"", "10.0.0.1", 8080}, Flat{"", "10.0.0.2", 8080}));
  for (const auto& locality : cla->endpoints()) {
    for (const auto& lb_endpoint : locality.lb_endpoints()) {
      EXPECT_EQ(lb_endpoint.health_status(), envoy::config::core::v3::HEALTHY);
    }
  }
}

TEST(ProxylessTest, OnlyNotReadyEndpointsStillYieldAnAssignment) {
  source::ClusterState state = WebState();
  AddSlice(state, "default", "web-a", "web", {SlicePort("grpc", 8080)},
           {Ep({"10.0.0.1"}, "z", /*ready=*/false)});
  const XdsResources out = TranslateProxyless(state);
  ASSERT_THAT(out.endpoints, SizeIs(1));
  EXPECT_EQ(out.endpoints[0].cluster_name(), kWeb);
  EXPECT_THAT(out.endpoints[0].endpoints(), IsEmpty());
}

TEST(ProxylessTest, LocalitiesByZoneEachWithWeightAndPriorityZero) {
  source::ClusterState state = WebState();
  AddSlice(state, "default", "web-a", "web", {SlicePort("grpc", 8080)},
           {Ep({"10.0.0.5"}, "zone-b"), Ep({"10.0.0.4"}, "zone-a"), Ep({"10.0.0.3"}, ""),
            Ep({"10.0.0.2"}, "zone-a"), Ep({"10.0.0.1"}, "zone-a")});
  const XdsResources out = TranslateProxyless(state);
  const ClusterLoadAssignment* cla = FindAssignment(out, kWeb);
  ASSERT_NE(cla, nullptr);
  ASSERT_THAT(cla->endpoints(), SizeIs(3));
  const std::vector<std::pair<std::string, uint32_t>> expected = {
      {"", 1}, {"zone-a", 3}, {"zone-b", 1}};
  for (int i = 0; i < cla->endpoints_size(); ++i) {
    const auto& locality = cla->endpoints(i);
    SCOPED_TRACE(locality.locality().zone());
    // gRPC rejects a missing locality and skips a missing weight.
    EXPECT_TRUE(locality.has_locality());
    EXPECT_EQ(locality.locality().zone(), expected[i].first);
    EXPECT_TRUE(locality.locality().region().empty());
    EXPECT_TRUE(locality.locality().sub_zone().empty());
    ASSERT_TRUE(locality.has_load_balancing_weight());
    EXPECT_EQ(locality.load_balancing_weight().value(), expected[i].second);
    EXPECT_EQ(locality.lb_endpoints_size(), static_cast<int>(expected[i].second));
    EXPECT_EQ(locality.priority(), 0u);
  }
  EXPECT_THAT(Flatten(*cla),
              ElementsAre(Flat{"", "10.0.0.3", 8080}, Flat{"zone-a", "10.0.0.1", 8080},
                          Flat{"zone-a", "10.0.0.2", 8080}, Flat{"zone-a", "10.0.0.4", 8080},
                          Flat{"zone-b", "10.0.0.5", 8080}));
}

TEST(ProxylessTest, OneLbEndpointPerAddress) {
  source::ClusterState state = WebState();
  AddSlice(state, "default", "web-a", "web", {SlicePort("grpc", 8080)},
           {Ep({"10.0.0.2", "10.0.0.1"})});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Flatten(*FindAssignment(out, kWeb)),
              ElementsAre(Flat{"", "10.0.0.1", 8080}, Flat{"", "10.0.0.2", 8080}));
}

TEST(ProxylessTest, DuplicateAddressesAreDropped) {
  source::ClusterState state = WebState();
  // An endpoint can briefly appear in two slices; it must be listed once.
  AddSlice(state, "default", "web-a", "web", {SlicePort("grpc", 8080)},
           {Ep({"10.0.0.1"}, "zone-b"), Ep({"10.0.0.2"}, "zone-b")});
  AddSlice(state, "default", "web-b", "web", {SlicePort("grpc", 8080)},
           {Ep({"10.0.0.1"}, "zone-b"), Ep({"10.0.0.1"}, "zone-a")});
  const XdsResources out = TranslateProxyless(state);
  const ClusterLoadAssignment* cla = FindAssignment(out, kWeb);
  ASSERT_NE(cla, nullptr);
  // A clash between zones keeps the smallest zone, whatever the input order.
  EXPECT_THAT(Flatten(*cla),
              ElementsAre(Flat{"zone-a", "10.0.0.1", 8080}, Flat{"zone-b", "10.0.0.2", 8080}));
  ASSERT_THAT(cla->endpoints(), SizeIs(2));
  EXPECT_EQ(cla->endpoints(0).load_balancing_weight().value(), 1u);
  EXPECT_EQ(cla->endpoints(1).load_balancing_weight().value(), 1u);
}

TEST(ProxylessTest, SameAddressOnDifferentPortsIsKept) {
  source::ClusterState state;
  AddService(state, "default", "web", {Port("http", 80, std::string("http"))});
  AddSlice(state, "default", "web-a", "web", {SlicePort("http", 8080)}, {Ep({"10.0.0.1"})});
  AddSlice(state, "default", "web-b", "web", {SlicePort("http", 9090)}, {Ep({"10.0.0.1"})});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Flatten(*FindAssignment(out, "web.default.svc.cluster.local:80")),
              ElementsAre(Flat{"", "10.0.0.1", 8080}, Flat{"", "10.0.0.1", 9090}));
}

TEST(ProxylessTest, Ipv6AddressesAreCanonicalized) {
  source::ClusterState state = WebState();
  AddSlice(state, "default", "web-v6", "web", {SlicePort("grpc", 8080)},
           {Ep({"FD00:0:0:0:0:0:0:1"}), Ep({"fd00::1"})}, "IPv6");
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Flatten(*FindAssignment(out, kWeb)), ElementsAre(Flat{"", "fd00::1", 8080}));
}

TEST(ProxylessTest, SlicesOfOtherServicesAndNamespacesAreIgnored) {
  source::ClusterState state = WebState();
  AddSlice(state, "default", "web-a", "web", {SlicePort("grpc", 8080)}, {Ep({"10.0.0.1"})});
  AddSlice(state, "other", "web-a", "web", {SlicePort("grpc", 8080)}, {Ep({"10.9.0.1"})});
  AddSlice(state, "default", "api-a", "api", {SlicePort("grpc", 8080)}, {Ep({"10.9.0.2"})});
  AddSlice(state, "default", "orphan", "", {SlicePort("grpc", 8080)}, {Ep({"10.9.0.3"})});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Flatten(*FindAssignment(out, kWeb)), ElementsAre(Flat{"", "10.0.0.1", 8080}));
}

TEST(ProxylessTest, MultiPortService) {
  source::ClusterState state;
  AddService(state, "shop", "cart", {Port("grpc", 8080), Port("admin", 9000)});
  AddSlice(state, "shop", "cart-a", "cart", {SlicePort("grpc", 8080), SlicePort("admin", 9001)},
           {Ep({"10.0.0.1"}, "z1")});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(
      Names(out.listeners),
      ElementsAre("cart.shop.svc.cluster.local:8080", "cart.shop.svc.cluster.local:9000",
                  "cart.shop.svc:8080", "cart.shop.svc:9000", "cart.shop:8080", "cart.shop:9000"));
  EXPECT_THAT(Names(out.routes),
              ElementsAre("cart.shop.svc.cluster.local:8080", "cart.shop.svc.cluster.local:9000"));
  EXPECT_THAT(Names(out.clusters),
              ElementsAre("cart.shop.svc.cluster.local:8080", "cart.shop.svc.cluster.local:9000"));
  EXPECT_THAT(ClusterNames(out.endpoints),
              ElementsAre("cart.shop.svc.cluster.local:8080", "cart.shop.svc.cluster.local:9000"));
  EXPECT_THAT(Flatten(*FindAssignment(out, "cart.shop.svc.cluster.local:8080")),
              ElementsAre(Flat{"z1", "10.0.0.1", 8080}));
  EXPECT_THAT(Flatten(*FindAssignment(out, "cart.shop.svc.cluster.local:9000")),
              ElementsAre(Flat{"z1", "10.0.0.1", 9001}));
  // Each port's Listeners and routes point at that port's resources.
  for (const Listener& listener : out.listeners) {
    HttpConnectionManager hcm;
    ASSERT_TRUE(listener.api_listener().api_listener().UnpackTo(&hcm));
    const std::string port = listener.name().substr(listener.name().rfind(':'));
    EXPECT_EQ(hcm.rds().route_config_name(), "cart.shop.svc.cluster.local" + port);
  }
  for (const RouteConfiguration& route : out.routes) {
    EXPECT_EQ(route.virtual_hosts(0).routes(0).route().cluster(), route.name());
  }
  EXPECT_THAT(out.warnings, IsEmpty());
}

TEST(ProxylessTest, OutputIsSortedByNameAcrossServices) {
  source::ClusterState state;
  AddService(state, "b", "svc", {Port("", 80)});
  AddService(state, "a", "zeta", {Port("", 10000), Port("x", 9)});
  AddService(state, "a", "alpha", {Port("", 443)});
  const XdsResources out = TranslateProxyless(state);
  for (const auto& names : {Names(out.listeners), Names(out.routes), Names(out.clusters),
                            ClusterNames(out.endpoints)}) {
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  }
  EXPECT_THAT(out.listeners, SizeIs(12));
  EXPECT_THAT(Names(out.clusters),
              ElementsAre("alpha.a.svc.cluster.local:443", "svc.b.svc.cluster.local:80",
                          "zeta.a.svc.cluster.local:10000", "zeta.a.svc.cluster.local:9"));
}

// ---- Skipped input ----------------------------------------------------------------------

TEST(ProxylessTest, NonTcpPortsAreSkippedWithWarning) {
  source::ClusterState state;
  AddService(state, "kube-system", "dns",
             {Port("dns", 53, uint32_t{53}, "UDP"), Port("dns-tcp", 53),
              Port("sctp", 99, uint32_t{99}, "SCTP")});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Names(out.clusters), ElementsAre("dns.kube-system.svc.cluster.local:53"));
  EXPECT_THAT(out.listeners, SizeIs(3));
  EXPECT_THAT(out.warnings, SizeIs(2));
  EXPECT_TRUE(HasWarningContaining(out, "Service kube-system/dns port 53/UDP"));
  EXPECT_TRUE(HasWarningContaining(out, "Service kube-system/dns port 99/SCTP"));
}

TEST(ProxylessTest, ExternalNameServiceIsSkippedWithWarning) {
  source::ClusterState state = WebState();
  AddService(state, "default", "ext", {Port("https", 443)}, "ExternalName");
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Names(out.clusters), ElementsAre(kWeb));
  EXPECT_THAT(out.listeners, SizeIs(3));
  ASSERT_THAT(out.warnings, SizeIs(1));
  EXPECT_TRUE(HasWarningContaining(out, "Service default/ext"));
  EXPECT_TRUE(HasWarningContaining(out, "ExternalName"));
}

TEST(ProxylessTest, OtherServiceTypesAreTranslatedLikeClusterIp) {
  // Headless Services (clusterIP: None) are ClusterIP Services too; NodePort and
  // LoadBalancer have the same endpoints.
  source::ClusterState state;
  AddService(state, "default", "np", {Port("", 80)}, "NodePort");
  AddService(state, "default", "lb", {Port("", 80)}, "LoadBalancer");
  AddSlice(state, "default", "np-a", "np", {SlicePort("", 8080)}, {Ep({"10.0.0.1"})});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Names(out.clusters),
              ElementsAre("lb.default.svc.cluster.local:80", "np.default.svc.cluster.local:80"));
  EXPECT_THAT(Flatten(*FindAssignment(out, "np.default.svc.cluster.local:80")),
              ElementsAre(Flat{"", "10.0.0.1", 8080}));
  EXPECT_THAT(out.warnings, IsEmpty());
}

TEST(ProxylessTest, FqdnSlicesAreSkippedWithWarning) {
  source::ClusterState state = WebState();
  AddSlice(state, "default", "web-fqdn", "web", {SlicePort("grpc", 8080)},
           {Ep({"backend.example.com"})}, "FQDN");
  AddSlice(state, "default", "web-ip", "web", {SlicePort("grpc", 8080)}, {Ep({"10.0.0.1"})});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Flatten(*FindAssignment(out, kWeb)), ElementsAre(Flat{"", "10.0.0.1", 8080}));
  ASSERT_THAT(out.warnings, SizeIs(1));
  EXPECT_TRUE(HasWarningContaining(out, "EndpointSlice default/web-fqdn"));
  EXPECT_TRUE(HasWarningContaining(out, "FQDN"));
}

TEST(ProxylessTest, InvalidAddressesAndPortsAreSkippedWithWarning) {
  source::ClusterState state;
  AddService(state, "default", "web", {Port("grpc", 8080), Port("", 0)});
  AddSlice(state, "default", "web-a", "web", {SlicePort("grpc", 8080)},
           {Ep({"not-an-ip", "10.0.0.1"}), Ep({"fd00::1"})});
  AddSlice(state, "default", "web-b", "web", {SlicePort("grpc", std::nullopt)}, {Ep({"10.0.0.2"})});
  AddSlice(state, "default", "web-c", "web", {SlicePort("grpc", 70000)}, {Ep({"10.0.0.3"})});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Names(out.clusters), ElementsAre(kWeb));
  EXPECT_THAT(Flatten(*FindAssignment(out, kWeb)), ElementsAre(Flat{"", "10.0.0.1", 8080}));
  EXPECT_TRUE(HasWarningContaining(out, "\"not-an-ip\""));
  EXPECT_TRUE(HasWarningContaining(out, "\"fd00::1\""));  // IPv6 in an IPv4 slice
  EXPECT_TRUE(HasWarningContaining(out, "EndpointSlice default/web-b port \"grpc\": no port"));
  EXPECT_TRUE(HasWarningContaining(out, "EndpointSlice default/web-c port \"grpc\": port 70000"));
  EXPECT_TRUE(HasWarningContaining(out, "Service default/web port 0/TCP"));
  EXPECT_THAT(out.warnings, SizeIs(5));
}

TEST(ProxylessTest, InvalidNamesAndDuplicatePortsAreSkippedWithWarning) {
  source::ClusterState state;
  AddService(state, "default", "a.b", {Port("", 80)});
  AddService(state, "", "web", {Port("", 80)});
  AddService(state, "default", "nop", {});
  AddService(state, "default", "dup", {Port("y", 80), Port("x", 80)});
  const XdsResources out = TranslateProxyless(state);
  EXPECT_THAT(Names(out.clusters), ElementsAre("dup.default.svc.cluster.local:80"));
  EXPECT_THAT(out.warnings, SizeIs(4));
  EXPECT_TRUE(HasWarningContaining(out, "Service default/a.b"));
  EXPECT_TRUE(HasWarningContaining(out, "Service /web"));
  EXPECT_TRUE(HasWarningContaining(out, "Service default/nop: no ports"));
  // The kept port does not depend on the manifest order: "x" sorts first.
  EXPECT_TRUE(HasWarningContaining(out, "(\"y\"): duplicate port number"));
}

TEST(ProxylessTest, EmptyStateYieldsNothing) {
  const XdsResources out = TranslateProxyless(source::ClusterState{});
  EXPECT_THAT(out.listeners, IsEmpty());
  EXPECT_THAT(out.routes, IsEmpty());
  EXPECT_THAT(out.clusters, IsEmpty());
  EXPECT_THAT(out.endpoints, IsEmpty());
  EXPECT_THAT(out.warnings, IsEmpty());
}

// ---- Determinism ------------------------------------------------------------------------

source::ClusterState RichState(bool reversed) {
  source::ClusterState state;
  std::vector<source::ServicePort> cart_ports = {Port("grpc", 8080, std::string("grpc")),
                                                 Port("admin", 9000),
                                                 Port("dns", 53, uint32_t{53}, "UDP")};
  std::vector<source::EndpointPort> slice_ports = {SlicePort("grpc", 18080),
                                                   SlicePort("admin", 19000)};
  std::vector<source::Endpoint> endpoints = {
      Ep({"10.0.0.3", "10.0.0.13"}, "z2"),     Ep({"10.0.0.1"}, "z1"), Ep({"10.0.0.2"}, ""),
      Ep({"10.0.0.9"}, "z1", /*ready=*/false), Ep({"bogus"}, "z1"),    Ep({"10.0.0.1"}, "z1")};
  if (reversed) {
    std::reverse(cart_ports.begin(), cart_ports.end());
    std::reverse(slice_ports.begin(), slice_ports.end());
    std::reverse(endpoints.begin(), endpoints.end());
    for (auto& e : endpoints) std::reverse(e.addresses.begin(), e.addresses.end());
  }
  // Insertion order differs too.
  if (reversed) {
    AddService(state, "shop", "web", {Port("", 80)});
    AddService(state, "shop", "ext", {Port("", 80)}, "ExternalName");
    AddService(state, "shop", "cart", cart_ports);
  } else {
    AddService(state, "shop", "cart", cart_ports);
    AddService(state, "shop", "ext", {Port("", 80)}, "ExternalName");
    AddService(state, "shop", "web", {Port("", 80)});
  }
  AddSlice(state, "shop", "cart-a", "cart", slice_ports, endpoints);
  AddSlice(state, "shop", "cart-b", "cart", {SlicePort("grpc", 28080)}, {Ep({"10.0.1.1"}, "z1")});
  AddSlice(state, "shop", "cart-f", "cart", {SlicePort("grpc", 8080)}, {Ep({"a.example"})}, "FQDN");
  AddSlice(state, "shop", "web-a", "web", {SlicePort("", 8080)}, {Ep({"10.0.2.1"}, "z3")});
  return state;
}

TEST(ProxylessTest, SameInputGivesIdenticalOutput) {
  const source::ClusterState state = RichState(/*reversed=*/false);
  const std::vector<std::string> first = SerializeAll(TranslateProxyless(state));
  const std::vector<std::string> second = SerializeAll(TranslateProxyless(state));
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, second);
}

TEST(ProxylessTest, InputOrderDoesNotMatter) {
  const XdsResources forward = TranslateProxyless(RichState(/*reversed=*/false));
  const XdsResources backward = TranslateProxyless(RichState(/*reversed=*/true));
  EXPECT_EQ(SerializeAll(forward), SerializeAll(backward));
  // Sanity: the rich state exercises what it should.
  EXPECT_THAT(forward.clusters, SizeIs(3));
  EXPECT_THAT(Flatten(*FindAssignment(forward, "cart.shop.svc.cluster.local:8080")),
              ElementsAre(Flat{"", "10.0.0.2", 18080}, Flat{"z1", "10.0.0.1", 18080},
                          Flat{"z1", "10.0.1.1", 28080}, Flat{"z2", "10.0.0.13", 18080},
                          Flat{"z2", "10.0.0.3", 18080}));
  EXPECT_THAT(Flatten(*FindAssignment(forward, "cart.shop.svc.cluster.local:9000")),
              ElementsAre(Flat{"", "10.0.0.2", 19000}, Flat{"z1", "10.0.0.1", 19000},
                          Flat{"z2", "10.0.0.13", 19000}, Flat{"z2", "10.0.0.3", 19000}));
  EXPECT_THAT(forward.warnings, SizeIs(4));  // UDP port, ExternalName, FQDN slice, "bogus"
  EXPECT_TRUE(std::is_sorted(forward.warnings.begin(), forward.warnings.end()));
}

}  // namespace
}  // namespace strata::translate
