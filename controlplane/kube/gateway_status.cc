#include "controlplane/kube/gateway_status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::kube {
namespace {

using Json = nlohmann::json;

// metav1.Condition.message is at most 32768 bytes.
constexpr size_t kMaxMessage = 32768;

std::string Truncated(const std::string& message) {
  if (message.size() <= kMaxMessage) return message;
  size_t end = kMaxMessage - 3;
  // Do not cut a UTF-8 sequence.
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) --end;
  return message.substr(0, end) + "...";
}

// object[key], or null when `object` is not an object or lacks it (nlohmann's own accessors
// throw on the wrong type, and exceptions are off).
const Json& Member(const Json& object, const char* key) {
  static const Json* const kNull = new Json();
  if (!object.is_object()) return *kNull;
  auto it = object.find(key);
  return it == object.end() ? *kNull : *it;
}

std::string StringAt(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// The conditions as they should be: `desired`, with the lastTransitionTime of an existing
// condition of the same type and status.
Json Conditions(const std::vector<translate::Condition>& desired, int64_t generation,
                const std::string& now, const Json& current) {
  Json out = Json::array();
  for (const translate::Condition& c : desired) {
    std::string since = now;
    if (current.is_array()) {
      for (const Json& existing : current) {
        if (StringAt(existing, "type") == c.type && StringAt(existing, "status") == c.status &&
            !StringAt(existing, "lastTransitionTime").empty()) {
          since = StringAt(existing, "lastTransitionTime");
        }
      }
    }
    out.push_back(Json{{"type", c.type},
                       {"status", c.status},
                       {"reason", c.reason},
                       {"message", Truncated(c.message)},
                       {"observedGeneration", generation},
                       {"lastTransitionTime", since}});
  }
  return out;
}

// Sets status[key] = value; true if that changed it.
bool Set(Json& status, const char* key, Json value) {
  if (!status.is_object()) status = Json::object();
  auto it = status.find(key);
  if (it != status.end() && *it == value) return false;
  status[key] = std::move(value);
  return true;
}

Json ParentRef(const source::ParentReference& ref) {
  Json out{
      {"group", ref.group}, {"kind", ref.kind}, {"namespace", ref.namespace_}, {"name", ref.name}};
  if (!ref.section_name.empty()) out["sectionName"] = ref.section_name;
  if (ref.port.has_value()) out["port"] = *ref.port;
  return out;
}

// The same parentRef, written with or without its defaults.
bool SameParent(const Json& a, const Json& b) {
  auto field = [](const Json& ref, const char* key, const std::string& fallback) {
    const std::string value = StringAt(ref, key);
    return value.empty() ? fallback : value;
  };
  auto port = [](const Json& ref) {
    auto it = ref.find("port");
    return it != ref.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
  };
  return a.is_object() && b.is_object() &&
         field(a, "group", source::kGatewayApiGroup) ==
             field(b, "group", source::kGatewayApiGroup) &&
         field(a, "kind", "Gateway") == field(b, "kind", "Gateway") &&
         StringAt(a, "namespace") == StringAt(b, "namespace") &&
         StringAt(a, "name") == StringAt(b, "name") &&
         StringAt(a, "sectionName") == StringAt(b, "sectionName") && port(a) == port(b);
}

}  // namespace

bool ApplyGatewayClassStatus(const translate::GatewayClassStatus& desired, const std::string& now,
                             Json& status) {
  if (!status.is_object()) status = Json::object();
  const Json current = Member(status, "conditions");
  return Set(status, "conditions",
             Conditions(desired.conditions, desired.generation, now, current));
}

bool ApplyGatewayStatus(const translate::GatewayStatus& desired, const std::string& now,
                        Json& status) {
  if (!status.is_object()) status = Json::object();
  bool changed =
      Set(status, "conditions",
          Conditions(desired.conditions, desired.generation, now, Member(status, "conditions")));
  const Json current_listeners = Member(status, "listeners");
  Json listeners = Json::array();
  for (const translate::ListenerStatus& l : desired.listeners) {
    Json current = Json::array();
    if (current_listeners.is_array()) {
      for (const Json& existing : current_listeners) {
        if (StringAt(existing, "name") == l.name) current = Member(existing, "conditions");
      }
    }
    Json kinds = Json::array();
    for (const source::GroupKind& kind : l.supported_kinds) {
      kinds.push_back(Json{{"group", kind.group}, {"kind", kind.kind}});
    }
    listeners.push_back(
        Json{{"name", l.name},
             {"supportedKinds", kinds},
             {"attachedRoutes", l.attached_routes},
             {"conditions", Conditions(l.conditions, desired.generation, now, current)}});
  }
  changed |= Set(status, "listeners", std::move(listeners));
  Json addresses = Json::array();
  for (const source::LoadBalancerAddress& a : desired.addresses) {
    addresses.push_back(a.ip.empty() ? Json{{"type", "Hostname"}, {"value", a.hostname}}
                                     : Json{{"type", "IPAddress"}, {"value", a.ip}});
  }
  if (!addresses.empty()) {
    changed |= Set(status, "addresses", std::move(addresses));
  } else if (status.contains("addresses")) {
    status.erase("addresses");
    changed = true;
  }
  return changed;
}

bool ApplyHttpRouteStatus(const translate::HttpRouteStatus& desired,
                          const std::string& controller_name, const std::string& now,
                          Json& status) {
  if (!status.is_object()) status = Json::object();
  const Json current = Member(status, "parents");
  Json ours = Json::array();
  for (const translate::RouteParentStatus& parent : desired.parents) {
    const Json ref = ParentRef(parent.parent_ref);
    Json existing = Json::array();
    if (current.is_array()) {
      for (const Json& entry : current) {
        if (StringAt(entry, "controllerName") == controller_name &&
            SameParent(Member(entry, "parentRef"), ref)) {
          existing = Member(entry, "conditions");
        }
      }
    }
    ours.push_back(
        Json{{"parentRef", ref},
             {"controllerName", controller_name},
             {"conditions", Conditions(parent.conditions, desired.generation, now, existing)}});
  }
  // Other controllers' entries stay where they are; strata's take the place of its first one
  // (or go last), so two controllers never keep reordering the list.
  Json parents = Json::array();
  bool placed = false;
  if (current.is_array()) {
    for (const Json& entry : current) {
      if (StringAt(entry, "controllerName") != controller_name) {
        parents.push_back(entry);
      } else if (!placed) {
        for (const Json& entry_of_ours : ours) parents.push_back(entry_of_ours);
        placed = true;
      }
    }
  }
  if (!placed) {
    for (const Json& entry_of_ours : ours) parents.push_back(entry_of_ours);
  }
  return Set(status, "parents", std::move(parents));
}

}  // namespace strata::kube
