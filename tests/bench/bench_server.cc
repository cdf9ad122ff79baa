#include "tests/bench/bench_server.h"

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "controlplane/api/node_status.h"
#include "controlplane/xds/callbacks.h"
#include "controlplane/xds/resource.h"
#include "controlplane/xds/snapshot_cache.h"
#include "controlplane/xds/xds_server.h"
#include "grpcpp/grpcpp.h"

namespace strata::bench {
namespace {

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1.
int64_t ProcStatusKb(absl::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, absl::StrCat(field, ":"))) continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(line.substr(field.size() + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t kb = -1;
    if (!parts.empty() && absl::SimpleAtoi(parts[0], &kb)) return kb;
  }
  return -1;
}

// Open socket descriptors of this process: the listener and one per accepted connection.
int SocketCount() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (struct dirent* entry = readdir(dir)) {
    char target[64];
    const std::string path = absl::StrCat("/proc/self/fd/", entry->d_name);
    const ssize_t len = readlink(path.c_str(), target, sizeof target - 1);
    if (len > 0 && absl::StartsWith(absl::string_view(target, len), "socket:")) ++n;
  }
  closedir(dir);
  return n;
}

class Server {
 public:
  explicit Server(const ConfigShape& shape)
      : config_(shape),
        cache_({absl::ZeroDuration(), absl::ZeroDuration()}, RealClock::Get()),
        status_(metrics_, RealClock::Get()),
        xds_(cache_, grouper_, status_) {}

  // Publishes every group's first snapshot and starts serving; returns the port.
  absl::StatusOr<int> Start() {
    for (int g = 0; g < config_.shape().groups; ++g) {
      absl::Status s = Publish(g, std::nullopt, nullptr);
      if (!s.ok()) return s;
    }
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    xds::XdsServer::ApplyTransportOptions(xds::XdsServer::TransportOptions(), builder);
    xds_.RegisterServices(builder);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port == 0) return absl::UnavailableError("cannot listen");
    return port;
  }

  void Stop() {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    }
  }

  // One command line in, one reply line out.
  std::string Handle(absl::string_view line) {
    std::vector<std::string> args = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (args.empty()) return "error empty command";
    const std::string& cmd = args[0];
    if ((cmd == "update-one" && args.size() == 3) || (cmd == "update-all" && args.size() == 2)) {
      const std::string& what = args.back();
      if (what != "eds" && what != "rds") return "error update kind must be eds or rds";
      const xds::ResourceType type =
          what == "eds" ? xds::ResourceType::kEndpoint : xds::ResourceType::kRoute;
      std::vector<int> groups;
      if (cmd == "update-one") {
        int g = -1;
        if (!absl::SimpleAtoi(args[1], &g) || g < 0 || g >= config_.shape().groups) {
          return "error bad group";
        }
        groups.push_back(g);
      } else {
        for (int g = 0; g < config_.shape().groups; ++g) groups.push_back(g);
      }
      const absl::Time start = absl::Now();
      std::string versions;
      for (int g : groups) {
        std::string version;
        absl::Status s = Publish(g, type, &version);
        if (!s.ok()) return absl::StrCat("error ", s.ToString());
        absl::StrAppend(&versions, " ", version);
      }
      return absl::StrCat("ok ", absl::ToInt64Microseconds(absl::Now() - start), versions);
    }
    if (cmd == "rss") {
      const int64_t rss = ProcStatusKb("VmRSS");
      const int64_t hwm = ProcStatusKb("VmHWM");
      const struct mallinfo2 heap = mallinfo2();
      malloc_trim(0);
      return absl::StrCat("ok ", rss, " ", hwm, " ", ProcStatusKb("VmRSS"), " ",
                          heap.uordblks + heap.hblkhd);
    }
    if (cmd == "nodes") return absl::StrCat("ok ", status_.Snapshot().size());
    if (cmd == "sockets") return absl::StrCat("ok ", SocketCount());
    if (cmd == "serializations") return absl::StrCat("ok ", xds::SerializationCount());
    return absl::StrCat("error unknown command \"", line, "\"");
  }

 private:
  // Applies an edit of type `edit` (kEndpoint or kRoute) to group `g`, if any, and publishes
  // the group's snapshot; sets `*version` to the new version of the edited type.
  absl::Status Publish(int g, std::optional<xds::ResourceType> edit, std::string* version) {
    if (edit == xds::ResourceType::kEndpoint) config_.ChangeEndpoints(g);
    if (edit == xds::ResourceType::kRoute) config_.ChangeRoute(g);
    absl::StatusOr<xds::SnapshotConstSharedPtr> snapshot = config_.Snapshot(g);
    if (!snapshot.ok()) return snapshot.status();
    if (version != nullptr && edit.has_value()) *version = (*snapshot)->version(*edit);
    cache_.SetSnapshot(GroupName(g), *std::move(snapshot));
    return absl::OkStatus();
  }

  SyntheticConfig config_;
  xds::SnapshotCache cache_;
  xds::ClusterNodeGrouper grouper_;
  MetricsRegistry metrics_;
  api::NodeStatusRegistry status_;
  xds::XdsServer xds_;
  std::unique_ptr<grpc::Server> server_;
};

void Reply(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

int RunServer(const ConfigShape& shape) {
  Server server(shape);
  absl::StatusOr<int> port = server.Start();
  if (!port.ok()) {
    STRATA_LOG(ERROR) << "xds_bench server: " << port.status();
    Reply(absl::StrCat("error ", port.status().ToString()));
    return 1;
  }
  Reply(absl::StrCat("port ", *port));
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "quit") break;
    Reply(server.Handle(line));
  }
  server.Stop();
  Reply("ok");
  return 0;
}

}  // namespace strata::bench
