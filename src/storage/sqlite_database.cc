#include "storage/sqlite_database.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <limits>
#include <unordered_map>

#include "core/text.h"
#include "storage/sqlite_error.h"

namespace broadsheet::storage {
namespace {

// bs_plain_text(html): a body's text as the search index holds it (core's PlainText), which
// migration 11's view used (migration 17 replaced the view; a file older than 11 still runs it
// on the way). Deterministic and harmless, so the schema may use it.
void PlainTextFunction(sqlite3_context* context, int, sqlite3_value** arguments) {
  const auto* html = reinterpret_cast<const char*>(sqlite3_value_text(arguments[0]));
  if (html == nullptr) {
    sqlite3_result_text(context, "", 0, SQLITE_STATIC);
    return;
  }
  const std::string text =
      PlainText(std::string_view(html, static_cast<size_t>(sqlite3_value_bytes(arguments[0]))));
  sqlite3_result_text(context, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

class SqliteRow final : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
  bool IsNull(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  std::int64_t Int(int column) const override { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) const override {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  sqlite3_stmt* stmt_;
};

// Resets and unbinds a cached statement however the call that used it ends.
struct StatementUse {
  sqlite3_stmt* stmt;
  ~StatementUse() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

int Milliseconds(std::chrono::steady_clock::duration duration) {
  const auto count = std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
  return static_cast<int>(std::clamp<std::int64_t>(count, 1, std::numeric_limits<int>::max()));
}

}  // namespace

// One connection, used by one thread at a time (the database hands it out).
class SqliteConnection final : public Connection {
 public:
  enum class Role { kWriter, kReader };

  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, Role role,
                                                        bool create, bool in_memory,
                                                        std::chrono::milliseconds busy_timeout) {
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (create || in_memory) flags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
      const std::string reason = db ? sqlite3_errmsg(db) : "out of memory";
      Error error{ErrorCode::kIo, "cannot open the database " + path + " (" + reason + ")", reason};
      sqlite3_close(db);
      return tl::unexpected(error);
    }
    auto connection = std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
    if (auto ready = connection->Setup(role, in_memory, busy_timeout); !ready) {
      return tl::unexpected(ready.error());
    }
    return connection;
  }

  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  // Whether a transaction is still open (a COMMIT and its ROLLBACK both failed).
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

  // The file's journal mode ("wal", "delete", ...).
  Result<std::string> JournalMode() {
    std::string mode;
    auto done = Run("PRAGMA journal_mode", {}, [&](const Row& row) -> Result<void> {
      mode = row.Text(0);
      return {};
    });
    if (!done) return tl::unexpected(done.error());
    return mode;
  }

  void SetBusyTimeout(std::chrono::steady_clock::duration timeout) {
    sqlite3_busy_timeout(db_, Milliseconds(timeout));
  }

  Result<std::int64_t> Run(std::string_view sql, std::span<const Value> params,
                           const RowVisitor& on_row) override {
    auto prepared = Prepare(sql);
    if (!prepared) return tl::unexpected(prepared.error());
    StatementUse use{*prepared};
    if (static_cast<size_t>(sqlite3_bind_parameter_count(use.stmt)) != params.size()) {
      return Fail(ErrorCode::kInternal, "wrong number of parameters", std::string(sql));
    }
    if (auto storable = CheckStorable(params, sql); !storable)
      return tl::unexpected(storable.error());
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const Value& value = params[i];
      switch (value.kind()) {
        case Value::Kind::kNull:
          sqlite3_bind_null(use.stmt, index);
          break;
        case Value::Kind::kInteger:
          sqlite3_bind_int64(use.stmt, index, value.integer());
          break;
        case Value::Kind::kText:
          sqlite3_bind_text64(use.stmt, index, value.text().data(), value.text().size(),
                              SQLITE_STATIC, SQLITE_UTF8);
          break;
      }
    }
    const SqliteRow row(use.stmt);
    for (;;) {
      const int step = sqlite3_step(use.stmt);
      if (step == SQLITE_DONE) break;
      if (step != SQLITE_ROW) return tl::unexpected(SqlError(db_, sql));
      if (!on_row) continue;
      if (auto visited = on_row(row); !visited) return tl::unexpected(visited.error());
    }
    return sqlite3_stmt_readonly(use.stmt) ? 0 : sqlite3_changes64(db_);
  }

  Result<void> Script(std::string_view sql) override {
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return tl::unexpected(SqlError(db_, "script"));
    }
    return {};
  }

