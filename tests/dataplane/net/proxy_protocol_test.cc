#include "dataplane/net/proxy_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace strata::net {
namespace {

using Status = ProxyProtocolParser::Status;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

const std::string kSignature =
    Bytes({0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a});

// A v2 header: signature, version/command byte, family byte, then `block` with its length.
std::string V2(int version_command, int family, const std::string& block) {
  std::string out = kSignature;
  out.push_back(static_cast<char>(version_command));
  out.push_back(static_cast<char>(family));
  out.push_back(static_cast<char>(block.size() >> 8));
  out.push_back(static_cast<char>(block.size() & 0xff));
  return out + block;
}

// 192.0.2.1:56324 -> 198.51.100.7:443 as a v2 IPv4 address block.
const std::string kInetBlock = Bytes({192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb});

std::string Tlv(int type, const std::string& value) {
  std::string out;
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(value.size() >> 8));
  out.push_back(static_cast<char>(value.size() & 0xff));
  return out + value;
}

Address Addr(const char* host_port) {
  auto address = Address::Parse(host_port);
  EXPECT_TRUE(address.ok()) << address.status();
  return *address;
}

ProxyProtocolParser::Result Parse(absl::string_view data) {
  ProxyProtocolParser parser;
  return parser.Parse(data);
}

std::string ErrorOf(absl::string_view data) {
  const auto result = Parse(data);
  EXPECT_EQ(result.status, Status::kError) << "input of " << data.size() << " bytes";
  return result.error;
}

// Feeds every prefix of `wire` (as a connection receiving it one byte at a time would) and
// checks that all proper prefixes need more and the whole parses to the same result.
void ExpectEveryPrefixNeedsMore(const std::string& wire) {
  for (size_t n = 0; n < wire.size(); ++n) {
    const auto result = Parse(absl::string_view(wire).substr(0, n));
    EXPECT_EQ(result.status, Status::kNeedMore) << "prefix of " << n << " bytes: " << result.error;
  }
}

