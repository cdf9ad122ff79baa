#include "dataplane/router/route_table.h"

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "envoy/config/route/v3/route.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"

namespace strata::router {
namespace {

using envoy::config::route::v3::RouteConfiguration;
using ::testing::ElementsAre;
using ::testing::Pair;

// ---- Helpers --------------------------------------------------------------------------------

RouteConfiguration ParseConfig(const std::string& text) {
  RouteConfiguration config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

// The table, or null (with a test failure) when the configuration is rejected.
RouteTableConstSharedPtr MustBuild(const std::string& text) {
  absl::StatusOr<RouteTableConstSharedPtr> table = RouteTable::Create(ParseConfig(text));
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *table : nullptr;
}

std::string BuildError(const RouteConfiguration& config) {
  absl::StatusOr<RouteTableConstSharedPtr> table = RouteTable::Create(config);
  if (table.ok()) return "accepted";
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(table.status().message());
}

std::string BuildError(const std::string& text) { return BuildError(ParseConfig(text)); }

// A configuration named "web" with one catch-all virtual host holding `routes`.
std::string OneHost(const std::string& routes) {
  return absl::StrCat(R"pb(name: "web"
                           virtual_hosts { name: "vh" domains: "*")pb",
                      routes, "}");
}

class FakeHeaders : public HeaderLookup {
 public:
  FakeHeaders() = default;
  FakeHeaders(std::initializer_list<std::pair<const std::string, std::string>> headers)
      : headers_(headers) {}
  std::optional<absl::string_view> Get(absl::string_view name) const override {
    auto it = headers_.find(name);
    if (it == headers_.end()) return std::nullopt;
    return absl::string_view(it->second);
  }

 private:
  std::map<std::string, std::string, std::less<>> headers_;
};

RequestView Request(absl::string_view authority, absl::string_view path,
                    const HeaderLookup* headers = nullptr, absl::string_view scheme = "http") {
  RequestView request;
  request.authority = authority;
  request.path = path;
  request.method = "GET";
  request.scheme = scheme;
  request.headers = headers;
  return request;
}

std::string HostName(const RouteTable& table, absl::string_view authority) {
  const VirtualHost* host = table.FindVirtualHost(authority);
  return host == nullptr ? "<none>" : host->name();
}

std::string RouteName(const RouteTable& table, const RequestView& request) {
  const Route* route = table.Match(request).route;
  return route == nullptr ? "<none>" : route->name();
}

std::string RouteName(const RouteTable& table, absl::string_view path,
                      const HeaderLookup* headers = nullptr) {
  return RouteName(table, Request("example.com", path, headers));
}

// A header block as a list, so order and repeated entries are visible.
class ListHeaderMap : public HeaderMap {
 public:
  using Entries = std::vector<std::pair<std::string, std::string>>;
  explicit ListHeaderMap(Entries entries) : entries_(std::move(entries)) {}

  bool Contains(absl::string_view name) const override {
    for (const auto& [n, v] : entries_) {
      if (n == name) return true;
    }
    return false;
  }
  void Remove(absl::string_view name) override {
    std::erase_if(entries_, [name](const auto& e) { return e.first == name; });
  }
  void Add(absl::string_view name, absl::string_view value) override {
    entries_.emplace_back(std::string(name), std::string(value));
  }
  // Replaces the first entry in place and drops the others, or appends.
  void Set(absl::string_view name, absl::string_view value) override {
    bool replaced = false;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->first != name) {
        ++it;
      } else if (!replaced) {
        it->second = std::string(value);
        replaced = true;
        ++it;
      } else {
        it = entries_.erase(it);
      }
    }
    if (!replaced) Add(name, value);
  }
  const Entries& entries() const { return entries_; }

