#ifndef STRATA_CONTROLPLANE_KUBE_GATEWAY_STATUS_H_
#define STRATA_CONTROLPLANE_KUBE_GATEWAY_STATUS_H_

#include <string>

#include "controlplane/translate/gateway_api.h"
#include "nlohmann/json.hpp"

namespace strata::kube {

// Merging the conditions translation computed into the `status` of Gateway API objects, as
// the spec asks of a controller: only its own entries change (a route's status.parents
// entries of other controllers stay), a condition keeps its lastTransitionTime while its
// status stays, and every condition carries the generation it was computed for.
//
// Each Apply function changes `status` (an object, possibly empty) in place and returns
// whether anything changed, so an unchanged status is never written. `now` is an RFC 3339
// time for new transitions.

bool ApplyGatewayClassStatus(const translate::GatewayClassStatus& desired, const std::string& now,
                             nlohmann::json& status);

// status.conditions, status.listeners and status.addresses (the edge's; removed when it has
// none).
bool ApplyGatewayStatus(const translate::GatewayStatus& desired, const std::string& now,
                        nlohmann::json& status);

// status.parents: the entries with `controller_name` become exactly `desired.parents`.
bool ApplyHttpRouteStatus(const translate::HttpRouteStatus& desired,
                          const std::string& controller_name, const std::string& now,
                          nlohmann::json& status);

}  // namespace strata::kube

#endif  // STRATA_CONTROLPLANE_KUBE_GATEWAY_STATUS_H_
