// PageCache keeps rendered public responses in memory, each with its gzip and brotli variants,
// its ETag and its prepared header blocks, so that a hit is a hash lookup and a socket write:
// no SQLite, no templates, no compression.
//
// Bounded by a byte budget with least-recently-used eviction. Invalidated wholesale when the
// content version changes (any committed write, by this or another process): callers take a
// Ticket before rendering and hand it to Insert, and a page rendered against an older version is
// never stored.
//
// A write this process made and knows the pages of (a comment) marks those pages stale instead:
// they are still served, and the first Find after the mark asks its caller to render the page
// again in the background (one refresh per page at a time, and at most one per
// `min_refresh_interval`), so a burst of comments never leaves readers waiting on the database
// nor spends the machine re-rendering one page. A page whose render began before the mark is
// stored stale.
// Thread-safe; entries are immutable and shared, so a write in flight keeps its entry alive
// after eviction.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace broadsheet::http {

struct CachedPage {
  struct Variant {
    std::string head;  // status line and headers up to (not including) Date and the blank line
    std::string body;
    std::string etag;  // quoted
  };
  std::string route;  // for metrics
  int status = 200;
  std::int64_t expires = 0;        // Unix seconds; 0: until content changes
  std::int64_t last_modified = 0;  // Unix seconds; 0: none sent
  Variant identity, gzip, brotli;  // gzip/brotli bodies are empty when not worth it
  size_t Bytes() const;
};

class PageCache {
 public:
  explicit PageCache(size_t budget_bytes,
                     std::chrono::milliseconds min_refresh_interval = std::chrono::seconds(1))
      : budget_(budget_bytes), min_refresh_interval_(min_refresh_interval) {}

  struct Ticket {
    std::uint64_t version = 0;
    std::uint64_t generation = 0;  // evictions seen
  };
  // Drops every entry if `version` differs from the one the cache holds entries for; returns the
  // ticket for a page about to be rendered.
  Ticket Sync(std::uint64_t version);
  struct Hit {
    std::shared_ptr<const CachedPage> page;  // null: not cached
    bool refresh = false;  // stale: the caller renders it again and Inserts (or Releases) it
    bool stale = false;    // marked stale (a refresh may be under way, or not due yet)
    explicit operator bool() const { return page != nullptr; }
  };
  Hit Find(const std::string& key);
  // Stores `page` unless the cache has moved past the ticket's version or the page exceeds the
  // budget; stale if the key or its route was marked since the ticket was taken.
  void Insert(const std::string& key, std::shared_ptr<const CachedPage> page, Ticket ticket);
  // Gives up a refresh that Find asked for (the render failed or was not cacheable).
  void Release(const std::string& key);
  // Marks the entry for `key` and every entry of the given routes (CachedPage::route) stale.
  void MarkStale(const std::string& key, const std::vector<std::string>& routes);

  size_t budget() const { return budget_; }
  size_t bytes() const;
  size_t entries() const;

 private:
  struct Entry {
    std::shared_ptr<const CachedPage> page;
    std::list<std::string>::iterator lru;  // position in lru_, front = most recent
    bool stale = false;
    bool refreshing = false;  // a caller is rendering it again
    std::chrono::steady_clock::time_point stored_at;
  };
  void ClearLocked();
  void RemoveLocked(std::unordered_map<std::string, Entry>::iterator entry);

  const size_t budget_;
  const std::chrono::milliseconds min_refresh_interval_;
  mutable std::mutex mutex_;
  std::atomic<std::uint64_t> version_{0};
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;
  size_t bytes_ = 0;
  // Stale marks: a counter, and when each key and route was last marked (bounded: when the map
  // grows large it is cleared, and pages from tickets before `floor_` are stored stale).
  std::atomic<std::uint64_t> generation_{0};
  std::uint64_t floor_ = 0;
  std::unordered_map<std::string, std::uint64_t> stale_marks_;  // key or "route:" + route
  std::unordered_map<std::string, std::unordered_set<std::string>> by_route_;
};

}  // namespace broadsheet::http
