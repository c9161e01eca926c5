// ServingBucket: a bucket as the node reads it to serve /uploads/ (when [media] storage = "s3"),
// so that a slow or unreachable bucket cannot take every worker thread. At most `max_fetches`
// objects are fetched at once; a request past them is answered kBusy at once (the site answers
// 503 with Retry-After). An object the bucket said was not there is remembered as such for
// `not_found_for` (a page's missing image asked for by every reader costs one request to the
// bucket, not one each), up to `max_not_found` keys (past that, the oldest are forgotten).
// Puts and deletes go through to the bucket (and forget what was remembered of the key).
// It owns the store it wraps; thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "media/object_store.h"

namespace broadsheet::media {

struct ServingLimits {
  int max_fetches = 4;
  std::chrono::milliseconds not_found_for{5000};
  size_t max_not_found = 1024;
};

class ServingBucket final : public ObjectStore {
 public:
  ServingBucket(std::unique_ptr<ObjectStore> bucket, ServingLimits limits);

  Result<void> Put(std::string_view key, std::string_view data,
                   std::string_view content_type) override;
  Result<StoredObject> Get(std::string_view key, size_t max_bytes) const override;
  // Passed through, unbounded: background work's, never a request's.
  Result<void> PutFile(std::string_view key, const std::filesystem::path& path,
                       std::string_view content_type) override;
  Result<void> GetFile(std::string_view key, const std::filesystem::path& path,
                       std::int64_t max_bytes) const override;
  Result<void> Delete(std::string_view key) override;
  Result<std::optional<std::int64_t>> Size(std::string_view key) const override;
  std::string Describe() const override;

  // The Retry-After seconds of a request turned away: a fetch's longest time at most.
  static constexpr int kRetryAfterS = 2;

 private:
  bool RememberedMissing(std::string_view key) const;
  void RememberMissing(std::string_view key) const;
  void Forget(std::string_view key);

  std::unique_ptr<ObjectStore> bucket_;
  const ServingLimits limits_;
  mutable std::atomic<int> fetching_{0};
  mutable std::mutex mutex_;  // guards below
  mutable std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> missing_;
  mutable std::deque<std::string> missing_order_;  // oldest first, for the bound
};

}  // namespace broadsheet::media
