#include "dataplane/http/hcm_config.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/config/proto_fields.h"
#include "envoy/extensions/access_loggers/file/v3/file.pb.h"
#include "envoy/extensions/access_loggers/stream/v3/stream.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"

namespace strata::http {

namespace {

using config::CheckSupportedFields;
using config::FieldPath;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

// Envoy's rule: a zero duration disables the timeout.
absl::Status OptionalTimeout(const google::protobuf::Duration& d, absl::string_view what,
                             absl::Duration* out) {
  absl::Duration value;
  STRATA_RETURN_IF_ERROR(config::ToDuration(d, what, &value));
  *out = value == absl::ZeroDuration() ? absl::InfiniteDuration() : value;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const HcmConfig>> HcmConfig::Create(
    const HttpConnectionManager& proto, absl::string_view path) {
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(
      proto,
      {"codec_type", "stat_prefix", "rds", "route_config", "http_filters", "use_remote_address",
       "xff_num_trusted_hops", "skip_xff_append", "generate_request_id",
       "preserve_external_request_id", "request_headers_timeout", "stream_idle_timeout",
       "request_timeout", "common_http_protocol_options", "max_request_headers_kb", "server_name",
       "upgrade_configs", "access_log"},
      path));
  auto config = std::make_shared<HcmConfig>();
  config->stat_prefix = proto.stat_prefix();
  if (proto.codec_type() != HttpConnectionManager::AUTO &&
      proto.codec_type() != HttpConnectionManager::HTTP1) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ".codec_type: ", HttpConnectionManager::CodecType_Name(proto.codec_type()),
        " is not supported (AUTO or HTTP1)"));
  }

  if (proto.has_rds()) {
    const std::string rds_path = FieldPath(path, "rds");
    STRATA_RETURN_IF_ERROR(
        CheckSupportedFields(proto.rds(), {"config_source", "route_config_name"}, rds_path));
    if (!proto.rds().config_source().has_ads()) {
      return absl::InvalidArgumentError(
          absl::StrCat(rds_path, ".config_source: only `ads: {}` is supported"));
    }
    if (proto.rds().route_config_name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(rds_path, ".route_config_name: is required"));
    }
    config->rds_name = proto.rds().route_config_name();
  } else if (proto.has_route_config()) {
    auto table = router::RouteTable::Create(proto.route_config());
    if (!table.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(FieldPath(path, "route_config"), ": ", table.status().message()));
    }
    config->route_table = *table;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(path, ": rds or route_config is required"));
  }

  // Filters: strata has one HTTP filter, the router; it must be there and last.
  if (proto.http_filters_size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(path, "http_filters"),
                     ": exactly one filter, envoy.filters.http.router, is supported (got ",
                     proto.http_filters_size(), ")"));
  }
  const auto& filter = proto.http_filters(0);
  const std::string filter_path = FieldPath(path, "http_filters[0]");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(filter, {"name", "typed_config"}, filter_path));
  if (filter.has_typed_config()) {
    envoy::extensions::filters::http::router::v3::Router router;
    if (!filter.typed_config().UnpackTo(&router)) {
      return absl::InvalidArgumentError(
          absl::StrCat(filter_path, ".typed_config: ", filter.typed_config().type_url(),
                       " is not supported (only the router)"));
    }
    STRATA_RETURN_IF_ERROR(
        CheckSupportedFields(router, {}, FieldPath(filter_path, "typed_config")));
  } else if (filter.name() != "envoy.filters.http.router") {
    return absl::InvalidArgumentError(absl::StrCat(filter_path, ".name: \"", filter.name(),
                                                   "\" is not supported (only the router)"));
  }

  if (proto.has_use_remote_address())
    config->use_remote_address = proto.use_remote_address().value();
  config->xff_num_trusted_hops = proto.xff_num_trusted_hops();
  config->skip_xff_append = proto.skip_xff_append();
  if (proto.has_generate_request_id()) {
    config->generate_request_id = proto.generate_request_id().value();
  }
  config->preserve_external_request_id = proto.preserve_external_request_id();
  if (proto.has_request_headers_timeout()) {
    STRATA_RETURN_IF_ERROR(OptionalTimeout(proto.request_headers_timeout(),
                                           FieldPath(path, "request_headers_timeout"),
                                           &config->request_headers_timeout));
  }
  if (proto.has_stream_idle_timeout()) {
    STRATA_RETURN_IF_ERROR(OptionalTimeout(proto.stream_idle_timeout(),
                                           FieldPath(path, "stream_idle_timeout"),
                                           &config->stream_idle_timeout));
  }
  if (proto.has_request_timeout()) {
    STRATA_RETURN_IF_ERROR(OptionalTimeout(
        proto.request_timeout(), FieldPath(path, "request_timeout"), &config->request_timeout));
  }
  if (proto.has_common_http_protocol_options()) {
    const auto& options = proto.common_http_protocol_options();
    const std::string options_path = FieldPath(path, "common_http_protocol_options");
    STRATA_RETURN_IF_ERROR(
        CheckSupportedFields(options, {"idle_timeout", "max_headers_count"}, options_path));
    if (options.has_idle_timeout()) {
      STRATA_RETURN_IF_ERROR(OptionalTimeout(
          options.idle_timeout(), FieldPath(options_path, "idle_timeout"), &config->idle_timeout));
    }
    if (options.has_max_headers_count()) {
      config->max_headers_count = options.max_headers_count().value();
      if (config->max_headers_count == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(options_path, ".max_headers_count: must be at least 1"));
      }
    }
  }
  if (proto.has_max_request_headers_kb()) {
    const uint32_t kb = proto.max_request_headers_kb().value();
    if (kb == 0 || kb > 8192) {
      return absl::InvalidArgumentError(
          absl::StrCat(FieldPath(path, "max_request_headers_kb"), ": must be in 1..8192"));
    }
    config->max_request_headers_bytes = static_cast<size_t>(kb) * 1024;
  }
  if (!proto.server_name().empty()) config->server_name = proto.server_name();
  for (int i = 0; i < proto.upgrade_configs_size(); ++i) {
    const auto& upgrade = proto.upgrade_configs(i);
    const std::string upath = absl::StrCat(path, ".upgrade_configs[", i, "]");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(upgrade, {"upgrade_type", "enabled"}, upath));
    if (!absl::EqualsIgnoreCase(upgrade.upgrade_type(), "websocket")) {
      return absl::InvalidArgumentError(absl::StrCat(
          upath, ".upgrade_type: \"", upgrade.upgrade_type(), "\" is not supported (websocket)"));
    }
    config->websocket_upgrades = !upgrade.has_enabled() || upgrade.enabled().value();
  }
  for (int i = 0; i < proto.access_log_size(); ++i) {
    const auto& log = proto.access_log(i);
    const std::string lpath = absl::StrCat(path, ".access_log[", i, "]");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(log, {"name", "typed_config"}, lpath));
    envoy::extensions::access_loggers::file::v3::FileAccessLog file;
    envoy::extensions::access_loggers::stream::v3::StdoutAccessLog out;
    if (log.typed_config().UnpackTo(&file)) {
      STRATA_RETURN_IF_ERROR(
          CheckSupportedFields(file, {"path"}, FieldPath(lpath, "typed_config")));
      config->access_log_path = file.path();
    } else if (log.typed_config().UnpackTo(&out)) {
      STRATA_RETURN_IF_ERROR(CheckSupportedFields(out, {}, FieldPath(lpath, "typed_config")));
      config->access_log_path = "/dev/stdout";
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          lpath, ".typed_config: ", log.typed_config().type_url(),
          " is not supported (FileAccessLog or StdoutAccessLog; strata writes JSON lines)"));
    }
    config->access_log = true;
  }
  return std::shared_ptr<const HcmConfig>(std::move(config));
}

}  // namespace strata::http
