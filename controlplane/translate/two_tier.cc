#include "controlplane/translate/two_tier.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controlplane/translate/host_ownership.h"
#include "controlplane/translate/regex_check.h"
#include "controlplane/translate/service_endpoints.h"
#include "controlplane/translate/traefik_rule.h"
#include "envoy/config/core/v3/address.pb.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/config/core/v3/proxy_protocol.pb.h"
#include "envoy/config/listener/v3/listener_components.pb.h"
#include "envoy/config/route/v3/route_components.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/transport_sockets/proxy_protocol/v3/upstream_proxy_protocol.pb.h"
#include "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "envoy/type/matcher/v3/regex.pb.h"
#include "envoy/type/matcher/v3/string.pb.h"
#include "envoy/type/v3/percent.pb.h"
#include "google/protobuf/duration.pb.h"
#include "re2/re2.h"

namespace strata::translate {
namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::HeaderMatcher;
using envoy::config::route::v3::Route;
using envoy::config::route::v3::RouteConfiguration;
using envoy::config::route::v3::RouteMatch;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;
using source::ObjectKey;

// Traefik's usual names for the HTTP and HTTPS entry points.
constexpr char kWebEntryPoint[] = "web";
constexpr char kWebSecureEntryPoint[] = "websecure";

// The object a route or a claim comes from.
struct Origin {
  std::string kind;
  std::string namespace_;
  std::string name;
  absl::Time created = absl::InfiniteFuture();

  auto Key() const { return std::tie(kind, namespace_, name); }
};

// A Service port a route sends to.
struct Backend {
  const source::Service* service = nullptr;
  const source::ServicePort* port = nullptr;
};

// The edge listeners a route serves: bit 1 plain HTTP, bit 2 HTTPS.
constexpr uint8_t kHttp = 1;
constexpr uint8_t kHttps = 2;
constexpr uint8_t kBothSchemes = kHttp | kHttps;

// One route of a virtual host before ordering.
struct RouteEntry {
  // Sort key: IngressRoute routes (by priority, highest first) come before HTTPRoute rules
  // (Gateway API precedence), then Ingress paths (longest first, Exact before Prefix), then
  // a default backend; then the oldest object, then namespace/name and position, so the
  // output does not depend on input order.
  int source_rank = 0;
  // Within a source: {-priority} for IngressRoute, {-path length, Exact 0 / Prefix 1} for
  // Ingress, {path kind, -path length, method 0 / none 1, -headers, -query params} for
  // HTTPRoute.
  std::array<int64_t, 5> order{};
  absl::Time created;
  std::string namespace_;
  std::string name;
  std::vector<size_t> position;
  // For Ingress: "Exact /foo" (duplicates are conflicts; the first one keeps it).
  std::string ingress_path_key;
  const Origin* origin = nullptr;
  Route route;
  std::vector<Backend> backends;
  // Under a wildcard host, match only one label more (Ingress and Traefik); Gateway API
  // wildcards match any depth.
  bool one_label = true;
  uint8_t schemes = kBothSchemes;
  // A redirect that keeps the listener's port (it names neither scheme nor port): made for
  // HTTP; its HTTPS copy keeps the HTTPS listener's port.
  bool redirect_keeps_port = false;

  auto SortKey() const { return std::tie(source_rank, order, created, namespace_, name, position); }
};

// A claim to a host with the routes that depend on it.
struct Claim {
  const Origin* origin = nullptr;
  std::string host;                 // normalised
  bool any_depth = false;           // a Gateway API wildcard
  std::set<std::string> uncovered;  // see HostClaim::uncovered
  std::vector<RouteEntry> routes;
  // Set by ResolveOwnership.
  bool accepted = false;
  std::string refusal;
  // By scheme (0 HTTP, 1 HTTPS): what the claim leaves out below its wildcard when reached
  // over that scheme; none when it does not serve the scheme. A Gateway's listeners of one
  // port compete for a name, those of the other port do not.
  std::array<std::optional<std::set<std::string>>, 2> scheme_uncovered = {std::set<std::string>(),
                                                                          std::set<std::string>()};
};

std::string Describe(const Origin& origin) {
  return absl::StrCat(origin.kind, " ", origin.namespace_, "/", origin.name);
}

// "a", "b": quoted and comma-separated.
std::string QuotedList(const std::vector<std::string>& items) {
  return absl::StrCat("\"", absl::StrJoin(items, "\", \""), "\"");
}

std::string RegexEscapeHostLabels(const std::string& text) {
  return absl::StrReplaceAll(text, {{".", "\\."}});
}

void SetRegex(envoy::type::matcher::v3::RegexMatcher& matcher, const std::string& regex) {
  matcher.set_regex(regex);
}

// Traefik's regexp matchers search (unanchored); Envoy's match the whole value.
std::string Unanchored(const std::string& regex) { return absl::StrCat(".*(?:", regex, ").*"); }

// Why the unanchored form of `regex` cannot be used (e.g. \Q without \E swallows the
// closing parenthesis), or "".
std::string CheckRegex(const std::string& matcher_text, const std::string& regex) {
  const std::string error = Re2Error(Unanchored(regex));
  return error.empty() ? "" : absl::StrCat(matcher_text, " is not supported: ", error);
}

// A path prefix without its trailing slashes, as Ingress and Gateway API prefixes are
// matched ("/" stays "/").
std::string WithoutTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool HasControlCharacters(const std::string& text) {
  return text.find_first_of(std::string("\r\n\0", 3)) != std::string::npos;
}

// `app_tier`: behind the edge, which already appended the client to X-Forwarded-For.
HttpConnectionManager MakeHcm(const std::string& route_config_name, bool app_tier) {
  HttpConnectionManager hcm;
  hcm.set_stat_prefix(route_config_name);
  auto* rds = hcm.mutable_rds();
  *rds->mutable_config_source() = AdsConfigSource();
  rds->set_route_config_name(route_config_name);
  // The client address is the TCP peer (at the edge) or what the PROXY header says (at an
  // app tier, which accepts PROXY headers only from edge addresses). Only the edge sets
  // X-Forwarded-For, -Proto (https when the client's connection was TLS) and the request id;
  // an app tier keeps what the edge sent.
  hcm.mutable_use_remote_address()->set_value(!app_tier);
  hcm.set_skip_xff_append(app_tier);
  auto* router = hcm.add_http_filters();
  router->set_name("envoy.filters.http.router");
  router->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());
  return hcm;
}

Listener MakeHttpListener(const std::string& name, const std::string& address, uint32_t port,
                          bool app_tier) {
  Listener listener;
  listener.set_name(name);
  auto* socket = listener.mutable_address()->mutable_socket_address();
  socket->set_address(address);
  socket->set_port_value(port);
  auto* chain = listener.add_filter_chains();
  auto* filter = chain->add_filters();
  filter->set_name("envoy.filters.network.http_connection_manager");
  filter->mutable_typed_config()->PackFrom(MakeHcm(name, app_tier));
  return listener;
}

// A host's one-label wildcard ("*.example.com" matches "a.example.com", not
// "a.b.example.com", as Ingress and Traefik define it). Envoy-style domains match any number
// of labels, so every route of a wildcard virtual host also checks the authority.
void GuardWildcard(const std::string& host, RouteMatch& match) {
  if (host.size() < 3 || host.compare(0, 2, "*.") != 0) return;
  HeaderMatcher* authority = match.add_headers();
  authority->set_name(":authority");
  SetRegex(*authority->mutable_string_match()->mutable_safe_regex(),
           absl::StrCat("(?i)[^.:]+\\.", RegexEscapeHostLabels(host.substr(2)), "\\.?(:[0-9]+)?"));
}

// A new virtual host of `config` for `host`, without routes (a 404 of its own until routes
// are added). Its domains: the host as written and with a trailing dot (a fully qualified
// "shop.example.com." is the same host, and must reach the same owner).
envoy::config::route::v3::VirtualHost* AddVirtualHost(RouteConfiguration& config,
                                                      const std::string& host) {
  auto* vhost = config.add_virtual_hosts();
  vhost->set_name(host);
  vhost->add_domains(host);
  if (host != "*") vhost->add_domains(absl::StrCat(host, "."));
  return vhost;
}

void SetDirect503(Route& route, const std::string& why) {
  route.clear_route();
  auto* direct = route.mutable_direct_response();
  direct->set_status(503);
  direct->mutable_body()->set_inline_string(absl::StrCat("backend unavailable: ", why, "\n"));
}

// Names a wildcard leaves out, over several claims or attachments: a name stays out only
// if every one leaves it out. `acc` is empty before the first.
void NarrowTo(std::optional<std::set<std::string>>& acc, const std::set<std::string>& more) {
  if (!acc.has_value()) {
    acc = more;
    return;
  }
  std::set<std::string> both;
  std::set_intersection(acc->begin(), acc->end(), more.begin(), more.end(),
                        std::inserter(both, both.end()));
  acc = std::move(both);
}

class Translator {
 public:
  Translator(const source::ClusterState& state, const TwoTierOptions& options)
      : state_(state), options_(options), slices_(state) {}

  TwoTierConfig Run(TwoTierAttribution* attribution) {
    FindAppTiers();
    FindEdgeAddresses();
    for (const auto& [key, ingress] : state_.ingresses) AddIngress(ingress);
    for (const auto& [key, route] : state_.ingress_routes) AddIngressRoute(route);
    AddGatewayClasses();
    for (const auto& [key, gateway] : state_.gateways) AddGateway(gateway);
    for (const auto& [key, route] : state_.http_routes) AddHttpRoute(route);
    ResolveOwnership();
    ResolveTls();
    FinishHttpRouteStatus();
    ReportRejected();
    Emit();
    for (const auto& [ns, warnings] : edge_warnings_) {
      edge_.warnings.insert(edge_.warnings.end(), warnings.begin(), warnings.end());
    }
    if (attribution != nullptr) {
      attribution->ties = std::move(ties_);
      attribution->edge_vhosts = std::move(edge_vhosts_);
      attribution->edge_warnings = std::move(edge_warnings_);
      attribution->unserved_https_routes = std::move(unserved_https_routes_);
    }
    TwoTierConfig out;
    out.edge = std::move(edge_);
    out.apps = std::move(apps_);
    SortResources(out.edge);
    for (auto& [ns, app] : out.apps) SortResources(app);
    std::sort(served_.begin(), served_.end());
    out.served = std::move(served_);
    for (auto& [key, gateway] : gateways_) {
      out.gateway_api.gateways.push_back(std::move(gateway.status));
    }
    for (auto& [key, route] : http_routes_) {
      out.gateway_api.routes.push_back(std::move(route.status));
    }
    for (HttpRouteStatus& status : stale_route_status_) {
      out.gateway_api.routes.push_back(std::move(status));
    }
    std::sort(out.gateway_api.routes.begin(), out.gateway_api.routes.end(),
              [](const HttpRouteStatus& a, const HttpRouteStatus& b) { return a.key < b.key; });
    out.gateway_api.classes = std::move(gateway_classes_);
    out.gateway_api.controller_name = options_.gateway_controller;
    out.edge_addresses = EdgeAddresses();
    for (GatewayStatus& gateway : out.gateway_api.gateways) gateway.addresses = out.edge_addresses;
    for (auto& [key, problems] : problems_) {
      const auto& [kind, ns, name] = key;
      out.reports.push_back(ObjectReport{kind, ns, name, {problems.begin(), problems.end()}});
    }
    return out;
  }

 private:
  struct HostRoutes {
    std::string owner;
    bool deep = false;  // some accepted claim is a Gateway API wildcard
    // Names below this wildcard no accepted claim covers (see HostClaim::uncovered).
    std::optional<std::set<std::string>> uncovered;
    // The same by scheme (0 HTTP, 1 HTTPS), from the claims that serve it; none when no
    // claim serves the scheme.
    std::array<std::optional<std::set<std::string>>, 2> scheme_uncovered;
    std::vector<RouteEntry> routes;
  };
  struct AppTier {
    const source::Service* service = nullptr;
    const source::ServicePort* port = nullptr;
    uint32_t listen_port = 0;
  };

  void Report(const std::string& kind, const std::string& ns, const std::string& name,
              std::string problem) {
    problems_[{kind, ns, name}].insert(std::move(problem));
  }
  void Report(const Origin& origin, std::string problem) {
    Report(origin.kind, origin.namespace_, origin.name, std::move(problem));
  }
  // An object of namespace `from` refers to namespace `to`.
  void Tie(const std::string& from, const std::string& to) {
    if (from != to) ties_[from].namespaces.insert(to);
  }

