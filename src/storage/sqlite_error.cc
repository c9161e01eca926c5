#include "storage/sqlite_error.h"

#include <sqlite3.h>

#include <cerrno>
#include <string>

namespace broadsheet {

// The one place SQLite's result codes become ErrorCodes. A full disk (SQLITE_FULL, or an I/O
// error whose cause was ENOSPC/EDQUOT) is kStorageFull and a lock held past the busy timeout is
// kBusy, so that a form can answer 507/503 with the person's text instead of a bare 500.
Error SqlError(sqlite3* db, std::string_view what) {
  const int code = sqlite3_extended_errcode(db);
  const int primary = code & 0xff;
  const int cause = sqlite3_system_errno(db);
  ErrorCode mapped = ErrorCode::kIo;
  // SQLite's own sentence, for errors shown only as a 500 (readers get a generic page) and to
  // operators; a conflict's message is shown on a 409 page, so it keeps to the generic.
  std::string message = "the database refused the operation: " + std::string(sqlite3_errmsg(db));
  if (primary == SQLITE_CONSTRAINT) {
    mapped = ErrorCode::kConflict;
    message = "the database refused the operation";
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) mapped = ErrorCode::kCorrupt;
  if (primary == SQLITE_FULL || (primary == SQLITE_IOERR && (cause == ENOSPC || cause == EDQUOT))) {
    mapped = ErrorCode::kStorageFull;
    message = "The server's disk is full, so nothing was saved.";
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    mapped = ErrorCode::kBusy;
    message = "The database is busy, so nothing was saved.";
  }
  return Error{mapped, std::move(message), std::string(what) + ": " + sqlite3_errmsg(db)};
}

}  // namespace broadsheet
