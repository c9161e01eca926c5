#include "storage/postgres_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <thread>
#include <unordered_map>

namespace broadsheet::storage {
namespace {

// A transaction undone by a serialisation failure runs again, after a random pause that grows
// with each attempt (up to 64 ms), so that a burst of writers to the same rows (40 sign-in
// attempts at once on one account) spreads out instead of colliding again at once.
constexpr int kTransactionAttempts = 10;

// libpq's messages end with a newline (and sometimes carry several lines).
std::string OneLine(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

// The one place PostgreSQL's SQLSTATE codes become ErrorCodes (see database.h).
Error PostgresError(const PGresult* result, PGconn* conn, std::string_view what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state ? state : "";
  const std::string detail = std::string(what) + ": " +
                             OneLine(result ? PQresultErrorMessage(result) : PQerrorMessage(conn));
  if (PQstatus(conn) == CONNECTION_BAD || code.starts_with("08") || code == "57P01" ||
      code == "57P02" || code == "57P03") {
    return Error{ErrorCode::kUnavailable, "the database cannot be reached", detail};
  }
  // PostgreSQL's own sentence, for errors shown only as a 500 (readers get a generic page) and
  // to operators; a conflict's message is shown on a 409 page, so it keeps to the generic.
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string reason = primary ? OneLine(primary) : std::string(what);
  if (code.starts_with("23")) {
    return Error{ErrorCode::kConflict, "the database refused the operation", detail};
  }
  if (code == "53100" || code == "53200") {
    return Error{ErrorCode::kStorageFull, "The server's disk is full, so nothing was saved.",
                 detail};
  }
  // Serialisation failure, deadlock, lock not available, statement timeout, too many
  // connections: nothing happened, and trying again soon may succeed.
  if (code == "40001" || code == "40P01" || code == "55P03" || code == "57014" || code == "53300") {
    return Error{ErrorCode::kBusy, "The database is busy, so nothing was saved.", detail};
  }
  return Error{ErrorCode::kIo, "the database refused the operation: " + reason, detail};
}

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

class PostgresRow final : public Row {
 public:
  PostgresRow(const PGresult* result, int row) : result_(result), row_(row) {}
  bool IsNull(int column) const override { return PQgetisnull(result_, row_, column) != 0; }
  std::int64_t Int(int column) const override {
    const char* text = PQgetvalue(result_, row_, column);
    const int length = PQgetlength(result_, row_, column);
    std::int64_t value = 0;
    std::from_chars(text, text + length, value);
    return value;
  }
  std::string Text(int column) const override {
    return std::string(PQgetvalue(result_, row_, column),
                       static_cast<size_t>(PQgetlength(result_, row_, column)));
  }

 private:
  const PGresult* result_;
  int row_;
};

}  // namespace

// One libpq connection with its prepared statements. Used by one thread at a time (the pool
// hands it out).
class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }
  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }
  // Whether the last failure was a serialisation failure or a deadlock: PostgreSQL undid the
  // whole transaction, which may simply run again.
  bool must_retry() const { return last_state_ == "40001" || last_state_ == "40P01"; }

  Result<std::int64_t> Run(std::string_view sql, std::span<const Value> params,
                           const RowVisitor& on_row) override {
    if (auto drained = Drain(); !drained) return tl::unexpected(drained.error());
    auto name = Prepare(sql, params.size());
    if (!name) return tl::unexpected(name.error());
    Parameters bound;
    if (auto made = bound.Set(sql, params); !made) return tl::unexpected(made.error());
    ResultPtr result(PQexecPrepared(conn_, name->c_str(), static_cast<int>(params.size()),
                                    bound.values.data(), nullptr, nullptr, 0));
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      return tl::unexpected(Failed(result.get(), sql));
    }
    if (on_row) {
      const int rows = PQntuples(result.get());
      for (int i = 0; i < rows; ++i) {
        if (auto visited = on_row(PostgresRow(result.get(), i)); !visited) {
          return tl::unexpected(visited.error());
        }
      }
    }
    // A SELECT's count is of rows read, not changed (SQLite's driver answers 0 too).
    if (std::string_view(PQcmdStatus(result.get())).starts_with("SELECT")) return 0;
    std::int64_t changed = 0;
    const std::string_view tuples = PQcmdTuples(result.get());
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), changed);
    return changed;
  }

  // Sends the statement in pipeline mode without waiting for its outcome: the queue goes to the
  // server in one round trip, and is read back before the next other statement (Drain).
  Result<void> Queue(std::string_view sql, std::span<const Value> params) override {
    if (queued_.size() >= kQueuedMost || !statements_.contains(std::string(sql))) {
      // Preparing is a round trip of its own, which pipeline mode does not allow.
      if (auto drained = Drain(); !drained) return drained;
    }
    auto name = Prepare(sql, params.size());
    if (!name) return tl::unexpected(name.error());
    Parameters bound;
    if (auto made = bound.Set(sql, params); !made) return made;
    if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) != 1) {
      return tl::unexpected(Failed(nullptr, sql));
    }
    if (PQsendQueryPrepared(conn_, name->c_str(), static_cast<int>(params.size()),
                            bound.values.data(), nullptr, nullptr, 0) != 1) {
      return tl::unexpected(Failed(nullptr, sql));
    }
    queued_.emplace_back(sql);
    return {};
  }

  // Reads the outcome of every queued statement, leaving pipeline mode; the first failure is
  // returned (PostgreSQL skips the rest of the queue after one, and the transaction is over).
  Result<void> Drain() {
    if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF) return {};
    std::optional<Error> failure;
    if (PQpipelineSync(conn_) != 1) {
      failure = Failed(nullptr, "queued statements");
    } else {
      // Each statement's results end with a null; the sync's result ends the queue.
      size_t index = 0;
      while (index <= queued_.size()) {
        ResultPtr result(PQgetResult(conn_));
        if (!result) {
          ++index;
          continue;
        }
        const ExecStatusType status = PQresultStatus(result.get());
        if (status == PGRES_PIPELINE_SYNC) break;
        if (status == PGRES_FATAL_ERROR && !failure) {
          failure = Failed(result.get(), index < queued_.size() ? queued_[index] : "");
        }
      }
    }
    queued_.clear();
    if (PQexitPipelineMode(conn_) != 1 && !failure) failure = Failed(nullptr, "queued statements");
    if (failure) return tl::unexpected(*failure);
    return {};
  }

  // Ends the transaction undone, whatever became of the statements still queued; must_retry()
  // still answers for the failure that ended it.
  Result<void> Rollback() {
    (void)Drain();
    const std::string state = last_state_;
    auto done = Script("ROLLBACK");
    last_state_ = state;
    return done;
  }

  Result<void> Script(std::string_view sql) override {
    if (auto drained = Drain(); !drained) return drained;
    ResultPtr result(PQexec(conn_, std::string(sql).c_str()));
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return tl::unexpected(Failed(result.get(), sql.substr(0, 200)));
    }
    last_state_.clear();
    return {};
  }

 private:
  // At most this many statements wait in the pipeline: their results (a few bytes each) must
  // fit the socket's buffers, or server and client would each wait for the other.
  static constexpr size_t kQueuedMost = 256;

  // A statement's parameters as libpq takes them. libpq reads text-format parameters up to their
  // terminating NUL (lengths count only for binary ones), and a borrowed view has none: each
  // value is copied, terminated. Reserved up front, so the pointers taken stay valid.
  struct Parameters {
    std::vector<std::string> texts;
    std::vector<const char*> values;

    Result<void> Set(std::string_view sql, std::span<const Value> params) {
      if (auto storable = CheckStorable(params, sql); !storable) return storable;
      texts.reserve(params.size());
      values.assign(params.size(), nullptr);
      for (size_t i = 0; i < params.size(); ++i) {
        switch (params[i].kind()) {
          case Value::Kind::kNull:
            break;
          case Value::Kind::kInteger:
            texts.push_back(std::to_string(params[i].integer()));
            values[i] = texts.back().c_str();
            break;
          case Value::Kind::kText:
            texts.emplace_back(params[i].text());
            values[i] = texts.back().c_str();
            break;
        }
      }
      return {};
    }
  };

  Error Failed(const PGresult* result, std::string_view what) {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    last_state_ = state ? state : "";
    return PostgresError(result, conn_, what);
  }

  // The name of `sql`'s prepared statement on this connection, preparing it the first time.
  Result<std::string> Prepare(std::string_view sql, size_t parameters) {
    const std::string key(sql);
    auto found = statements_.find(key);
    if (found != statements_.end()) return found->second;
    const std::string numbered = NumberParameters(sql);
    // A name never used on this connection, even by a statement prepared and then refused.
    std::string name = "s" + std::to_string(++prepared_);
    ResultPtr result(PQprepare(conn_, name.c_str(), numbered.c_str(), 0, nullptr));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return tl::unexpected(Failed(result.get(), sql));
    }
    ResultPtr described(PQdescribePrepared(conn_, name.c_str()));
    if (PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
      return tl::unexpected(Failed(described.get(), sql));
    }
    if (static_cast<size_t>(PQnparams(described.get())) != parameters) {
      return Fail(ErrorCode::kInternal, "wrong number of parameters", std::string(sql));
    }
    statements_.emplace(key, name);
    return name;
  }

  PGconn* conn_;
  std::vector<std::string> queued_;  // sent in pipeline mode, outcome not read yet
  std::unordered_map<std::string, std::string> statements_;
  std::uint64_t prepared_ = 0;  // statements prepared on the server, kept or not
  std::string last_state_;      // SQLSTATE of the last failure
};