 private:
  Entries entries_;
};

// ---- Virtual host selection ------------------------------------------------------------

TEST(RouteTableTest, VirtualHostPrecedenceExactThenSuffixThenPrefixThenDefault) {
  auto table = MustBuild(R"pb(
    name: "web"
    virtual_hosts { name: "exact" domains: "www.example.com" domains: "[::1]" domains: "10.0.0.1" }
    virtual_hosts { name: "suffix" domains: "*.example.com" }
    virtual_hosts { name: "longer-suffix" domains: "*.eu.example.com" }
    virtual_hosts { name: "prefix" domains: "www.*" }
    virtual_hosts { name: "longer-prefix" domains: "www.eu.*" }
    virtual_hosts { name: "mixed-case" domains: "API.Example.ORG" }
    virtual_hosts { name: "default" domains: "*" }
  )pb");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(HostName(*table, "www.example.com"), "exact");
  EXPECT_EQ(HostName(*table, "WWW.Example.COM:8080"), "exact");  // case and port ignored
  EXPECT_EQ(HostName(*table, "[::1]:8080"), "exact");
  EXPECT_EQ(HostName(*table, "[::1]"), "exact");
  EXPECT_EQ(HostName(*table, "10.0.0.1:80"), "exact");
  EXPECT_EQ(HostName(*table, "api.example.org"), "mixed-case");
  EXPECT_EQ(HostName(*table, "a.example.com"), "suffix");
  EXPECT_EQ(HostName(*table, "a.eu.example.com"), "longer-suffix");
  EXPECT_EQ(HostName(*table, "A.EU.example.com:443"), "longer-suffix");
  // A suffix wildcard beats a prefix wildcard.
  EXPECT_EQ(HostName(*table, "www.eu.example.com"), "longer-suffix");
  EXPECT_EQ(HostName(*table, "www.other.org"), "prefix");
  EXPECT_EQ(HostName(*table, "www.eu.other.org"), "longer-prefix");
  // The wildcard stands for at least one character.
  EXPECT_EQ(HostName(*table, ".example.com"), "default");
  EXPECT_EQ(HostName(*table, "www."), "default");
  EXPECT_EQ(HostName(*table, "example.com"), "default");
  EXPECT_EQ(HostName(*table, ""), "default");
}

TEST(RouteTableTest, NoVirtualHostWithoutDefaultDomain) {
  auto table = MustBuild(R"pb(
    name: "web"
    virtual_hosts {
      name: "api"
      domains: "api.example.com"
      routes {
        name: "only-v1"
        match { prefix: "/v1" }
        route { cluster: "api" }
      }
    }
  )pb");
  ASSERT_NE(table, nullptr);
  RouteTable::MatchResult unknown_host = table->Match(Request("other.example.com", "/v1"));
  EXPECT_EQ(unknown_host.virtual_host, nullptr);
  EXPECT_EQ(unknown_host.route, nullptr);
  RouteTable::MatchResult no_route = table->Match(Request("api.example.com", "/v2"));
  ASSERT_NE(no_route.virtual_host, nullptr);
  EXPECT_EQ(no_route.virtual_host->name(), "api");
  EXPECT_EQ(no_route.route, nullptr);
  RouteTable::MatchResult hit = table->Match(Request("api.example.com:443", "/v1/x"));
  ASSERT_NE(hit.route, nullptr);
  EXPECT_EQ(hit.route->name(), "only-v1");
  EXPECT_EQ(&hit.route->virtual_host(), hit.virtual_host);
  EXPECT_EQ(hit.route->forward()->PickCluster(0), "api");
}

// ---- Path matching ------------------------------------------------------------------------

TEST(RouteTableTest, EachPathMatchKind) {
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "prefix"
      match { prefix: "/api" }
      route { cluster: "c" }
    }
    routes {
      name: "exact"
      match { path: "/exact" }
      route { cluster: "c" }
    }
    routes {
      name: "regex"
      match { safe_regex { regex: "/items/[0-9]+" } }
      route { cluster: "c" }
    }
    routes {
      name: "separated"
      match { path_separated_prefix: "/sep" }
      route { cluster: "c" }
    }
    routes {
      name: "catch-all"
      match { prefix: "" }
      route { cluster: "c" }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(RouteName(*table, "/api"), "prefix");
  EXPECT_EQ(RouteName(*table, "/apiary"), "prefix");
  EXPECT_EQ(RouteName(*table, "/API"), "catch-all");  // case-sensitive by default
  EXPECT_EQ(RouteName(*table, "/exact"), "exact");
  EXPECT_EQ(RouteName(*table, "/exact?x=1"), "exact");  // the query is not part of the path
  EXPECT_EQ(RouteName(*table, "/exact/"), "catch-all");
  EXPECT_EQ(RouteName(*table, "/items/42"), "regex");
  EXPECT_EQ(RouteName(*table, "/items/42?page=2"), "regex");
  EXPECT_EQ(RouteName(*table, "/items/42x"), "catch-all");  // full match only
  EXPECT_EQ(RouteName(*table, "/x/items/42"), "catch-all");
  EXPECT_EQ(RouteName(*table, "/sep"), "separated");
  EXPECT_EQ(RouteName(*table, "/sep/a"), "separated");
  EXPECT_EQ(RouteName(*table, "/sep?x"), "separated");
  EXPECT_EQ(RouteName(*table, "/separate"), "catch-all");
  EXPECT_EQ(RouteName(*table, "/"), "catch-all");
}

TEST(RouteTableTest, CaseInsensitivePathMatching) {
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "prefix"
      match {
        prefix: "/API/"
        case_sensitive { value: false }
      }
      route { cluster: "c" }
    }
    routes {
      name: "exact"
      match {
        path: "/Login"
        case_sensitive { value: false }
      }
      route { cluster: "c" }
    }
    routes {
      name: "separated"
      match {
        path_separated_prefix: "/Docs"
        case_sensitive { value: false }
      }
      route { cluster: "c" }
    }
    routes {
      name: "regex-ignores-flag"
      match {
        safe_regex { regex: "/abc" }
        case_sensitive { value: false }
      }
      route { cluster: "c" }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(RouteName(*table, "/api/x"), "prefix");
  EXPECT_EQ(RouteName(*table, "/Api/x"), "prefix");
  EXPECT_EQ(RouteName(*table, "/LOGIN"), "exact");
  EXPECT_EQ(RouteName(*table, "/login?next=/"), "exact");
  EXPECT_EQ(RouteName(*table, "/docs/intro"), "separated");
  EXPECT_EQ(RouteName(*table, "/abc"), "regex-ignores-flag");
  EXPECT_EQ(RouteName(*table, "/ABC"), "<none>");  // as in Envoy, regexes stay case-sensitive
}

// ---- Header and query parameter matching -------------------------------------------------

// Whether a single route whose only condition is `matcher` (a HeaderMatcher body) matches.
bool HeaderMatches(const std::string& matcher, const FakeHeaders& headers,
                   absl::string_view method = "GET") {
  auto table = MustBuild(OneHost(absl::StrCat(R"pb(routes { match { prefix: "/" headers {)pb",
                                              matcher, R"pb(}
                                                            } route { cluster: "c" } })pb")));
  if (table == nullptr) return false;
  RequestView request = Request("example.com", "/", &headers);
  request.method = method;
  return table->Match(request).route != nullptr;
}

TEST(RouteTableTest, HeaderMatcherKinds) {
  const FakeHeaders prod{{"x-env", "prod"}};
  const FakeHeaders upper{{"x-env", "Prod"}};
  const FakeHeaders dev{{"x-env", "dev"}};
  const FakeHeaders none{};

  const std::string exact = R"pb(name: "x-env"
                                 string_match { exact: "prod" })pb";
  EXPECT_TRUE(HeaderMatches(exact, prod));
  EXPECT_FALSE(HeaderMatches(exact, upper));
  EXPECT_FALSE(HeaderMatches(exact, none));
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env"
                                 string_match { exact: "prod" ignore_case: true })pb",
                            upper));
  // Header names are matched case-insensitively.
  EXPECT_TRUE(HeaderMatches(R"pb(name: "X-Env"
                                 string_match { exact: "prod" })pb",
                            prod));

  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env"
                                 string_match { prefix: "pr" })pb",
                            prod));
  EXPECT_FALSE(HeaderMatches(R"pb(name: "x-env"
                                  string_match { prefix: "pr" })pb",
                             dev));
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env"
                                 string_match { suffix: "od" })pb",
                            prod));
  EXPECT_FALSE(HeaderMatches(R"pb(name: "x-env"
                                  string_match { suffix: "od" })pb",
                             dev));
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env"
                                 string_match { contains: "ro" })pb",
                            prod));
  EXPECT_FALSE(HeaderMatches(R"pb(name: "x-env"
                                  string_match { contains: "RO" })pb",
                             prod));
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env"
                                 string_match { contains: "RO" ignore_case: true })pb",
                            prod));
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env"
                                 string_match { safe_regex { regex: "p[a-z]+d" } })pb",
                            prod));
  EXPECT_FALSE(HeaderMatches(R"pb(name: "x-env"
                                  string_match { safe_regex { regex: "p[a-z]+" } })pb",
                             FakeHeaders{{"x-env", "prod1"}}));
  // The deprecated shorthands still work.
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env" exact_match: "prod")pb", prod));
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env"
                                 safe_regex_match { regex: "pro." })pb",
                            prod));

  // Presence: present_match, or only a name.
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env" present_match: true)pb", dev));
  EXPECT_FALSE(HeaderMatches(R"pb(name: "x-env" present_match: true)pb", none));
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env")pb", dev));
  EXPECT_FALSE(HeaderMatches(R"pb(name: "x-env")pb", none));
  EXPECT_TRUE(HeaderMatches(R"pb(name: "x-env" present_match: false)pb", none));
  EXPECT_FALSE(HeaderMatches(R"pb(name: "x-env" present_match: false)pb", dev));

  const std::string range = R"pb(name: "x-n"
                                 range_match { start: 1 end: 11 })pb";
  EXPECT_TRUE(HeaderMatches(range, FakeHeaders{{"x-n", "10"}}));
  EXPECT_TRUE(HeaderMatches(range, FakeHeaders{{"x-n", "1"}}));
  EXPECT_FALSE(HeaderMatches(range, FakeHeaders{{"x-n", "11"}}));
  EXPECT_FALSE(HeaderMatches(range, FakeHeaders{{"x-n", "abc"}}));

  // Pseudo-headers come from the request view.
  EXPECT_TRUE(HeaderMatches(R"pb(name: ":method"
                                 string_match { exact: "POST" })pb",
                            none, "POST"));
  EXPECT_FALSE(HeaderMatches(R"pb(name: ":method"
                                  string_match { exact: "POST" })pb",
                             none, "GET"));
}

