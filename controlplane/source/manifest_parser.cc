#include "controlplane/source/manifest_parser.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/tls_key_pair.h"
#include "common/yaml_json.h"
#include "controlplane/source/names.h"
#include "controlplane/source/scoped_fd.h"
#include "controlplane/translate/traefik_rule.h"
#include "nlohmann/json.hpp"

namespace strata::source {
namespace {

using Json = nlohmann::json;
using JsonObject = Json::object_t;
using JsonArray = Json::array_t;

constexpr absl::string_view kServiceNameLabel = "kubernetes.io/service-name";

constexpr absl::string_view kDns1035LabelRule =
    "must be a DNS label: at most 63 characters of a-z, 0-9 and '-', starting with a letter and "
    "ending with a letter or digit";
constexpr absl::string_view kDns1123LabelRule =
    "must be a DNS label: at most 63 characters of a-z, 0-9 and '-', starting and ending with a "
    "letter or digit";
constexpr absl::string_view kDns1123SubdomainRule =
    "must be a DNS subdomain: at most 253 characters, dot-separated DNS labels of a-z, 0-9 and "
    "'-'";
constexpr absl::string_view kPortNameRule =
    "must be a port name: at most 15 characters of a-z, 0-9 and '-', with a letter, no '--' and "
    "no '-' at either end";
constexpr absl::string_view kPortRule = "must be an integer 1..65535";
constexpr absl::string_view kProtocolRule = "must be TCP, UDP or SCTP";

// ---- Name rules, as Kubernetes validates them.

bool IsLowerAlnum(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }

// IANA service name, the rule for named target ports.
bool IsPortName(absl::string_view s) {
  if (s.empty() || s.size() > 15 || s.front() == '-' || s.back() == '-') return false;
  if (absl::StrContains(s, "--")) return false;
  bool has_letter = false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
    has_letter |= absl::ascii_islower(c);
  }
  return has_letter;
}

bool IsProtocol(absl::string_view s) { return s == "TCP" || s == "UDP" || s == "SCTP"; }

bool IsIpAddress(int family, const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(family, s.c_str(), buf) == 1;
}

// ---- Field paths as written in errors: spec.ports[0].port, metadata.labels["a/b"].

std::string ToString(absl::string_view s) { return {s.data(), s.size()}; }

std::string Path(absl::string_view prefix, absl::string_view key) {
  bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '-';
  });
  if (!plain) return absl::StrCat(prefix, "[\"", key, "\"]");
  return prefix.empty() ? ToString(key) : absl::StrCat(prefix, ".", key);
}

std::string Index(absl::string_view prefix, size_t i) { return absl::StrCat(prefix, "[", i, "]"); }

// The member `key` of `object`, or null if it is absent or null (Kubernetes treats both alike).
// object.k1.k2..., or null when some step is missing or not an object.
const Json* Find(const JsonObject& object, std::initializer_list<const char*> keys) {
  const Json* at = nullptr;
  for (const char* key : keys) {
    const JsonObject* in = at == nullptr ? &object : at->get_ptr<const JsonObject*>();
    if (in == nullptr) return nullptr;
    auto it = in->find(key);
    if (it == in->end()) return nullptr;
    at = &it->second;
  }
  return at;
}

const Json* Member(const JsonObject& object, absl::string_view key) {
  auto it = object.find(ToString(key));
  if (it == object.end() || it->second.is_null()) return nullptr;
  return &it->second;
}

std::optional<int64_t> AsInt(const Json& value) {
  if (const auto* i = value.get_ptr<const Json::number_integer_t*>()) return *i;
  if (const auto* u = value.get_ptr<const Json::number_unsigned_t*>()) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(*u);
    }
  }
  return std::nullopt;
}

bool IsPortNumber(int64_t n) { return n >= 1 && n <= 65535; }

// Reads the fields of one object (a document or a List item). Errors start with the object's
// location and, once known, its kind, namespace and name.
class ObjectReader {
 public:
  explicit ObjectReader(std::string location) : location_(std::move(location)) {}

  void SetIdentity(absl::string_view kind, absl::string_view ns, absl::string_view name) {
    identity_ = name.empty() ? absl::StrCat(" (", kind, ")")
                             : absl::StrCat(" (", kind, " ", ns, "/", name, ")");
  }

  // "file: document N (Kind ns/name)".
  std::string Where() const { return absl::StrCat(location_, identity_); }

  absl::Status Error(absl::string_view path, absl::string_view message) const {
    if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(Where(), ": ", message));
    return absl::InvalidArgumentError(absl::StrCat(Where(), ": ", path, ": ", message));
  }

  // Typed members of `object`, which is at `prefix`. Absent or null members give null/nullopt.

  absl::StatusOr<const JsonObject*> GetObject(const JsonObject& object, absl::string_view prefix,
                                              absl::string_view key) const {
    const Json* value = Member(object, key);
    if (value == nullptr) return static_cast<const JsonObject*>(nullptr);
    const auto* result = value->get_ptr<const JsonObject*>();
    if (result == nullptr) return Error(Path(prefix, key), "must be an object");
    return result;
  }

  absl::StatusOr<const JsonArray*> GetList(const JsonObject& object, absl::string_view prefix,
                                           absl::string_view key) const {
    const Json* value = Member(object, key);
    if (value == nullptr) return static_cast<const JsonArray*>(nullptr);
    const auto* result = value->get_ptr<const JsonArray*>();
    if (result == nullptr) return Error(Path(prefix, key), "must be a list");
    return result;
  }

  absl::StatusOr<std::optional<std::string>> GetString(const JsonObject& object,
                                                       absl::string_view prefix,
                                                       absl::string_view key) const {
    const Json* value = Member(object, key);
    if (value == nullptr) return std::optional<std::string>();
    const auto* result = value->get_ptr<const std::string*>();
    if (result == nullptr) return Error(Path(prefix, key), "must be a string");
    return std::optional<std::string>(*result);
  }

  // A string member that must be present and not empty.
  absl::StatusOr<std::string> GetRequiredString(const JsonObject& object, absl::string_view prefix,
                                                absl::string_view key) const {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> value, GetString(object, prefix, key));
    if (!value.has_value() || value->empty()) return Error(Path(prefix, key), "required");
    return *std::move(value);
  }

  absl::StatusOr<std::optional<bool>> GetBool(const JsonObject& object, absl::string_view prefix,
                                              absl::string_view key) const {
    const Json* value = Member(object, key);
    if (value == nullptr) return std::optional<bool>();
    const auto* result = value->get_ptr<const bool*>();
    if (result == nullptr) return Error(Path(prefix, key), "must be true or false");
    return std::optional<bool>(*result);
  }

  absl::StatusOr<std::optional<uint32_t>> GetPort(const JsonObject& object,
                                                  absl::string_view prefix,
                                                  absl::string_view key) const {
    const Json* value = Member(object, key);
    if (value == nullptr) return std::optional<uint32_t>();
    std::optional<int64_t> n = AsInt(*value);
    if (!n.has_value() || !IsPortNumber(*n)) return Error(Path(prefix, key), kPortRule);
    return std::optional<uint32_t>(static_cast<uint32_t>(*n));
  }

  // An element of a list that must be an object.
  absl::StatusOr<const JsonObject*> AsObject(const Json& value, absl::string_view path) const {
    const auto* result = value.get_ptr<const JsonObject*>();
    if (result == nullptr) return Error(path, "must be an object");
    return result;
  }

  // `protocol` of a port, defaulting to TCP.
  absl::StatusOr<std::string> GetProtocol(const JsonObject& port, absl::string_view prefix) const {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> protocol,
                            GetString(port, prefix, "protocol"));
    if (!protocol.has_value()) return std::string("TCP");
    if (!IsProtocol(*protocol)) return Error(Path(prefix, "protocol"), kProtocolRule);
    return *std::move(protocol);
  }

 private:
  std::string location_;
  std::string identity_;
};

struct Metadata {
  std::string namespace_;  // empty for cluster-scoped objects
  std::string name;
  const JsonObject* labels = nullptr;       // null if absent; all values are strings
  const JsonObject* annotations = nullptr;  // null if absent; all values are strings
  std::optional<absl::Time> created;        // metadata.creationTimestamp
  std::string uid;                          // metadata.uid
  int64_t generation = 0;                   // metadata.generation; 0 in most manifests
};

enum class NameRule { kDns1035Label, kDns1123Label, kDns1123Subdomain };
enum class Scope { kNamespaced, kCluster };

// A string-valued map of metadata (labels, annotations), or null if absent.
absl::StatusOr<const JsonObject*> ReadStringMap(const ObjectReader& reader,
                                                const JsonObject& metadata, absl::string_view key) {
  const std::string path = Path("metadata", key);
  STRATA_ASSIGN_OR_RETURN(const JsonObject* map, reader.GetObject(metadata, "metadata", key));
  if (map == nullptr) return map;
  for (const auto& [name, value] : *map) {
    if (!value.is_string()) return reader.Error(Path(path, name), "must be a string");
  }
  return map;
}

// The value of a string-valued metadata map entry, or "".
std::string MapValue(const JsonObject* map, absl::string_view key) {
  if (map == nullptr) return "";
  const Json* value = Member(*map, key);
  return value == nullptr ? "" : *value->get_ptr<const std::string*>();
}

absl::StatusOr<Metadata> ReadMetadata(ObjectReader& reader, const JsonObject& object,
                                      absl::string_view kind, NameRule name_rule,
                                      Scope scope = Scope::kNamespaced) {
  reader.SetIdentity(kind, "", "");
  STRATA_ASSIGN_OR_RETURN(const JsonObject* metadata, reader.GetObject(object, "", "metadata"));
  if (metadata == nullptr) return reader.Error("metadata", "required");
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> name,
                          reader.GetString(*metadata, "metadata", "name"));
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> ns,
                          reader.GetString(*metadata, "metadata", "namespace"));
  Metadata result;
  result.name = name.value_or("");
  if (scope == Scope::kNamespaced) {
    result.namespace_ = ns.has_value() && !ns->empty() ? *ns : "default";
    reader.SetIdentity(kind, result.namespace_, result.name);
  } else {
    reader.SetIdentity(kind, "", result.name);
  }
  if (result.name.empty()) return reader.Error("metadata.name", "required");
  switch (name_rule) {
    case NameRule::kDns1035Label:
      if (!IsDnsLabel(result.name, /*start_with_letter=*/true)) {
        return reader.Error("metadata.name", kDns1035LabelRule);
      }
      break;
    case NameRule::kDns1123Label:
      if (!IsDnsLabel(result.name, /*start_with_letter=*/false)) {
        return reader.Error("metadata.name", kDns1123LabelRule);
      }
      break;
    case NameRule::kDns1123Subdomain:
      if (!IsDnsSubdomain(result.name)) return reader.Error("metadata.name", kDns1123SubdomainRule);
      break;
  }
  if (scope == Scope::kNamespaced && !IsDnsLabel(result.namespace_, /*start_with_letter=*/false)) {
    return reader.Error("metadata.namespace", kDns1123LabelRule);
  }
  STRATA_ASSIGN_OR_RETURN(result.labels, ReadStringMap(reader, *metadata, "labels"));
  STRATA_ASSIGN_OR_RETURN(result.annotations, ReadStringMap(reader, *metadata, "annotations"));
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> uid,
                          reader.GetString(*metadata, "metadata", "uid"));
  result.uid = uid.value_or("");
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> created,
                          reader.GetString(*metadata, "metadata", "creationTimestamp"));
  if (created.has_value()) {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, *created, &time, &error)) {
      return reader.Error("metadata.creationTimestamp",
                          "must be an RFC 3339 time such as 2026-01-02T15:04:05Z");
    }
    result.created = time;
  }
  if (const Json* generation = Member(*metadata, "generation")) {
    std::optional<int64_t> n = AsInt(*generation);
    if (!n.has_value() || *n < 0) {
      return reader.Error("metadata.generation", "must be a non-negative integer");
    }
    result.generation = *n;
  }
  return result;
}

absl::StatusOr<ServicePort> ReadServicePort(const ObjectReader& reader, const Json& value,
                                            absl::string_view path, size_t port_count) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  ServicePort port;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> name, reader.GetString(*object, path, "name"));
  port.name = name.value_or("");
  if (port.name.empty() && port_count > 1) {
    return reader.Error(Path(path, "name"), "required when the Service has more than one port");
  }
  if (!port.name.empty() && !IsDnsLabel(port.name, /*start_with_letter=*/false)) {
    return reader.Error(Path(path, "name"), kDns1123LabelRule);
  }
  STRATA_ASSIGN_OR_RETURN(port.protocol, reader.GetProtocol(*object, path));
  STRATA_ASSIGN_OR_RETURN(std::optional<uint32_t> number, reader.GetPort(*object, path, "port"));
  if (!number.has_value()) return reader.Error(Path(path, "port"), "required");
  port.port = *number;

  // targetPort: a number or a port name; absent, 0 and "" mean "same as port".
  port.target_port = port.port;
  if (const Json* target = Member(*object, "targetPort")) {
    const std::string target_path = Path(path, "targetPort");
    if (const auto* target_name = target->get_ptr<const std::string*>()) {
      if (!target_name->empty()) {
        if (!IsPortName(*target_name)) return reader.Error(target_path, kPortNameRule);
        port.target_port = *target_name;
      }
    } else {
      std::optional<int64_t> n = AsInt(*target);
      if (!n.has_value() || (*n != 0 && !IsPortNumber(*n))) {
        return reader.Error(target_path, "must be an integer 1..65535 or a port name");
      }
      if (*n != 0) port.target_port = static_cast<uint32_t>(*n);
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> app_protocol,
                          reader.GetString(*object, path, "appProtocol"));
  port.app_protocol = app_protocol.value_or("");
  return port;
}

