#ifndef STRATA_CONTROLPLANE_TRANSLATE_PROXYLESS_H_
#define STRATA_CONTROLPLANE_TRANSLATE_PROXYLESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/source/cluster_state.h"
#include "controlplane/translate/resources.h"

namespace strata::translate {

// Name of the HTTP router filter; the only (and so the last) HTTP filter of every Listener.
inline constexpr char kRouterFilterName[] = "envoy.filters.http.router";

// `<service>.<namespace>.svc.cluster.local:<port>`: the name of the RouteConfiguration, the
// Cluster and the ClusterLoadAssignment of one Service port, and of its main Listener.
std::string CanonicalName(const std::string& service, const std::string& namespace_, uint32_t port);

// Every Listener name of one Service port, canonical first:
// `<svc>.<ns>.svc.cluster.local:<port>`, `<svc>.<ns>.svc:<port>`, `<svc>.<ns>:<port>`.
std::vector<std::string> ListenerNames(const std::string& service, const std::string& namespace_,
                                       uint32_t port);

// Translates Services and EndpointSlices into the resources proxyless gRPC clients consume.
// Pure and deterministic: the same state always yields byte-identical resources, whatever the
// order of ports, endpoints and addresses inside the objects.
//
// For every TCP port of every Service that is not ExternalName (headless Services included):
//   - a Listener per name of ListenerNames(): only `name` and an API listener holding an
//     HttpConnectionManager with RDS over ADS (route_config_name = canonical name) and exactly
//     one HTTP filter, the router;
//   - a RouteConfiguration (canonical name) with one VirtualHost whose domains are the three
//     names with and without `:<port>`, and one catch-all route to the Cluster;
//   - a Cluster (canonical name): EDS over ADS, ROUND_ROBIN, 5 s connect timeout;
//   - a ClusterLoadAssignment (canonical name), possibly empty, built from the ready endpoints
//     of the Service's EndpointSlices. The port of an endpoint is the one its own slice gives
//     for the Service port (matched by port name), so a named targetPort resolving to
//     different numbers in different slices is honoured. Endpoints are grouped by zone into
//     localities at priority 0, each with load_balancing_weight = its number of endpoints;
//     duplicate address:port pairs are dropped.
// Whatever cannot be translated is skipped and explained in `warnings`.
XdsResources TranslateProxyless(const source::ClusterState& state);

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_PROXYLESS_H_
