#include "dataplane/router/route_table.h"

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "envoy/type/v3/percent.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/unknown_field_set.h"
#include "re2/re2.h"

namespace strata::router {

namespace route_v3 = ::envoy::config::route::v3;
namespace matcher_v3 = ::envoy::type::matcher::v3;
namespace core_v3 = ::envoy::config::core::v3;

// ---- Compiled matchers ------------------------------------------------------------------

namespace {

re2::StringPiece Piece(absl::string_view s) { return re2::StringPiece(s.data(), s.size()); }

bool ContainsIgnoreCase(absl::string_view haystack, absl::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (absl::EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

bool StartsWith(absl::string_view text, absl::string_view prefix, bool case_sensitive) {
  return case_sensitive ? absl::StartsWith(text, prefix) : absl::StartsWithIgnoreCase(text, prefix);
}

bool Equals(absl::string_view a, absl::string_view b, bool case_sensitive) {
  return case_sensitive ? a == b : absl::EqualsIgnoreCase(a, b);
}

// The path without its query string and fragment.
absl::string_view PathOnly(absl::string_view path) {
  return path.substr(0, std::min(path.find_first_of("?#"), path.size()));
}

bool AllDigits(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
}

// "host:port" -> "host", "[v6]:port" -> "[v6]"; a bare IPv6 address is left alone.
absl::string_view StripPort(absl::string_view host) {
  if (!host.empty() && host[0] == '[') {
    const size_t close = host.find(']');
    if (close != absl::string_view::npos && close + 1 < host.size() && host[close + 1] == ':' &&
        AllDigits(host.substr(close + 2))) {
      return host.substr(0, close + 1);
    }
    return host;
  }
  const size_t colon = host.rfind(':');
  if (colon == absl::string_view::npos || host.find(':') != colon) return host;
  return AllDigits(host.substr(colon + 1)) ? host.substr(0, colon) : host;
}

// The first value of query parameter `name` (not decoded; "" for a name without '='), or
// nullopt.
std::optional<absl::string_view> FirstQueryValue(absl::string_view path, absl::string_view name) {
  const size_t question = path.find('?');
  if (question == absl::string_view::npos) return std::nullopt;
  absl::string_view query = path.substr(question + 1);
  query = query.substr(0, std::min(query.find('#'), query.size()));
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const absl::string_view param = query.substr(0, std::min(amp, query.size()));
    query = amp == absl::string_view::npos ? absl::string_view() : query.substr(amp + 1);
    const size_t eq = param.find('=');
    if (param.substr(0, std::min(eq, param.size())) == name) {
      return eq == absl::string_view::npos ? absl::string_view() : param.substr(eq + 1);
    }
  }
  return std::nullopt;
}

// A StringMatcher (or a deprecated HeaderMatcher shorthand) compiled.
struct StringMatcher {
  enum class Kind { kExact, kPrefix, kSuffix, kContains, kRegex };

  bool Match(absl::string_view value) const {
    switch (kind) {
      case Kind::kExact:
        return Equals(value, pattern, !ignore_case);
      case Kind::kPrefix:
        return StartsWith(value, pattern, !ignore_case);
      case Kind::kSuffix:
        return ignore_case ? absl::EndsWithIgnoreCase(value, pattern)
                           : absl::EndsWith(value, pattern);
      case Kind::kContains:
        return ignore_case ? ContainsIgnoreCase(value, pattern) : absl::StrContains(value, pattern);
      case Kind::kRegex:
        return re2::RE2::FullMatch(Piece(value), *regex);
    }
    return false;
  }

  Kind kind = Kind::kExact;
  std::string pattern;
  bool ignore_case = false;  // no effect on kRegex, as in Envoy
  std::unique_ptr<re2::RE2> regex;
};

}  // namespace

struct HeaderMatcher {
  enum class Kind { kString, kPresent, kRange };

  // Envoy's semantics: a missing header (unless treated as empty) matches only a presence
  // matcher that expects absence, or one that expects presence and is inverted.
  bool Matches(const RequestView& request) const {
    std::optional<absl::string_view> value = Lookup(request);
    if (!value.has_value()) {
      if (!treat_missing_as_empty) return kind == Kind::kPresent && (invert ? present : !present);
      value = absl::string_view();
    }
    bool match = false;
    switch (kind) {
      case Kind::kString:
        match = string.Match(*value);
        break;
      case Kind::kPresent:
        match = present;
        break;
      case Kind::kRange: {
        int64_t number = 0;
        match = absl::SimpleAtoi(*value, &number) && number >= range_start && number < range_end;
        break;
      }
    }
    return match != invert;
  }

  std::optional<absl::string_view> Lookup(const RequestView& request) const {
    absl::string_view pseudo;
    if (name == ":authority") {
      pseudo = request.authority;
    } else if (name == ":path") {
      pseudo = request.path;
    } else if (name == ":method") {
      pseudo = request.method;
    } else if (name == ":scheme") {
      pseudo = request.scheme;
    } else {
      return request.headers == nullptr ? std::nullopt : request.headers->Get(name);
    }
    if (pseudo.empty()) return std::nullopt;
    return pseudo;
  }

  std::string name;  // lower case
  Kind kind = Kind::kPresent;
  StringMatcher string;
  bool present = true;
  int64_t range_start = 0;
  int64_t range_end = 0;
  bool invert = false;
  bool treat_missing_as_empty = false;
};

struct QueryParameterMatcher {
  bool Matches(absl::string_view path) const {
    const std::optional<absl::string_view> value = FirstQueryValue(path, name);
    if (!value.has_value()) return false;
    return !string.has_value() || string->Match(*value);
  }

