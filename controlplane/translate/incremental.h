#ifndef STRATA_CONTROLPLANE_TRANSLATE_INCREMENTAL_H_
#define STRATA_CONTROLPLANE_TRANSLATE_INCREMENTAL_H_

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/source/cluster_state.h"
#include "controlplane/source/state_diff.h"
#include "controlplane/translate/two_tier.h"
#include "controlplane/xds/snapshot.h"
#include "envoy/config/listener/v3/listener.pb.h"

namespace strata::translate {

// The translation for the edge, the app tiers and the proxyless clients, redone after a change
// only for the namespaces the change can affect, with snapshots built only for the node groups
// whose resources change. The result is always the one a whole translation gives
// (TranslateTwoTier, TranslateProxyless): byte for byte the same snapshots and status.
//
// Which namespaces a change can affect: the namespaces with a changed object, and with them,
// until nothing is added, every namespace tied to one of them by the last translation or the
// new one (TwoTierAttribution): one that claims the same hostname or one under a wildcard of
// the other, or one whose objects refer to the other's (Gateways, backends, certificates).
// Those are translated together, on the objects of those namespaces alone; the other
// namespaces keep their parts. A change to a cluster-scoped object (IngressClass,
// GatewayClass, Namespace) or to the edge Service and its EndpointSlices translates
// everything.
//
// Not thread-safe: one caller at a time.
class IncrementalTranslator {
 public:
  IncrementalTranslator(TwoTierOptions options, std::string proxyless_group);

  struct Update {
    // Node groups whose snapshot changed, with the new one (an empty snapshot for an app tier
    // that went away).
    std::vector<std::pair<std::string, xds::SnapshotConstSharedPtr>> snapshots;
    // Problems of the translation: every warning of every group, and every object report.
    std::set<std::string> problems;
    size_t translated_namespaces = 0;  // namespaces translated this time (all for a full one)
    bool full = false;                 // everything was translated again
  };

  // Translates `state`. `changes`: how it differs from the state of the last call, as its
  // source tells (source::DiffStates computes it); the first call translates everything.
  Update Translate(const source::ClusterState& state, const source::StateChanges& changes);

  // The status part of the last translation: reports, served objects, Gateway API status and
  // edge addresses as TranslateTwoTier gives them. Its edge and apps hold only warnings.
  const TwoTierConfig& status() const { return status_; }
  // Virtual hosts of the edge's HTTP route configuration.
  size_t edge_hosts() const;
  size_t app_tiers() const { return app_tiers_; }
  size_t proxyless_clusters() const { return proxyless_clusters_; }

 private:
  // One namespace's part of the last translation.
  struct Shard {
    NamespaceTies ties;
    bool app_tier = false;
    std::vector<std::string> app_warnings;
    std::vector<std::pair<bool, std::string>> edge_vhosts;    // keys of edge_vhosts_
    std::vector<xds::ResourceConstSharedPtr> edge_resources;  // clusters, endpoints, secrets
    std::vector<envoy::config::listener::v3::FilterChain> https_chains;
    std::vector<std::string> edge_warnings;
    std::vector<ObjectReport> reports;
    std::vector<ServedObject> served;
    std::vector<GatewayStatus> gateways;
    std::vector<HttpRouteStatus> routes;
  };
  struct ProxylessShard {
    std::vector<xds::ResourceConstSharedPtr> resources;
    std::vector<std::string> warnings;
    size_t clusters = 0;
  };

  // Namespaces tied to `ns` by `ties` (or its last ties) in the index, other than `ns`.
  void AddTied(const std::string& ns, const NamespaceTies& ties, std::set<std::string>& out) const;
  // `namespaces` and, until nothing is added, every namespace the last translation ties to one.
  std::set<std::string> Closure(std::set<std::string> namespaces) const;
  void Index(const std::string& ns, const NamespaceTies& ties, bool add);
  // Replaces the shards of `namespaces` with their parts of `config`. False when `config` has
  // a part of a namespace outside them (so they were not all its dependencies).
  bool Split(const std::set<std::string>& namespaces, TwoTierConfig& config,
             TwoTierAttribution& attribution, Update& update);
  void TranslateProxyless(const source::ClusterState& state,
                          const std::set<std::string>& namespaces, bool all, Update& update);
  // The edge's snapshot: the last one updated with edge_upserts_ and edge_removals_, or with
  // `full` (or none yet) a new one from every shard.
  void BuildEdge(bool full, Update& update);
  void BuildStatus(Update& update);

  const TwoTierOptions options_;
  const std::string proxyless_group_;
  bool translated_ = false;  // the first call was made
  std::map<std::string, Shard> shards_;
  std::map<std::string, ProxylessShard> proxyless_;
  // The last snapshots, which the next ones are made from (xds::Snapshot::Update).
  xds::SnapshotConstSharedPtr proxyless_snapshot_;
  xds::SnapshotConstSharedPtr edge_snapshot_;
  // What the last Split changed in the shards' edge resources.
  std::vector<xds::ResourceConstSharedPtr> edge_upserts_;
  std::vector<std::pair<xds::ResourceType, std::string>> edge_removals_;
  // App groups the last Split emptied: their empty snapshots go after the edge's.
  std::vector<std::string> gone_app_tiers_;
  // (HTTPS, name) → (namespace, the serialized VirtualHost), sorted as the edge lists them.
  std::map<std::pair<bool, std::string>, std::pair<std::string, std::string>> edge_vhosts_;
  // Indexes of the shards' ties: namespaces by exact name, by the suffix of their wildcard
  // ("example.com" for "*.example.com"), by each domain their names are under, and by the
  // namespaces that refer to them.
  std::map<std::string, std::set<std::string>> by_name_;
  std::map<std::string, std::set<std::string>> by_wildcard_;
  std::map<std::string, std::set<std::string>> by_domain_;
  std::map<std::string, std::set<std::string>> referrers_;
  // Parts that come from no namespace.
  xds::ResourceConstSharedPtr edge_listener_;
  std::optional<envoy::config::listener::v3::Listener> https_listener_;  // without chains
  std::vector<ObjectReport> cluster_reports_;
  TwoTierConfig status_;
  size_t app_tiers_ = 0;
  size_t proxyless_clusters_ = 0;
};

}  // namespace strata::translate

#endif  // STRATA_CONTROLPLANE_TRANSLATE_INCREMENTAL_H_
