#ifndef STRATA_CONTROLPLANE_TRANSLATE_PROXYLESS_SNAPSHOT_H_
#define STRATA_CONTROLPLANE_TRANSLATE_PROXYLESS_SNAPSHOT_H_

#include "absl/status/statusor.h"
#include "controlplane/translate/proxyless.h"
#include "controlplane/xds/snapshot.h"

namespace strata::translate {

// The xDS snapshot that serves `resources` (each resource serialized once, here).
absl::StatusOr<xds::SnapshotConstSharedPtr> BuildSnapshot(const ProxylessResources& resources);

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_PROXYLESS_SNAPSHOT_H_
