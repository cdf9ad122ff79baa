#include "controlplane/translate/traefik_rule.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::translate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The rule's alternatives as "A && B" strings, one per alternative.
std::vector<std::string> Alternatives(absl::string_view text) {
  absl::StatusOr<TraefikRule> rule = ParseTraefikRule(text);
  if (!rule.ok()) return {absl::StrCat("error: ", rule.status().message())};
  std::vector<std::string> out;
  for (const auto& alternative : rule->alternatives) {
    out.push_back(absl::StrJoin(alternative, " && ", [](std::string* s, const TraefikMatcher& m) {
      s->append(ToString(m));
    }));
  }
  return out;
}

std::string Error(absl::string_view text) {
  absl::StatusOr<TraefikRule> rule = ParseTraefikRule(text);
  if (rule.ok()) return "parsed";
  EXPECT_EQ(rule.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(rule.status().message());
}

TEST(TraefikRuleTest, AndBindsTighterThanOr) {
  EXPECT_THAT(Alternatives("Host(`a.example`) && PathPrefix(`/api`) || Host(`b.example`)"),
              ElementsAre("Host(`a.example`) && PathPrefix(`/api`)", "Host(`b.example`)"));
  EXPECT_THAT(Alternatives("Host(`a`) || Host(`b`) && Path(`/x`)"),
              ElementsAre("Host(`a`)", "Host(`b`) && Path(`/x`)"));
}

TEST(TraefikRuleTest, DefaultPriorityIsTheLengthOfTheRule) {
  const std::string text = "Host(`shop.example.com`) && PathPrefix(`/api`)";
  absl::StatusOr<TraefikRule> rule = ParseTraefikRule(text);
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->default_priority, static_cast<int>(text.size()));
}

TEST(TraefikRuleTest, AndDistributesOverOrInParentheses) {
  EXPECT_THAT(Alternatives("(Host(`a`) || Host(`b`)) && (PathPrefix(`/x`) || PathPrefix(`/y`))"),
              ElementsAre("Host(`a`) && PathPrefix(`/x`)", "Host(`a`) && PathPrefix(`/y`)",
                          "Host(`b`) && PathPrefix(`/x`)", "Host(`b`) && PathPrefix(`/y`)"));
}

TEST(TraefikRuleTest, NegationIsPushedDownToMatchers) {
  EXPECT_THAT(Alternatives("Host(`a`) && !(Path(`/x`) || Method(`POST`))"),
              ElementsAre("Host(`a`) && !Path(`/x`) && !Method(`POST`)"));
  EXPECT_THAT(Alternatives("!(Host(`a`) && Path(`/x`))"), ElementsAre("!Host(`a`)", "!Path(`/x`)"));
  EXPECT_THAT(Alternatives("!!Host(`a`)"), ElementsAre("Host(`a`)"));
}

TEST(TraefikRuleTest, RepeatedMatchersInOneAlternativeAppearOnce) {
  EXPECT_THAT(Alternatives("Host(`a`) && (Host(`a`) && Path(`/x`))"),
              ElementsAre("Host(`a`) && Path(`/x`)"));
}

TEST(TraefikRuleTest, ValuesAreNormalisedAsTraefikDoes) {
  absl::StatusOr<TraefikRule> rule = ParseTraefikRule(
      "Host(`Shop.Example.COM`) && Method(`get`) && Header(`X-Env`, `Prod`) && Query(`debug`) "
      "&& QueryRegexp(`page`) && Query(`q`, ``) && ClientIP(`2001:db8::/32`)");
  ASSERT_TRUE(rule.ok()) << rule.status();
  ASSERT_EQ(rule->alternatives.size(), 1u);
  const auto& m = rule->alternatives[0];
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m[0].kind, TraefikMatcher::Kind::kHost);
  EXPECT_EQ(m[0].value, "shop.example.com");
  EXPECT_EQ(m[1].value, "GET");
  EXPECT_EQ(m[2].kind, TraefikMatcher::Kind::kHeader);
  EXPECT_EQ(m[2].key, "x-env");
  EXPECT_EQ(m[2].value, "Prod");  // values stay as written
  EXPECT_EQ(m[3].kind, TraefikMatcher::Kind::kQuery);
  EXPECT_TRUE(m[3].key_only);
  EXPECT_EQ(m[4].kind, TraefikMatcher::Kind::kQuery);  // QueryRegexp with only a name
  EXPECT_TRUE(m[4].key_only);
  EXPECT_FALSE(m[5].key_only);  // an explicitly empty value
  EXPECT_EQ(m[5].value, "");
  EXPECT_EQ(m[6].kind, TraefikMatcher::Kind::kClientIP);
}

