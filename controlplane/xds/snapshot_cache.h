#ifndef STRATA_CONTROLPLANE_XDS_SNAPSHOT_CACHE_H_
#define STRATA_CONTROLPLANE_XDS_SNAPSHOT_CACHE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controlplane/xds/snapshot.h"

namespace strata::xds {

// Receives the snapshots of one node group. Called without cache locks held, possibly from
// the cache's publisher thread.
class SnapshotWatcher {
 public:
  virtual ~SnapshotWatcher() = default;
  virtual void OnSnapshot(SnapshotConstSharedPtr snapshot) = 0;
};

// Coalesces bursts: an update is published once no further update arrived for `debounce`, or
// at the latest `max_delay` after the first update of the burst. Pure logic; time is passed in.
class Debouncer {
 public:
  Debouncer(absl::Duration debounce, absl::Duration max_delay)
      : debounce_(debounce), max_delay_(max_delay) {}
  void OnUpdate(absl::Time now);
  // When the pending burst should be published; nullopt when nothing is pending.
  std::optional<absl::Time> Deadline() const;
  // Marks the pending burst as published.
  void Reset() { first_.reset(); }

 private:
  absl::Duration debounce_;
  absl::Duration max_delay_;
  std::optional<absl::Time> first_;
  absl::Time last_;
};

// Snapshots by node group, with watchers per group. SetSnapshot is cheap; publication to the
// watchers is coalesced by a Debouncer on a background thread (or immediate with debounce 0).
class SnapshotCache {
 public:
  struct Options {
    absl::Duration debounce = absl::Milliseconds(100);
    absl::Duration max_delay = absl::Seconds(1);
    // Publish from a background thread. Without it (tests driving a ManualClock) nothing is
    // published with a non-zero debounce until PublishIfDue() or Flush() is called.
    bool background_publisher = true;
  };

  // Removes a watcher when destroyed. Movable.
  class WatchHandle {
   public:
    WatchHandle() = default;
    WatchHandle(SnapshotCache* cache, std::string group, uint64_t id)
        : cache_(cache), group_(std::move(group)), id_(id) {}
    WatchHandle(WatchHandle&& other) noexcept { *this = std::move(other); }
    WatchHandle& operator=(WatchHandle&& other) noexcept;
    ~WatchHandle() { Cancel(); }
    void Cancel();

   private:
    SnapshotCache* cache_ = nullptr;
    std::string group_;
    uint64_t id_ = 0;
  };

  SnapshotCache(Options options, Clock& clock);
  ~SnapshotCache();
  SnapshotCache(const SnapshotCache&) = delete;
  SnapshotCache& operator=(const SnapshotCache&) = delete;

  // Sets the snapshot of `group`. Watchers see it after the debounce. A snapshot equal to the
  // published one (same versions for every type) is not published again.
  void SetSnapshot(const std::string& group, SnapshotConstSharedPtr snapshot)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The published snapshot of `group`, or null.
  SnapshotConstSharedPtr GetSnapshot(const std::string& group) const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<std::string> Groups() const ABSL_LOCKS_EXCLUDED(mu_);

  // Watches `group`. The watcher is called at once (on this thread) if the group has a
  // published snapshot, then on every publication. Held weakly: a destroyed watcher is skipped.
  [[nodiscard]] WatchHandle Watch(const std::string& group, std::weak_ptr<SnapshotWatcher> watcher)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Publishes pending snapshots now (tests, shutdown).
  void Flush() ABSL_LOCKS_EXCLUDED(mu_);
  // One step of the publisher: publishes the pending snapshots if the debounce deadline has
  // passed on the clock. Returns whether it published.
  bool PublishIfDue() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Group {
    SnapshotConstSharedPtr published;
    SnapshotConstSharedPtr pending;
    std::map<uint64_t, std::weak_ptr<SnapshotWatcher>> watchers;
  };
  void Unwatch(const std::string& group, uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  void PublishLoop() ABSL_LOCKS_EXCLUDED(mu_);
  void PublishPending() ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, Group, std::less<>> groups_ ABSL_GUARDED_BY(mu_);
  Debouncer debouncer_ ABSL_GUARDED_BY(mu_);
  uint64_t next_watch_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by every SetSnapshot
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Serializes publications so watchers see a group's snapshots in order.
  absl::Mutex publish_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::thread publisher_;
};

}  // namespace strata::xds

#endif  // STRATA_CONTROLPLANE_XDS_SNAPSHOT_CACHE_H_