TEST(RouteTableTest, HeaderMatcherInvertAndMissingHeaders) {
  const FakeHeaders prod{{"x-env", "prod"}};
  const FakeHeaders dev{{"x-env", "dev"}};
  const FakeHeaders none{};

  const std::string not_prod = R"pb(name: "x-env"
                                    string_match { exact: "prod" }
                                    invert_match: true)pb";
  EXPECT_TRUE(HeaderMatches(not_prod, dev));
  EXPECT_FALSE(HeaderMatches(not_prod, prod));
  // As in Envoy, an inverted value matcher still needs the header.
  EXPECT_FALSE(HeaderMatches(not_prod, none));

  const std::string absent = R"pb(name: "x-env" present_match: true invert_match: true)pb";
  EXPECT_TRUE(HeaderMatches(absent, none));
  EXPECT_FALSE(HeaderMatches(absent, dev));

  const std::string not_in_range = R"pb(name: "x-n"
                                        range_match { start: 1 end: 11 }
                                        invert_match: true)pb";
  EXPECT_TRUE(HeaderMatches(not_in_range, FakeHeaders{{"x-n", "abc"}}));
  EXPECT_FALSE(HeaderMatches(not_in_range, FakeHeaders{{"x-n", "5"}}));

  const std::string empty_if_missing = R"pb(name: "x-env"
                                            string_match { exact: "" }
                                            treat_missing_header_as_empty: true)pb";
  EXPECT_TRUE(HeaderMatches(empty_if_missing, none));
  EXPECT_FALSE(HeaderMatches(empty_if_missing, dev));
}

TEST(RouteTableTest, SeveralHeaderMatchersMustAllMatch) {
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "both"
      match {
        prefix: "/"
        headers {
          name: "x-a"
          string_match { exact: "1" }
        }
        headers { name: "x-b" present_match: true }
      }
      route { cluster: "c" }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  const FakeHeaders both{{"x-a", "1"}, {"x-b", ""}};
  const FakeHeaders only_a{{"x-a", "1"}};
  EXPECT_EQ(RouteName(*table, "/", &both), "both");
  EXPECT_EQ(RouteName(*table, "/", &only_a), "<none>");
  EXPECT_EQ(RouteName(*table, "/"), "<none>");  // no header lookup at all
}

bool QueryMatches(const std::string& matcher, absl::string_view path) {
  auto table =
      MustBuild(OneHost(absl::StrCat(R"pb(routes { match { prefix: "/" query_parameters {)pb",
                                     matcher, R"pb(}
                                                   } route { cluster: "c" } })pb")));
  return table != nullptr && table->Match(Request("example.com", path)).route != nullptr;
}

TEST(RouteTableTest, QueryParameterMatchers) {
  const std::string present = R"pb(name: "debug" present_match: true)pb";
  EXPECT_TRUE(QueryMatches(present, "/?debug"));
  EXPECT_TRUE(QueryMatches(present, "/p?a=1&debug=0"));
  EXPECT_FALSE(QueryMatches(present, "/?debugging=1"));
  EXPECT_FALSE(QueryMatches(present, "/?x=debug"));
  EXPECT_FALSE(QueryMatches(present, "/debug"));
  EXPECT_TRUE(QueryMatches(R"pb(name: "debug")pb", "/?debug=1"));
  EXPECT_FALSE(QueryMatches(R"pb(name: "debug")pb", "/"));

  const std::string exact = R"pb(name: "v"
                                 string_match { exact: "2" })pb";
  EXPECT_TRUE(QueryMatches(exact, "/?a=1&v=2"));
  EXPECT_FALSE(QueryMatches(exact, "/?v=3"));
  EXPECT_FALSE(QueryMatches(exact, "/?v=1&v=2"));  // the first value counts
  EXPECT_FALSE(QueryMatches(exact, "/?v"));
  EXPECT_TRUE(QueryMatches(exact, "/?&&v=2&"));
  EXPECT_TRUE(QueryMatches(R"pb(name: "q"
                                string_match { prefix: "ab" ignore_case: true })pb",
                           "/?q=ABc"));
  EXPECT_TRUE(QueryMatches(R"pb(name: "id"
                                string_match { safe_regex { regex: "[0-9]+" } })pb",
                           "/?id=123"));
  EXPECT_FALSE(QueryMatches(R"pb(name: "id"
                                 string_match { safe_regex { regex: "[0-9]+" } })pb",
                            "/?id=12a"));
}

