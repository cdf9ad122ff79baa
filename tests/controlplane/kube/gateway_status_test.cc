#include "controlplane/kube/gateway_status.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace strata::kube {
namespace {

using Json = nlohmann::json;
using translate::Condition;

translate::HttpRouteStatus Route(const std::string& accepted_status) {
  translate::HttpRouteStatus status;
  status.key = {"shop", "web"};
  status.generation = 4;
  source::ParentReference ref;
  ref.namespace_ = "strata-system";
  ref.name = "edge";
  status.parents.push_back(
      {ref,
       {Condition{"Accepted", accepted_status, "Accepted", "served"},
        Condition{"ResolvedRefs", "True", "ResolvedRefs", "all references resolved"}}});
  return status;
}

TEST(GatewayStatusTest, RouteParentsOfOtherControllersStay) {
  Json status = Json::parse(R"({"parents": [
      {"parentRef": {"name": "theirs"}, "controllerName": "example.com/other",
       "conditions": [{"type": "Accepted", "status": "True"}]},
      {"parentRef": {"name": "stale", "namespace": "x"}, "controllerName": "strata.dev/gw",
       "conditions": []}]})");
  EXPECT_TRUE(ApplyHttpRouteStatus(Route("True"), "strata.dev/gw", "2026-12-07T10:00:00Z", status));
  ASSERT_EQ(status["parents"].size(), 2u);
  EXPECT_EQ(status["parents"][0]["controllerName"], "example.com/other");
  const Json& ours = status["parents"][1];
  EXPECT_EQ(ours["controllerName"], "strata.dev/gw");
  EXPECT_EQ(ours["parentRef"], Json::parse(R"({"group": "gateway.networking.k8s.io",
      "kind": "Gateway", "namespace": "strata-system", "name": "edge"})"));
  ASSERT_EQ(ours["conditions"].size(), 2u);
  EXPECT_EQ(ours["conditions"][0], Json::parse(R"({"type": "Accepted", "status": "True",
      "reason": "Accepted", "message": "served", "observedGeneration": 4,
      "lastTransitionTime": "2026-12-07T10:00:00Z"})"));
}

TEST(GatewayStatusTest, StrataEntriesKeepTheirPlaceAmongOtherControllers) {
  Json status = Json::parse(R"({"parents": [
      {"parentRef": {"name": "a"}, "controllerName": "example.com/a", "conditions": []},
      {"parentRef": {"name": "edge", "namespace": "strata-system"},
       "controllerName": "strata.dev/gw", "conditions": []},
      {"parentRef": {"name": "b"}, "controllerName": "example.com/b", "conditions": []}]})");
  EXPECT_TRUE(ApplyHttpRouteStatus(Route("True"), "strata.dev/gw", "2026-12-07T10:00:00Z", status));
  ASSERT_EQ(status["parents"].size(), 3u);
  EXPECT_EQ(status["parents"][0]["controllerName"], "example.com/a");
  EXPECT_EQ(status["parents"][1]["controllerName"], "strata.dev/gw");
  EXPECT_EQ(status["parents"][2]["controllerName"], "example.com/b");
  EXPECT_FALSE(
      ApplyHttpRouteStatus(Route("True"), "strata.dev/gw", "2026-12-07T11:00:00Z", status));
}

TEST(GatewayStatusTest, TransitionTimesChangeOnlyWithTheStatus) {
  Json status = Json::object();
  ASSERT_TRUE(ApplyHttpRouteStatus(Route("True"), "c", "2026-12-07T10:00:00Z", status));
  // The same status again: nothing to write, even at a later time.
  EXPECT_FALSE(ApplyHttpRouteStatus(Route("True"), "c", "2026-12-07T11:00:00Z", status));
  // A new message keeps the time; a new status takes the new time.
  translate::HttpRouteStatus changed = Route("True");
  changed.parents[0].conditions[0].message = "served, except: x";
  changed.parents[0].conditions[1] = Condition{"ResolvedRefs", "False", "BackendNotFound", "y"};
  EXPECT_TRUE(ApplyHttpRouteStatus(changed, "c", "2026-12-07T12:00:00Z", status));
  const Json& conditions = status["parents"][0]["conditions"];
  EXPECT_EQ(conditions[0]["lastTransitionTime"], "2026-12-07T10:00:00Z");
  EXPECT_EQ(conditions[0]["message"], "served, except: x");
  EXPECT_EQ(conditions[1]["lastTransitionTime"], "2026-12-07T12:00:00Z");
}

