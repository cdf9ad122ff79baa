#ifndef STRATA_CONTROLPLANE_SOURCE_SCOPED_FD_H_
#define STRATA_CONTROLPLANE_SOURCE_SCOPED_FD_H_

#include <unistd.h>

#include <utility>

namespace strata::source {

// Owns a file descriptor and closes it when destroyed. -1 means none.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace strata::source

#endif  // STRATA_CONTROLPLANE_SOURCE_SCOPED_FD_H_
