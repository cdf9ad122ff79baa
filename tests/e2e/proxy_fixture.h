#ifndef STRATA_TESTS_E2E_PROXY_FIXTURE_H_
#define STRATA_TESTS_E2E_PROXY_FIXTURE_H_

// Shared pieces of the strata-proxy end-to-end tests: backend processes, a proxy process with
// its admin endpoints, and curl helpers.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/process.h"

namespace strata::test {

struct Backend {
  std::unique_ptr<Subprocess> process;
  int port = 0;
};

inline Backend StartBackend(const std::string& name) {
  Backend backend;
  backend.process = Subprocess::Start({"python3", Runfile("tests/e2e/echo_backend.py"), "0", name});
  EXPECT_TRUE(backend.process->WaitForOutput("listening on ", absl::Seconds(20)));
  const std::string out = backend.process->Output();
  const size_t at = out.find("listening on ") + 13;
  EXPECT_TRUE(absl::SimpleAtoi(out.substr(at, out.find('\n', at) - at), &backend.port));
  return backend;
}

class Proxy {
 public:
  Proxy(const std::string& bootstrap, int concurrency = 2,
        const std::vector<std::string>& extra_args = {}) {
    dir_ = TempDir(absl::StrCat("proxy", counter_++));
    WriteFile(dir_ + "/bootstrap.yaml", bootstrap);
    std::vector<std::string> argv = {
        Runfile("dataplane/strata-proxy"), "--config=" + dir_ + "/bootstrap.yaml",
        absl::StrCat("--concurrency=", concurrency), "--drain_timeout=5s"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_ = Subprocess::Start(argv);
  }
  // Waits for the admin server and reads the port of `listener`; false if the proxy failed.
  bool Ready(const std::string& listener = "http") {
    if (!process_->WaitForOutput("admin on ", absl::Seconds(20))) return false;
    const std::string out = process_->Output();
    const size_t at = out.find("admin on 127.0.0.1:") + 19;
    if (!absl::SimpleAtoi(out.substr(at, out.find('\n', at) - at), &admin_port_)) return false;
    // The listener may come later (from xDS): poll the admin endpoint until it is there.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      auto json = nlohmann::json::parse(Admin("/listeners"), nullptr, false);
      if (!json.is_discarded() && json.contains(listener)) {
        const std::string address = json[listener].get<std::string>();
        return absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port_);
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }
  std::string Admin(const std::string& path) {
    const std::string response =
        RawExchange(admin_port_, absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: admin\r\n\r\n"));
    const size_t body = response.find("\r\n\r\n");
    return body == std::string::npos ? "" : response.substr(body + 4);
  }
  uint64_t Stat(const std::string& name) {
    for (absl::string_view line : absl::StrSplit(Admin("/stats"), '\n')) {
      if (absl::StartsWith(line, "strata_" + name + " ")) {
        uint64_t value = 0;
        EXPECT_TRUE(absl::SimpleAtoi(line.substr(line.find(' ') + 1), &value));
        return value;
      }
    }
    ADD_FAILURE() << "no stat " << name;
    return 0;
  }
  int port() const { return port_; }
  Subprocess& process() { return *process_; }
  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

 private:
  static inline int counter_ = 0;
  std::string dir_;
  std::unique_ptr<Subprocess> process_;
  int admin_port_ = 0;
  int port_ = 0;
};

// curl with a Host header; returns "<status>\n<body>".
inline std::string Curl(const Proxy& proxy, const std::string& path, const std::string& extra = "",
                        const std::string& host = "web.example") {
  return Shell(absl::StrCat("curl -s --max-time 20 -H 'Host: ", host, "' ", extra,
                            " -w '\\n%{http_code}' '", proxy.Url(path), "'"));
}
inline int StatusOf(const std::string& curl_output) {
  int status = 0;
  EXPECT_TRUE(absl::SimpleAtoi(curl_output.substr(curl_output.rfind('\n') + 1), &status))
      << curl_output;
  return status;
}
inline nlohmann::json BodyOf(const std::string& curl_output) {
  return nlohmann::json::parse(curl_output.substr(0, curl_output.rfind('\n')), nullptr, false);
}
inline std::string Header(const nlohmann::json& echo, const std::string& name) {
  for (const auto& kv : echo["headers"]) {
    if (kv[0] == name) return kv[1].get<std::string>();
  }
  return "";
}

// The start of a bootstrap: the admin server and listener "http", both on ephemeral loopback
// ports. The listener's other fields follow, indented by four spaces.
inline constexpr char kBootstrapHead[] = R"(admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
static_resources:
  listeners:
  - name: http
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
)";

// The "filters:" of a filter chain: an HTTP connection manager routing each (domain, cluster)
// pair, every line prefixed with `indent`. With `use_remote_address` the proxy takes the client
// from the connection; without, it leaves X-Forwarded-For as it came.
inline std::string Hcm(const std::vector<std::pair<std::string, std::string>>& routes,
                       const std::string& indent, bool use_remote_address = true) {
  std::string text = absl::StrFormat(R"(filters:
- name: envoy.filters.network.http_connection_manager
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
    stat_prefix: ingress
    use_remote_address: %s
    http_filters:
    - name: envoy.filters.http.router
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
    route_config:
      virtual_hosts:
)",
                                     use_remote_address ? "true" : "false");
  for (const auto& [domain, cluster] : routes) {
    absl::StrAppendFormat(&text, R"(      - name: %s
        domains: ["%s"]
        routes:
        - match: {prefix: "/"}
          route: {cluster: %s}
)",
                          cluster, domain, cluster);
  }
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, indent, line, "\n");
  }
  return out;
}
inline std::string Hcm(const std::string& domain, const std::string& cluster,
                       const std::string& indent) {
  return Hcm({{domain, cluster}}, indent);
}

