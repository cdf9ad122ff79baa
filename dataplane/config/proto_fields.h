#ifndef STRATA_DATAPLANE_CONFIG_PROTO_FIELDS_H_
#define STRATA_DATAPLANE_CONFIG_PROTO_FIELDS_H_

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"

namespace strata::config {

// Fails when `message` has a set field whose name is not in `supported`; the error names the
// field by its path: `<path>.<field>: not supported by strata-proxy`. Config from xDS or a
// bootstrap must never be half-applied with a field silently ignored.
absl::Status CheckSupportedFields(const google::protobuf::Message& message,
                                  std::initializer_list<absl::string_view> supported,
                                  absl::string_view path);

// "a.b" + "c" → "a.b.c"; "" + "c" → "c".
std::string FieldPath(absl::string_view parent, absl::string_view field);

// A Duration that must be valid (non-negative, nanos in range); `what` names it in errors.
absl::Status ToDuration(const google::protobuf::Duration& duration, absl::string_view what,
                        absl::Duration* out);

}  // namespace strata::config

#endif  // STRATA_DATAPLANE_CONFIG_PROTO_FIELDS_H_
