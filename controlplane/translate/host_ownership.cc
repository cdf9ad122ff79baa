#include "controlplane/translate/host_ownership.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace strata::translate {
namespace {

std::string Describe(const HostClaim& claim) {
  if (claim.created == absl::InfiniteFuture()) {
    return absl::StrCat(claim.kind, " ", claim.namespace_, "/", claim.name,
                        ", without creationTimestamp");
  }
  return absl::StrCat(claim.kind, " ", claim.namespace_, "/", claim.name, ", created ",
                      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", claim.created, absl::UTCTimeZone()));
}

}  // namespace

std::vector<std::string> WildcardsAbove(absl::string_view host) {
  std::vector<std::string> out;
  absl::string_view rest = host;
  if (absl::StartsWith(rest, "*.")) rest.remove_prefix(2);
  for (size_t dot = rest.find('.'); dot != absl::string_view::npos; dot = rest.find('.')) {
    rest.remove_prefix(dot + 1);
    if (rest.empty()) break;
    out.push_back(absl::StrCat("*.", rest));
  }
  return out;
}

std::string NormalizeClaimedHost(const std::string& host) {
  std::string out = absl::AsciiStrToLower(host);
  if (!out.empty() && out.back() == '.') out.pop_back();
  // Not `out = "*"`: gcc 12 at -O2 warns about that assignment (-Wrestrict, a false positive).
  if (out.empty()) return std::string(1, '*');
  return out;
}

HostOwnership ResolveHostOwnership(const std::vector<HostClaim>& claims,
                                   const HostOwnershipPolicy& policy) {
  HostOwnership result;
  result.verdicts.resize(claims.size());
  std::vector<size_t> order(claims.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const HostClaim& x = claims[a];
    const HostClaim& y = claims[b];
    return std::tie(x.created, x.namespace_, x.name, x.kind) <
           std::tie(y.created, y.namespace_, y.name, y.kind);
  });

  // Normalised host → the index of the claim that won it.
  std::map<std::string, size_t> winners;
  // Wildcards won by an any-depth claim → that claim. (A one-label claim of the owning
  // namespace may share the wildcard; the any-depth one makes it cover deeper names.)
  std::map<std::string, size_t> deep_winners;
  for (size_t i : order) {
    const HostClaim& claim = claims[i];
    ClaimVerdict& verdict = result.verdicts[i];
    const std::string host = NormalizeClaimedHost(claim.host);
    if (host == "*" && !policy.catch_all_namespaces.contains(claim.namespace_)) {
      verdict.reason = absl::StrCat(
          "a rule without a host would receive the requests for every host nobody owns; only "
          "namespaces the cluster admin lists for catch-all rules may have one, and \"",
          claim.namespace_, "\" is not listed");
      continue;
    }
    auto won = winners.find(host);
    if (won != winners.end()) {
      const HostClaim& owner = claims[won->second];
      if (owner.namespace_ == claim.namespace_) {
        verdict.accepted = true;
        if (claim.any_depth && absl::StartsWith(host, "*.")) deep_winners.emplace(host, i);
      } else {
        verdict.reason =
            absl::StrCat("host \"", host, "\" belongs to namespace \"", owner.namespace_,
                         "\", whose claim is older (", Describe(owner), ")");
      }
      continue;
    }
    if (absl::StartsWith(host, "*.") && !absl::StrContains(host.substr(2), '.')) {
      verdict.reason = absl::StrCat("wildcard \"", host,
                                    "\" would take a whole top-level domain; a wildcard needs at "
                                    "least two labels after \"*.\"");
      continue;
    }
    std::optional<size_t> cover;  // an older claim of another namespace above this host
    std::string cover_host;
    const std::vector<std::string> above = WildcardsAbove(host);
    for (size_t k = 0; k < above.size() && !cover.has_value(); ++k) {
      const bool exact_below = k == 0 && !absl::StartsWith(host, "*");
      const auto& held = exact_below ? winners : deep_winners;
      auto w = held.find(above[k]);
      if (w != held.end() && claims[w->second].namespace_ != claim.namespace_ &&
          !claims[w->second].uncovered.contains(host)) {
        cover = w->second;
        cover_host = above[k];
      }
    }
    if (cover.has_value()) {
      const HostClaim& owner = claims[*cover];
      verdict.reason =
          absl::StrCat("host \"", host, "\" falls under \"", cover_host, "\", which namespace \"",
                       owner.namespace_, "\" claimed first (", Describe(owner), ")");
      continue;
    }
    winners.emplace(host, i);
    verdict.accepted = true;
    if (claim.any_depth && absl::StartsWith(host, "*.")) deep_winners.emplace(host, i);
  }
  for (const auto& [host, index] : winners) result.owners.emplace(host, claims[index].namespace_);
  return result;
}

}  // namespace strata::translate