// status.loadBalancer.ingress of a Service or an Ingress, read leniently: status is written
// by controllers, and an odd entry must not drop the object.
std::vector<LoadBalancerAddress> LoadBalancerStatus(const JsonObject& object) {
  std::vector<LoadBalancerAddress> out;
  const Json* entries = Find(object, {"status", "loadBalancer", "ingress"});
  if (entries == nullptr || !entries->is_array()) return out;
  for (const Json& entry : *entries) {
    const auto* fields = entry.get_ptr<const JsonObject*>();
    if (fields == nullptr) continue;
    LoadBalancerAddress address;
    const Json* ip = Find(*fields, {"ip"});
    const Json* hostname = Find(*fields, {"hostname"});
    if (ip != nullptr && ip->is_string()) address.ip = ip->get<std::string>();
    if (hostname != nullptr && hostname->is_string())
      address.hostname = hostname->get<std::string>();
    if (!address.ip.empty() || !address.hostname.empty()) out.push_back(std::move(address));
  }
  return out;
}

std::set<std::string> StatusControllers(const JsonObject& object) {
  std::set<std::string> out;
  const Json* entries = Find(object, {"status", "parents"});
  if (entries == nullptr || !entries->is_array()) return out;
  for (const Json& entry : *entries) {
    const auto* fields = entry.get_ptr<const JsonObject*>();
    const Json* controller = fields == nullptr ? nullptr : Find(*fields, {"controllerName"});
    if (controller != nullptr && controller->is_string())
      out.insert(controller->get<std::string>());
  }
  return out;
}

absl::StatusOr<Service> ReadService(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(Metadata metadata,
                          ReadMetadata(reader, object, "Service", NameRule::kDns1035Label));
  Service service;
  service.namespace_ = metadata.namespace_;
  service.name = metadata.name;
  if (metadata.labels != nullptr) {
    for (const auto& [key, value] : *metadata.labels) {
      service.labels.emplace(key, *value.get_ptr<const std::string*>());
    }
  }
  service.load_balancer = LoadBalancerStatus(object);
  STRATA_ASSIGN_OR_RETURN(const JsonObject* spec, reader.GetObject(object, "", "spec"));
  if (spec == nullptr) return service;
  // Only the edge Service's are used; read leniently, so that an address the API server kept
  // from older rules (IPv4 with leading zeros) never drops a Service.
  if (const Json* external_ips = Member(*spec, "externalIPs");
      external_ips != nullptr && external_ips->is_array()) {
    for (const Json& ip : *external_ips) {
      if (ip.is_string() && (IsIpAddress(AF_INET, ip.get<std::string>()) ||
                             IsIpAddress(AF_INET6, ip.get<std::string>()))) {
        service.external_ips.push_back(ip.get<std::string>());
      }
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> type, reader.GetString(*spec, "spec", "type"));
  if (type.has_value()) {
    if (*type != "ClusterIP" && *type != "NodePort" && *type != "LoadBalancer" &&
        *type != "ExternalName") {
      return reader.Error("spec.type", "must be ClusterIP, NodePort, LoadBalancer or ExternalName");
    }
    service.type = *type;
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* ports, reader.GetList(*spec, "spec", "ports"));
  if (ports == nullptr) return service;
  std::set<std::string> names;
  std::set<std::pair<uint32_t, std::string>> numbers;
  for (size_t i = 0; i < ports->size(); ++i) {
    const std::string path = Index("spec.ports", i);
    STRATA_ASSIGN_OR_RETURN(ServicePort port,
                            ReadServicePort(reader, (*ports)[i], path, ports->size()));
    if (!port.name.empty() && !names.insert(port.name).second) {
      return reader.Error(Path(path, "name"),
                          absl::StrCat("duplicate port name \"", port.name, "\""));
    }
    if (!numbers.emplace(port.port, port.protocol).second) {
      return reader.Error(path, absl::StrCat("duplicate port ", port.port, "/", port.protocol));
    }
    service.ports.push_back(std::move(port));
  }
  return service;
}

absl::StatusOr<Endpoint> ReadEndpoint(const ObjectReader& reader, const Json& value,
                                      absl::string_view path, absl::string_view address_type) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  Endpoint endpoint;
  const std::string addresses_path = Path(path, "addresses");
  STRATA_ASSIGN_OR_RETURN(const JsonArray* addresses, reader.GetList(*object, path, "addresses"));
  if (addresses == nullptr || addresses->empty()) {
    return reader.Error(addresses_path, "must have at least one address");
  }
  for (size_t i = 0; i < addresses->size(); ++i) {
    const std::string address_path = Index(addresses_path, i);
    const auto* address = (*addresses)[i].get_ptr<const std::string*>();
    if (address == nullptr) return reader.Error(address_path, "must be a string");
    if (address_type == "IPv4" && !IsIpAddress(AF_INET, *address)) {
      return reader.Error(address_path, "must be an IPv4 address");
    }
    if (address_type == "IPv6" && !IsIpAddress(AF_INET6, *address)) {
      return reader.Error(address_path, "must be an IPv6 address");
    }
    if (address_type == "FQDN" && !IsDnsSubdomain(*address)) {
      return reader.Error(address_path, kDns1123SubdomainRule);
    }
    endpoint.addresses.push_back(*address);
  }
  STRATA_ASSIGN_OR_RETURN(const JsonObject* conditions,
                          reader.GetObject(*object, path, "conditions"));
  if (conditions != nullptr) {
    const std::string conditions_path = Path(path, "conditions");
    STRATA_ASSIGN_OR_RETURN(std::optional<bool> ready,
                            reader.GetBool(*conditions, conditions_path, "ready"));
    STRATA_ASSIGN_OR_RETURN(std::optional<bool> serving,
                            reader.GetBool(*conditions, conditions_path, "serving"));
    STRATA_ASSIGN_OR_RETURN(std::optional<bool> terminating,
                            reader.GetBool(*conditions, conditions_path, "terminating"));
    endpoint.conditions.ready = ready.value_or(true);
    endpoint.conditions.serving = serving.value_or(true);
    endpoint.conditions.terminating = terminating.value_or(false);
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> zone, reader.GetString(*object, path, "zone"));
  endpoint.zone = zone.value_or("");
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> node_name,
                          reader.GetString(*object, path, "nodeName"));
  endpoint.node_name = node_name.value_or("");
  return endpoint;
}

absl::StatusOr<EndpointPort> ReadEndpointPort(const ObjectReader& reader, const Json& value,
                                              absl::string_view path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  EndpointPort port;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> name, reader.GetString(*object, path, "name"));
  port.name = name.value_or("");
  if (!port.name.empty() && !IsDnsLabel(port.name, /*start_with_letter=*/false)) {
    return reader.Error(Path(path, "name"), kDns1123LabelRule);
  }
  STRATA_ASSIGN_OR_RETURN(port.protocol, reader.GetProtocol(*object, path));
  STRATA_ASSIGN_OR_RETURN(port.port, reader.GetPort(*object, path, "port"));
  return port;
}

absl::StatusOr<EndpointSlice> ReadEndpointSlice(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(Metadata metadata, ReadMetadata(reader, object, "EndpointSlice",
                                                          NameRule::kDns1123Subdomain));
  EndpointSlice slice;
  slice.namespace_ = metadata.namespace_;
  slice.name = metadata.name;
  if (metadata.labels != nullptr) {
    if (const Json* service = Member(*metadata.labels, kServiceNameLabel)) {
      slice.service_name = *service->get_ptr<const std::string*>();  // checked by ReadMetadata
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> address_type,
                          reader.GetString(object, "", "addressType"));
  if (!address_type.has_value()) return reader.Error("addressType", "required");
  if (*address_type != "IPv4" && *address_type != "IPv6" && *address_type != "FQDN") {
    return reader.Error("addressType", "must be IPv4, IPv6 or FQDN");
  }
  slice.address_type = *address_type;

  STRATA_ASSIGN_OR_RETURN(const JsonArray* endpoints, reader.GetList(object, "", "endpoints"));
  if (endpoints != nullptr) {
    for (size_t i = 0; i < endpoints->size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(
          Endpoint endpoint,
          ReadEndpoint(reader, (*endpoints)[i], Index("endpoints", i), slice.address_type));
      slice.endpoints.push_back(std::move(endpoint));
    }
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* ports, reader.GetList(object, "", "ports"));
  if (ports != nullptr) {
    std::set<std::string> names;
    for (size_t i = 0; i < ports->size(); ++i) {
      const std::string path = Index("ports", i);
      STRATA_ASSIGN_OR_RETURN(EndpointPort port, ReadEndpointPort(reader, (*ports)[i], path));
      if (!names.insert(port.name).second) {
        return reader.Error(Path(path, "name"),
                            port.name.empty()
                                ? std::string("only one port may be unnamed")
                                : absl::StrCat("duplicate port name \"", port.name, "\""));
      }
      slice.ports.push_back(std::move(port));
    }
  }
  return slice;
}

// ---- Ingress and IngressClass.

constexpr absl::string_view kIngressClassAnnotation = "kubernetes.io/ingress.class";
constexpr absl::string_view kDefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";

// An Ingress host: a DNS name, lowercase, with "*." allowed as the whole first label.
absl::Status CheckIngressHost(const ObjectReader& reader, const std::string& path,
                              const std::string& host) {
  if (IsIpAddress(AF_INET, host) || IsIpAddress(AF_INET6, host)) {
    return reader.Error(path, "must be a DNS name, not an IP address");
  }
  const std::string name = absl::StartsWith(host, "*.") ? host.substr(2) : host;
  if (!IsDnsSubdomain(name)) {
    return reader.Error(path,
                        "must be a DNS name of lowercase a-z, 0-9, '-' and '.' (no port), "
                        "optionally with \"*\" as its whole first label");
  }
  return absl::OkStatus();
}

absl::StatusOr<IngressBackend> ReadIngressBackend(const ObjectReader& reader,
                                                  const JsonObject& object,
                                                  const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* service, reader.GetObject(object, path, "service"));
  STRATA_ASSIGN_OR_RETURN(const JsonObject* resource, reader.GetObject(object, path, "resource"));
  if ((service == nullptr) == (resource == nullptr)) {
    return reader.Error(path, "must have exactly one of service and resource");
  }
  IngressBackend backend;
  if (resource != nullptr) {
    const std::string resource_path = Path(path, "resource");
    STRATA_ASSIGN_OR_RETURN(backend.resource_kind,
                            reader.GetRequiredString(*resource, resource_path, "kind"));
    STRATA_ASSIGN_OR_RETURN(backend.resource_name,
                            reader.GetRequiredString(*resource, resource_path, "name"));
    return backend;
  }
  const std::string service_path = Path(path, "service");
  STRATA_ASSIGN_OR_RETURN(backend.service_name,
                          reader.GetRequiredString(*service, service_path, "name"));
  if (!IsDnsLabel(backend.service_name, /*start_with_letter=*/true)) {
    return reader.Error(Path(service_path, "name"), kDns1035LabelRule);
  }
  const std::string port_path = Path(service_path, "port");
  STRATA_ASSIGN_OR_RETURN(const JsonObject* port, reader.GetObject(*service, service_path, "port"));
  if (port == nullptr) return reader.Error(port_path, "required");
  STRATA_ASSIGN_OR_RETURN(std::optional<uint32_t> number,
                          reader.GetPort(*port, port_path, "number"));
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> port_name,
                          reader.GetString(*port, port_path, "name"));
  if (port_name.has_value() && port_name->empty()) port_name.reset();
  if (number.has_value() == port_name.has_value()) {
    return reader.Error(port_path, "must have exactly one of number and name");
  }
  if (number.has_value()) {
    backend.service_port = *number;
  } else {
    if (!IsPortName(*port_name)) return reader.Error(Path(port_path, "name"), kPortNameRule);
    backend.service_port = *port_name;
  }
  return backend;
}

absl::StatusOr<IngressPath> ReadIngressPath(const ObjectReader& reader, const Json& value,
                                            const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  IngressPath result;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> path_type,
                          reader.GetString(*object, path, "pathType"));
  if (!path_type.has_value()) return reader.Error(Path(path, "pathType"), "required");
  if (*path_type != "Exact" && *path_type != "Prefix" && *path_type != "ImplementationSpecific") {
    return reader.Error(Path(path, "pathType"), "must be Exact, Prefix or ImplementationSpecific");
  }
  result.path_type = *path_type;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> p, reader.GetString(*object, path, "path"));
  result.path = p.value_or("");
  if (result.path.empty() && result.path_type != "ImplementationSpecific") {
    return reader.Error(Path(path, "path"), absl::StrCat("required for pathType ", *path_type));
  }
  if (!result.path.empty() && result.path.front() != '/') {
    return reader.Error(Path(path, "path"), "must be an absolute path (start with \"/\")");
  }
  STRATA_ASSIGN_OR_RETURN(const JsonObject* backend, reader.GetObject(*object, path, "backend"));
  if (backend == nullptr) return reader.Error(Path(path, "backend"), "required");
  STRATA_ASSIGN_OR_RETURN(result.backend,
                          ReadIngressBackend(reader, *backend, Path(path, "backend")));
  return result;
}