// ---- Order ----------------------------------------------------------------------------------

TEST(RouteTableTest, FirstMatchInConfigurationOrderWins) {
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "exact-with-header"
      match {
        path: "/a"
        headers {
          name: "x"
          string_match { exact: "1" }
        }
      }
      route { cluster: "c" }
    }
    routes {
      name: "prefix"
      match { prefix: "/a" }
      route { cluster: "c" }
    }
    routes {
      name: "exact-shadowed"
      match { path: "/a" }
      route { cluster: "c" }
    }
    routes {
      name: "ci-with-header"
      match {
        path: "/b"
        case_sensitive { value: false }
        headers { name: "x" present_match: true }
      }
      route { cluster: "c" }
    }
    routes {
      name: "other-prefix"
      match { prefix: "/c" }
      route { cluster: "c" }
    }
    routes {
      name: "upper-b"
      match { path: "/B" }
      route { cluster: "c" }
    }
    routes {
      name: "lower-b"
      match { path: "/b" }
      route { cluster: "c" }
    }
    routes {
      name: "ci-late"
      match {
        path: "/b"
        case_sensitive { value: false }
      }
      route { cluster: "c" }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  const FakeHeaders x1{{"x", "1"}};
  EXPECT_EQ(RouteName(*table, "/a", &x1), "exact-with-header");
  EXPECT_EQ(RouteName(*table, "/a"), "prefix");  // before the later exact route
  EXPECT_EQ(RouteName(*table, "/ab"), "prefix");
  EXPECT_EQ(RouteName(*table, "/B", &x1), "ci-with-header");
  EXPECT_EQ(RouteName(*table, "/B"), "upper-b");
  EXPECT_EQ(RouteName(*table, "/b"), "lower-b");
  EXPECT_EQ(RouteName(*table, "/b?q", &x1), "ci-with-header");
}

// The exact-path index must give the same answer as trying every route in order.
TEST(RouteTableTest, IndexedMatchingEqualsLinearScan) {
  const std::vector<std::string> paths = {"/a", "/A", "/a/b", "/ab", "/b", "/B/c", "/", "/a?x=1"};
  std::mt19937 rng(20240611);
  for (int round = 0; round < 30; ++round) {
    std::string routes;
    for (int i = 0; i < 25; ++i) {
      const std::string& path = paths[rng() % 6];
      std::string match;
      switch (rng() % 4) {
        case 0:
          match = absl::StrCat("prefix: \"", path, "\"");
          break;
        case 1:
        case 2:
          match = absl::StrCat("path: \"", path, "\"");
          break;
        case 3:
          match = absl::StrCat("path_separated_prefix: \"", path.size() > 1 ? path : "/a", "\"");
          break;
      }
      if (rng() % 2 == 0) absl::StrAppend(&match, " case_sensitive { value: false }");
      if (rng() % 3 == 0) absl::StrAppend(&match, " headers { name: \"x\" present_match: true }");
      absl::StrAppend(&routes, "routes { name: \"r", i, "\" match { ", match,
                      " } route { cluster: \"c\" } }");
    }
    auto table = MustBuild(OneHost(routes));
    ASSERT_NE(table, nullptr);
    const VirtualHost& host = *table->virtual_hosts()[0];
    const FakeHeaders with_x{{"x", "1"}};
    const FakeHeaders without_x{};
    for (const std::string& path : paths) {
      for (const HeaderLookup* headers : {static_cast<const HeaderLookup*>(&with_x),
                                          static_cast<const HeaderLookup*>(&without_x)}) {
        const RequestView request = Request("example.com", path, headers);
        const Route* linear = nullptr;
        for (const Route& route : host.routes()) {
          if (route.Matches(request)) {
            linear = &route;
            break;
          }
        }
        EXPECT_EQ(host.Match(request), linear) << routes << "\npath " << path;
      }
    }
  }
}

// ---- Actions --------------------------------------------------------------------------------

TEST(RouteTableTest, WeightedClustersPickByRandomValue) {
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "split"
      match { prefix: "/" }
      route {
        weighted_clusters {
          clusters {
            name: "a"
            weight { value: 1 }
          }
          clusters {
            name: "never"
            weight { value: 0 }
          }
          clusters {
            name: "c"
            weight { value: 3 }
          }
        }
      }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  const ForwardAction* action = table->Match(Request("h", "/")).route->forward();
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->total_weight(), 4u);
  EXPECT_TRUE(action->cluster().empty());
  EXPECT_EQ(action->PickCluster(0), "a");
  EXPECT_EQ(action->PickCluster(1), "c");
  EXPECT_EQ(action->PickCluster(3), "c");
  EXPECT_EQ(action->PickCluster(4), "a");
  EXPECT_EQ(action->PickCluster(UINT64_MAX), "c");  // 2^64-1 mod 4 = 3
  std::map<std::string, int> counts;
  for (uint64_t r = 0; r < 4000; ++r) ++counts[std::string(action->PickCluster(r))];
  EXPECT_THAT(counts, ElementsAre(Pair("a", 1000), Pair("c", 3000)));
}

TEST(RouteTableTest, RuntimeFractionMatchesThatShareOfRequests) {
  // A quarter of the requests get the first route; the others fall through to the second.
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "quarter"
      match {
        prefix: "/"
        runtime_fraction {
          default_value { numerator: 25 denominator: HUNDRED }
          runtime_key: "k"
        }
      }
      direct_response { status: 500 }
    }
    routes {
      name: "rest"
      match { prefix: "/" }
      route { cluster: "web" }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  std::map<std::string, int> counts;
  for (uint64_t r = 0; r < 4000; ++r) {
    RequestView request = Request("h", "/x");
    request.random = r * 250;  // spread over [0, 1000000)
    const Route* route = table->Match(request).route;
    ASSERT_NE(route, nullptr);
    ++counts[route->name()];
  }
  EXPECT_THAT(counts, ElementsAre(Pair("quarter", 1000), Pair("rest", 3000)));

  RequestView edge = Request("h", "/x");
  edge.random = 249'999;  // the last value inside the fraction
  EXPECT_EQ(table->Match(edge).route->name(), "quarter");
  edge.random = 1'250'000;  // taken modulo one million
  EXPECT_EQ(table->Match(edge).route->name(), "rest");

  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match {
            prefix: "/"
            runtime_fraction { default_value { numerator: 1 denominator: 7 } }
          }
          route { cluster: "web" }
        }
      )pb")),
      "route_config \"web\": virtual_hosts[0].routes[0].match.runtime_fraction.default_value: "
      "denominator 7 is "
      "unknown");
}

