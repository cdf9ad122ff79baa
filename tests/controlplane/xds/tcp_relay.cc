#include "tests/controlplane/xds/tcp_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace strata::testing {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpRelay>> TcpRelay::Create(int upstream_port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    absl::Status status = Errno("listen on 127.0.0.1");
    close(fd);
    return status;
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    absl::Status status = Errno("eventfd");
    close(fd);
    return status;
  }
  std::unique_ptr<TcpRelay> relay(new TcpRelay(fd, ntohs(addr.sin_port), wake, upstream_port));
  relay->thread_ = std::thread([r = relay.get()] { r->Run(); });
  return relay;
}

TcpRelay::~TcpRelay() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  for (const Pair& p : pairs_) {
    close(p.client_fd);
    close(p.upstream_fd);
  }
  close(listen_fd_);
  close(wake_fd_);
}

void TcpRelay::BlackHole() {
  {
    absl::MutexLock lock(&mu_);
    black_hole_ = true;
  }
  Wake();
}

uint64_t TcpRelay::upstream_pings() {
  absl::MutexLock lock(&mu_);
  return upstream_pings_;
}

bool TcpRelay::WaitForUpstreamPings(uint64_t pings, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this, pings]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return upstream_pings_ >= pings; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

void TcpRelay::Wake() {
  uint64_t one = 1;
  // A full counter still wakes the thread, so a failed write needs no handling.
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

void TcpRelay::Accept() {
  int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return;
  int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(upstream_port_);
  if (upstream < 0 || connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (upstream >= 0) close(upstream);
    close(client);
    return;
  }
  int one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  Pair& pair = pairs_.emplace_back();
  pair.client_fd = client;
  pair.upstream_fd = upstream;
}

bool TcpRelay::Copy(int from, int to, std::string* frames) {
  char buf[16384];
  ssize_t n = recv(from, buf, sizeof(buf), 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  if (!WriteAll(to, buf, static_cast<size_t>(n))) return false;
  if (frames == nullptr) return true;
  // HTTP/2 frames: a 9-byte header (24-bit length, type, flags, stream id), then the payload.
  // The server side of a connection sends no preface, so frames start at the first byte.
  frames->append(buf, static_cast<size_t>(n));
  size_t pos = 0;
  uint64_t pings = 0;
  while (frames->size() - pos >= 9) {
    const auto* h = reinterpret_cast<const unsigned char*>(frames->data() + pos);
    const size_t length = (size_t{h[0]} << 16) | (size_t{h[1]} << 8) | h[2];
    if (frames->size() - pos < 9 + length) break;
    constexpr unsigned char kPing = 0x6, kAck = 0x1;
    if (h[3] == kPing && (h[4] & kAck) == 0) ++pings;
    pos += 9 + length;
  }
  frames->erase(0, pos);
  if (pings > 0) {
    absl::MutexLock lock(&mu_);
    upstream_pings_ += pings;
  }
  return true;
}

void TcpRelay::Run() {
  while (true) {
    bool black_hole;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      black_hole = black_hole_;
    }
    // [wake, listen, then client and upstream of each pair]; a black hole polls none of the
    // connections, so their bytes stay unread in the kernel.
    std::vector<pollfd> fds = {{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    if (!black_hole) {
      for (const Pair& p : pairs_) {
        fds.push_back({p.client_fd, POLLIN, 0});
        fds.push_back({p.upstream_fd, POLLIN, 0});
      }
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
      continue;  // re-read the state before touching any connection
    }
    if (fds[1].revents & POLLIN) Accept();
    if (black_hole) continue;
    const size_t polled = (fds.size() - 2) / 2;
    std::vector<Pair> open;
    for (size_t i = 0; i < polled; ++i) {
      Pair& p = pairs_[i];
      bool ok = true;
      if (fds[2 + 2 * i].revents != 0) ok = Copy(p.client_fd, p.upstream_fd, nullptr);
      if (ok && fds[3 + 2 * i].revents != 0) {
        ok = Copy(p.upstream_fd, p.client_fd, &p.upstream_bytes);
      }
      if (ok) {
        open.push_back(std::move(p));
      } else {
        close(p.client_fd);
        close(p.upstream_fd);
      }
    }
    // Pairs accepted during this round were not polled yet; keep them.
    for (size_t i = polled; i < pairs_.size(); ++i) open.push_back(std::move(pairs_[i]));
    pairs_ = std::move(open);
  }
}

}  // namespace strata::testing
