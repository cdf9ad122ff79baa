#include "dataplane/upstream/health_checker.h"

#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "dataplane/net/connection.h"
#include "dataplane/net/listener.h"
#include "dataplane/upstream/load_balancer.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace strata::upstream {
namespace {

// Timers follow this clock; socket I/O is real.
class ManualMonotonicClock final : public event::MonotonicClock {
 public:
  event::MonoTime Now() const override { return now_; }
  void Advance(absl::Duration d) { now_ += absl::ToChronoNanoseconds(d); }

 private:
  event::MonoTime now_{};
};

// A tiny HTTP server on 127.0.0.1 in the test's own event loop. What it does with each request
// is set by `mode`.
class TestServer {
 public:
  enum class Mode {
    kStatus,      // answer with `status`, then close
    kHang,        // read the request, never answer
    kGarbage,     // answer with something that is not HTTP
    kCloseAtOnce  // close the connection as soon as it is accepted
  };

  explicit TestServer(event::Dispatcher& dispatcher) : dispatcher_(dispatcher) {
    auto fd = net::CreateListenSocket(*net::Address::Parse("127.0.0.1:0"));
    EXPECT_TRUE(fd.ok()) << fd.status();
    address_ = *net::LocalAddress(*fd);
    listener_ = std::make_unique<net::Listener>(
        dispatcher_, *fd, nullptr,
        [this](int fd, const net::Address& peer, const net::Address& local) {
          ++accepted;
          if (mode == Mode::kCloseAtOnce) {
            close(fd);
            return;
          }
          auto handler = std::make_unique<Handler>(*this);
          handler->connection = net::Connection::CreateServer(
              dispatcher_, fd, std::make_unique<net::RawTransportSocket>(), peer, local);
          handler->connection->SetCallbacks(handler.get());
          handlers_.push_back(std::move(handler));
        });
  }

  const net::Address& address() const { return address_; }

  Mode mode = Mode::kStatus;
  int status = 200;
  int accepted = 0;
  std::vector<std::string> requests;  // complete request heads received
  int closed_by_client = 0;           // connections the client closed before we did

 private:
  struct Handler : net::ConnectionCallbacks {
    explicit Handler(TestServer& s) : server(s) {}
    void OnData(net::Buffer& data, bool end_stream) override {
      received.append(data.data(), data.size());
      data.Drain(data.size());
      if (!answered && absl::StrContains(received, "\r\n\r\n")) {
        answered = true;
        server.requests.push_back(received);
        if (server.mode == Mode::kStatus) {
          connection->Write(
              absl::StrCat("HTTP/1.1 ", server.status, " Whatever\r\nContent-Length: 0\r\n\r\n"));
          connection->Close(net::Connection::CloseType::kFlushWrite);
        } else if (server.mode == Mode::kGarbage) {
          connection->Write("SSH-2.0-OpenSSH_9.2\r\n");
          connection->Close(net::Connection::CloseType::kFlushWrite);
        }
      }
      if (end_stream && !closed) {
        closed = true;
        ++server.closed_by_client;
        connection->Close(net::Connection::CloseType::kNoFlush);
      }
    }
    void OnEvent(net::ConnectionEvent event) override {
      if (event == net::ConnectionEvent::kRemoteClose && !closed) {
        closed = true;
        ++server.closed_by_client;
      }
      if (event == net::ConnectionEvent::kLocalClose) closed = true;
    }

    TestServer& server;
    std::unique_ptr<net::Connection> connection;
    std::string received;
    bool answered = false;
    bool closed = false;
  };

  event::Dispatcher& dispatcher_;
  net::Address address_;
  std::unique_ptr<net::Listener> listener_;
  std::vector<std::unique_ptr<Handler>> handlers_;
};

envoy::config::core::v3::HealthCheck Proto(const std::string& text) {
  envoy::config::core::v3::HealthCheck proto;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &proto)) << text;
  return proto;
}

constexpr char kBase[] =
    "timeout { seconds: 1 } interval { seconds: 10 } unhealthy_threshold { value: 2 } "
    "healthy_threshold { value: 2 } ";

