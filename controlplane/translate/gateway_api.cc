#include "controlplane/translate/gateway_api.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/match.h"

namespace strata::translate {
namespace {

// Whether `name` is under the wildcard `wildcard` ("*.example.com"): it ends with
// ".example.com" and has at least one label before it.
bool UnderWildcard(const std::string& wildcard, const std::string& name) {
  const std::string suffix = wildcard.substr(1);  // ".example.com"
  if (name.size() <= suffix.size() || !absl::EndsWith(name, suffix)) return false;
  const std::string head = name.substr(0, name.size() - suffix.size());
  return head != "*";
}

bool IsWildcard(const std::string& host) { return absl::StartsWith(host, "*."); }

}  // namespace

bool SelectorMatches(const source::LabelSelector& selector,
                     const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const source::LabelSelectorRequirement& r : selector.match_expressions) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool in =
        has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.op == "In" && !in) return false;
    if (r.op == "NotIn" && in) return false;
    if (r.op == "Exists" && !has) return false;
    if (r.op == "DoesNotExist" && has) return false;
    if (r.op != "In" && r.op != "NotIn" && r.op != "Exists" && r.op != "DoesNotExist") {
      return false;  // the reader refuses unknown operators; never select by mistake
    }
  }
  return true;
}

std::map<std::string, std::string> NamespaceLabels(const source::ClusterState& state,
                                                   const std::string& name) {
  std::map<std::string, std::string> labels;
  auto it = state.namespaces.find(name);
  if (it != state.namespaces.end()) labels = it->second.labels;
  labels["kubernetes.io/metadata.name"] = name;
  return labels;
}

std::optional<std::string> IntersectHostnames(const std::string& listener,
                                              const std::string& route) {
  if (listener.empty()) return route;
  if (route.empty() || route == listener) return listener;
  const bool listener_wild = IsWildcard(listener);
  const bool route_wild = IsWildcard(route);
  if (listener_wild && UnderWildcard(listener, route)) return route;
  if (route_wild && UnderWildcard(route, listener)) return listener;
  return std::nullopt;
}

bool ReferenceGranted(const source::ClusterState& state, const std::string& from_group,
                      const std::string& from_kind, const std::string& from_namespace,
                      const std::string& to_group, const std::string& to_kind,
                      const std::string& to_namespace, const std::string& to_name) {
  for (auto it = state.reference_grants.lower_bound({to_namespace, ""});
       it != state.reference_grants.end() && it->first.first == to_namespace; ++it) {
    const source::ReferenceGrant& grant = it->second;
    const bool from = std::any_of(grant.from.begin(), grant.from.end(), [&](const auto& f) {
      return f.group == from_group && f.kind == from_kind && f.namespace_ == from_namespace;
    });
    const bool to = std::any_of(grant.to.begin(), grant.to.end(), [&](const auto& t) {
      return t.group == to_group && t.kind == to_kind && (t.name.empty() || t.name == to_name);
    });
    if (from && to) return true;
  }
  return false;
}

}  // namespace strata::translate
