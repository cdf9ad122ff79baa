#include "controlplane/xds/resource.h"

#include <atomic>

#include "absl/strings/str_format.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace strata::xds {
namespace {

std::atomic<uint64_t> g_serializations{0};

using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

constexpr absl::string_view kHcmTypeUrl =
    "type.googleapis.com/"
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

void AddHcmReferences(const google::protobuf::Any& any, std::vector<std::string>& out) {
  if (any.type_url() != kHcmTypeUrl) return;
  HttpConnectionManager hcm;
  if (!any.UnpackTo(&hcm)) return;
  if (hcm.has_rds()) out.push_back(hcm.rds().route_config_name());
}

std::vector<std::string> References(ResourceType type, const google::protobuf::Message& msg) {
  std::vector<std::string> refs;
  if (type == ResourceType::kCluster) {
    const auto& cluster = static_cast<const envoy::config::cluster::v3::Cluster&>(msg);
    if (cluster.type() == envoy::config::cluster::v3::Cluster::EDS) {
      refs.push_back(cluster.eds_cluster_config().service_name().empty()
                         ? cluster.name()
                         : cluster.eds_cluster_config().service_name());
    }
  } else if (type == ResourceType::kListener) {
    const auto& listener = static_cast<const envoy::config::listener::v3::Listener&>(msg);
    if (listener.has_api_listener()) AddHcmReferences(listener.api_listener().api_listener(), refs);
    for (const auto& chain : listener.filter_chains()) {
      for (const auto& filter : chain.filters()) AddHcmReferences(filter.typed_config(), refs);
    }
    if (listener.has_default_filter_chain()) {
      for (const auto& filter : listener.default_filter_chain().filters()) {
        AddHcmReferences(filter.typed_config(), refs);
      }
    }
  }
  return refs;
}

std::string NameOf(ResourceType type, const google::protobuf::Message& msg) {
  const auto* descriptor = msg.GetDescriptor();
  const auto* field =
      descriptor->FindFieldByName(type == ResourceType::kEndpoint ? "cluster_name" : "name");
  if (field == nullptr) return "";
  return msg.GetReflection()->GetString(msg, field);
}

}  // namespace

absl::string_view TypeUrl(ResourceType type) {
  switch (type) {
    case ResourceType::kListener:
      return kListenerTypeUrl;
    case ResourceType::kRoute:
      return kRouteTypeUrl;
    case ResourceType::kCluster:
      return kClusterTypeUrl;
    case ResourceType::kEndpoint:
      return kEndpointTypeUrl;
    case ResourceType::kSecret:
      return kSecretTypeUrl;
  }
  return "";
}

bool ParseTypeUrl(absl::string_view type_url, ResourceType* type) {
  for (ResourceType t : kPushOrder) {
    if (TypeUrl(t) == type_url) {
      *type = t;
      return true;
    }
  }
  return false;
}

absl::string_view ShortName(ResourceType type) {
  switch (type) {
    case ResourceType::kListener:
      return "lds";
    case ResourceType::kRoute:
      return "rds";
    case ResourceType::kCluster:
      return "cds";
    case ResourceType::kEndpoint:
      return "eds";
    case ResourceType::kSecret:
      return "sds";
  }
  return "";
}

uint64_t ContentHash(absl::string_view bytes) {
  // FNV-1a, 64-bit: stable across processes and releases (versions survive restarts, which
  // lets Delta clients' initial_resource_versions match).
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string SerializeDeterministic(const google::protobuf::Message& message) {
  // Sized once: no growing copies, and no spare capacity kept in every snapshot.
  std::string bytes(message.ByteSizeLong(), '\0');
  google::protobuf::io::ArrayOutputStream raw(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedOutputStream out(&raw);
  out.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&out);
  return bytes;
}

ResourceConstSharedPtr MakeResource(ResourceType type, const google::protobuf::Message& message) {
  auto r = std::make_shared<Resource>();
  r->type = type;
  r->name = NameOf(type, message);
  r->serialized = SerializeDeterministic(message);
  g_serializations.fetch_add(1, std::memory_order_relaxed);
  r->hash = ContentHash(r->serialized);
  r->version = absl::StrFormat("%016x", r->hash);
  r->references = References(type, message);
  return r;
}

ResourceConstSharedPtr MakeSerializedResource(ResourceType type, std::string name,
                                              std::string serialized) {
  auto r = std::make_shared<Resource>();
  r->type = type;
  r->name = std::move(name);
  r->serialized = std::move(serialized);
  r->hash = ContentHash(r->serialized);
  r->version = absl::StrFormat("%016x", r->hash);
  return r;
}

uint64_t SerializationCount() { return g_serializations.load(std::memory_order_relaxed); }

}  // namespace strata::xds
