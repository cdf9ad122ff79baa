#include "dataplane/server/bootstrap.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/yaml_json.h"
#include "dataplane/config/proto_fields.h"
#include "envoy/extensions/access_loggers/file/v3/file.pb.h"
#include "envoy/extensions/access_loggers/stream/v3/stream.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.pb.h"
#include "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/transport_sockets/proxy_protocol/v3/upstream_proxy_protocol.pb.h"
#include "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "envoy/extensions/upstreams/http/v3/http_protocol_options.pb.h"
#include "google/protobuf/util/json_util.h"

namespace strata::server {

namespace {

using config::CheckSupportedFields;
using config::FieldPath;

constexpr size_t kMaxBootstrapBytes = 16 << 20;

// The JSON parser resolves "@type" through the generated descriptor pool, which only holds
// messages linked into the binary: name every typed_config the bootstrap may carry.
void LinkTypedConfigs() {
  static const void* const kLinked[] = {
      envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager::
          descriptor(),
      envoy::extensions::filters::http::router::v3::Router::descriptor(),
      envoy::extensions::access_loggers::file::v3::FileAccessLog::descriptor(),
      envoy::extensions::access_loggers::stream::v3::StdoutAccessLog::descriptor(),
      envoy::extensions::upstreams::http::v3::HttpProtocolOptions::descriptor(),
      envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext::descriptor(),
      envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext::descriptor(),
      envoy::extensions::filters::listener::proxy_protocol::v3::ProxyProtocol::descriptor(),
      envoy::extensions::filters::listener::tls_inspector::v3::TlsInspector::descriptor(),
      envoy::extensions::transport_sockets::proxy_protocol::v3::ProxyProtocolUpstreamTransport::
          descriptor(),
      envoy::extensions::transport_sockets::raw_buffer::v3::RawBuffer::descriptor(),
  };
  (void)kLinked;
}

absl::Status CheckBootstrapFields(const envoy::config::bootstrap::v3::Bootstrap& b) {
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(
      b, {"node", "static_resources", "dynamic_resources", "admin"}, "bootstrap"));
  if (b.has_node()) {
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(
        b.node(), {"id", "cluster", "metadata", "locality", "user_agent_name"}, "bootstrap.node"));
  }
  if (b.has_static_resources()) {
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(
        b.static_resources(), {"listeners", "clusters", "secrets"}, "bootstrap.static_resources"));
  }
  if (b.has_admin()) {
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(b.admin(), {"address"}, "bootstrap.admin"));
  }
  if (b.has_dynamic_resources()) {
    const auto& d = b.dynamic_resources();
    const std::string path = "bootstrap.dynamic_resources";
    STRATA_RETURN_IF_ERROR(
        CheckSupportedFields(d, {"ads_config", "lds_config", "cds_config"}, path));
    if (d.has_lds_config() && !d.lds_config().has_ads()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".lds_config: only `ads: {}` is supported"));
    }
    if (d.has_cds_config() && !d.cds_config().has_ads()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".cds_config: only `ads: {}` is supported"));
    }
    if (d.has_ads_config()) {
      const auto& ads = d.ads_config();
      const std::string ads_path = FieldPath(path, "ads_config");
      STRATA_RETURN_IF_ERROR(CheckSupportedFields(
          ads,
          {"api_type", "transport_api_version", "grpc_services", "set_node_on_first_message_only"},
          ads_path));
      if (ads.api_type() != envoy::config::core::v3::ApiConfigSource::GRPC &&
          ads.api_type() != envoy::config::core::v3::ApiConfigSource::DELTA_GRPC) {
        return absl::InvalidArgumentError(
            absl::StrCat(ads_path, ".api_type: GRPC or DELTA_GRPC is required"));
      }
      if (ads.grpc_services_size() != 1 || !ads.grpc_services(0).has_envoy_grpc()) {
        return absl::InvalidArgumentError(
            absl::StrCat(ads_path, ".grpc_services: exactly one envoy_grpc service is supported"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<envoy::config::bootstrap::v3::Bootstrap> ParseBootstrap(absl::string_view text,
                                                                       absl::string_view source) {
  if (text.size() > kMaxBootstrapBytes) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": bigger than 16 MiB"));
  }
  auto documents = ParseYamlDocuments(std::string_view(text.data(), text.size()));
  if (!documents.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", documents.status().message()));
  }
  if (documents->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": expected one YAML/JSON document, found ", documents->size()));
  }
  LinkTypedConfigs();
  const std::string json = (*documents)[0].dump();
  envoy::config::bootstrap::v3::Bootstrap bootstrap;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &bootstrap, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a valid Envoy v3 bootstrap: ", status.message().as_string()));
  }
  const absl::Status fields = CheckBootstrapFields(bootstrap);
  if (!fields.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", fields.message()));
  }
  return bootstrap;
}

