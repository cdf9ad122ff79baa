#ifndef STRATA_DATAPLANE_ROUTER_ROUTE_TABLE_H_
#define STRATA_DATAPLANE_ROUTER_ROUTE_TABLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "envoy/config/route/v3/route.pb.h"

namespace re2 {
class RE2;
}  // namespace re2

// The proxy's router: an immutable matching structure built from one Envoy v3
// RouteConfiguration. It knows nothing about connections: requests come in as a RequestView,
// header changes go out through the HeaderMap interface.
//
// Matching never allocates. Building does all the work once: domains are lower-cased and
// indexed, regexes compiled, header mutations resolved per route in the order they apply.
namespace strata::router {

class VirtualHost;
class RouteTable;

namespace internal {
// ASCII case-insensitive hashing for domains and exact paths.
struct CaseInsensitiveHash {
  using is_transparent = void;
  size_t operator()(absl::string_view s) const;
};
struct CaseInsensitiveEq {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const;
};
}  // namespace internal

// ---- Request side -----------------------------------------------------------------------

// Read access to request headers other than the pseudo-headers carried by RequestView.
class HeaderLookup {
 public:
  virtual ~HeaderLookup() = default;

  // The value of header `name` (always lower case), or nullopt when absent. A header that
  // occurs several times is returned as its values joined with ",", as HTTP allows. The view
  // must stay valid until the matching call returns.
  virtual std::optional<absl::string_view> Get(absl::string_view name) const = 0;
};

// What the router needs to know about a request. All views must outlive the call they are
// passed to.
struct RequestView {
  // :authority (or Host), possibly with a port; matched case-insensitively, port ignored.
  absl::string_view authority;
  // :path as received, with the query string.
  absl::string_view path;
  absl::string_view method;
  // "http" or "https" as the proxy sees it (x-forwarded-proto when trusted); used by
  // redirects to decide the scheme and whether the request's default port is dropped.
  absl::string_view scheme;
  // A uniformly random value drawn once per request: a route's runtime_fraction matches
  // when it falls into the fraction.
  uint64_t random = 0;
  // Other headers; null means the request has none. Header matchers on ":authority",
  // ":path" and ":method" read the fields above instead.
  const HeaderLookup* headers = nullptr;
};

// ---- Header manipulation ----------------------------------------------------------------

// Write access to a header block, implemented by the proxy over its own header map. Names
// are always lower case.
class HeaderMap {
 public:
  virtual ~HeaderMap() = default;
  virtual bool Contains(absl::string_view name) const = 0;
  // Removes every entry named `name`.
  virtual void Remove(absl::string_view name) = 0;
  // Adds one more entry, keeping existing ones.
  virtual void Add(absl::string_view name, absl::string_view value) = 0;
  // Replaces all entries named `name` with one, or adds it.
  virtual void Set(absl::string_view name, absl::string_view value) = 0;
};

// HeaderValueOption.HeaderAppendAction.
enum class HeaderAppendAction {
  kAppendIfExistsOrAdd,
  kAddIfAbsent,
  kOverwriteIfExistsOrAdd,
  kOverwriteIfExists,
};

struct HeaderAddition {
  std::string name;  // lower case
  std::string value;
  HeaderAppendAction action = HeaderAppendAction::kAppendIfExistsOrAdd;
  // When false (the default), an empty value adds nothing.
  bool keep_empty_value = false;
};

// The *_headers_to_add / *_headers_to_remove of one level (route configuration, virtual host
// or route), for one direction.
struct HeaderMutations {
  std::vector<std::string> remove;  // lower case
  std::vector<HeaderAddition> add;

  bool empty() const { return remove.empty() && add.empty(); }

  // Applies this level as Envoy does: first every removal; then the additions are decided
  // against the headers as they are now (ADD_IF_ABSENT and OVERWRITE_IF_EXISTS look at the
  // state before this level's additions), then all overwrites are applied in order, then all
  // appends in order. An addition with an empty value and keep_empty_value false is skipped.
  void Apply(HeaderMap& headers) const;
};

// ---- Route actions ----------------------------------------------------------------------

struct RetryPolicy {
  enum RetryOn : uint32_t {
    kConnectFailure = 1 << 0,
    k5xx = 1 << 1,
    kGatewayError = 1 << 2,
    kReset = 1 << 3,
    kRetriableStatusCodes = 1 << 4,
  };
  uint32_t retry_on = 0;  // RetryOn bits
  uint32_t num_retries = 1;
  // InfiniteDuration(): no limit per try (the route timeout bounds the whole request).
  absl::Duration per_try_timeout = absl::InfiniteDuration();
  std::vector<uint32_t> retriable_status_codes;

