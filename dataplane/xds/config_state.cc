#include "dataplane/xds/config_state.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/server/tls_config.h"

namespace strata::xds {

namespace {

template <typename Proto>
std::string UrlOf() {
  return absl::StrCat("type.googleapis.com/", Proto::descriptor()->full_name());
}

int Index(XdsType type) { return static_cast<int>(type); }

// The clusters a route table sends traffic to.
std::set<std::string> ClustersOf(const router::RouteTable& table) {
  std::set<std::string> names;
  for (const auto& vhost : table.virtual_hosts()) {
    for (const auto& route : vhost->routes()) {
      const auto* forward = route.forward();
      if (forward == nullptr) continue;
      if (!forward->cluster().empty()) names.insert(forward->cluster());
      for (const auto& weighted : forward->weighted_clusters()) names.insert(weighted.name);
    }
  }
  return names;
}

}  // namespace

const std::string& XdsTypeUrl(XdsType type) {
  static const std::string* const urls =
      new std::string[kNumXdsTypes]{UrlOf<envoy::config::cluster::v3::Cluster>(),
                                    UrlOf<envoy::config::endpoint::v3::ClusterLoadAssignment>(),
                                    UrlOf<envoy::config::listener::v3::Listener>(),
                                    UrlOf<envoy::config::route::v3::RouteConfiguration>(),
                                    UrlOf<envoy::extensions::transport_sockets::tls::v3::Secret>()};
  return urls[Index(type)];
}

bool ParseXdsTypeUrl(absl::string_view url, XdsType* type) {
  for (XdsType t : kXdsTypes) {
    if (url == XdsTypeUrl(t)) {
      *type = t;
      return true;
    }
  }
  return false;
}

absl::string_view XdsTypeName(XdsType type) {
  switch (type) {
    case XdsType::kCluster:
      return "CDS";
    case XdsType::kEndpoint:
      return "EDS";
    case XdsType::kListener:
      return "LDS";
    case XdsType::kRoute:
      return "RDS";
    case XdsType::kSecret:
      return "SDS";
  }
  return "?";
}

ConfigState::ConfigState(server::ProxyConfig static_config,
                         std::vector<envoy::config::listener::v3::Listener> static_listeners,
                         server::SecretMap static_secrets)
    : static_(std::move(static_config)),
      static_listener_protos_(std::move(static_listeners)),
      secrets_(std::move(static_secrets)) {}

absl::Status ConfigState::Apply(XdsType type, const std::vector<XdsResource>& resources,
                                const std::vector<std::string>& removed, bool state_of_the_world) {
  // 1. Decode and validate everything; change nothing yet.
  struct Decoded {
    std::string name;
    std::string version;
    const google::protobuf::Any* any;
    server::ListenerConfigConstSharedPtr listener;
    router::RouteTableConstSharedPtr route;
    envoy::config::cluster::v3::Cluster cluster;
    envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
    envoy::config::listener::v3::Listener listener_proto;
    server::Secret secret;
  };
  std::vector<Decoded> decoded;
  std::set<std::string> seen;
  for (const XdsResource& r : resources) {
    Decoded d;
    d.version = r.version;
    d.any = &r.resource;
    const std::string label = absl::StrCat(XdsTypeName(type), " resource \"", r.name, "\"");
    if (r.resource.type_url() != XdsTypeUrl(type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": type_url ", r.resource.type_url(), " is not ", XdsTypeUrl(type)));
    }
    std::string proto_name;
    bool ok = false;
    switch (type) {
      case XdsType::kListener: {
        envoy::config::listener::v3::Listener listener;
        ok = r.resource.UnpackTo(&listener);
        proto_name = listener.name();
        if (ok) {
          auto previous = listeners_.find(listener.name());
          auto built = server::ListenerConfig::Create(
              listener, secrets_, previous == listeners_.end() ? nullptr : previous->second.get());
          if (!built.ok()) return built.status();
          d.listener = *built;
          d.listener_proto = listener;
        }
        break;
      }
      case XdsType::kRoute: {
        envoy::config::route::v3::RouteConfiguration route;
        ok = r.resource.UnpackTo(&route);
        proto_name = route.name();
        if (ok) {
          auto built = router::RouteTable::Create(route);
          if (!built.ok()) return built.status();
          d.route = *built;
        }
        break;
      }
      case XdsType::kCluster: {
        ok = r.resource.UnpackTo(&d.cluster);
        proto_name = d.cluster.name();
        if (ok) {
          auto built = upstream::Cluster::Create(d.cluster, nullptr);
          if (!built.ok()) return built.status();
        }
        break;
      }
      case XdsType::kSecret: {
        ok = r.resource.UnpackTo(&d.secret);
        proto_name = d.secret.name();
        if (ok) {
          STRATA_RETURN_IF_ERROR(
              server::ValidateSecret(d.secret, absl::StrCat("secret \"", proto_name, "\"")));
        }
        break;
      }
      case XdsType::kEndpoint: {
        ok = r.resource.UnpackTo(&d.assignment);
        proto_name = d.assignment.cluster_name();
        if (ok) {
          STRATA_RETURN_IF_ERROR(upstream::Cluster::ValidateAssignment(
              d.assignment, absl::StrCat("cluster_load_assignment \"", proto_name, "\"")));
        }
        break;
      }
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat(label, ": cannot be decoded"));
    if (!r.name.empty() && r.name != proto_name) {
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": the resource's own name is \"", proto_name, "\""));
    }
    d.name = proto_name;
    if (!seen.insert(d.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(XdsTypeName(type), " resource \"", d.name,
                                                     "\" appears twice in one response"));
    }
    if ((type == XdsType::kListener && static_.listeners.contains(d.name)) ||
        (type == XdsType::kCluster && static_.clusters.contains(d.name))) {
      return absl::InvalidArgumentError(
          absl::StrCat(XdsTypeName(type), " resource \"", d.name,
                       "\": the bootstrap has a static resource of that name"));
    }
    decoded.push_back(std::move(d));
  }

  // 2. Commit.
  auto& held = held_[Index(type)];
  std::vector<std::string> gone = removed;
  if (state_of_the_world && (type == XdsType::kListener || type == XdsType::kCluster)) {
    for (const auto& [name, h] : held) {
      if (!seen.contains(name)) gone.push_back(name);
    }
  }
  std::set<std::string> touched_eds;      // service names whose endpoints changed
  std::set<std::string> touched_secrets;  // secrets changed or removed
  for (const std::string& name : gone) {
    held.erase(name);
    switch (type) {
      case XdsType::kListener:
        listeners_.erase(name);
        listener_protos_.erase(name);
        serving_.erase(name);
        break;
      case XdsType::kSecret:
        secrets_.erase(name);
        touched_secrets.insert(name);
        break;
      case XdsType::kRoute:
        routes_.erase(name);
        break;
      case XdsType::kCluster:
        cluster_protos_.erase(name);
        clusters_.erase(name);
        break;
      case XdsType::kEndpoint:
        assignments_.erase(name);
        touched_eds.insert(name);
        break;
    }
  }
  std::set<std::string> touched_clusters;
  for (Decoded& d : decoded) {
    held[d.name] = Held{d.version, *d.any};
    switch (type) {
      case XdsType::kListener:
        listeners_[d.name] = d.listener;
        listener_protos_[d.name] = d.listener_proto;
        break;
      case XdsType::kSecret:
        secrets_[d.name] = d.secret;
        touched_secrets.insert(d.name);
        break;
      case XdsType::kRoute:
        routes_[d.name] = d.route;
        break;
      case XdsType::kCluster:
        cluster_protos_[d.name] = d.cluster;
        touched_clusters.insert(d.name);
        break;
      case XdsType::kEndpoint:
        assignments_[d.name] = d.assignment;
        touched_eds.insert(d.name);
        break;
    }
  }
  // Rebuild the clusters whose settings or endpoints changed (hosts carry over).
  for (const auto& [name, proto] : cluster_protos_) {
    const std::string service = proto.eds_cluster_config().service_name().empty()
                                    ? name
                                    : proto.eds_cluster_config().service_name();
    const bool is_eds = proto.type() == envoy::config::cluster::v3::Cluster::EDS;
    if (!touched_clusters.contains(name) && !(is_eds && touched_eds.contains(service))) continue;
    const envoy::config::endpoint::v3::ClusterLoadAssignment* assignment = nullptr;
    if (is_eds) {
      auto it = assignments_.find(service);
      if (it != assignments_.end()) assignment = &it->second;
    }
    auto previous = clusters_.find(name);
    auto built = upstream::Cluster::Create(
        proto, assignment, previous == clusters_.end() ? nullptr : previous->second.get());
    if (!built.ok()) return built.status();  // validated above; kept for safety
    clusters_[name] = *built;
  }
  // Static EDS clusters take their endpoints from xDS as well.
  for (const auto& [name, cluster] : static_.clusters) {
    if (!cluster->is_eds() || !touched_eds.contains(cluster->eds_service_name())) continue;
    auto it = assignments_.find(cluster->eds_service_name());
    auto previous = static_eds_.find(name);
    auto built = upstream::Cluster::Create(
        cluster->config(), it == assignments_.end() ? nullptr : &it->second,
        previous == static_eds_.end() ? nullptr : previous->second.get());
    if (built.ok()) static_eds_[name] = *built;
  }
  // Listeners whose certificates changed are rebuilt (new handshakes use the new
  // certificate; connections already open keep theirs).
  if (!touched_secrets.empty()) {
    auto uses = [&touched_secrets](const server::ListenerConfig& listener) {
      for (const auto& name : listener.secret_names) {
        if (touched_secrets.contains(name)) return true;
      }
      return false;
    };
    for (auto& [name, listener] : listeners_) {
      if (!uses(*listener)) continue;
      auto rebuilt =
          server::ListenerConfig::Create(listener_protos_[name], secrets_, listener.get());
      if (!rebuilt.ok()) return rebuilt.status();  // e.g. a certificate that does not fit
      listener = *rebuilt;
    }
    for (const auto& proto : static_listener_protos_) {
      auto current = static_.listeners.find(proto.name());
      if (current == static_.listeners.end() || !uses(*current->second)) continue;
      auto rebuilt = server::ListenerConfig::Create(proto, secrets_, current->second.get());
      if (!rebuilt.ok()) return rebuilt.status();
      current->second = *rebuilt;
    }
  }
  received_[Index(type)] = true;
  // 3. Listeners that are warm now serve (replacing their previous version).
  for (const auto& [name, listener] : listeners_) {
    if (ListenerWarm(*listener)) serving_[name] = listener;
  }
  return absl::OkStatus();
}