absl::StatusOr<Ingress> ReadIngress(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(Metadata metadata,
                          ReadMetadata(reader, object, "Ingress", NameRule::kDns1123Subdomain));
  Ingress ingress;
  ingress.namespace_ = metadata.namespace_;
  ingress.name = metadata.name;
  ingress.created = metadata.created;
  ingress.ingress_class = MapValue(metadata.annotations, kIngressClassAnnotation);
  ingress.reported_problems = MapValue(metadata.annotations, kProblemsAnnotation);
  ingress.uid = metadata.uid;
  ingress.load_balancer = LoadBalancerStatus(object);
  STRATA_ASSIGN_OR_RETURN(const JsonObject* spec, reader.GetObject(object, "", "spec"));
  if (spec == nullptr) return reader.Error("spec", "required");
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> class_name,
                          reader.GetString(*spec, "spec", "ingressClassName"));
  if (class_name.has_value()) {
    if (!IsDnsSubdomain(*class_name)) {
      return reader.Error("spec.ingressClassName", kDns1123SubdomainRule);
    }
    ingress.ingress_class = *class_name;  // the field wins over the legacy annotation
  }
  STRATA_ASSIGN_OR_RETURN(const JsonObject* default_backend,
                          reader.GetObject(*spec, "spec", "defaultBackend"));
  if (default_backend != nullptr) {
    STRATA_ASSIGN_OR_RETURN(ingress.default_backend,
                            ReadIngressBackend(reader, *default_backend, "spec.defaultBackend"));
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* rules, reader.GetList(*spec, "spec", "rules"));
  if (rules != nullptr) {
    for (size_t i = 0; i < rules->size(); ++i) {
      const std::string path = Index("spec.rules", i);
      STRATA_ASSIGN_OR_RETURN(const JsonObject* rule_object, reader.AsObject((*rules)[i], path));
      IngressRule rule;
      STRATA_ASSIGN_OR_RETURN(std::optional<std::string> host,
                              reader.GetString(*rule_object, path, "host"));
      rule.host = host.value_or("");
      if (!rule.host.empty()) {
        STRATA_RETURN_IF_ERROR(CheckIngressHost(reader, Path(path, "host"), rule.host));
      }
      STRATA_ASSIGN_OR_RETURN(const JsonObject* http, reader.GetObject(*rule_object, path, "http"));
      if (http != nullptr) {
        const std::string http_path = Path(path, "http");
        STRATA_ASSIGN_OR_RETURN(const JsonArray* paths, reader.GetList(*http, http_path, "paths"));
        if (paths == nullptr || paths->empty()) {
          return reader.Error(Path(http_path, "paths"), "must have at least one path");
        }
        for (size_t j = 0; j < paths->size(); ++j) {
          STRATA_ASSIGN_OR_RETURN(
              IngressPath ingress_path,
              ReadIngressPath(reader, (*paths)[j], Index(Path(http_path, "paths"), j)));
          rule.paths.push_back(std::move(ingress_path));
        }
      }
      ingress.rules.push_back(std::move(rule));
    }
  }
  if (ingress.rules.empty() && !ingress.default_backend.has_value()) {
    return reader.Error("spec", "must have rules or a defaultBackend");
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* tls, reader.GetList(*spec, "spec", "tls"));
  if (tls != nullptr) {
    for (size_t i = 0; i < tls->size(); ++i) {
      const std::string path = Index("spec.tls", i);
      STRATA_ASSIGN_OR_RETURN(const JsonObject* tls_object, reader.AsObject((*tls)[i], path));
      IngressTls entry;
      STRATA_ASSIGN_OR_RETURN(const JsonArray* hosts, reader.GetList(*tls_object, path, "hosts"));
      if (hosts != nullptr) {
        for (size_t j = 0; j < hosts->size(); ++j) {
          const std::string host_path = Index(Path(path, "hosts"), j);
          const auto* host = (*hosts)[j].get_ptr<const std::string*>();
          if (host == nullptr) return reader.Error(host_path, "must be a string");
          STRATA_RETURN_IF_ERROR(CheckIngressHost(reader, host_path, *host));
          entry.hosts.push_back(*host);
        }
      }
      STRATA_ASSIGN_OR_RETURN(std::optional<std::string> secret,
                              reader.GetString(*tls_object, path, "secretName"));
      entry.secret_name = secret.value_or("");
      if (!entry.secret_name.empty() && !IsDnsSubdomain(entry.secret_name)) {
        return reader.Error(Path(path, "secretName"), kDns1123SubdomainRule);
      }
      ingress.tls.push_back(std::move(entry));
    }
  }
  return ingress;
}

absl::StatusOr<IngressClass> ReadIngressClass(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(
      Metadata metadata,
      ReadMetadata(reader, object, "IngressClass", NameRule::kDns1123Subdomain, Scope::kCluster));
  IngressClass result;
  result.name = metadata.name;
  result.is_default = MapValue(metadata.annotations, kDefaultClassAnnotation) == "true";
  STRATA_ASSIGN_OR_RETURN(const JsonObject* spec, reader.GetObject(object, "", "spec"));
  std::optional<std::string> controller;
  if (spec != nullptr) {
    STRATA_ASSIGN_OR_RETURN(controller, reader.GetString(*spec, "spec", "controller"));
  }
  if (!controller.has_value() || controller->empty()) {
    return reader.Error("spec.controller", "required");
  }
  const size_t slash = controller->find('/');
  if (slash == std::string::npos || slash + 1 == controller->size() || controller->size() > 250 ||
      !IsDnsSubdomain(controller->substr(0, slash))) {
    return reader.Error("spec.controller",
                        "must be a domain-prefixed path such as \"example.com/edge\"");
  }
  result.controller = *controller;
  return result;
}

// ---- Traefik IngressRoute.

absl::StatusOr<IngressRouteService> ReadIngressRouteService(const ObjectReader& reader,
                                                            const Json& value,
                                                            const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  IngressRouteService service;
  STRATA_ASSIGN_OR_RETURN(service.name, reader.GetRequiredString(*object, path, "name"));
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> kind, reader.GetString(*object, path, "kind"));
  if (kind.has_value() && !kind->empty()) {
    if (*kind != "Service" && *kind != "TraefikService") {
      return reader.Error(Path(path, "kind"), "must be Service or TraefikService");
    }
    service.kind = *kind;
  }
  if (service.kind == "Service" && !IsDnsLabel(service.name, /*start_with_letter=*/true)) {
    return reader.Error(Path(path, "name"), kDns1035LabelRule);
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> ns,
                          reader.GetString(*object, path, "namespace"));
  service.namespace_ = ns.value_or("");
  if (!service.namespace_.empty() && !IsDnsLabel(service.namespace_, false)) {
    return reader.Error(Path(path, "namespace"), kDns1123LabelRule);
  }
  if (const Json* port = Member(*object, "port")) {
    const std::string port_path = Path(path, "port");
    if (const auto* port_name = port->get_ptr<const std::string*>()) {
      // Traefik also takes a number written as a string.
      int64_t n = 0;
      if (absl::SimpleAtoi(*port_name, &n)) {
        if (!IsPortNumber(n)) return reader.Error(port_path, kPortRule);
        service.port = static_cast<uint32_t>(n);
      } else if (!IsPortName(*port_name)) {
        return reader.Error(port_path, "must be an integer 1..65535 or a port name");
      } else {
        service.port = *port_name;
      }
    } else {
      std::optional<int64_t> n = AsInt(*port);
      if (!n.has_value() || !IsPortNumber(*n)) {
        return reader.Error(port_path, "must be an integer 1..65535 or a port name");
      }
      service.port = static_cast<uint32_t>(*n);
    }
  }
  if (const Json* weight = Member(*object, "weight")) {
    std::optional<int64_t> n = AsInt(*weight);
    if (!n.has_value() || *n < 0) {
      return reader.Error(Path(path, "weight"), "must be a non-negative integer");
    }
    service.weight = *n;
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> scheme,
                          reader.GetString(*object, path, "scheme"));
  service.scheme = scheme.value_or("");
  if (!service.scheme.empty() && service.scheme != "http" && service.scheme != "https" &&
      service.scheme != "h2c") {
    return reader.Error(Path(path, "scheme"), "must be http, https or h2c");
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<bool> pass_host,
                          reader.GetBool(*object, path, "passHostHeader"));
  service.pass_host_header = pass_host.value_or(true);
  return service;
}

absl::StatusOr<IngressRouteRoute> ReadIngressRouteRoute(const ObjectReader& reader,
                                                        const Json& value,
                                                        const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  IngressRouteRoute route;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> kind, reader.GetString(*object, path, "kind"));
  if (kind.has_value() && !kind->empty() && *kind != "Rule") {
    return reader.Error(Path(path, "kind"), "must be Rule");
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> syntax,
                          reader.GetString(*object, path, "syntax"));
  if (syntax.has_value() && !syntax->empty() && *syntax != "v3") {
    return reader.Error(Path(path, "syntax"),
                        "only the Traefik v3 rule syntax is supported; rewrite the rule in it");
  }
  STRATA_ASSIGN_OR_RETURN(route.match, reader.GetRequiredString(*object, path, "match"));
  if (absl::StatusOr<translate::TraefikRule> rule = translate::ParseTraefikRule(route.match);
      !rule.ok()) {
    return reader.Error(Path(path, "match"), rule.status().message());
  }
  if (const Json* priority = Member(*object, "priority")) {
    std::optional<int64_t> n = AsInt(*priority);
    if (!n.has_value() || *n < 0) {
      return reader.Error(Path(path, "priority"), "must be a non-negative integer");
    }
    route.priority = *n;
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* services, reader.GetList(*object, path, "services"));
  if (services != nullptr) {
    for (size_t i = 0; i < services->size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(
          IngressRouteService service,
          ReadIngressRouteService(reader, (*services)[i], Index(Path(path, "services"), i)));
      route.services.push_back(std::move(service));
    }
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* middlewares,
                          reader.GetList(*object, path, "middlewares"));
  if (middlewares != nullptr) {
    for (size_t i = 0; i < middlewares->size(); ++i) {
      const std::string middleware_path = Index(Path(path, "middlewares"), i);
      STRATA_ASSIGN_OR_RETURN(const JsonObject* middleware,
                              reader.AsObject((*middlewares)[i], middleware_path));
      MiddlewareRef ref;
      STRATA_ASSIGN_OR_RETURN(ref.name,
                              reader.GetRequiredString(*middleware, middleware_path, "name"));
      STRATA_ASSIGN_OR_RETURN(std::optional<std::string> ns,
                              reader.GetString(*middleware, middleware_path, "namespace"));
      ref.namespace_ = ns.value_or("");
      route.middlewares.push_back(std::move(ref));
    }
  }
  return route;
}

absl::StatusOr<IngressRoute> ReadIngressRoute(ObjectReader& reader, const JsonObject& object,
                                              absl::string_view api_group) {
  STRATA_ASSIGN_OR_RETURN(
      Metadata metadata, ReadMetadata(reader, object, "IngressRoute", NameRule::kDns1123Subdomain));
  IngressRoute result;
  result.namespace_ = metadata.namespace_;
  result.name = metadata.name;
  result.api_group = std::string(api_group);
  result.created = metadata.created;
  result.ingress_class = MapValue(metadata.annotations, kIngressClassAnnotation);
  result.reported_problems = MapValue(metadata.annotations, kProblemsAnnotation);
  result.uid = metadata.uid;
  STRATA_ASSIGN_OR_RETURN(const JsonObject* spec, reader.GetObject(object, "", "spec"));
  if (spec == nullptr) return reader.Error("spec", "required");
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> class_name,
                          reader.GetString(*spec, "spec", "ingressClassName"));
  if (class_name.has_value() && !class_name->empty()) result.ingress_class = *class_name;
  STRATA_ASSIGN_OR_RETURN(const JsonArray* entry_points,
                          reader.GetList(*spec, "spec", "entryPoints"));
  if (entry_points != nullptr) {
    for (size_t i = 0; i < entry_points->size(); ++i) {
      const auto* entry_point = (*entry_points)[i].get_ptr<const std::string*>();
      if (entry_point == nullptr || entry_point->empty()) {
        return reader.Error(Index("spec.entryPoints", i), "must be a non-empty string");
      }
      result.entry_points.push_back(*entry_point);
    }
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* routes, reader.GetList(*spec, "spec", "routes"));
  if (routes == nullptr || routes->empty()) {
    return reader.Error("spec.routes", "must have at least one route");
  }
  for (size_t i = 0; i < routes->size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(IngressRouteRoute route,
                            ReadIngressRouteRoute(reader, (*routes)[i], Index("spec.routes", i)));
    result.routes.push_back(std::move(route));
  }
  STRATA_ASSIGN_OR_RETURN(const JsonObject* tls, reader.GetObject(*spec, "spec", "tls"));
  if (tls != nullptr) {
    result.tls = true;
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> secret,
                            reader.GetString(*tls, "spec.tls", "secretName"));
    result.tls_secret_name = secret.value_or("");
    if (!result.tls_secret_name.empty() && !IsDnsSubdomain(result.tls_secret_name)) {
      return reader.Error("spec.tls.secretName", kDns1123SubdomainRule);
    }
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> resolver,
                            reader.GetString(*tls, "spec.tls", "certResolver"));
    result.tls_cert_resolver = resolver.value_or("");
  }
  return result;
}

// ---- Namespace.

absl::StatusOr<Namespace> ReadNamespace(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(
      Metadata metadata,
      ReadMetadata(reader, object, "Namespace", NameRule::kDns1123Label, Scope::kCluster));
  Namespace result;
  result.name = metadata.name;
  if (metadata.labels != nullptr) {
    for (const auto& [key, value] : *metadata.labels) {
      result.labels.emplace(key, *value.get_ptr<const std::string*>());  // checked by ReadMetadata
    }
  }
  return result;
}

// ---- Secret (type kubernetes.io/tls).

constexpr absl::string_view kTlsSecretType = "kubernetes.io/tls";

// data[key] decoded, or stringData[key] as the API server merges it (stringData wins).
absl::StatusOr<std::string> SecretValue(const ObjectReader& reader, const JsonObject* data,
                                        const JsonObject* string_data, const std::string& key) {
  if (string_data != nullptr) {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> value,
                            reader.GetString(*string_data, "stringData", key));
    if (value.has_value()) return *std::move(value);
  }
  std::optional<std::string> encoded;
  if (data != nullptr) {
    STRATA_ASSIGN_OR_RETURN(encoded, reader.GetString(*data, "data", key));
  }
  if (!encoded.has_value() || encoded->empty()) {
    return reader.Error(absl::StrCat("data[", key, "]"),
                        absl::StrCat("required for a Secret of type ", kTlsSecretType));
  }
  std::string decoded;
  if (!absl::Base64Unescape(*encoded, &decoded)) {
    return reader.Error(absl::StrCat("data[", key, "]"), "must be base64");
  }
  return decoded;
}

