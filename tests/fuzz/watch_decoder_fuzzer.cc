// libFuzzer entry point for the Kubernetes watch stream decoder
// (controlplane/kube/watch_decoder.h): a response body from the API server, or from anything
// pretending to be it. Besides not crashing, it checks that the outcome does not depend on how
// the bytes are split (the same events, the same error), and that errors name the event.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "controlplane/kube/watch_decoder.h"

namespace {

using strata::kube::WatchDecoder;
using strata::kube::WatchEvent;

[[noreturn]] void Fail(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "watch_decoder_fuzzer: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

struct Outcome {
  std::vector<std::string> events;
  absl::Status status;
};

// Decodes `text` fed in pieces of at most `piece` bytes (a small limit, to reach it too).
Outcome Decode(absl::string_view text, size_t piece) {
  WatchDecoder decoder(/*max_event_bytes=*/1024);
  Outcome outcome;
  std::vector<WatchEvent> events;
  for (size_t at = 0; at < text.size() && outcome.status.ok(); at += piece) {
    outcome.status = decoder.Feed(text.substr(at, piece), events);
  }
  for (const WatchEvent& e : events) {
    outcome.events.push_back(absl::StrCat(static_cast<int>(e.type), "/", e.resource_version, "/",
                                          e.status_code, "/", e.object.dump()));
  }
  if (!outcome.status.ok()) return outcome;
  outcome.status = decoder.Finish();
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte chooses how the rest is split.
  const size_t piece = 1 + data[0] % 17;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = Decode(text, text.size() + 1);
  const Outcome split = Decode(text, piece);
  if (whole.events != split.events) Fail("events depend on the split", text);
  if (whole.status != split.status) Fail("the error depends on the split", text);
  if (!whole.status.ok()) {
    if (whole.status.code() != absl::StatusCode::kInvalidArgument) {
      Fail("unexpected code", whole.status.message());
    }
    if (!absl::StartsWith(whole.status.message(), "watch event ")) {
      Fail("error does not name the event", whole.status.message());
    }
  }
  return 0;
}