  // `served`: an object whose problems strata reports with an annotation and Events
  // (Gateway API objects get conditions instead).
  const Origin* NewOrigin(std::string kind, const std::string& ns, const std::string& name,
                          const std::optional<absl::Time>& created, bool served = true) {
    if (served) served_.push_back(ServedObject{kind, ns, name});
    origins_.push_back(std::make_unique<Origin>(
        Origin{std::move(kind), ns, name, created.value_or(absl::InfiniteFuture())}));
    return origins_.back().get();
  }

  // ---- Which objects are strata's -------------------------------------------------------

  bool ServesClass(const std::string& class_name) const {
    if (!class_name.empty()) {
      auto it = state_.ingress_classes.find(class_name);
      return it != state_.ingress_classes.end() &&
             it->second.controller == options_.ingress_controller;
    }
    // No class: served when strata's class is the default, or when no class is.
    bool any_default = false;
    for (const auto& [name, ingress_class] : state_.ingress_classes) {
      if (!ingress_class.is_default) continue;
      if (ingress_class.controller == options_.ingress_controller) return true;
      any_default = true;
    }
    return !any_default;
  }

  // ---- Tiers ---------------------------------------------------------------------------

  void FindAppTiers() {
    for (const auto& [key, service] : state_.services) {
      auto label = service.labels.find(source::kTierLabel);
      if (label == service.labels.end() || label->second != "app") continue;
      const std::string& ns = service.namespace_;
      if (app_tiers_.contains(ns)) {
        Report("Service", ns, service.name,
               absl::StrCat("namespace \"", ns, "\" already has its app tier in Service ", ns, "/",
                            app_tiers_.at(ns).service->name, "; this one is not used"));
        continue;
      }
      const source::ServicePort* port = nullptr;
      for (const source::ServicePort& p : service.ports) {
        if (p.name == "http" || service.ports.size() == 1) port = &p;
      }
      if (port == nullptr || !IsTcp(port->protocol)) {
        Report("Service", ns, service.name,
               "an app-tier Service needs one TCP port, or a TCP port named \"http\"; the "
               "namespace is served without an app tier");
        continue;
      }
      const auto* target = std::get_if<uint32_t>(&port->target_port);
      if (target == nullptr) {
        Report("Service", ns, service.name,
               "an app-tier Service needs a numeric targetPort (the port its proxies listen "
               "on); the namespace is served without an app tier");
        continue;
      }
      app_tiers_[ns] = AppTier{&service, port, *target == 0 ? port->port : *target};
    }
  }

  std::vector<source::LoadBalancerAddress> EdgeAddresses() const {
    auto it = state_.services.find(options_.edge_service);
    if (it == state_.services.end()) return {};
    if (!it->second.load_balancer.empty()) return it->second.load_balancer;
    std::vector<source::LoadBalancerAddress> out;
    for (const std::string& ip : it->second.external_ips) out.push_back({ip, ""});
    return out;
  }

  void FindEdgeAddresses() {
    std::vector<std::string> ignored;  // the edge Service's own problems are not the tenants'
    for (const UsableSlice& slice :
         slices_.Usable(options_.edge_service.first, options_.edge_service.second, ignored)) {
      const uint32_t length = slice.slice->address_type == "IPv6" ? 128 : 32;
      // Every edge pod may send PROXY headers, ready or not: a pod that is shutting down
      // still forwards the requests it has.
      for (const auto* list : {&slice.ready, &slice.not_ready}) {
        for (const UsableSlice::Address& address : *list) {
          edge_addresses_.insert({address.ip, length});
        }
      }
    }
  }

  // ---- Backends ------------------------------------------------------------------------

  // The Service port `port` (a number, a name, or 0 for "the only port") of Service ns/name,
  // or an explanation of why there is none.
  // `reason`, if given, receives the Gateway API ResolvedRefs reason of a failure
  // (BackendNotFound or UnsupportedProtocol).
  std::variant<Backend, std::string> FindBackend(const std::string& ns, const std::string& name,
                                                 const std::variant<uint32_t, std::string>& port,
                                                 std::string* reason = nullptr) {
    std::string ignored;
    std::string& why = reason != nullptr ? *reason : ignored;
    why = "BackendNotFound";
    auto it = state_.services.find({ns, name});
    if (it == state_.services.end()) return absl::StrCat("Service ", ns, "/", name, " not found");
    const source::Service& service = it->second;
    if (service.type == "ExternalName") {
      why = "UnsupportedProtocol";
      return absl::StrCat("Service ", ns, "/", name,
                          " is of type ExternalName, which strata does "
                          "not route to");
    }
    const source::ServicePort* found = nullptr;
    if (const auto* number = std::get_if<uint32_t>(&port)) {
      for (const source::ServicePort& p : service.ports) {
        if ((*number == 0 && service.ports.size() == 1) || (*number != 0 && p.port == *number)) {
          found = &p;
        }
      }
      if (found == nullptr) {
        return *number == 0 ? absl::StrCat("Service ", ns, "/", name,
                                           " has several ports; name the one to use")
                            : absl::StrCat("Service ", ns, "/", name, " has no port ", *number);
      }
    } else {
      const std::string& port_name = std::get<std::string>(port);
      for (const source::ServicePort& p : service.ports) {
        if (p.name == port_name) found = &p;
      }
      if (found == nullptr) {
        return absl::StrCat("Service ", ns, "/", name, " has no port named \"", port_name, "\"");
      }
    }
    if (!IsTcp(found->protocol)) {
      why = "UnsupportedProtocol";
      return absl::StrCat("Service ", ns, "/", name, " port ", found->port, " is ", found->protocol,
                          ", not TCP");
    }
    return Backend{&service, found};
  }

  // Points `entry.route` at `backends` (weights as given; one backend: a plain cluster).
  static void RouteTo(RouteEntry& entry, std::vector<std::pair<Backend, uint32_t>> backends) {
    auto* action = entry.route.mutable_route();
    if (backends.size() == 1) {
      const Backend& b = backends.front().first;
      action->set_cluster(ServiceClusterName(b.service->namespace_, b.service->name, b.port->port));
    } else {
      auto* weighted = action->mutable_weighted_clusters();
      for (const auto& [b, weight] : backends) {
        auto* cluster = weighted->add_clusters();
        cluster->set_name(ServiceClusterName(b.service->namespace_, b.service->name, b.port->port));
        cluster->mutable_weight()->set_value(weight);
      }
    }
    for (const auto& [b, weight] : backends) entry.backends.push_back(b);
  }

  // ---- Ingress -------------------------------------------------------------------------

  void AddIngress(const source::Ingress& ingress) {
    if (!ServesClass(ingress.ingress_class)) return;
    const Origin* origin = NewOrigin("Ingress", ingress.namespace_, ingress.name, ingress.created);
    for (size_t t = 0; t < ingress.tls.size(); ++t) {
      const source::IngressTls& tls = ingress.tls[t];
      const std::string field = absl::StrCat("spec.tls[", t, "]");
      // Without hosts, an entry is for the hosts of the rules.
      std::vector<std::string> hosts = tls.hosts;
      if (hosts.empty()) {
        for (const source::IngressRule& rule : ingress.rules) {
          if (!rule.host.empty()) hosts.push_back(rule.host);
        }
      }
      if (hosts.empty()) continue;
      if (tls.secret_name.empty()) {
        Report(*origin,
               absl::StrCat(field, ": no secretName, and strata has no default certificate; ",
                            "hosts ", QuotedList(hosts), " are served over HTTP only"));
        continue;
      }
      for (const std::string& host : hosts) {
        tls_requests_.push_back(TlsRequest{
            origin, NormalizeClaimedHost(host), {ingress.namespace_, tls.secret_name}, field});
      }
    }
    for (size_t r = 0; r < ingress.rules.size(); ++r) {
      const source::IngressRule& rule = ingress.rules[r];
      Claim& claim = ClaimFor(origin, rule.host);
      for (size_t p = 0; p < rule.paths.size(); ++p) {
        const source::IngressPath& path = rule.paths[p];
        if (path.path.find_first_of("?#") != std::string::npos) {
          // The path of a request never holds them (they start the query and the fragment).
          Report(*origin, absl::StrCat("spec.rules[", r, "].paths[", p, "]: path \"", path.path,
                                       "\" contains '?' or '#', which no request path can "
                                       "match; not routed"));
          continue;
        }
        RouteEntry entry = NewEntry(origin, 2, {r, p});
        entry.route.set_name(absl::StrCat(Describe(*origin), " rules[", r, "].paths[", p, "]"));
        const bool exact = path.path_type == "Exact";
        // Element-wise: "/foo/" is the same prefix as "/foo" (the trailing slash is ignored).
        const std::string prefix =
            exact ? path.path : WithoutTrailingSlashes(path.path.empty() ? "/" : path.path);
        if (exact) {
          entry.route.mutable_match()->set_path(path.path);
        } else if (prefix == "/") {
          entry.route.mutable_match()->set_prefix("/");
        } else {
          entry.route.mutable_match()->set_path_separated_prefix(prefix);
        }
        entry.order = {-static_cast<int64_t>(exact ? path.path.size() : prefix.size()),
                       exact ? 0 : 1};
        entry.ingress_path_key =
            absl::StrCat(exact ? "Exact " : "Prefix ", exact ? path.path : prefix);
        SetIngressBackend(entry, ingress.namespace_, path.backend, *origin,
                          absl::StrCat("spec.rules[", r, "].paths[", p, "]"));
        claim.routes.push_back(std::move(entry));
      }
    }
    if (ingress.default_backend.has_value()) {
      Claim& claim = ClaimFor(origin, "");
      RouteEntry entry = NewEntry(origin, 3, {});
      entry.route.set_name(absl::StrCat(Describe(*origin), " defaultBackend"));
      entry.route.mutable_match()->set_prefix("/");
      SetIngressBackend(entry, ingress.namespace_, *ingress.default_backend, *origin,
                        "spec.defaultBackend");
      claim.routes.push_back(std::move(entry));
    }
  }

  void SetIngressBackend(RouteEntry& entry, const std::string& ns,
                         const source::IngressBackend& backend, const Origin& origin,
                         const std::string& field) {
    if (backend.service_name.empty()) {
      const std::string why =
          absl::StrCat("resource backends (", backend.resource_kind, ") are not supported");
      Report(origin, absl::StrCat(field, ": ", why, "; requests get 503"));
      SetDirect503(entry.route, why);
      return;
    }
    auto found = FindBackend(ns, backend.service_name, backend.service_port);
    if (auto* why = std::get_if<std::string>(&found)) {
      Report(origin, absl::StrCat(field, ": ", *why, "; requests get 503"));
      SetDirect503(entry.route, *why);
      return;
    }
    RouteTo(entry, {{std::get<Backend>(found), 1}});
  }

  // ---- IngressRoute --------------------------------------------------------------------

  void AddIngressRoute(const source::IngressRoute& ir) {
    if (!ir.ingress_class.empty() && !ServesClass(ir.ingress_class)) return;
    const Origin* origin = NewOrigin("IngressRoute", ir.namespace_, ir.name, ir.created);
    // Every host a rule names is claimed, even when the route is then refused (a middleware
    // strata cannot apply, only a TLS entry point): the host stays its namespace's, and a
    // newer object of another namespace cannot take it meanwhile.
    std::vector<std::optional<TraefikRule>> rules;
    std::set<std::string> claimed;  // normalised, for the certificate of spec.tls
    for (size_t r = 0; r < ir.routes.size(); ++r) {
      absl::StatusOr<TraefikRule> rule = ParseTraefikRule(ir.routes[r].match);
      if (!rule.ok()) {  // the manifest reader checks rules; kept for other sources
        Report(*origin, absl::StrCat("spec.routes[", r, "].match: ", rule.status().message()));
        rules.emplace_back();
        continue;
      }
      for (const std::vector<TraefikMatcher>& alternative : rule->alternatives) {
        bool host_regexp = false;
        std::set<std::string> hosts;
        for (const TraefikMatcher& m : alternative) {
          const bool host = m.kind == TraefikMatcher::Kind::kHost && !m.negated;
          // "**" patterns are refused below; they claim nothing (as a HostRegexp).
          if (host && m.value.rfind("**", 0) != 0) hosts.insert(m.value);
          host_regexp |=
              m.kind == TraefikMatcher::Kind::kHostRegexp || (host && m.value.rfind("**", 0) == 0);
        }
        if (hosts.empty() && !host_regexp) hosts.insert("");  // no Host: every host
        for (const std::string& host : hosts) {
          ClaimFor(origin, host);
          if (!host.empty()) claimed.insert(NormalizeClaimedHost(host));
        }
      }
      rules.emplace_back(*std::move(rule));
    }
    // Entry points: strata's edge has "web" (HTTP) and "websecure" (HTTPS); none named means
    // every entry point. A router with tls serves TLS requests only, as in Traefik.
    uint8_t schemes = ir.entry_points.empty() ? kBothSchemes : 0;
    for (const std::string& name : ir.entry_points) {
      if (name == kWebEntryPoint) {
        schemes |= kHttp;
      } else if (name == kWebSecureEntryPoint) {
        schemes |= kHttps;
      } else {
        Report(*origin,
               absl::StrCat("spec.entryPoints: \"", name,
                            "\" is not an entry point of strata's edge (\"", kWebEntryPoint,
                            "\": HTTP, \"", kWebSecureEntryPoint, "\": HTTPS); ignored"));
      }
    }
    const bool web_only = schemes == kHttp;
    if (ir.tls) schemes &= kHttps;
    if (schemes == 0) {
      Report(*origin, ir.tls && web_only
                          ? absl::StrCat("spec.tls with only the entry point \"", kWebEntryPoint,
                                         "\": strata serves TLS on \"", kWebSecureEntryPoint,
                                         "\" only; not routed")
                          : absl::StrCat("spec.entryPoints [", absl::StrJoin(ir.entry_points, ", "),
                                         "]: none is an entry point of strata's edge; not routed"));
      return;
    }
    if (ir.tls && !ir.tls_secret_name.empty()) {
      for (const std::string& host : claimed) {
        tls_requests_.push_back(
            TlsRequest{origin, host, {ir.namespace_, ir.tls_secret_name}, "spec.tls"});
      }
    } else if (!ir.tls_cert_resolver.empty()) {
      Report(*origin, absl::StrCat("spec.tls.certResolver \"", ir.tls_cert_resolver,
                                   "\" is not supported yet; the routes serve HTTPS where "
                                   "another object of the namespace gives the host a "
                                   "certificate"));
    }
    for (size_t r = 0; r < ir.routes.size(); ++r) {
      if (rules[r].has_value()) AddTraefikRoute(ir, *origin, r, *rules[r], schemes);
    }
  }

