#include "search/index.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "search/lag.h"
#include "storage/sql_store.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet::search {
namespace {

constexpr Timestamp kNow = 2'000'000'000;

// The index lives in a temporary site folder; on SQLite the site's database is a file there too.
class Index : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE_AT(store_, (dir_.path() / "site.db").string());
    auto index = SearchIndex::Open(dir_.path() / "search.xapian", *store_);
    ASSERT_TRUE(index) << Describe(index.error());
    index_ = std::move(*index);
  }

  std::vector<std::string> Found(const std::string& text, Filters filters = {}) {
    if (filters.now == 0) filters.now = kNow;
    filters.limit = 50;
    EXPECT_TRUE(index_->Sync());
    auto results = index_->Search(Parse(text), filters);
    EXPECT_TRUE(results) << (results ? "" : Describe(results.error()));
    std::vector<std::string> slugs;
    if (results) {
      for (const auto& hit : results->hits) slugs.push_back(hit.detail.post.slug);
    }
    return slugs;
  }

  Post MakePost(std::string slug, std::string title, std::string body, Timestamp published) {
    Post post;
    post.slug = std::move(slug);
    post.title = std::move(title);
    post.body_html = std::move(body);
    post.status = PostStatus::kPublished;
    post.published_at = published;
    return post;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<SearchIndex> index_;
};

using Slugs = std::vector<std::string>;

TEST_P(Index, FollowsEveryWrite) {
  auto section = store_->UpsertSection(Section{0, "security", "Security", "", false, {}, 0});
  auto author = store_->UpsertAuthor(Author{0, "jane", "Jane Doe", "", "", "", "", ""});
  auto tag = store_->UpsertTag(Tag{0, "korea", "Korea"});
  ASSERT_TRUE(section && author && tag);
  Post post = MakePost("deterrence", "Why Deterrence Works",
                       "<p>The caf&eacute; in <em>Zürich</em> &amp; the alliance.</p>", 1000);
  post.section_id = *section;
  post.author_ids = {*author};
  post.tag_ids = {*tag};
  auto id = store_->UpsertPost(post);
  ASSERT_TRUE(id);
  // Stemming, accents folded both ways, entities decoded, and every field.
  EXPECT_EQ(Found("working"), Slugs{"deterrence"});
  EXPECT_EQ(Found("cafe zurich"), Slugs{"deterrence"});
  EXPECT_EQ(Found("café Zürich"), Slugs{"deterrence"});
  EXPECT_EQ(Found("amp"), Slugs{});
  EXPECT_EQ(Found("jane security korea"), Slugs{"deterrence"});
  EXPECT_EQ(Found("\"the alliance\""), Slugs{"deterrence"});
  EXPECT_EQ(Found("\"alliance the\""), Slugs{});

  // Renaming an author, a section or a tag re-indexes their posts; deleting them too.
  ASSERT_TRUE(store_->UpsertAuthor(Author{0, "jane", "Janet Roe", "", "", "", "", ""}));
  ASSERT_TRUE(store_->UpsertSection(Section{0, "security", "Defence", "", false, {}, 0}));
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "korea", "Peninsula"}));
  EXPECT_EQ(Found("jane"), Slugs{});
  EXPECT_EQ(Found("roe defence peninsula"), Slugs{"deterrence"});
  ASSERT_TRUE(store_->DeleteSection("security"));
  ASSERT_TRUE(store_->DeleteTag("korea"));
  EXPECT_EQ(Found("defence"), Slugs{});
  EXPECT_EQ(Found("peninsula"), Slugs{});

  // An edit replaces the words; unpublishing and deleting take the post out.
  auto stored = store_->FindPostById(*id);
  ASSERT_TRUE(stored && *stored);
  Post edited = (*stored)->post;
  edited.title = "Why Containment Works";
  auto count = store_->SavePostEdit(edited, edited.edit_count, std::nullopt, "{}");
  ASSERT_TRUE(count);
  EXPECT_EQ(Found("deterrence"), Slugs{});
  EXPECT_EQ(Found("containment"), Slugs{"deterrence"});
  edited.status = PostStatus::kDraft;
  ASSERT_TRUE(store_->SavePostEdit(edited, *count, std::nullopt, "{}"));
  EXPECT_EQ(Found("containment"), Slugs{});
  edited.status = PostStatus::kPublished;
  ASSERT_TRUE(store_->SavePostEdit(edited, *count + 1, std::nullopt, "{}"));
  EXPECT_EQ(Found("containment"), Slugs{"deterrence"});
  edited.status = PostStatus::kTrash;
  ASSERT_TRUE(store_->SavePostEdit(edited, *count + 2, std::nullopt, "{}"));
  ASSERT_TRUE(store_->EmptyTrash());
  EXPECT_EQ(Found("containment"), Slugs{});
}

