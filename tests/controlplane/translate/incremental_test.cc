// IncrementalTranslator against the whole translation: after every change of a random walk
// over objects that tie namespaces together (shared and wildcard hosts, certificates,
// Gateways, cross-namespace backends and grants, catch-all rules, app tiers coming and
// going), every group's snapshot and the status must be exactly what translating everything
// gives.
#include "controlplane/translate/incremental.h"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/translate/proxyless.h"
#include "controlplane/translate/resources.h"
#include "controlplane/translate/two_tier.h"
#include "gtest/gtest.h"
#include "tests/controlplane/translate/tier_test_util.h"
#include "tests/dataplane/tls/tls_test_util.h"

namespace strata::translate {
namespace {

using ::strata::tls::testing::TestPki;
using namespace ::strata::translate::testing;  // NOLINT(google-build-using-namespace)

constexpr char kProxyless[] = "proxyless";

// Each resource of a snapshot as "<type> <name> <version>", in a stable order.
std::vector<std::string> Describe(const xds::Snapshot& snapshot) {
  std::vector<std::string> out;
  for (xds::ResourceType type : xds::kPushOrder) {
    for (const auto& [name, resource] : snapshot.resources(type)) {
      out.push_back(absl::StrCat(xds::ShortName(type), " ", name, " ", resource->version));
    }
  }
  return out;
}

std::string Describe(const std::vector<Condition>& conditions) {
  std::vector<std::string> out;
  for (const Condition& c : conditions) {
    out.push_back(absl::StrCat(c.type, "=", c.status, "/", c.reason, ": ", c.message));
  }
  return absl::StrJoin(out, "; ");
}

// The status part of a translation, one line per fact.
std::vector<std::string> DescribeStatus(const TwoTierConfig& config) {
  std::vector<std::string> out;
  for (const ObjectReport& r : config.reports) {
    out.push_back(absl::StrCat("report ", r.kind, " ", r.namespace_, "/", r.name, ": ",
                               absl::StrJoin(r.problems, " | ")));
  }
  for (const ServedObject& s : config.served) {
    out.push_back(absl::StrCat("served ", s.kind, " ", s.namespace_, "/", s.name));
  }
  for (const GatewayClassStatus& c : config.gateway_api.classes) {
    out.push_back(absl::StrCat("class ", c.name, " ", Describe(c.conditions)));
  }
  for (const GatewayStatus& g : config.gateway_api.gateways) {
    out.push_back(absl::StrCat("gateway ", g.key.first, "/", g.key.second, " ", g.addresses.size(),
                               " addresses ", Describe(g.conditions)));
    for (const ListenerStatus& l : g.listeners) {
      out.push_back(absl::StrCat("  listener ", l.name, " routes ", l.attached_routes, " ",
                                 Describe(l.conditions)));
    }
  }
  for (const HttpRouteStatus& r : config.gateway_api.routes) {
    for (const RouteParentStatus& p : r.parents) {
      out.push_back(absl::StrCat("route ", r.key.first, "/", r.key.second, " parent ",
                                 p.parent_ref.namespace_, "/", p.parent_ref.name, " ",
                                 Describe(p.conditions)));
    }
  }
  for (const auto& address : config.edge_addresses) {
    out.push_back(absl::StrCat("edge address ", address.ip, address.hostname));
  }
  for (const std::string& w : config.edge.warnings) out.push_back(absl::StrCat("edge: ", w));
  return out;
}

// Objects that can each be absent or take one of several versions. Version 0 is "absent".
class World {
 public:
  World() {
    const TestPki& pki = TestPki::Get();
    auto secret = [](const std::string& ns, const tls::testing::KeyPair& pair) {
      return TlsSecret(ns, "site", pair.cert_pem, pair.key_pem);
    };
    Add({EdgeTier({"10.0.9.1"}), EdgeTier({"10.0.9.1", "10.0.9.2"})}, /*start=*/1);
    Add({R"(
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: strata, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: strata.dev/ingress-controller}
)"},
        1);
    for (const std::string ns : {"shop", "blog", "team", "gw"}) {
      Add({Service(ns, "web", 8080, {"10.2.0.1"}), Service(ns, "web", 8080, {"10.2.0.2"}),
           Service(ns, "web", 8081, {})},
          1);
    }
    Add({AppTier("shop", 9000, {"10.1.0.1"})}, 1);
    Add({AppTier("team", 9001, {"10.1.0.2"}), AppTier("team", 9001, {"10.1.0.3"})}, 0);
    Add({secret("shop", pki.a), secret("shop", pki.wild)}, 1);
    Add({secret("blog", pki.wild), secret("blog", pki.a)}, 1);
    Add({secret("gw", pki.b)}, 0);
    auto ingress = [](const std::string& ns, const std::string& name, const std::string& host,
                      const std::string& created, const std::string& tls_host) {
      std::string out = Ingress(ns, name, host, {{"/", "Prefix", "web"}}, created);
      if (!tls_host.empty()) {
        absl::StrAppend(&out, "  tls:\n  - hosts: [\"", tls_host, "\"]\n    secretName: site\n");
      }
      return out;
    };
    Add({ingress("shop", "front", "a.example", "2026-01-01T00:00:00Z", "a.example"),
         ingress("shop", "front", "x.wild.example", "2026-01-01T00:00:00Z", ""),
         ingress("shop", "front", "*.wild.example", "2026-03-01T00:00:00Z", "*.wild.example"),
         ingress("shop", "front", "b.example", "2026-01-01T00:00:00Z", "")},
        1);
    Add({ingress("blog", "front", "a.example", "2025-12-01T00:00:00Z", "a.example"),
         ingress("blog", "front", "*.wild.example", "2026-02-01T00:00:00Z", "*.wild.example"),
         ingress("blog", "front", "y.wild.example", "2026-02-01T00:00:00Z", "y.wild.example")},
        2);
    Add({ingress("blog", "catch", "", "2026-01-01T00:00:00Z", ""),
         ingress("team", "catch", "", "2026-01-01T00:00:00Z", "")},
        0);
    Add({IngressRoute("team", "r",
                      "  - match: Host(`b.example`)\n"
                      "    services: [{name: web, port: 80}]\n"),
         IngressRoute("team", "r",
                      "  - match: Host(`x.wild.example`) && PathPrefix(`/t`)\n"
                      "    services: [{name: web, port: 80}]\n",
                      "  tls: {secretName: site}\n")},
        1);
    Add({R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: strata, generation: 1}
spec: {controllerName: strata.dev/gateway-controller}
)"},
        1);
    const std::string gateway_head = R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: gw, generation: 2}
spec:
  gatewayClassName: strata
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: "*.wild.example", allowedRoutes: {namespaces: {from: All}}}
)";
    std::string open_gateway = gateway_head;
    open_gateway.replace(open_gateway.find(" hostname: \"*.wild.example\","), 28, "");
    Add({gateway_head, open_gateway,
         gateway_head + "  - {name: https, port: 443, protocol: HTTPS, hostname: \"a.example\", "
                        "tls: {mode: Terminate, certificateRefs: [{name: site, namespace: "
                        "shop}]}, allowedRoutes: {namespaces: {from: All}}}\n",
         gateway_head + "  - {name: https, port: 443, protocol: HTTPS, hostname: \"b.example\", "
                        "tls: {mode: Terminate, certificateRefs: [{name: site}]}, "
                        "allowedRoutes: {namespaces: {from: All}}}\n"},
        1);
    auto route = [](const std::string& hostnames, const std::string& backend_ns) {
      return absl::StrCat(
          "\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n",
          "metadata: {name: route, namespace: team, generation: 1, creationTimestamp: "
          "\"2026-01-05T00:00:00Z\"}\nspec:\n  parentRefs: [{name: edge, namespace: gw}]\n",
          "  hostnames: [", hostnames, "]\n  rules:\n  - backendRefs: [{name: web, port: 80",
          backend_ns.empty() ? "" : absl::StrCat(", namespace: ", backend_ns), "}]\n");
    };
    Add({route("\"z.wild.example\"", ""), route("\"a.example\"", "shop"),
         route("\"x.wild.example\", \"a.example\"", ""), route("\"route.example\"", "shop"),
         route("\"route.example\"", "")},
        1);
    Add({R"(
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: grant, namespace: shop}
spec:
  from:
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team}
  - {group: gateway.networking.k8s.io, kind: Gateway, namespace: gw}
  to:
  - {group: "", kind: Service}
  - {group: "", kind: Secret}
)"},
        0);
  }

  size_t size() const { return slots_.size(); }
  size_t versions(size_t slot) const { return slots_[slot].size() + 1; }
  void Set(size_t slot, size_t version) { chosen_[slot] = version; }

  std::shared_ptr<const source::ClusterState> State() const {
    std::string text;
    for (size_t s = 0; s < slots_.size(); ++s) {
      if (chosen_[s] > 0) text += slots_[s][chosen_[s] - 1];
    }
    return std::make_shared<const source::ClusterState>(Parse(text));
  }
  std::string Chosen() const { return absl::StrJoin(chosen_, ","); }

 private:
  void Add(std::vector<std::string> versions, size_t start) {
    slots_.push_back(std::move(versions));
    chosen_.push_back(start);
  }
  std::vector<std::vector<std::string>> slots_;
  std::vector<size_t> chosen_;
};

