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
    auto config = KubeconfigConfig(api_.kubeconfig());
    ASSERT_TRUE(config.ok()) << config.status();
    auto client = CurlApiClient::Create(*config, RealClock::Get());
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

}  // namespace
}  // namespace strata::kube
