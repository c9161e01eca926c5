#include "storage/sql_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "storage/test_databases.h"
#include "test_util.h"

namespace broadsheet {
namespace {

using testing::TempDir;

// The tests that do not depend on a file, run on SQLite in memory and on a new PostgreSQL
// database.
class StoreTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    std::string url = ":memory:";
    if (GetParam() == storage::Dialect::kPostgres) {
      auto made = storage::test::EmptyPostgresUrl();
      if (!made) GTEST_SKIP() << made.error().message;
      url = *made;
    }
    auto opened = SqlStore::Open({url, true});
    ASSERT_TRUE(opened) << Describe(opened.error());
    store = std::move(*opened);
  }
  std::unique_ptr<SqlStore> store;
};

Post MakePost(std::string slug, Timestamp published_at,
              PostStatus status = PostStatus::kPublished) {
  Post post;
  post.slug = std::move(slug);
  post.title = "Title of " + post.slug;
  post.status = status;
  post.published_at = published_at;
  post.body_markdown = "Body";
  post.body_html = "<p>Body</p>";
  return post;
}

TEST_P(StoreTest, NewDatabaseGetsTheWholeSchema) {
  EXPECT_GE(store->SchemaVersion(), 1);
  auto publication = store->LoadPublication();
  ASSERT_TRUE(publication);
  EXPECT_EQ(publication->title, "Broadsheet");
}

TEST(SqlStore, MissingFileIsNotFoundUnlessCreating) {
  TempDir dir;
  auto missing = SqlStore::Open({(dir.path() / "none.db").string(), false});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(SqlStore, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  dir.Write("notes.db", std::string(4096, 'x'));
  auto store = SqlStore::Open({(dir.path() / "notes.db").string(), false});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kConflict);
}

TEST(SqlStore, ReopeningKeepsDataAndSchema) {
  TempDir dir;
  const std::string path = (dir.path() / "site.db").string();
  {
    auto store = SqlStore::Open({path, true});
    ASSERT_TRUE(store);
    Publication publication;
    publication.title = "The Meridian Review";
    ASSERT_TRUE((*store)->SavePublication(publication));
  }
  auto store = SqlStore::Open({path, false});
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->LoadPublication()->title, "The Meridian Review");
}

TEST_P(StoreTest, UpsertBySlugUpdatesInPlace) {
  Section section{0, "security", "Security", "", true, std::nullopt, 1};
  const auto first = store->UpsertSection(section);
  section.name = "Security and Foreign Policy";
  const auto second = store->UpsertSection(section);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
  EXPECT_EQ((*store->FindSection("security"))->name, "Security and Foreign Policy");
  EXPECT_EQ(store->ListSections()->size(), 1u);
}

TEST_P(StoreTest, PostKeepsAuthorOrderTagsAndDetails) {
  const auto section = *store->UpsertSection({0, "security", "Security", "", true, "Own text", 0});
  Author first;
  first.slug = "zoe";
  first.name = "Zoe";
  Author second;
  second.slug = "adam";
  second.name = "Adam";
  const auto zoe = *store->UpsertAuthor(first);
  const auto adam = *store->UpsertAuthor(second);
  const auto tag = *store->UpsertTag({0, "korea", "Korea"});
  Post post = MakePost("deterrence", 1000);
  post.section_id = section;
  post.author_ids = {zoe, adam};
  post.tag_ids = {tag};
  post.image = {"/uploads/a.jpg", "Alt", "Caption", "AP Photo/X"};
  post.disclaimer = "Custom";
  ASSERT_TRUE(store->UpsertPost(post));

  auto detail = store->FindPublishedPost("deterrence", 2000);
  ASSERT_TRUE(detail && *detail);
  ASSERT_EQ((*detail)->authors.size(), 2u);
  EXPECT_EQ((*detail)->authors[0].name, "Zoe");
  EXPECT_EQ((*detail)->authors[1].name, "Adam");
  ASSERT_TRUE((*detail)->section);
  EXPECT_EQ((*detail)->section->disclaimer, "Own text");
  ASSERT_EQ((*detail)->tags.size(), 1u);
  EXPECT_EQ((*detail)->post.image.credit, "AP Photo/X");
  EXPECT_EQ((*detail)->post.disclaimer, "Custom");

  post.author_ids = {adam};
  ASSERT_TRUE(store->UpsertPost(post));
  EXPECT_EQ((*store->FindPublishedPost("deterrence", 2000))->authors.size(), 1u);
}

