#ifndef STRATA_CONTROLPLANE_SOURCE_NAMES_H_
#define STRATA_CONTROLPLANE_SOURCE_NAMES_H_

#include "absl/strings/string_view.h"

namespace strata::source {

// Kubernetes name rules, as the API server applies them.

// An RFC 1123 label (a-z, 0-9 and '-', starting and ending with a letter or digit, at most
// 63 characters): namespace and port names. With `start_with_letter`, an RFC 1035 label: a
// Service name.
bool IsDnsLabel(absl::string_view s, bool start_with_letter = false);

// An RFC 1123 subdomain: dot-separated labels, at most 253 characters.
bool IsDnsSubdomain(absl::string_view s);

}  // namespace strata::source

#endif  // STRATA_CONTROLPLANE_SOURCE_NAMES_H_
