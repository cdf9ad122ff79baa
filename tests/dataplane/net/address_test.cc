#include "dataplane/net/address.h"

#include "gtest/gtest.h"

namespace strata::net {
namespace {

TEST(AddressTest, ParsesV4AndV6WithPorts) {
  auto v4 = Address::Parse("10.1.2.3:8080");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->port(), 8080);
  EXPECT_EQ(v4->ToString(), "10.1.2.3:8080");
  auto v6 = Address::Parse("[::1]:443");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->Ip(), "::1");
  EXPECT_EQ(v6->ToString(), "[::1]:443");
}

TEST(AddressTest, RejectsWithPreciseMessages) {
  EXPECT_EQ(Address::Parse("10.1.2.3").status().message(),
            "address \"10.1.2.3\" has no port (want ip:port)");
  EXPECT_EQ(Address::Parse("example.com:80").status().message(),
            "\"example.com\" is not a numeric IP address");
  EXPECT_EQ(Address::Parse("1.2.3.4:http").status().message(), "bad port in \"1.2.3.4:http\"");
  EXPECT_EQ(Address::FromIpPort("1.2.3.4", 70000).status().message(), "port 70000 > 65535");
  EXPECT_FALSE(Address::Parse("[::1]443").ok());
}

TEST(CidrRangeTest, MatchesPrefixes) {
  auto net8 = CidrRange::Parse("10.0.0.0/8");
  ASSERT_TRUE(net8.ok());
  EXPECT_TRUE(net8->Contains(*Address::Parse("10.200.1.1:1")));
  EXPECT_FALSE(net8->Contains(*Address::Parse("11.0.0.1:1")));
  auto odd = CidrRange::Parse("192.168.1.128/25");
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd->Contains(*Address::Parse("192.168.1.200:1")));
  EXPECT_FALSE(odd->Contains(*Address::Parse("192.168.1.100:1")));
  auto host = CidrRange::Parse("127.0.0.1");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->ToString(), "127.0.0.1/32");
  EXPECT_TRUE(host->Contains(*Address::Parse("127.0.0.1:9")));
  EXPECT_FALSE(host->Contains(*Address::Parse("127.0.0.2:9")));
  auto all = CidrRange::Parse("0.0.0.0/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Contains(*Address::Parse("8.8.8.8:53")));
  EXPECT_FALSE(all->Contains(*Address::Parse("[::1]:53")));  // v4 range, v6 address
}

TEST(CidrRangeTest, V6AndV4MappedAddresses) {
  auto v6 = CidrRange::Parse("fd00::/8");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->Contains(*Address::Parse("[fd12::1]:1")));
  EXPECT_FALSE(v6->Contains(*Address::Parse("[fe80::1]:1")));
  auto v4 = CidrRange::Parse("10.0.0.0/8");
  EXPECT_TRUE(v4->Contains(*Address::Parse("[::ffff:10.1.1.1]:1")));
}

TEST(CidrRangeTest, RejectsBadRanges) {
  EXPECT_EQ(CidrRange::Parse("10.0.0.0/33").status().message(), "prefix /33 > 32");
  EXPECT_EQ(CidrRange::Parse("::/129").status().message(), "prefix /129 > 128");
  EXPECT_EQ(CidrRange::Parse("10.0.0.0/x").status().message(),
            "bad prefix length in \"10.0.0.0/x\"");
  EXPECT_FALSE(CidrRange::Parse("nope/8").ok());
}

}  // namespace
}  // namespace strata::net
