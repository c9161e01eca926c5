// The database seam: the few operations every store needs, over SQLite (embedded, the default)
// and PostgreSQL (libpq), so that the store's queries are written once.
//
// A query is written once with `?` parameters in the SQL both databases accept; the PostgreSQL
// driver numbers them ($1, $2, ...). What the two dialects spell differently (schema types,
// case-insensitive matching, ...) is named in dialect.h, and nowhere else.
//
// Database::Transact runs a function inside one transaction on one connection: committed when it
// returns a value, rolled back when it returns an error. Database::Read runs one on a connection
// outside any write transaction (on PostgreSQL, a read-only transaction, so that every query in
// it sees one snapshot). A Read inside a Transact or Read on the same thread joins it, and so does
// a Transact inside a Transact; a Transact inside a Read is a transaction of its own, on another
// connection, committed before it returns (the Read's snapshot does not see it).
//
// Values bound to a statement are borrowed: text must outlive the call that binds it. Rows are
// read by column number, and only inside the row callback: a value that leaves it is a copy.
//
// Threads: a Database may be used from any thread. The SQLite driver has one connection for
// writes (SQLite serialises them anyway) and a few for reads, which never wait for a writer; the
// PostgreSQL driver keeps a bounded pool and a caller waits up to `acquire_timeout` for a free
// connection, then gets kBusy. Connections are never shared: a Connection& is valid only inside
// the function it was given to.
//
// Errors: a constraint violation is kConflict; a full disk kStorageFull; a lock, serialisation
// failure, statement timeout or empty pool kBusy; a lost server kUnavailable (the PostgreSQL
// driver reconnects on the next use); anything else kIo. The detail names the statement.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"

namespace broadsheet::storage {

enum class Dialect { kSqlite, kPostgres };

// How long a Database::Tally waits for SQLite's write lock (or the statement timeout, if less).
inline constexpr std::chrono::milliseconds kTallyWait{250};

std::string_view DialectName(Dialect dialect);

// One parameter of a statement: NULL, an integer or text (borrowed, see above). Booleans are
// stored as 0 and 1 in both databases.
class Value {
 public:
  enum class Kind { kNull, kInteger, kText };

  Value(std::nullptr_t) {}  // NOLINT: implicit by design, so calls read Exec(sql, a, b)
  Value(std::int64_t value) : kind_(Kind::kInteger), integer_(value) {}  // NOLINT
  Value(int value) : Value(static_cast<std::int64_t>(value)) {}          // NOLINT
  Value(bool value) : Value(static_cast<std::int64_t>(value)) {}         // NOLINT
  Value(std::string_view text) : kind_(Kind::kText), text_(text) {}      // NOLINT
  Value(const std::string& text) : Value(std::string_view(text)) {}      // NOLINT
  Value(const char* text) : Value(std::string_view(text)) {}             // NOLINT
  template <typename T>
  Value(const std::optional<T>& value) {  // NOLINT
    if (value) *this = Value(*value);
  }

  Kind kind() const { return kind_; }
  std::int64_t integer() const { return integer_; }
  std::string_view text() const { return text_; }

 private:
  Kind kind_ = Kind::kNull;
  std::int64_t integer_ = 0;
  std::string_view text_;
};

// One row of a result, by column number (0 is the first).
class Row {
 public:
  virtual ~Row() = default;
  virtual bool IsNull(int column) const = 0;
  virtual std::int64_t Int(int column) const = 0;  // 0 for NULL
  virtual std::string Text(int column) const = 0;  // "" for NULL

  std::optional<std::int64_t> OptionalInt(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Int(column);
  }
  std::optional<std::string> OptionalText(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Text(column);
  }
};

// Called for each row of a result; an error stops the statement and is returned by it.
using RowVisitor = std::function<Result<void>(const Row&)>;

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;

