// The reflector against the stand-in API server (tests/kube/stand_in_apiserver.py, a real
// HTTP server process), over TLS with a bearer token, through the real libcurl client.
#include "controlplane/kube/reflector.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "controlplane/kube/api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/process.h"
#include "tests/kube/stand_in.h"

namespace strata::kube {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;

// ---- Backoff (pure) ---------------------------------------------------------------------

TEST(BackoffTest, DoublesToTheCapWithJitterAndResetsAfterQuiet) {
  Backoff backoff({absl::Milliseconds(800), absl::Seconds(30), absl::Minutes(2)});
  absl::Time now = absl::UnixEpoch();
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 8; ++i) {
    delays.push_back(backoff.Next(now, 0.0));
    now += absl::Seconds(1);
  }
  EXPECT_THAT(delays, ElementsAre(absl::Milliseconds(800), absl::Milliseconds(1600),
                                  absl::Milliseconds(3200), absl::Milliseconds(6400),
                                  absl::Milliseconds(12800), absl::Milliseconds(25600),
                                  absl::Seconds(30), absl::Seconds(30)));
  EXPECT_EQ(backoff.Next(now, 0.5), absl::Seconds(45));  // jitter stretches by up to 100 %
  EXPECT_EQ(backoff.Next(now + absl::Minutes(2), 0.0), absl::Milliseconds(800));
}

// ---- The stand-in API server ------------------------------------------------------------

// The stand-in, reached as strata-controlplane would reach it: through its kubeconfig.
class StandIn : public test::StandInApiServer {
 public:
  StandIn() : test::StandInApiServer(/*bookmark_interval_seconds=*/0.3) {}
  ApiServerConfig Config() const {
    absl::StatusOr<ApiServerConfig> config = KubeconfigConfig(kubeconfig());
    EXPECT_TRUE(config.ok()) << config.status();
    return config.ok() ? *config : ApiServerConfig();
  }
};

Json IngressObject(const std::string& ns, const std::string& name, const std::string& host) {
  return Json{{"apiVersion", "networking.k8s.io/v1"},
              {"kind", "Ingress"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", {{"rules", Json::array({{{"host", host}}})}}}};
}

// Keeps what the reflector reports, as an informer's store would.
class Store final : public ReflectorHandler {
 public:
  void Replace(std::vector<Json> objects) override {
    absl::MutexLock lock(&mu_);
    objects_.clear();
    for (Json& o : objects) {
      const std::string key = Key(o);  // before the move below
      objects_[key] = std::move(o);
    }
    ++replaces_;
  }
  void Apply(const WatchEvent& event) override {
    absl::MutexLock lock(&mu_);
    if (event.type == WatchEvent::Type::kDeleted) {
      objects_.erase(Key(event.object));
    } else {
      objects_[Key(event.object)] = event.object;
    }
  }
  // namespace/name → spec.rules[0].host, for comparing with what the test wrote.
  std::map<std::string, std::string> Hosts() const {
    absl::MutexLock lock(&mu_);
    std::map<std::string, std::string> out;
    for (const auto& [key, o] : objects_) out[key] = o["spec"]["rules"][0]["host"];
    return out;
  }
  bool AwaitHosts(const std::map<std::string, std::string>& expected) const {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (Hosts() == expected) return true;
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition::kTrue, absl::Milliseconds(20));
    }
    return false;
  }
  int replaces() const {
    absl::MutexLock lock(&mu_);
    return replaces_;
  }
  bool AllHaveKind() const {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, o] : objects_) {
      if (o.value("kind", "") != "Ingress" || o.value("apiVersion", "") != "networking.k8s.io/v1") {
        return false;
      }
    }
    return true;
  }

 private:
  static std::string Key(const Json& o) {
    return absl::StrCat(o["metadata"].value("namespace", ""), "/", o["metadata"].value("name", ""));
  }
  mutable absl::Mutex mu_;
  std::map<std::string, Json> objects_ ABSL_GUARDED_BY(mu_);
  int replaces_ ABSL_GUARDED_BY(mu_) = 0;
};

const ResourceType kIngresses{"networking.k8s.io", "v1", "ingresses", "Ingress"};

Reflector::Options FastOptions() {
  Reflector::Options options;
  options.page_size = 3;
  options.backoff = {absl::Milliseconds(50), absl::Milliseconds(200), absl::Minutes(2)};
  options.min_watch_timeout = absl::Seconds(30);
  return options;
}

class ReflectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = CurlApiClient::Create(server_.Config(), RealClock::Get());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  void Put(const std::string& ns, const std::string& name, const std::string& host) {
    const std::string path =
        absl::StrCat("/apis/networking.k8s.io/v1/namespaces/", ns, "/ingresses");
    auto created = client_->Call("POST", path, IngressObject(ns, name, host).dump());
    ASSERT_TRUE(created.ok()) << created.status();
    if (created->status == 409) {
      auto updated =
          client_->Call("PUT", absl::StrCat(path, "/", name), IngressObject(ns, name, host).dump());
      ASSERT_TRUE(updated.ok()) << updated.status();
      ASSERT_EQ(updated->status, 200) << updated->body;
      return;
    }
    ASSERT_EQ(created->status, 201) << created->body;
  }
  void Delete(const std::string& ns, const std::string& name) {
    auto deleted = client_->Call(
        "DELETE", absl::StrCat("/apis/networking.k8s.io/v1/namespaces/", ns, "/ingresses/", name),
        "");
    ASSERT_TRUE(deleted.ok()) << deleted.status();
    ASSERT_EQ(deleted->status, 200) << deleted->body;
  }

  StandIn server_;
  std::unique_ptr<ApiClient> client_;
  Store store_;
};

TEST_F(ReflectorTest, ListsInPagesThenFollowsTheWatch) {
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 7; ++i) {
    const std::string name = absl::StrCat("ing", i);
    Put("shop", name, absl::StrCat(name, ".example.com"));
    expected["shop/" + name] = name + ".example.com";
  }
  Reflector reflector(*client_, kIngresses, store_, RealClock::Get(), FastOptions());
  reflector.Start();
  ASSERT_TRUE(store_.AwaitHosts(expected));
  EXPECT_TRUE(store_.AllHaveKind());  // list items of built-in kinds come without kind

  Put("blog", "new", "new.example.com");
  expected["blog/new"] = "new.example.com";
  Put("shop", "ing3", "changed.example.com");
  expected["shop/ing3"] = "changed.example.com";
  Delete("shop", "ing5");
  expected.erase("shop/ing5");
  ASSERT_TRUE(store_.AwaitHosts(expected));
  const Reflector::Stats stats = reflector.stats();
  EXPECT_EQ(stats.lists, 1);
  EXPECT_EQ(stats.events, 3);
  EXPECT_EQ(stats.errors, 0) << stats.last_error;
}

TEST_F(ReflectorTest, AFieldSelectorFiltersTheListAndTheWatch) {
  Put("shop", "a", "a.example.com");
  Put("shop", "b", "b.example.com");
  const ResourceType only_a("networking.k8s.io", "v1", "ingresses", "Ingress",
                            /*optional=*/false, "metadata.name=a");
  Reflector reflector(*client_, only_a, store_, RealClock::Get(), FastOptions());
  reflector.Start();
  ASSERT_TRUE(store_.AwaitHosts({{"shop/a", "a.example.com"}}));
  // One watch delivers events in order: b's change, were it sent, would come before a's.
  Put("shop", "b", "b2.example.com");
  Put("shop", "a", "a2.example.com");
  ASSERT_TRUE(store_.AwaitHosts({{"shop/a", "a2.example.com"}}));
  EXPECT_EQ(reflector.stats().events, 1);
}

TEST_F(ReflectorTest, ADroppedWatchResumesWithoutARelist) {
  Put("shop", "a", "a.example.com");
  Reflector reflector(*client_, kIngresses, store_, RealClock::Get(), FastOptions());
  reflector.Start();
  ASSERT_TRUE(store_.AwaitHosts({{"shop/a", "a.example.com"}}));
  // Once the watch has had an event (a bookmark, every 0.3 s), its end is a normal one.
  ASSERT_TRUE(
      reflector.AwaitStats([](const auto& s) { return s.bookmarks >= 1; }, absl::Seconds(5)));
  server_.Fault("drop-watches");
  Put("shop", "b", "b.example.com");
  ASSERT_TRUE(store_.AwaitHosts({{"shop/a", "a.example.com"}, {"shop/b", "b.example.com"}}));
  ASSERT_TRUE(reflector.AwaitStats([](const auto& s) { return s.watches >= 1; }, absl::Seconds(5)));
  EXPECT_EQ(reflector.stats().lists, 1);
  EXPECT_EQ(store_.replaces(), 1);
}

// Compaction while the watch is down: the resumed watch is "too old" and the reflector
// relists, in both forms of 410 (KUBE_API.md §1.9).
void ExpectRelistAfterCompaction(StandIn& server, Store& store, ApiClient& client, bool as_status) {
  if (as_status) server.Fault("gone-as-status?on=true");
  Reflector reflector(client, kIngresses, store, RealClock::Get(), FastOptions());
  reflector.Start();
  ASSERT_TRUE(store.AwaitHosts({{"shop/a", "a.example.com"}}));
  ASSERT_TRUE(
      reflector.AwaitStats([](const auto& s) { return s.bookmarks >= 1; }, absl::Seconds(5)));
  server.Fault("down?seconds=60");  // ends the watch; the reflector retries after a backoff
  server.Fault("compact");
  ASSERT_TRUE(reflector.AwaitStats([](const auto& s) { return s.errors >= 1; }, absl::Seconds(5)));
  server.Fault("up");
  ASSERT_TRUE(reflector.AwaitStats([](const auto& s) { return s.lists >= 2; }, absl::Seconds(10)))
      << reflector.stats().last_error;
  EXPECT_THAT(reflector.stats().last_error, ::testing::HasSubstr("too old resource version"));
  EXPECT_EQ(store.replaces(), 2);
  // And the watch after the relist works.
  auto created = client.Call("POST", "/apis/networking.k8s.io/v1/namespaces/shop/ingresses",
                             IngressObject("shop", "b", "b.example.com").dump());
  ASSERT_TRUE(created.ok() && created->status == 201);
  EXPECT_TRUE(store.AwaitHosts({{"shop/a", "a.example.com"}, {"shop/b", "b.example.com"}}));
}

