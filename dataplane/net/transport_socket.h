#ifndef STRATA_DATAPLANE_NET_TRANSPORT_SOCKET_H_
#define STRATA_DATAPLANE_NET_TRANSPORT_SOCKET_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/net/buffer.h"

namespace strata::net {

struct IoResult {
  enum class Action { kKeepOpen, kClose };
  Action action = Action::kKeepOpen;
  size_t bytes = 0;             // bytes moved (application bytes for TLS)
  bool end_stream = false;      // the peer closed its side cleanly
  const char* error = nullptr;  // static string when action == kClose because of an error
};

// The layer between a connection and its fd: plain TCP or TLS (a pure transform).
class TransportSocket {
 public:
  virtual ~TransportSocket() = default;
  // Reads what is available into `out`, at most `max_bytes` (backpressure bound).
  virtual IoResult DoRead(int fd, Buffer& out, size_t max_bytes) = 0;
  // Writes as much of `in` as the socket takes, draining what was written.
  virtual IoResult DoWrite(int fd, Buffer& in) = 0;
  // Called once the TCP connection is established (client side) or accepted.
  virtual void OnConnected(int fd) {}
  // True once a handshake (if any) is done and application data can flow.
  virtual bool Ready() const { return true; }
  // Negotiated ALPN protocol and requested server name, empty when none.
  virtual absl::string_view Alpn() const { return {}; }
  virtual absl::string_view ServerName() const { return {}; }
  virtual bool Secure() const { return false; }
  // Frees per-connection buffers while the connection is idle (TLS record buffers).
  virtual void ReleaseIdleMemory() {}
  // The connection is about to close `fd` after a local close: last words (TLS close_notify).
  virtual void OnClose(int fd) {}
};

// Plain TCP.
class RawTransportSocket final : public TransportSocket {
 public:
  IoResult DoRead(int fd, Buffer& out, size_t max_bytes) override;
  IoResult DoWrite(int fd, Buffer& in) override;
};

}  // namespace strata::net

#endif  // STRATA_DATAPLANE_NET_TRANSPORT_SOCKET_H_