  // Runs one statement with `?` parameters, calling `on_row` (if any) for each row it returns.
  // Returns the number of rows the statement inserted, changed or deleted.
  virtual Result<std::int64_t> Run(std::string_view sql, std::span<const Value> params,
                                   const RowVisitor& on_row) = 0;
  // Runs statements separated by semicolons, without parameters (schema changes).
  virtual Result<void> Script(std::string_view sql) = 0;
  // Runs one statement inside a write transaction whose outcome only the transaction needs
  // (no rows, no count): perhaps later, before the connection's next other statement or the
  // commit, which then fails with its error. SQLite runs it at once; PostgreSQL sends queued
  // statements together, one round trip for many (an import's links, redirects and records).
  virtual Result<void> Queue(std::string_view sql, std::span<const Value> params) {
    auto ran = Run(sql, params, nullptr);
    if (!ran) return tl::unexpected(ran.error());
    return {};
  }

  // Queue, with the parameters as arguments.
  template <typename... Args>
  Result<void> Later(std::string_view sql, const Args&... args) {
    const Value params[] = {Value(args)..., Value(nullptr)};
    return Queue(sql, std::span<const Value>(params, sizeof...(Args)));
  }

  // Rows changed by `sql`.
  template <typename... Args>
  Result<std::int64_t> Exec(std::string_view sql, const Args&... args) {
    const Value params[] = {Value(args)..., Value(nullptr)};
    return Run(sql, std::span<const Value>(params, sizeof...(Args)), nullptr);
  }

  // The first row read by `read` (a function of const Row&), or nullopt when there is none.
  template <typename Read, typename... Args>
  auto One(std::string_view sql, Read read, const Args&... args)
      -> Result<std::optional<std::invoke_result_t<Read, const Row&>>> {
    std::optional<std::invoke_result_t<Read, const Row&>> found;
    const Value params[] = {Value(args)..., Value(nullptr)};
    auto done = Run(sql, std::span<const Value>(params, sizeof...(Args)),
                    [&](const Row& row) -> Result<void> {
                      if (!found) found.emplace(read(row));
                      return {};
                    });
    if (!done) return tl::unexpected(done.error());
    return found;
  }

  // Every row, each read by `read`.
  template <typename Read, typename... Args>
  auto All(std::string_view sql, Read read, const Args&... args)
      -> Result<std::vector<std::invoke_result_t<Read, const Row&>>> {
    std::vector<std::invoke_result_t<Read, const Row&>> rows;
    const Value params[] = {Value(args)..., Value(nullptr)};
    auto done = Run(sql, std::span<const Value>(params, sizeof...(Args)),
                    [&](const Row& row) -> Result<void> {
                      rows.push_back(read(row));
                      return {};
                    });
    if (!done) return tl::unexpected(done.error());
    return rows;
  }

  // The first column of the first row as an integer (NULL or no row: nullopt).
  template <typename... Args>
  Result<std::optional<std::int64_t>> Integer(std::string_view sql, const Args&... args) {
    auto found = One(
        sql, [](const Row& row) { return row.OptionalInt(0); }, args...);
    if (!found) return tl::unexpected(found.error());
    return found->value_or(std::nullopt);
  }
};

struct DatabaseOptions {
  // "postgresql://…" or "postgres://…" (libpq's connection URI, sslmode and sslrootcert
  // included), "sqlite:PATH", or a plain path to a SQLite file (":memory:" for tests).
  std::string url;
  // SQLite: create the file if it does not exist (default: it must exist).
  bool create = false;
  // PostgreSQL: at most this many connections at once, opened as they are needed.
  int pool_size = 8;
  // PostgreSQL: how long a caller waits for a free connection before kBusy.
  std::chrono::milliseconds acquire_timeout{5000};
  // Longest a statement may run (PostgreSQL's statement_timeout), and on SQLite the longest a
  // transaction waits in all for its connection and the file's write lock, so a stuck query or
  // a lock held elsewhere answers kBusy instead of holding a request forever.
  std::chrono::milliseconds statement_timeout{5000};
};

// Whether `url` names a PostgreSQL database (the scheme alone decides).
bool IsPostgresUrl(std::string_view url);

class Database {
 public:
  // Connects (PostgreSQL: one connection at once, to fail early with a clear message) or opens
  // the file. kUnavailable when the server cannot be reached; kNotFound for a missing file.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  virtual ~Database() = default;

  virtual Dialect dialect() const = 0;

