#include "core/rate_limit.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace broadsheet {

std::string ClientKey(std::string_view address) {
  const std::string text(address);
  in6_addr v6{};
  if (text.find(':') == std::string::npos || inet_pton(AF_INET6, text.c_str(), &v6) != 1)
    return text;
  char out[INET6_ADDRSTRLEN] = {};
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    in_addr v4{};
    std::memcpy(&v4, &v6.s6_addr[12], 4);
    return inet_ntop(AF_INET, &v4, out, sizeof out) ? std::string(out) : text;
  }
  std::memset(&v6.s6_addr[8], 0, 8);
  if (!inet_ntop(AF_INET6, &v6, out, sizeof out)) return text;
  return std::string(out) + "/64";
}

bool RecentEvents::Allow(const std::vector<std::string>& keys, Timestamp now) {
  return Wait(keys, now) == 0;
}

Timestamp RecentEvents::Wait(const std::vector<std::string>& keys, Timestamp now) {
  std::lock_guard lock(mutex_);
  if (const Timestamp wait = UntilLocked(keys, now); wait > 0) return wait;
  for (const std::string& key : keys) {
    if (events_.find(key) == events_.end() && events_.size() >= max_keys_) MakeRoomLocked(now);
    events_[key].push_back(now);
  }
  return 0;
}

Timestamp RecentEvents::Until(const std::vector<std::string>& keys, Timestamp now) {
  std::lock_guard lock(mutex_);
  return UntilLocked(keys, now);
}

Timestamp RecentEvents::UntilLocked(const std::vector<std::string>& keys, Timestamp now) {
  Timestamp wait = 0;
  for (const std::string& key : keys) {
    auto found = events_.find(key);
    if (found == events_.end()) continue;
    auto& times = found->second;
    std::erase_if(times, [&](Timestamp at) { return at <= now - window_; });
    if (static_cast<int>(times.size()) >= limit_) {
      // The oldest counted event leaves the window `window_` seconds after it happened.
      wait = std::max(wait, std::max<Timestamp>(1, times.front() + window_ - now));
    }
  }
  return wait;
}

size_t RecentEvents::keys() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

void RecentEvents::MakeRoomLocked(Timestamp now) {
  std::erase_if(events_, [&](const auto& entry) {
    return entry.second.empty() || entry.second.back() <= now - window_;
  });
  const size_t keep = max_keys_ - std::max<size_t>(1, max_keys_ / 4);
  if (events_.size() <= keep) return;
  // Too many keys are still active: forget those that did least (the fewest events in the
  // window, then the longest quiet), never all of them.
  struct Candidate {
    size_t recent;
    Timestamp latest;
    std::map<std::string, std::vector<Timestamp>>::iterator entry;
  };
  std::vector<Candidate> candidates;
  candidates.reserve(events_.size());
  for (auto it = events_.begin(); it != events_.end(); ++it) {
    auto& times = it->second;
    std::erase_if(times, [&](Timestamp at) { return at <= now - window_; });
    candidates.push_back({times.size(), times.empty() ? 0 : times.back(), it});
  }
  const size_t drop = events_.size() - keep;
  std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                   candidates.end(), [](const Candidate& a, const Candidate& b) {
                     return std::pair(a.recent, a.latest) < std::pair(b.recent, b.latest);
                   });
  for (size_t i = 0; i < drop; ++i) events_.erase(candidates[i].entry);
}

}  // namespace broadsheet
