#ifndef STRATA_CONTROLPLANE_TRANSLATE_HOST_OWNERSHIP_H_
#define STRATA_CONTROLPLANE_TRANSLATE_HOST_OWNERSHIP_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace strata::translate {

// One object's claim to route a hostname: an Ingress rule's host, an HTTPRoute hostname, a
// Host matcher of an IngressRoute. A claim without a host ("" or "*") would catch every
// request whose host nobody owns.
struct HostClaim {
  std::string host;        // as written: "shop.example.com", "*.example.com", "" or "*"
  std::string kind;        // "Ingress", "HTTPRoute", "IngressRoute"
  std::string namespace_;  // of the claiming object
  std::string name;
  // metadata.creationTimestamp; absl::InfiniteFuture() when the object has none (a manifest
  // written by hand), so it loses to every dated claim.
  absl::Time created;
  // A Gateway API wildcard, which matches names of any depth ("*.example.com" also matches
  // "a.b.example.com"); Ingress and Traefik wildcards match exactly one label.
  bool any_depth = false;
  // Names below this wildcard that it does not cover: the hostnames of more specific
  // listeners of the Gateway it came through (requests for them go to those listeners).
  std::set<std::string> uncovered;
};

struct HostOwnershipPolicy {
  // Namespaces whose host-less rules and default backends the cluster admin accepts; from
  // everyone else such a catch-all is refused.
  std::set<std::string> catch_all_namespaces;
};

struct ClaimVerdict {
  bool accepted = false;
  std::string reason;  // why a refused claim is not routed, for a condition or an Event
};

struct HostOwnership {
  // Normalised host (lowercase, no trailing dot; "*.example.com" for wildcards, "*" for the
  // catch-all) → the namespace that owns it.
  std::map<std::string, std::string> owners;
  // One verdict per claim, in the order of the claims.
  std::vector<ClaimVerdict> verdicts;
};

// The wildcards above `host`, nearest first: "*.b.example.com" and "*.example.com" for
// "a.b.example.com", only "*.example.com" for "*.b.example.com". The first one of an exact
// host covers it whatever the wildcard's kind; the others only as any-depth wildcards.
std::vector<std::string> WildcardsAbove(absl::string_view host);

// The host name as ownership compares it: lowercase, without a trailing dot, "" becomes "*".
std::string NormalizeClaimedHost(const std::string& host);

// Decides which namespace owns each host. The oldest claim wins (creationTimestamp, then
// namespace, then name, then kind): every claim of the owning namespace is accepted, every
// claim from another namespace refused with the owner named. A host is also refused when an
// older claim of another namespace holds a wildcard covering it (the one-label wildcard just
// above an exact host, or any wildcard above it claimed with `any_depth`), so a newcomer
// cannot cut a name out of someone else's wildcard. A wildcard over a top-level domain ("*.com") is
// refused, and the catch-all "*" is only accepted from `policy.catch_all_namespaces`. Pure and
// deterministic: the same claims in any order give the same owners.
HostOwnership ResolveHostOwnership(const std::vector<HostClaim>& claims,
                                   const HostOwnershipPolicy& policy);

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_HOST_OWNERSHIP_H_
