// Privacy: a commenter's own copy of their comments, and their erasure, through a link sent to
// the address they commented with. The link is signed and expires (kLinkLifetime); nothing about
// it is stored. Requests are limited per address and per client (kMaxRequests an hour, counted
// by the RateLimiter given), so the form cannot be used to flood someone's inbox.
//
// Borrows the Store and the RateLimiter. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/rate_limit.h"
#include "storage/store.h"

namespace broadsheet::comments {

inline constexpr Timestamp kLinkLifetime = 24 * 3600;
inline constexpr int kMaxRequests = 3;

class Privacy {
 public:
  Privacy(Store& store, RateLimiter& limiter) : store_(store), limiter_(limiter) {}

  // The token for a link that works for `email` until `now` + kLinkLifetime.
  Result<std::string> LinkToken(const std::string& email, Timestamp now) const;
  // The address a genuine, unexpired token was issued for.
  Result<std::optional<std::string>> CheckToken(const std::string& token, Timestamp now) const;
  // Whether another link may be sent for `email` to `client_ip` now (and counts it if so); the
  // limiter's error when it cannot say.
  Result<bool> AllowRequest(const std::string& email, const std::string& client_ip, Timestamp now);

  // Everything stored about the address's comments, as JSON (e-mail address, name, website,
  // text, article, date, status), for the commenter to keep.
  Result<std::string> Export(const std::string& email) const;
  // Erases the address's comments (see Store::EraseCommentsByEmail); returns how many.
  Result<int> Erase(const std::string& email) const { return store_.EraseCommentsByEmail(email); }

 private:
  Store& store_;
  RateLimiter& limiter_;  // requests by address and by client
};

}  // namespace broadsheet::comments
