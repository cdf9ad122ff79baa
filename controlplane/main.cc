// strata-controlplane: the xDS v3 control plane. Wiring only; the parts live in their packages.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/admin_server.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "controlplane/api/api_service.h"
#include "controlplane/api/node_status.h"
#include "controlplane/kube/api_client.h"
#include "controlplane/kube/kube_source.h"
#include "controlplane/kube/leader_elector.h"
#include "controlplane/kube/leader_runner.h"
#include "controlplane/kube/lease_store.h"
#include "controlplane/kube/status_writer.h"
#include "controlplane/source/manifest_watcher.h"
#include "controlplane/translate/node_groups.h"
#include "controlplane/translate/snapshot_publisher.h"
#include "controlplane/translate/two_tier.h"
#include "controlplane/xds/snapshot_cache.h"
#include "controlplane/xds/xds_server.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, xds_address, "0.0.0.0:18000",
          "Address for the xDS gRPC server and the strata.v1 integrator API (host:port).");
ABSL_FLAG(std::string, admin_address, "127.0.0.1:9901",
          "Address of the admin HTTP server (/metrics, /ready). Keep it on loopback: it is "
          "not authenticated.");
ABSL_FLAG(std::string, manifests, "",
          "Directory of Kubernetes manifests (Service, EndpointSlice, Ingress, IngressClass, "
          "IngressRoute; YAML or JSON, several documents per file) to serve. Re-read when files "
          "change.");
ABSL_FLAG(std::string, kubeconfig, "",
          "kubeconfig file of the Kubernetes API server to watch (its current context). "
          "Default: $KUBECONFIG, else the pod's service account when run in a cluster.");
ABSL_FLAG(std::string, identity, "",
          "This replica's name in the leader-election Lease. Default: the host name and the "
          "process id.");
ABSL_FLAG(std::string, leader_election_namespace, "",
          "Namespace of the leader-election Lease. Default: the pod's namespace in a cluster, "
          "else strata-system.");
ABSL_FLAG(std::string, leader_election_lease, "strata-controlplane",
          "Name of the leader-election Lease.");
ABSL_FLAG(absl::Duration, lease_duration, absl::Seconds(15),
          "How long a leader's Lease lasts without renewal before another replica takes over.");
ABSL_FLAG(absl::Duration, renew_deadline, absl::Seconds(10),
          "How long a leader keeps trying to renew before it steps down.");
ABSL_FLAG(absl::Duration, retry_period, absl::Seconds(2), "Time between leader-election attempts.");
ABSL_FLAG(std::string, node_group, "proxyless",
          "Node group of every node that is neither an edge nor an app proxy (proxyless gRPC "
          "clients): it gets a Listener, Route, Cluster and endpoints per Service port.");
ABSL_FLAG(std::string, proxy_listen_address, "0.0.0.0",
          "Address the edge and app-tier listeners bind on the proxies.");
ABSL_FLAG(int, edge_http_port, 8080, "Port of the edge proxies' HTTP listener.");
ABSL_FLAG(int, edge_https_port, 8443,
          "Port of the edge proxies' HTTPS listener (present while some host has a "
          "certificate: from an Ingress spec.tls entry, an IngressRoute tls.secretName or a "
          "Gateway HTTPS listener).");
ABSL_FLAG(std::string, edge_service, "strata-system/strata-edge",
          "namespace/name of the Service whose endpoints are the edge proxies: the only "
          "addresses app tiers accept PROXY protocol from.");
ABSL_FLAG(std::string, ingress_controller, "strata.dev/ingress-controller",
          "IngressClass spec.controller value of the classes strata serves.");
ABSL_FLAG(std::string, gateway_controller, "strata.dev/gateway-controller",
          "GatewayClass spec.controllerName of the classes strata serves.");
ABSL_FLAG(int, gateway_http_port, 80,
          "The port of a Gateway's HTTP listeners: the edge Service's port in front of "
          "--edge_http_port. Listeners on other ports are not served (PortUnavailable).");
ABSL_FLAG(int, gateway_https_port, 443,
          "The port of a Gateway's HTTPS listeners: the edge Service's port in front of "
          "--edge_https_port.");
