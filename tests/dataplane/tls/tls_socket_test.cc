#include "dataplane/tls/tls_socket.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/net/connection.h"
#include "dataplane/tls/tls_context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataplane/tls/tls_test_util.h"

namespace strata::tls {
namespace {

using net::Connection;
using net::ConnectionEvent;
using testing::Config;
using ::testing::HasSubstr;
using testing::Recorder;
using ::testing::StartsWith;
using testing::TestPki;
using testing::Tls;

std::shared_ptr<const ServerTlsContext> ServerContext(std::vector<CertificateConfig> certificates,
                                                      ServerTlsOptions options = {}) {
  auto context = ServerTlsContext::Create(certificates, options);
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? *context : nullptr;
}

std::shared_ptr<const ClientTlsContext> VerifyingClient(TlsVersion max = TlsVersion::kTls13,
                                                        const std::string& ca = "") {
  ClientTlsOptions options;
  options.ca_pem = ca.empty() ? TestPki::Get().ca_pem : ca;
  options.alpn_protocols = {"h2", "http/1.1"};
  options.max_version = max;
  auto context = ClientTlsContext::Create(options);
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? *context : nullptr;
}

std::shared_ptr<const ClientTlsContext> InsecureClient() {
  ClientTlsOptions options;
  options.insecure_skip_verify = true;
  auto context = ClientTlsContext::Create(options);
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? *context : nullptr;
}

class TlsSocketTest : public testing::TlsLoopbackTest {
 protected:
  Connection* Server(size_t i = 0) { return accepted_.at(i)->connection.get(); }
  Recorder& ServerRecorder(size_t i = 0) { return *accepted_.at(i)->recorder; }
  // Both ends finished the handshake.
  bool Established(Connection& client, size_t server_index = 0) {
    return Tls(client).Ready() && accepted_.size() > server_index &&
           Tls(*Server(server_index)).Ready();
  }
};

class TlsVersionTest : public TlsSocketTest, public ::testing::WithParamInterface<TlsVersion> {
 protected:
  std::string VersionName() const {
    return GetParam() == TlsVersion::kTls12 ? "TLSv1.2" : "TLSv1.3";
  }
};

INSTANTIATE_TEST_SUITE_P(Versions, TlsVersionTest,
                         ::testing::Values(TlsVersion::kTls12, TlsVersion::kTls13),
                         [](const auto& info) {
                           return info.param == TlsVersion::kTls12 ? "Tls12" : "Tls13";
                         });

TEST_P(TlsVersionTest, EchoRoundTripWithAlpnThroughConnections) {
  const TestPki& pki = TestPki::Get();
  SetServerContext(ServerContext({Config(pki.a), Config(pki.b)}));
  Recorder client_cb;
  auto client = Connect(VerifyingClient(GetParam()), "a.example", client_cb);
  ASSERT_NE(client, nullptr);
  // Queued before the handshake is done: sent once it is.
  client->Write("hello ");
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  client->Write(big);
  const std::string expected = "hello " + big;
  ASSERT_TRUE(RunUntil([&] { return client_cb.received.size() >= expected.size(); }))
      << client_cb.received.size() << " bytes; client close reason: "
      << (client->close_reason() ? client->close_reason() : "none");
  EXPECT_TRUE(client_cb.received == expected);
  EXPECT_TRUE(ServerRecorder().received == expected);

  TlsTransportSocket& client_tls = Tls(*client);
  TlsTransportSocket& server_tls = Tls(*Server());
  EXPECT_TRUE(client_tls.Ready());
  EXPECT_TRUE(client_tls.Secure());
  EXPECT_EQ(client_tls.Alpn(), "http/1.1");  // the server's only protocol
  EXPECT_EQ(server_tls.Alpn(), "http/1.1");
  EXPECT_EQ(client_tls.Version(), VersionName());
  EXPECT_EQ(server_tls.Version(), VersionName());
  EXPECT_EQ(server_tls.ServerName(), "a.example");
  EXPECT_EQ(client_tls.ServerName(), "a.example");
  EXPECT_EQ(client_tls.PeerCertificateSubject(), "/CN=a.example");

  // Idle: buffers go; the connection carries on afterwards.
  client->ReleaseIdleMemory();
  Server()->ReleaseIdleMemory();
  client_cb.received.clear();
  client->Write("again");
  ASSERT_TRUE(RunUntil([&] { return client_cb.received == "again"; }));
}

TEST_P(TlsVersionTest, HandshakeCompletesWhenNeitherSideWrites) {
  // The server only ever reads, and so does the client: the handshake must still complete,
  // driven from OnConnected and DoRead alone.
  SetServerContext(ServerContext({Config(TestPki::Get().a)}));
  Recorder client_cb;
  auto client = Connect(VerifyingClient(GetParam()), "a.example", client_cb);
  ASSERT_TRUE(RunUntil([&] { return Established(*client); }))
      << (client->close_reason() ? client->close_reason() : "no close reason");
  EXPECT_EQ(Tls(*client).Version(), VersionName());
  EXPECT_TRUE(client_cb.received.empty());
}

TEST_F(TlsSocketTest, ServerNameSelectsTheCertificate) {
  const TestPki& pki = TestPki::Get();
  SetServerContext(ServerContext({Config(pki.a), Config(pki.b), Config(pki.wild)}));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a.example", "/CN=a.example"},
      {"b.example", "/CN=b.example"},
      {"x.wild.example", "/CN=wild"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [name, subject] = cases[i];
    Recorder client_cb;
    auto client = Connect(VerifyingClient(), name, client_cb);
    ASSERT_TRUE(RunUntil([&] { return Established(*client, i); }))
        << name << ": " << (client->close_reason() ? client->close_reason() : "");
    EXPECT_EQ(Tls(*client).PeerCertificateSubject(), subject) << name;
    EXPECT_EQ(Tls(*Server(i)).ServerName(), name);
  }
}

TEST_F(TlsSocketTest, UnknownServerNameFailsTheHandshakeWithoutADefault) {
  const TestPki& pki = TestPki::Get();
  SetServerContext(ServerContext({Config(pki.a), Config(pki.wild)}));
  const std::vector<std::string> names = {"nope.example", "a.b.wild.example", "wild.example"};
  for (size_t i = 0; i < names.size(); ++i) {
    Recorder client_cb;
    // Even a client that accepts any certificate gets none.
    auto client = Connect(InsecureClient(), names[i], client_cb);
    ASSERT_TRUE(RunUntil([&] {
      return client_cb.Has(ConnectionEvent::kRemoteClose) && accepted_.size() > i &&
             ServerRecorder(i).Closed();
    })) << names[i];
    EXPECT_STREQ(client->close_reason(), "TLS handshake failed: peer rejected the server name");
    EXPECT_STREQ(Server(i)->close_reason(), "TLS handshake failed: unknown server name");
    EXPECT_FALSE(Tls(*client).Ready());
    EXPECT_EQ(Tls(*client).PeerCertificateSubject(), "");
  }
}

TEST_F(TlsSocketTest, UnknownServerNameGetsTheDefaultCertificate) {
  const TestPki& pki = TestPki::Get();
  SetServerContext(ServerContext({Config(pki.a), Config(pki.fallback, /*is_default=*/true)}));
  Recorder unknown_cb;
  auto unknown = Connect(InsecureClient(), "nope.example", unknown_cb);
  ASSERT_TRUE(RunUntil([&] { return Established(*unknown, 0); }));
  EXPECT_EQ(Tls(*unknown).PeerCertificateSubject(), "/CN=default.example");
  EXPECT_EQ(Tls(*Server(0)).ServerName(), "nope.example");

  Recorder known_cb;
  auto known = Connect(VerifyingClient(), "a.example", known_cb);
  ASSERT_TRUE(RunUntil([&] { return Established(*known, 1); }));
  EXPECT_EQ(Tls(*known).PeerCertificateSubject(), "/CN=a.example");
}

TEST_F(TlsSocketTest, ClientRejectsACertificateForAnotherName) {
  const TestPki& pki = TestPki::Get();
  // The server answers every name with a.example's certificate.
  SetServerContext(ServerContext({Config(pki.a, /*is_default=*/true)}));
  Recorder client_cb;
  auto client = Connect(VerifyingClient(), "other.example", client_cb);
  ASSERT_TRUE(RunUntil([&] {
    return client_cb.Has(ConnectionEvent::kRemoteClose) && !accepted_.empty() &&
           ServerRecorder().Closed();
  }));
  EXPECT_STREQ(client->close_reason(),
               "TLS handshake failed: peer certificate does not match the server name");
  EXPECT_THAT(Server()->close_reason(), StartsWith("TLS handshake failed"));

  // The same server, the right name: accepted.
  Recorder good_cb;
  auto good = Connect(VerifyingClient(), "a.example", good_cb);
  ASSERT_TRUE(RunUntil([&] { return Established(*good, 1); }));
}

TEST_F(TlsSocketTest, ClientRejectsACertificateFromAnUntrustedCa) {
  const TestPki& pki = TestPki::Get();
  SetServerContext(ServerContext({Config(pki.a)}));
  Recorder client_cb;
  auto client =
      Connect(VerifyingClient(TlsVersion::kTls13, pki.other_ca_pem), "a.example", client_cb);
  ASSERT_TRUE(RunUntil([&] {
    return client_cb.Has(ConnectionEvent::kRemoteClose) && !accepted_.empty() &&
           ServerRecorder().Closed();
  }));
  EXPECT_STREQ(client->close_reason(), "TLS handshake failed: peer certificate not trusted");
  EXPECT_STREQ(Server()->close_reason(), "TLS handshake failed: peer rejected the certificate");
}

TEST_P(TlsVersionTest, CloseNotifyEndsTheStreamCleanly) {
  SetServerContext(ServerContext({Config(TestPki::Get().a)}));
  Recorder client_cb;
  auto client = Connect(VerifyingClient(GetParam()), "a.example", client_cb);
  client->Write("ping");
  ASSERT_TRUE(RunUntil([&] { return client_cb.received == "ping"; }));
  // Everything the server wrote has left its buffer: close_notify may follow.
  ASSERT_TRUE(Server()->write_buffer().empty());
  EXPECT_EQ(Tls(*Server()).Shutdown(Server()->fd()).action, net::IoResult::Action::kKeepOpen);
  Server()->Close(Connection::CloseType::kFlushWrite);
  ASSERT_TRUE(RunUntil([&] { return client_cb.saw_end_stream; }));
  EXPECT_TRUE(Tls(*client).PeerClosedCleanly());
  EXPECT_EQ(client->close_reason(), nullptr);
}

TEST_P(TlsVersionTest, CloseWithoutCloseNotifyIsATruncation) {
  SetServerContext(ServerContext({Config(TestPki::Get().a)}));
  Recorder client_cb;
  auto client = Connect(VerifyingClient(GetParam()), "a.example", client_cb);
  client->Write("ping");
  ASSERT_TRUE(RunUntil([&] { return client_cb.received == "ping"; }));
  Server()->Close(Connection::CloseType::kNoFlush);
  ASSERT_TRUE(RunUntil([&] { return client_cb.Has(ConnectionEvent::kRemoteClose); }));
  EXPECT_STREQ(client->close_reason(),
               "TLS connection truncated: peer closed without close_notify");
  EXPECT_FALSE(client_cb.saw_end_stream);
  EXPECT_FALSE(Tls(*client).PeerClosedCleanly());
}

TEST_F(TlsSocketTest, RotatedCertificateServesNewHandshakesWhileOldConnectionsLive) {
  const TestPki& pki = TestPki::Get();
  auto first = ServerContext({Config(pki.a)});
  SetServerContext(first);
  Recorder old_cb;
  auto old_connection = Connect(VerifyingClient(), "a.example", old_cb);
  old_connection->Write("before");
  ASSERT_TRUE(RunUntil([&] { return old_cb.received == "before"; }));
  EXPECT_EQ(Tls(*old_connection).PeerCertificateSubject(), "/CN=a.example");

  // Rotate: a new context with the new certificate replaces the one new connections use,
  // and the test drops its own reference to the old one.
  ServerTlsOptions options;
  options.ticket_keys = first->ticket_keys();
  SetServerContext(ServerContext({Config(pki.a_rotated)}, options));
  first.reset();

  Recorder new_cb;
  auto new_connection = Connect(VerifyingClient(), "a.example", new_cb);
  new_connection->Write("after");
  ASSERT_TRUE(RunUntil([&] { return new_cb.received == "after"; }));
  EXPECT_EQ(Tls(*new_connection).PeerCertificateSubject(), "/O=rotated/CN=a.example");

  // The established connection still works on its original context.
  old_cb.received.clear();
  old_connection->Write("still here");
  ASSERT_TRUE(RunUntil([&] { return old_cb.received == "still here"; }));
  EXPECT_EQ(Tls(*old_connection).PeerCertificateSubject(), "/CN=a.example");
}

std::shared_ptr<const ClientTlsContext> ClientWith(std::vector<std::string> subject_alt_names,
                                                   bool verify_name = true) {
  ClientTlsOptions options;
  options.ca_pem = TestPki::Get().ca_pem;
  options.subject_alt_names = std::move(subject_alt_names);
  options.verify_name = verify_name;
  auto context = ClientTlsContext::Create(options);
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? *context : nullptr;
}

TEST_F(TlsSocketTest, ClientChecksItsSubjectAltNamesInsteadOfTheServerName) {
  SetServerContext(ServerContext({Config(TestPki::Get().a, /*is_default=*/true)}));
  // SNI "upstream.internal", certificate a.example: one of the listed names matches.
  Recorder good_cb;
  auto good = Connect(ClientWith({"x.example", "a.example"}), "upstream.internal", good_cb);
  ASSERT_TRUE(RunUntil([&] { return Established(*good); }));
  EXPECT_EQ(Tls(*Server()).ServerName(), "upstream.internal");
  // A client connection reports kConnected once its handshake is done, not at TCP connect.
  ASSERT_TRUE(RunUntil([&] { return good_cb.Has(ConnectionEvent::kConnected); }));

  // None of them matches, even though nothing else is wrong.
  Recorder bad_cb;
  auto bad = Connect(ClientWith({"b.example"}), "a.example", bad_cb);
  ASSERT_TRUE(RunUntil([&] { return bad_cb.Has(ConnectionEvent::kRemoteClose); }));
  EXPECT_STREQ(bad->close_reason(),
               "TLS handshake failed: peer certificate does not match the server name");
  EXPECT_FALSE(bad_cb.Has(ConnectionEvent::kConnected));  // the TCP connect alone is not enough
}

TEST_F(TlsSocketTest, ClientWithoutANameCheckStillVerifiesTheChain) {
  SetServerContext(ServerContext({Config(TestPki::Get().a, /*is_default=*/true)}));
  Recorder any_name_cb;
  auto any_name = Connect(ClientWith({}, /*verify_name=*/false), "", any_name_cb);
  ASSERT_TRUE(RunUntil([&] { return Established(*any_name); }));

  ClientTlsOptions options;
  options.ca_pem = TestPki::Get().other_ca_pem;
  options.verify_name = false;
  auto untrusted_context = ClientTlsContext::Create(options);
  ASSERT_TRUE(untrusted_context.ok()) << untrusted_context.status();
  Recorder untrusted_cb;
  auto untrusted = Connect(*untrusted_context, "", untrusted_cb);
  ASSERT_TRUE(RunUntil([&] { return untrusted_cb.Has(ConnectionEvent::kRemoteClose); }));
  EXPECT_STREQ(untrusted->close_reason(), "TLS handshake failed: peer certificate not trusted");
}

TEST(ClientTlsContextTest, AnIpAddressMustBeTheOnlySubjectAltName) {
  ClientTlsOptions options;
  options.ca_pem = TestPki::Get().ca_pem;
  options.subject_alt_names = {"a.example", "10.0.0.1"};
  auto context = ClientTlsContext::Create(options);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().message(),
            "subject_alt_names: an IP address (10.0.0.1) must be the only name to verify");
}

TEST_F(TlsSocketTest, ClientWithoutANameToVerifyNeverSendsData) {
  SetServerContext(ServerContext({Config(TestPki::Get().a)}));
  Recorder client_cb;
  auto client = Connect(VerifyingClient(), "", client_cb);
  client->Write("secret");
  ASSERT_TRUE(RunUntil([&] { return client_cb.Has(ConnectionEvent::kRemoteClose); }));
  EXPECT_STREQ(client->close_reason(), "TLS setup failed: no server name to verify");
}

}  // namespace
}  // namespace strata::tls