TEST_P(Index, ScheduledPostsAreFoundOnceDue) {
  ASSERT_TRUE(store_->UpsertPost([&] {
    Post post = MakePost("later", "Later", "<p>Words.</p>", 5000);
    post.status = PostStatus::kScheduled;
    return post;
  }()));
  Filters filters;
  filters.now = 6000;
  EXPECT_EQ(Found("later", filters), Slugs{});
  ASSERT_TRUE(store_->PublishDuePosts(6000));
  EXPECT_EQ(Found("later", filters), Slugs{"later"});
  filters.now = 4000;  // published, but its time has not come for this reader
  EXPECT_EQ(Found("later", filters), Slugs{});
}

TEST_P(Index, TitlesWeighMostAndFiltersOrderAndPagesWork) {
  ASSERT_TRUE(store_->UpsertPost(
      MakePost("in-body", "A Long Essay",
               "<p>Sanctions, sanctions and more sanctions, and yet more sanctions.</p>", 3000)));
  ASSERT_TRUE(store_->UpsertPost(
      MakePost("in-title", "Sanctions", "<p>Nothing else here at all, just filler.</p>", 1000)));
  EXPECT_EQ(Found("sanctions"), (Slugs{"in-title", "in-body"}));

  Filters filters;
  filters.newest_first = true;
  EXPECT_EQ(Found("sanctions", filters), (Slugs{"in-body", "in-title"}));
  filters.from = 2000;
  EXPECT_EQ(Found("sanctions", filters), Slugs{"in-body"});
  filters.from.reset();
  filters.until = 2000;
  EXPECT_EQ(Found("sanctions", filters), Slugs{"in-title"});

  ASSERT_TRUE(index_->Sync());
  Filters page;
  page.now = kNow;
  page.limit = 1;
  page.offset = 1;
  auto second = index_->Search(Parse("sanctions"), page);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->total, 2);
  EXPECT_TRUE(second->exact);
  ASSERT_EQ(second->hits.size(), 1u);
  EXPECT_EQ(second->hits[0].detail.post.slug, "in-body");
  EXPECT_NE(second->hits[0].excerpt_html.find("<mark>Sanctions</mark>"), std::string::npos);
  EXPECT_EQ(second->hits[0].title_html, "A Long Essay");
}

TEST_P(Index, ASearchBringsInNewChangesAndNothingIsAppliedTwice) {
  ASSERT_TRUE(index_->Sync());
  ASSERT_TRUE(store_->UpsertPost(MakePost("a", "Deterrence", "<p>Text.</p>", 1000)));
  auto caught_up = index_->CatchUp(10);
  ASSERT_TRUE(caught_up);
  EXPECT_GE(*caught_up, 1);
  Filters filters;
  filters.now = kNow;
  EXPECT_EQ(index_->Search(Parse("deterrence"), filters)->hits.size(), 1u);
  // The index's position moved on: neither a search nor Sync applies it again.
  EXPECT_EQ(*index_->CatchUp(10), 0);
  EXPECT_EQ(*index_->Sync(), 0);
  EXPECT_EQ(index_->Search(Parse("deterrence"), filters)->hits.size(), 1u);
  // A long backlog is left to Sync.
  for (const char* slug : {"b", "c", "d"})
    ASSERT_TRUE(store_->UpsertPost(MakePost(slug, "Alliance", "<p>Text.</p>", 1000)));
  EXPECT_EQ(*index_->CatchUp(2), 0);
  EXPECT_GE(*index_->Sync(), 3);
  EXPECT_EQ(Found("alliance").size(), 3u);
}

