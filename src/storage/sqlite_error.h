// The one place SQLite's result codes become ErrorCodes, shared by the store and the database
// seam's SQLite driver. Internal to storage/.
#pragma once

#include <string_view>

#include "core/error.h"

struct sqlite3;

namespace broadsheet {

// The error of the last failed call on `db`, with `what` (the operation) in its detail.
Error SqlError(sqlite3* db, std::string_view what);

}  // namespace broadsheet
