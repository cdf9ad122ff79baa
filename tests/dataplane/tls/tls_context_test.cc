#include "dataplane/tls/tls_context.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataplane/tls/tls_test_util.h"

namespace strata::tls {
namespace {

using testing::Config;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TestPki;

TEST(ServerTlsContextTest, NamesComeFromSanOrCnAndMatchExactThenOneLabelWildcard) {
  const TestPki& pki = TestPki::Get();
  auto context = ServerTlsContext::Create(
      {Config(pki.a), Config(pki.b), Config(pki.wild), Config(pki.cn_only)}, {});
  ASSERT_TRUE(context.ok()) << context.status();
  const ServerTlsContext& c = **context;
  EXPECT_THAT(c.server_names(0), ElementsAre("a.example"));
  EXPECT_THAT(c.server_names(2), ElementsAre("*.wild.example"));
  EXPECT_THAT(c.server_names(3), ElementsAre("cn-only.example"));  // no SAN: the CN
  EXPECT_EQ(c.Match("a.example"), 0u);
  EXPECT_EQ(c.Match("B.Example."), 1u);  // case and a trailing dot do not matter
  EXPECT_EQ(c.Match("x.wild.example"), 2u);
  EXPECT_EQ(c.Match("cn-only.example"), 3u);
  EXPECT_EQ(c.Match("a.b.wild.example"), std::nullopt);  // one label only
  EXPECT_EQ(c.Match("wild.example"), std::nullopt);
  EXPECT_EQ(c.Match(".wild.example"), std::nullopt);
  EXPECT_EQ(c.Match("unknown.example"), std::nullopt);
  EXPECT_EQ(c.Match(""), std::nullopt);
  EXPECT_EQ(c.default_certificate(), std::nullopt);
  EXPECT_TRUE(c.warnings().empty());
}

TEST(ServerTlsContextTest, ConfiguredNamesReplaceTheCertificatesAndExactBeatsWildcard) {
  const TestPki& pki = TestPki::Get();
  CertificateConfig b = Config(pki.b);
  b.server_names = {"exact.wild.example"};
  auto context = ServerTlsContext::Create({Config(pki.wild), b}, {});
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ((*context)->Match("exact.wild.example"), 1u);
  EXPECT_EQ((*context)->Match("other.wild.example"), 0u);
  EXPECT_EQ((*context)->Match("b.example"), std::nullopt);
}

TEST(ServerTlsContextTest, KeyMismatchIsRejectedNamingTheCertificate) {
  const TestPki& pki = TestPki::Get();
  CertificateConfig mismatched = Config(pki.b);
  mismatched.private_key_pem = pki.a.key_pem;
  auto context = ServerTlsContext::Create({Config(pki.a), mismatched}, {});
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(context.status().message(), HasSubstr("certificate 1 (/CN=b.example)"));
  EXPECT_THAT(context.status().message(), HasSubstr("private key does not match"));
}

TEST(ServerTlsContextTest, ExpiredCertificateIsServedWithAWarning) {
  const TestPki& pki = TestPki::Get();
  ManualClock later(absl::Now() + absl::Hours(24 * 60));  // the leaves last 30 days
  ServerTlsOptions options;
  options.clock = &later;
  auto context = ServerTlsContext::Create({Config(pki.a), Config(pki.b)}, options);
  ASSERT_TRUE(context.ok()) << context.status();
  ASSERT_EQ((*context)->warnings().size(), 2u);
  EXPECT_THAT((*context)->warnings()[0], HasSubstr("certificate 0 (/CN=a.example) expired on"));
  EXPECT_EQ((*context)->Match("a.example"), 0u);

  ManualClock earlier(absl::Now() - absl::Hours(48));
  options.clock = &earlier;
  context = ServerTlsContext::Create({Config(pki.a)}, options);
  ASSERT_TRUE(context.ok()) << context.status();
  ASSERT_EQ((*context)->warnings().size(), 1u);
  EXPECT_THAT((*context)->warnings()[0], HasSubstr("is not valid before"));

  ManualClock now(absl::Now());
  options.clock = &now;
  context = ServerTlsContext::Create({Config(pki.a)}, options);
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_TRUE((*context)->warnings().empty());
}

TEST(ServerTlsContextTest, DefaultCertificateFromFlagOrOptions) {
  const TestPki& pki = TestPki::Get();
  auto by_flag =
      ServerTlsContext::Create({Config(pki.a), Config(pki.fallback, /*is_default=*/true)}, {});
  ASSERT_TRUE(by_flag.ok()) << by_flag.status();
  EXPECT_EQ((*by_flag)->default_certificate(), 1u);

  ServerTlsOptions options;
  options.default_certificate = 0;
  auto by_option = ServerTlsContext::Create({Config(pki.a), Config(pki.fallback)}, options);
  ASSERT_TRUE(by_option.ok()) << by_option.status();
  EXPECT_EQ((*by_option)->default_certificate(), 0u);

  auto conflict =
      ServerTlsContext::Create({Config(pki.a), Config(pki.fallback, /*is_default=*/true)}, options);
  EXPECT_THAT(conflict.status().message(), HasSubstr("both marked as the default"));

  options.default_certificate = 5;
  auto out_of_range = ServerTlsContext::Create({Config(pki.a)}, options);
  EXPECT_THAT(out_of_range.status().message(), HasSubstr("out of range"));
}

TEST(ServerTlsContextTest, InvalidConfigurationsAreRejected) {
  const TestPki& pki = TestPki::Get();
  EXPECT_FALSE(ServerTlsContext::Create({}, {}).ok());

  CertificateConfig garbage;
  garbage.cert_chain_pem = "not a certificate";
  garbage.private_key_pem = pki.a.key_pem;
  auto parsed = ServerTlsContext::Create({garbage}, {});
  EXPECT_THAT(parsed.status().message(), HasSubstr("certificate 0: cannot parse"));

  CertificateConfig no_key = Config(pki.a);
  no_key.private_key_pem = "";
  EXPECT_THAT(ServerTlsContext::Create({no_key}, {}).status().message(),
              HasSubstr("cannot parse the private key"));

  // Two certificates for one name: which one a client gets must never be left to chance.
  auto duplicate = ServerTlsContext::Create({Config(pki.a), Config(pki.a_rotated)}, {});
  EXPECT_THAT(duplicate.status().message(),
              HasSubstr("'a.example' is claimed by certificates 0 and 1"));

  CertificateConfig bad_name = Config(pki.a);
  bad_name.server_names = {"f*o.example"};
  EXPECT_THAT(ServerTlsContext::Create({bad_name}, {}).status().message(),
              HasSubstr("invalid server name"));

  ServerTlsOptions bad_ciphers;
  bad_ciphers.cipher_list = "NO-SUCH-CIPHER";
  EXPECT_THAT(ServerTlsContext::Create({Config(pki.a)}, bad_ciphers).status().message(),
              HasSubstr("invalid cipher list"));

  ServerTlsOptions bad_alpn;
  bad_alpn.alpn_protocols = {""};
  EXPECT_FALSE(ServerTlsContext::Create({Config(pki.a)}, bad_alpn).ok());
}

TEST(TicketKeyRingTest, KeepsTheCurrentAndThePreviousKey) {
  TicketKeyRing ring;
  const SessionTicketKey first = ring.Current();
  bool is_current = false;
  ASSERT_TRUE(ring.Find(first.name.data(), &is_current).has_value());
  EXPECT_TRUE(is_current);

  ring.Rotate();
  const SessionTicketKey second = ring.Current();
  EXPECT_NE(first.name, second.name);
  auto found = ring.Find(first.name.data(), &is_current);
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(is_current);
  EXPECT_EQ(found->aes_key, first.aes_key);

  ring.Rotate();
  EXPECT_FALSE(ring.Find(first.name.data(), &is_current).has_value());
  EXPECT_TRUE(ring.Find(second.name.data(), &is_current).has_value());
  EXPECT_FALSE(is_current);
}

TEST(TicketKeyRingTest, ContextsShareARingWhenAsked) {
  const TestPki& pki = TestPki::Get();
  auto first = ServerTlsContext::Create({Config(pki.a)}, {});
  ASSERT_TRUE(first.ok());
  ServerTlsOptions options;
  options.ticket_keys = (*first)->ticket_keys();
  auto second = ServerTlsContext::Create({Config(pki.a_rotated)}, options);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->ticket_keys(), (*first)->ticket_keys());
  const SessionTicketKey before = (*first)->ticket_keys()->Current();
  (*second)->RotateTicketKeys();
  EXPECT_NE((*first)->ticket_keys()->Current().name, before.name);

  auto separate = ServerTlsContext::Create({Config(pki.a)}, {});
  ASSERT_TRUE(separate.ok());
  EXPECT_NE((*separate)->ticket_keys(), (*first)->ticket_keys());
}

TEST(ClientTlsContextTest, NeedsACaUnlessVerificationIsSkipped) {
  const TestPki& pki = TestPki::Get();
  ClientTlsOptions options;
  options.server_name = "a.example";
  EXPECT_THAT(ClientTlsContext::Create(options).status().message(), HasSubstr("ca_pem"));
  options.ca_pem = "garbage";
  EXPECT_THAT(ClientTlsContext::Create(options).status().message(),
              HasSubstr("cannot parse ca_pem"));
  options.ca_pem = pki.ca_pem;
  auto verifying = ClientTlsContext::Create(options);
  ASSERT_TRUE(verifying.ok()) << verifying.status();
  EXPECT_TRUE((*verifying)->verify());

  ClientTlsOptions insecure;
  insecure.insecure_skip_verify = true;
  auto skipping = ClientTlsContext::Create(insecure);
  ASSERT_TRUE(skipping.ok()) << skipping.status();
  EXPECT_FALSE((*skipping)->verify());
}

}  // namespace
}  // namespace strata::tls
