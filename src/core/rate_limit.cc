#include "core/rate_limit.h"

#include <algorithm>

namespace broadsheet {

bool RecentEvents::Allow(const std::vector<std::string>& keys, Timestamp now) {
  std::lock_guard lock(mutex_);
  if (events_.size() > max_keys_) events_.clear();
  for (const std::string& key : keys) {
    auto& times = events_[key];
    std::erase_if(times, [&](Timestamp at) { return at <= now - window_; });
    if (static_cast<int>(times.size()) >= limit_) return false;
  }
  for (const std::string& key : keys) events_[key].push_back(now);
  return true;
}

}  // namespace broadsheet
