// Copying a whole database into an empty one (storage/copy.h), in each direction: ids, NULLs and
// text arrive as they were, a reply whose id is smaller than its parent's keeps its parent, the
// trigger-kept counts are refilled, PostgreSQL's sequences follow the copied ids, a non-empty
// target is refused and a failed copy leaves the target empty.
#include "storage/copy.h"

#include <gtest/gtest.h>

#include "storage/migrations.h"
#include "storage/postgres_schema.h"
#include "storage/test_databases.h"

namespace broadsheet::storage {
namespace {

Result<std::unique_ptr<Database>> Migrated(Dialect dialect) {
  auto database = test::OpenEmptyDatabase(dialect, {});
  if (!database) return database;
  auto migrated =
      dialect == Dialect::kSqlite ? sqlite::Migrate(**database) : postgres::Migrate(**database);
  if (!migrated) return tl::unexpected(migrated.error());
  return database;
}

// A post with two approved comments, the reply made with the smaller id, and an author whose
// optional text is NULL.
Result<void> Fill(Database& database) {
  return database.Transact([](Connection& c) -> Result<void> {
    for (const auto& [sql, rows] : std::initializer_list<std::pair<const char*, int>>{
             {"INSERT INTO sections (id, slug, name, disclaimer) VALUES (3, 'security', "
              "'Security', NULL)",
              1},
             {"INSERT INTO posts (id, slug, kind, status, title, body_html, created_at, "
              "section_id, published_at) VALUES (40, 'deterrence', 'article', 'published', "
              "'Déterrence « still » works', '<p>x</p>', 1700000000, 3, 1700000000)",
              1},
             {"INSERT INTO comments (id, post_id, status, author_name, author_email, "
              "body_markdown, body_html, created_at) VALUES (9, 40, 'approved', 'Parent', "
              "'p@example.org', 'First.', '<p>First.</p>', 1700000100)",
              1},
             {"INSERT INTO comments (id, post_id, parent_id, status, author_name, author_email, "
              "body_markdown, body_html, created_at) VALUES (5, 40, 9, 'approved', 'Reply', "
              "'r@example.org', 'Second.', '<p>Second.</p>', 1700000200)",
              1},
         }) {
      auto done = c.Exec(sql);
      if (!done) return tl::unexpected(done.error());
      if (*done != rows) return Fail(ErrorCode::kInternal, sql);
    }
    return {};
  });
}

class CopyTest : public ::testing::TestWithParam<std::pair<Dialect, Dialect>> {
 protected:
  void SetUp() override {
    auto from = Migrated(GetParam().first);
    if (!from) GTEST_SKIP() << from.error().message;
    from_ = std::move(*from);
    auto to = Migrated(GetParam().second);
    if (!to) GTEST_SKIP() << to.error().message;
    to_ = std::move(*to);
    ASSERT_TRUE(Fill(*from_));
  }

  std::optional<std::int64_t> Number(Database& database, const char* sql) {
    auto found = database.Read([&](Connection& c) { return c.Integer(sql); });
    EXPECT_TRUE(found) << Describe(found.error());
    return found ? *found : std::nullopt;
  }

