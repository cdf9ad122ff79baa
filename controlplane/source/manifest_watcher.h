#ifndef STRATA_CONTROLPLANE_SOURCE_MANIFEST_WATCHER_H_
#define STRATA_CONTROLPLANE_SOURCE_MANIFEST_WATCHER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/source/scoped_fd.h"
#include "controlplane/source/state_diff.h"

namespace strata::source {

// Serves the ClusterState of a directory of manifests (see LoadManifestDirectory) and follows
// its changes with inotify: after a change, once the directory has been quiet for `debounce`
// (or at the latest 10 * debounce after the first change, under constant churn) it reloads.
// A reload that fails is logged and changes nothing: the last good state stays. A good reload
// is delivered only if it differs from the last delivered state.
//
// ConfigMap volumes work: their atomic `..data` symlink swap is a change in the directory.
// If the directory itself is removed or renamed, the watcher keeps the last state and looks
// for the directory again every second.
class ManifestWatcher {
 public:
  // Receives each new state. Called first from Create, then from the watcher's thread; never
  // concurrently. It must not destroy the watcher.
  // Gets each new state with how it differs from the last one delivered (everything for the
  // first).
  using Callback = std::function<void(ClusterStateConstSharedPtr, const StateChanges&)>;

  static constexpr absl::Duration kDefaultDebounce = absl::Milliseconds(100);

  struct Stats {
    int64_t loads = 0;         // loads attempted, the one in Create included
    int64_t failed_loads = 0;  // loads that failed
    int64_t deliveries = 0;    // states passed to the callback
  };

  // Starts watching `dir` and loads it once; if that load succeeds, `on_state` has received
  // its state when Create returns. A failed first load is logged, and the watcher starts with
  // no state. Fails only if `dir` is not a directory, inotify cannot watch it, `on_state` is
  // empty or `debounce` is outside [0, 1h].
  static absl::StatusOr<std::unique_ptr<ManifestWatcher>> Create(
      std::string dir, Callback on_state, absl::Duration debounce = kDefaultDebounce);

  // Stops and joins the watcher thread.
  ~ManifestWatcher();

  ManifestWatcher(const ManifestWatcher&) = delete;
  ManifestWatcher& operator=(const ManifestWatcher&) = delete;

  // The error of the latest load, OK if it succeeded.
  absl::Status last_error() const ABSL_LOCKS_EXCLUDED(mu_);
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // The last delivered state; null before the first good load.
  ClusterStateConstSharedPtr current_state() const ABSL_LOCKS_EXCLUDED(mu_);

  // Waits until `done(stats())` holds or `timeout` passes; returns whether it holds. For tests.
  bool AwaitStats(const std::function<bool(const Stats&)>& done, absl::Duration timeout) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  ManifestWatcher(std::string dir, Callback on_state, absl::Duration debounce, ScopedFd inotify_fd,
                  ScopedFd stop_fd, int watch);

  // The thread: waits for changes and reloads.
  void Run();
  // Reads all pending inotify events; returns whether any concerns the directory's contents.
  bool DrainEvents();
  // Loads the directory and delivers the state if it is new.
  void Reload() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string dir_;
  const Callback on_state_;
  const absl::Duration debounce_;
  const ScopedFd inotify_fd_;
  const ScopedFd stop_fd_;  // an eventfd, written by the destructor
  int watch_;               // inotify watch of dir_, -1 while lost; only the thread uses it
  std::thread thread_;

  mutable absl::Mutex mu_;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  ClusterStateConstSharedPtr current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::source

#endif  // STRATA_CONTROLPLANE_SOURCE_MANIFEST_WATCHER_H_