absl::StatusOr<TlsSecret> ReadTlsSecret(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(
      Metadata metadata,
      ReadMetadata(reader, object, "Secret", NameRule::kDns1123Subdomain, Scope::kNamespaced));
  TlsSecret result;
  result.namespace_ = metadata.namespace_;
  result.name = metadata.name;
  result.uid = metadata.uid;
  STRATA_ASSIGN_OR_RETURN(const JsonObject* data, reader.GetObject(object, "", "data"));
  STRATA_ASSIGN_OR_RETURN(const JsonObject* string_data,
                          reader.GetObject(object, "", "stringData"));
  STRATA_ASSIGN_OR_RETURN(result.cert_chain_pem, SecretValue(reader, data, string_data, "tls.crt"));
  STRATA_ASSIGN_OR_RETURN(result.private_key_pem,
                          SecretValue(reader, data, string_data, "tls.key"));
  auto pair = ReadTlsKeyPair(result.cert_chain_pem, result.private_key_pem, "certificate");
  if (!pair.ok()) return reader.Error("data", pair.status().message());
  for (std::string& name : CertificateNames(pair->leaf.get())) {
    result.dns_names.push_back(absl::AsciiStrToLower(name));
  }
  return result;
}

// ---- Gateway API (gateway.networking.k8s.io v1, and v1beta1 with the same schema).
//
// Checked as the v1.6.1 CRDs check: their OpenAPI schema (patterns, enums, lengths, list
// sizes, list-map keys), their defaults, and their CEL rules. A CEL rule's error keeps the
// CRD's message and is reported at the object that carries the rule, as the API server
// does. Where the standard and experimental channels differ, what either accepts is
// accepted, so that no object the API server took is dropped here.

constexpr absl::string_view kHostnameRule =
    "must be a hostname: dot-separated labels of a-z, 0-9 and '-', each starting and ending "
    "with a letter or digit (at most 253 characters, no IP address, no port), optionally "
    "starting with \"*.\"";
constexpr absl::string_view kPreciseHostnameRule =
    "must be a hostname: dot-separated labels of a-z, 0-9 and '-', each starting and ending "
    "with a letter or digit (at most 253 characters, no wildcard, no port)";
constexpr absl::string_view kSectionNameRule =
    "must be dot-separated labels of a-z, 0-9 and '-', each starting and ending with a letter "
    "or digit (at most 253 characters)";
constexpr absl::string_view kGroupRule =
    "must be empty (the core API group) or an API group such as gateway.networking.k8s.io";
constexpr absl::string_view kKindRule =
    "must be a kind: at most 63 characters of letters, digits and '-', starting with a letter "
    "and ending with a letter or digit";
constexpr absl::string_view kObjectNameRule = "must be at most 253 characters";
constexpr absl::string_view kHeaderNameRule =
    "must be an HTTP header name (an RFC 7230 token): at most 256 characters of letters, digits "
    "and !#$%&'*+-.^_`|~";
constexpr absl::string_view kControllerNameRule =
    "must be a domain-prefixed path such as \"example.com/gateway-controller\" (at most 253 "
    "characters)";
constexpr absl::string_view kProtocolRuleGateway =
    "must be HTTP, HTTPS, TLS, TCP, UDP or a domain-prefixed protocol such as "
    "\"example.com/proto\"";
constexpr absl::string_view kDurationRule =
    "must be a Gateway API duration: 1 to 4 groups of up to 5 digits and a unit h, m, s or ms, "
    "such as \"1h30m\" or \"500ms\"";
constexpr absl::string_view kPathCharactersRule =
    "must only contain the characters of a URL path (letters, digits, -/._~!$&'()*+,;=:@) and "
    "%-escapes of two hex digits";

constexpr size_t kMaxListeners = 64;
constexpr size_t kMaxCertificateRefs = 64;
constexpr size_t kMaxTlsOptions = 16;
constexpr size_t kMaxAllowedKinds = 8;
constexpr size_t kMaxParentRefs = 32;
constexpr size_t kMaxHostnames = 16;
constexpr size_t kMaxRules = 16;
constexpr size_t kMaxMatchesPerRule = 64;
constexpr size_t kMaxMatchesPerRoute = 128;
constexpr size_t kMaxHeaderMatches = 16;  // also query parameter matches
constexpr size_t kMaxFilters = 16;
constexpr size_t kMaxHeaderActions = 16;  // set, add and remove of a header modifier
constexpr size_t kMaxBackendRefs = 16;
constexpr size_t kMaxGrantEntries = 16;
constexpr size_t kMaxPathLength = 1024;
constexpr size_t kMaxHeaderValueLength = 4096;
constexpr size_t kMaxQueryValueLength = 1024;
constexpr int64_t kMaxWeight = 1000000;

// Dot-separated labels of a-z, 0-9 and '-', each starting and ending with a letter or digit:
// the CRDs' pattern for hostnames, groups and section names. Unlike IsDnsSubdomain it does not
// limit labels to 63 characters, as the pattern does not.
bool IsLowerDnsPattern(absl::string_view s) {
  if (s.empty()) return false;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (label.empty() || !IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) return false;
    for (char c : label) {
      if (!IsLowerAlnum(c) && c != '-') return false;
    }
  }
  return true;
}

// A listener or route hostname: "*." may start it; IP addresses are not hostnames.
bool IsGatewayHostname(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (absl::StartsWith(s, "*.")) return IsLowerDnsPattern(s.substr(2));
  return IsLowerDnsPattern(s) && !IsIpAddress(AF_INET, ToString(s));
}

bool IsPreciseHostname(absl::string_view s) { return s.size() <= 253 && IsLowerDnsPattern(s); }

bool IsSectionName(absl::string_view s) { return s.size() <= 253 && IsLowerDnsPattern(s); }

bool IsGroup(absl::string_view s) { return s.empty() || IsSectionName(s); }

bool IsKind(absl::string_view s) {
  if (s.empty() || s.size() > 63 || !absl::ascii_isalpha(s.front()) ||
      !absl::ascii_isalnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isalnum(c) || c == '-'; });
}

bool IsNamespaceName(absl::string_view s) { return IsDnsLabel(s, /*start_with_letter=*/false); }

bool IsObjectName(absl::string_view s) { return !s.empty() && s.size() <= 253; }

// RFC 7230 token, as the CRDs' HeaderName pattern.
bool IsHeaderName(absl::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(c) ||
           absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
  });
}

// DOMAIN "/" PATH, as GatewayClass spec.controllerName.
bool IsControllerName(absl::string_view s) {
  const size_t slash = s.find('/');
  if (s.size() > 253 || slash == absl::string_view::npos || slash + 1 == s.size() ||
      !IsLowerDnsPattern(s.substr(0, slash))) {
    return false;
  }
  return std::all_of(s.begin() + slash + 1, s.end(), [](char c) {
    return absl::ascii_isalnum(c) ||
           absl::string_view("/-._~%!$&'()*+,;=:").find(c) != absl::string_view::npos;
  });
}

// A listener protocol: a core name such as HTTPS, or DOMAIN "/" NAME.
bool IsListenerProtocol(absl::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  const size_t slash = s.find('/');
  if (slash == absl::string_view::npos) {
    return absl::ascii_isalnum(s.front()) && absl::ascii_isalnum(s.back()) &&
           std::all_of(s.begin(), s.end(),
                       [](char c) { return absl::ascii_isalnum(c) || c == '-'; });
  }
  const absl::string_view name = s.substr(slash + 1);
  return IsLowerDnsPattern(s.substr(0, slash)) && !name.empty() &&
         std::all_of(name.begin(), name.end(), [](char c) { return absl::ascii_isalnum(c); });
}

// A Gateway API Duration (GEP-2257): ^([0-9]{1,5}(h|m|s|ms)){1,4}$.
std::optional<absl::Duration> ParseGatewayDuration(absl::string_view s) {
  absl::Duration total = absl::ZeroDuration();
  int groups = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (++groups > 4) return std::nullopt;
    size_t digits = 0;
    int64_t n = 0;
    while (i < s.size() && absl::ascii_isdigit(s[i])) {
      if (++digits > 5) return std::nullopt;  // before n could overflow
      n = n * 10 + (s[i] - '0');
      ++i;
    }
    if (digits == 0 || i == s.size()) return std::nullopt;
    if (s[i] == 'h') {
      total += absl::Hours(n);
      ++i;
    } else if (s[i] == 'm' && i + 1 < s.size() && s[i + 1] == 's') {
      total += absl::Milliseconds(n);
      i += 2;
    } else if (s[i] == 'm') {
      total += absl::Minutes(n);
      ++i;
    } else if (s[i] == 's') {
      total += absl::Seconds(n);
      ++i;
    } else {
      return std::nullopt;
    }
  }
  if (groups == 0) return std::nullopt;
  return total;
}

// The characters the CRD allows in an Exact or PathPrefix path:
// ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$.
bool HasOnlyPathCharacters(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !absl::ascii_isxdigit(s[i + 1]) || !absl::ascii_isxdigit(s[i + 2])) {
        return false;
      }
      i += 2;
    } else if (!absl::ascii_isalnum(c) &&
               absl::string_view("-/._~!$&'()*+,;=:@").find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return !s.empty();
}

// `list` joined as "A, B or C".
std::string OneOf(std::initializer_list<absl::string_view> list) {
  std::string out;
  size_t i = 0;
  for (absl::string_view item : list) {
    if (i > 0) absl::StrAppend(&out, i + 1 == list.size() ? " or " : ", ");
    absl::StrAppend(&out, item);
    ++i;
  }
  return out;
}

bool IsOneOf(absl::string_view value, std::initializer_list<absl::string_view> list) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// An optional string member that, when present (even empty), must satisfy `valid`.
absl::StatusOr<std::optional<std::string>> GetCheckedString(
    const ObjectReader& reader, const JsonObject& object, absl::string_view prefix,
    absl::string_view key, bool (*valid)(absl::string_view), absl::string_view rule) {
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> value, reader.GetString(object, prefix, key));
  if (value.has_value() && !valid(*value)) return reader.Error(Path(prefix, key), rule);
  return value;
}

// A string member that must be present, not empty, and satisfy `valid`.
absl::StatusOr<std::string> GetRequiredCheckedString(
    const ObjectReader& reader, const JsonObject& object, absl::string_view prefix,
    absl::string_view key, bool (*valid)(absl::string_view), absl::string_view rule) {
  STRATA_ASSIGN_OR_RETURN(std::string value, reader.GetRequiredString(object, prefix, key));
  if (!valid(value)) return reader.Error(Path(prefix, key), rule);
  return value;
}

// An optional string member that, when present, must be one of `values`.
absl::StatusOr<std::optional<std::string>> GetEnum(
    const ObjectReader& reader, const JsonObject& object, absl::string_view prefix,
    absl::string_view key, std::initializer_list<absl::string_view> values) {
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> value, reader.GetString(object, prefix, key));
  if (value.has_value() && !IsOneOf(*value, values)) {
    return reader.Error(Path(prefix, key), absl::StrCat("must be ", OneOf(values)));
  }
  return value;
}

// A list member of at most `max` items; null if absent.
absl::StatusOr<const JsonArray*> GetBoundedList(const ObjectReader& reader,
                                                const JsonObject& object, absl::string_view prefix,
                                                absl::string_view key, size_t max) {
  STRATA_ASSIGN_OR_RETURN(const JsonArray* list, reader.GetList(object, prefix, key));
  if (list != nullptr && list->size() > max) {
    return reader.Error(Path(prefix, key), absl::StrCat("must have at most ", max, " items"));
  }
  return list;
}

// A string member that must be present, not empty, and at most `max_length` characters.
absl::StatusOr<std::string> GetRequiredBoundedString(const ObjectReader& reader,
                                                     const JsonObject& object,
                                                     absl::string_view prefix,
                                                     absl::string_view key, size_t max_length) {
  STRATA_ASSIGN_OR_RETURN(std::string value, reader.GetRequiredString(object, prefix, key));
  if (value.size() > max_length) {
    return reader.Error(Path(prefix, key),
                        absl::StrCat("must be at most ", max_length, " characters"));
  }
  return value;
}

// A metav1.LabelSelector (a listener's allowedRoutes.namespaces.selector).
absl::StatusOr<LabelSelector> ReadLabelSelector(const ObjectReader& reader,
                                                const JsonObject& object, const std::string& path) {
  LabelSelector selector;
  STRATA_ASSIGN_OR_RETURN(const JsonObject* labels, reader.GetObject(object, path, "matchLabels"));
  if (labels != nullptr) {
    for (const auto& [key, value] : *labels) {
      const auto* text = value.get_ptr<const std::string*>();
      if (text == nullptr) {
        return reader.Error(Path(Path(path, "matchLabels"), key), "must be a string");
      }
      selector.match_labels.emplace(key, *text);
    }
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* expressions,
                          reader.GetList(object, path, "matchExpressions"));
  if (expressions != nullptr) {
    for (size_t i = 0; i < expressions->size(); ++i) {
      const std::string item_path = Index(Path(path, "matchExpressions"), i);
      STRATA_ASSIGN_OR_RETURN(const JsonObject* item,
                              reader.AsObject((*expressions)[i], item_path));
      LabelSelectorRequirement requirement;
      STRATA_ASSIGN_OR_RETURN(requirement.key, reader.GetRequiredString(*item, item_path, "key"));
      STRATA_ASSIGN_OR_RETURN(requirement.op,
                              reader.GetRequiredString(*item, item_path, "operator"));
      if (!IsOneOf(requirement.op, {"In", "NotIn", "Exists", "DoesNotExist"})) {
        return reader.Error(Path(item_path, "operator"),
                            "must be In, NotIn, Exists or DoesNotExist");
      }
      STRATA_ASSIGN_OR_RETURN(const JsonArray* values, reader.GetList(*item, item_path, "values"));
      if (values != nullptr) {
        for (size_t j = 0; j < values->size(); ++j) {
          const auto* value = (*values)[j].get_ptr<const std::string*>();
          if (value == nullptr) {
            return reader.Error(Index(Path(item_path, "values"), j), "must be a string");
          }
          requirement.values.push_back(*value);
        }
      }
      const bool needs_values = requirement.op == "In" || requirement.op == "NotIn";
      if (needs_values && requirement.values.empty()) {
        return reader.Error(Path(item_path, "values"),
                            absl::StrCat("required for operator ", requirement.op));
      }
      if (!needs_values && !requirement.values.empty()) {
        return reader.Error(Path(item_path, "values"),
                            absl::StrCat("must be empty for operator ", requirement.op));
      }
      selector.match_expressions.push_back(std::move(requirement));
    }
  }
  return selector;
}

