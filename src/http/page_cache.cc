#include "http/page_cache.h"

#include "core/time.h"

namespace broadsheet::http {

size_t CachedPage::Bytes() const {
  size_t total = route.size() + sizeof(CachedPage);
  for (const Variant* variant : {&identity, &gzip, &brotli}) {
    total += variant->head.size() + variant->body.size() + variant->etag.size();
  }
  return total;
}

PageCache::Ticket PageCache::Sync(std::uint64_t version) {
  // The generation is read before the version: an eviction in between makes the ticket older,
  // never newer, so at worst a page is not stored.
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (version_.load(std::memory_order_acquire) == version) return Ticket{version, generation};
  std::lock_guard lock(mutex_);
  if (version_.load(std::memory_order_relaxed) != version) {
    ClearLocked();
    version_.store(version, std::memory_order_release);
  }
  return Ticket{version, generation};
}

PageCache::Hit PageCache::Find(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return {};
  if (found->second.page->expires != 0 && Now() >= found->second.page->expires) {
    RemoveLocked(found);
    return {};
  }
  Entry& entry = found->second;
  lru_.splice(lru_.begin(), lru_, entry.lru);
  const bool refresh = entry.stale && !entry.refreshing &&
                       std::chrono::steady_clock::now() - entry.stored_at >= min_refresh_interval_;
  if (refresh) entry.refreshing = true;
  return Hit{entry.page, refresh, entry.stale};
}

void PageCache::Insert(const std::string& key, std::shared_ptr<const CachedPage> page,
                       Ticket ticket) {
  const size_t size = page->Bytes() + key.size();
  std::lock_guard lock(mutex_);
  if (version_.load(std::memory_order_relaxed) != ticket.version) return;
  bool stale = false;
  if (ticket.generation < generation_.load(std::memory_order_relaxed)) {
    stale = ticket.generation < floor_;
    for (const std::string& mark : {key, "route:" + page->route}) {
      auto marked = stale_marks_.find(mark);
      if (marked != stale_marks_.end() && marked->second > ticket.generation) stale = true;
    }
  }
  if (auto found = entries_.find(key); found != entries_.end()) RemoveLocked(found);
  if (size > budget_) return;
  while (bytes_ + size > budget_ && !lru_.empty()) RemoveLocked(entries_.find(lru_.back()));
  lru_.push_front(key);
  by_route_[page->route].insert(key);
  entries_.emplace(
      key, Entry{std::move(page), lru_.begin(), stale, false, std::chrono::steady_clock::now()});
  bytes_ += size;
}

void PageCache::Release(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (auto found = entries_.find(key); found != entries_.end()) found->second.refreshing = false;
}

void PageCache::MarkStale(const std::string& key, const std::vector<std::string>& routes) {
  std::lock_guard lock(mutex_);
  const std::uint64_t generation = generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (stale_marks_.size() > 10000) {
    stale_marks_.clear();
    floor_ = generation;
  }
  stale_marks_[key] = generation;
  if (auto found = entries_.find(key); found != entries_.end()) found->second.stale = true;
  for (const std::string& route : routes) {
    stale_marks_["route:" + route] = generation;
    auto keys = by_route_.find(route);
    if (keys == by_route_.end()) continue;
    for (const std::string& marked : keys->second) entries_.find(marked)->second.stale = true;
  }
}

size_t PageCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

size_t PageCache::entries() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void PageCache::RemoveLocked(std::unordered_map<std::string, Entry>::iterator entry) {
  bytes_ -= entry->second.page->Bytes() + entry->first.size();
  lru_.erase(entry->second.lru);
  auto keys = by_route_.find(entry->second.page->route);
  if (keys != by_route_.end()) {
    keys->second.erase(entry->first);
    if (keys->second.empty()) by_route_.erase(keys);
  }
  entries_.erase(entry);
}

void PageCache::ClearLocked() {
  entries_.clear();
  lru_.clear();
  by_route_.clear();
  bytes_ = 0;
}

}  // namespace broadsheet::http
