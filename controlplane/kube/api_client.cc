#include "controlplane/kube/api_client.h"

#include <curl/curl.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/yaml_json.h"
#include "nlohmann/json.hpp"

namespace strata::kube {
namespace {

using Json = nlohmann::json;

constexpr absl::Duration kTokenRereadInterval = absl::Minutes(1);
constexpr int64_t kConnectTimeoutSeconds = 10;
constexpr size_t kMaxResponseBytes = size_t{256} << 20;
constexpr size_t kMaxKubeconfigBytes = size_t{4} << 20;

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::string data;
  char buffer[8192];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    data.append(buffer, static_cast<size_t>(in.gcount()));
    if (data.size() > limit) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": larger than ", limit, " bytes"));
    }
  }
  return data;
}

// libcurl needs one global initialisation before any thread uses it.
void InitCurlOnce() {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == 0; }();
  (void)initialised;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// What the libcurl callbacks see.
struct Transfer {
  CURL* curl = nullptr;
  const std::function<bool(absl::string_view)>* on_data = nullptr;  // null: collect the body
  const std::atomic<bool>* cancel = nullptr;
  std::string body;
  bool aborted = false;
  bool too_large = false;
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  long status = 0;  // NOLINT(google-runtime-int): the type libcurl writes
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->on_data != nullptr && status == 200) {
    if (!(*t->on_data)(absl::string_view(data, n))) {
      t->aborted = true;
      return 0;
    }
    return n;
  }
  if (t->body.size() + n > kMaxResponseBytes) {
    t->too_large = true;
    return 0;
  }
  t->body.append(data, n);
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel != nullptr && t->cancel->load() ? 1 : 0;
}

}  // namespace

std::string DescribeError(const HttpResponse& response) {
  const Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    return absl::StrCat("HTTP ", response.status, ": ", body["message"].get<std::string>());
  }
  return absl::StrCat("HTTP ", response.status, ": ", response.body.substr(0, 200));
}

absl::StatusOr<ApiServerConfig> InClusterConfig(
    const std::function<const char*(const char*)>& getenv, const std::string& sa_dir) {
  const char* host = getenv("KUBERNETES_SERVICE_HOST");
  const char* port = getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return absl::FailedPreconditionError(
        "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  ApiServerConfig config;
  const std::string h(host);
  config.server =
      absl::StrCat("https://", absl::StrContains(h, ':') ? "[" + h + "]" : h, ":", port);
  config.token_file = sa_dir + "/token";
  config.ca_file = sa_dir + "/ca.crt";
  for (const std::string& file : {config.token_file, config.ca_file}) {
    if (!std::ifstream(file)) {
      return absl::FailedPreconditionError(
          absl::StrCat(file, ": cannot be read (is a service-account token mounted?)"));
    }
  }
  return config;
}

namespace {

struct KubeconfigFile {
  std::string path;
  Json config;
};

absl::StatusOr<KubeconfigFile> LoadKubeconfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path, kMaxKubeconfigBytes);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<Json>> documents = ParseYamlDocuments(*text);
  if (!documents.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", documents.status().message()));
  }
  if (documents->size() != 1 || !documents->front().is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must be one YAML mapping"));
  }
  return KubeconfigFile{path, std::move(documents->front())};
}

