#include "controlplane/xds/stream.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strata::xds {

using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

XdsStream::XdsStream(Kind kind, std::optional<ResourceType> fixed_type, Deps deps, uint64_t id)
    : kind_(kind), fixed_type_(fixed_type), deps_(deps), id_(id) {}

XdsStream::~XdsStream() = default;

void XdsStream::Attach(StreamTransport* transport) {
  absl::MutexLock lock(&mu_);
  transport_ = transport;
}

absl::Status XdsStream::ResolveType(const std::string& type_url, ResourceType* type) const {
  if (type_url.empty()) {
    if (!fixed_type_.has_value()) {
      return absl::InvalidArgumentError("an ADS request must carry a type_url");
    }
    *type = *fixed_type_;
    return absl::OkStatus();
  }
  if (!ParseTypeUrl(type_url, type)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown type_url \"", type_url, "\""));
  }
  if (fixed_type_.has_value() && *type != *fixed_type_) {
    return absl::InvalidArgumentError(
        absl::StrCat("type_url \"", type_url, "\" on a stream for ", TypeUrl(*fixed_type_)));
  }
  return absl::OkStatus();
}

absl::Status XdsStream::LearnNode(const envoy::config::core::v3::Node& node, bool has_node) {
  if (node_known_) return absl::OkStatus();
  if (!has_node) {
    return absl::InvalidArgumentError("the first request on a stream must carry a node");
  }
  node_known_ = true;
  group_ = deps_.grouper.GroupOf(node);
  deps_.callbacks.OnStreamOpen(id_, node, group_, kind_ == Kind::kDelta);
  return absl::OkStatus();
}

void XdsStream::MarkRequested(ResourceType type) {
  TypeState& st = types_[static_cast<int>(type)];
  if (st.requested) return;
  st.requested = true;
  st.respond_anyway = IsFullStateType(type);
  deps_.callbacks.OnTypeRequested(id_, type);
}

void XdsStream::HandleAckOrNack(ResourceType type, const std::string& version,
                                const google::rpc::Status* error) {
  TypeState& st = types_[static_cast<int>(type)];
  if (!st.awaiting_ack) return;
  st.awaiting_ack = false;
  if (error != nullptr) {
    // The client keeps what it had; what it rejected stays recorded as sent, so it is not
    // offered again until a newer version exists.
    deps_.callbacks.OnNack(id_, type, st.sent_version, error->message());
  } else {
    deps_.callbacks.OnAck(id_, type, version, deps_.clock.Now() - st.sent_at);
  }
}

absl::Status XdsStream::BeginRequest(const envoy::config::core::v3::Node& node, bool has_node,
                                     const std::string& type_url, ResourceType* type,
                                     std::optional<std::string>* watch_group) {
  const bool was_known = node_known_;
  absl::Status status = LearnNode(node, has_node);
  if (!status.ok()) return status;
  if (!was_known) *watch_group = group_;
  return ResolveType(type_url, type);
}

void XdsStream::EndRequest(const std::optional<std::string>& watch_group) {
  if (watch_group.has_value()) {
    // Outside mu_: Watch delivers the current snapshot at once, through OnSnapshot.
    SnapshotCache::WatchHandle handle = deps_.cache.Watch(*watch_group, weak_from_this());
    absl::MutexLock lock(&mu_);
    if (transport_ != nullptr) watch_ = std::move(handle);
  }
  Pump();
}

