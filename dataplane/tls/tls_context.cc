#include "dataplane/tls/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/tls_key_pair.h"

namespace strata::tls {

namespace {

constexpr const char kUnknownServerName[] = "TLS handshake failed: unknown server name";
constexpr const char kResumedForAnotherCertificate[] =
    "TLS handshake failed: session resumed under another server name";

int ProtocolVersion(TlsVersion version) {
  return version == TlsVersion::kTls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
}

std::string AsnTime(const ASN1_TIME* time) {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string out = "?";
  if (bio != nullptr && ASN1_TIME_print(bio, time) == 1) {
    const char* data = nullptr;
    const auto size = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<size_t>(size));
  }
  BIO_free(bio);
  return out;
}

// Lower case, without a trailing dot.
std::string NormalizeName(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<std::string> AlpnWire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const std::string& protocol : protocols) {
    if (protocol.empty() || protocol.size() > 255) {
      return absl::InvalidArgumentError(absl::StrCat("invalid ALPN protocol '", protocol, "'"));
    }
    wire.push_back(static_cast<char>(protocol.size()));
    wire.append(protocol);
  }
  return wire;
}

int ContextIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int HandshakeStateIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

namespace tls_internal {

void Attach(SSL* ssl, HandshakeState* state) { SSL_set_ex_data(ssl, HandshakeStateIndex(), state); }

HandshakeState* Get(const SSL* ssl) {
  return static_cast<HandshakeState*>(SSL_get_ex_data(ssl, HandshakeStateIndex()));
}

bool IsIpLiteral(const std::string& name) {
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), address) == 1 ||
         inet_pton(AF_INET6, name.c_str(), address) == 1;
}

}  // namespace tls_internal

SessionTicketKey SessionTicketKey::Random() {
  SessionTicketKey key;
  RAND_bytes(key.name.data(), key.name.size());
  RAND_bytes(key.hmac_key.data(), key.hmac_key.size());
  RAND_bytes(key.aes_key.data(), key.aes_key.size());
  return key;
}

void TicketKeyRing::Rotate(const SessionTicketKey& next) {
  absl::MutexLock lock(&mu_);
  previous_ = current_;
  current_ = next;
}

SessionTicketKey TicketKeyRing::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::optional<SessionTicketKey> TicketKeyRing::Find(const uint8_t* name, bool* is_current) const {
  absl::MutexLock lock(&mu_);
  if (std::memcmp(current_.name.data(), name, current_.name.size()) == 0) {
    *is_current = true;
    return current_;
  }
  if (previous_.has_value() &&
      std::memcmp(previous_->name.data(), name, previous_->name.size()) == 0) {
    *is_current = false;
    return previous_;
  }
  return std::nullopt;
}

absl::StatusOr<std::shared_ptr<const ServerTlsContext>> ServerTlsContext::Create(
    const std::vector<CertificateConfig>& certificates, const ServerTlsOptions& options) {
  std::shared_ptr<ServerTlsContext> context(new ServerTlsContext());
  const absl::Status status = context->Init(certificates, options);
  ERR_clear_error();
  if (!status.ok()) return status;
  for (const std::string& warning : context->warnings_) STRATA_LOG(WARNING) << warning;
  return std::shared_ptr<const ServerTlsContext>(std::move(context));
}

ServerTlsContext::~ServerTlsContext() {
  for (Certificate& certificate : certificates_) SSL_CTX_free(certificate.ctx);
  SSL_CTX_free(dispatch_ctx_);
}

