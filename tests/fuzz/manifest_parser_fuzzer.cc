// libFuzzer entry point for the manifest parser (controlplane/source/manifest_parser.h): one
// file's content through ManifestSet::AddManifest. Besides not crashing, it checks the
// documented contract: errors are InvalidArgument and name the file; a failed file adds
// nothing; adding the same objects again is a duplicate error.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "controlplane/source/manifest_parser.h"

namespace {

[[noreturn]] void Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "manifest_parser_fuzzer: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

void CheckError(const absl::Status& status, absl::string_view file_name) {
  if (status.code() != absl::StatusCode::kInvalidArgument) Fail("unexpected code", status);
  if (!absl::StartsWith(status.message(), file_name)) Fail("error does not name the file", status);
}

bool SameStats(const strata::source::ManifestStats& a, const strata::source::ManifestStats& b) {
  return a.files == b.files && a.documents == b.documents && a.services == b.services &&
         a.endpoint_slices == b.endpoint_slices && a.ingresses == b.ingresses &&
         a.ingress_classes == b.ingress_classes && a.ingress_routes == b.ingress_routes &&
         a.skipped_objects == b.skipped_objects;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  strata::source::ManifestSet set;
  absl::Status status = set.AddManifest("fuzz.yaml", text);
  if (!status.ok()) {
    CheckError(status, "fuzz.yaml");
    if (set.stats().files != 0 || !set.state().services.empty() ||
        !set.state().endpoint_slices.empty() || !set.state().ingresses.empty() ||
        !set.state().ingress_classes.empty() || !set.state().ingress_routes.empty()) {
      Fail("a failed file added objects", status);
    }
    return 0;
  }
  const strata::source::ManifestStats before = set.stats();
  const size_t services = set.state().services.size();
  const size_t slices = set.state().endpoint_slices.size();
  const size_t ingresses = set.state().ingresses.size();
  const size_t classes = set.state().ingress_classes.size();
  // One namespace/name may come in both Traefik API groups: one object in the state, two read.
  const size_t routes = set.state().ingress_routes.size();
  if (static_cast<size_t>(before.ingress_routes) < routes ||
      (routes == 0) != (before.ingress_routes == 0)) {
    Fail("IngressRoute stats do not match the state", status);
  }
  if (before.files != 1 || static_cast<size_t>(before.services) != services ||
      static_cast<size_t>(before.endpoint_slices) != slices ||
      static_cast<size_t>(before.ingresses) != ingresses ||
      static_cast<size_t>(before.ingress_classes) != classes) {
    Fail("stats do not match the state", status);
  }
  absl::Status again = set.AddManifest("again.yaml", text);
  if (services + slices + ingresses + classes + routes > 0) {
    if (again.ok()) Fail("the same objects were added twice", again);
    CheckError(again, "again.yaml");
    if (!SameStats(set.stats(), before)) Fail("a failed file changed the stats", again);
  } else if (!again.ok()) {
    Fail("a file without objects failed the second time", again);
  }
  return 0;
}
