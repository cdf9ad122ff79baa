#include "dataplane/event/dispatcher.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strata::event {

MonotonicClock& RealMonotonicClock::Get() {
  static RealMonotonicClock* const clock = new RealMonotonicClock();
  return *clock;
}

FileEvent::~FileEvent() { dispatcher_.Unregister(*this); }

void FileEvent::Activate(uint32_t events) {
  pending_ |= events;
  dispatcher_.QueueActivation(*this);
}

Timer::~Timer() {
  Disable();
  if (due_) {
    for (Timer*& t : dispatcher_.due_timers_) {
      if (t == this) t = nullptr;
    }
  }
}

void Timer::Enable(absl::Duration after) {
  if (after < absl::ZeroDuration()) after = absl::ZeroDuration();
  const MonoTime deadline = dispatcher_.Now() + absl::ToChronoNanoseconds(after);
  dispatcher_.ArmTimer(*this, deadline);
}

void Timer::Disable() {
  enabled_ = false;
  if (in_heap_) dispatcher_.RemoveTimer(*this);
}

absl::StatusOr<std::unique_ptr<Dispatcher>> Dispatcher::Create(std::string name,
                                                               MonotonicClock& clock) {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    return absl::InternalError(absl::StrCat("epoll_create1: ", std::strerror(errno)));
  }
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    const int err = errno;
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(err)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;  // the wake fd has no slot
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    const int err = errno;
    close(epoll_fd);
    close(wake_fd);
    return absl::InternalError(absl::StrCat("epoll_ctl(eventfd): ", std::strerror(err)));
  }
  return std::unique_ptr<Dispatcher>(new Dispatcher(std::move(name), clock, epoll_fd, wake_fd));
}

Dispatcher::Dispatcher(std::string name, MonotonicClock& clock, int epoll_fd, int wake_fd)
    : name_(std::move(name)),
      clock_(clock),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      thread_id_(std::this_thread::get_id()),
      now_(clock.Now()) {}

Dispatcher::~Dispatcher() {
  while (!deferred_.empty()) {
    std::vector<std::unique_ptr<DeferredDeletable>> batch;
    batch.swap(deferred_);
    batch.clear();
  }
  close(wake_fd_);
  close(epoll_fd_);
}

std::unique_ptr<FileEvent> Dispatcher::CreateFileEvent(int fd, FileEvent::Callback cb) {
  std::unique_ptr<FileEvent> event(new FileEvent(*this, fd, std::move(cb)));
  if (free_slots_.empty()) {
    event->slot_ = static_cast<uint32_t>(slots_.size());
    slots_.push_back(event.get());
  } else {
    event->slot_ = free_slots_.back();
    free_slots_.pop_back();
    slots_[event->slot_] = event.get();
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = event->slot_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    // Not pollable (a bug in the caller); surface it as an immediate error on first use.
    event->Activate(kClosed);
  }
  return event;
}

void Dispatcher::Unregister(FileEvent& event) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, event.fd_, nullptr);
  slots_[event.slot_] = nullptr;
  released_slots_.push_back(event.slot_);
  if (event.queued_) {
    activations_.erase(std::remove(activations_.begin(), activations_.end(), &event),
                       activations_.end());
  }
  for (FileEvent*& e : running_activations_) {
    if (e == &event) e = nullptr;
  }
}

void Dispatcher::QueueActivation(FileEvent& event) {
  if (!event.queued_) {
    event.queued_ = true;
    activations_.push_back(&event);
  }
}

std::unique_ptr<Timer> Dispatcher::CreateTimer(Timer::Callback cb) {
  return std::unique_ptr<Timer>(new Timer(*this, std::move(cb)));
}

void Dispatcher::ArmTimer(Timer& timer, MonoTime deadline) {
  timer.enabled_ = true;
  timer.deadline_ = deadline;
  if (timer.in_heap_) {
    if (deadline >= timer.heap_key_) return;  // re-queued when its old key surfaces
    timer.heap_key_ = deadline;
    HeapUp(timer.heap_index_);
    return;
  }
  timer.heap_key_ = deadline;
  timer.in_heap_ = true;
  timer.heap_index_ = heap_.size();
  heap_.push_back(&timer);
  HeapUp(timer.heap_index_);
}

void Dispatcher::RemoveTimer(Timer& timer) {
  const size_t i = timer.heap_index_;
  const size_t last = heap_.size() - 1;
  timer.in_heap_ = false;
  if (i != last) {
    HeapSwap(i, last);
    heap_.pop_back();
    HeapDown(i);
    HeapUp(i);
  } else {
    heap_.pop_back();
  }
}

void Dispatcher::HeapSwap(size_t a, size_t b) {
  std::swap(heap_[a], heap_[b]);
  heap_[a]->heap_index_ = a;
  heap_[b]->heap_index_ = b;
}

