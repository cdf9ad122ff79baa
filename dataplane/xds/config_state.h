#ifndef STRATA_DATAPLANE_XDS_CONFIG_STATE_H_
#define STRATA_DATAPLANE_XDS_CONFIG_STATE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/server/proxy_config.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "google/protobuf/any.pb.h"

namespace strata::xds {

// The xDS resource types the proxy subscribes to, in the order a response is applied.
enum class XdsType { kCluster, kEndpoint, kListener, kRoute, kSecret };
inline constexpr int kNumXdsTypes = 5;
inline constexpr XdsType kXdsTypes[] = {XdsType::kSecret, XdsType::kCluster, XdsType::kEndpoint,
                                        XdsType::kListener, XdsType::kRoute};
// "type.googleapis.com/envoy.config.listener.v3.Listener" etc.
const std::string& XdsTypeUrl(XdsType type);
bool ParseXdsTypeUrl(absl::string_view url, XdsType* type);
absl::string_view XdsTypeName(XdsType type);  // "LDS", "RDS", "CDS", "EDS", "SDS"

// One resource in a response.
struct XdsResource {
  std::string name;
  std::string version;
  google::protobuf::Any resource;
};

// What the proxy knows from xDS, and the config it serves from it. Not thread-safe: owned by
// the xDS client's thread.
//
// Every response is validated as a whole before anything changes: one bad resource rejects
// the response (the client NACKs it with the returned message, which names the resource and
// the field) and the last good state stays. Listeners warm before they serve: a listener
// becomes active only once its route table and every cluster its routes use are known, and
// EDS clusters have received endpoints; until then an earlier version keeps serving.
class ConfigState {
 public:
  // `static_config` holds the bootstrap's static listeners and clusters; they always stay and
  // xDS resources may not reuse their names. `static_listeners` and `static_secrets` are the
  // bootstrap's own, so static TLS listeners can take their certificates from SDS.
  explicit ConfigState(server::ProxyConfig static_config,
                       std::vector<envoy::config::listener::v3::Listener> static_listeners = {},
                       server::SecretMap static_secrets = {});

  // Applies a response. `state_of_the_world`: for LDS and CDS the response is complete (names
  // absent are removed); for RDS and EDS SotW responses only update what they carry.
  // `removed` lists names removed by a Delta response.
  absl::Status Apply(XdsType type, const std::vector<XdsResource>& resources,
                     const std::vector<std::string>& removed, bool state_of_the_world);

  // Names the proxy needs for the types that are not wildcard: route tables named by the
  // listeners, assignments named by the EDS clusters, secrets named by TLS filter chains.
  std::set<std::string> WantedNames(XdsType type) const;
  // Versions of the resources held (for Delta initial_resource_versions after a reconnect).
  std::map<std::string, std::string> Versions(XdsType type) const;

  // Whether a response of this type has been accepted yet (readiness).
  bool Received(XdsType type) const { return received_[static_cast<int>(type)]; }

  // The config to serve now: static resources plus every warm dynamic one.
  server::ProxyConfig Build() const;
  // Names of dynamic listeners not yet serving (warming), for /config_dump and tests.
  std::vector<std::string> WarmingListeners() const;

 private:
  struct Held {
    std::string version;
    google::protobuf::Any any;
  };
  absl::Status Validate(XdsType type, const XdsResource& resource) const;
  bool ListenerWarm(const server::ListenerConfig& listener) const;

  server::ProxyConfig static_;
  const std::vector<envoy::config::listener::v3::Listener> static_listener_protos_;
  std::map<std::string, Held> held_[kNumXdsTypes];
  bool received_[kNumXdsTypes] = {};
  // Built objects for what is held, rebuilt when a resource changes.
  std::map<std::string, server::ListenerConfigConstSharedPtr> listeners_;
  std::map<std::string, envoy::config::listener::v3::Listener> listener_protos_;
  server::SecretMap secrets_;
  std::map<std::string, router::RouteTableConstSharedPtr> routes_;
  std::map<std::string, envoy::config::cluster::v3::Cluster> cluster_protos_;
  std::map<std::string, envoy::config::endpoint::v3::ClusterLoadAssignment> assignments_;
  std::map<std::string, upstream::ClusterConstSharedPtr> clusters_;
  // Static EDS clusters rebuilt with the endpoints xDS sent for them.
  std::map<std::string, upstream::ClusterConstSharedPtr> static_eds_;
  // The last version of each listener that was warm (kept serving while a new one warms).
  std::map<std::string, server::ListenerConfigConstSharedPtr> serving_;
};

}  // namespace strata::xds

#endif  // STRATA_DATAPLANE_XDS_CONFIG_STATE_H_
