// xds_bench: the control plane under 1,000 simulated Envoys on loopback.
//
// The binary runs twice over: as the client (the default role) it starts itself again with
// --role=server, so the control plane has a process of its own whose memory /proc reports
// cleanly, and drives it over two pipes (see tests/bench/bench_server.h). The client opens the
// ADS streams (tests/bench/ads_load.h), waits for their initial sync, then times updates of one
// group and of every group until every affected stream has ACKed, and prints markdown tables.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "tests/bench/ads_load.h"
#include "tests/bench/bench_server.h"
#include "tests/bench/synthetic_config.h"

extern char** environ;

ABSL_FLAG(std::string, role, "client",
          "'client' runs the benchmark; 'server' is the control-plane process it starts.");
ABSL_FLAG(std::vector<std::string>, modes, std::vector<std::string>({"sotw", "delta"}),
          "Protocols to measure, each against a fresh control-plane process: sotw, delta.");
ABSL_FLAG(int, groups, 100, "Node groups (one snapshot each).");
ABSL_FLAG(int, routes_per_group, 100, "Routes in each group's RouteConfiguration.");
ABSL_FLAG(int, clusters_per_group, 50, "EDS clusters (and ClusterLoadAssignments) per group.");
ABSL_FLAG(int, endpoints_per_cluster, 10, "Endpoints per ClusterLoadAssignment.");
ABSL_FLAG(int, streams_per_group, 10, "ADS streams (simulated Envoys) per group.");
ABSL_FLAG(int, channels, 100, "gRPC channels (one TCP connection each) the streams share.");
ABSL_FLAG(int, one_group_updates, 50, "Timed updates of one group, per resource kind.");
ABSL_FLAG(int, all_group_updates, 20, "Timed updates of every group, per resource kind.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(120),
          "Deadline for the initial sync, and for the ACKs of each update.");

namespace strata::bench {
namespace {

// Raises the soft open-file limit to the hard one (1,000 streams over 100 connections, and the
// server's side of them).
void RaiseFileLimit() {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

ConfigShape ShapeFromFlags() {
  ConfigShape shape;
  shape.groups = absl::GetFlag(FLAGS_groups);
  shape.routes_per_group = absl::GetFlag(FLAGS_routes_per_group);
  shape.clusters_per_group = absl::GetFlag(FLAGS_clusters_per_group);
  shape.endpoints_per_cluster = absl::GetFlag(FLAGS_endpoints_per_cluster);
  return shape;
}

// The control-plane process: this binary with --role=server, its stdin and stdout on pipes.
// Killed (by PID) if still running when destroyed.
class ServerProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Spawn(const ConfigShape& shape) {
    std::vector<std::string> args = {
        "/proc/self/exe",
        "--role=server",
        absl::StrCat("--groups=", shape.groups),
        absl::StrCat("--routes_per_group=", shape.routes_per_group),
        absl::StrCat("--clusters_per_group=", shape.clusters_per_group),
        absl::StrCat("--endpoints_per_cluster=", shape.endpoints_per_cluster),
    };
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
    if (pipe2(from_child, O_CLOEXEC) != 0) {
      close(to_child[0]);
      close(to_child[1]);
      return absl::InternalError("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    if (rc != 0) {
      close(to_child[1]);
      close(from_child[0]);
      return absl::InternalError(absl::StrCat("posix_spawn: ", rc));
    }
    return std::unique_ptr<ServerProcess>(new ServerProcess(pid, to_child[1], from_child[0]));
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(to_child_);
    close(from_child_);
  }

  // The next line the server printed, without its newline.
  absl::StatusOr<std::string> ReadLine(absl::Time deadline) {
    while (true) {
      const size_t end = buffer_.find('\n');
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError("no answer from the server process");
      }
      struct pollfd pfd = {from_child_, POLLIN, 0};
      const int ready = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (ready < 0 && errno != EINTR) return absl::InternalError("poll failed");
      if (ready <= 0) continue;
      char chunk[4096];
      const ssize_t n = read(from_child_, chunk, sizeof chunk);
      if (n == 0) return absl::UnavailableError("the server process exited");
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::InternalError("read failed");
      }
      buffer_.append(chunk, n);
    }
  }