void Dispatcher::HeapUp(size_t i) {
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (heap_[parent]->heap_key_ <= heap_[i]->heap_key_) break;
    HeapSwap(i, parent);
    i = parent;
  }
}

void Dispatcher::HeapDown(size_t i) {
  const size_t n = heap_.size();
  while (true) {
    size_t smallest = i;
    const size_t l = 2 * i + 1;
    const size_t r = l + 1;
    if (l < n && heap_[l]->heap_key_ < heap_[smallest]->heap_key_) smallest = l;
    if (r < n && heap_[r]->heap_key_ < heap_[smallest]->heap_key_) smallest = r;
    if (smallest == i) return;
    HeapSwap(i, smallest);
    i = smallest;
  }
}

void Dispatcher::RunTimers() {
  while (!heap_.empty() && heap_[0]->heap_key_ <= now_) {
    Timer* timer = heap_[0];
    if (timer->deadline_ > now_) {  // pushed back since it was queued: move it, don't fire
      timer->heap_key_ = timer->deadline_;
      HeapDown(0);
      continue;
    }
    RemoveTimer(*timer);
    timer->due_ = true;
    due_timers_.push_back(timer);
  }
  // Callbacks may destroy, disable or re-arm timers that are due in this same round; a timer
  // re-armed with zero delay fires on the next iteration, never in a loop here.
  for (size_t i = 0; i < due_timers_.size(); ++i) {
    Timer* timer = due_timers_[i];
    if (timer == nullptr) continue;
    timer->due_ = false;
    if (!timer->enabled_ || timer->in_heap_) continue;
    timer->enabled_ = false;
    timer->cb_();
  }
  due_timers_.clear();
}

void Dispatcher::Post(Callback cb) {
  {
    absl::MutexLock lock(&post_mu_);
    posted_.push_back(std::move(cb));
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

void Dispatcher::RunPosted() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
  {
    absl::MutexLock lock(&post_mu_);
    posted_scratch_.swap(posted_);
  }
  for (auto& cb : posted_scratch_) cb();
  posted_scratch_.clear();
}

void Dispatcher::DeferredDelete(std::unique_ptr<DeferredDeletable> object) {
  deferred_.push_back(std::move(object));
}

void Dispatcher::Exit() {
  Post([this] { exit_requested_ = true; });
}

int Dispatcher::WaitMillis(absl::Duration max_wait) const {
  if (!activations_.empty() || !deferred_.empty()) return 0;
  absl::Duration wait = max_wait;
  if (!heap_.empty()) {
    const auto until = heap_[0]->heap_key_ - clock_.Now();
    wait = std::min(wait, absl::FromChrono(until));
  }
  if (wait <= absl::ZeroDuration()) return 0;
  if (wait == absl::InfiniteDuration()) return -1;
  // Round up so a timer is never woken for early.
  return static_cast<int>(absl::ToInt64Milliseconds(wait + absl::Microseconds(999)));
}

void Dispatcher::RunOnce(absl::Duration max_wait) {
  thread_id_ = std::this_thread::get_id();
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  const int n = epoll_wait(epoll_fd_, events, kMaxEvents, WaitMillis(max_wait));
  now_ = clock_.Now();
  bool wake = false;
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == UINT64_MAX) {
      wake = true;
      continue;
    }
    FileEvent* event = slots_[events[i].data.u64];
    if (event == nullptr) continue;  // destroyed by an earlier callback of this batch
    uint32_t ready = 0;
    const uint32_t e = events[i].events;
    if (e & (EPOLLIN | EPOLLPRI)) ready |= kRead;
    if (e & EPOLLOUT) ready |= kWrite;
    if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ready |= kClosed | kRead;
    event->cb_(ready);
  }
  // Activations queued before or during this batch. Callbacks may queue new ones; those run
  // on the next iteration so one busy connection cannot starve the loop.
  if (!activations_.empty()) {
    running_activations_.swap(activations_);
    for (FileEvent* event : running_activations_) event->queued_ = false;
    for (size_t i = 0; i < running_activations_.size(); ++i) {
      FileEvent* event = running_activations_[i];
      if (event == nullptr) continue;  // destroyed by an earlier callback
      const uint32_t pending = event->pending_;
      event->pending_ = 0;
      if (pending != 0) event->cb_(pending);
    }
    running_activations_.clear();
  }
  RunTimers();
  if (wake) RunPosted();
  // Destructors may defer more deletions; run until nothing is left.
  while (!deferred_.empty()) {
    std::vector<std::unique_ptr<DeferredDeletable>> batch;
    batch.swap(deferred_);
    batch.clear();
  }
  free_slots_.insert(free_slots_.end(), released_slots_.begin(), released_slots_.end());
  released_slots_.clear();
}

void Dispatcher::Run() {
  thread_id_ = std::this_thread::get_id();
  exit_requested_ = false;
  while (!exit_requested_) RunOnce(absl::InfiniteDuration());
}

}  // namespace strata::event