bool Failed(const HostSharedPtr& host) {
  return (host->flags() & Host::kFailedActiveHealthCheck) != 0;
}

class HealthCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dispatcher = event::Dispatcher::Create("test", clock_);
    ASSERT_TRUE(dispatcher.ok()) << dispatcher.status();
    dispatcher_ = std::move(*dispatcher);
    server_ = std::make_unique<TestServer>(*dispatcher_);
    host_ = std::make_shared<Host>(server_->address(), 1, true);
  }
  void TearDown() override {
    checker_.reset();
    server_.reset();
    dispatcher_->RunOnce(absl::ZeroDuration());  // deferred deletions
  }

  HealthChecker& Make(const std::string& http = "http_health_check { path: \"/healthz\" }",
                      const std::string& base = kBase) {
    auto checker = HealthChecker::Create(Proto(base + http), "backend", *dispatcher_);
    EXPECT_TRUE(checker.ok()) << checker.status();
    checker_ = std::move(*checker);
    return *checker_;
  }

  // Runs the loop (real I/O, manual timers) until `done`, for at most `limit` of real time.
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + limit;
    while (!done()) {
      if (absl::Now() > deadline) return false;
      dispatcher_->RunOnce(absl::Milliseconds(20));
    }
    return true;
  }
  // Moves the timers' clock and runs one iteration.
  void Advance(absl::Duration d) {
    clock_.Advance(d);
    dispatcher_->RunOnce(absl::ZeroDuration());
  }
  // A few iterations with I/O, to give a wrong event the chance to happen.
  void Settle() {
    for (int i = 0; i < 5; ++i) dispatcher_->RunOnce(absl::Milliseconds(10));
  }
  const HealthChecker::Stats& stats() { return checker_->stats(); }

  ManualMonotonicClock clock_;
  std::unique_ptr<event::Dispatcher> dispatcher_;
  std::unique_ptr<TestServer> server_;
  HostSharedPtr host_;
  std::unique_ptr<HealthChecker> checker_;
};

TEST_F(HealthCheckerTest, ParsesConfigWithDefaults) {
  auto config = HealthChecker::ParseConfig(
      Proto(absl::StrCat(kBase, "http_health_check { path: \"/healthz\" }")), "backend", "hc");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->timeout, absl::Seconds(1));
  EXPECT_EQ(config->interval, absl::Seconds(10));
  EXPECT_FALSE(config->no_traffic_interval.has_value());
  EXPECT_EQ(config->unhealthy_threshold, 2u);
  EXPECT_EQ(config->healthy_threshold, 2u);
  EXPECT_EQ(config->host, "backend");
  EXPECT_EQ(config->expected_statuses, (std::vector<std::pair<int64_t, int64_t>>{{200, 201}}));
  auto explicit_host = HealthChecker::ParseConfig(
      Proto(absl::StrCat(kBase,
                         "reuse_connection { value: false } no_traffic_interval { seconds: 60 } "
                         "http_health_check { path: \"/h?x=1\" host: \"svc.internal\" method: GET "
                         "expected_statuses { start: 200 end: 300 } }")),
      "backend", "hc");
  ASSERT_TRUE(explicit_host.ok()) << explicit_host.status();
  EXPECT_EQ(explicit_host->host, "svc.internal");
  EXPECT_EQ(explicit_host->no_traffic_interval, absl::Seconds(60));
  EXPECT_EQ(explicit_host->expected_statuses,
            (std::vector<std::pair<int64_t, int64_t>>{{200, 300}}));
}