// ---- GatewayClass.

absl::StatusOr<GatewayClass> ReadGatewayClass(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(
      Metadata metadata,
      ReadMetadata(reader, object, "GatewayClass", NameRule::kDns1123Subdomain, Scope::kCluster));
  GatewayClass result;
  result.name = metadata.name;
  result.generation = metadata.generation;
  STRATA_ASSIGN_OR_RETURN(const JsonObject* spec, reader.GetObject(object, "", "spec"));
  if (spec == nullptr) return reader.Error("spec", "required");
  STRATA_ASSIGN_OR_RETURN(result.controller_name,
                          GetRequiredCheckedString(reader, *spec, "spec", "controllerName",
                                                   IsControllerName, kControllerNameRule));
  return result;
}

// ---- Gateway.

absl::StatusOr<SecretObjectReference> ReadCertificateRef(const ObjectReader& reader,
                                                         const Json& value,
                                                         const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  SecretObjectReference ref;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> group,
                          GetCheckedString(reader, *object, path, "group", IsGroup, kGroupRule));
  ref.group = group.value_or("");
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> kind,
                          GetCheckedString(reader, *object, path, "kind", IsKind, kKindRule));
  ref.kind = kind.value_or("Secret");
  STRATA_ASSIGN_OR_RETURN(
      std::optional<std::string> ns,
      GetCheckedString(reader, *object, path, "namespace", IsNamespaceName, kDns1123LabelRule));
  ref.namespace_ = ns.value_or("");
  STRATA_ASSIGN_OR_RETURN(ref.name, GetRequiredCheckedString(reader, *object, path, "name",
                                                             IsObjectName, kObjectNameRule));
  return ref;
}

absl::Status ReadListenerTls(const ObjectReader& reader, const JsonObject& tls,
                             const std::string& path, GatewayListener& listener) {
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> mode,
                          GetEnum(reader, tls, path, "mode", {"Terminate", "Passthrough"}));
  listener.tls_mode = mode.value_or("Terminate");
  STRATA_ASSIGN_OR_RETURN(
      const JsonArray* refs,
      GetBoundedList(reader, tls, path, "certificateRefs", kMaxCertificateRefs));
  if (refs != nullptr) {
    for (size_t i = 0; i < refs->size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(
          SecretObjectReference ref,
          ReadCertificateRef(reader, (*refs)[i], Index(Path(path, "certificateRefs"), i)));
      listener.certificate_refs.push_back(std::move(ref));
    }
  }
  STRATA_ASSIGN_OR_RETURN(const JsonObject* options, reader.GetObject(tls, path, "options"));
  if (options != nullptr && options->size() > kMaxTlsOptions) {
    return reader.Error(Path(path, "options"),
                        absl::StrCat("must have at most ", kMaxTlsOptions, " entries"));
  }
  if (listener.tls_mode == "Terminate" && listener.certificate_refs.empty() &&
      (options == nullptr || options->empty())) {
    return reader.Error(path,
                        "certificateRefs or options must be specified when mode is Terminate");
  }
  return absl::OkStatus();
}

absl::Status ReadAllowedRoutes(const ObjectReader& reader, const JsonObject& allowed,
                               const std::string& path, GatewayListener& listener) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* namespaces,
                          reader.GetObject(allowed, path, "namespaces"));
  if (namespaces != nullptr) {
    const std::string namespaces_path = Path(path, "namespaces");
    STRATA_ASSIGN_OR_RETURN(
        std::optional<std::string> from,
        GetEnum(reader, *namespaces, namespaces_path, "from", {"All", "Selector", "Same"}));
    listener.allowed_from = from.value_or("Same");
    STRATA_ASSIGN_OR_RETURN(const JsonObject* selector,
                            reader.GetObject(*namespaces, namespaces_path, "selector"));
    if (selector != nullptr) {
      STRATA_ASSIGN_OR_RETURN(
          listener.allowed_selector,
          ReadLabelSelector(reader, *selector, Path(namespaces_path, "selector")));
    } else if (listener.allowed_from == "Selector") {
      return reader.Error(Path(namespaces_path, "selector"), "required when from is Selector");
    }
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* kinds,
                          GetBoundedList(reader, allowed, path, "kinds", kMaxAllowedKinds));
  if (kinds != nullptr) {
    for (size_t i = 0; i < kinds->size(); ++i) {
      const std::string kind_path = Index(Path(path, "kinds"), i);
      STRATA_ASSIGN_OR_RETURN(const JsonObject* kind, reader.AsObject((*kinds)[i], kind_path));
      GroupKind group_kind;
      STRATA_ASSIGN_OR_RETURN(
          std::optional<std::string> group,
          GetCheckedString(reader, *kind, kind_path, "group", IsGroup, kGroupRule));
      group_kind.group = group.value_or(kGatewayApiGroup);
      STRATA_ASSIGN_OR_RETURN(group_kind.kind, GetRequiredCheckedString(reader, *kind, kind_path,
                                                                        "kind", IsKind, kKindRule));
      listener.allowed_kinds.push_back(std::move(group_kind));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<GatewayListener> ReadListener(const ObjectReader& reader, const Json& value,
                                             const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  GatewayListener listener;
  STRATA_ASSIGN_OR_RETURN(listener.name, GetRequiredCheckedString(reader, *object, path, "name",
                                                                  IsSectionName, kSectionNameRule));
  STRATA_ASSIGN_OR_RETURN(
      std::optional<std::string> hostname,
      GetCheckedString(reader, *object, path, "hostname", IsGatewayHostname, kHostnameRule));
  listener.hostname = hostname.value_or("");
  STRATA_ASSIGN_OR_RETURN(std::optional<uint32_t> port, reader.GetPort(*object, path, "port"));
  if (!port.has_value()) return reader.Error(Path(path, "port"), "required");
  listener.port = *port;
  STRATA_ASSIGN_OR_RETURN(listener.protocol,
                          GetRequiredCheckedString(reader, *object, path, "protocol",
                                                   IsListenerProtocol, kProtocolRuleGateway));
  STRATA_ASSIGN_OR_RETURN(const JsonObject* tls, reader.GetObject(*object, path, "tls"));
  if (tls != nullptr) {
    STRATA_RETURN_IF_ERROR(ReadListenerTls(reader, *tls, Path(path, "tls"), listener));
  }
  STRATA_ASSIGN_OR_RETURN(const JsonObject* allowed,
                          reader.GetObject(*object, path, "allowedRoutes"));
  if (allowed != nullptr) {
    STRATA_RETURN_IF_ERROR(
        ReadAllowedRoutes(reader, *allowed, Path(path, "allowedRoutes"), listener));
  }

  // The CEL rules of spec.listeners, for this listener (core protocols in any case).
  auto protocol_is = [&](absl::string_view name) {
    return absl::EqualsIgnoreCase(listener.protocol, name);
  };
  if (tls != nullptr && (protocol_is("HTTP") || protocol_is("TCP") || protocol_is("UDP"))) {
    return reader.Error(path, "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
  }
  if (tls != nullptr && protocol_is("HTTPS") && listener.tls_mode != "Terminate") {
    return reader.Error(path, "tls mode must be Terminate for protocol HTTPS");
  }
  if (tls == nullptr && protocol_is("TLS")) {
    return reader.Error(path, "tls mode must be set for protocol TLS");
  }
  if (hostname.has_value() && (protocol_is("TCP") || protocol_is("UDP"))) {
    return reader.Error(path, "hostname must not be specified for protocols ['TCP', 'UDP']");
  }
  return listener;
}

absl::StatusOr<Gateway> ReadGateway(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(Metadata metadata,
                          ReadMetadata(reader, object, "Gateway", NameRule::kDns1123Subdomain));
  Gateway gateway;
  gateway.namespace_ = metadata.namespace_;
  gateway.name = metadata.name;
  gateway.created = metadata.created;
  gateway.generation = metadata.generation;
  gateway.uid = metadata.uid;
  STRATA_ASSIGN_OR_RETURN(const JsonObject* spec, reader.GetObject(object, "", "spec"));
  if (spec == nullptr) return reader.Error("spec", "required");
  STRATA_ASSIGN_OR_RETURN(gateway.gateway_class_name,
                          GetRequiredCheckedString(reader, *spec, "spec", "gatewayClassName",
                                                   IsObjectName, kObjectNameRule));
  STRATA_ASSIGN_OR_RETURN(const JsonArray* listeners,
                          GetBoundedList(reader, *spec, "spec", "listeners", kMaxListeners));
  if (listeners == nullptr || listeners->empty()) {
    return reader.Error("spec.listeners", "must have at least one listener");
  }
  for (size_t i = 0; i < listeners->size(); ++i) {
    const std::string path = Index("spec.listeners", i);
    STRATA_ASSIGN_OR_RETURN(GatewayListener listener, ReadListener(reader, (*listeners)[i], path));
    for (size_t j = 0; j < gateway.listeners.size(); ++j) {
      const GatewayListener& other = gateway.listeners[j];
      if (other.name == listener.name) {
        return reader.Error(Path(path, "name"),
                            absl::StrCat("duplicate listener name \"", listener.name, "\""));
      }
      if (other.port == listener.port && other.protocol == listener.protocol &&
          other.hostname == listener.hostname) {
        return reader.Error(
            path, absl::StrCat("same port, protocol and hostname as ", Index("spec.listeners", j),
                               "; the combination must be unique"));
      }
    }
    gateway.listeners.push_back(std::move(listener));
  }
  return gateway;
}

// ---- HTTPRoute.

// An Exact or PathPrefix path: the CRD's CEL rules on HTTPPathMatch.value.
absl::Status CheckMatchPath(const ObjectReader& reader, const std::string& path,
                            absl::string_view value) {
  if (!absl::StartsWith(value, "/")) return reader.Error(path, "must start with \"/\"");
  for (absl::string_view bad : {"//", "/./", "/../", "%2f", "%2F", "#"}) {
    if (absl::StrContains(value, bad)) {
      return reader.Error(path, absl::StrCat("must not contain \"", bad, "\""));
    }
  }
  for (absl::string_view bad : {"/..", "/."}) {
    if (absl::EndsWith(value, bad)) {
      return reader.Error(path, absl::StrCat("must not end with \"", bad, "\""));
    }
  }
  if (!HasOnlyPathCharacters(value)) return reader.Error(path, kPathCharactersRule);
  return absl::OkStatus();
}

// The headers or queryParams of a match.
absl::StatusOr<std::vector<HttpValueMatch>> ReadValueMatches(const ObjectReader& reader,
                                                             const JsonObject& object,
                                                             const std::string& prefix,
                                                             absl::string_view key,
                                                             size_t max_value_length) {
  std::vector<HttpValueMatch> result;
  STRATA_ASSIGN_OR_RETURN(const JsonArray* list,
                          GetBoundedList(reader, object, prefix, key, kMaxHeaderMatches));
  if (list == nullptr) return result;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = Index(Path(prefix, key), i);
    STRATA_ASSIGN_OR_RETURN(const JsonObject* item, reader.AsObject((*list)[i], path));
    HttpValueMatch match;
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> type,
                            GetEnum(reader, *item, path, "type", {"Exact", "RegularExpression"}));
    match.type = type.value_or("Exact");
    STRATA_ASSIGN_OR_RETURN(match.name, GetRequiredCheckedString(reader, *item, path, "name",
                                                                 IsHeaderName, kHeaderNameRule));
    for (const HttpValueMatch& other : result) {
      if (other.name == match.name) {
        return reader.Error(Path(path, "name"),
                            absl::StrCat("duplicate name \"", match.name, "\""));
      }
    }
    STRATA_ASSIGN_OR_RETURN(
        match.value, GetRequiredBoundedString(reader, *item, path, "value", max_value_length));
    result.push_back(std::move(match));
  }
  return result;
}

absl::StatusOr<HttpRouteMatch> ReadRouteMatch(const ObjectReader& reader, const Json& value,
                                              const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  HttpRouteMatch match;
  STRATA_ASSIGN_OR_RETURN(const JsonObject* path_match, reader.GetObject(*object, path, "path"));
  if (path_match != nullptr) {
    const std::string path_path = Path(path, "path");
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> type,
                            GetEnum(reader, *path_match, path_path, "type",
                                    {"Exact", "PathPrefix", "RegularExpression"}));
    match.path.type = type.value_or("PathPrefix");
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> path_value,
                            reader.GetString(*path_match, path_path, "value"));
    match.path.value = path_value.value_or("/");
    const std::string value_path = Path(path_path, "value");
    if (match.path.value.size() > kMaxPathLength) {
      return reader.Error(value_path,
                          absl::StrCat("must be at most ", kMaxPathLength, " characters"));
    }
    if (match.path.type != "RegularExpression") {
      STRATA_RETURN_IF_ERROR(CheckMatchPath(reader, value_path, match.path.value));
    }
  }
  STRATA_ASSIGN_OR_RETURN(
      match.headers, ReadValueMatches(reader, *object, path, "headers", kMaxHeaderValueLength));
  STRATA_ASSIGN_OR_RETURN(match.query_params, ReadValueMatches(reader, *object, path, "queryParams",
                                                               kMaxQueryValueLength));
  STRATA_ASSIGN_OR_RETURN(
      std::optional<std::string> method,
      GetEnum(reader, *object, path, "method",
              {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}));
  match.method = method.value_or("");
  return match;
}