TEST_P(StoreTest, ReadersSeeOnlyPublishedPostsWhoseTimeHasCome) {
  ASSERT_TRUE(store->UpsertPost(MakePost("old", 100)));
  ASSERT_TRUE(store->UpsertPost(MakePost("draft", 100, PostStatus::kDraft)));
  ASSERT_TRUE(store->UpsertPost(MakePost("later", 5000, PostStatus::kScheduled)));
  PostQuery query;
  query.now = 1000;
  auto listed = store->ListPublishedPosts(query);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].post.slug, "old");
  EXPECT_FALSE(*store->FindPublishedPost("draft", 1000));
  EXPECT_FALSE(*store->FindPublishedPost("later", 1000));

  EXPECT_EQ(*store->PublishDuePosts(1000), 0);
  EXPECT_EQ(*store->PublishDuePosts(6000), 1);
  query.now = 6000;
  EXPECT_EQ(*store->CountPublishedPosts(query), 2);
}

TEST_P(StoreTest, ListsNewestFirstWithFiltersAndPaging) {
  const auto tag = *store->UpsertTag({0, "iran", "Iran"});
  for (int i = 1; i <= 25; ++i) {
    Post post = MakePost("post-" + std::to_string(i), i * 100);
    if (i % 5 == 0) post.tag_ids = {tag};
    ASSERT_TRUE(store->UpsertPost(post));
  }
  PostQuery query;
  query.now = 10000;
  query.limit = 10;
  query.offset = 10;
  auto page = store->ListPublishedPosts(query);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 10u);
  EXPECT_EQ((*page)[0].post.slug, "post-15");
  query.tag_id = tag;
  query.offset = 0;
  EXPECT_EQ(*store->CountPublishedPosts(query), 5);
  EXPECT_EQ((*store->ListPublishedPosts(query))[0].post.slug, "post-25");
}

TEST_P(StoreTest, FailedTransactionLeavesNothingBehind) {
  auto result = store->InTransaction([&]() -> Result<void> {
    if (auto saved = store->UpsertPost(MakePost("half", 100)); !saved)
      return tl::unexpected(saved.error());
    return Fail(ErrorCode::kInvalidArgument, "stop");
  });
  ASSERT_FALSE(result);
  EXPECT_FALSE(*store->FindPost("half"));
}

TEST(SqlStore, AnotherProcessWriteChangesTheContentVersion) {
  TempDir dir;
  const std::string path = (dir.path() / "site.db").string();
  auto server = SqlStore::Open({path, true});
  auto command = SqlStore::Open({path, false});
  ASSERT_TRUE(server && command);
  const auto before = (*server)->ContentVersion();
  ASSERT_TRUE((*command)->UpsertPost(MakePost("fresh", 100)));
  EXPECT_NE((*server)->ContentVersion(), before);
  EXPECT_TRUE(*(*server)->FindPublishedPost("fresh", 200));
}

TEST_P(StoreTest, ATransactionThatChangesNothingKeepsTheContentVersion) {
  ASSERT_TRUE(store->UpsertPost(MakePost("later", 5000, PostStatus::kScheduled)));
  const auto before = store->ContentVersion();
  EXPECT_EQ(*store->PublishDuePosts(1000), 0);
  EXPECT_EQ(store->ContentVersion(), before);
  EXPECT_EQ(*store->PublishDuePosts(6000), 1);
  EXPECT_NE(store->ContentVersion(), before);
}

