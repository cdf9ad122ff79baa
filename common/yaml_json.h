#ifndef STRATA_COMMON_YAML_JSON_H_
#define STRATA_COMMON_YAML_JSON_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace strata {

// Mappings and sequences may nest at most this deep by default.
inline constexpr int kDefaultYamlMaxDepth = 64;

// Parses a YAML stream (JSON is YAML too) into one JSON value per document, with libyaml.
//
// - Documents whose content is empty or null (`---` separators, comment-only files) are
//   skipped, so an empty input gives an empty vector.
// - Plain scalars resolve as in the YAML 1.2 core schema, which Kubernetes manifests rely on:
//   `null`/`Null`/`NULL`/`~`/empty -> null; `true`/`false` (also capitalised or upper case) ->
//   boolean; decimal, `0x` hex and `0o` octal integers -> integer (an error beyond 64 bits);
//   decimal floats -> floating point. `.inf` and `.nan` are rejected (JSON has neither).
//   Anything else, including YAML 1.1's `yes`/`no`/`on`/`off`, is a string; `0123` is the
//   decimal 123, not YAML 1.1's octal.
// - Quoted, literal (`|`) and folded (`>`) scalars are always strings.
// - The tags `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`, `!!seq` and `!` are
//   honoured; any other tag is an error.
// - Mapping keys must be scalars and are taken as their text; a repeated key is an error.
// - Anchors and aliases are rejected, as is nesting deeper than `max_depth`.
//
// Errors are InvalidArgument and start with the position, e.g.
// "line 3, column 5: aliases are not supported". Lines and columns count from 1.
// Nothing here throws; bounding the input size is the caller's business.
absl::StatusOr<std::vector<nlohmann::json>> ParseYamlDocuments(
    std::string_view text, int max_depth = kDefaultYamlMaxDepth);

// A non-empty document of a YAML stream.
struct YamlDocument {
  int index = 0;  // 1-based position in the stream, counting the skipped empty documents
  nlohmann::json value;
};

// As ParseYamlDocuments, but also says where each document is in the stream.
absl::StatusOr<std::vector<YamlDocument>> ParseYamlStream(std::string_view text,
                                                          int max_depth = kDefaultYamlMaxDepth);

}  // namespace strata

#endif  // STRATA_COMMON_YAML_JSON_H_
