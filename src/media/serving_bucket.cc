#include "media/serving_bucket.h"

namespace broadsheet::media {

ServingBucket::ServingBucket(std::unique_ptr<ObjectStore> bucket, ServingLimits limits)
    : bucket_(std::move(bucket)), limits_(limits) {}

Result<void> ServingBucket::Put(std::string_view key, std::string_view data,
                                std::string_view content_type) {
  Forget(key);
  return bucket_->Put(key, data, content_type);
}

Result<void> ServingBucket::PutFile(std::string_view key, const std::filesystem::path& path,
                                    std::string_view content_type) {
  Forget(key);
  return bucket_->PutFile(key, path, content_type);
}

Result<void> ServingBucket::GetFile(std::string_view key, const std::filesystem::path& path,
                                    std::int64_t max_bytes) const {
  return bucket_->GetFile(key, path, max_bytes);
}

Result<StoredObject> ServingBucket::Get(std::string_view key, size_t max_bytes) const {
  if (RememberedMissing(key)) return Fail(ErrorCode::kNotFound, "There is no such file.");
  if (fetching_.fetch_add(1, std::memory_order_acq_rel) >= limits_.max_fetches) {
    fetching_.fetch_sub(1, std::memory_order_acq_rel);
    return Fail(ErrorCode::kBusy, "The media store is slow to answer; try again in a moment.",
                "every bucket fetch for /uploads/ is taken");
  }
  auto object = bucket_->Get(key, max_bytes);
  fetching_.fetch_sub(1, std::memory_order_acq_rel);
  if (!object && object.error().code == ErrorCode::kNotFound) RememberMissing(key);
  return object;
}

Result<void> ServingBucket::Delete(std::string_view key) {
  Forget(key);
  return bucket_->Delete(key);
}

Result<std::optional<std::int64_t>> ServingBucket::Size(std::string_view key) const {
  return bucket_->Size(key);
}

std::string ServingBucket::Describe() const { return bucket_->Describe(); }

bool ServingBucket::RememberedMissing(std::string_view key) const {
  std::lock_guard lock(mutex_);
  const auto found = missing_.find(key);
  return found != missing_.end() && std::chrono::steady_clock::now() < found->second;
}

void ServingBucket::RememberMissing(std::string_view key) const {
  if (limits_.max_not_found == 0 || limits_.not_found_for.count() <= 0) return;
  std::lock_guard lock(mutex_);
  const auto until = std::chrono::steady_clock::now() + limits_.not_found_for;
  auto [it, added] = missing_.try_emplace(std::string(key), until);
  if (!added) {
    it->second = until;
    return;
  }
  missing_order_.push_back(it->first);
  while (missing_.size() > limits_.max_not_found && !missing_order_.empty()) {
    missing_.erase(missing_order_.front());
    missing_order_.pop_front();
  }
}

void ServingBucket::Forget(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (auto found = missing_.find(key); found != missing_.end()) missing_.erase(found);
  // Its place in missing_order_ stays until it comes first: erasing it then erases nothing, or
  // a newer entry of the same key a little early (forgetting early only costs a fetch).
}

}  // namespace broadsheet::media