TEST_P(StoreTest, ConcurrentEditsAreDetectedNotLost) {
  auto id = store->CreatePost(MakePost("shared", 100, PostStatus::kDraft), std::nullopt, "{}");
  ASSERT_TRUE(id);
  auto opened = store->FindPostById(*id);
  ASSERT_TRUE(opened && *opened);
  const int seen = (*opened)->post.edit_count;
  Post first = (*opened)->post;
  first.body_markdown = "First editor's text";
  ASSERT_TRUE(store->SavePostEdit(first, seen, std::nullopt, "{}"));
  Post second = (*opened)->post;
  second.body_markdown = "Second editor's text";
  auto conflict = store->SavePostEdit(second, seen, std::nullopt, "{}");
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_EQ((*store->FindPostById(*id))->post.body_markdown, "First editor's text");
  EXPECT_EQ(store->ListRevisions(*id)->size(), 2u);  // creation and the first save
}

TEST_P(StoreTest, CreatePostRefusesATakenSlug) {
  ASSERT_TRUE(store->CreatePost(MakePost("taken", 100), std::nullopt, "{}"));
  EXPECT_EQ(store->CreatePost(MakePost("taken", 100), std::nullopt, "{}").error().code,
            ErrorCode::kConflict);
}

// The 410s left behind are a publishing rule (content::Posts::EmptyTrash, tests/content).
TEST_P(StoreTest, EmptyingTheTrashDeletesOnlyTrashedPosts) {
  ASSERT_TRUE(store->CreatePost(MakePost("binned", 100, PostStatus::kTrash), std::nullopt, "{}"));
  ASSERT_TRUE(store->CreatePost(MakePost("kept", 100), std::nullopt, "{}"));
  EXPECT_EQ(*store->EmptyTrash(), 1);
  EXPECT_FALSE(*store->FindPost("binned"));
  EXPECT_TRUE(*store->FindPost("kept"));
  DeskQuery trash;
  trash.status = PostStatus::kTrash;
  EXPECT_EQ(*store->CountPostsForDesk(trash), 0);
}

Comment MakeComment(std::int64_t post_id, CommentStatus status, std::string email,
                    std::optional<std::int64_t> parent = std::nullopt) {
  Comment comment;
  comment.post_id = post_id;
  comment.parent_id = parent;
  comment.status = status;
  comment.author_name = "Reader";
  comment.author_email = std::move(email);
  comment.body_markdown = "Words";
  comment.body_html = "<p>Words</p>";
  comment.created_at = 1000;
  return comment;
}

TEST_P(StoreTest, ApprovedCommentCountsFollowEveryChange) {
  const std::int64_t post = *store->UpsertPost(MakePost("counted", 100));
  const std::int64_t other = *store->UpsertPost(MakePost("other", 100));
  EXPECT_EQ(*store->CountApprovedComments(post), 0);
  const std::int64_t a =
      *store->CreateComment(MakeComment(post, CommentStatus::kApproved, "a@x.org"));
  const std::int64_t b =
      *store->CreateComment(MakeComment(post, CommentStatus::kPending, "b@x.org"));
  const std::int64_t c =
      *store->CreateComment(MakeComment(post, CommentStatus::kApproved, "c@x.org"));
  ASSERT_TRUE(store->CreateComment(MakeComment(other, CommentStatus::kApproved, "c@x.org")));
  EXPECT_EQ(*store->CountApprovedComments(post), 2);  // the pending one is not counted
  ASSERT_TRUE(store->SetCommentStatus(b, CommentStatus::kApproved));  // approve
  EXPECT_EQ(*store->CountApprovedComments(post), 3);
  ASSERT_TRUE(store->SetCommentStatus(b, CommentStatus::kApproved));  // again: no change
  EXPECT_EQ(*store->CountApprovedComments(post), 3);
  ASSERT_TRUE(store->SetCommentStatus(a, CommentStatus::kPending));  // unapprove
  EXPECT_EQ(*store->CountApprovedComments(post), 2);
  ASSERT_TRUE(store->SetCommentStatus(c, CommentStatus::kSpam));
  EXPECT_EQ(*store->CountApprovedComments(post), 1);
  ASSERT_TRUE(store->SetCommentStatus(c, CommentStatus::kTrash));  // spam to trash: no change
  EXPECT_EQ(*store->CountApprovedComments(post), 1);
  EXPECT_EQ(*store->EraseCommentsByEmail("B@x.org"), 1);  // delete
  EXPECT_EQ(*store->CountApprovedComments(post), 0);
  EXPECT_EQ(*store->CountApprovedComments(other), 1);
  // A moderator's text edit of an approved comment changes no count.
  Comment edited = **store->FindComment(
      *store->CreateComment(MakeComment(post, CommentStatus::kApproved, "d@x.org")));
  edited.body_markdown = "Other words";
  ASSERT_TRUE(store->UpdateComment(edited));
  EXPECT_EQ(*store->CountApprovedComments(post), 1);
}