  std::string name;
  std::optional<StringMatcher> string;  // nullopt: presence
};

struct RegexRewrite {
  std::unique_ptr<re2::RE2> pattern;
  std::string substitution;
};

// ---- Small runtime pieces -----------------------------------------------------------------

namespace internal {

size_t CaseInsensitiveHash::operator()(absl::string_view s) const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the lower-cased bytes
  for (char c : s) {
    h ^= static_cast<unsigned char>(absl::ascii_tolower(static_cast<unsigned char>(c)));
    h *= 1099511628211ull;
  }
  return absl::Hash<uint64_t>{}(h);
}

bool CaseInsensitiveEq::operator()(absl::string_view a, absl::string_view b) const {
  return absl::EqualsIgnoreCase(a, b);
}

}  // namespace internal

void HeaderMutations::Apply(HeaderMap& headers) const {
  for (const std::string& name : remove) headers.Remove(name);
  absl::InlinedVector<const HeaderAddition*, 8> to_set;
  absl::InlinedVector<const HeaderAddition*, 8> to_add;
  for (const HeaderAddition& addition : add) {
    if (addition.value.empty() && !addition.keep_empty_value) continue;
    switch (addition.action) {
      case HeaderAppendAction::kAppendIfExistsOrAdd:
        to_add.push_back(&addition);
        break;
      case HeaderAppendAction::kAddIfAbsent:
        if (!headers.Contains(addition.name)) to_add.push_back(&addition);
        break;
      case HeaderAppendAction::kOverwriteIfExists:
        if (headers.Contains(addition.name)) to_set.push_back(&addition);
        break;
      case HeaderAppendAction::kOverwriteIfExistsOrAdd:
        to_set.push_back(&addition);
        break;
    }
  }
  for (const HeaderAddition* addition : to_set) headers.Set(addition->name, addition->value);
  for (const HeaderAddition* addition : to_add) headers.Add(addition->name, addition->value);
}

bool RetryPolicy::RetriesStatus(uint32_t status) const {
  if ((retry_on & k5xx) != 0 && status >= 500 && status <= 599) return true;
  if ((retry_on & kGatewayError) != 0 && (status == 502 || status == 503 || status == 504)) {
    return true;
  }
  return (retry_on & kRetriableStatusCodes) != 0 &&
         std::find(retriable_status_codes.begin(), retriable_status_codes.end(), status) !=
             retriable_status_codes.end();
}

bool RetryPolicy::RetriesReset(bool connect_failure) const {
  if ((retry_on & (k5xx | kGatewayError | kReset)) != 0) return true;
  return connect_failure && (retry_on & kConnectFailure) != 0;
}

absl::string_view ForwardAction::PickCluster(uint64_t random) const {
  if (weighted_clusters_.empty()) return cluster_;
  const uint64_t point = random % total_weight_;
  // The first cluster whose slice [previous end, end) holds the point; zero weights have
  // empty slices and are never picked.
  const auto it = std::upper_bound(cumulative_weights_.begin(), cumulative_weights_.end(), point);
  return weighted_clusters_[it - cumulative_weights_.begin()].name;
}

// ---- Route ----------------------------------------------------------------------------------

Route::Route() = default;
Route::~Route() = default;
Route::Route(Route&&) noexcept = default;
Route& Route::operator=(Route&&) noexcept = default;

bool Route::MatchesPath(absl::string_view path, absl::string_view path_only) const {
  switch (path_match_) {
    case PathMatch::kPrefix:
      // As in Envoy, a prefix applies to the path as received, query included.
      return StartsWith(path, path_value_, case_sensitive_);
    case PathMatch::kPath:
      return Equals(path_only, path_value_, case_sensitive_);
    case PathMatch::kSafeRegex:
      return re2::RE2::FullMatch(Piece(path_only), *path_regex_);
    case PathMatch::kPathSeparatedPrefix:
      return StartsWith(path_only, path_value_, case_sensitive_) &&
             (path_only.size() == path_value_.size() || path_only[path_value_.size()] == '/');
  }
  return false;
}

bool Route::Matches(const RequestView& request) const {
  if (fraction_per_million_ < 1'000'000 && request.random % 1'000'000 >= fraction_per_million_) {
    return false;
  }
  if (!MatchesPath(request.path, PathOnly(request.path))) return false;
  for (const HeaderMatcher& matcher : headers_) {
    if (!matcher.Matches(request)) return false;
  }
  for (const QueryParameterMatcher& matcher : query_parameters_) {
    if (!matcher.Matches(request.path)) return false;
  }
  return true;
}

size_t Route::MatchedPrefixLength(absl::string_view path, absl::string_view path_only) const {
  switch (path_match_) {
    case PathMatch::kPrefix:
    case PathMatch::kPathSeparatedPrefix:
      return std::min(path_value_.size(), path.size());
    case PathMatch::kPath:
    case PathMatch::kSafeRegex:
      return path_only.size();
  }
  return 0;
}

std::string Route::RewritePath(const RequestView& request) const {
  const absl::string_view path = request.path;
  const absl::string_view path_only = PathOnly(path);
  if (!prefix_rewrite_.empty()) {
    return absl::StrCat(prefix_rewrite_, path.substr(MatchedPrefixLength(path, path_only)));
  }
  if (regex_rewrite_ != nullptr) {
    std::string rewritten(path_only);
    re2::RE2::GlobalReplace(&rewritten, *regex_rewrite_->pattern,
                            Piece(regex_rewrite_->substitution));
    absl::StrAppend(&rewritten, path.substr(path_only.size()));
    return rewritten;
  }
  return std::string(path);
}

absl::string_view Route::RewriteHost(const RequestView& request) const {
  if (kind_ == Kind::kForward && !forward_.host_rewrite().empty()) return forward_.host_rewrite();
  return request.authority;
}

std::string Route::RedirectLocation(const RequestView& request) const {
  const absl::string_view request_scheme = request.scheme.empty() ? "http" : request.scheme;
  const absl::string_view scheme = redirect_.scheme.empty() ? request_scheme : redirect_.scheme;

  absl::string_view host = redirect_.host;
  if (host.empty()) {
    host = request.authority;
    const absl::string_view bare = StripPort(host);
    if (bare.size() != host.size()) {
      const absl::string_view port = host.substr(bare.size());  // ":NNN"
      bool drop = redirect_.port != 0;
      if (!absl::EqualsIgnoreCase(scheme, request_scheme)) {
        drop = drop || (absl::EqualsIgnoreCase(request_scheme, "http") && port == ":80") ||
               (absl::EqualsIgnoreCase(request_scheme, "https") && port == ":443");
      }
      if (drop) host = bare;
    }
  }
  // The scheme's default port is left out: "https://h/", not "https://h:443/".
  const bool default_port = (redirect_.port == 80 && absl::EqualsIgnoreCase(scheme, "http")) ||
                            (redirect_.port == 443 && absl::EqualsIgnoreCase(scheme, "https"));
  const std::string port =
      redirect_.port != 0 && !default_port ? absl::StrCat(":", redirect_.port) : "";

  std::string path;
  if (!redirect_.path.empty()) {
    path = redirect_.path;
    // A query in path_redirect replaces the request's and survives strip_query.
    if (!absl::StrContains(redirect_.path, '?') && !redirect_.strip_query) {
      const size_t question = request.path.find('?');
      if (question != absl::string_view::npos)
        absl::StrAppend(&path, request.path.substr(question));
    }
  } else {
    path = RewritePath(request);
    if (redirect_.strip_query) path.erase(std::min(path.find('?'), path.size()));
  }
  return absl::StrCat(scheme, "://", host, port, path);
}

void Route::ApplyRequestHeaderMutations(HeaderMap& headers) const {
  const HeaderMutations* levels[] = {&request_headers_, &virtual_host_->request_headers(),
                                     &table_->request_headers()};
  if (table_->most_specific_header_mutations_wins())
    std::reverse(std::begin(levels), std::end(levels));
  for (const HeaderMutations* level : levels) level->Apply(headers);
}

void Route::ApplyResponseHeaderMutations(HeaderMap& headers) const {
  const HeaderMutations* levels[] = {&response_headers_, &virtual_host_->response_headers(),
                                     &table_->response_headers()};
  if (table_->most_specific_header_mutations_wins())
    std::reverse(std::begin(levels), std::end(levels));
  for (const HeaderMutations* level : levels) level->Apply(headers);
}

// ---- VirtualHost / RouteTable matching --------------------------------------------------

const Route* VirtualHost::Match(const RequestView& request) const {
  const absl::string_view path_only = PathOnly(request.path);
  absl::Span<const uint32_t> exact;
  absl::Span<const uint32_t> exact_ignore_case;
  if (auto it = exact_paths_.find(path_only); it != exact_paths_.end()) exact = it->second;
  if (auto it = exact_paths_ignore_case_.find(path_only); it != exact_paths_ignore_case_.end()) {
    exact_ignore_case = it->second;
  }
  // Merge the three ascending index lists so routes are tried in configuration order.
  size_t i = 0, j = 0, k = 0;
  while (true) {
    uint32_t next = UINT32_MAX;
    if (i < scanned_.size()) next = scanned_[i];
    if (j < exact.size()) next = std::min(next, exact[j]);
    if (k < exact_ignore_case.size()) next = std::min(next, exact_ignore_case[k]);
    if (next == UINT32_MAX) return nullptr;
    if (i < scanned_.size() && scanned_[i] == next) ++i;
    if (j < exact.size() && exact[j] == next) ++j;
    if (k < exact_ignore_case.size() && exact_ignore_case[k] == next) ++k;
    if (routes_[next].Matches(request)) return &routes_[next];
  }
}

RouteTable::RouteTable() = default;
RouteTable::~RouteTable() = default;

const VirtualHost* RouteTable::FindVirtualHost(absl::string_view authority) const {
  const absl::string_view host = StripPort(authority);
  if (auto it = exact_domains_.find(host); it != exact_domains_.end()) return it->second;
  for (const auto& [length, domains] : suffix_domains_) {
    if (length >= host.size()) continue;  // the '*' stands for at least one character
    if (auto it = domains.find(host.substr(host.size() - length)); it != domains.end()) {
      return it->second;
    }
  }
  for (const auto& [length, domains] : prefix_domains_) {
    if (length >= host.size()) continue;
    if (auto it = domains.find(host.substr(0, length)); it != domains.end()) return it->second;
  }
  return default_virtual_host_;
}

RouteTable::MatchResult RouteTable::Match(const RequestView& request) const {
  MatchResult result;
  result.virtual_host = FindVirtualHost(request.authority);
  if (result.virtual_host != nullptr) result.route = result.virtual_host->Match(request);
  return result;
}

// ---- Building ---------------------------------------------------------------------------------

// Deprecated proto fields that still mean something (HeaderMatcher's exact_match etc.,
// HeaderValueOption.append, RegexMatcher.google_re2) are read on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

constexpr uint32_t kDefaultMaxDirectResponseBodyBytes = 4096;
constexpr int64_t kMaxDurationSeconds = 315576000000;  // protobuf's Duration limit

absl::Status Invalid(absl::string_view path, absl::string_view detail) {
  return absl::InvalidArgumentError(path.empty() ? std::string(detail)
                                                 : absl::StrCat(path, ": ", detail));
}

std::string Join(absl::string_view path, absl::string_view field) {
  return path.empty() ? std::string(field) : absl::StrCat(path, ".", field);
}

std::string Index(absl::string_view path, absl::string_view field, int i) {
  return absl::StrCat(Join(path, field), "[", i, "]");
}

// Fails on any set field of `message` not in `supported`, and on fields unknown to the
// proto definition we were built with: nothing is silently ignored.
absl::Status CheckFields(const google::protobuf::Message& message,
                         std::initializer_list<absl::string_view> supported,
                         absl::string_view path) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown = reflection->GetUnknownFields(message);
  if (!unknown.empty()) {
    return Invalid(path, absl::StrCat("unknown field number ", unknown.field(0).number(), " of ",
                                      message.GetDescriptor()->name()));
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (std::find(supported.begin(), supported.end(), field->name()) == supported.end()) {
      return Invalid(path, absl::StrCat("field \"", field->name(), "\" of ",
                                        message.GetDescriptor()->name(), " is not supported"));
    }
  }
  return absl::OkStatus();
}

