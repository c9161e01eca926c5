// The two schemas stay one: SQLite's, as its migrations leave it, and PostgreSQL's
// (storage/postgres_schema.h) have the same tables, columns, nullability, indexes and triggers,
// and PostgreSQL's triggers and keys behave as SQLite's do.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "storage/postgres_schema.h"
#include "storage/sql_store.h"
#include "storage/test_databases.h"

namespace broadsheet::storage {
namespace {

struct Column {
  std::string type;  // "integer" or "text"
  bool not_null = false;
  bool operator==(const Column&) const = default;
};
using Columns = std::map<std::string, Column>;  // "table.column"

std::ostream& operator<<(std::ostream& out, const Column& column) {
  return out << column.type << (column.not_null ? " NOT NULL" : "");
}

// SQLite's schema at its newest version, read from a file the store created and migrated.
struct SqliteSchema {
  Columns columns;
  std::set<std::string> indexes, triggers, views;
};

SqliteSchema ReadSqlite() {
  const auto dir =
      std::filesystem::temp_directory_path() / ("broadsheet-schema-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "site.db").string();
  EXPECT_TRUE(SqlStore::Open({path, true}));
  DatabaseOptions options;
  options.url = path;
  auto database = std::move(*Database::Open(options));
  SqliteSchema schema;
  EXPECT_TRUE(database->Read([&](Connection& c) -> Result<void> {
    auto columns = c.All(
        "SELECT m.name, p.name, lower(p.type), p.\"notnull\", p.pk FROM sqlite_master m "
        "JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        [](const Row& row) {
          // A primary key column is never null, whatever SQLite's table says.
          return std::pair(row.Text(0) + "." + row.Text(1),
                           Column{row.Text(2), row.Int(3) != 0 || row.Int(4) != 0});
        });
    if (!columns) return tl::unexpected(columns.error());
    schema.columns.insert(columns->begin(), columns->end());
    auto named = c.All(
        "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger', 'view') AND "
        "name NOT LIKE 'sqlite_%'",
        [](const Row& row) { return std::pair(row.Text(0), row.Text(1)); });
    if (!named) return tl::unexpected(named.error());
    for (const auto& [type, name] : *named) {
      (type == "index"     ? schema.indexes
       : type == "trigger" ? schema.triggers
                           : schema.views)
          .insert(name);
    }
    return {};
  }));
  database.reset();
  std::filesystem::remove_all(dir);
  return schema;
}

class PostgresSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = test::OpenEmptyDatabase(Dialect::kPostgres, {});
    if (!opened) GTEST_SKIP() << opened.error().message;
    database_ = std::move(*opened);
    auto migrated = postgres::Migrate(*database_);
    ASSERT_TRUE(migrated) << Describe(migrated.error());
    EXPECT_EQ(*migrated, 0);
  }
  template <typename Work>
  void Write(Work work) {
    auto done = database_->Transact(work);
    ASSERT_TRUE(done) << Describe(done.error());
  }
  std::int64_t Count(const std::string& sql) {
    auto found = database_->Read([&](Connection& c) { return c.Integer(sql); });
    EXPECT_TRUE(found);
    return found && *found ? **found : -1;
  }
  std::unique_ptr<Database> database_;
};

TEST_F(PostgresSchemaTest, HasEveryTableColumnIndexAndTriggerSqliteHas) {
  const SqliteSchema sqlite = ReadSqlite();
  ASSERT_FALSE(sqlite.columns.empty());
  Columns columns;
  std::set<std::string> indexes, triggers, views;
  ASSERT_TRUE(database_->Read([&](Connection& c) -> Result<void> {
    auto read = c.All(
        "SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable "
        "FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        "AND c.table_name <> 'broadsheet_schema'",
        [](const Row& row) {
          const std::string type = row.Text(2) == "bigint"                            ? "integer"
                                   : row.Text(2) == "text" || row.Text(3) == "citext" ? "text"
                                                                                      : row.Text(2);
          return std::pair(row.Text(0) + "." + row.Text(1), Column{type, row.Text(4) == "NO"});
        });
    if (!read) return tl::unexpected(read.error());
    columns.insert(read->begin(), read->end());
    auto index_names = c.All(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname "
        "NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'",
        [](const Row& row) { return row.Text(0); });
    if (!index_names) return tl::unexpected(index_names.error());
    indexes.insert(index_names->begin(), index_names->end());
    auto trigger_names = c.All(
        "SELECT DISTINCT trigger_name FROM information_schema.triggers "
        "WHERE trigger_schema = current_schema()",
        [](const Row& row) { return row.Text(0); });
    if (!trigger_names) return tl::unexpected(trigger_names.error());
    triggers.insert(trigger_names->begin(), trigger_names->end());
    auto view_names = c.All(
        "SELECT table_name FROM information_schema.views WHERE table_schema = current_schema()",
        [](const Row& row) { return row.Text(0); });
    if (!view_names) return tl::unexpected(view_names.error());
    views.insert(view_names->begin(), view_names->end());
    return {};
  }));
  EXPECT_EQ(columns, sqlite.columns);
  EXPECT_EQ(indexes, sqlite.indexes);
  EXPECT_EQ(triggers, sqlite.triggers);
  EXPECT_EQ(views, sqlite.views);
}

