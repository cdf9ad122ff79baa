#ifndef STRATA_TESTS_BENCH_SYNTHETIC_CONFIG_H_
#define STRATA_TESTS_BENCH_SYNTHETIC_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/xds/resource.h"
#include "controlplane/xds/snapshot.h"

namespace strata::bench {

// The shape of the configuration the benchmark serves: `groups` node groups, each with one
// Listener (HTTP connection manager, RDS over ADS), one RouteConfiguration of
// `routes_per_group` routes, `clusters_per_group` EDS clusters and as many
// ClusterLoadAssignments of `endpoints_per_cluster` endpoints each.
struct ConfigShape {
  int groups = 100;
  int routes_per_group = 100;
  int clusters_per_group = 50;
  int endpoints_per_cluster = 10;
};

// Name of node group `g`; a node joins it by carrying it as `node.cluster`.
std::string GroupName(int g);

// The synthetic resources of every group, and edits to them. Each edit rebuilds (and so
// serializes) exactly one resource and reuses the others, as a translator that caches
// unchanged resources would.
class SyntheticConfig {
 public:
  explicit SyntheticConfig(ConfigShape shape);

  const ConfigShape& shape() const { return shape_; }

  // The current snapshot of group `g`.
  absl::StatusOr<xds::SnapshotConstSharedPtr> Snapshot(int g) const;

  // Replaces one endpoint of one ClusterLoadAssignment of group `g` (round robin over the
  // group's clusters).
  void ChangeEndpoints(int g);
  // Changes the timeout of one route of group `g`'s RouteConfiguration (round robin).
  void ChangeRoute(int g);

 private:
  struct Group {
    xds::ResourceConstSharedPtr listener;
    xds::ResourceConstSharedPtr routes;
    std::vector<xds::ResourceConstSharedPtr> clusters;
    std::vector<xds::ResourceConstSharedPtr> endpoints;
    int endpoint_edits = 0;
    int route_edits = 0;
  };
  xds::ResourceConstSharedPtr BuildRoutes(int g, int revision) const;
  xds::ResourceConstSharedPtr BuildEndpoints(int g, int c, int revision) const;

  ConfigShape shape_;
  std::vector<Group> groups_;
};

}  // namespace strata::bench

#endif  // STRATA_TESTS_BENCH_SYNTHETIC_CONFIG_H_
