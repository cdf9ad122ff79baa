// strata-ctl: command-line client of the strata.v1 integrator API.
//   strata-ctl [--server=127.0.0.1:18000] proxy-status
//   strata-ctl [--server=127.0.0.1:18000] snapshot GROUP
//   strata-ctl [--server=127.0.0.1:18000] groups
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "proto/strata/v1/controlplane.grpc.pb.h"

// The Envoy types must be linked in so JSON output can expand the Any resources.
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/transport_sockets/proxy_protocol/v3/upstream_proxy_protocol.pb.h"
#include "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:18000", "Address of strata-controlplane's xDS port.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call.");

namespace {

// Registers the Envoy message types in the generated pool (a type's descriptor is registered
// when its object file is linked, and only a reference links it), so JSON can expand Anys.
void LinkEnvoyTypes() {
  const google::protobuf::Descriptor* types[] = {
      envoy::config::cluster::v3::Cluster::descriptor(),
      envoy::config::endpoint::v3::ClusterLoadAssignment::descriptor(),
      envoy::config::listener::v3::Listener::descriptor(),
      envoy::config::route::v3::RouteConfiguration::descriptor(),
      envoy::extensions::filters::http::router::v3::Router::descriptor(),
      envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager::
          descriptor(),
      envoy::extensions::transport_sockets::tls::v3::Secret::descriptor(),
      // Inside the Anys of the edge's and the app tiers' resources.
      envoy::extensions::filters::listener::proxy_protocol::v3::ProxyProtocol::descriptor(),
      envoy::extensions::transport_sockets::proxy_protocol::v3::ProxyProtocolUpstreamTransport::
          descriptor(),
      envoy::extensions::transport_sockets::raw_buffer::v3::RawBuffer::descriptor(),
      envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext::descriptor(),
  };
  (void)types;
}

int Print(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    std::cerr << "strata-ctl: cannot print the answer as JSON: " << status.ToString() << "\n";
    return 1;
  }
  std::cout << json;
  return 0;
}

int Failed(const grpc::Status& status) {
  std::cerr << "strata-ctl: " << absl::GetFlag(FLAGS_server) << ": " << status.error_message()
            << " (code " << status.error_code() << ")\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Inspects a strata control plane.\n"
      "  strata-ctl [--server=HOST:PORT] proxy-status    connected proxies, per type the\n"
      "                                                 versions sent, ACKed and NACKed\n"
      "  strata-ctl [--server=HOST:PORT] groups          node groups with a snapshot\n"
      "  strata-ctl [--server=HOST:PORT] snapshot GROUP  a node group's resources as JSON");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  LinkEnvoyTypes();
  if (args.size() < 2) {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  const std::string command = args[1];
  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials());
  auto stub = strata::v1::ControlPlane::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));

  if (command == "proxy-status" && args.size() == 2) {
    strata::v1::ListProxiesResponse response;
    grpc::Status status = stub->ListProxies(&context, {}, &response);
    return status.ok() ? Print(response) : Failed(status);
  }
  if (command == "groups" && args.size() == 2) {
    strata::v1::ListGroupsResponse response;
    grpc::Status status = stub->ListGroups(&context, {}, &response);
    return status.ok() ? Print(response) : Failed(status);
  }
  if (command == "snapshot" && args.size() == 3) {
    strata::v1::GetSnapshotRequest request;
    request.set_group(args[2]);
    strata::v1::GetSnapshotResponse response;
    grpc::Status status = stub->GetSnapshot(&context, request, &response);
    return status.ok() ? Print(response) : Failed(status);
  }
  std::cerr << absl::ProgramUsageMessage() << "\n";
  return 2;
}
