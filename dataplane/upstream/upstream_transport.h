#ifndef STRATA_DATAPLANE_UPSTREAM_UPSTREAM_TRANSPORT_H_
#define STRATA_DATAPLANE_UPSTREAM_UPSTREAM_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/net/address.h"
#include "dataplane/net/transport_socket.h"
#include "dataplane/tls/tls_context.h"
#include "envoy/config/core/v3/base.pb.h"

namespace strata::upstream {

// How a cluster's connections to its hosts are made, from the Cluster's `transport_socket`:
//  - `envoy.transport_sockets.raw_buffer` (or none): plain TCP;
//  - `envoy.transport_sockets.tls` with an UpstreamTlsContext: TLS with `sni`, ALPN,
//    versions, and certificate verification against `validation_context.trusted_ca` (and its
//    subject-alt-name matchers, when given);
//  - `envoy.transport_sockets.upstream_proxy_protocol` (ProxyProtocolUpstreamTransport): a
//    PROXY protocol v1 or v2 header with the downstream client's addresses first, then one of
//    the above.
// Immutable; built on the main thread, shared by every worker and the health checker.
class UpstreamTransport {
 public:
  // `path` names the transport_socket in errors.
  static absl::StatusOr<std::shared_ptr<const UpstreamTransport>> Create(
      const envoy::config::core::v3::TransportSocket& transport_socket, absl::string_view path);
  // Plain TCP.
  static std::shared_ptr<const UpstreamTransport> Plain();

  // The PROXY protocol header a connection made for the downstream connection from `source`
  // to `destination` starts with (the client's addresses, after any PROXY protocol it came
  // with); empty when the cluster sends none. Invalid addresses (a health check) give a LOCAL
  // (v2) or UNKNOWN (v1) header. Connections with different headers must not be shared, so
  // this is also the key that keeps them apart in the connection pool.
  std::string ProxyHeader(const net::Address& source, const net::Address& destination) const;

  // A transport socket for a new connection; `proxy_header` is what ProxyHeader() gave.
  std::unique_ptr<net::TransportSocket> NewSocket(std::string proxy_header) const;

  int proxy_protocol_version() const { return proxy_protocol_version_; }  // 0: none
  bool tls() const { return tls_ != nullptr; }
  // Whether the server certificate is verified (TLS only).
  bool verifies_certificate() const { return tls_ != nullptr && tls_->verify(); }

 private:
  UpstreamTransport() = default;
  absl::Status ParseTls(const envoy::config::core::v3::TransportSocket& transport_socket,
                        absl::string_view path);

  int proxy_protocol_version_ = 0;
  std::shared_ptr<const tls::ClientTlsContext> tls_;
};
using UpstreamTransportConstSharedPtr = std::shared_ptr<const UpstreamTransport>;

}  // namespace strata::upstream

#endif  // STRATA_DATAPLANE_UPSTREAM_UPSTREAM_TRANSPORT_H_
