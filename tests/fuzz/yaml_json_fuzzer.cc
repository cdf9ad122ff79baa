// libFuzzer entry point for ParseYamlDocuments (common/yaml_json.h). Besides not crashing, it
// checks two properties: errors are InvalidArgument with a message, and every parsed document,
// written as JSON, parses back to the same value (JSON is YAML, given the escapes of YamlSafe
// and keys of at most 1024 characters).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/yaml_json.h"
#include "nlohmann/json.hpp"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "yaml_json_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

// JSON text that YAML reads back the same: JSON allows any character but '"', '\\' and C0
// controls raw in a string, but YAML does not allow DEL, the C1 controls and U+FFFE/U+FFFF raw,
// and libyaml (YAML 1.1) folds NEL, U+2028 and U+2029 as line breaks, so all of those are
// written as \u escapes. `json` is valid UTF-8.
std::string YamlSafe(const std::string& json) {
  std::string out;
  for (size_t i = 0; i < json.size();) {
    const auto b = static_cast<unsigned char>(json[i]);
    const size_t length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    uint32_t c = length == 1 ? b : length == 2 ? b & 0x1F : length == 3 ? b & 0x0F : b & 0x07;
    for (size_t k = 1; k < length && i + k < json.size(); ++k) {
      c = (c << 6) | (static_cast<unsigned char>(json[i + k]) & 0x3F);
    }
    if (c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 || c == 0xFFFE ||
        c == 0xFFFF) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04X", static_cast<unsigned>(c));
      out += escape;
    } else {
      out.append(json, i, length);
    }
    i += length;
  }
  return out;
}

// Whether `value` has a mapping key whose JSON form is too long for a YAML implicit key
// (libyaml allows 1024 characters), in which case the JSON text is not YAML.
bool HasLongKey(const nlohmann::json& value) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      const std::string quoted = YamlSafe(
          nlohmann::json(key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      if (quoted.size() > 1000 || HasLongKey(member)) return true;
    }
  } else if (value.is_array()) {
    for (const auto& element : value) {
      if (HasLongKey(element)) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<nlohmann::json>> documents = strata::ParseYamlDocuments(text);
  if (!documents.ok()) {
    if (documents.status().code() != absl::StatusCode::kInvalidArgument ||
        documents.status().message().empty()) {
      Fail("unexpected error", documents.status().ToString());
    }
    return 0;
  }
  for (const nlohmann::json& document : *documents) {
    if (HasLongKey(document)) continue;
    const std::string json =
        YamlSafe(document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    absl::StatusOr<std::vector<nlohmann::json>> again = strata::ParseYamlDocuments(json);
    if (!again.ok())
      Fail("its JSON does not parse back", json + " -> " + again.status().ToString());
    if (again->size() != 1 || (*again)[0] != document) {
      Fail("its JSON parses back differently", json);
    }
  }
  return 0;
}
