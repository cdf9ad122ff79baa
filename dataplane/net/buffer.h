#ifndef STRATA_DATAPLANE_NET_BUFFER_H_
#define STRATA_DATAPLANE_NET_BUFFER_H_

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace strata::net {

namespace internal {

// Freed buffer blocks kept per thread by size class (1 KiB to 64 KiB, powers of two), so the
// keep-alive cycle of taking and releasing buffers costs no malloc/free on a worker.
class BlockCache {
 public:
  static constexpr size_t kMinBlock = 1024;
  static constexpr int kClasses = 7;
  static constexpr size_t kMaxPerClass = 128;

  // A block of exactly `capacity` bytes (a power of two >= kMinBlock).
  static char* Take(size_t capacity) {
    const int c = ClassOf(capacity);
    if (c >= 0) {
      auto& list = Get().free[c];
      if (!list.empty()) {
        char* block = list.back();
        list.pop_back();
        return block;
      }
    }
    return static_cast<char*>(std::malloc(capacity));
  }
  static void Give(char* block, size_t capacity) {
    const int c = ClassOf(capacity);
    if (c >= 0) {
      auto& list = Get().free[c];
      if (list.size() < kMaxPerClass) {
        list.push_back(block);
        return;
      }
    }
    std::free(block);
  }

 private:
  struct Lists {
    std::vector<char*> free[kClasses];
    ~Lists() {
      for (auto& list : free) {
        for (char* block : list) std::free(block);
      }
    }
  };
  static Lists& Get() {
    thread_local Lists lists;
    return lists;
  }
  static int ClassOf(size_t capacity) {
#if defined(__SANITIZE_ADDRESS__)
    return -1;  // under ASan every block is a real malloc/free, so misuse is reported
#endif
    int c = 0;
    for (size_t size = kMinBlock; size < capacity; size <<= 1) ++c;
    return c < kClasses && (kMinBlock << c) == capacity ? c : -1;
  }
};

}  // namespace internal

// A contiguous byte queue: append at the back, drain from the front. Storage grows
// geometrically and is released entirely by Release() (an idle keep-alive connection holds no
// buffer memory). Not thread-safe; a buffer belongs to one connection on one worker.
class Buffer {
 public:
  Buffer() = default;
  ~Buffer() {
    if (data_ != nullptr) internal::BlockCache::Give(data_, capacity_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      if (data_ != nullptr) internal::BlockCache::Give(data_, capacity_);
      data_ = std::exchange(other.data_, nullptr);
      begin_ = std::exchange(other.begin_, 0);
      end_ = std::exchange(other.end_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }

  const char* data() const { return data_ + begin_; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  size_t capacity() const { return capacity_; }
  absl::string_view view() const { return absl::string_view(data(), size()); }

  void Append(absl::string_view bytes) { Append(bytes.data(), bytes.size()); }
  void Append(const char* bytes, size_t n) {
    if (n == 0) return;
    char* out = Reserve(n);
    std::memcpy(out, bytes, n);
    end_ += n;
  }

  // Returns space for at least `n` bytes after the data; fill it, then Commit() what was
  // written.
  char* Reserve(size_t n) {
    if (capacity_ - end_ >= n) return data_ + end_;
    Grow(n);
    return data_ + end_;
  }
  size_t Writable() const { return capacity_ - end_; }
  void Commit(size_t n) { end_ += n; }

  void Drain(size_t n) {
    begin_ += n;
    if (begin_ >= end_) begin_ = end_ = 0;
  }
  void Clear() { begin_ = end_ = 0; }
  // Frees the storage if the buffer is empty.
  void ReleaseIfEmpty() {
    if (empty() && data_ != nullptr) {
      internal::BlockCache::Give(data_, capacity_);
      data_ = nullptr;
      capacity_ = 0;
      begin_ = end_ = 0;
    }
  }

 private:
  void Grow(size_t n) {
    const size_t used = size();
    // Reuse the space in front when that is enough and the move is cheap relative to growing.
    if (begin_ > 0 && capacity_ - used >= n && used <= capacity_ / 2) {
      std::memmove(data_, data_ + begin_, used);
      begin_ = 0;
      end_ = used;
      return;
    }
    size_t capacity = capacity_ == 0 ? internal::BlockCache::kMinBlock : capacity_;
    while (capacity - used < n) capacity *= 2;
    char* fresh = internal::BlockCache::Take(capacity);
    if (used > 0) std::memcpy(fresh, data_ + begin_, used);
    if (data_ != nullptr) internal::BlockCache::Give(data_, capacity_);
    data_ = fresh;
    capacity_ = capacity;
    begin_ = 0;
    end_ = used;
  }

  char* data_ = nullptr;
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t capacity_ = 0;
};

}  // namespace strata::net

#endif  // STRATA_DATAPLANE_NET_BUFFER_H_
