#ifndef STRATA_DATAPLANE_NET_PROXY_PROTOCOL_H_
#define STRATA_DATAPLANE_NET_PROXY_PROTOCOL_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataplane/net/address.h"
#include "dataplane/net/transport_socket.h"

namespace strata::net {

// The PROXY protocol (versions 1 and 2, as specified by HAProxy): a header a load balancer in
// front of the proxy sends first on each connection, carrying the original client's address.
//
// Version 1 is one text line, at most 107 bytes with its CRLF:
//   "PROXY TCP4 <src ip> <dst ip> <src port> <dst port>\r\n" (TCP6 likewise), or
//   "PROXY UNKNOWN[ anything]\r\n".
// Version 2 is a 16-byte binary preamble (12-byte signature, version/command, family/transport,
// length) followed by the address block and optional TLVs.

// Longest version 1 header, CRLF included.
inline constexpr size_t kProxyProtocolV1MaxBytes = 107;
// Longest version 2 header strata accepts (preamble + address block + TLVs).
inline constexpr size_t kProxyProtocolV2MaxBytes = 4096;

enum class ProxyCommand {
  // Sent by the balancer itself (its own health checks): use the connection's real endpoints.
  kLocal,
  // Relayed on behalf of a client: the header's addresses (when any) replace the real ones.
  kProxy,
};

enum class ProxyFamily {
  kUnspec,  // v1 UNKNOWN, or v2 AF_UNSPEC: no addresses
  kInet,
  kInet6,
  // v2 AF_UNIX (stream). Accepted but treated as unknown: a filesystem path is no peer address
  // strata can use, so the connection's real endpoints apply. Its address block and TLVs are
  // still validated and skipped.
  kUnix,
};

struct ProxyHeader {
  int version = 0;  // 1 or 2
  ProxyCommand command = ProxyCommand::kLocal;
  ProxyFamily family = ProxyFamily::kUnspec;
  // Valid only when HasAddresses().
  Address source;
  Address destination;

  // True when the header names IP endpoints that replace the connection's own.
  bool HasAddresses() const { return command == ProxyCommand::kProxy && source.valid(); }
};

// Parses the PROXY protocol header at the start of a connection. Strict: anything that is not
// exactly a well-formed v1 or v2 header is an error (the caller closes the connection).
// Version 2 TLVs are checked for framing and skipped; their contents are ignored.
class ProxyProtocolParser {
 public:
  enum class Status {
    kNeedMore,  // a valid prefix of a header so far
    kDone,      // `consumed` bytes form the header; the bytes after them are application data
    kError,     // not a valid header: `error` says why
  };
  struct Result {
    Status status = Status::kNeedMore;
    size_t consumed = 0;  // kDone only
    ProxyHeader header;   // kDone only
    std::string error;    // kError only
  };

  // `data` is every byte received on the connection so far (the unconsumed read buffer): call
  // again with the same bytes plus any new ones after kNeedMore. Errors are reported as early
  // as the bytes allow (a bad signature on its first byte, an oversize v2 length as soon as
  // the length is in). The parser holds no state between calls, so a call costs at most one
  // scan of 107 bytes (v1) or of the v2 header once it is complete.
  Result Parse(absl::string_view data) const;
};

// A v1 line for the two endpoints: "PROXY TCP4 ..." / "PROXY TCP6 ...", or "PROXY UNKNOWN\r\n"
// when either address is invalid or the families differ.
std::string EncodeProxyProtocolV1(const Address& source, const Address& destination);
// A v2 PROXY header for the two endpoints, without TLVs; AF_UNSPEC (no addresses) when either
// address is invalid or the families differ.
std::string EncodeProxyProtocolV2(const Address& source, const Address& destination);
// A v2 LOCAL header (for connections the sender makes on its own behalf).
std::string EncodeProxyProtocolV2Local();

// Whether a PROXY header from `peer` may be believed: `peer` (the connection's real remote
// address) is inside one of the `trusted` ranges. An IPv4-mapped IPv6 peer matches IPv4
// ranges. An empty list trusts nobody.
bool Trusted(const Address& peer, const std::vector<CidrRange>& trusted);

// Sends a PROXY protocol header first on a client connection, then hands the connection to
// `inner` (plain TCP or TLS): the header goes out before any byte of the inner transport, as
// the receiver reads it before its own TLS handshake. The inner socket's OnConnected runs once
// the header is out.
class ProxyProtocolTransportSocket final : public TransportSocket {
 public:
  ProxyProtocolTransportSocket(std::string header, std::unique_ptr<TransportSocket> inner)
      : header_(std::move(header)), inner_(std::move(inner)) {}

  IoResult DoRead(int fd, Buffer& out, size_t max_bytes) override;
  IoResult DoWrite(int fd, Buffer& in) override;
  void OnConnected(int fd) override;
  bool Ready() const override { return header_done_ && inner_->Ready(); }
  absl::string_view Alpn() const override { return inner_->Alpn(); }
  absl::string_view ServerName() const override { return inner_->ServerName(); }
  bool Secure() const override { return inner_->Secure(); }
  void ReleaseIdleMemory() override { inner_->ReleaseIdleMemory(); }
  void OnClose(int fd) override {
    if (header_done_) inner_->OnClose(fd);
  }

  TransportSocket& inner() { return *inner_; }

 private:
  // Sends what is left of the header; once it is all out, starts the inner transport.
  IoResult SendHeader(int fd);

  std::string header_;  // freed once sent
  size_t sent_ = 0;
  bool connected_ = false;
  bool header_done_ = false;
  const char* error_ = nullptr;  // sticky
  std::unique_ptr<TransportSocket> inner_;
};

}  // namespace strata::net

#endif  // STRATA_DATAPLANE_NET_PROXY_PROTOCOL_H_
