#include "http/network.h"

#include <gtest/gtest.h>

namespace broadsheet::http {
namespace {

TEST(ParseListenAddress, AcceptsHostPortForms) {
  EXPECT_EQ(ParseListenAddress("127.0.0.1:8080")->port, 8080);
  EXPECT_EQ(ParseListenAddress("[::1]:9000")->host, "::1");
  EXPECT_EQ(ParseListenAddress(":80")->host, "0.0.0.0");
  EXPECT_EQ(ParseListenAddress("localhost:0")->host, "127.0.0.1");
  for (const char* bad : {"", "127.0.0.1:", "127.0.0.1:99999", "example.org:80", "a:b"}) {
    EXPECT_EQ(ParseListenAddress(bad).error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(AddressRanges, MatchesAddressesAndRanges) {
  auto proxies = AddressRanges::Parse({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  ASSERT_TRUE(proxies);
  EXPECT_TRUE(proxies->Contains("127.0.0.1"));
  EXPECT_TRUE(proxies->Contains("10.20.30.40"));
  EXPECT_TRUE(proxies->Contains("::ffff:10.1.1.1"));
  EXPECT_TRUE(proxies->Contains("fd12::1"));
  EXPECT_FALSE(proxies->Contains("11.0.0.1"));
  EXPECT_FALSE(proxies->Contains("127.0.0.2"));
  EXPECT_FALSE(proxies->Contains("not an address"));
  EXPECT_FALSE(AddressRanges::Parse({"10.0.0.0/33"}));
  EXPECT_FALSE(AddressRanges::Parse({"proxy.example"}));
}

TEST(CanonicalAddress, StripsPortsAndBracketsAndRefusesNames) {
  EXPECT_EQ(CanonicalAddress("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(CanonicalAddress(" 192.0.2.1:5678 "), "192.0.2.1");
  EXPECT_EQ(CanonicalAddress("[2001:DB8::1]:443"), "2001:db8::1");
  EXPECT_EQ(CanonicalAddress("2001:db8:0:0::1"), "2001:db8::1");
  EXPECT_EQ(CanonicalAddress("::ffff:192.0.2.1"), "192.0.2.1");
  for (const char* bad :
       {"", "unknown", "proxy.example", "[2001:db8::1", "1.2.3.4:5:6x", "_hidden"})
    EXPECT_FALSE(CanonicalAddress(bad)) << bad;
}

TEST(AddressRanges, NamesTheListInErrors) {
  auto bad = AddressRanges::Parse({"nowhere"}, "metrics address");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("metrics address"), std::string::npos);
}

TEST(ConnectionCounts, RefusesPastTheLimitPerAddressAndForgetsClosedOnes) {
  ConnectionCounts counts;
  EXPECT_TRUE(counts.Acquire("192.0.2.1", 2));
  EXPECT_TRUE(counts.Acquire("192.0.2.1", 2));
  EXPECT_FALSE(counts.Acquire("192.0.2.1", 2));
  EXPECT_TRUE(counts.Acquire("192.0.2.2", 2));
  EXPECT_EQ(counts.Count("192.0.2.1"), 2u);
  counts.Release("192.0.2.1");
  EXPECT_TRUE(counts.Acquire("192.0.2.1", 2));
  counts.Release("192.0.2.1");
  counts.Release("192.0.2.1");
  counts.Release("192.0.2.1");  // more releases than acquisitions do not wrap around
  EXPECT_EQ(counts.Count("192.0.2.1"), 0u);
  EXPECT_FALSE(counts.Acquire("192.0.2.3", 0));
  EXPECT_EQ(counts.Count("192.0.2.3"), 0u);
}

TEST(ConnectionCounts, CountsAnIpv6ClientByItsSlash64) {
  ConnectionCounts counts;
  EXPECT_TRUE(counts.Acquire("2001:db8:1:2::1", 2));
  EXPECT_TRUE(counts.Acquire("2001:db8:1:2:ffff::9", 2));
  EXPECT_FALSE(counts.Acquire("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 2));
  EXPECT_TRUE(counts.Acquire("2001:db8:1:3::1", 2));
  counts.Release("2001:db8:1:2::77");  // the same network
  EXPECT_EQ(counts.Count("2001:db8:1:2::1"), 1u);
  EXPECT_TRUE(counts.Acquire("::ffff:192.0.2.1", 1));  // a v4-mapped address is its IPv4 one
  EXPECT_EQ(counts.Count("192.0.2.1"), 1u);
}

}  // namespace
}  // namespace broadsheet::http
