#include "common/admin_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"

namespace strata {
namespace {

// How long to stop accepting after accept() runs out of resources (e.g. EMFILE).
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(100);
constexpr size_t kReadChunk = 4096;

absl::Status ErrnoError(int error, std::string_view what) {
  return absl::ErrnoToStatus(error, std::string(what));
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
  }
  return "Unknown";
}

// The whole response, ready to send. `send_body` is false for HEAD.
std::string SerializeResponse(const AdminResponse& response, bool send_body) {
  std::string content_type = response.content_type;
  std::erase_if(content_type, [](char c) { return c == '\r' || c == '\n'; });
  std::string out =
      absl::StrCat("HTTP/1.1 ", response.status, " ", ReasonPhrase(response.status),
                   "\r\nContent-Type: ", content_type, "\r\nContent-Length: ", response.body.size(),
                   "\r\nConnection: close\r\n");
  if (response.status == 405) out += "Allow: GET, HEAD\r\n";
  out += "\r\n";
  if (send_body) out += response.body;
  return out;
}

AdminResponse ErrorResponse(int status, std::string_view reason) {
  return AdminResponse{status, "text/plain; charset=utf-8", std::string(reason) + "\n"};
}

// Length of the request head in `data` (through the blank line that ends it), or 0 if the
// blank line has not arrived. Lines end in "\r\n" or a bare "\n".
size_t HeadLength(std::string_view data) {
  for (size_t i = data.find('\n'); i != std::string_view::npos; i = data.find('\n', i + 1)) {
    if (i + 1 < data.size() && data[i + 1] == '\n') return i + 2;
    if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n') return i + 3;
  }
  return 0;
}

std::vector<std::string_view> SplitLines(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    size_t end = head.find('\n');
    std::string_view line = head.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    head.remove_prefix(end + 1);
  }
  return lines;
}

// Parses a request head. On failure returns false with the reason in `error`.
bool ParseRequestHead(std::string_view head, AdminRequest& request, std::string& error) {
  std::vector<std::string_view> lines = SplitLines(head);
  std::string_view request_line = lines.empty() ? std::string_view() : lines[0];
  size_t sp1 = request_line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || request_line.find(' ', sp2 + 1) != std::string_view::npos) {
    error = "malformed request line";
    return false;
  }
  std::string_view method = request_line.substr(0, sp1);
  std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = request_line.substr(sp2 + 1);
  if (!IsToken(method)) {
    error = "malformed request line: bad method";
    return false;
  }
  if (target.empty() || target[0] != '/' || std::any_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    error = "malformed request line: target must be an absolute path";
    return false;
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    error = "malformed request line: unsupported HTTP version";
    return false;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;  // the blank line ending the head
    size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos || !IsToken(lines[i].substr(0, colon))) {
      error = "malformed header line";
      return false;
    }
  }
  size_t question = target.find('?');
  request.method = std::string(method);
  request.path = std::string(target.substr(0, question));
  request.query =
      question == std::string_view::npos ? std::string() : std::string(target.substr(question + 1));
  return true;
}

absl::Status ParseAddress(const std::string& address, sockaddr_storage& storage,
                          socklen_t& length) {
  auto invalid = [&address](const char* why) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin address \"", address, "\": ", why,
                     " (want host:port with a numeric host, e.g. 127.0.0.1:9901 or [::1]:0)"));
  };
  std::string host;
  std::string port_text;
  bool ipv6 = !address.empty() && address[0] == '[';
  if (ipv6) {
    size_t close = address.find("]:");
    if (close == std::string::npos) return invalid("missing \"]:port\"");
    host = address.substr(1, close - 1);
    port_text = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos) return invalid("missing port");
    host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("bad port");
  }
  int port = 0;
  for (char c : port_text) port = port * 10 + (c - '0');
  if (port > 65535) return invalid("bad port");

  std::memset(&storage, 0, sizeof(storage));
  if (ipv6) {
    auto* addr = reinterpret_cast<sockaddr_in6*>(&storage);
    addr->sin6_family = AF_INET6;
    addr->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &addr->sin6_addr) != 1) return invalid("bad IPv6 host");
    length = sizeof(sockaddr_in6);
  } else {
    auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
    addr->sin_family = AF_INET;
    addr->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &addr->sin_addr) != 1) return invalid("bad IPv4 host");
    length = sizeof(sockaddr_in);
  }
  return absl::OkStatus();
}

