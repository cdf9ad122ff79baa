#include "common/yaml_json.h"

#include <yaml.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace strata {
namespace {

using Json = nlohmann::json;

constexpr absl::string_view kTagStr = "tag:yaml.org,2002:str";
constexpr absl::string_view kTagInt = "tag:yaml.org,2002:int";
constexpr absl::string_view kTagFloat = "tag:yaml.org,2002:float";
constexpr absl::string_view kTagBool = "tag:yaml.org,2002:bool";
constexpr absl::string_view kTagNull = "tag:yaml.org,2002:null";
constexpr absl::string_view kTagMap = "tag:yaml.org,2002:map";
constexpr absl::string_view kTagSeq = "tag:yaml.org,2002:seq";
constexpr absl::string_view kTagNonSpecific = "!";

std::string Position(const yaml_mark_t& mark) {
  return absl::StrCat("line ", mark.line + 1, ", column ", mark.column + 1);
}

absl::Status ErrorAt(const yaml_mark_t& mark, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(Position(mark), ": ", message));
}

// libyaml reports reader errors (bad encoding, control characters) as a byte offset only.
yaml_mark_t MarkAtOffset(absl::string_view text, size_t offset) {
  yaml_mark_t mark{};
  mark.index = offset;
  size_t end = std::min(offset, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++mark.line;
      mark.column = 0;
    } else {
      ++mark.column;
    }
  }
  return mark;
}

absl::Status ParserError(const yaml_parser_t& parser, absl::string_view text) {
  if (parser.error == YAML_MEMORY_ERROR) {
    return absl::ResourceExhaustedError("out of memory while parsing YAML");
  }
  std::string message = parser.problem != nullptr ? parser.problem : "invalid YAML";
  if (parser.error == YAML_READER_ERROR) {
    if (parser.problem_value != -1) {
      absl::StrAppend(&message, absl::StrFormat(" (#x%X)", parser.problem_value));
    }
    return ErrorAt(MarkAtOffset(text, parser.problem_offset), message);
  }
  if (parser.context != nullptr) {
    absl::StrAppend(&message, " (", parser.context, " at ", Position(parser.context_mark), ")");
  }
  return ErrorAt(parser.problem_mark, message);
}

std::string ToString(absl::string_view s) { return {s.data(), s.size()}; }

absl::string_view TagOf(const yaml_char_t* tag) {
  return tag == nullptr ? absl::string_view() : reinterpret_cast<const char*>(tag);
}

