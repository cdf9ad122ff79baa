#ifndef STRATA_DATAPLANE_SERVER_BOOTSTRAP_H_
#define STRATA_DATAPLANE_SERVER_BOOTSTRAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/server/proxy_config.h"
#include "envoy/config/bootstrap/v3/bootstrap.pb.h"

namespace strata::server {

// Reads an Envoy v3 bootstrap (YAML or JSON) from `path`. Unknown fields are an error, and so
// is any field strata-proxy does not implement; the message names the field.
absl::StatusOr<envoy::config::bootstrap::v3::Bootstrap> LoadBootstrap(const std::string& path);
// The same from text already in memory (`source` names it in errors).
absl::StatusOr<envoy::config::bootstrap::v3::Bootstrap> ParseBootstrap(absl::string_view text,
                                                                       absl::string_view source);

// The static part of a bootstrap as a config snapshot: static listeners, clusters, and the
// route tables of their HttpConnectionManagers. The cluster that carries the ADS stream is
// not a data-plane cluster and is left out.
absl::StatusOr<ProxyConfig> StaticConfig(const envoy::config::bootstrap::v3::Bootstrap& bootstrap);

// The bootstrap's static_resources.secrets, validated.
absl::StatusOr<SecretMap> StaticSecrets(const envoy::config::bootstrap::v3::Bootstrap& bootstrap);

// The control plane's gRPC target ("10.0.0.1:18000", "xds.example:18000") from the static
// cluster named by dynamic_resources.ads_config; empty when the bootstrap has no ADS.
absl::StatusOr<std::string> AdsTarget(const envoy::config::bootstrap::v3::Bootstrap& bootstrap);

// The admin listener address from the bootstrap ("127.0.0.1:9901" when absent).
absl::StatusOr<net::Address> AdminAddress(const envoy::config::bootstrap::v3::Bootstrap& bootstrap);

}  // namespace strata::server

#endif  // STRATA_DATAPLANE_SERVER_BOOTSTRAP_H_