std::string StringField(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// The entry `name` of `list` over the merged files: the first file that defines the name
// wins, whole (kubectl's rule), and `from` tells which file that was.
const Json* MergedEntry(const std::vector<KubeconfigFile>& files, const char* list,
                        const std::string& name, const char* field, const KubeconfigFile** from) {
  for (const KubeconfigFile& file : files) {
    const auto it = file.config.find(list);
    if (it == file.config.end() || !it->is_array()) continue;
    for (const Json& entry : *it) {
      // (Not entry.value(): it throws, and so aborts, on a name that is not a string.)
      if (entry.is_object() && StringField(entry, "name") == name) {
        *from = &file;
        const auto inner = entry.find(field);
        return inner != entry.end() && inner->is_object() ? &*inner : nullptr;
      }
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ApiServerConfig> KubeconfigConfig(const std::string& path) {
  return KubeconfigConfig(std::vector<std::string>{path});
}

absl::StatusOr<ApiServerConfig> KubeconfigConfig(const std::vector<std::string>& paths) {
  std::vector<KubeconfigFile> files;
  for (const std::string& path : paths) {
    absl::StatusOr<KubeconfigFile> file = LoadKubeconfig(path);
    if (!file.ok()) return file.status();
    files.push_back(*std::move(file));
  }
  if (files.empty()) return absl::InvalidArgumentError("no kubeconfig file");
  const std::string all = absl::StrJoin(paths, ":");
  std::string context_name;
  for (const KubeconfigFile& file : files) {
    context_name = StringField(file.config, "current-context");
    if (!context_name.empty()) break;
  }
  if (context_name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(all, ": current-context is not set"));
  }
  const KubeconfigFile* context_file = nullptr;
  const Json* context = MergedEntry(files, "contexts", context_name, "context", &context_file);
  if (context == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(all, ": no context named \"", context_name, "\""));
  }
  const std::string cluster_name = StringField(*context, "cluster");
  const KubeconfigFile* cluster_file = nullptr;
  const Json* cluster = MergedEntry(files, "clusters", cluster_name, "cluster", &cluster_file);
  if (cluster == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(all, ": no cluster named \"", cluster_name, "\""));
  }
  const std::string user_name = StringField(*context, "user");
  const KubeconfigFile* user_file = nullptr;
  const Json* user = MergedEntry(files, "users", user_name, "user", &user_file);

  // Errors name the file the entry came from; relative paths are relative to its directory,
  // as kubectl does.
  auto error = [](const KubeconfigFile* from, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(from->path, ": ", what));
  };
  auto file = [](const KubeconfigFile* from, const std::string& name) {
    if (name.empty() || name.front() == '/') return name;
    const std::string& path = from->path;
    const std::string dir =
        path.find('/') == std::string::npos ? std::string(".") : path.substr(0, path.rfind('/'));
    return dir + "/" + name;
  };
  auto base64_field = [&](const KubeconfigFile* from, const Json& object, const char* key,
                          const std::string& owner, std::string& out) -> absl::Status {
    const std::string encoded = StringField(object, key);
    if (encoded.empty()) return absl::OkStatus();
    if (!absl::Base64Unescape(encoded, &out)) {
      return error(from, absl::StrCat(key, " of \"", owner, "\": not base64"));
    }
    return absl::OkStatus();
  };

  ApiServerConfig out;
  out.server = StringField(*cluster, "server");
  if (out.server.empty()) {
    return error(cluster_file, absl::StrCat("cluster \"", cluster_name, "\" has no server"));
  }
  if (!absl::StartsWith(out.server, "https://") && !absl::StartsWith(out.server, "http://")) {
    return error(cluster_file,
                 absl::StrCat("server \"", out.server, "\" must start with https://"));
  }
  out.ca_file = file(cluster_file, StringField(*cluster, "certificate-authority"));
  if (absl::Status s = base64_field(cluster_file, *cluster, "certificate-authority-data",
                                    cluster_name, out.ca_pem);
      !s.ok()) {
    return s;
  }
  const auto skip = cluster->find("insecure-skip-tls-verify");
  out.insecure_skip_tls_verify = skip != cluster->end() && skip->is_boolean() && skip->get<bool>();
  if (user != nullptr) {
    for (const char* unsupported : {"exec", "auth-provider", "username"}) {
      if (user->contains(unsupported)) {
        return error(user_file, absl::StrCat("user \"", user_name, "\": ", unsupported,
                                             " is not supported; use a token or a client "
                                             "certificate"));
      }
    }
    out.token = StringField(*user, "token");
    out.token_file = file(user_file, StringField(*user, "tokenFile"));
    out.client_cert_file = file(user_file, StringField(*user, "client-certificate"));
    out.client_key_file = file(user_file, StringField(*user, "client-key"));
    if (absl::Status s = base64_field(user_file, *user, "client-certificate-data", user_name,
                                      out.client_cert_pem);
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            base64_field(user_file, *user, "client-key-data", user_name, out.client_key_pem);
        !s.ok()) {
      return s;
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<CurlApiClient>> CurlApiClient::Create(ApiServerConfig config,
                                                                     Clock& clock,
                                                                     absl::Duration call_timeout) {
  InitCurlOnce();
  if (config.server.empty()) return absl::InvalidArgumentError("no API server URL");
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  std::unique_ptr<CurlApiClient> client(new CurlApiClient(std::move(config), clock, call_timeout));
  if (!client->config_.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadWholeFile(client->config_.token_file, 64 << 10);
    if (!token.ok()) return token.status();
  }
  return client;
}

std::string CurlApiClient::Authorization(bool force_reload) {
  if (config_.token_file.empty()) {
    return config_.token.empty() ? "" : absl::StrCat("Authorization: Bearer ", config_.token);
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  if (force_reload || now - token_read_ >= kTokenRereadInterval) {
    absl::StatusOr<std::string> token = ReadWholeFile(config_.token_file, 64 << 10);
    if (token.ok()) {
      token_ = std::string(absl::StripAsciiWhitespace(*token));
      token_read_ = now;
    }  // else: keep the last token; the server will say 401 if it is no good
  }
  return token_.empty() ? "" : absl::StrCat("Authorization: Bearer ", token_);
}

absl::StatusOr<HttpResponse> CurlApiClient::Call(absl::string_view method, const std::string& path,
                                                 const std::string& body) {
  absl::StatusOr<HttpResponse> response =
      Perform(method, path, body, nullptr, nullptr, call_timeout_);
  // A rotated token: read the file again and retry once.
  if (response.ok() && response->status == 401 && !config_.token_file.empty()) {
    Authorization(/*force_reload=*/true);
    response = Perform(method, path, body, nullptr, nullptr, call_timeout_);
  }
  return response;
}

absl::StatusOr<HttpResponse> CurlApiClient::Stream(
    const std::string& path, const std::function<bool(absl::string_view)>& on_data,
    const std::atomic<bool>& cancel, absl::Duration timeout) {
  absl::StatusOr<HttpResponse> response = Perform("GET", path, "", &on_data, &cancel, timeout);
  if (response.ok() && response->status == 401 && !config_.token_file.empty()) {
    Authorization(/*force_reload=*/true);
  }
  return response;
}

absl::StatusOr<HttpResponse> CurlApiClient::Perform(
    absl::string_view method, const std::string& path, const std::string& body,
    const std::function<bool(absl::string_view)>* on_data, const std::atomic<bool>* cancel,
    absl::Duration timeout) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  CURL* c = curl.get();
  const std::string url = config_.server + path;
  const std::string method_text(method);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "strata-controlplane");
  // TLS: the configured trust anchors and client certificate.
  curl_blob ca_blob{const_cast<char*>(config_.ca_pem.data()), config_.ca_pem.size(),
                    CURL_BLOB_NOCOPY};
  curl_blob cert_blob{const_cast<char*>(config_.client_cert_pem.data()),
                      config_.client_cert_pem.size(), CURL_BLOB_NOCOPY};
  curl_blob key_blob{const_cast<char*>(config_.client_key_pem.data()),
                     config_.client_key_pem.size(), CURL_BLOB_NOCOPY};
  if (!config_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (!config_.ca_pem.empty()) curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca_blob);
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!config_.client_cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, config_.client_cert_file.c_str());
  }
  if (!config_.client_key_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLKEY, config_.client_key_file.c_str());
  }
  if (!config_.client_cert_pem.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert_blob);
  if (!config_.client_key_pem.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key_blob);

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& header) {
    headers.reset(curl_slist_append(headers.release(), header.c_str()));
  };
  add_header("Accept: application/json");
  if (const std::string auth = Authorization(false); !auth.empty()) add_header(auth);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    add_header(method == "PATCH" ? "Content-Type: application/merge-patch+json"
                                 : "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  Transfer transfer;
  transfer.curl = c;
  transfer.on_data = on_data;
  transfer.cancel = cancel;
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  if (cancel != nullptr) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);
  }
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);

  const CURLcode code = curl_easy_perform(c);
  HttpResponse response;
  long status = 0;  // NOLINT(google-runtime-int): the type libcurl writes
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  response.body = std::move(transfer.body);
  if (code == CURLE_OK) return response;
  if (transfer.aborted) return absl::AbortedError("the reader stopped the stream");
  if (code == CURLE_ABORTED_BY_CALLBACK) return absl::CancelledError("cancelled");
  if (transfer.too_large) {
    return absl::ResourceExhaustedError(
        absl::StrCat(method_text, " ", path, ": answer larger than ", kMaxResponseBytes));
  }
  const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(absl::StrCat(method_text, " ", path, ": ", detail));
  }
  return absl::UnavailableError(absl::StrCat(method_text, " ", config_.server, path, ": ", detail));
}

}  // namespace strata::kube
