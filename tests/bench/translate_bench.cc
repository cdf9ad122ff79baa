// The Kubernetes-source side of the control plane at the size of issue 4's benchmark: 10,000
// Ingresses, 5,000 Services and 50,000 endpoints in 500 namespaces (half with an app tier).
// Measures, in process and on this machine:
//   - reading every object as the API serves it (source::ReadApiObject), as a first list does;
//   - assembling the ClusterState from the per-kind stores, as KubeSource does once every
//     kind is listed;
//   - translating for both tiers and the proxyless clients and building every snapshot
//     (SnapshotPublisher::Publish, which translates everything the first time);
//   - resident memory after the first snapshot.
// "One change" = one Ingress (or one EndpointSlice) edited: parse it, put it in the state in
// place of the old version, and publish with its namespace as the change, as KubeSource does
// (the debounce, 100 ms by default, comes on top end to end). Prints a markdown table.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/source/manifest_parser.h"
#include "controlplane/translate/proxyless.h"
#include "controlplane/translate/snapshot_publisher.h"
#include "controlplane/translate/two_tier.h"
#include "controlplane/xds/snapshot_cache.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(int, namespaces, 500, "Namespaces (every other one has an app tier).");
ABSL_FLAG(int, services_per_namespace, 10, "Services (and EndpointSlices) per namespace.");
ABSL_FLAG(int, ingresses_per_service, 2, "Ingresses per Service, each with its own host.");
ABSL_FLAG(int, endpoints_per_service, 10, "Ready endpoints per Service.");
ABSL_FLAG(int, changes, 20, "Single-Ingress changes to time.");

namespace strata {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double RssMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;  // NOLINT(google-runtime-int): the file's format
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

Json ServiceObject(const std::string& ns, const std::string& name, bool app_tier) {
  Json labels = Json::object();
  if (app_tier) labels["strata.dev/tier"] = "app";
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
          {"spec", {{"ports", {{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}}}}}};
}

Json SliceObject(const std::string& ns, const std::string& service, int index, int endpoints) {
  Json list = Json::array();
  for (int e = 0; e < endpoints; ++e) {
    list.push_back(
        {{"addresses", {absl::StrFormat("10.%d.%d.%d", index / 250, index % 250, e + 1)}},
         {"conditions", {{"ready", true}}},
         {"zone", e % 2 == 0 ? "zone-a" : "zone-b"}});
  }
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata",
           {{"name", service + "-abcde"},
            {"namespace", ns},
            {"labels", {{"kubernetes.io/service-name", service}}}}},
          {"addressType", "IPv4"},
          {"ports", {{{"name", "http"}, {"port", 8080}}}},
          {"endpoints", list}};
}

