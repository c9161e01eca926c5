// The SQLite schema as an ordered list of migrations. Migration i (0-based) takes the database
// from PRAGMA user_version i to i + 1. Never edit a migration that has shipped: append one.
#pragma once

#include <string_view>
#include <vector>

#include "core/error.h"
#include "storage/database.h"

namespace broadsheet::sqlite {

const std::vector<std::string_view>& Migrations();

// Written to PRAGMA application_id so that a foreign SQLite file is recognised ("BRDS").
inline constexpr int kApplicationId = 0x42524453;

// Applies the migrations a SQLite database (opened through the seam's SQLite driver) lacks, each
// in its own transaction, with foreign keys off while the schema changes and checked before each
// commits; returns the schema version. kConflict for a SQLite file another program wrote, or one
// written by a newer Broadsheet; kCorrupt when a migration would break references.
Result<int> Migrate(storage::Database& database);

}  // namespace broadsheet::sqlite