TEST(ProxyProtocolV1Test, ParsesTcp4) {
  const std::string wire = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";
  const auto result = Parse(wire + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(result.status, Status::kDone) << result.error;
  EXPECT_EQ(result.consumed, wire.size());
  EXPECT_EQ(result.header.version, 1);
  EXPECT_EQ(result.header.command, ProxyCommand::kProxy);
  EXPECT_EQ(result.header.family, ProxyFamily::kInet);
  EXPECT_TRUE(result.header.HasAddresses());
  EXPECT_EQ(result.header.source, Addr("192.0.2.1:56324"));
  EXPECT_EQ(result.header.destination, Addr("198.51.100.7:443"));
}

TEST(ProxyProtocolV1Test, ParsesTcp6) {
  const std::string wire = "PROXY TCP6 2001:db8::1 ::ffff:198.51.100.7 0 65535\r\n";
  const auto result = Parse(wire);
  ASSERT_EQ(result.status, Status::kDone) << result.error;
  EXPECT_EQ(result.consumed, wire.size());
  EXPECT_EQ(result.header.family, ProxyFamily::kInet6);
  EXPECT_EQ(result.header.source, Addr("[2001:db8::1]:0"));
  EXPECT_EQ(result.header.destination, Addr("[::ffff:198.51.100.7]:65535"));
}

TEST(ProxyProtocolV1Test, UnknownIgnoresTheRestOfTheLine) {
  for (const std::string& wire :
       {std::string("PROXY UNKNOWN\r\n"),
        std::string("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n")}) {
    const auto result = Parse(wire + "data");
    ASSERT_EQ(result.status, Status::kDone) << wire << ": " << result.error;
    EXPECT_EQ(result.consumed, wire.size());
    EXPECT_EQ(result.header.family, ProxyFamily::kUnspec);
    EXPECT_FALSE(result.header.HasAddresses());
  }
}

TEST(ProxyProtocolV1Test, LongestLegalLinesAreAccepted) {
  // The spec's worst case: UNKNOWN with the longest IPv6 addresses, 107 bytes with CRLF.
  const std::string longest =
      "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  ASSERT_EQ(longest.size(), kProxyProtocolV1MaxBytes);
  const auto unknown = Parse(longest);
  ASSERT_EQ(unknown.status, Status::kDone) << unknown.error;
  EXPECT_EQ(unknown.consumed, 107u);
  const std::string tcp6 =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  const auto result = Parse(tcp6);
  ASSERT_EQ(result.status, Status::kDone) << result.error;
  EXPECT_EQ(result.consumed, tcp6.size());
  EXPECT_EQ(result.header.source.port(), 65535);
}

TEST(ProxyProtocolV1Test, SplitAtEveryByteBoundary) {
  for (const std::string& wire :
       {std::string("PROXY TCP4 10.1.2.3 10.4.5.6 1000 80\r\n"),
        std::string("PROXY TCP6 ::1 ::2 1 2\r\n"), std::string("PROXY UNKNOWN\r\n")}) {
    ExpectEveryPrefixNeedsMore(wire);
    const auto whole = Parse(wire);
    ASSERT_EQ(whole.status, Status::kDone) << whole.error;
    EXPECT_EQ(whole.consumed, wire.size());
  }
}

TEST(ProxyProtocolV1Test, RejectsOversizeLines) {
  // No CR within the first 106 bytes: the line cannot fit in 107 bytes.
  const std::string no_crlf = "PROXY UNKNOWN " + std::string(92, 'x');
  ASSERT_EQ(no_crlf.size(), 106u);
  EXPECT_EQ(Parse(no_crlf.substr(0, 105)).status, Status::kNeedMore);
  EXPECT_EQ(ErrorOf(no_crlf), "PROXY v1: no CRLF within 107 bytes");
  // CRLF at 107..108: one byte too long.
  EXPECT_EQ(ErrorOf(no_crlf + "\r\n"), "PROXY v1: no CRLF within 107 bytes");
  EXPECT_EQ(Parse(no_crlf.substr(0, 105) + "\r\n").status, Status::kDone);
}

TEST(ProxyProtocolV1Test, RejectsBadGrammarPrecisely) {
  EXPECT_EQ(ErrorOf("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"),
            "PROXY v1: unknown protocol \"TCP5\" (want TCP4, TCP6 or UNKNOWN)");
  EXPECT_EQ(ErrorOf("PROXY UNKNOWNX\r\n"),
            "PROXY v1: unknown protocol \"UNKNOWNX\" (want TCP4, TCP6 or UNKNOWN)");
  EXPECT_EQ(ErrorOf("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"),
            "PROXY v1: unknown protocol \"tcp4\" (want TCP4, TCP6 or UNKNOWN)");
  EXPECT_EQ(ErrorOf("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
            "PROXY v1: unknown protocol \"\" (want TCP4, TCP6 or UNKNOWN)");
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"), "PROXY v1: empty field (stray space)");
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"), "PROXY v1: empty field (stray space)");
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
            "PROXY v1: TCP4 needs 4 fields after it, got 3");
  // Garbage after the last field.
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 extra\r\n"),
            "PROXY v1: TCP4 needs 4 fields after it, got 5");
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n"),
            "PROXY v1: bad destination port \"2x\"");
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"),
            "PROXY v1: bad source port \"65536\"");
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"), "PROXY v1: bad source port \"080\"");
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"), "PROXY v1: bad source port \"-1\"");
  EXPECT_EQ(ErrorOf("PROXY TCP4 ::1 5.6.7.8 1 2\r\n"), "PROXY v1: bad IPv4 source address \"::1\"");
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.256 1 2\r\n"),
            "PROXY v1: bad IPv4 destination address \"5.6.7.256\"");
  EXPECT_EQ(ErrorOf("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"),
            "PROXY v1: bad IPv4 source address \"01.2.3.4\"");
  EXPECT_EQ(ErrorOf("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"),
            "PROXY v1: bad IPv6 source address \"1.2.3.4\"");
  EXPECT_EQ(ErrorOf("PROXY TCP6 ::1 fe80::1%eth0 1 2\r\n"),
            "PROXY v1: bad IPv6 destination address \"fe80::1%eth0\"");
}

TEST(ProxyProtocolV1Test, RejectsBadLineEndingsAndBytesAsSoonAsSeen) {
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), "PROXY v1: LF without CR");
  EXPECT_EQ(ErrorOf("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"), "PROXY v1: CR not followed by LF");
  // Rejected before any line end arrives.
  EXPECT_EQ(ErrorOf(std::string("PROXY TCP4 1.2.3.4\t")),
            "PROXY v1: invalid byte 0x09 at offset 18");
  EXPECT_EQ(ErrorOf(std::string("PROXY \0", 7)), "PROXY v1: invalid byte 0x00 at offset 6");
  EXPECT_EQ(ErrorOf("PROXY \x80"), "PROXY v1: invalid byte 0x80 at offset 6");
}

