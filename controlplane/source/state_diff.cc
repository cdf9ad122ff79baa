#include "controlplane/source/state_diff.h"

#include <map>
#include <set>
#include <string>
#include <tuple>

#include "controlplane/source/cluster_state_util.h"

namespace strata::source {
namespace {

const std::string& NamespaceOf(const ObjectKey& key) { return key.first; }
const std::string& NamespaceOf(const std::tuple<std::string, std::string, std::string>& key) {
  return std::get<1>(key);
}

// Walks two maps sorted by key side by side; calls `changed(key)` for every key that is in
// one only or whose values differ.
template <typename Map, typename Changed>
void DiffMaps(const Map& before, const Map& after, Changed changed) {
  auto b = before.begin();
  auto a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      changed(b->first);
      ++b;
    } else if (b == before.end() || a->first < b->first) {
      changed(a->first);
      ++a;
    } else {
      if (!(b->second == a->second)) changed(a->first);
      ++b;
      ++a;
    }
  }
}

template <typename Map>
void DiffNamespaced(const Map& before, const Map& after, StateChanges& out) {
  DiffMaps(before, after, [&out](const auto& key) { out.namespaces.insert(NamespaceOf(key)); });
}

template <typename Map>
void DiffClusterScoped(const Map& before, const Map& after, StateChanges& out) {
  if (!out.cluster_scoped && !(before == after)) out.cluster_scoped = true;
}

// Copies the entries of `from` whose key is in `namespace_` (keys sort by namespace first).
template <typename Map>
void CopyRange(const Map& from, const std::string& namespace_, Map& to) {
  for (auto it = from.lower_bound(ObjectKey{namespace_, ""});
       it != from.end() && it->first.first == namespace_; ++it) {
    to.emplace_hint(to.end(), it->first, it->second);
  }
}

}  // namespace

StateChanges DiffStates(const ClusterState& before, const ClusterState& after) {
  StateChanges out;
  DiffNamespaced(before.services, after.services, out);
  DiffNamespaced(before.endpoint_slices, after.endpoint_slices, out);
  DiffNamespaced(before.ingresses, after.ingresses, out);
  DiffNamespaced(before.ingress_routes, after.ingress_routes, out);
  DiffNamespaced(before.gateways, after.gateways, out);
  DiffNamespaced(before.http_routes, after.http_routes, out);
  DiffNamespaced(before.reference_grants, after.reference_grants, out);
  DiffNamespaced(before.tls_secrets, after.tls_secrets, out);
  DiffClusterScoped(before.ingress_classes, after.ingress_classes, out);
  DiffClusterScoped(before.namespaces, after.namespaces, out);
  DiffClusterScoped(before.gateway_classes, after.gateway_classes, out);
  DiffMaps(before.rejected, after.rejected, [&out](const auto& key) {
    if (NamespaceOf(key).empty()) {
      out.cluster_scoped = true;
    } else {
      out.namespaces.insert(NamespaceOf(key));
    }
  });
  return out;
}

void CopyNamespace(const ClusterState& state, const std::string& namespace_, ClusterState& out) {
  CopyRange(state.services, namespace_, out.services);
  CopyRange(state.endpoint_slices, namespace_, out.endpoint_slices);
  CopyRange(state.ingresses, namespace_, out.ingresses);
  CopyRange(state.ingress_routes, namespace_, out.ingress_routes);
  CopyRange(state.gateways, namespace_, out.gateways);
  CopyRange(state.http_routes, namespace_, out.http_routes);
  CopyRange(state.reference_grants, namespace_, out.reference_grants);
  CopyRange(state.tls_secrets, namespace_, out.tls_secrets);
  for (const auto& [key, rejected] : state.rejected) {
    if (std::get<1>(key) == namespace_) out.rejected.emplace(key, rejected);
  }
}

ClusterState NamespaceSubset(const ClusterState& state, const std::set<std::string>& namespaces) {
  ClusterState out;
  out.ingress_classes = state.ingress_classes;
  out.namespaces = state.namespaces;
  out.gateway_classes = state.gateway_classes;
  for (const auto& [key, rejected] : state.rejected) {
    if (std::get<1>(key).empty()) out.rejected.emplace(key, rejected);
  }
  for (const std::string& ns : namespaces) CopyNamespace(state, ns, out);
  return out;
}

}  // namespace strata::source
