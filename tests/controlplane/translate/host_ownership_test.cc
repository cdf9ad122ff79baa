#include "controlplane/translate/host_ownership.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::translate {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

absl::Time Day(int day) { return absl::FromUnixSeconds(1767225600) + absl::Hours(24 * day); }

HostClaim Claim(std::string host, std::string ns, std::string name, int day,
                std::string kind = "Ingress") {
  return HostClaim{
      std::move(host), std::move(kind), std::move(ns), std::move(name), Day(day), false, {}};
}

TEST(HostOwnershipTest, TheOldestClaimWinsAndTheOtherIsToldWhy) {
  const std::vector<HostClaim> claims = {Claim("shop.example.com", "team-b", "shop", 2),
                                         Claim("shop.example.com", "team-a", "store", 1)};
  HostOwnership result = ResolveHostOwnership(claims, {});
  EXPECT_THAT(result.owners, UnorderedElementsAre(Pair("shop.example.com", "team-a")));
  EXPECT_FALSE(result.verdicts[0].accepted);
  EXPECT_EQ(result.verdicts[0].reason,
            "host \"shop.example.com\" belongs to namespace \"team-a\", whose claim is older "
            "(Ingress team-a/store, created 2026-01-02T00:00:00Z)");
  EXPECT_TRUE(result.verdicts[1].accepted);
  EXPECT_THAT(result.verdicts[1].reason, IsEmpty());
}

TEST(HostOwnershipTest, ClaimsWithoutTimestampComeAfterDatedOnesThenByNamespace) {
  HostClaim undated_a = Claim("x.example.com", "team-a", "undated", 0);
  undated_a.created = absl::InfiniteFuture();
  HostClaim undated_b = undated_a;
  undated_b.namespace_ = "team-b";
  HostOwnership result = ResolveHostOwnership({undated_b, undated_a}, {});
  EXPECT_THAT(result.owners, UnorderedElementsAre(Pair("x.example.com", "team-a")));
  EXPECT_THAT(result.verdicts[0].reason,
              HasSubstr("(Ingress team-a/undated, without creationTimestamp)"));

  result = ResolveHostOwnership({undated_a, Claim("x.example.com", "team-z", "dated", 400)}, {});
  EXPECT_THAT(result.owners, UnorderedElementsAre(Pair("x.example.com", "team-z")));
}

TEST(HostOwnershipTest, SameAgeFallsBackToNamespaceThenName) {
  HostOwnership result = ResolveHostOwnership(
      {Claim("a.example", "zeta", "r", 1), Claim("a.example", "alpha", "r", 1)}, {});
  EXPECT_EQ(result.owners.at("a.example"), "alpha");
  EXPECT_FALSE(result.verdicts[0].accepted);

  result = ResolveHostOwnership({Claim("b.example", "ns1", "z", 1, "HTTPRoute"),
                                 Claim("b.example", "ns2", "a", 1, "IngressRoute")},
                                {});
  EXPECT_EQ(result.owners.at("b.example"), "ns1");
}

TEST(HostOwnershipTest, EveryClaimOfTheOwningNamespaceIsAccepted) {
  HostOwnership result = ResolveHostOwnership(
      {Claim("a.example", "shop", "web", 1), Claim("a.example", "shop", "api", 3, "HTTPRoute"),
       Claim("a.example", "other", "x", 2)},
      {});
  EXPECT_TRUE(result.verdicts[0].accepted);
  EXPECT_TRUE(result.verdicts[1].accepted);
  EXPECT_FALSE(result.verdicts[2].accepted);
}

TEST(HostOwnershipTest, HostsCompareCaseInsensitivelyAndWithoutTheTrailingDot) {
  HostOwnership result = ResolveHostOwnership(
      {Claim("Shop.Example.COM.", "a", "x", 1), Claim("shop.example.com", "b", "y", 2)}, {});
  EXPECT_THAT(result.owners, UnorderedElementsAre(Pair("shop.example.com", "a")));
  EXPECT_FALSE(result.verdicts[1].accepted);
  EXPECT_EQ(NormalizeClaimedHost(""), "*");
}

