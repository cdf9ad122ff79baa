#ifndef STRATA_DATAPLANE_EVENT_DISPATCHER_H_
#define STRATA_DATAPLANE_EVENT_DISPATCHER_H_

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace strata::event {

using MonoTime = std::chrono::steady_clock::time_point;

// Monotonic time source of a dispatcher; tests substitute a manual one.
class MonotonicClock {
 public:
  virtual ~MonotonicClock() = default;
  virtual MonoTime Now() const = 0;
};

class RealMonotonicClock final : public MonotonicClock {
 public:
  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  static MonotonicClock& Get();
};

// Readiness bits passed to a FileEvent callback.
enum FileReady : uint32_t {
  kRead = 1u << 0,
  kWrite = 1u << 1,
  kClosed = 1u << 2,  // peer hung up (EPOLLRDHUP/EPOLLHUP/EPOLLERR)
};

class Dispatcher;

// An fd registered edge-triggered for read and write readiness. The owner must read (or write)
// until EAGAIN, or call Activate() to be called again on the next loop iteration. Destroying
// the event unregisters the fd (it does not close it).
class FileEvent {
 public:
  using Callback = absl::AnyInvocable<void(uint32_t events)>;
  ~FileEvent();
  FileEvent(const FileEvent&) = delete;
  FileEvent& operator=(const FileEvent&) = delete;

  // Schedules the callback with `events` on the next iteration even without a new edge.
  void Activate(uint32_t events);
  int fd() const { return fd_; }

 private:
  friend class Dispatcher;
  FileEvent(Dispatcher& dispatcher, int fd, Callback cb)
      : dispatcher_(dispatcher), fd_(fd), cb_(std::move(cb)) {}

  Dispatcher& dispatcher_;
  const int fd_;
  Callback cb_;
  uint32_t slot_ = 0;     // index in the dispatcher's slot table (epoll user data)
  uint32_t pending_ = 0;  // activated events not yet delivered
  bool queued_ = false;   // on the dispatcher's activation list
};

// A one-shot timer. Re-arming to a later deadline is O(1): the heap entry keeps its position and
// is re-queued when it surfaces, so per-request idle timers cost nothing on the hot path.
class Timer {
 public:
  using Callback = absl::AnyInvocable<void()>;
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void Enable(absl::Duration after);
  void Disable();
  bool Enabled() const { return enabled_; }

 private:
  friend class Dispatcher;
  Timer(Dispatcher& dispatcher, Callback cb) : dispatcher_(dispatcher), cb_(std::move(cb)) {}

  Dispatcher& dispatcher_;
  Callback cb_;
  MonoTime deadline_{};    // when the timer should fire
  MonoTime heap_key_{};    // its position in the heap (<= deadline_ while enabled)
  size_t heap_index_ = 0;  // valid while in_heap_
  bool in_heap_ = false;
  bool enabled_ = false;
  bool due_ = false;  // expired and waiting to fire in this iteration
};

// Something destroyed by the dispatcher after the current callback returns (a connection that
// closes itself from inside one of its own callbacks).
class DeferredDeletable {
 public:
  virtual ~DeferredDeletable() = default;
};

// One event loop (epoll) on one thread. Everything but Post() and Exit() must be called on the
// loop's thread.
class Dispatcher {
 public:
  using Callback = absl::AnyInvocable<void()>;

  static absl::StatusOr<std::unique_ptr<Dispatcher>> Create(
      std::string name, MonotonicClock& clock = RealMonotonicClock::Get());
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  std::unique_ptr<FileEvent> CreateFileEvent(int fd, FileEvent::Callback cb);
  std::unique_ptr<Timer> CreateTimer(Timer::Callback cb);

  // Thread-safe: runs `cb` on the loop's thread on a later iteration.
  void Post(Callback cb) ABSL_LOCKS_EXCLUDED(post_mu_);
  void DeferredDelete(std::unique_ptr<DeferredDeletable> object);

  // Runs until Exit(). Binds the dispatcher to the calling thread.
  void Run();
  // One iteration: waits at most `max_wait` for I/O (less if a timer is due).
  void RunOnce(absl::Duration max_wait);
  // Thread-safe: makes Run() return after the current iteration.
  void Exit();

  // Time cached at the start of the current iteration.
  MonoTime Now() const { return now_; }
  // Re-reads the clock (for code that measures within one iteration).
  MonoTime UpdateNow() { return now_ = clock_.Now(); }
  const std::string& name() const { return name_; }
  bool IsThreadSafe() const { return std::this_thread::get_id() == thread_id_; }
  size_t TimerCount() const { return heap_.size(); }

 private:
  friend class FileEvent;
  friend class Timer;
  Dispatcher(std::string name, MonotonicClock& clock, int epoll_fd, int wake_fd);

  void Unregister(FileEvent& event);
  void QueueActivation(FileEvent& event);
  void ArmTimer(Timer& timer, MonoTime deadline);
  void RemoveTimer(Timer& timer);
  void HeapUp(size_t i);
  void HeapDown(size_t i);
  void HeapSwap(size_t a, size_t b);
  void RunTimers();
  void RunPosted() ABSL_LOCKS_EXCLUDED(post_mu_);
  int WaitMillis(absl::Duration max_wait) const;

  const std::string name_;
  MonotonicClock& clock_;
  const int epoll_fd_;
  const int wake_fd_;  // eventfd that Post()/Exit() write to
  std::thread::id thread_id_;
  MonoTime now_;
  bool exit_requested_ = false;  // loop thread only; set through a posted callback
  // epoll user data is a slot index, so an event destroyed while others of the same batch run
  // is never dereferenced; freed slots are recycled only after the batch.
  std::vector<FileEvent*> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> released_slots_;
  std::vector<FileEvent*> activations_;
  std::vector<FileEvent*> running_activations_;  // entries nulled when destroyed meanwhile
  std::vector<Timer*> due_timers_;               // entries nulled when destroyed meanwhile
  std::vector<Timer*> heap_;
  std::vector<std::unique_ptr<DeferredDeletable>> deferred_;
  std::vector<Callback> posted_scratch_;

  absl::Mutex post_mu_;
  std::vector<Callback> posted_ ABSL_GUARDED_BY(post_mu_);
};

}  // namespace strata::event

#endif  // STRATA_DATAPLANE_EVENT_DISPATCHER_H_
