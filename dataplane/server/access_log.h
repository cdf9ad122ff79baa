#ifndef STRATA_DATAPLANE_SERVER_ACCESS_LOG_H_
#define STRATA_DATAPLANE_SERVER_ACCESS_LOG_H_

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace strata::server {

// Writes access-log lines to files from a thread of its own, so a slow disk never stalls a
// worker. Workers hand over whole batches; when the writer falls more than `max_pending_bytes`
// behind, new batches are dropped and counted instead of queued without bound.
class AccessLogWriter {
 public:
  explicit AccessLogWriter(size_t max_pending_bytes = 16 << 20);
  ~AccessLogWriter();  // writes what is queued, then stops
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  // Queues newline-terminated lines for `path` ("/dev/stdout" is standard output).
  void Submit(const std::string& path, std::string lines) ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t dropped_bytes() const { return dropped_bytes_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  // Blocks until everything submitted so far is written (for tests and shutdown).
  void Flush() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  int FileFor(const std::string& path);

  const size_t max_pending_bytes_;
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> queue_ ABSL_GUARDED_BY(mu_);
  size_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, int> files_;  // writer thread only
  std::atomic<uint64_t> dropped_bytes_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::thread thread_;
};

}  // namespace strata::server

#endif  // STRATA_DATAPLANE_SERVER_ACCESS_LOG_H_