struct Connection {
  enum class State { kReading, kWriting, kDraining };

  int fd = -1;
  State state = State::kReading;
  absl::Time deadline;
  std::string data;  // request bytes while reading, response bytes while writing
  size_t written = 0;

  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

int PollTimeoutMs(absl::Time now, absl::Time wake_at) {
  if (wake_at == absl::InfiniteFuture()) return -1;
  if (wake_at <= now) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(wake_at - now, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Create(const std::string& address,
                                                                 AdminServerOptions options) {
  if (options.read_timeout <= absl::ZeroDuration() || options.max_request_head_bytes == 0 ||
      options.max_connections < 1) {
    return absl::InvalidArgumentError("admin server options must be positive");
  }
  sockaddr_storage addr;
  socklen_t addr_len = 0;
  absl::Status parsed = ParseAddress(address, addr, addr_len);
  if (!parsed.ok()) return parsed;

  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(errno, "admin server: socket");
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return ErrnoError(errno, "admin server: setsockopt(SO_REUSEADDR)");
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    return ErrnoError(errno, absl::StrCat("admin server: bind ", address));
  }
  if (::listen(fd, SOMAXCONN) != 0) return ErrnoError(errno, "admin server: listen");
  sockaddr_storage bound;
  socklen_t bound_len = sizeof(bound);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    return ErrnoError(errno, "admin server: getsockname");
  }
  int port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return ErrnoError(errno, "admin server: eventfd");
  std::move(close_fd).Cancel();
  return std::unique_ptr<AdminServer>(new AdminServer(fd, wake_fd, port, options));
}

AdminServer::AdminServer(int listen_fd, int wake_fd, int port, AdminServerOptions options)
    : listen_fd_(listen_fd), wake_fd_(wake_fd), port_(port), options_(options) {}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Handle(std::string path, Handler handler) {
  absl::MutexLock lock(&mu_);
  handlers_[std::move(path)] = std::move(handler);
}

absl::Status AdminServer::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopped_) return absl::FailedPreconditionError("admin server already started");
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void AdminServer::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    thread = std::move(thread_);
  }
  uint64_t one = 1;
  while (::write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
  if (thread.joinable()) thread.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

AdminResponse AdminServer::Respond(const AdminRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return ErrorResponse(405, "method not allowed");
  }
  Handler handler;
  {
    absl::MutexLock lock(&mu_);
    auto it = handlers_.find(request.path);
    if (it != handlers_.end()) handler = it->second;
  }
  if (!handler) return ErrorResponse(404, "not found");
  AdminResponse response = handler(request);
  if (response.status < 100 || response.status > 599) {
    return ErrorResponse(500, "handler returned an invalid status");
  }
  return response;
}

