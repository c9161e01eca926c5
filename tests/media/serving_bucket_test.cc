// Serving /uploads/ from a bucket (media/serving_bucket.h): a few fetches at once, the rest
// turned away at once; a missing key asked of the bucket once in a few seconds.
#include "media/serving_bucket.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace broadsheet::media {
namespace {

// A bucket whose reads wait until released, counting them; "missing/…" keys are not there.
class FakeBucket final : public ObjectStore {
 public:
  Result<void> Put(std::string_view, std::string_view, std::string_view) override { return {}; }
  Result<StoredObject> Get(std::string_view key, size_t) const override {
    std::unique_lock lock(mutex_);
    ++gets_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    if (key.starts_with("missing/")) return Fail(ErrorCode::kNotFound, "none");
    return StoredObject{"data", "image/png"};
  }
  Result<void> PutFile(std::string_view, const std::filesystem::path&, std::string_view) override {
    return {};
  }
  Result<void> GetFile(std::string_view, const std::filesystem::path&,
                       std::int64_t) const override {
    return {};
  }
  Result<void> Delete(std::string_view) override { return {}; }
  Result<std::optional<std::int64_t>> Size(std::string_view) const override {
    return std::optional<std::int64_t>(4);
  }
  std::string Describe() const override { return "fake"; }

  void Hold() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void Release() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void WaitForGets(int count) const {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return gets_ >= count; });
  }
  int gets() const {
    std::lock_guard lock(mutex_);
    return gets_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  mutable int gets_ = 0;
  bool open_ = true;
};

TEST(ServingBucket, FetchesPastTheLimitAreTurnedAwayAtOnce) {
  auto owned = std::make_unique<FakeBucket>();
  FakeBucket& fake = *owned;
  ServingLimits limits;
  limits.max_fetches = 2;
  ServingBucket bucket(std::move(owned), limits);
  fake.Hold();
  auto first = std::async(std::launch::async, [&] { return bucket.Get("a.png", 100); });
  auto second = std::async(std::launch::async, [&] { return bucket.Get("b.png", 100); });
  fake.WaitForGets(2);
  auto third = bucket.Get("c.png", 100);  // does not wait
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kBusy);
  fake.Release();
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
  EXPECT_TRUE(bucket.Get("c.png", 100));  // room again
  EXPECT_EQ(fake.gets(), 3);
}

TEST(ServingBucket, AMissingKeyIsAskedOnceWhileRemembered) {
  auto owned = std::make_unique<FakeBucket>();
  FakeBucket& fake = *owned;
  ServingLimits limits;
  limits.not_found_for = std::chrono::milliseconds(200);
  limits.max_not_found = 2;
  ServingBucket bucket(std::move(owned), limits);
  for (int i = 0; i < 5; ++i) {
    auto missing = bucket.Get("missing/a.png", 100);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  }
  EXPECT_EQ(fake.gets(), 1);
  // A put forgets it.
  ASSERT_TRUE(bucket.Put("missing/a.png", "x", "image/png"));
  EXPECT_FALSE(bucket.Get("missing/a.png", 100));
  EXPECT_EQ(fake.gets(), 2);
  // Bounded: the oldest of three is forgotten.
  EXPECT_FALSE(bucket.Get("missing/b.png", 100));
  EXPECT_FALSE(bucket.Get("missing/c.png", 100));
  EXPECT_EQ(fake.gets(), 4);
  EXPECT_FALSE(bucket.Get("missing/c.png", 100));
  EXPECT_EQ(fake.gets(), 4);
  // And forgotten after its time.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_FALSE(bucket.Get("missing/c.png", 100));
  EXPECT_EQ(fake.gets(), 5);
}

}  // namespace
}  // namespace broadsheet::media