// A STATIC cluster (an item of "clusters:") with endpoints 127.0.0.1:`ports`; `extra` is YAML
// for the cluster's other fields, indented by four spaces.
inline std::string StaticCluster(const std::string& name, const std::vector<int>& ports,
                                 const std::string& extra = "") {
  std::string out =
      absl::StrFormat("  - name: %s\n    type: STATIC\n    connect_timeout: 1s\n", name);
  absl::StrAppend(&out, extra);
  absl::StrAppendFormat(&out,
                        "    load_assignment:\n      cluster_name: %s\n      endpoints:\n"
                        "      - lb_endpoints:\n",
                        name);
  for (int port : ports) {
    absl::StrAppendFormat(
        &out,
        "        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}\n",
        port);
  }
  return out;
}

// A bootstrap that takes everything over ADS (Delta) from an xDS server on 127.0.0.1:`xds_port`.
// `node` is the YAML of the node, e.g. "{id: app-1, cluster: app, metadata: {namespace: shop}}".
inline std::string AdsBootstrap(int xds_port,
                                const std::string& node = "{id: proxy-1, cluster: edge}") {
  return absl::StrFormat(R"(node: %s
admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
dynamic_resources:
  ads_config:
    api_type: DELTA_GRPC
    transport_api_version: V3
    grpc_services: [{envoy_grpc: {cluster_name: xds}}]
  lds_config: {ads: {}}
  cds_config: {ads: {}}
static_resources:
  clusters:
%s)",
                         node,
                         StaticCluster("xds", {xds_port}, R"(    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: {http2_protocol_options: {}}
)"));
}

// A Service ns/name with one port 80 ("http") → `port`, and its EndpointSlice with one ready
// endpoint 127.0.0.1:`port`, as manifest YAML.
inline std::string ServiceManifest(const std::string& ns, const std::string& name, int port,
                                   const std::string& labels = "{}") {
  return absl::StrFormat(R"(---
apiVersion: v1
kind: Service
metadata: {name: %s, namespace: %s, labels: %s}
spec: {ports: [{name: http, port: 80, targetPort: %d}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: %s-1, namespace: %s, labels: {kubernetes.io/service-name: %s}}
addressType: IPv4
ports: [{name: http, port: %d}]
endpoints: [{addresses: [127.0.0.1]}]
)",
                         name, ns, labels, port, name, ns, name, port);
}

// strata-controlplane with `args`, once it serves; `xds_port` receives its xDS port (0 if it
// did not come up).
inline std::unique_ptr<Subprocess> StartControlPlane(const std::vector<std::string>& args,
                                                     int& xds_port) {
  std::vector<std::string> argv = {Runfile("controlplane/strata-controlplane"),
                                   "--xds_address=127.0.0.1:0", "--admin_address=127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto process = Subprocess::Start(argv);
  xds_port = 0;
  EXPECT_TRUE(process->WaitForOutput("admin on port", absl::Seconds(20))) << process->Output();
  const std::string log = process->Output();
  const size_t at = log.find("xDS on port ");
  EXPECT_TRUE(at != std::string::npos &&
              absl::SimpleAtoi(log.substr(at + 12, log.find(',', at) - at - 12), &xds_port))
      << log;
  return process;
}

}  // namespace strata::test

#endif  // STRATA_TESTS_E2E_PROXY_FIXTURE_H_
