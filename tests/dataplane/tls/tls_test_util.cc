#include "tests/dataplane/tls/tls_test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

extern char** environ;

namespace strata::tls::testing {

namespace {

constexpr char kOpenssl[] = "/usr/bin/openssl";

std::string TestTmpDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return tmp != nullptr ? tmp : "/tmp";
}

// Shell commands making one leaf signed by ca.key: `kind` is "ec" or "rsa".
std::string LeafCommands(absl::string_view name, absl::string_view kind, absl::string_view subject,
                         absl::string_view san, int serial) {
  const std::string newkey =
      kind == "rsa" ? "-newkey rsa:2048" : "-newkey ec -pkeyopt ec_paramgen_curve:P-256";
  std::string extensions =
      "basicConstraints = CA:FALSE\n"
      "keyUsage = critical, digitalSignature, keyEncipherment\n"
      "extendedKeyUsage = serverAuth\n";
  if (!san.empty()) absl::StrAppend(&extensions, "subjectAltName = ", san, "\n");
  return absl::StrCat("printf '", extensions, "' > ", name, ".ext\n",  //
                      kOpenssl, " req -new ", newkey, " -nodes -keyout ", name, ".key -out ", name,
                      ".csr -subj '", subject, "'\n",  //
                      kOpenssl, " x509 -req -in ", name, ".csr -CA ca.pem -CAkey ca.key",
                      " -set_serial ", serial, " -days 30 -extfile ", name, ".ext -out ", name,
                      ".pem\n");
}

std::string CaCommands(absl::string_view name, absl::string_view subject) {
  return absl::StrCat(kOpenssl, " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256",
                      " -nodes -keyout ", name, ".key -out ", name, ".pem -days 30 -subj '",
                      subject, "' -config ca.cnf -extensions ca_ext\n");
}

TestPki Generate() {
  TestPki pki;
  pki.dir = TestTmpDir() + "/pki";
  mkdir(pki.dir.c_str(), 0755);
  WriteFile(pki.dir + "/ca.cnf",
            "[req]\ndistinguished_name = dn\n[dn]\n"
            "[ca_ext]\nbasicConstraints = critical, CA:TRUE\n"
            "keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n");
  const std::string script = absl::StrCat(
      "set -e\ncd '", pki.dir, "'\n",  //
      CaCommands("ca", "/CN=strata test CA"), CaCommands("other_ca", "/CN=unrelated CA"),
      LeafCommands("a", "ec", "/CN=a.example", "DNS:a.example", 1),
      LeafCommands("b", "rsa", "/CN=b.example", "DNS:b.example", 2),
      LeafCommands("wild", "ec", "/CN=wild", "DNS:*.wild.example", 3),
      LeafCommands("cn_only", "ec", "/CN=cn-only.example", "", 4),
      LeafCommands("a_rotated", "ec", "/O=rotated/CN=a.example", "DNS:a.example", 5),
      LeafCommands("fallback", "ec", "/CN=default.example", "DNS:default.example", 6));
  WriteFile(pki.dir + "/make.sh", script);
  const std::string command =
      absl::StrCat("/bin/sh '", pki.dir, "/make.sh' > '", pki.dir, "/make.log' 2>&1");
  const int status = std::system(command.c_str());
  if (status != 0) {
    ADD_FAILURE() << "generating certificates failed:\n" << ReadFile(pki.dir + "/make.log");
    return pki;
  }
  auto pair = [&](absl::string_view name) {
    return KeyPair{ReadFile(absl::StrCat(pki.dir, "/", name, ".pem")),
                   ReadFile(absl::StrCat(pki.dir, "/", name, ".key"))};
  };
  pki.ca_path = pki.dir + "/ca.pem";
  pki.ca_pem = ReadFile(pki.ca_path);
  pki.other_ca_pem = ReadFile(pki.dir + "/other_ca.pem");
  pki.a = pair("a");
  pki.b = pair("b");
  pki.wild = pair("wild");
  pki.cn_only = pair("cn_only");
  pki.a_rotated = pair("a_rotated");
  pki.fallback = pair("fallback");
  return pki;
}

}  // namespace

