#include "controlplane/source/manifest_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "controlplane/source/manifest_parser.h"

namespace strata::source {
namespace {

// Debounce deadlines use the monotonic clock, like poll() does.
using SteadyClock = std::chrono::steady_clock;

constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// Events after which the watch no longer follows the path `dir`.
constexpr uint32_t kWatchLostMask = IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED;

constexpr absl::Duration kMaxDebounce = absl::Hours(1);
// Under constant churn, reload at the latest this many debounce periods after a change.
constexpr int kMaxDelayFactor = 10;

// How often to look for the directory again after losing it.
constexpr int kRewatchIntervalMs = 1000;

int PollTimeoutMs(SteadyClock::duration d) {
  if (d <= SteadyClock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ManifestWatcher>> ManifestWatcher::Create(std::string dir,
                                                                         Callback on_state,
                                                                         absl::Duration debounce) {
  if (!on_state) return absl::InvalidArgumentError("ManifestWatcher needs a callback");
  if (debounce < absl::ZeroDuration() || debounce > kMaxDebounce) {
    return absl::InvalidArgumentError("ManifestWatcher debounce must be between 0 and 1h");
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("manifest directory ", dir));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest directory ", dir, ": not a directory"));
  }
  ScopedFd inotify_fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_fd.valid()) return absl::ErrnoToStatus(errno, "inotify_init1");
  ScopedFd stop_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!stop_fd.valid()) return absl::ErrnoToStatus(errno, "eventfd");
  // Watch before the first load, so no change after it goes unseen.
  int watch = ::inotify_add_watch(inotify_fd.get(), dir.c_str(), kWatchMask);
  if (watch < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("inotify_add_watch ", dir));
  }
  auto watcher =
      absl::WrapUnique(new ManifestWatcher(std::move(dir), std::move(on_state), debounce,
                                           std::move(inotify_fd), std::move(stop_fd), watch));
  watcher->Reload();
  watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
  return watcher;
}

ManifestWatcher::ManifestWatcher(std::string dir, Callback on_state, absl::Duration debounce,
                                 ScopedFd inotify_fd, ScopedFd stop_fd, int watch)
    : dir_(std::move(dir)),
      on_state_(std::move(on_state)),
      debounce_(debounce),
      inotify_fd_(std::move(inotify_fd)),
      stop_fd_(std::move(stop_fd)),
      watch_(watch) {}

ManifestWatcher::~ManifestWatcher() {
  const uint64_t one = 1;
  // Cannot fail: the eventfd counter is far from overflowing.
  [[maybe_unused]] ssize_t n = ::write(stop_fd_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

absl::Status ManifestWatcher::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

ManifestWatcher::Stats ManifestWatcher::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

ClusterStateConstSharedPtr ManifestWatcher::current_state() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

bool ManifestWatcher::AwaitStats(const std::function<bool(const Stats&)>& done,
                                 absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto condition = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done(stats_); };
  return mu_.AwaitWithTimeout(absl::Condition(&condition), timeout);
}

void ManifestWatcher::Run() {
  const SteadyClock::duration debounce = absl::ToChronoNanoseconds(debounce_);
  // Unhandled changes (`pending`): when the first and the latest were seen. Not a
  // std::optional: gcc 12 -O2 then warns that the time may be used uninitialized.
  bool pending = false;
  SteadyClock::time_point first_change{};
  SteadyClock::time_point last_change{};
  // When to reload for the unhandled changes: once quiet for `debounce`, or at the latest
  // kMaxDelayFactor * debounce after the first.
  auto reload_at = [&] {
    return std::min(last_change + debounce, first_change + kMaxDelayFactor * debounce);
  };
  while (true) {
    int timeout_ms = -1;
    if (pending) {
      timeout_ms = PollTimeoutMs(reload_at() - SteadyClock::now());
    } else if (watch_ < 0) {
      timeout_ms = kRewatchIntervalMs;
    }
    pollfd fds[2] = {{stop_fd_.get(), POLLIN, 0}, {inotify_fd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      STRATA_LOG(ERROR) << "poll on inotify for " << dir_
                        << " failed, no longer watching: " << std::strerror(errno);
      return;
    }
    if (fds[0].revents != 0) return;  // the destructor asks to stop
    if (fds[1].revents != 0 && DrainEvents()) {
      last_change = SteadyClock::now();
      if (!pending) first_change = last_change;
      pending = true;
    }
    if (watch_ < 0 && !pending) {
      watch_ = ::inotify_add_watch(inotify_fd_.get(), dir_.c_str(), kWatchMask);
      if (watch_ >= 0) {
        STRATA_LOG(INFO) << "manifest directory " << dir_ << " is back, watching it again";
        first_change = last_change = SteadyClock::now();
        pending = true;
      }
    }
    if (pending && SteadyClock::now() >= reload_at()) {
      pending = false;
      if (watch_ >= 0) Reload();
    }
  }
}

bool ManifestWatcher::DrainEvents() {
  bool changed = false;
  alignas(struct inotify_event) char buffer[16 * 1024];
  while (true) {
    ssize_t n = ::read(inotify_fd_.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: drained
    for (ssize_t offset = 0; offset < n;) {
      struct inotify_event event;
      std::memcpy(&event, buffer + offset, sizeof(event));
      offset += static_cast<ssize_t>(sizeof(event) + event.len);
      if (event.mask & IN_Q_OVERFLOW) {
        changed = true;  // events were lost; reload to be sure
        continue;
      }
      if (event.wd != watch_ || watch_ < 0) continue;  // a watch already given up
      if (event.mask & kWatchLostMask) {
        STRATA_LOG(WARNING) << "manifest directory " << dir_
                            << " was removed or renamed; keeping the last state";
        if (!(event.mask & IN_IGNORED)) ::inotify_rm_watch(inotify_fd_.get(), watch_);
        watch_ = -1;
        continue;
      }
      changed = true;
    }
  }
  return changed;
}

void ManifestWatcher::Reload() {
  ManifestStats load_stats;
  absl::StatusOr<ClusterState> state = LoadManifestDirectory(dir_, &load_stats);
  const absl::Status status = state.status();
  ClusterStateConstSharedPtr delivery;
  StateChanges changes;
  bool have_state;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.loads;
    last_error_ = status;
    if (!status.ok()) {
      ++stats_.failed_loads;
    } else {
      changes = current_ == nullptr ? StateChanges::All() : DiffStates(*current_, *state);
      if (!changes.empty()) {
        delivery = std::make_shared<const ClusterState>(*std::move(state));
        current_ = delivery;
        ++stats_.deliveries;
      }
    }
    have_state = current_ != nullptr;
  }
  if (!status.ok()) {
    STRATA_LOG(ERROR) << "manifests in " << dir_ << " not loaded, keeping "
                      << (have_state ? "the last good state" : "no state") << ": "
                      << status.message();
    return;
  }
  if (delivery == nullptr) return;
  STRATA_LOG(INFO) << "manifests in " << dir_ << ": " << delivery->services.size() << " Services, "
                   << delivery->endpoint_slices.size() << " EndpointSlices (" << load_stats.files
                   << " files, " << load_stats.skipped_objects
                   << " objects of other kinds skipped)";
  on_state_(std::move(delivery), changes);
}

}  // namespace strata::source
