// The database seam on both drivers: every test runs on SQLite (in memory) and on PostgreSQL
// (a fresh database in the throwaway cluster ctest starts; see tests/postgres/cluster.sh).
#include "storage/database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <stdexcept>
#include <thread>
#include <vector>

#include "storage/test_databases.h"

namespace broadsheet::storage {
namespace {

class DatabaseTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    auto opened = test::OpenEmptyDatabase(GetParam(), options_);
    if (!opened) GTEST_SKIP() << opened.error().message;
    database_ = std::move(*opened);
    ASSERT_TRUE(database_->Transact([](Connection& c) {
      return c.Script(
          "CREATE TABLE notes (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, body TEXT, "
          "hits INTEGER NOT NULL DEFAULT 0)");
    }));
  }

  struct Note {
    std::int64_t id;
    std::string slug;
    std::optional<std::string> body;
  };
  static Note ReadNote(const Row& row) { return {row.Int(0), row.Text(1), row.OptionalText(2)}; }

  DatabaseOptions options_;
  std::unique_ptr<Database> database_;
};

TEST_P(DatabaseTest, WritesAndReadsBackEveryKindOfValue) {
  const std::string body = "it's \"quoted\" -- not a comment; /* nor this */ ? ünïcødé";
  auto inserted = database_->Transact([&](Connection& c) {
    return c.Exec("INSERT INTO notes (id, slug, body) VALUES (?, ?, ?)", 1, "first", body);
  });
  ASSERT_TRUE(inserted) << Describe(inserted.error());
  EXPECT_EQ(*inserted, 1);
  ASSERT_TRUE(database_->Transact([&](Connection& c) {
    return c.Exec("INSERT INTO notes (id, slug, body) VALUES (?, ?, ?)", 2, "second",
                  std::optional<std::string>());
  }));
  auto notes = database_->Read([&](Connection& c) {
    return c.All("SELECT id, slug, body FROM notes ORDER BY id", ReadNote);
  });
  ASSERT_TRUE(notes) << Describe(notes.error());
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ((*notes)[0].body, body);
  EXPECT_EQ((*notes)[1].slug, "second");
  EXPECT_FALSE((*notes)[1].body.has_value());

  auto one = database_->Read([&](Connection& c) {
    return c.One("SELECT id, slug, body FROM notes WHERE slug = ?", ReadNote, "second");
  });
  ASSERT_TRUE(one);
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->id, 2);
  auto none = database_->Read([&](Connection& c) {
    return c.One("SELECT id, slug, body FROM notes WHERE slug = ?", ReadNote, "third");
  });
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto big = database_->Read([](Connection& c) {
    return c.Integer("SELECT CAST(? AS BIGINT) + 1", std::int64_t{9'000'000'000'000'000'000});
  });
  ASSERT_TRUE(big) << Describe(big.error());
  EXPECT_EQ(*big, std::int64_t{9'000'000'000'000'000'001});
}

TEST_P(DatabaseTest, APartOfAStringIsStoredAsThatPart) {
  const std::string whole = "first-part and the rest";
  const std::string_view part = std::string_view(whole).substr(0, 10);  // no NUL after it
  auto stored = database_->Transact([&](Connection& c) {
    return c.Exec("INSERT INTO notes(id, slug, body) VALUES (1, ?, ?)", part, part);
  });
  ASSERT_TRUE(stored) << Describe(stored.error());
  auto body = database_->Read([](Connection& c) {
    return c.One("SELECT body FROM notes", [](const Row& row) { return row.Text(0); });
  });
  ASSERT_TRUE(body && *body);
  EXPECT_EQ(**body, "first-part");
}