namespace {

// The connection each thread is using inside Transact or Read, so that a nested call joins it.
struct Active {
  const PostgresDatabase* database;
  PostgresConnection* connection;
  bool writes;
  Active* outer;
};
thread_local Active* active = nullptr;

}  // namespace

PostgresDatabase::PostgresDatabase(DatabaseOptions options) : options_(std::move(options)) {}

PostgresDatabase::~PostgresDatabase() = default;

Result<std::unique_ptr<Database>> PostgresDatabase::Open(const DatabaseOptions& options) {
  if (options.pool_size < 1) {
    return Fail(ErrorCode::kInvalidArgument, "the database pool needs at least one connection");
  }
  auto database = std::unique_ptr<PostgresDatabase>(new PostgresDatabase(options));
  auto first = database->Connect();
  if (!first) return tl::unexpected(first.error());
  database->open_ = 1;
  database->idle_.push_back(std::move(*first));
  return database;
}

Result<std::unique_ptr<PostgresConnection>> PostgresDatabase::Connect() const {
  // The address's own settings win over these defaults (libpq reads later keywords last, and
  // the expanded dbname comes last).
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "broadsheet", options_.url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, 1);
  if (conn == nullptr) return Fail(ErrorCode::kInternal, "out of memory connecting to PostgreSQL");
  auto connection = std::make_unique<PostgresConnection>(conn);
  if (PQstatus(conn) != CONNECTION_OK) {
    return Fail(ErrorCode::kUnavailable, "cannot connect to PostgreSQL",
                OneLine(PQerrorMessage(conn)));
  }
  // Prepared statements keep one generic plan: the store's queries are key lookups and short
  // ranges whose best plan does not depend on the values, and planning them anew for every
  // execution (PostgreSQL's default for a statement's first five runs, and for good whenever a
  // custom plan looks cheaper) cost more than the query itself on a page render.
  const std::string setup =
      "SET client_encoding = 'UTF8'; SET client_min_messages = warning; "
      "SET statement_timeout = " +
      std::to_string(options_.statement_timeout.count()) +
      "; SET lock_timeout = " + std::to_string(options_.statement_timeout.count()) +
      "; SET idle_in_transaction_session_timeout = 60000"
      "; SET plan_cache_mode = force_generic_plan";
  if (auto done = connection->Script(setup); !done) return tl::unexpected(done.error());
  return connection;
}

