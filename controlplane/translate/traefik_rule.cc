#include "controlplane/translate/traefik_rule.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "controlplane/translate/regex_check.h"

namespace strata::translate {
namespace {

using Kind = TraefikMatcher::Kind;

struct MatcherSpec {
  absl::string_view name;
  Kind kind;
  int min_values;
  int max_values;
};

constexpr MatcherSpec kMatchers[] = {
    {"Host", Kind::kHost, 1, 1},
    {"HostRegexp", Kind::kHostRegexp, 1, 1},
    {"Path", Kind::kPath, 1, 1},
    {"PathPrefix", Kind::kPathPrefix, 1, 1},
    {"PathRegexp", Kind::kPathRegexp, 1, 1},
    {"Header", Kind::kHeader, 2, 2},
    {"HeaderRegexp", Kind::kHeaderRegexp, 2, 2},
    {"Method", Kind::kMethod, 1, 1},
    {"Query", Kind::kQuery, 1, 2},
    {"QueryRegexp", Kind::kQueryRegexp, 1, 2},
    {"ClientIP", Kind::kClientIP, 1, 1},
};

const MatcherSpec* FindMatcher(absl::string_view name) {
  for (const MatcherSpec& spec : kMatchers) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

absl::string_view NameOf(Kind kind) {
  for (const MatcherSpec& spec : kMatchers) {
    if (spec.kind == kind) return spec.name;
  }
  return "?";
}

// Matchers that Traefik v2 had and v3 renamed or dropped, with what to write instead.
std::optional<absl::string_view> V2Hint(absl::string_view name) {
  if (name == "Headers") return "Header";
  if (name == "HeadersRegexp") return "HeaderRegexp";
  if (name == "HostHeader") return "Host";
  return std::nullopt;
}

struct Token {
  enum class Type { kName, kString, kOpen, kClose, kComma, kAnd, kOr, kNot, kEnd };
  Type type = Type::kEnd;
  std::string text;  // kName: the name; kString: the unquoted value
  int column = 0;    // 1-based
};

absl::Status ErrorAt(int column, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("column ", column, ": ", message));
}

// The value of a hexadecimal digit, or -1.
int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Appends the UTF-8 encoding of `code_point`; false if it is not a Unicode scalar value.
bool AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return false;
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
  return true;
}

class Lexer {
 public:
  explicit Lexer(absl::string_view text) : text_(text) {}

  absl::StatusOr<Token> Next() {
    while (pos_ < text_.size() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    Token token;
    token.column = static_cast<int>(pos_) + 1;
    if (pos_ == text_.size()) return token;  // kEnd
    const char c = text_[pos_];
    switch (c) {
      case '(':
        ++pos_;
        token.type = Token::Type::kOpen;
        return token;
      case ')':
        ++pos_;
        token.type = Token::Type::kClose;
        return token;
      case ',':
        ++pos_;
        token.type = Token::Type::kComma;
        return token;
      case '!':
        ++pos_;
        token.type = Token::Type::kNot;
        return token;
      case '&':
      case '|':
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == c) {
          pos_ += 2;
          token.type = c == '&' ? Token::Type::kAnd : Token::Type::kOr;
          return token;
        }
        return ErrorAt(token.column, absl::StrCat("expected \"", std::string(2, c), "\""));
      case '`':
        return RawString(token);
      case '"':
        return QuotedString(token);
      case '\'':
        return ErrorAt(token.column,
                       "single quotes are not accepted; put values in backticks or \"...\"");
      default:
        break;
    }
    if (IsNameChar(c)) {
      const size_t start = pos_;
      while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
      token.type = Token::Type::kName;
      token.text = std::string(text_.substr(start, pos_ - start));
      return token;
    }
    return ErrorAt(token.column, absl::StrCat("unexpected character \"",
                                              absl::CHexEscape(absl::string_view(&c, 1)), "\""));
  }

