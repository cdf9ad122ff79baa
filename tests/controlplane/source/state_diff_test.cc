// DiffStates, NamespaceSubset and RemoveFromState: what a source tells the translation about
// a new state, and what the translation of some namespaces reads.
#include "controlplane/source/state_diff.h"

#include <set>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/source/cluster_state_util.h"
#include "controlplane/source/manifest_parser.h"
#include "gtest/gtest.h"

namespace strata::source {
namespace {

ClusterState Parse(const std::string& text) {
  ManifestSet set;
  absl::Status status = set.AddManifest("test.yaml", text);
  EXPECT_TRUE(status.ok()) << status;
  return set.TakeState();
}

std::string Ingress(const std::string& ns, const std::string& host) {
  return absl::StrCat(
      "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: ", ns,
      "}\nspec:\n  rules:\n  - host: ", host,
      "\n    http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: "
      "web, port: {number: 80}}}}\n");
}

std::string Service(const std::string& ns, int port) {
  return absl::StrCat("---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ", ns,
                      "}\nspec:\n  ports: [{port: ", port, "}]\n");
}

constexpr char kClass[] = R"(---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: strata}
spec: {controller: strata.dev/ingress-controller}
)";

TEST(StateDiffTest, ChangesAreToldByNamespace) {
  const ClusterState before =
      Parse(std::string(kClass) + Ingress("shop", "a.example") + Service("shop", 80) +
            Service("blog", 80) + Ingress("team", "t.example"));
  EXPECT_TRUE(DiffStates(before, before).empty());

  // Changed (shop), added (news), removed (team); blog is untouched.
  const ClusterState after =
      Parse(std::string(kClass) + Ingress("shop", "b.example") + Service("shop", 80) +
            Service("blog", 80) + Service("news", 8080));
  const StateChanges changes = DiffStates(before, after);
  EXPECT_EQ(changes.namespaces, (std::set<std::string>{"news", "shop", "team"}));
  EXPECT_FALSE(changes.cluster_scoped);
  EXPECT_FALSE(changes.empty());

  // A cluster-scoped object.
  const ClusterState no_class = Parse(Ingress("shop", "a.example") + Service("shop", 80) +
                                      Service("blog", 80) + Ingress("team", "t.example"));
  const StateChanges class_gone = DiffStates(before, no_class);
  EXPECT_TRUE(class_gone.cluster_scoped);
  EXPECT_TRUE(class_gone.namespaces.empty());

  // A refused version of an object counts for its namespace.
  ClusterState refused = before;
  refused.rejected[std::make_tuple("Ingress", "blog", "web")] =
      RejectedObject{"Ingress", "blog", "web", 2, "spec: bad", "", "", {}, {}};
  EXPECT_EQ(DiffStates(before, refused).namespaces, std::set<std::string>{"blog"});
  EXPECT_TRUE(StateChanges::All().all);
  EXPECT_FALSE(StateChanges::All().empty());
}

TEST(StateDiffTest, ASubsetHoldsItsNamespacesAndEverythingClusterScoped) {
  const ClusterState state =
      Parse(std::string(kClass) + Ingress("shop", "a.example") + Service("shop", 80) +
            Service("blog", 80) + Ingress("team", "t.example"));
  const ClusterState part = NamespaceSubset(state, {"shop", "nowhere"});
  EXPECT_EQ(part.ingresses.size(), 1u);
  EXPECT_TRUE(part.ingresses.contains(ObjectKey("shop", "web")));
  EXPECT_EQ(part.services.size(), 1u);
  EXPECT_EQ(part.ingress_classes.size(), 1u);
  // Translating every namespace reads the whole state.
  EXPECT_TRUE(NamespaceSubset(state, {"shop", "blog", "team"}) == state);
}

TEST(StateDiffTest, RemoveFromStateTakesOutOneObjectOfOneKind) {
  ClusterState state = Parse(std::string(kClass) + Ingress("shop", "a.example") +
                             Service("shop", 80) + Service("blog", 80));
  EXPECT_TRUE(RemoveFromState("Service", "shop", "web", state));
  EXPECT_FALSE(state.services.contains(ObjectKey("shop", "web")));
  EXPECT_TRUE(state.services.contains(ObjectKey("blog", "web")));
  EXPECT_TRUE(state.ingresses.contains(ObjectKey("shop", "web")));  // another kind
  EXPECT_TRUE(RemoveFromState("IngressClass", "", "strata", state));
  EXPECT_TRUE(state.ingress_classes.empty());
  EXPECT_FALSE(RemoveFromState("ConfigMap", "shop", "web", state));
  EXPECT_TRUE(IsClusterScoped("GatewayClass"));
  EXPECT_FALSE(IsClusterScoped("Gateway"));
}

}  // namespace
}  // namespace strata::source
