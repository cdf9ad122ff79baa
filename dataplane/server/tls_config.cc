#include "dataplane/server/tls_config.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/config/proto_fields.h"
#include "dataplane/config/tls_fields.h"

namespace strata::server {

namespace {

using config::CheckSupportedFields;
using config::FieldPath;
using config::ReadCertificate;
using envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext;

}  // namespace

absl::Status ValidateSecret(const Secret& secret, absl::string_view path) {
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(secret, {"name", "tls_certificate"}, path));
  if (!secret.has_tls_certificate()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": tls_certificate is required"));
  }
  tls::CertificateConfig certificate;
  return ReadCertificate(secret.tls_certificate(), FieldPath(path, "tls_certificate"),
                         &certificate);
}

absl::StatusOr<DownstreamTls> ParseDownstreamTls(
    const envoy::config::core::v3::TransportSocket& transport_socket, absl::string_view path,
    const SecretMap& secrets) {
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(transport_socket, {"name", "typed_config"}, path));
  DownstreamTlsContext context;
  if (!transport_socket.typed_config().UnpackTo(&context)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".typed_config: ", transport_socket.typed_config().type_url(),
                     " is not supported (DownstreamTlsContext)"));
  }
  const std::string cpath = FieldPath(path, "typed_config");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(context, {"common_tls_context"}, cpath));
  const auto& common = context.common_tls_context();
  const std::string common_path = FieldPath(cpath, "common_tls_context");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(
      common,
      {"tls_params", "tls_certificates", "tls_certificate_sds_secret_configs", "alpn_protocols"},
      common_path));
  DownstreamTls out;
  for (const auto& alpn : common.alpn_protocols()) {
    if (alpn != "http/1.1") {
      return absl::InvalidArgumentError(
          absl::StrCat(common_path, ".alpn_protocols: \"", alpn, "\" is not supported (http/1.1)"));
    }
    out.alpn_protocols.push_back(alpn);
  }
  if (out.alpn_protocols.empty()) out.alpn_protocols.push_back("http/1.1");
  if (common.has_tls_params()) {
    STRATA_RETURN_IF_ERROR(config::ReadTlsParams(common.tls_params(),
                                                 FieldPath(common_path, "tls_params"),
                                                 &out.min_version, &out.max_version));
  }
  const int inline_count = common.tls_certificates_size();
  const int sds_count = common.tls_certificate_sds_secret_configs_size();
  if (inline_count + sds_count != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        common_path,
        ": exactly one certificate (tls_certificates or tls_certificate_sds_secret_configs) "
        "per filter chain is supported (got ",
        inline_count + sds_count, ")"));
  }
  if (inline_count == 1) {
    STRATA_RETURN_IF_ERROR(ReadCertificate(common.tls_certificates(0),
                                           FieldPath(common_path, "tls_certificates[0]"),
                                           &out.certificate));
    return out;
  }
  const auto& sds = common.tls_certificate_sds_secret_configs(0);
  const std::string sds_path = FieldPath(common_path, "tls_certificate_sds_secret_configs[0]");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(sds, {"name", "sds_config"}, sds_path));
  if (sds.name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(sds_path, ".name: is required"));
  }
  if (sds.has_sds_config() && !sds.sds_config().has_ads()) {
    return absl::InvalidArgumentError(
        absl::StrCat(sds_path, ".sds_config: only `ads: {}` is supported"));
  }
  out.sds_secret = sds.name();
  auto it = secrets.find(sds.name());
  if (it == secrets.end()) {
    out.missing_secret = sds.name();
    return out;
  }
  STRATA_RETURN_IF_ERROR(ReadCertificate(
      it->second.tls_certificate(), absl::StrCat("secret \"", sds.name(), "\".tls_certificate"),
      &out.certificate));
  return out;
}

}  // namespace strata::server