  // Sends one command; returns the words of an "ok" answer after "ok".
  absl::StatusOr<std::vector<std::string>> Call(const std::string& command, absl::Time deadline) {
    const std::string line = command + "\n";
    size_t written = 0;
    while (written < line.size()) {
      const ssize_t n = write(to_child_, line.data() + written, line.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::UnavailableError("the server process is gone");
      written += n;
    }
    STRATA_ASSIGN_OR_RETURN(std::string reply, ReadLine(deadline));
    std::vector<std::string> words = absl::StrSplit(reply, ' ', absl::SkipEmpty());
    if (words.empty() || words[0] != "ok") {
      return absl::InternalError(absl::StrCat("\"", command, "\": ", reply));
    }
    words.erase(words.begin());
    return words;
  }

  // Asks the server to stop and reaps it.
  absl::Status Quit(absl::Time deadline) {
    STRATA_RETURN_IF_ERROR(Call("quit", deadline).status());
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return absl::OkStatus();
  }

 private:
  ServerProcess(pid_t pid, int to_child, int from_child)
      : pid_(pid), to_child_(to_child), from_child_(from_child) {}

  pid_t pid_;
  int to_child_;
  int from_child_;
  std::string buffer_;
};

absl::StatusOr<int64_t> ToInt(const std::string& word) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(word, &v)) return absl::InternalError("not a number: " + word);
  return v;
}

struct Rss {
  int64_t rss_kb = 0;
  int64_t hwm_kb = 0;
  int64_t trimmed_kb = 0;  // after malloc_trim(0)
  int64_t heap_bytes = 0;  // allocated by malloc and not freed (mallinfo2)
};

absl::StatusOr<Rss> ReadRss(ServerProcess& server, absl::Time deadline) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> w, server.Call("rss", deadline));
  if (w.size() != 4) return absl::InternalError("bad rss answer");
  Rss rss;
  STRATA_ASSIGN_OR_RETURN(rss.rss_kb, ToInt(w[0]));
  STRATA_ASSIGN_OR_RETURN(rss.hwm_kb, ToInt(w[1]));
  STRATA_ASSIGN_OR_RETURN(rss.trimmed_kb, ToInt(w[2]));
  STRATA_ASSIGN_OR_RETURN(rss.heap_bytes, ToInt(w[3]));
  if (rss.rss_kb <= 0 || rss.hwm_kb <= 0 || rss.trimmed_kb <= 0) {
    return absl::InternalError("the server cannot read /proc/self/status");
  }
  return rss;
}

// The 1-minute load average, as /proc/loadavg gives it.
std::string LoadAverage() {
  FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "?";
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  if (!ok) return "?";
  std::vector<std::string> fields = absl::StrSplit(buf, ' ');
  return fields[0];
}

// Timings of one kind of update.
struct UpdateSeries {
  std::string label;
  std::vector<absl::Duration> all_acked;   // command sent -> last affected stream's ACK
  std::vector<absl::Duration> per_stream;  // command sent -> each affected stream's ACK
  std::vector<absl::Duration> server;      // server: edit + snapshot build + publication
  std::vector<int64_t> serializations;     // serialization counter delta per update
};

struct ModeResult {
  Protocol protocol = Protocol::kSotw;
  int streams = 0;
  int synced = 0;
  absl::Duration sync_time;
  AckTracker::SyncCounts min_counts;
  AckTracker::SyncCounts max_counts;
  int64_t nodes = 0;
  int64_t sockets = 0;  // open at the server once synced
  Rss before_streams;
  Rss synced_rss;
  Rss after_updates;
  std::vector<UpdateSeries> updates;
  int nacks = 0;
  int failures = 0;
  std::string load_average;  // 1-minute, when the run started
};

