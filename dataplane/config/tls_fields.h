#ifndef STRATA_DATAPLANE_CONFIG_TLS_FIELDS_H_
#define STRATA_DATAPLANE_CONFIG_TLS_FIELDS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/tls/tls_context.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/common.pb.h"

// Pieces of Envoy's TLS protos shared by downstream (listener) and upstream (cluster) TLS.
namespace strata::config {

// The bytes of a DataSource: `filename` (read now, at most 1 MiB), `inline_string` or
// `inline_bytes`.
absl::StatusOr<std::string> ReadDataSource(const envoy::config::core::v3::DataSource& source,
                                           absl::string_view path);

// A TlsCertificate's chain and key (both required).
absl::Status ReadCertificate(
    const envoy::extensions::transport_sockets::tls::v3::TlsCertificate& certificate,
    absl::string_view path, tls::CertificateConfig* out);

// `tls_params`: the minimum and maximum versions (TLS_AUTO: 1.2 and 1.3).
absl::Status ReadTlsParams(
    const envoy::extensions::transport_sockets::tls::v3::TlsParameters& params,
    absl::string_view path, tls::TlsVersion* min_version, tls::TlsVersion* max_version);

}  // namespace strata::config

#endif  // STRATA_DATAPLANE_CONFIG_TLS_FIELDS_H_
