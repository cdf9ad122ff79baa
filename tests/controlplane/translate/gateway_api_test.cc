#include "controlplane/translate/gateway_api.h"

#include <map>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace strata::translate {
namespace {

TEST(IntersectHostnamesTest, FollowsTheGatewayApiRules) {
  // No hostname on one side: the other one.
  EXPECT_EQ(IntersectHostnames("", ""), "");
  EXPECT_EQ(IntersectHostnames("", "a.example.com"), "a.example.com");
  EXPECT_EQ(IntersectHostnames("*.example.com", ""), "*.example.com");
  // Exact names must be equal.
  EXPECT_EQ(IntersectHostnames("a.example.com", "a.example.com"), "a.example.com");
  EXPECT_EQ(IntersectHostnames("a.example.com", "b.example.com"), std::nullopt);
  // A wildcard matches one or more labels, never the bare suffix.
  EXPECT_EQ(IntersectHostnames("*.example.com", "a.example.com"), "a.example.com");
  EXPECT_EQ(IntersectHostnames("*.example.com", "a.b.example.com"), "a.b.example.com");
  EXPECT_EQ(IntersectHostnames("*.example.com", "example.com"), std::nullopt);
  EXPECT_EQ(IntersectHostnames("*.example.com", "a.example.org"), std::nullopt);
  EXPECT_EQ(IntersectHostnames("*.example.com", "aexample.com"), std::nullopt);
  EXPECT_EQ(IntersectHostnames("a.example.com", "*.example.com"), "a.example.com");
  EXPECT_EQ(IntersectHostnames("example.com", "*.example.com"), std::nullopt);
  // Two wildcards: the more specific one.
  EXPECT_EQ(IntersectHostnames("*.example.com", "*.b.example.com"), "*.b.example.com");
  EXPECT_EQ(IntersectHostnames("*.b.example.com", "*.example.com"), "*.b.example.com");
  EXPECT_EQ(IntersectHostnames("*.example.com", "*.example.com"), "*.example.com");
  EXPECT_EQ(IntersectHostnames("*.a.example.com", "*.b.example.com"), std::nullopt);
}

TEST(SelectorMatchesTest, LabelsAndExpressionsAreAnded) {
  const std::map<std::string, std::string> labels = {{"team", "shop"}, {"env", "prod"}};
  EXPECT_TRUE(SelectorMatches({}, labels));
  EXPECT_TRUE(SelectorMatches({{{"team", "shop"}}, {}}, labels));
  EXPECT_FALSE(SelectorMatches({{{"team", "blog"}}, {}}, labels));
  EXPECT_FALSE(SelectorMatches({{{"team", "shop"}, {"tier", "x"}}, {}}, labels));
  source::LabelSelector in{{}, {{"env", "In", {"dev", "prod"}}}};
  EXPECT_TRUE(SelectorMatches(in, labels));
  in.match_expressions[0].values = {"dev"};
  EXPECT_FALSE(SelectorMatches(in, labels));
  EXPECT_TRUE(SelectorMatches({{}, {{"env", "NotIn", {"dev"}}}}, labels));
  EXPECT_FALSE(SelectorMatches({{}, {{"env", "NotIn", {"prod"}}}}, labels));
  // NotIn also selects objects without the label, as Kubernetes does.
  EXPECT_TRUE(SelectorMatches({{}, {{"zone", "NotIn", {"a"}}}}, labels));
  EXPECT_TRUE(SelectorMatches({{}, {{"team", "Exists", {}}}}, labels));
  EXPECT_FALSE(SelectorMatches({{}, {{"zone", "Exists", {}}}}, labels));
  EXPECT_TRUE(SelectorMatches({{}, {{"zone", "DoesNotExist", {}}}}, labels));
  EXPECT_FALSE(SelectorMatches({{{"team", "shop"}}, {{"team", "DoesNotExist", {}}}}, labels));
  EXPECT_FALSE(SelectorMatches({{}, {{"team", "Matches", {"shop"}}}}, labels));
}

TEST(NamespaceLabelsTest, EveryNamespaceHasItsNameLabel) {
  source::ClusterState state;
  state.namespaces["shop"] = source::Namespace{"shop", {{"team", "shop"}}};
  EXPECT_EQ(NamespaceLabels(state, "shop"),
            (std::map<std::string, std::string>{{"kubernetes.io/metadata.name", "shop"},
                                                {"team", "shop"}}));
  EXPECT_EQ(NamespaceLabels(state, "unseen"),
            (std::map<std::string, std::string>{{"kubernetes.io/metadata.name", "unseen"}}));
}

TEST(ReferenceGrantedTest, NeedsAMatchingFromAndToInTheTargetNamespace) {
  source::ClusterState state;
  state.reference_grants[{"backend", "allow-shop"}] =
      source::ReferenceGrant{"backend",
                             "allow-shop",
                             {{source::kGatewayApiGroup, "HTTPRoute", "shop"}},
                             {{"", "Service", "api"}}};
  state.reference_grants[{"all", "allow-any-service"}] =
      source::ReferenceGrant{"all",
                             "allow-any-service",
                             {{source::kGatewayApiGroup, "HTTPRoute", "shop"}},
                             {{"", "Service", ""}}};
  auto granted = [&](const std::string& from_ns, const std::string& to_ns,
                     const std::string& name) {
    return ReferenceGranted(state, source::kGatewayApiGroup, "HTTPRoute", from_ns, "", "Service",
                            to_ns, name);
  };
  EXPECT_TRUE(granted("shop", "backend", "api"));
  EXPECT_FALSE(granted("shop", "backend", "db"));     // another name
  EXPECT_FALSE(granted("blog", "backend", "api"));    // another source namespace
  EXPECT_FALSE(granted("shop", "elsewhere", "api"));  // the grant lives in the target
  EXPECT_TRUE(granted("shop", "all", "anything"));    // no name: every Service
  EXPECT_FALSE(ReferenceGranted(state, source::kGatewayApiGroup, "GRPCRoute", "shop", "", "Service",
                                "backend", "api"));
  EXPECT_FALSE(ReferenceGranted(state, source::kGatewayApiGroup, "HTTPRoute", "shop", "", "Secret",
                                "backend", "api"));
}

}  // namespace
}  // namespace strata::translate
