#ifndef STRATA_CONTROLPLANE_TRANSLATE_TRAEFIK_RULE_H_
#define STRATA_CONTROLPLANE_TRANSLATE_TRAEFIK_RULE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::translate {

// One matcher of a Traefik v3 router rule, with its value checked and normalised as Traefik
// does: hosts lowercased, methods uppercased, header names lowercased (HTTP header names are
// case-insensitive), regular expressions compiled once to check them (Go's syntax is RE2's).
struct TraefikMatcher {
  enum class Kind {
    kHost,          // value: lowercase host; "*.example.com" and "*" are wildcards
    kHostRegexp,    // value: regexp, unanchored
    kPath,          // value: exact path, starts with "/"
    kPathPrefix,    // value: plain string prefix, starts with "/"
    kPathRegexp,    // value: regexp, unanchored
    kHeader,        // key: lowercase header name; value: exact value
    kHeaderRegexp,  // key: lowercase header name; value: regexp, unanchored
    kMethod,        // value: uppercase method
    kQuery,         // key: parameter name; value: exact value, unless key_only
    kQueryRegexp,   // key: parameter name; value: regexp, unanchored
    kClientIP,      // value: an address or a CIDR range, as written
  };
  Kind kind = Kind::kHost;
  bool negated = false;
  std::string key;
  std::string value;
  // Query (or QueryRegexp) with only a parameter name: the parameter is present.
  bool key_only = false;

  bool operator==(const TraefikMatcher&) const = default;
};

// The matcher as Traefik would print it, e.g. "!Header(`x-env`, `prod`)".
std::string ToString(const TraefikMatcher& matcher);

// A rule in disjunctive normal form: a request matches when it matches every matcher of at
// least one alternative. Negations are pushed down to single matchers.
struct TraefikRule {
  std::vector<std::vector<TraefikMatcher>> alternatives;
  // Traefik's priority when the route gives none (or 0): the length of the rule text.
  int default_priority = 0;
};

// Limits on what one rule may expand to (a rule is written by a tenant, so it is untrusted).
inline constexpr int kMaxRuleLength = 8192;
inline constexpr int kMaxRuleNesting = 32;
inline constexpr size_t kMaxRuleAlternatives = 64;
inline constexpr size_t kMaxMatchersPerAlternative = 32;

// Parses a rule in Traefik v3 syntax: the matchers Host, HostRegexp, Path, PathPrefix,
// PathRegexp, Header, HeaderRegexp, Method, Query, QueryRegexp and ClientIP, with values in
// backticks or Go double-quoted strings, combined with "&&", "||", "!" and parentheses ("&&"
// binds tighter than "||"). Errors are InvalidArgument and name the column, e.g.
// `column 9: Host takes one value (Traefik v3); write Host(`a`) || Host(`b`)`.
absl::StatusOr<TraefikRule> ParseTraefikRule(absl::string_view rule);

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_TRAEFIK_RULE_H_
