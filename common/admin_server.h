#ifndef STRATA_COMMON_ADMIN_SERVER_H_
#define STRATA_COMMON_ADMIN_SERVER_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace strata {

struct AdminRequest {
  std::string method;  // "GET" or "HEAD"
  std::string path;    // "/metrics"
  std::string query;   // after '?', undecoded; empty if none
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct AdminServerOptions {
  // Limit for receiving a whole request head, and then again for sending the response.
  absl::Duration read_timeout = absl::Seconds(5);
  // A longer request line plus headers gets 431.
  size_t max_request_head_bytes = 8 * 1024;
  // Connections beyond this wait in the listen backlog.
  int max_connections = 64;
};

// A minimal HTTP/1.1 server for admin endpoints (metrics, status). One thread multiplexes all
// connections with poll() over non-blocking sockets; every response closes its connection.
// Only GET and HEAD are served (405 otherwise); unknown paths get 404, malformed requests
// 400, oversized heads 431, and requests not received within read_timeout 408.
//
// Handlers run on the server thread, one at a time, and should be quick.
class AdminServer {
 public:
  using Handler = std::function<AdminResponse(const AdminRequest&)>;

  // Binds and listens on `address`, "host:port" with a numeric host: "127.0.0.1:9901",
  // "[::1]:0". Port 0 picks a free port (see port()). Admin endpoints are unauthenticated;
  // bind them to loopback.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Create(const std::string& address,
                                                             AdminServerOptions options = {});
  ~AdminServer();  // Stop()
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Serves `path` (matched exactly against the request path, without the query) with
  // `handler`, replacing any handler for it. HEAD requests run the handler too and get its
  // headers without the body. Fine before or after Start().
  void Handle(std::string path, Handler handler);

  // Starts the server thread. Fails if already started or stopped.
  absl::Status Start();
  // Closes the listener and every connection and joins the thread. Idempotent; must not be
  // called from a handler.
  void Stop();

  // The bound port.
  int port() const { return port_; }

 private:
  AdminServer(int listen_fd, int wake_fd, int port, AdminServerOptions options);
  void Run();
  AdminResponse Respond(const AdminRequest& request);

  const int listen_fd_;
  const int wake_fd_;  // eventfd; written by Stop()
  const int port_;
  const AdminServerOptions options_;

  absl::Mutex mu_;
  std::map<std::string, Handler, std::less<>> handlers_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata

#endif  // STRATA_COMMON_ADMIN_SERVER_H_
