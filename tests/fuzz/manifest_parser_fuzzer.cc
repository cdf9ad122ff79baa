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
#include "controlplane/source/cluster_state.h"
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
         a.namespaces == b.namespaces && a.gateway_classes == b.gateway_classes &&
         a.gateways == b.gateways && a.http_routes == b.http_routes &&
         a.reference_grants == b.reference_grants && a.skipped_objects == b.skipped_objects;
}

// The objects of `state`, except IngressRoutes (one per namespace/name of both API groups).
size_t CountWithoutIngressRoutes(const strata::source::ClusterState& state) {
  return state.services.size() + state.endpoint_slices.size() + state.ingresses.size() +
         state.ingress_classes.size() + state.namespaces.size() + state.gateway_classes.size() +
         state.gateways.size() + state.http_routes.size() + state.reference_grants.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  strata::source::ManifestSet set;
  absl::Status status = set.AddManifest("fuzz.yaml", text);
  if (!status.ok()) {
    CheckError(status, "fuzz.yaml");
    if (set.stats().files != 0 || CountWithoutIngressRoutes(set.state()) != 0 ||
        !set.state().ingress_routes.empty()) {
      Fail("a failed file added objects", status);
    }
    return 0;
  }
  const strata::source::ManifestStats before = set.stats();
  const size_t services = set.state().services.size();
  const size_t slices = set.state().endpoint_slices.size();
  const size_t ingresses = set.state().ingresses.size();
  const size_t classes = set.state().ingress_classes.size();
  const strata::source::ClusterState& state = set.state();
  // One namespace/name may come in both Traefik API groups: one object in the state, two read.
  const size_t routes = set.state().ingress_routes.size();
  if (static_cast<size_t>(before.ingress_routes) < routes ||
      (routes == 0) != (before.ingress_routes == 0)) {
    Fail("IngressRoute stats do not match the state", status);
  }
  if (before.files != 1 || static_cast<size_t>(before.services) != services ||
      static_cast<size_t>(before.endpoint_slices) != slices ||
      static_cast<size_t>(before.ingresses) != ingresses ||
      static_cast<size_t>(before.ingress_classes) != classes ||
      static_cast<size_t>(before.namespaces) != state.namespaces.size() ||
      static_cast<size_t>(before.gateway_classes) != state.gateway_classes.size() ||
      static_cast<size_t>(before.gateways) != state.gateways.size() ||
      static_cast<size_t>(before.http_routes) != state.http_routes.size() ||
      static_cast<size_t>(before.reference_grants) != state.reference_grants.size()) {
    Fail("stats do not match the state", status);
  }
  const size_t objects = CountWithoutIngressRoutes(state) + routes;
  absl::Status again = set.AddManifest("again.yaml", text);
  if (objects > 0) {
    if (again.ok()) Fail("the same objects were added twice", again);
    CheckError(again, "again.yaml");
    if (!SameStats(set.stats(), before)) Fail("a failed file changed the stats", again);
  } else if (!again.ok()) {
    Fail("a file without objects failed the second time", again);
  }
  return 0;
}
