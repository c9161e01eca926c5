#include "http/page_cache.h"

namespace broadsheet::http {

size_t CachedPage::Bytes() const {
  size_t total = route.size() + sizeof(CachedPage);
  for (const Variant* variant : {&identity, &gzip, &brotli}) {
    total += variant->head.size() + variant->body.size() + variant->etag.size();
  }
  return total;
}

void PageCache::Sync(std::uint64_t version) {
  if (version_.load(std::memory_order_acquire) == version) return;
  std::lock_guard lock(mutex_);
  if (version_.load(std::memory_order_relaxed) == version) return;
  ClearLocked();
  version_.store(version, std::memory_order_release);
}

std::shared_ptr<const CachedPage> PageCache::Find(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, found->second.lru);
  return found->second.page;
}

void PageCache::Insert(const std::string& key, std::shared_ptr<const CachedPage> page,
                       std::uint64_t version) {
  const size_t size = page->Bytes() + key.size();
  if (size > budget_) return;
  std::lock_guard lock(mutex_);
  if (version_.load(std::memory_order_relaxed) != version) return;
  auto found = entries_.find(key);
  if (found != entries_.end()) {
    bytes_ -= found->second.page->Bytes() + key.size();
    lru_.erase(found->second.lru);
    entries_.erase(found);
  }
  while (bytes_ + size > budget_ && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    bytes_ -= victim->second.page->Bytes() + victim->first.size();
    entries_.erase(victim);
    lru_.pop_back();
  }
  lru_.push_front(key);
  entries_.emplace(key, Entry{std::move(page), lru_.begin()});
  bytes_ += size;
}

size_t PageCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

size_t PageCache::entries() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void PageCache::ClearLocked() {
  entries_.clear();
  lru_.clear();
  bytes_ = 0;
}

}  // namespace broadsheet::http
