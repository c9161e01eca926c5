// Redirects, the audit log and import records: small kinds, each a table of its own.
#include <map>
#include <string_view>
#include <tuple>

#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage {
namespace {

Redirect ReadRedirect(const Row& row) {
  return Redirect{row.Text(0), row.Text(1), static_cast<int>(row.Int(2)), row.Int(3)};
}

}  // namespace

namespace redirects {

Result<void> Put(Connection& c, const Redirect& redirect) {
  return c.Later(
      "INSERT INTO redirects(from_path, to_path, status, created_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(from_path) DO UPDATE SET to_path = excluded.to_path, "
      "status = excluded.status, created_at = excluded.created_at",
      redirect.from_path, redirect.to_path, redirect.status,
      redirect.created_at ? redirect.created_at : Now());
}

Result<void> Remove(Connection& c, const std::string& from_path) {
  return c.Later("DELETE FROM redirects WHERE from_path = ?", from_path);
}

Result<std::vector<Redirect>> List(Connection& c) {
  return c.All("SELECT from_path, to_path, status, created_at FROM redirects ORDER BY from_path",
               ReadRedirect);
}

Result<std::optional<Redirect>> Find(Connection& c, const std::string& from_path) {
  return c.One("SELECT from_path, to_path, status, created_at FROM redirects WHERE from_path = ?",
               ReadRedirect, from_path);
}

}  // namespace redirects

namespace audit {

Result<void> Append(Connection& c, const AuditEntry& entry) {
  return Done(c.Exec(
      "INSERT INTO audit_log(at, user_id, action, post_id, detail) VALUES (?, ?, ?, ?, ?)",
      entry.at ? entry.at : Now(), entry.user_id, entry.action, entry.post_id, entry.detail));
}

Result<std::vector<AuditEntry>> List(Connection& c, int limit, int offset) {
  return c.All(
      "SELECT a.id, a.at, a.user_id, coalesce(u.name, ''), a.action, a.post_id, a.detail "
      "FROM audit_log a LEFT JOIN users u ON u.id = a.user_id ORDER BY a.id DESC "
      "LIMIT ? OFFSET ?",
      [](const Row& row) {
        return AuditEntry{row.Int(0),  row.Int(1),         row.OptionalInt(2), row.Text(3),
                          row.Text(4), row.OptionalInt(5), row.Text(6)};
      },
      limit, offset);
}

}  // namespace audit

namespace imported {

Result<std::vector<ImportedRecord>> List(Connection& c, const std::string& source) {
  return c.All(
      "SELECT kind, foreign_id, local_id, detail FROM imported WHERE source = ?",
      [&](const Row& row) {
        return ImportedRecord{source, row.Text(0), row.Text(1), row.Int(2), row.Text(3)};
      },
      source);
}

Result<void> Record(Connection& c, const std::vector<ImportedRecord>& records) {
  // One statement may not change a row twice: the last record for a key is the one written.
  std::map<std::tuple<std::string_view, std::string_view, std::string_view>, const ImportedRecord*>
      last;
  for (const ImportedRecord& record : records)
    last[{record.source, record.kind, record.foreign_id}] = &record;
  std::vector<const ImportedRecord*> rows;
  for (const auto& [key, record] : last) rows.push_back(record);
  // Runs of a power of two rows, so that the drivers cache a few statement shapes.
  constexpr size_t kRowsMost = 128;
  for (size_t at = 0; at < rows.size();) {
    const size_t run = std::bit_floor(std::min(rows.size() - at, kRowsMost));
    std::string sql = "INSERT INTO imported(source, kind, foreign_id, local_id, detail) VALUES ";
    std::vector<Value> params;
    for (size_t i = at; i < at + run; ++i) {
      sql += i == at ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
      params.insert(params.end(), {rows[i]->source, rows[i]->kind, rows[i]->foreign_id,
                                   rows[i]->local_id, rows[i]->detail});
    }
    sql +=
        " ON CONFLICT(source, kind, foreign_id) DO UPDATE SET local_id = excluded.local_id, "
        "detail = excluded.detail";
    if (auto written = c.Queue(sql, params); !written) return written;
    at += run;
  }
  return {};
}

}  // namespace imported

}  // namespace broadsheet::storage