TEST_P(StoreTest, ACommentsThreadIndexCountsTheNewerThreads) {
  const std::int64_t post = *store->UpsertPost(MakePost("threads", 100));
  const std::int64_t other = *store->UpsertPost(MakePost("elsewhere", 100));
  std::vector<std::int64_t> roots;
  for (int i = 0; i < 5; ++i)
    roots.push_back(*store->CreateComment(MakeComment(post, CommentStatus::kApproved, "r@x.org")));
  const std::int64_t reply =
      *store->CreateComment(MakeComment(post, CommentStatus::kApproved, "r@x.org", roots[1]));
  const std::int64_t deep =
      *store->CreateComment(MakeComment(post, CommentStatus::kApproved, "r@x.org", reply));
  const std::int64_t held =
      *store->CreateComment(MakeComment(post, CommentStatus::kPending, "r@x.org", roots[0]));
  const std::int64_t orphan =  // its parent is held, so it heads a thread of its own (the newest)
      *store->CreateComment(MakeComment(post, CommentStatus::kApproved, "r@x.org", held));
  EXPECT_EQ(**store->CommentThreadIndex(post, orphan), 0);
  EXPECT_EQ(**store->CommentThreadIndex(post, roots[4]), 1);
  EXPECT_EQ(**store->CommentThreadIndex(post, roots[1]), 4);
  EXPECT_EQ(**store->CommentThreadIndex(post, deep), 4);  // the thread of roots[1]
  EXPECT_EQ(**store->CommentThreadIndex(post, roots[0]), 5);
  EXPECT_FALSE(*store->CommentThreadIndex(post, held));    // not shown
  EXPECT_FALSE(*store->CommentThreadIndex(other, deep));   // another post's
  EXPECT_FALSE(*store->CommentThreadIndex(post, 999999));  // unknown
  // The index agrees with the pages that ListCommentThreads gives.
  auto page = store->ListCommentThreads(post, 4, 1);
  ASSERT_TRUE(page);
  ASSERT_FALSE(page->comments.empty());
  EXPECT_EQ(page->comments.front().id, roots[1]);
}

TEST_P(StoreTest, ListingApprovedCommentsKeepsTheNewestWithinTheLimit) {
  const std::int64_t post = *store->UpsertPost(MakePost("listed", 100));
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(*store->CreateComment(MakeComment(post, CommentStatus::kApproved, "l@x.org")));
  ASSERT_TRUE(store->CreateComment(MakeComment(post, CommentStatus::kPending, "l@x.org")));
  auto newest = store->ListApprovedComments(post, 2);
  ASSERT_TRUE(newest);
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].id, ids[3]);  // oldest first
  EXPECT_EQ((*newest)[1].id, ids[4]);
  EXPECT_EQ(store->ListApprovedComments(post, 0)->size(), 5u);  // 0: all
}

