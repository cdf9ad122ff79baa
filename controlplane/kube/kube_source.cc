#include "controlplane/kube/kube_source.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "controlplane/source/cluster_state_util.h"
#include "controlplane/source/manifest_parser.h"

namespace strata::kube {

// The objects of one kind, validated. Written by its reflector's thread, read by the
// publisher.
class KubeSource::KindStore final : public ReflectorHandler {
 public:
  KindStore(ResourceType type, KubeSource& source)
      : type_(std::move(type)),
        where_(type_.group.empty() ? type_.plural : absl::StrCat(type_.plural, ".", type_.group)),
        source_(source) {}

  void Replace(std::vector<nlohmann::json> objects) override {
    ReplaceObjects(objects);
    source_.Changed();
  }

  void ReplaceObjects(const std::vector<nlohmann::json>& objects) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    std::map<std::string, source::ApiObject> fresh;
    std::map<std::string, source::RejectedObject> rejected;
    std::map<std::string, std::string> fresh_uids;
    for (const nlohmann::json& object : objects) {
      const std::string key = Key(object);
      Parsed parsed = Parse(object);
      if (parsed.rejection.has_value()) {
        // The last valid version stays, if it is of this same object (not of one deleted
        // while the watch was down, under the same name).
        auto old = objects_.find(key);
        if (old != objects_.end() && uids_[key] == parsed.rejection->uid) {
          fresh.insert_or_assign(key, old->second);
          fresh_uids[key] = uids_[key];
        }
        rejected.insert_or_assign(key, *std::move(parsed.rejection));
      } else if (parsed.object.has_value()) {
        fresh.insert_or_assign(key, *std::move(parsed.object));
        fresh_uids[key] = Uid(object);
      }
    }
    MarkDifferences(objects_, fresh);
    MarkDifferences(rejected_, rejected);
    objects_ = std::move(fresh);
    uids_ = std::move(fresh_uids);
    rejected_ = std::move(rejected);
    synced_ = true;
  }

  void Apply(const WatchEvent& event) override {
    const std::string key = Key(event.object);
    Parsed parsed;
    if (event.type != WatchEvent::Type::kDeleted) parsed = Parse(event.object);
    {
      absl::MutexLock lock(&mu_);
      const auto old_object = Find(objects_, key);
      const auto old_rejection = Find(rejected_, key);
      if (event.type == WatchEvent::Type::kDeleted) {
        objects_.erase(key);
        uids_.erase(key);
        rejected_.erase(key);
      } else if (parsed.rejection.has_value()) {
        // A broken edit: the last valid version of the same object (if any) stays served, and
        // the rejection is reported on the object.
        if (uids_.contains(key) && uids_[key] != parsed.rejection->uid) {
          objects_.erase(key);
          uids_.erase(key);
        }
        rejected_.insert_or_assign(key, *std::move(parsed.rejection));
      } else {
        rejected_.erase(key);
        if (parsed.object.has_value()) {
          objects_.insert_or_assign(key, *std::move(parsed.object));
          uids_[key] = Uid(event.object);
        } else {
          objects_.erase(key);  // no longer a kind strata reads
          uids_.erase(key);
        }
      }
      if (Find(objects_, key) != old_object || Find(rejected_, key) != old_rejection) {
        changed_.insert(key);
      }
    }
    source_.Changed();
  }
  bool synced() const {
    absl::MutexLock lock(&mu_);
    return synced_;
  }
  const std::string& kind() const { return type_.kind; }

