#include "dataplane/server/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/logging.h"

namespace strata::server {

AccessLogWriter::AccessLogWriter(size_t max_pending_bytes)
    : max_pending_bytes_(max_pending_bytes), thread_([this] { Run(); }) {}

AccessLogWriter::~AccessLogWriter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
  for (auto& [path, fd] : files_) {
    if (fd > 2) close(fd);
  }
}

void AccessLogWriter::Submit(const std::string& path, std::string lines) {
  absl::MutexLock lock(&mu_);
  if (pending_bytes_ + lines.size() > max_pending_bytes_) {
    dropped_bytes_.fetch_add(lines.size(), std::memory_order_relaxed);
    return;
  }
  pending_bytes_ += lines.size();
  queue_.emplace_back(path, std::move(lines));
}

void AccessLogWriter::Flush() {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return queue_.empty() && !writing_; };
  mu_.Await(absl::Condition(&done));
}

int AccessLogWriter::FileFor(const std::string& path) {
  auto it = files_.find(path);
  if (it != files_.end()) return it->second;
  int fd;
  if (path == "/dev/stdout") {
    fd = 1;
  } else if (path == "/dev/stderr") {
    fd = 2;
  } else {
    fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      STRATA_LOG(ERROR) << "access log " << path << ": cannot open";
    }
  }
  files_[path] = fd;
  return fd;
}

void AccessLogWriter::Run() {
  std::vector<std::pair<std::string, std::string>> batch;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stop_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty() && stop_) return;
      batch.swap(queue_);
      pending_bytes_ = 0;
      writing_ = true;
    }
    for (auto& [path, lines] : batch) {
      const int fd = FileFor(path);
      if (fd < 0) {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      size_t off = 0;
      while (off < lines.size()) {
        const ssize_t n = write(fd, lines.data() + off, lines.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          write_errors_.fetch_add(1, std::memory_order_relaxed);
          break;
        }
        off += static_cast<size_t>(n);
      }
    }
    batch.clear();
  }
}

}  // namespace strata::server