TEST_P(Index, PostsASearchBroughtInAreReportedByTheNextSync) {
  ASSERT_TRUE(index_->Sync());
  auto saved = store_->UpsertPost(MakePost("a", "Deterrence", "<p>Text.</p>", 1000));
  ASSERT_TRUE(saved);
  ASSERT_GE(*index_->CatchUp(10), 1);
  // The server purges what Sync reports: a search must not take a change away from it.
  std::set<std::int64_t> reported;
  ASSERT_TRUE(index_->Sync(0, [&reported](std::int64_t id) { reported.insert(id); }));
  EXPECT_EQ(reported, std::set<std::int64_t>{*saved});
  reported.clear();
  ASSERT_TRUE(index_->Sync(0, [&reported](std::int64_t id) { reported.insert(id); }));
  EXPECT_TRUE(reported.empty());
}

TEST_P(Index, ItsPositionInTheLogSurvivesARestart) {
  ASSERT_TRUE(store_->UpsertPost(MakePost("a", "Deterrence", "<p>Text.</p>", 1000)));
  ASSERT_TRUE(index_->Sync());
  EXPECT_FALSE(index_->building());
  const std::string position = index_->LogPosition();
  ASSERT_FALSE(position.empty());
  index_.reset();
  // Written while no index ran.
  ASSERT_TRUE(store_->UpsertPost(MakePost("b", "Alliance", "<p>Text.</p>", 1000)));
  auto reopened = SearchIndex::Open(dir_.path() / "search.xapian", *store_);
  ASSERT_TRUE(reopened);
  index_ = std::move(*reopened);
  EXPECT_EQ(index_->LogPosition(), position);  // read from the index, not started over
  EXPECT_FALSE(index_->building());
  std::set<std::int64_t> applied;
  ASSERT_TRUE(index_->Sync(0, [&](std::int64_t id) { applied.insert(id); }));
  // What came after its position (on PostgreSQL, also what was at or above its cursor, a
  // horizon that other transactions in the cluster may hold back: applied again, harmlessly).
  auto b = store_->FindPost("b");
  ASSERT_TRUE(b && *b);
  EXPECT_TRUE(applied.contains((*b)->id));
  if (GetParam() == storage::Dialect::kSqlite) {
    EXPECT_EQ(applied.size(), 1u);
  }
  EXPECT_EQ(Found("alliance"), Slugs{"b"});
  EXPECT_EQ(Found("deterrence"), Slugs{"a"});
  // It has moved on (on PostgreSQL only once no transaction in the cluster older than its cursor
  // is still running: another test's may be).
  if (GetParam() == storage::Dialect::kSqlite) {
    EXPECT_NE(index_->LogPosition(), position);
  }
}

TEST_P(Index, TwoIndexesFollowOneDatabase) {
  auto second = SearchIndex::Open(dir_.path() / "other.xapian", *store_);
  ASSERT_TRUE(second);
  ASSERT_TRUE(store_->UpsertPost(MakePost("a", "Deterrence", "<p>Text.</p>", 1000)));
  EXPECT_EQ(Found("deterrence"), Slugs{"a"});  // the first applies it
  Filters filters;
  filters.now = kNow;
  ASSERT_TRUE((*second)->Sync());  // and the second still finds it in the log
  EXPECT_EQ((*second)->Search(Parse("deterrence"), filters)->hits.size(), 1u);
  Post post = MakePost("a", "Alliance", "<p>Text.</p>", 1000);
  ASSERT_TRUE(store_->UpsertPost(post));
  ASSERT_TRUE((*second)->Sync());
  EXPECT_EQ((*second)->Search(Parse("deterrence"), filters)->hits.size(), 0u);
  EXPECT_EQ((*second)->Search(Parse("alliance"), filters)->hits.size(), 1u);
  EXPECT_EQ(Found("alliance"), Slugs{"a"});
  EXPECT_EQ(Found("deterrence"), Slugs{});
}