TEST(RouteTableTest, PathAndHostRewrites) {
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "prefix"
      match { prefix: "/api/" }
      route { cluster: "c" prefix_rewrite: "/v2/" }
    }
    routes {
      name: "strip"
      match { prefix: "/strip/" }
      route { cluster: "c" prefix_rewrite: "/" }
    }
    routes {
      name: "ci"
      match {
        prefix: "/CI/"
        case_sensitive { value: false }
      }
      route { cluster: "c" prefix_rewrite: "/ci-backend/" }
    }
    routes {
      name: "exact"
      match { path: "/old" }
      route { cluster: "c" prefix_rewrite: "/new" }
    }
    routes {
      name: "sep"
      match { path_separated_prefix: "/sep" }
      route { cluster: "c" prefix_rewrite: "/s" }
    }
    routes {
      name: "regex"
      match { safe_regex { regex: "/service/[^/]+/.*" } }
      route {
        cluster: "c"
        regex_rewrite {
          pattern { regex: "^/service/([^/]+)(/.*)$" }
          substitution: "\\2/instance/\\1"
        }
      }
    }
    routes {
      name: "global"
      match { prefix: "/g" }
      route {
        cluster: "c"
        regex_rewrite {
          pattern { regex: "a" }
          substitution: "b"
        }
        host_rewrite_literal: "backend.internal"
      }
    }
    routes {
      name: "plain"
      match { prefix: "/" }
      route { cluster: "c" }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  auto rewrite = [&](absl::string_view path) {
    const RequestView request = Request("front.example.com", path);
    const Route* route = table->Match(request).route;
    return route == nullptr ? std::string("<none>") : route->RewritePath(request);
  };
  EXPECT_EQ(rewrite("/api/users?x=1"), "/v2/users?x=1");
  EXPECT_EQ(rewrite("/strip/a?q"), "/a?q");
  EXPECT_EQ(rewrite("/ci/X"), "/ci-backend/X");
  EXPECT_EQ(rewrite("/old?q=1"), "/new?q=1");
  EXPECT_EQ(rewrite("/sep/x"), "/s/x");
  EXPECT_EQ(rewrite("/sep"), "/s");
  EXPECT_EQ(rewrite("/service/foo/v1/api?x=1"), "/v1/api/instance/foo?x=1");
  EXPECT_EQ(rewrite("/gaga?a=a"), "/gbgb?a=a");  // every match; the query is left alone
  EXPECT_EQ(rewrite("/plain?z"), "/plain?z");

  const RequestView global = Request("front.example.com", "/g");
  EXPECT_EQ(table->Match(global).route->RewriteHost(global), "backend.internal");
  const RequestView plain = Request("front.example.com", "/x");
  EXPECT_EQ(table->Match(plain).route->RewriteHost(plain), "front.example.com");
}

TEST(RouteTableTest, RedirectLocations) {
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "https"
      match { prefix: "/secure" }
      redirect { https_redirect: true }
    }
    routes {
      name: "moved"
      match { prefix: "/moved" }
      redirect {
        host_redirect: "new.example.com"
        port_redirect: 8443
        path_redirect: "/landing"
        response_code: FOUND
      }
    }
    routes {
      name: "own-query"
      match { prefix: "/q" }
      redirect {
        path_redirect: "/search?src=old"
        strip_query: true
        response_code: PERMANENT_REDIRECT
      }
    }
    routes {
      name: "prefix"
      match { prefix: "/old/" }
      redirect { prefix_rewrite: "/new/" strip_query: true response_code: TEMPORARY_REDIRECT }
    }
    routes {
      name: "port"
      match { prefix: "/port" }
      redirect { port_redirect: 9090 response_code: SEE_OTHER }
    }
    routes {
      name: "default-port"
      match { prefix: "/tls" }
      redirect { scheme_redirect: "https" port_redirect: 443 }
    }
    routes {
      name: "scheme"
      match { prefix: "/ws" }
      redirect { scheme_redirect: "WSS" }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  auto location = [&](absl::string_view authority, absl::string_view path,
                      absl::string_view scheme = "http") {
    const RequestView request = Request(authority, path, nullptr, scheme);
    const Route* route = table->Match(request).route;
    if (route == nullptr || route->redirect() == nullptr) return std::string("<no redirect>");
    return absl::StrCat(route->redirect()->response_code, " ", route->RedirectLocation(request));
  };
  EXPECT_EQ(location("example.com", "/secure/a?b=1"), "301 https://example.com/secure/a?b=1");
  // The old scheme's default port goes; any other port stays.
  EXPECT_EQ(location("example.com:80", "/secure"), "301 https://example.com/secure");
  EXPECT_EQ(location("example.com:8080", "/secure"), "301 https://example.com:8080/secure");
  EXPECT_EQ(location("[::1]:80", "/secure"), "301 https://[::1]/secure");
  // Same scheme: nothing to drop.
  EXPECT_EQ(location("example.com:443", "/secure", "https"), "301 https://example.com:443/secure");
  // path_redirect keeps the request's query.
  EXPECT_EQ(location("example.com:8080", "/moved/x?y=2"),
            "302 http://new.example.com:8443/landing?y=2");
  // A query in path_redirect replaces the request's and is not stripped.
  EXPECT_EQ(location("h", "/q?old=1"), "308 http://h/search?src=old");
  EXPECT_EQ(location("h", "/old/page?x=1"), "307 http://h/new/page");
  EXPECT_EQ(location("h:8080", "/port"), "303 http://h:9090/port");
  EXPECT_EQ(location("h", "/port?a"), "303 http://h:9090/port?a");
  // port_redirect replaces the request's port; the new scheme's default is not written.
  EXPECT_EQ(location("h:8080", "/tls"), "301 https://h/tls");
  EXPECT_EQ(location("h", "/ws"), "301 wss://h/ws");
  EXPECT_EQ(location("h:80", "/ws"), "301 wss://h/ws");

  const Route* https = table->Match(Request("h", "/secure")).route;
  EXPECT_EQ(https->kind(), Route::Kind::kRedirect);
  EXPECT_EQ(https->forward(), nullptr);
  EXPECT_EQ(https->direct_response(), nullptr);
}

