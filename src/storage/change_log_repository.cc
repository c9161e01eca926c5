// The change log: what triggers wrote, read by each follower from its own position.
//
// SQLite has one writer at a time, so ids commit in order and a follower reads `id > cursor`.
// PostgreSQL's ids are taken before commit, so a transaction may commit after a later one with a
// lower id. There a read takes, in its one REPEATABLE READ snapshot, the horizon H (the oldest
// transaction still running: every transaction below it has ended, so its rows are all visible
// or never will be), the next transaction id X and the transactions running. It reads, by
// transaction, the rows of the position's pending transactions and of those from its `through`
// on, all in SQL, so a row is read once whatever holds H back. The next position: cursor H,
// through X, pending the transactions running (or, stopped by `limit` after transaction T,
// through T + 1 and cursor at most T + 1). A long transaction anywhere in the cluster holds back
// only the cursor, never what a follower sees, and costs a read nothing: what was read above the
// cursor is not read again.
#include <algorithm>
#include <set>
#include <tuple>

#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::change_log {
namespace {

constexpr int kPage = 1000;  // rows per statement while reading
// PostgreSQL: the most transactions a position keeps as pending (running when it was read). More
// than this many running at once (past any max_connections) and the read stops below the first
// that does not fit; the rest waits until enough end.
constexpr std::size_t kPendingCap = 1000;

constexpr const char* kColumns = "id, xid, at, kind, post_id, ref_id, detail";

ChangeLogEntry EntryRow(const Row& row) {
  return ChangeLogEntry{row.Int(0),         row.Int(1),         row.Int(2), row.Text(3),
                        row.OptionalInt(4), row.OptionalInt(5), row.Text(6)};
}

struct State {
  std::string generation;
  std::int64_t trimmed_id = 0;
  std::int64_t trimmed_xid = 0;
};

Result<State> ReadState(Connection& c) {
  auto state =
      c.One("SELECT generation, trimmed_id, trimmed_xid FROM change_log_state", [](const Row& row) {
        return State{row.Text(0), row.Int(1), row.Int(2)};
      });
  if (!state) return tl::unexpected(state.error());
  if (!*state) return Fail(ErrorCode::kCorrupt, "the change log has no state row");
  return std::move(**state);
}

// SQLite: the last id ever given (AUTOINCREMENT never gives one twice). PostgreSQL: the horizon
// of the caller's snapshot.
Result<std::int64_t> HeadCursor(Connection& c) {
  auto head = c.Integer(c.dialect() == Dialect::kSqlite
                            ? "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = "
                              "'change_log'), 0)"
                            : "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint");
  if (!head) return tl::unexpected(head.error());
  return head->value_or(0);
}

Result<ChangeLogBatch> ReadSqlite(Connection& c, State state, const ChangeLogPosition& from,
                                  int limit) {
  ChangeLogBatch batch;
  batch.generation = std::move(state.generation);
  batch.next = ChangeLogPosition{from.cursor, {}};
  auto head = HeadCursor(c);
  if (!head) return tl::unexpected(head.error());
  if (from.cursor < state.trimmed_id || from.cursor > *head) {
    batch.in_range = false;
    return batch;
  }
  auto rows =
      c.All(std::string("SELECT ") + kColumns + " FROM change_log WHERE id > ? ORDER BY id LIMIT ?",
            EntryRow, from.cursor, static_cast<std::int64_t>(limit));
  if (!rows) return tl::unexpected(rows.error());
  batch.entries = std::move(*rows);
  if (!batch.entries.empty()) batch.next.cursor = batch.entries.back().id;
  return batch;
}

// "a,b,c" for an IN list: numbers only, so nothing from outside reaches the SQL as text.
std::string List(const std::vector<std::int64_t>& xids) {
  std::string text;
  for (std::int64_t xid : xids) {
    if (!text.empty()) text += ',';
    text += std::to_string(xid);
  }
  return text;
}

std::vector<std::int64_t> ParseList(std::string_view text) {
  std::vector<std::int64_t> xids;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    xids.push_back(std::stoll(std::string(item)));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::sort(xids.begin(), xids.end());
  return xids;
}

Result<ChangeLogBatch> ReadPostgres(Connection& c, State state, const ChangeLogPosition& from,
                                    int limit) {
  ChangeLogBatch batch;
  batch.generation = std::move(state.generation);
  batch.next = from;
  // The snapshot was taken by ReadState's statement: its horizon H (every transaction below has
  // ended), its next transaction id X, and the transactions running in it (all in [H, X)).
  struct Snapshot {
    std::int64_t horizon = 0, next = 0;
    std::string running;
  };
  auto found = c.One(
      "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint, "
      "coalesce((SELECT string_agg(x::text, ',') FROM pg_snapshot_xip(s) x), '') "
      "FROM pg_current_snapshot() s",
      [](const Row& row) {
        return Snapshot{row.Int(0), row.Int(1), row.Text(2)};
      });
  if (!found) return tl::unexpected(found.error());
  if (!*found) return Fail(ErrorCode::kInternal, "no snapshot");
  const Snapshot& snapshot = **found;
  // A cursor past the next transaction id comes from another cluster's log (a dump put back
  // elsewhere); one below what was trimmed has missed rows.
  if (from.cursor < state.trimmed_xid || from.cursor > snapshot.next ||
      from.through > snapshot.next || from.pending.size() > kPendingCap) {
    batch.in_range = false;
    return batch;
  }
  const std::vector<std::int64_t> running = ParseList(snapshot.running);
  const std::int64_t through = std::max(from.through, from.cursor);
  std::vector<std::int64_t> pending;  // the position's, in its range
  for (std::int64_t xid : from.pending) {
    if (xid >= from.cursor && xid < through) pending.push_back(xid);
  }
  std::sort(pending.begin(), pending.end());
  pending.erase(std::unique(pending.begin(), pending.end()), pending.end());
  // The cap: the transactions running from `through` on join `pending` only while it holds at
  // most kPendingCap; the read stops below the first that does not fit (`stop`), and what
  // follows it waits until enough of them end.
  std::int64_t stop = snapshot.next;
  {
    std::size_t room = kPendingCap - pending.size();
    for (std::int64_t xid : running) {
      if (xid < through) continue;
      if (room == 0) {
        stop = xid;
        break;
      }
      --room;
    }
  }
  const std::string others = pending.empty() ? std::string() : " OR xid IN (" + List(pending) + ")";
  std::int64_t after_xid = 0, after_id = 0;
  bool full = false;  // stopped at `limit`: rows may follow, of the last transaction read too
  for (;;) {
    // The transaction read in part last time (committed: its rows do not change) goes on after
    // the last row read.
    auto page =
        c.All(std::string("SELECT ") + kColumns + " FROM change_log WHERE (xid >= ?" + others +
                  ") AND xid < ? AND (xid > ? OR (xid = ? AND id > ?)) AND (xid <> ? OR id > ?) " +
                  "ORDER BY xid, id LIMIT ?",
              EntryRow, through, stop, after_xid, after_xid, after_id, from.within_xid,
              from.within_id, static_cast<std::int64_t>(kPage));
    if (!page) return tl::unexpected(page.error());
    for (ChangeLogEntry& entry : *page) {
      if (static_cast<int>(batch.entries.size()) >= limit) {
        full = true;
        break;
      }
      after_xid = entry.xid;
      after_id = entry.id;
      batch.entries.push_back(std::move(entry));
    }
    if (full || static_cast<int>(page->size()) < kPage) break;
  }
  // Read to `stop`: every transaction below it not running has been read. Stopped early, in or
  // after transaction T (its rows up to `after_id`): every one below T not running, T in part,
  // and those still pending above it wait.
  ChangeLogPosition& next = batch.next;
  next.through = full ? std::max(through, after_xid) : stop;
  next.cursor = std::max(from.cursor, full ? std::min(snapshot.horizon, after_xid)
                                           : std::min(snapshot.horizon, next.through));
  next.within_xid = full ? after_xid : 0;
  next.within_id = full ? after_id : 0;
  std::set<std::int64_t> still;
  for (std::int64_t xid : running) {
    if (xid >= next.cursor && xid < next.through) still.insert(xid);
  }
  if (full) {
    for (std::int64_t xid : pending) {
      if (xid >= after_xid) still.insert(xid);
    }
  }
  next.pending.assign(still.begin(), still.end());
  return batch;
}

}  // namespace