TEST_F(ReflectorTest, AnExpiredVersionInAnErrorEventRelists) {
  Put("shop", "a", "a.example.com");
  ExpectRelistAfterCompaction(server_, store_, *client_, /*as_status=*/false);
}

TEST_F(ReflectorTest, AnExpiredVersionAsHttp410Relists) {
  Put("shop", "a", "a.example.com");
  ExpectRelistAfterCompaction(server_, store_, *client_, /*as_status=*/true);
}

TEST_F(ReflectorTest, AServerBehindTheVersionSeenIsListedFromItsNewest) {
  // After a failover to an API server whose cache is behind, a relist from the last version
  // seen gets 504 "Too large resource version" (KUBE_API.md §1.4); the reflector lists the
  // newest state that server has instead of retrying the same request forever.
  Put("shop", "a", "a.example.com");
  Reflector reflector(*client_, kIngresses, store_, RealClock::Get(), FastOptions());
  reflector.Start();
  ASSERT_TRUE(store_.AwaitHosts({{"shop/a", "a.example.com"}}));
  ASSERT_TRUE(
      reflector.AwaitStats([](const auto& s) { return s.bookmarks >= 1; }, absl::Seconds(5)));
  server_.Fault("lagging?on=true");
  server_.Fault("down?seconds=60");
  server_.Fault("compact");  // the resumed watch gets 410: a relist from the last version
  ASSERT_TRUE(reflector.AwaitStats([](const auto& s) { return s.errors >= 1; }, absl::Seconds(5)));
  server_.Fault("up");
  ASSERT_TRUE(reflector.AwaitStats([](const auto& s) { return s.lists >= 2; }, absl::Seconds(10)))
      << reflector.stats().last_error;
  EXPECT_EQ(store_.replaces(), 2);
  Put("shop", "b", "b.example.com");
  EXPECT_TRUE(store_.AwaitHosts({{"shop/a", "a.example.com"}, {"shop/b", "b.example.com"}}));
}

TEST_F(ReflectorTest, ServerErrorsAndOutagesConvergeWithoutLosingChanges) {
  Put("shop", "a", "a.example.com");
  server_.Fault("fail?count=3");  // the first list attempts get 500
  Reflector reflector(*client_, kIngresses, store_, RealClock::Get(), FastOptions());
  reflector.Start();
  ASSERT_TRUE(store_.AwaitHosts({{"shop/a", "a.example.com"}}));
  EXPECT_GE(reflector.stats().errors, 3);
  EXPECT_THAT(reflector.stats().last_error, ::testing::HasSubstr("HTTP 500"));

  ASSERT_TRUE(
      reflector.AwaitStats([](const auto& s) { return s.bookmarks >= 1; }, absl::Seconds(5)));
  server_.Fault("down?seconds=60");
  ASSERT_TRUE(reflector.AwaitStats([](const auto& s) { return s.errors >= 4; }, absl::Seconds(5)));
  server_.Fault("up");
  // The reflector comes back by itself and sees what changes next.
  Put("shop", "b", "b.example.com");
  Delete("shop", "a");
  EXPECT_TRUE(store_.AwaitHosts({{"shop/b", "b.example.com"}}));
}

TEST_F(ReflectorTest, ARotatedTokenIsReadAgainAfterA401) {
  Put("shop", "a", "a.example.com");
  // The server now wants a new token, which the kubelet has written to the file.
  test::WriteFile(server_.dir() + "/token", "second-token\n");
  server_.Fault("token?value=second-token");
  auto response = client_->Call("GET", "/apis/networking.k8s.io/v1/ingresses", "");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
}

TEST(ApiClientTest, UntrustedServerCertificateIsRefused) {
  StandIn server;
  ApiServerConfig config = server.Config();
  config.ca_file.clear();  // the system's CAs do not know the stand-in's certificate
  auto client = CurlApiClient::Create(config, RealClock::Get());
  ASSERT_TRUE(client.ok());
  ApiClient& api = **client;
  auto response = api.Call("GET", "/api/v1/services", "");
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(absl::IsUnavailable(response.status())) << response.status();
  EXPECT_THAT(response.status().message(), ::testing::HasSubstr("certificate"));
}

}  // namespace
}  // namespace strata::kube