TEST_F(HealthCheckerTest, RejectsUnsupportedFieldsByNameAndBadValues) {
  const std::string http = "http_health_check { path: \"/h\" }";
  const std::pair<std::string, std::string> cases[] = {
      {absl::StrCat(kBase, "tcp_health_check {}"),
       "health_check.tcp_health_check: not supported by strata-proxy"},
      {absl::StrCat(kBase, http, " initial_jitter { seconds: 1 }"),
       "health_check.initial_jitter: not supported by strata-proxy"},
      {absl::StrCat(kBase, http, " unhealthy_interval { seconds: 1 }"),
       "health_check.unhealthy_interval: not supported by strata-proxy"},
      {absl::StrCat(kBase, http, " tls_options {alpn_protocols: \"h2\"}"),
       "health_check.tls_options: not supported by strata-proxy"},
      {absl::StrCat(kBase, "http_health_check { path: \"/h\" request_headers_to_remove: \"x\" }"),
       "health_check.http_health_check.request_headers_to_remove: not supported by strata-proxy"},
      {absl::StrCat(kBase, "http_health_check { path: \"/h\" codec_client_type: HTTP2 }"),
       "health_check.http_health_check.codec_client_type: not supported by strata-proxy"},
      {absl::StrCat(kBase, "http_health_check { path: \"/h\" method: HEAD }"),
       "health_check.http_health_check.method: only GET is supported"},
      {kBase,
       "health_check.http_health_check: required (strata-proxy implements HTTP health "
       "checks only)"},
      {"interval { seconds: 1 } unhealthy_threshold { value: 1 } healthy_threshold { value: 1 } " +
           http,
       "health_check.timeout: required"},
      {"timeout {} interval { seconds: 1 } unhealthy_threshold { value: 1 } healthy_threshold { "
       "value: 1 } " +
           http,
       "health_check.timeout: must be positive"},
      {"timeout { seconds: 1 } interval { seconds: 1 } healthy_threshold { value: 1 } " + http,
       "health_check.unhealthy_threshold: required"},
      {"timeout { seconds: 1 } interval { seconds: 1 } unhealthy_threshold { value: 1 } "
       "healthy_threshold { value: 0 } " +
           http,
       "health_check.healthy_threshold: must be at least 1"},
      {absl::StrCat(kBase, "reuse_connection { value: true } ", http),
       "health_check.reuse_connection: only false is supported (each check uses a new "
       "connection)"},
      {absl::StrCat(kBase, "http_health_check { path: \"healthz\" }"),
       "health_check.http_health_check.path: must start with '/'"},
      {absl::StrCat(kBase, "http_health_check { path: \"/a b\" }"),
       "health_check.http_health_check.path: only visible ASCII characters are allowed"},
      {absl::StrCat(kBase, "http_health_check { path: \"/\" host: \"a\\r\\nX: y\" }"),
       "health_check.http_health_check.host: only visible ASCII characters are allowed"},
      {absl::StrCat(kBase,
                    "http_health_check { path: \"/\" expected_statuses { start: 200 end: 200 } }"),
       "health_check.http_health_check.expected_statuses[0]: empty range [200, 200)"},
      {absl::StrCat(kBase,
                    "http_health_check { path: \"/\" expected_statuses { start: 200 end: "
                    "201 } retriable_statuses { start: 99 end: 200 } }"),
       "health_check.http_health_check.retriable_statuses[0]: [99, 200) is not within [100, "
       "600)"},
  };
  for (const auto& [text, error] : cases) {
    auto checker = HealthChecker::Create(Proto(text), "backend", *dispatcher_);
    ASSERT_FALSE(checker.ok()) << text;
    EXPECT_EQ(checker.status().message(), error) << text;
  }
}

TEST_F(HealthCheckerTest, HealthyServerPassesOnEveryInterval) {
  HealthChecker& checker = Make();
  checker.SetHosts({host_});
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 1; }));
  ASSERT_EQ(server_->requests.size(), 1u);
  EXPECT_EQ(server_->requests[0],
            "GET /healthz HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(checker.request(), server_->requests[0]);
  EXPECT_FALSE(Failed(host_));
  // Nothing before the interval has passed...
  Advance(absl::Seconds(9));
  Settle();
  EXPECT_EQ(stats().attempts, 1u);
  // ...then the next check.
  Advance(absl::Seconds(1));
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 2; }));
  EXPECT_EQ(stats().failures, 0u);
  EXPECT_FALSE(Failed(host_));
}