absl::string_view Re2ErrorText(re2::RE2::ErrorCode code) {
  switch (code) {
    case re2::RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case re2::RE2::ErrorBadCharClass:
      return "invalid character class";
    case re2::RE2::ErrorBadCharRange:
      return "invalid character class range";
    case re2::RE2::ErrorMissingBracket:
      return "missing ']'";
    case re2::RE2::ErrorMissingParen:
      return "missing ')'";
    case re2::RE2::ErrorUnexpectedParen:
      return "unexpected ')'";
    case re2::RE2::ErrorTrailingBackslash:
      return "trailing '\\'";
    case re2::RE2::ErrorRepeatArgument:
      return "repetition operator without an operand";
    case re2::RE2::ErrorRepeatSize:
      return "invalid repetition size";
    case re2::RE2::ErrorRepeatOp:
      return "invalid repetition operator";
    case re2::RE2::ErrorBadPerlOp:
      return "invalid Perl operator";
    case re2::RE2::ErrorBadUTF8:
      return "invalid UTF-8";
    case re2::RE2::ErrorBadNamedCapture:
      return "invalid named capture group";
    case re2::RE2::ErrorPatternTooLarge:
      return "pattern too large";
    default:
      return "invalid regular expression";
  }
}

// Compiles `matcher`, the field `field` of the message at `path`.
absl::StatusOr<std::unique_ptr<re2::RE2>> CompileRegex(const matcher_v3::RegexMatcher& matcher,
                                                       absl::string_view path,
                                                       absl::string_view field) {
  const std::string field_path = Join(path, field);
  STRATA_RETURN_IF_ERROR(CheckFields(matcher, {"google_re2", "regex"}, field_path));
  if (matcher.has_google_re2()) {
    STRATA_RETURN_IF_ERROR(CheckFields(matcher.google_re2(), {}, Join(field_path, "google_re2")));
  }
  if (matcher.regex().empty()) return Invalid(field_path, "regex is empty");
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto regex = std::make_unique<re2::RE2>(Piece(matcher.regex()), options);
  if (!regex->ok()) {
    std::string detail =
        absl::StrCat(field, " \"", matcher.regex(), "\": ", Re2ErrorText(regex->error_code()));
    if (!regex->error_arg().empty() && regex->error_arg() != matcher.regex()) {
      absl::StrAppend(&detail, " at \"", regex->error_arg(), "\"");
    }
    return Invalid(path, detail);
  }
  return regex;
}