absl::Status XdsStream::OnSotwRequest(const DiscoveryRequest& request) {
  std::optional<std::string> watch_group;
  {
    absl::MutexLock lock(&mu_);
    ResourceType type;
    absl::Status status =
        BeginRequest(request.node(), request.has_node(), request.type_url(), &type, &watch_group);
    if (!status.ok()) return status;
    TypeState& st = types_[static_cast<int>(type)];

    bool process = true;
    if (!request.response_nonce().empty() && !st.nonce.empty()) {
      if (request.response_nonce() != st.nonce) {
        process = false;  // stale: a newer response is on its way; that request supersedes
      } else {
        HandleAckOrNack(type, request.version_info(),
                        request.has_error_detail() ? &request.error_detail() : nullptr);
      }
    }
    if (process) {
      MarkRequested(type);
      absl::flat_hash_set<std::string> names;
      bool star = false;
      for (const std::string& name : request.resource_names()) {
        if (name == "*") {
          star = true;
        } else {
          names.insert(name);
        }
      }
      bool wildcard;
      if (request.resource_names().empty()) {
        // Legacy wildcard: an empty list means "everything" only until a name was ever sent.
        wildcard = !st.named_ever && IsFullStateType(type);
      } else {
        wildcard = star;
        st.named_ever = true;
      }
      if (wildcard && !st.wildcard) st.respond_anyway = true;
      for (const std::string& name : names) {
        if (!st.names.contains(name)) {
          st.force.insert(name);
          if (IsFullStateType(type)) st.respond_anyway = true;
        }
      }
      if (!wildcard) {
        for (auto it = st.known.begin(); it != st.known.end();) {
          if (!names.contains(it->first)) {
            st.known.erase(it++);
          } else {
            ++it;
          }
        }
      }
      st.names = std::move(names);
      st.wildcard = wildcard;
      ComputeResponses();
    }
  }
  EndRequest(watch_group);
  return absl::OkStatus();
}

absl::Status XdsStream::OnDeltaRequest(const DeltaDiscoveryRequest& request) {
  std::optional<std::string> watch_group;
  {
    absl::MutexLock lock(&mu_);
    ResourceType type;
    absl::Status status =
        BeginRequest(request.node(), request.has_node(), request.type_url(), &type, &watch_group);
    if (!status.ok()) return status;
    TypeState& st = types_[static_cast<int>(type)];
    const bool first = !st.requested;

    // The nonce only matches ACKs to responses; subscription changes apply even when stale.
    if (!request.response_nonce().empty() && request.response_nonce() == st.nonce) {
      HandleAckOrNack(type, st.sent_version,
                      request.has_error_detail() ? &request.error_detail() : nullptr);
    }
    MarkRequested(type);
    if (first) {
      for (const auto& [name, version] : request.initial_resource_versions()) {
        st.known[name] = Known{version, nullptr};
      }
      if (request.resource_names_subscribe().empty() && IsFullStateType(type)) {
        st.wildcard = true;  // legacy wildcard
      }
    }
    for (const std::string& name : request.resource_names_subscribe()) {
      if (name == "*") {
        st.wildcard = true;
        continue;
      }
      st.names.insert(name);
      // Every subscribed name is answered, except on the first request when the client
      // already holds the current version (initial_resource_versions).
      if (!(first && request.initial_resource_versions().contains(name))) st.force.insert(name);
    }
    for (const std::string& name : request.resource_names_unsubscribe()) {
      if (name == "*") {
        st.wildcard = false;
        for (auto it = st.known.begin(); it != st.known.end();) {
          if (!st.names.contains(it->first)) {
            st.known.erase(it++);
          } else {
            ++it;
          }
        }
        continue;
      }
      if (!st.names.erase(name)) continue;  // never subscribed: ignore
      st.force.erase(name);
      if (st.wildcard) {
        // Still covered by the wildcard: tell the client where the resource stands.
        st.force.insert(name);
      } else {
        st.known.erase(name);
      }
    }
    ComputeResponses();
  }
  EndRequest(watch_group);
  return absl::OkStatus();
}

void XdsStream::OnSnapshot(SnapshotConstSharedPtr snapshot) {
  {
    absl::MutexLock lock(&mu_);
    if (transport_ == nullptr || finish_requested_) return;
    snapshot_ = std::move(snapshot);
    ComputeResponses();
  }
  Pump();
}

std::vector<ResourceConstSharedPtr> XdsStream::Desired(ResourceType type,
                                                       const TypeState& st) const {
  std::vector<ResourceConstSharedPtr> out;
  const Snapshot::ResourceMap& all = snapshot_->resources(type);
  if (st.wildcard) {
    out.reserve(all.size());
    for (const auto& [name, r] : all) out.push_back(r);
    return out;
  }
  out.reserve(st.names.size());
  for (const std::string& name : st.names) {
    auto it = all.find(name);
    if (it != all.end()) out.push_back(it->second);
  }
  std::sort(out.begin(), out.end(),
            [](const ResourceConstSharedPtr& a, const ResourceConstSharedPtr& b) {
              return a->name < b->name;
            });
  return out;
}