  // Whether an upstream response with `status` is retried: 5xx retries any 5xx,
  // gateway-error 502/503/504, retriable-status-codes the listed codes.
  bool RetriesStatus(uint32_t status) const;
  // Whether an upstream reset (no response) is retried: 5xx, gateway-error and reset retry
  // every reset, connect-failure only a failed connection attempt (as in Envoy).
  bool RetriesReset(bool connect_failure) const;
};

struct WeightedCluster {
  std::string name;
  uint32_t weight = 0;
};

// RouteAction: forward the request to a cluster.
class ForwardAction {
 public:
  // The cluster for this request. With weighted clusters, `random` picks one: the value
  // random % total_weight falls into the clusters' weights laid end to end, in order.
  absl::string_view PickCluster(uint64_t random) const;

  // Single cluster; empty when weighted_clusters is used.
  const std::string& cluster() const { return cluster_; }
  const std::vector<WeightedCluster>& weighted_clusters() const { return weighted_clusters_; }
  uint64_t total_weight() const { return total_weight_; }

  // host_rewrite_literal; empty when the authority is kept.
  const std::string& host_rewrite() const { return host_rewrite_; }
  // The route timeout (default 15 s); InfiniteDuration() when disabled with 0.
  absl::Duration timeout() const { return timeout_; }
  // The route's retry policy, else its virtual host's, else null.
  const RetryPolicy* retry_policy() const {
    return own_retry_policy_.has_value() ? &*own_retry_policy_ : virtual_host_retry_policy_;
  }

 private:
  friend class RouteTableBuilder;
  std::string cluster_;
  std::vector<WeightedCluster> weighted_clusters_;
  std::vector<uint64_t> cumulative_weights_;  // end of each cluster's slice
  uint64_t total_weight_ = 0;
  std::string host_rewrite_;
  absl::Duration timeout_ = absl::Seconds(15);
  std::optional<RetryPolicy> own_retry_policy_;
  const RetryPolicy* virtual_host_retry_policy_ = nullptr;
};

struct DirectResponse {
  uint32_t status = 200;
  std::string body;
};

struct Redirect {
  std::string scheme;  // lower case; empty keeps the request's scheme
  std::string host;    // empty keeps the request's host
  uint32_t port = 0;   // 0 keeps the port; the scheme's default is not written out
  std::string path;    // path_redirect; empty keeps the (rewritten) request path
  bool strip_query = false;
  uint32_t response_code = 301;
};

// ---- Matching -----------------------------------------------------------------------------

// Compiled RouteMatch pieces; defined in route_table.cc.
struct HeaderMatcher;
struct QueryParameterMatcher;
struct RegexRewrite;

class Route {
 public:
  enum class Kind { kForward, kRedirect, kDirectResponse };
  enum class PathMatch { kPrefix, kPath, kSafeRegex, kPathSeparatedPrefix };

  ~Route();
  Route(Route&&) noexcept;
  Route& operator=(Route&&) noexcept;

  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }
  // Exactly one of these is non-null, according to kind().
  const ForwardAction* forward() const { return kind_ == Kind::kForward ? &forward_ : nullptr; }
  const Redirect* redirect() const { return kind_ == Kind::kRedirect ? &redirect_ : nullptr; }
  const DirectResponse* direct_response() const {
    return kind_ == Kind::kDirectResponse ? &direct_response_ : nullptr;
  }

  // Whether this route's match accepts the request (path kind, headers, query parameters).
  bool Matches(const RequestView& request) const;

  // The :path to send upstream: with prefix_rewrite the matched prefix (for path and
  // safe_regex matches, the whole path) is replaced; with regex_rewrite every match of the
  // pattern in the path is substituted. The query string is kept. Without a rewrite, the
  // request's path unchanged. Only meaningful for a request this route matched.
  std::string RewritePath(const RequestView& request) const;
  // The :authority to send upstream: host_rewrite_literal, or the request's authority.
  absl::string_view RewriteHost(const RequestView& request) const;
  // For a redirect route, the Location: scheme://host[:port]path. The scheme is
  // https/scheme_redirect or the request's; the host is host_redirect or the request's
  // authority, whose port is dropped when port_redirect is set or when the scheme changes
  // and the port is the old scheme's default (80 for http, 443 for https); the path is
  // path_redirect (its own query wins, else the request's query is appended) or the request
  // path after the redirect's prefix_rewrite; strip_query drops the request's query.
  std::string RedirectLocation(const RequestView& request) const;

  // The *_headers_to_add/remove of the route, its virtual host and the route configuration,
  // each level applied with HeaderMutations::Apply. As in Envoy, the most specific level is
  // applied first (route, virtual host, route configuration), so with an overwrite the
  // route configuration has the last word; most_specific_header_mutations_wins: true
  // reverses the order (route configuration, virtual host, route).
  void ApplyRequestHeaderMutations(HeaderMap& headers) const;
  void ApplyResponseHeaderMutations(HeaderMap& headers) const;