absl::StatusOr<StringMatcher> BuildStringMatcher(const matcher_v3::StringMatcher& proto,
                                                 absl::string_view path) {
  STRATA_RETURN_IF_ERROR(CheckFields(
      proto, {"exact", "prefix", "suffix", "safe_regex", "contains", "ignore_case"}, path));
  StringMatcher matcher;
  matcher.ignore_case = proto.ignore_case();
  switch (proto.match_pattern_case()) {
    case matcher_v3::StringMatcher::kExact:
      matcher.kind = StringMatcher::Kind::kExact;
      matcher.pattern = proto.exact();
      break;
    case matcher_v3::StringMatcher::kPrefix:
      matcher.kind = StringMatcher::Kind::kPrefix;
      matcher.pattern = proto.prefix();
      break;
    case matcher_v3::StringMatcher::kSuffix:
      matcher.kind = StringMatcher::Kind::kSuffix;
      matcher.pattern = proto.suffix();
      break;
    case matcher_v3::StringMatcher::kContains:
      matcher.kind = StringMatcher::Kind::kContains;
      matcher.pattern = proto.contains();
      break;
    case matcher_v3::StringMatcher::kSafeRegex: {
      matcher.kind = StringMatcher::Kind::kRegex;
      STRATA_ASSIGN_OR_RETURN(matcher.regex, CompileRegex(proto.safe_regex(), path, "safe_regex"));
      break;
    }
    default:
      return Invalid(path, "one of exact, prefix, suffix, contains or safe_regex is required");
  }
  if (matcher.kind != StringMatcher::Kind::kExact && matcher.kind != StringMatcher::Kind::kRegex &&
      matcher.pattern.empty()) {
    return Invalid(path, "the pattern is empty");
  }
  return matcher;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

// A header name the configuration may add or remove: an HTTP token, no pseudo-header, and
// for requests not "host" (host_rewrite_literal changes that).
absl::Status CheckModifiableHeader(absl::string_view name, bool request, absl::string_view path) {
  if (name.empty()) return Invalid(path, "header name is empty");
  if (name[0] == ':') {
    return Invalid(path, absl::StrCat("pseudo-header \"", name, "\" cannot be modified"));
  }
  if (request && name == "host") return Invalid(path, "header \"host\" cannot be modified");
  if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
    return Invalid(path, absl::StrCat("\"", name, "\" is not a valid header name"));
  }
  return absl::OkStatus();
}

bool IsHeaderValueSafe(absl::string_view value) {
  return value.find_first_of(absl::string_view("\r\n\0", 3)) == absl::string_view::npos;
}

// Header values are literal: Envoy's %VARIABLE% substitutions are not implemented, so a '%'
// must be written "%%".
absl::StatusOr<std::string> ParseHeaderValue(absl::string_view value, absl::string_view path) {
  if (!IsHeaderValueSafe(value)) {
    return Invalid(path, "header value contains CR, LF or NUL");
  }
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out.push_back(value[i]);
    } else if (i + 1 < value.size() && value[i + 1] == '%') {
      out.push_back('%');
      ++i;
    } else {
      return Invalid(path, absl::StrCat("header value \"", value,
                                        "\" uses a %-substitution, which is not supported "
                                        "(write %% for a literal %)"));
    }
  }
  return out;
}

absl::Status BuildHeadersToAdd(
    const google::protobuf::RepeatedPtrField<core_v3::HeaderValueOption>& options, bool request,
    absl::string_view path, absl::string_view field, std::vector<HeaderAddition>& out) {
  for (int i = 0; i < options.size(); ++i) {
    const core_v3::HeaderValueOption& option = options[i];
    const std::string option_path = Index(path, field, i);
    STRATA_RETURN_IF_ERROR(CheckFields(
        option, {"header", "append", "append_action", "keep_empty_value"}, option_path));
    if (!option.has_header()) return Invalid(option_path, "header is required");
    const std::string header_path = Join(option_path, "header");
    STRATA_RETURN_IF_ERROR(CheckFields(option.header(), {"key", "value"}, header_path));
    HeaderAddition addition;
    addition.name = absl::AsciiStrToLower(option.header().key());
    STRATA_RETURN_IF_ERROR(CheckModifiableHeader(addition.name, request, header_path));
    STRATA_ASSIGN_OR_RETURN(addition.value, ParseHeaderValue(option.header().value(), header_path));
    addition.keep_empty_value = option.keep_empty_value();
    if (option.has_append()) {
      if (option.append_action() != core_v3::HeaderValueOption::APPEND_IF_EXISTS_OR_ADD) {
        return Invalid(option_path, "append and append_action cannot both be set");
      }
      addition.action = option.append().value() ? HeaderAppendAction::kAppendIfExistsOrAdd
                                                : HeaderAppendAction::kOverwriteIfExistsOrAdd;
    } else {
      switch (option.append_action()) {
        case core_v3::HeaderValueOption::APPEND_IF_EXISTS_OR_ADD:
          addition.action = HeaderAppendAction::kAppendIfExistsOrAdd;
          break;
        case core_v3::HeaderValueOption::ADD_IF_ABSENT:
          addition.action = HeaderAppendAction::kAddIfAbsent;
          break;
        case core_v3::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD:
          addition.action = HeaderAppendAction::kOverwriteIfExistsOrAdd;
          break;
        case core_v3::HeaderValueOption::OVERWRITE_IF_EXISTS:
          addition.action = HeaderAppendAction::kOverwriteIfExists;
          break;
        default:
          return Invalid(option_path,
                         absl::StrCat("append_action ", option.append_action(), " is unknown"));
      }
    }
    out.push_back(std::move(addition));
  }
  return absl::OkStatus();
}

absl::Status BuildHeadersToRemove(const google::protobuf::RepeatedPtrField<std::string>& names,
                                  bool request, absl::string_view path, absl::string_view field,
                                  std::vector<std::string>& out) {
  for (int i = 0; i < names.size(); ++i) {
    std::string name = absl::AsciiStrToLower(names[i]);
    STRATA_RETURN_IF_ERROR(CheckModifiableHeader(name, request, Index(path, field, i)));
    out.push_back(std::move(name));
  }
  return absl::OkStatus();
}

