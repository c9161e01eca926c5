#include "cache/purger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace broadsheet::cache {
namespace {

// A cache that records what it was told, and fails the first `failures` purges.
class FakePurger : public Purger {
 public:
  struct Shared {
    std::mutex mutex;
    std::vector<std::vector<std::string>> purged;
    int failures = 0;
    int calls = 0;
    std::chrono::milliseconds delay{0};
  };
  explicit FakePurger(Shared& shared) : shared_(shared) {}
  Result<void> Purge(const std::vector<std::string>& keys) override {
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(shared_.mutex);
      delay = shared_.delay;
    }
    std::this_thread::sleep_for(delay);
    std::lock_guard lock(shared_.mutex);
    ++shared_.calls;
    if (shared_.failures > 0) {
      --shared_.failures;
      return Fail(ErrorCode::kUnavailable, "cache down");
    }
    shared_.purged.push_back(keys);
    return {};
  }

 private:
  Shared& shared_;
};

TEST(PurgeQueue, SendsQueuedKeysOnceEach) {
  FakePurger::Shared shared;
  shared.delay = std::chrono::milliseconds(200);
  PurgeQueue queue(std::make_unique<FakePurger>(shared), "site");
  queue.Add({"post:0"});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // taken; what follows waits
  // Keys queued while a purge is under way wait together, each once. (A key queued again after
  // its purge was taken is sent again: the change may have come after that purge.)
  queue.Add({"post:1", "home", "feeds"});
  queue.Add({"home"});
  ASSERT_TRUE(queue.Finish(std::chrono::seconds(5)));
  std::lock_guard lock(shared.mutex);
  ASSERT_EQ(shared.purged.size(), 2u);
  EXPECT_EQ(shared.purged[0], (std::vector<std::string>{"post:0"}));
  EXPECT_EQ(shared.purged[1], (std::vector<std::string>{"feeds", "home", "post:1"}));
}

TEST(PurgeQueue, AddNeverWaitsForASlowCache) {
  FakePurger::Shared shared;
  shared.delay = std::chrono::milliseconds(500);
  PurgeQueue queue(std::make_unique<FakePurger>(shared), "site");
  queue.Add({"post:1"});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the first purge is under way
  const auto start = std::chrono::steady_clock::now();
  queue.Add({"post:2"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  ASSERT_TRUE(queue.Finish(std::chrono::seconds(5)));
}

TEST(PurgeQueue, AFailedPurgeIsTriedAgainAndCounted) {
  FakePurger::Shared shared;
  shared.failures = 1;
  PurgeQueue queue(std::make_unique<FakePurger>(shared), "site");
  queue.Add({"post:7"});
  ASSERT_TRUE(queue.Finish(std::chrono::seconds(5)));
  const PurgeStats stats = queue.Stats();
  EXPECT_EQ(stats.failed, 1u);
  EXPECT_EQ(stats.sent, 1u);
  EXPECT_EQ(stats.waiting, 0u);
  std::lock_guard lock(shared.mutex);
  ASSERT_EQ(shared.purged.size(), 1u);
  EXPECT_EQ(shared.purged[0], (std::vector<std::string>{"post:7"}));
}

TEST(PurgeQueue, AnOverflowingQueuePurgesTheSiteKeyInstead) {
  FakePurger::Shared shared;
  shared.delay = std::chrono::milliseconds(200);
  PurgeQueue queue(std::make_unique<FakePurger>(shared), "site", 3);
  queue.Add({"post:0"});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // taken; the rest waits
  queue.Add({"post:1", "post:2", "post:3", "post:4"});
  EXPECT_EQ(queue.Stats().collapsed, 1u);
  ASSERT_TRUE(queue.Finish(std::chrono::seconds(5)));
  std::lock_guard lock(shared.mutex);
  ASSERT_EQ(shared.purged.size(), 2u);
  EXPECT_EQ(shared.purged[1], (std::vector<std::string>{"site"}));
}

TEST(PurgeQueue, MetricsNameEveryOutcome) {
  FakePurger::Shared shared;
  PurgeQueue queue(std::make_unique<FakePurger>(shared), "site");
  queue.Add({"home"});
  ASSERT_TRUE(queue.Finish(std::chrono::seconds(5)));
  const std::string text = queue.MetricsText();
  EXPECT_NE(text.find("broadsheet_purges_total{outcome=\"sent\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("broadsheet_purge_keys_waiting 0\n"), std::string::npos);
}

// A cache that never answers, with a purge count readable from the test.
class DownPurger : public Purger {
 public:
  explicit DownPurger(std::atomic<int>& calls) : calls_(calls) {}
  Result<void> Purge(const std::vector<std::string>&) override {
    ++calls_;
    return Fail(ErrorCode::kUnavailable, "cache down");
  }

 private:
  std::atomic<int>& calls_;
};

TEST(PurgeQueue, ACacheThatIsDownHoldsUpNoOtherAndIsPurgedWholeOnceBack) {
  std::atomic<int> down_calls = 0;
  FakePurger::Shared up;
  std::vector<std::unique_ptr<Purger>> purgers;
  purgers.push_back(std::make_unique<DownPurger>(down_calls));
  purgers.push_back(std::make_unique<FakePurger>(up));
  PurgeQueue queue(std::move(purgers), "site");
  queue.Add({"post:1", "home"});
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(up.mutex);
      if (!up.purged.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard lock(up.mutex);
    ASSERT_EQ(up.purged.size(), 1u);
    EXPECT_EQ(up.purged[0], (std::vector<std::string>{"home", "post:1"}));
  }
  // Finish skips the pauses: the cache that is down is tried until it has failed kMaxAttempts
  // times, and then its keys become the site key, kept until it answers.
  EXPECT_FALSE(queue.Finish(std::chrono::milliseconds(500)));
  EXPECT_GE(down_calls.load(), PurgeQueue::kMaxAttempts);
  const PurgeStats stats = queue.Stats();
  EXPECT_EQ(stats.given_up, 1u);
  EXPECT_EQ(stats.waiting, 1u);  // "site", for the cache that is down
  EXPECT_EQ(stats.sent, 1u);
}

TEST(VarnishPurger, AnUnreachableCacheIsUnavailable) {
  VarnishPurger purger({"http://127.0.0.1:1"}, std::chrono::seconds(2));
  auto purged = purger.Purge({"home"});
  ASSERT_FALSE(purged);
  EXPECT_EQ(purged.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace broadsheet::cache
