#ifndef STRATA_CONTROLPLANE_KUBE_API_CLIENT_H_
#define STRATA_CONTROLPLANE_KUBE_API_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace strata::kube {

// How to reach and authenticate to a Kubernetes API server (KUBE_API.md §2).
struct ApiServerConfig {
  std::string server;  // base URL, e.g. "https://10.96.0.1:443"
  // Trust anchors for the server's certificate: a PEM file, or PEM text. Neither: the
  // system's CAs.
  std::string ca_file;
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  // Bearer token: fixed, or read from a file (re-read every minute and after a 401, since
  // the kubelet rotates projected service-account tokens).
  std::string token;
  std::string token_file;
  // Client certificate and key: files, or PEM text.
  std::string client_cert_file;
  std::string client_key_file;
  std::string client_cert_pem;
  std::string client_key_pem;
};

// In a pod: KUBERNETES_SERVICE_HOST/PORT and the service-account token and CA in `sa_dir`.
// `getenv` is injected for tests.
absl::StatusOr<ApiServerConfig> InClusterConfig(
    const std::function<const char*(const char*)>& getenv,
    const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// Outside: the current context of a kubeconfig file (clusters[].cluster: server,
// certificate-authority(-data), insecure-skip-tls-verify; users[].user: token, tokenFile,
// client-certificate(-data), client-key(-data)). Relative file names are relative to the
// kubeconfig's directory. Errors name the file and the field; exec and auth-provider users
// are refused by name.
absl::StatusOr<ApiServerConfig> KubeconfigConfig(const std::string& path);
// The same over several kubeconfig files merged as kubectl merges the files of KUBECONFIG:
// the first file to set current-context, or to define a context, cluster or user of a name,
// wins (a later definition of the name is ignored whole). Every file must exist.
absl::StatusOr<ApiServerConfig> KubeconfigConfig(const std::vector<std::string>& paths);

struct HttpResponse {
  int status = 0;
  std::string body;
};

// "HTTP 409: <the Status message>" (or the start of a body that is not a Status), for errors.
std::string DescribeError(const HttpResponse& response);

// Requests to the API server. Thread-safe.
class ApiClient {
 public:
  virtual ~ApiClient() = default;

  // One request; the whole answer. Unavailable when the server cannot be reached.
  // `body` is sent as JSON ("" for none; PATCH bodies are merge patches).
  virtual absl::StatusOr<HttpResponse> Call(absl::string_view method, const std::string& path,
                                            const std::string& body) = 0;

  // A GET whose body is handed to `on_data` as it arrives (a watch). Returns when the server
  // ends the response (the status; for a status other than 200 the body is in the response,
  // not given to `on_data`), when `on_data` returns false (Aborted), when `cancel` becomes
  // true (Cancelled, within about a second), or after `timeout` (DeadlineExceeded).
  virtual absl::StatusOr<HttpResponse> Stream(const std::string& path,
                                              const std::function<bool(absl::string_view)>& on_data,
                                              const std::atomic<bool>& cancel,
                                              absl::Duration timeout) = 0;
};

// ApiClient over libcurl (HTTP/1.1, TLS with the configured trust anchors and client
// certificate).
class CurlApiClient final : public ApiClient {
 public:
  // `call_timeout` bounds each Call (the API server's own request timeout is 60 s); leader
  // election uses a shorter one, so a hung server cannot keep a leader past its Lease.
  static absl::StatusOr<std::unique_ptr<CurlApiClient>> Create(
      ApiServerConfig config, Clock& clock, absl::Duration call_timeout = absl::Seconds(60));

  absl::StatusOr<HttpResponse> Call(absl::string_view method, const std::string& path,
                                    const std::string& body) override;
  absl::StatusOr<HttpResponse> Stream(const std::string& path,
                                      const std::function<bool(absl::string_view)>& on_data,
                                      const std::atomic<bool>& cancel,
                                      absl::Duration timeout) override;

 private:
  CurlApiClient(ApiServerConfig config, Clock& clock, absl::Duration call_timeout)
      : config_(std::move(config)), clock_(clock), call_timeout_(call_timeout) {}
  // "Bearer ..." or "" (no token configured); re-reads the token file when it is stale.
  std::string Authorization(bool force_reload) ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<HttpResponse> Perform(absl::string_view method, const std::string& path,
                                       const std::string& body,
                                       const std::function<bool(absl::string_view)>* on_data,
                                       const std::atomic<bool>* cancel, absl::Duration timeout);

  const ApiServerConfig config_;
  Clock& clock_;
  const absl::Duration call_timeout_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time token_read_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace strata::kube

#endif  // STRATA_CONTROLPLANE_KUBE_API_CLIENT_H_
