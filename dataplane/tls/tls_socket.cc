#include "dataplane/tls/tls_socket.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>

#include "common/logging.h"
#include "common/tls_key_pair.h"
#include "dataplane/tls/client_hello.h"

namespace strata::tls {

namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kRecordPayload = 16 * 1024;  // one full TLS record per SSL_write
constexpr size_t kMaxObservedHello = 64 * 1024;

constexpr const char kSetupFailed[] = "TLS setup failed";
constexpr const char kNoNameToVerify[] = "TLS setup failed: no server name to verify";
constexpr const char kHandshakeSocketError[] = "TLS handshake failed: socket error";
constexpr const char kHandshakeClosed[] = "TLS handshake failed: connection closed by peer";
constexpr const char kHandshakeProtocolError[] = "TLS handshake failed: protocol error";
constexpr const char kNoCommonVersion[] = "TLS handshake failed: no common protocol version";
constexpr const char kNoSharedCipher[] = "TLS handshake failed: no shared cipher";
constexpr const char kPeerRejectedName[] = "TLS handshake failed: peer rejected the server name";
constexpr const char kPeerRejectedCertificate[] =
    "TLS handshake failed: peer rejected the certificate";
constexpr const char kPeerHandshakeFailure[] = "TLS handshake failed: peer reported a failure";
constexpr const char kPeerAlert[] = "TLS handshake failed: alert from peer";
constexpr const char kHostnameMismatch[] =
    "TLS handshake failed: peer certificate does not match the server name";
constexpr const char kUntrusted[] = "TLS handshake failed: peer certificate not trusted";
constexpr const char kExpired[] = "TLS handshake failed: peer certificate expired or not yet valid";
constexpr const char kInvalidCertificate[] = "TLS handshake failed: peer certificate invalid";
constexpr const char kReadError[] = "read error";
constexpr const char kWriteError[] = "write error";
constexpr const char kTruncated[] = "TLS connection truncated: peer closed without close_notify";
constexpr const char kProtocolError[] = "TLS protocol error";
constexpr const char kWriteFailed[] = "TLS write failed";

net::IoResult Ok() { return net::IoResult{}; }

}  // namespace

std::unique_ptr<TlsTransportSocket> TlsTransportSocket::CreateServer(
    std::shared_ptr<const ServerTlsContext> context) {
  std::unique_ptr<TlsTransportSocket> socket(
      new TlsTransportSocket(Mode::kServer, SSL_new(context->initial_ctx())));
  socket->server_context_ = std::move(context);
  if (socket->ssl_ != nullptr) SSL_set_accept_state(socket->ssl_);
  return socket;
}

std::unique_ptr<TlsTransportSocket> TlsTransportSocket::CreateClient(
    std::shared_ptr<const ClientTlsContext> context, std::string server_name) {
  std::unique_ptr<TlsTransportSocket> socket(
      new TlsTransportSocket(Mode::kClient, SSL_new(context->ctx())));
  if (server_name.empty()) {
    socket->server_name_ = context->server_name();
  } else {
    socket->server_name_ = std::move(server_name);
  }
  const bool verify = context->verify();
  socket->client_context_ = std::move(context);
  SSL* ssl = socket->ssl_;
  if (ssl == nullptr) return socket;
  SSL_set_connect_state(ssl);
  const std::string& name = socket->server_name_;
  // SNI carries host names only (RFC 6066).
  if (!name.empty() && !tls_internal::IsIpLiteral(name) &&
      SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    socket->failure_ = kSetupFailed;
  }
  if (verify && socket->client_context_->verify_name()) {
    // The names to accept: the configured subject alt names, else the server name.
    const std::vector<std::string>& sans = socket->client_context_->subject_alt_names();
    const std::vector<std::string> own = {name};
    const std::vector<std::string>& names = sans.empty() ? own : sans;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    // Configured names are subject alt names only (as Envoy matches them), never the CN.
    X509_VERIFY_PARAM_set_hostflags(param,
                                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
                                        (sans.empty() ? 0 : X509_CHECK_FLAG_NEVER_CHECK_SUBJECT));
    for (const std::string& accepted : names) {
      if (accepted.empty()) {
        socket->failure_ = kNoNameToVerify;
      } else if (tls_internal::IsIpLiteral(accepted)
                     ? X509_VERIFY_PARAM_set1_ip_asc(param, accepted.c_str()) != 1
                     : X509_VERIFY_PARAM_add1_host(param, accepted.data(), accepted.size()) != 1) {
        socket->failure_ = kSetupFailed;
      }
    }
  }
  ERR_clear_error();
  return socket;
}

TlsTransportSocket::TlsTransportSocket(Mode mode, SSL* ssl)
    : mode_(mode), ssl_(ssl), hello_observed_(mode == Mode::kClient) {
  BIO* bio = ssl_ != nullptr ? BIO_new(BioMethod()) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    failure_ = kSetupFailed;
    ERR_clear_error();
    return;
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns the one reference
  tls_internal::Attach(ssl_, &handshake_state_);
  SSL_set_info_callback(ssl_, &TlsTransportSocket::OnInfo);
}

