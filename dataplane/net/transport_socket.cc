#include "dataplane/net/transport_socket.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace strata::net {

namespace {
constexpr size_t kReadChunk = 16 * 1024;
}  // namespace

IoResult RawTransportSocket::DoRead(int fd, Buffer& out, size_t max_bytes) {
  IoResult result;
  while (result.bytes < max_bytes) {
    const size_t want = std::min(kReadChunk, max_bytes - result.bytes);
    char* space = out.Reserve(want);
    const size_t room = std::min(out.Writable(), max_bytes - result.bytes);
    const ssize_t n = recv(fd, space, room, 0);
    if (n > 0) {
      out.Commit(static_cast<size_t>(n));
      result.bytes += static_cast<size_t>(n);
      if (static_cast<size_t>(n) < room) break;  // drained the socket for now
      continue;
    }
    if (n == 0) {
      result.end_stream = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    result.action = IoResult::Action::kClose;
    result.error = "read error";
    break;
  }
  return result;
}

IoResult RawTransportSocket::DoWrite(int fd, Buffer& in) {
  IoResult result;
  while (!in.empty()) {
    const ssize_t n = send(fd, in.data(), in.size(), MSG_NOSIGNAL);
    if (n > 0) {
      in.Drain(static_cast<size_t>(n));
      result.bytes += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    result.action = IoResult::Action::kClose;
    result.error = "write error";
    break;
  }
  return result;
}

}  // namespace strata::net
