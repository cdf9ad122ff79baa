#ifndef STRATA_CONTROLPLANE_TRANSLATE_SNAPSHOT_PUBLISHER_H_
#define STRATA_CONTROLPLANE_TRANSLATE_SNAPSHOT_PUBLISHER_H_

#include <functional>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/translate/two_tier.h"
#include "controlplane/xds/snapshot_cache.h"

namespace strata::translate {

// Turns each new cluster state into the snapshots of every node group and hands them to the
// cache: the proxyless group, "edge", and "app/<namespace>" for each app tier. A group whose
// app tier went away gets an empty snapshot, so its proxies stop routing. Problems found while
// translating are logged once, when they first appear.
class SnapshotPublisher {
 public:
  // Sees every translation (e.g. to report problems on the objects).
  using Observer = std::function<void(const source::ClusterState&, const TwoTierConfig&)>;

  SnapshotPublisher(xds::SnapshotCache& cache, TwoTierOptions options, std::string proxyless_group,
                    Observer observer = nullptr)
      : cache_(cache),
        options_(std::move(options)),
        proxyless_group_(std::move(proxyless_group)),
        observer_(std::move(observer)) {}

  // Translates `state` and sets the snapshots. A snapshot that cannot be built (it should not
  // happen) is logged and the group keeps its last one.
  void Publish(const source::ClusterState& state) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Set(const std::string& group, const XdsResources& resources)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  xds::SnapshotCache& cache_;
  const TwoTierOptions options_;
  const std::string proxyless_group_;
  const Observer observer_;
  absl::Mutex mu_;
  std::set<std::string> app_groups_ ABSL_GUARDED_BY(mu_);  // published last time
  std::set<std::string> logged_ ABSL_GUARDED_BY(mu_);      // problems of the last state
};

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_SNAPSHOT_PUBLISHER_H_
