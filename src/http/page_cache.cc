#include "http/page_cache.h"

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

std::shared_ptr<const CachedPage> PageCache::Find(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, found->second.lru);
  return found->second.page;
}

void PageCache::Insert(const std::string& key, std::shared_ptr<const CachedPage> page,
                       Ticket ticket) {
  const size_t size = page->Bytes() + key.size();
  if (size > budget_) return;
  std::lock_guard lock(mutex_);
  if (version_.load(std::memory_order_relaxed) != ticket.version) return;
  if (ticket.generation < generation_.load(std::memory_order_relaxed)) {
    if (ticket.generation < floor_) return;
    for (const std::string& mark : {key, "route:" + page->route}) {
      auto evicted = evicted_.find(mark);
      if (evicted != evicted_.end() && evicted->second > ticket.generation) return;
    }
  }
  if (auto found = entries_.find(key); found != entries_.end()) RemoveLocked(found);
  while (bytes_ + size > budget_ && !lru_.empty()) RemoveLocked(entries_.find(lru_.back()));
  lru_.push_front(key);
  by_route_[page->route].insert(key);
  entries_.emplace(key, Entry{std::move(page), lru_.begin()});
  bytes_ += size;
}

void PageCache::Evict(const std::string& key, const std::vector<std::string>& routes) {
  std::lock_guard lock(mutex_);
  const std::uint64_t generation = generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (evicted_.size() > 10000) {
    evicted_.clear();
    floor_ = generation;
  }
  evicted_[key] = generation;
  if (auto found = entries_.find(key); found != entries_.end()) RemoveLocked(found);
  for (const std::string& route : routes) {
    evicted_["route:" + route] = generation;
    auto keys = by_route_.find(route);
    if (keys == by_route_.end()) continue;
    const std::vector<std::string> doomed(keys->second.begin(), keys->second.end());
    for (const std::string& doomed_key : doomed) RemoveLocked(entries_.find(doomed_key));
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