  // `work(Connection&)` returns Result<T>; it runs in one transaction, committed if it succeeds.
  // On PostgreSQL a transaction undone by a serialisation failure or a deadlock runs `work`
  // again (a few times, after a short random pause), so `work` must not act outside the
  // database, nor keep state from one run to the next.
  template <typename Work>
  auto Transact(Work&& work) -> std::invoke_result_t<Work, Connection&> {
    return Call(Mode::kWrite, std::forward<Work>(work));
  }
  // As Transact, for work that keeps state outside the database (an import's maps and report):
  // run once, a serialisation failure or deadlock answers kBusy.
  template <typename Work>
  auto TransactOnce(Work&& work) -> std::invoke_result_t<Work, Connection&> {
    return Call(Mode::kWriteOnce, std::forward<Work>(work));
  }
  // As Transact, for counters whose loss in a crash only forgives (rate limits): the commit
  // does not wait for the disk (SQLite: synchronous=NORMAL for that commit, so a power cut may
  // lose it, never corrupt the file; PostgreSQL: synchronous_commit off), and on PostgreSQL it
  // runs at READ COMMITTED, so each statement must be right on its own, as an upsert of one row
  // is: tallies of the same row then wait for each other instead of failing to serialise.
  // Inside another write it joins that one, with that one's durability. On SQLite it waits at
  // most kTallyWait for the write lock, then answers kBusy.
  template <typename Work>
  auto Tally(Work&& work) -> std::invoke_result_t<Work, Connection&> {
    return Call(Mode::kTally, std::forward<Work>(work));
  }
  // As Transact, for claiming rows that several processes take work from (the outboxes): on
  // PostgreSQL at READ COMMITTED, so that `SELECT … FOR UPDATE SKIP LOCKED` passes over the rows
  // another transaction is claiming instead of failing to serialise with it; SQLite's single
  // writer makes it an ordinary write transaction. Run again after a deadlock, as Transact.
  template <typename Work>
  auto Claim(Work&& work) -> std::invoke_result_t<Work, Connection&> {
    return Call(Mode::kClaim, std::forward<Work>(work));
  }
  // As Transact, for reading only.
  template <typename Work>
  auto Read(Work&& work) -> std::invoke_result_t<Work, Connection&> {
    return Call(Mode::kRead, std::forward<Work>(work));
  }
  // Runs one statement without parameters outside any transaction, for what cannot run in one
  // (CREATE DATABASE, VACUUM). kInternal when the calling thread is inside Transact or Read.
  virtual Result<void> Maintain(std::string_view sql) = 0;

 protected:
  enum class Mode { kRead, kWrite, kWriteOnce, kTally, kClaim };
  static bool Writes(Mode mode) { return mode != Mode::kRead; }
  // Runs `work` on a connection inside a transaction of `mode` (joining the calling thread's
  // current one, if any): commits when it succeeds, rolls back when it fails.
  virtual Result<void> WithConnection(Mode mode,
                                      const std::function<Result<void>(Connection&)>& work) = 0;

 private:
  template <typename Work>
  auto Call(Mode mode, Work&& work) -> std::invoke_result_t<Work, Connection&> {
    using Returned = std::invoke_result_t<Work, Connection&>;
    using T = typename Returned::value_type;
    if constexpr (std::is_void_v<T>) {
      return WithConnection(mode, work);
    } else {
      std::optional<T> value;
      auto done = WithConnection(mode, [&](Connection& connection) -> Result<void> {
        auto result = work(connection);
        if (!result) return tl::unexpected(result.error());
        value.emplace(std::move(*result));
        return {};
      });
      if (!done) return tl::unexpected(done.error());
      return std::move(*value);
    }
  }
};

// Whether `params` may be stored: PostgreSQL's text cannot hold a NUL byte, so both drivers
// refuse one (kInvalidArgument) before running `sql`, and a site behaves the same on either.
Result<void> CheckStorable(std::span<const Value> params, std::string_view sql);

// `?` parameters renumbered as $1, $2, ... for PostgreSQL, leaving quoted text, quoted names and
// comments alone. Exposed for tests.
std::string NumberParameters(std::string_view sql);

}  // namespace broadsheet::storage
