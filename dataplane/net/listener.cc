#include "dataplane/net/listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace strata::net {

absl::StatusOr<int> CreateListenSocket(const Address& address, int backlog) {
  const int fd = socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (address.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, address.sockaddr_ptr(), address.length()) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("bind ", address.ToString(), ": ", std::strerror(err)));
  }
  if (listen(fd, backlog) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("listen ", address.ToString(), ": ", std::strerror(err)));
  }
  return fd;
}

absl::StatusOr<Address> LocalAddress(int fd) {
  sockaddr_storage storage{};
  socklen_t len = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len) != 0) {
    return absl::InternalError(absl::StrCat("getsockname: ", std::strerror(errno)));
  }
  return Address::FromSockaddr(reinterpret_cast<sockaddr*>(&storage), len);
}

Listener::Listener(event::Dispatcher& dispatcher, int fd, ConnectionLimit* limit, AcceptCallback cb)
    : dispatcher_(dispatcher), fd_(fd), limit_(limit), cb_(std::move(cb)) {
  event_ = dispatcher_.CreateFileEvent(fd_, [this](uint32_t events) {
    if (events & event::kRead) OnReadable();
  });
}

Listener::~Listener() { Stop(); }

void Listener::Stop() {
  event_.reset();
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

void Listener::OnReadable() {
  // Accept a bounded batch per wake-up, then yield to established connections.
  for (int i = 0; i < 64 && fd_ >= 0; ++i) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof(peer);
    const int fd =
        accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // EMFILE/ENFILE/ENOBUFS: retry on the next iteration rather than spin.
      STRATA_LOG(WARNING) << "accept: " << std::strerror(errno);
      event_->Activate(event::kRead);
      return;
    }
    if (limit_ != nullptr && !limit_->TryAcquire()) {
      ++rejected_;
      close(fd);
      continue;
    }
    ++accepted_;
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len);
    cb_(fd, Address::FromSockaddr(reinterpret_cast<sockaddr*>(&peer), peer_len),
        Address::FromSockaddr(reinterpret_cast<sockaddr*>(&local), local_len));
  }
  event_->Activate(event::kRead);  // more may be queued
}

}  // namespace strata::net
