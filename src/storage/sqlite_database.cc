#include "storage/sqlite_database.h"

#include <sqlite3.h>

#include <filesystem>
#include <limits>

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

}  // namespace

Result<std::unique_ptr<Database>> SqliteDatabase::Open(const DatabaseOptions& options) {
  std::string path = options.url;
  if (path.starts_with("sqlite:")) path.erase(0, 7);
  const bool in_memory = path == ":memory:";
  if (path.empty()) return Fail(ErrorCode::kInvalidArgument, "no database file given");
  if (!in_memory && !options.create && !std::filesystem::exists(path)) {
    return Fail(ErrorCode::kNotFound, "no database at " + path);
  }
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create || in_memory) flags |= SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error error{ErrorCode::kIo, "cannot open the database " + path,
                db ? sqlite3_errmsg(db) : "out of memory"};
    sqlite3_close(db);
    return tl::unexpected(error);
  }
  auto database = std::unique_ptr<SqliteDatabase>(new SqliteDatabase(db));
  if (auto ready = database->Setup(in_memory, options.statement_timeout); !ready) {
    return tl::unexpected(ready.error());
  }
  return database;
}

SqliteDatabase::~SqliteDatabase() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<void> SqliteDatabase::Setup(bool in_memory, std::chrono::milliseconds busy_timeout) {
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
  if (!in_memory) setup += "PRAGMA journal_mode = WAL; PRAGMA mmap_size = 268435456;";
  return Script(setup);
}

Result<void> SqliteDatabase::WithConnection(Mode mode,
                                            const std::function<Result<void>(Connection&)>& work) {
  std::lock_guard lock(mutex_);
  if (depth_ > 0) {
    if (mode == Mode::kWrite && !writing_) {
      return Fail(ErrorCode::kInternal, "a write inside a read-only transaction");
    }
    ++depth_;
    auto result = work(*this);
    --depth_;
    return result;
  }
  // A write takes the write lock at once, so it never fails half-way on an upgrade; a read is a
  // deferred transaction, one snapshot for all its queries.
  if (auto begun = Control(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"); !begun) {
    return begun;
  }
  writing_ = mode == Mode::kWrite;
  ++depth_;
  auto result = work(*this);
  --depth_;
  if (!result) {
    (void)Control("ROLLBACK");
    return result;
  }
  if (auto committed = Control("COMMIT"); !committed) {
    (void)Control("ROLLBACK");
    return committed;
  }
  return {};
}

Result<void> SqliteDatabase::Control(std::string_view sql) {
  auto prepared = Prepare(sql);
  if (!prepared) return tl::unexpected(prepared.error());
  const int step = sqlite3_step(*prepared);
  sqlite3_reset(*prepared);
  if (step != SQLITE_DONE) return tl::unexpected(SqlError(db_, sql));
  return {};
}

Result<void> SqliteDatabase::Maintain(std::string_view sql) {
  std::lock_guard lock(mutex_);
  if (depth_ > 0) return Fail(ErrorCode::kInternal, "maintenance inside a transaction");
  return Script(sql);
}

Result<sqlite3_stmt*> SqliteDatabase::Prepare(std::string_view sql) {
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

Result<std::int64_t> SqliteDatabase::Run(std::string_view sql, std::span<const Value> params,
                                         const RowVisitor& on_row) {
  std::lock_guard lock(mutex_);
  auto prepared = Prepare(sql);
  if (!prepared) return tl::unexpected(prepared.error());
  StatementUse use{*prepared};
  if (static_cast<size_t>(sqlite3_bind_parameter_count(use.stmt)) != params.size()) {
    return Fail(ErrorCode::kInternal, "wrong number of parameters", std::string(sql));
  }
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

Result<void> SqliteDatabase::Script(std::string_view sql) {
  std::lock_guard lock(mutex_);
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return tl::unexpected(SqlError(db_, "script"));
  }
  return {};
}

}  // namespace broadsheet::storage
