#include "controlplane/translate/regex_check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace strata::translate {

std::string Re2Error(const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  const re2::RE2 compiled(pattern, options);
  return compiled.ok() ? "" : compiled.error();
}

std::string SafeRegexProblem(const std::string& pattern) {
  if (pattern.empty()) return "an empty regular expression";
  const std::string error = Re2Error(pattern);
  return error.empty() ? "" : absl::StrCat("not valid RE2: ", error);
}

}  // namespace strata::translate
