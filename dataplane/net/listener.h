#ifndef STRATA_DATAPLANE_NET_LISTENER_H_
#define STRATA_DATAPLANE_NET_LISTENER_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/net/address.h"

namespace strata::net {

// Creates a non-blocking listening TCP socket with SO_REUSEADDR and SO_REUSEPORT, so every
// worker can have its own socket on the same address and the kernel spreads connections.
absl::StatusOr<int> CreateListenSocket(const Address& address, int backlog = 4096);
// The bound address of a socket (resolves port 0).
absl::StatusOr<Address> LocalAddress(int fd);

// A process-wide bound on open downstream connections, shared by all workers (one atomic).
class ConnectionLimit {
 public:
  explicit ConnectionLimit(int64_t max) : max_(max) {}
  bool TryAcquire() {
    if (count_.fetch_add(1, std::memory_order_relaxed) >= max_) {
      count_.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  void Release() { count_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t count() const { return count_.load(std::memory_order_relaxed); }
  int64_t max() const { return max_; }

 private:
  const int64_t max_;
  std::atomic<int64_t> count_{0};
};

// Accepts connections on one listening fd in one worker's loop.
class Listener {
 public:
  // Called with an accepted non-blocking fd the callee now owns.
  using AcceptCallback =
      absl::AnyInvocable<void(int fd, const Address& peer, const Address& local)>;

  // Takes ownership of `fd` (a listening socket). Accepted connections over `limit` are closed
  // at once and counted in rejected().
  Listener(event::Dispatcher& dispatcher, int fd, ConnectionLimit* limit, AcceptCallback cb);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Stops accepting (the socket is closed; connections already accepted stay).
  void Stop();
  uint64_t accepted() const { return accepted_; }
  uint64_t rejected() const { return rejected_; }

 private:
  void OnReadable();

  event::Dispatcher& dispatcher_;
  int fd_;
  ConnectionLimit* limit_;
  AcceptCallback cb_;
  std::unique_ptr<event::FileEvent> event_;
  uint64_t accepted_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace strata::net

#endif  // STRATA_DATAPLANE_NET_LISTENER_H_
