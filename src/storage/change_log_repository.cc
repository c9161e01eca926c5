// The change log: what triggers wrote, read by each follower from its own position.
//
// SQLite has one writer at a time, so ids commit in order and a follower reads `id > cursor`.
// PostgreSQL's ids are taken before commit, so a transaction may commit after a later one with a
// lower id. There a read takes, in its one REPEATABLE READ snapshot, the horizon H (the oldest
// transaction still running: every transaction below it has ended, so its rows are all visible
// or never will be) and reads the rows of transactions at or above the cursor. Rows below H are
// final; rows at or above H that are visible are returned at once (freshness) and remembered as
// seen, so that the next read, which starts at H, leaves them out. A long transaction anywhere
// in the cluster holds back only the cursor, never what a follower sees.
#include <algorithm>
#include <set>

#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::change_log {
namespace {

constexpr int kPage = 1000;  // rows per statement while reading

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

Result<ChangeLogBatch> ReadPostgres(Connection& c, State state, const ChangeLogPosition& from,
                                    int limit) {
  ChangeLogBatch batch;
  batch.generation = std::move(state.generation);
  batch.next = from;
  // The snapshot was taken by ReadState's statement; the horizon is this snapshot's. A cursor
  // past the next transaction id comes from another cluster's log (a dump put back elsewhere).
  auto bounds = c.One(
      "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint "
      "FROM pg_current_snapshot() s",
      [](const Row& row) { return std::pair(row.Int(0), row.Int(1)); });
  if (!bounds) return tl::unexpected(bounds.error());
  if (!*bounds) return Fail(ErrorCode::kInternal, "no snapshot");
  const std::int64_t* horizon = &(*bounds)->first;
  if (from.cursor < state.trimmed_xid || from.cursor > (*bounds)->second) {
    batch.in_range = false;
    return batch;
  }
  const std::set<std::int64_t> seen(from.seen.begin(), from.seen.end());
  std::set<std::int64_t> seen_read;                         // ids of `seen` met again
  std::vector<std::pair<std::int64_t, std::int64_t>> read;  // (xid, id) of every row read
  std::int64_t after_xid = from.cursor, after_id = 0;
  bool full = false;  // stopped at `limit`: rows may follow
  while (!full) {
    auto page = c.All(std::string("SELECT ") + kColumns +
                          " FROM change_log WHERE xid >= ? AND (xid > ? OR id > ?) "
                          "ORDER BY xid, id LIMIT ?",
                      EntryRow, after_xid, after_xid, after_id, static_cast<std::int64_t>(kPage));
    if (!page) return tl::unexpected(page.error());
    for (ChangeLogEntry& entry : *page) {
      after_xid = entry.xid;
      after_id = entry.id;
      read.emplace_back(entry.xid, entry.id);
      if (seen.contains(entry.id)) {
        seen_read.insert(entry.id);
        continue;
      }
      batch.entries.push_back(std::move(entry));
      if (static_cast<int>(batch.entries.size()) >= limit) {
        full = true;
        break;
      }
    }
    if (static_cast<int>(page->size()) < kPage) break;
  }
  // Read to the end: every transaction below the horizon has been read whole. Stopped early:
  // only those below the last row's transaction (and never past the horizon).
  const std::int64_t cursor = full ? std::min(*horizon, after_xid) : *horizon;
  batch.next.cursor = cursor;
  batch.next.seen.clear();
  for (const auto& [xid, id] : read) {
    if (xid >= cursor) batch.next.seen.push_back(id);
  }
  if (full) {
    // Seen rows beyond where this read stopped are still ahead of the cursor.
    for (std::int64_t id : from.seen) {
      if (!seen_read.contains(id)) batch.next.seen.push_back(id);
    }
  }
  std::sort(batch.next.seen.begin(), batch.next.seen.end());
  batch.next.seen.erase(std::unique(batch.next.seen.begin(), batch.next.seen.end()),
                        batch.next.seen.end());
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

Result<void> Append(Connection& c, std::string_view kind, std::string_view detail) {
  return Done(c.Exec("INSERT INTO change_log(kind, detail) VALUES (?, ?)", std::string(kind),
                     std::string(detail)));
}

}  // namespace broadsheet::storage::change_log
