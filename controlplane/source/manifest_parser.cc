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
#include <limits>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/yaml_json.h"
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

// RFC 1123 label, or RFC 1035 label if `start_with_letter`.
bool IsDnsLabel(absl::string_view s, bool start_with_letter) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  if (start_with_letter ? !absl::ascii_islower(s.front()) : !IsLowerAlnum(s.front())) return false;
  return IsLowerAlnum(s.back());
}

bool IsDnsSubdomain(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (!IsDnsLabel(label, /*start_with_letter=*/false)) return false;
  }
  return true;
}

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
};

enum class NameRule { kDns1035Label, kDns1123Subdomain };
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
  bool name_ok = name_rule == NameRule::kDns1035Label
                     ? IsDnsLabel(result.name, /*start_with_letter=*/true)
                     : IsDnsSubdomain(result.name);
  if (!name_ok) {
    return reader.Error("metadata.name", name_rule == NameRule::kDns1035Label
                                             ? kDns1035LabelRule
                                             : kDns1123SubdomainRule);
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
  STRATA_ASSIGN_OR_RETURN(const JsonObject* spec, reader.GetObject(object, "", "spec"));
  if (spec == nullptr) return service;
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

// An object read from a manifest, before it joins a ManifestSet.
struct ParsedObject {
  std::variant<Service, EndpointSlice, Ingress, IngressClass, IngressRoute> object;
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

ObjectKey KeyOf(
    const std::variant<Service, EndpointSlice, Ingress, IngressClass, IngressRoute>& object) {
  return std::visit(
      [](const auto& o) {
        if constexpr (std::is_same_v<std::decay_t<decltype(o)>, IngressClass>) {
          return ObjectKey("", o.name);  // cluster-scoped
        } else {
          return ObjectKey(o.namespace_, o.name);
        }
      },
      object);
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
          using T = std::decay_t<decltype(o)>;
          ++(std::is_same_v<T, Service>         ? stats_.services
             : std::is_same_v<T, EndpointSlice> ? stats_.endpoint_slices
             : std::is_same_v<T, Ingress>       ? stats_.ingresses
             : std::is_same_v<T, IngressClass>  ? stats_.ingress_classes
                                                : stats_.ingress_routes);
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
  }
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
