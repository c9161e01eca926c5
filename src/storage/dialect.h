// What SQLite and PostgreSQL spell differently inside queries, named here and nowhere else (the
// schema's differences are in postgres_schema.h). Repositories build the SQL for the dialect of
// the connection they are given.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/text.h"
#include "storage/database.h"

namespace broadsheet::storage::dialect {

// `expression` of every row of an aggregate query, as text, joined by `separator` (a SQL string
// literal such as "','"); NULL when there are no rows. In the order of `order_by`: PostgreSQL
// sorts by it; SQLite has no ORDER BY in aggregates here, so the caller aggregates over a
// subquery ordered the same way, whose order SQLite keeps.
inline std::string JoinedText(Dialect dialect, std::string_view expression,
                              std::string_view separator, std::string_view order_by) {
  const std::string joined(expression);
  if (dialect == Dialect::kSqlite)
    return "group_concat(" + joined + ", " + std::string(separator) + ")";
  return "string_agg(CAST(" + joined + " AS TEXT), " + std::string(separator) + " ORDER BY " +
         std::string(order_by) + ")";
}

// A LIKE pattern (with ESCAPE '\') matching text that contains `text`; nullopt for empty text.
// LIKE ignores ASCII case on both: SQLite's does, and PostgreSQL's on citext columns; on text
// columns PostgreSQL's keeps case (LikeAnyCase ignores it there too). Text that is not UTF-8
// (PostgreSQL refuses it as a parameter) looks for U+FFFD, which stands for what it cannot say.
inline std::optional<std::string> LikeContaining(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (!IsValidUtf8(text)) return std::string("%\xEF\xBF\xBD%");
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern + "%";
}

// `column = ?` comparing e-mail addresses without regard to ASCII case: SQLite's NOCASE
// collation (its indexes on addresses are declared with it); PostgreSQL's citext (a citext
// column casts to itself, so its index still serves). citext also folds letters beyond ASCII
// (É and é), which NOCASE does not: on PostgreSQL "ÉVA@…" finds "éva@…".
inline std::string SameAddress(Dialect dialect, std::string_view column) {
  const std::string name(column);
  if (dialect == Dialect::kSqlite) return name + " = ? COLLATE NOCASE";
  return "CAST(" + name + " AS citext) = CAST(? AS citext)";
}

// LIKE ignoring case whatever the column's type: SQLite's LIKE (ASCII letters only);
// PostgreSQL's ILIKE (every letter).
inline const char* LikeAnyCase(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "LIKE" : "ILIKE";
}

// ORDER BY a name in byte order, as SQLite sorts text, whatever the PostgreSQL cluster's
// collation; appended after the column.
inline const char* ByteOrder(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "" : " COLLATE \"C\"";
}

// The larger of two values: SQLite's scalar max(), PostgreSQL's GREATEST().
inline const char* Greatest(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "max" : "GREATEST";
}

// A statement that makes the calling write transaction the only one writing `table` until it
// ends, or nullopt where nothing is needed (SQLite's transactions that write already take the
// whole file's lock). PostgreSQL: a table lock, which must come before the transaction's first
// query so that its snapshot is taken after the lock is granted; then concurrent transactions
// of the same kind wait for each other instead of failing to serialise.
inline std::optional<std::string> LockForWrites(Dialect dialect, std::string_view table) {
  if (dialect == Dialect::kSqlite) return std::nullopt;
  return "LOCK TABLE " + std::string(table) + " IN SHARE ROW EXCLUSIVE MODE";
}

// At most `limit` bytes of `text`, never cutting a UTF-8 character in two (core/text.h).
using broadsheet::Utf8Prefix;

}  // namespace broadsheet::storage::dialect
