#include "controlplane/translate/snapshot_publisher.h"

#include <set>
#include <string>

#include "common/logging.h"

namespace strata::translate {

void SnapshotPublisher::Publish(const source::ClusterState& state,
                                const source::StateChanges& changes) {
  absl::MutexLock lock(&mu_);
  IncrementalTranslator::Update update = translator_.Translate(state, changes);
  for (auto& [group, snapshot] : update.snapshots) cache_.SetSnapshot(group, std::move(snapshot));

  // Every problem as one line; logged when it is new, so a reload does not repeat them all.
  for (const std::string& line : update.problems) {
    if (!logged_.contains(line)) {
      STRATA_LOG(WARNING) << line;
    }
  }
  logged_ = std::move(update.problems);
  if (!update.snapshots.empty()) {
    STRATA_LOG(INFO) << "serving " << translator_.proxyless_clusters() << " Service ports to group "
                     << proxyless_group_ << ", " << translator_.edge_hosts()
                     << " hosts at the edge, " << translator_.app_tiers() << " app tiers ("
                     << (update.full ? "all " : "") << update.translated_namespaces
                     << " namespaces translated, " << update.snapshots.size()
                     << " snapshots changed)";
  }
  // After the snapshots: status writes are not what serves traffic.
  if (observer_) observer_(state, translator_.status());
}

}  // namespace strata::translate
