// Rate limits' windows (rate_windows): one row per scope and hashed key.
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::rates {

Result<Timestamp> Take(Connection& c, const RateLimit& limit, const std::string& key,
                       Timestamp now) {
  // One upsert, atomic by itself: a new key opens a window; a closed window opens again; an open
  // one counts one more unless full, in which case nothing is written and no row comes back.
  auto events = c.Integer(
      "INSERT INTO rate_windows(scope, key_hash, opened_at, events, closes_at) "
      "VALUES (?, ?, ?, 1, ?) ON CONFLICT(scope, key_hash) DO UPDATE SET "
      "opened_at = CASE WHEN rate_windows.closes_at <= excluded.opened_at "
      "THEN excluded.opened_at ELSE rate_windows.opened_at END, "
      "events = CASE WHEN rate_windows.closes_at <= excluded.opened_at "
      "THEN 1 ELSE rate_windows.events + 1 END, "
      "closes_at = CASE WHEN rate_windows.closes_at <= excluded.opened_at "
      "THEN excluded.closes_at ELSE rate_windows.closes_at END "
      "WHERE rate_windows.closes_at <= excluded.opened_at OR rate_windows.events < ? "
      "RETURNING events",
      limit.scope, key, now, now + limit.window, limit.limit);
  if (!events) return tl::unexpected(events.error());
  if (events->has_value()) return Timestamp{0};
  return Wait(c, limit, key, now);
}

Result<Timestamp> Wait(Connection& c, const RateLimit& limit, const std::string& key,
                       Timestamp now) {
  auto closes = c.Integer(
      "SELECT closes_at FROM rate_windows WHERE scope = ? AND key_hash = ? AND closes_at > ? "
      "AND events >= ?",
      limit.scope, key, now, limit.limit);
  if (!closes) return tl::unexpected(closes.error());
  if (!closes->has_value()) return Timestamp{0};
  return std::max<Timestamp>(1, **closes - now);
}

Result<int> ForgetClosed(Connection& c, Timestamp now) {
  auto removed = c.Exec("DELETE FROM rate_windows WHERE closes_at <= ?", now);
  if (!removed) return tl::unexpected(removed.error());
  return static_cast<int>(*removed);
}

}  // namespace broadsheet::storage::rates
