#include "controlplane/source/names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace strata::source {
namespace {

bool IsLowerAlnum(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }

}  // namespace

bool IsDnsLabel(absl::string_view s, bool start_with_letter) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  if (start_with_letter ? !absl::ascii_islower(s.front()) : !IsLowerAlnum(s.front())) return false;
  return IsLowerAlnum(s.back());
}

bool IsDnsSubdomain(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (!IsDnsLabel(label)) return false;
  }
  return true;
}

}  // namespace strata::source