absl::StatusOr<envoy::config::bootstrap::v3::Bootstrap> LoadBootstrap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseBootstrap(text.str(), path);
}

absl::StatusOr<SecretMap> StaticSecrets(const envoy::config::bootstrap::v3::Bootstrap& bootstrap) {
  SecretMap secrets;
  for (const auto& secret : bootstrap.static_resources().secrets()) {
    const std::string path =
        absl::StrCat("bootstrap.static_resources: secret \"", secret.name(), "\"");
    if (secret.name().empty()) {
      return absl::InvalidArgumentError("bootstrap.static_resources: secret: name is required");
    }
    STRATA_RETURN_IF_ERROR(ValidateSecret(secret, path));
    if (!secrets.emplace(secret.name(), secret).second) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": duplicate"));
    }
  }
  return secrets;
}

absl::StatusOr<ProxyConfig> StaticConfig(const envoy::config::bootstrap::v3::Bootstrap& bootstrap) {
  ProxyConfig config;
  STRATA_ASSIGN_OR_RETURN(SecretMap secrets, StaticSecrets(bootstrap));
  const auto& resources = bootstrap.static_resources();
  std::string ads_cluster;
  if (bootstrap.dynamic_resources().has_ads_config()) {
    ads_cluster =
        bootstrap.dynamic_resources().ads_config().grpc_services(0).envoy_grpc().cluster_name();
  }
  for (const auto& proto : resources.clusters()) {
    if (!ads_cluster.empty() && proto.name() == ads_cluster) continue;
    auto cluster = upstream::Cluster::Create(proto, nullptr);
    if (!cluster.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bootstrap.static_resources: ", cluster.status().message()));
    }
    if (proto.type() == envoy::config::cluster::v3::Cluster::EDS &&
        !bootstrap.has_dynamic_resources()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bootstrap.static_resources: cluster \"", proto.name(),
                       "\" is EDS but the bootstrap has no dynamic_resources.ads_config"));
    }
    if (!config.clusters.emplace(proto.name(), *cluster).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("bootstrap.static_resources: duplicate cluster \"", proto.name(), "\""));
    }
  }
  for (const auto& proto : resources.listeners()) {
    auto listener = ListenerConfig::Create(proto, secrets);
    if (!listener.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bootstrap.static_resources: ", listener.status().message()));
    }
    if (!(*listener)->Warm() && !bootstrap.dynamic_resources().has_ads_config()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bootstrap.static_resources: listener \"", proto.name(), "\": secret \"",
                       (*listener)->missing_secrets[0],
                       "\" is neither in static_resources.secrets nor available over ADS"));
    }
    if (!config.listeners.emplace(proto.name(), *listener).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("bootstrap.static_resources: duplicate listener \"", proto.name(), "\""));
    }
  }
  config.version = 1;
  return config;
}

absl::StatusOr<std::string> AdsTarget(const envoy::config::bootstrap::v3::Bootstrap& bootstrap) {
  if (!bootstrap.dynamic_resources().has_ads_config()) return std::string();
  const std::string name =
      bootstrap.dynamic_resources().ads_config().grpc_services(0).envoy_grpc().cluster_name();
  for (const auto& cluster : bootstrap.static_resources().clusters()) {
    if (cluster.name() != name) continue;
    const std::string path = absl::StrCat("bootstrap.static_resources: cluster \"", name, "\"");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(
        cluster,
        {"name", "type", "connect_timeout", "load_assignment", "http2_protocol_options",
         "typed_extension_protocol_options", "dns_lookup_family"},
        path));
    const auto& endpoints = cluster.load_assignment().endpoints();
    if (endpoints.empty() || endpoints[0].lb_endpoints().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".load_assignment: the control plane's address is required"));
    }
    const auto& sa = endpoints[0].lb_endpoints(0).endpoint().address().socket_address();
    if (sa.address().empty() || sa.port_value() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          ".load_assignment.endpoints[0].lb_endpoints[0]: address and port_value are required"));
    }
    if (sa.address().find(':') != std::string::npos) {
      return absl::StrCat("[", sa.address(), "]:", sa.port_value());
    }
    return absl::StrCat(sa.address(), ":", sa.port_value());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("bootstrap.dynamic_resources.ads_config: cluster \"", name,
                   "\" is not in static_resources.clusters"));
}

absl::StatusOr<net::Address> AdminAddress(
    const envoy::config::bootstrap::v3::Bootstrap& bootstrap) {
  if (!bootstrap.admin().has_address()) return net::Address::Parse("127.0.0.1:9901");
  const auto& sa = bootstrap.admin().address().socket_address();
  auto address = net::Address::FromIpPort(sa.address(), sa.port_value());
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bootstrap.admin.address: ", address.status().message()));
  }
  return address;
}

}  // namespace strata::server