const TestPki& TestPki::Get() {
  static const TestPki* const pki = new TestPki(Generate());
  return *pki;
}

CertificateConfig Config(const KeyPair& pair, bool is_default) {
  CertificateConfig config;
  config.cert_chain_pem = pair.cert_pem;
  config.private_key_pem = pair.key_pem;
  config.is_default = is_default;
  return config;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void WriteFile(const std::string& path, absl::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

void Recorder::OnData(net::Buffer& data, bool end_stream) {
  received.append(data.data(), data.size());
  if (echo && connection != nullptr) connection->Write(data.view());
  data.Drain(data.size());
  if (end_stream) saw_end_stream = true;
  if (close_after_line && connection != nullptr && received.find('\n') != std::string::npos) {
    connection->Close(net::Connection::CloseType::kFlushWrite);
  }
}

bool Recorder::Has(net::ConnectionEvent event) const {
  for (net::ConnectionEvent e : events) {
    if (e == event) return true;
  }
  return false;
}

TlsTransportSocket& Tls(net::Connection& connection) {
  return static_cast<TlsTransportSocket&>(connection.transport());
}

void TlsLoopbackTest::SetUp() {
  ASSERT_FALSE(TestPki::Get().ca_pem.empty());
  auto dispatcher = event::Dispatcher::Create("tls-test");
  ASSERT_TRUE(dispatcher.ok()) << dispatcher.status();
  dispatcher_ = std::move(*dispatcher);
  auto fd = net::CreateListenSocket(*net::Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(fd.ok()) << fd.status();
  address_ = *net::LocalAddress(*fd);
  listener_ = std::make_unique<net::Listener>(
      *dispatcher_, *fd, nullptr,
      [this](int fd, const net::Address& peer, const net::Address& local) {
        auto accepted = std::make_unique<Accepted>();
        accepted->recorder = std::make_unique<Recorder>();
        accepted->connection = net::Connection::CreateServer(
            *dispatcher_, fd, TlsTransportSocket::CreateServer(server_context_), peer, local);
        accepted->recorder->connection = accepted->connection.get();
        accepted->recorder->echo = true;
        accepted->recorder->close_after_line = server_close_after_line_;
        accepted->connection->SetCallbacks(accepted->recorder.get());
        accepted_.push_back(std::move(accepted));
      });
}

void TlsLoopbackTest::TearDown() {
  accepted_.clear();
  listener_.reset();
}

bool TlsLoopbackTest::RunUntil(const std::function<bool()>& done, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    dispatcher_->RunOnce(absl::Milliseconds(20));
  }
  return true;
}

std::unique_ptr<net::Connection> TlsLoopbackTest::Connect(
    std::shared_ptr<const ClientTlsContext> context, std::string server_name, Recorder& recorder) {
  auto connection = net::Connection::CreateClient(
      *dispatcher_, address_, TlsTransportSocket::CreateClient(context, std::move(server_name)));
  EXPECT_TRUE(connection.ok()) << connection.status();
  if (!connection.ok()) return nullptr;
  recorder.connection = connection->get();
  (*connection)->SetCallbacks(&recorder);
  return std::move(*connection);
}

std::string TlsLoopbackTest::TempPath(absl::string_view name) const {
  return absl::StrCat(TestTmpDir(), "/", name);
}

SClientResult TlsLoopbackTest::RunSClient(const std::vector<std::string>& args,
                                          absl::string_view input, absl::Duration limit) {
  static int run = 0;
  ++run;
  const std::string input_path = TempPath(absl::StrCat("s_client_in_", run));
  const std::string output_path = TempPath(absl::StrCat("s_client_out_", run));
  WriteFile(input_path, input);

  std::vector<std::string> argv_strings = {kOpenssl, "s_client", "-connect", address_.ToString()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, input_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, kOpenssl, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  SClientResult result;
  if (spawned != 0) {
    ADD_FAILURE() << "posix_spawn " << kOpenssl << " failed: " << spawned;
    return result;
  }
  int status = 0;
  // Serve the connection while waiting for the program to finish.
  result.exited = RunUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; }, limit);
  if (!result.exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  result.output = ReadFile(output_path);
  return result;
}

}  // namespace strata::tls::testing
