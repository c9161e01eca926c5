// Purger: tells the shared caches in front of the site (Varnish, a CDN) that the pages filed
// under some surrogate keys (core/surrogate_keys.h) changed, so that they fetch them again.
//
// PurgeQueue sends purges from threads of its own, one per cache, so that a save never waits for
// a cache, and a slow or absent one never slows the site nor holds up the purges of the others:
// Add returns at once. Keys queued together are sent together (each once); a failed purge is
// tried again after 1 s, 2 s, 4 s … up to a minute. After kMaxAttempts the cache is taken to have
// lost track: its keys become the site key alone, tried every minute until the cache answers
// (a cache that was restarted is empty anyway, so that purge is cheap). Each cache's queue is
// bounded: past `capacity` keys waiting, they are replaced by the site key alone (every page
// purged), which is never wrong, only costlier.
//
// Threads: Add, Finish and Stats from any thread; each purger is called only by its own
// thread. Ownership: the queue owns its purgers.
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
  std::uint64_t given_up = 0;   // times a cache's keys became the site key after kMaxAttempts
  std::uint64_t collapsed = 0;  // times the queue overflowed into the site key
  std::uint64_t waiting = 0;    // keys waiting now
};

class PurgeQueue {
 public:
  static constexpr int kMaxAttempts = 8;

  // `site_key` is what an overflowing queue purges instead (every page carries it). One purger
  // per cache, each with a queue and a thread of its own.
  PurgeQueue(std::vector<std::unique_ptr<Purger>> purgers, std::string site_key,
             size_t capacity = 10000);
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
  struct Lane {
    std::unique_ptr<Purger> purger;
    std::set<std::string> waiting;  // guarded; a set, so a key queued twice is sent once
    int attempts = 0;               // of the batch at the head, guarded
    std::chrono::steady_clock::time_point retry_at;  // guarded
    bool sending = false;                            // guarded
    std::thread thread;
  };
  void Loop(Lane& lane);
  // Sends up to kMaxKeysPerPurge of the lane's waiting keys once; true if the cache took them.
  bool SendBatch(Lane& lane, std::unique_lock<std::mutex>& lock);

  const std::string site_key_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded
  std::atomic<std::uint64_t> sent_{0}, failed_{0}, given_up_{0}, collapsed_{0};
  std::deque<Lane> lanes_;  // last: their threads start once the rest is ready
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