  const VirtualHost& virtual_host() const { return *virtual_host_; }

 private:
  friend class RouteTableBuilder;
  Route();
  bool MatchesPath(absl::string_view path, absl::string_view path_only) const;
  size_t MatchedPrefixLength(absl::string_view path, absl::string_view path_only) const;

  std::string name_;
  PathMatch path_match_ = PathMatch::kPrefix;
  std::string path_value_;  // prefix / path / path_separated_prefix
  bool case_sensitive_ = true;
  std::unique_ptr<re2::RE2> path_regex_;
  // runtime_fraction.default_value as parts per million; the route matches when
  // random % 1000000 is below it. 1000000 (the default) matches every request.
  uint64_t fraction_per_million_ = 1'000'000;
  std::vector<HeaderMatcher> headers_;
  std::vector<QueryParameterMatcher> query_parameters_;

  Kind kind_ = Kind::kForward;
  ForwardAction forward_;
  Redirect redirect_;
  DirectResponse direct_response_;
  std::string prefix_rewrite_;  // forward or redirect
  std::unique_ptr<RegexRewrite> regex_rewrite_;

  // Both outlive the route and never move (heap-allocated by the table).
  const VirtualHost* virtual_host_ = nullptr;
  const RouteTable* table_ = nullptr;
  HeaderMutations request_headers_;
  HeaderMutations response_headers_;
};

class VirtualHost {
 public:
  const std::string& name() const { return name_; }
  const std::vector<Route>& routes() const { return routes_; }
  const HeaderMutations& request_headers() const { return request_headers_; }
  const HeaderMutations& response_headers() const { return response_headers_; }
  // Used by routes that have none of their own.
  const RetryPolicy* retry_policy() const {
    return retry_policy_.has_value() ? &*retry_policy_ : nullptr;
  }

  // The first route that matches, or null.
  const Route* Match(const RequestView& request) const;

 private:
  friend class RouteTableBuilder;

  std::string name_;
  std::vector<Route> routes_;
  // Matching order is the routes' order. Exact-path routes are found through a hash on the
  // path and merged by index with the others, so the first match in order still wins.
  std::vector<uint32_t> scanned_;
  absl::flat_hash_map<std::string, std::vector<uint32_t>> exact_paths_;
  absl::flat_hash_map<std::string, std::vector<uint32_t>, internal::CaseInsensitiveHash,
                      internal::CaseInsensitiveEq>
      exact_paths_ignore_case_;
  HeaderMutations request_headers_;
  HeaderMutations response_headers_;
  std::optional<RetryPolicy> retry_policy_;
};

using RouteTableConstSharedPtr = std::shared_ptr<const RouteTable>;

class RouteTable {
 public:
  struct MatchResult {
    const VirtualHost* virtual_host = nullptr;  // null: no domain matched (answer 404)
    const Route* route = nullptr;               // null: no route matched (answer 404)
  };

  // Validates and compiles `config`. Errors read `route_config "<name>": <field path>: <what>`.
  // Every field this router does not implement is rejected, never ignored.
  static absl::StatusOr<RouteTableConstSharedPtr> Create(
      const envoy::config::route::v3::RouteConfiguration& config);

  ~RouteTable();

  const std::string& name() const { return name_; }
  const std::vector<std::unique_ptr<VirtualHost>>& virtual_hosts() const { return virtual_hosts_; }
  const HeaderMutations& request_headers() const { return request_headers_; }
  const HeaderMutations& response_headers() const { return response_headers_; }
  bool most_specific_header_mutations_wins() const { return most_specific_header_mutations_wins_; }

  // Virtual host by authority (port stripped, case-insensitive): exact domain, then the
  // longest `*suffix` wildcard, then the longest `prefix*` wildcard, then `*`. A wildcard
  // stands for at least one character.
  const VirtualHost* FindVirtualHost(absl::string_view authority) const;
  // FindVirtualHost, then its first matching route.
  MatchResult Match(const RequestView& request) const;

 private:
  friend class RouteTableBuilder;
  using DomainMap = absl::flat_hash_map<std::string, const VirtualHost*,
                                        internal::CaseInsensitiveHash, internal::CaseInsensitiveEq>;
  RouteTable();

  std::string name_;
  std::vector<std::unique_ptr<VirtualHost>> virtual_hosts_;
  DomainMap exact_domains_;
  // Wildcard domains by the length of their fixed part, longest first.
  std::vector<std::pair<size_t, DomainMap>> suffix_domains_;
  std::vector<std::pair<size_t, DomainMap>> prefix_domains_;
  const VirtualHost* default_virtual_host_ = nullptr;
  bool most_specific_header_mutations_wins_ = false;
  HeaderMutations request_headers_;
  HeaderMutations response_headers_;
};

}  // namespace strata::router

#endif  // STRATA_DATAPLANE_ROUTER_ROUTE_TABLE_H_
