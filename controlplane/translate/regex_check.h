#ifndef STRATA_CONTROLPLANE_TRANSLATE_REGEX_CHECK_H_
#define STRATA_CONTROLPLANE_TRANSLATE_REGEX_CHECK_H_

#include <string>

namespace strata::translate {

// RE2's reason for refusing `pattern`, or "" when it compiles.
std::string Re2Error(const std::string& pattern);

// Why a proxy would refuse `pattern` as a `safe_regex` (Envoy and strata-proxy refuse an
// empty one, and RE2 must compile it), or "". A pattern a proxy refuses must never reach it:
// it would refuse the whole route configuration.
std::string SafeRegexProblem(const std::string& pattern);

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_REGEX_CHECK_H_
