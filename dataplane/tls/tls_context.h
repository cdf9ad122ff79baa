#ifndef STRATA_DATAPLANE_TLS_TLS_CONTEXT_H_
#define STRATA_DATAPLANE_TLS_TLS_CONTEXT_H_

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

// TLS configuration objects for the data plane, built once on the main thread and shared
// read-only by every worker.
//
// Only functions that both OpenSSL 3 and BoringSSL provide are used, so the library can be
// swapped. The legacy ticket-key callback (SSL_CTX_set_tlsext_ticket_key_cb) is the portable
// one; OpenSSL 3 marks it deprecated, hence OPENSSL_API_COMPAT in this package's BUILD file.

namespace strata::tls {

enum class TlsVersion { kTls12, kTls13 };

// One certificate a server can present.
struct CertificateConfig {
  // PEM: the leaf certificate first, then any intermediates.
  std::string cert_chain_pem;
  // PEM: the private key of the leaf (RSA of at least 2048 bits, or ECDSA). Unencrypted.
  std::string private_key_pem;
  // Names this certificate serves ("a.example", "*.a.example"). When empty they are taken from
  // the certificate: its subjectAltName DNS entries, or the subject CN when it has none.
  std::vector<std::string> server_names;
  // Served when the client's SNI matches no certificate (or it sent none).
  bool is_default = false;
};

// A session-ticket encryption key. A ticket's 16-byte key name is this 8-byte name followed by
// 8 bytes identifying the certificate the session was established with.
struct SessionTicketKey {
  std::array<uint8_t, 8> name{};
  std::array<uint8_t, 32> hmac_key{};  // HMAC-SHA256
  std::array<uint8_t, 32> aes_key{};   // AES-256-CBC
  // A key from the system's random generator.
  static SessionTicketKey Random();
};

// The current ticket key (encrypts new tickets) and the previous one (its tickets are still
// accepted and re-issued under the current key), so resumption survives one rotation.
// Thread-safe: the handshake callbacks read it on every worker. Share one ring between the
// contexts that should accept each other's tickets (a context built to rotate a certificate
// should take the ring of the context it replaces).
class TicketKeyRing {
 public:
  TicketKeyRing() : TicketKeyRing(SessionTicketKey::Random()) {}
  explicit TicketKeyRing(const SessionTicketKey& current) : current_(current) {}
  TicketKeyRing(const TicketKeyRing&) = delete;
  TicketKeyRing& operator=(const TicketKeyRing&) = delete;

  // Makes `next` (or a random key) current; the current key becomes the previous one and the
  // previous one is forgotten.
  void Rotate(const SessionTicketKey& next) ABSL_LOCKS_EXCLUDED(mu_);
  void Rotate() { Rotate(SessionTicketKey::Random()); }

  SessionTicketKey Current() const ABSL_LOCKS_EXCLUDED(mu_);
  // The key named `name`; `*is_current` tells whether it is the current one.
  std::optional<SessionTicketKey> Find(const uint8_t* name, bool* is_current) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  SessionTicketKey current_ ABSL_GUARDED_BY(mu_);
  std::optional<SessionTicketKey> previous_ ABSL_GUARDED_BY(mu_);
};

struct ServerTlsOptions {
  // ALPN protocols in the server's order of preference. A client offering none of them
  // proceeds without ALPN.
  std::vector<std::string> alpn_protocols = {"http/1.1"};
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  // TLS 1.2 cipher list (OpenSSL syntax). TLS 1.3 suites are the library's defaults (BoringSSL
  // does not make them configurable).
  std::string cipher_list =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
  // Index into the certificate list of the certificate served for unknown or missing SNI
  // (alternative to CertificateConfig::is_default). Without a default, such handshakes fail
  // with an unrecognized_name alert.
  std::optional<size_t> default_certificate;
  bool session_tickets = true;
  // Null: the context makes its own ring with a random key.
  std::shared_ptr<TicketKeyRing> ticket_keys;
  // Used to flag expired or not yet valid certificates. Null: the real clock.
  const Clock* clock = nullptr;
};

namespace tls_internal {

// Per-handshake facts shared between a TlsTransportSocket and the context's callbacks (which
// only get the SSL*). Attached to the SSL with Attach(); owned by the socket.
struct HandshakeState {
  int selected_certificate = -1;  // set by the SNI callback
  // The SNI read from the raw ClientHello (empty: none sent), when client_hello_parsed.
  bool client_hello_parsed = false;
  std::string client_hello_server_name;
  bool resumed_ticket_known = false;
  std::array<uint8_t, 8> resumed_ticket_certificate{};  // from the ticket's key name
  const char* failure = nullptr;  // a static reason set by a callback that failed the handshake
  int received_alert = -1;        // last alert the peer sent
};
void Attach(SSL* ssl, HandshakeState* state);
HandshakeState* Get(const SSL* ssl);
// Whether `name` is an IPv4 or IPv6 address literal.
bool IsIpLiteral(const std::string& name);

}  // namespace tls_internal

// Server-side TLS: certificates selected by SNI, ALPN, versions, ciphers and session tickets.
//
// Immutable once built; share it as std::shared_ptr<const ServerTlsContext>. Each connection's
// socket holds a reference, so the context (and the SSL_CTXs it owns) outlives every
// connection that uses it. To rotate certificates, build a new context from the complete new
// certificate list (passing the old context's ticket_keys() in the options so existing
// tickets stay valid) and swap the shared_ptr that new connections are created from, e.g. by
// publishing it to the workers like the rest of the configuration. New handshakes then use the
// new certificates; established connections keep the certificate they were set up with, and
// the old context is freed when its last connection closes.
class ServerTlsContext {
 public:
  static absl::StatusOr<std::shared_ptr<const ServerTlsContext>> Create(
      const std::vector<CertificateConfig>& certificates, const ServerTlsOptions& options);
  ~ServerTlsContext();
  ServerTlsContext(const ServerTlsContext&) = delete;
  ServerTlsContext& operator=(const ServerTlsContext&) = delete;