TEST_F(PostgresSchemaTest, ManyNodesStartingAtOnceMigrateOnce) {
  // A database no node has migrated yet, and four nodes starting on it together.
  auto opened = test::OpenEmptyDatabase(Dialect::kPostgres, {});
  ASSERT_TRUE(opened);
  std::unique_ptr<Database> fresh = std::move(*opened);
  const int newest = static_cast<int>(postgres::Migrations().size());
  std::vector<std::thread> nodes;
  std::atomic<int> migrated_here = 0, found_done = 0, failures = 0;
  for (int i = 0; i < 4; ++i) {
    nodes.emplace_back([&] {
      auto migrated = postgres::Migrate(*fresh);
      if (!migrated)
        ++failures;
      else if (*migrated == 0)
        ++migrated_here;
      else if (*migrated == newest)
        ++found_done;
    });
  }
  for (auto& node : nodes) node.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(migrated_here.load(), 1);
  EXPECT_EQ(found_done.load(), 3);
  // And once more, with nothing to do.
  auto again = postgres::Migrate(*database_);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, newest);
  EXPECT_EQ(Count("SELECT count(*) FROM broadsheet_schema"), 1);
}

TEST_F(PostgresSchemaTest, ANewerSchemaIsRefusedByName) {
  Write([](Connection& c) { return c.Exec("UPDATE broadsheet_schema SET version = 999"); });
  auto migrated = postgres::Migrate(*database_);
  ASSERT_FALSE(migrated);
  EXPECT_EQ(migrated.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(migrated.error().message.find("newer"), std::string::npos);
}

TEST_F(PostgresSchemaTest, EmailAddressesAreOneWhateverTheirCase) {
  Write([](Connection& c) {
    return c.Exec(
        "INSERT INTO users(email, name, role, created_at) VALUES ('Ed@Example.org', 'Ed', "
        "'editor', 1)");
  });
  auto again = database_->Transact([](Connection& c) {
    return c.Exec(
        "INSERT INTO users(email, name, role, created_at) VALUES ('ed@example.ORG', 'Ed', "
        "'editor', 1)");
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Count("SELECT count(*) FROM users WHERE email = 'ED@EXAMPLE.ORG'"), 1);
}

TEST_F(PostgresSchemaTest, TriggersKeepTheChangeLogAndCommentCounts) {
  Write([](Connection& c) -> Result<std::int64_t> {
    if (auto r = c.Exec("INSERT INTO posts(id, slug, kind, status, title, created_at) VALUES "
                        "(1, 'a', 'article', 'published', 'A', 1)");
        !r)
      return r;
    if (auto r = c.Exec("INSERT INTO tags(id, slug, name) VALUES (1, 'energy', 'Energy')"); !r)
      return r;
    if (auto r = c.Exec("INSERT INTO post_tags(post_id, tag_id) VALUES (1, 1)"); !r) return r;
    if (auto r = c.Exec("UPDATE tags SET name = 'Energy Policy'"); !r) return r;
    return c.Exec(
        "INSERT INTO comments(post_id, status, author_name, author_email, body_markdown, "
        "body_html, created_at) VALUES (1, 'approved', 'R', 'r@example.org', 'x', 'x', 1), "
        "(1, 'pending', 'S', 's@example.org', 'y', 'y', 1)");
  });
  // Post inserted, tag linked, tag renamed: each in the change log.
  EXPECT_EQ(Count("SELECT count(*) FROM change_log WHERE kind = 'post' AND post_id = 1"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM change_log WHERE kind = 'comment' AND post_id = 1"), 1);
  // Written by the writing transaction, under its id.
  EXPECT_EQ(Count("SELECT count(DISTINCT xid) FROM change_log WHERE xid > 0"), 1);
  EXPECT_EQ(Count("SELECT approved FROM comment_counts WHERE post_id = 1"), 1);
  Write([](Connection& c) {
    return c.Exec("UPDATE comments SET status = 'approved' WHERE status = 'pending'");
  });
  EXPECT_EQ(Count("SELECT approved FROM comment_counts WHERE post_id = 1"), 2);
  Write([](Connection& c) { return c.Exec("DELETE FROM comments WHERE author_name = 'R'"); });
  EXPECT_EQ(Count("SELECT approved FROM comment_counts WHERE post_id = 1"), 1);
  auto tags = database_->Read([](Connection& c) {
    return c.One("SELECT tags, body_html FROM search_source WHERE id = 1",
                 [](const Row& row) { return row.Text(0); });
  });
  ASSERT_TRUE(tags && *tags);
  EXPECT_EQ(**tags, "Energy Policy");
}

}  // namespace
}  // namespace broadsheet::storage
