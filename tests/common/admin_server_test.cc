#include "common/admin_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kClientDeadline = absl::Seconds(10);

// A blocking client socket connected to the server, closed when destroyed.
class Client {
 public:
  explicit Client(int port, int family = AF_INET) {
    fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (family == AF_INET6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(static_cast<uint16_t>(port));
      addr.sin6_addr = in6addr_loopback;
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    }
    connect_errno_ = connected_ ? 0 : errno;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int connect_errno() const { return connect_errno_; }
  int fd() const { return fd_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Everything received until the server closes the connection; sets `closed` unless the
  // deadline passed first.
  std::string ReadUntilClosed(bool* closed = nullptr, absl::Duration timeout = kClientDeadline) {
    absl::Time deadline = absl::Now() + timeout;
    std::string data;
    if (closed != nullptr) *closed = false;
    while (true) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return data;
      pollfd pfd{fd_, POLLIN, 0};
      int ready = ::poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return data;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (closed != nullptr) *closed = true;
        return data;
      }
      data.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  int connect_errno_ = 0;
};

// Sends `request` on a new connection and returns the whole response.
std::string Exchange(int port, std::string_view request) {
  Client client(port);
  EXPECT_TRUE(client.connected());
  EXPECT_TRUE(client.Send(request));
  bool closed = false;
  std::string response = client.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed) << "server did not close the connection";
  return response;
}

std::string Body(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "<no head end>" : response.substr(end + 4);
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }

  void StartServer(AdminServerOptions options) {
    server_.reset();
    absl::StatusOr<std::unique_ptr<AdminServer>> server =
        AdminServer::Create("127.0.0.1:0", options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->Handle("/hello", [this](const AdminRequest& request) {
      absl::MutexLock lock(&mu_);
      last_request_ = request;
      return AdminResponse{200, "text/plain; version=0.0.4", "hello"};
    });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }

  int port() const { return server_->port(); }

  absl::Mutex mu_;
  AdminRequest last_request_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, ServesRegisteredPath) {
  std::string response =
      Exchange(port(), "GET /hello?verbose=1&x=%20 HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(response,
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; version=0.0.4\r\n"
            "Content-Length: 5\r\n"
            "Connection: close\r\n"
            "\r\n"
            "hello");
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(last_request_.method, "GET");
  EXPECT_EQ(last_request_.path, "/hello");
  EXPECT_EQ(last_request_.query, "verbose=1&x=%20");
}

TEST_F(AdminServerTest, AcceptsBareNewlinesAndHttp10) {
  std::string response = Exchange(port(), "GET /hello HTTP/1.0\n\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Body(response), "hello");
}

TEST_F(AdminServerTest, UnknownPathIs404) {
  EXPECT_EQ(Exchange(port(), "GET /nope HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 404 Not Found\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 10\r\n"
            "Connection: close\r\n"
            "\r\n"
            "not found\n");
  // The query is not part of the path.
  EXPECT_THAT(Exchange(port(), "GET /hello/?a HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404 "));
}

TEST_F(AdminServerTest, PostIs405) {
  std::string response =
      Exchange(port(), "POST /hello HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nAllow: GET, HEAD\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(Exchange(port(), "DELETE /nope HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 405 "));
}

TEST_F(AdminServerTest, HeadHasNoBody) {
  EXPECT_EQ(Exchange(port(), "HEAD /hello HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; version=0.0.4\r\n"
            "Content-Length: 5\r\n"
            "Connection: close\r\n"
            "\r\n");
  std::string not_found = Exchange(port(), "HEAD /nope HTTP/1.1\r\n\r\n");
  EXPECT_THAT(not_found, StartsWith("HTTP/1.1 404 "));
  EXPECT_EQ(Body(not_found), "");
}

TEST_F(AdminServerTest, MalformedRequestsAre400WithReason) {
  struct Case {
    std::string request;
    std::string reason;
  };
  const Case cases[] = {
      {"\x01\x02\xff garbage\r\n\r\n", "malformed request line"},
      {std::string("GET /\0 HTTP/1.1\r\n\r\n", 19), "target must be an absolute path"},
      {"\r\n\r\n", "malformed request line"},
      {"GET\r\n\r\n", "malformed request line"},
      {"GET /hello HTTP/1.1 extra\r\n\r\n", "malformed request line"},
      {"GET  /hello HTTP/1.1\r\n\r\n", "malformed request line"},
      {"G(T /hello HTTP/1.1\r\n\r\n", "bad method"},
      {"GET hello HTTP/1.1\r\n\r\n", "target must be an absolute path"},
      {"GET http://x/hello HTTP/1.1\r\n\r\n", "target must be an absolute path"},
      {"GET /hello HTTP/2.0\r\n\r\n", "unsupported HTTP version"},
      {"GET /hello http/1.1\r\n\r\n", "unsupported HTTP version"},
      {"GET /hello HTTP/1.1\r\nno colon here\r\n\r\n", "malformed header line"},
      {"GET /hello HTTP/1.1\r\n: empty name\r\n\r\n", "malformed header line"},
      {"GET /hello HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "malformed header line"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.request);
    std::string response = Exchange(port(), c.request);
    EXPECT_THAT(response, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
    EXPECT_THAT(Body(response), HasSubstr(c.reason));
  }
}

TEST_F(AdminServerTest, OversizedHeadIs431) {
  std::string big_header = "X-Big: " + std::string(9000, 'a') + "\r\n";
  std::string response = Exchange(port(), "GET /hello HTTP/1.1\r\n" + big_header + "\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  EXPECT_THAT(Body(response), HasSubstr("too large"));
  // Also when the head never ends.
  EXPECT_THAT(Exchange(port(), std::string(20000, 'G')), StartsWith("HTTP/1.1 431 "));
}

TEST_F(AdminServerTest, HeadUpToTheLimitIsServed) {
  std::string start = "GET /hello HTTP/1.1\r\nX-Pad: ";
  std::string request = start + std::string(8 * 1024 - start.size() - 4, 'p') + "\r\n\r\n";
  ASSERT_EQ(request.size(), 8u * 1024);
  EXPECT_THAT(Exchange(port(), request), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(AdminServerTest, HandlerCanBeAddedAfterStartAndChooseStatus) {
  server_->Handle("/ready", [](const AdminRequest&) {
    return AdminResponse{503, "application/json", "{\"ready\":false}"};
  });
  std::string response = Exchange(port(), "GET /ready HTTP/1.1\r\n\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nContent-Type: application/json\r\n"));
  EXPECT_EQ(Body(response), "{\"ready\":false}");
}

TEST_F(AdminServerTest, SilentClientIsTimedOut) {
  StartServer({.read_timeout = absl::Milliseconds(200)});
  absl::Time start = absl::Now();
  Client silent(port());
  ASSERT_TRUE(silent.connected());
  bool closed = false;
  std::string response = silent.ReadUntilClosed(&closed, absl::Seconds(5));
  absl::Duration elapsed = absl::Now() - start;
  EXPECT_TRUE(closed);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 408 Request Timeout\r\n"));
  EXPECT_GE(elapsed, absl::Milliseconds(190));
  EXPECT_LT(elapsed, absl::Seconds(3));
}

TEST_F(AdminServerTest, ClientStallingMidRequestIsTimedOut) {
  StartServer({.read_timeout = absl::Milliseconds(200)});
  Client slow(port());
  ASSERT_TRUE(slow.Send("GET /hello HTTP/1.1\r\nHost: x\r\n"));
  bool closed = false;
  std::string response = slow.ReadUntilClosed(&closed, absl::Seconds(5));
  EXPECT_TRUE(closed);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 408 "));
}

TEST_F(AdminServerTest, KeepsServingAfterBadClients) {
  StartServer({.read_timeout = absl::Milliseconds(200)});
  { Client connect_and_leave(port()); }
  {
    Client half_request(port());
    half_request.Send("GET /hel");
  }
  {
    // Reset instead of a normal close.
    Client reset(port());
    reset.Send("GET /hello HTTP/1.1\r\n");
    linger abort_on_close{1, 0};
    ::setsockopt(reset.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
  }
  {
    // Sends a request but never reads the response.
    Client deaf(port());
    deaf.Send("GET /hello HTTP/1.1\r\n\r\n");
    ::shutdown(deaf.fd(), SHUT_RD);
  }
  EXPECT_THAT(Exchange(port(), std::string("\0\0\0\r\n\r\n", 7)), StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(Exchange(port(), std::string(100000, '\n')), StartsWith("HTTP/1.1 400 "));
  EXPECT_EQ(Body(Exchange(port(), "GET /hello HTTP/1.1\r\n\r\n")), "hello");
}

TEST_F(AdminServerTest, ConnectionsBeyondTheLimitWaitTheirTurn) {
  StartServer({.read_timeout = absl::Milliseconds(200), .max_connections = 1});
  Client idle(port());
  ASSERT_TRUE(idle.connected());
  // Accepted only once the idle connection has been timed out.
  std::string response = Exchange(port(), "GET /hello HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Body(response), "hello");
  pollfd pfd{idle.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 0), 1) << "the idle connection should have had its 408 already";
  EXPECT_THAT(idle.ReadUntilClosed(), StartsWith("HTTP/1.1 408 "));
}

TEST_F(AdminServerTest, ConcurrentClientsAreServedIndependently) {
  StartServer({.read_timeout = absl::Seconds(5)});
  // A stalled client does not hold up others.
  Client stalled(port());
  ASSERT_TRUE(stalled.Send("GET /hello HTTP/1.1\r\n"));
  absl::Time start = absl::Now();
  EXPECT_EQ(Body(Exchange(port(), "GET /hello HTTP/1.1\r\n\r\n")), "hello");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST_F(AdminServerTest, StopClosesEverything) {
  Client open(port());
  ASSERT_TRUE(open.connected());
  int old_port = port();
  server_->Stop();
  server_->Stop();  // idempotent
  bool closed = false;
  open.ReadUntilClosed(&closed, absl::Seconds(5));
  EXPECT_TRUE(closed);
  Client refused(old_port);
  EXPECT_FALSE(refused.connected());
  EXPECT_EQ(refused.connect_errno(), ECONNREFUSED);
  EXPECT_EQ(server_->Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(AdminServerCreateTest, StartTwiceFails) {
  absl::StatusOr<std::unique_ptr<AdminServer>> server = AdminServer::Create("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Start().ok());
  EXPECT_EQ((*server)->Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(AdminServerCreateTest, DestroyWithoutStart) {
  absl::StatusOr<std::unique_ptr<AdminServer>> server = AdminServer::Create("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
}

TEST(AdminServerCreateTest, RejectsBadAddressesAndOptions) {
  for (const char* address : {"", "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x",
                              "127.0.0.1:65536", "127.0.0.1:-1", "1.2.3.4.5:80", "localhost:80",
                              "::1:80", "[::1]", "[::1]80", "[127.0.0.1]:0", "[::1]:123456"}) {
    SCOPED_TRACE(address);
    EXPECT_EQ(AdminServer::Create(address).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(
      AdminServer::Create("127.0.0.1:0", {.read_timeout = absl::ZeroDuration()}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AdminServer::Create("127.0.0.1:0", {.max_connections = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AdminServerCreateTest, PortInUse) {
  absl::StatusOr<std::unique_ptr<AdminServer>> first = AdminServer::Create("127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<AdminServer>> second =
      AdminServer::Create("127.0.0.1:" + std::to_string((*first)->port()));
  EXPECT_FALSE(second.ok());
}

TEST(AdminServerCreateTest, ServesOnIpv6Loopback) {
  absl::StatusOr<std::unique_ptr<AdminServer>> server = AdminServer::Create("[::1]:0");
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback: " << server.status();
  (*server)->Handle("/v6", [](const AdminRequest&) {
    return AdminResponse{200, "text/plain", "6"};
  });
  ASSERT_TRUE((*server)->Start().ok());
  Client client((*server)->port(), AF_INET6);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("GET /v6 HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(Body(client.ReadUntilClosed()), "6");
}

}  // namespace
}  // namespace strata
