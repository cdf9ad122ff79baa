#ifndef STRATA_CONTROLPLANE_TRANSLATE_SERVICE_ENDPOINTS_H_
#define STRATA_CONTROLPLANE_TRANSLATE_SERVICE_ENDPOINTS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/source/cluster_state.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/core/v3/config_source.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"

// Pieces every translation shares: Service endpoints from EndpointSlices, EDS clusters.
namespace strata::translate {

// Kubernetes defaults an absent protocol to TCP.
bool IsTcp(const std::string& protocol);

// A ConfigSource that points at the ADS stream.
envoy::config::core::v3::ConfigSource AdsConfigSource();

// A Cluster named `name` whose endpoints come over ADS (EDS service name = `name`),
// round robin, 5 s connect timeout.
envoy::config::cluster::v3::Cluster MakeEdsCluster(const std::string& name);

// The ready endpoint addresses of one EndpointSlice, validated.
struct UsableSlice {
  struct Address {
    std::string ip;  // canonical text
    std::string zone;
  };
  const source::EndpointSlice* slice = nullptr;
  std::vector<Address> ready;
  std::vector<Address> not_ready;  // valid addresses of endpoints that are not ready
};

// The EndpointSlices of each Service (by the kubernetes.io/service-name label).
class SliceIndex {
 public:
  explicit SliceIndex(const source::ClusterState& state);

  // The slices of Service namespace/name with their IP addresses; what cannot be used
  // (FQDN slices, malformed addresses) is explained in `warnings`.
  std::vector<UsableSlice> Usable(const std::string& namespace_, const std::string& service,
                                  std::vector<std::string>& warnings) const;

 private:
  std::map<source::ObjectKey, std::vector<const source::EndpointSlice*>> by_service_;
};

// The port number `slice` gives to `service_port` (matched by name), or nullopt if the slice
// has none for it: a Pod without the named container port ends up in a slice without it.
std::optional<uint32_t> ResolveSlicePort(const source::EndpointSlice& slice,
                                         const source::ServicePort& service_port,
                                         std::vector<std::string>& warnings);

// The ClusterLoadAssignment `cluster_name` of one Service port: the ready endpoints of
// `slices`, each with the port its own slice gives for `service_port` (so a named targetPort
// resolving to different numbers in different slices is honoured). Endpoints are grouped by
// zone into localities at priority 0, each weighted by its number of endpoints; duplicate
// address:port pairs are dropped. Deterministic whatever the order of the input.
envoy::config::endpoint::v3::ClusterLoadAssignment MakeLoadAssignment(
    const std::string& cluster_name, const source::ServicePort& service_port,
    const std::vector<UsableSlice>& slices, std::vector<std::string>& warnings);

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_SERVICE_ENDPOINTS_H_