TEST_P(DatabaseTest, CountsChangedRowsNotRowsRead) {
  ASSERT_TRUE(database_->Transact([](Connection& c) -> Result<void> {
    for (int i = 1; i <= 3; ++i) {
      if (auto done =
              c.Exec("INSERT INTO notes (id, slug) VALUES (?, ?)", i, "n" + std::to_string(i));
          !done) {
        return tl::unexpected(done.error());
      }
    }
    return {};
  }));
  auto changed = database_->Transact(
      [](Connection& c) { return c.Exec("UPDATE notes SET hits = hits + 1 WHERE id > ?", 1); });
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 2);
  auto read = database_->Read([](Connection& c) { return c.Exec("SELECT id FROM notes"); });
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, 0);
}

TEST_P(DatabaseTest, AFailedTransactionLeavesNothing) {
  auto failed = database_->Transact([](Connection& c) -> Result<void> {
    if (auto done = c.Exec("INSERT INTO notes (id, slug) VALUES (?, ?)", 1, "kept?"); !done) {
      return tl::unexpected(done.error());
    }
    return Fail(ErrorCode::kInvalidArgument, "the caller changed its mind");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalidArgument);
  auto count =
      database_->Read([](Connection& c) { return c.Integer("SELECT count(*) FROM notes"); });
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0);
}

// PostgreSQL's text cannot hold a NUL byte; SQLite's could, but refuses it too, so that a site
// behaves the same on either, queued or not.
TEST_P(DatabaseTest, TextWithANulByteIsRefusedOnBoth) {
  const std::string with_nul("a\0b", 3);
  auto direct = database_->Transact([&](Connection& c) -> Result<void> {
    auto done = c.Exec("INSERT INTO notes (id, slug) VALUES (?, ?)", 1, with_nul);
    if (!done) return tl::unexpected(done.error());
    return {};
  });
  ASSERT_FALSE(direct);
  EXPECT_EQ(direct.error().code, ErrorCode::kInvalidArgument);
  auto queued = database_->Transact([&](Connection& c) -> Result<void> {
    if (auto done = c.Later("INSERT INTO notes (id, slug) VALUES (?, ?)", 2, with_nul); !done)
      return tl::unexpected(done.error());
    return {};
  });
  ASSERT_FALSE(queued);
  EXPECT_EQ(queued.error().code, ErrorCode::kInvalidArgument);
  auto count =
      database_->Read([](Connection& c) { return c.Integer("SELECT count(*) FROM notes"); });
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0);
}

TEST_P(DatabaseTest, ADuplicateIsAConflictAndTheTransactionIsUndone) {
  auto duplicate = database_->Transact([](Connection& c) -> Result<void> {
    if (auto done = c.Exec("INSERT INTO notes (id, slug) VALUES (1, 'a')"); !done) {
      return tl::unexpected(done.error());
    }
    auto again = c.Exec("INSERT INTO notes (id, slug) VALUES (2, 'a')");
    if (!again) return tl::unexpected(again.error());
    return {};
  });
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  auto count =
      database_->Read([](Connection& c) { return c.Integer("SELECT count(*) FROM notes"); });
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0);
}

TEST_P(DatabaseTest, NestedCallsJoinTheOuterTransaction) {
  auto outer = database_->Transact([&](Connection& c) -> Result<void> {
    if (auto done = c.Exec("INSERT INTO notes (id, slug) VALUES (1, 'outer')"); !done) {
      return tl::unexpected(done.error());
    }
    // The inner write and read see the outer's uncommitted row: one transaction.
    auto inner = database_->Transact([](Connection& inner) {
      return inner.Exec("UPDATE notes SET hits = 5 WHERE slug = 'outer'");
    });
    if (!inner) return tl::unexpected(inner.error());
    EXPECT_EQ(*inner, 1);
    return Fail(ErrorCode::kInvalidArgument, "undo both");
  });
  ASSERT_FALSE(outer);
  auto count =
      database_->Read([](Connection& c) { return c.Integer("SELECT count(*) FROM notes"); });
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0);
}