TEST(HostOwnershipTest, CatchAllOnlyFromNamespacesTheAdminLists) {
  HostOwnershipPolicy policy;
  policy.catch_all_namespaces = {"ingress-default"};
  HostOwnership result = ResolveHostOwnership(
      {Claim("", "tenant", "greedy", 1), Claim("*", "tenant", "greedy2", 1, "IngressRoute"),
       Claim("", "ingress-default", "fallback", 5)},
      policy);
  EXPECT_FALSE(result.verdicts[0].accepted);
  EXPECT_THAT(result.verdicts[0].reason,
              HasSubstr("would receive the requests for every host nobody owns"));
  EXPECT_THAT(result.verdicts[0].reason, HasSubstr("\"tenant\" is not listed"));
  EXPECT_FALSE(result.verdicts[1].accepted);
  EXPECT_TRUE(result.verdicts[2].accepted);
  EXPECT_THAT(result.owners, UnorderedElementsAre(Pair("*", "ingress-default")));

  // Without a policy nobody gets one.
  result = ResolveHostOwnership({Claim("", "ingress-default", "fallback", 5)}, {});
  EXPECT_FALSE(result.verdicts[0].accepted);
  EXPECT_THAT(result.owners, IsEmpty());
}

TEST(HostOwnershipTest, AnOlderWildcardKeepsNewcomersOutOfItsNames) {
  HostOwnership result = ResolveHostOwnership(
      {Claim("*.example.com", "platform", "wild", 1),
       Claim("api.example.com", "intruder", "api", 2),
       Claim("deep.api.example.com", "other", "d", 2), Claim("*.api.example.com", "other", "w", 2),
       Claim("docs.example.com", "platform", "docs", 3),
       Claim("example.com", "intruder", "apex", 2)},
      {});
  EXPECT_TRUE(result.verdicts[0].accepted);
  EXPECT_FALSE(result.verdicts[1].accepted);
  EXPECT_EQ(result.verdicts[1].reason,
            "host \"api.example.com\" falls under \"*.example.com\", which namespace "
            "\"platform\" claimed first (Ingress platform/wild, created 2026-01-02T00:00:00Z)");
  // A wildcard covers one label, as Ingress and Traefik match it: two labels down is free.
  EXPECT_TRUE(result.verdicts[2].accepted);
  EXPECT_TRUE(result.verdicts[3].accepted);
  EXPECT_TRUE(result.verdicts[4].accepted);  // the wildcard's own namespace
  EXPECT_TRUE(result.verdicts[5].accepted);  // the apex is not under the wildcard
}

TEST(HostOwnershipTest, AWildcardOverATopLevelDomainIsRefused) {
  HostOwnership result = ResolveHostOwnership(
      {Claim("*.com", "greedy", "all", 1), Claim("shop.com", "shop", "web", 2)}, {});
  EXPECT_FALSE(result.verdicts[0].accepted);
  EXPECT_EQ(result.verdicts[0].reason,
            "wildcard \"*.com\" would take a whole top-level domain; a wildcard needs at least "
            "two labels after \"*.\"");
  EXPECT_TRUE(result.verdicts[1].accepted);
  EXPECT_THAT(result.owners, UnorderedElementsAre(Pair("shop.com", "shop")));
}

TEST(HostOwnershipTest, AnExactHostOlderThanTheWildcardStaysWithItsOwner) {
  HostOwnership result = ResolveHostOwnership(
      {Claim("api.example.com", "api-team", "api", 1), Claim("*.example.com", "platform", "w", 2)},
      {});
  EXPECT_TRUE(result.verdicts[0].accepted);
  EXPECT_TRUE(result.verdicts[1].accepted);
  EXPECT_THAT(result.owners, UnorderedElementsAre(Pair("api.example.com", "api-team"),
                                                  Pair("*.example.com", "platform")));
}