TlsTransportSocket::~TlsTransportSocket() { SSL_free(ssl_); }

BIO_METHOD* TlsTransportSocket::BioMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "strata-transport");
    BIO_meth_set_read(m, &TlsTransportSocket::BioRead);
    BIO_meth_set_write(m, &TlsTransportSocket::BioWrite);
    BIO_meth_set_ctrl(m, &TlsTransportSocket::BioCtrl);
    return m;
  }();
  return method;
}

int TlsTransportSocket::BioRead(BIO* bio, char* out, int length) {
  auto* self = static_cast<TlsTransportSocket*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (self->fd_ < 0 || length <= 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  while (true) {
    const ssize_t n = recv(self->fd_, out, static_cast<size_t>(length), 0);
    if (n > 0) {
      if (!self->hello_observed_) {
        self->ObserveClientHello(absl::string_view(out, static_cast<size_t>(n)));
      }
      return static_cast<int>(n);
    }
    if (n == 0) {
      self->peer_eof_ = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_read(bio);
      return -1;
    }
    self->io_error_ = errno;
    return -1;
  }
}

int TlsTransportSocket::BioWrite(BIO* bio, const char* in, int length) {
  auto* self = static_cast<TlsTransportSocket*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (length > 0) self->out_.Append(in, static_cast<size_t>(length));
  return length;
}

long TlsTransportSocket::BioCtrl(BIO*, int command, long, void*) {  // NOLINT(google-runtime-int)
  // Flushing is ours to do after each library call; nothing else is supported.
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

void TlsTransportSocket::OnInfo(const SSL* ssl, int where, int value) {
  if ((where & SSL_CB_READ_ALERT) == 0) return;
  if (tls_internal::HandshakeState* state = tls_internal::Get(ssl)) {
    state->received_alert = value & 0xff;
  }
}

void TlsTransportSocket::ObserveClientHello(absl::string_view bytes) {
  hello_bytes_.append(bytes.data(), bytes.size());
  std::string name;
  const ClientHelloParse parse = ParseClientHelloServerName(hello_bytes_, &name);
  if (parse == ClientHelloParse::kNeedMore && hello_bytes_.size() < kMaxObservedHello) return;
  hello_observed_ = true;
  if (parse == ClientHelloParse::kDone) {
    handshake_state_.client_hello_parsed = true;
    handshake_state_.client_hello_server_name = std::move(name);
  }
  std::string().swap(hello_bytes_);
}

bool TlsTransportSocket::Flush() {
  while (!out_.empty() && fd_ >= 0) {
    const ssize_t n = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.Drain(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    io_error_ = n < 0 ? errno : EPIPE;
    return false;
  }
  return true;
}

net::IoResult TlsTransportSocket::Fail(const char* reason) {
  failure_ = reason;
  if (ERR_peek_error() != 0) {
    STRATA_LOG(DEBUG) << reason << ": " << DrainSslErrors();
  }
  net::IoResult result;
  result.action = net::IoResult::Action::kClose;
  result.error = reason;
  return result;
}

void TlsTransportSocket::OnConnected(int fd) {
  fd_ = fd;
  // The client speaks first: send the ClientHello now rather than on the first DoWrite (there
  // may be nothing to write until the handshake is done).
  if (mode_ == Mode::kClient && ssl_ != nullptr && failure_ == nullptr) ContinueHandshake();
}

net::IoResult TlsTransportSocket::ContinueHandshake() {
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  const int error = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
  const bool flushed = Flush();  // the next flight, or the alert that ends a failed handshake
  if (rc == 1 || error == SSL_ERROR_WANT_READ) {
    if (!flushed) return Fail(kHandshakeSocketError);
    if (rc == 1) OnHandshakeDone();
    return Ok();
  }
  return Fail(HandshakeFailure(error));
}

const char* TlsTransportSocket::HandshakeFailure(int ssl_error) const {
  if (handshake_state_.failure != nullptr) return handshake_state_.failure;
  if (io_error_ != 0) return kHandshakeSocketError;
  if (mode_ == Mode::kClient && client_context_->verify()) {
    switch (SSL_get_verify_result(ssl_)) {
      case X509_V_OK:
        break;
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return kHostnameMismatch;
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return kExpired;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return kUntrusted;
      default:
        return kInvalidCertificate;
    }
  }
  switch (handshake_state_.received_alert) {
    case -1:
      break;
    case SSL_AD_UNRECOGNIZED_NAME:
      return kPeerRejectedName;
    case SSL_AD_PROTOCOL_VERSION:
      return kNoCommonVersion;
    case SSL_AD_HANDSHAKE_FAILURE:
      return kPeerHandshakeFailure;
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
      return kPeerRejectedCertificate;
    default:
      return kPeerAlert;
  }
  if (peer_eof_ || ssl_error == SSL_ERROR_ZERO_RETURN) return kHandshakeClosed;
  const auto error = ERR_peek_error();
  if (ERR_GET_LIB(error) == ERR_LIB_SSL) {
    if (ERR_GET_REASON(error) == SSL_R_UNSUPPORTED_PROTOCOL) return kNoCommonVersion;
    if (ERR_GET_REASON(error) == SSL_R_NO_SHARED_CIPHER) return kNoSharedCipher;
  }
  return kHandshakeProtocolError;
}

void TlsTransportSocket::OnHandshakeDone() {
  handshake_done_ = true;
  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &protocol, &length);
  if (protocol != nullptr) alpn_.assign(reinterpret_cast<const char*>(protocol), length);
  if (mode_ == Mode::kServer) {
    const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
    server_name_ = name != nullptr ? name : "";
  }
}

net::IoResult TlsTransportSocket::DoRead(int fd, net::Buffer& out, size_t max_bytes) {
  fd_ = fd;
  if (failure_ != nullptr) return Fail(failure_);
  if (!handshake_done_) {
    const net::IoResult handshake = ContinueHandshake();
    if (handshake.action == net::IoResult::Action::kClose || !handshake_done_) return handshake;
  }
  net::IoResult result;
  const char* failure = nullptr;
  while (result.bytes < max_bytes) {
    const size_t want = std::min(kReadChunk, max_bytes - result.bytes);
    char* space = out.Reserve(want);
    const size_t room = std::min({out.Writable(), max_bytes - result.bytes, size_t{INT_MAX}});
    ERR_clear_error();
    const int n = SSL_read(ssl_, space, static_cast<int>(room));
    if (n > 0) {
      out.Commit(static_cast<size_t>(n));
      result.bytes += static_cast<size_t>(n);
      continue;
    }
    const int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_WANT_READ) break;
    if (error == SSL_ERROR_ZERO_RETURN) {
      received_close_notify_ = true;
      result.end_stream = true;
      // TLS 1.2 requires answering close_notify at once; TLS 1.3 lets our side keep sending
      // (a half-close), so there close_notify waits for Shutdown().
      if (SSL_version(ssl_) < TLS1_3_VERSION && !sent_close_notify_) {
        sent_close_notify_ = true;
        SSL_shutdown(ssl_);
      }
      break;
    }
    failure = peer_eof_ ? kTruncated : io_error_ != 0 ? kReadError : kProtocolError;
    break;
  }
  // Send what reading produced: session tickets, key updates, alerts, close_notify.
  if (!Flush() && failure == nullptr) failure = kWriteError;
  if (failure == nullptr) return result;
  if (result.bytes > 0 || result.end_stream) {
    // Hand over what arrived first; the failure is reported by the next call.
    failure_ = failure;
    return result;
  }
  return Fail(failure);
}

net::IoResult TlsTransportSocket::DoWrite(int fd, net::Buffer& in) {
  fd_ = fd;
  if (failure_ != nullptr) return Fail(failure_);
  if (!Flush()) return Fail(kWriteError);
  if (!handshake_done_) {
    const net::IoResult handshake = ContinueHandshake();
    if (handshake.action == net::IoResult::Action::kClose || !handshake_done_) return handshake;
  }
  net::IoResult result;
  // Encrypt only while the previous records are all in the kernel: the socket's backpressure
  // reaches the caller's buffer.
  while (!in.empty() && out_.empty()) {
    const int length = static_cast<int>(std::min(in.size(), kRecordPayload));
    ERR_clear_error();
    const int n = SSL_write(ssl_, in.data(), length);
    if (n > 0) {
      in.Drain(static_cast<size_t>(n));
      result.bytes += static_cast<size_t>(n);
      if (!Flush()) return Fail(kWriteError);
      continue;
    }
    if (SSL_get_error(ssl_, n) == SSL_ERROR_WANT_READ) break;
    Flush();
    return Fail(io_error_ != 0 ? kWriteError : kWriteFailed);
  }
  return result;
}

net::IoResult TlsTransportSocket::Shutdown(int fd) {
  fd_ = fd;
  if (failure_ != nullptr) return Fail(failure_);
  if (!handshake_done_ || sent_close_notify_) return Ok();
  sent_close_notify_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // queues close_notify; the peer's answer is not awaited
  ERR_clear_error();
  if (!Flush()) return Fail(kWriteError);
  return Ok();
}

void TlsTransportSocket::ReleaseIdleMemory() {
  // The library's record buffers go back by themselves (SSL_MODE_RELEASE_BUFFERS); this is the
  // ciphertext queue.
  out_.ReleaseIfEmpty();
}

absl::string_view TlsTransportSocket::Version() const {
  if (!handshake_done_) return {};
  return SSL_get_version(ssl_);
}

std::string TlsTransportSocket::PeerCertificateSubject() const {
  if (ssl_ == nullptr) return "";
  X509* peer = SSL_get_peer_certificate(ssl_);
  if (peer == nullptr) return "";
  char buffer[256];
  X509_NAME_oneline(X509_get_subject_name(peer), buffer, sizeof(buffer));
  X509_free(peer);
  return buffer;
}

bool TlsTransportSocket::SessionReused() const {
  return ssl_ != nullptr && SSL_session_reused(ssl_) == 1;
}

}  // namespace strata::tls