TEST_F(HealthCheckerTest, UnexpectedStatusFailsAtOnceAndRecoveryTakesHealthyThreshold) {
  server_->status = 503;
  HealthChecker& checker = Make();
  const uint64_t generation = HealthGeneration().load();
  checker.SetHosts({host_});
  ASSERT_TRUE(RunUntil([&] { return stats().failures == 1; }));
  EXPECT_EQ(stats().unexpected_statuses, 1u);
  EXPECT_TRUE(Failed(host_));  // despite unhealthy_threshold 2 (Envoy's rule for HTTP)
  EXPECT_FALSE(host_->Healthy());
  EXPECT_GT(HealthGeneration().load(), generation);

  server_->status = 200;
  Advance(absl::Seconds(10));
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 1; }));
  EXPECT_TRUE(Failed(host_));  // one success of two
  Advance(absl::Seconds(10));
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 2; }));
  EXPECT_FALSE(Failed(host_));
  EXPECT_TRUE(host_->Healthy());
}

TEST_F(HealthCheckerTest, RetriableStatusesCountTowardsTheUnhealthyThreshold) {
  server_->status = 503;
  HealthChecker& checker =
      Make("http_health_check { path: \"/healthz\" retriable_statuses { start: 503 end: 504 } }",
           "timeout { seconds: 1 } interval { seconds: 10 } unhealthy_threshold { value: 3 } "
           "healthy_threshold { value: 1 } ");
  checker.SetHosts({host_});
  auto check = [&](uint64_t n) {
    if (n > 1) Advance(absl::Seconds(10));
    ASSERT_TRUE(RunUntil([&] { return stats().successes + stats().failures == n; }));
  };
  check(1);
  check(2);
  EXPECT_FALSE(Failed(host_));
  server_->status = 200;  // a success resets the count
  check(3);
  server_->status = 503;
  check(4);
  check(5);
  EXPECT_FALSE(Failed(host_));
  check(6);
  EXPECT_TRUE(Failed(host_));
  EXPECT_EQ(stats().retriable_statuses, 5u);
  server_->status = 200;
  check(7);  // healthy_threshold 1
  EXPECT_FALSE(Failed(host_));
}

TEST_F(HealthCheckerTest, TimeoutsCountTowardsTheUnhealthyThreshold) {
  server_->mode = TestServer::Mode::kHang;
  HealthChecker& checker = Make();
  checker.SetHosts({host_});
  ASSERT_TRUE(RunUntil([&] { return server_->requests.size() == 1; }));
  Advance(absl::Milliseconds(999));
  Settle();
  EXPECT_EQ(stats().timeouts, 0u);
  Advance(absl::Milliseconds(1));
  EXPECT_EQ(stats().timeouts, 1u);
  EXPECT_FALSE(Failed(host_));
  // The abandoned connection is closed.
  ASSERT_TRUE(RunUntil([&] { return server_->closed_by_client == 1; }));

  Advance(absl::Seconds(10));
  ASSERT_TRUE(RunUntil([&] { return server_->requests.size() == 2; }));
  Advance(absl::Seconds(1));
  EXPECT_EQ(stats().timeouts, 2u);
  EXPECT_TRUE(Failed(host_));
}

TEST_F(HealthCheckerTest, RefusedConnectionsCountTowardsTheUnhealthyThreshold) {
  // Nothing listens on the port once the server is gone.
  const net::Address refused = server_->address();
  server_.reset();
  auto host = std::make_shared<Host>(refused, 1, true);
  HealthChecker& checker = Make();
  checker.SetHosts({host});
  ASSERT_TRUE(RunUntil([&] { return stats().connect_failures == 1; }));
  EXPECT_FALSE(Failed(host));
  Advance(absl::Seconds(10));
  ASSERT_TRUE(RunUntil([&] { return stats().connect_failures == 2; }));
  EXPECT_TRUE(Failed(host));
  EXPECT_EQ(stats().attempts, 2u);
}

