// RecentEvents: an in-memory limit on how often something may happen per key (an address, a
// client) within a window, for actions that send mail to whoever asks. It is not durable: a
// restart forgets, which only ever forgives. Bounded: past `max_keys` keys it starts afresh.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/time.h"

namespace broadsheet {

class RecentEvents {
 public:
  RecentEvents(int limit, Timestamp window, size_t max_keys = 10000)
      : limit_(limit), window_(window), max_keys_(max_keys) {}

  // True, and counted under every key, when none of `keys` has reached the limit at `now`.
  bool Allow(const std::vector<std::string>& keys, Timestamp now);

 private:
  const int limit_;
  const Timestamp window_;
  const size_t max_keys_;
  std::mutex mutex_;
  std::map<std::string, std::vector<Timestamp>> events_;
};

}  // namespace broadsheet
