// The SQLite driver of the database seam (database.h), over one file in WAL mode with
// synchronous=FULL, foreign keys on and reads through a memory map.
//
// Writes go through one connection, taken for a whole transaction; a caller waits at most the
// statement timeout in all (for the connection, then for SQLite's write lock, which another
// process such as a `broadsheet` command may hold) and then gets kBusy. Reads run on a small pool
// of read-only connections, each transaction one snapshot: in WAL mode they never wait for a
// writer, so a write stuck behind another process's lock holds up no reader. A database in
// memory (":memory:", for tests), or a file that could not use WAL, has only the one connection,
// used for reads and writes alike.
//
// Prepared statements are kept per connection and SQL text for the connection's life.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/database.h"

namespace broadsheet::storage {

class SqliteConnection;

class SqliteDatabase final : public Database {
 public:
  // Read connections kept open at most; a reader waits for one when all are in use.
  static constexpr int kReaders = 4;

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
  SqliteDatabase(DatabaseOptions options, std::string path, bool pooled_reads);

  // Runs `work` in a transaction on `connection`, which the caller holds.
  Result<void> RunTransaction(SqliteConnection& connection, Mode mode,
                              const std::function<Result<void>(Connection&)>& work);
  Result<void> OnWriter(Mode mode, const std::function<Result<void>(Connection&)>& work);
  Result<void> OnReader(const std::function<Result<void>(Connection&)>& work);
  // Takes the writer, waiting until `deadline`; false when it stayed taken.
  bool TakeWriter(std::chrono::steady_clock::time_point deadline);
  void ReleaseWriter();
  Result<std::unique_ptr<SqliteConnection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<SqliteConnection> reader);

  const DatabaseOptions options_;
  const std::string path_;
  const bool pooled_reads_;  // reads on readers of their own (a file in WAL mode)

  // The writer is taken (writer_taken_) from BEGIN to COMMIT of each write transaction; a
  // condition variable rather than a timed mutex, whose timed lock ThreadSanitizer cannot see.
  std::mutex writer_mutex_;
  std::condition_variable writer_released_;
  bool writer_taken_ = false;
  std::unique_ptr<SqliteConnection> writer_;

  std::mutex readers_mutex_;
  std::condition_variable reader_released_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;
  int open_readers_ = 0;  // idle or in use
};

}  // namespace broadsheet::storage
