// What the database seam costs per statement, beside the raw drivers and SOCI (libsoci-dev), on
// SQLite and on PostgreSQL: the measurement behind storage/database.h's choice (docs/BENCHMARKS.md,
// "The database seam"). Two statements the store runs most, each in its own transaction as the
// store runs them: a point read of one row by key, and an insert. The contenders take turns
// (one batch each, five times over), so a busy moment hurts them alike; the median batch is
// printed in microseconds per call.
//
//   bench_db_seam SQLITE_FILE [POSTGRES_URL]
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>  // includes <sqlite3.h> inside namespace sqlite_api

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "storage/database.h"

using namespace sqlite_api;  // NOLINT: SOCI's sqlite3 backend declares the C API in there

namespace {

using broadsheet::storage::Connection;
using broadsheet::storage::Database;
using broadsheet::storage::DatabaseOptions;
using broadsheet::storage::Row;

constexpr int kRows = 10'000;
constexpr int kReads = 20'000;   // per batch
constexpr int kInserts = 1'000;  // per batch: each commit waits for the disk
constexpr int kBatches = 5;

struct Contender {
  const char* name;
  std::function<void(int)> call;
  std::vector<double> batches = {};  // microseconds per call
};

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bench_db_seam: %s failed\n", what);
    std::exit(1);
  }
}

// Runs the contenders in turns and prints each one's median batch.
void Compare(const char* database, const char* statement, int calls,
             std::vector<Contender> contenders) {
  int next = 0;
  for (int batch = 0; batch < kBatches; ++batch) {
    for (auto& contender : contenders) {
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < calls; ++i) contender.call(next++);
      const std::chrono::duration<double, std::micro> spent =
          std::chrono::steady_clock::now() - start;
      contender.batches.push_back(spent.count() / calls);
    }
  }
  for (auto& contender : contenders) {
    std::sort(contender.batches.begin(), contender.batches.end());
    std::printf("%-10s  %-12s  %-30s  %8.2f us/call\n", database, statement, contender.name,
                contender.batches[kBatches / 2]);
  }
}

int Key(int i) { return static_cast<int>((std::int64_t{i} * 7919) % kRows) + 1; }
int NewKey(int i) { return kRows + 1 + i; }

// Creates and fills bench_notes through the seam.
void Fill(Database& database) {
  Check(database
            .Transact([](Connection& c) -> broadsheet::Result<void> {
              if (auto done =
                      c.Script("DROP TABLE IF EXISTS bench_notes; CREATE TABLE bench_notes (id "
                               "BIGINT PRIMARY KEY, slug TEXT NOT NULL, body TEXT NOT NULL)");
                  !done) {
                return done;
              }
              for (int i = 1; i <= kRows; ++i) {
                auto done = c.Exec("INSERT INTO bench_notes (id, slug, body) VALUES (?, ?, ?)", i,
                                   "note-" + std::to_string(i), std::string(400, 'x'));
                if (!done) return tl::unexpected(done.error());
              }
              return {};
            })
            .has_value(),
        "fill");
}

Contender SeamRead(Database& database) {
  return {"seam (storage/database.h)", [&database](int i) {
            auto found = database.Read([&](Connection& c) {
              return c.One(
                  "SELECT id, slug, body FROM bench_notes WHERE id = ?",
                  [](const Row& row) { return row.Text(1); }, Key(i));
            });
            Check(found && found->has_value(), "seam read");
          }};
}

Contender SeamInsert(Database& database) {
  return {"seam (storage/database.h)", [&database](int i) {
            auto done = database.Transact([&](Connection& c) {
              return c.Exec("INSERT INTO bench_notes (id, slug, body) VALUES (?, ?, ?)", NewKey(i),
                            "n", "body");
            });
            Check(done.has_value(), "seam insert");
          }};
}

// SOCI as its documentation shows it: prepared statements with use/into, reused.
struct SociStatements {
  explicit SociStatements(soci::session& sql)
      : read((sql.prepare << "SELECT id, slug, body FROM bench_notes WHERE id = :id",
              soci::into(id), soci::into(slug), soci::into(body), soci::use(key, "id"))),
        insert((sql.prepare << "INSERT INTO bench_notes (id, slug, body) VALUES (:id, 'n', "
                               "'body')",
                soci::use(key, "id"))) {}
  long long key = 0;
  long long id = 0;
  std::string slug;
  std::string body;
  soci::statement read;
  soci::statement insert;
};

Contender SociRead(soci::session& sql, SociStatements& statements) {
  return {"SOCI 4.0, prepared statement", [&](int i) {
            soci::transaction transaction(sql);
            statements.key = Key(i);
            Check(statements.read.execute(true), "soci read");
            transaction.commit();
          }};
}

Contender SociInsert(soci::session& sql, SociStatements& statements) {
  return {"SOCI 4.0, prepared statement", [&](int i) {
            soci::transaction transaction(sql);
            statements.key = NewKey(i);
            statements.insert.execute(true);
            transaction.commit();
          }};
}

