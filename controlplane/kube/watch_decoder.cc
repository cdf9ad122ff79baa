#include "controlplane/kube/watch_decoder.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace strata::kube {
namespace {

using Json = nlohmann::json;

bool ParseType(const std::string& name, WatchEvent::Type* type) {
  if (name == "ADDED") {
    *type = WatchEvent::Type::kAdded;
  } else if (name == "MODIFIED") {
    *type = WatchEvent::Type::kModified;
  } else if (name == "DELETED") {
    *type = WatchEvent::Type::kDeleted;
  } else if (name == "BOOKMARK") {
    *type = WatchEvent::Type::kBookmark;
  } else if (name == "ERROR") {
    *type = WatchEvent::Type::kError;
  } else {
    return false;
  }
  return true;
}

// A string member of a JSON object, or "" if absent or not a string.
std::string StringMember(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

absl::Status WatchDecoder::Fail(absl::string_view message) {
  error_ = absl::InvalidArgumentError(absl::StrCat("watch event ", events_ + 1, ": ", message));
  buffer_.clear();
  return error_;
}

absl::StatusOr<WatchEvent> WatchDecoder::Decode(absl::string_view text) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Fail("not valid JSON");
  if (!json.is_object()) return Fail("not a JSON object");
  WatchEvent event;
  auto type = json.find("type");
  if (type == json.end() || !type->is_string()) return Fail("no \"type\"");
  if (!ParseType(type->get<std::string>(), &event.type)) {
    return Fail(absl::StrCat("unknown type \"", absl::CHexEscape(type->get<std::string>()), "\""));
  }
  auto object = json.find("object");
  if (object == json.end() || !object->is_object()) return Fail("\"object\" is not an object");
  event.object = std::move(*object);
  if (event.type == WatchEvent::Type::kError) {
    auto code = event.object.find("code");
    if (code != event.object.end()) {
      if (!code->is_number_integer() || code->get<int64_t>() < 0 || code->get<int64_t>() > 999) {
        return Fail("the Status code is not an HTTP status code");
      }
      event.status_code = static_cast<int>(code->get<int64_t>());
    }
    event.reason = StringMember(event.object, "reason");
    event.message = StringMember(event.object, "message");
    return event;
  }
  auto metadata = event.object.find("metadata");
  if (metadata != event.object.end() && metadata->is_object()) {
    event.resource_version = StringMember(*metadata, "resourceVersion");
  }
  if (event.resource_version.empty()) return Fail("the object has no metadata.resourceVersion");
  return event;
}

absl::Status WatchDecoder::Feed(absl::string_view bytes, std::vector<WatchEvent>& events) {
  if (!error_.ok()) return error_;
  for (const char c : bytes) {
    if (buffer_.empty()) {
      // Between events: whitespace only.
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
      if (c != '{') {
        return Fail(
            absl::StrCat("expected '{', got '", absl::CHexEscape(absl::string_view(&c, 1)), "'"));
      }
    }
    buffer_.push_back(c);
    if (buffer_.size() > max_event_bytes_) {
      return Fail(absl::StrCat("larger than ", max_event_bytes_, " bytes"));
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      if (++depth_ > kMaxNesting) {
        return Fail(absl::StrCat("nested deeper than ", kMaxNesting, " levels"));
      }
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        absl::StatusOr<WatchEvent> event = Decode(buffer_);
        if (!event.ok()) return event.status();
        events.push_back(*std::move(event));
        ++events_;
        buffer_.clear();
      }
    }
  }
  return absl::OkStatus();
}

absl::Status WatchDecoder::Finish() const {
  if (!error_.ok()) return error_;
  if (!buffer_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("watch event ", events_ + 1, ": the stream ended inside it"));
  }
  return absl::OkStatus();
}

}  // namespace strata::kube
