// Matching must not allocate: this binary counts every operator new and checks that a
// warmed-up table answers a mix of requests without one.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "dataplane/router/route_table.h"
#include "envoy/config/route/v3/route.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) std::abort();
  return p;
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace strata::router {
namespace {

class OneHeader : public HeaderLookup {
 public:
  std::optional<absl::string_view> Get(absl::string_view name) const override {
    if (name == "x-tenant") return absl::string_view("Acme-Corp");
    return std::nullopt;
  }
};

TEST(RouteTableAllocationTest, MatchingDoesNotAllocate) {
  envoy::config::route::v3::RouteConfiguration config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        name: "web"
        virtual_hosts {
          name: "exact"
          domains: "www.example.com"
          routes {
            name: "w"
            match { prefix: "/" }
            route { cluster: "c" }
          }
        }
        virtual_hosts {
          name: "suffix"
          domains: "*.example.com"
          routes {
            name: "s"
            match { prefix: "/" }
            route { cluster: "c" }
          }
        }
        virtual_hosts {
          name: "prefix"
          domains: "api.*"
          routes {
            name: "p"
            match { prefix: "/" }
            route { cluster: "c" }
          }
        }
        virtual_hosts {
          name: "default"
          domains: "*"
          routes {
            name: "tenant"
            match {
              prefix: "/t/"
              headers {
                name: "x-tenant"
                string_match { contains: "acme" ignore_case: true }
              }
              headers { name: "x-absent" present_match: true invert_match: true }
            }
            route { cluster: "c" }
          }
          routes {
            name: "regex-header"
            match {
              prefix: "/r"
              headers {
                name: "x-tenant"
                string_match { safe_regex { regex: "[A-Za-z]+-Corp" } }
              }
            }
            route { cluster: "c" }
          }
          routes {
            name: "exact"
            match { path: "/login" }
            route { cluster: "c" }
          }
          routes {
            name: "exact-ci"
            match {
              path: "/Logout"
              case_sensitive { value: false }
            }
            route { cluster: "c" }
          }
          routes {
            name: "items"
            match { safe_regex { regex: "/items/[0-9]+" } }
            route { cluster: "c" }
          }
          routes {
            name: "query"
            match {
              prefix: "/search"
              query_parameters {
                name: "q"
                string_match { prefix: "x" }
              }
            }
            route { cluster: "c" }
          }
          routes {
            name: "separated"
            match { path_separated_prefix: "/docs" }
            route { cluster: "c" }
          }
        }
      )pb",
      &config));
  absl::StatusOr<RouteTableConstSharedPtr> table = RouteTable::Create(config);
  ASSERT_TRUE(table.ok()) << table.status();

  const OneHeader headers;
  struct Case {
    const char* authority;
    const char* path;
    const char* want;  // route name, or "" for none
  };
  const Case cases[] = {
      {"WWW.example.com:443", "/", "w"},
      {"a.b.example.com", "/x", "s"},
      {"API.internal:8080", "/x", "p"},
      {"other.org", "/t/1", "tenant"},
      {"other.org", "/r", "regex-header"},
      {"other.org", "/login?next=/", "exact"},
      {"other.org", "/LOGOUT", "exact-ci"},
      {"other.org", "/items/123?x=1", "items"},
      {"other.org", "/search?a=1&q=xyz", "query"},
      {"other.org", "/docs/intro", "separated"},
      {"other.org", "/nothing", ""},
  };
  constexpr int kCases = sizeof(cases) / sizeof(cases[0]);
  const Route* found[kCases] = {};
  auto run = [&] {
    for (int i = 0; i < kCases; ++i) {
      RequestView request;
      request.authority = cases[i].authority;
      request.path = cases[i].path;
      request.method = "GET";
      request.scheme = "http";
      request.headers = &headers;
      found[i] = (*table)->Match(request).route;
    }
  };
  run();  // warm-up: lets RE2 build its lazily cached automata
  const long before = g_allocations.load();
  for (int round = 0; round < 100; ++round) run();
  const long allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0);

  // The counter does see allocations: a rewrite builds a new path string.
  RequestView long_path;
  long_path.authority = "other.org";
  long_path.path = "/items/1234567890123456789012345678901234567890";
  const Route* items = (*table)->Match(long_path).route;
  ASSERT_NE(items, nullptr);
  const long before_rewrite = g_allocations.load();
  const std::string rewritten = items->RewritePath(long_path);
  EXPECT_GT(g_allocations.load(), before_rewrite);
  EXPECT_EQ(rewritten, long_path.path);
  for (int i = 0; i < kCases; ++i) {
    EXPECT_EQ(found[i] == nullptr ? std::string() : found[i]->name(), cases[i].want)
        << cases[i].authority << cases[i].path;
  }
}

}  // namespace
}  // namespace strata::router