TEST_P(StoreTest, AnApprovedCommentFromAnAddressIsFoundInAnyCase) {
  const std::int64_t post = *store->UpsertPost(MakePost("known", 100));
  ASSERT_TRUE(store->CreateComment(MakeComment(post, CommentStatus::kPending, "new@x.org")));
  EXPECT_FALSE(*store->HasApprovedCommentFrom("new@x.org"));
  ASSERT_TRUE(store->CreateComment(MakeComment(post, CommentStatus::kApproved, "Known@X.org")));
  EXPECT_TRUE(*store->HasApprovedCommentFrom("known@x.org"));
  EXPECT_FALSE(*store->HasApprovedCommentFrom("unknown@x.org"));
}

TEST_P(StoreTest, DeskListsFilterBySearchTextSafely) {
  Post post = MakePost("iran", 100, PostStatus::kDraft);
  post.title = "Iran's 100% enrichment_question";
  ASSERT_TRUE(store->CreatePost(post, std::nullopt, "{}"));
  ASSERT_TRUE(store->CreatePost(MakePost("other", 100, PostStatus::kDraft), std::nullopt, "{}"));
  DeskQuery query;
  query.text = "100%";
  EXPECT_EQ(*store->CountPostsForDesk(query), 1);
  query.text = "ichm_nt";
  EXPECT_EQ(*store->CountPostsForDesk(query), 0);  // '_' is literal, not a wildcard
  query.text = "enrichment_q";
  EXPECT_EQ(*store->CountPostsForDesk(query), 1);
}

TEST(SqlStore, BackupIsAWorkingCopyAndNeverOverwrites) {
  TempDir dir;
  auto store = SqlStore::Open({(dir.path() / "site.db").string(), true});
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->UpsertPost(MakePost("kept", 100)));
  const std::string copy = (dir.path() / "copy.db").string();
  ASSERT_TRUE((*store)->BackupTo(copy));
  EXPECT_EQ((*store)->BackupTo(copy).error().code, ErrorCode::kConflict);
  auto restored = SqlStore::Open({copy, false});
  ASSERT_TRUE(restored);
  EXPECT_TRUE(*(*restored)->FindPost("kept"));
}

}  // namespace
}  // namespace broadsheet