TEST(RouteTableTest, DirectResponses) {
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "deny"
      match { prefix: "/admin" }
      direct_response {
        status: 403
        body { inline_string: "denied" }
      }
    }
    routes {
      name: "empty"
      match { prefix: "/" }
      direct_response { status: 204 }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  const Route* deny = table->Match(Request("h", "/admin")).route;
  ASSERT_NE(deny, nullptr);
  EXPECT_EQ(deny->kind(), Route::Kind::kDirectResponse);
  ASSERT_NE(deny->direct_response(), nullptr);
  EXPECT_EQ(deny->direct_response()->status, 403u);
  EXPECT_EQ(deny->direct_response()->body, "denied");
  EXPECT_EQ(deny->forward(), nullptr);
  const Route* empty = table->Match(Request("h", "/x")).route;
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->direct_response()->status, 204u);
  EXPECT_EQ(empty->direct_response()->body, "");
}

TEST(RouteTableTest, TimeoutsAndRetryPolicies) {
  auto table = MustBuild(R"pb(
    name: "web"
    virtual_hosts {
      name: "vh"
      domains: "*"
      retry_policy {
        retry_on: "connect-failure"
        num_retries { value: 5 }
      }
      routes {
        name: "default"
        match { path: "/default" }
        route { cluster: "c" }
      }
      routes {
        name: "disabled"
        match { path: "/disabled" }
        route {
          cluster: "c"
          timeout { seconds: 0 }
        }
      }
      routes {
        name: "custom"
        match { path: "/custom" }
        route {
          cluster: "c"
          timeout { seconds: 2 nanos: 500000000 }
          retry_policy {
            retry_on: "5xx, gateway-error,reset,retriable-status-codes"
            per_try_timeout { seconds: 1 }
            retriable_status_codes: 409
          }
        }
      }
    }
    virtual_hosts {
      name: "no-retry"
      domains: "plain.example.com"
      routes {
        name: "plain"
        match { prefix: "/" }
        route { cluster: "c" }
      }
    }
  )pb");
  ASSERT_NE(table, nullptr);
  auto action = [&](absl::string_view authority, absl::string_view path) {
    return table->Match(Request(authority, path)).route->forward();
  };
  const ForwardAction* by_default = action("h", "/default");
  EXPECT_EQ(by_default->timeout(), absl::Seconds(15));
  ASSERT_NE(by_default->retry_policy(), nullptr);  // inherited from the virtual host
  EXPECT_EQ(by_default->retry_policy()->num_retries, 5u);
  EXPECT_EQ(by_default->retry_policy()->retry_on, RetryPolicy::kConnectFailure);
  EXPECT_TRUE(by_default->retry_policy()->RetriesReset(/*connect_failure=*/true));
  EXPECT_FALSE(by_default->retry_policy()->RetriesReset(/*connect_failure=*/false));
  EXPECT_FALSE(by_default->retry_policy()->RetriesStatus(503));
  EXPECT_EQ(by_default->retry_policy()->per_try_timeout, absl::InfiniteDuration());

  EXPECT_EQ(action("h", "/disabled")->timeout(), absl::InfiniteDuration());

  const ForwardAction* custom = action("h", "/custom");
  EXPECT_EQ(custom->timeout(), absl::Milliseconds(2500));
  const RetryPolicy* policy = custom->retry_policy();
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->retry_on, RetryPolicy::k5xx | RetryPolicy::kGatewayError | RetryPolicy::kReset |
                                  RetryPolicy::kRetriableStatusCodes);
  EXPECT_EQ(policy->num_retries, 1u);  // Envoy's default
  EXPECT_EQ(policy->per_try_timeout, absl::Seconds(1));
  EXPECT_TRUE(policy->RetriesStatus(409));
  EXPECT_TRUE(policy->RetriesStatus(500));
  EXPECT_FALSE(policy->RetriesStatus(404));
  EXPECT_TRUE(policy->RetriesReset(false));

  RetryPolicy gateway_only;
  gateway_only.retry_on = RetryPolicy::kGatewayError;
  EXPECT_TRUE(gateway_only.RetriesStatus(502));
  EXPECT_TRUE(gateway_only.RetriesStatus(504));
  EXPECT_FALSE(gateway_only.RetriesStatus(500));

  EXPECT_EQ(action("plain.example.com", "/")->retry_policy(), nullptr);
}

// ---- Header manipulation ----------------------------------------------------------------

constexpr char kLeveledHeaders[] = R"pb(
  name: "web"
  request_headers_to_add {
    header { key: "x-level" value: "config" }
    append_action: OVERWRITE_IF_EXISTS_OR_ADD
  }
  request_headers_to_add { header { key: "x-trace" value: "config" } }
  request_headers_to_remove: "x-drop-config"
  virtual_hosts {
    name: "vh"
    domains: "*"
    request_headers_to_add {
      header { key: "x-level" value: "vhost" }
      append_action: OVERWRITE_IF_EXISTS_OR_ADD
    }
    request_headers_to_add { header { key: "x-trace" value: "vhost" } }
    routes {
      name: "r"
      match { prefix: "/" }
      route { cluster: "c" }
      request_headers_to_add {
        header { key: "X-Level" value: "route" }
        append_action: OVERWRITE_IF_EXISTS_OR_ADD
      }
      request_headers_to_add { header { key: "x-trace" value: "route" } }
      request_headers_to_remove: "X-Level"
    }
  }
)pb";

TEST(RouteTableTest, RequestHeaderLevelsApplyMostSpecificFirstByDefault) {
  auto table = MustBuild(kLeveledHeaders);
  ASSERT_NE(table, nullptr);
  ListHeaderMap headers({{"x-level", "client"}, {"x-trace", "client"}, {"x-drop-config", "1"}});
  table->Match(Request("h", "/")).route->ApplyRequestHeaderMutations(headers);
  // Route (remove x-level, then add), virtual host, route configuration: the route
  // configuration's overwrite comes last and wins; appends pile up in that order.
  EXPECT_THAT(headers.entries(), ElementsAre(Pair("x-trace", "client"), Pair("x-level", "config"),
                                             Pair("x-trace", "route"), Pair("x-trace", "vhost"),
                                             Pair("x-trace", "config")));
}