  // Adds every object (and refused version) to `state`; they count as published.
  void AddTo(source::ClusterState& state) {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, object] : objects_) source::AddToState(object, state);
    for (const auto& [key, rejection] : rejected_) AddRejection(rejection, state);
    changed_.clear();
  }

  // Moves the keys (namespace/name) of the objects changed since the last call to `keys`.
  void TakeChanges(std::set<std::string>& keys) {
    absl::MutexLock lock(&mu_);
    keys.insert(changed_.begin(), changed_.end());
    changed_.clear();
  }

  // Adds the objects (and refused versions) of this kind with `keys` to `state`.
  void AddKeys(const std::set<std::string>& keys, source::ClusterState& state) const {
    absl::MutexLock lock(&mu_);
    for (const std::string& key : keys) {
      if (auto it = objects_.find(key); it != objects_.end()) source::AddToState(it->second, state);
      if (auto it = rejected_.find(key); it != rejected_.end()) AddRejection(it->second, state);
    }
  }

 private:
  static void AddRejection(const source::RejectedObject& rejection, source::ClusterState& state) {
    state.rejected.insert_or_assign(
        std::make_tuple(rejection.kind, rejection.namespace_, rejection.name), rejection);
  }

  template <typename Map>
  static std::optional<typename Map::mapped_type> Find(const Map& map, const std::string& key) {
    auto it = map.find(key);
    if (it == map.end()) return std::nullopt;
    return it->second;
  }

  // Marks the keys that are in one map only or whose values differ.
  template <typename Map>
  void MarkDifferences(const Map& before, const Map& after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& [key, value] : before) {
      auto it = after.find(key);
      if (it == after.end() || !(it->second == value)) changed_.insert(key);
    }
    for (const auto& [key, value] : after) {
      if (!before.contains(key)) changed_.insert(key);
    }
  }

  static std::string Uid(const nlohmann::json& object) {
    const nlohmann::json* meta = Member(object, "metadata");
    return meta == nullptr ? "" : StringMember(*meta, "uid");
  }

  static std::string Key(const nlohmann::json& object) {
    const nlohmann::json* meta = Member(object, "metadata");
    if (meta == nullptr || !meta->is_object()) return "";
    return absl::StrCat(StringMember(*meta, "namespace"), "/", StringMember(*meta, "name"));
  }

  struct Parsed {
    std::optional<source::ApiObject> object;  // none: not a kind strata reads, or refused
    std::optional<source::RejectedObject> rejection;
  };

  Parsed Parse(const nlohmann::json& object) const {
    absl::StatusOr<source::ApiObject> parsed = source::ReadApiObject(object, where_);
    if (!parsed.ok()) {
      STRATA_LOG(WARNING) << parsed.status().message() << "; this version is not used";
      source::RejectedObject rejection;
      rejection.kind = type_.kind;
      const nlohmann::json* meta = Member(object, "metadata");
      if (meta != nullptr) {
        rejection.namespace_ = StringMember(*meta, "namespace");
        rejection.name = StringMember(*meta, "name");
        const nlohmann::json* generation = Member(*meta, "generation");
        if (generation != nullptr && generation->is_number_integer()) {
          rejection.generation = generation->get<int64_t>();
        }
      }
      rejection.message = std::string(parsed.status().message());
      if (meta != nullptr) {
        rejection.uid = StringMember(*meta, "uid");
        const nlohmann::json* annotations = Member(*meta, "annotations");
        if (annotations != nullptr) {
          rejection.reported_problems = StringMember(*annotations, source::kProblemsAnnotation);
        }
      }
      rejection.load_balancer = source::ReadLoadBalancerStatus(object);
      rejection.status_controllers = source::ReadStatusControllers(object);
      return Parsed{std::nullopt, std::move(rejection)};
    }
    if (std::holds_alternative<std::monostate>(*parsed)) return {};
    return Parsed{*std::move(parsed), std::nullopt};
  }

  static const nlohmann::json* Member(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
  }
  static std::string StringMember(const nlohmann::json& object, const char* key) {
    const nlohmann::json* value = Member(object, key);
    return value != nullptr && value->is_string() ? value->get<std::string>() : "";
  }

  const ResourceType type_;
  const std::string where_;
  KubeSource& source_;
  mutable absl::Mutex mu_;
  // The last valid version of each object, by namespace/name.
  std::map<std::string, source::ApiObject> objects_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> uids_ ABSL_GUARDED_BY(mu_);  // of objects_, by key
  // Objects whose latest version was refused, by namespace/name.
  std::map<std::string, source::RejectedObject> rejected_ ABSL_GUARDED_BY(mu_);
  // Keys whose object or refused version changed since the state last took them.
  std::set<std::string> changed_ ABSL_GUARDED_BY(mu_);
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
};