  // `schemes`: the edge listeners the route serves (from entryPoints and tls).
  void AddTraefikRoute(const source::IngressRoute& ir, const Origin& origin, size_t r,
                       const TraefikRule& parsed, uint8_t schemes) {
    const source::IngressRouteRoute& spec = ir.routes[r];
    const std::string field = absl::StrCat("spec.routes[", r, "]");
    const TraefikRule* rule = &parsed;
    if (!spec.middlewares.empty()) {
      std::vector<std::string> names;
      for (const source::MiddlewareRef& m : spec.middlewares) names.push_back(m.name);
      Report(origin, absl::StrCat(field, ".middlewares [", absl::StrJoin(names, ", "),
                                  "]: middlewares are not supported yet; the route is not "
                                  "routed, so nothing it protects is exposed"));
      return;
    }
    // Backends first: they are the same for every alternative of the rule.
    std::vector<std::pair<Backend, uint32_t>> backends;
    std::string unavailable;
    for (size_t s = 0; s < spec.services.size(); ++s) {
      const source::IngressRouteService& svc = spec.services[s];
      const std::string sfield = absl::StrCat(field, ".services[", s, "]");
      std::string unsupported;
      if (svc.kind != "Service") {
        unsupported = absl::StrCat("kind ", svc.kind, " is not supported yet");
      } else if (!svc.namespace_.empty() && svc.namespace_ != ir.namespace_) {
        unsupported = absl::StrCat("namespace \"", svc.namespace_,
                                   "\": services of other namespaces are refused (as Traefik "
                                   "does without allowCrossNamespace)");
      } else if (!svc.scheme.empty() && svc.scheme != "http") {
        unsupported = absl::StrCat("scheme ", svc.scheme, " is not supported yet");
      } else if (!svc.pass_host_header) {
        unsupported = "passHostHeader: false is not supported yet";
      }
      if (!unsupported.empty()) {
        Report(origin, absl::StrCat(sfield, ": ", unsupported, "; the route is not routed"));
        return;
      }
      auto found = FindBackend(ir.namespace_, svc.name, svc.port);
      if (auto* why = std::get_if<std::string>(&found)) {
        Report(origin, absl::StrCat(sfield, ": ", *why, "; requests get 503"));
        unavailable = *why;
        continue;
      }
      const int64_t weight = svc.weight.value_or(1);
      if (weight < 0 || weight > 1'000'000) {
        Report(origin, absl::StrCat(sfield, ".weight: ", weight,
                                    " is out of range (0..1000000); the route is not routed"));
        return;
      }
      if (weight > 0)
        backends.emplace_back(std::get<Backend>(found), static_cast<uint32_t>(weight));
    }
    if (spec.services.empty()) {
      Report(origin, absl::StrCat(field, ".services: none; the route is not routed"));
      return;
    }
    if (unavailable.empty() && backends.empty()) {
      unavailable = "every service has weight 0";
      Report(origin, absl::StrCat(field, ".services: ", unavailable, "; requests get 503"));
    }

    const int64_t priority = spec.priority != 0 ? spec.priority : rule->default_priority;
    for (size_t a = 0; a < rule->alternatives.size(); ++a) {
      const std::vector<TraefikMatcher>& matchers = rule->alternatives[a];
      RouteEntry entry = NewEntry(&origin, 0, {r, a});
      entry.schemes = schemes;
      entry.order[0] = -priority;
      entry.route.set_name(absl::StrCat(
          Describe(origin), " routes[", r, "]",
          rule->alternatives.size() > 1 ? absl::StrCat(" alternative ", a) : std::string()));
      std::optional<std::string> host;
      std::string problem;
      bool has_path = false;
      RouteMatch& match = *entry.route.mutable_match();
      for (const TraefikMatcher& m : matchers) {
        problem = ApplyMatcher(m, match, host, has_path);
        if (!problem.empty()) break;
      }
      if (!problem.empty()) {
        Report(origin, absl::StrCat(field, ".match: ", problem,
                                    rule->alternatives.size() > 1
                                        ? "; this alternative of the rule is not routed"
                                        : "; the route is not routed"));
        continue;
      }
      if (!has_path) match.set_prefix("/");
      if (!unavailable.empty()) {
        SetDirect503(entry.route, unavailable);
      } else {
        RouteTo(entry, backends);
      }
      ClaimFor(&origin, host.value_or("")).routes.push_back(std::move(entry));
    }
  }

  // Adds matcher `m` to `match`; returns why it cannot be, or "".
  static std::string ApplyMatcher(const TraefikMatcher& m, RouteMatch& match,
                                  std::optional<std::string>& host, bool& has_path) {
    using Kind = TraefikMatcher::Kind;
    const std::string text = ToString(m);
    const bool is_path =
        m.kind == Kind::kPath || m.kind == Kind::kPathPrefix || m.kind == Kind::kPathRegexp;
    if (m.negated && (m.kind == Kind::kHost || is_path || m.kind == Kind::kQuery ||
                      m.kind == Kind::kQueryRegexp)) {
      return absl::StrCat(text, " is not supported (a negated host, path or query matcher)");
    }
    switch (m.kind) {
      case Kind::kHost:
        if (m.value.rfind("**", 0) == 0) {
          return absl::StrCat(text,
                              " is not supported: a host must be a name or a one-label "
                              "wildcard such as *.example.com");
        }
        if (host.has_value() && *host != m.value) {
          return absl::StrCat(text, " together with Host(`", *host, "`) matches no request");
        }
        host = m.value;
        return "";
      case Kind::kHostRegexp:
        return absl::StrCat(text, " is not supported yet: a host must be known to be owned");
      case Kind::kClientIP:
        return absl::StrCat(text, " is not supported yet");
      case Kind::kPath:
      case Kind::kPathPrefix:
      case Kind::kPathRegexp:
        if (has_path) return absl::StrCat(text, ": only one path matcher per alternative");
        has_path = true;
        if (m.kind == Kind::kPath) {
          match.set_path(m.value);
        } else if (m.kind == Kind::kPathPrefix) {
          match.set_prefix(m.value);  // a plain string prefix, as Traefik's PathPrefix
        } else {
          if (std::string bad = CheckRegex(text, m.value); !bad.empty()) return bad;
          SetRegex(*match.mutable_safe_regex(), Unanchored(m.value));
        }
        return "";
      case Kind::kHeader:
      case Kind::kHeaderRegexp:
      case Kind::kMethod: {
        if (m.kind == Kind::kHeaderRegexp) {
          if (std::string bad = CheckRegex(text, m.value); !bad.empty()) return bad;
        }
        // Traefik's !Header(`k`, `v`) also matches a request without k. Envoy's inverted
        // matchers never match a missing header unless it is taken as empty, which is right
        // only when the empty value would not match.
        if (m.negated && m.kind != Kind::kMethod &&
            (m.kind == Kind::kHeader ? m.value.empty()
                                     : re2::RE2::FullMatch("", re2::RE2(Unanchored(m.value))))) {
          return absl::StrCat(text, " is not supported: it matches an empty value");
        }
        HeaderMatcher* header = match.add_headers();
        header->set_name(m.kind == Kind::kMethod ? ":method" : m.key);
        header->set_invert_match(m.negated);
        header->set_treat_missing_header_as_empty(m.negated && m.kind != Kind::kMethod);
        if (m.kind == Kind::kHeaderRegexp) {
          SetRegex(*header->mutable_string_match()->mutable_safe_regex(), Unanchored(m.value));
        } else {
          header->mutable_string_match()->set_exact(m.value);
        }
        return "";
      }
      case Kind::kQuery:
      case Kind::kQueryRegexp: {
        auto* query = match.add_query_parameters();
        query->set_name(m.key);
        if (m.key_only) {
          query->set_present_match(true);
        } else if (m.kind == Kind::kQueryRegexp) {
          if (std::string bad = CheckRegex(text, m.value); !bad.empty()) return bad;
          SetRegex(*query->mutable_string_match()->mutable_safe_regex(), Unanchored(m.value));
        } else {
          query->mutable_string_match()->set_exact(m.value);
        }
        return "";
      }
    }
    return absl::StrCat(text, " is not supported");
  }

  // ---- Gateway API ---------------------------------------------------------------------

  struct GatewayInfo {
    const source::Gateway* gateway = nullptr;
    std::vector<bool> listener_ok;  // by listener index: programmed on the edge
    // By listener index: the Secret whose certificate an HTTPS listener serves.
    std::vector<std::optional<ObjectKey>> listener_secret;
    // Hostnames of its served listeners ("" for none), by port: listeners of one port compete
    // for a request, those of the other do not.
    std::map<uint32_t, std::set<std::string>> served_hosts;
    GatewayStatus status;
  };

  struct PendingParent {
    RouteParentStatus status;        // conditions set when the parent refuses the route
    std::vector<std::string> hosts;  // effective hostnames ("" = every host)
  };

  struct HttpRouteInfo {
    const Origin* origin = nullptr;
    std::vector<PendingParent> parents;
    std::vector<std::string> dropped;  // "Dropped Rule rules[2]: ..."
    size_t rules_kept = 0;
    std::vector<std::pair<std::string, std::string>> unresolved;  // (reason, message)
    HttpRouteStatus status;
  };

  static Condition Cond(std::string type, bool ok, std::string reason, std::string message) {
    return Condition{std::move(type), ok ? "True" : "False", std::move(reason), std::move(message)};
  }

  bool ServesGatewayClass(const std::string& name) const {
    auto it = state_.gateway_classes.find(name);
    return it != state_.gateway_classes.end() &&
           it->second.controller_name == options_.gateway_controller;
  }

  void AddGatewayClasses() {
    for (const auto& [name, gateway_class] : state_.gateway_classes) {
      if (gateway_class.controller_name != options_.gateway_controller) continue;
      gateway_classes_.push_back(
          GatewayClassStatus{name,
                             gateway_class.generation,
                             {Cond("Accepted", true, "Accepted", "served by strata's edge tier")}});
    }
  }

  static bool IsHttpRouteKind(const source::GroupKind& kind) {
    return kind.group == source::kGatewayApiGroup && kind.kind == "HTTPRoute";
  }