TEST(RouteTableTest, MostSpecificHeaderMutationsWinsReversesTheLevels) {
  RouteConfiguration config = ParseConfig(kLeveledHeaders);
  config.set_most_specific_header_mutations_wins(true);
  absl::StatusOr<RouteTableConstSharedPtr> table = RouteTable::Create(config);
  ASSERT_TRUE(table.ok()) << table.status();
  ListHeaderMap headers({{"x-level", "client"}, {"x-trace", "client"}, {"x-drop-config", "1"}});
  (*table)->Match(Request("h", "/")).route->ApplyRequestHeaderMutations(headers);
  EXPECT_THAT(headers.entries(), ElementsAre(Pair("x-trace", "client"), Pair("x-trace", "config"),
                                             Pair("x-trace", "vhost"), Pair("x-level", "route"),
                                             Pair("x-trace", "route")));
}

TEST(RouteTableTest, ResponseHeaderAppendActions) {
  auto table = MustBuild(OneHost(R"pb(
    routes {
      name: "r"
      match { prefix: "/" }
      route { cluster: "c" }
      response_headers_to_remove: "x-upstream-secret"
      response_headers_to_add {
        header { key: "server" value: "strata" }
        append_action: ADD_IF_ABSENT
      }
      response_headers_to_add {
        header { key: "x-new" value: "1" }
        append_action: ADD_IF_ABSENT
      }
      response_headers_to_add {
        header { key: "x-missing" value: "v" }
        append_action: OVERWRITE_IF_EXISTS
      }
      response_headers_to_add {
        header { key: "x-present" value: "new" }
        append_action: OVERWRITE_IF_EXISTS
      }
      response_headers_to_add { header { key: "x-empty" value: "" } }
      response_headers_to_add {
        header { key: "x-kept-empty" value: "" }
        keep_empty_value: true
      }
      response_headers_to_add {
        header { key: "x-legacy" value: "2" }
        append { value: false }
      }
      response_headers_to_add {
        header { key: "x-appended" value: "2" }
        append { value: true }
      }
      response_headers_to_add { header { key: "x-percent" value: "100%%" } }
      response_headers_to_add { header { key: "x-secret-again" value: "s" } }
    }
  )pb"));
  ASSERT_NE(table, nullptr);
  ListHeaderMap headers({{"server", "upstream"},
                         {"x-present", "old"},
                         {"x-legacy", "1"},
                         {"x-legacy", "1b"},
                         {"x-appended", "1"},
                         {"x-upstream-secret", "s"}});
  table->Match(Request("h", "/")).route->ApplyResponseHeaderMutations(headers);
  // Overwrites are applied first, then appends, each in configuration order.
  EXPECT_THAT(
      headers.entries(),
      ElementsAre(Pair("server", "upstream"), Pair("x-present", "new"), Pair("x-legacy", "2"),
                  Pair("x-appended", "1"), Pair("x-new", "1"), Pair("x-kept-empty", ""),
                  Pair("x-appended", "2"), Pair("x-percent", "100%"), Pair("x-secret-again", "s")));
}

// ---- Validation -----------------------------------------------------------------------------

TEST(RouteTableValidationTest, BadRegexNamesTheRoute) {
  EXPECT_EQ(BuildError(OneHost(R"pb(
              routes {
                match { prefix: "/" }
                route { cluster: "c" }
              }
              routes {
                match { prefix: "/b" }
                route { cluster: "c" }
              }
              routes {
                match { safe_regex { regex: "(" } }
                route { cluster: "c" }
              }
            )pb")),
            R"(route_config "web": virtual_hosts[0].routes[2].match: safe_regex "(": missing ')')");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match {
            prefix: "/"
            headers {
              name: "x"
              string_match { safe_regex { regex: "a**" } }
            }
          }
          route { cluster: "c" }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].match.headers[0].string_match: safe_regex "a**": invalid repetition operator at "**")");
  EXPECT_EQ(BuildError(OneHost(R"pb(
              routes {
                match { prefix: "/" }
                route {
                  cluster: "c"
                  regex_rewrite {
                    pattern { regex: "/(a)" }
                    substitution: "\\2"
                  }
                }
              }
            )pb")),
            "route_config \"web\": virtual_hosts[0].routes[0].route.regex_rewrite: substitution "
            "\"\\2\": Rewrite schema requests 2 matches, but the regexp only has 1 parenthesized "
            "subexpressions.");
}

TEST(RouteTableValidationTest, DuplicateDomains) {
  EXPECT_EQ(
      BuildError(R"pb(
        name: "web"
        virtual_hosts { name: "a" domains: "Example.com" }
        virtual_hosts { name: "b" domains: "x.org" domains: "example.COM" }
      )pb"),
      R"(route_config "web": virtual_hosts[1].domains[1]: duplicate domain "example.COM" (also in virtual host "a"))");
  EXPECT_EQ(
      BuildError(R"pb(
        name: "web"
        virtual_hosts { name: "a" domains: "*" }
        virtual_hosts { name: "b" domains: "*" }
      )pb"),
      R"(route_config "web": virtual_hosts[1].domains[0]: duplicate domain "*" (also in virtual host "a"))");
  EXPECT_EQ(
      BuildError(R"pb(
        name: "web"
        virtual_hosts { name: "a" domains: "*.x.org" domains: "*.X.org" }
      )pb"),
      R"(route_config "web": virtual_hosts[0].domains[1]: duplicate domain "*.X.org" (also in virtual host "a"))");
  EXPECT_EQ(BuildError(R"pb(
              name: "web"
              virtual_hosts { name: "a" domains: "a.org" }
              virtual_hosts { name: "a" domains: "b.org" }
            )pb"),
            R"(route_config "web": virtual_hosts[1]: duplicate virtual host name "a")");
  EXPECT_EQ(
      BuildError(R"pb(name: "web"
                      virtual_hosts { name: "a" domains: "a.org:8080" })pb"),
      R"(route_config "web": virtual_hosts[0].domains[0]: domain "a.org:8080" has a port; ports are ignored in host matching)");
  EXPECT_EQ(BuildError(R"pb(name: "web"
                            virtual_hosts { name: "a" })pb"),
            R"(route_config "web": virtual_hosts[0]: domains is empty)");
}

TEST(RouteTableValidationTest, UnsupportedFieldsAreRejected) {
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match {
            prefix: "/"
            grpc {}
          }
          route { cluster: "c" }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].match: field "grpc" of RouteMatch is not supported)");
  EXPECT_EQ(BuildError(R"pb(name: "web"
                            vhds { config_source { ads {} } })pb"),
            R"(route_config "web": field "vhds" of RouteConfiguration is not supported)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          route { cluster_header: "x-cluster" }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].route: field "cluster_header" of RouteAction is not supported)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          direct_response {
            status: 200
            body { filename: "/etc/passwd" }
          }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].direct_response.body: field "filename" of DataSource is not supported)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          route {
            weighted_clusters {
              clusters {
                name: "a"
                weight { value: 1 }
                host_rewrite_literal: "h"
              }
            }
          }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0]: field "host_rewrite_literal" of ClusterWeight is not supported)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          route {
            cluster: "c"
            retry_policy { retry_on: "5xx,refused-stream" }
          }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].route.retry_policy: retry_on value "refused-stream" is not supported)");

  // A field this build's proto does not even know.
  RouteConfiguration config = ParseConfig(OneHost(R"pb(
    routes {
      match { prefix: "/" }
      route { cluster: "c" }
    }
  )pb"));
  auto* match = config.mutable_virtual_hosts(0)->mutable_routes(0)->mutable_match();
  match->GetReflection()->MutableUnknownFields(match)->AddVarint(999, 1);
  EXPECT_EQ(
      BuildError(config),
      R"(route_config "web": virtual_hosts[0].routes[0].match: unknown field number 999 of RouteMatch)");
}

