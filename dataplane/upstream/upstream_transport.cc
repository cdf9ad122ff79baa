#include "dataplane/upstream/upstream_transport.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/config/proto_fields.h"
#include "dataplane/config/tls_fields.h"
#include "dataplane/net/proxy_protocol.h"
#include "dataplane/tls/tls_socket.h"
#include "envoy/extensions/transport_sockets/proxy_protocol/v3/upstream_proxy_protocol.pb.h"
#include "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"

namespace strata::upstream {

namespace {

using config::CheckSupportedFields;
using config::FieldPath;
using envoy::config::core::v3::ProxyProtocolConfig;
using envoy::config::core::v3::TransportSocket;
using envoy::extensions::transport_sockets::proxy_protocol::v3::ProxyProtocolUpstreamTransport;
using envoy::extensions::transport_sockets::raw_buffer::v3::RawBuffer;
using envoy::extensions::transport_sockets::tls::v3::CertificateValidationContext;
using envoy::extensions::transport_sockets::tls::v3::SubjectAltNameMatcher;
using envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext;
using envoy::type::matcher::v3::StringMatcher;

// Debian's bundle of the system's trusted CAs (package ca-certificates).
constexpr char kSystemCaBundle[] = "/etc/ssl/certs/ca-certificates.crt";

// The name an exact, case-sensitive StringMatcher accepts.
absl::StatusOr<std::string> ExactName(const StringMatcher& matcher, absl::string_view path) {
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(matcher, {"exact"}, path));
  if (matcher.exact().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": an exact name is required (prefix, suffix, regex and contains "
                     "matchers are not supported)"));
  }
  return matcher.exact();
}

absl::Status ReadValidationContext(const CertificateValidationContext& validation,
                                   absl::string_view path, tls::ClientTlsOptions* options) {
  STRATA_RETURN_IF_ERROR(
      CheckSupportedFields(validation,
                           {"trusted_ca", "system_root_certs", "match_typed_subject_alt_names",
                            "trust_chain_verification"},
                           path));
  if (validation.trust_chain_verification() == CertificateValidationContext::ACCEPT_UNTRUSTED) {
    options->insecure_skip_verify = true;
    return absl::OkStatus();
  }
  if (validation.has_trusted_ca() == validation.has_system_root_certs()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": exactly one of trusted_ca and system_root_certs is required"));
  }
  if (validation.has_trusted_ca()) {
    STRATA_ASSIGN_OR_RETURN(options->ca_pem, config::ReadDataSource(validation.trusted_ca(),
                                                                    FieldPath(path, "trusted_ca")));
  } else {
    envoy::config::core::v3::DataSource system;
    system.set_filename(kSystemCaBundle);
    STRATA_ASSIGN_OR_RETURN(options->ca_pem,
                            config::ReadDataSource(system, FieldPath(path, "system_root_certs")));
  }
  for (int i = 0; i < validation.match_typed_subject_alt_names_size(); ++i) {
    const SubjectAltNameMatcher& san = validation.match_typed_subject_alt_names(i);
    const std::string san_path = absl::StrCat(path, ".match_typed_subject_alt_names[", i, "]");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(san, {"san_type", "matcher"}, san_path));
    if (san.san_type() != SubjectAltNameMatcher::DNS &&
        san.san_type() != SubjectAltNameMatcher::IP_ADDRESS) {
      return absl::InvalidArgumentError(
          absl::StrCat(san_path, ".san_type: ", SubjectAltNameMatcher::SanType_Name(san.san_type()),
                       " is not supported (DNS or IP_ADDRESS)"));
    }
    STRATA_ASSIGN_OR_RETURN(std::string name,
                            ExactName(san.matcher(), FieldPath(san_path, "matcher")));
    if ((san.san_type() == SubjectAltNameMatcher::IP_ADDRESS) !=
        tls::tls_internal::IsIpLiteral(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(san_path, ".matcher.exact: \"", name, "\" does not fit san_type ",
                       SubjectAltNameMatcher::SanType_Name(san.san_type())));
    }
    options->subject_alt_names.push_back(std::move(name));
  }
  // As in Envoy: without subject-alt-name matchers only the chain is verified.
  options->verify_name = !options->subject_alt_names.empty();
  return absl::OkStatus();
}

}  // namespace

std::shared_ptr<const UpstreamTransport> UpstreamTransport::Plain() {
  static const auto* const plain =
      new std::shared_ptr<const UpstreamTransport>(new UpstreamTransport());
  return *plain;
}

