#include "dataplane/server/proxy_config.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/config/proto_fields.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"

namespace strata::server {

using config::CheckSupportedFields;
using config::FieldPath;

absl::StatusOr<std::shared_ptr<const ListenerConfig>> ListenerConfig::Create(
    const envoy::config::listener::v3::Listener& proto) {
  if (proto.name().empty()) return absl::InvalidArgumentError("listener: name is required");
  const std::string path = absl::StrCat("listener \"", proto.name(), "\"");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(
      proto,
      {"name", "address", "filter_chains", "per_connection_buffer_limit_bytes", "stat_prefix"},
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
  if (proto.filter_chains_size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".filter_chains: exactly one filter chain is supported (got ",
                     proto.filter_chains_size(), ")"));
  }
  const auto& chain = proto.filter_chains(0);
  const std::string chain_path = FieldPath(path, "filter_chains[0]");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(chain, {"filters", "name"}, chain_path));
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
  STRATA_ASSIGN_OR_RETURN(listener->hcm,
                          http::HcmConfig::Create(hcm, FieldPath(filter_path, "typed_config")));
  return std::shared_ptr<const ListenerConfig>(std::move(listener));
}

}  // namespace strata::server