bool ConfigState::ListenerWarm(const server::ListenerConfig& listener) const {
  if (!listener.Warm()) return false;  // a certificate from SDS is still missing
  for (const auto& chain : listener.chains) {
    const router::RouteTable* table = chain.hcm->route_table.get();
    if (table == nullptr) {
      auto it = routes_.find(chain.hcm->rds_name);
      if (it == routes_.end()) return false;
      table = it->second.get();
    }
    for (const std::string& cluster : ClustersOf(*table)) {
      if (static_.clusters.contains(cluster)) {
        const auto& c = static_.clusters.at(cluster);
        if (c->is_eds() && !assignments_.contains(c->eds_service_name())) return false;
        continue;
      }
      auto proto = cluster_protos_.find(cluster);
      if (proto == cluster_protos_.end()) return false;
      if (proto->second.type() == envoy::config::cluster::v3::Cluster::EDS) {
        auto built = clusters_.find(cluster);
        if (built == clusters_.end() || !assignments_.contains(built->second->eds_service_name())) {
          return false;
        }
      }
    }
  }
  return true;
}

std::set<std::string> ConfigState::WantedNames(XdsType type) const {
  std::set<std::string> names;
  if (type == XdsType::kRoute) {
    for (const auto* listeners : {&listeners_, &static_.listeners}) {
      for (const auto& [name, listener] : *listeners) {
        for (const auto& chain : listener->chains) {
          if (!chain.hcm->rds_name.empty()) names.insert(chain.hcm->rds_name);
        }
      }
    }
  } else if (type == XdsType::kSecret) {
    for (const auto* listeners : {&listeners_, &static_.listeners}) {
      for (const auto& [name, listener] : *listeners) {
        names.insert(listener->secret_names.begin(), listener->secret_names.end());
      }
    }
  } else if (type == XdsType::kEndpoint) {
    for (const auto& [name, cluster] : clusters_) {
      if (cluster->is_eds()) names.insert(cluster->eds_service_name());
    }
    for (const auto& [name, cluster] : static_.clusters) {
      if (cluster->is_eds()) names.insert(cluster->eds_service_name());
    }
  }
  return names;
}

std::map<std::string, std::string> ConfigState::Versions(XdsType type) const {
  std::map<std::string, std::string> versions;
  for (const auto& [name, h] : held_[Index(type)]) versions[name] = h.version;
  return versions;
}

server::ProxyConfig ConfigState::Build() const {
  server::ProxyConfig config;
  for (const auto& [name, listener] : static_.listeners) {
    if (listener->Warm()) config.listeners[name] = listener;
  }
  for (const auto& [name, listener] : serving_) config.listeners[name] = listener;
  config.route_tables = routes_;
  config.clusters = static_.clusters;
  for (const auto& [name, cluster] : clusters_) config.clusters[name] = cluster;
  for (const auto& [name, cluster] : static_eds_) config.clusters[name] = cluster;
  return config;
}

std::vector<std::string> ConfigState::WarmingListeners() const {
  std::vector<std::string> names;
  for (const auto& [name, listener] : listeners_) {
    auto it = serving_.find(name);
    if (it == serving_.end() || it->second != listener) names.push_back(name);
  }
  return names;
}

}  // namespace strata::xds