TEST_P(Index, AnIndexOfAnotherDatabaseOrAReindexIsBuiltAgain) {
  ASSERT_TRUE(store_->UpsertPost(MakePost("a", "Deterrence", "<p>Text.</p>", 1000)));
  ASSERT_TRUE(index_->Sync());
  index_.reset();
  // The same folder opened against another database (a copy, a new one): its position means
  // nothing there, and what it holds is not that database's.
  std::unique_ptr<SqlStore> other;
  BROADSHEET_OPEN_TEST_STORE_AT(other, (dir_.path() / "other.db").string());
  ASSERT_TRUE(other->UpsertPost(MakePost("b", "Alliance", "<p>Text.</p>", 1000)));
  {
    auto moved = SearchIndex::Open(dir_.path() / "search.xapian", *other);
    ASSERT_TRUE(moved);
    EXPECT_TRUE((*moved)->building());
    ASSERT_TRUE((*moved)->Sync());
    EXPECT_FALSE((*moved)->building());
    Filters filters;
    filters.now = kNow;
    EXPECT_EQ((*moved)->Search(Parse("alliance"), filters)->hits.size(), 1u);
    EXPECT_EQ((*moved)->Search(Parse("deterrence"), filters)->hits.size(), 0u);
  }
  // Back on its own database (whose generation it no longer holds), then asked to rebuild.
  auto back = SearchIndex::Open(dir_.path() / "search.xapian", *store_);
  ASSERT_TRUE(back);
  index_ = std::move(*back);
  EXPECT_EQ(Found("deterrence"), Slugs{"a"});
  EXPECT_EQ(Found("alliance"), Slugs{});
  ASSERT_TRUE(store_->LogReindex());
  ASSERT_TRUE(index_->Sync(1));  // the reindex row: a build starts
  EXPECT_TRUE(index_->building());
  ASSERT_TRUE(index_->Sync());
  EXPECT_FALSE(index_->building());
  EXPECT_EQ(Found("deterrence"), Slugs{"a"});
}

// The log is trimmed (Store::TrimChangeLog) past an index's position, with changes it had not
// read: it cannot follow, so it builds itself again from the posts, and ends as they are.
TEST_P(Index, AnIndexWhosePositionWasTrimmedPastIsBuiltAgain) {
  ASSERT_TRUE(store_->UpsertPost(MakePost("a", "Deterrence", "<p>Text.</p>", 1000)));
  EXPECT_EQ(Found("deterrence"), Slugs{"a"});
  auto status = index_->Status();
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->building);
  const ChangeLogPosition position = status->position;
  // Unpublished, and another written, while the index was not reading.
  Post a = MakePost("a", "Deterrence", "<p>Text.</p>", 1000);
  a.status = PostStatus::kDraft;
  a.published_at.reset();
  ASSERT_TRUE(store_->UpsertPost(a));
  ASSERT_TRUE(store_->UpsertPost(MakePost("b", "Alliance", "<p>Text.</p>", 1000)));
  // On PostgreSQL only transactions below the cluster's horizon are trimmed: other tests' may
  // hold it back a moment.
  bool past = false;
  for (int round = 0; round < 100 && !past; ++round) {
    ASSERT_TRUE(store_->TrimChangeLog(kNow * 2));
    auto batch = store_->ReadChangeLog(position, 10);
    ASSERT_TRUE(batch);
    past = !batch->in_range;
    if (!past) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(past);
  // A search's CatchUp leaves it to Sync; Sync starts the build and carries it out.
  auto caught = index_->CatchUp(10);
  ASSERT_TRUE(caught);
  EXPECT_EQ(*caught, 0);
  ASSERT_TRUE(index_->Sync(1));
  EXPECT_TRUE(index_->building());
  EXPECT_EQ(Found("alliance"), Slugs{"b"});
  EXPECT_EQ(Found("deterrence"), Slugs{});
  EXPECT_FALSE(index_->building());
  // And it follows the log again from there.
  ASSERT_TRUE(store_->UpsertPost(MakePost("c", "Treaty", "<p>Text.</p>", 1000)));
  EXPECT_EQ(Found("treaty"), Slugs{"c"});
}

