// The PostgreSQL driver of the database seam (database.h), on libpq.
//
// A bounded pool of connections, opened as they are needed (the first at Open, so that a wrong
// address or password is reported at start). Each connection keeps its prepared statements per
// SQL text. Write transactions are SERIALIZABLE: PostgreSQL then guarantees what SQLite's single
// writer does, that a transaction's checks still hold when it commits; a transaction that
// PostgreSQL aborts as a serialisation failure or deadlock is run again (at most ten times,
// after a growing random pause), so the work given to Transact must not act outside the
// database; TransactOnce's work runs once, and such a failure answers kBusy. Reads are
// REPEATABLE READ READ ONLY: one snapshot.
//
// A connection that breaks (the server restarted, the network dropped) is closed and replaced on
// a later call; a transaction that cannot begin on a broken idle connection is tried once more on
// a new one. While the server is away, calls answer kUnavailable.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.h"

namespace broadsheet::storage {

class PostgresConnection;

class PostgresDatabase final : public Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~PostgresDatabase() override;

  Dialect dialect() const override { return Dialect::kPostgres; }
  Result<void> Maintain(std::string_view sql) override;

 protected:
  Result<void> WithConnection(Mode mode,
                              const std::function<Result<void>(Connection&)>& work) override;

 private:
  explicit PostgresDatabase(DatabaseOptions options);

  Result<std::unique_ptr<PostgresConnection>> Connect() const;
  // A connection from the pool (or a new one), waiting up to acquire_timeout.
  Result<std::unique_ptr<PostgresConnection>> Acquire();
  // Back to the pool, or closed when it is broken.
  void Release(std::unique_ptr<PostgresConnection> connection);
  // `begun` says whether BEGIN succeeded (nothing ran before it).
  Result<void> RunTransaction(PostgresConnection& connection, Mode mode,
                              const std::function<Result<void>(Connection&)>& work, bool& begun);

  const DatabaseOptions options_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<PostgresConnection>> idle_;  // guarded by mutex_
  int open_ = 0;                                           // guarded by mutex_
  // The last failed attempt to connect: for a second after it, callers that find no idle
  // connection get its error at once instead of each waiting for the server's connect timeout.
  std::chrono::steady_clock::time_point connect_failed_at_;  // guarded by mutex_
  std::optional<Error> connect_error_;                       // guarded by mutex_
};

}  // namespace broadsheet::storage