absl::Status ServerTlsContext::Init(const std::vector<CertificateConfig>& certificates,
                                    const ServerTlsOptions& options) {
  if (certificates.empty()) return absl::InvalidArgumentError("no certificate configured");
  if (options.min_version > options.max_version) {
    return absl::InvalidArgumentError("TLS min_version is above max_version");
  }
  STRATA_ASSIGN_OR_RETURN(alpn_wire_, AlpnWire(options.alpn_protocols));
  ticket_keys_ =
      options.ticket_keys != nullptr ? options.ticket_keys : std::make_shared<TicketKeyRing>();

  default_ = options.default_certificate;
  if (default_.has_value() && *default_ >= certificates.size()) {
    return absl::InvalidArgumentError(absl::StrCat("default_certificate ", *default_,
                                                   " is out of range (", certificates.size(),
                                                   " certificates)"));
  }
  for (size_t i = 0; i < certificates.size(); ++i) {
    if (!certificates[i].is_default) continue;
    if (default_.has_value() && *default_ != i) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificates ", *default_, " and ", i, " are both marked as the default"));
    }
    default_ = i;
  }

  STRATA_ASSIGN_OR_RETURN(dispatch_ctx_, NewCtx(options));
  SSL_CTX_set_tlsext_servername_callback(dispatch_ctx_, &ServerTlsContext::OnServerName);
  SSL_CTX_set_tlsext_servername_arg(dispatch_ctx_, this);

  certificates_.resize(certificates.size());
  for (size_t i = 0; i < certificates.size(); ++i) {
    STRATA_RETURN_IF_ERROR(LoadCertificate(i, certificates[i], options));
  }
  return absl::OkStatus();
}

absl::StatusOr<SSL_CTX*> ServerTlsContext::NewCtx(const ServerTlsOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + DrainSslErrors());
  // Owned by the caller from here on (freed by the destructor once stored).
  SSL_CTX_set_min_proto_version(ctx, ProtocolVersion(options.min_version));
  SSL_CTX_set_max_proto_version(ctx, ProtocolVersion(options.max_version));
  uint64_t ssl_options = SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE;
#ifdef SSL_OP_NO_RENEGOTIATION
  ssl_options |= SSL_OP_NO_RENEGOTIATION;
#endif
  if (!options.session_tickets) ssl_options |= SSL_OP_NO_TICKET;
  SSL_CTX_set_options(ctx, ssl_options);
  // Idle connections give their record buffers back; SSL_write may be retried with a buffer
  // that moved (the connection's write buffer grows).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_set_cipher_list(ctx, options.cipher_list.c_str()) != 1) {
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(
        absl::StrCat("invalid cipher list '", options.cipher_list, "': ", DrainSslErrors()));
  }
  // Resumption is by tickets only: no per-process session cache to share between workers.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  static constexpr unsigned char kSessionContext[] = "strata";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  SSL_CTX_set_ex_data(ctx, ContextIndex(), this);
  if (!alpn_wire_.empty()) {
    SSL_CTX_set_alpn_select_cb(ctx, &ServerTlsContext::OnAlpnSelect, this);
  }
  if (options.session_tickets) {
    SSL_CTX_set_tlsext_ticket_key_cb(ctx, &ServerTlsContext::OnTicketKey);
  }
  return ctx;
}