Result<ChangeLogBatch> Read(Connection& c, const ChangeLogPosition& from, int limit) {
  auto state = ReadState(c);
  if (!state) return tl::unexpected(state.error());
  limit = std::max(limit, 1);
  return c.dialect() == Dialect::kSqlite ? ReadSqlite(c, std::move(*state), from, limit)
                                         : ReadPostgres(c, std::move(*state), from, limit);
}

Result<ChangeLogHead> Head(Connection& c) {
  auto state = ReadState(c);
  if (!state) return tl::unexpected(state.error());
  auto head = HeadCursor(c);
  if (!head) return tl::unexpected(head.error());
  return ChangeLogHead{std::move(state->generation), ChangeLogPosition{*head, {}}};
}

Result<ChangeLogBacklog> Behind(Connection& c, const ChangeLogPosition& from) {
  // The rows a read from `from` would give now, counted (SQL alone: what ReadPostgres selects).
  std::string which;
  if (c.dialect() == Dialect::kSqlite) {
    which = "id > " + std::to_string(from.cursor);
  } else {
    const std::int64_t through = std::max(from.through, from.cursor);
    std::vector<std::int64_t> pending;
    for (std::int64_t xid : from.pending) {
      if (xid >= from.cursor && xid < through && pending.size() < kPendingCap)
        pending.push_back(xid);
    }
    which = "(xid >= " + std::to_string(through);
    if (!pending.empty()) which += " OR xid IN (" + List(pending) + ")";
    which += ") AND (xid <> " + std::to_string(from.within_xid) + " OR id > " +
             std::to_string(from.within_id) + ")";
  }
  auto found = c.One("SELECT count(*), min(at) FROM change_log WHERE " + which, [](const Row& row) {
    return ChangeLogBacklog{row.Int(0), row.OptionalInt(1)};
  });
  if (!found) return tl::unexpected(found.error());
  if (!*found) return ChangeLogBacklog{};
  return **found;
}

