// The SQLite driver of the database seam (database.h): one connection to one file in WAL mode
// with synchronous=FULL, foreign keys on and reads through a memory map, guarded by a recursive
// mutex that a transaction holds from BEGIN to COMMIT. Prepared statements are kept per SQL
// text for the connection's life.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "storage/database.h"

struct sqlite3;
struct sqlite3_stmt;

namespace broadsheet::storage {

class SqliteDatabase final : public Database, private Connection {
 public:
  // kNotFound for a missing file unless `options.create`; kCorrupt for a file that is not a
  // SQLite database.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~SqliteDatabase() override;

  Dialect dialect() const override { return Dialect::kSqlite; }
  Result<void> Maintain(std::string_view sql) override;

 protected:
  Result<void> WithConnection(Mode mode,
                              const std::function<Result<void>(Connection&)>& work) override;

 private:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  Result<void> Setup(bool in_memory, std::chrono::milliseconds busy_timeout);

  Result<std::int64_t> Run(std::string_view sql, std::span<const Value> params,
                           const RowVisitor& on_row) override;
  Result<void> Script(std::string_view sql) override;
  Result<sqlite3_stmt*> Prepare(std::string_view sql);
  // BEGIN, COMMIT and ROLLBACK as cached statements (sqlite3_exec would parse them every time).
  Result<void> Control(std::string_view sql);

  // Statements by their SQL text, found without building a std::string for the lookup.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  sqlite3* db_;
  std::recursive_mutex mutex_;
  int depth_ = 0;         // nested WithConnection calls on the thread holding mutex_
  bool writing_ = false;  // whether the outermost of them is a write transaction
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> statements_;
};

}  // namespace broadsheet::storage