// The set or add list of a header modifier.
absl::StatusOr<std::vector<HttpHeader>> ReadHeaderList(const ObjectReader& reader,
                                                       const JsonObject& object,
                                                       const std::string& prefix,
                                                       absl::string_view key) {
  std::vector<HttpHeader> result;
  STRATA_ASSIGN_OR_RETURN(const JsonArray* list,
                          GetBoundedList(reader, object, prefix, key, kMaxHeaderActions));
  if (list == nullptr) return result;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = Index(Path(prefix, key), i);
    STRATA_ASSIGN_OR_RETURN(const JsonObject* item, reader.AsObject((*list)[i], path));
    HttpHeader header;
    STRATA_ASSIGN_OR_RETURN(header.name, GetRequiredCheckedString(reader, *item, path, "name",
                                                                  IsHeaderName, kHeaderNameRule));
    for (const HttpHeader& other : result) {
      if (other.name == header.name) {
        return reader.Error(Path(path, "name"),
                            absl::StrCat("duplicate name \"", header.name, "\""));
      }
    }
    STRATA_ASSIGN_OR_RETURN(header.value, GetRequiredBoundedString(reader, *item, path, "value",
                                                                   kMaxHeaderValueLength));
    result.push_back(std::move(header));
  }
  return result;
}

absl::StatusOr<HttpHeaderFilter> ReadHeaderFilter(const ObjectReader& reader,
                                                  const JsonObject& object,
                                                  const std::string& path) {
  HttpHeaderFilter filter;
  STRATA_ASSIGN_OR_RETURN(filter.set, ReadHeaderList(reader, object, path, "set"));
  STRATA_ASSIGN_OR_RETURN(filter.add, ReadHeaderList(reader, object, path, "add"));
  STRATA_ASSIGN_OR_RETURN(const JsonArray* remove,
                          GetBoundedList(reader, object, path, "remove", kMaxHeaderActions));
  if (remove != nullptr) {
    for (size_t i = 0; i < remove->size(); ++i) {
      const std::string item_path = Index(Path(path, "remove"), i);
      const auto* name = (*remove)[i].get_ptr<const std::string*>();
      if (name == nullptr) return reader.Error(item_path, "must be a string");
      if (std::find(filter.remove.begin(), filter.remove.end(), *name) != filter.remove.end()) {
        return reader.Error(item_path, absl::StrCat("duplicate \"", *name, "\""));
      }
      filter.remove.push_back(*name);
    }
  }
  return filter;
}

absl::StatusOr<HttpPathModifier> ReadPathModifier(const ObjectReader& reader,
                                                  const JsonObject& object,
                                                  const std::string& path) {
  HttpPathModifier modifier;
  STRATA_ASSIGN_OR_RETURN(modifier.type, reader.GetRequiredString(object, path, "type"));
  if (!IsOneOf(modifier.type, {"ReplaceFullPath", "ReplacePrefixMatch"})) {
    return reader.Error(Path(path, "type"), "must be ReplaceFullPath or ReplacePrefixMatch");
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> full,
                          reader.GetString(object, path, "replaceFullPath"));
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> prefix,
                          reader.GetString(object, path, "replacePrefixMatch"));
  for (const auto& [key, value] :
       {std::pair("replaceFullPath", &full), std::pair("replacePrefixMatch", &prefix)}) {
    if (value->has_value() && (*value)->size() > kMaxPathLength) {
      return reader.Error(Path(path, key),
                          absl::StrCat("must be at most ", kMaxPathLength, " characters"));
    }
  }
  if (modifier.type == "ReplaceFullPath" && !full.has_value()) {
    return reader.Error(path,
                        "replaceFullPath must be specified when type is set to 'ReplaceFullPath'");
  }
  if (full.has_value() && modifier.type != "ReplaceFullPath") {
    return reader.Error(path, "type must be 'ReplaceFullPath' when replaceFullPath is set");
  }
  if (modifier.type == "ReplacePrefixMatch" && !prefix.has_value()) {
    return reader.Error(
        path, "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'");
  }
  if (prefix.has_value() && modifier.type != "ReplacePrefixMatch") {
    return reader.Error(path, "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set");
  }
  modifier.value = full.has_value() ? *full : *prefix;
  return modifier;
}

// The `path` member of a redirect or rewrite, if present.
absl::StatusOr<std::optional<HttpPathModifier>> ReadOptionalPathModifier(
    const ObjectReader& reader, const JsonObject& object, const std::string& prefix) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* path, reader.GetObject(object, prefix, "path"));
  if (path == nullptr) return std::optional<HttpPathModifier>();
  STRATA_ASSIGN_OR_RETURN(HttpPathModifier modifier,
                          ReadPathModifier(reader, *path, Path(prefix, "path")));
  return std::optional<HttpPathModifier>(std::move(modifier));
}

absl::StatusOr<HttpRequestRedirect> ReadRequestRedirect(const ObjectReader& reader,
                                                        const JsonObject& object,
                                                        const std::string& path) {
  HttpRequestRedirect redirect;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> scheme,
                          GetEnum(reader, object, path, "scheme", {"http", "https"}));
  redirect.scheme = scheme.value_or("");
  STRATA_ASSIGN_OR_RETURN(
      std::optional<std::string> hostname,
      GetCheckedString(reader, object, path, "hostname", IsPreciseHostname, kPreciseHostnameRule));
  redirect.hostname = hostname.value_or("");
  STRATA_ASSIGN_OR_RETURN(redirect.path, ReadOptionalPathModifier(reader, object, path));
  STRATA_ASSIGN_OR_RETURN(redirect.port, reader.GetPort(object, path, "port"));
  if (const Json* status = Member(object, "statusCode")) {
    // 303, 307 and 308 are in the enum since Gateway API v1.5.
    std::optional<int64_t> code = AsInt(*status);
    if (!code.has_value() ||
        !(*code == 301 || *code == 302 || *code == 303 || *code == 307 || *code == 308)) {
      return reader.Error(Path(path, "statusCode"), "must be 301, 302, 303, 307 or 308");
    }
    redirect.status_code = static_cast<int>(*code);
  }
  return redirect;
}

absl::StatusOr<HttpUrlRewrite> ReadUrlRewrite(const ObjectReader& reader, const JsonObject& object,
                                              const std::string& path) {
  HttpUrlRewrite rewrite;
  STRATA_ASSIGN_OR_RETURN(
      std::optional<std::string> hostname,
      GetCheckedString(reader, object, path, "hostname", IsPreciseHostname, kPreciseHostnameRule));
  rewrite.hostname = hostname.value_or("");
  STRATA_ASSIGN_OR_RETURN(rewrite.path, ReadOptionalPathModifier(reader, object, path));
  return rewrite;
}

absl::StatusOr<HttpRouteFilter> ReadRouteFilter(const ObjectReader& reader, const Json& value,
                                                const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  HttpRouteFilter filter;
  // ExternalAuth is in the experimental channel's enum only.
  const std::initializer_list<absl::string_view> types = {"RequestHeaderModifier",
                                                          "ResponseHeaderModifier",
                                                          "RequestMirror",
                                                          "RequestRedirect",
                                                          "URLRewrite",
                                                          "ExtensionRef",
                                                          "CORS",
                                                          "ExternalAuth"};
  STRATA_ASSIGN_OR_RETURN(filter.type, reader.GetRequiredString(*object, path, "type"));
  if (!IsOneOf(filter.type, types)) {
    return reader.Error(Path(path, "type"), absl::StrCat("must be ", OneOf(types)));
  }
  // Exactly the member named by the type is present (the CRD's CEL rules, in its order).
  struct TypeMember {
    absl::string_view key;
    absl::string_view type;
  };
  constexpr TypeMember kTypeMembers[] = {
      {"cors", "CORS"},
      {"requestHeaderModifier", "RequestHeaderModifier"},
      {"responseHeaderModifier", "ResponseHeaderModifier"},
      {"requestMirror", "RequestMirror"},
      {"requestRedirect", "RequestRedirect"},
      {"urlRewrite", "URLRewrite"},
      {"externalAuth", "ExternalAuth"},
      {"extensionRef", "ExtensionRef"},
  };
  const JsonObject* own = nullptr;  // the member of the filter's type
  for (const TypeMember& member : kTypeMembers) {
    STRATA_ASSIGN_OR_RETURN(const JsonObject* present, reader.GetObject(*object, path, member.key));
    if (present != nullptr && filter.type != member.type) {
      return reader.Error(
          path, absl::StrCat("filter.", member.key, " must be nil if the filter.type is not ",
                             member.type));
    }
    if (present == nullptr && filter.type == member.type) {
      return reader.Error(path, absl::StrCat("filter.", member.key, " must be specified for ",
                                             member.type, " filter.type"));
    }
    if (present != nullptr) own = present;
  }
  if (filter.type == "RequestHeaderModifier") {
    STRATA_ASSIGN_OR_RETURN(filter.request_header_modifier,
                            ReadHeaderFilter(reader, *own, Path(path, "requestHeaderModifier")));
  } else if (filter.type == "ResponseHeaderModifier") {
    STRATA_ASSIGN_OR_RETURN(filter.response_header_modifier,
                            ReadHeaderFilter(reader, *own, Path(path, "responseHeaderModifier")));
  } else if (filter.type == "RequestRedirect") {
    STRATA_ASSIGN_OR_RETURN(filter.request_redirect,
                            ReadRequestRedirect(reader, *own, Path(path, "requestRedirect")));
  } else if (filter.type == "URLRewrite") {
    STRATA_ASSIGN_OR_RETURN(filter.url_rewrite,
                            ReadUrlRewrite(reader, *own, Path(path, "urlRewrite")));
  }
  return filter;
}

// The filters of a rule or of a backendRef, with the CEL rules of the list.
absl::StatusOr<std::vector<HttpRouteFilter>> ReadRouteFilters(const ObjectReader& reader,
                                                              const JsonObject& object,
                                                              const std::string& prefix) {
  std::vector<HttpRouteFilter> filters;
  STRATA_ASSIGN_OR_RETURN(const JsonArray* list,
                          GetBoundedList(reader, object, prefix, "filters", kMaxFilters));
  if (list == nullptr) return filters;
  const std::string path = Path(prefix, "filters");
  for (size_t i = 0; i < list->size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(HttpRouteFilter filter,
                            ReadRouteFilter(reader, (*list)[i], Index(path, i)));
    filters.push_back(std::move(filter));
  }
  auto count = [&](absl::string_view type) {
    return std::count_if(filters.begin(), filters.end(),
                         [&](const HttpRouteFilter& f) { return f.type == type; });
  };
  if (count("RequestRedirect") > 0 && count("URLRewrite") > 0) {
    return reader.Error(path,
                        "May specify either httpRouteFilterRequestRedirect or "
                        "httpRouteFilterRequestRewrite, but not both");
  }
  for (absl::string_view type : {"CORS", "RequestHeaderModifier", "ResponseHeaderModifier",
                                 "RequestRedirect", "URLRewrite"}) {
    if (count(type) > 1) {
      return reader.Error(path, absl::StrCat(type, " filter cannot be repeated"));
    }
  }
  return filters;
}

absl::StatusOr<HttpBackendRef> ReadBackendRef(const ObjectReader& reader, const Json& value,
                                              const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  HttpBackendRef ref;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> group,
                          GetCheckedString(reader, *object, path, "group", IsGroup, kGroupRule));
  ref.group = group.value_or("");
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> kind,
                          GetCheckedString(reader, *object, path, "kind", IsKind, kKindRule));
  ref.kind = kind.value_or("Service");
  STRATA_ASSIGN_OR_RETURN(ref.name, GetRequiredCheckedString(reader, *object, path, "name",
                                                             IsObjectName, kObjectNameRule));
  STRATA_ASSIGN_OR_RETURN(
      std::optional<std::string> ns,
      GetCheckedString(reader, *object, path, "namespace", IsNamespaceName, kDns1123LabelRule));
  ref.namespace_ = ns.value_or("");
  STRATA_ASSIGN_OR_RETURN(ref.port, reader.GetPort(*object, path, "port"));
  if (!ref.port.has_value() && ref.group.empty() && ref.kind == "Service") {
    return reader.Error(Path(path, "port"), "required when the backend is a Service");
  }
  if (const Json* weight = Member(*object, "weight")) {
    std::optional<int64_t> n = AsInt(*weight);
    if (!n.has_value() || *n < 0 || *n > kMaxWeight) {
      return reader.Error(Path(path, "weight"), absl::StrCat("must be an integer 0..", kMaxWeight));
    }
    ref.weight = *n;
  }
  STRATA_ASSIGN_OR_RETURN(ref.filters, ReadRouteFilters(reader, *object, path));
  return ref;
}

// Whether a RequestRedirect (or URLRewrite) filter among `filters` replaces the prefix match.
bool ReplacesPrefixMatch(const std::vector<HttpRouteFilter>& filters, absl::string_view type) {
  return std::any_of(filters.begin(), filters.end(), [&](const HttpRouteFilter& f) {
    const std::optional<HttpPathModifier>* path = nullptr;
    if (type == "RequestRedirect" && f.request_redirect.has_value()) {
      path = &f.request_redirect->path;
    } else if (type == "URLRewrite" && f.url_rewrite.has_value()) {
      path = &f.url_rewrite->path;
    }
    return path != nullptr && path->has_value() && (*path)->type == "ReplacePrefixMatch";
  });
}

absl::Status ReadTimeouts(const ObjectReader& reader, const JsonObject& object,
                          const std::string& path, HttpRouteRule& rule) {
  std::optional<absl::Duration> durations[2];
  const absl::string_view keys[2] = {"request", "backendRequest"};
  for (int i = 0; i < 2; ++i) {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> text,
                            reader.GetString(object, path, keys[i]));
    if (!text.has_value()) continue;
    durations[i] = ParseGatewayDuration(*text);
    if (!durations[i].has_value()) return reader.Error(Path(path, keys[i]), kDurationRule);
  }
  const auto& [request, backend_request] = durations;
  if (request.has_value() && backend_request.has_value() && *request != absl::ZeroDuration() &&
      *backend_request > *request) {
    return reader.Error(path, "backendRequest timeout cannot be longer than request timeout");
  }
  rule.request_timeout = request;
  return absl::OkStatus();
}

