// Metrics counts what the server does and renders it as Prometheus text (/metrics): requests by
// route and status, a latency histogram, page-cache hits, misses and bytes served from it, and
// connections open, refused and closed for room.
// Thread-safe; recording a request takes only its own thread's lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/per_thread.h"

namespace broadsheet::http {

class PageCache;

class Metrics {
 public:
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};

  void RecordRequest(std::string_view route, int status, double seconds);
  void RecordCacheHit(size_t bytes) {
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
    cache_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void RecordCacheMiss() { cache_misses_.fetch_add(1, std::memory_order_relaxed); }
  void RecordConnectionOpened() { connections_open_.fetch_add(1, std::memory_order_relaxed); }
  void RecordConnectionClosed() { connections_open_.fetch_sub(1, std::memory_order_relaxed); }
  // A connection closed on arrival: its address had too many open, or the server did and none
  // was idle.
  void RecordRefusedConnection(bool per_address) {
    (per_address ? refused_per_address_ : refused_total_).fetch_add(1, std::memory_order_relaxed);
  }
  // Idle keep-alive connections closed to make room for new ones.
  void RecordIdleClosed(size_t count) { idle_closed_.fetch_add(count, std::memory_order_relaxed); }

  std::string Render(const PageCache& cache) const;

 private:
  // Requests are counted in one shard per recording thread, each under its own lock, so that
  // the server's threads do not contend for one lock (and its cache line) on every request.
  // Render adds the shards up.
  struct Shard {
    std::mutex mutex;
    std::map<std::string, std::map<int, std::uint64_t>, std::less<>>
        requests;  // route -> status -> count
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
    std::uint64_t latency_count = 0;
    double latency_sum = 0;
  };
  PerThread<Shard> shards_;
  std::atomic<std::uint64_t> cache_hits_{0}, cache_misses_{0}, cache_bytes_{0};
  std::atomic<std::int64_t> connections_open_{0};
  std::atomic<std::uint64_t> refused_per_address_{0}, refused_total_{0}, idle_closed_{0};
};

}  // namespace broadsheet::http
