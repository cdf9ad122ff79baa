// KubeSource against the stand-in API server: objects written with `kubectl apply` (schema
// validation on, as users run it) reach the published state, and follow changes.
#include "controlplane/kube/kube_source.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controlplane/kube/api_client.h"
#include "controlplane/source/cluster_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process.h"
#include "tests/kube/stand_in.h"

namespace strata::kube {
namespace {

using source::ClusterState;
using source::ObjectKey;

TEST(KubeSourceKindsTest, ReadsNamespacesAndTheGatewayApiAsOptionalKinds) {
  const std::vector<ResourceType> kinds = KubeSource::Kinds();
  auto find = [&](const std::string& group, const std::string& plural) -> const ResourceType* {
    auto it = std::find_if(kinds.begin(), kinds.end(), [&](const ResourceType& type) {
      return type.group == group && type.plural == plural;
    });
    return it == kinds.end() ? nullptr : &*it;
  };
  const ResourceType* namespaces = find("", "namespaces");
  ASSERT_NE(namespaces, nullptr);
  EXPECT_EQ(namespaces->version, "v1");
  EXPECT_EQ(namespaces->kind, "Namespace");
  EXPECT_TRUE(namespaces->optional);  // a 403 counts as none
  const std::pair<std::string, std::string> gateway_api[] = {{"gatewayclasses", "GatewayClass"},
                                                             {"gateways", "Gateway"},
                                                             {"httproutes", "HTTPRoute"},
                                                             {"referencegrants", "ReferenceGrant"}};
  for (const auto& [plural, kind] : gateway_api) {
    SCOPED_TRACE(plural);
    const ResourceType* type = find("gateway.networking.k8s.io", plural);
    ASSERT_NE(type, nullptr);
    EXPECT_EQ(type->version, "v1");
    EXPECT_EQ(type->kind, kind);
    EXPECT_TRUE(type->optional);  // the CRDs may not be installed
  }
  ASSERT_NE(find("", "services"), nullptr);
  EXPECT_FALSE(find("", "services")->optional);
}

constexpr char kObjects[] = R"(apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {tier: frontend}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: strata}
spec: {controllerName: strata.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: strata
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector: {matchLabels: {tier: frontend}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: from-shop, namespace: infra}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service}]
)";

std::string Route(const std::string& path, int port) {
  return absl::StrCat(R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: ")",
                      path, R"("}}]
    backendRefs: [{name: api, namespace: infra, port: )",
                      port, "}]\n");
}

// The port of the first backend of shop/web's first rule, or 0.
uint32_t RoutePort(const ClusterState& state) {
  auto it = state.http_routes.find(ObjectKey("shop", "web"));
  if (it == state.http_routes.end() || it->second.rules.empty() ||
      it->second.rules[0].backend_refs.empty()) {
    return 0;
  }
  return it->second.rules[0].backend_refs[0].port.value_or(0);
}

class KubeSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = api_.Client();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    KubeSource::Options options;
    options.debounce = absl::Milliseconds(20);
    source_ = std::make_unique<KubeSource>(
        *client_, RealClock::Get(),
        [this](const source::ClusterStateConstSharedPtr& state,
               const source::StateChanges& changes) {
          absl::MutexLock lock(&mu_);
          // A copy: holding the source's own state would make it copy before every change
          // instead of updating its state in place, the way it runs in the control plane.
          latest_ = std::make_shared<const ClusterState>(*state);
          latest_changes_ = changes;
          ++published_;
        },
        options);
  }

  void TearDown() override {
    if (source_ != nullptr) source_->Stop();
  }

  // `kubectl apply -f` with kubectl's default (strict) validation.
  void Apply(const std::string& yaml) {
    const std::string file = absl::StrCat(test::TempDir("objects"), "/objects.yaml");
    test::WriteFile(file, yaml);
    const std::string out = api_.Kubectl("apply -f " + file);
    ASSERT_EQ(out.find("rror"), std::string::npos) << out;
  }

  // Waits until the last published state satisfies `done`; false after 20 s.
  bool AwaitState(const std::function<bool(const ClusterState&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      source::ClusterStateConstSharedPtr state = Latest();
      if (state != nullptr && done(*state)) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  // The sizes of the last published state, for failure messages.
  std::string Describe() {
    source::ClusterStateConstSharedPtr state = Latest();
    if (state == nullptr) return "nothing published";
    return absl::StrCat(state->namespaces.size(), " Namespaces, ", state->gateway_classes.size(),
                        " GatewayClasses, ", state->gateways.size(), " Gateways, ",
                        state->http_routes.size(), " HTTPRoutes (port ", RoutePort(*state), "), ",
                        state->reference_grants.size(), " ReferenceGrants");
  }

  source::ClusterStateConstSharedPtr Latest() {
    absl::MutexLock lock(&mu_);
    return latest_;
  }
  int Published() {
    absl::MutexLock lock(&mu_);
    return published_;
  }
  source::StateChanges LatestChanges() {
    absl::MutexLock lock(&mu_);
    return latest_changes_;
  }

  test::StandInApiServer api_;
  std::unique_ptr<ApiClient> client_;
  std::unique_ptr<KubeSource> source_;
  absl::Mutex mu_;
  source::ClusterStateConstSharedPtr latest_ ABSL_GUARDED_BY(mu_);
  source::StateChanges latest_changes_ ABSL_GUARDED_BY(mu_);
  int published_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST_F(KubeSourceTest, GatewayApiObjectsAppliedWithKubectlReachTheState) {
  source_->Start();
  Apply(absl::StrCat(kObjects, "---\n", Route("/api", 8080)));
  ASSERT_TRUE(AwaitState([](const ClusterState& state) {
    return RoutePort(state) == 8080 && state.gateways.count(ObjectKey("infra", "edge")) == 1 &&
           state.gateway_classes.count("strata") == 1 && state.namespaces.count("shop") == 1 &&
           state.reference_grants.count(ObjectKey("infra", "from-shop")) == 1;
  })) << Describe();
  source::ClusterStateConstSharedPtr state = Latest();
  const source::HttpRoute& route = state->http_routes.at(ObjectKey("shop", "web"));
  EXPECT_EQ(route.generation, 1);
  EXPECT_NE(route.uid, "");
  EXPECT_TRUE(route.created.has_value());
  EXPECT_EQ(route.parent_refs.at(0).group, "gateway.networking.k8s.io");  // defaulted
  EXPECT_EQ(route.rules.at(0).backend_refs.at(0).weight, 1);
  const source::Gateway& gateway = state->gateways.at(ObjectKey("infra", "edge"));
  EXPECT_EQ(gateway.listeners.at(0).allowed_from, "Selector");
  EXPECT_EQ(gateway.listeners.at(0).allowed_selector.match_labels.at("tier"), "frontend");
  EXPECT_EQ(state->gateway_classes.at("strata").controller_name, "strata.dev/gateway-controller");
  EXPECT_EQ(state->namespaces.at("shop").labels.at("tier"), "frontend");
  EXPECT_EQ(state->reference_grants.at(ObjectKey("infra", "from-shop")).from.at(0).namespace_,
            "shop");

  // A changed spec (a PATCH from kubectl apply) is a new generation.
  Apply(Route("/api", 9090));
  ASSERT_TRUE(AwaitState([](const ClusterState& state) { return RoutePort(state) == 9090; }))
      << Describe();
  EXPECT_EQ(Latest()->http_routes.at(ObjectKey("shop", "web")).generation, 2);
  // Only that namespace changed, and the rest of the state is as it was.
  EXPECT_EQ(LatestChanges().namespaces, std::set<std::string>{"shop"});
  EXPECT_FALSE(LatestChanges().cluster_scoped);
  EXPECT_FALSE(LatestChanges().all);
  EXPECT_EQ(Latest()->gateways.size(), 1u);
  EXPECT_EQ(Latest()->reference_grants.size(), 1u);

  // A status write changes nothing strata reads: no new state for it. The next change is
  // published once.
  const int published = Published();
  const std::string out = api_.Kubectl(
      "patch httproute web -n shop --subresource=status --type=merge "
      "-p '{\"status\":{\"parents\":[]}}'");
  ASSERT_NE(out.find("patched"), std::string::npos) << out;
  Apply(Route("/api", 7070));
  ASSERT_TRUE(AwaitState([](const ClusterState& state) { return RoutePort(state) == 7070; }))
      << Describe();
  EXPECT_EQ(Published(), published + 1);

  // An edit the CRD would refuse (the stand-in takes it): the last valid version stays, and
  // the refusal is in the state for the reports.
  Apply(Route("api", 9090));
  const auto rejected_key =
      std::make_tuple(std::string("HTTPRoute"), std::string("shop"), std::string("web"));
  ASSERT_TRUE(AwaitState([&](const ClusterState& state) {
    return state.rejected.contains(rejected_key);
  })) << Describe();
  EXPECT_EQ(RoutePort(*Latest()), 7070u);
  const source::RejectedObject& rejection = Latest()->rejected.at(rejected_key);
  EXPECT_EQ(rejection.generation, 4);
  EXPECT_THAT(rejection.message, ::testing::HasSubstr("spec.rules[0].matches[0].path.value"));
  EXPECT_EQ(Latest()->gateways.size(), 1u);

  // A relist (the watch down while history is compacted) keeps both the valid version and
  // the refusal.
  api_.Fault("down?seconds=60");
  api_.Fault("compact");
  api_.Fault("up");
  Apply(R"(apiVersion: v1
kind: Namespace
metadata: {name: blog}
)");
  ASSERT_TRUE(AwaitState([&](const ClusterState& state) {
    return state.namespaces.contains("blog");
  })) << Describe();
  EXPECT_TRUE(LatestChanges().cluster_scoped);  // a Namespace
  EXPECT_EQ(RoutePort(*Latest()), 7070u);
  EXPECT_TRUE(Latest()->rejected.contains(rejected_key));

  // Fixed: served, and no longer refused.
  Apply(Route("/api", 9191));
  ASSERT_TRUE(AwaitState([&](const ClusterState& state) {
    return RoutePort(state) == 9191 && !state.rejected.contains(rejected_key);
  })) << Describe();

  ASSERT_NE(api_.Kubectl("delete gateway edge -n infra").find("deleted"), std::string::npos);
  EXPECT_TRUE(AwaitState([](const ClusterState& state) {
    return state.gateways.empty() && state.gateway_classes.size() == 1;
  })) << Describe();
}

}  // namespace
}  // namespace strata::kube
