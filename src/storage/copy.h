// Copying a whole Broadsheet database into another: SQLite to PostgreSQL, back, or between two of
// the same kind (`broadsheet migrate-store`, and `broadsheet backup` of a PostgreSQL site into a
// SQLite file).
//
// Both databases must be at the same schema version (opening each through SqlStore migrates
// it). The source is read inside one read transaction, so the copy is one consistent moment of
// it even while a server writes; the target is written inside one transaction, so a copy that
// fails leaves it as empty as it was. A target with any row in any table is refused.
//
// Every table is copied column by column, ids included, read in pages by its key, parents before
// the tables whose foreign keys name them; a table's references to itself (a comment's parent) are
// filled in a second pass, so no order of ids can break them. Tables the schema's triggers keep
// (approved-comment counts, the search queue) are not copied: inserting the rows they follow fills
// them, so the target's search index is rebuilt from scratch. On PostgreSQL the identity sequences
// are moved past the largest id copied, so the next row made there takes a new one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "storage/database.h"

namespace broadsheet::storage {

struct CopyReport {
  struct Table {
    std::string name;
    std::int64_t rows = 0;
  };
  std::vector<Table> tables;  // in the order they were copied
  std::int64_t rows = 0;
};

// What a database holds, found before anything is written to it: nothing yet, a Broadsheet
// site (any schema version), or tables of another program.
enum class Contents { kEmpty, kBroadsheet, kForeign };
Result<Contents> Inspect(Database& database);

// kConflict when the target holds rows or its tables and columns differ from the source's
// (different versions of Broadsheet); a row the target refuses (text PostgreSQL cannot hold)
// fails the copy with its table and id in the message.
Result<CopyReport> CopyDatabase(Database& from, Database& to);

}  // namespace broadsheet::storage
