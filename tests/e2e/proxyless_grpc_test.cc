// End to end: gRPC's own xDS client (Debian's libgrpc) dials xds:///web.default:50051 through
// a real strata-controlplane process that serves a directory of manifests.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e/echo.grpc.pb.h"

namespace strata {
namespace {

class WhoService final : public strata::test::Who::CallbackService {
 public:
  explicit WhoService(std::string name) : name_(std::move(name)) {}
  grpc::ServerUnaryReactor* Ask(grpc::CallbackServerContext* ctx, const strata::test::WhoRequest*,
                                strata::test::WhoReply* reply) override {
    reply->set_backend(name_);
    auto* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }

 private:
  std::string name_;
};

struct Backend {
  explicit Backend(const std::string& name) : service(name) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&service);
    server = b.BuildAndStart();
  }
  ~Backend() { server->Shutdown(); }
  WhoService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

// strata-controlplane as a child process; stopped by PID.
class ControlPlane {
 public:
  ControlPlane(const std::string& manifests, int port) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      std::string binary =
          absl::StrCat(getenv("TEST_SRCDIR"), "/strata/controlplane/strata-controlplane");
      std::string m = "--manifests=" + manifests;
      std::string x = absl::StrCat("--xds_address=127.0.0.1:", port);
      execl(binary.c_str(), binary.c_str(), m.c_str(), x.c_str(), "--admin_address=127.0.0.1:0",
            "--debounce=20ms", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] {
      std::string buf;
      char chunk[4096];
      ssize_t n;
      while ((n = read(fd, chunk, sizeof chunk)) > 0) {
        fwrite(chunk, 1, n, stderr);  // keep the child's log in the test log
        absl::MutexLock lock(&mu_);
        log_.append(chunk, n);
      }
      close(fd);
    });
  }
  ~ControlPlane() {
    Kill();
    reader_.join();
  }
  // The xDS port from the "xDS on port N" log line, or 0 after `timeout`.
  int WaitForPort(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return log_.find("admin on port") != std::string::npos;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) return 0;
    size_t at = log_.find("xDS on port ") + 12;
    int port = 0;
    if (!absl::SimpleAtoi(log_.substr(at, log_.find(',', at) - at), &port)) return 0;
    return port;
  }
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  std::thread reader_;
  absl::Mutex mu_;
  std::string log_ ABSL_GUARDED_BY(mu_);
};

void WriteManifests(const std::string& dir, const std::vector<int>& ports) {
  std::string yaml =
      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
      "spec:\n  ports:\n  - {name: grpc, port: 50051, targetPort: grpc}\n";
  // One EndpointSlice per backend: the named targetPort resolves per slice.
  for (size_t i = 0; i < ports.size(); ++i) {
    yaml += absl::StrFormat(
        "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
        "metadata: {name: web-%d, namespace: default, labels: "
        "{kubernetes.io/service-name: web}}\n"
        "addressType: IPv4\nports: [{name: grpc, port: %d}]\n"
        "endpoints:\n- addresses: [\"127.0.0.1\"]\n  conditions: {ready: true}\n",
        i, ports[i]);
  }
  // Write then rename, so the watcher never reads a half-written file.
  std::string tmp = dir + "/.web.tmp";
  {
    std::ofstream out(tmp);
    out << yaml;
  }
  ASSERT_EQ(rename(tmp.c_str(), (dir + "/web.yaml").c_str()), 0);
}

// Runs strata-ctl with `args`; returns its standard output.
std::string Ctl(int xds_port, const std::string& args) {
  std::string cmd = absl::StrCat(getenv("TEST_SRCDIR"), "/strata/controlplane/ctl/strata-ctl",
                                 " --server=127.0.0.1:", xds_port, " ", args);
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

// Backends that answered `calls` calls.
std::map<std::string, int> Spray(strata::test::Who::Stub& stub, int calls) {
  std::map<std::string, int> seen;
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    strata::test::WhoReply reply;
    grpc::Status s = stub.Ask(&ctx, strata::test::WhoRequest(), &reply);
    seen[s.ok() ? reply.backend() : "error: " + s.error_message()]++;
  }
  return seen;
}

// Polls until every one of `calls` calls lands on `only`, or the deadline.
bool EventuallyOnly(strata::test::Who::Stub& stub, const std::string& only, absl::Duration within) {
  absl::Time deadline = absl::Now() + within;
  while (absl::Now() < deadline) {
    auto seen = Spray(stub, 10);
    if (seen.size() == 1 && seen.count(only)) return true;
  }
  return false;
}

TEST(ProxylessGrpcTest, RoundRobinFollowsChangesAndSurvivesControlPlaneRestart) {
  Backend a("a"), b("b"), c("c");
  std::string dir = absl::StrCat(getenv("TEST_TMPDIR"), "/manifests");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  WriteManifests(dir, {a.port, b.port});

  auto cp = std::make_unique<ControlPlane>(dir, 0);
  int xds_port = cp->WaitForPort(absl::Seconds(30));
  ASSERT_GT(xds_port, 0);

  std::string bootstrap = absl::StrFormat(
      R"({"xds_servers":[{"server_uri":"127.0.0.1:%d","channel_creds":[{"type":"insecure"}],)"
      R"("server_features":["xds_v3"]}],"node":{"id":"e2e-client","cluster":"test"}})",
      xds_port);
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap.c_str(), 1);
  auto channel =
      grpc::CreateChannel("xds:///web.default:50051", grpc::InsecureChannelCredentials());
  auto stub = strata::test::Who::NewStub(channel);

  // Round robin over both backends.
  std::map<std::string, int> seen;
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline && !(seen["a"] > 0 && seen["b"] > 0)) {
    for (auto& [k, v] : Spray(*stub, 10)) seen[k] += v;
  }
  EXPECT_GT(seen["a"], 0);
  EXPECT_GT(seen["b"], 0);
  auto balanced = Spray(*stub, 20);
  EXPECT_EQ(balanced["a"], 10);
  EXPECT_EQ(balanced["b"], 10);

  // The integrator API sees the client and what it ACKed.
  std::string proxies = Ctl(xds_port, "proxy-status");
  EXPECT_NE(proxies.find("\"node_id\": \"e2e-client\""), std::string::npos) << proxies;
  EXPECT_NE(proxies.find("\"acked_version\": \""), std::string::npos) << proxies;
  std::string snapshot = Ctl(xds_port, "snapshot proxyless");
  EXPECT_NE(snapshot.find("\"name\": \"web.default.svc.cluster.local:50051\""), std::string::npos)
      << snapshot;
  EXPECT_NE(snapshot.find(absl::StrCat("\"port_value\": ", b.port)), std::string::npos);

  // The EndpointSlice changes: traffic moves within 2 s.
  WriteManifests(dir, {c.port});
  EXPECT_TRUE(EventuallyOnly(*stub, "c", absl::Seconds(2)));

  // Control plane gone: calls keep succeeding on the last config.
  cp->Kill();
  auto during = Spray(*stub, 20);
  EXPECT_EQ(during["c"], 20);

  // Back on the same port; the client follows the next change.
  WriteManifests(dir, {a.port});
  cp = std::make_unique<ControlPlane>(dir, xds_port);
  ASSERT_EQ(cp->WaitForPort(absl::Seconds(30)), xds_port);
  EXPECT_TRUE(EventuallyOnly(*stub, "a", absl::Seconds(30)));
}

}  // namespace
}  // namespace strata
