#include "controlplane/api/api_service.h"

#include <string>

#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"

namespace strata::api {
namespace {

// What GetSnapshot shows of a resource. A Secret's private key is replaced, as Envoy's
// config_dump does: proxies get keys over xDS, people and tools reading snapshots never do.
std::string Displayed(xds::ResourceType type, const std::string& serialized) {
  if (type != xds::ResourceType::kSecret) return serialized;
  envoy::extensions::transport_sockets::tls::v3::Secret secret;
  if (!secret.ParseFromString(serialized)) return "";
  if (secret.has_tls_certificate() && secret.tls_certificate().has_private_key()) {
    secret.mutable_tls_certificate()->mutable_private_key()->set_inline_string("[redacted]");
  }
  return secret.SerializeAsString();
}

}  // namespace

grpc::ServerUnaryReactor* ApiService::ListProxies(grpc::CallbackServerContext* context,
                                                  const strata::v1::ListProxiesRequest*,
                                                  strata::v1::ListProxiesResponse* response) {
  for (auto& p : status_.Snapshot()) *response->add_proxies() = std::move(p);
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ApiService::ListGroups(grpc::CallbackServerContext* context,
                                                 const strata::v1::ListGroupsRequest*,
                                                 strata::v1::ListGroupsResponse* response) {
  for (auto& g : cache_.Groups()) response->add_groups(std::move(g));
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ApiService::GetSnapshot(grpc::CallbackServerContext* context,
                                                  const strata::v1::GetSnapshotRequest* request,
                                                  strata::v1::GetSnapshotResponse* response) {
  auto* reactor = context->DefaultReactor();
  xds::SnapshotConstSharedPtr snapshot = cache_.GetSnapshot(request->group());
  if (snapshot == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 "no snapshot for node group \"" + request->group() + "\""));
    return reactor;
  }
  response->set_group(request->group());
  for (xds::ResourceType type : xds::kPushOrder) {
    strata::v1::TypeSnapshot* t = response->add_types();
    t->set_type_url(std::string(xds::TypeUrl(type)));
    t->set_version(snapshot->version(type));
    for (const auto& [name, r] : snapshot->resources(type)) {
      google::protobuf::Any* any = t->add_resources();
      any->set_type_url(std::string(xds::TypeUrl(type)));
      any->set_value(Displayed(type, r->serialized));
    }
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace strata::api
