// RecentEvents: an in-memory limit on how often something may happen per key (an address, a
// client) within a window, for actions that send mail to whoever asks or that a flood would
// repeat (comments, searches). It is not durable: a restart forgets, which only ever forgives.
//
// Bounded: at most `max_keys` keys, each with at most `limit` times. When a new key would pass
// the bound, keys whose events have all left the window are dropped first; if that frees less
// than a quarter of the room, the keys with the fewest recent events (of those, the ones whose
// latest event is oldest) are dropped until a quarter is free. So many distinct clients (an IPv6
// network spraying addresses) can make it forget clients that did little, but never grow, never
// wipe the history of the busiest ones (a flooder held back stays held back), and never refuse
// to track a new key; the sweep costs amortized O(1) per new key. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace broadsheet {

// The key a client's address counts under in per-client limits: an IPv4 address as it is (a
// v4-mapped IPv6 one as its IPv4 address), an IPv6 address by its /64 network, the smallest
// block a site is usually given, since one host can use every address in it. Anything else is
// returned unchanged.
std::string ClientKey(std::string_view address);

class RecentEvents {
 public:
  RecentEvents(int limit, Timestamp window, size_t max_keys = 10000)
      : limit_(limit), window_(window), max_keys_(max_keys) {}

  // True, and counted under every key, when none of `keys` has reached the limit at `now`.
  bool Allow(const std::vector<std::string>& keys, Timestamp now);
  // 0, and counted under every key, when none of `keys` has reached the limit at `now`; otherwise
  // the seconds until one more would be allowed (nothing is counted).
  Timestamp Wait(const std::vector<std::string>& keys, Timestamp now);
  // The seconds until `keys` may act again at `now` (0: now), without counting anything.
  Timestamp Until(const std::vector<std::string>& keys, Timestamp now);

  size_t keys() const;

 private:
  Timestamp UntilLocked(const std::vector<std::string>& keys, Timestamp now);
  void MakeRoomLocked(Timestamp now);

  const int limit_;
  const Timestamp window_;
  const size_t max_keys_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Timestamp>> events_;
};

}  // namespace broadsheet
