// libFuzzer entry point for the Traefik rule parser (controlplane/translate/traefik_rule.h).
// Besides not crashing (rules come from tenants' IngressRoutes), it checks the contract:
// errors are InvalidArgument and say where ("column N: ..." or a size limit); a parsed rule
// stays within the documented limits; and every matcher, printed with ToString, parses back to
// itself.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "controlplane/translate/traefik_rule.h"

namespace {

using strata::translate::TraefikMatcher;
using strata::translate::TraefikRule;

[[noreturn]] void Fail(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "traefik_rule_fuzzer: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<TraefikRule> rule = strata::translate::ParseTraefikRule(text);
  if (!rule.ok()) {
    const absl::Status& status = rule.status();
    if (status.code() != absl::StatusCode::kInvalidArgument)
      Fail("unexpected code", status.message());
    if (!absl::StartsWith(status.message(), "column ") &&
        !absl::StartsWith(status.message(), "the rule ")) {
      Fail("error says not where", status.message());
    }
    return 0;
  }
  if (rule->alternatives.empty() ||
      rule->alternatives.size() > strata::translate::kMaxRuleAlternatives) {
    Fail("alternatives out of bounds", text);
  }
  if (rule->default_priority != static_cast<int>(size)) Fail("priority is not the length", text);
  for (const auto& alternative : rule->alternatives) {
    if (alternative.empty() || alternative.size() > strata::translate::kMaxMatchersPerAlternative) {
      Fail("alternative size out of bounds", text);
    }
    for (const TraefikMatcher& m : alternative) {
      // A value holding a backtick cannot be printed in backticks; Go escapes would do, but
      // ToString is for messages.
      if (absl::StrContains(m.key, '`') || absl::StrContains(m.value, '`')) continue;
      const std::string printed = strata::translate::ToString(m);
      absl::StatusOr<TraefikRule> again = strata::translate::ParseTraefikRule(printed);
      if (!again.ok()) Fail("a printed matcher does not parse", printed);
      if (again->alternatives.size() != 1 || again->alternatives[0].size() != 1 ||
          !(again->alternatives[0][0] == m)) {
        Fail("a printed matcher parses to something else", printed);
      }
    }
  }
  return 0;
}