void XdsStream::ComputeResponses() {
  if (snapshot_ == nullptr) return;
  auto compute = [this](ResourceType t, bool allow_removals) {
    return kind_ == Kind::kSotw ? ComputeSotw(t, allow_removals) : ComputeDelta(t, allow_removals);
  };
  if (fixed_type_.has_value()) {
    if (auto m = compute(*fixed_type_, true)) queue_.push_back(std::move(m));
    return;
  }
  // ADS: additions and updates in make-before-break order, then removals.
  for (ResourceType t : kPushOrder) {
    if (auto m = compute(t, false)) queue_.push_back(std::move(m));
  }
  for (ResourceType t : kPushOrder) {
    if (auto m = compute(t, true)) queue_.push_back(std::move(m));
  }
}

void XdsStream::ForceEndpointsOf(const std::vector<ResourceConstSharedPtr>& clusters) {
  if (fixed_type_.has_value()) return;
  TypeState& eds = types_[static_cast<int>(ResourceType::kEndpoint)];
  if (!eds.requested) return;
  for (const auto& cluster : clusters) {
    for (const std::string& ref : cluster->references) {
      if (eds.wildcard || eds.names.contains(ref)) eds.force.insert(ref);
    }
  }
}

void XdsStream::RecordSend(ResourceType type, TypeState& st, size_t count) {
  st.nonce = absl::StrCat(++nonce_counter_);
  st.awaiting_ack = true;
  st.sent_version = snapshot_->version(type);
  st.sent_at = deps_.clock.Now();
  st.respond_anyway = false;
  deps_.callbacks.OnResponseSent(id_, type, st.sent_version, count);
}

std::unique_ptr<google::protobuf::Message> XdsStream::ComputeSotw(ResourceType type,
                                                                  bool allow_removals) {
  TypeState& st = types_[static_cast<int>(type)];
  if (!st.requested || st.awaiting_ack) return nullptr;
  std::vector<ResourceConstSharedPtr> desired = Desired(type, st);
  std::vector<ResourceConstSharedPtr> send;
  std::vector<ResourceConstSharedPtr> changed;
  for (const auto& r : desired) {
    auto it = st.known.find(r->name);
    if (it == st.known.end() || it->second.version != r->version) changed.push_back(r);
  }
  if (IsFullStateType(type)) {
    absl::flat_hash_set<absl::string_view> desired_names;
    for (const auto& r : desired) desired_names.insert(r->name);
    std::vector<ResourceConstSharedPtr> removed;
    bool has_removals = false;
    for (const auto& [name, known] : st.known) {
      if (desired_names.contains(name)) continue;
      has_removals = true;
      if (known.resource != nullptr) removed.push_back(known.resource);
    }
    bool due = st.respond_anyway || !changed.empty() || (allow_removals && has_removals);
    if (!due) return nullptr;
    send = std::move(desired);
    // Make-before-break: keep what is being removed until the rest of this push is out.
    if (!allow_removals) send.insert(send.end(), removed.begin(), removed.end());
    st.known.clear();
    for (const auto& r : send) st.known[r->name] = Known{r->version, r};
  } else {
    // Forget what left the snapshot or the subscription, so it is sent again if it returns.
    absl::flat_hash_set<absl::string_view> desired_names;
    for (const auto& r : desired) desired_names.insert(r->name);
    for (auto it = st.known.begin(); it != st.known.end();) {
      if (!desired_names.contains(it->first)) {
        st.known.erase(it++);
      } else {
        ++it;
      }
    }
    for (const auto& r : desired) {
      auto it = st.known.find(r->name);
      if (st.force.contains(r->name) || it == st.known.end() || it->second.version != r->version) {
        send.push_back(r);
      }
    }
    st.force.clear();
    if (send.empty()) return nullptr;
    for (const auto& r : send) st.known[r->name] = Known{r->version, r};
  }
  st.force.clear();
  if (type == ResourceType::kCluster) ForceEndpointsOf(changed);

  auto response = std::make_unique<DiscoveryResponse>();
  response->set_version_info(snapshot_->version(type));
  response->set_type_url(std::string(TypeUrl(type)));
  for (const auto& r : send) {
    google::protobuf::Any* any = response->add_resources();
    any->set_type_url(std::string(TypeUrl(type)));
    any->set_value(r->serialized);
  }
  RecordSend(type, st, send.size());
  response->set_nonce(st.nonce);
  return response;
}