absl::string_view ModeName(Protocol p) { return p == Protocol::kSotw ? "SotW" : "Delta"; }

// One timed update: `command` edits `groups` (all of them for update-all); waits until every
// stream of those groups has ACKed the new version of `type`.
absl::Status TimeUpdate(ServerProcess& server, AckTracker& tracker, int streams_per_group,
                        const std::string& command, xds::ResourceType type,
                        const std::vector<int>& groups, UpdateSeries& series) {
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> before,
                          server.Call("serializations", absl::Now() + timeout));
  if (before.size() != 1) return absl::InternalError("bad serializations answer");
  const absl::Time sent = absl::Now();
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> reply, server.Call(command, sent + timeout));
  if (reply.size() != groups.size() + 1) return absl::InternalError("bad update answer");
  STRATA_ASSIGN_OR_RETURN(int64_t server_micros, ToInt(reply[0]));
  std::vector<std::pair<int, std::string>> expected;
  for (size_t i = 0; i < groups.size(); ++i) {
    for (int s = 0; s < streams_per_group; ++s) {
      expected.emplace_back(groups[i] * streams_per_group + s, reply[i + 1]);
    }
  }
  std::optional<std::vector<absl::Time>> acks = tracker.AwaitAcks(type, expected, sent + timeout);
  if (!acks.has_value()) {
    return absl::DeadlineExceededError(absl::StrCat("\"", command, "\": ", tracker.last_acked(),
                                                    " of ", expected.size(),
                                                    " streams ACKed before the deadline"));
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> after,
                          server.Call("serializations", absl::Now() + timeout));
  if (after.size() != 1) return absl::InternalError("bad serializations answer");
  STRATA_ASSIGN_OR_RETURN(int64_t b, ToInt(before[0]));
  STRATA_ASSIGN_OR_RETURN(int64_t a, ToInt(after[0]));

  absl::Time last = sent;
  for (absl::Time t : *acks) {
    series.per_stream.push_back(t - sent);
    last = std::max(last, t);
  }
  series.all_acked.push_back(last - sent);
  series.server.push_back(absl::Microseconds(server_micros));
  series.serializations.push_back(a - b);
  return absl::OkStatus();
}