absl::Status ServerTlsContext::LoadCertificate(size_t index, const CertificateConfig& config,
                                               const ServerTlsOptions& options) {
  STRATA_ASSIGN_OR_RETURN(TlsKeyPair pair,
                          ReadTlsKeyPair(config.cert_chain_pem, config.private_key_pem,
                                         absl::StrCat("certificate ", index)));
  Certificate& certificate = certificates_[index];
  certificate.subject = pair.subject;
  const std::string named = absl::StrCat("certificate ", index, " (", certificate.subject, ")");
  X509Ptr& leaf = pair.leaf;
  PkeyPtr& key = pair.key;
  std::vector<X509Ptr>& intermediates = pair.intermediates;

  STRATA_ASSIGN_OR_RETURN(certificate.ctx, NewCtx(options));
  if (SSL_CTX_use_certificate(certificate.ctx, leaf.get()) != 1 ||
      SSL_CTX_use_PrivateKey(certificate.ctx, key.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(named, ": cannot use the certificate: ", DrainSslErrors()));
  }
  for (X509Ptr& intermediate : intermediates) {
    if (SSL_CTX_add1_chain_cert(certificate.ctx, intermediate.get()) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(named, ": cannot add the chain: ", DrainSslErrors()));
    }
  }

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (X509_digest(leaf.get(), EVP_sha256(), digest, &digest_length) != 1 ||
      digest_length < certificate.tag.size()) {
    return absl::InternalError(absl::StrCat(named, ": cannot hash the certificate"));
  }
  std::memcpy(certificate.tag.data(), digest, certificate.tag.size());

  const Clock& clock = options.clock != nullptr ? *options.clock : RealClock::Get();
  time_t now = absl::ToTimeT(clock.Now());
  if (X509_cmp_time(X509_get0_notAfter(leaf.get()), &now) < 0) {
    warnings_.push_back(absl::StrCat(named, " expired on ", AsnTime(X509_get0_notAfter(leaf.get())),
                                     "; serving it anyway"));
  } else if (X509_cmp_time(X509_get0_notBefore(leaf.get()), &now) > 0) {
    warnings_.push_back(absl::StrCat(named, " is not valid before ",
                                     AsnTime(X509_get0_notBefore(leaf.get())),
                                     "; serving it anyway"));
  }

  if (!config.server_names.empty()) {
    for (const std::string& name : config.server_names) {
      STRATA_RETURN_IF_ERROR(AddName(index, name));
    }
  } else {
    for (const std::string& name : CertificateNames(leaf.get())) {
      absl::Status status = AddName(index, name);
      if (absl::IsAlreadyExists(status)) return status;
      if (!status.ok()) {
        warnings_.push_back(absl::StrCat(named, ": ignoring name: ", status.message()));
      }
    }
  }
  if (certificate.names.empty() && default_ != index) {
    return absl::InvalidArgumentError(
        absl::StrCat(named, " serves no server name and is not the default"));
  }
  return absl::OkStatus();
}

absl::Status ServerTlsContext::AddName(size_t index, absl::string_view raw) {
  const std::string name = NormalizeName(raw);
  const bool wildcard = absl::StartsWith(name, "*.");
  const absl::string_view key = wildcard ? absl::string_view(name).substr(2) : name;
  if (key.empty() || key.find('*') != absl::string_view::npos || key.front() == '.' ||
      key.find("..") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid server name '", raw, "'"));
  }
  auto& map = wildcard ? wildcard_ : exact_;
  const auto [it, inserted] = map.emplace(std::string(key), index);
  if (!inserted && it->second != index) {
    return absl::AlreadyExistsError(absl::StrCat(
        "server name '", name, "' is claimed by certificates ", it->second, " and ", index));
  }
  if (inserted) certificates_[index].names.push_back(name);
  return absl::OkStatus();
}

std::optional<size_t> ServerTlsContext::Match(absl::string_view server_name) const {
  const std::string name = NormalizeName(server_name);
  if (name.empty()) return std::nullopt;
  if (auto it = exact_.find(name); it != exact_.end()) return it->second;
  // A wildcard stands for exactly one non-empty label.
  const size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0) return std::nullopt;
  if (auto it = wildcard_.find(absl::string_view(name).substr(dot + 1)); it != wildcard_.end()) {
    return it->second;
  }
  return std::nullopt;
}

std::optional<size_t> ServerTlsContext::Select(const char* server_name) const {
  if (server_name != nullptr) {
    if (std::optional<size_t> index = Match(server_name)) return index;
  }
  return default_;
}