TEST(TraefikRuleTest, DoubleQuotedValuesFollowGoEscapes) {
  absl::StatusOr<TraefikRule> rule =
      ParseTraefikRule(R"(Path("/a\x2fb\u00e9\101\"\\") && Header("x-tab", "a\tb"))");
  ASSERT_TRUE(rule.ok()) << rule.status();
  ASSERT_EQ(rule->alternatives[0].size(), 2u);
  EXPECT_EQ(rule->alternatives[0][0].value,
            "/a/b\xc3\xa9"
            "A\"\\");
  EXPECT_EQ(rule->alternatives[0][1].value, "a\tb");
}

TEST(TraefikRuleTest, WhitespaceAndNewlinesAreIgnored) {
  EXPECT_THAT(Alternatives("  Host(`a`)\n  &&\tPathPrefix( `/x` )  "),
              ElementsAre("Host(`a`) && PathPrefix(`/x`)"));
}

TEST(TraefikRuleTest, MistakesAreReportedWithTheirColumn) {
  EXPECT_EQ(Error(""), "column 1: the rule is empty");
  EXPECT_EQ(Error("Host(`a`, `b`)"),
            "column 1: Host takes one value, got 2 (Traefik v3); write Host(`a`) || Host(`b`)");
  EXPECT_THAT(Error("Host(`a`) && Hots(`b`)"),
              HasSubstr("column 14: unknown matcher \"Hots\"; known: Host, HostRegexp"));
  EXPECT_EQ(Error("Headers(`x`, `y`)"),
            "column 1: unknown matcher \"Headers\" (Traefik v2); Traefik v3 calls it Header");
  EXPECT_THAT(Error("Host('a')"), HasSubstr("column 6: single quotes are not accepted"));
  EXPECT_EQ(Error("Host(`a`) & Path(`/`)"), "column 11: expected \"&&\"");
  EXPECT_EQ(Error("Host(`a`"), "column 9: expected \",\" or \")\", got the end of the rule");
  // A backtick left out: the value runs on to the next backtick.
  EXPECT_EQ(Error("Host(`a) && Path(`/`)"), "column 19: unexpected character \"/\"");
  EXPECT_EQ(Error("Host(`a`"), "column 9: expected \",\" or \")\", got the end of the rule");
  EXPECT_EQ(Error("(Host(`a`)"), "column 11: expected \")\", got the end of the rule");
  EXPECT_EQ(Error("Host(`a`) Path(`/`)"),
            "column 11: expected \"&&\", \"||\" or the end of the rule, got \"Path\"");
  EXPECT_EQ(Error("Host(`a`) && "),
            "column 14: expected a matcher, \"!\" or \"(\", got the end of the rule");
  EXPECT_EQ(Error("Host"), "column 5: expected \"(\" after Host, got the end of the rule");
  EXPECT_EQ(Error("Host(a)"), "column 6: expected a value in backticks, got \"a\"");
  EXPECT_EQ(Error("Host(`a"), "column 6: unterminated `value`");
  EXPECT_EQ(Error("Host(\"a)"), "column 6: unterminated \"value\"");
  EXPECT_EQ(Error(R"(Host("a\q"))"), "column 8: unknown escape \"\\q\"");
  EXPECT_EQ(Error(R"(Host("a\x4"))"), "column 8: bad digit in escape sequence");
  EXPECT_EQ(Error(R"(Host("\ud800"))"), "column 7: escape is not a Unicode code point");
  EXPECT_EQ(Error("Host(`a`) ; Path(`/`)"), "column 11: unexpected character \";\"");
}