namespace broadsheet {
namespace {

TEST_P(StoreTest, TheSearchIndexReadsPostsAsTheyNowAre) {
  auto section = store->UpsertSection(Section{0, "security", "Security", "", false, {}, 0});
  ASSERT_TRUE(section);
  Post post = MakePost("deterrence", 1000);
  post.title = "Why Deterrence Works";
  post.body_html = "<p>The caf&eacute; &amp; <em>the</em> alliance.</p>";
  post.section_id = *section;
  auto id = store->UpsertPost(post);
  ASSERT_TRUE(id);
  auto documents = store->SearchDocuments({*id});
  ASSERT_TRUE(documents);
  ASSERT_EQ(documents->size(), 1u);
  ASSERT_TRUE((*documents)[0].post);
  EXPECT_EQ((*documents)[0].post->body, "The caf\u00e9 & the alliance.");
  EXPECT_EQ((*documents)[0].post->section, "Security");
  // A section deleted: its posts lose it through the foreign key.
  ASSERT_TRUE(store->DeleteSection("security"));
  EXPECT_EQ((*store->SearchDocuments({*id}))[0].post->section, "");
  post.id = *id;
  post.status = PostStatus::kDraft;
  post.section_id.reset();
  ASSERT_TRUE(store->UpsertPost(post));
  EXPECT_FALSE((*store->SearchDocuments({*id}))[0].post);  // no longer published
  EXPECT_TRUE(store->ListSearchDocuments(0, 10)->empty());
}

TEST_P(StoreTest, NestedWritesBumpTheContentVersionOnceTheOutermostCommits) {
  const auto before = store->ContentVersion();
  std::uint64_t inside = 0;
  ASSERT_TRUE(store->InTransaction([&]() -> Result<void> {
    if (auto saved = store->UpsertPost(MakePost("one", 100)); !saved)
      return tl::unexpected(saved.error());
    if (auto saved = store->UpsertPost(MakePost("two", 100)); !saved)
      return tl::unexpected(saved.error());
    inside = store->ContentVersion();
    return {};
  }));
  EXPECT_EQ(inside, before);  // no reader may cache what is not yet committed
  EXPECT_NE(store->ContentVersion(), before);
  EXPECT_EQ(*store->CountPostsForDesk(DeskQuery{}), 2);
}

TEST_P(StoreTest, ASnapshotReadsTogetherAndItsWritesStillCommit) {
  ASSERT_TRUE(store->UpsertPost(MakePost("one", 100)));
  std::string secret;
  ASSERT_TRUE(store->InSnapshot([&]() -> Result<void> {
    auto found = store->FindPublishedPost("one", 200);
    if (!found) return tl::unexpected(found.error());
    EXPECT_TRUE(*found);
    // A secret asked for the first time is made and stored, inside a page's reads too.
    auto made = store->Secret("snapshot-key", [] { return std::string("made-inside"); });
    if (!made) return tl::unexpected(made.error());
    secret = *made;
    return {};
  }));
  EXPECT_EQ(secret, "made-inside");
  EXPECT_EQ(*store->Secret("snapshot-key", [] { return std::string("made-again"); }),
            "made-inside");
}

TEST_P(StoreTest, ATransactionThatFailsLeavesTheContentVersion) {
  const auto before = store->ContentVersion();
  ASSERT_FALSE(store->InTransaction([&]() -> Result<void> {
    if (auto saved = store->UpsertPost(MakePost("gone", 100)); !saved)
      return tl::unexpected(saved.error());
    return Fail(ErrorCode::kInvalidArgument, "stop");
  }));
  EXPECT_EQ(store->ContentVersion(), before);
}

TEST_P(StoreTest, BackupsAreWorkingSQLiteFilesAndNeverOverwrite) {
  ASSERT_TRUE(store->UpsertPost(MakePost("kept", 100)));
  TempDir dir;
  const std::string copy = (dir.path() / "copy.db").string();
  ASSERT_TRUE(store->BackupTo(copy));
  // One file, nothing beside it.
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    files.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(files, std::vector<std::string>{"copy.db"});
  auto again = store->BackupTo(copy);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  auto restored = SqlStore::Open({copy, false});
  ASSERT_TRUE(restored);
  EXPECT_TRUE(*(*restored)->FindPost("kept"));
}

TEST(PostgresStore, AnotherProcessWriteReachesTheContentVersionWithinSeconds) {
  auto url = storage::test::EmptyPostgresUrl();
  if (!url) GTEST_SKIP() << url.error().message;
  auto server = SqlStore::Open({*url, false});
  auto command = SqlStore::Open({*url, false});
  ASSERT_TRUE(server && command);
  const auto before = (*server)->ContentVersion();
  ASSERT_TRUE((*command)->UpsertPost(MakePost("fresh", 100)));
  EXPECT_NE((*command)->ContentVersion(), before);  // its own at once
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*server)->ContentVersion() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE((*server)->ContentVersion(), before);
  EXPECT_TRUE(*(*server)->FindPublishedPost("fresh", 200));
  // Reads change nothing: the version stays.
  const auto after = (*server)->ContentVersion();
  ASSERT_TRUE((*command)->FindPost("fresh"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ((*server)->ContentVersion(), after);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, StoreTest,
                         ::testing::Values(storage::Dialect::kSqlite, storage::Dialect::kPostgres),
                         [](const auto& info) {
                           return std::string(storage::DialectName(info.param));
                         });

}  // namespace
}  // namespace broadsheet