Result<int> Trim(Connection& c, Timestamp older_than) {
  // The newest id and transaction trimmed: a follower whose position is below them may have
  // missed a row, and is told so (in_range false). On PostgreSQL only transactions below this
  // snapshot's horizon go, so that every later head is at or above `trimmed_xid` (a follower
  // starting over is never out of range at once).
  const bool sqlite = c.dialect() == Dialect::kSqlite;
  const std::string which =
      sqlite ? "at < ?" : "at < ? AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint";
  auto gone = c.One(
      "SELECT count(*), coalesce(max(id), 0), coalesce(max(xid), 0) FROM change_log WHERE " + which,
      [](const Row& row) { return std::tuple(row.Int(0), row.Int(1), row.Int(2)); },
      static_cast<std::int64_t>(older_than));
  if (!gone) return tl::unexpected(gone.error());
  if (!*gone) return Fail(ErrorCode::kInternal, "no count");
  const auto [count, last_id, last_xid] = **gone;
  if (count == 0) return 0;
  // SQLite: ids commit in order, so the rows up to the last id go (one written earlier with a
  // later clock too: a follower could not keep it and drop those before).
  auto deleted = sqlite ? c.Exec("DELETE FROM change_log WHERE id <= ?", last_id)
                        : c.Exec("DELETE FROM change_log WHERE " + which + " AND id <= ?",
                                 static_cast<std::int64_t>(older_than), last_id);
  if (!deleted) return tl::unexpected(deleted.error());
  auto marked = sqlite
                    ? c.Exec("UPDATE change_log_state SET trimmed_id = max(trimmed_id, ?)", last_id)
                    : c.Exec(
                          "UPDATE change_log_state SET trimmed_id = greatest(trimmed_id, ?), "
                          "trimmed_xid = greatest(trimmed_xid, ?)",
                          last_id, last_xid + 1);
  if (!marked) return tl::unexpected(marked.error());
  return static_cast<int>(*deleted);
}

Result<void> Append(Connection& c, std::string_view kind, std::string_view detail) {
  return Done(c.Exec("INSERT INTO change_log(kind, detail) VALUES (?, ?)", std::string(kind),
                     std::string(detail)));
}

}  // namespace broadsheet::storage::change_log
