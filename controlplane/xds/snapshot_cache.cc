#include "controlplane/xds/snapshot_cache.h"

#include <algorithm>
#include <utility>

namespace strata::xds {
namespace {

bool SameVersions(const Snapshot& a, const Snapshot& b) {
  for (ResourceType t : kPushOrder) {
    if (a.version(t) != b.version(t)) return false;
  }
  return true;
}

}  // namespace

void Debouncer::OnUpdate(absl::Time now) {
  if (!first_.has_value()) first_ = now;
  last_ = now;
}

std::optional<absl::Time> Debouncer::Deadline() const {
  if (!first_.has_value()) return std::nullopt;
  return std::min(last_ + debounce_, *first_ + max_delay_);
}

SnapshotCache::WatchHandle& SnapshotCache::WatchHandle::operator=(WatchHandle&& other) noexcept {
  if (this != &other) {
    Cancel();
    cache_ = std::exchange(other.cache_, nullptr);
    group_ = std::move(other.group_);
    id_ = other.id_;
  }
  return *this;
}

void SnapshotCache::WatchHandle::Cancel() {
  if (cache_ != nullptr) std::exchange(cache_, nullptr)->Unwatch(group_, id_);
}

SnapshotCache::SnapshotCache(Options options, Clock& clock)
    : options_(options), clock_(clock), debouncer_(options.debounce, options.max_delay) {
  if (options_.debounce > absl::ZeroDuration() && options_.background_publisher) {
    publisher_ = std::thread([this] { PublishLoop(); });
  }
}

SnapshotCache::~SnapshotCache() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (publisher_.joinable()) publisher_.join();
}

void SnapshotCache::SetSnapshot(const std::string& group, SnapshotConstSharedPtr snapshot) {
  {
    absl::MutexLock lock(&mu_);
    groups_[group].pending = std::move(snapshot);
    debouncer_.OnUpdate(clock_.Now());
    ++generation_;
  }
  if (options_.debounce <= absl::ZeroDuration()) PublishPending();
}

SnapshotConstSharedPtr SnapshotCache::GetSnapshot(const std::string& group) const {
  absl::MutexLock lock(&mu_);
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : it->second.published;
}

std::vector<std::string> SnapshotCache::Groups() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [name, group] : groups_) {
    if (group.published != nullptr) out.push_back(name);
  }
  return out;
}

SnapshotCache::WatchHandle SnapshotCache::Watch(const std::string& group,
                                                std::weak_ptr<SnapshotWatcher> watcher) {
  // Holding publish_mu_ keeps a publication from overtaking the initial delivery.
  absl::MutexLock publish_lock(&publish_mu_);
  SnapshotConstSharedPtr current;
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    id = next_watch_id_++;
    Group& g = groups_[group];
    g.watchers.emplace(id, watcher);
    current = g.published;
  }
  if (current != nullptr) {
    if (auto w = watcher.lock()) w->OnSnapshot(current);
  }
  return WatchHandle(this, group, id);
}

void SnapshotCache::Unwatch(const std::string& group, uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = groups_.find(group);
  if (it == groups_.end()) return;
  it->second.watchers.erase(id);
  if (it->second.watchers.empty() && it->second.published == nullptr &&
      it->second.pending == nullptr) {
    groups_.erase(it);
  }
}

void SnapshotCache::Flush() { PublishPending(); }

bool SnapshotCache::PublishIfDue() {
  {
    absl::MutexLock lock(&mu_);
    std::optional<absl::Time> deadline = debouncer_.Deadline();
    if (!deadline.has_value() || clock_.Now() < *deadline) return false;
  }
  PublishPending();
  return true;
}

void SnapshotCache::PublishPending() {
  absl::MutexLock publish_lock(&publish_mu_);
  std::vector<std::pair<SnapshotConstSharedPtr, std::vector<std::shared_ptr<SnapshotWatcher>>>>
      work;
  {
    absl::MutexLock lock(&mu_);
    debouncer_.Reset();
    for (auto& [name, group] : groups_) {
      if (group.pending == nullptr) continue;
      SnapshotConstSharedPtr snapshot = std::move(group.pending);
      group.pending = nullptr;
      if (group.published != nullptr && SameVersions(*group.published, *snapshot)) continue;
      group.published = snapshot;
      std::vector<std::shared_ptr<SnapshotWatcher>> watchers;
      for (auto& [id, weak] : group.watchers) {
        if (auto w = weak.lock()) watchers.push_back(std::move(w));
      }
      work.emplace_back(std::move(snapshot), std::move(watchers));
    }
  }
  for (auto& [snapshot, watchers] : work) {
    for (auto& w : watchers) w->OnSnapshot(snapshot);
  }
}

void SnapshotCache::PublishLoop() {
  while (true) {
    bool publish = false;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      const uint64_t seen = generation_;
      std::optional<absl::Time> deadline = debouncer_.Deadline();
      const absl::Time now = clock_.Now();
      if (deadline.has_value() && now >= *deadline) {
        publish = true;
      } else {
        // Wake up at the deadline, on a new update (it may start a burst), or to stop.
        auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || generation_ != seen;
        };
        mu_.AwaitWithTimeout(absl::Condition(&changed),
                             deadline.has_value() ? *deadline - now : absl::Hours(1));
      }
    }
    if (publish) PublishPending();
  }
}

}  // namespace strata::xds
