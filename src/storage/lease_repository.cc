// Leases: named rights held by one process at a time until they expire.
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::leases {

Result<bool> Take(Connection& c, const std::string& name, const std::string& holder, Timestamp now,
                  Timestamp until) {
  // A heartbeat renewed after it lapsed also takes its holder's RejoinedLeaseName (records.h).
  // Only its own process renews a heartbeat, so reading it first races with nobody else.
  bool lapsed = false;
  if (name == NodeLeaseName(holder)) {
    auto before =
        c.Integer("SELECT expires_at FROM leases WHERE name = ? AND holder = ?", name, holder);
    if (!before) return tl::unexpected(before.error());
    lapsed = before->has_value() && **before <= now;
  }
  // One statement, so that two processes taking the same lease at once cannot both have it:
  // SQLite's writer is single, and PostgreSQL's upsert locks the row (the second waits, then
  // sees the first's holder and changes nothing, or fails to serialise and runs again).
  auto taken = c.One(
      "INSERT INTO leases(name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE "
      "SET holder = excluded.holder, expires_at = excluded.expires_at WHERE leases.holder = "
      "excluded.holder OR leases.expires_at <= ? RETURNING holder",
      [](const Row& row) { return row.Text(0); }, name, holder, until, now);
  if (!taken) return tl::unexpected(taken.error());
  const bool held = taken->has_value() && **taken == holder;
  if (held && lapsed) {
    auto rejoined = Take(c, RejoinedLeaseName(holder), holder, now, now + kHeartbeatSeconds);
    if (!rejoined) return tl::unexpected(rejoined.error());
  }
  return held;
}

Result<void> Release(Connection& c, const std::string& name, const std::string& holder) {
  // A heartbeat given up takes its RejoinedLeaseName with it.
  const std::string rejoined = name == NodeLeaseName(holder) ? RejoinedLeaseName(holder) : name;
  return Done(
      c.Exec("DELETE FROM leases WHERE name IN (?, ?) AND holder = ?", name, rejoined, holder));
}

Result<std::vector<Lease>> Live(Connection& c, Timestamp now) {
  return c.All(
      "SELECT name, holder, expires_at FROM leases WHERE expires_at > ? ORDER BY name",
      [](const Row& row) {
        return Lease{row.Text(0), row.Text(1), row.Int(2)};
      },
      now);
}

Result<void> Heartbeat(Connection& c, const ClaimTerms& terms) {
  auto alive = Take(c, NodeLeaseName(terms.holder), terms.holder, terms.now, terms.alive_until);
  if (!alive) return tl::unexpected(alive.error());
  if (!*alive) return Fail(ErrorCode::kConflict, "another process has this node id");
  return {};
}

}  // namespace broadsheet::storage::leases
