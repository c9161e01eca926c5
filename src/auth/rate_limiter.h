// SharedRateLimiter: the RateLimiter whose counts live in the database (Store::TakeRate), so that
// every node behind a load balancer, and a node restarted, counts a client the same.
//
// Keys are stored only as keyed hashes (BLAKE2b with the site's "rate-key" secret, as comments
// keep client addresses): the table names no address, e-mail address or account, and a hash
// cannot be reversed by trying every IPv4 address without the secret. The secret is read once.
//
// Borrows the Store. Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/rate_limit.h"
#include "storage/store.h"

namespace broadsheet::auth {

class SharedRateLimiter final : public RateLimiter {
 public:
  explicit SharedRateLimiter(Store& store) : store_(store) {}

  Result<Timestamp> Take(const RateLimit& limit, const std::vector<std::string>& keys,
                         Timestamp now) override;
  Result<Timestamp> Until(const RateLimit& limit, const std::vector<std::string>& keys,
                          Timestamp now) override;

 private:
  Result<std::vector<std::string>> Hashed(const std::vector<std::string>& keys);

  Store& store_;
  std::mutex mutex_;
  std::optional<std::string> secret_;  // guarded by mutex_
};

}  // namespace broadsheet::auth