TEST_P(DatabaseTest, AWriteInsideAReadCommitsOnItsOwn) {
  // On SQLite, a file: in memory the read holds the one connection, and the write joins it.
  Database* database = database_.get();
  std::unique_ptr<Database> file;
  std::filesystem::path folder;
  if (GetParam() == Dialect::kSqlite) {
    folder = std::filesystem::temp_directory_path() /
             ("broadsheet-database-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(folder);
    DatabaseOptions options;
    options.url = (folder / "site.db").string();
    options.create = true;
    auto opened = Database::Open(options);
    ASSERT_TRUE(opened) << Describe(opened.error());
    file = std::move(*opened);
    database = file.get();
    ASSERT_TRUE(database->Transact([](Connection& c) {
      return c.Script("CREATE TABLE notes (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE)");
    }));
  }
  auto read = database->Read([&](Connection& outer) -> Result<void> {
    EXPECT_EQ(*outer.Integer("SELECT count(*) FROM notes"), 0);
    auto wrote = database->Transact(
        [](Connection& c) { return c.Exec("INSERT INTO notes (id, slug) VALUES (1, 'x')"); });
    if (!wrote) return tl::unexpected(wrote.error());
    EXPECT_EQ(*outer.Integer("SELECT count(*) FROM notes"), 0);  // the read's snapshot
    return Fail(ErrorCode::kInvalidArgument, "the read ends in an error");
  });
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kInvalidArgument);
  // The write committed when it returned, whatever became of the read around it.
  EXPECT_EQ(*database->Read([](Connection& c) { return c.Integer("SELECT count(*) FROM notes"); }),
            1);
  file.reset();
  if (!folder.empty()) std::filesystem::remove_all(folder);
}