std::unique_ptr<google::protobuf::Message> XdsStream::ComputeDelta(ResourceType type,
                                                                   bool allow_removals) {
  TypeState& st = types_[static_cast<int>(type)];
  if (!st.requested || st.awaiting_ack) return nullptr;
  std::vector<ResourceConstSharedPtr> desired = Desired(type, st);
  std::vector<ResourceConstSharedPtr> send;
  absl::flat_hash_set<absl::string_view> desired_names;
  for (const auto& r : desired) {
    desired_names.insert(r->name);
    auto it = st.known.find(r->name);
    if (st.force.contains(r->name) || it == st.known.end() || it->second.version != r->version) {
      send.push_back(r);
    }
  }
  std::vector<std::string> removed;
  if (allow_removals) {
    for (const auto& [name, known] : st.known) {
      if (!desired_names.contains(name)) removed.push_back(name);
    }
    // Subscribed names that do not exist: say so instead of leaving the client to time out.
    for (const std::string& name : st.force) {
      if (!desired_names.contains(name) && !st.known.contains(name)) removed.push_back(name);
    }
    std::sort(removed.begin(), removed.end());
  }
  if (send.empty() && removed.empty()) return nullptr;
  for (const auto& r : send) {
    st.known[r->name] = Known{r->version, r};
    st.force.erase(r->name);
  }
  for (const std::string& name : removed) {
    st.known.erase(name);
    st.force.erase(name);
  }
  if (type == ResourceType::kCluster) ForceEndpointsOf(send);

  auto response = std::make_unique<DeltaDiscoveryResponse>();
  response->set_system_version_info(snapshot_->version(type));
  response->set_type_url(std::string(TypeUrl(type)));
  for (const auto& r : send) {
    envoy::service::discovery::v3::Resource* out = response->add_resources();
    out->set_name(r->name);
    out->set_version(r->version);
    out->mutable_resource()->set_type_url(std::string(TypeUrl(type)));
    out->mutable_resource()->set_value(r->serialized);
  }
  for (std::string& name : removed) response->add_removed_resources(std::move(name));
  RecordSend(type, st, send.size() + removed.size());
  response->set_nonce(st.nonce);
  return response;
}

void XdsStream::Pump() {
  StreamTransport* transport = nullptr;
  const google::protobuf::Message* message = nullptr;
  bool finish = false;
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    if (transport_ == nullptr || in_flight_ != nullptr || finish_started_) return;
    if (finish_requested_) {
      finish_started_ = true;
      finish = true;
      status = finish_status_;
    } else if (!queue_.empty()) {
      in_flight_ = std::move(queue_.front());
      queue_.pop_front();
      message = in_flight_.get();
    } else {
      return;
    }
    transport = transport_;
  }
  // The transport stays alive: it is destroyed only after FinishStream, which nobody else
  // calls while a write is in flight or after finish_started_ was set here.
  if (finish) {
    transport->FinishStream(status);
  } else {
    transport->WriteResponse(message);
  }
}

void XdsStream::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    in_flight_.reset();
    if (!ok && !finish_requested_) {
      finish_requested_ = true;
      finish_status_ = absl::UnavailableError("write failed");
    }
  }
  Pump();
}

void XdsStream::RequestFinish(const absl::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    if (!finish_requested_) {
      finish_requested_ = true;
      finish_status_ = status;
    }
  }
  Pump();
}

void XdsStream::Detach() {
  SnapshotCache::WatchHandle handle;
  bool report = false;
  {
    absl::MutexLock lock(&mu_);
    transport_ = nullptr;
    handle = std::move(watch_);
    queue_.clear();
    report = node_known_;
  }
  handle.Cancel();
  if (report) deps_.callbacks.OnStreamClose(id_);
}

}  // namespace strata::xds
