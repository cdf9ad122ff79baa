// The server side against a real, independent TLS client: the openssl s_client program.

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "dataplane/tls/tls_context.h"
#include "dataplane/tls/tls_socket.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataplane/tls/tls_test_util.h"

namespace strata::tls {
namespace {

using testing::Config;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::SClientResult;
using testing::TestPki;
using testing::Tls;

bool FileExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && info.st_size > 0;
}

class SClientTest : public testing::TlsLoopbackTest {
 protected:
  void SetUp() override {
    TlsLoopbackTest::SetUp();
    server_close_after_line_ = true;  // echo one line, then close: s_client exits
  }

  void Serve(std::vector<CertificateConfig> certificates, ServerTlsOptions options = {}) {
    auto context = ServerTlsContext::Create(certificates, options);
    ASSERT_TRUE(context.ok()) << context.status();
    SetServerContext(*context);
  }

  // s_client verifying against the test CA, offering http/1.1, sending one line.
  SClientResult Run(std::vector<std::string> args) {
    args.insert(args.end(), {"-CAfile", TestPki::Get().ca_path, "-alpn", "http/1.1", "-ign_eof"});
    SClientResult result = RunSClient(args, "ping\n");
    EXPECT_TRUE(result.exited) << result.output;
    return result;
  }