TEST(ProxyProtocolTest, BadSignatureIsRejectedOnTheFirstWrongByte) {
  const std::string error =
      "PROXY protocol: bad signature (neither \"PROXY \" nor the v2 signature)";
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\n"), error);
  EXPECT_EQ(ErrorOf("PROXZ"), error);
  EXPECT_EQ(ErrorOf("PROXYTCP4"), error);
  EXPECT_EQ(ErrorOf("proxy TCP4"), error);
  EXPECT_EQ(ErrorOf(kSignature.substr(0, 11) + "\r"), error);  // v2 signature, last byte wrong
  EXPECT_EQ(ErrorOf(std::string("\r\n\r\n\x01", 5)), error);
  EXPECT_EQ(Parse("PROX").status, Status::kNeedMore);
  EXPECT_EQ(Parse(kSignature.substr(0, 11)).status, Status::kNeedMore);
  EXPECT_EQ(Parse("").status, Status::kNeedMore);
}

TEST(ProxyProtocolV2Test, ParsesInet) {
  const std::string wire = V2(0x21, 0x11, kInetBlock);
  const auto result = Parse(wire + "payload");
  ASSERT_EQ(result.status, Status::kDone) << result.error;
  EXPECT_EQ(result.consumed, 28u);
  EXPECT_EQ(result.header.version, 2);
  EXPECT_EQ(result.header.command, ProxyCommand::kProxy);
  EXPECT_EQ(result.header.family, ProxyFamily::kInet);
  EXPECT_EQ(result.header.source, Addr("192.0.2.1:56324"));
  EXPECT_EQ(result.header.destination, Addr("198.51.100.7:443"));
}

TEST(ProxyProtocolV2Test, ParsesInet6) {
  std::string block(36, '\0');
  block[0] = 0x20;  // 2001:db8::1
  block[1] = 0x01;
  block[2] = 0x0d;
  block[3] = static_cast<char>(0xb8);
  block[15] = 1;
  block[31] = 2;     // ::2
  block[32] = 0x30;  // port 0x3039 = 12345
  block[33] = 0x39;
  block[34] = 0x00;  // port 80
  block[35] = 0x50;
  const auto result = Parse(V2(0x21, 0x21, block));
  ASSERT_EQ(result.status, Status::kDone) << result.error;
  EXPECT_EQ(result.consumed, 52u);
  EXPECT_EQ(result.header.family, ProxyFamily::kInet6);
  EXPECT_EQ(result.header.source, Addr("[2001:db8::1]:12345"));
  EXPECT_EQ(result.header.destination, Addr("[::2]:80"));
}

TEST(ProxyProtocolV2Test, LocalCommandIgnoresTheBlock) {
  // LOCAL with an INET block (and a family byte the spec says to ignore) and with none.
  for (const std::string& wire :
       {V2(0x20, 0x11, kInetBlock), V2(0x20, 0x00, ""), V2(0x20, 0xff, "opaque")}) {
    const auto result = Parse(wire + "x");
    ASSERT_EQ(result.status, Status::kDone) << result.error;
    EXPECT_EQ(result.consumed, wire.size());
    EXPECT_EQ(result.header.command, ProxyCommand::kLocal);
    EXPECT_FALSE(result.header.HasAddresses());
    EXPECT_FALSE(result.header.source.valid());
  }
}

TEST(ProxyProtocolV2Test, UnspecAndUnixAreTreatedAsUnknown) {
  const auto unspec = Parse(V2(0x21, 0x00, Tlv(0x04, "")));
  ASSERT_EQ(unspec.status, Status::kDone) << unspec.error;
  EXPECT_EQ(unspec.header.family, ProxyFamily::kUnspec);
  EXPECT_FALSE(unspec.header.HasAddresses());

  std::string unix_block(216, '\0');
  unix_block.replace(0, 9, "/tmp/a.sk");
  const std::string unix_wire = V2(0x21, 0x31, unix_block + Tlv(0x01, "h2"));
  const auto unix_result = Parse(unix_wire);
  ASSERT_EQ(unix_result.status, Status::kDone) << unix_result.error;
  EXPECT_EQ(unix_result.consumed, unix_wire.size());
  EXPECT_EQ(unix_result.header.family, ProxyFamily::kUnix);
  EXPECT_FALSE(unix_result.header.HasAddresses());
  EXPECT_EQ(ErrorOf(V2(0x21, 0x31, std::string(215, '\0'))),
            "PROXY v2: address block of 215 bytes too short for UNIX (needs 216)");
}