TEST(RouteTableValidationTest, ClusterErrors) {
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          route {
            weighted_clusters {
              clusters {
                name: "a"
                weight { value: 0 }
              }
              clusters { name: "b" }
            }
          }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].route.weighted_clusters: the cluster weights add up to 0)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          route { cluster: "" }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].route.cluster: cluster name is empty)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          route {
            weighted_clusters {
              clusters {
                name: "a"
                weight { value: 1 }
              }
              clusters { weight { value: 1 } }
            }
          }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1]: cluster name is empty)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(routes {
                                match { prefix: "/" }
                                route {}
                              })pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].route: one of cluster or weighted_clusters is required)");
}

TEST(RouteTableValidationTest, RouteStructureErrors) {
  EXPECT_EQ(
      BuildError(OneHost(R"pb(routes { match { prefix: "/" } })pb")),
      R"(route_config "web": virtual_hosts[0].routes[0]: one of route, redirect or direct_response is required)");
  EXPECT_EQ(BuildError(OneHost(R"pb(routes { route { cluster: "c" } })pb")),
            R"(route_config "web": virtual_hosts[0].routes[0]: match is required)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(routes {
                                match {}
                                route { cluster: "c" }
                              })pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].match: one of prefix, path, safe_regex or path_separated_prefix is required)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { path_separated_prefix: "/api/" }
          route { cluster: "c" }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].match: path_separated_prefix "/api/" must be non-empty, without '?' or '#', and must not end with '/')");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          route {
            cluster: "c"
            prefix_rewrite: "/x"
            regex_rewrite {
              pattern { regex: "a" }
              substitution: "b"
            }
          }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].route: prefix_rewrite and regex_rewrite cannot both be set)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          redirect { host_redirect: "a.org:80" port_redirect: 8080 }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].redirect: host_redirect "a.org:80" has a port and port_redirect is set)");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          direct_response { status: 700 }
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].direct_response: status 700 is not in [200, 599])");
  EXPECT_EQ(
      BuildError(R"pb(
        name: "web"
        max_direct_response_body_size_bytes { value: 4 }
        virtual_hosts {
          name: "vh"
          domains: "*"
          routes {
            match { prefix: "/" }
            direct_response {
              status: 200
              body { inline_string: "12345" }
            }
          }
        }
      )pb"),
      R"(route_config "web": virtual_hosts[0].routes[0].direct_response.body: body is 5 bytes, more than max_direct_response_body_size_bytes (4))");
  EXPECT_EQ(BuildError(OneHost(R"pb(
              routes {
                match { prefix: "/" }
                route {
                  cluster: "c"
                  timeout { seconds: -1 }
                }
              }
            )pb")),
            R"(route_config "web": virtual_hosts[0].routes[0].route.timeout: negative duration)");
}

TEST(RouteTableValidationTest, HeaderMutationErrors) {
  EXPECT_EQ(
      BuildError(R"pb(
        name: "web"
        virtual_hosts {
          name: "vh"
          domains: "*"
          request_headers_to_add {
            header { key: "x" value: "1" }
            append { value: true }
            append_action: OVERWRITE_IF_EXISTS
          }
        }
      )pb"),
      R"(route_config "web": virtual_hosts[0].request_headers_to_add[0]: append and append_action cannot both be set)");
  EXPECT_EQ(
      BuildError(R"pb(
        name: "web"
        response_headers_to_add { header { key: "x-client" value: "%DOWNSTREAM_REMOTE_ADDRESS%" } }
      )pb"),
      R"(route_config "web": response_headers_to_add[0].header: header value "%DOWNSTREAM_REMOTE_ADDRESS%" uses a %-substitution, which is not supported (write %% for a literal %))");
  EXPECT_EQ(
      BuildError(OneHost(R"pb(
        routes {
          match { prefix: "/" }
          route { cluster: "c" }
          request_headers_to_remove: ":path"
        }
      )pb")),
      R"(route_config "web": virtual_hosts[0].routes[0].request_headers_to_remove[0]: pseudo-header ":path" cannot be modified)");
  EXPECT_EQ(
      BuildError(R"pb(
        name: "web"
        request_headers_to_add { header { key: "Host" value: "x" } }
      )pb"),
      R"(route_config "web": request_headers_to_add[0].header: header "host" cannot be modified)");
  EXPECT_EQ(
      BuildError(R"pb(
        name: "web"
        request_headers_to_add { header { key: "bad name" value: "x" } }
      )pb"),
      R"(route_config "web": request_headers_to_add[0].header: "bad name" is not a valid header name)");
}

}  // namespace
}  // namespace strata::router