  // BEGIN, COMMIT and ROLLBACK as cached statements (sqlite3_exec would parse them every time).
  Result<void> Control(std::string_view sql) {
    auto prepared = Prepare(sql);
    if (!prepared) return tl::unexpected(prepared.error());
    const int step = sqlite3_step(*prepared);
    sqlite3_reset(*prepared);
    if (step != SQLITE_DONE) return tl::unexpected(SqlError(db_, sql));
    return {};
  }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  Result<void> Setup(Role role, bool in_memory, std::chrono::milliseconds busy_timeout) {
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
    if (sqlite3_create_function(db_, "bs_plain_text", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                PlainTextFunction, nullptr, nullptr) != SQLITE_OK) {
      return tl::unexpected(SqlError(db_, "register functions"));
    }
    std::string setup = "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;";
    // Reads map the file instead of copying each page through read(): once the comment indexes
    // outgrow SQLite's own 2 MiB page cache, a storm of comments otherwise spends its time in
    // pread (docs/BENCHMARKS.md, "Busy threads, third look").
    if (!in_memory) setup += "PRAGMA mmap_size = 268435456;";
    // WAL is a property of the file: the writer, opened first, sets it.
    if (!in_memory && role == Role::kWriter) setup += "PRAGMA journal_mode = WAL;";
    if (role == Role::kReader) setup += "PRAGMA query_only = ON;";
    return Script(setup);
  }

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto found = statements_.find(sql);
    if (found != statements_.end()) return found->second;
    if (sql.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return Fail(ErrorCode::kInternal, "statement too long");
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      return tl::unexpected(SqlError(db_, sql));
    }
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  // Statements by their SQL text, found without building a std::string for the lookup.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> statements_;
};

namespace {

// The connection each thread is using inside Transact or Read, so that a nested call joins it.
struct Active {
  const SqliteDatabase* database;
  SqliteConnection* connection;
  bool writes;
  Active* outer;
};
thread_local Active* active = nullptr;

Error Busy(std::string detail) {
  return Error{ErrorCode::kBusy, "The database is busy, so nothing was saved.", std::move(detail)};
}

}  // namespace

Result<std::unique_ptr<Database>> SqliteDatabase::Open(const DatabaseOptions& options) {
  std::string path = options.url;
  if (path.starts_with("sqlite:")) path.erase(0, 7);
  const bool in_memory = path == ":memory:";
  if (path.empty()) return Fail(ErrorCode::kInvalidArgument, "no database file given");
  if (!in_memory && !options.create && !std::filesystem::exists(path)) {
    return Fail(ErrorCode::kNotFound, "no database at " + path);
  }
  auto writer = SqliteConnection::Open(path, SqliteConnection::Role::kWriter, options.create,
                                       in_memory, options.statement_timeout);
  if (!writer) return tl::unexpected(writer.error());
  // Readers of their own only in WAL mode, where they never block the writer's commit (a file
  // that refused WAL, on a file system without shared memory, keeps to one connection).
  bool pooled_reads = false;
  if (!in_memory) {
    auto mode = (*writer)->JournalMode();
    if (!mode) return tl::unexpected(mode.error());
    pooled_reads = *mode == "wal";
  }
  auto database =
      std::unique_ptr<SqliteDatabase>(new SqliteDatabase(options, std::move(path), pooled_reads));
  database->writer_ = std::move(*writer);
  return database;
}

SqliteDatabase::SqliteDatabase(DatabaseOptions options, std::string path, bool pooled_reads)
    : options_(std::move(options)), path_(std::move(path)), pooled_reads_(pooled_reads) {}

SqliteDatabase::~SqliteDatabase() = default;

Result<void> SqliteDatabase::Maintain(std::string_view sql) {
  for (Active* frame = active; frame != nullptr; frame = frame->outer) {
    if (frame->database == this) {
      return Fail(ErrorCode::kInternal, "maintenance inside a transaction");
    }
  }
  if (!TakeWriter(std::chrono::steady_clock::time_point::max())) {
    return tl::unexpected(Busy("another write held the connection"));
  }
  writer_->SetBusyTimeout(options_.statement_timeout);
  auto done = writer_->Script(sql);
  ReleaseWriter();
  return done;
}

bool SqliteDatabase::TakeWriter(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(writer_mutex_);
  const auto free = [&] { return !writer_taken_; };
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    writer_released_.wait(lock, free);
  } else if (!writer_released_.wait_until(lock, deadline, free)) {
    return false;
  }
  writer_taken_ = true;
  return true;
}

void SqliteDatabase::ReleaseWriter() {
  {
    std::lock_guard lock(writer_mutex_);
    writer_taken_ = false;
  }
  writer_released_.notify_one();
}

Result<void> SqliteDatabase::WithConnection(Mode mode,
                                            const std::function<Result<void>(Connection&)>& work) {
  for (Active* frame = active; frame != nullptr; frame = frame->outer) {
    if (frame->database != this) continue;
    // A write inside a read is a transaction of its own, on the writer, unless the read holds
    // the writer already (a database in memory has no other connection): it joins that one.
    if (Writes(mode) && !frame->writes && frame->connection != writer_.get()) break;
    return work(*frame->connection);
  }
  if (mode == Mode::kRead && pooled_reads_) return OnReader(work);
  return OnWriter(mode, work);  // a read of a database in memory takes its only connection too
}