TEST(GatewayStatusTest, GatewayConditionsListenersAndAddresses) {
  translate::GatewayStatus gateway;
  gateway.key = {"strata-system", "edge"};
  gateway.generation = 2;
  gateway.conditions = {Condition{"Accepted", "True", "Accepted", "ok"}};
  gateway.listeners.push_back(
      translate::ListenerStatus{"http",
                                {{source::kGatewayApiGroup, "HTTPRoute"}},
                                3,
                                {Condition{"Programmed", "True", "Programmed", "ok"}}});
  gateway.addresses = {{"203.0.113.7", ""}, {"", "lb.example.net"}};
  Json status = Json::parse(R"({"addresses": [{"type": "IPAddress", "value": "10.0.0.1"}],
      "listeners": [{"name": "http", "conditions": [{"type": "Programmed", "status": "True",
      "lastTransitionTime": "2026-01-01T00:00:00Z"}]}]})");
  EXPECT_TRUE(ApplyGatewayStatus(gateway, "2026-12-07T10:00:00Z", status));
  EXPECT_EQ(status["addresses"], Json::parse(R"([{"type": "IPAddress", "value": "203.0.113.7"},
      {"type": "Hostname", "value": "lb.example.net"}])"));
  EXPECT_EQ(status["conditions"][0]["observedGeneration"], 2);
  const Json& listener = status["listeners"][0];
  EXPECT_EQ(listener["attachedRoutes"], 3);
  EXPECT_EQ(listener["supportedKinds"],
            Json::parse(R"([{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}])"));
  EXPECT_EQ(listener["conditions"][0]["lastTransitionTime"], "2026-01-01T00:00:00Z");
  EXPECT_FALSE(ApplyGatewayStatus(gateway, "2026-12-07T11:00:00Z", status));
  // No edge addresses: none on the Gateway either.
  gateway.addresses.clear();
  EXPECT_TRUE(ApplyGatewayStatus(gateway, "2026-12-07T11:00:00Z", status));
  EXPECT_FALSE(status.contains("addresses"));
}

TEST(GatewayStatusTest, MalformedStatusIsReplacedNotFatal) {
  translate::GatewayClassStatus c{"strata", 1, {Condition{"Accepted", "True", "Accepted", "ok"}}};
  for (const char* text : {"null", "[]", "\"x\"", R"({"conditions": 7})",
                           R"({"conditions": [1, "a", null, {"type": 5}]})"}) {
    Json status = Json::parse(text);
    EXPECT_TRUE(ApplyGatewayClassStatus(c, "2026-12-07T10:00:00Z", status)) << text;
    EXPECT_EQ(status["conditions"][0]["reason"], "Accepted") << text;
  }
  Json route = Json::parse(R"({"parents": [7, {"controllerName": "c", "parentRef": 3}]})");
  EXPECT_TRUE(ApplyHttpRouteStatus(Route("True"), "c", "2026-12-07T10:00:00Z", route));
  ASSERT_EQ(route["parents"].size(), 2u);  // 7 is another controller's, as far as we know
  EXPECT_EQ(route["parents"][1]["controllerName"], "c");
}

TEST(GatewayStatusTest, LongMessagesAreCutAtTheApiLimit) {
  translate::GatewayClassStatus c{
      "strata", 1, {Condition{"Accepted", "False", "X", std::string(40000, 'm')}}};
  Json status;
  ApplyGatewayClassStatus(c, "t", status);
  const std::string message = status["conditions"][0]["message"];
  EXPECT_EQ(message.size(), 32768u);
  EXPECT_EQ(message.substr(message.size() - 3), "...");
}

}  // namespace
}  // namespace strata::kube
