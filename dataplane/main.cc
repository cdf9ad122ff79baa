// strata-proxy: the data plane of both tiers. Wiring only; the parts live in their packages.
#include <pthread.h>

#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/admin_server.h"
#include "common/logging.h"
#include "dataplane/server/bootstrap.h"
#include "dataplane/server/server.h"
#include "dataplane/xds/ads_client.h"
#include "dataplane/xds/config_state.h"

ABSL_FLAG(std::string, config, "",
          "Bootstrap file in Envoy's v3 format (YAML or JSON): node, admin, static_resources, "
          "dynamic_resources.ads_config. See docs/proxy.md for the supported subset.");
ABSL_FLAG(int, concurrency, 0,
          "Worker threads, each with its own event loop and listening sockets (0: one per "
          "CPU core).");
ABSL_FLAG(int64_t, max_connections, 1 << 20,
          "Most downstream connections open at once over all listeners; more are closed at "
          "accept.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(20),
          "On SIGTERM: how long in-flight requests may run before the proxy exits anyway.");
ABSL_FLAG(bool, xds_delta, true,
          "Use the incremental (Delta) xDS protocol; false: state of the world. Overrides "
          "ads_config.api_type.");
ABSL_FLAG(std::string, admin_address_path, "",
          "Write the admin server's address (host:port) to this file once it listens (for "
          "tests and scripts that use port 0).");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "strata reverse proxy (HTTP/1.1), configured from an Envoy v3 bootstrap.\n"
      "  strata-proxy --config=bootstrap.yaml [--concurrency=N]");
  absl::ParseCommandLine(argc, argv);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (absl::GetFlag(FLAGS_config).empty()) {
    STRATA_LOG(ERROR) << "--config is required";
    return 2;
  }
  auto bootstrap = strata::server::LoadBootstrap(absl::GetFlag(FLAGS_config));
  if (!bootstrap.ok()) {
    STRATA_LOG(ERROR) << bootstrap.status().message();
    return 1;
  }
  auto ads_target = strata::server::AdsTarget(*bootstrap);
  if (!ads_target.ok()) {
    STRATA_LOG(ERROR) << ads_target.status().message();
    return 1;
  }
  auto static_config = strata::server::StaticConfig(*bootstrap);
  if (!static_config.ok()) {
    STRATA_LOG(ERROR) << static_config.status().message();
    return 1;
  }
  auto admin_address = strata::server::AdminAddress(*bootstrap);
  if (!admin_address.ok()) {
    STRATA_LOG(ERROR) << admin_address.status().message();
    return 1;
  }

  strata::server::Server::Options options;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  if (options.concurrency <= 0) {
    options.concurrency = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  options.max_connections = absl::GetFlag(FLAGS_max_connections);
  auto server = strata::server::Server::Create(options);
  if (!server.ok()) {
    STRATA_LOG(ERROR) << server.status().message();
    return 1;
  }
  // Listeners whose certificates come from SDS start once they arrive (over ADS).
  strata::server::ProxyConfig initial = *static_config;
  for (auto it = initial.listeners.begin(); it != initial.listeners.end();) {
    it = it->second->Warm() ? std::next(it) : initial.listeners.erase(it);
  }
  if (auto status = (*server)->Apply(std::move(initial)); !status.ok()) {
    STRATA_LOG(ERROR) << status.message();
    return 1;
  }
  strata::server::Server* proxy = server->get();

  // Dynamic config: one ADS stream; every accepted change becomes a new snapshot.
  std::unique_ptr<strata::xds::ConfigState> xds_state;
  std::unique_ptr<strata::xds::AdsClient> ads;
  if (!ads_target->empty()) {
    auto static_secrets = strata::server::StaticSecrets(*bootstrap);
    std::vector<envoy::config::listener::v3::Listener> static_listeners(
        bootstrap->static_resources().listeners().begin(),
        bootstrap->static_resources().listeners().end());
    xds_state = std::make_unique<strata::xds::ConfigState>(*static_config, static_listeners,
                                                           *static_secrets);
    strata::xds::AdsClient::Options ads_options;
    ads_options.target = *ads_target;
    ads_options.node = bootstrap->node();
    ads_options.node.set_user_agent_name("strata-proxy");
    ads_options.delta = absl::GetFlag(FLAGS_xds_delta);
    ads = std::make_unique<strata::xds::AdsClient>(
        ads_options, *xds_state, [proxy](strata::server::ProxyConfig config) {
          if (auto status = proxy->Apply(std::move(config)); !status.ok()) {
            STRATA_LOG(ERROR) << "config not applied: " << status.message();
          }
        });
    ads->Start();
    STRATA_LOG(INFO) << "xDS: ADS (" << (ads_options.delta ? "Delta" : "SotW") << ") to "
                     << *ads_target;
  }
  strata::xds::AdsClient* ads_client = ads.get();

  auto admin = strata::AdminServer::Create(admin_address->ToString());
  if (!admin.ok()) {
    STRATA_LOG(ERROR) << "admin: " << admin.status().message();
    return 1;
  }
  (*admin)->Handle("/ready", [proxy, ads_client](const strata::AdminRequest&) {
    strata::AdminResponse response;
    // With ADS: ready once the first listeners and clusters arrived and every worker runs
    // the latest config.
    const bool xds_ready = ads_client == nullptr || ads_client->stats().acks >= 2;
    if (xds_ready && proxy->AllWorkersApplied()) {
      response.body = "LIVE\n";
    } else {
      response.status = 503;
      response.body = "PRE_INITIALIZING\n";
    }
    return response;
  });
  (*admin)->Handle("/stats", [proxy](const strata::AdminRequest&) {
    strata::AdminResponse response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = proxy->StatsText();
    return response;
  });
  (*admin)->Handle("/config_dump", [proxy](const strata::AdminRequest&) {
    strata::AdminResponse response;
    response.content_type = "application/json";
    response.body = proxy->ConfigDumpJson();
    return response;
  });
  (*admin)->Handle("/xds", [ads_client](const strata::AdminRequest&) {
    strata::AdminResponse response;
    response.content_type = "application/json";
    if (ads_client == nullptr) {
      response.body = "{\"enabled\":false}\n";
      return response;
    }
    const auto stats = ads_client->stats();
    std::string nack = stats.last_nack;
    for (char& c : nack) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    response.body = absl::StrCat(
        "{\"enabled\":true,\"connected\":", stats.connected ? "true" : "false",
        ",\"streams\":", stats.streams, ",\"responses\":", stats.responses,
        ",\"acks\":", stats.acks, ",\"nacks\":", stats.nacks, ",\"last_nack\":\"", nack, "\"}\n");
    return response;
  });
  (*admin)->Handle("/listeners", [proxy](const strata::AdminRequest&) {
    strata::AdminResponse response;
    response.content_type = "application/json";
    std::string body = "{";
    bool first = true;
    for (const auto& [name, address] : proxy->ListenerAddresses()) {
      absl::StrAppend(&body, first ? "" : ",", "\"", name, "\":\"", address.ToString(), "\"");
      first = false;
    }
    response.body = body + "}\n";
    return response;
  });
  if (auto status = (*admin)->Start(); !status.ok()) {
    STRATA_LOG(ERROR) << "admin: " << status.message();
    return 1;
  }
  const std::string admin_bound = absl::StrCat(
      admin_address->family() == AF_INET6 ? "[" + admin_address->Ip() + "]" : admin_address->Ip(),
      ":", (*admin)->port());
  if (!absl::GetFlag(FLAGS_admin_address_path).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_admin_address_path)) << admin_bound << "\n";
  }
  STRATA_LOG(INFO) << "strata-proxy: " << options.concurrency << " workers, admin on "
                   << admin_bound;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  STRATA_LOG(INFO) << "signal " << signal_number << ": draining";
  if (ads != nullptr) ads->Stop();  // no config changes while draining
  const bool drained = proxy->Drain(absl::GetFlag(FLAGS_drain_timeout));
  (*admin)->Stop();
  return drained ? 0 : 1;
}
