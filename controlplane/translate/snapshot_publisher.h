#ifndef STRATA_CONTROLPLANE_TRANSLATE_SNAPSHOT_PUBLISHER_H_
#define STRATA_CONTROLPLANE_TRANSLATE_SNAPSHOT_PUBLISHER_H_

#include <functional>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/source/state_diff.h"
#include "controlplane/translate/incremental.h"
#include "controlplane/translate/two_tier.h"
#include "controlplane/xds/snapshot_cache.h"

namespace strata::translate {

// Turns each new cluster state into the snapshots of every node group and hands them to the
// cache: the proxyless group, "edge", and "app/<namespace>" for each app tier. A group whose
// app tier went away gets an empty snapshot, so its proxies stop routing. Only the namespaces
// a change can affect are translated again, and only the groups whose resources change get a
// new snapshot (IncrementalTranslator). Problems found while translating are logged once,
// when they first appear.
class SnapshotPublisher {
 public:
  // Sees every translation (e.g. to report problems on the objects). The config holds the
  // status part of the translation (IncrementalTranslator::status()).
  using Observer = std::function<void(const source::ClusterState&, const TwoTierConfig&)>;

  SnapshotPublisher(xds::SnapshotCache& cache, TwoTierOptions options, std::string proxyless_group,
                    Observer observer = nullptr)
      : cache_(cache),
        translator_(std::move(options), proxyless_group),
        proxyless_group_(std::move(proxyless_group)),
        observer_(std::move(observer)) {}

  // Translates `state` and sets the snapshots that changed. `changes`: how `state` differs
  // from the last one published (IncrementalTranslator::Translate).
  void Publish(const source::ClusterState& state, const source::StateChanges& changes)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  xds::SnapshotCache& cache_;
  absl::Mutex mu_;
  IncrementalTranslator translator_ ABSL_GUARDED_BY(mu_);
  const std::string proxyless_group_;
  const Observer observer_;
  std::set<std::string> logged_ ABSL_GUARDED_BY(mu_);  // problems of the last state
};

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_SNAPSHOT_PUBLISHER_H_
