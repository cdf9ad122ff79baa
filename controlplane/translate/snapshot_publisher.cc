#include "controlplane/translate/snapshot_publisher.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "controlplane/translate/proxyless.h"

namespace strata::translate {

void SnapshotPublisher::Set(const std::string& group, const XdsResources& resources) {
  auto snapshot = BuildSnapshot(resources);
  if (!snapshot.ok()) {
    STRATA_LOG(ERROR) << "group " << group
                      << ": snapshot not built, keeping the last one: " << snapshot.status();
    return;
  }
  cache_.SetSnapshot(group, *std::move(snapshot));
}

void SnapshotPublisher::Publish(const source::ClusterState& state) {
  const XdsResources proxyless = TranslateProxyless(state);
  const TwoTierConfig tiers = TranslateTwoTier(state, options_);
  if (observer_) observer_(state, tiers);

  // Every problem as one line; logged when it is new, so a reload does not repeat them all.
  std::set<std::string> problems;
  for (const std::string& w : proxyless.warnings) problems.insert(w);
  for (const std::string& w : tiers.edge.warnings) problems.insert(w);
  for (const auto& [ns, app] : tiers.apps)
    problems.insert(app.warnings.begin(), app.warnings.end());
  for (const ObjectReport& report : tiers.reports) {
    for (const std::string& problem : report.problems) {
      problems.insert(
          absl::StrCat(report.kind, " ", report.namespace_, "/", report.name, ": ", problem));
    }
  }

  absl::MutexLock lock(&mu_);
  for (const std::string& line : problems) {
    if (!logged_.contains(line)) {
      STRATA_LOG(WARNING) << line;
    }
  }
  logged_ = std::move(problems);

  Set(proxyless_group_, proxyless);
  Set(kEdgeGroup, tiers.edge);
  std::set<std::string> app_groups;
  for (const auto& [ns, app] : tiers.apps) {
    app_groups.insert(AppGroup(ns));
    Set(AppGroup(ns), app);
  }
  for (const std::string& gone : app_groups_) {
    if (!app_groups.contains(gone)) Set(gone, XdsResources());
  }
  app_groups_ = std::move(app_groups);
  STRATA_LOG(INFO) << "serving " << proxyless.clusters.size() << " Service ports to group "
                   << proxyless_group_ << ", " << tiers.edge.routes.front().virtual_hosts_size()
                   << " hosts at the edge, " << tiers.apps.size() << " app tiers";
}

}  // namespace strata::translate