TEST(ProxyProtocolV2Test, SkipsTlvs) {
  const std::string tlvs =
      Tlv(0x01, "h2") + Tlv(0x02, "example.com") + Tlv(0x04, "") + Tlv(0xe0, std::string(300, 'z'));
  const std::string wire = V2(0x21, 0x11, kInetBlock + tlvs);
  const auto result = Parse(wire + "GET");
  ASSERT_EQ(result.status, Status::kDone) << result.error;
  EXPECT_EQ(result.consumed, wire.size());
  EXPECT_EQ(result.header.source, Addr("192.0.2.1:56324"));
}

TEST(ProxyProtocolV2Test, RejectsMalformedTlvs) {
  EXPECT_EQ(ErrorOf(V2(0x21, 0x11, kInetBlock + Bytes({0x01, 0x00}))),
            "PROXY v2: truncated TLV at offset 28");
  EXPECT_EQ(ErrorOf(V2(0x21, 0x11, kInetBlock + Tlv(0x01, "ab") + Bytes({0x02, 0x00, 0x05, 'x'}))),
            "PROXY v2: TLV type 0x02 of 5 bytes overruns the header");
}

TEST(ProxyProtocolV2Test, SplitAtEveryByteBoundary) {
  for (const std::string& wire :
       {V2(0x21, 0x11, kInetBlock), V2(0x21, 0x21, std::string(36, '\x01') + Tlv(3, "abcd")),
        V2(0x20, 0x00, "")}) {
    ExpectEveryPrefixNeedsMore(wire);
    const auto whole = Parse(wire + "tail");
    ASSERT_EQ(whole.status, Status::kDone) << whole.error;
    EXPECT_EQ(whole.consumed, wire.size());
  }
}

TEST(ProxyProtocolV2Test, RejectsBadVersionAndCommand) {
  EXPECT_EQ(ErrorOf(V2(0x11, 0x11, kInetBlock)), "PROXY v2: unsupported version 1 (want 2)");
  EXPECT_EQ(ErrorOf(V2(0x31, 0x11, kInetBlock)), "PROXY v2: unsupported version 3 (want 2)");
  EXPECT_EQ(ErrorOf(V2(0x22, 0x11, kInetBlock)), "PROXY v2: unknown command 0x2");
  EXPECT_EQ(ErrorOf(V2(0x2f, 0x11, kInetBlock)), "PROXY v2: unknown command 0xf");
}

TEST(ProxyProtocolV2Test, RejectsBadFamiliesAndShortBlocks) {
  EXPECT_EQ(ErrorOf(V2(0x21, 0x12, kInetBlock)), "PROXY v2: datagram transport not supported");
  EXPECT_EQ(ErrorOf(V2(0x21, 0x22, std::string(36, '\0'))),
            "PROXY v2: datagram transport not supported");
  EXPECT_EQ(ErrorOf(V2(0x21, 0x10, kInetBlock)), "PROXY v2: unknown address family/transport 0x10");
  EXPECT_EQ(ErrorOf(V2(0x21, 0x41, kInetBlock)), "PROXY v2: unknown address family/transport 0x41");
  EXPECT_EQ(ErrorOf(V2(0x21, 0x13, kInetBlock)), "PROXY v2: unknown address family/transport 0x13");
  EXPECT_EQ(ErrorOf(V2(0x21, 0x11, kInetBlock.substr(0, 11))),
            "PROXY v2: address block of 11 bytes too short for IPv4 (needs 12)");
  EXPECT_EQ(ErrorOf(V2(0x21, 0x21, kInetBlock)),
            "PROXY v2: address block of 12 bytes too short for IPv6 (needs 36)");
}

TEST(ProxyProtocolV2Test, RejectsOversizeAsSoonAsTheLengthIsKnown) {
  // 16 + 4080 = 4096 is the most accepted.
  const std::string largest = V2(0x21, 0x11, kInetBlock + Tlv(0xe0, std::string(4065, 'a')));
  ASSERT_EQ(largest.size(), 4096u);
  EXPECT_EQ(Parse(largest).status, Status::kDone);
  // One more byte: rejected from the preamble alone, without waiting for the body.
  const std::string oversize = V2(0x21, 0x11, kInetBlock + Tlv(0xe0, std::string(4066, 'a')));
  EXPECT_EQ(ErrorOf(oversize.substr(0, 16)),
            "PROXY v2: header of 4097 bytes exceeds the 4096-byte limit");
  std::string max_length = kSignature + Bytes({0x21, 0x11, 0xff, 0xff});
  EXPECT_EQ(ErrorOf(max_length), "PROXY v2: header of 65551 bytes exceeds the 4096-byte limit");
}

