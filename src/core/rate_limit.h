// Rate limits: "may KEY do SCOPE now?" for actions that send mail to whoever asks or that a flood
// would repeat (comments, searches, privacy links, newsletter signups, the desk's preview).
//
// RateLimiter is the question; where the counts live is the implementation's business. The
// server's (auth::SharedRateLimiter) keeps them in the database, so every node behind a load
// balancer counts the same client together; keys that name a reader (an address, an e-mail
// address) are stored only as keyed hashes.
//
// A limit is `limit` actions per `window` seconds, counted in windows that open at a key's first
// action and close `window` seconds later: within a window the (limit + 1)th is refused until it
// closes. A key that acts steadily at the edge of two windows can so fit up to 2 × limit - 1
// actions into one window's span; a flood is still held to about `limit` per window.
//
// Thread-safe implementations: one limiter is shared by every request thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace broadsheet {

// The key a client's address counts under in per-client limits: an IPv4 address as it is (a
// v4-mapped IPv6 one as its IPv4 address), an IPv6 address by its /64 network, the smallest
// block a site is usually given, since one host can use every address in it. Anything else is
// returned unchanged.
std::string ClientKey(std::string_view address);

// What is limited: a scope (a short stable name, e.g. "search"), how many actions and per how
// many seconds. A scope always has the same window.
struct RateLimit {
  std::string scope;
  int limit = 0;
  Timestamp window = 60;
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // 0, and one action counted under every key, when none of `keys` has reached `limit` at
  // `now`; otherwise the seconds until one more would be allowed (at least 1), and nothing is
  // counted. Errors are the store's (kBusy, kUnavailable, ...): the caller decides whether a
  // limit it cannot check lets the action through.
  virtual Result<Timestamp> Take(const RateLimit& limit, const std::vector<std::string>& keys,
                                 Timestamp now) = 0;
  // The seconds until `keys` may act again at `now` (0: now), counting nothing.
  virtual Result<Timestamp> Until(const RateLimit& limit, const std::vector<std::string>& keys,
                                  Timestamp now) = 0;
};

}  // namespace broadsheet
