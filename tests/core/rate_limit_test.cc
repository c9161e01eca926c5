#include "core/rate_limit.h"

#include <string>

#include <gtest/gtest.h>

namespace broadsheet {
namespace {

TEST(RecentEvents, RefusesPastTheLimitAndSaysHowLongToWait) {
  RecentEvents events(3, 60);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(events.Wait({"a"}, 100 + i), 0);
  EXPECT_EQ(events.Wait({"a"}, 110), 50);  // the first of the three leaves the window at 160
  EXPECT_EQ(events.Until({"a"}, 110), 50);
  EXPECT_TRUE(events.Allow({"b"}, 110));  // another key is not held back
  EXPECT_EQ(events.Wait({"a"}, 160), 0);
}

TEST(RecentEvents, MemoryStaysBoundedUnderManyKeys) {
  RecentEvents events(5, 60, 1000);
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(events.Allow({"client-" + std::to_string(i)}, 1000 + i / 100));
    ASSERT_LE(events.keys(), 1000u);
  }
}

TEST(RecentEvents, ManyNewKeysDoNotForgiveAnActiveOneWhileRoomCanBeMade) {
  RecentEvents events(2, 60, 100);
  // One-off visitors fill the table, then leave the window while a flooder is still held back.
  for (int i = 0; i < 98; ++i) ASSERT_TRUE(events.Allow({"old-" + std::to_string(i)}, 0));
  ASSERT_TRUE(events.Allow({"flooder"}, 50));
  ASSERT_TRUE(events.Allow({"flooder"}, 50));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(events.Allow({"new-" + std::to_string(i)}, 61));
  EXPECT_LE(events.keys(), 100u);
  EXPECT_FALSE(events.Allow({"flooder"}, 61));
}

// Issue 13: a client spraying distinct keys (an IPv6 /64's addresses, say) while the table is
// full of active keys must not make it forget everyone, a held-back flooder included.
TEST(RecentEvents, SprayingNewKeysNeverWipesTheBusiestHistory) {
  RecentEvents events(3, 60, 100);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(events.Allow({"flooder"}, 10));
  ASSERT_FALSE(events.Allow({"flooder"}, 10));
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(events.Allow({"spray-" + std::to_string(i)}, 20));
    ASSERT_LE(events.keys(), 100u);
    ASSERT_FALSE(events.Allow({"flooder"}, 20)) << "forgotten after " << i << " new keys";
  }
}

TEST(RecentEvents, ANewKeyIsAlwaysTrackedWhenTheTableIsFull) {
  RecentEvents events(2, 60, 100);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(events.Allow({"busy-" + std::to_string(i)}, 10));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(events.Allow({"busy-" + std::to_string(i)}, 10));
  // Every key is at its limit; the newcomer still gets counted, and held back at its limit.
  EXPECT_TRUE(events.Allow({"newcomer"}, 20));
  EXPECT_TRUE(events.Allow({"newcomer"}, 20));
  EXPECT_FALSE(events.Allow({"newcomer"}, 20));
  EXPECT_LE(events.keys(), 100u);
}

TEST(RecentEvents, ExpiredKeysGoBeforeActiveOnes) {
  RecentEvents events(2, 60, 100);
  for (int i = 0; i < 90; ++i) ASSERT_TRUE(events.Allow({"old-" + std::to_string(i)}, 0));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(events.Allow({"recent-" + std::to_string(i)}, 50));
  ASSERT_TRUE(events.Allow({"newcomer"}, 70));  // the old ones have left the window
  EXPECT_EQ(events.keys(), 11u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(events.Allow({"recent-" + std::to_string(i)}, 70));
    EXPECT_FALSE(events.Allow({"recent-" + std::to_string(i)}, 70)) << i;
  }
}

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