TEST_F(HealthCheckerTest, NonHttpAnswersAndEarlyClosesAreFailures) {
  server_->mode = TestServer::Mode::kGarbage;
  HealthChecker& checker = Make();
  checker.SetHosts({host_});
  ASSERT_TRUE(RunUntil([&] { return stats().failures == 1; }));
  EXPECT_EQ(stats().bad_responses, 1u);
  EXPECT_FALSE(Failed(host_));
  server_->mode = TestServer::Mode::kCloseAtOnce;
  Advance(absl::Seconds(10));
  ASSERT_TRUE(RunUntil([&] { return stats().failures == 2; }));
  EXPECT_EQ(stats().closed_early, 1u);
  EXPECT_TRUE(Failed(host_));
}

TEST_F(HealthCheckerTest, HostsAreCheckedIndependently) {
  const net::Address refused = [] {
    auto fd = net::CreateListenSocket(*net::Address::Parse("127.0.0.1:0"));
    const net::Address address = *net::LocalAddress(*fd);
    close(*fd);
    return address;
  }();
  auto dead = std::make_shared<Host>(refused, 1, true);
  HealthChecker& checker =
      Make("http_health_check { path: \"/healthz\" }",
           "timeout { seconds: 1 } interval { seconds: 10 } unhealthy_threshold { value: 1 } "
           "healthy_threshold { value: 1 } ");
  checker.SetHosts({host_, dead});
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 1 && stats().failures == 1; }));
  EXPECT_FALSE(Failed(host_));
  EXPECT_TRUE(Failed(dead));
}

TEST_F(HealthCheckerTest, AHostAlreadyFailedKeepsTheFlagUntilItPassesTheHealthyThreshold) {
  SetHostFlag(*host_, Host::kFailedActiveHealthCheck, true);
  HealthChecker& checker = Make();
  checker.SetHosts({host_});
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 1; }));
  EXPECT_TRUE(Failed(host_));
  Advance(absl::Seconds(10));
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 2; }));
  EXPECT_FALSE(Failed(host_));
}

TEST_F(HealthCheckerTest, RemovedHostsStopBeingCheckedAndTheirCheckIsAbandoned) {
  server_->mode = TestServer::Mode::kHang;
  HealthChecker& checker = Make();
  checker.SetHosts({host_});
  ASSERT_TRUE(RunUntil([&] { return server_->requests.size() == 1; }));
  checker.SetHosts({});
  ASSERT_TRUE(RunUntil([&] { return server_->closed_by_client == 1; }));
  Advance(absl::Seconds(60));
  Settle();
  EXPECT_EQ(stats().attempts, 1u);
  EXPECT_EQ(stats().timeouts, 0u);
  EXPECT_FALSE(Failed(host_));
}

TEST_F(HealthCheckerTest, KeptHostsKeepTheirSchedule) {
  HealthChecker& checker = Make();
  checker.SetHosts({host_});
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 1; }));
  checker.SetHosts({host_, host_});  // same host (listed twice): no new check
  Settle();
  EXPECT_EQ(stats().attempts, 1u);
}

TEST_F(HealthCheckerTest, DestroyingTheCheckerMidCheckClosesTheConnection) {
  server_->mode = TestServer::Mode::kHang;
  HealthChecker& checker = Make();
  checker.SetHosts({host_});
  ASSERT_TRUE(RunUntil([&] { return server_->requests.size() == 1; }));
  checker_.reset();
  ASSERT_TRUE(RunUntil([&] { return server_->closed_by_client == 1; }));
  Advance(absl::Seconds(60));  // no timer of the checker may fire
  Settle();
}

TEST_F(HealthCheckerTest, NoTrafficIntervalAppliesUntilTrafficIsReported) {
  HealthChecker& checker = Make("http_health_check { path: \"/healthz\" }",
                                absl::StrCat(kBase, "no_traffic_interval { seconds: 60 } "));
  checker.SetHosts({host_});
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 1; }));
  Advance(absl::Seconds(10));
  Settle();
  EXPECT_EQ(stats().attempts, 1u);
  Advance(absl::Seconds(50));
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 2; }));
  checker.ReportTraffic();  // the check after next uses `interval`
  Advance(absl::Seconds(60));
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 3; }));
  Advance(absl::Seconds(10));
  ASSERT_TRUE(RunUntil([&] { return stats().successes == 4; }));
}

}  // namespace
}  // namespace strata::upstream
