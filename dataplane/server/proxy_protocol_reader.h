#ifndef STRATA_DATAPLANE_SERVER_PROXY_PROTOCOL_READER_H_
#define STRATA_DATAPLANE_SERVER_PROXY_PROTOCOL_READER_H_

#include <memory>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/net/proxy_protocol.h"

namespace strata::server {

// The PROXY protocol listener filter for one accepted socket: peeks at the first bytes (the
// socket is not read into any buffer, so a TLS handshake that follows is untouched), takes
// the header off the socket once it is complete, and reports it. Without a header the
// connection fails, unless `allow_missing` and the first bytes are not a PROXY signature.
class ProxyProtocolReader : public event::DeferredDeletable {
 public:
  // `header` is empty when the connection had none (allowed) or on failure (`error` set).
  using Done = absl::AnyInvocable<void(ProxyProtocolReader& reader,
                                       std::optional<net::ProxyHeader> header, const char* error)>;

  ProxyProtocolReader(event::Dispatcher& dispatcher, int fd, absl::Duration timeout,
                      bool allow_missing, Done done);
  ~ProxyProtocolReader() override;  // closes the fd unless TakeFd() was called

  // Hands the socket over (after a successful Done).
  int TakeFd();

 private:
  void OnReadable();
  void Finish(std::optional<net::ProxyHeader> header, const char* error);

  event::Dispatcher& dispatcher_;
  int fd_;
  const bool allow_missing_;
  Done done_;
  std::unique_ptr<event::FileEvent> event_;
  std::unique_ptr<event::Timer> timer_;
  bool finished_ = false;
};

}  // namespace strata::server

#endif  // STRATA_DATAPLANE_SERVER_PROXY_PROTOCOL_READER_H_