absl::StatusOr<std::shared_ptr<const UpstreamTransport>> UpstreamTransport::Create(
    const TransportSocket& transport_socket, absl::string_view path) {
  std::shared_ptr<UpstreamTransport> transport(new UpstreamTransport());
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(transport_socket, {"name", "typed_config"}, path));
  if (!transport_socket.has_typed_config()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".typed_config: is required"));
  }
  const TransportSocket* inner = &transport_socket;
  std::string inner_path(path);
  ProxyProtocolUpstreamTransport proxy;
  if (transport_socket.typed_config().UnpackTo(&proxy)) {
    const std::string ppath = FieldPath(path, "typed_config");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(proxy, {"config", "transport_socket"}, ppath));
    STRATA_RETURN_IF_ERROR(
        CheckSupportedFields(proxy.config(), {"version"}, FieldPath(ppath, "config")));
    transport->proxy_protocol_version_ =
        proxy.config().version() == ProxyProtocolConfig::V2 ? 2 : 1;
    inner_path = FieldPath(ppath, "transport_socket");
    if (!proxy.has_transport_socket()) {
      return absl::InvalidArgumentError(absl::StrCat(inner_path, ": is required"));
    }
    inner = &proxy.transport_socket();
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(*inner, {"name", "typed_config"}, inner_path));
    if (!inner->has_typed_config()) {
      return absl::InvalidArgumentError(absl::StrCat(inner_path, ".typed_config: is required"));
    }
  }
  if (inner->typed_config().Is<RawBuffer>()) return transport;
  STRATA_RETURN_IF_ERROR(transport->ParseTls(*inner, inner_path));
  return transport;
}

absl::Status UpstreamTransport::ParseTls(const TransportSocket& transport_socket,
                                         absl::string_view path) {
  const std::string cpath = FieldPath(path, "typed_config");
  UpstreamTlsContext context;
  if (!transport_socket.typed_config().UnpackTo(&context)) {
    return absl::InvalidArgumentError(absl::StrCat(
        cpath, ": ", transport_socket.typed_config().type_url(),
        " is not supported (UpstreamTlsContext, RawBuffer or ProxyProtocolUpstreamTransport)"));
  }
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(context, {"common_tls_context", "sni"}, cpath));
  const auto& common = context.common_tls_context();
  const std::string common_path = FieldPath(cpath, "common_tls_context");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(
      common, {"tls_params", "validation_context", "alpn_protocols"}, common_path));
  tls::ClientTlsOptions options;
  options.server_name = context.sni();
  for (const auto& alpn : common.alpn_protocols()) {
    if (alpn != "http/1.1") {
      return absl::InvalidArgumentError(absl::StrCat(
          common_path, ".alpn_protocols: \"", alpn,
          "\" is not supported (http/1.1: strata-proxy speaks HTTP/1.1 to upstreams)"));
    }
    options.alpn_protocols.push_back(alpn);
  }
  if (common.has_tls_params()) {
    STRATA_RETURN_IF_ERROR(config::ReadTlsParams(common.tls_params(),
                                                 FieldPath(common_path, "tls_params"),
                                                 &options.min_version, &options.max_version));
  }
  if (common.has_validation_context()) {
    STRATA_RETURN_IF_ERROR(ReadValidationContext(
        common.validation_context(), FieldPath(common_path, "validation_context"), &options));
  } else {
    // Envoy's behaviour without a validation context: any certificate is accepted.
    options.insecure_skip_verify = true;
  }
  auto created = tls::ClientTlsContext::Create(options);
  if (!created.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(cpath, ": ", created.status().message()));
  }
  tls_ = std::move(*created);
  return absl::OkStatus();
}

std::string UpstreamTransport::ProxyHeader(const net::Address& source,
                                           const net::Address& destination) const {
  switch (proxy_protocol_version_) {
    case 1:
      return net::EncodeProxyProtocolV1(source, destination);
    case 2:
      return source.valid() && destination.valid() ? net::EncodeProxyProtocolV2(source, destination)
                                                   : net::EncodeProxyProtocolV2Local();
    default:
      return {};
  }
}

std::unique_ptr<net::TransportSocket> UpstreamTransport::NewSocket(std::string proxy_header) const {
  std::unique_ptr<net::TransportSocket> socket;
  if (tls_ != nullptr) {
    socket = tls::TlsTransportSocket::CreateClient(tls_);
  } else {
    socket = std::make_unique<net::RawTransportSocket>();
  }
  if (proxy_protocol_version_ == 0) return socket;
  return std::make_unique<net::ProxyProtocolTransportSocket>(std::move(proxy_header),
                                                             std::move(socket));
}

}  // namespace strata::upstream