 private:
  absl::StatusOr<Token> RawString(Token token) {
    const size_t end = text_.find('`', pos_ + 1);
    if (end == absl::string_view::npos) return ErrorAt(token.column, "unterminated `value`");
    token.type = Token::Type::kString;
    token.text = std::string(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return token;
  }

  // A Go interpreted string literal.
  absl::StatusOr<Token> QuotedString(Token token) {
    token.type = Token::Type::kString;
    size_t i = pos_ + 1;
    while (true) {
      if (i >= text_.size() || text_[i] == '\n') {
        return ErrorAt(token.column, "unterminated \"value\"");
      }
      const char c = text_[i];
      if (c == '"') break;
      if (c != '\\') {
        token.text.push_back(c);
        ++i;
        continue;
      }
      const int escape_column = static_cast<int>(i) + 1;
      if (i + 1 >= text_.size()) return ErrorAt(token.column, "unterminated \"value\"");
      const char e = text_[i + 1];
      i += 2;
      switch (e) {
        case 'a':
          token.text.push_back('\a');
          continue;
        case 'b':
          token.text.push_back('\b');
          continue;
        case 'f':
          token.text.push_back('\f');
          continue;
        case 'n':
          token.text.push_back('\n');
          continue;
        case 'r':
          token.text.push_back('\r');
          continue;
        case 't':
          token.text.push_back('\t');
          continue;
        case 'v':
          token.text.push_back('\v');
          continue;
        case '\\':
        case '"':
          token.text.push_back(e);
          continue;
        default:
          break;
      }
      // Numeric escapes: \xHH, \uHHHH, \UHHHHHHHH, or exactly three octal digits.
      int digits;
      int base = 16;
      if (e == 'x') {
        digits = 2;
      } else if (e == 'u') {
        digits = 4;
      } else if (e == 'U') {
        digits = 8;
      } else if (e >= '0' && e <= '7') {
        base = 8;
        digits = 3;
        --i;  // the escape's letter is its first digit
      } else {
        return ErrorAt(escape_column, absl::StrCat("unknown escape \"\\", std::string(1, e), "\""));
      }
      if (i + digits > text_.size()) return ErrorAt(escape_column, "escape sequence cut short");
      uint32_t value = 0;
      for (int d = 0; d < digits; ++d) {
        const int v = DigitValue(text_[i + d]);
        if (v < 0 || v >= base) return ErrorAt(escape_column, "bad digit in escape sequence");
        value = value * base + v;
      }
      i += digits;
      if (e == 'x' || base == 8) {
        if (value > 255) return ErrorAt(escape_column, "octal escape above \\377");
        token.text.push_back(static_cast<char>(value));
      } else if (!AppendUtf8(value, token.text)) {
        return ErrorAt(escape_column, "escape is not a Unicode code point");
      }
    }
    pos_ = i + 1;
    return token;
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

// The parse tree.
struct Node {
  enum class Type { kAnd, kOr, kNot, kMatcher };
  Type type = Type::kMatcher;
  std::vector<std::unique_ptr<Node>> children;
  TraefikMatcher matcher;
};

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        absl::string_view("!#$%&'*+-.^_`|~").find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsAscii(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

absl::Status CheckRegexp(int column, absl::string_view what, const std::string& pattern) {
  if (std::string error = Re2Error(pattern); !error.empty()) {
    return ErrorAt(column, absl::StrCat(what, ": bad regular expression: ", error));
  }
  return absl::OkStatus();
}

// A lowercase host name as Host takes it: labels of a-z, 0-9, '-' and '_', an optional trailing
// dot, and "*" (or Traefik's multi-label "**") only as the whole first label or the whole host.
bool IsHostPattern(absl::string_view host) {
  if (host == "*") return true;
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  bool first = true;
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    const bool wildcard = first && (label == "*" || label == "**");
    first = false;
    if (wildcard) continue;
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
          !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
        return false;
      }
    }
  }
  return true;
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

absl::Status CheckClientIp(int column, const std::string& value) {
  const size_t slash = value.find('/');
  const std::string ip = value.substr(0, slash);
  if (!IsIp(ip)) {
    return ErrorAt(column, absl::StrCat("ClientIP: \"", absl::CHexEscape(value),
                                        "\" is not an IP address or CIDR range"));
  }
  if (slash != std::string::npos) {
    const std::string length = value.substr(slash + 1);
    const int max_bits = ip.find(':') == std::string::npos ? 32 : 128;
    int bits = -1;
    if (!length.empty() && length.size() <= 3 &&
        std::all_of(length.begin(), length.end(),
                    [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
      if (!absl::SimpleAtoi(length, &bits)) bits = -1;
    }
    if (bits < 0 || bits > max_bits) {
      return ErrorAt(
          column, absl::StrCat("ClientIP: bad prefix length in \"", absl::CHexEscape(value), "\""));
    }
  }
  return absl::OkStatus();
}

// Checks and normalises the values of a matcher.
absl::StatusOr<TraefikMatcher> MakeMatcher(const MatcherSpec& spec, int column,
                                           std::vector<std::string> values) {
  const int n = static_cast<int>(values.size());
  if (n < spec.min_values || n > spec.max_values) {
    std::string expected = spec.min_values == spec.max_values
                               ? absl::StrCat(spec.min_values == 1 ? "one value" : "two values")
                               : "one or two values";
    std::string message = absl::StrCat(spec.name, " takes ", expected, ", got ", n);
    if (spec.max_values == 1 && n > 1) {
      absl::StrAppend(&message, " (Traefik v3); write ", spec.name, "(`", values[0], "`) || ",
                      spec.name, "(`", values[1], "`)");
    }
    return ErrorAt(column, message);
  }
  TraefikMatcher m;
  m.kind = spec.kind;
  const std::string what = std::string(spec.name);
  for (const std::string& value : values) {
    // A tab may appear in a header value; nothing else below space may.
    if (std::any_of(value.begin(), value.end(), [](char c) {
          return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
        })) {
      return ErrorAt(column, absl::StrCat(what, ": values must not contain control characters"));
    }
  }
  switch (spec.kind) {
    case Kind::kHost:
      if (values[0].empty()) return ErrorAt(column, "Host needs a host name");
      if (!IsAscii(values[0])) {
        return ErrorAt(column,
                       "Host: non-ASCII characters are not allowed (use the punycode "
                       "form)");
      }
      m.value = absl::AsciiStrToLower(values[0]);
      if (!IsHostPattern(m.value)) {
        return ErrorAt(column, absl::StrCat("Host: \"", absl::CHexEscape(values[0]),
                                            "\" is not a host name (letters, digits, '-', '_' "
                                            "and '.', with \"*\" only as the whole first label)"));
      }
      break;
    case Kind::kHostRegexp:
      if (!IsAscii(values[0])) {
        return ErrorAt(column, "HostRegexp: non-ASCII characters are not allowed");
      }
      STRATA_RETURN_IF_ERROR(CheckRegexp(column, what, values[0]));
      m.value = std::move(values[0]);
      break;
    case Kind::kPath:
    case Kind::kPathPrefix:
      if (values[0].empty() || values[0][0] != '/') {
        return ErrorAt(column, absl::StrCat(what, ": path \"", absl::CHexEscape(values[0]),
                                            "\" does not start with \"/\""));
      }
      m.value = std::move(values[0]);
      break;
    case Kind::kPathRegexp:
      STRATA_RETURN_IF_ERROR(CheckRegexp(column, what, values[0]));
      m.value = std::move(values[0]);
      break;
    case Kind::kHeader:
    case Kind::kHeaderRegexp:
      if (!IsToken(values[0])) {
        return ErrorAt(column, absl::StrCat(what, ": \"", absl::CHexEscape(values[0]),
                                            "\" is not a header name"));
      }
      m.key = absl::AsciiStrToLower(values[0]);
      if (spec.kind == Kind::kHeaderRegexp) {
        STRATA_RETURN_IF_ERROR(CheckRegexp(column, what, values[1]));
      }
      m.value = std::move(values[1]);
      break;
    case Kind::kMethod:
      if (!IsToken(values[0])) {
        return ErrorAt(
            column, absl::StrCat("Method: \"", absl::CHexEscape(values[0]), "\" is not a method"));
      }
      m.value = absl::AsciiStrToUpper(values[0]);
      break;
    case Kind::kQuery:
    case Kind::kQueryRegexp:
      if (values[0].empty()) return ErrorAt(column, absl::StrCat(what, " needs a parameter name"));
      m.key = std::move(values[0]);
      if (n == 2) {
        // QueryRegexp with only a name is Query with only a name, as in Traefik.
        if (spec.kind == Kind::kQueryRegexp) {
          STRATA_RETURN_IF_ERROR(CheckRegexp(column, what, values[1]));
        }
        m.value = std::move(values[1]);
      } else {
        m.kind = Kind::kQuery;
        m.key_only = true;
      }
      break;
    case Kind::kClientIP:
      STRATA_RETURN_IF_ERROR(CheckClientIp(column, values[0]));
      m.value = std::move(values[0]);
      break;
  }
  return m;
}

class Parser {
 public:
  explicit Parser(absl::string_view text) : lexer_(text) {}

  absl::StatusOr<std::unique_ptr<Node>> Parse() {
    STRATA_RETURN_IF_ERROR(Advance());
    if (token_.type == Token::Type::kEnd) return ErrorAt(token_.column, "the rule is empty");
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, Or(0));
    if (token_.type != Token::Type::kEnd) {
      return ErrorAt(token_.column, absl::StrCat("expected \"&&\", \"||\" or the end of the rule, "
                                                 "got ",
                                                 Describe(token_)));
    }
    return root;
  }

 private:
  static std::string Describe(const Token& t) {
    switch (t.type) {
      case Token::Type::kName:
        return absl::StrCat("\"", t.text, "\"");
      case Token::Type::kString:
        return "a value";
      case Token::Type::kOpen:
        return "\"(\"";
      case Token::Type::kClose:
        return "\")\"";
      case Token::Type::kComma:
        return "\",\"";
      case Token::Type::kAnd:
        return "\"&&\"";
      case Token::Type::kOr:
        return "\"||\"";
      case Token::Type::kNot:
        return "\"!\"";
      case Token::Type::kEnd:
        return "the end of the rule";
    }
    return "?";
  }

  absl::Status Advance() {
    STRATA_ASSIGN_OR_RETURN(token_, lexer_.Next());
    return absl::OkStatus();
  }

  absl::Status Expect(Token::Type type, absl::string_view what) {
    if (token_.type != type) {
      return ErrorAt(token_.column, absl::StrCat("expected ", what, ", got ", Describe(token_)));
    }
    return Advance();
  }

  absl::StatusOr<std::unique_ptr<Node>> Binary(int depth, Token::Type op, Node::Type type) {
    auto operand = [&]() -> absl::StatusOr<std::unique_ptr<Node>> {
      return op == Token::Type::kOr ? Binary(depth, Token::Type::kAnd, Node::Type::kAnd)
                                    : Unary(depth);
    };
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Node> first, operand());
    if (token_.type != op) return first;
    auto node = std::make_unique<Node>();
    node->type = type;
    node->children.push_back(std::move(first));
    while (token_.type == op) {
      STRATA_RETURN_IF_ERROR(Advance());
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Node> next, operand());
      node->children.push_back(std::move(next));
    }
    return node;
  }

  absl::StatusOr<std::unique_ptr<Node>> Or(int depth) {
    if (depth > kMaxRuleNesting) {
      return ErrorAt(token_.column,
                     absl::StrCat("nested deeper than ", kMaxRuleNesting, " levels"));
    }
    return Binary(depth, Token::Type::kOr, Node::Type::kOr);
  }

  absl::StatusOr<std::unique_ptr<Node>> Unary(int depth) {
    if (token_.type == Token::Type::kNot) {
      if (depth > kMaxRuleNesting) {
        return ErrorAt(token_.column,
                       absl::StrCat("nested deeper than ", kMaxRuleNesting, " levels"));
      }
      STRATA_RETURN_IF_ERROR(Advance());
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Node> child, Unary(depth + 1));
      auto node = std::make_unique<Node>();
      node->type = Node::Type::kNot;
      node->children.push_back(std::move(child));
      return node;
    }
    if (token_.type == Token::Type::kOpen) {
      STRATA_RETURN_IF_ERROR(Advance());
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Node> inner, Or(depth + 1));
      STRATA_RETURN_IF_ERROR(Expect(Token::Type::kClose, "\")\""));
      return inner;
    }
    if (token_.type != Token::Type::kName) {
      return ErrorAt(token_.column,
                     absl::StrCat("expected a matcher, \"!\" or \"(\", got ", Describe(token_)));
    }
    const Token name = token_;
    const MatcherSpec* spec = FindMatcher(name.text);
    if (spec == nullptr) {
      std::string message = absl::StrCat("unknown matcher \"", name.text, "\"");
      if (std::optional<absl::string_view> hint = V2Hint(name.text)) {
        absl::StrAppend(&message, " (Traefik v2); Traefik v3 calls it ", *hint);
      } else {
        std::vector<absl::string_view> names;
        for (const MatcherSpec& s : kMatchers) names.push_back(s.name);
        absl::StrAppend(&message, "; known: ", absl::StrJoin(names, ", "));
      }
      return ErrorAt(name.column, message);
    }
    STRATA_RETURN_IF_ERROR(Advance());
    STRATA_RETURN_IF_ERROR(Expect(Token::Type::kOpen, absl::StrCat("\"(\" after ", spec->name)));
    std::vector<std::string> values;
    if (token_.type != Token::Type::kClose) {
      while (true) {
        if (token_.type != Token::Type::kString) {
          return ErrorAt(token_.column,
                         absl::StrCat("expected a value in backticks, got ", Describe(token_)));
        }
        values.push_back(std::move(token_.text));
        STRATA_RETURN_IF_ERROR(Advance());
        if (token_.type != Token::Type::kComma) break;
        STRATA_RETURN_IF_ERROR(Advance());
      }
    }
    STRATA_RETURN_IF_ERROR(Expect(Token::Type::kClose, "\",\" or \")\""));
    auto node = std::make_unique<Node>();
    STRATA_ASSIGN_OR_RETURN(node->matcher, MakeMatcher(*spec, name.column, std::move(values)));
    return node;
  }

