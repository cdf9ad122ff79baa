#include "dataplane/config/tls_fields.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/config/proto_fields.h"

namespace strata::config {

namespace {

using envoy::extensions::transport_sockets::tls::v3::TlsParameters;

constexpr size_t kMaxDataSourceBytes = 1 << 20;

absl::StatusOr<tls::TlsVersion> Version(TlsParameters::TlsProtocol version, absl::string_view path,
                                        tls::TlsVersion automatic) {
  switch (version) {
    case TlsParameters::TLS_AUTO:
      return automatic;
    case TlsParameters::TLSv1_2:
      return tls::TlsVersion::kTls12;
    case TlsParameters::TLSv1_3:
      return tls::TlsVersion::kTls13;
    default:
      return absl::InvalidArgumentError(absl::StrCat(path, ": ",
                                                     TlsParameters::TlsProtocol_Name(version),
                                                     " is not supported (TLSv1_2 or TLSv1_3)"));
  }
}

}  // namespace

absl::StatusOr<std::string> ReadDataSource(const envoy::config::core::v3::DataSource& source,
                                           absl::string_view path) {
  STRATA_RETURN_IF_ERROR(
      CheckSupportedFields(source, {"filename", "inline_string", "inline_bytes"}, path));
  switch (source.specifier_case()) {
    case envoy::config::core::v3::DataSource::kInlineString:
      return source.inline_string();
    case envoy::config::core::v3::DataSource::kInlineBytes:
      return source.inline_bytes();
    case envoy::config::core::v3::DataSource::kFilename: {
      std::ifstream in(source.filename(), std::ios::binary);
      if (!in) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".filename: cannot read \"", source.filename(), "\""));
      }
      std::ostringstream text;
      text << in.rdbuf();
      if (text.str().size() > kMaxDataSourceBytes) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".filename: \"", source.filename(), "\" is bigger than 1 MiB"));
      }
      return text.str();
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(path, ": empty data source"));
  }
}

absl::Status ReadCertificate(
    const envoy::extensions::transport_sockets::tls::v3::TlsCertificate& certificate,
    absl::string_view path, tls::CertificateConfig* out) {
  STRATA_RETURN_IF_ERROR(
      CheckSupportedFields(certificate, {"certificate_chain", "private_key"}, path));
  if (!certificate.has_certificate_chain() || !certificate.has_private_key()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": certificate_chain and private_key are required"));
  }
  STRATA_ASSIGN_OR_RETURN(
      out->cert_chain_pem,
      ReadDataSource(certificate.certificate_chain(), FieldPath(path, "certificate_chain")));
  STRATA_ASSIGN_OR_RETURN(out->private_key_pem, ReadDataSource(certificate.private_key(),
                                                               FieldPath(path, "private_key")));
  return absl::OkStatus();
}

absl::Status ReadTlsParams(const TlsParameters& params, absl::string_view path,
                           tls::TlsVersion* min_version, tls::TlsVersion* max_version) {
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(
      params, {"tls_minimum_protocol_version", "tls_maximum_protocol_version"}, path));
  STRATA_ASSIGN_OR_RETURN(*min_version, Version(params.tls_minimum_protocol_version(),
                                                FieldPath(path, "tls_minimum_protocol_version"),
                                                tls::TlsVersion::kTls12));
  STRATA_ASSIGN_OR_RETURN(*max_version, Version(params.tls_maximum_protocol_version(),
                                                FieldPath(path, "tls_maximum_protocol_version"),
                                                tls::TlsVersion::kTls13));
  return absl::OkStatus();
}

}  // namespace strata::config
