// Stores for the unit suites that run on both databases: each test gets a new, empty store,
// SQLite in memory or a new database in the PostgreSQL cluster ctest starts (tests/postgres).
// Such a suite is a TestWithParam<storage::Dialect> instantiated with kBothDatabases.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "storage/sql_store.h"
#include "storage/test_databases.h"
#include "test_util.h"

namespace broadsheet::test {

// `sqlite_url` is where SQLite's store lives: in memory unless a test needs the site's database
// in a file (the search index lives beside it); PostgreSQL ignores it.
inline Result<std::unique_ptr<SqlStore>> OpenEmptyStore(
    storage::Dialect dialect, const std::string& sqlite_url = ":memory:") {
  std::string url = sqlite_url;
  if (dialect == storage::Dialect::kPostgres) {
    auto made = storage::test::EmptyPostgresUrl();
    if (!made) return tl::unexpected(made.error());
    url = *made;
  }
  return SqlStore::Open({url, true});
}

// Where several stores open one database, as several processes or nodes would: a SQLite file in
// `dir`, or a new database in the PostgreSQL cluster.
inline Result<std::string> SharedDatabaseUrl(storage::Dialect dialect, const std::string& dir) {
  if (dialect == storage::Dialect::kPostgres) return storage::test::EmptyPostgresUrl();
  return dir + "/site.db";
}

// Two stores on one database, as two nodes (or a server and a command) have: the fixture of the
// suites about work several processes share (claims, the outboxes, the newsletter's senders,
// shared state). SetUp opens `a_` and `b_` on `url_`, a SQLite file in a folder of the test's
// own or a new PostgreSQL database, or skips the test saying why there is none (PostgreSQL
// outside ctest). A subclass's SetUp calls it first and returns if it skipped or failed
// (IsSkipped, HasFatalFailure).
class TwoStoresTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    auto url = SharedDatabaseUrl(GetParam(), folder_.path().string());
    if (!url && GetParam() == storage::Dialect::kPostgres && !storage::test::AdminUrl())
      GTEST_SKIP() << url.error().message;
    ASSERT_TRUE(url) << Describe(url.error());
    url_ = *url;
    for (auto* store : {&a_, &b_}) {
      auto opened = SqlStore::Open({url_, true});
      ASSERT_TRUE(opened) << Describe(opened.error());
      *store = std::move(*opened);
    }
  }

  ::broadsheet::testing::TempDir folder_;
  std::string url_;
  std::unique_ptr<SqlStore> a_, b_;
};

inline const auto kBothDatabases =
    ::testing::Values(storage::Dialect::kSqlite, storage::Dialect::kPostgres);

// "sqlite" and "postgresql" in the tests' names.
inline std::string DatabaseName(const ::testing::TestParamInfo<storage::Dialect>& info) {
  return std::string(storage::DialectName(info.param));
}

}  // namespace broadsheet::test

// In a fixture's SetUp: opens `store` on the test's database, or skips the test saying why
// there is none (PostgreSQL outside ctest). A store that should open and does not is a failure.
#define BROADSHEET_OPEN_TEST_STORE(store) BROADSHEET_OPEN_TEST_STORE_AT(store, ":memory:")

// The same with SQLite's store in the file `sqlite_url`.
#define BROADSHEET_OPEN_TEST_STORE_AT(store, sqlite_url)                      \
  do {                                                                        \
    auto opened = ::broadsheet::test::OpenEmptyStore(GetParam(), sqlite_url); \
    if (!opened && (GetParam() == ::broadsheet::storage::Dialect::kSqlite ||  \
                    ::broadsheet::storage::test::AdminUrl()))                 \
      FAIL() << ::broadsheet::Describe(opened.error());                       \
    if (!opened) GTEST_SKIP() << opened.error().message;                      \
    (store) = std::move(*opened);                                             \
  } while (false)