void Sqlite(const std::string& path) {
  std::remove(path.c_str());
  DatabaseOptions options;
  options.url = path;
  options.create = true;
  auto database = Database::Open(options);
  Check(database.has_value(), "open sqlite");
  Fill(**database);

  sqlite3* db = nullptr;
  Check(sqlite3_open(path.c_str(), &db) == SQLITE_OK, "sqlite open");
  sqlite3_exec(db, "PRAGMA synchronous = FULL; PRAGMA mmap_size = 268435456", nullptr, nullptr,
               nullptr);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* read = nullptr;
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* begin_immediate = nullptr;
  sqlite3_stmt* commit = nullptr;
  sqlite3_prepare_v2(db, "SELECT id, slug, body FROM bench_notes WHERE id = ?", -1, &read, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO bench_notes (id, slug, body) VALUES (?, 'n', 'body')", -1,
                     &insert, nullptr);
  sqlite3_prepare_v2(db, "BEGIN", -1, &begin, nullptr);
  sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin_immediate, nullptr);
  sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr);
  auto step = [](sqlite3_stmt* stmt) {
    const int code = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return code;
  };
  Contender raw_read{
      "raw sqlite3 (reference)", [&](int i) {
        step(begin);
        sqlite3_bind_int64(read, 1, Key(i));
        Check(sqlite3_step(read) == SQLITE_ROW, "raw read");
        std::string slug(reinterpret_cast<const char*>(sqlite3_column_text(read, 1)));
        sqlite3_reset(read);
        step(commit);
      }};
  Contender raw_insert{"raw sqlite3 (reference)", [&](int i) {
                         step(begin_immediate);
                         sqlite3_bind_int64(insert, 1, 1'000'000 + NewKey(i));
                         Check(step(insert) == SQLITE_DONE, "raw insert");
                         step(commit);
                       }};
  soci::session sql(*soci::factory_sqlite3(), path);
  sql << "PRAGMA synchronous = FULL";
  sql << "PRAGMA busy_timeout = 5000";
  SociStatements statements(sql);
  // Inserts on a session of their own: SOCI leaves its read statement open after a fetch, and
  // the snapshot it holds could never be upgraded to a write.
  soci::session writer(*soci::factory_sqlite3(), path);
  writer << "PRAGMA synchronous = FULL";
  writer << "PRAGMA busy_timeout = 5000";
  SociStatements writer_statements(writer);
  auto soci_insert = SociInsert(writer, writer_statements);
  soci_insert.call = [&, inner = soci_insert.call](int i) { inner(2'000'000 + i); };

  Compare("sqlite", "point read", kReads,
          {SeamRead(**database), raw_read, SociRead(sql, statements)});
  Compare("sqlite", "insert", kInserts, {SeamInsert(**database), raw_insert, soci_insert});
  for (auto* stmt : {read, insert, begin, begin_immediate, commit}) sqlite3_finalize(stmt);
  sqlite3_close(db);
}

void Postgres(const std::string& url) {
  DatabaseOptions options;
  options.url = url;
  auto database = Database::Open(options);
  Check(database.has_value(), "open postgresql");
  Fill(**database);

  PGconn* conn = PQconnectdb(url.c_str());
  Check(PQstatus(conn) == CONNECTION_OK, "libpq connect");
  PQclear(
      PQprepare(conn, "read", "SELECT id, slug, body FROM bench_notes WHERE id = $1", 0, nullptr));
  PQclear(PQprepare(conn, "insert",
                    "INSERT INTO bench_notes (id, slug, body) VALUES ($1, 'n', 'body')", 0,
                    nullptr));
  auto exec = [&](const char* name, int key) {
    const std::string text = std::to_string(key);
    const char* values[] = {text.c_str()};
    PGresult* result = PQexecPrepared(conn, name, 1, values, nullptr, nullptr, 0);
    const bool ok = PQresultStatus(result) == PGRES_TUPLES_OK
                        ? PQntuples(result) == 1
                        : PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    return ok;
  };
  Contender raw_read{"raw libpq (reference)", [&](int i) {
                       PQclear(PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
                       Check(exec("read", Key(i)), "libpq read");
                       PQclear(PQexec(conn, "COMMIT"));
                     }};
  Contender raw_insert{"raw libpq (reference)", [&](int i) {
                         PQclear(PQexec(conn, "BEGIN ISOLATION LEVEL SERIALIZABLE"));
                         Check(exec("insert", 1'000'000 + NewKey(i)), "libpq insert");
                         PQclear(PQexec(conn, "COMMIT"));
                       }};
  soci::session sql(*soci::factory_postgresql(), url);
  SociStatements statements(sql);
  auto soci_insert = SociInsert(sql, statements);
  soci_insert.call = [&, inner = soci_insert.call](int i) { inner(2'000'000 + i); };

  Compare("postgresql", "point read", kReads,
          {SeamRead(**database), raw_read, SociRead(sql, statements)});
  Compare("postgresql", "insert", kInserts, {SeamInsert(**database), raw_insert, soci_insert});
  PQfinish(conn);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_db_seam SQLITE_FILE [POSTGRES_URL]\n");
    return 2;
  }
  std::printf("database    statement     contender                       median of %d batches\n",
              kBatches);
  try {
    Sqlite(argv[1]);
    if (argc > 2) Postgres(argv[2]);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_db_seam: %s\n", error.what());
    return 1;
  }
  return 0;
}