  Lexer lexer_;
  Token token_;
};

using Dnf = std::vector<std::vector<TraefikMatcher>>;

absl::Status TooLarge() {
  return absl::InvalidArgumentError(absl::StrCat(
      "the rule expands to more than ", kMaxRuleAlternatives, " alternatives of at most ",
      kMaxMatchersPerAlternative, " matchers; split it into several routes"));
}

// The disjunctive normal form of `node`, negated if `negate`, with the size limits.
absl::StatusOr<Dnf> ToDnf(const Node& node, bool negate) {
  switch (node.type) {
    case Node::Type::kMatcher: {
      TraefikMatcher m = node.matcher;
      m.negated = negate;
      return Dnf{{std::move(m)}};
    }
    case Node::Type::kNot:
      return ToDnf(*node.children[0], !negate);
    case Node::Type::kAnd:
    case Node::Type::kOr:
      break;
  }
  // De Morgan: a negated AND is an OR of negations and the other way round.
  const bool conjunction = (node.type == Node::Type::kAnd) != negate;
  Dnf result;
  if (conjunction) result.emplace_back();  // the empty conjunction: true
  for (const auto& child : node.children) {
    STRATA_ASSIGN_OR_RETURN(Dnf part, ToDnf(*child, negate));
    if (!conjunction) {
      for (auto& alternative : part) result.push_back(std::move(alternative));
      if (result.size() > kMaxRuleAlternatives) return TooLarge();
      continue;
    }
    if (result.size() * part.size() > kMaxRuleAlternatives) return TooLarge();
    Dnf product;
    for (const auto& left : result) {
      for (const auto& right : part) {
        std::vector<TraefikMatcher> both = left;
        for (const TraefikMatcher& m : right) {
          if (std::find(both.begin(), both.end(), m) == both.end()) both.push_back(m);
        }
        if (both.size() > kMaxMatchersPerAlternative) return TooLarge();
        product.push_back(std::move(both));
      }
    }
    result = std::move(product);
  }
  return result;
}

}  // namespace

std::string ToString(const TraefikMatcher& matcher) {
  std::string out = matcher.negated ? "!" : "";
  absl::StrAppend(&out, NameOf(matcher.kind), "(");
  const bool has_key = matcher.kind == Kind::kHeader || matcher.kind == Kind::kHeaderRegexp ||
                       matcher.kind == Kind::kQuery || matcher.kind == Kind::kQueryRegexp;
  if (matcher.key_only) return absl::StrCat(out, "`", matcher.key, "`)");
  if (has_key) absl::StrAppend(&out, "`", matcher.key, "`, ");
  absl::StrAppend(&out, "`", matcher.value, "`)");
  return out;
}

absl::StatusOr<TraefikRule> ParseTraefikRule(absl::string_view rule) {
  if (rule.size() > static_cast<size_t>(kMaxRuleLength)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the rule is ", rule.size(), " bytes long; at most ", kMaxRuleLength));
  }
  Parser parser(rule);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, parser.Parse());
  TraefikRule out;
  STRATA_ASSIGN_OR_RETURN(out.alternatives, ToDnf(*root, false));
  out.default_priority = static_cast<int>(rule.size());
  return out;
}

}  // namespace strata::translate