TEST(ProxyProtocolV2Test, TruncatedHeadersNeedMore) {
  const std::string wire = V2(0x21, 0x11, kInetBlock + Tlv(1, "h2"));
  EXPECT_EQ(Parse(wire.substr(0, 15)).status, Status::kNeedMore);
  EXPECT_EQ(Parse(wire.substr(0, 16)).status, Status::kNeedMore);
  EXPECT_EQ(Parse(wire.substr(0, wire.size() - 1)).status, Status::kNeedMore);
  EXPECT_EQ(Parse(wire).status, Status::kDone);
}

TEST(ProxyProtocolEncoderTest, V1RoundTrips) {
  const std::vector<std::pair<const char*, const char*>> pairs = {
      {"192.0.2.1:56324", "198.51.100.7:443"},
      {"0.0.0.0:0", "255.255.255.255:65535"},
      {"[2001:db8::1]:1", "[::ffff:10.0.0.1]:8443"},
      {"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
       "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"}};
  for (const auto& [src, dst] : pairs) {
    const std::string wire = EncodeProxyProtocolV1(Addr(src), Addr(dst));
    EXPECT_LE(wire.size(), kProxyProtocolV1MaxBytes);
    const auto result = Parse(wire);
    ASSERT_EQ(result.status, Status::kDone) << wire << ": " << result.error;
    EXPECT_EQ(result.consumed, wire.size());
    EXPECT_EQ(result.header.source, Addr(src));
    EXPECT_EQ(result.header.destination, Addr(dst));
  }
  EXPECT_EQ(EncodeProxyProtocolV1(Addr("1.2.3.4:1"), Addr("5.6.7.8:2")),
            "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
}

TEST(ProxyProtocolEncoderTest, V2RoundTrips) {
  const std::vector<std::pair<const char*, const char*>> pairs = {
      {"192.0.2.1:56324", "198.51.100.7:443"},
      {"[2001:db8::1]:1", "[::ffff:10.0.0.1]:8443"},
  };
  for (const auto& [src, dst] : pairs) {
    const std::string wire = EncodeProxyProtocolV2(Addr(src), Addr(dst));
    const auto result = Parse(wire);
    ASSERT_EQ(result.status, Status::kDone) << result.error;
    EXPECT_EQ(result.consumed, wire.size());
    EXPECT_EQ(result.header.version, 2);
    EXPECT_EQ(result.header.command, ProxyCommand::kProxy);
    EXPECT_EQ(result.header.source, Addr(src));
    EXPECT_EQ(result.header.destination, Addr(dst));
  }
  EXPECT_EQ(EncodeProxyProtocolV2(Addr("192.0.2.1:56324"), Addr("198.51.100.7:443")),
            V2(0x21, 0x11, kInetBlock));
}

TEST(ProxyProtocolEncoderTest, MismatchedOrInvalidAddressesEncodeAsUnknown) {
  const Address v4 = Addr("1.2.3.4:1");
  const Address v6 = Addr("[::1]:2");
  EXPECT_EQ(EncodeProxyProtocolV1(v4, v6), "PROXY UNKNOWN\r\n");
  EXPECT_EQ(EncodeProxyProtocolV1(Address(), v4), "PROXY UNKNOWN\r\n");
  EXPECT_EQ(EncodeProxyProtocolV2(v4, v6), V2(0x21, 0x00, ""));
  const auto unknown = Parse(EncodeProxyProtocolV2(v6, Address()));
  ASSERT_EQ(unknown.status, Status::kDone);
  EXPECT_EQ(unknown.header.command, ProxyCommand::kProxy);
  EXPECT_FALSE(unknown.header.HasAddresses());
  const auto local = Parse(EncodeProxyProtocolV2Local());
  ASSERT_EQ(local.status, Status::kDone);
  EXPECT_EQ(local.header.command, ProxyCommand::kLocal);
  EXPECT_EQ(local.consumed, 16u);
}

TEST(ProxyProtocolTrustTest, TrustsOnlyPeersInsideTheRanges) {
  std::vector<CidrRange> trusted = {*CidrRange::Parse("10.0.0.0/8"),
                                    *CidrRange::Parse("2001:db8::/32")};
  EXPECT_TRUE(Trusted(Addr("10.9.8.7:5000"), trusted));
  EXPECT_TRUE(Trusted(Addr("[::ffff:10.1.1.1]:5000"), trusted));  // dual-stack socket
  EXPECT_TRUE(Trusted(Addr("[2001:db8:1::5]:1"), trusted));
  EXPECT_FALSE(Trusted(Addr("11.0.0.1:5000"), trusted));
  EXPECT_FALSE(Trusted(Addr("[2001:db9::1]:1"), trusted));
  EXPECT_FALSE(Trusted(Address(), trusted));
  EXPECT_FALSE(Trusted(Addr("10.0.0.1:1"), {}));
}

// Records the calls the wrapper passes on.
class RecordingSocket : public TransportSocket {
 public:
  IoResult DoRead(int fd, Buffer& out, size_t max_bytes) override {
    return raw_.DoRead(fd, out, max_bytes);
  }
  IoResult DoWrite(int fd, Buffer& in) override { return raw_.DoWrite(fd, in); }
  void OnConnected(int fd) override { ++connected; }
  int connected = 0;

 private:
  RawTransportSocket raw_;
};

std::string ReadAll(int fd) {
  std::string out;
  char buffer[256];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT)) > 0) out.append(buffer, n);
  return out;
}

