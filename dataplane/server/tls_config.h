#ifndef STRATA_DATAPLANE_SERVER_TLS_CONFIG_H_
#define STRATA_DATAPLANE_SERVER_TLS_CONFIG_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/tls/tls_context.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"

namespace strata::server {

using Secret = envoy::extensions::transport_sockets::tls::v3::Secret;
// SDS secrets known so far, by name.
using SecretMap = std::map<std::string, Secret, std::less<>>;

// A downstream TLS setup (one filter chain's DownstreamTlsContext), validated. The
// certificate comes inline or from an SDS secret; `missing_secret` names a secret that is
// not known yet (the listener warms until it arrives).
struct DownstreamTls {
  tls::CertificateConfig certificate;
  std::string sds_secret;      // the secret's name when it comes from SDS
  std::string missing_secret;  // non-empty: not known yet
  std::vector<std::string> alpn_protocols;
  tls::TlsVersion min_version = tls::TlsVersion::kTls12;
  tls::TlsVersion max_version = tls::TlsVersion::kTls13;
};

absl::StatusOr<DownstreamTls> ParseDownstreamTls(
    const envoy::config::core::v3::TransportSocket& transport_socket, absl::string_view path,
    const SecretMap& secrets);

// Checks a Secret received over SDS (or from the bootstrap): only tls_certificate secrets,
// with a chain and a key.
absl::Status ValidateSecret(const Secret& secret, absl::string_view path);

}  // namespace strata::server

#endif  // STRATA_DATAPLANE_SERVER_TLS_CONFIG_H_