// The four header lists of any level; `proto` is a RouteConfiguration, VirtualHost or Route.
template <typename Proto>
absl::Status BuildHeaderMutations(const Proto& proto, absl::string_view path,
                                  HeaderMutations& request, HeaderMutations& response) {
  STRATA_RETURN_IF_ERROR(BuildHeadersToRemove(proto.request_headers_to_remove(), true, path,
                                              "request_headers_to_remove", request.remove));
  STRATA_RETURN_IF_ERROR(BuildHeadersToAdd(proto.request_headers_to_add(), true, path,
                                           "request_headers_to_add", request.add));
  STRATA_RETURN_IF_ERROR(BuildHeadersToRemove(proto.response_headers_to_remove(), false, path,
                                              "response_headers_to_remove", response.remove));
  STRATA_RETURN_IF_ERROR(BuildHeadersToAdd(proto.response_headers_to_add(), false, path,
                                           "response_headers_to_add", response.add));
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> BuildDuration(const google::protobuf::Duration& duration,
                                             absl::string_view path) {
  if (duration.seconds() < 0 || duration.nanos() < 0) return Invalid(path, "negative duration");
  if (duration.seconds() > kMaxDurationSeconds || duration.nanos() >= 1000000000) {
    return Invalid(path, "duration out of range");
  }
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

// 0 means "no limit" for route and per-try timeouts.
absl::StatusOr<absl::Duration> BuildTimeout(const google::protobuf::Duration& duration,
                                            absl::string_view path) {
  STRATA_ASSIGN_OR_RETURN(absl::Duration timeout, BuildDuration(duration, path));
  return timeout == absl::ZeroDuration() ? absl::InfiniteDuration() : timeout;
}

absl::StatusOr<HeaderMatcher> BuildHeaderMatcher(const route_v3::HeaderMatcher& proto,
                                                 absl::string_view path) {
  STRATA_RETURN_IF_ERROR(
      CheckFields(proto,
                  {"name", "exact_match", "safe_regex_match", "range_match", "present_match",
                   "prefix_match", "suffix_match", "contains_match", "string_match", "invert_match",
                   "treat_missing_header_as_empty"},
                  path));
  HeaderMatcher matcher;
  matcher.name = absl::AsciiStrToLower(proto.name());
  if (matcher.name.empty()) return Invalid(path, "name is empty");
  matcher.invert = proto.invert_match();
  matcher.treat_missing_as_empty = proto.treat_missing_header_as_empty();
  auto shorthand = [&matcher, &path](StringMatcher::Kind kind, const std::string& pattern,
                                     absl::string_view field) -> absl::Status {
    if (kind != StringMatcher::Kind::kExact && pattern.empty()) {
      return Invalid(path, absl::StrCat(field, " is empty"));
    }
    matcher.kind = HeaderMatcher::Kind::kString;
    matcher.string.kind = kind;
    matcher.string.pattern = pattern;
    return absl::OkStatus();
  };
  switch (proto.header_match_specifier_case()) {
    case route_v3::HeaderMatcher::kExactMatch:
      STRATA_RETURN_IF_ERROR(
          shorthand(StringMatcher::Kind::kExact, proto.exact_match(), "exact_match"));
      break;
    case route_v3::HeaderMatcher::kPrefixMatch:
      STRATA_RETURN_IF_ERROR(
          shorthand(StringMatcher::Kind::kPrefix, proto.prefix_match(), "prefix_match"));
      break;
    case route_v3::HeaderMatcher::kSuffixMatch:
      STRATA_RETURN_IF_ERROR(
          shorthand(StringMatcher::Kind::kSuffix, proto.suffix_match(), "suffix_match"));
      break;
    case route_v3::HeaderMatcher::kContainsMatch:
      STRATA_RETURN_IF_ERROR(
          shorthand(StringMatcher::Kind::kContains, proto.contains_match(), "contains_match"));
      break;
    case route_v3::HeaderMatcher::kSafeRegexMatch: {
      matcher.kind = HeaderMatcher::Kind::kString;
      matcher.string.kind = StringMatcher::Kind::kRegex;
      STRATA_ASSIGN_OR_RETURN(matcher.string.regex,
                              CompileRegex(proto.safe_regex_match(), path, "safe_regex_match"));
      break;
    }
    case route_v3::HeaderMatcher::kStringMatch: {
      matcher.kind = HeaderMatcher::Kind::kString;
      STRATA_ASSIGN_OR_RETURN(matcher.string,
                              BuildStringMatcher(proto.string_match(), Join(path, "string_match")));
      break;
    }
    case route_v3::HeaderMatcher::kRangeMatch:
      STRATA_RETURN_IF_ERROR(
          CheckFields(proto.range_match(), {"start", "end"}, Join(path, "range_match")));
      matcher.kind = HeaderMatcher::Kind::kRange;
      matcher.range_start = proto.range_match().start();
      matcher.range_end = proto.range_match().end();
      break;
    case route_v3::HeaderMatcher::kPresentMatch:
      matcher.kind = HeaderMatcher::Kind::kPresent;
      matcher.present = proto.present_match();
      break;
    default:  // only a name: the header must be present
      matcher.kind = HeaderMatcher::Kind::kPresent;
      matcher.present = true;
      break;
  }
  return matcher;
}

absl::StatusOr<QueryParameterMatcher> BuildQueryParameterMatcher(
    const route_v3::QueryParameterMatcher& proto, absl::string_view path) {
  STRATA_RETURN_IF_ERROR(CheckFields(proto, {"name", "string_match", "present_match"}, path));
  QueryParameterMatcher matcher;
  matcher.name = proto.name();
  if (matcher.name.empty()) return Invalid(path, "name is empty");
  if (proto.has_string_match()) {
    STRATA_ASSIGN_OR_RETURN(matcher.string,
                            BuildStringMatcher(proto.string_match(), Join(path, "string_match")));
  }
  // present_match (whatever its value) or nothing: the parameter must be present, as in Envoy.
  return matcher;
}

absl::StatusOr<RetryPolicy> BuildRetryPolicy(const route_v3::RetryPolicy& proto,
                                             absl::string_view path) {
  STRATA_RETURN_IF_ERROR(CheckFields(
      proto, {"retry_on", "num_retries", "per_try_timeout", "retriable_status_codes"}, path));
  RetryPolicy policy;
  for (absl::string_view token : absl::StrSplit(proto.retry_on(), ',')) {
    token = absl::StripAsciiWhitespace(token);
    if (token.empty()) continue;
    if (token == "connect-failure") {
      policy.retry_on |= RetryPolicy::kConnectFailure;
    } else if (token == "5xx") {
      policy.retry_on |= RetryPolicy::k5xx;
    } else if (token == "gateway-error") {
      policy.retry_on |= RetryPolicy::kGatewayError;
    } else if (token == "reset") {
      policy.retry_on |= RetryPolicy::kReset;
    } else if (token == "retriable-status-codes") {
      policy.retry_on |= RetryPolicy::kRetriableStatusCodes;
    } else {
      return Invalid(path, absl::StrCat("retry_on value \"", token, "\" is not supported"));
    }
  }
  if (proto.has_num_retries()) policy.num_retries = proto.num_retries().value();
  if (proto.has_per_try_timeout()) {
    STRATA_ASSIGN_OR_RETURN(policy.per_try_timeout,
                            BuildTimeout(proto.per_try_timeout(), Join(path, "per_try_timeout")));
  }
  for (int i = 0; i < proto.retriable_status_codes_size(); ++i) {
    const uint32_t code = proto.retriable_status_codes(i);
    if (code < 100 || code > 599) {
      return Invalid(Index(path, "retriable_status_codes", i),
                     absl::StrCat(code, " is not an HTTP status code"));
    }
    policy.retriable_status_codes.push_back(code);
  }
  return policy;
}

absl::StatusOr<std::unique_ptr<RegexRewrite>> BuildRegexRewrite(
    const matcher_v3::RegexMatchAndSubstitute& proto, absl::string_view path) {
  STRATA_RETURN_IF_ERROR(CheckFields(proto, {"pattern", "substitution"}, path));
  if (!proto.has_pattern()) return Invalid(path, "pattern is required");
  auto rewrite = std::make_unique<RegexRewrite>();
  STRATA_ASSIGN_OR_RETURN(rewrite->pattern, CompileRegex(proto.pattern(), path, "pattern"));
  rewrite->substitution = proto.substitution();
  std::string error;
  if (!rewrite->pattern->CheckRewriteString(Piece(rewrite->substitution), &error)) {
    return Invalid(path, absl::StrCat("substitution \"", rewrite->substitution, "\": ", error));
  }
  if (!IsHeaderValueSafe(rewrite->substitution)) {
    return Invalid(path, "substitution contains CR, LF or NUL");
  }
  return rewrite;
}

bool IsValidScheme(absl::string_view scheme) {
  if (scheme.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(scheme[0]))) return false;
  return std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

bool IsValidHost(absl::string_view host) {
  return !host.empty() &&
         host.find_first_of(absl::string_view("/?#@ \t\r\n\0", 10)) == absl::string_view::npos;
}

}  // namespace

// Turns the proto into the table; a friend of the classes it fills.
class RouteTableBuilder {
 public:
  explicit RouteTableBuilder(const route_v3::RouteConfiguration& config) : config_(config) {}

  absl::StatusOr<RouteTableConstSharedPtr> Build() {
    STRATA_RETURN_IF_ERROR(
        CheckFields(config_,
                    {"name", "virtual_hosts", "response_headers_to_add",
                     "response_headers_to_remove", "request_headers_to_add",
                     "request_headers_to_remove", "most_specific_header_mutations_wins",
                     "max_direct_response_body_size_bytes", "ignore_port_in_host_matching"},
                    ""));
    table_ = std::shared_ptr<RouteTable>(new RouteTable());
    table_->name_ = config_.name();
    table_->most_specific_header_mutations_wins_ = config_.most_specific_header_mutations_wins();
    if (config_.has_max_direct_response_body_size_bytes()) {
      max_body_bytes_ = config_.max_direct_response_body_size_bytes().value();
    }
    STRATA_RETURN_IF_ERROR(
        BuildHeaderMutations(config_, "", table_->request_headers_, table_->response_headers_));
    for (int i = 0; i < config_.virtual_hosts_size(); ++i) {
      STRATA_RETURN_IF_ERROR(
          BuildVirtualHost(config_.virtual_hosts(i), Index("", "virtual_hosts", i)));
    }
    for (auto& [length, domains] : suffixes_) {
      table_->suffix_domains_.emplace_back(length, std::move(domains));
    }
    for (auto& [length, domains] : prefixes_) {
      table_->prefix_domains_.emplace_back(length, std::move(domains));
    }
    return RouteTableConstSharedPtr(std::move(table_));
  }

 private:
  absl::Status BuildVirtualHost(const route_v3::VirtualHost& proto, const std::string& path) {
    STRATA_RETURN_IF_ERROR(CheckFields(
        proto,
        {"name", "domains", "routes", "request_headers_to_add", "request_headers_to_remove",
         "response_headers_to_add", "response_headers_to_remove", "retry_policy"},
        path));
    auto owned = std::make_unique<VirtualHost>();
    VirtualHost& host = *owned;
    table_->virtual_hosts_.push_back(std::move(owned));
    host.name_ = proto.name();
    if (host.name_.empty()) return Invalid(path, "name is empty");
    if (!virtual_host_names_.insert(host.name_).second) {
      return Invalid(path, absl::StrCat("duplicate virtual host name \"", host.name_, "\""));
    }
    if (proto.domains().empty()) return Invalid(path, "domains is empty");
    for (int i = 0; i < proto.domains_size(); ++i) {
      STRATA_RETURN_IF_ERROR(AddDomain(proto.domains(i), host, Index(path, "domains", i)));
    }
    STRATA_RETURN_IF_ERROR(
        BuildHeaderMutations(proto, path, host.request_headers_, host.response_headers_));
    if (proto.has_retry_policy()) {
      STRATA_ASSIGN_OR_RETURN(host.retry_policy_,
                              BuildRetryPolicy(proto.retry_policy(), Join(path, "retry_policy")));
    }
    host.routes_.reserve(proto.routes_size());
    for (int i = 0; i < proto.routes_size(); ++i) {
      Route route;
      route.virtual_host_ = &host;
      route.table_ = table_.get();
      STRATA_RETURN_IF_ERROR(BuildRoute(proto.routes(i), Index(path, "routes", i), route));
      host.routes_.push_back(std::move(route));
    }
    for (uint32_t i = 0; i < host.routes_.size(); ++i) {
      const Route& route = host.routes_[i];
      if (route.path_match_ != Route::PathMatch::kPath) {
        host.scanned_.push_back(i);
      } else if (route.case_sensitive_) {
        host.exact_paths_[route.path_value_].push_back(i);
      } else {
        host.exact_paths_ignore_case_[route.path_value_].push_back(i);
      }
    }
    return absl::OkStatus();
  }

  absl::Status AddDomain(const std::string& domain, const VirtualHost& host,
                         const std::string& path) {
    const std::string lower = absl::AsciiStrToLower(domain);
    if (lower.empty()) return Invalid(path, "domain is empty");
    auto [seen, inserted] = domains_.emplace(lower, &host);
    if (!inserted) {
      return Invalid(path,
                     absl::StrCat("duplicate domain \"", domain, "\" (also in virtual host \"",
                                  seen->second->name(), "\")"));
    }
    if (lower == "*") {
      table_->default_virtual_host_ = &host;
      return absl::OkStatus();
    }
    if (lower.back() != '*' && StripPort(lower).size() != lower.size()) {
      return Invalid(path, absl::StrCat("domain \"", domain,
                                        "\" has a port; ports are ignored in host matching"));
    }
    if (lower.front() == '*') {
      const std::string suffix = lower.substr(1);
      suffixes_[suffix.size()].emplace(suffix, &host);
    } else if (lower.back() == '*') {
      const std::string prefix = lower.substr(0, lower.size() - 1);
      prefixes_[prefix.size()].emplace(prefix, &host);
    } else {
      table_->exact_domains_.emplace(lower, &host);
    }
    return absl::OkStatus();
  }

  absl::Status BuildRoute(const route_v3::Route& proto, const std::string& path, Route& route) {
    STRATA_RETURN_IF_ERROR(CheckFields(
        proto,
        {"name", "match", "route", "redirect", "direct_response", "request_headers_to_add",
         "request_headers_to_remove", "response_headers_to_add", "response_headers_to_remove"},
        path));
    route.name_ = proto.name();
    if (!proto.has_match()) return Invalid(path, "match is required");
    STRATA_RETURN_IF_ERROR(BuildMatch(proto.match(), Join(path, "match"), route));
    switch (proto.action_case()) {
      case route_v3::Route::kRoute:
        route.kind_ = Route::Kind::kForward;
        STRATA_RETURN_IF_ERROR(BuildForward(proto.route(), Join(path, "route"), route));
        break;
      case route_v3::Route::kRedirect:
        route.kind_ = Route::Kind::kRedirect;
        STRATA_RETURN_IF_ERROR(BuildRedirect(proto.redirect(), Join(path, "redirect"), route));
        break;
      case route_v3::Route::kDirectResponse:
        route.kind_ = Route::Kind::kDirectResponse;
        STRATA_RETURN_IF_ERROR(
            BuildDirectResponse(proto.direct_response(), Join(path, "direct_response"), route));
        break;
      default:
        return Invalid(path, "one of route, redirect or direct_response is required");
    }
    return BuildHeaderMutations(proto, path, route.request_headers_, route.response_headers_);
  }

  absl::Status BuildMatch(const route_v3::RouteMatch& proto, const std::string& path,
                          Route& route) {
    STRATA_RETURN_IF_ERROR(
        CheckFields(proto,
                    {"prefix", "path", "safe_regex", "path_separated_prefix", "case_sensitive",
                     "headers", "query_parameters", "runtime_fraction"},
                    path));
    route.case_sensitive_ = !proto.has_case_sensitive() || proto.case_sensitive().value();
    if (proto.has_runtime_fraction()) {
      // There is no runtime layer: the default value is the fraction (runtime_key is only a
      // name).
      const std::string fraction_path = Join(path, "runtime_fraction");
      STRATA_RETURN_IF_ERROR(
          CheckFields(proto.runtime_fraction(), {"default_value", "runtime_key"}, fraction_path));
      const auto& value = proto.runtime_fraction().default_value();
      uint64_t scale = 0;
      switch (value.denominator()) {
        case envoy::type::v3::FractionalPercent::HUNDRED:
          scale = 10'000;
          break;
        case envoy::type::v3::FractionalPercent::TEN_THOUSAND:
          scale = 100;
          break;
        case envoy::type::v3::FractionalPercent::MILLION:
          scale = 1;
          break;
        default:
          return Invalid(Join(fraction_path, "default_value"),
                         absl::StrCat("denominator ", value.denominator(), " is unknown"));
      }
      // As Envoy, a numerator above the denominator means every request.
      route.fraction_per_million_ =
          std::min<uint64_t>(uint64_t{value.numerator()} * scale, 1'000'000);
    }
    switch (proto.path_specifier_case()) {
      case route_v3::RouteMatch::kPrefix:
        route.path_match_ = Route::PathMatch::kPrefix;
        route.path_value_ = proto.prefix();
        break;
      case route_v3::RouteMatch::kPath:
        route.path_match_ = Route::PathMatch::kPath;
        route.path_value_ = proto.path();
        break;
      case route_v3::RouteMatch::kSafeRegex: {
        route.path_match_ = Route::PathMatch::kSafeRegex;
        STRATA_ASSIGN_OR_RETURN(route.path_regex_,
                                CompileRegex(proto.safe_regex(), path, "safe_regex"));
        break;
      }
      case route_v3::RouteMatch::kPathSeparatedPrefix: {
        const std::string& prefix = proto.path_separated_prefix();
        if (prefix.empty() || prefix.back() == '/' ||
            prefix.find_first_of("?#") != std::string::npos) {
          return Invalid(path, absl::StrCat("path_separated_prefix \"", prefix,
                                            "\" must be non-empty, without '?' or '#', and must "
                                            "not end with '/'"));
        }
        route.path_match_ = Route::PathMatch::kPathSeparatedPrefix;
        route.path_value_ = prefix;
        break;
      }
      default:
        return Invalid(path,
                       "one of prefix, path, safe_regex or path_separated_prefix is required");
    }
    for (int i = 0; i < proto.headers_size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(HeaderMatcher matcher,
                              BuildHeaderMatcher(proto.headers(i), Index(path, "headers", i)));
      route.headers_.push_back(std::move(matcher));
    }
    for (int i = 0; i < proto.query_parameters_size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(QueryParameterMatcher matcher,
                              BuildQueryParameterMatcher(proto.query_parameters(i),
                                                         Index(path, "query_parameters", i)));
      route.query_parameters_.push_back(std::move(matcher));
    }
    return absl::OkStatus();
  }

  absl::Status BuildForward(const route_v3::RouteAction& proto, const std::string& path,
                            Route& route) {
    STRATA_RETURN_IF_ERROR(
        CheckFields(proto,
                    {"cluster", "weighted_clusters", "prefix_rewrite", "regex_rewrite",
                     "host_rewrite_literal", "timeout", "retry_policy"},
                    path));
    ForwardAction& action = route.forward_;
    switch (proto.cluster_specifier_case()) {
      case route_v3::RouteAction::kCluster:
        if (proto.cluster().empty()) return Invalid(Join(path, "cluster"), "cluster name is empty");
        action.cluster_ = proto.cluster();
        break;
      case route_v3::RouteAction::kWeightedClusters:
        STRATA_RETURN_IF_ERROR(BuildWeightedClusters(proto.weighted_clusters(),
                                                     Join(path, "weighted_clusters"), action));
        break;
      default:
        return Invalid(path, "one of cluster or weighted_clusters is required");
    }
    if (!proto.prefix_rewrite().empty() && proto.has_regex_rewrite()) {
      return Invalid(path, "prefix_rewrite and regex_rewrite cannot both be set");
    }
    if (!IsHeaderValueSafe(proto.prefix_rewrite())) {
      return Invalid(Join(path, "prefix_rewrite"), "contains CR, LF or NUL");
    }
    route.prefix_rewrite_ = proto.prefix_rewrite();
    if (proto.has_regex_rewrite()) {
      STRATA_ASSIGN_OR_RETURN(route.regex_rewrite_, BuildRegexRewrite(proto.regex_rewrite(),
                                                                      Join(path, "regex_rewrite")));
    }
    if (proto.host_rewrite_specifier_case() == route_v3::RouteAction::kHostRewriteLiteral) {
      if (!IsValidHost(proto.host_rewrite_literal())) {
        return Invalid(path, absl::StrCat("host_rewrite_literal \"", proto.host_rewrite_literal(),
                                          "\" is not a valid host"));
      }
      action.host_rewrite_ = proto.host_rewrite_literal();
    }
    if (proto.has_timeout()) {
      STRATA_ASSIGN_OR_RETURN(action.timeout_,
                              BuildTimeout(proto.timeout(), Join(path, "timeout")));
    }
    if (proto.has_retry_policy()) {
      STRATA_ASSIGN_OR_RETURN(action.own_retry_policy_,
                              BuildRetryPolicy(proto.retry_policy(), Join(path, "retry_policy")));
    }
    action.virtual_host_retry_policy_ = route.virtual_host_->retry_policy();
    return absl::OkStatus();
  }

  absl::Status BuildWeightedClusters(const route_v3::WeightedCluster& proto,
                                     const std::string& path, ForwardAction& action) {
    STRATA_RETURN_IF_ERROR(CheckFields(proto, {"clusters"}, path));
    if (proto.clusters().empty()) return Invalid(path, "clusters is empty");
    for (int i = 0; i < proto.clusters_size(); ++i) {
      const route_v3::WeightedCluster::ClusterWeight& cluster = proto.clusters(i);
      const std::string cluster_path = Index(path, "clusters", i);
      STRATA_RETURN_IF_ERROR(CheckFields(cluster, {"name", "weight"}, cluster_path));
      if (cluster.name().empty()) return Invalid(cluster_path, "cluster name is empty");
      WeightedCluster entry;
      entry.name = cluster.name();
      entry.weight = cluster.has_weight() ? cluster.weight().value() : 0;
      action.total_weight_ += entry.weight;
      action.cumulative_weights_.push_back(action.total_weight_);
      action.weighted_clusters_.push_back(std::move(entry));
    }
    if (action.total_weight_ == 0) return Invalid(path, "the cluster weights add up to 0");
    return absl::OkStatus();
  }

  absl::Status BuildRedirect(const route_v3::RedirectAction& proto, const std::string& path,
                             Route& route) {
    STRATA_RETURN_IF_ERROR(
        CheckFields(proto,
                    {"https_redirect", "scheme_redirect", "host_redirect", "port_redirect",
                     "path_redirect", "prefix_rewrite", "response_code", "strip_query"},
                    path));
    Redirect& redirect = route.redirect_;
    if (proto.scheme_rewrite_specifier_case() == route_v3::RedirectAction::kSchemeRedirect) {
      if (!IsValidScheme(proto.scheme_redirect())) {
        return Invalid(path, absl::StrCat("scheme_redirect \"", proto.scheme_redirect(),
                                          "\" is not a valid scheme"));
      }
      redirect.scheme = absl::AsciiStrToLower(proto.scheme_redirect());
    } else if (proto.https_redirect()) {
      redirect.scheme = "https";
    }
    if (proto.port_redirect() > 65535) {
      return Invalid(path, absl::StrCat("port_redirect ", proto.port_redirect(), " is not a port"));
    }
    redirect.port = proto.port_redirect();
    if (!proto.host_redirect().empty()) {
      if (!IsValidHost(proto.host_redirect())) {
        return Invalid(path, absl::StrCat("host_redirect \"", proto.host_redirect(),
                                          "\" is not a valid host"));
      }
      if (redirect.port != 0 &&
          StripPort(proto.host_redirect()).size() != proto.host_redirect().size()) {
        return Invalid(path, absl::StrCat("host_redirect \"", proto.host_redirect(),
                                          "\" has a port and port_redirect is set"));
      }
      redirect.host = proto.host_redirect();
    }
    switch (proto.path_rewrite_specifier_case()) {
      case route_v3::RedirectAction::kPathRedirect:
        if (!absl::StartsWith(proto.path_redirect(), "/") ||
            !IsHeaderValueSafe(proto.path_redirect())) {
          return Invalid(path, absl::StrCat("path_redirect \"", proto.path_redirect(),
                                            "\" must start with '/'"));
        }
        redirect.path = proto.path_redirect();
        break;
      case route_v3::RedirectAction::kPrefixRewrite:
        if (!IsHeaderValueSafe(proto.prefix_rewrite())) {
          return Invalid(Join(path, "prefix_rewrite"), "contains CR, LF or NUL");
        }
        route.prefix_rewrite_ = proto.prefix_rewrite();
        break;
      default:
        break;
    }
    switch (proto.response_code()) {
      case route_v3::RedirectAction::MOVED_PERMANENTLY:
        redirect.response_code = 301;
        break;
      case route_v3::RedirectAction::FOUND:
        redirect.response_code = 302;
        break;
      case route_v3::RedirectAction::SEE_OTHER:
        redirect.response_code = 303;
        break;
      case route_v3::RedirectAction::TEMPORARY_REDIRECT:
        redirect.response_code = 307;
        break;
      case route_v3::RedirectAction::PERMANENT_REDIRECT:
        redirect.response_code = 308;
        break;
      default:
        return Invalid(path, absl::StrCat("response_code ", proto.response_code(), " is unknown"));
    }
    redirect.strip_query = proto.strip_query();
    return absl::OkStatus();
  }

  absl::Status BuildDirectResponse(const route_v3::DirectResponseAction& proto,
                                   const std::string& path, Route& route) {
    STRATA_RETURN_IF_ERROR(CheckFields(proto, {"status", "body"}, path));
    if (proto.status() < 200 || proto.status() > 599) {
      return Invalid(path, absl::StrCat("status ", proto.status(), " is not in [200, 599]"));
    }
    route.direct_response_.status = proto.status();
    if (proto.has_body()) {
      const std::string body_path = Join(path, "body");
      const core_v3::DataSource& body = proto.body();
      STRATA_RETURN_IF_ERROR(CheckFields(body, {"inline_string", "inline_bytes"}, body_path));
      switch (body.specifier_case()) {
        case core_v3::DataSource::kInlineString:
          route.direct_response_.body = body.inline_string();
          break;
        case core_v3::DataSource::kInlineBytes:
          route.direct_response_.body = body.inline_bytes();
          break;
        default:
          return Invalid(body_path, "one of inline_string or inline_bytes is required");
      }
      if (route.direct_response_.body.size() > max_body_bytes_) {
        return Invalid(body_path, absl::StrCat("body is ", route.direct_response_.body.size(),
                                               " bytes, more than "
                                               "max_direct_response_body_size_bytes (",
                                               max_body_bytes_, ")"));
      }
    }
    return absl::OkStatus();
  }

  const route_v3::RouteConfiguration& config_;
  std::shared_ptr<RouteTable> table_;
  uint32_t max_body_bytes_ = kDefaultMaxDirectResponseBodyBytes;
  absl::flat_hash_set<std::string> virtual_host_names_;
  absl::flat_hash_map<std::string, const VirtualHost*> domains_;  // lower case, all kinds
  std::map<size_t, RouteTable::DomainMap, std::greater<>> suffixes_;
  std::map<size_t, RouteTable::DomainMap, std::greater<>> prefixes_;
};

#pragma GCC diagnostic pop

absl::StatusOr<RouteTableConstSharedPtr> RouteTable::Create(
    const route_v3::RouteConfiguration& config) {
  absl::StatusOr<RouteTableConstSharedPtr> table = RouteTableBuilder(config).Build();
  if (!table.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("route_config \"", config.name(), "\": ", table.status().message()));
  }
  return table;
}

}  // namespace strata::router