// Keeps the latest snapshot of every group the translator set, and checks them against a
// whole translation of the same state.
class Checker {
 public:
  explicit Checker(TwoTierOptions options) : options_(options), translator_(options, kProxyless) {}

  // Translates `state` with its differences from the last one, as a source tells them.
  IncrementalTranslator::Update Apply(const std::shared_ptr<const source::ClusterState>& state) {
    IncrementalTranslator::Update update =
        translator_.Translate(*state, last_ == nullptr ? source::StateChanges::All()
                                                       : source::DiffStates(*last_, *state));
    last_ = state;
    for (const auto& [group, snapshot] : update.snapshots) groups_[group] = snapshot;
    return update;
  }

  void ExpectSameAsWhole(const source::ClusterState& state, const std::string& context) {
    const TwoTierConfig whole = TranslateTwoTier(state, options_);
    std::map<std::string, xds::SnapshotConstSharedPtr> expected;
    expected[kEdgeGroup] = *BuildSnapshot(whole.edge);
    for (const auto& [ns, app] : whole.apps) expected[AppGroup(ns)] = *BuildSnapshot(app);
    expected[kProxyless] = *BuildSnapshot(TranslateProxyless(state));
    for (const auto& [group, snapshot] : expected) {
      ASSERT_TRUE(groups_.contains(group)) << context << ": no snapshot for " << group;
      EXPECT_EQ(Describe(*groups_[group]), Describe(*snapshot)) << context << ", group " << group;
    }
    for (const auto& [group, snapshot] : groups_) {
      if (!expected.contains(group)) {
        EXPECT_EQ(snapshot->size(), 0u) << context << ": group " << group << " should be empty";
      }
    }
    EXPECT_EQ(DescribeStatus(translator_.status()), DescribeStatus(whole)) << context;
  }

