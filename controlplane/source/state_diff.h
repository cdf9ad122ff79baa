#ifndef STRATA_CONTROLPLANE_SOURCE_STATE_DIFF_H_
#define STRATA_CONTROLPLANE_SOURCE_STATE_DIFF_H_

#include <set>
#include <string>

#include "controlplane/source/cluster_state.h"

namespace strata::source {

// What differs between two cluster states, by namespace: what a source tells with each new
// state.
struct StateChanges {
  // Every object may have changed (a first state, or a source that cannot tell).
  bool all = false;
  // A cluster-scoped object (IngressClass, GatewayClass, Namespace, or a refused version of
  // one) was added, changed or removed.
  bool cluster_scoped = false;
  // Namespaces with an object added, changed or removed (or whose refused version changed).
  std::set<std::string> namespaces;
  bool empty() const { return !all && !cluster_scoped && namespaces.empty(); }
  static StateChanges All() {
    StateChanges changes;
    changes.all = true;
    return changes;
  }
};

// Compares every object of `before` with `after` (field by field, cluster_state_util.h).
StateChanges DiffStates(const ClusterState& before, const ClusterState& after);

// The part of `state` a translation of `namespaces` reads: their objects, every
// cluster-scoped object, and the refused versions of all of them.
ClusterState NamespaceSubset(const ClusterState& state, const std::set<std::string>& namespaces);

// Adds the objects of `state` in `namespace_` to `out` (which holds none of them yet).
void CopyNamespace(const ClusterState& state, const std::string& namespace_, ClusterState& out);

}  // namespace strata::source

#endif  // STRATA_CONTROLPLANE_SOURCE_STATE_DIFF_H_
