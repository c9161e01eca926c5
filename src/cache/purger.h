// Purger: tells the shared caches in front of the site (Varnish, a CDN) that the pages filed
// under some surrogate keys (core/surrogate_keys.h) changed, so that they fetch them again.
//
// PurgeQueue sends purges from a thread of its own, so that a save never waits for a cache, and
// a slow or absent one never slows the site: Add returns at once. Keys queued together are sent
// together (each once); a failed purge is tried again after 1 s, 2 s, 4 s … up to a minute, and
// given up (logged) after kMaxAttempts. The queue is bounded: past `capacity` keys waiting, they
// are replaced by the site key alone (every page purged), which is never wrong, only costlier.
//
// Threads: Add and Stats from any thread. Ownership: the queue owns its purger.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace broadsheet::cache {

class Purger {
 public:
  virtual ~Purger() = default;
  // Purges every page filed under any of `keys` (fewer than kMaxKeysPerPurge); blocking, called
  // from one thread at a time. kUnavailable when a cache could not be told.
  virtual Result<void> Purge(const std::vector<std::string>& keys) = 0;
};

inline constexpr size_t kMaxKeysPerPurge = 100;

struct PurgeStats {
  std::uint64_t sent = 0;       // purges a cache acknowledged
  std::uint64_t failed = 0;     // attempts that failed (each retry counts)
  std::uint64_t given_up = 0;   // purges dropped after kMaxAttempts
  std::uint64_t collapsed = 0;  // times the queue overflowed into the site key
  std::uint64_t waiting = 0;    // keys waiting now
};

class PurgeQueue {
 public:
  static constexpr int kMaxAttempts = 8;

  // `site_key` is what an overflowing queue purges instead (every page carries it).
  PurgeQueue(std::unique_ptr<Purger> purger, std::string site_key, size_t capacity = 10000);
  // Stops the thread; keys still waiting are dropped (call Finish first to send them).
  ~PurgeQueue();

  // Queues `keys`; never blocks on the cache.
  void Add(const std::vector<std::string>& keys);
  // Sends what is waiting (without retries' pauses) until it is empty or `deadline` passes: for
  // shutdown. True when nothing is left.
  bool Finish(std::chrono::milliseconds deadline);
  PurgeStats Stats() const;
  // Prometheus lines for /metrics (broadsheet_purges_*).
  std::string MetricsText() const;

 private:
  void Loop();
  // Sends up to kMaxKeysPerPurge waiting keys once; true if they went (or were given up).
  bool SendBatch(std::unique_lock<std::mutex>& lock);

  std::unique_ptr<Purger> purger_;
  const std::string site_key_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::set<std::string> waiting_;  // guarded; a set, so a key queued twice is sent once
  int attempts_ = 0;               // of the batch at the head, guarded
  std::chrono::steady_clock::time_point retry_at_;
  bool stopping_ = false;
  bool sending_ = false;
  std::atomic<std::uint64_t> sent_{0}, failed_{0}, given_up_{0}, collapsed_{0};
  std::thread thread_;  // last: starts once the rest is ready
};

// Purges through Varnish's vmod_xkey: `PURGE /` with the keys, space-separated, in an
// `xkey-purge` header, to each address ("http://HOST:PORT"); every one must answer 2xx.
class VarnishPurger : public Purger {
 public:
  VarnishPurger(std::vector<std::string> addresses, std::chrono::milliseconds timeout);
  Result<void> Purge(const std::vector<std::string>& keys) override;

 private:
  const std::vector<std::string> addresses_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace broadsheet::cache