absl::StatusOr<ModeResult> RunMode(Protocol protocol) {
  const ConfigShape shape = ShapeFromFlags();
  const int streams_per_group = absl::GetFlag(FLAGS_streams_per_group);
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  ModeResult result;
  result.protocol = protocol;
  result.load_average = LoadAverage();

  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ServerProcess> server, ServerProcess::Spawn(shape));
  // Building the snapshots comes first; it is not part of any measurement.
  STRATA_ASSIGN_OR_RETURN(std::string hello, server->ReadLine(absl::Now() + timeout));
  std::vector<std::string> words = absl::StrSplit(hello, ' ');
  if (words.size() != 2 || words[0] != "port") {
    return absl::InternalError("server process: " + hello);
  }
  STRATA_ASSIGN_OR_RETURN(int64_t port, ToInt(words[1]));
  STRATA_ASSIGN_OR_RETURN(result.before_streams, ReadRss(*server, absl::Now() + timeout));

  LoadClient::Options options;
  options.target = absl::StrCat("127.0.0.1:", port);
  options.protocol = protocol;
  options.groups = shape.groups;
  options.streams_per_group = streams_per_group;
  options.channels = absl::GetFlag(FLAGS_channels);
  AckTracker tracker(shape.groups * streams_per_group);
  LoadClient client(options, tracker);
  result.streams = client.streams();

  const absl::Time start = absl::Now();
  client.Start();
  std::optional<absl::Time> synced = tracker.AwaitSynced(start + timeout);
  result.synced = tracker.synced();
  if (!synced.has_value()) {
    return absl::DeadlineExceededError(
        absl::StrCat(result.synced, " of ", result.streams, " streams synced before the deadline"));
  }
  result.sync_time = *synced - start;
  std::tie(result.min_counts, result.max_counts) = tracker.SyncCountRange();
  STRATA_ASSIGN_OR_RETURN(result.synced_rss, ReadRss(*server, absl::Now() + timeout));
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> nodes,
                          server->Call("nodes", absl::Now() + timeout));
  if (nodes.size() != 1) return absl::InternalError("bad nodes answer");
  STRATA_ASSIGN_OR_RETURN(result.nodes, ToInt(nodes[0]));
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> sockets,
                          server->Call("sockets", absl::Now() + timeout));
  if (sockets.size() != 1) return absl::InternalError("bad sockets answer");
  STRATA_ASSIGN_OR_RETURN(result.sockets, ToInt(sockets[0]));

  struct Kind {
    std::string arg;
    xds::ResourceType type;
    std::string what;
  };
  const Kind kinds[] = {
      {"eds", xds::ResourceType::kEndpoint, "ClusterLoadAssignment (1 endpoint replaced)"},
      {"rds", xds::ResourceType::kRoute, "RouteConfiguration (1 route changed)"},
  };
  std::vector<int> all_groups;
  for (int g = 0; g < shape.groups; ++g) all_groups.push_back(g);
  for (const Kind& kind : kinds) {
    UpdateSeries series;
    series.label = absl::StrCat("one group: 1 ", kind.what);
    for (int i = 0; i < absl::GetFlag(FLAGS_one_group_updates); ++i) {
      // Step through the groups so consecutive updates land on different connections.
      const int g = (i * 37) % shape.groups;
      STRATA_RETURN_IF_ERROR(TimeUpdate(*server, tracker, streams_per_group,
                                        absl::StrCat("update-one ", g, " ", kind.arg), kind.type,
                                        {g}, series));
    }
    result.updates.push_back(std::move(series));
  }
  for (const Kind& kind : kinds) {
    UpdateSeries series;
    series.label = absl::StrCat("every group: 1 ", kind.what, " each");
    for (int i = 0; i < absl::GetFlag(FLAGS_all_group_updates); ++i) {
      STRATA_RETURN_IF_ERROR(TimeUpdate(*server, tracker, streams_per_group,
                                        absl::StrCat("update-all ", kind.arg), kind.type,
                                        all_groups, series));
    }
    result.updates.push_back(std::move(series));
  }
  STRATA_ASSIGN_OR_RETURN(result.after_updates, ReadRss(*server, absl::Now() + timeout));
  result.nacks = tracker.nacks();
  result.failures = tracker.failures();

  if (!client.Stop(absl::Now() + absl::Seconds(30))) {
    return absl::DeadlineExceededError("streams did not end after cancellation");
  }
  STRATA_RETURN_IF_ERROR(server->Quit(absl::Now() + absl::Seconds(30)));
  return result;
}

// Nearest-rank percentile.
absl::Duration Percentile(std::vector<absl::Duration> v, double q) {
  if (v.empty()) return absl::ZeroDuration();
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(q * v.size()));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

std::string Ms(absl::Duration d) { return absl::StrFormat("%.1f", absl::ToDoubleMilliseconds(d)); }

std::string MiB(int64_t kb) { return absl::StrFormat("%.1f MiB", kb / 1024.0); }

// Growth of the server's memory from "snapshots built, no stream" to "all streams synced",
// divided by the number of streams, in KB (1,000 bytes, the unit of the target).
enum class Memory { kRss, kTrimmedRss, kHeap };
double PerStreamKb(const ModeResult& r, Memory what) {
  int64_t bytes = 0;
  switch (what) {
    case Memory::kRss:
      bytes = (r.synced_rss.rss_kb - r.before_streams.rss_kb) * 1024;
      break;
    case Memory::kTrimmedRss:
      bytes = (r.synced_rss.trimmed_kb - r.before_streams.trimmed_kb) * 1024;
      break;
    case Memory::kHeap:
      bytes = r.synced_rss.heap_bytes - r.before_streams.heap_bytes;
      break;
  }
  return static_cast<double>(bytes) / r.streams / 1000;
}