std::vector<ResourceType> KubeSource::Kinds() {
  return {
      {"", "v1", "services", "Service"},
      {"discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"},
      {"networking.k8s.io", "v1", "ingresses", "Ingress"},
      {"networking.k8s.io", "v1", "ingressclasses", "IngressClass"},
      {"traefik.io", "v1alpha1", "ingressroutes", "IngressRoute", /*optional=*/true},
      {"traefik.containo.us", "v1alpha1", "ingressroutes", "IngressRoute", /*optional=*/true},
      // Only for listeners that select route namespaces by label: without permission to list
      // them (403), there are none.
      {"", "v1", "namespaces", "Namespace", /*optional=*/true},
      // The Gateway API: its CRDs may not be installed (404).
      {"gateway.networking.k8s.io", "v1", "gatewayclasses", "GatewayClass", /*optional=*/true},
      {"gateway.networking.k8s.io", "v1", "gateways", "Gateway", /*optional=*/true},
      {"gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", /*optional=*/true},
      {"gateway.networking.k8s.io", "v1", "referencegrants", "ReferenceGrant", /*optional=*/true},
      // Gateway API releases before v1.5 serve ReferenceGrant only as v1beta1; where both
      // versions are served they are the same objects.
      {"gateway.networking.k8s.io", "v1beta1", "referencegrants", "ReferenceGrant",
       /*optional=*/true},
      // Certificates of the hosts served over HTTPS. Only that type: the others (Helm
      // releases, tokens) are neither fetched nor kept. Without permission to list them (403),
      // there are none, and TLS hosts are reported as such.
      {"", "v1", "secrets", "Secret", /*optional=*/true, "type=kubernetes.io/tls"},
  };
}

KubeSource::KubeSource(ApiClient& client, Clock& clock, Callback callback, Options options)
    : clock_(clock), callback_(std::move(callback)), options_(options) {
  for (const ResourceType& type : Kinds()) {
    stores_.push_back(std::make_unique<KindStore>(type, *this));
    reflectors_.push_back(
        std::make_unique<Reflector>(client, type, *stores_.back(), clock_, options_.reflector));
  }
}

KubeSource::~KubeSource() { Stop(); }

void KubeSource::Start() {
  publisher_ = std::thread([this] { PublishLoop(); });
  for (auto& reflector : reflectors_) reflector->Start();
}

void KubeSource::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // All at once: each watch takes up to a second to notice.
  for (auto& reflector : reflectors_) reflector->RequestStop();
  for (auto& reflector : reflectors_) reflector->Stop();
  if (publisher_.joinable()) publisher_.join();
}

void KubeSource::Changed() {
  absl::MutexLock lock(&mu_);
  dirty_ = true;
}

void KubeSource::PublishLoop() {
  bool announced = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return dirty_ || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      // Coalesce the burst: wait out the debounce, then take everything that came.
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.debounce);
      if (stopping_) return;
      // Cleared before the stores are read: a change that lands from here on sets it again.
      dirty_ = false;
    }
    bool all_synced = true;
    for (const auto& store : stores_) all_synced = all_synced && store->synced();
    if (!all_synced) continue;  // the remaining first lists are changes too
    std::shared_ptr<source::ClusterState> state;
    source::StateChanges changes;
    if (state_ == nullptr) {
      state = std::make_shared<source::ClusterState>();
      for (const auto& store : stores_) store->AddTo(*state);
      changes = source::StateChanges::All();
    } else {
      // Only the objects that changed are replaced. A relist, or a write that changed nothing
      // strata reads, changes nothing: no new translation for it.
      std::map<std::string, std::set<std::string>> changed;  // kind → keys
      for (const auto& store : stores_) store->TakeChanges(changed[store->kind()]);
      std::erase_if(changed, [](const auto& entry) { return entry.second.empty(); });
      if (changed.empty()) continue;
      // In place once no reader holds the last state any more, else on a copy.
      state = state_.use_count() == 1 ? state_ : std::make_shared<source::ClusterState>(*state_);
      for (const auto& [kind, keys] : changed) {
        for (const std::string& key : keys) {
          const size_t slash = key.find('/');
          const std::string ns = key.substr(0, slash);
          const std::string name = slash == std::string::npos ? "" : key.substr(slash + 1);
          source::RemoveFromState(kind, ns, name, *state);
          state->rejected.erase({kind, ns, name});
          if (source::IsClusterScoped(kind)) {
            changes.cluster_scoped = true;
          } else {
            changes.namespaces.insert(ns);
          }
        }
      }
      for (const auto& store : stores_) {
        auto keys = changed.find(store->kind());
        if (keys != changed.end()) store->AddKeys(keys->second, *state);
      }
    }
    state_ = state;
    if (!announced) {
      STRATA_LOG(INFO) << "Kubernetes API: every kind listed; serving " << state->services.size()
                       << " Services, " << state->ingresses.size() << " Ingresses, "
                       << state->ingress_routes.size() << " IngressRoutes, "
                       << state->gateways.size() << " Gateways, " << state->http_routes.size()
                       << " HTTPRoutes";
      announced = true;
    }
    callback_(state, changes);
  }
}

}  // namespace strata::kube
