#include "core/rate_limit.h"

#include <string>

#include <gtest/gtest.h>

namespace broadsheet {
namespace {

TEST(ClientKey, CountsAnIpv6ClientByItsSlash64) {
  EXPECT_EQ(ClientKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientKey("2001:db8:1:2:bbbb::9"), ClientKey("2001:db8:1:2::1"));
  EXPECT_NE(ClientKey("2001:db8:1:3::1"), ClientKey("2001:db8:1:2::1"));
  EXPECT_EQ(ClientKey("unknown"), "unknown");
}

}  // namespace
}  // namespace broadsheet
