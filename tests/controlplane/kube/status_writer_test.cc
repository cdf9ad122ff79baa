// StatusWriter against the stand-in API server: only the leader writes, problems become an
// annotation and one Event, and a fixed object loses the annotation.
#include "controlplane/kube/status_writer.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "controlplane/kube/api_client.h"
#include "controlplane/source/manifest_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/kube/stand_in.h"

namespace strata::kube {
namespace {

using ::testing::HasSubstr;

constexpr char kIngressPath[] = "/apis/networking.k8s.io/v1/namespaces/shop/ingresses";

class StatusWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = api_.Client();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    auto created = client_->Call("POST", kIngressPath, R"({"apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"rules": [{"host": "shop.example.com"}]}})");
    ASSERT_TRUE(created.ok() && created->status == 201);
  }

  // The state as the KubeSource would see it now.
  source::ClusterState State() {
    auto got = client_->Call("GET", absl::StrCat(kIngressPath, "/web"), "");
    EXPECT_TRUE(got.ok() && got->status == 200);
    source::ClusterState state;
    auto object = source::ReadApiObject(nlohmann::json::parse(got->body), "ingresses");
    EXPECT_TRUE(object.ok()) << object.status();
    if (object.ok()) source::AddToState(*object, state);
    return state;
  }

  static translate::TwoTierConfig Config(const std::string& problem) {
    translate::TwoTierConfig config;
    config.served.push_back({"Ingress", "shop", "web"});
    if (!problem.empty()) config.reports.push_back({"Ingress", "shop", "web", {problem}});
    return config;
  }

  std::string Version() {
    auto got = client_->Call("GET", absl::StrCat(kIngressPath, "/web"), "");
    return got.ok() ? nlohmann::json::parse(got->body)["metadata"].value("resourceVersion", "")
                    : "";
  }

  std::string Events() {
    auto got = client_->Call("GET", "/api/v1/namespaces/shop/events", "");
    return got.ok() ? got->body : "";
  }

  test::StandInApiServer api_;
  std::unique_ptr<ApiClient> client_;
};

TEST_F(StatusWriterTest, OnlyTheLeaderWritesAndWritesAreIdempotent) {
  StatusWriter writer(*client_, RealClock::Get());
  writer.Update(State(), Config("not routed: host taken"));
  // Not leading: nothing is written.
  EXPECT_FALSE(writer.AwaitIdle(absl::Milliseconds(300)));
  EXPECT_EQ(State().ingresses.at({"shop", "web"}).reported_problems, "");

  writer.SetLeader(true);
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  EXPECT_EQ(State().ingresses.at({"shop", "web"}).reported_problems, "not routed: host taken");
  EXPECT_THAT(Events(), HasSubstr("not routed: host taken"));
  EXPECT_THAT(Events(), HasSubstr("\"reason\": \"NotRouted\""));

  // Seen back through the watch, the same problems write nothing more: the object keeps its
  // resourceVersion.
  const std::string events_before = Events();
  const std::string version_before = Version();
  writer.Update(State(), Config("not routed: host taken"));
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  EXPECT_EQ(Events(), events_before);
  EXPECT_EQ(Version(), version_before);

  // Fixed: the annotation goes away.
  writer.Update(State(), Config(""));
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  EXPECT_EQ(State().ingresses.at({"shop", "web"}).reported_problems, "");
}

TEST_F(StatusWriterTest, ServedIngressesPublishTheEdgeAddresses) {
  StatusWriter writer(*client_, RealClock::Get());
  writer.SetLeader(true);
  translate::TwoTierConfig config = Config("");
  config.edge_addresses = {{"203.0.113.7", ""}, {"", "lb.example.net"}};
  writer.Update(State(), config);
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  EXPECT_EQ(State().ingresses.at({"shop", "web"}).load_balancer, config.edge_addresses);

  // Seen back, nothing more is written.
  const std::string version = Version();
  writer.Update(State(), config);
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  EXPECT_EQ(Version(), version);

  // The edge loses its addresses: so does the Ingress.
  config.edge_addresses.clear();
  writer.Update(State(), config);
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  EXPECT_TRUE(State().ingresses.at({"shop", "web"}).load_balancer.empty());
}