TEST_P(DatabaseTest, QueuedStatementsRunBeforeTheNextOneAndFailTheirTransaction) {
  // Many more than one round trip's worth, then a read that must see them all.
  auto written = database_->Transact([](Connection& c) -> Result<std::optional<std::int64_t>> {
    for (int i = 1; i <= 600; ++i) {
      if (auto queued =
              c.Later("INSERT INTO notes (id, slug) VALUES (?, ?)", i, "n" + std::to_string(i));
          !queued) {
        return tl::unexpected(queued.error());
      }
    }
    return c.Integer("SELECT count(*) FROM notes");
  });
  ASSERT_TRUE(written) << Describe(written.error());
  EXPECT_EQ(*written, 600);

  // A queued statement that fails: its error comes with the commit (or sooner), and the whole
  // transaction is undone.
  auto failed = database_->Transact([](Connection& c) -> Result<void> {
    if (auto queued = c.Later("INSERT INTO notes (id, slug) VALUES (700, 'new')"); !queued)
      return queued;
    if (auto queued = c.Later("INSERT INTO notes (id, slug) VALUES (701, 'n1')"); !queued)
      return queued;  // a taken slug
    return c.Later("INSERT INTO notes (id, slug) VALUES (702, 'after')");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kConflict);
  EXPECT_EQ(*database_->Read([](Connection& c) {
    return c.Integer("SELECT count(*) FROM notes WHERE id >= 700");
  }),
            0);
  // The connection is clean again for the next transaction.
  EXPECT_TRUE(database_->Transact(
      [](Connection& c) { return c.Exec("INSERT INTO notes (id, slug) VALUES (703, 'next')"); }));

  // Work that fails on its own, with statements still queued: undone too.
  auto abandoned = database_->Transact([](Connection& c) -> Result<void> {
    if (auto queued = c.Later("INSERT INTO notes (id, slug) VALUES (704, 'gone')"); !queued)
      return queued;
    return Fail(ErrorCode::kInvalidArgument, "changed my mind");
  });
  ASSERT_FALSE(abandoned);
  EXPECT_EQ(abandoned.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(*database_->Read([](Connection& c) {
    return c.Integer("SELECT count(*) FROM notes WHERE id = 704");
  }),
            0);
}

// Two transactions read the same row, then both change it: PostgreSQL undoes the second as a
// serialisation failure. Transact runs it again (and it then succeeds); TransactOnce answers kBusy.
TEST_P(DatabaseTest, ALostRaceRunsAgainUnlessAskedToRunOnce) {
  if (GetParam() == Dialect::kSqlite) {
    GTEST_SKIP() << "SQLite serialises write transactions from their start: no race is lost";
  }
  ASSERT_TRUE(database_->Transact([](Connection& c) {
    return c.Exec("INSERT INTO notes (id, slug, hits) VALUES (1, 'x', 0)");
  }));
  for (const bool once : {false, true}) {
    std::latch both_read(2);
    std::atomic<int> runs = 0;
    auto bump = [&](Connection& c) -> Result<std::int64_t> {
      ++runs;
      auto hits = c.Integer("SELECT hits FROM notes WHERE id = 1");
      if (!hits) return tl::unexpected(hits.error());
      // At once on a second run: the latch is open by then. Bounded, so a failure is reported.
      if (!both_read.try_wait()) both_read.count_down();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!both_read.try_wait()) {
        if (std::chrono::steady_clock::now() > deadline)
          return Fail(ErrorCode::kInternal, "no race");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return c.Exec("UPDATE notes SET hits = ? WHERE id = 1", **hits + 1);
    };
    std::vector<Result<std::int64_t>> results(2, Result<std::int64_t>(0));
    {
      std::vector<std::jthread> racers;
      for (int i = 0; i < 2; ++i) {
        racers.emplace_back([&, i] {
          results[i] = once ? database_->TransactOnce(bump) : database_->Transact(bump);
        });
      }
    }
    const int succeeded = static_cast<int>(results[0].has_value()) + results[1].has_value();
    if (once) {
      EXPECT_EQ(succeeded, 1);
      EXPECT_EQ(runs.load(), 2);
      const auto& lost = results[0] ? results[1] : results[0];
      ASSERT_FALSE(lost);
      EXPECT_EQ(lost.error().code, ErrorCode::kBusy);
    } else {
      EXPECT_EQ(succeeded, 2);
      EXPECT_EQ(runs.load(), 3);  // the loser ran again
    }
  }
  // 0 + 2 (both of the first round) + 1 (the winner of the second).
  EXPECT_EQ(*database_->Read(
                [](Connection& c) { return c.Integer("SELECT hits FROM notes WHERE id = 1"); }),
            3);
}

// A tally's commit does not wait for the disk: on SQLite synchronous=NORMAL is set around it,
// and must be put back however the tally ends, or every later write would be as lazy.
TEST_P(DatabaseTest, ATallyThatThrowsLeavesLaterWritesDurable) {
  if (GetParam() != Dialect::kSqlite)
    GTEST_SKIP() << "PostgreSQL's SET LOCAL synchronous_commit ends with its transaction";
  auto level = [&] {
    return database_->Read([](Connection& c) { return c.Integer("PRAGMA synchronous"); });
  };
  ASSERT_EQ(level()->value_or(-1), 2);  // FULL
  EXPECT_THROW((void)database_->Tally([](Connection& c) -> Result<void> {
    if (auto hit = c.Exec("UPDATE notes SET hits = hits + 1"); !hit)
      return tl::unexpected(hit.error());
    throw std::runtime_error("the work broke");
  }),
               std::runtime_error);
  EXPECT_EQ(level()->value_or(-1), 2);
  auto failed = database_->Tally(
      [](Connection&) -> Result<void> { return Fail(ErrorCode::kInternal, "no"); });
  EXPECT_FALSE(failed);
  EXPECT_EQ(level()->value_or(-1), 2);
}

TEST_P(DatabaseTest, AWrongNumberOfParametersIsABugNotAQuery) {
  auto wrong = database_->Read(
      [](Connection& c) { return c.Integer("SELECT count(*) FROM notes WHERE id = ?"); });
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInternal);
}

// Read-then-write from several threads: no increment is lost (SQLite serialises writers;
// PostgreSQL's serializable transactions abort one of two that raced, and the driver runs it
// again).
TEST_P(DatabaseTest, ConcurrentReadModifyWritesLoseNothing) {
  ASSERT_TRUE(database_->Transact(
      [](Connection& c) { return c.Exec("INSERT INTO notes (id, slug) VALUES (1, 'counter')"); }));
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto done = database_->Transact([](Connection& c) -> Result<std::int64_t> {
          auto hits = c.Integer("SELECT hits FROM notes WHERE id = 1");
          if (!hits) return tl::unexpected(hits.error());
          return c.Exec("UPDATE notes SET hits = ? WHERE id = 1", hits->value_or(0) + 1);
        });
        if (!done) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto hits = database_->Read([](Connection& c) { return c.Integer("SELECT hits FROM notes"); });
  ASSERT_TRUE(hits);
  // A transaction that still lost after its retries says so; none may vanish silently.
  EXPECT_EQ(**hits + failures.load(), kThreads * kEach);
}

INSTANTIATE_TEST_SUITE_P(BothDrivers, DatabaseTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         [](const auto& info) { return std::string(DialectName(info.param)); });

TEST(NumberParameters, NumbersOnlyRealParameters) {
  EXPECT_EQ(NumberParameters("SELECT ? , ?"), "SELECT $1 , $2");
  EXPECT_EQ(NumberParameters("SELECT '?', \"a?\", ? -- ?\n, ? /* ? */ , ?"),
            "SELECT '?', \"a?\", $1 -- ?\n, $2 /* ? */ , $3");
  EXPECT_EQ(NumberParameters("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
  EXPECT_EQ(NumberParameters("SELECT 'unterminated ?"), "SELECT 'unterminated ?");
}

// PostgreSQL only: what an operator meets when the server misbehaves.
class PostgresOnly : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.pool_size = 1;
    options_.acquire_timeout = std::chrono::milliseconds(200);
    options_.statement_timeout = std::chrono::milliseconds(300);
    auto opened = test::OpenEmptyDatabase(Dialect::kPostgres, options_);
    if (!opened) GTEST_SKIP() << opened.error().message;
    database_ = std::move(*opened);
  }
  DatabaseOptions options_;
  std::unique_ptr<Database> database_;
};

TEST_F(PostgresOnly, AnUnreachableServerIsUnavailable) {
  DatabaseOptions options;
  options.url = "postgresql://broadsheet@/postgres?host=/nonexistent-broadsheet-socket";
  auto opened = Database::Open(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kUnavailable);
}

TEST_F(PostgresOnly, ASlowStatementIsStoppedAsBusy) {
  auto slow = database_->Read([](Connection& c) { return c.Exec("SELECT pg_sleep(5)"); });
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kBusy);
  auto after = database_->Read([](Connection& c) { return c.Integer("SELECT 1"); });
  ASSERT_TRUE(after) << Describe(after.error());
}

