#ifndef STRATA_TESTS_CONTROLPLANE_XDS_TCP_RELAY_H_
#define STRATA_TESTS_CONTROLPLANE_XDS_TCP_RELAY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace strata::testing {

// A TCP relay on 127.0.0.1 for tests: every connection accepted on port() is joined to a new
// connection to 127.0.0.1:`upstream_port`, and bytes are copied both ways. BlackHole() stops
// the copying in both directions without closing anything, as a peer that vanished from the
// network would. The upstream is taken to speak HTTP/2 (gRPC): the PING frames it sends are
// counted, so a test can see keepalive at work. One thread; everything is closed by the
// destructor.
class TcpRelay {
 public:
  static absl::StatusOr<std::unique_ptr<TcpRelay>> Create(int upstream_port);
  ~TcpRelay();
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  int port() const { return port_; }

  // From now on nothing is read or written on any connection, old or new.
  void BlackHole() ABSL_LOCKS_EXCLUDED(mu_);

  // HTTP/2 PING frames (not PING ACKs) relayed from the upstream to clients so far.
  uint64_t upstream_pings() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until at least `pings` upstream PING frames were relayed; false on timeout.
  bool WaitForUpstreamPings(uint64_t pings, absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Pair {
    int client_fd = -1;
    int upstream_fd = -1;
    std::string upstream_bytes;  // from upstream, not yet a whole HTTP/2 frame
  };
  TcpRelay(int listen_fd, int port, int wake_fd, int upstream_port)
      : listen_fd_(listen_fd), port_(port), wake_fd_(wake_fd), upstream_port_(upstream_port) {}
  void Run();
  void Accept();
  // Copies what is readable on `from` to `to`; false when the pair should be closed.
  // `frames` (upstream to client only) collects the bytes for counting PING frames.
  bool Copy(int from, int to, std::string* frames);
  void Wake();

  const int listen_fd_;
  const int port_;
  const int wake_fd_;  // eventfd: wakes the thread to re-read its state
  const int upstream_port_;
  std::vector<Pair> pairs_;  // only the relay thread touches it
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool black_hole_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t upstream_pings_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace strata::testing

#endif  // STRATA_TESTS_CONTROLPLANE_XDS_TCP_RELAY_H_