TEST(ProxyProtocolTransportSocketTest, SendsTheHeaderBeforeAnyByteOfTheInnerTransport) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  auto inner = std::make_unique<RecordingSocket>();
  RecordingSocket* recorder = inner.get();
  const std::string header = EncodeProxyProtocolV2(Addr("203.0.113.7:5555"), Addr("10.0.0.1:80"));
  ProxyProtocolTransportSocket socket(header, std::move(inner));
  Buffer data;
  data.Append("GET / HTTP/1.1\r\n\r\n");

  // Not connected yet: nothing goes out and the inner transport has not started.
  IoResult early = socket.DoWrite(fds[0], data);
  EXPECT_EQ(early.action, IoResult::Action::kKeepOpen);
  EXPECT_FALSE(socket.Ready());
  EXPECT_EQ(recorder->connected, 0);
  EXPECT_EQ(ReadAll(fds[1]), "");

  socket.OnConnected(fds[0]);
  EXPECT_TRUE(socket.Ready());
  EXPECT_EQ(recorder->connected, 1);
  EXPECT_EQ(socket.DoWrite(fds[0], data).action, IoResult::Action::kKeepOpen);
  EXPECT_TRUE(data.empty());
  const std::string received = ReadAll(fds[1]);
  EXPECT_EQ(received, header + "GET / HTTP/1.1\r\n\r\n");
  // The receiver's parser takes exactly the header and leaves the request.
  ProxyProtocolParser::Result parsed = ProxyProtocolParser().Parse(received);
  ASSERT_EQ(parsed.status, ProxyProtocolParser::Status::kDone);
  EXPECT_EQ(parsed.consumed, header.size());
  EXPECT_EQ(parsed.header.source.ToString(), "203.0.113.7:5555");

  // Reads go straight to the inner transport.
  ASSERT_EQ(send(fds[1], "HTTP/1.1 200 OK\r\n", 17, 0), 17);
  Buffer in;
  EXPECT_EQ(socket.DoRead(fds[0], in, 1024).bytes, 17u);
  close(fds[0]);
  close(fds[1]);
}

TEST(ProxyProtocolTransportSocketTest, AFailedHeaderWriteClosesTheConnection) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  close(fds[1]);  // nobody will read: the send fails (EPIPE, no SIGPIPE)
  auto inner = std::make_unique<RecordingSocket>();
  RecordingSocket* recorder = inner.get();
  ProxyProtocolTransportSocket socket(EncodeProxyProtocolV2Local(), std::move(inner));
  socket.OnConnected(fds[0]);
  EXPECT_EQ(recorder->connected, 0);
  Buffer data;
  data.Append("x");
  const IoResult result = socket.DoWrite(fds[0], data);
  EXPECT_EQ(result.action, IoResult::Action::kClose);
  EXPECT_STREQ(result.error, "write error (PROXY protocol header)");
  close(fds[0]);
}

}  // namespace
}  // namespace strata::net