 private:
  const TwoTierOptions options_;
  IncrementalTranslator translator_;
  std::shared_ptr<const source::ClusterState> last_;
  std::map<std::string, xds::SnapshotConstSharedPtr> groups_;
};

TwoTierOptions CatchAllOptions() {
  TwoTierOptions options = Options();
  options.catch_all_namespaces = {"blog"};
  return options;
}

TEST(IncrementalTranslatorTest, EveryChangeGivesWhatTranslatingEverythingGives) {
  World world;
  Checker checker(CatchAllOptions());
  std::mt19937 random(20261208);
  auto state = world.State();
  checker.Apply(state);
  checker.ExpectSameAsWhole(*state, "first state");
  int partial = 0;
  for (int step = 0; step < 1500 && !::testing::Test::HasFailure(); ++step) {
    // One object changed, sometimes two at once.
    const int edits = random() % 4 == 0 ? 2 : 1;
    for (int e = 0; e < edits; ++e) {
      const size_t slot = random() % world.size();
      world.Set(slot, random() % world.versions(slot));
    }
    state = world.State();
    const IncrementalTranslator::Update update = checker.Apply(state);
    if (!update.full) ++partial;
    checker.ExpectSameAsWhole(*state, absl::StrCat("step ", step, " (versions ", world.Chosen(),
                                                   update.full ? ", full" : ", partial", ")"));
  }
  // The walk must exercise the incremental path, not only full translations.
  EXPECT_GT(partial, 100);
}

TEST(IncrementalTranslatorTest, AChangeTranslatesOnlyTheNamespacesItTouches) {
  const std::string base =
      EdgeTier({"10.0.9.1"}) + AppTier("shop", 9000, {"10.1.0.1"}) +
      Service("shop", "web", 8080, {"10.2.0.1"}) + Service("blog", "web", 8080, {"10.2.0.2"}) +
      Service("team", "web", 8080, {"10.2.0.3"}) +
      Ingress("blog", "front", "blog.example", {{"/", "Prefix", "web"}}) +
      Ingress("team", "front", "team.example", {{"/", "Prefix", "web"}}, "2025-01-01T00:00:00Z");
  IncrementalTranslator translator(Options(), kProxyless);
  auto first = translator.Translate(
      Parse(base + Ingress("shop", "front", "shop.example", {{"/", "Prefix", "web"}})),
      source::StateChanges::All());
  EXPECT_TRUE(first.full);

  // A new path in shop: shop's app tier and the edge change, nothing else is translated.
  source::StateChanges shop;
  shop.namespaces = {"shop"};
  auto second =
      translator.Translate(Parse(base + Ingress("shop", "front", "shop.example",
                                                {{"/", "Prefix", "web"}, {"/v2", "Exact", "web"}})),
                           shop);
  EXPECT_FALSE(second.full);
  EXPECT_EQ(second.translated_namespaces, 1u);
  std::vector<std::string> groups;
  for (const auto& [group, snapshot] : second.snapshots) groups.push_back(group);
  EXPECT_EQ(groups, (std::vector<std::string>{"app/shop", "edge"}));

  // shop now also claims team's host: team is translated with it (and keeps its host).
  auto third = translator.Translate(
      Parse(base + Ingress("shop", "front", "team.example", {{"/", "Prefix", "web"}})), shop);
  EXPECT_FALSE(third.full);
  EXPECT_EQ(third.translated_namespaces, 2u);
  bool refused = false;
  for (const ObjectReport& report : translator.status().reports) {
    refused |= report.namespace_ == "shop" && report.name == "front";
  }
  EXPECT_TRUE(refused);

  // No change: nothing to set.
  auto same = translator.Translate(
      Parse(base + Ingress("shop", "front", "team.example", {{"/", "Prefix", "web"}})),
      source::StateChanges());
  EXPECT_TRUE(same.snapshots.empty());
  EXPECT_EQ(same.translated_namespaces, 0u);
}

}  // namespace
}  // namespace strata::translate
