#include "common/yaml_json.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace strata {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Parses a single-document input; fails the test unless there is exactly one document.
Json ParseOne(std::string_view text) {
  absl::StatusOr<std::vector<Json>> docs = ParseYamlDocuments(text);
  EXPECT_TRUE(docs.ok()) << docs.status();
  if (!docs.ok()) return Json();
  EXPECT_EQ(docs->size(), 1u);
  if (docs->size() != 1) return Json();
  return (*docs)[0];
}

std::string ErrorOf(std::string_view text, int max_depth = kDefaultYamlMaxDepth) {
  absl::StatusOr<std::vector<Json>> docs = ParseYamlDocuments(text, max_depth);
  EXPECT_FALSE(docs.ok());
  if (docs.ok()) return "";
  EXPECT_EQ(docs.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(docs.status().message());
  return message;
}

TEST(YamlJsonTest, BlockMappingsAndSequences) {
  Json doc = ParseOne(R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  ports:
  - name: http
    port: 80
  - name: https
    port: 443
)");
  Json expected = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "web"}, {"labels", {{"app", "web"}}}}},
      {"spec",
       {{"ports",
         Json::array({{{"name", "http"}, {"port", 80}}, {{"name", "https"}, {"port", 443}}})}}},
  };
  EXPECT_EQ(doc, expected);
}

TEST(YamlJsonTest, MultipleDocumentsSkippingEmptyOnes) {
  absl::StatusOr<std::vector<Json>> docs = ParseYamlDocuments(R"(---
a: 1
---
# only a comment
---
---
null
---
- b
...
---
c: 3
)");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_THAT(*docs, ElementsAre(Json{{"a", 1}}, Json::array({"b"}), Json{{"c", 3}}));
}

