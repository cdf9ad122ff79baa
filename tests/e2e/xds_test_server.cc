// An xDS server for end-to-end tests of strata-proxy: the project's own xDS server
// (controlplane/xds) serving snapshots the test writes as files.
//   xds_test_server [PORT]   (0 or absent: pick one)
// Prints "xds on port N". Reads commands on stdin, one per line:
//   load FILE   serve the resources in FILE (YAML or JSON: listeners, routes, clusters,
//               endpoints, secrets: lists of Envoy v3 resources in their JSON form); prints
//               "loaded VERSION" or "error: ..."
// Exits when stdin closes.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/yaml_json.h"
#include "controlplane/xds/callbacks.h"
#include "controlplane/xds/resource.h"
#include "controlplane/xds/snapshot.h"
#include "controlplane/xds/snapshot_cache.h"
#include "controlplane/xds/xds_server.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"

namespace {

using strata::xds::ResourceType;

template <typename Proto>
absl::Status AddAll(const nlohmann::json& list, ResourceType type,
                    std::vector<strata::xds::ResourceConstSharedPtr>& out) {
  if (list.is_null()) return absl::OkStatus();
  if (!list.is_array()) return absl::InvalidArgumentError("resource lists must be arrays");
  for (const auto& item : list) {
    auto message = std::make_shared<Proto>();
    const auto status = google::protobuf::util::JsonStringToMessage(item.dump(), message.get());
    if (!status.ok()) {
      return absl::InvalidArgumentError(std::string(status.message()));
    }
    out.push_back(strata::xds::MakeResource(type, message));
  }
  return absl::OkStatus();
}

absl::StatusOr<strata::xds::SnapshotConstSharedPtr> Load(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto docs = strata::ParseYamlDocuments(text.str());
  if (!docs.ok()) return docs.status();
  if (docs->size() != 1 || !(*docs)[0].is_object()) {
    return absl::InvalidArgumentError("want one mapping");
  }
  const nlohmann::json& doc = (*docs)[0];
  auto get = [&doc](const char* key) {
    auto it = doc.find(key);
    return it == doc.end() ? nlohmann::json() : *it;
  };
  std::vector<strata::xds::ResourceConstSharedPtr> resources;
  for (auto status : {AddAll<envoy::config::listener::v3::Listener>(
                          get("listeners"), ResourceType::kListener, resources),
                      AddAll<envoy::config::route::v3::RouteConfiguration>(
                          get("routes"), ResourceType::kRoute, resources),
                      AddAll<envoy::config::cluster::v3::Cluster>(
                          get("clusters"), ResourceType::kCluster, resources),
                      AddAll<envoy::config::endpoint::v3::ClusterLoadAssignment>(
                          get("endpoints"), ResourceType::kEndpoint, resources),
                      AddAll<envoy::extensions::transport_sockets::tls::v3::Secret>(
                          get("secrets"), ResourceType::kSecret, resources)}) {
    if (!status.ok()) return status;
  }
  return strata::xds::Snapshot::Create(std::move(resources));
}

}  // namespace

int main(int argc, char** argv) {
  // Link the typed_config messages so JSON with "@type" resolves.
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
  envoy::extensions::filters::http::router::v3::Router router;
  envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext tls;
  (void)hcm;
  (void)router;
  (void)tls;
  int port = 0;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &port)) return 2;
  strata::xds::SnapshotCache cache(
      {/*debounce=*/absl::ZeroDuration(), /*max_delay=*/absl::ZeroDuration()},
      strata::RealClock::Get());
  strata::xds::FixedNodeGrouper grouper("test");
  strata::xds::NullXdsCallbacks callbacks;
  strata::xds::XdsServer xds(cache, grouper, callbacks);
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                           &bound);
  xds.RegisterServices(builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound == 0) {
    std::cout << "error: cannot listen" << std::endl;
    return 1;
  }
  std::cout << "xds on port " << bound << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("load ", 0) == 0) {
      auto snapshot = Load(line.substr(5));
      if (!snapshot.ok()) {
        std::cout << "error: " << snapshot.status().message() << std::endl;
        continue;
      }
      cache.SetSnapshot("test", *snapshot);
      cache.Flush();
      std::cout << "loaded " << (*snapshot)->version(ResourceType::kListener) << std::endl;
    }
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}