Result<void> SqliteDatabase::OnWriter(Mode mode,
                                      const std::function<Result<void>(Connection&)>& work) {
  // One budget for both waits: for this process's other writers, then for another process's.
  // A tally (a rate limit's count, on a reader's request) waits less: its caller would rather
  // let the request through uncounted than hold it up behind another process's long write.
  const auto budget = mode == Mode::kTally ? std::min<std::chrono::milliseconds>(
                                                 options_.statement_timeout, kTallyWait)
                                           : options_.statement_timeout;
  const auto deadline = std::chrono::steady_clock::now() + budget;
  if (!TakeWriter(deadline)) return tl::unexpected(Busy("another write held the connection"));
  // Given back however the work ends, an exception included.
  struct GiveBack {
    SqliteDatabase* database;
    ~GiveBack() { database->ReleaseWriter(); }
  } give_back{this};
  writer_->SetBusyTimeout(deadline - std::chrono::steady_clock::now());
  if (mode != Mode::kTally) return RunTransaction(*writer_, mode, work);
  // The safety level cannot change inside a transaction: set around it, and put back however
  // the transaction ends, an exception included.
  if (auto lazy = writer_->Control("PRAGMA synchronous = NORMAL"); !lazy) return lazy;
  struct PutBack {
    SqliteConnection& writer;
    bool done = false;
    Result<void> Now() {
      done = true;
      return writer.Control("PRAGMA synchronous = FULL");
    }
    ~PutBack() {
      if (!done) (void)writer.Control("PRAGMA synchronous = FULL");
    }
  } put_back{*writer_};
  auto done = RunTransaction(*writer_, mode, work);
  if (auto full = put_back.Now(); !full && done) return full;
  return done;
}

Result<void> SqliteDatabase::OnReader(const std::function<Result<void>(Connection&)>& work) {
  auto reader = AcquireReader();
  if (!reader) return tl::unexpected(reader.error());
  // Given back however the work ends, an exception included.
  struct GiveBack {
    SqliteDatabase* database;
    std::unique_ptr<SqliteConnection>& reader;
    ~GiveBack() { database->ReleaseReader(std::move(reader)); }
  } give_back{this, *reader};
  return RunTransaction(**reader, Mode::kRead, work);
}

Result<void> SqliteDatabase::RunTransaction(SqliteConnection& connection, Mode mode,
                                            const std::function<Result<void>(Connection&)>& work) {
  // A write takes the write lock at once, so it never fails half-way on an upgrade; a read is a
  // deferred transaction, one snapshot for all its queries.
  if (auto begun = connection.Control(Writes(mode) ? "BEGIN IMMEDIATE" : "BEGIN"); !begun) {
    return begun;
  }
  Active frame{this, &connection, Writes(mode), active};
  active = &frame;
  Result<void> result;
  try {
    result = work(connection);
  } catch (...) {
    active = frame.outer;
    (void)connection.Control("ROLLBACK");
    throw;
  }
  active = frame.outer;
  if (!result) {
    (void)connection.Control("ROLLBACK");
    return result;
  }
  if (auto committed = connection.Control("COMMIT"); !committed) {
    (void)connection.Control("ROLLBACK");
    return committed;
  }
  return {};
}

Result<std::unique_ptr<SqliteConnection>> SqliteDatabase::AcquireReader() {
  {
    std::unique_lock lock(readers_mutex_);
    const bool ready = reader_released_.wait_for(lock, options_.statement_timeout, [&] {
      return !idle_readers_.empty() || open_readers_ < kReaders;
    });
    if (!ready) return tl::unexpected(Busy("every read connection stayed in use"));
    if (!idle_readers_.empty()) {
      auto reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
    ++open_readers_;  // reserved; opening happens outside the lock
  }
  auto reader = SqliteConnection::Open(path_, SqliteConnection::Role::kReader, false, false,
                                       options_.statement_timeout);
  if (!reader) {
    std::lock_guard lock(readers_mutex_);
    --open_readers_;
    reader_released_.notify_one();
  }
  return reader;
}

void SqliteDatabase::ReleaseReader(std::unique_ptr<SqliteConnection> reader) {
  // One left inside a transaction would hold an old snapshot (and the WAL) forever: closed.
  const bool keep = !reader->in_transaction();
  if (!keep) reader.reset();
  std::lock_guard lock(readers_mutex_);
  if (keep) {
    idle_readers_.push_back(std::move(reader));
  } else {
    --open_readers_;
  }
  reader_released_.notify_one();
}

}  // namespace broadsheet::storage