// Whether the rule's matches are exactly one PathPrefix match.
bool HasOnePathPrefixMatch(const HttpRouteRule& rule) {
  return rule.matches.size() == 1 && rule.matches[0].path.type == "PathPrefix";
}

absl::StatusOr<HttpRouteRule> ReadRouteRule(const ObjectReader& reader, const Json& value,
                                            const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  HttpRouteRule rule;
  STRATA_ASSIGN_OR_RETURN(
      std::optional<std::string> name,
      GetCheckedString(reader, *object, path, "name", IsSectionName, kSectionNameRule));
  rule.name = name.value_or("");
  STRATA_ASSIGN_OR_RETURN(const JsonArray* matches,
                          GetBoundedList(reader, *object, path, "matches", kMaxMatchesPerRule));
  if (matches == nullptr) {
    rule.matches.emplace_back();  // the CRD's default: PathPrefix "/"
  } else {
    for (size_t i = 0; i < matches->size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(
          HttpRouteMatch match,
          ReadRouteMatch(reader, (*matches)[i], Index(Path(path, "matches"), i)));
      rule.matches.push_back(std::move(match));
    }
  }
  STRATA_ASSIGN_OR_RETURN(rule.filters, ReadRouteFilters(reader, *object, path));
  STRATA_ASSIGN_OR_RETURN(const JsonArray* backends,
                          GetBoundedList(reader, *object, path, "backendRefs", kMaxBackendRefs));
  if (backends != nullptr) {
    for (size_t i = 0; i < backends->size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(
          HttpBackendRef ref,
          ReadBackendRef(reader, (*backends)[i], Index(Path(path, "backendRefs"), i)));
      rule.backend_refs.push_back(std::move(ref));
    }
  }
  STRATA_ASSIGN_OR_RETURN(const JsonObject* timeouts, reader.GetObject(*object, path, "timeouts"));
  if (timeouts != nullptr) {
    STRATA_RETURN_IF_ERROR(ReadTimeouts(reader, *timeouts, Path(path, "timeouts"), rule));
  }

  // The CEL rules of HTTPRouteRule.
  const bool redirects =
      std::any_of(rule.filters.begin(), rule.filters.end(),
                  [](const HttpRouteFilter& f) { return f.request_redirect.has_value(); });
  if (!rule.backend_refs.empty() && redirects) {
    return reader.Error(path, "RequestRedirect filter must not be used together with backendRefs");
  }
  if (ReplacesPrefixMatch(rule.filters, "RequestRedirect") && !HasOnePathPrefixMatch(rule)) {
    return reader.Error(path,
                        "When using RequestRedirect filter with path.replacePrefixMatch, exactly "
                        "one PathPrefix match must be specified");
  }
  if (ReplacesPrefixMatch(rule.filters, "URLRewrite") && !HasOnePathPrefixMatch(rule)) {
    return reader.Error(path,
                        "When using URLRewrite filter with path.replacePrefixMatch, exactly one "
                        "PathPrefix match must be specified");
  }
  // The CRD counts backendRefs with exists_one: the rule only applies when exactly one
  // backendRef has such a filter.
  auto backends_replacing = [&](absl::string_view type) {
    return std::count_if(
        rule.backend_refs.begin(), rule.backend_refs.end(),
        [&](const HttpBackendRef& b) { return ReplacesPrefixMatch(b.filters, type); });
  };
  if (backends_replacing("RequestRedirect") == 1 && !HasOnePathPrefixMatch(rule)) {
    return reader.Error(path,
                        "Within backendRefs, when using RequestRedirect filter with "
                        "path.replacePrefixMatch, exactly one PathPrefix match must be specified");
  }
  if (backends_replacing("URLRewrite") == 1 && !HasOnePathPrefixMatch(rule)) {
    return reader.Error(path,
                        "Within backendRefs, When using URLRewrite filter with "
                        "path.replacePrefixMatch, exactly one PathPrefix match must be specified");
  }
  return rule;
}

absl::StatusOr<ParentReference> ReadParentRef(const ObjectReader& reader, const Json& value,
                                              const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(const JsonObject* object, reader.AsObject(value, path));
  ParentReference ref;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> group,
                          GetCheckedString(reader, *object, path, "group", IsGroup, kGroupRule));
  ref.group = group.value_or(kGatewayApiGroup);
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> kind,
                          GetCheckedString(reader, *object, path, "kind", IsKind, kKindRule));
  ref.kind = kind.value_or("Gateway");
  STRATA_ASSIGN_OR_RETURN(
      std::optional<std::string> ns,
      GetCheckedString(reader, *object, path, "namespace", IsNamespaceName, kDns1123LabelRule));
  ref.namespace_ = ns.value_or("");
  STRATA_ASSIGN_OR_RETURN(ref.name, GetRequiredCheckedString(reader, *object, path, "name",
                                                             IsObjectName, kObjectNameRule));
  STRATA_ASSIGN_OR_RETURN(
      std::optional<std::string> section,
      GetCheckedString(reader, *object, path, "sectionName", IsSectionName, kSectionNameRule));
  ref.section_name = section.value_or("");
  STRATA_ASSIGN_OR_RETURN(ref.port, reader.GetPort(*object, path, "port"));
  return ref;
}

// The CEL rules of spec.parentRefs: references to one parent must be told apart by
// sectionName (standard channel) or by sectionName and port (experimental channel); the
// references pass if either channel's rules pass. The standard channel's message is given.
absl::Status CheckParentRefs(const ObjectReader& reader, const std::vector<ParentReference>& refs) {
  auto same_parent = [](const ParentReference& a, const ParentReference& b) {
    return a.group == b.group && a.kind == b.kind && a.name == b.name &&
           a.namespace_ == b.namespace_;
  };
  // `with_port`: the experimental channel's rules.
  auto consistent = [&](bool with_port) {
    for (const ParentReference& a : refs) {
      for (const ParentReference& b : refs) {
        if (!same_parent(a, b)) continue;
        if (a.section_name.empty() != b.section_name.empty()) return false;
        if (with_port && a.port.has_value() != b.port.has_value()) return false;
      }
    }
    return true;
  };
  auto unique = [&](bool with_port) {
    for (size_t i = 0; i < refs.size(); ++i) {
      for (size_t j = i + 1; j < refs.size(); ++j) {
        if (same_parent(refs[i], refs[j]) && refs[i].section_name == refs[j].section_name &&
            (!with_port || refs[i].port == refs[j].port)) {
          return false;
        }
      }
    }
    return true;
  };
  if ((consistent(false) && unique(false)) || (consistent(true) && unique(true))) {
    return absl::OkStatus();
  }
  if (!consistent(false)) {
    return reader.Error("spec.parentRefs",
                        "sectionName must be specified when parentRefs includes 2 or more "
                        "references to the same parent");
  }
  return reader.Error("spec.parentRefs",
                      "sectionName must be unique when parentRefs includes 2 or more references "
                      "to the same parent");
}

absl::StatusOr<HttpRoute> ReadHttpRoute(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(Metadata metadata,
                          ReadMetadata(reader, object, "HTTPRoute", NameRule::kDns1123Subdomain));
  HttpRoute route;
  route.namespace_ = metadata.namespace_;
  route.name = metadata.name;
  route.created = metadata.created;
  route.generation = metadata.generation;
  route.uid = metadata.uid;
  // Controllers that report on the route: read leniently, since status is not the author's
  // and a malformed entry must not drop the route.
  route.status_controllers = StatusControllers(object);
  STRATA_ASSIGN_OR_RETURN(const JsonObject* spec, reader.GetObject(object, "", "spec"));
  if (spec == nullptr) return reader.Error("spec", "required");

  STRATA_ASSIGN_OR_RETURN(const JsonArray* parents,
                          GetBoundedList(reader, *spec, "spec", "parentRefs", kMaxParentRefs));
  if (parents != nullptr) {
    for (size_t i = 0; i < parents->size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(ParentReference ref,
                              ReadParentRef(reader, (*parents)[i], Index("spec.parentRefs", i)));
      route.parent_refs.push_back(std::move(ref));
    }
    STRATA_RETURN_IF_ERROR(CheckParentRefs(reader, route.parent_refs));
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* hostnames,
                          GetBoundedList(reader, *spec, "spec", "hostnames", kMaxHostnames));
  if (hostnames != nullptr) {
    for (size_t i = 0; i < hostnames->size(); ++i) {
      const std::string path = Index("spec.hostnames", i);
      const auto* hostname = (*hostnames)[i].get_ptr<const std::string*>();
      if (hostname == nullptr) return reader.Error(path, "must be a string");
      if (!IsGatewayHostname(*hostname)) return reader.Error(path, kHostnameRule);
      route.hostnames.push_back(*hostname);
    }
  }
  STRATA_ASSIGN_OR_RETURN(const JsonArray* rules,
                          GetBoundedList(reader, *spec, "spec", "rules", kMaxRules));
  if (rules == nullptr) {
    route.rules.emplace_back().matches.emplace_back();  // the CRD's default: PathPrefix "/"
    return route;
  }
  if (rules->empty()) return reader.Error("spec.rules", "must have at least one rule");
  size_t total_matches = 0;
  for (size_t i = 0; i < rules->size(); ++i) {
    const std::string path = Index("spec.rules", i);
    STRATA_ASSIGN_OR_RETURN(HttpRouteRule rule, ReadRouteRule(reader, (*rules)[i], path));
    if (!rule.name.empty()) {
      for (const HttpRouteRule& other : route.rules) {
        if (other.name == rule.name) {
          return reader.Error(Path(path, "name"),
                              absl::StrCat("duplicate rule name \"", rule.name, "\""));
        }
      }
    }
    total_matches += rule.matches.size();
    route.rules.push_back(std::move(rule));
  }
  if (total_matches > kMaxMatchesPerRoute) {
    return reader.Error("spec.rules",
                        "While 16 rules and 64 matches per rule are allowed, the total number of "
                        "matches across all rules in a route must be less than 128");
  }
  return route;
}

// ---- ReferenceGrant.

absl::StatusOr<ReferenceGrant> ReadReferenceGrant(ObjectReader& reader, const JsonObject& object) {
  STRATA_ASSIGN_OR_RETURN(Metadata metadata, ReadMetadata(reader, object, "ReferenceGrant",
                                                          NameRule::kDns1123Subdomain));
  ReferenceGrant grant;
  grant.namespace_ = metadata.namespace_;
  grant.name = metadata.name;
  STRATA_ASSIGN_OR_RETURN(const JsonObject* spec, reader.GetObject(object, "", "spec"));
  if (spec == nullptr) return grant;  // optional in the CRD; grants nothing
  // `group` must be present, and may be "" (the core group).
  auto read_group = [&](const JsonObject& item,
                        const std::string& path) -> absl::StatusOr<std::string> {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> group,
                            GetCheckedString(reader, item, path, "group", IsGroup, kGroupRule));
    if (!group.has_value()) return reader.Error(Path(path, "group"), "required");
    return *std::move(group);
  };
  for (absl::string_view key : {"from", "to"}) {
    const std::string list_path = Path("spec", key);
    STRATA_ASSIGN_OR_RETURN(const JsonArray* list,
                            GetBoundedList(reader, *spec, "spec", key, kMaxGrantEntries));
    if (list == nullptr || list->empty()) {
      return reader.Error(list_path, "must have at least one entry");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string path = Index(list_path, i);
      STRATA_ASSIGN_OR_RETURN(const JsonObject* item, reader.AsObject((*list)[i], path));
      STRATA_ASSIGN_OR_RETURN(std::string group, read_group(*item, path));
      STRATA_ASSIGN_OR_RETURN(
          std::string kind,
          GetRequiredCheckedString(reader, *item, path, "kind", IsKind, kKindRule));
      if (key == "from") {
        ReferenceGrantFrom from{std::move(group), std::move(kind), ""};
        STRATA_ASSIGN_OR_RETURN(from.namespace_,
                                GetRequiredCheckedString(reader, *item, path, "namespace",
                                                         IsNamespaceName, kDns1123LabelRule));
        grant.from.push_back(std::move(from));
      } else {
        STRATA_ASSIGN_OR_RETURN(
            std::optional<std::string> name,
            GetCheckedString(reader, *item, path, "name", IsObjectName, kObjectNameRule));
        grant.to.push_back({std::move(group), std::move(kind), name.value_or("")});
      }
    }
  }
  return grant;
}

// An object read from a manifest, before it joins a ManifestSet.
using ObjectVariant =
    std::variant<Service, EndpointSlice, Ingress, IngressClass, IngressRoute, Namespace,
                 GatewayClass, Gateway, HttpRoute, ReferenceGrant, TlsSecret>;

struct ParsedObject {
  ObjectVariant object;
  std::string kind;
  std::string where;   // "file: document N (Kind ns/name)", to start errors
  std::string origin;  // "file document N", to name it in other objects' errors
};

struct ParseContext {
  std::string file_name;
  std::vector<ParsedObject> objects;
  int skipped = 0;
};

