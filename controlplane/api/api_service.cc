#include "controlplane/api/api_service.h"

#include <string>

namespace strata::api {

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
      any->set_value(r->serialized);
    }
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace strata::api
