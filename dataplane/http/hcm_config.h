#ifndef STRATA_DATAPLANE_HTTP_HCM_CONFIG_H_
#define STRATA_DATAPLANE_HTTP_HCM_CONFIG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dataplane/net/address.h"
#include "dataplane/router/route_table.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"

namespace strata::http {

// The settings of one HttpConnectionManager (a listener's HTTP layer), validated. Routes come
// either inline (route_table) or from RDS by name (rds_name), looked up per request in the
// worker's current config.
struct HcmConfig {
  std::string stat_prefix;
  router::RouteTableConstSharedPtr route_table;  // inline route_config
  std::string rds_name;                          // rds.route_config_name

  // Client address handling (X-Forwarded-For / X-Forwarded-Proto).
  bool use_remote_address = false;
  uint32_t xff_num_trusted_hops = 0;
  bool skip_xff_append = false;
  // Request ids.
  bool generate_request_id = true;
  bool preserve_external_request_id = false;
  // Timeouts: InfiniteDuration() means disabled.
  absl::Duration request_headers_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(60);  // connection without requests
  absl::Duration stream_idle_timeout = absl::Minutes(5);
  absl::Duration request_timeout = absl::InfiniteDuration();
  // Limits.
  size_t max_request_headers_bytes = 60 * 1024;
  size_t max_headers_count = 100;
  // The Server header of local replies (upstream responses keep theirs).
  std::string server_name = "strata";
  bool websocket_upgrades = false;  // upgrade_configs: websocket
  bool access_log = false;          // a file/stdout access logger is configured
  std::string access_log_path;

  // Validates an HttpConnectionManager; `path` prefixes error messages.
  static absl::StatusOr<std::shared_ptr<const HcmConfig>> Create(
      const envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager&
          proto,
      absl::string_view path);
};
using HcmConfigConstSharedPtr = std::shared_ptr<const HcmConfig>;

}  // namespace strata::http

#endif  // STRATA_DATAPLANE_HTTP_HCM_CONFIG_H_
