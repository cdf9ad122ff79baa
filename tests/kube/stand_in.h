#ifndef STRATA_TESTS_KUBE_STAND_IN_H_
#define STRATA_TESTS_KUBE_STAND_IN_H_
// The stand-in Kubernetes API server (stand_in_apiserver.py) as a child process, over TLS
// with a certificate made for the run and a bearer token; stopped by PID with the object.
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controlplane/kube/api_client.h"
#include "gtest/gtest.h"
#include "tests/e2e/process.h"

namespace strata::test {

class StandInApiServer {
 public:
  explicit StandInApiServer(double bookmark_interval_seconds = 60) {
    dir_ = TempDir(absl::StrCat("apiserver", count_++));
    Shell(absl::StrCat("cd ", dir_,
                       " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                       "-keyout key.pem -out cert.pem -days 2 -subj /CN=stand-in -addext "
                       "subjectAltName=IP:127.0.0.1 2>&1"));
    WriteFile(dir_ + "/token", "first-token\n");
    process_ = Subprocess::Start({"python3", Runfile("tests/kube/stand_in_apiserver.py"),
                                  "--tls-cert", dir_ + "/cert.pem", "--tls-key", dir_ + "/key.pem",
                                  "--token-file", dir_ + "/token", "--bookmark-interval",
                                  absl::StrCat(bookmark_interval_seconds)});
    EXPECT_TRUE(process_->WaitForOutput("listening on ", absl::Seconds(20))) << process_->Output();
    const std::string out = process_->Output();
    const size_t at = out.find("listening on ") + 13;
    EXPECT_TRUE(absl::SimpleAtoi(out.substr(at, out.find('\n', at) - at), &port_));
    WriteFile(dir_ + "/kubeconfig", absl::StrCat(R"(apiVersion: v1
kind: Config
clusters:
- name: stand-in
  cluster: {server: "https://127.0.0.1:)",
                                                 port_, R"(", certificate-authority: cert.pem}
users:
- name: tester
  user: {tokenFile: token}
contexts:
- name: test
  context: {cluster: stand-in, user: tester}
current-context: test
)"));
  }

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string kubeconfig() const { return dir_ + "/kubeconfig"; }

  // A client of this server, configured from its kubeconfig (TLS, bearer token).
  absl::StatusOr<std::unique_ptr<kube::ApiClient>> Client() const {
    absl::StatusOr<kube::ApiServerConfig> config = kube::KubeconfigConfig(kubeconfig());
    if (!config.ok()) return config.status();
    absl::StatusOr<std::unique_ptr<kube::CurlApiClient>> client =
        kube::CurlApiClient::Create(*config, RealClock::Get());
    if (!client.ok()) return client.status();
    return std::unique_ptr<kube::ApiClient>(*std::move(client));
  }

  // A fault switch of the stand-in (see its usage text), e.g. "drop-watches".
  void Fault(const std::string& what) const {
    Shell(absl::StrCat("curl -s --cacert ", dir_, "/cert.pem -X POST 'https://127.0.0.1:", port_,
                       "/_stand_in/", what, "'"));
  }

  // Waits until `count` watch streams have been open for `age` (so ending them is a normal
  // end of a watch, not a "very short" one); false after 20 s.
  bool AwaitWatchesOlderThan(int count, absl::Duration age) const {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    const std::string url = absl::StrCat(
        "https://127.0.0.1:", port_, "/_stand_in/watches?older_than=", absl::ToDoubleSeconds(age));
    while (absl::Now() < deadline) {
      const std::string out =
          Shell(absl::StrCat("curl -s --cacert ", dir_, "/cert.pem '", url, "'"));
      const std::string key = "\"count\": ";
      const size_t at = out.find(key);
      const size_t from = at + key.size();
      int n = 0;
      if (at != std::string::npos &&
          absl::SimpleAtoi(out.substr(from, out.find('}', from) - from), &n) && n >= count) {
        return true;
      }
    }
    return false;
  }

  // Runs kubectl against the stand-in; returns its output (stdout and stderr).
  std::string Kubectl(const std::string& args) const {
    return Shell(absl::StrCat("kubectl --kubeconfig=", kubeconfig(), " ", args, " 2>&1"));
  }

 private:
  static inline int count_ = 0;
  std::string dir_;
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
};

}  // namespace strata::test

#endif  // STRATA_TESTS_KUBE_STAND_IN_H_
