#include "dataplane/server/proxy_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/config/proto_fields.h"
#include "envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.pb.h"
#include "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"

namespace strata::server {

using config::CheckSupportedFields;
using config::FieldPath;

namespace {

absl::Status ParseRanges(
    const google::protobuf::RepeatedPtrField<envoy::config::core::v3::CidrRange>& ranges,
    absl::string_view path, std::vector<net::CidrRange>* out) {
  for (int i = 0; i < ranges.size(); ++i) {
    const std::string rpath = absl::StrCat(path, "[", i, "]");
    STRATA_RETURN_IF_ERROR(
        CheckSupportedFields(ranges[i], {"address_prefix", "prefix_len"}, rpath));
    auto range = net::CidrRange::FromPrefix(
        ranges[i].address_prefix(), ranges[i].has_prefix_len() ? ranges[i].prefix_len().value()
                                    : ranges[i].address_prefix().find(':') != std::string::npos
                                        ? 128
                                        : 32);
    if (!range.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(rpath, ": ", range.status().message()));
    }
    out->push_back(*range);
  }
  return absl::OkStatus();
}

bool InRanges(const net::Address& address, const std::vector<net::CidrRange>& ranges) {
  for (const auto& range : ranges) {
    if (range.Contains(address)) return true;
  }
  return false;
}

// How well `name` matches a chain's server names: 3 exact, 2 wildcard (longer is better, by
// the returned length), 1 no names at all, 0 no match.
int NameMatch(const FilterChainConfig& chain, absl::string_view name, size_t* length) {
  if (chain.server_names.empty()) return 1;
  int best = 0;
  for (const std::string& candidate : chain.server_names) {
    if (absl::EqualsIgnoreCase(candidate, name)) return 3;
    if (absl::StartsWith(candidate, "*") && name.size() > candidate.size() - 1 &&
        absl::EndsWithIgnoreCase(name, absl::string_view(candidate).substr(1))) {
      if (best < 2 || candidate.size() > *length) *length = candidate.size();
      best = 2;
    }
  }
  return best;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ListenerConfig>> ListenerConfig::Create(
    const envoy::config::listener::v3::Listener& proto, const SecretMap& secrets,
    const ListenerConfig* previous) {
  if (proto.name().empty()) return absl::InvalidArgumentError("listener: name is required");
  const std::string path = absl::StrCat("listener \"", proto.name(), "\"");
  STRATA_RETURN_IF_ERROR(
      CheckSupportedFields(proto,
                           {"name", "address", "filter_chains", "per_connection_buffer_limit_bytes",
                            "stat_prefix", "listener_filters", "listener_filters_timeout"},
                           path));
  auto listener = std::make_shared<ListenerConfig>();
  listener->name = proto.name();
  listener->proto = proto;
  const auto& address = proto.address();
  STRATA_RETURN_IF_ERROR(
      CheckSupportedFields(address, {"socket_address"}, FieldPath(path, "address")));
  if (!address.has_socket_address()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".address: socket_address is required"));
  }
  const auto& sa = address.socket_address();
  const std::string sa_path = FieldPath(path, "address.socket_address");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(sa, {"address", "port_value", "protocol"}, sa_path));
  if (sa.protocol() != envoy::config::core::v3::SocketAddress::TCP) {
    return absl::InvalidArgumentError(absl::StrCat(sa_path, ".protocol: only TCP is supported"));
  }
  auto parsed = net::Address::FromIpPort(sa.address(), sa.port_value());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(sa_path, ": ", parsed.status().message()));
  }
  listener->address = *parsed;
  if (proto.has_per_connection_buffer_limit_bytes()) {
    listener->per_connection_buffer_limit =
        std::max<uint32_t>(1024, proto.per_connection_buffer_limit_bytes().value());
  }
  if (proto.has_listener_filters_timeout()) {
    STRATA_RETURN_IF_ERROR(config::ToDuration(proto.listener_filters_timeout(),
                                              FieldPath(path, "listener_filters_timeout"),
                                              &listener->listener_filters_timeout));
    if (listener->listener_filters_timeout == absl::ZeroDuration()) {
      listener->listener_filters_timeout = absl::InfiniteDuration();
    }
  }

  // Listener filters: PROXY protocol and the TLS inspector (SNI is read during the handshake).
  for (int i = 0; i < proto.listener_filters_size(); ++i) {
    const auto& filter = proto.listener_filters(i);
    const std::string fpath = absl::StrCat(path, ".listener_filters[", i, "]");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(filter, {"name", "typed_config"}, fpath));
    envoy::extensions::filters::listener::proxy_protocol::v3::ProxyProtocol proxy_protocol;
    envoy::extensions::filters::listener::tls_inspector::v3::TlsInspector inspector;
    if (filter.typed_config().UnpackTo(&proxy_protocol)) {
      STRATA_RETURN_IF_ERROR(CheckSupportedFields(
          proxy_protocol, {"allow_requests_without_proxy_protocol", "stat_prefix"},
          FieldPath(fpath, "typed_config")));
      listener->proxy_protocol = true;
      listener->allow_without_proxy_protocol =
          proxy_protocol.allow_requests_without_proxy_protocol();
    } else if (filter.typed_config().UnpackTo(&inspector)) {
      STRATA_RETURN_IF_ERROR(CheckSupportedFields(inspector, {}, FieldPath(fpath, "typed_config")));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(fpath, ".typed_config: ", filter.typed_config().type_url(),
                       " is not supported (ProxyProtocol or TlsInspector)"));
    }
  }

  if (proto.filter_chains_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".filter_chains: at least one is required"));
  }
  std::vector<tls::CertificateConfig> certificates;
  for (int c = 0; c < proto.filter_chains_size(); ++c) {
    const auto& chain = proto.filter_chains(c);
    const std::string chain_path = absl::StrCat(path, ".filter_chains[", c, "]");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(
        chain, {"filters", "name", "filter_chain_match", "transport_socket"}, chain_path));
    FilterChainConfig out;
    out.name = chain.name();
    const auto& match = chain.filter_chain_match();
    const std::string match_path = FieldPath(chain_path, "filter_chain_match");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(
        match, {"server_names", "direct_source_prefix_ranges", "source_prefix_ranges"},
        match_path));
    for (const auto& name : match.server_names()) {
      out.server_names.push_back(absl::AsciiStrToLower(name));
    }
    STRATA_RETURN_IF_ERROR(ParseRanges(match.direct_source_prefix_ranges(),
                                       FieldPath(match_path, "direct_source_prefix_ranges"),
                                       &out.direct_source_ranges));
    STRATA_RETURN_IF_ERROR(ParseRanges(match.source_prefix_ranges(),
                                       FieldPath(match_path, "source_prefix_ranges"),
                                       &out.source_ranges));
    if (chain.filters_size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          chain_path, ".filters: exactly one filter, an HttpConnectionManager, is supported"));
    }
    const auto& filter = chain.filters(0);
    const std::string filter_path = FieldPath(chain_path, "filters[0]");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(filter, {"name", "typed_config"}, filter_path));
    envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
    if (!filter.typed_config().UnpackTo(&hcm)) {
      return absl::InvalidArgumentError(
          absl::StrCat(filter_path, ".typed_config: ", filter.typed_config().type_url(),
                       " is not supported (HttpConnectionManager)"));
    }
    STRATA_ASSIGN_OR_RETURN(out.hcm,
                            http::HcmConfig::Create(hcm, FieldPath(filter_path, "typed_config")));

    const bool chain_tls = chain.has_transport_socket();
    if (c == 0) listener->tls = chain_tls;
    if (chain_tls != listener->tls) {
      return absl::InvalidArgumentError(
          absl::StrCat(chain_path, ": all filter chains of a listener must use TLS, or none"));
    }
    if (!chain_tls && !out.server_names.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(match_path, ".server_names: needs a TLS transport_socket"));
    }
    if (chain_tls) {
      STRATA_ASSIGN_OR_RETURN(
          DownstreamTls tls,
          ParseDownstreamTls(chain.transport_socket(), FieldPath(chain_path, "transport_socket"),
                             secrets));
      out.sds_secret = tls.sds_secret;
      if (!tls.sds_secret.empty()) listener->secret_names.insert(tls.sds_secret);
      if (!tls.missing_secret.empty()) {
        listener->missing_secrets.push_back(tls.missing_secret);
      } else {
        tls.certificate.server_names = out.server_names;
        tls.certificate.is_default = out.server_names.empty();
        certificates.push_back(std::move(tls.certificate));
      }
    }
    listener->chains.push_back(std::move(out));
  }

  if (listener->tls && listener->missing_secrets.empty()) {
    tls::ServerTlsOptions options;
    if (previous != nullptr && previous->tls_context != nullptr) {
      options.ticket_keys = previous->tls_context->ticket_keys();
    }
    auto context = tls::ServerTlsContext::Create(certificates, options);
    if (!context.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", context.status().message()));
    }
    listener->tls_context = *context;
  }
  return std::shared_ptr<const ListenerConfig>(std::move(listener));
}