  // The SSL_CTX new server connections start from; the SNI callback moves each connection to
  // the SSL_CTX of the certificate it selects.
  SSL_CTX* initial_ctx() const { return dispatch_ctx_; }
  // Notes from loading (expired or not yet valid certificates); they do not fail Create().
  const std::vector<std::string>& warnings() const { return warnings_; }
  // The names certificate `index` serves (lower case).
  const std::vector<std::string>& server_names(size_t index) const {
    return certificates_[index].names;
  }
  size_t certificate_count() const { return certificates_.size(); }
  // The certificate serving `server_name`: an exact name first, then a wildcard "*.suffix"
  // covering exactly one more label. The default certificate is not considered.
  std::optional<size_t> Match(absl::string_view server_name) const;
  std::optional<size_t> default_certificate() const { return default_; }

  const std::shared_ptr<TicketKeyRing>& ticket_keys() const { return ticket_keys_; }
  // Rotates the ticket keys (shared with every context using the same ring). The ring is the
  // one mutable, internally synchronised part of a context.
  void RotateTicketKeys() const { ticket_keys_->Rotate(); }

 private:
  struct Certificate {
    SSL_CTX* ctx = nullptr;
    std::vector<std::string> names;
    std::string subject;
    std::array<uint8_t, 8> tag{};  // first bytes of the leaf's SHA-256, named in tickets
  };

  ServerTlsContext() = default;
  absl::Status Init(const std::vector<CertificateConfig>& certificates,
                    const ServerTlsOptions& options);
  absl::StatusOr<SSL_CTX*> NewCtx(const ServerTlsOptions& options);
  absl::Status LoadCertificate(size_t index, const CertificateConfig& config,
                               const ServerTlsOptions& options);
  absl::Status AddName(size_t index, absl::string_view name);
  // The certificate for a handshake's SNI (null when none), falling back to the default.
  std::optional<size_t> Select(const char* server_name) const;

  static int OnServerName(SSL* ssl, int* alert, void* arg);
  static int OnAlpnSelect(SSL* ssl, const unsigned char** out, unsigned char* out_len,
                          const unsigned char* in, unsigned int in_len, void* arg);
  static int OnTicketKey(SSL* ssl, unsigned char* key_name, unsigned char* iv,
                         EVP_CIPHER_CTX* cipher, HMAC_CTX* hmac, int encrypt);

  std::vector<Certificate> certificates_;
  // Has no certificate: a handshake the SNI callback did not move to a certificate's SSL_CTX
  // cannot succeed.
  SSL_CTX* dispatch_ctx_ = nullptr;
  absl::flat_hash_map<std::string, size_t> exact_;
  absl::flat_hash_map<std::string, size_t> wildcard_;  // "*.suffix" stored as "suffix"
  std::optional<size_t> default_;
  std::string alpn_wire_;  // length-prefixed protocol list
  std::shared_ptr<TicketKeyRing> ticket_keys_;
  std::vector<std::string> warnings_;
};

struct ClientTlsOptions {
  // SNI to send and the name to verify the server's certificate against (a DNS name or an IP
  // address). A socket may override it per connection.
  std::string server_name;
  // PEM bundle of the CAs to trust. Required unless insecure_skip_verify.
  std::string ca_pem;
  // Accept any server certificate. Only when explicitly asked for.
  bool insecure_skip_verify = false;
  // The names the server certificate may carry instead of server_name: DNS names (exact), or
  // one IP address. Empty: server_name is checked.
  std::vector<std::string> subject_alt_names;
  // Whether the certificate's name is checked at all. When false, a certificate that chains to
  // ca_pem is accepted for any name (Envoy's behaviour without SAN matchers).
  bool verify_name = true;
  std::vector<std::string> alpn_protocols;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  std::string cipher_list = ServerTlsOptions().cipher_list;
};

// Client-side TLS (upstream connections). Immutable; share as shared_ptr<const>.
class ClientTlsContext {
 public:
  static absl::StatusOr<std::shared_ptr<const ClientTlsContext>> Create(
      const ClientTlsOptions& options);
  ~ClientTlsContext();
  ClientTlsContext(const ClientTlsContext&) = delete;
  ClientTlsContext& operator=(const ClientTlsContext&) = delete;

  SSL_CTX* ctx() const { return ctx_; }
  const std::string& server_name() const { return server_name_; }
  bool verify() const { return verify_; }
  bool verify_name() const { return verify_name_; }
  const std::vector<std::string>& subject_alt_names() const { return subject_alt_names_; }

 private:
  ClientTlsContext() = default;

  SSL_CTX* ctx_ = nullptr;
  std::string server_name_;
  bool verify_ = true;
  bool verify_name_ = true;
  std::vector<std::string> subject_alt_names_;
};

}  // namespace strata::tls

#endif  // STRATA_DATAPLANE_TLS_TLS_CONTEXT_H_