TEST_F(PostgresOnly, AFullPoolAnswersBusyInsteadOfWaitingForever) {
  std::atomic<bool> holding = false;
  std::atomic<bool> release = false;
  std::thread holder([&] {
    (void)database_->Read([&](Connection&) -> Result<void> {
      holding = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return {};
    });
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto waited = database_->Read([](Connection& c) { return c.Integer("SELECT 1"); });
  release = true;
  holder.join();
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code, ErrorCode::kBusy);
}

TEST_F(PostgresOnly, ALostConnectionIsReplacedOnTheNextCall) {
  auto pid = database_->Read([](Connection& c) { return c.Integer("SELECT pg_backend_pid()"); });
  ASSERT_TRUE(pid && *pid);
  // Another session ends this pool's only connection, as a server restart would.
  auto admin = test::OpenAdminDatabase();
  ASSERT_TRUE(admin) << Describe(admin.error());
  ASSERT_TRUE((*admin)->Read(
      [&](Connection& c) { return c.Exec("SELECT pg_terminate_backend(?::integer)", **pid); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto again = database_->Read([](Connection& c) { return c.Integer("SELECT pg_backend_pid()"); });
  ASSERT_TRUE(again) << Describe(again.error());
  EXPECT_NE(**again, **pid);
}

// SQLite only, on a file: what a site meets when another process (a `broadsheet` command such
// as an import) holds the write lock. That process is played by a second Database on the same file.
class SqliteFile : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter = 0;
    directory_ = std::filesystem::temp_directory_path() /
                 ("broadsheet-db-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    std::filesystem::create_directories(directory_);
    options_.url = (directory_ / "site.db").string();
    options_.create = true;
    options_.statement_timeout = kTimeout;
    auto opened = Database::Open(options_);
    ASSERT_TRUE(opened) << Describe(opened.error());
    database_ = std::move(*opened);
    ASSERT_TRUE(database_->Transact([](Connection& c) {
      return c.Script("CREATE TABLE notes (id INTEGER PRIMARY KEY, slug TEXT NOT NULL)");
    }));
  }
  void TearDown() override {
    database_.reset();
    std::filesystem::remove_all(directory_);
  }

  static constexpr std::chrono::milliseconds kTimeout{1500};
  std::filesystem::path directory_;
  DatabaseOptions options_;
  std::unique_ptr<Database> database_;
};

TEST_F(SqliteFile, AWriteWaitingForTheLockHoldsUpNeitherReadersNorTheNextWriterPastItsTime) {
  auto other = Database::Open(options_);
  ASSERT_TRUE(other) << Describe(other.error());
  std::atomic<bool> holding = false;
  std::atomic<bool> release = false;
  std::thread holder([&] {
    (void)(*other)->Transact([&](Connection& c) -> Result<void> {
      if (auto done = c.Exec("INSERT INTO notes (slug) VALUES ('other')"); !done) {
        return tl::unexpected(done.error());
      }
      holding = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return {};
    });
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  std::atomic<bool> first_done = false;
  Result<std::int64_t> first = 0;
  std::thread writer([&] {
    first = database_->Transact(
        [](Connection& c) { return c.Exec("INSERT INTO notes (slug) VALUES ('first')"); });
    first_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the first write is waiting

  auto count =
      database_->Read([](Connection& c) { return c.Integer("SELECT count(*) FROM notes"); });
  const bool read_while_waiting = !first_done;
  // A second write waits for the first, then for the lock, within one timeout in all.
  const auto started = std::chrono::steady_clock::now();
  auto second = database_->Transact(
      [](Connection& c) { return c.Exec("INSERT INTO notes (slug) VALUES ('second')"); });
  const auto waited = std::chrono::steady_clock::now() - started;
  writer.join();
  release = true;
  holder.join();

  ASSERT_TRUE(count) << Describe(count.error());
  EXPECT_EQ(**count, 0);  // the other process's row is not committed yet
  EXPECT_TRUE(read_while_waiting);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kBusy);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kBusy);
  EXPECT_LT(waited, kTimeout + std::chrono::milliseconds(700));
  auto after = database_->Transact(
      [](Connection& c) { return c.Exec("INSERT INTO notes (slug) VALUES ('after')"); });
  ASSERT_TRUE(after) << Describe(after.error());
}

TEST_F(SqliteFile, AReadSeesWhatTheLastWriteCommitted) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(database_->Transact(
        [&](Connection& c) { return c.Exec("INSERT INTO notes (slug) VALUES (?)", i); }));
    auto count =
        database_->Read([](Connection& c) { return c.Integer("SELECT count(*) FROM notes"); });
    ASSERT_TRUE(count);
    EXPECT_EQ(**count, i + 1);
  }
}

TEST_F(SqliteFile, ReadConnectionsRefuseToWrite) {
  // A write disguised as a read fails instead of slipping past the write lock.
  auto sneaked = database_->Read(
      [](Connection& c) { return c.Exec("INSERT INTO notes (slug) VALUES ('sneaked')"); });
  ASSERT_FALSE(sneaked);
}

}  // namespace
}  // namespace broadsheet::storage
