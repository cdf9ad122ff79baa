#include "dataplane/tls/client_hello.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace strata::tls {
namespace {

// The first flight of a real TLS client (the library's own ClientHello).
std::string RealClientHello(const char* server_name) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  if (server_name != nullptr) SSL_set_tlsext_host_name(ssl, server_name);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // writes the ClientHello, then wants the server's answer
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<size_t>(size));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

// The same handshake message cut into records of at most `chunk` bytes.
std::string Reframe(absl::string_view records, size_t chunk) {
  const std::string message(records.substr(5));
  const absl::string_view version =
      records.substr(1, 2);  // one record in, as the library writes it
  std::string out;
  for (size_t i = 0; i < message.size(); i += chunk) {
    const size_t n = std::min(chunk, message.size() - i);
    out.push_back(22);
    out.append(version.data(), version.size());
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
    out.append(message, i, n);
  }
  return out;
}

TEST(ClientHelloTest, FindsTheServerNameInARealClientHello) {
  const std::string hello = RealClientHello("a.example");
  ASSERT_GT(hello.size(), 50u);
  std::string name = "stale";
  EXPECT_EQ(ParseClientHelloServerName(hello, &name), ClientHelloParse::kDone);
  EXPECT_EQ(name, "a.example");
}

TEST(ClientHelloTest, EveryPrefixNeedsMore) {
  const std::string hello = RealClientHello("a.example");
  for (size_t i = 0; i < hello.size(); ++i) {
    std::string name;
    ASSERT_EQ(ParseClientHelloServerName(absl::string_view(hello).substr(0, i), &name),
              ClientHelloParse::kNeedMore)
        << i;
  }
}

TEST(ClientHelloTest, AClientHelloSpreadOverSeveralRecords) {
  const std::string hello = Reframe(RealClientHello("b.example"), 100);
  std::string name;
  EXPECT_EQ(ParseClientHelloServerName(hello, &name), ClientHelloParse::kDone);
  EXPECT_EQ(name, "b.example");
  EXPECT_EQ(ParseClientHelloServerName(absl::string_view(hello).substr(0, 300), &name),
            ClientHelloParse::kNeedMore);
}

TEST(ClientHelloTest, NoServerNameIsAnEmptyName) {
  std::string name = "stale";
  EXPECT_EQ(ParseClientHelloServerName(RealClientHello(nullptr), &name), ClientHelloParse::kDone);
  EXPECT_EQ(name, "");
}

TEST(ClientHelloTest, OtherBytesAreInvalid) {
  std::string name;
  EXPECT_EQ(ParseClientHelloServerName("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &name),
            ClientHelloParse::kInvalid);
  std::string hello = RealClientHello("a.example");
  hello[0] = 23;  // application data, not a handshake
  EXPECT_EQ(ParseClientHelloServerName(hello, &name), ClientHelloParse::kInvalid);
  hello = RealClientHello("a.example");
  hello[5] = 2;  // a ServerHello
  EXPECT_EQ(ParseClientHelloServerName(hello, &name), ClientHelloParse::kInvalid);
}

TEST(ClientHelloTest, CorruptedLengthsNeverReadOutOfBounds) {
  const std::string hello = RealClientHello("a.example");
  // Every single-byte corruption parses to some answer without reading past the data (the
  // parser's reads are bounds-checked; a sanitizer build would flag any slip).
  for (size_t i = 0; i < hello.size(); ++i) {
    for (const unsigned char value : {0x00, 0x7f, 0xff}) {
      std::string corrupted = hello;
      corrupted[i] = static_cast<char>(value);
      std::string name;
      const ClientHelloParse parse = ParseClientHelloServerName(corrupted, &name);
      if (parse == ClientHelloParse::kDone) {
        EXPECT_LE(name.size(), hello.size());
      }
    }
  }
}

}  // namespace
}  // namespace strata::tls
