#ifndef STRATA_CONTROLPLANE_KUBE_WATCH_DECODER_H_
#define STRATA_CONTROLPLANE_KUBE_WATCH_DECODER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace strata::kube {

// One event of a Kubernetes watch stream (KUBE_API.md §1.7).
struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  nlohmann::json object;         // the object (for ERROR: a meta.k8s.io/v1 Status)
  std::string resource_version;  // the object's metadata.resourceVersion; "" for ERROR
  // ERROR only: the Status's code, reason and message.
  int status_code = 0;
  std::string reason;
  std::string message;

  // An ERROR that means "too old resource version": relist, then watch again (§1.9, form A).
  bool Expired() const {
    return type == Type::kError && (status_code == 410 || reason == "Expired" || reason == "Gone");
  }
};

// Splits a watch response body into events. The body is a sequence of JSON objects that are
// not aligned with HTTP chunks, reads or newlines: one Feed may hold part of an event or
// several of them. Every event is checked: an object with a known `type` and an `object`
// that has metadata.resourceVersion (a Status for ERROR). A malformed event, or one larger
// than the limit, is an InvalidArgument error naming the event ("watch event 3: ..."); the
// decoder then refuses further input and the caller starts a new watch.
class WatchDecoder {
 public:
  explicit WatchDecoder(size_t max_event_bytes = kDefaultMaxEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  static constexpr size_t kDefaultMaxEventBytes = size_t{16} << 20;
  // Deeper JSON is refused before it is parsed (Kubernetes objects nest a dozen levels).
  static constexpr int kMaxNesting = 128;

  // Reads `bytes` and appends the events they complete to `events`, in order. Events that
  // were complete before a malformed one are still appended, then the error is returned.
  absl::Status Feed(absl::string_view bytes, std::vector<WatchEvent>& events);

  // For the end of the stream: an error if an event was cut off.
  absl::Status Finish() const;

 private:
  absl::StatusOr<WatchEvent> Decode(absl::string_view text);
  absl::Status Fail(absl::string_view message);

  const size_t max_event_bytes_;
  std::string buffer_;  // bytes of the event being read (from its '{')
  int depth_ = 0;       // nesting of {} and [] outside strings
  bool in_string_ = false;
  bool escaped_ = false;
  int events_ = 0;  // events completed so far
  absl::Status error_;
};

}  // namespace strata::kube

#endif  // STRATA_CONTROLPLANE_KUBE_WATCH_DECODER_H_