TEST(YamlJsonTest, StreamIndicesCountEmptyDocuments) {
  absl::StatusOr<std::vector<YamlDocument>> docs =
      ParseYamlStream("# header\n---\na: 1\n---\n---\nb: 2\n---\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].index, 1);
  EXPECT_EQ((*docs)[0].value, (Json{{"a", 1}}));
  EXPECT_EQ((*docs)[1].index, 3);
  EXPECT_EQ((*docs)[1].value, (Json{{"b", 2}}));
}

TEST(YamlJsonTest, EmptyInputHasNoDocuments) {
  for (std::string_view text : {"", "\n\n", "# comment\n", "---\n", "~\n"}) {
    absl::StatusOr<std::vector<Json>> docs = ParseYamlDocuments(text);
    ASSERT_TRUE(docs.ok()) << docs.status();
    EXPECT_THAT(*docs, IsEmpty()) << "input: " << text;
  }
}

TEST(YamlJsonTest, JsonInput) {
  Json doc = ParseOne(
      "{\"kind\":\"Service\",\"n\":-12,\"f\":1.5e3,\"t\":true,\"z\":null,\n"
      "\t\"list\": [1, \"two\", {\"x\": \"a\\/b\\u00e9\"}], \"empty\": {}, \"none\": []}\n");
  Json expected = {
      {"kind", "Service"},
      {"n", -12},
      {"f", 1500.0},
      {"t", true},
      {"z", nullptr},
      {"list", Json::array({1, "two", {{"x", "a/b\u00e9"}}})},
      {"empty", Json::object()},
      {"none", Json::array()},
  };
  EXPECT_EQ(doc, expected);
  EXPECT_TRUE(doc["f"].is_number_float());
  EXPECT_TRUE(doc["n"].is_number_integer());
}

TEST(YamlJsonTest, PlainScalarTypes) {
  Json doc = ParseOne(R"(
null1: null
null2: ~
null3:
null4: NULL
t1: true
t2: True
f1: FALSE
yes: yes
off: off
int: 42
neg: -7
plus: +7
hex: 0x1F
oct: 0o17
lead0: 0123
big: 18446744073709551615
min: -9223372036854775808
float1: 3.25
float2: .5
float3: -1e-2
float4: 2.
version: 1.2.3
ip: 10.0.0.1
text: hello world
)");
  EXPECT_TRUE(doc["null1"].is_null());
  EXPECT_TRUE(doc["null2"].is_null());
  EXPECT_TRUE(doc["null3"].is_null());
  EXPECT_TRUE(doc["null4"].is_null());
  EXPECT_EQ(doc["t1"], Json(true));
  EXPECT_EQ(doc["t2"], Json(true));
  EXPECT_EQ(doc["f1"], Json(false));
  EXPECT_EQ(doc["yes"], Json("yes"));
  EXPECT_EQ(doc["off"], Json("off"));
  EXPECT_EQ(doc["int"], Json(42));
  EXPECT_TRUE(doc["int"].is_number_integer());
  EXPECT_EQ(doc["neg"], Json(-7));
  EXPECT_EQ(doc["plus"], Json(7));
  EXPECT_EQ(doc["hex"], Json(31));
  EXPECT_EQ(doc["oct"], Json(15));
  EXPECT_EQ(doc["lead0"], Json(123));
  EXPECT_TRUE(doc["big"].is_number_unsigned());
  EXPECT_EQ(doc["big"], Json(uint64_t{18446744073709551615u}));
  EXPECT_EQ(doc["min"], Json(std::numeric_limits<int64_t>::min()));
  EXPECT_TRUE(doc["float1"].is_number_float());
  EXPECT_EQ(doc["float1"], Json(3.25));
  EXPECT_EQ(doc["float2"], Json(0.5));
  EXPECT_EQ(doc["float3"], Json(-0.01));
  EXPECT_EQ(doc["float4"], Json(2.0));
  EXPECT_TRUE(doc["float4"].is_number_float());
  EXPECT_EQ(doc["version"], Json("1.2.3"));
  EXPECT_EQ(doc["ip"], Json("10.0.0.1"));
  EXPECT_EQ(doc["text"], Json("hello world"));
}

TEST(YamlJsonTest, QuotedAndBlockScalarsAreStrings) {
  Json doc = ParseOne(R"(
a: "80"
b: 'true'
c: "null"
d: ''
e: |
  line1
  line2
f: >-
  folded
  text
)");
  EXPECT_EQ(doc["a"], Json("80"));
  EXPECT_EQ(doc["b"], Json("true"));
  EXPECT_EQ(doc["c"], Json("null"));
  EXPECT_EQ(doc["d"], Json(""));
  EXPECT_EQ(doc["e"], Json("line1\nline2\n"));
  EXPECT_EQ(doc["f"], Json("folded text"));
}

TEST(YamlJsonTest, KeysAreTheirText) {
  Json doc = ParseOne("1: a\ntrue: b\n\"q\": c\n");
  EXPECT_EQ(doc, (Json{{"1", "a"}, {"true", "b"}, {"q", "c"}}));
}

TEST(YamlJsonTest, StandardTags) {
  Json doc = ParseOne(R"(
s: !!str 80
i: !!int "12"
f: !!float 3
b: !!bool "false"
n: !!null ""
ns: ! 5
m: !!map {k: v}
q: !!seq [1]
)");
  EXPECT_EQ(doc["s"], Json("80"));
  EXPECT_EQ(doc["i"], Json(12));
  EXPECT_TRUE(doc["f"].is_number_float());
  EXPECT_EQ(doc["f"], Json(3.0));
  EXPECT_EQ(doc["b"], Json(false));
  EXPECT_TRUE(doc["n"].is_null());
  EXPECT_EQ(doc["ns"], Json("5"));
  EXPECT_EQ(doc["m"], (Json{{"k", "v"}}));
  EXPECT_EQ(doc["q"], Json::array({1}));
}

TEST(YamlJsonTest, SyntaxErrorsCarryPositions) {
  EXPECT_EQ(ErrorOf("a: 1\n b: 2\n"),
            "line 2, column 3: mapping values are not allowed in this context");
  EXPECT_EQ(ErrorOf("a:\n  - x\n  y: 1\n"),
            "line 3, column 3: did not find expected '-' indicator (while parsing a block "
            "collection at line 2, column 3)");
  EXPECT_EQ(ErrorOf("{\"a\": 1,\n \"b\": [1, 2}\n"),
            "line 2, column 12: did not find expected ',' or ']' (while parsing a flow sequence "
            "at line 2, column 7)");
  EXPECT_EQ(ErrorOf("a: b\nc: \"unterminated\n"),
            "line 3, column 1: found unexpected end of stream (while scanning a quoted scalar at "
            "line 2, column 4)");
}

TEST(YamlJsonTest, ReaderErrorsCarryPositions) {
  EXPECT_EQ(ErrorOf("a: 1\nb: x\x01y\n"),
            "line 2, column 5: control characters are not allowed (#x1)");
  EXPECT_EQ(ErrorOf("a: 1\nbb: \xff\n"), "line 2, column 5: invalid leading UTF-8 octet (#xFF)");
}

TEST(YamlJsonTest, SemanticErrorsCarryPositions) {
  EXPECT_EQ(ErrorOf("a: &x 1\nb: *x\n"), "line 1, column 4: anchors are not supported");
  EXPECT_EQ(ErrorOf("a: 1\nb: *x\n"), "line 2, column 4: aliases are not supported");
  EXPECT_EQ(ErrorOf("a: 1\nb: 2\na: 3\n"), "line 3, column 1: duplicate key \"a\"");
  EXPECT_EQ(ErrorOf("? [a]\n: 1\n"), "line 1, column 3: mapping keys must be scalars");
  EXPECT_EQ(ErrorOf("x:\n  v: .inf\n"),
            "line 2, column 6: infinity and NaN cannot be represented in JSON");
  EXPECT_EQ(ErrorOf("x: 1e999\n"), "line 1, column 4: number is out of range");
  EXPECT_EQ(ErrorOf("x: 18446744073709551616\n"),
            "line 1, column 4: integer does not fit in 64 bits");
  EXPECT_EQ(ErrorOf("x: -9223372036854775809\n"),
            "line 1, column 4: integer does not fit in 64 bits");
  EXPECT_EQ(ErrorOf("x: !!int abc\n"), "line 1, column 4: !!int scalar is not an integer");
  EXPECT_EQ(ErrorOf("x: !custom abc\n"), "line 1, column 4: unsupported tag \"!custom\"");
  EXPECT_EQ(ErrorOf("x: !!set {a: null}\n"),
            "line 1, column 4: unsupported tag \"tag:yaml.org,2002:set\"");
}

TEST(YamlJsonTest, ErrorInLaterDocumentCountsLinesFromStreamStart) {
  EXPECT_EQ(ErrorOf("a: 1\n---\nb: 2\n---\nc: [\n"),
            "line 6, column 1: did not find expected node content (while parsing a flow node at "
            "line 6, column 1)");
}

std::string Nested(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += "[";
  for (int i = 0; i < depth; ++i) text += "]";
  return text;
}

TEST(YamlJsonTest, DepthLimit) {
  EXPECT_TRUE(ParseYamlDocuments(Nested(kDefaultYamlMaxDepth)).ok());
  EXPECT_EQ(ErrorOf(Nested(kDefaultYamlMaxDepth + 1)),
            "line 1, column 65: nesting is deeper than 64 levels");
  EXPECT_EQ(ErrorOf("a:\n  b:\n    c: 1\n", /*max_depth=*/2),
            "line 3, column 5: nesting is deeper than 2 levels");
  // Far deeper than the limit: rejected before it costs memory or stack.
  EXPECT_THAT(ErrorOf(Nested(100000)), ::testing::HasSubstr("nesting is deeper than 64 levels"));
}

}  // namespace
}  // namespace strata