// /metrics: how far the index is behind the log, counted on the database.
TEST_P(Index, ItsLagIsReported) {
  ASSERT_TRUE(index_->Sync());
  ASSERT_TRUE(index_->Sync());  // on PostgreSQL, past rows other tests' transactions held back
  EXPECT_NE(LagMetricsText(*index_, *store_, kNow).find("broadsheet_search_log_behind_rows 0\n"),
            std::string::npos);
  ASSERT_TRUE(store_->UpsertPost(MakePost("a", "Deterrence", "<p>Text.</p>", 1000)));
  const std::string behind = LagMetricsText(*index_, *store_, kNow);
  EXPECT_EQ(behind.find("broadsheet_search_log_behind_rows 0\n"), std::string::npos) << behind;
  EXPECT_NE(behind.find("broadsheet_search_caught_up_timestamp_seconds"), std::string::npos);
  EXPECT_NE(behind.find("broadsheet_search_building 0\n"), std::string::npos);
  ASSERT_TRUE(index_->Sync());
  EXPECT_NE(LagMetricsText(*index_, *store_, kNow).find("broadsheet_search_log_behind_rows 0\n"),
            std::string::npos);
}

TEST_P(Index, AnyInputIsSafe) {
  ASSERT_TRUE(store_->UpsertPost(MakePost("a", "Deterrence", "<p>Text.</p>", 1000)));
  for (const char* text : {"\"unbalanced", "NEAR(a b) title:x", "a AND OR NOT", "***", "(((",
                           "deter*", "-deterrence", "x*", "\"\"", "+-~^"}) {
    ASSERT_TRUE(index_->Sync());
    Filters filters;
    filters.now = kNow;
    EXPECT_TRUE(index_->Search(Parse(text), filters)) << text;
  }
  EXPECT_EQ(Found("deter*"), Slugs{"a"});
  EXPECT_EQ(Found("deterrence \u2014 \u00b7"), Slugs{"a"});  // punctuation alone is no word
  EXPECT_EQ(Found("\u2014"), Slugs{});
  EXPECT_EQ(Found("\"deterrence"), Slugs{"a"});
}

TEST_P(Index, AnotherProcessReadsAndALostIndexIsRebuilt) {
  ASSERT_TRUE(store_->UpsertPost(MakePost("a", "Deterrence", "<p>Text.</p>", 1000)));
  ASSERT_TRUE(index_->Sync());
  // While this one writes, a second opening only reads.
  auto reader = SearchIndex::Open(dir_.path() / "search.xapian", *store_);
  ASSERT_TRUE(reader);
  EXPECT_FALSE((*reader)->writable());
  Filters filters;
  filters.now = kNow;
  EXPECT_EQ((*reader)->Search(Parse("deterrence"), filters)->hits.size(), 1u);
  reader->reset();
  index_.reset();
  std::filesystem::remove_all(dir_.path() / "search.xapian");
  auto rebuilt = SearchIndex::Open(dir_.path() / "search.xapian", *store_);
  ASSERT_TRUE(rebuilt);
  index_ = std::move(*rebuilt);
  EXPECT_EQ(Found("deterrence"), Slugs{"a"});
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, Index, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::search
