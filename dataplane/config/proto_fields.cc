#include "dataplane/config/proto_fields.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace strata::config {

std::string FieldPath(absl::string_view parent, absl::string_view field) {
  if (parent.empty()) return std::string(field);
  return absl::StrCat(parent, ".", field);
}

absl::Status CheckSupportedFields(const google::protobuf::Message& message,
                                  std::initializer_list<absl::string_view> supported,
                                  absl::string_view path) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const auto* field : fields) {
    bool ok = false;
    for (absl::string_view name : supported) {
      if (field->name() == name) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(FieldPath(path, field->name()), ": not supported by strata-proxy"));
    }
  }
  return absl::OkStatus();
}

absl::Status ToDuration(const google::protobuf::Duration& duration, absl::string_view what,
                        absl::Duration* out) {
  if (duration.seconds() < 0 || duration.nanos() < 0 || duration.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": invalid duration"));
  }
  *out = absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
  return absl::OkStatus();
}

}  // namespace strata::config
