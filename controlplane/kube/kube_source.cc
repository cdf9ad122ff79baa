#include "controlplane/kube/kube_source.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "controlplane/source/cluster_state_util.h"

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
    std::map<std::string, source::ApiObject> fresh;
    for (const nlohmann::json& object : objects) {
      if (auto parsed = Parse(object)) fresh.insert_or_assign(Key(object), *std::move(parsed));
    }
    {
      absl::MutexLock lock(&mu_);
      objects_ = std::move(fresh);
      synced_ = true;
    }
    source_.Changed();
  }

  void Apply(const WatchEvent& event) override {
    const std::string key = Key(event.object);
    std::optional<source::ApiObject> parsed;
    if (event.type != WatchEvent::Type::kDeleted) parsed = Parse(event.object);
    {
      absl::MutexLock lock(&mu_);
      if (parsed.has_value()) {
        objects_.insert_or_assign(key, *std::move(parsed));
      } else {
        // Deleted, or now malformed: a broken edit takes the object out, as a broken
        // manifest would (the log line says why).
        objects_.erase(key);
      }
    }
    source_.Changed();
  }

  bool synced() const {
    absl::MutexLock lock(&mu_);
    return synced_;
  }
  void AddTo(source::ClusterState& state) const {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, object] : objects_) source::AddToState(object, state);
  }

 private:
  static std::string Key(const nlohmann::json& object) {
    const nlohmann::json* meta = object.contains("metadata") && object["metadata"].is_object()
                                     ? &object["metadata"]
                                     : nullptr;
    if (meta == nullptr) return "";
    auto text = [&](const char* field) {
      auto it = meta->find(field);
      return it != meta->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    return absl::StrCat(text("namespace"), "/", text("name"));
  }

  std::optional<source::ApiObject> Parse(const nlohmann::json& object) const {
    absl::StatusOr<source::ApiObject> parsed = source::ReadApiObject(object, where_);
    if (!parsed.ok()) {
      STRATA_LOG(WARNING) << parsed.status().message() << "; the object is skipped";
      return std::nullopt;
    }
    if (std::holds_alternative<std::monostate>(*parsed)) return std::nullopt;
    return *std::move(parsed);
  }

  const ResourceType type_;
  const std::string where_;
  KubeSource& source_;
  mutable absl::Mutex mu_;
  std::map<std::string, source::ApiObject> objects_ ABSL_GUARDED_BY(mu_);
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
    auto state = std::make_shared<source::ClusterState>();
    for (const auto& store : stores_) store->AddTo(*state);
    // A relist, or a write that changed nothing strata reads, gives the same state: no new
    // translation for it.
    if (last_ != nullptr && *last_ == *state) continue;
    last_ = state;
    if (!announced) {
      STRATA_LOG(INFO) << "Kubernetes API: every kind listed; serving " << state->services.size()
                       << " Services, " << state->ingresses.size() << " Ingresses, "
                       << state->ingress_routes.size() << " IngressRoutes, "
                       << state->gateways.size() << " Gateways, " << state->http_routes.size()
                       << " HTTPRoutes";
      announced = true;
    }
    callback_(state);
  }
}

}  // namespace strata::kube
