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
  if (events_.size() > max_keys_ - max_keys_ / 4) events_.clear();
}

}  // namespace broadsheet