bool ListenerConfig::AnyChainFor(const net::Address& direct_peer,
                                 const net::Address& source) const {
  for (const auto& chain : chains) {
    if (!chain.direct_source_ranges.empty() && !InRanges(direct_peer, chain.direct_source_ranges)) {
      continue;
    }
    if (!chain.source_ranges.empty() && !InRanges(source, chain.source_ranges)) continue;
    return true;
  }
  return false;
}

const FilterChainConfig* ListenerConfig::SelectChain(const net::Address& direct_peer,
                                                     const net::Address& source,
                                                     absl::string_view server_name) const {
  const FilterChainConfig* best = nullptr;
  int best_score = 0;
  size_t best_length = 0;
  int best_ranges = -1;
  for (const auto& chain : chains) {
    if (!chain.direct_source_ranges.empty() && !InRanges(direct_peer, chain.direct_source_ranges)) {
      continue;
    }
    if (!chain.source_ranges.empty() && !InRanges(source, chain.source_ranges)) continue;
    size_t length = 0;
    const int score = NameMatch(chain, server_name, &length);
    if (score == 0) continue;
    const int ranges =
        static_cast<int>(!chain.direct_source_ranges.empty()) + !chain.source_ranges.empty();
    if (score > best_score || (score == best_score && score == 2 && length > best_length) ||
        (score == best_score && length == best_length && ranges > best_ranges)) {
      best = &chain;
      best_score = score;
      best_length = length;
      best_ranges = ranges;
    }
  }
  return best;
}

}  // namespace strata::server