int ServerTlsContext::OnServerName(SSL* ssl, int* alert, void* arg) {
  const auto* self = static_cast<const ServerTlsContext*>(arg);
  tls_internal::HandshakeState* state = tls_internal::Get(ssl);
  const std::optional<size_t> index =
      self->Select(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
  if (!index.has_value()) {
    if (state != nullptr) state->failure = kUnknownServerName;
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  const Certificate& certificate = self->certificates_[*index];
  if (state != nullptr) {
    state->selected_certificate = static_cast<int>(*index);
    // A ticket is only accepted for the certificate it was issued with. The ticket callback
    // declines mismatches when it already knows the name; when the library decrypted the
    // ticket before the name was known and resumed, fail rather than mix the two.
    if (SSL_session_reused(ssl) && state->resumed_ticket_known &&
        state->resumed_ticket_certificate != certificate.tag) {
      state->failure = kResumedForAnotherCertificate;
      *alert = SSL_AD_HANDSHAKE_FAILURE;
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
  }
  if (SSL_set_SSL_CTX(ssl, certificate.ctx) == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

int ServerTlsContext::OnAlpnSelect(SSL*, const unsigned char** out, unsigned char* out_len,
                                   const unsigned char* in, unsigned int in_len, void* arg) {
  const auto* self = static_cast<const ServerTlsContext*>(arg);
  const absl::string_view ours = self->alpn_wire_;
  const absl::string_view theirs(reinterpret_cast<const char*>(in), in_len);
  // Server preference: the first of our protocols the client also offers.
  for (size_t i = 0; i < ours.size(); i += 1 + static_cast<uint8_t>(ours[i])) {
    const absl::string_view protocol = ours.substr(i + 1, static_cast<uint8_t>(ours[i]));
    for (size_t j = 0; j < theirs.size(); j += 1 + static_cast<uint8_t>(theirs[j])) {
      const absl::string_view offered = theirs.substr(j + 1, static_cast<uint8_t>(theirs[j]));
      if (offered == protocol) {
        *out = in + j + 1;
        *out_len = static_cast<unsigned char>(offered.size());
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;  // carry on without ALPN
}

int ServerTlsContext::OnTicketKey(SSL* ssl, unsigned char* key_name, unsigned char* iv,
                                  EVP_CIPHER_CTX* cipher, HMAC_CTX* hmac, int encrypt) {
  const auto* self = static_cast<const ServerTlsContext*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ContextIndex()));
  if (self == nullptr) return -1;
  tls_internal::HandshakeState* state = tls_internal::Get(ssl);
  constexpr size_t kNameSize = sizeof(SessionTicketKey::name);
  if (encrypt) {
    // The certificate this session was established with.
    const Certificate* certificate = nullptr;
    for (const Certificate& candidate : self->certificates_) {
      if (candidate.ctx == SSL_get_SSL_CTX(ssl)) certificate = &candidate;
    }
    if (certificate == nullptr) return -1;
    const SessionTicketKey key = self->ticket_keys_->Current();
    std::memcpy(key_name, key.name.data(), kNameSize);
    std::memcpy(key_name + kNameSize, certificate->tag.data(), certificate->tag.size());
    if (RAND_bytes(iv, EVP_CIPHER_iv_length(EVP_aes_256_cbc())) != 1 ||
        EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv) != 1 ||
        HMAC_Init_ex(hmac, key.hmac_key.data(), key.hmac_key.size(), EVP_sha256(), nullptr) != 1) {
      return -1;
    }
    return 1;
  }

  bool is_current = false;
  const std::optional<SessionTicketKey> key = self->ticket_keys_->Find(key_name, &is_current);
  if (!key.has_value()) return 0;  // unknown or retired key: full handshake
  std::optional<size_t> issued_for;
  for (size_t i = 0; i < self->certificates_.size(); ++i) {
    if (std::memcmp(self->certificates_[i].tag.data(), key_name + kNameSize, kNameSize) == 0) {
      issued_for = i;
    }
  }
  if (!issued_for.has_value()) return 0;  // that certificate is no longer served
  // The certificate this handshake is for: chosen already (BoringSSL runs the SNI callback
  // first), or derived from the SNI the socket read from the ClientHello (OpenSSL decrypts
  // tickets before it parses SNI). A ticket issued for another certificate is refused, which
  // means a full handshake. When neither is known the SNI callback makes the same check.
  bool known = false;
  std::optional<size_t> expected;
  if (state != nullptr && state->selected_certificate >= 0) {
    known = true;
    expected = static_cast<size_t>(state->selected_certificate);
  } else if (state != nullptr && state->client_hello_parsed) {
    known = true;
    const std::string& name = state->client_hello_server_name;
    expected = self->Select(name.empty() ? nullptr : name.c_str());
  } else if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
    known = true;
    expected = self->Select(name);
  }
  if (known && expected != issued_for) return 0;
  if (state != nullptr) {
    state->resumed_ticket_known = true;
    std::memcpy(state->resumed_ticket_certificate.data(), key_name + kNameSize, kNameSize);
  }
  if (HMAC_Init_ex(hmac, key->hmac_key.data(), key->hmac_key.size(), EVP_sha256(), nullptr) != 1 ||
      EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes_key.data(), iv) != 1) {
    return -1;
  }
  return is_current ? 1 : 2;  // 2: accepted, and issue a fresh ticket under the current key
}

absl::StatusOr<std::shared_ptr<const ClientTlsContext>> ClientTlsContext::Create(
    const ClientTlsOptions& options) {
  if (options.min_version > options.max_version) {
    return absl::InvalidArgumentError("TLS min_version is above max_version");
  }
  std::shared_ptr<ClientTlsContext> context(new ClientTlsContext());
  context->server_name_ = options.server_name;
  context->verify_ = !options.insecure_skip_verify;
  context->verify_name_ = options.verify_name;
  context->subject_alt_names_ = options.subject_alt_names;
  for (const std::string& name : options.subject_alt_names) {
    if (name.empty()) return absl::InvalidArgumentError("subject_alt_names: empty name");
    if (tls_internal::IsIpLiteral(name) && options.subject_alt_names.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat("subject_alt_names: an IP address (", name,
                                                     ") must be the only name to verify"));
    }
  }
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + DrainSslErrors());
  context->ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, ProtocolVersion(options.min_version));
  SSL_CTX_set_max_proto_version(ctx, ProtocolVersion(options.max_version));
  uint64_t ssl_options = SSL_OP_NO_COMPRESSION;
#ifdef SSL_OP_NO_RENEGOTIATION
  ssl_options |= SSL_OP_NO_RENEGOTIATION;
#endif
  SSL_CTX_set_options(ctx, ssl_options);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_set_cipher_list(ctx, options.cipher_list.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid cipher list '", options.cipher_list, "': ", DrainSslErrors()));
  }
  if (!options.alpn_protocols.empty()) {
    STRATA_ASSIGN_OR_RETURN(const std::string wire, AlpnWire(options.alpn_protocols));
    // Returns 0 on success.
    if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned int>(wire.size())) != 0) {
      return absl::InternalError("cannot set ALPN protocols: " + DrainSslErrors());
    }
  }
  if (options.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return std::shared_ptr<const ClientTlsContext>(std::move(context));
  }
  if (options.ca_pem.empty()) {
    return absl::InvalidArgumentError("ca_pem is required unless insecure_skip_verify is set");
  }
  auto cas = ReadPemCertificates(options.ca_pem);
  if (!cas.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse ca_pem: ", cas.status().message()));
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const X509Ptr& ca : *cas) {
    if (X509_STORE_add_cert(store, ca.get()) != 1) {
      return absl::InvalidArgumentError("cannot add a CA certificate: " + DrainSslErrors());
    }
  }
  // A trusted intermediate is an anchor of its own (Envoy's behaviour): the chain need not
  // reach a self-signed root.
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return std::shared_ptr<const ClientTlsContext>(std::move(context));
}

ClientTlsContext::~ClientTlsContext() { SSL_CTX_free(ctx_); }

}  // namespace strata::tls
