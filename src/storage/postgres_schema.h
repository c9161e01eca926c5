// The PostgreSQL schema: the same tables, columns, keys and rules as the SQLite schema
// (migrations.h) reaches at its newest version, spelled as PostgreSQL spells them. SQLite sites
// keep their migration history (a file made years ago must still open); PostgreSQL starts from
// this baseline, and from here on a change to the schema is one migration in each list, which
// tests/storage/schema_test.cc checks by comparing the two databases' tables and columns.
//
// What differs, and why (docs/architecture.md, "Two databases"):
//   - INTEGER PRIMARY KEY (SQLite's rowid) is a BIGINT identity column; other integers are BIGINT
//     (times are seconds since 1970, ids 64-bit) and flags stay 0/1 integers, so queries and
//     bindings are the same in both.
//   - COLLATE NOCASE columns (e-mail addresses) are citext, which compares without case for
//     '=', IN and unique keys, as NOCASE does for ASCII.
//   - WITHOUT ROWID has no meaning in PostgreSQL and is left out.
//   - Triggers call PL/pgSQL functions; the search view joins names with string_agg instead of
//     group_concat.
//
// Migrate applies what is missing inside one transaction holding an advisory lock, so that
// several nodes starting together migrate once. The version is kept in broadsheet_schema.
#pragma once

#include <string_view>
#include <vector>

#include "core/error.h"
#include "storage/database.h"

namespace broadsheet::postgres {

// Migration i (0-based) takes the schema from version i to i + 1.
const std::vector<std::string_view>& Migrations();

// Brings the database to the newest version; returns the version it found. kCorrupt when the
// database is newer than this program (a newer Broadsheet migrated it).
Result<int> Migrate(storage::Database& database);

}  // namespace broadsheet::postgres