TEST_F(StatusWriterTest, GatewayApiConditionsAreMergedIntoTheStatusSubresource) {
  constexpr char kRoutePath[] = "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes";
  auto created = client_->Call("POST", kRoutePath, R"({
      "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
      "metadata": {"name": "web", "namespace": "shop"},
      "spec": {"parentRefs": [{"name": "edge", "namespace": "strata-system"}]}})");
  ASSERT_TRUE(created.ok() && created->status == 201) << (created.ok() ? created->body : "");
  // Another controller reports on the same route.
  nlohmann::json object = nlohmann::json::parse(created->body);
  object["status"] = nlohmann::json::parse(R"({"parents": [{"parentRef": {"name": "other-gw"},
      "controllerName": "example.com/other",
      "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted",
                      "message": "theirs", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}]})");
  auto put = client_->Call("PUT", absl::StrCat(kRoutePath, "/web/status"), object.dump());
  ASSERT_TRUE(put.ok() && put->status == 200) << (put.ok() ? put->body : "");

  auto route_status = [&] {
    auto got = client_->Call("GET", absl::StrCat(kRoutePath, "/web"), "");
    EXPECT_TRUE(got.ok() && got->status == 200);
    return got.ok() ? nlohmann::json::parse(got->body) : nlohmann::json();
  };
  auto config = [](const std::string& accepted, const std::string& uid = "uid-1") {
    translate::TwoTierConfig out;
    out.gateway_api.controller_name = "strata.dev/gateway-controller";
    source::ParentReference ref;
    ref.namespace_ = "strata-system";
    ref.name = "edge";
    out.gateway_api.routes.push_back(translate::HttpRouteStatus{
        {"shop", "web"},
        uid,
        1,
        {{ref, {translate::Condition{"Accepted", accepted, "Accepted", "served"}}}}});
    return out;
  };

  StatusWriter writer(*client_, RealClock::Get());
  writer.SetLeader(true);
  writer.Update(State(), config("True"));
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  nlohmann::json route = route_status();
  const nlohmann::json& parents = route["status"]["parents"];
  ASSERT_EQ(parents.size(), 2u) << route.dump();
  EXPECT_EQ(parents[0]["controllerName"], "example.com/other");
  EXPECT_EQ(parents[0]["conditions"][0]["message"], "theirs");
  EXPECT_EQ(parents[1]["controllerName"], "strata.dev/gateway-controller");
  EXPECT_EQ(parents[1]["parentRef"]["name"], "edge");
  EXPECT_EQ(parents[1]["conditions"][0]["status"], "True");
  EXPECT_EQ(parents[1]["conditions"][0]["observedGeneration"], 1);
  const std::string version = route["metadata"]["resourceVersion"];

  // The same conditions again, from this writer or a new term's: no write.
  writer.Update(State(), config("True"));
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  writer.SetLeader(false);
  writer.SetLeader(true);
  writer.Update(State(), config("True"));
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  EXPECT_EQ(route_status()["metadata"]["resourceVersion"], version);

  // A change is written; the other controller's entry is still there.
  writer.Update(State(), config("False"));
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  route = route_status();
  ASSERT_EQ(route["status"]["parents"].size(), 2u) << route.dump();
  EXPECT_EQ(route["status"]["parents"][0]["controllerName"], "example.com/other");
  EXPECT_EQ(route["status"]["parents"][1]["conditions"][0]["status"], "False");
  EXPECT_NE(route["metadata"]["resourceVersion"], version);

  // Deleted and created again with the same content: a new object, written again.
  auto deleted = client_->Call("DELETE", absl::StrCat(kRoutePath, "/web"), "");
  ASSERT_TRUE(deleted.ok() && deleted->status == 200);
  created = client_->Call("POST", kRoutePath, R"({
      "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
      "metadata": {"name": "web", "namespace": "shop"},
      "spec": {"parentRefs": [{"name": "edge", "namespace": "strata-system"}]}})");
  ASSERT_TRUE(created.ok() && created->status == 201);
  writer.Update(State(), config("False", "uid-2"));
  ASSERT_TRUE(writer.AwaitIdle(absl::Seconds(10)));
  route = route_status();
  ASSERT_EQ(route["status"]["parents"].size(), 1u) << route.dump();
  EXPECT_EQ(route["status"]["parents"][0]["conditions"][0]["status"], "False");
}

}  // namespace
}  // namespace strata::kube