TEST(HostOwnershipTest, TheOrderOfTheClaimsDoesNotMatter) {
  std::vector<HostClaim> claims = {Claim("a.example", "n1", "x", 3),
                                   Claim("a.example", "n2", "x", 2),
                                   Claim("*.example", "n3", "w", 1),
                                   Claim("b.example", "n1", "y", 4),
                                   Claim("", "n4", "c", 1),
                                   Claim("c.example", "n2", "z", 1),
                                   Claim("C.example", "n1", "z", 1, "HTTPRoute")};
  HostOwnershipPolicy policy;
  policy.catch_all_namespaces = {"n4"};
  const HostOwnership expected = ResolveHostOwnership(claims, policy);
  std::vector<size_t> index(claims.size());
  for (size_t i = 0; i < index.size(); ++i) index[i] = i;
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(index.begin(), index.end(), random);
    std::vector<HostClaim> shuffled;
    for (size_t i : index) shuffled.push_back(claims[i]);
    const HostOwnership got = ResolveHostOwnership(shuffled, policy);
    EXPECT_EQ(got.owners, expected.owners);
    for (size_t k = 0; k < index.size(); ++k) {
      EXPECT_EQ(got.verdicts[k].accepted, expected.verdicts[index[k]].accepted);
      EXPECT_EQ(got.verdicts[k].reason, expected.verdicts[index[k]].reason);
    }
  }
}

}  // namespace
}  // namespace strata::translate

namespace strata::translate {
namespace {

HostClaim DeepClaim(std::string host, std::string ns, std::string name, int day) {
  HostClaim claim = Claim(std::move(host), std::move(ns), std::move(name), day, "HTTPRoute");
  claim.any_depth = true;
  return claim;
}

TEST(HostOwnershipTest, AnAnyDepthWildcardCoversEveryNameBelowIt) {
  const HostOwnership result =
      ResolveHostOwnership({DeepClaim("*.example.com", "team-a", "wild", 1),
                            Claim("a.b.example.com", "team-b", "deep", 2),
                            Claim("*.b.example.com", "team-b", "deeper-wildcard", 3),
                            Claim("c.example.com", "team-b", "one-label", 4),
                            Claim("x.y.example.com", "team-a", "own", 5)},
                           {});
  EXPECT_TRUE(result.verdicts[0].accepted);
  EXPECT_FALSE(result.verdicts[1].accepted);
  EXPECT_EQ(result.verdicts[1].reason,
            "host \"a.b.example.com\" falls under \"*.example.com\", which namespace \"team-a\" "
            "claimed first (HTTPRoute team-a/wild, created 2026-01-02T00:00:00Z)");
  EXPECT_FALSE(result.verdicts[2].accepted);
  EXPECT_FALSE(result.verdicts[3].accepted);
  EXPECT_TRUE(result.verdicts[4].accepted);  // the owner's own names below it
}

TEST(HostOwnershipTest, AOneLabelWildcardLeavesDeeperNamesFree) {
  const HostOwnership result = ResolveHostOwnership(
      {Claim("*.example.com", "team-a", "wild", 1), Claim("a.b.example.com", "team-b", "deep", 2),
       Claim("*.b.example.com", "team-b", "deeper-wildcard", 3),
       Claim("c.example.com", "team-b", "one-label", 4)},
      {});
  EXPECT_TRUE(result.verdicts[1].accepted);
  EXPECT_TRUE(result.verdicts[2].accepted);
  EXPECT_FALSE(result.verdicts[3].accepted);  // exactly one label below: covered
}

TEST(HostOwnershipTest, AnAnyDepthClaimOfTheOwnerWidensItsOneLabelWildcard) {
  // team-a's Ingress holds *.example.com (one label) first; its HTTPRoute then claims the
  // same wildcard at any depth, so deeper names are team-a's too.
  const HostOwnership result =
      ResolveHostOwnership({Claim("*.example.com", "team-a", "ingress", 1),
                            DeepClaim("*.example.com", "team-a", "route", 2),
                            Claim("a.b.example.com", "team-b", "deep", 3)},
                           {});
  EXPECT_TRUE(result.verdicts[1].accepted);
  EXPECT_FALSE(result.verdicts[2].accepted);
}

}  // namespace
}  // namespace strata::translate
