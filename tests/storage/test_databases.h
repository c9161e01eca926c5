// Databases for tests of the storage seam: SQLite in memory, or a new, empty PostgreSQL database
// in the cluster named by BROADSHEET_TEST_POSTGRES (ctest starts one: tests/postgres/cluster.sh).
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "storage/database.h"

namespace broadsheet::storage::test {

// The cluster's maintenance database, or kUnavailable saying why there is none.
inline Result<std::string> AdminUrl() {
  const char* url = std::getenv("BROADSHEET_TEST_POSTGRES");
  if (url == nullptr || *url == '\0') {
    return Fail(ErrorCode::kUnavailable,
                "BROADSHEET_TEST_POSTGRES is not set: run through ctest, which starts a "
                "throwaway PostgreSQL cluster (tests/postgres/cluster.sh) and sets it");
  }
  return std::string(url);
}

inline Result<std::unique_ptr<Database>> OpenAdminDatabase() {
  auto url = AdminUrl();
  if (!url) return tl::unexpected(url.error());
  DatabaseOptions options;
  options.url = *url;
  options.pool_size = 1;
  return Database::Open(options);
}

// The URL of a new, empty PostgreSQL database in the test cluster.
inline Result<std::string> EmptyPostgresUrl() {
  auto admin_url = AdminUrl();
  if (!admin_url) return tl::unexpected(admin_url.error());
  static std::atomic<int> counter = 0;
  const std::string name = "test_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  auto admin = OpenAdminDatabase();
  if (!admin) return tl::unexpected(admin.error());
  auto created = (*admin)->Maintain("CREATE DATABASE " + name);
  if (!created) return tl::unexpected(created.error());
  const size_t at = admin_url->find("/postgres");
  if (at == std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "BROADSHEET_TEST_POSTGRES must name /postgres");
  }
  return admin_url->substr(0, at) + "/" + name + admin_url->substr(at + 9);
}

// A database of its own for one test, opened with `options` (whose url is replaced).
inline Result<std::unique_ptr<Database>> OpenEmptyDatabase(Dialect dialect,
                                                           DatabaseOptions options) {
  if (dialect == Dialect::kSqlite) {
    options.url = ":memory:";
    return Database::Open(options);
  }
  auto url = EmptyPostgresUrl();
  if (!url) return tl::unexpected(url.error());
  options.url = *url;
  return Database::Open(options);
}

}  // namespace broadsheet::storage::test
