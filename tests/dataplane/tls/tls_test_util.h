#ifndef STRATA_TESTS_DATAPLANE_TLS_TLS_TEST_UTIL_H_
#define STRATA_TESTS_DATAPLANE_TLS_TLS_TEST_UTIL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/net/address.h"
#include "dataplane/net/connection.h"
#include "dataplane/net/listener.h"
#include "dataplane/tls/tls_context.h"
#include "dataplane/tls/tls_socket.h"
#include "gtest/gtest.h"

namespace strata::tls::testing {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

// Test certificates, made once per test process with the openssl program under TEST_TMPDIR.
// Leaves are signed by `ca` and valid for 30 days from now.
struct TestPki {
  static const TestPki& Get();

  std::string dir;
  std::string ca_path;  // PEM file of the CA
  std::string ca_pem;
  std::string other_ca_pem;  // an unrelated CA
  KeyPair a;                 // ECDSA P-256, SAN a.example
  KeyPair b;                 // RSA 2048, SAN b.example
  KeyPair wild;              // ECDSA, SAN *.wild.example
  KeyPair cn_only;           // ECDSA, subject CN cn-only.example and no SAN
  KeyPair a_rotated;         // ECDSA, subject O=rotated, SAN a.example
  KeyPair fallback;          // ECDSA, SAN default.example
};

CertificateConfig Config(const KeyPair& pair, bool is_default = false);
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, absl::string_view content);

// Records what a connection reports; can echo and close after a full line.
class Recorder : public net::ConnectionCallbacks {
 public:
  void OnData(net::Buffer& data, bool end_stream) override;
  void OnEvent(net::ConnectionEvent event) override { events.push_back(event); }
  bool Has(net::ConnectionEvent event) const;
  bool Closed() const {
    return Has(net::ConnectionEvent::kRemoteClose) || Has(net::ConnectionEvent::kLocalClose);
  }

  net::Connection* connection = nullptr;
  bool echo = false;
  bool close_after_line = false;  // echo, then close once a '\n' arrived
  std::string received;
  bool saw_end_stream = false;
  std::vector<net::ConnectionEvent> events;
};

TlsTransportSocket& Tls(net::Connection& connection);

struct SClientResult {
  bool exited = false;  // false: killed at the deadline
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// A TLS echo server on 127.0.0.1 driven by the test's own dispatcher, plus clients: our own
// (net::Connection with a TlsTransportSocket) and the openssl s_client program.
class TlsLoopbackTest : public ::testing::Test {
 protected:
  struct Accepted {
    std::unique_ptr<net::Connection> connection;
    std::unique_ptr<Recorder> recorder;
  };

  void SetUp() override;
  void TearDown() override;

  // New connections are accepted with this context; replacing it is how certificates rotate.
  void SetServerContext(std::shared_ptr<const ServerTlsContext> context) {
    server_context_ = std::move(context);
  }
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(10));
  std::unique_ptr<net::Connection> Connect(std::shared_ptr<const ClientTlsContext> context,
                                           std::string server_name, Recorder& recorder);
  // Runs `openssl s_client -connect <server> <args>` with `input` on stdin while the loop
  // serves it; waits at most `limit` for it to exit.
  SClientResult RunSClient(const std::vector<std::string>& args, absl::string_view input,
                           absl::Duration limit = absl::Seconds(20));
  std::string TempPath(absl::string_view name) const;

  std::unique_ptr<event::Dispatcher> dispatcher_;
  net::Address address_;
  std::unique_ptr<net::Listener> listener_;
  std::shared_ptr<const ServerTlsContext> server_context_;
  std::vector<std::unique_ptr<Accepted>> accepted_;
  bool server_close_after_line_ = false;
};

}  // namespace strata::tls::testing

#endif  // STRATA_TESTS_DATAPLANE_TLS_TLS_TEST_UTIL_H_
