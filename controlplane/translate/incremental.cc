#include "controlplane/translate/incremental.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "controlplane/translate/proxyless.h"
#include "google/protobuf/io/coded_stream.h"

namespace strata::translate {
namespace {

using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using xds::ResourceConstSharedPtr;
using xds::ResourceType;

// Translations of namespaces tied to more namespaces than the last one thought are retried
// with those; after this many rounds everything is translated.
constexpr int kMaxRounds = 4;

// The domains `name` is under: "a.b.example.com" and "*.b.example.com" → "b.example.com" (only
// for the first), "example.com", "com".
std::vector<absl::string_view> DomainsAbove(absl::string_view name) {
  std::vector<absl::string_view> out;
  if (absl::StartsWith(name, "*.")) name.remove_prefix(2);
  for (size_t dot = name.find('.'); dot != absl::string_view::npos; dot = name.find('.')) {
    name.remove_prefix(dot + 1);
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

// The namespace of an edge resource named by two_tier.h: "app/<ns>", "svc/<ns>/...",
// "tls/<ns>/...".
absl::string_view NamespaceOfResource(absl::string_view name) {
  const size_t first = name.find('/');
  if (first == absl::string_view::npos) return "";
  name.remove_prefix(first + 1);
  return name.substr(0, name.find('/'));
}

// Appends field `number` of wire type "length-delimited" holding `bytes`.
void AppendLengthDelimited(uint32_t number, const std::string& bytes, std::string& out) {
  uint8_t header[10];  // two varints of 32 bits: at most 5 bytes each
  uint8_t* end =
      google::protobuf::io::CodedOutputStream::WriteVarint32ToArray((number << 3) | 2, header);
  end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
      static_cast<uint32_t>(bytes.size()), end);
  out.append(reinterpret_cast<const char*>(header), end - header);
  out.append(bytes);
}

template <typename T>
void SetErase(std::map<std::string, std::set<std::string>>& index, const T& key,
              const std::string& ns, bool add) {
  if (add) {
    index[std::string(key)].insert(ns);
    return;
  }
  auto it = index.find(std::string(key));
  if (it == index.end()) return;
  it->second.erase(ns);
  if (it->second.empty()) index.erase(it);
}

void InsertAll(const std::map<std::string, std::set<std::string>>& index, absl::string_view key,
               std::set<std::string>& out) {
  auto it = index.find(std::string(key));
  if (it != index.end()) out.insert(it->second.begin(), it->second.end());
}

// Every namespace a translation has a part of.
std::set<std::string> NamespacesOf(const TwoTierConfig& config,
                                   const TwoTierAttribution& attribution) {
  std::set<std::string> out;
  for (const auto& [ns, ties] : attribution.ties) out.insert(ns);
  for (const auto& [key, ns] : attribution.edge_vhosts) out.insert(ns);
  for (const auto& [ns, warnings] : attribution.edge_warnings) out.insert(ns);
  for (const auto& [ns, app] : config.apps) out.insert(ns);
  for (const auto& c : config.edge.clusters) out.emplace(NamespaceOfResource(c.name()));
  for (const auto& e : config.edge.endpoints) out.emplace(NamespaceOfResource(e.cluster_name()));
  for (const auto& s : config.edge.secrets) out.emplace(NamespaceOfResource(s.name()));
  for (const ObjectReport& r : config.reports) out.insert(r.namespace_);
  for (const ServedObject& s : config.served) out.insert(s.namespace_);
  for (const GatewayStatus& g : config.gateway_api.gateways) out.insert(g.key.first);
  for (const HttpRouteStatus& r : config.gateway_api.routes) out.insert(r.key.first);
  out.erase("");
  return out;
}

}  // namespace

IncrementalTranslator::IncrementalTranslator(TwoTierOptions options, std::string proxyless_group)
    : options_(std::move(options)), proxyless_group_(std::move(proxyless_group)) {}

size_t IncrementalTranslator::edge_hosts() const {
  return std::distance(edge_vhosts_.begin(), edge_vhosts_.lower_bound({true, ""}));
}

void IncrementalTranslator::Index(const std::string& ns, const NamespaceTies& ties, bool add) {
  for (const std::string& name : ties.names) {
    SetErase(by_name_, name, ns, add);
    if (absl::StartsWith(name, "*.")) SetErase(by_wildcard_, name.substr(2), ns, add);
    for (absl::string_view domain : DomainsAbove(name)) SetErase(by_domain_, domain, ns, add);
  }
  for (const std::string& other : ties.namespaces) SetErase(referrers_, other, ns, add);
}

void IncrementalTranslator::AddTied(const std::string& ns, const NamespaceTies& ties,
                                    std::set<std::string>& out) const {
  for (const std::string& name : ties.names) {
    InsertAll(by_name_, name, out);
    // Wildcards above the name, and names below it if it is one.
    for (absl::string_view domain : DomainsAbove(name)) InsertAll(by_wildcard_, domain, out);
    if (absl::StartsWith(name, "*.")) InsertAll(by_domain_, name.substr(2), out);
  }
  out.insert(ties.namespaces.begin(), ties.namespaces.end());
  InsertAll(referrers_, ns, out);
  out.erase(ns);
}

std::set<std::string> IncrementalTranslator::Closure(std::set<std::string> namespaces) const {
  std::vector<std::string> pending(namespaces.begin(), namespaces.end());
  static const NamespaceTies kNone;
  while (!pending.empty()) {
    const std::string ns = std::move(pending.back());
    pending.pop_back();
    auto shard = shards_.find(ns);
    std::set<std::string> tied;
    AddTied(ns, shard == shards_.end() ? kNone : shard->second.ties, tied);
    for (const std::string& other : tied) {
      if (namespaces.insert(other).second) pending.push_back(other);
    }
  }
  return namespaces;
}

bool IncrementalTranslator::Split(const std::set<std::string>& namespaces, TwoTierConfig& config,
                                  TwoTierAttribution& attribution, Update& update) {
  for (const std::string& ns : NamespacesOf(config, attribution)) {
    if (!namespaces.contains(ns)) return false;
  }
  std::map<std::pair<ResourceType, std::string>, ResourceConstSharedPtr> old_edge;
  for (const std::string& ns : namespaces) {
    auto old = shards_.find(ns);
    if (old == shards_.end()) continue;
    Index(ns, old->second.ties, /*add=*/false);
    for (ResourceConstSharedPtr& r : old->second.edge_resources) {
      old_edge.emplace(std::make_pair(r->type, r->name), std::move(r));
    }
    for (const auto& key : old->second.edge_vhosts) edge_vhosts_.erase(key);
    if (old->second.app_tier && !config.apps.contains(ns)) {
      gone_app_tiers_.push_back(AppGroup(ns));
    }
    shards_.erase(old);
  }
  for (const std::string& ns : namespaces) shards_[ns];

  for (auto& [ns, ties] : attribution.ties) {
    Index(ns, ties, /*add=*/true);
    shards_[ns].ties = std::move(ties);
  }
  for (auto& [ns, app] : config.apps) {
    Shard& shard = shards_[ns];
    shard.app_tier = true;
    shard.app_warnings = app.warnings;
    auto snapshot = BuildSnapshot(app);
    if (snapshot.ok()) {
      update.snapshots.emplace_back(AppGroup(ns), *std::move(snapshot));
    } else {
      STRATA_LOG(ERROR) << "group " << AppGroup(ns)
                        << ": snapshot not built, keeping the last one: " << snapshot.status();
    }
  }
  std::vector<const RouteConfiguration*> configs;
  for (const RouteConfiguration& routes : config.edge.routes) configs.push_back(&routes);
  if (config.edge.routes.size() < 2) configs.push_back(&attribution.unserved_https_routes);
  for (const RouteConfiguration* routes : configs) {
    const bool https = routes->name() != kEdgeListenerName;
    for (const auto& vhost : routes->virtual_hosts()) {
      std::pair<bool, std::string> key(https, vhost.name());
      auto owner = attribution.edge_vhosts.find(key);
      if (owner == attribution.edge_vhosts.end()) continue;  // cannot be: every one is named
      shards_[owner->second].edge_vhosts.push_back(key);
      edge_vhosts_[std::move(key)] = {owner->second, xds::SerializeDeterministic(vhost)};
    }
  }
  auto add_resources = [this](ResourceType type, const auto& messages, auto name_of) {
    for (const auto& message : messages) {
      shards_[std::string(NamespaceOfResource(name_of(message)))].edge_resources.push_back(
          xds::MakeResource(type, message));
    }
  };
  add_resources(ResourceType::kCluster, config.edge.clusters,
                [](const auto& c) -> const std::string& { return c.name(); });
  add_resources(ResourceType::kEndpoint, config.edge.endpoints,
                [](const auto& e) -> const std::string& { return e.cluster_name(); });
  add_resources(ResourceType::kSecret, config.edge.secrets,
                [](const auto& s) -> const std::string& { return s.name(); });
  for (Listener& listener : config.edge.listeners) {
    if (listener.name() == kEdgeListenerName) {
      edge_listener_ = xds::MakeResource(ResourceType::kListener, listener);
      continue;
    }
    for (auto& chain : *listener.mutable_filter_chains()) {
      shards_[std::string(NamespaceOfResource(chain.name()))].https_chains.push_back(
          std::move(chain));
    }
    listener.clear_filter_chains();
    https_listener_ = std::move(listener);
  }
  for (auto& [ns, warnings] : attribution.edge_warnings) {
    shards_[ns].edge_warnings = std::move(warnings);
  }
  cluster_reports_.clear();
  for (ObjectReport& report : config.reports) {
    if (report.namespace_.empty()) {
      cluster_reports_.push_back(std::move(report));
    } else {
      shards_[report.namespace_].reports.push_back(std::move(report));
    }
  }
  for (ServedObject& served : config.served) {
    shards_[served.namespace_].served.push_back(std::move(served));
  }
  for (GatewayStatus& gateway : config.gateway_api.gateways) {
    shards_[gateway.key.first].gateways.push_back(std::move(gateway));
  }
  for (HttpRouteStatus& route : config.gateway_api.routes) {
    shards_[route.key.first].routes.push_back(std::move(route));
  }
  status_.gateway_api.classes = std::move(config.gateway_api.classes);
  status_.gateway_api.controller_name = std::move(config.gateway_api.controller_name);
  status_.edge_addresses = std::move(config.edge_addresses);
  // What changed at the edge; namespaces left with nothing keep no shard.
  edge_upserts_.clear();
  edge_removals_.clear();
  for (const std::string& ns : namespaces) {
    auto it = shards_.find(ns);
    for (const ResourceConstSharedPtr& r : it->second.edge_resources) {
      auto old = old_edge.find({r->type, r->name});
      if (old == old_edge.end() || old->second->hash != r->hash ||
          old->second->serialized != r->serialized) {
        edge_upserts_.push_back(r);
      }
      if (old != old_edge.end()) old_edge.erase(old);
    }
    const Shard& s = it->second;
    if (s.ties.names.empty() && s.ties.namespaces.empty() && !s.app_tier && s.edge_vhosts.empty() &&
        s.edge_resources.empty() && s.https_chains.empty() && s.edge_warnings.empty() &&
        s.reports.empty() && s.served.empty() && s.gateways.empty() && s.routes.empty()) {
      shards_.erase(it);
    }
  }
  for (const auto& [key, r] : old_edge) edge_removals_.push_back(key);
  return true;
}

void IncrementalTranslator::BuildEdge(bool full, Update& update) {
  std::vector<ResourceConstSharedPtr> all;
  if (edge_listener_ != nullptr) all.push_back(edge_listener_);
  bool tls = false;
  for (const auto& [ns, shard] : shards_) tls |= !shard.https_chains.empty();
  if (tls && https_listener_.has_value()) {
    Listener listener = *https_listener_;
    for (const auto& [ns, shard] : shards_) {
      for (const auto& chain : shard.https_chains) *listener.add_filter_chains() = chain;
    }
    all.push_back(xds::MakeResource(ResourceType::kListener, listener));
  }
  // A RouteConfiguration is its name (field 1) and its virtual hosts (field 2), each
  // serialized once, when its namespace was translated.
  for (const bool https : {false, true}) {
    if (https && !tls) continue;
    RouteConfiguration header;
    header.set_name(https ? kEdgeTlsListenerName : kEdgeListenerName);
    std::string bytes = xds::SerializeDeterministic(header);
    for (auto it = edge_vhosts_.lower_bound({https, ""});
         it != edge_vhosts_.end() && it->first.first == https; ++it) {
      AppendLengthDelimited(RouteConfiguration::kVirtualHostsFieldNumber, it->second.second, bytes);
    }
    all.push_back(
        xds::MakeSerializedResource(ResourceType::kRoute, header.name(), std::move(bytes)));
  }
  absl::StatusOr<xds::SnapshotConstSharedPtr> snapshot;
  if (full || edge_snapshot_ == nullptr) {
    for (const auto& [ns, shard] : shards_) {
      all.insert(all.end(), shard.edge_resources.begin(), shard.edge_resources.end());
    }
    snapshot = xds::Snapshot::Create(std::move(all));
  } else {
    all.insert(all.end(), edge_upserts_.begin(), edge_upserts_.end());
    if (!tls) {
      for (const auto& [type, name] :
           {std::make_pair(ResourceType::kListener, kEdgeTlsListenerName),
            std::make_pair(ResourceType::kRoute, kEdgeTlsListenerName)}) {
        if (edge_snapshot_->Find(type, name) != nullptr) edge_removals_.emplace_back(type, name);
      }
    }
    snapshot = xds::Snapshot::Update(*edge_snapshot_, std::move(all), edge_removals_);
  }
  edge_upserts_.clear();
  edge_removals_.clear();
  if (!snapshot.ok()) {
    STRATA_LOG(ERROR) << "group " << kEdgeGroup
                      << ": snapshot not built, keeping the last one: " << snapshot.status();
    return;
  }
  edge_snapshot_ = *snapshot;
  update.snapshots.emplace_back(kEdgeGroup, edge_snapshot_);
}

void IncrementalTranslator::BuildStatus(Update& update) {
  status_.reports = cluster_reports_;
  status_.served.clear();
  status_.gateway_api.gateways.clear();
  status_.gateway_api.routes.clear();
  status_.edge.warnings.clear();
  app_tiers_ = 0;
  for (const auto& [ns, shard] : shards_) {
    status_.reports.insert(status_.reports.end(), shard.reports.begin(), shard.reports.end());
    status_.served.insert(status_.served.end(), shard.served.begin(), shard.served.end());
    status_.gateway_api.gateways.insert(status_.gateway_api.gateways.end(), shard.gateways.begin(),
                                        shard.gateways.end());
    status_.gateway_api.routes.insert(status_.gateway_api.routes.end(), shard.routes.begin(),
                                      shard.routes.end());
    status_.edge.warnings.insert(status_.edge.warnings.end(), shard.edge_warnings.begin(),
                                 shard.edge_warnings.end());
    if (shard.app_tier) {
      ++app_tiers_;
      update.problems.insert(shard.app_warnings.begin(), shard.app_warnings.end());
    }
  }
  std::sort(status_.reports.begin(), status_.reports.end(),
            [](const ObjectReport& a, const ObjectReport& b) {
              return std::tie(a.kind, a.namespace_, a.name) <
                     std::tie(b.kind, b.namespace_, b.name);
            });
  std::sort(status_.served.begin(), status_.served.end());
  SortResources(status_.edge);
  update.problems.insert(status_.edge.warnings.begin(), status_.edge.warnings.end());
  for (const auto& [ns, shard] : proxyless_) {
    update.problems.insert(shard.warnings.begin(), shard.warnings.end());
  }
  for (const ObjectReport& report : status_.reports) {
    for (const std::string& problem : report.problems) {
      update.problems.insert(
          absl::StrCat(report.kind, " ", report.namespace_, "/", report.name, ": ", problem));
    }
  }
}

void IncrementalTranslator::TranslateProxyless(const source::ClusterState& state,
                                               const std::set<std::string>& namespaces, bool all,
                                               Update& update) {
  if (all) proxyless_.clear();
  std::vector<ResourceConstSharedPtr> upserts;
  std::vector<std::pair<ResourceType, std::string>> removals;
  for (const std::string& ns : namespaces) {
    source::ClusterState own;
    for (auto it = state.services.lower_bound({ns, ""});
         it != state.services.end() && it->first.first == ns; ++it) {
      own.services.emplace_hint(own.services.end(), *it);
    }
    for (auto it = state.endpoint_slices.lower_bound({ns, ""});
         it != state.endpoint_slices.end() && it->first.first == ns; ++it) {
      own.endpoint_slices.emplace_hint(own.endpoint_slices.end(), *it);
    }
    ProxylessShard shard;
    if (!own.services.empty()) {
      const XdsResources resources = translate::TranslateProxyless(own);
      auto snapshot = BuildSnapshot(resources);
      shard.clusters = resources.clusters.size();
      shard.warnings = resources.warnings;
      if (snapshot.ok()) {
        for (ResourceType type : xds::kPushOrder) {
          for (const auto& [name, resource] : (*snapshot)->resources(type)) {
            shard.resources.push_back(resource);
          }
        }
      }
    }
    // What differs from the namespace's last resources.
    std::map<std::pair<ResourceType, std::string>, const xds::Resource*> before;
    if (auto old = proxyless_.find(ns); old != proxyless_.end()) {
      for (const ResourceConstSharedPtr& r : old->second.resources) {
        before.emplace(std::make_pair(r->type, r->name), r.get());
      }
    }
    for (const ResourceConstSharedPtr& r : shard.resources) {
      auto old = before.find({r->type, r->name});
      if (old == before.end() || old->second->hash != r->hash ||
          old->second->serialized != r->serialized) {
        upserts.push_back(r);
      }
      if (old != before.end()) before.erase(old);
    }
    for (const auto& [key, r] : before) removals.push_back(key);
    if (shard.resources.empty() && shard.warnings.empty()) {
      proxyless_.erase(ns);
    } else {
      proxyless_[ns] = std::move(shard);
    }
  }
  if (!all && upserts.empty() && removals.empty()) return;
  proxyless_clusters_ = 0;
  for (const auto& [ns, shard] : proxyless_) proxyless_clusters_ += shard.clusters;
  absl::StatusOr<xds::SnapshotConstSharedPtr> snapshot;
  if (all || proxyless_snapshot_ == nullptr) {
    snapshot = xds::Snapshot::Create(std::move(upserts));
  } else {
    snapshot = xds::Snapshot::Update(*proxyless_snapshot_, std::move(upserts), removals);
  }
  if (!snapshot.ok()) {
    STRATA_LOG(ERROR) << "group " << proxyless_group_
                      << ": snapshot not built, keeping the last one: " << snapshot.status();
    return;
  }
  proxyless_snapshot_ = *snapshot;
  update.snapshots.emplace_back(proxyless_group_, proxyless_snapshot_);
}

IncrementalTranslator::Update IncrementalTranslator::Translate(
    const source::ClusterState& state, const source::StateChanges& changes) {
  Update update;
  // The edge Service's namespace: its endpoints are every app tier's allowed senders.
  bool full = !translated_ || changes.all || changes.cluster_scoped ||
              changes.namespaces.contains(options_.edge_service.first);
  translated_ = true;
  if (!full && changes.empty()) {
    BuildStatus(update);
    return update;
  }

  if (!full) {
    std::set<std::string> namespaces = Closure(changes.namespaces);
    bool done = false;
    for (int round = 0; round < kMaxRounds && !done; ++round) {
      source::ClusterState part = source::NamespaceSubset(state, namespaces);
      // The edge Service and its EndpointSlices: where the app tiers' traffic comes from.
      const auto& [edge_ns, edge_name] = options_.edge_service;
      if (!namespaces.contains(edge_ns)) {
        if (auto it = state.services.find(options_.edge_service); it != state.services.end()) {
          part.services.insert(*it);
        }
        for (auto it = state.endpoint_slices.lower_bound({edge_ns, ""});
             it != state.endpoint_slices.end() && it->first.first == edge_ns; ++it) {
          if (it->second.service_name == edge_name) part.endpoint_slices.insert(*it);
        }
      }
      TwoTierAttribution attribution;
      TwoTierConfig config = TranslateTwoTier(part, options_, &attribution);
      // Namespaces the new version of these objects ties to, beyond the last version's.
      std::set<std::string> more;
      for (const auto& [ns, ties] : attribution.ties) AddTied(ns, ties, more);
      for (const std::string& ns : namespaces) more.erase(ns);
      if (more.empty()) {
        done = Split(namespaces, config, attribution, update);
        if (!done) break;
        update.translated_namespaces = namespaces.size();
      } else {
        namespaces.insert(more.begin(), more.end());
        namespaces = Closure(std::move(namespaces));
      }
    }
    full = !done;
    if (!full) TranslateProxyless(state, changes.namespaces, /*all=*/false, update);
  }

  if (full) {
    update.full = true;
    update.snapshots.clear();
    TwoTierAttribution attribution;
    TwoTierConfig config = TranslateTwoTier(state, options_, &attribution);
    std::set<std::string> namespaces = NamespacesOf(config, attribution);
    for (const auto& [ns, shard] : shards_) namespaces.insert(ns);
    std::set<std::string> with_services;
    for (const auto& [key, service] : state.services) with_services.insert(key.first);
    Split(namespaces, config, attribution, update);
    update.translated_namespaces = namespaces.size();
    TranslateProxyless(state, with_services, /*all=*/true, update);
  }
  BuildEdge(full, update);
  // An app tier that went away is emptied after the edge stops sending to it (a new one gets
  // its snapshot before the edge's, above).
  for (const std::string& group : gone_app_tiers_) {
    update.snapshots.emplace_back(group, *xds::Snapshot::Create({}));
  }
  gone_app_tiers_.clear();
  BuildStatus(update);
  return update;
}

}  // namespace strata::translate
