#include "auth/rate_limiter.h"

#include <gtest/gtest.h>

#include "auth/crypto.h"
#include "storage/database.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet::auth {
namespace {

class SharedRateLimiterTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    BROADSHEET_OPEN_TEST_STORE_AT(store_, (dir_.path() / "site.db").string());
  }
  testing::TempDir dir_;
  std::unique_ptr<SqlStore> store_;
};

TEST_P(SharedRateLimiterTest, RefusesPastTheLimitAndSaysHowLongToWait) {
  SharedRateLimiter limiter(*store_);
  const RateLimit limit{"search", 2, 60};
  EXPECT_EQ(*limiter.Take(limit, {"192.0.2.1"}, 1000), 0);
  EXPECT_EQ(*limiter.Take(limit, {"192.0.2.1"}, 1010), 0);
  EXPECT_EQ(*limiter.Take(limit, {"192.0.2.1"}, 1020), 40);
  EXPECT_EQ(*limiter.Until(limit, {"192.0.2.1"}, 1030), 30);
  EXPECT_EQ(*limiter.Until(limit, {"192.0.2.2"}, 1030), 0);
  EXPECT_EQ(*limiter.Take(limit, {"192.0.2.1"}, 1060), 0);
}

TEST_P(SharedRateLimiterTest, TwoLimitersOnOneDatabaseShareTheCount) {
  SharedRateLimiter here(*store_), there(*store_);  // two nodes' limiters
  const RateLimit limit{"comment-minute", 3, 60};
  EXPECT_EQ(*here.Take(limit, {"198.51.100.7"}, 1000), 0);
  EXPECT_EQ(*there.Take(limit, {"198.51.100.7"}, 1001), 0);
  EXPECT_EQ(*here.Take(limit, {"198.51.100.7"}, 1002), 0);
  EXPECT_EQ(*there.Take(limit, {"198.51.100.7"}, 1003), 57);
}

TEST_P(SharedRateLimiterTest, StoresNoAddressOrEmailAddress) {
  SharedRateLimiter limiter(*store_);
  const RateLimit limit{"newsletter-signup", 1, 3600};
  const std::vector<std::string> keys = {"mail:reader@example.org", "client:192.0.2.77"};
  ASSERT_EQ(*limiter.Take(limit, keys, 1000), 0);
  EXPECT_EQ(*limiter.Until(limit, keys, 1001), 3599);
  EXPECT_EQ(*store_->RateWait(limit, keys, 1001), 0);  // not kept under the keys themselves
  if (GetParam() != storage::Dialect::kSqlite) return;
  storage::DatabaseOptions options;
  options.url = (dir_.path() / "site.db").string();
  auto database = storage::Database::Open(options);
  ASSERT_TRUE(database) << Describe(database.error());
  auto stored = (*database)->Read([](storage::Connection& c) {
    return c.All("SELECT key_hash FROM rate_windows",
                 [](const storage::Row& row) { return row.Text(0); });
  });
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 2u);
  for (const std::string& key : *stored) {
    EXPECT_EQ(key.find("192.0.2"), std::string::npos) << key;
    EXPECT_EQ(key.find("example.org"), std::string::npos) << key;
    EXPECT_GE(key.size(), 40u);  // a keyed BLAKE2b hash, base64url
  }
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, SharedRateLimiterTest, test::kBothDatabases,
                         test::DatabaseName);

}  // namespace
}  // namespace broadsheet::auth