  net::Connection& Server(size_t i) { return *accepted_.at(i)->connection; }
};

class SClientVersionTest : public SClientTest, public ::testing::WithParamInterface<std::string> {
 protected:
  // "-tls1_2" -> "TLSv1.2"
  std::string Version() const { return GetParam() == "-tls1_2" ? "TLSv1.2" : "TLSv1.3"; }
};

INSTANTIATE_TEST_SUITE_P(Versions, SClientVersionTest, ::testing::Values("-tls1_2", "-tls1_3"),
                         [](const auto& info) {
                           return info.param == "-tls1_2" ? "Tls12" : "Tls13";
                         });

TEST_P(SClientVersionTest, HandshakeAlpnAndEcho) {
  const TestPki& pki = TestPki::Get();
  Serve({Config(pki.a), Config(pki.b)});
  const SClientResult result =
      Run({"-servername", "a.example", "-verify_return_error", GetParam()});
  EXPECT_THAT(result.output, HasSubstr("Protocol  : " + Version()));
  EXPECT_THAT(result.output, HasSubstr("ALPN protocol: http/1.1"));
  EXPECT_THAT(result.output, HasSubstr("Verify return code: 0 (ok)"));
  EXPECT_THAT(result.output, HasSubstr("subject=CN = a.example"));
  EXPECT_THAT(result.output, HasSubstr("\nping\n"));  // echoed back by the server
  if (GetParam() == "-tls1_2") {
    EXPECT_THAT(result.output, HasSubstr("Cipher is ECDHE-"));
  }
  ASSERT_EQ(accepted_.size(), 1u);
  EXPECT_EQ(Tls(Server(0)).Version(), Version());
  EXPECT_EQ(Tls(Server(0)).Alpn(), "http/1.1");
  EXPECT_EQ(Tls(Server(0)).ServerName(), "a.example");
  EXPECT_EQ(accepted_[0]->recorder->received, "ping\n");
}

TEST_F(SClientTest, ServerNameSelectsEcdsaRsaAndWildcardCertificates) {
  const TestPki& pki = TestPki::Get();
  Serve({Config(pki.a), Config(pki.b), Config(pki.wild)});
  SClientResult a = Run({"-servername", "a.example", "-verify_return_error"});
  EXPECT_THAT(a.output, HasSubstr("subject=CN = a.example"));
  EXPECT_THAT(a.output, HasSubstr("Peer signature type: ECDSA"));
  SClientResult b = Run({"-servername", "b.example", "-verify_return_error"});
  EXPECT_THAT(b.output, HasSubstr("subject=CN = b.example"));
  EXPECT_THAT(b.output, HasSubstr("Peer signature type: RSA-PSS"));
  SClientResult wild = Run({"-servername", "x.wild.example", "-verify_return_error",
                            "-verify_hostname", "x.wild.example"});
  EXPECT_THAT(wild.output, HasSubstr("subject=CN = wild"));
  EXPECT_THAT(wild.output, HasSubstr("Verify return code: 0 (ok)"));
}

TEST_F(SClientTest, UnknownOrMissingServerNameIsRejectedWithoutADefault) {
  const TestPki& pki = TestPki::Get();
  Serve({Config(pki.a), Config(pki.b)});
  SClientResult unknown = Run({"-servername", "nope.example"});
  EXPECT_THAT(unknown.output, HasSubstr("unrecognized name"));
  EXPECT_THAT(unknown.output, Not(HasSubstr("subject=")));
  SClientResult missing = Run({"-noservername"});
  EXPECT_THAT(missing.output, HasSubstr("unrecognized name"));
  EXPECT_THAT(missing.output, Not(HasSubstr("subject=")));
  ASSERT_EQ(accepted_.size(), 2u);
  EXPECT_STREQ(Server(0).close_reason(), "TLS handshake failed: unknown server name");
  EXPECT_STREQ(Server(1).close_reason(), "TLS handshake failed: unknown server name");
}

TEST_F(SClientTest, UnknownOrMissingServerNameGetsTheDefault) {
  const TestPki& pki = TestPki::Get();
  ServerTlsOptions options;
  options.default_certificate = 1;
  Serve({Config(pki.a), Config(pki.fallback)}, options);
  SClientResult missing = Run({"-noservername"});
  EXPECT_THAT(missing.output, HasSubstr("subject=CN = default.example"));
  EXPECT_THAT(missing.output, HasSubstr("\nping\n"));
  SClientResult unknown = Run({"-servername", "nope.example"});
  EXPECT_THAT(unknown.output, HasSubstr("subject=CN = default.example"));
  SClientResult known = Run({"-servername", "a.example"});
  EXPECT_THAT(known.output, HasSubstr("subject=CN = a.example"));
}

TEST_P(SClientVersionTest, SessionTicketResumptionSurvivesOneKeyRotation) {
  const TestPki& pki = TestPki::Get();
  Serve({Config(pki.a), Config(pki.b)});
  const std::string session = TempPath("session_" + Version());
  SClientResult first = Run({"-servername", "a.example", GetParam(), "-sess_out", session});
  EXPECT_THAT(first.output, HasSubstr("New, " + Version()));
  ASSERT_TRUE(FileExists(session)) << first.output;

  SClientResult resumed = Run({"-servername", "a.example", GetParam(), "-sess_in", session});
  EXPECT_THAT(resumed.output, HasSubstr("Reused, " + Version()));
  EXPECT_THAT(resumed.output, HasSubstr("\nping\n"));
  ASSERT_EQ(accepted_.size(), 2u);
  EXPECT_TRUE(Tls(Server(1)).SessionReused());

  server_context_->RotateTicketKeys();  // the ticket's key is now the previous one
  SClientResult after_one = Run({"-servername", "a.example", GetParam(), "-sess_in", session});
  EXPECT_THAT(after_one.output, HasSubstr("Reused, " + Version()));

  server_context_->RotateTicketKeys();  // and now it is gone
  SClientResult after_two = Run({"-servername", "a.example", GetParam(), "-sess_in", session});
  EXPECT_THAT(after_two.output, HasSubstr("New, " + Version()));
  EXPECT_THAT(after_two.output, HasSubstr("subject=CN = a.example"));
}

TEST_P(SClientVersionTest, TicketIsNotResumedUnderAnotherServerName) {
  const TestPki& pki = TestPki::Get();
  Serve({Config(pki.a), Config(pki.b)});
  const std::string session = TempPath("session_cross_" + Version());
  SClientResult first = Run({"-servername", "a.example", GetParam(), "-sess_out", session});
  ASSERT_TRUE(FileExists(session)) << first.output;
  // A client offering a.example's session to b.example gets a full handshake with b's
  // certificate, not a.example's session (RFC 6066 section 3).
  SClientResult other = Run({"-servername", "b.example", GetParam(), "-sess_in", session});
  EXPECT_THAT(other.output, HasSubstr("New, " + Version()));
  EXPECT_THAT(other.output, HasSubstr("subject=CN = b.example"));
  EXPECT_THAT(other.output, HasSubstr("\nping\n"));
  ASSERT_EQ(accepted_.size(), 2u);
  EXPECT_FALSE(Tls(Server(1)).SessionReused());
  EXPECT_EQ(Tls(Server(1)).ServerName(), "b.example");
  // The same session under its own name still resumes.
  SClientResult same = Run({"-servername", "a.example", GetParam(), "-sess_in", session});
  EXPECT_THAT(same.output, HasSubstr("Reused, " + Version()));
}

TEST_F(SClientTest, MinimumVersionIsEnforced) {
  const TestPki& pki = TestPki::Get();
  ServerTlsOptions options;
  options.min_version = TlsVersion::kTls13;
  Serve({Config(pki.a)}, options);
  SClientResult old = Run({"-servername", "a.example", "-tls1_2"});
  EXPECT_THAT(old.output, HasSubstr("protocol version"));
  ASSERT_EQ(accepted_.size(), 1u);
  EXPECT_STREQ(Server(0).close_reason(), "TLS handshake failed: no common protocol version");
}

}  // namespace
}  // namespace strata::tls
