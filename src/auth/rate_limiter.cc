#include "auth/rate_limiter.h"

#include "auth/crypto.h"

namespace broadsheet::auth {

Result<std::vector<std::string>> SharedRateLimiter::Hashed(const std::vector<std::string>& keys) {
  std::string secret;
  {
    std::lock_guard lock(mutex_);
    if (!secret_) {
      auto made = store_.Secret("rate-key", [] { return RandomToken(); });
      if (!made) return tl::unexpected(made.error());
      secret_ = std::move(*made);
    }
    secret = *secret_;
  }
  std::vector<std::string> hashed;
  hashed.reserve(keys.size());
  for (const std::string& key : keys) hashed.push_back(Sign(secret, key));
  return hashed;
}

Result<Timestamp> SharedRateLimiter::Take(const RateLimit& limit,
                                          const std::vector<std::string>& keys, Timestamp now) {
  auto hashed = Hashed(keys);
  if (!hashed) return tl::unexpected(hashed.error());
  return store_.TakeRate(limit, *hashed, now);
}

Result<Timestamp> SharedRateLimiter::Until(const RateLimit& limit,
                                           const std::vector<std::string>& keys, Timestamp now) {
  auto hashed = Hashed(keys);
  if (!hashed) return tl::unexpected(hashed.error());
  return store_.RateWait(limit, *hashed, now);
}

}  // namespace broadsheet::auth