bool IsNull(absl::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> ParseBool(absl::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

// Integers of the YAML 1.2 core schema: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+.
// Returns nullopt if `s` is not integer syntax, an error if it is but does not fit 64 bits.
absl::StatusOr<std::optional<Json>> ParseInt(absl::string_view s) {
  bool negative = false;
  int base = 10;
  if (absl::StartsWith(s, "0x")) {
    base = 16;
    s.remove_prefix(2);
  } else if (absl::StartsWith(s, "0o")) {
    base = 8;
    s.remove_prefix(2);
  } else if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t magnitude = 0;
  bool overflow = false;
  for (char c : s) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (base == 16 && absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      digit = absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / base) overflow = true;
    magnitude = magnitude * base + digit;
  }
  constexpr uint64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
  if (overflow || (negative && magnitude > kMaxInt64 + 1)) {
    return absl::InvalidArgumentError("integer does not fit in 64 bits");
  }
  if (negative) {
    // -(2^63) has no positive int64 counterpart; negate in unsigned arithmetic.
    return Json(static_cast<int64_t>(~magnitude + 1));
  }
  if (magnitude <= kMaxInt64) return Json(static_cast<int64_t>(magnitude));
  return Json(magnitude);
}

// Floats of the YAML 1.2 core schema, without .inf/.nan:
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsFloatSyntax(absl::string_view s) {
  size_t i = 0;
  auto digits = [&]() {
    size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = digits();
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    frac_digits = digits();
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

bool IsInfOrNan(absl::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return s == ".inf" || s == ".Inf" || s == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN";
}

// Returns nullopt if `s` is not float syntax.
absl::StatusOr<std::optional<Json>> ParseFloat(absl::string_view s) {
  if (IsInfOrNan(s)) {
    return absl::InvalidArgumentError("infinity and NaN cannot be represented in JSON");
  }
  if (!IsFloatSyntax(s)) return std::nullopt;
  double value = 0;
  if (!absl::SimpleAtod(s, &value) || !std::isfinite(value)) {
    return absl::InvalidArgumentError("number is out of range");
  }
  return Json(value);
}

// Resolves a plain, untagged scalar.
absl::StatusOr<Json> ResolvePlain(absl::string_view s) {
  if (IsNull(s)) return Json(nullptr);
  if (std::optional<bool> b = ParseBool(s)) return Json(*b);
  STRATA_ASSIGN_OR_RETURN(std::optional<Json> integer, ParseInt(s));
  if (integer.has_value()) return *std::move(integer);
  STRATA_ASSIGN_OR_RETURN(std::optional<Json> real, ParseFloat(s));
  if (real.has_value()) return *std::move(real);
  return Json(ToString(s));
}

absl::StatusOr<Json> ResolveScalar(const yaml_event_t& event) {
  absl::string_view text(reinterpret_cast<const char*>(event.data.scalar.value),
                         event.data.scalar.length);
  absl::string_view tag = TagOf(event.data.scalar.tag);
  if (tag.empty()) {
    if (event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return Json(ToString(text));
    return ResolvePlain(text);
  }
  if (tag == kTagStr || tag == kTagNonSpecific) return Json(ToString(text));
  if (tag == kTagNull) {
    if (IsNull(text)) return Json(nullptr);
    return absl::InvalidArgumentError("!!null scalar is not null");
  }
  if (tag == kTagBool) {
    if (std::optional<bool> b = ParseBool(text)) return Json(*b);
    return absl::InvalidArgumentError("!!bool scalar is not true or false");
  }
  if (tag == kTagInt) {
    STRATA_ASSIGN_OR_RETURN(std::optional<Json> integer, ParseInt(text));
    if (integer.has_value()) return *std::move(integer);
    return absl::InvalidArgumentError("!!int scalar is not an integer");
  }
  if (tag == kTagFloat) {
    STRATA_ASSIGN_OR_RETURN(std::optional<Json> integer, ParseInt(text));
    if (integer.has_value()) return Json(integer->get<double>());
    STRATA_ASSIGN_OR_RETURN(std::optional<Json> real, ParseFloat(text));
    if (real.has_value()) return *std::move(real);
    return absl::InvalidArgumentError("!!float scalar is not a number");
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported tag \"", tag, "\""));
}

// Builds the JSON value of one document from parser events.
class TreeBuilder {
 public:
  explicit TreeBuilder(int max_depth) : max_depth_(max_depth) {}

  absl::Status StartCollection(bool is_mapping, const yaml_mark_t& mark) {
    if (ExpectingKey()) return ErrorAt(mark, "mapping keys must be scalars");
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      return ErrorAt(mark, absl::StrCat("nesting is deeper than ", max_depth_, " levels"));
    }
    Frame frame;
    frame.value = is_mapping ? Json::object() : Json::array();
    frame.is_mapping = is_mapping;
    stack_.push_back(std::move(frame));
    return absl::OkStatus();
  }

  void EndCollection() {
    Json value = std::move(stack_.back().value);
    stack_.pop_back();
    AddValue(std::move(value));
  }

  absl::Status AddScalar(const yaml_event_t& event) {
    absl::StatusOr<Json> value = ResolveScalar(event);
    if (!value.ok()) return ErrorAt(event.start_mark, value.status().message());
    if (!ExpectingKey()) {
      AddValue(*std::move(value));
      return absl::OkStatus();
    }
    Frame& top = stack_.back();
    std::string key(reinterpret_cast<const char*>(event.data.scalar.value),
                    event.data.scalar.length);
    if (top.value.find(key) != top.value.end()) {
      return ErrorAt(event.start_mark, absl::StrCat("duplicate key \"", key, "\""));
    }
    top.key = std::move(key);
    top.has_key = true;
    return absl::OkStatus();
  }

  // The finished document (null if it was empty); resets the builder.
  Json TakeRoot() {
    stack_.clear();
    return std::exchange(root_, Json());
  }

 private:
  struct Frame {
    Json value;  // an object or an array
    bool is_mapping = false;
    bool has_key = false;  // a mapping's key was read and its value is next
    std::string key;
  };

  bool ExpectingKey() const {
    return !stack_.empty() && stack_.back().is_mapping && !stack_.back().has_key;
  }

  void AddValue(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& top = stack_.back();
    if (top.is_mapping) {
      top.value.emplace(std::move(top.key), std::move(value));
      top.key.clear();
      top.has_key = false;
    } else {
      top.value.push_back(std::move(value));
    }
  }

  const int max_depth_;
  std::vector<Frame> stack_;
  Json root_;
};

absl::Status CheckCollectionTag(const yaml_char_t* raw_tag, absl::string_view expected,
                                const yaml_mark_t& mark) {
  absl::string_view tag = TagOf(raw_tag);
  if (tag.empty() || tag == kTagNonSpecific || tag == expected) return absl::OkStatus();
  return ErrorAt(mark, absl::StrCat("unsupported tag \"", tag, "\""));
}

// Owns an initialized parser.
class ParserHandle {
 public:
  ParserHandle() : ok_(yaml_parser_initialize(&parser_) != 0) {}
  ~ParserHandle() {
    if (ok_) yaml_parser_delete(&parser_);
  }
  ParserHandle(const ParserHandle&) = delete;
  ParserHandle& operator=(const ParserHandle&) = delete;

  bool ok() const { return ok_; }
  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_;
  bool ok_;
};

// Owns a parsed event.
class EventHandle {
 public:
  EventHandle() = default;
  ~EventHandle() { yaml_event_delete(&event_); }
  EventHandle(const EventHandle&) = delete;
  EventHandle& operator=(const EventHandle&) = delete;

  yaml_event_t* get() { return &event_; }

 private:
  yaml_event_t event_{};
};

}  // namespace

absl::StatusOr<std::vector<YamlDocument>> ParseYamlStream(std::string_view input, int max_depth) {
  absl::string_view text(input.data(), input.size());
  ParserHandle parser;
  if (!parser.ok()) return absl::ResourceExhaustedError("out of memory while parsing YAML");
  yaml_parser_set_input_string(parser.get(), reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  std::vector<YamlDocument> documents;
  int index = 0;
  TreeBuilder builder(max_depth);
  while (true) {
    EventHandle handle;
    if (!yaml_parser_parse(parser.get(), handle.get())) return ParserError(*parser.get(), text);
    const yaml_event_t& event = *handle.get();
    switch (event.type) {
      case YAML_STREAM_END_EVENT:
        return documents;
      case YAML_DOCUMENT_END_EVENT: {
        ++index;
        Json value = builder.TakeRoot();
        if (!value.is_null()) documents.push_back(YamlDocument{index, std::move(value)});
        break;
      }
      case YAML_ALIAS_EVENT:
        return ErrorAt(event.start_mark, "aliases are not supported");
      case YAML_SCALAR_EVENT:
        if (event.data.scalar.anchor != nullptr) {
          return ErrorAt(event.start_mark, "anchors are not supported");
        }
        STRATA_RETURN_IF_ERROR(builder.AddScalar(event));
        break;
      case YAML_SEQUENCE_START_EVENT:
        if (event.data.sequence_start.anchor != nullptr) {
          return ErrorAt(event.start_mark, "anchors are not supported");
        }
        STRATA_RETURN_IF_ERROR(
            CheckCollectionTag(event.data.sequence_start.tag, kTagSeq, event.start_mark));
        STRATA_RETURN_IF_ERROR(builder.StartCollection(/*is_mapping=*/false, event.start_mark));
        break;
      case YAML_MAPPING_START_EVENT:
        if (event.data.mapping_start.anchor != nullptr) {
          return ErrorAt(event.start_mark, "anchors are not supported");
        }
        STRATA_RETURN_IF_ERROR(
            CheckCollectionTag(event.data.mapping_start.tag, kTagMap, event.start_mark));
        STRATA_RETURN_IF_ERROR(builder.StartCollection(/*is_mapping=*/true, event.start_mark));
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        builder.EndCollection();
        break;
      case YAML_NO_EVENT:
      case YAML_STREAM_START_EVENT:
      case YAML_DOCUMENT_START_EVENT:
        break;
    }
  }
}

absl::StatusOr<std::vector<nlohmann::json>> ParseYamlDocuments(std::string_view text,
                                                               int max_depth) {
  STRATA_ASSIGN_OR_RETURN(std::vector<YamlDocument> documents, ParseYamlStream(text, max_depth));
  std::vector<Json> values;
  values.reserve(documents.size());
  for (YamlDocument& document : documents) values.push_back(std::move(document.value));
  return values;
}

}  // namespace strata