// Reads the object `value` (a document, or an item of a List when `item` is set).
absl::Status ReadObject(const Json& value, int document, std::optional<size_t> item,
                        ParseContext& context) {
  // Document 0: a single object from the API, named by `file_name` alone.
  std::string origin =
      document == 0 ? context.file_name : absl::StrCat(context.file_name, " document ", document);
  std::string location =
      document == 0 ? context.file_name : absl::StrCat(context.file_name, ": document ", document);
  if (item.has_value()) {
    absl::StrAppend(&origin, " ", Index("items", *item));
    absl::StrAppend(&location, ", ", Index("items", *item));
  }
  ObjectReader reader(std::move(location));
  const auto* object = value.get_ptr<const JsonObject*>();
  if (object == nullptr) return reader.Error("", "must be an object");
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> api_version,
                          reader.GetString(*object, "", "apiVersion"));
  if (!api_version.has_value() || api_version->empty()) {
    return reader.Error("apiVersion", "required");
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> kind, reader.GetString(*object, "", "kind"));
  if (!kind.has_value() || kind->empty()) return reader.Error("kind", "required");

  ParsedObject parsed;
  if (*api_version == "v1" && *kind == "List") {
    if (item.has_value()) return reader.Error("", "a List inside a List is not supported");
    STRATA_ASSIGN_OR_RETURN(const JsonArray* items, reader.GetList(*object, "", "items"));
    if (items == nullptr) return absl::OkStatus();
    for (size_t i = 0; i < items->size(); ++i) {
      STRATA_RETURN_IF_ERROR(ReadObject((*items)[i], document, i, context));
    }
    return absl::OkStatus();
  } else if (*api_version == "v1" && *kind == "Service") {
    STRATA_ASSIGN_OR_RETURN(parsed.object, ReadService(reader, *object));
  } else if (*api_version == "discovery.k8s.io/v1" && *kind == "EndpointSlice") {
    STRATA_ASSIGN_OR_RETURN(parsed.object, ReadEndpointSlice(reader, *object));
  } else if (*api_version == "networking.k8s.io/v1" && *kind == "Ingress") {
    STRATA_ASSIGN_OR_RETURN(parsed.object, ReadIngress(reader, *object));
  } else if (*api_version == "networking.k8s.io/v1" && *kind == "IngressClass") {
    STRATA_ASSIGN_OR_RETURN(parsed.object, ReadIngressClass(reader, *object));
  } else if ((*api_version == "traefik.io/v1alpha1" ||
              *api_version == "traefik.containo.us/v1alpha1") &&
             *kind == "IngressRoute") {
    const std::string group = api_version->substr(0, api_version->find('/'));
    STRATA_ASSIGN_OR_RETURN(parsed.object, ReadIngressRoute(reader, *object, group));
    // The two API groups are two kinds: the same name may exist in both.
    kind = absl::StrCat(*kind, ".", group);
  } else if (*api_version == "v1" && *kind == "Namespace") {
    STRATA_ASSIGN_OR_RETURN(parsed.object, ReadNamespace(reader, *object));
  } else if (*api_version == "v1" && *kind == "Secret") {
    // Only TLS Secrets are read; the others (and their contents) are none of strata's.
    const Json* type = Member(*object, "type");
    const auto* type_name = type == nullptr ? nullptr : type->get_ptr<const std::string*>();
    if (type_name == nullptr || *type_name != kTlsSecretType) {
      ++context.skipped;
      return absl::OkStatus();
    }
    STRATA_ASSIGN_OR_RETURN(parsed.object, ReadTlsSecret(reader, *object));
  } else if ((*api_version == "gateway.networking.k8s.io/v1" ||
              *api_version == "gateway.networking.k8s.io/v1beta1") &&
             (*kind == "GatewayClass" || *kind == "Gateway" || *kind == "HTTPRoute" ||
              *kind == "ReferenceGrant")) {
    // v1beta1 serves the same schema. Both versions are one kind: one object of the API
    // server, so the same name in both is a duplicate.
    if (*kind == "GatewayClass") {
      STRATA_ASSIGN_OR_RETURN(parsed.object, ReadGatewayClass(reader, *object));
    } else if (*kind == "Gateway") {
      STRATA_ASSIGN_OR_RETURN(parsed.object, ReadGateway(reader, *object));
    } else if (*kind == "HTTPRoute") {
      STRATA_ASSIGN_OR_RETURN(parsed.object, ReadHttpRoute(reader, *object));
    } else {
      STRATA_ASSIGN_OR_RETURN(parsed.object, ReadReferenceGrant(reader, *object));
    }
  } else {
    ++context.skipped;
    return absl::OkStatus();
  }
  parsed.kind = *std::move(kind);
  parsed.where = reader.Where();
  parsed.origin = std::move(origin);
  context.objects.push_back(std::move(parsed));
  return absl::OkStatus();
}

ObjectKey KeyOf(const ObjectVariant& object) {
  return std::visit(
      [](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, IngressClass> || std::is_same_v<T, Namespace> ||
                      std::is_same_v<T, GatewayClass>) {
          return ObjectKey("", o.name);  // cluster-scoped
        } else {
          return ObjectKey(o.namespace_, o.name);
        }
      },
      object);
}

// The counter of ManifestStats for objects of type T.
template <typename T>
int& CounterOf(ManifestStats& stats) {
  if constexpr (std::is_same_v<T, Service>) return stats.services;
  if constexpr (std::is_same_v<T, EndpointSlice>) return stats.endpoint_slices;
  if constexpr (std::is_same_v<T, Ingress>) return stats.ingresses;
  if constexpr (std::is_same_v<T, IngressClass>) return stats.ingress_classes;
  if constexpr (std::is_same_v<T, IngressRoute>) return stats.ingress_routes;
  if constexpr (std::is_same_v<T, Namespace>) return stats.namespaces;
  if constexpr (std::is_same_v<T, GatewayClass>) return stats.gateway_classes;
  if constexpr (std::is_same_v<T, Gateway>) return stats.gateways;
  if constexpr (std::is_same_v<T, HttpRoute>) return stats.http_routes;
  if constexpr (std::is_same_v<T, ReferenceGrant>) return stats.reference_grants;
  if constexpr (std::is_same_v<T, TlsSecret>) return stats.tls_secrets;
}

// The contents of the regular file `path`, or nullopt if it is not a regular file or is gone.
// `name` labels errors.
absl::StatusOr<std::optional<std::string>> ReadManifestFile(const std::string& path,
                                                            absl::string_view name) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return absl::ErrnoToStatus(errno, absl::StrCat(name, ": cannot open"));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return absl::ErrnoToStatus(errno, absl::StrCat(name, ": stat"));
  if (!S_ISREG(st.st_mode)) return std::optional<std::string>();
  const absl::Status too_large = absl::InvalidArgumentError(
      absl::StrCat(name, ": file is larger than ", kMaxManifestFileBytes >> 20, " MiB"));
  if (static_cast<uint64_t>(st.st_size) > kMaxManifestFileBytes) return too_large;
  // Read until end of file, or until one byte past the limit if the file grew since fstat.
  constexpr size_t kReadLimit = kMaxManifestFileBytes + 1;
  std::string content(static_cast<size_t>(st.st_size) + 1, '\0');
  size_t size = 0;
  while (size < kReadLimit) {
    if (size == content.size()) content.resize(std::min(2 * size, kReadLimit));
    ssize_t n = ::read(fd.get(), content.data() + size, content.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat(name, ": read"));
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size > kMaxManifestFileBytes) return too_large;
  content.resize(size);
  return std::optional<std::string>(std::move(content));
}

bool IsManifestFileName(absl::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  return absl::EndsWith(name, ".yaml") || absl::EndsWith(name, ".yml") ||
         absl::EndsWith(name, ".json");
}

}  // namespace

absl::Status ManifestSet::AddManifest(std::string_view file_name, std::string_view text) {
  ParseContext context;
  context.file_name = std::string(file_name);
  absl::StatusOr<std::vector<YamlDocument>> documents = ParseYamlStream(text);
  if (!documents.ok()) {
    return absl::Status(documents.status().code(),
                        absl::StrCat(context.file_name, ": ", documents.status().message()));
  }
  for (const YamlDocument& document : *documents) {
    STRATA_RETURN_IF_ERROR(ReadObject(document.value, document.index, std::nullopt, context));
  }

  // Check for duplicates before changing anything, so a failed file adds nothing.
  std::map<std::tuple<std::string, std::string, std::string>, std::string> new_origins;
  for (const ParsedObject& parsed : context.objects) {
    auto [ns, name] = KeyOf(parsed.object);
    std::tuple<std::string, std::string, std::string> id(parsed.kind, ns, name);
    const std::string* first = nullptr;
    if (auto it = origins_.find(id); it != origins_.end()) {
      first = &it->second;
    } else if (auto new_it = new_origins.find(id); new_it != new_origins.end()) {
      first = &new_it->second;
    }
    if (first != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(parsed.where, ": duplicate object, first defined in ", *first));
    }
    new_origins.emplace(std::move(id), parsed.origin);
  }

  for (ParsedObject& parsed : context.objects) {
    std::visit(
        [this](auto& o) {
          ++CounterOf<std::decay_t<decltype(o)>>(stats_);
          AddToState(ApiObject(std::move(o)), state_);
        },
        parsed.object);
  }
  origins_.merge(new_origins);
  ++stats_.files;
  stats_.documents += static_cast<int>(documents->size());
  stats_.skipped_objects += context.skipped;
  return absl::OkStatus();
}

absl::StatusOr<ApiObject> ReadApiObject(const Json& object, std::string_view where) {
  ParseContext context;
  context.file_name = std::string(where);
  if (object.is_object()) {
    const auto kind = object.find("kind");
    if (kind != object.end() && *kind == "List") {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(where), ": a List is not an object"));
    }
  }
  STRATA_RETURN_IF_ERROR(ReadObject(object, 0, std::nullopt, context));
  if (context.objects.empty()) return ApiObject();
  return std::visit([](auto& o) { return ApiObject(std::move(o)); },
                    context.objects.front().object);
}

void AddToState(const ApiObject& object, ClusterState& state) {
  if (const auto* service = std::get_if<Service>(&object)) {
    state.services.insert_or_assign({service->namespace_, service->name}, *service);
  } else if (const auto* slice = std::get_if<EndpointSlice>(&object)) {
    state.endpoint_slices.insert_or_assign({slice->namespace_, slice->name}, *slice);
  } else if (const auto* ingress = std::get_if<Ingress>(&object)) {
    state.ingresses.insert_or_assign({ingress->namespace_, ingress->name}, *ingress);
  } else if (const auto* ingress_class = std::get_if<IngressClass>(&object)) {
    state.ingress_classes.insert_or_assign(ingress_class->name, *ingress_class);
  } else if (const auto* route = std::get_if<IngressRoute>(&object)) {
    auto [it, inserted] =
        state.ingress_routes.try_emplace({route->namespace_, route->name}, *route);
    if (!inserted && route->api_group == "traefik.io") it->second = *route;
  } else if (const auto* ns = std::get_if<Namespace>(&object)) {
    state.namespaces.insert_or_assign(ns->name, *ns);
  } else if (const auto* gateway_class = std::get_if<GatewayClass>(&object)) {
    state.gateway_classes.insert_or_assign(gateway_class->name, *gateway_class);
  } else if (const auto* gateway = std::get_if<Gateway>(&object)) {
    state.gateways.insert_or_assign({gateway->namespace_, gateway->name}, *gateway);
  } else if (const auto* http_route = std::get_if<HttpRoute>(&object)) {
    state.http_routes.insert_or_assign({http_route->namespace_, http_route->name}, *http_route);
  } else if (const auto* grant = std::get_if<ReferenceGrant>(&object)) {
    state.reference_grants.insert_or_assign({grant->namespace_, grant->name}, *grant);
  } else if (const auto* secret = std::get_if<TlsSecret>(&object)) {
    state.tls_secrets.insert_or_assign({secret->namespace_, secret->name}, *secret);
  }
}

bool IsClusterScoped(std::string_view kind) {
  return kind == "IngressClass" || kind == "Namespace" || kind == "GatewayClass";
}

bool RemoveFromState(std::string_view kind, const std::string& namespace_, const std::string& name,
                     ClusterState& state) {
  const ObjectKey key(namespace_, name);
  if (kind == "Service") {
    state.services.erase(key);
  } else if (kind == "EndpointSlice") {
    state.endpoint_slices.erase(key);
  } else if (kind == "Ingress") {
    state.ingresses.erase(key);
  } else if (kind == "IngressClass") {
    state.ingress_classes.erase(name);
  } else if (kind == "IngressRoute") {
    state.ingress_routes.erase(key);
  } else if (kind == "Namespace") {
    state.namespaces.erase(name);
  } else if (kind == "GatewayClass") {
    state.gateway_classes.erase(name);
  } else if (kind == "Gateway") {
    state.gateways.erase(key);
  } else if (kind == "HTTPRoute") {
    state.http_routes.erase(key);
  } else if (kind == "ReferenceGrant") {
    state.reference_grants.erase(key);
  } else if (kind == "Secret") {
    state.tls_secrets.erase(key);
  } else {
    return false;
  }
  return true;
}

std::vector<LoadBalancerAddress> ReadLoadBalancerStatus(const Json& object) {
  const auto* fields = object.get_ptr<const JsonObject*>();
  return fields == nullptr ? std::vector<LoadBalancerAddress>() : LoadBalancerStatus(*fields);
}

std::set<std::string> ReadStatusControllers(const Json& object) {
  const auto* fields = object.get_ptr<const JsonObject*>();
  return fields == nullptr ? std::set<std::string>() : StatusControllers(*fields);
}

absl::StatusOr<ClusterState> LoadManifestDirectory(const std::string& dir, ManifestStats* stats) {
  std::vector<std::string> names;
  {
    DIR* handle = ::opendir(dir.c_str());
    if (handle == nullptr) {
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot open manifest directory ", dir));
    }
    int read_errno = 0;
    while (true) {
      errno = 0;
      const struct dirent* entry = ::readdir(handle);
      if (entry == nullptr) {
        read_errno = errno;
        break;
      }
      if (IsManifestFileName(entry->d_name)) names.emplace_back(entry->d_name);
    }
    ::closedir(handle);
    if (read_errno != 0) {
      return absl::ErrnoToStatus(read_errno, absl::StrCat("cannot read manifest directory ", dir));
    }
  }
  std::sort(names.begin(), names.end());

  ManifestSet set;
  for (const std::string& name : names) {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> text,
                            ReadManifestFile(absl::StrCat(dir, "/", name), name));
    if (!text.has_value()) continue;
    STRATA_RETURN_IF_ERROR(set.AddManifest(name, *text));
  }
  if (stats != nullptr) *stats = set.stats();
  return set.TakeState();
}

}  // namespace strata::source