Result<std::unique_ptr<PostgresConnection>> PostgresDatabase::Acquire() {
  {
    std::unique_lock lock(mutex_);
    const bool ready = released_.wait_for(lock, options_.acquire_timeout, [&] {
      return !idle_.empty() || open_ < options_.pool_size;
    });
    if (!ready) {
      return Fail(ErrorCode::kBusy, "The database is busy, so nothing was saved.",
                  "no free connection in the pool");
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    if (connect_error_ &&
        std::chrono::steady_clock::now() - connect_failed_at_ < std::chrono::seconds(1)) {
      return tl::unexpected(*connect_error_);
    }
    ++open_;  // reserved; connecting happens outside the lock
  }
  auto connection = Connect();
  std::lock_guard lock(mutex_);
  if (!connection) {
    --open_;
    connect_failed_at_ = std::chrono::steady_clock::now();
    connect_error_ = connection.error();
    released_.notify_one();
  } else {
    connect_error_.reset();
  }
  return connection;
}

void PostgresDatabase::Release(std::unique_ptr<PostgresConnection> connection) {
  const bool keep = !connection->broken();
  if (!keep) connection.reset();  // closed outside the lock
  std::lock_guard lock(mutex_);
  if (keep) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
  released_.notify_one();
}

Result<void> PostgresDatabase::RunTransaction(PostgresConnection& connection, Mode mode,
                                              const std::function<Result<void>(Connection&)>& work,
                                              bool& begun) {
  const char* begin =
      mode == Mode::kTally
          ? "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = off"
      : mode == Mode::kClaim ? "BEGIN ISOLATION LEVEL READ COMMITTED"
      : Writes(mode)         ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                             : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  begun = false;
  if (auto started = connection.Script(begin); !started) return started;
  begun = true;
  Active frame{this, &connection, Writes(mode), active};
  active = &frame;
  auto result = work(connection);
  active = frame.outer;
  if (!result) {
    if (!connection.broken()) (void)connection.Rollback();
    return result;
  }
  if (auto committed = connection.Script("COMMIT"); !committed) {
    if (!connection.broken()) (void)connection.Rollback();
    return committed;
  }
  return {};
}

Result<void> PostgresDatabase::Maintain(std::string_view sql) {
  for (Active* frame = active; frame != nullptr; frame = frame->outer) {
    if (frame->database == this) {
      return Fail(ErrorCode::kInternal, "maintenance inside a transaction");
    }
  }
  auto connection = Acquire();
  if (!connection) return tl::unexpected(connection.error());
  auto done = (*connection)->Script(sql);
  Release(std::move(*connection));
  return done;
}

Result<void> PostgresDatabase::WithConnection(
    Mode mode, const std::function<Result<void>(Connection&)>& work) {
  for (Active* frame = active; frame != nullptr; frame = frame->outer) {
    if (frame->database != this) continue;
    if (Writes(mode) && !frame->writes) break;  // its own transaction, below
    return work(*frame->connection);
  }
  Result<void> result;
  for (int attempt = 1; attempt <= kTransactionAttempts; ++attempt) {
    auto connection = Acquire();
    if (!connection) return tl::unexpected(connection.error());
    bool begun = false;
    result = RunTransaction(**connection, mode, work, begun);
    const bool broken = (*connection)->broken();
    const bool must_retry = (*connection)->must_retry();
    Release(std::move(*connection));
    if (result) return result;
    // An idle connection the server closed fails at BEGIN, before any work: a fresh one may
    // succeed. (A connection lost later is not retried: its COMMIT may have landed.) A
    // serialisation failure or deadlock undid everything: the work may run again.
    if (!(broken && !begun) &&
        !(must_retry && (mode == Mode::kWrite || mode == Mode::kTally || mode == Mode::kClaim)))
      return result;
    if (must_retry && attempt < kTransactionAttempts) {
      thread_local std::minstd_rand random(std::random_device{}());
      const int most = 1 << std::min(attempt + 1, 6);
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, most * 1000)(random)));
    }
  }
  return result;
}

}  // namespace broadsheet::storage