// The larger p99 of the one-group updates (command sent -> last affected stream ACKed).
absl::Duration OneGroupP99(const ModeResult& r) {
  absl::Duration worst;
  for (const UpdateSeries& s : r.updates) {
    if (absl::StartsWith(s.label, "one group"))
      worst = std::max(worst, Percentile(s.all_acked, 0.99));
  }
  return worst;
}

void PrintMode(const ModeResult& r) {
  std::printf("### %s: %d ADS streams over %d connections (load average at start: %s)\n\n",
              std::string(ModeName(r.protocol)).c_str(), r.streams, absl::GetFlag(FLAGS_channels),
              r.load_average.c_str());
  std::printf(
      "| Update | Updates | All affected streams ACKed, p50 / p99 (ms) | Each stream's ACK, p50 / "
      "p99 (ms) | Server edit + build + publish, p50 / p99 (ms) | Serializations per update |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const UpdateSeries& s : r.updates) {
    int64_t lo = s.serializations.empty() ? 0 : s.serializations[0];
    int64_t hi = lo;
    for (int64_t n : s.serializations) {
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
    const std::string serializations = lo == hi ? absl::StrCat(lo) : absl::StrCat(lo, "-", hi);
    std::printf("| %s | %zu | %s / %s | %s / %s | %s / %s | %s |\n", s.label.c_str(),
                s.all_acked.size(), Ms(Percentile(s.all_acked, 0.5)).c_str(),
                Ms(Percentile(s.all_acked, 0.99)).c_str(),
                Ms(Percentile(s.per_stream, 0.5)).c_str(),
                Ms(Percentile(s.per_stream, 0.99)).c_str(), Ms(Percentile(s.server, 0.5)).c_str(),
                Ms(Percentile(s.server, 0.99)).c_str(), serializations.c_str());
  }
  std::printf("\n| Measure | Value |\n|---|---:|\n");
  std::printf("| Streams synced (nodes known to the server) | %d / %d (%lld) |\n", r.synced,
              r.streams, static_cast<long long>(r.nodes));
  std::printf("| Sockets open at the server (listener + connections) | %lld |\n",
              static_cast<long long>(r.sockets));
  std::printf("| Each stream received (clusters / endpoints / routes) | %d / %d / %d |\n",
              r.min_counts.clusters, r.min_counts.endpoints, r.min_counts.routes);
  std::printf(
      "| Time to full sync (first stream opened -> last stream complete and ACKed) | "
      "%.2f s |\n",
      absl::ToDoubleSeconds(r.sync_time));
  std::printf("| Server RSS, snapshots built, no stream (after malloc_trim) | %s (%s) |\n",
              MiB(r.before_streams.rss_kb).c_str(), MiB(r.before_streams.trimmed_kb).c_str());
  std::printf("| Server RSS, all streams synced (after malloc_trim) | %s (%s) |\n",
              MiB(r.synced_rss.rss_kb).c_str(), MiB(r.synced_rss.trimmed_kb).c_str());
  std::printf("| Server RSS after the updates (after malloc_trim) | %s (%s) |\n",
              MiB(r.after_updates.rss_kb).c_str(), MiB(r.after_updates.trimmed_kb).c_str());
  std::printf("| Server peak RSS (VmHWM) | %s |\n", MiB(r.after_updates.hwm_kb).c_str());
  std::printf("| Server heap in use (mallinfo2): no stream / all streams synced | %s / %s |\n",
              MiB(r.before_streams.heap_bytes / 1024).c_str(),
              MiB(r.synced_rss.heap_bytes / 1024).c_str());
  std::printf(
      "| Memory per stream: RSS growth / streams (same after malloc_trim; heap growth / "
      "streams) | %.1f KB (%.1f KB; %.1f KB) |\n",
      PerStreamKb(r, Memory::kRss), PerStreamKb(r, Memory::kTrimmedRss),
      PerStreamKb(r, Memory::kHeap));
  std::printf("| NACKs / streams failed | %d / %d |\n\n", r.nacks, r.failures);
  if (r.min_counts.clusters != r.max_counts.clusters ||
      r.min_counts.endpoints != r.max_counts.endpoints ||
      r.min_counts.routes != r.max_counts.routes) {
    std::printf("(streams differ: up to %d / %d / %d)\n\n", r.max_counts.clusters,
                r.max_counts.endpoints, r.max_counts.routes);
  }
}

void PrintTargets(const std::vector<ModeResult>& results) {
  std::printf("### Targets\n\n| Target |");
  for (const ModeResult& r : results)
    std::printf(" %s |", std::string(ModeName(r.protocol)).c_str());
  std::printf("\n|---|");
  for (size_t i = 0; i < results.size(); ++i) std::printf("---:|");
  std::printf("\n| One-group update, p99 until every affected stream ACKed < 100 ms |");
  for (const ModeResult& r : results) {
    const absl::Duration p99 = OneGroupP99(r);
    std::printf(" %s ms (%s) |", Ms(p99).c_str(), p99 < absl::Milliseconds(100) ? "met" : "missed");
  }
  std::printf("\n| Memory per stream < 50 KB |");
  for (const ModeResult& r : results) {
    const double kb = PerStreamKb(r, Memory::kRss);
    std::printf(" %.1f KB (%s) |", kb, kb < 50 ? "met" : "missed");
  }
  std::printf("\n");
}

int RunClient() {
  signal(SIGPIPE, SIG_IGN);  // a dead server shows up as a write error, not a signal
  const ConfigShape shape = ShapeFromFlags();
  std::vector<Protocol> protocols;
  for (const std::string& mode : absl::GetFlag(FLAGS_modes)) {
    if (mode == "sotw") {
      protocols.push_back(Protocol::kSotw);
    } else if (mode == "delta") {
      protocols.push_back(Protocol::kDelta);
    } else {
      std::fprintf(stderr, "--modes: unknown mode \"%s\" (sotw, delta)\n", mode.c_str());
      return 2;
    }
  }
  const int streams_per_group = absl::GetFlag(FLAGS_streams_per_group);
  std::printf("## strata control plane: xDS push benchmark\n\n");
  std::printf(
      "%d node groups, each: 1 Listener (HTTP connection manager, RDS over ADS), 1 "
      "RouteConfiguration of %d routes, %d EDS clusters, %d ClusterLoadAssignments of %d "
      "endpoints. In all: %d routes, %d clusters, %d endpoints. %d streams per group. "
      "Snapshot debounce 0 (publication inside SetSnapshot).\n\n",
      shape.groups, shape.routes_per_group, shape.clusters_per_group, shape.clusters_per_group,
      shape.endpoints_per_cluster, shape.groups * shape.routes_per_group,
      shape.groups * shape.clusters_per_group,
      shape.groups * shape.clusters_per_group * shape.endpoints_per_cluster, streams_per_group);
  std::fflush(stdout);
  std::vector<ModeResult> results;
  for (Protocol p : protocols) {
    absl::StatusOr<ModeResult> r = RunMode(p);
    if (!r.ok()) {
      std::fprintf(stderr, "%s: %s\n", std::string(ModeName(p)).c_str(),
                   r.status().ToString().c_str());
      return 1;
    }
    PrintMode(*r);
    std::fflush(stdout);
    results.push_back(*std::move(r));
  }
  PrintTargets(results);
  return 0;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Control-plane benchmark: simulated Envoys (ADS, SotW and Delta) on loopback.\n"
      "  xds_bench [--modes=sotw,delta] [--groups=100] [--streams_per_group=10] ...");
  absl::ParseCommandLine(argc, argv);
  strata::bench::RaiseFileLimit();
  if (absl::GetFlag(FLAGS_role) == "server") {
    return strata::bench::RunServer(strata::bench::ShapeFromFlags());
  }
  return strata::bench::RunClient();
}