TEST(TraefikRuleTest, BadValuesAreReportedWithTheirMatcher) {
  EXPECT_EQ(Error("Method()"), "column 1: Method takes one value, got 0");
  EXPECT_EQ(Error("Header(`x`)"), "column 1: Header takes two values, got 1");
  EXPECT_EQ(Error("Query(`a`, `b`, `c`)"), "column 1: Query takes one or two values, got 3");
  EXPECT_EQ(Error("Host(``)"), "column 1: Host needs a host name");
  EXPECT_THAT(Error("Host(`b\xc3\xbc"
                    "cher.example`)"),
              HasSubstr("column 1: Host: non-ASCII characters are not allowed"));
  EXPECT_EQ(Error("Path(`api`)"), "column 1: Path: path \"api\" does not start with \"/\"");
  EXPECT_EQ(Error("Host(`a`) && PathPrefix(``)"),
            "column 14: PathPrefix: path \"\" does not start with \"/\"");
  EXPECT_THAT(Error("PathRegexp(`^/(api`)"),
              HasSubstr("column 1: PathRegexp: bad regular expression: missing )"));
  EXPECT_THAT(Error("HeaderRegexp(`x`, `[`)"), HasSubstr("HeaderRegexp: bad regular expression"));
  EXPECT_THAT(Error("QueryRegexp(`x`, `*`)"), HasSubstr("QueryRegexp: bad regular expression"));
  EXPECT_EQ(Error("Header(`bad name`, `x`)"),
            "column 1: Header: \"bad name\" is not a header name");
  EXPECT_EQ(Error("Method(`GET /`)"), "column 1: Method: \"GET /\" is not a method");
  EXPECT_EQ(Error("ClientIP(`10.0.0.0/33`)"),
            "column 1: ClientIP: bad prefix length in \"10.0.0.0/33\"");
  EXPECT_EQ(Error("ClientIP(`nope`)"),
            "column 1: ClientIP: \"nope\" is not an IP address or CIDR range");
  EXPECT_EQ(Error("Query(``)"), "column 1: Query needs a parameter name");
  // Go escapes cannot smuggle control characters into a value.
  EXPECT_EQ(Error(R"(ClientIP("10.0.0.1\x00junk"))"),
            "column 1: ClientIP: values must not contain control characters");
  EXPECT_EQ(Error(R"(Path("/a\r\nX-Injected: 1"))"),
            "column 1: Path: values must not contain control characters");
  EXPECT_EQ(Error("Host(`a b.example`)"),
            "column 1: Host: \"a b.example\" is not a host name (letters, digits, '-', '_' and "
            "'.', with \"*\" only as the whole first label)");
  EXPECT_THAT(Error("Host(`foo*.example`)"), HasSubstr("is not a host name"));
  EXPECT_THAT(Error("Host(`a..example`)"), HasSubstr("is not a host name"));
  EXPECT_EQ(Error("Host(`*`) || Host(`**.example.com`) || Host(`example.com.`)"), "parsed");
}

TEST(TraefikRuleTest, SizeLimitsHoldAgainstHostileRules) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "(";
  deep += "Host(`a`)";
  for (int i = 0; i < 40; ++i) deep += ")";
  EXPECT_THAT(Error(deep), HasSubstr("nested deeper than 32 levels"));
  EXPECT_THAT(Error(std::string(40, '!') + "Host(`a`)"), HasSubstr("nested deeper than 32"));

  // Seven two-way choices multiply to 128 alternatives.
  std::vector<std::string> parts;
  for (int i = 0; i < 7; ++i) {
    parts.push_back(absl::StrCat("(Header(`h", i, "`, `1`) || Header(`h", i, "`, `2`))"));
  }
  EXPECT_THAT(Error(absl::StrJoin(parts, " && ")),
              HasSubstr("the rule expands to more than 64 alternatives"));
  // A long conjunction is also bounded.
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back(absl::StrCat("Header(`h", i, "`, `1`)"));
  EXPECT_THAT(Error(absl::StrJoin(many, " && ")), HasSubstr("at most 32 matchers"));

  EXPECT_THAT(Error(absl::StrCat("Host(`", std::string(9000, 'a'), "`)")),
              HasSubstr("bytes long; at most 8192"));
}

TEST(TraefikRuleTest, ToStringParsesBackToTheSameMatcher) {
  absl::StatusOr<TraefikRule> rule = ParseTraefikRule(
      "Host(`*.example.com`) && !PathRegexp(`^/v[0-9]+/`) && HeaderRegexp(`accept`, `json$`) && "
      "Query(`page`) && QueryRegexp(`id`, `^[0-9]+$`) && ClientIP(`10.0.0.0/8`) && "
      "!Method(`DELETE`) && HostRegexp(`^[a-z]+\\.example\\.org$`)");
  ASSERT_TRUE(rule.ok()) << rule.status();
  ASSERT_EQ(rule->alternatives.size(), 1u);
  for (const TraefikMatcher& m : rule->alternatives[0]) {
    SCOPED_TRACE(ToString(m));
    absl::StatusOr<TraefikRule> again = ParseTraefikRule(ToString(m));
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_EQ(again->alternatives.size(), 1u);
    EXPECT_THAT(again->alternatives[0], ElementsAre(m));
  }
}

}  // namespace
}  // namespace strata::translate