  void AddGateway(const source::Gateway& gateway) {
    if (!ServesGatewayClass(gateway.gateway_class_name)) return;
    GatewayInfo& info = gateways_[{gateway.namespace_, gateway.name}];
    info.gateway = &gateway;
    info.status.key = {gateway.namespace_, gateway.name};
    info.status.generation = gateway.generation;
    info.status.uid = gateway.uid;
    const size_t n = gateway.listeners.size();
    info.listener_ok.assign(n, false);
    info.listener_secret.assign(n, std::nullopt);

    // Conflicts among listeners of one port: different protocols, or one hostname twice.
    std::vector<std::string> conflict(n);  // reason, "" when none
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        const source::GatewayListener& a = gateway.listeners[i];
        const source::GatewayListener& b = gateway.listeners[j];
        if (i == j || a.port != b.port) continue;
        if (a.protocol != b.protocol) {
          conflict[i] = "ProtocolConflict";
        } else if (conflict[i].empty() && a.hostname == b.hostname) {
          conflict[i] = "HostnameConflict";
        }
      }
    }

    size_t valid = 0;
    for (size_t i = 0; i < n; ++i) {
      const source::GatewayListener& listener = gateway.listeners[i];
      ListenerStatus status;
      status.name = listener.name;
      const bool https = listener.protocol == "HTTPS";
      const uint32_t port = https ? options_.gateway_https_port : options_.gateway_http_port;
      const std::string served_on =
          absl::StrCat("served on the edge's ", https ? "HTTPS" : "HTTP", " listener");
      std::string accepted_reason = "Accepted";
      std::string accepted_message = served_on;
      if (listener.protocol != "HTTP" && !https) {
        accepted_reason = "UnsupportedProtocol";
        accepted_message = absl::StrCat("protocol ", listener.protocol,
                                        " is not supported; strata serves HTTP and HTTPS");
      } else if (https && !listener.tls_mode.empty() && listener.tls_mode != "Terminate") {
        accepted_reason = "UnsupportedProtocol";
        accepted_message = absl::StrCat("TLS mode ", listener.tls_mode,
                                        " is not supported; strata terminates TLS at the edge");
      } else if (listener.port != port) {
        accepted_reason = "PortUnavailable";
        accepted_message = absl::StrCat("port ", listener.port, " is not served: the edge serves ",
                                        listener.protocol, " on port ", port);
      }
      const bool accepted = accepted_reason == "Accepted";
      // An HTTPS listener serves the first certificate it may use; the others are reported.
      std::vector<std::string> bad_certificates;
      std::vector<std::string> extra_certificates;  // valid, but not served
      std::string certificate_reason;
      if (https) {
        for (size_t c = 0; c < listener.certificate_refs.size(); ++c) {
          const source::SecretObjectReference& ref = listener.certificate_refs[c];
          const std::string ns = ref.namespace_.empty() ? gateway.namespace_ : ref.namespace_;
          Tie(gateway.namespace_, ns);
          const std::string field = absl::StrCat("tls.certificateRefs[", c, "]");
          std::string problem;
          std::string reason = "InvalidCertificateRef";
          if (!ref.group.empty() || (!ref.kind.empty() && ref.kind != "Secret")) {
            problem = "only Secrets are supported";
          } else if (ns != gateway.namespace_ &&
                     !ReferenceGranted(state_, source::kGatewayApiGroup, "Gateway",
                                       gateway.namespace_, "", "Secret", ns, ref.name)) {
            reason = "RefNotPermitted";
            problem =
                absl::StrCat("Secret ", ns, "/", ref.name,
                             " is in another namespace and no ReferenceGrant there allows it");
          } else if (!state_.tls_secrets.contains({ns, ref.name})) {
            problem = SecretProblem(ns, ref.name);
          } else if (!info.listener_secret[i].has_value()) {
            info.listener_secret[i] = ObjectKey{ns, ref.name};
          } else {
            extra_certificates.push_back(
                absl::StrCat(field, ": strata serves one certificate per listener; not used"));
          }
          if (!problem.empty()) {
            bad_certificates.push_back(absl::StrCat(field, ": ", problem));
            if (certificate_reason.empty() || reason == "RefNotPermitted") {
              certificate_reason = reason;
            }
          }
        }
        if (listener.certificate_refs.empty()) {
          certificate_reason = "InvalidCertificateRef";
          bad_certificates.push_back("tls.certificateRefs: no certificate");
        }
      }
      const bool has_certificate = !https || info.listener_secret[i].has_value();
      // Route kinds: HTTPRoute is the only one an HTTP listener takes.
      std::vector<std::string> invalid_kinds;
      if (listener.allowed_kinds.empty()) {
        status.supported_kinds.push_back({source::kGatewayApiGroup, "HTTPRoute"});
      } else {
        for (const source::GroupKind& kind : listener.allowed_kinds) {
          if (IsHttpRouteKind(kind)) {
            status.supported_kinds.push_back(kind);
          } else {
            invalid_kinds.push_back(kind.group.empty() ? kind.kind
                                                       : absl::StrCat(kind.group, "/", kind.kind));
          }
        }
      }
      const bool kinds_ok = !status.supported_kinds.empty();
      const bool ok = accepted && conflict[i].empty() && kinds_ok && has_certificate;
      info.listener_ok[i] = ok;
      valid += ok ? 1 : 0;
      if (!listener.hostname.empty()) {
        ties_[gateway.namespace_].names.insert(NormalizeClaimedHost(listener.hostname));
      }
      if (ok) info.served_hosts[listener.port].insert(listener.hostname);

      status.conditions.push_back(Cond("Accepted", accepted, accepted_reason, accepted_message));
      status.conditions.push_back(
          conflict[i].empty()
              ? Cond("Conflicted", false, "NoConflicts", "no conflict with other listeners")
              : Condition{"Conflicted", "True", conflict[i],
                          conflict[i] == "ProtocolConflict"
                              ? absl::StrCat("another listener on port ", listener.port,
                                             " has a different protocol; neither is served")
                              : absl::StrCat("another listener on port ", listener.port,
                                             " has the same hostname \"", listener.hostname,
                                             "\"; neither is served")});
      if (!invalid_kinds.empty()) {
        status.conditions.push_back(
            Cond("ResolvedRefs", false, "InvalidRouteKinds",
                 absl::StrCat("route kinds not supported: ", absl::StrJoin(invalid_kinds, ", "))));
      } else if (!bad_certificates.empty()) {
        status.conditions.push_back(
            Cond("ResolvedRefs", false, certificate_reason, absl::StrJoin(bad_certificates, "; ")));
      } else {
        status.conditions.push_back(Cond(
            "ResolvedRefs", true, "ResolvedRefs",
            extra_certificates.empty() ? std::string("all references resolved")
                                       : absl::StrCat("all references resolved; ",
                                                      absl::StrJoin(extra_certificates, "; "))));
      }
      status.conditions.push_back(ok ? Cond("Programmed", true, "Programmed", served_on)
                                     : Cond("Programmed", false, "Invalid", "not served"));
      info.status.listeners.push_back(std::move(status));
    }
    if (valid == n) {
      info.status.conditions.push_back(
          Cond("Accepted", true, "Accepted", "every listener is served"));
    } else {
      info.status.conditions.push_back(Cond(
          "Accepted", valid > 0, "ListenersNotValid",
          absl::StrCat(n - valid, " of ", n, " listeners are not valid; see their conditions")));
    }
    info.status.conditions.push_back(
        valid > 0 ? Cond("Programmed", true, "Programmed", "served by the edge tier")
                  : Cond("Programmed", false, "Invalid", "no listener can be served"));
  }

  // Whether listener `l` of `gateway` lets routes of namespace `ns` attach.
  bool ListenerAllows(const source::Gateway& gateway, const source::GatewayListener& l,
                      const std::string& ns) const {
    if (l.allowed_from == "All") return true;
    if (l.allowed_from == "Selector") {
      return SelectorMatches(l.allowed_selector, NamespaceLabels(state_, ns));
    }
    return ns == gateway.namespace_;  // Same
  }

  // Whether listener hostname `a` is more specific than `b`: an exact name beats a wildcard,
  // a longer wildcard a shorter one, and anything beats none.
  static bool MoreSpecificListener(const std::string& a, const std::string& b) {
    if (a == b || a.empty()) return false;
    if (b.empty()) return true;
    const bool a_wild = absl::StartsWith(a, "*.");
    const bool b_wild = absl::StartsWith(b, "*.");
    if (!a_wild) return b_wild;
    return b_wild && a.size() > b.size();
  }

  // Whether a served listener of the same Gateway, more specific than `listener_host`, also
  // matches `host`: requests for `host` belong to that listener (the Gateway API's listener
  // precedence), so a route reaching `host` through the wider listener must not get them.
  static bool TakenByMoreSpecificListener(const GatewayInfo& gateway, uint32_t port,
                                          const std::string& listener_host,
                                          const std::string& host) {
    auto served = gateway.served_hosts.find(port);
    if (served == gateway.served_hosts.end()) return false;
    return std::any_of(served->second.begin(), served->second.end(), [&](const std::string& other) {
      return MoreSpecificListener(other, listener_host) && IntersectHostnames(other, host) == host;
    });
  }

  // The hostnames of the Gateway's more specific listeners below the wildcard `host` reached
  // through `listener_host`: the wildcard does not cover them.
  static std::set<std::string> Uncovered(const GatewayInfo& gateway, uint32_t port,
                                         const std::string& listener_host,
                                         const std::string& host) {
    std::set<std::string> out;
    auto served = gateway.served_hosts.find(port);
    if (!absl::StartsWith(host, "*.") || served == gateway.served_hosts.end()) return out;
    for (const std::string& other : served->second) {
      if (other != host && MoreSpecificListener(other, listener_host) &&
          IntersectHostnames(host, other) == other) {
        out.insert(NormalizeClaimedHost(other));
      }
    }
    return out;
  }

  void AddHttpRoute(const source::HttpRoute& route) {
    HttpRouteInfo info;
    std::set<std::string> hosts;
    // Normalised host → by scheme (0 HTTP, 1 HTTPS), what its wildcard leaves out; none for
    // a scheme it did not attach through.
    std::map<std::string, std::array<std::optional<std::set<std::string>>, 2>>
        scheme_uncovered_by_host;
    std::vector<std::pair<std::string, ObjectKey>> certificates;  // (host, Secret) via HTTPS
    for (const source::ParentReference& written : route.parent_refs) {
      source::ParentReference ref = written;
      if (ref.namespace_.empty()) ref.namespace_ = route.namespace_;
      Tie(route.namespace_, ref.namespace_);
      if (ref.group != source::kGatewayApiGroup || ref.kind != "Gateway") continue;
      auto gw = gateways_.find({ref.namespace_, ref.name});
      if (gw == gateways_.end()) continue;  // not a Gateway strata serves
      GatewayInfo& gateway = gw->second;
      PendingParent parent;
      parent.status.parent_ref = ref;
      std::vector<size_t> selected;
      for (size_t i = 0; i < gateway.gateway->listeners.size(); ++i) {
        const source::GatewayListener& l = gateway.gateway->listeners[i];
        if (!ref.section_name.empty() && l.name != ref.section_name) continue;
        if (ref.port.has_value() && l.port != *ref.port) continue;
        selected.push_back(i);
      }
      std::vector<size_t> allowed;
      for (size_t i : selected) {
        const source::GatewayListener& l = gateway.gateway->listeners[i];
        const ListenerStatus& ls = gateway.status.listeners[i];
        if (!gateway.listener_ok[i] || !ListenerAllows(*gateway.gateway, l, route.namespace_) ||
            std::none_of(ls.supported_kinds.begin(), ls.supported_kinds.end(), IsHttpRouteKind)) {
          continue;
        }
        allowed.push_back(i);
      }
      if (selected.empty()) {
        parent.status.conditions.push_back(Cond(
            "Accepted", false, "NoMatchingParent",
            absl::StrCat(
                "Gateway ", ref.namespace_, "/", ref.name, " has no listener",
                ref.section_name.empty() ? "" : absl::StrCat(" named \"", ref.section_name, "\""),
                ref.port.has_value() ? absl::StrCat(" on port ", *ref.port) : "")));
      } else if (allowed.empty()) {
        parent.status.conditions.push_back(
            Cond("Accepted", false, "NotAllowedByListeners",
                 absl::StrCat("no served listener of Gateway ", ref.namespace_, "/", ref.name,
                              " allows HTTPRoutes from namespace \"", route.namespace_, "\"")));
      } else {
        for (size_t i : allowed) {
          ++gateway.status.listeners[i].attached_routes;
          const source::GatewayListener& listener = gateway.gateway->listeners[i];
          const std::string& listener_host = listener.hostname;
          const uint8_t scheme = listener.protocol == "HTTPS" ? kHttps : kHttp;
          std::vector<std::string> candidates;
          if (route.hostnames.empty()) candidates.push_back(listener_host);
          for (const std::string& h : route.hostnames) {
            if (auto host = IntersectHostnames(listener_host, h)) candidates.push_back(*host);
          }
          for (std::string& host : candidates) {
            if (TakenByMoreSpecificListener(gateway, listener.port, listener_host, host)) {
              continue;
            }
            // Through several listeners of one scheme a wildcard covers what any of them lets
            // it cover.
            std::set<std::string> uncovered =
                Uncovered(gateway, listener.port, listener_host, host);
            const std::string normalised = NormalizeClaimedHost(host);
            NarrowTo(scheme_uncovered_by_host[normalised][scheme == kHttps ? 1 : 0], uncovered);
            if (scheme == kHttps && !host.empty()) {
              certificates.emplace_back(host, *gateway.listener_secret[i]);
            }
            parent.hosts.push_back(std::move(host));
          }
        }
        std::sort(parent.hosts.begin(), parent.hosts.end());
        parent.hosts.erase(std::unique(parent.hosts.begin(), parent.hosts.end()),
                           parent.hosts.end());
        if (parent.hosts.empty()) {
          parent.status.conditions.push_back(
              Cond("Accepted", false, "NoMatchingListenerHostname",
                   absl::StrCat("no hostname of the route matches a listener hostname of "
                                "Gateway ",
                                ref.namespace_, "/", ref.name)));
        }
        hosts.insert(parent.hosts.begin(), parent.hosts.end());
      }
      info.parents.push_back(std::move(parent));
    }
    if (info.parents.empty()) {
      // Not attached to a Gateway of strata's. If strata reported on it before, its entries
      // go: an empty status for strata's controller removes them.
      if (route.status_controllers.contains(options_.gateway_controller)) {
        http_routes_[{route.namespace_, route.name}] = std::move(info);
      }
      return;
    }

    info.origin = NewOrigin("HTTPRoute", route.namespace_, route.name, route.created,
                            /*served=*/false);
    std::vector<RouteEntry> entries;
    for (size_t r = 0; r < route.rules.size(); ++r) AddHttpRouteRule(route, r, info, entries);
    for (const std::string& host : hosts) {
      Claim& claim = ClaimFor(info.origin, host, absl::StartsWith(host, "*."));
      const std::string normalised = NormalizeClaimedHost(host);
      claim.scheme_uncovered = scheme_uncovered_by_host[normalised];
      // Through several listeners a wildcard covers what any of them lets it cover.
      std::optional<std::set<std::string>> uncovered;
      for (const auto& by_scheme : claim.scheme_uncovered) {
        if (by_scheme.has_value()) NarrowTo(uncovered, *by_scheme);
      }
      claim.uncovered = uncovered.value_or(std::set<std::string>());
      // Served over the schemes of the listeners it attached through.
      const uint8_t schemes = (claim.scheme_uncovered[0].has_value() ? kHttp : 0) |
                              (claim.scheme_uncovered[1].has_value() ? kHttps : 0);
      for (const RouteEntry& entry : entries) {
        claim.routes.push_back(entry);
        claim.routes.back().schemes = schemes;
      }
    }
    for (auto& [host, secret] : certificates) {
      tls_requests_.push_back(TlsRequest{info.origin, NormalizeClaimedHost(host), std::move(secret),
                                         "the certificate of its Gateway"});
    }
    http_routes_[{route.namespace_, route.name}] = std::move(info);
  }

  // Translates rule `r` into one entry per match, or records why it is dropped.
  void AddHttpRouteRule(const source::HttpRoute& route, size_t r, HttpRouteInfo& info,
                        std::vector<RouteEntry>& entries) {
    const source::HttpRouteRule& rule = route.rules[r];
    const Origin& origin = *info.origin;
    const std::string field = absl::StrCat("spec.rules[", r, "]");
    auto drop = [&](const std::string& why) {
      info.dropped.push_back(absl::StrCat(field, ": ", why));
      Report(origin, absl::StrCat(field, ": ", why, "; the rule is not routed"));
    };

    // Filters: header modifiers, a redirect or a rewrite.
    const source::HttpRouteFilter* redirect = nullptr;
    const source::HttpRouteFilter* rewrite = nullptr;
    std::vector<const source::HttpRouteFilter*> header_filters;
    for (size_t f = 0; f < rule.filters.size(); ++f) {
      const source::HttpRouteFilter& filter = rule.filters[f];
      if (filter.type == "RequestRedirect" && filter.request_redirect.has_value()) {
        redirect = &filter;
      } else if (filter.type == "URLRewrite" && filter.url_rewrite.has_value()) {
        rewrite = &filter;
      } else if ((filter.type == "RequestHeaderModifier" &&
                  filter.request_header_modifier.has_value()) ||
                 (filter.type == "ResponseHeaderModifier" &&
                  filter.response_header_modifier.has_value())) {
        header_filters.push_back(&filter);
      } else {
        drop(absl::StrCat("filters[", f, "]: filter type ", filter.type, " is not supported yet"));
        return;
      }
    }
    for (size_t b = 0; b < rule.backend_refs.size(); ++b) {
      if (!rule.backend_refs[b].filters.empty()) {
        drop(absl::StrCat("backendRefs[", b,
                          "].filters: filters on a backendRef are not "
                          "supported yet"));
        return;
      }
    }

    // Backends: valid ones with their weights, and the weight of the invalid ones.
    std::vector<std::pair<Backend, uint32_t>> backends;
    int64_t invalid_weight = 0;
    int64_t valid_weight = 0;
    std::vector<std::string> invalid;
    for (size_t b = 0; b < rule.backend_refs.size(); ++b) {
      const source::HttpBackendRef& ref = rule.backend_refs[b];
      const std::string ns = ref.namespace_.empty() ? route.namespace_ : ref.namespace_;
      Tie(route.namespace_, ns);
      const std::string bfield = absl::StrCat(field, ".backendRefs[", b, "]");
      std::string reason;
      std::string message;
      std::optional<Backend> backend;
      if (!ref.group.empty() || ref.kind != "Service") {
        reason = "InvalidKind";
        message = absl::StrCat(bfield, ": kind ", ref.group.empty() ? "" : ref.group + "/",
                               ref.kind, " is not supported; only Services are");
      } else if (ns != route.namespace_ &&
                 !ReferenceGranted(state_, source::kGatewayApiGroup, "HTTPRoute", route.namespace_,
                                   "", "Service", ns, ref.name)) {
        reason = "RefNotPermitted";
        message = absl::StrCat(bfield, ": Service ", ns, "/", ref.name,
                               " is in another namespace and no ReferenceGrant there allows it");
      } else {
        auto found = FindBackend(ns, ref.name, ref.port.value_or(0), &reason);
        if (auto* why = std::get_if<std::string>(&found)) {
          message = absl::StrCat(bfield, ": ", *why);
        } else {
          backend = std::get<Backend>(found);
        }
      }
      if (!backend.has_value()) {
        info.unresolved.emplace_back(reason, message);
        Report(origin, absl::StrCat(message, "; its share of requests gets 500"));
        invalid_weight += ref.weight;
        invalid.push_back(message);
        continue;
      }
      valid_weight += ref.weight;
      if (ref.weight > 0) backends.emplace_back(*backend, static_cast<uint32_t>(ref.weight));
    }

    std::vector<source::HttpRouteMatch> matches = rule.matches;
    if (matches.empty()) matches.emplace_back();  // PathPrefix "/"
    std::vector<RouteEntry> rule_entries;
    for (size_t m = 0; m < matches.size(); ++m) {
      const source::HttpRouteMatch& match = matches[m];
      RouteEntry entry = NewEntry(&origin, 1, {r, m});
      entry.one_label = false;
      entry.route.set_name(
          absl::StrCat(Describe(origin), " rules[", r, "]",
                       matches.size() > 1 ? absl::StrCat(".matches[", m, "]") : std::string()));
      std::string problem = SetHttpRouteMatch(match, entry);
      if (problem.empty()) problem = ApplyHeaderFilters(header_filters, entry.route);
      if (problem.empty() && redirect != nullptr) {
        problem = SetRedirect(*redirect->request_redirect, match, options_.gateway_http_port,
                              entry.route);
        entry.redirect_keeps_port = redirect->request_redirect->scheme.empty() &&
                                    !redirect->request_redirect->port.has_value();
      } else if (problem.empty()) {
        if (backends.empty() || invalid_weight > 0) {
          // Every request, or the invalid backends' share of them, gets 500. The share is a
          // route of its own, just before the one to the valid backends, that matches only
          // that fraction of requests.
          RouteEntry failed = entry;
          auto* direct = failed.route.mutable_direct_response();
          direct->set_status(500);
          direct->mutable_body()->set_inline_string(
              absl::StrCat("no valid backend: ",
                           rule.backend_refs.empty() ? "the rule has no backendRefs"
                           : invalid.empty()         ? "every backendRef has weight 0"
                                                     : absl::StrJoin(invalid, "; "),
                           "\n"));
          if (!backends.empty()) {
            auto* fraction = failed.route.mutable_match()->mutable_runtime_fraction();
            fraction->set_runtime_key(absl::StrCat("strata.invalid_backends.", r));
            auto* value = fraction->mutable_default_value();
            value->set_denominator(envoy::type::v3::FractionalPercent::MILLION);
            value->set_numerator(static_cast<uint32_t>((invalid_weight * 1'000'000) /
                                                       (invalid_weight + valid_weight)));
          }
          rule_entries.push_back(std::move(failed));
        }
        if (!backends.empty()) {
          RouteTo(entry, backends);
          if (rule.request_timeout.has_value()) {
            SetDuration(*rule.request_timeout, *entry.route.mutable_route()->mutable_timeout());
          }
          if (rewrite != nullptr) problem = SetRewrite(*rewrite->url_rewrite, match, entry.route);
        }
      }
      if (!problem.empty()) {
        drop(absl::StrCat("matches[", m, "]: ", problem));
        return;
      }
      if (redirect != nullptr || !backends.empty()) rule_entries.push_back(std::move(entry));
    }
    ++info.rules_kept;
    for (RouteEntry& entry : rule_entries) entries.push_back(std::move(entry));
  }

  static void SetDuration(absl::Duration d, google::protobuf::Duration& out) {
    const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
    out.set_seconds(seconds);
    out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  }

  // The path prefix of a PathPrefix match as matched: without a trailing slash, except "/".
  static std::string PrefixOf(const source::HttpPathMatch& path) {
    return WithoutTrailingSlashes(path.value);
  }

  // The replacement of a ReplacePrefixMatch as applied: "" is "/" (strip the prefix), and a
  // trailing slash is dropped ("/new/" replaces "/old" in "/old/x" as "/new").
  static std::string PrefixReplacement(const source::HttpPathModifier& modifier) {
    return WithoutTrailingSlashes(modifier.value.empty() ? "/" : modifier.value);
  }

  // Why a ReplaceFullPath value cannot be sent, or "".
  static std::string FullPathProblem(const source::HttpPathModifier& modifier) {
    if (modifier.value.empty() || modifier.value[0] != '/' ||
        HasControlCharacters(modifier.value)) {
      return absl::StrCat("ReplaceFullPath \"", modifier.value,
                          "\" must start with '/' and hold no control characters");
    }
    return "";
  }

  // Sets the route's match and precedence; returns why it cannot, or "".
  static std::string SetHttpRouteMatch(const source::HttpRouteMatch& m, RouteEntry& entry) {
    RouteMatch& match = *entry.route.mutable_match();
    int64_t kind = 2;
    int64_t length = static_cast<int64_t>(m.path.value.size());
    if (m.path.type == "Exact") {
      kind = 0;
      match.set_path(m.path.value);
    } else if (m.path.type == "RegularExpression") {
      kind = 1;
      if (std::string bad = SafeRegexProblem(m.path.value); !bad.empty()) {
        return absl::StrCat("path regular expression \"", m.path.value, "\": ", bad);
      }
      SetRegex(*match.mutable_safe_regex(), m.path.value);
    } else {
      const std::string prefix = PrefixOf(m.path);
      length = static_cast<int64_t>(prefix.size());
      if (prefix == "/") {
        match.set_prefix("/");
      } else {
        match.set_path_separated_prefix(prefix);
      }
    }
    // Only the first entry of a header or query parameter name counts (the spec's rule).
    std::set<std::string> seen;
    int64_t headers = 0;
    for (const source::HttpValueMatch& h : m.headers) {
      const std::string name = absl::AsciiStrToLower(h.name);
      if (!seen.insert(name).second) continue;
      ++headers;
      HeaderMatcher* header = match.add_headers();
      header->set_name(name);
      if (h.type == "RegularExpression") {
        if (std::string bad = SafeRegexProblem(h.value); !bad.empty()) {
          return absl::StrCat("header ", h.name, " regular expression \"", h.value, "\": ", bad);
        }
        SetRegex(*header->mutable_string_match()->mutable_safe_regex(), h.value);
      } else {
        header->mutable_string_match()->set_exact(h.value);
      }
    }
    seen.clear();
    int64_t queries = 0;
    for (const source::HttpValueMatch& q : m.query_params) {
      if (!seen.insert(q.name).second) continue;
      ++queries;
      auto* query = match.add_query_parameters();
      query->set_name(q.name);
      if (q.type == "RegularExpression") {
        if (std::string bad = SafeRegexProblem(q.value); !bad.empty()) {
          return absl::StrCat("query parameter ", q.name, " regular expression \"", q.value,
                              "\": ", bad);
        }
        SetRegex(*query->mutable_string_match()->mutable_safe_regex(), q.value);
      } else {
        query->mutable_string_match()->set_exact(q.value);
      }
    }
    if (!m.method.empty()) {
      HeaderMatcher* method = match.add_headers();
      method->set_name(":method");
      method->mutable_string_match()->set_exact(m.method);
    }
    entry.order = {kind, -length, m.method.empty() ? 1 : 0, -headers, -queries};
    return "";
  }

  static uint32_t WellKnownPort(const std::string& scheme) {
    return scheme == "https" ? 443 : scheme == "http" ? 80 : 0;
  }

  // `listener_port`: the port a redirect keeps when it names neither scheme nor port.
  static std::string SetRedirect(const source::HttpRequestRedirect& r,
                                 const source::HttpRouteMatch& match, uint32_t listener_port,
                                 Route& route) {
    auto* redirect = route.mutable_redirect();
    if (!r.scheme.empty()) redirect->set_scheme_redirect(r.scheme);
    if (!r.hostname.empty()) redirect->set_host_redirect(r.hostname);
    // No port: the scheme's well-known port when it names a scheme, else the listener's (the
    // proxy leaves a scheme's default port out of the location).
    redirect->set_port_redirect(
        r.port.value_or(r.scheme.empty() ? listener_port : WellKnownPort(r.scheme)));
    if (r.path.has_value()) {
      if (r.path->type == "ReplaceFullPath") {
        if (std::string bad = FullPathProblem(*r.path); !bad.empty()) return bad;
        redirect->set_path_redirect(r.path->value);
      } else {
        if (match.path.type != "PathPrefix") {
          return "ReplacePrefixMatch needs a PathPrefix match";
        }
        const std::string replacement = PrefixReplacement(*r.path);
        if (HasControlCharacters(replacement)) {
          return "ReplacePrefixMatch holds control characters";
        }
        if (replacement == "/" || PrefixOf(match.path) == "/") {
          return "ReplacePrefixMatch of \"/\" (or on the prefix \"/\") in a redirect is not "
                 "supported yet";
        }
        redirect->set_prefix_rewrite(replacement);
      }
    }
    using envoy::config::route::v3::RedirectAction;
    switch (r.status_code) {
      case 301:
        redirect->set_response_code(RedirectAction::MOVED_PERMANENTLY);
        break;
      case 302:
        redirect->set_response_code(RedirectAction::FOUND);
        break;
      case 303:
        redirect->set_response_code(RedirectAction::SEE_OTHER);
        break;
      case 307:
        redirect->set_response_code(RedirectAction::TEMPORARY_REDIRECT);
        break;
      case 308:
        redirect->set_response_code(RedirectAction::PERMANENT_REDIRECT);
        break;
      default:
        return absl::StrCat("redirect status code ", r.status_code, " is not supported");
    }
    return "";
  }

  static std::string SetRewrite(const source::HttpUrlRewrite& r,
                                const source::HttpRouteMatch& match, Route& route) {
    auto* action = route.mutable_route();
    if (!r.hostname.empty()) action->set_host_rewrite_literal(r.hostname);
    if (!r.path.has_value()) return "";
    // A literal replacement: RE2's rewrite string treats backslashes specially.
    auto literal = [](const std::string& text) {
      return absl::StrReplaceAll(text, {{"\\", "\\\\"}});
    };
    if (r.path->type == "ReplaceFullPath") {
      if (std::string bad = FullPathProblem(*r.path); !bad.empty()) return bad;
      auto* rewrite = action->mutable_regex_rewrite();
      SetRegex(*rewrite->mutable_pattern(), "^/.*$");
      rewrite->set_substitution(literal(r.path->value));
      return "";
    }
    if (match.path.type != "PathPrefix") return "ReplacePrefixMatch needs a PathPrefix match";
    const std::string prefix = PrefixOf(match.path);
    const std::string replacement = PrefixReplacement(*r.path);
    if (HasControlCharacters(replacement)) return "ReplacePrefixMatch holds control characters";
    if (prefix == "/") {
      // "/rest" becomes "<replacement>/rest".
      auto* rewrite = action->mutable_regex_rewrite();
      SetRegex(*rewrite->mutable_pattern(), "^/");
      rewrite->set_substitution(literal(replacement == "/" ? "/" : replacement + "/"));
    } else if (replacement == "/") {
      // "<prefix>/rest" becomes "/rest", and "<prefix>" becomes "/".
      auto* rewrite = action->mutable_regex_rewrite();
      SetRegex(*rewrite->mutable_pattern(), absl::StrCat("^", re2::RE2::QuoteMeta(prefix), "/*"));
      rewrite->set_substitution("/");
    } else {
      action->set_prefix_rewrite(replacement);  // "<prefix>/rest" becomes "<replacement>/rest"
    }
    return "";
  }

  // A header name a filter may set, add or remove: an HTTP token, not a pseudo-header, and
  // for requests not Host (URLRewrite's hostname changes that).
  static std::string HeaderNameProblem(const std::string& name, bool request) {
    const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
             absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
    });
    if (!token) return absl::StrCat("header name \"", name, "\" is not an HTTP token");
    if (request && absl::EqualsIgnoreCase(name, "host")) {
      return "the Host header cannot be changed with a header filter; use URLRewrite hostname";
    }
    return "";
  }

  // Adds the header filters to the route; returns why one cannot be applied, or "".
  static std::string ApplyHeaderFilters(const std::vector<const source::HttpRouteFilter*>& filters,
                                        Route& route) {
    using envoy::config::core::v3::HeaderValueOption;
    for (const source::HttpRouteFilter* filter : filters) {
      const bool request = filter->request_header_modifier.has_value();
      const source::HttpHeaderFilter& f =
          request ? *filter->request_header_modifier : *filter->response_header_modifier;
      auto* add = request ? route.mutable_request_headers_to_add()
                          : route.mutable_response_headers_to_add();
      auto* remove = request ? route.mutable_request_headers_to_remove()
                             : route.mutable_response_headers_to_remove();
      for (const auto* list : {&f.set, &f.add}) {
        for (const source::HttpHeader& h : *list) {
          if (std::string bad = HeaderNameProblem(h.name, request); !bad.empty()) return bad;
          if (HasControlCharacters(h.value)) {
            return absl::StrCat("the value of header ", h.name, " holds control characters");
          }
          HeaderValueOption* option = add->Add();
          option->mutable_header()->set_key(absl::AsciiStrToLower(h.name));
          // Values are literal; a proxy reads "%" as the start of a substitution.
          option->mutable_header()->set_value(absl::StrReplaceAll(h.value, {{"%", "%%"}}));
          option->set_append_action(list == &f.set ? HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD
                                                   : HeaderValueOption::APPEND_IF_EXISTS_OR_ADD);
        }
      }
      for (const std::string& name : f.remove) {
        if (std::string bad = HeaderNameProblem(name, request); !bad.empty()) return bad;
        *remove->Add() = absl::AsciiStrToLower(name);
      }
    }
    return "";
  }

  // Conditions of every HTTPRoute, once ownership has decided which hosts it keeps.
  void FinishHttpRouteStatus() {
    for (auto& [key, info] : http_routes_) {
      info.status.key = key;
      info.status.generation = state_.http_routes.at(key).generation;
      info.status.uid = state_.http_routes.at(key).uid;
      for (PendingParent& parent : info.parents) {
        std::vector<Condition>& conditions = parent.status.conditions;
        if (conditions.empty()) {  // the parent took the route; do its hosts belong to it?
          std::vector<std::string> refused;
          size_t kept = 0;
          for (const std::string& host : parent.hosts) {
            const Claim* claim = FindClaim(info.origin, NormalizeClaimedHost(host));
            if (claim != nullptr && claim->accepted) {
              ++kept;
            } else if (claim != nullptr) {
              refused.push_back(claim->refusal);
            }
          }
          if (info.rules_kept == 0) {
            conditions.push_back(
                Cond("Accepted", false, "UnsupportedValue",
                     absl::StrCat("no rule can be served: ", absl::StrJoin(info.dropped, "; "))));
          } else if (kept == 0) {
            conditions.push_back(
                Cond("Accepted", false, "HostnameNotOwned", absl::StrJoin(refused, "; ")));
          } else {
            conditions.push_back(Cond(
                "Accepted", true, "Accepted",
                refused.empty() ? "served by strata's edge tier"
                                : absl::StrCat("served, except: ", absl::StrJoin(refused, "; "))));
          }
        }
        if (info.unresolved.empty()) {
          conditions.push_back(
              Cond("ResolvedRefs", true, "ResolvedRefs", "all references resolved"));
        } else {
          std::vector<std::string> messages;
          for (const auto& [reason, message] : info.unresolved) messages.push_back(message);
          conditions.push_back(Cond("ResolvedRefs", false, info.unresolved.front().first,
                                    absl::StrJoin(messages, "; ")));
        }
        std::vector<std::string> partly;
        auto rejected = state_.rejected.find(std::make_tuple("HTTPRoute", key.first, key.second));
        if (rejected != state_.rejected.end()) {
          partly.push_back(absl::StrCat("Fall Back: generation ", rejected->second.generation,
                                        " is not valid (", rejected->second.message,
                                        "); generation ", info.status.generation,
                                        " is still served"));  // routes have generations
        }
        if (!info.dropped.empty() && info.rules_kept > 0) {
          partly.push_back(absl::StrCat("Dropped Rule: ", absl::StrJoin(info.dropped, "; ")));
        }
        if (!partly.empty()) {
          conditions.push_back(Condition{"PartiallyInvalid", "True", "UnsupportedValue",
                                         absl::StrJoin(partly, "; ")});
        }
        info.status.parents.push_back(std::move(parent.status));
      }
    }
  }

  // ---- Refused versions ----------------------------------------------------------------

  // Whether the state still holds a valid version of the object.
  bool HasValidVersion(const std::string& kind, const ObjectKey& key) const {
    if (kind == "Ingress") return state_.ingresses.contains(key);
    if (kind == "IngressRoute") return state_.ingress_routes.contains(key);
    if (kind == "HTTPRoute") return state_.http_routes.contains(key);
    if (kind == "Gateway") return state_.gateways.contains(key);
    if (kind == "Service") return state_.services.contains(key);
    if (kind == "EndpointSlice") return state_.endpoint_slices.contains(key);
    if (kind == "ReferenceGrant") return state_.reference_grants.contains(key);
    if (kind == "GatewayClass") return state_.gateway_classes.contains(key.second);
    if (kind == "IngressClass") return state_.ingress_classes.contains(key.second);
    if (kind == "Namespace") return state_.namespaces.contains(key.second);
    if (kind == "Secret") return state_.tls_secrets.contains(key);
    return false;
  }

  // Objects whose latest version the source refused: reported (on a served Ingress or
  // IngressRoute also as an annotation and Event; an HTTPRoute says it in its conditions).
  void ReportRejected() {
    for (const auto& [key, rejected] : state_.rejected) {
      const auto& [kind, ns, name] = key;
      const std::string version = rejected.generation > 0
                                      ? absl::StrCat("generation ", rejected.generation)
                                      : std::string("the latest version");
      const bool valid = HasValidVersion(kind, {ns, name});
      Report(kind, ns, name,
             valid ? absl::StrCat(version,
                                  " is not valid and is not served; the previous valid version "
                                  "still is: ",
                                  rejected.message)
                   : absl::StrCat("not valid, not served: ", rejected.message));
      // A route strata cannot read has no conditions of strata's: an old Accepted=True must
      // not stay on it.
      if (kind == "HTTPRoute" && !valid &&
          rejected.status_controllers.contains(options_.gateway_controller)) {
        HttpRouteStatus status;
        status.key = {ns, name};
        status.uid = rejected.uid;
        status.generation = rejected.generation;
        stale_route_status_.push_back(std::move(status));
      }
    }
  }

  // ---- Ownership and output ------------------------------------------------------------

  RouteEntry NewEntry(const Origin* origin, int source_rank, std::vector<size_t> position) {
    RouteEntry entry;
    entry.source_rank = source_rank;
    entry.created = origin->created;
    entry.namespace_ = origin->namespace_;
    entry.name = origin->name;
    entry.position = std::move(position);
    entry.origin = origin;
    return entry;
  }

  Claim& ClaimFor(const Origin* origin, const std::string& host, bool any_depth = false) {
    const std::string normalised = NormalizeClaimedHost(host);
    ties_[origin->namespace_].names.insert(normalised);
    auto [it, inserted] = claim_index_.try_emplace(
        std::make_tuple(origin->kind, origin->namespace_, origin->name, normalised),
        claims_.size());
    if (inserted) {
      claims_.push_back(Claim{origin,
                              normalised,
                              any_depth,
                              {},
                              {},
                              false,
                              "",
                              {std::set<std::string>(), std::set<std::string>()}});
    }
    claims_[it->second].any_depth |= any_depth;
    return claims_[it->second];
  }

  // The claim of `origin` to `host` (normalised), if it made one.
  const Claim* FindClaim(const Origin* origin, const std::string& host) const {
    auto it =
        claim_index_.find(std::make_tuple(origin->kind, origin->namespace_, origin->name, host));
    return it == claim_index_.end() ? nullptr : &claims_[it->second];
  }

  void ResolveOwnership() {
    std::vector<HostClaim> host_claims;
    for (const Claim& c : claims_) {
      host_claims.push_back(HostClaim{c.host, c.origin->kind, c.origin->namespace_, c.origin->name,
                                      c.origin->created, c.any_depth, c.uncovered});
    }
    HostOwnershipPolicy policy{options_.catch_all_namespaces};
    HostOwnership ownership = ResolveHostOwnership(host_claims, policy);
    for (size_t i = 0; i < claims_.size(); ++i) {
      Claim& claim = claims_[i];
      claim.accepted = ownership.verdicts[i].accepted;
      if (!claim.accepted) {
        claim.refusal = ownership.verdicts[i].reason;
        Report(*claim.origin, absl::StrCat("not routed: ", ownership.verdicts[i].reason));
        continue;
      }
      std::vector<RouteEntry>& routes = hosts_[claim.host].routes;
      hosts_[claim.host].owner = claim.origin->namespace_;
      HostRoutes& entry = hosts_[claim.host];
      entry.deep |= claim.any_depth;
      NarrowTo(entry.uncovered, claim.uncovered);
      for (size_t scheme = 0; scheme < 2; ++scheme) {
        if (claim.scheme_uncovered[scheme].has_value()) {
          NarrowTo(entry.scheme_uncovered[scheme], *claim.scheme_uncovered[scheme]);
        }
      }
      for (RouteEntry& entry : claim.routes) routes.push_back(std::move(entry));
    }
  }

  // ---- TLS -----------------------------------------------------------------------------

  // Why Secret ns/name cannot serve a certificate.
  std::string SecretProblem(const std::string& ns, const std::string& name) const {
    auto rejected = state_.rejected.find({"Secret", ns, name});
    if (rejected != state_.rejected.end()) {
      return absl::StrCat("Secret ", ns, "/", name,
                          " is not a usable TLS Secret: ", rejected->second.message);
    }
    return absl::StrCat("Secret ", ns, "/", name, " does not exist or is not of type ",
                        "kubernetes.io/tls");
  }

  // Whether a certificate for `names` is valid for `host` (a "*." name covers one label).
  static bool CertificateCovers(const std::vector<std::string>& names, const std::string& host) {
    const size_t dot = host.find('.');
    for (const std::string& name : names) {
      if (name == host) return true;
      if (absl::StartsWith(name, "*.") && !absl::StartsWith(host, "*") &&
          dot != std::string::npos &&
          absl::string_view(host).substr(dot) == absl::string_view(name).substr(1)) {
        return true;
      }
    }
    return false;
  }

  // Whether a certificate of namespace `owner` serves `host`, as the proxy picks them: the
  // host's own, else the one-label wildcard right above it (the longest wildcard wins the SNI
  // and a certificate's wildcard stands for exactly one label). A wildcard host is reachable
  // also through the names below it that have the owner's certificates. Another namespace's
  // certificate never makes a host reachable over HTTPS.
  bool TlsReachable(const std::string& host, const std::string& owner) const {
    if (tls_hosts_.empty()) return false;
    auto owned = [&](const std::string& name) {
      auto it = tls_hosts_.find(name);
      return it != tls_hosts_.end() && it->second.origin->namespace_ == owner;
    };
    if (owned(host)) return true;
    if (tls_wildcards_.contains({host, owner})) return true;
    if (absl::StartsWith(host, "*")) return false;
    const std::vector<std::string> above = WildcardsAbove(host);
    return !above.empty() && owned(above[0]);
  }

  // Whether an HTTPS request for `host` could reach another namespace's routes: a certificate
  // answers its name, or the HTTPS routes have a wildcard virtual host above it (reached with
  // the SNI of one name and the Host of another).
  bool TlsCovered(const std::string& host) const {
    if (tls_hosts_.empty()) return false;
    if (tls_hosts_.contains(host)) return true;
    for (const std::string& wildcard : WildcardsAbove(host)) {
      if (tls_hosts_.contains(wildcard)) return true;
      auto it = hosts_.find(wildcard);
      if (it != hosts_.end() && TlsReachable(wildcard, it->second.owner)) return true;
    }
    return false;
  }

  // Gives each host its certificate: only for a host the requesting object's namespace serves
  // (an Ingress or IngressRoute names a Secret of its namespace; an HTTPRoute gets the
  // certificate of the HTTPS listener it attached through), and of two objects naming
  // different Secrets for one host, the older one's.
  void ResolveTls() {
    std::stable_sort(tls_requests_.begin(), tls_requests_.end(),
                     [](const TlsRequest& a, const TlsRequest& b) {
                       return std::tie(a.origin->created, a.origin->namespace_, a.origin->name) <
                              std::tie(b.origin->created, b.origin->namespace_, b.origin->name);
                     });
    for (const TlsRequest& request : tls_requests_) {
      const Origin& origin = *request.origin;
      const std::string& ns = origin.namespace_;
      if (!Serves(ns, request.host)) {
        Report(origin, absl::StrCat(request.field, ": host \"", request.host,
                                    "\" is not served for namespace \"", ns,
                                    "\", so no certificate is served for it"));
        continue;
      }
      const std::string secret_name =
          absl::StrCat(request.secret.first, "/", request.secret.second);
      auto secret = state_.tls_secrets.find(request.secret);
      if (secret == state_.tls_secrets.end()) {
        Report(origin, absl::StrCat(request.field, ": ",
                                    SecretProblem(request.secret.first, request.secret.second),
                                    "; host \"", request.host, "\" is served over HTTP only"));
        continue;
      }
      auto [it, inserted] = tls_hosts_.try_emplace(request.host, TlsHost{secret->first, &origin});
      if (!inserted) {
        if (it->second.secret != secret->first) {
          Report(origin,
                 absl::StrCat(request.field, ": host \"", request.host,
                              "\" already has the certificate of Secret ", it->second.secret.first,
                              "/", it->second.secret.second, " (from ",
                              it->second.origin == &origin
                                  ? std::string("an earlier entry of this object")
                                  : absl::StrCat(Describe(*it->second.origin), ", which is older"),
                              "); Secret ", secret_name, " is not used for it"));
        }
        continue;
      }
      auto refused = state_.rejected.find({"Secret", request.secret.first, request.secret.second});
      if (refused != state_.rejected.end()) {
        Report(origin, absl::StrCat(request.field, ": the latest version of Secret ", secret_name,
                                    " is refused (", refused->second.message,
                                    "); its last valid version is served"));
      }
      if (CertificateCovers(secret->second.dns_names, request.host)) {
        for (std::string& wildcard : WildcardsAbove(request.host)) {
          tls_wildcards_.emplace(std::move(wildcard), ns);
        }
      } else {
        const std::vector<std::string>& names = secret->second.dns_names;
        Report(origin,
               absl::StrCat(request.field, ": the certificate of Secret ", secret_name, " is for ",
                            names.empty() ? "no host name" : QuotedList(names), ", not for host \"",
                            request.host, "\"; clients will refuse it"));
      }
    }
  }

  // The edge's HTTPS listener: one filter chain per Secret, chosen by SNI among the hosts that
  // use it, serving the same routes as the HTTP listener. Certificates and keys go only to
  // the edge, the one tier that terminates TLS.
  void EmitTls() {
    if (tls_hosts_.empty()) return;
    std::map<ObjectKey, std::vector<std::string>> hosts_of;
    for (const auto& [host, tls] : tls_hosts_) hosts_of[tls.secret].push_back(host);
    Listener listener;
    listener.set_name(kEdgeTlsListenerName);
    auto* socket = listener.mutable_address()->mutable_socket_address();
    socket->set_address(options_.listen_address);
    socket->set_port_value(options_.edge_https_port);
    const HttpConnectionManager hcm = MakeHcm(kEdgeTlsListenerName, /*app_tier=*/false);
    for (const auto& [key, hosts] : hosts_of) {
      const std::string name = TlsSecretName(key.first, key.second);
      auto* chain = listener.add_filter_chains();
      chain->set_name(name);
      for (const std::string& host : hosts) {
        chain->mutable_filter_chain_match()->add_server_names(host);
      }
      envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext tls;
      auto* common = tls.mutable_common_tls_context();
      common->add_alpn_protocols("http/1.1");
      auto* sds = common->add_tls_certificate_sds_secret_configs();
      sds->set_name(name);
      *sds->mutable_sds_config() = AdsConfigSource();
      chain->mutable_transport_socket()->set_name("envoy.transport_sockets.tls");
      chain->mutable_transport_socket()->mutable_typed_config()->PackFrom(tls);
      auto* filter = chain->add_filters();
      filter->set_name("envoy.filters.network.http_connection_manager");
      filter->mutable_typed_config()->PackFrom(hcm);

      const source::TlsSecret& secret = state_.tls_secrets.at(key);
      envoy::extensions::transport_sockets::tls::v3::Secret& out = edge_.secrets.emplace_back();
      out.set_name(name);
      out.mutable_tls_certificate()->mutable_certificate_chain()->set_inline_string(
          secret.cert_chain_pem);
      out.mutable_tls_certificate()->mutable_private_key()->set_inline_string(
          secret.private_key_pem);
    }
    edge_.listeners.push_back(std::move(listener));
  }

  // Whether an accepted wildcard claim covers `host` (one label below it, or any depth for
  // a Gateway API wildcard, unless its claims leave `host` out).
  // With `scheme` (0 HTTP, 1 HTTPS): a claim that serves that scheme and covers `host` there.
  bool CoveredByClaim(const std::string& host, std::optional<size_t> scheme = std::nullopt) const {
    return CoveringClaim(host, scheme) != nullptr;
  }

  // The accepted wildcard claim that covers `host` (over `scheme`, when given), or null.
  const HostRoutes* CoveringClaim(const std::string& host,
                                  std::optional<size_t> scheme = std::nullopt) const {
    const std::vector<std::string> above = WildcardsAbove(host);
    for (size_t k = 0; k < above.size(); ++k) {
      auto it = hosts_.find(above[k]);
      if (it == hosts_.end()) continue;
      const bool exact_below = k == 0 && !absl::StartsWith(host, "*");
      const std::optional<std::set<std::string>>& uncovered =
          scheme.has_value() ? it->second.scheme_uncovered[*scheme] : it->second.uncovered;
      if (scheme.has_value() && !uncovered.has_value()) continue;  // not over that scheme
      if ((exact_below || it->second.deep) &&
          !(uncovered.has_value() && uncovered->contains(host))) {
        return &it->second;
      }
    }
    return nullptr;
  }

  // Whether namespace `ns` serves `host`: it owns the host, or a wildcard that covers it.
  bool Serves(const std::string& ns, const std::string& host) const {
    auto it = hosts_.find(host);
    if (it != hosts_.end()) return it->second.owner == ns;
    const HostRoutes* covering = CoveringClaim(host);
    return covering != nullptr && covering->owner == ns;
  }

  XdsResources& AppOf(const std::string& ns) { return apps_[ns]; }

  void AddServiceCluster(XdsResources& out, std::set<std::string>& emitted, const Backend& b) {
    const std::string name =
        ServiceClusterName(b.service->namespace_, b.service->name, b.port->port);
    if (!emitted.insert(name).second) return;
    // The edge's warnings are kept by namespace (TwoTierAttribution).
    std::vector<std::string>& warnings =
        &out == &edge_ ? edge_warnings_[b.service->namespace_] : out.warnings;
    out.clusters.push_back(MakeEdsCluster(name));
    out.endpoints.push_back(MakeLoadAssignment(
        name, *b.port, slices_.Usable(b.service->namespace_, b.service->name, warnings), warnings));
  }

  // Traefik orders all routers by priority, whatever their hosts: a wildcard router with a
  // higher priority than an exact host's routers takes that host's matching requests first.
  // Virtual hosts pick the exact host before any wildcard, so each exact host also gets the
  // IngressRoute routes of the one-label wildcard above it, when the same namespace owns
  // both (ownership never mixes namespaces); the priority sort then interleaves them.
  void AddWildcardIngressRoutes() {
    for (auto& [host, entry] : hosts_) {
      if (absl::StartsWith(host, "*") || host.find('.') == std::string::npos) continue;
      auto wildcard = hosts_.find(absl::StrCat("*", host.substr(host.find('.'))));
      if (wildcard == hosts_.end() || wildcard->second.owner != entry.owner) continue;
      for (const RouteEntry& route : wildcard->second.routes) {
        if (route.source_rank == 0 && route.origin->kind == "IngressRoute") {
          entry.routes.push_back(route);
        }
      }
    }
  }

  void Emit() {
    AddWildcardIngressRoutes();
    RouteConfiguration edge_routes;
    edge_routes.set_name(kEdgeListenerName);
    RouteConfiguration edge_tls_routes;  // served only while the edge has a TLS listener
    edge_tls_routes.set_name(kEdgeTlsListenerName);
    edge_.listeners.push_back(MakeHttpListener(kEdgeListenerName, options_.listen_address,
                                               options_.edge_http_port,
                                               /*app_tier=*/false));
    std::map<std::string, RouteConfiguration> app_routes;
    std::set<std::string> edge_clusters;
    std::map<std::string, std::set<std::string>> app_clusters;
    for (const auto& [ns, tier] : app_tiers_) {
      app_routes[ns].set_name(kAppListenerName);
      AppOf(ns);
    }

    for (auto& [host, entry] : hosts_) {
      std::vector<RouteEntry>& routes = entry.routes;
      std::stable_sort(routes.begin(), routes.end(), [](const RouteEntry& a, const RouteEntry& b) {
        return a.SortKey() < b.SortKey();
      });
      // Two Ingresses with the same path on one host: the older keeps it.
      std::map<std::string, const Origin*> ingress_paths;
      std::vector<RouteEntry> kept;
      for (RouteEntry& route : routes) {
        if (!route.ingress_path_key.empty()) {
          auto [it, inserted] = ingress_paths.emplace(route.ingress_path_key, route.origin);
          if (!inserted) {
            if (it->second != route.origin) {
              Report(*route.origin,
                     absl::StrCat("path ", route.ingress_path_key, " of host \"", host,
                                  "\" is already routed by ", Describe(*it->second),
                                  ", which is older; not routed"));
            }
            continue;
          }
        }
        kept.push_back(std::move(route));
      }

      auto tier = app_tiers_.find(entry.owner);
      const bool two_tier = tier != app_tiers_.end();
      XdsResources& out = two_tier ? AppOf(entry.owner) : edge_;
      std::set<std::string>& emitted = two_tier ? app_clusters[entry.owner] : edge_clusters;
      // HTTPS reaches the host only when a certificate serves its name; routes of one scheme
      // only are kept apart: at the edge by listener, at an app tier by the
      // X-Forwarded-Proto the edge set (an app tier takes connections from the edge only).
      const bool tls = TlsReachable(host, entry.owner);
      uint8_t schemes = 0;  // the schemes some route serves
      std::vector<RouteEntry*> served;
      const uint8_t reachable = tls ? kBothSchemes : kHttp;
      for (RouteEntry& route : kept) {
        if ((route.schemes & reachable) == 0) {
          // Said only by an object that names this host (not by a wildcard's IngressRoute
          // whose routes were copied here).
          if (FindClaim(route.origin, host) != nullptr) {
            Report(*route.origin, absl::StrCat("host \"", host,
                                               "\" has no certificate of its namespace, and "
                                               "routes of this object serve HTTPS only; they are "
                                               "not routed for it"));
          }
          continue;
        }
        schemes |= route.schemes & reachable;
        if (!tls) route.schemes = kBothSchemes;  // only HTTP arrives: nothing to tell apart
        if (route.one_label) GuardWildcard(host, *route.route.mutable_match());
        for (const Backend& b : route.backends) AddServiceCluster(out, emitted, b);
        served.push_back(&route);
      }
      // Every owned host has its own virtual host on HTTP, and on HTTPS wherever a
      // certificate answers its name: without routes it is a 404 of its own, never a fall
      // into another namespace's wildcard.
      const bool https_vhost = (schemes & kHttps) != 0 || tls || TlsCovered(host);
      if (two_tier) {
        auto* vhost = AddVirtualHost(app_routes[entry.owner], host);
        auto only = [](Route& route, const char* proto) {
          HeaderMatcher* header = route.mutable_match()->add_headers();
          header->set_name("x-forwarded-proto");
          header->mutable_string_match()->set_exact(proto);
        };
        for (RouteEntry* route : served) {
          if (tls && route->redirect_keeps_port && (route->schemes & kHttps) != 0) {
            // The HTTPS requests' redirect keeps the HTTPS port: a route of its own first.
            Route* https = vhost->add_routes();
            *https = route->route;
            https->mutable_redirect()->set_port_redirect(options_.gateway_https_port);
            only(*https, "https");
            if ((route->schemes & kHttp) == 0) continue;
            route->schemes = kHttp;
          }
          if (route->schemes != kBothSchemes) {
            only(route->route, route->schemes == kHttp ? "http" : "https");
          }
          *vhost->add_routes() = std::move(route->route);
        }
        for (uint8_t scheme : {kHttp, kHttps}) {
          if (scheme == kHttps && !https_vhost) continue;
          auto* edge_vhost = AddVirtualHost(scheme == kHttp ? edge_routes : edge_tls_routes, host);
          edge_vhosts_[{scheme == kHttps, host}] = entry.owner;
          if ((schemes & scheme) == 0) continue;
          Route* route = edge_vhost->add_routes();
          route->set_name(absl::StrCat("to the app tier of namespace ", entry.owner));
          route->mutable_match()->set_prefix("/");
          // The app tier checks the depth per route when some routes take any depth.
          if (!entry.deep) GuardWildcard(host, *route->mutable_match());
          route->mutable_route()->set_cluster(AppTierClusterName(entry.owner));
        }
      } else {
        for (uint8_t scheme : {kHttps, kHttp}) {
          if (scheme == kHttps && !https_vhost) continue;
          auto* vhost = AddVirtualHost(scheme == kHttp ? edge_routes : edge_tls_routes, host);
          edge_vhosts_[{scheme == kHttps, host}] = entry.owner;
          if ((schemes & scheme) == 0) continue;  // a 404 of its own
          for (RouteEntry* route : served) {
            if ((route->schemes & scheme) == 0) continue;
            // The HTTP copy is the last use: it may take the message.
            if (scheme == kHttp) {
              *vhost->add_routes() = std::move(route->route);
            } else {
              Route* copy = vhost->add_routes();
              *copy = route->route;
              if (route->redirect_keeps_port) {
                copy->mutable_redirect()->set_port_redirect(options_.gateway_https_port);
              }
            }
          }
        }
      }
    }

    // A listener's own hostname answers 404 while no route has it, rather than falling into
    // the wildcard of a wider listener's route. Never when a claim holds it or covers it:
    // a listener reserves only what nobody owns.
    for (const auto& [key, gateway] : gateways_) {
      for (const auto& [port, served] : gateway.served_hosts) {
        const bool https = port == options_.gateway_https_port;
        for (const std::string& reserved : served) {
          if (reserved.empty()) continue;
          const std::string host = NormalizeClaimedHost(reserved);
          if (hosts_.contains(host) || CoveredByClaim(host, https ? 1 : 0) ||
              !reserved_.emplace(https, host).second) {
            continue;
          }
          AddVirtualHost(https ? edge_tls_routes : edge_routes, host);
          edge_vhosts_[{https, host}] = key.first;
        }
      }
    }

    for (const auto& [ns, tier] : app_tiers_) {
      // The edge's way to this app tier: its endpoints, with PROXY protocol v2.
      Cluster cluster = MakeEdsCluster(AppTierClusterName(ns));
      envoy::extensions::transport_sockets::proxy_protocol::v3::ProxyProtocolUpstreamTransport
          proxy;
      proxy.mutable_config()->set_version(envoy::config::core::v3::ProxyProtocolConfig::V2);
      proxy.mutable_transport_socket()->set_name("envoy.transport_sockets.raw_buffer");
      proxy.mutable_transport_socket()->mutable_typed_config()->PackFrom(
          envoy::extensions::transport_sockets::raw_buffer::v3::RawBuffer());
      cluster.mutable_transport_socket()->set_name(
          "envoy.transport_sockets.upstream_proxy_protocol");
      cluster.mutable_transport_socket()->mutable_typed_config()->PackFrom(proxy);
      edge_.clusters.push_back(std::move(cluster));
      edge_.endpoints.push_back(MakeLoadAssignment(
          AppTierClusterName(ns), *tier.port,
          slices_.Usable(ns, tier.service->name, edge_warnings_[ns]), edge_warnings_[ns]));

      XdsResources& app = AppOf(ns);
      app.routes.push_back(std::move(app_routes[ns]));
      if (edge_addresses_.empty()) {
        app.warnings.push_back(absl::StrCat(
            "app tier of namespace ", ns, ": the edge Service ", options_.edge_service.first, "/",
            options_.edge_service.second,
            " has no endpoints, so no address may send to it; it gets no listener until then"));
        continue;
      }
      Listener listener =
          MakeHttpListener(kAppListenerName, options_.listen_address, tier.listen_port,
                           /*app_tier=*/true);
      auto* filter = listener.add_listener_filters();
      filter->set_name("envoy.filters.listener.proxy_protocol");
      filter->mutable_typed_config()->PackFrom(
          envoy::extensions::filters::listener::proxy_protocol::v3::ProxyProtocol());
      auto* chain_match = listener.mutable_filter_chains(0)->mutable_filter_chain_match();
      for (const auto& [address, length] : edge_addresses_) {
        auto* range = chain_match->add_direct_source_prefix_ranges();
        range->set_address_prefix(address);
        range->mutable_prefix_len()->set_value(length);
      }
      app.listeners.push_back(std::move(listener));
    }
    // By name, whatever the order they were made in: the edge's configuration is then the
    // same however it is put together (IncrementalTwoTier merges it by namespace).
    for (RouteConfiguration* config : {&edge_routes, &edge_tls_routes}) {
      auto* vhosts = config->mutable_virtual_hosts();
      std::sort(vhosts->pointer_begin(), vhosts->pointer_end(),
                [](const auto* a, const auto* b) { return a->name() < b->name(); });
    }
    edge_.routes.push_back(std::move(edge_routes));
    if (!tls_hosts_.empty()) {
      edge_.routes.push_back(std::move(edge_tls_routes));
    } else {
      unserved_https_routes_ = std::move(edge_tls_routes);
    }
    EmitTls();
  }

  const source::ClusterState& state_;
  const TwoTierOptions& options_;
  const SliceIndex slices_;

  std::vector<std::unique_ptr<Origin>> origins_;
  std::vector<ServedObject> served_;
  std::vector<Claim> claims_;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, size_t> claim_index_;
  std::map<std::string, HostRoutes> hosts_;   // by normalised host
  std::map<std::string, AppTier> app_tiers_;  // by namespace
  std::set<std::pair<std::string, uint32_t>> edge_addresses_;
  std::map<std::tuple<std::string, std::string, std::string>, std::set<std::string>> problems_;
  XdsResources edge_;
  std::map<std::string, XdsResources> apps_;
  std::vector<GatewayClassStatus> gateway_classes_;
  std::map<ObjectKey, GatewayInfo> gateways_;
  std::map<ObjectKey, HttpRouteInfo> http_routes_;
  struct TlsRequest {
    const Origin* origin;
    std::string host;  // normalised
    ObjectKey secret;
    std::string field;  // "spec.tls[0]"
  };
  std::vector<TlsRequest> tls_requests_;
  struct TlsHost {
    ObjectKey secret;
    const Origin* origin;
  };
  std::map<std::string, TlsHost> tls_hosts_;  // by normalised host
  // (wildcard, namespace) for every wildcard above a host with that namespace's certificate.
  std::set<std::pair<std::string, std::string>> tls_wildcards_;
  // (HTTPS, hostname) of listener hostnames given an empty virtual host.
  std::set<std::pair<bool, std::string>> reserved_;
  std::vector<HttpRouteStatus> stale_route_status_;  // of refused routes: strata's entries go
  // See TwoTierAttribution.
  std::map<std::string, NamespaceTies> ties_;
  std::map<std::pair<bool, std::string>, std::string> edge_vhosts_;
  std::map<std::string, std::vector<std::string>> edge_warnings_;
  RouteConfiguration unserved_https_routes_;
};

}  // namespace

std::string AppGroup(const std::string& namespace_) { return absl::StrCat("app/", namespace_); }

std::string TlsSecretName(const std::string& namespace_, const std::string& name) {
  return absl::StrCat("tls/", namespace_, "/", name);
}

std::string AppTierClusterName(const std::string& namespace_) {
  return absl::StrCat("app/", namespace_);
}

std::string ServiceClusterName(const std::string& namespace_, const std::string& name,
                               uint32_t port) {
  return absl::StrCat("svc/", namespace_, "/", name, "/", port);
}

TwoTierConfig TranslateTwoTier(const source::ClusterState& state, const TwoTierOptions& options,
                               TwoTierAttribution* attribution) {
  return Translator(state, options).Run(attribution);
}

}  // namespace strata::translate