Json IngressObject(const std::string& ns, const std::string& name, const std::string& host,
                   const std::string& service, int generation) {
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "Ingress"},
          {"metadata",
           {{"name", name}, {"namespace", ns}, {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
          {"spec",
           {{"rules",
             {{{"host", host},
               {"http",
                {{"paths",
                  {{{"path", "/"},
                    {"pathType", "Prefix"},
                    {"backend", {{"service", {{"name", service}, {"port", {{"number", 80}}}}}}}},
                   {{"path", absl::StrCat("/v", generation)},
                    {"pathType", "Exact"},
                    {"backend",
                     {{"service", {{"name", service}, {"port", {{"number", 80}}}}}}}}}}}}}}}}}};
}

int Run() {
  const int namespaces = absl::GetFlag(FLAGS_namespaces);
  const int per_ns = absl::GetFlag(FLAGS_services_per_namespace);
  const int ingresses_per = absl::GetFlag(FLAGS_ingresses_per_service);
  const int endpoints = absl::GetFlag(FLAGS_endpoints_per_service);

  std::vector<Json> objects;
  Json edge_slice = SliceObject("strata-system", "strata-edge", 0, 3);
  objects.push_back(ServiceObject("strata-system", "strata-edge", false));
  objects.push_back(edge_slice);
  int service_index = 0, ingress_count = 0, endpoint_count = 0;
  for (int n = 0; n < namespaces; ++n) {
    const std::string ns = absl::StrCat("team-", n);
    if (n % 2 == 0) {
      objects.push_back(ServiceObject(ns, "strata-app", true));
      objects.push_back(SliceObject(ns, "strata-app", ++service_index, 2));
    }
    for (int s = 0; s < per_ns; ++s) {
      const std::string service = absl::StrCat("svc-", s);
      objects.push_back(ServiceObject(ns, service, false));
      objects.push_back(SliceObject(ns, service, ++service_index, endpoints));
      endpoint_count += endpoints;
      for (int i = 0; i < ingresses_per; ++i) {
        const std::string name = absl::StrCat(service, "-", i);
        objects.push_back(
            IngressObject(ns, name, absl::StrCat(name, ".", ns, ".example.com"), service, 0));
        ++ingress_count;
      }
    }
  }

  // 1. Read every object (the first list of every kind).
  auto start = Clock::now();
  std::vector<source::ApiObject> parsed;
  parsed.reserve(objects.size());
  for (const Json& object : objects) {
    auto read = source::ReadApiObject(object, "bench");
    if (!read.ok()) {
      std::fprintf(stderr, "%s\n", std::string(read.status().message()).c_str());
      return 1;
    }
    parsed.push_back(*std::move(read));
  }
  const double read_ms = Ms(Clock::now() - start);

  // 2. Assemble the state, 3. translate and build every snapshot.
  xds::SnapshotCache cache({absl::ZeroDuration(), absl::ZeroDuration(), false}, RealClock::Get());
  translate::TwoTierOptions options;
  translate::SnapshotPublisher publisher(cache, options, "proxyless");
  start = Clock::now();
  auto first = std::make_shared<source::ClusterState>();
  for (const source::ApiObject& object : parsed) source::AddToState(object, *first);
  const source::ClusterStateConstSharedPtr state = first;
  const double assemble_ms = Ms(Clock::now() - start);
  start = Clock::now();
  publisher.Publish(*state, source::StateChanges::All());
  cache.Flush();
  const double publish_ms = Ms(Clock::now() - start);
  const double rss = RssMiB();
  // The two translations alone (Publish above runs both, then builds the snapshots).
  size_t proxyless_clusters = 0;
  int edge_hosts = 0;
  size_t app_tiers = 0;
  double proxyless_ms = 0;
  double tiers_ms = 0;
  {
    start = Clock::now();
    const translate::XdsResources proxyless = translate::TranslateProxyless(*state);
    proxyless_ms = Ms(Clock::now() - start);
    start = Clock::now();
    const translate::TwoTierConfig tiers = translate::TranslateTwoTier(*state, options);
    tiers_ms = Ms(Clock::now() - start);
    proxyless_clusters = proxyless.clusters.size();
    edge_hosts = tiers.edge.routes.front().virtual_hosts_size();
    app_tiers = tiers.apps.size();
  }

  const double rss_before_changes = RssMiB();
  // One object changed, again and again: the whole pipeline after the read of that object.
  const int changes = absl::GetFlag(FLAGS_changes);
  auto change = [&](const std::string& kind, const std::string& ns, const std::string& name,
                    const Json& object) {
    const auto begin = Clock::now();
    auto read = source::ReadApiObject(object, "bench");
    source::RemoveFromState(kind, ns, name, *first);
    source::AddToState(*read, *first);
    source::StateChanges changed;
    changed.namespaces.insert(ns);
    publisher.Publish(*state, changed);
    cache.Flush();
    return Ms(Clock::now() - begin);
  };
  std::vector<double> change_ms;
  std::vector<double> slice_ms;
  for (int c = 1; c <= changes; ++c) {
    change_ms.push_back(
        change("Ingress", "team-7", "svc-3-0",
               IngressObject("team-7", "svc-3-0", "svc-3-0.team-7.example.com", "svc-3", c)));
    // A pod of team-8 (an app tier's namespace) replaced: one endpoint's address changes.
    Json slice = SliceObject("team-8", "svc-4", 9, endpoints);
    slice["endpoints"][0]["addresses"][0] = absl::StrFormat("10.250.%d.%d", c / 250, c % 250);
    slice_ms.push_back(change("EndpointSlice", "team-8", "svc-4-abcde", slice));
  }
  std::sort(change_ms.begin(), change_ms.end());
  std::sort(slice_ms.begin(), slice_ms.end());
  const double rss_after = RssMiB();

  std::printf("| objects | Ingresses | Services | endpoints |\n|---|---|---|---|\n");
  std::printf("| %zu | %d | %d | %d |\n\n", objects.size(), ingress_count, service_index,
              endpoint_count);
  std::printf("| step | time |\n|---|---|\n");
  std::printf("| read every object (first list) | %.0f ms |\n", read_ms);
  std::printf("| assemble the state | %.0f ms |\n", assemble_ms);
  std::printf("| translate + build all snapshots (%zu groups) | %.0f ms |\n", cache.Groups().size(),
              publish_ms);
  std::printf("| of which: proxyless translation (%zu clusters) | %.0f ms |\n", proxyless_clusters,
              proxyless_ms);
  std::printf("| of which: two-tier translation (%d edge hosts, %zu app tiers) | %.0f ms |\n",
              edge_hosts, app_tiers, tiers_ms);
  std::printf("| first snapshot, total | %.0f ms |\n", read_ms + assemble_ms + publish_ms);
  std::printf("| one Ingress changed: median / max of %d | %.1f / %.1f ms |\n", changes,
              change_ms[change_ms.size() / 2], change_ms.back());
  std::printf("| one EndpointSlice changed: median / max of %d | %.1f / %.1f ms |\n", changes,
              slice_ms[slice_ms.size() / 2], slice_ms.back());
  std::printf("| resident memory after the first snapshot | %.0f MiB |\n", rss);
  std::printf("| resident memory before / after the changes | %.0f / %.0f MiB |\n",
              rss_before_changes, rss_after);
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return strata::Run();
}