ABSL_FLAG(std::string, catch_all_namespaces, "",
          "Comma-separated namespaces whose host-less Ingress rules, default backends, "
          "Host-less IngressRoute rules and HTTPRoutes without a hostname on a listener without "
          "one may catch requests for hosts nobody owns. Empty: none "
          "may; such hosts get 404.");
ABSL_FLAG(absl::Duration, debounce, absl::Milliseconds(100),
          "Quiet time that ends a burst of changes before it is pushed.");
ABSL_FLAG(absl::Duration, max_push_delay, absl::Seconds(1),
          "Longest a change waits while a burst goes on.");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Seconds(30),
          "Idle time after which the server pings a connection; a peer that does not answer "
          "within --keepalive_timeout is dropped (half-open streams are cleaned up).");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(10), "See --keepalive_time.");
ABSL_FLAG(absl::Duration, max_connection_age, absl::InfiniteDuration(),
          "Close client connections after this age so clients rebalance across replicas "
          "(e.g. 30m). Default: never.");
ABSL_FLAG(int, max_receive_message_mib, 64,
          "Largest request message accepted, in MiB (32 to 2047; Delta clients reconnect with "
          "the versions of every resource they hold).");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "strata xDS v3 control plane.\n"
      "  strata-controlplane --manifests=DIR [--xds_address=0.0.0.0:18000] "
      "[--admin_address=127.0.0.1:9901]");
  absl::ParseCommandLine(argc, argv);
  strata::xds::XdsServer::TransportOptions transport;
  transport.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  transport.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  transport.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  transport.max_receive_message_bytes = int64_t{absl::GetFlag(FLAGS_max_receive_message_mib)} << 20;
  strata::translate::TwoTierOptions tiers;
  tiers.listen_address = absl::GetFlag(FLAGS_proxy_listen_address);
  // A port flag's value, or 0 (after logging why) when it is not a port.
  auto port_flag = [](const char* name, int value) -> uint32_t {
    if (value >= 1 && value <= 65535) return static_cast<uint32_t>(value);
    STRATA_LOG(ERROR) << "--" << name << ": must be 1..65535";
    return 0;
  };
  tiers.edge_http_port = port_flag("edge_http_port", absl::GetFlag(FLAGS_edge_http_port));
  tiers.edge_https_port = port_flag("edge_https_port", absl::GetFlag(FLAGS_edge_https_port));
  tiers.gateway_http_port = port_flag("gateway_http_port", absl::GetFlag(FLAGS_gateway_http_port));
  tiers.gateway_https_port =
      port_flag("gateway_https_port", absl::GetFlag(FLAGS_gateway_https_port));
  if (tiers.edge_http_port == 0 || tiers.edge_https_port == 0 || tiers.gateway_http_port == 0 ||
      tiers.gateway_https_port == 0) {
    return 1;
  }
  if (tiers.edge_http_port == tiers.edge_https_port) {
    STRATA_LOG(ERROR) << "--edge_https_port: must differ from --edge_http_port";
    return 1;
  }
  if (tiers.gateway_http_port == tiers.gateway_https_port) {
    STRATA_LOG(ERROR) << "--gateway_https_port: must differ from --gateway_http_port";
    return 1;
  }
  const std::vector<std::string> edge_service =
      absl::StrSplit(absl::GetFlag(FLAGS_edge_service), '/');
  if (edge_service.size() != 2 || edge_service[0].empty() || edge_service[1].empty()) {
    STRATA_LOG(ERROR) << "--edge_service: must be namespace/name";
    return 1;
  }
  tiers.edge_service = {edge_service[0], edge_service[1]};
  tiers.ingress_controller = absl::GetFlag(FLAGS_ingress_controller);
  tiers.gateway_controller = absl::GetFlag(FLAGS_gateway_controller);
  for (absl::string_view ns :
       absl::StrSplit(absl::GetFlag(FLAGS_catch_all_namespaces), ',', absl::SkipEmpty())) {
    tiers.catch_all_namespaces.insert(std::string(ns));
  }
  if (absl::Status s = strata::xds::XdsServer::ValidateTransportOptions(transport); !s.ok()) {
    STRATA_LOG(ERROR) << "transport flags (--keepalive_*, --max_connection_age, "
                         "--max_receive_message_mib): "
                      << s.message();
    return 1;
  }
  // SIGINT/SIGTERM are taken by sigwait below; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  using strata::RealClock;

  strata::MetricsRegistry metrics;
  strata::xds::SnapshotCache cache(
      {absl::GetFlag(FLAGS_debounce), absl::GetFlag(FLAGS_max_push_delay)}, RealClock::Get());
  strata::translate::TierNodeGrouper grouper(absl::GetFlag(FLAGS_node_group));
  strata::api::NodeStatusRegistry status(metrics, RealClock::Get());
  strata::xds::XdsServer xds_server(cache, grouper, status);
  strata::api::ApiService api(status, cache);

  // Declared in the order they depend on each other: on any return they are destroyed in
  // reverse, so nothing calls into an object that is already gone (the leader and the
  // sources first, the clients they use last).
  std::unique_ptr<strata::kube::ApiClient> kube_client;
  std::unique_ptr<strata::kube::ApiClient> lease_client;
  std::unique_ptr<strata::kube::ApiLeaseStore> lease_store;
  strata::Gauge* leader_gauge =
      &metrics
           .AddGauge("strata_leader",
                     "1 while this replica leads (holds the leader-election Lease), else 0.")
           ->WithLabels({});
  const std::string dir = absl::GetFlag(FLAGS_manifests);
  // With the Kubernetes source, the leader writes problems back to the objects.
  std::unique_ptr<strata::kube::StatusWriter> status_writer;
  strata::translate::SnapshotPublisher publisher(
      cache, tiers, absl::GetFlag(FLAGS_node_group),
      [&status_writer](const strata::source::ClusterState& state,
                       const strata::translate::TwoTierConfig& config) {
        if (status_writer != nullptr) status_writer->Update(state, config);
      });
  auto publish = [&publisher](const strata::source::ClusterStateConstSharedPtr& state,
                              const strata::source::StateChanges& changes) {
    publisher.Publish(*state, changes);
  };
  std::unique_ptr<strata::source::ManifestWatcher> watcher;
  std::unique_ptr<strata::kube::KubeSource> kube_source;
  std::unique_ptr<strata::kube::LeaderRunner> leader;
  // The source: a directory of manifests, else the Kubernetes API (--kubeconfig, then
  // KUBECONFIG, then the pod's service account).
  // KUBECONFIG may list several files: the existing ones are merged as kubectl merges them.
  // Last, ~/.kube/config, as kubectl.
  std::vector<std::string> kubeconfig;
  if (!absl::GetFlag(FLAGS_kubeconfig).empty()) {
    kubeconfig.push_back(absl::GetFlag(FLAGS_kubeconfig));  // only that file, as kubectl
  } else if (getenv("KUBECONFIG") != nullptr) {
    for (absl::string_view file : absl::StrSplit(getenv("KUBECONFIG"), ':', absl::SkipEmpty())) {
      if (std::ifstream(std::string(file))) kubeconfig.emplace_back(file);
    }
  }
  if (kubeconfig.empty() && getenv("KUBERNETES_SERVICE_HOST") == nullptr &&
      getenv("HOME") != nullptr && std::ifstream(absl::StrCat(getenv("HOME"), "/.kube/config"))) {
    kubeconfig.push_back(absl::StrCat(getenv("HOME"), "/.kube/config"));
  }
  if (!dir.empty()) {
    auto created = strata::source::ManifestWatcher::Create(dir, publish);
    if (!created.ok()) {
      STRATA_LOG(ERROR) << "--manifests: " << created.status();
      return 1;
    }
    watcher = *std::move(created);
  } else if (!kubeconfig.empty() || getenv("KUBERNETES_SERVICE_HOST") != nullptr) {
    absl::StatusOr<strata::kube::ApiServerConfig> config =
        !kubeconfig.empty() ? strata::kube::KubeconfigConfig(kubeconfig)
                            : strata::kube::InClusterConfig(&getenv);
    if (!config.ok()) {
      STRATA_LOG(ERROR) << "Kubernetes API: " << config.status().message();
      return 1;
    }
    auto client = strata::kube::CurlApiClient::Create(*config, RealClock::Get());
    // Lease calls give up within half the renew deadline: a hung API server must not keep
    // a leader leading past its Lease.
    auto leases = strata::kube::CurlApiClient::Create(
        *config, RealClock::Get(),
        std::max(absl::GetFlag(FLAGS_renew_deadline) / 2, absl::Milliseconds(500)));
    if (!client.ok() || !leases.ok()) {
      STRATA_LOG(ERROR) << "Kubernetes API: "
                        << (client.ok() ? leases.status() : client.status()).message();
      return 1;
    }
    kube_client = *std::move(client);
    lease_client = *std::move(leases);
    status_writer = std::make_unique<strata::kube::StatusWriter>(*kube_client, RealClock::Get());
    kube_source =
        std::make_unique<strata::kube::KubeSource>(*kube_client, RealClock::Get(), publish);
    kube_source->Start();

    // Leader election: every replica serves xDS; only the leader will write status.
    std::string lease_namespace = absl::GetFlag(FLAGS_leader_election_namespace);
    if (lease_namespace.empty() && kubeconfig.empty()) {
      std::ifstream pod_namespace("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
      std::getline(pod_namespace, lease_namespace);
    }
    if (lease_namespace.empty()) lease_namespace = "strata-system";
    std::string identity = absl::GetFlag(FLAGS_identity);
    if (identity.empty()) {
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      identity = absl::StrCat(host, "_", getpid());
    }
    lease_store = std::make_unique<strata::kube::ApiLeaseStore>(
        *lease_client, lease_namespace, absl::GetFlag(FLAGS_leader_election_lease));
    strata::kube::LeaderElectionConfig election{identity, absl::GetFlag(FLAGS_lease_duration),
                                                absl::GetFlag(FLAGS_renew_deadline),
                                                absl::GetFlag(FLAGS_retry_period)};
    auto elector = strata::kube::LeaderElector::Create(*lease_store, RealClock::Get(), election);
    if (!elector.ok()) {
      STRATA_LOG(ERROR) << "leader election: " << elector.status().message();
      return 1;
    }
    const std::string lease_name =
        absl::StrCat(lease_namespace, "/", absl::GetFlag(FLAGS_leader_election_lease));
    leader = std::make_unique<strata::kube::LeaderRunner>(
        *std::move(elector), election.retry_period,
        [lease_name, identity, leader_gauge, writer = status_writer.get()](bool leading) {
          leader_gauge->Set(leading ? 1 : 0);
          writer->SetLeader(leading);
          STRATA_LOG(INFO) << "leader election: " << (leading ? "now leading" : "no longer leading")
                           << " (Lease " << lease_name << ", identity " << identity << ")";
        });
    leader->Start();
  } else {
    STRATA_LOG(WARNING) << "no --manifests, no --kubeconfig and not in a cluster: serving nothing";
  }

  grpc::ServerBuilder builder;
  int xds_port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_xds_address), grpc::InsecureServerCredentials(),
                           &xds_port);
  strata::xds::XdsServer::ApplyTransportOptions(transport, builder);
  xds_server.RegisterServices(builder);
  builder.RegisterService(&api);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || xds_port == 0) {
    STRATA_LOG(ERROR) << "cannot listen on --xds_address=" << absl::GetFlag(FLAGS_xds_address);
    return 1;
  }

  auto admin = strata::AdminServer::Create(absl::GetFlag(FLAGS_admin_address));
  if (!admin.ok()) {
    STRATA_LOG(ERROR) << "--admin_address: " << admin.status();
    return 1;
  }
  (*admin)->Handle("/metrics", [&metrics](const strata::AdminRequest&) {
    return strata::AdminResponse{200, std::string(strata::MetricsRegistry::kContentType),
                                 metrics.Render()};
  });
  (*admin)->Handle("/ready", [](const strata::AdminRequest&) {
    return strata::AdminResponse{200, "text/plain; charset=utf-8", "ready\n"};
  });
  if (absl::Status s = (*admin)->Start(); !s.ok()) {
    STRATA_LOG(ERROR) << "admin server: " << s;
    return 1;
  }
  STRATA_LOG(INFO) << "xDS on port " << xds_port << ", admin on port " << (*admin)->port();

  int signal = 0;
  sigwait(&stop_signals, &signal);
  STRATA_LOG(INFO) << "shutting down";
  leader.reset();  // first: hands the Lease back if leading, so another replica takes over
  (*admin)->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  watcher.reset();
  kube_source.reset();
  status_writer.reset();
  return 0;
}