  std::unique_ptr<Database> from_, to_;
};

TEST_P(CopyTest, EveryRowArrivesAsItWas) {
  auto report = CopyDatabase(*from_, *to_);
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_EQ(report->rows, 4);
  // Parents before the tables that name them.
  std::vector<std::string> order;
  for (const auto& table : report->tables) order.push_back(table.name);
  const auto at = [&](const char* name) {
    return std::find(order.begin(), order.end(), name) - order.begin();
  };
  EXPECT_LT(at("sections"), at("posts"));
  EXPECT_LT(at("posts"), at("comments"));
  EXPECT_EQ(at("comment_counts"), static_cast<std::ptrdiff_t>(order.size()));  // refilled

  EXPECT_EQ(Number(*to_, "SELECT parent_id FROM comments WHERE id = 5"), 9);
  EXPECT_EQ(Number(*to_, "SELECT parent_id FROM comments WHERE id = 9"), std::nullopt);
  EXPECT_EQ(Number(*to_, "SELECT approved FROM comment_counts WHERE post_id = 40"), 2);
  EXPECT_EQ(Number(*to_, "SELECT count(*) FROM sections WHERE disclaimer IS NULL"), 1);
  // The copy's inserts fill its own change log, under a generation of its own.
  EXPECT_GE(Number(*to_, "SELECT count(*) FROM change_log WHERE kind = 'post' AND post_id = 40"),
            1);
  auto generations = [](Database& database) {
    auto found = database.Read([](Connection& c) {
      return c.One("SELECT generation FROM change_log_state",
                   [](const Row& row) { return row.Text(0); });
    });
    return found && *found ? **found : std::string();
  };
  EXPECT_FALSE(generations(*to_).empty());
  EXPECT_NE(generations(*to_), generations(*from_));
  EXPECT_EQ(Number(*to_, "SELECT count(*) FROM change_log_state"), 1);
  auto title = to_->Read([](Connection& c) {
    return c.One("SELECT title FROM posts WHERE id = 40",
                 [](const Row& row) { return row.Text(0); });
  });
  ASSERT_TRUE(title && *title);
  EXPECT_EQ(**title, "Déterrence « still » works");

  // A new row takes an id after the copied ones.
  auto made = to_->Transact([](Connection& c) {
    return c.Exec(
        "INSERT INTO comments (post_id, status, author_name, author_email, body_markdown, "
        "body_html, created_at) VALUES (40, 'pending', 'New', 'n@example.org', 'x', 'x', 1)");
  });
  ASSERT_TRUE(made) << Describe(made.error());
  EXPECT_EQ(Number(*to_, "SELECT max(id) FROM comments"), 10);
}

TEST_P(CopyTest, ManyRowsArriveInPagesWhateverTheirKey) {
  // More than a page (256 rows) of a table with one integer key, and of one with two.
  ASSERT_TRUE(from_->Transact([](Connection& c) -> Result<void> {
    for (int n = 1; n <= 700; ++n) {
      const std::string slug = "tag-" + std::to_string(n);
      auto tag = c.Exec("INSERT INTO tags (id, slug, name) VALUES (?, ?, ?)", 1000 + n, slug, slug);
      if (!tag) return tl::unexpected(tag.error());
      auto link = c.Exec("INSERT INTO post_tags (post_id, tag_id) VALUES (40, ?)", 1000 + n);
      if (!link) return tl::unexpected(link.error());
    }
    return {};
  }));
  auto report = CopyDatabase(*from_, *to_);
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_EQ(Number(*to_, "SELECT count(*) FROM tags"), 700);
  EXPECT_EQ(Number(*to_, "SELECT count(*) FROM post_tags"), 700);
  EXPECT_EQ(Number(*to_, "SELECT count(DISTINCT tag_id) FROM post_tags"), 700);
  EXPECT_EQ(Number(*to_, "SELECT min(tag_id) + max(tag_id) FROM post_tags"), 1001 + 1700);
}

TEST_P(CopyTest, ATargetWithRowsIsRefusedAndKept) {
  ASSERT_TRUE(CopyDatabase(*from_, *to_));
  auto again = CopyDatabase(*from_, *to_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Number(*to_, "SELECT count(*) FROM comments"), 2);
}

TEST_P(CopyTest, ARowTheTargetRefusesLeavesItEmpty) {
  if (GetParam() != std::pair(Dialect::kSqlite, Dialect::kPostgres)) {
    GTEST_SKIP() << "the refused row is text that is not UTF-8, which SQLite keeps and "
                    "PostgreSQL refuses";
  }
  ASSERT_TRUE(from_->Transact([](Connection& c) {
    return c.Exec("UPDATE posts SET title = CAST(X'4e6f20c3' AS TEXT) WHERE id = 40");
  }));
  auto copied = CopyDatabase(*from_, *to_);
  ASSERT_FALSE(copied);
  EXPECT_NE(copied.error().message.find("posts with id 40"), std::string::npos)
      << copied.error().message;
  EXPECT_EQ(Number(*to_, "SELECT count(*) FROM sections"), 0);  // copied before, rolled back
  EXPECT_EQ(Number(*to_, "SELECT count(*) FROM posts"), 0);
}

INSTANTIATE_TEST_SUITE_P(Directions, CopyTest,
                         ::testing::Values(std::pair(Dialect::kSqlite, Dialect::kPostgres),
                                           std::pair(Dialect::kPostgres, Dialect::kSqlite),
                                           std::pair(Dialect::kSqlite, Dialect::kSqlite)),
                         [](const auto& info) {
                           return std::string(DialectName(info.param.first)) + "To" +
                                  std::string(DialectName(info.param.second));
                         });

}  // namespace
}  // namespace broadsheet::storage