void AdminServer::Run() {
  const size_t max_head = options_.max_request_head_bytes;
  std::vector<Connection> connections;
  std::vector<pollfd> fds;
  absl::Time accept_paused_until = absl::InfinitePast();
  char scratch[kReadChunk];

  // Queues `response` and starts sending it; the connection closes once it is sent.
  auto queue_response = [this](Connection& c, const AdminResponse& response, bool send_body) {
    c.data = SerializeResponse(response, send_body);
    c.written = 0;
    c.state = Connection::State::kWriting;
    c.deadline = absl::Now() + options_.read_timeout;
  };

  auto on_readable = [&](Connection& c) {
    // While reading, c.data.size() <= max_head. Read no further than one byte past the limit:
    // enough to tell that it was exceeded.
    ssize_t n = ::recv(c.fd, scratch, std::min(kReadChunk, max_head + 1 - c.data.size()), 0);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) c.Close();
      return;
    }
    if (n == 0) {  // the client gave up before finishing its request
      c.Close();
      return;
    }
    c.data.append(scratch, static_cast<size_t>(n));
    size_t head_length = HeadLength(c.data);
    if (head_length == 0 || head_length > max_head) {
      if (c.data.size() > max_head)
        queue_response(c, ErrorResponse(431, "request head too large"), true);
      return;
    }
    AdminRequest request;
    std::string error;
    if (!ParseRequestHead(std::string_view(c.data).substr(0, head_length), request, error)) {
      queue_response(c, ErrorResponse(400, error), true);
      return;
    }
    queue_response(c, Respond(request), request.method != "HEAD");
  };

  auto on_writable = [&](Connection& c) {
    ssize_t n = ::send(c.fd, c.data.data() + c.written, c.data.size() - c.written, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) c.Close();
      return;
    }
    c.written += static_cast<size_t>(n);
    if (c.written < c.data.size()) return;
    // Sent. Half-close and read until the client closes too: closing with unread request
    // bytes pending would reset the connection and could destroy the response in flight.
    ::shutdown(c.fd, SHUT_WR);
    c.data.clear();
    c.state = Connection::State::kDraining;
  };

  auto on_drainable = [&](Connection& c) {
    ssize_t n = ::recv(c.fd, scratch, sizeof(scratch), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) c.Close();
  };

  while (true) {
    absl::Time now = absl::Now();
    absl::Time wake_at = absl::InfiniteFuture();
    for (Connection& c : connections) {
      if (now >= c.deadline) {
        if (c.state == Connection::State::kReading) {
          queue_response(c, ErrorResponse(408, "request timeout"), true);
        } else {
          c.Close();
          continue;
        }
      }
      wake_at = std::min(wake_at, c.deadline);
    }
    std::erase_if(connections, [](const Connection& c) { return c.fd < 0; });

    bool accepting = static_cast<int>(connections.size()) < options_.max_connections;
    if (accepting && now < accept_paused_until) {
      accepting = false;
      wake_at = std::min(wake_at, accept_paused_until);
    }
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({accepting ? listen_fd_ : -1, POLLIN, 0});  // fd -1: ignored by poll
    for (const Connection& c : connections) {
      const auto events = static_cast<decltype(pollfd::events)>(
          c.state == Connection::State::kWriting ? POLLOUT : POLLIN);
      fds.push_back({c.fd, events, 0});
    }
    int ready = ::poll(fds.data(), fds.size(), PollTimeoutMs(now, wake_at));
    if (ready < 0) {
      if (errno == EINTR) continue;
      STRATA_LOG(ERROR) << "admin server: poll failed: " << std::strerror(errno);
      break;
    }
    if (fds[0].revents != 0) break;  // Stop()

    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& c = connections[i];
      if (fds[i + 2].revents == 0) continue;
      switch (c.state) {
        case Connection::State::kReading:
          on_readable(c);
          break;
        case Connection::State::kWriting:
          on_writable(c);
          break;
        case Connection::State::kDraining:
          on_drainable(c);
          break;
      }
    }

    if (fds[1].revents != 0) {
      while (static_cast<int>(connections.size()) < options_.max_connections) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
          connections.push_back(Connection{
              fd, Connection::State::kReading, absl::Now() + options_.read_timeout, {}, 0});
          continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          STRATA_LOG(WARNING) << "admin server: accept failed: " << std::strerror(errno);
          accept_paused_until = absl::Now() + kAcceptBackoff;
        }
        break;
      }
    }
  }
  for (Connection& c : connections) c.Close();
}

}  // namespace strata
