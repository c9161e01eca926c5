// The change log (docs/proposals/change-log.md): every write readers could see leaves its row,
// from whichever door, on both databases; what readers never see leaves none; each follower reads
// from its own position, and on PostgreSQL a transaction that commits after a later one is
// neither skipped nor given twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "storage/sql_store.h"
#include "storage/test_databases.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet {
namespace {

constexpr Timestamp kNow = 1'800'000'000;

// "kind post_id ref_id detail" for each row, to compare as text.
std::string Describe(const ChangeLogEntry& entry) {
  std::string text = entry.kind;
  text += " " + (entry.post_id ? std::to_string(*entry.post_id) : std::string("-"));
  text += " " + (entry.ref_id ? std::to_string(*entry.ref_id) : std::string("-"));
  if (!entry.detail.empty()) text += " " + entry.detail;
  return text;
}

class ChangeLog : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE(store_);
    auto head = store_->ReadChangeLogHead();
    ASSERT_TRUE(head) << broadsheet::Describe(head.error());
    position_ = head->position;
    // On PostgreSQL the head stays below any transaction running in the cluster (other tests'):
    // what this store wrote on opening may still come once.
    Logged();
  }

  // The rows written since the last call, described, in the order read.
  std::multiset<std::string> Logged() {
    std::multiset<std::string> rows;
    for (;;) {
      auto batch = store_->ReadChangeLog(position_, 100);
      EXPECT_TRUE(batch) << broadsheet::Describe(batch.error());
      if (!batch) return rows;
      EXPECT_TRUE(batch->in_range);
      position_ = batch->next;
      for (const ChangeLogEntry& entry : batch->entries) rows.insert(Describe(entry));
      if (batch->entries.empty()) return rows;
    }
  }
  bool LoggedAny() { return !Logged().empty(); }
  bool Has(const std::multiset<std::string>& rows, const std::string& row) {
    return rows.contains(row);
  }

  Post MakePost(std::string slug, PostStatus status = PostStatus::kPublished) {
    Post post;
    post.slug = std::move(slug);
    post.title = "Title of " + post.slug;
    post.status = status;
    if (status == PostStatus::kPublished) post.published_at = 100;
    post.body_markdown = "Body";
    post.body_html = "<p>Body</p>";
    post.created_at = 50;
    return post;
  }

  std::unique_ptr<SqlStore> store_;
  ChangeLogPosition position_;
};

TEST_P(ChangeLog, SavingPublishingAndDeletingPostsLeaveTheirRows) {
  auto id = store_->CreatePost(MakePost("draft", PostStatus::kDraft), std::nullopt, "{}");
  ASSERT_TRUE(id);
  const std::string post = "post " + std::to_string(*id) + " -";
  EXPECT_TRUE(Has(Logged(), post));

  auto found = store_->FindPostById(*id);
  ASSERT_TRUE(found && *found);
  Post edited = (*found)->post;
  edited.title = "A better headline";
  ASSERT_TRUE(store_->SavePostEdit(edited, edited.edit_count, std::nullopt, "{}"));
  EXPECT_TRUE(Has(Logged(), post));

  // The scheduler's bulk statement.
  Post scheduled = MakePost("later", PostStatus::kScheduled);
  scheduled.published_at = kNow - 10;
  auto later = store_->UpsertPost(scheduled);
  ASSERT_TRUE(later);
  Logged();
  ASSERT_EQ(*store_->PublishDuePosts(kNow), 1);
  EXPECT_EQ(Logged(), std::multiset<std::string>{"post " + std::to_string(*later) + " -"});

  // Emptying the trash: the post, and through the cascade its tag's link.
  auto tag = store_->UpsertTag(Tag{0, "grid", "Grid"});
  ASSERT_TRUE(tag);
  Post trashed = MakePost("trashed", PostStatus::kTrash);
  trashed.tag_ids = {*tag};
  auto trashed_id = store_->UpsertPost(trashed);
  ASSERT_TRUE(trashed_id);
  Logged();
  ASSERT_EQ(*store_->EmptyTrash(), 1);
  const auto emptied = Logged();
  EXPECT_TRUE(Has(emptied, "post " + std::to_string(*trashed_id) + " -"));
  EXPECT_TRUE(Has(emptied,
                  "post_was " + std::to_string(*trashed_id) + " " + std::to_string(*tag) + " tag"));
}

TEST_P(ChangeLog, BylinesTagsAndRenamesReachTheirPosts) {
  auto security = store_->UpsertSection(Section{0, "security", "Security", "", false, {}, 0});
  auto energy = store_->UpsertSection(Section{0, "energy", "Energy", "", false, {}, 1});
  auto author = store_->UpsertAuthor(Author{0, "jane", "Jane Doe", "", "", "", "", ""});
  auto tag = store_->UpsertTag(Tag{0, "korea", "Korea"});
  ASSERT_TRUE(security && energy && author && tag);
  const auto made = Logged();
  EXPECT_TRUE(Has(made, "taxonomy - " + std::to_string(*security) + " section"));
  EXPECT_TRUE(Has(made, "taxonomy - " + std::to_string(*author) + " author"));
  EXPECT_TRUE(Has(made, "taxonomy - " + std::to_string(*tag) + " tag"));

  Post post = MakePost("deterrence");
  post.section_id = *security;
  post.author_ids = {*author};
  post.tag_ids = {*tag};
  auto id = store_->UpsertPost(post);
  ASSERT_TRUE(id);
  const std::string p = std::to_string(*id);
  const auto saved = Logged();
  EXPECT_TRUE(Has(saved, "post " + p + " -"));
  EXPECT_TRUE(Has(saved, "post " + p + " " + std::to_string(*author) + " author"));
  EXPECT_TRUE(Has(saved, "post " + p + " " + std::to_string(*tag) + " tag"));

  // Moved to another section: the one it left is named.
  post.id = *id;
  post.section_id = *energy;
  ASSERT_TRUE(store_->UpsertPost(post));
  EXPECT_TRUE(Has(Logged(), "post_was " + p + " " + std::to_string(*security) + " section"));

  // Renames reach every post that shows the name.
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "korea", "Korean Peninsula"}));
  auto renamed = Logged();
  EXPECT_TRUE(Has(renamed, "taxonomy - " + std::to_string(*tag) + " tag"));
  EXPECT_TRUE(Has(renamed, "post " + p + " " + std::to_string(*tag) + " tag"));
  ASSERT_TRUE(store_->UpsertAuthor(Author{0, "jane", "Jane Q. Doe", "", "", "", "", ""}));
  EXPECT_TRUE(Has(Logged(), "post " + p + " " + std::to_string(*author) + " author"));
  ASSERT_TRUE(store_->UpsertSection(Section{0, "energy", "Energy & Climate", "", false, {}, 1}));
  EXPECT_TRUE(Has(Logged(), "post " + p + " " + std::to_string(*energy) + " section"));

  // Deletions cascade: a tag's links go, a section's posts lose it.
  ASSERT_TRUE(store_->DeleteTag("korea"));
  auto untagged = Logged();
  EXPECT_TRUE(Has(untagged, "post_was " + p + " " + std::to_string(*tag) + " tag"));
  EXPECT_TRUE(Has(untagged, "taxonomy - " + std::to_string(*tag) + " tag"));
  ASSERT_TRUE(store_->DeleteSection("energy"));
  auto unsectioned = Logged();
  EXPECT_TRUE(Has(unsectioned, "post " + p + " -"));
  EXPECT_TRUE(Has(unsectioned, "post_was " + p + " " + std::to_string(*energy) + " section"));
  EXPECT_TRUE(Has(unsectioned, "taxonomy - " + std::to_string(*energy) + " section"));
}

TEST_P(ChangeLog, NotesLeaveTheirRows) {
  auto id = store_->UpsertPost(MakePost("noted"));
  ASSERT_TRUE(id);
  Logged();
  PostNote note;
  note.post_id = *id;
  note.kind = "correction";
  note.text = "An earlier version misspelled a name.";
  note.at = 200;
  auto note_id = store_->AddPostNote(note, std::nullopt);
  ASSERT_TRUE(note_id);
  const std::string row = "note " + std::to_string(*id) + " " + std::to_string(*note_id);
  EXPECT_TRUE(Has(Logged(), row));
  note.id = *note_id;
  note.text = "An earlier version misspelled two names.";
  ASSERT_TRUE(store_->UpdatePostNote(note));
  EXPECT_TRUE(Has(Logged(), row));
  ASSERT_TRUE(store_->DeletePostNote(*id, *note_id));
  EXPECT_TRUE(Has(Logged(), row));
}

TEST_P(ChangeLog, ApprovedCommentsAreLoggedAndTheirBookkeepingIsNot) {
  auto id = store_->UpsertPost(MakePost("discussed"));
  ASSERT_TRUE(id);
  Logged();
  Comment comment;
  comment.post_id = *id;
  comment.author_name = "Reader";
  comment.author_email = "reader@example.org";
  comment.body_markdown = "First.";
  comment.body_html = "<p>First.</p>";
  comment.client_hash = "abc";
  comment.created_at = 100;
  auto held = store_->CreateComment(comment);
  ASSERT_TRUE(held);
  EXPECT_FALSE(LoggedAny());  // held for moderation: readers do not see it
  const std::string row = "comment " + std::to_string(*id) + " " + std::to_string(*held);
  ASSERT_TRUE(store_->SetCommentStatus(*held, CommentStatus::kApproved));
  EXPECT_EQ(Logged(), std::multiset<std::string>{row});

  auto stored = store_->FindComment(*held);
  ASSERT_TRUE(stored && *stored);
  Comment edited = **stored;
  edited.body_markdown = "First, edited.";
  edited.body_html = "<p>First, edited.</p>";
  ASSERT_TRUE(store_->UpdateComment(edited));
  EXPECT_EQ(Logged(), std::multiset<std::string>{row});

  // What the spam filter learned and forgetting the client: nothing readers see.
  ASSERT_TRUE(store_->LearnComment(*held, false, {"first"}));
  ASSERT_TRUE(store_->ForgetCommentClients(kNow));
  EXPECT_FALSE(LoggedAny());

  comment.status = CommentStatus::kApproved;
  auto approved = store_->CreateComment(comment);
  ASSERT_TRUE(approved);
  EXPECT_TRUE(Has(Logged(), "comment " + std::to_string(*id) + " " + std::to_string(*approved)));

  ASSERT_GE(*store_->EraseCommentsByEmail("reader@example.org"), 2);
  auto erased = Logged();
  EXPECT_TRUE(Has(erased, row));
  EXPECT_TRUE(Has(erased, "comment " + std::to_string(*id) + " " + std::to_string(*approved)));
}

TEST_P(ChangeLog, SettingsDeskSettingsAndRedirectsLeaveTheirRows) {
  Publication publication;
  publication.title = "The Meridian Review";
  ASSERT_TRUE(store_->SavePublication(publication));
  EXPECT_TRUE(Has(Logged(), "settings - - title"));
  ASSERT_TRUE(store_->SavePublication(publication));
  EXPECT_FALSE(LoggedAny());  // the same values again
  ASSERT_TRUE(store_->SetDeskSetting("robots_txt", "User-agent: *"));
  EXPECT_EQ(Logged(), std::multiset<std::string>{"settings - - desk:robots_txt"});

  ASSERT_TRUE(store_->PutRedirect(Redirect{"/old/", "/new/", 301, 100}));
  EXPECT_TRUE(Has(Logged(), "redirect - - /old/"));
  ASSERT_TRUE(store_->DeleteRedirect("/old/"));
  EXPECT_TRUE(Has(Logged(), "redirect - - /old/"));
}

TEST_P(ChangeLog, WritesReadersNeverSeeAreNotLogged) {
  auto post = store_->UpsertPost(MakePost("quiet"));
  ASSERT_TRUE(post);
  Logged();
  User user;
  user.email = "ed@example.org";
  user.name = "Ed";
  user.role = "editor";
  user.created_at = 100;
  auto user_id = store_->CreateUser(user);
  ASSERT_TRUE(user_id);
  ASSERT_TRUE(store_->CreateSession(Session{"hash", *user_id, 100, 100, kNow, "::1", "test"}));
  ASSERT_TRUE(store_->TouchSession("hash", 200));
  ASSERT_TRUE(store_->DeleteSession("hash"));
  ASSERT_TRUE(store_->CreateToken(OneTimeToken{"token", "set-password", *user_id, 100, kNow}));
  ASSERT_TRUE(store_->ReserveFailedLogin(FailedLoginLimits{}, "ed@example.org", "::1", 100));
  ASSERT_TRUE(store_->SetPasswordHash(*user_id, "argon"));
  ASSERT_TRUE(store_->AppendAudit(AuditEntry{0, 100, *user_id, "", "sign-in", *post, ""}));
  ASSERT_TRUE(store_->Secret("form-key", [] { return std::string("k"); }));
  ASSERT_TRUE(store_->SetUpgradeVersion("html", 2));
  EditorialNote note;
  note.post_id = *post;
  note.text = "Check the figures.";
  note.at = 100;
  note.user_id = *user_id;
  ASSERT_TRUE(store_->AddEditorialNote(note));
  OutgoingMail mail;
  mail.to = "someone@example.org";
  mail.subject = "Hello";
  mail.text = "Hi";
  mail.created_at = 100;
  ASSERT_TRUE(store_->QueueMail(mail));
  ASSERT_TRUE(store_->RecordImported({ImportedRecord{"wp:x", "post", "1", *post, ""}}));
  EXPECT_EQ(Logged(), std::multiset<std::string>{});
}

TEST_P(ChangeLog, EachFollowerReadsFromItsOwnPositionAndNothingIsCleared) {
  const ChangeLogPosition start = position_;
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "a", "A"}));
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "b", "B"}));
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "c", "C"}));
  // A small limit: the rest follows from the next position, none twice.
  auto first = store_->ReadChangeLog(start, 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->entries.size(), 2u);
  auto second = store_->ReadChangeLog(first->next, 2);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->entries.size(), 1u);
  EXPECT_EQ(second->entries[0].detail, "tag");
  std::set<std::int64_t> ids = {first->entries[0].id, first->entries[1].id, second->entries[0].id};
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(store_->ReadChangeLog(second->next, 10)->entries.empty());
  // Another follower from the same start reads the same rows.
  auto other = store_->ReadChangeLog(start, 10);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->entries.size(), 3u);
  EXPECT_EQ(other->generation, first->generation);
  EXPECT_FALSE(other->generation.empty());
  // `search rebuild`'s row.
  ASSERT_TRUE(store_->LogReindex());
  auto reindex = store_->ReadChangeLog(other->next, 10);
  ASSERT_TRUE(reindex);
  ASSERT_EQ(reindex->entries.size(), 1u);
  EXPECT_EQ(reindex->entries[0].kind, "reindex");
}

TEST_P(ChangeLog, APositionPastTheHeadIsNotOneOfThisLog) {
  auto head = store_->ReadChangeLogHead();
  ASSERT_TRUE(head);
  ChangeLogPosition beyond = head->position;
  beyond.cursor += 1'000'000;  // an index kept from a database that has since been put back
  auto batch = store_->ReadChangeLog(beyond, 10);
  ASSERT_TRUE(batch);
  EXPECT_FALSE(batch->in_range);
  EXPECT_TRUE(batch->entries.empty());
  EXPECT_TRUE(store_->ReadChangeLog(head->position, 10)->in_range);
}

TEST_P(ChangeLog, TrimmingRemovesOldRowsAndPutsOlderPositionsOutOfRange) {
  const ChangeLogPosition start = position_;
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "a", "A"}));
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "b", "B"}));
  EXPECT_EQ(Logged().size(), 2u);
  const ChangeLogPosition read_all = position_;
  // Nothing is older than the epoch: nothing goes, every position stays in range.
  auto none = store_->TrimChangeLog(0);
  ASSERT_TRUE(none) << broadsheet::Describe(none.error());
  EXPECT_EQ(*none, 0);
  EXPECT_TRUE(store_->ReadChangeLog(start, 10)->in_range);
  // Everything written before the limit goes (on PostgreSQL once no transaction below it runs:
  // other tests' may for a moment). A follower that had not read it is then out of range (it
  // starts over).
  int trimmed = 0;
  bool out_of_range = false;
  for (int round = 0; round < 100 && !out_of_range; ++round) {
    auto some = store_->TrimChangeLog(kNow * 2);
    ASSERT_TRUE(some) << broadsheet::Describe(some.error());
    trimmed += *some;
    auto behind = store_->ReadChangeLog(start, 10);
    ASSERT_TRUE(behind);
    out_of_range = !behind->in_range;
    if (out_of_range) {
      EXPECT_TRUE(behind->entries.empty());
    }
    if (!out_of_range) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(out_of_range);
  EXPECT_GE(trimmed, 2);
  // One that had read them (SQLite; below), and a new one from the head, read on.
  auto head = store_->ReadChangeLogHead();
  ASSERT_TRUE(head);
  auto from_head = store_->ReadChangeLog(head->position, 10);
  ASSERT_TRUE(from_head);
  EXPECT_TRUE(from_head->in_range);
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "c", "C"}));
  auto later = store_->ReadChangeLog(from_head->next, 10);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->in_range);
  ASSERT_EQ(later->entries.size(), 1u);
  EXPECT_EQ(later->entries[0].detail, "tag");
  if (GetParam() == storage::Dialect::kSqlite) {
    // SQLite's ids commit in order: the follower that had read both rows reads on.
    EXPECT_TRUE(store_->ReadChangeLog(read_all, 10)->in_range);
  }
}

TEST_P(ChangeLog, BehindCountsTheRowsAReadWouldGive) {
  auto none = store_->ChangeLogBehind(position_);
  ASSERT_TRUE(none) << broadsheet::Describe(none.error());
  EXPECT_EQ(none->rows, 0);
  EXPECT_FALSE(none->oldest_at);
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "a", "A"}));
  ASSERT_TRUE(store_->UpsertTag(Tag{0, "b", "B"}));
  auto two = store_->ChangeLogBehind(position_);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->rows, 2);
  EXPECT_TRUE(two->oldest_at);
  EXPECT_EQ(Logged().size(), 2u);
  EXPECT_EQ(store_->ChangeLogBehind(position_)->rows, 0);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, ChangeLog, test::kBothDatabases, test::DatabaseName);

// A byline row moved to another author (or post) logs the post it left as well as the one it
// joined, the same on both databases (the triggers log_author_moved).
class ChangeLogTriggers : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    auto url = test::SharedDatabaseUrl(GetParam(), folder_.path().string());
    if (!url && GetParam() == storage::Dialect::kPostgres && !storage::test::AdminUrl())
      GTEST_SKIP() << url.error().message;
    ASSERT_TRUE(url) << broadsheet::Describe(url.error());
    auto opened = SqlStore::Open({*url, true});
    ASSERT_TRUE(opened) << broadsheet::Describe(opened.error());
    store_ = std::move(*opened);
    storage::DatabaseOptions options;
    options.url = *url;
    options.pool_size = 1;
    auto raw = storage::Database::Open(options);
    ASSERT_TRUE(raw) << broadsheet::Describe(raw.error());
    raw_ = std::move(*raw);
  }

  testing::TempDir folder_;
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<storage::Database> raw_;
};

TEST_P(ChangeLogTriggers, AMovedBylineLogsThePostItLeftAndTheOneItJoined) {
  Author author;
  author.slug = "first";
  author.name = "First";
  auto first = store_->UpsertAuthor(author);
  ASSERT_TRUE(first);
  author.slug = "second";
  author.name = "Second";
  auto second = store_->UpsertAuthor(author);
  ASSERT_TRUE(second);
  Post post;
  post.slug = "story";
  post.title = "Story";
  post.status = PostStatus::kPublished;
  post.published_at = 100;
  post.created_at = 50;
  post.author_ids = {*first};
  auto id = store_->CreatePost(post, std::nullopt, "{}");
  ASSERT_TRUE(id) << broadsheet::Describe(id.error());
  auto head = store_->ReadChangeLogHead();
  ASSERT_TRUE(head);
  // Drain whatever came before (on PostgreSQL the head may be below it).
  ChangeLogPosition at = head->position;
  for (;;) {
    auto batch = store_->ReadChangeLog(at, 1000);
    ASSERT_TRUE(batch);
    at = batch->next;
    if (batch->entries.empty()) break;
  }
  auto moved = raw_->Transact([&](storage::Connection& c) -> Result<std::int64_t> {
    return c.Exec("UPDATE post_authors SET author_id = ? WHERE post_id = ?", *second, *id);
  });
  ASSERT_TRUE(moved) << broadsheet::Describe(moved.error());
  ASSERT_EQ(*moved, 1);
  std::multiset<std::string> rows;
  for (;;) {
    auto batch = store_->ReadChangeLog(at, 1000);
    ASSERT_TRUE(batch);
    at = batch->next;
    for (const auto& entry : batch->entries) rows.insert(Describe(entry));
    if (batch->entries.empty()) break;
  }
  const std::string post_id = std::to_string(*id);
  EXPECT_EQ(rows, (std::multiset<std::string>{
                      "post_was " + post_id + " " + std::to_string(*first) + " author",
                      "post " + post_id + " " + std::to_string(*second) + " author"}));
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, ChangeLogTriggers, test::kBothDatabases,
                         test::DatabaseName);

// A transaction on `database`'s own connection that inserts the tag `slug` and stays open until
// Commit (or destruction): a transaction still running while others commit after it.
class HeldTransaction {
 public:
  HeldTransaction(storage::Database& database, std::string slug)
      : commit_(may_commit_.get_future()), thread_([this, &database, slug = std::move(slug)] {
          bool told = false;
          auto done = database.TransactOnce([&](storage::Connection& c) -> Result<void> {
            auto inserted =
                c.Exec("INSERT INTO tags(slug, name) VALUES (?, ?)", slug, std::string("Held"));
            if (!inserted) return tl::unexpected(inserted.error());
            auto xid = c.Integer("SELECT pg_current_xact_id()::text::bigint");
            if (!xid) return tl::unexpected(xid.error());
            wrote_.set_value(xid->value_or(0));
            told = true;
            commit_.wait();
            return {};
          });
          if (!told) wrote_.set_value(-1);
          EXPECT_TRUE(done) << broadsheet::Describe(done.error());
        }) {}
  ~HeldTransaction() { Commit(); }

  // The transaction's id once its row is written; -1 when it failed.
  std::int64_t xid() { return xid_ ? *xid_ : *(xid_ = wrote_.get_future().get()); }
  void Commit() {
    if (!thread_.joinable()) return;
    xid();
    may_commit_.set_value();
    thread_.join();
  }

 private:
  std::promise<std::int64_t> wrote_;
  std::promise<void> may_commit_;
  std::future<void> commit_;
  std::optional<std::int64_t> xid_;
  std::thread thread_;  // last: starts once the rest is ready
};

// PostgreSQL gives a transaction its id when it first writes, and it may commit after a later
// one: T1 writes and stays open, T2 writes and commits. A reader sees T2's rows at once, keeps
// its cursor below T1, and reads T1's rows once T1 commits, without T2's again.
TEST(PostgresChangeLog, ATransactionThatCommitsLateIsReadOnceItCommits) {
  auto url = storage::test::EmptyPostgresUrl();
  if (!url) GTEST_SKIP() << url.error().message;
  auto opened = SqlStore::Open({*url, true});
  ASSERT_TRUE(opened) << broadsheet::Describe(opened.error());
  std::unique_ptr<SqlStore> store = std::move(*opened);
  storage::DatabaseOptions options;
  options.url = *url;
  options.pool_size = 1;
  auto other = storage::Database::Open(options);
  ASSERT_TRUE(other);
  auto head = store->ReadChangeLogHead();
  ASSERT_TRUE(head);
  auto drained = store->ReadChangeLog(head->position, 1000);  // whatever opening wrote
  ASSERT_TRUE(drained);

  HeldTransaction t1(**other, "late");
  const std::int64_t t1_xid = t1.xid();
  ASSERT_GT(t1_xid, 0);

  auto early = store->UpsertTag(Tag{0, "early", "Early"});  // T2, committed at once
  ASSERT_TRUE(early);
  auto first = store->ReadChangeLog(drained->next, 100);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->entries.size(), 1u);
  EXPECT_EQ(first->entries[0].ref_id, *early);
  EXPECT_GT(first->entries[0].xid, t1_xid);
  EXPECT_LE(first->next.cursor, t1_xid);  // T1 is still running: nothing at or above it is final
  // T1 is named as pending: the next read takes its rows, and no other above the cursor again.
  EXPECT_TRUE(std::find(first->next.pending.begin(), first->next.pending.end(), t1_xid) !=
              first->next.pending.end());
  EXPECT_GT(first->next.through, first->entries[0].xid);
  // Read again while T1 runs: T2's row is not given twice.
  auto meanwhile = store->ReadChangeLog(first->next, 100);
  ASSERT_TRUE(meanwhile);
  EXPECT_TRUE(meanwhile->entries.empty());

  t1.Commit();
  auto second = store->ReadChangeLog(meanwhile->next, 100);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->entries.size(), 1u);
  EXPECT_EQ(second->entries[0].xid, t1_xid);
  EXPECT_EQ(second->entries[0].kind, "taxonomy");
  EXPECT_NE(second->entries[0].ref_id, *early);
  auto third = store->ReadChangeLog(second->next, 100);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->entries.empty());
}

// With a limit, a read stops at it, inside a transaction if need be, and keeps where it stopped
// in its position, so that what follows in that transaction still comes, once.
TEST(PostgresChangeLog, AReadStoppedByItsLimitResumesWithoutSkippingOrRepeating) {
  auto url = storage::test::EmptyPostgresUrl();
  if (!url) GTEST_SKIP() << url.error().message;
  auto opened = SqlStore::Open({*url, true});
  ASSERT_TRUE(opened);
  std::unique_ptr<SqlStore> store = std::move(*opened);
  auto head = store->ReadChangeLogHead();
  ASSERT_TRUE(head);
  auto drained = store->ReadChangeLog(head->position, 1000);  // whatever opening wrote
  ASSERT_TRUE(drained);
  ASSERT_TRUE(store->InTransaction([&]() -> Result<void> {
    for (const char* slug : {"a", "b", "c", "d", "e"}) {
      if (auto made = store->UpsertTag(Tag{0, slug, slug}); !made)
        return tl::unexpected(made.error());
    }
    return {};
  }));
  ASSERT_TRUE(store->UpsertTag(Tag{0, "f", "f"}));
  std::vector<std::int64_t> ids;
  ChangeLogPosition at = drained->next;
  for (int round = 0; round < 10; ++round) {
    auto batch = store->ReadChangeLog(at, 2);
    ASSERT_TRUE(batch);
    // Within a transaction too: an import's thousands of rows come a batch at a time.
    EXPECT_LE(batch->entries.size(), 2u);
    for (const auto& entry : batch->entries) ids.push_back(entry.id);
    at = batch->next;
    if (batch->entries.empty()) break;
  }
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), 6u);
  auto behind = store->ChangeLogBehind(at);
  ASSERT_TRUE(behind);
  EXPECT_EQ(behind->rows, 0);
}

// Issue 16: a session idle in a transaction (anywhere in the cluster) holds the horizon while
// many transactions commit after it. Every read takes only what it has not read (counted in SQL:
// ChangeLogBehind is 0 once caught up), the position stays small, and the held transaction's row
// comes once when it commits.
TEST(PostgresChangeLog, AStalledHorizonCostsReadsNothingAndLosesNothing) {
  auto url = storage::test::EmptyPostgresUrl();
  if (!url) GTEST_SKIP() << url.error().message;
  auto opened = SqlStore::Open({*url, true});
  ASSERT_TRUE(opened) << broadsheet::Describe(opened.error());
  std::unique_ptr<SqlStore> store = std::move(*opened);
  storage::DatabaseOptions options;
  options.url = *url;
  options.pool_size = 1;
  auto other = storage::Database::Open(options);
  ASSERT_TRUE(other);
  auto head = store->ReadChangeLogHead();
  ASSERT_TRUE(head);
  ChangeLogPosition at = head->position;
  for (;;) {  // whatever opening wrote
    auto batch = store->ReadChangeLog(at, 1000);
    ASSERT_TRUE(batch);
    at = batch->next;
    if (batch->entries.empty()) break;
  }

  HeldTransaction held(**other, "held");
  const std::int64_t held_xid = held.xid();
  ASSERT_GT(held_xid, 0);

  constexpr int kWrites = 300;
  std::set<std::int64_t> ids;
  int rows_read = 0;
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_TRUE(store->UpsertTag(Tag{0, "t" + std::to_string(i), "T"}));
    if (i % 10 != 9) continue;
    // Reads as a follower would make them, a small limit at a time, to the end.
    for (;;) {
      auto batch = store->ReadChangeLog(at, 4);
      ASSERT_TRUE(batch) << broadsheet::Describe(batch.error());
      ASSERT_TRUE(batch->in_range);
      EXPECT_LE(batch->entries.size(), 4u);  // one row a transaction here: never past the limit
      for (const auto& entry : batch->entries) {
        EXPECT_NE(entry.xid, held_xid);
        ids.insert(entry.id);
        ++rows_read;
      }
      at = batch->next;
      if (batch->entries.empty()) break;
    }
    EXPECT_LE(at.cursor, held_xid);  // held back...
    // ...but nothing above it is waiting to be read again, and the position names only the
    // transactions running (the held one, and perhaps other tests').
    auto behind = store->ChangeLogBehind(at);
    ASSERT_TRUE(behind);
    EXPECT_EQ(behind->rows, 0);
    EXPECT_LE(at.pending.size(), 50u);
    EXPECT_TRUE(std::find(at.pending.begin(), at.pending.end(), held_xid) != at.pending.end());
  }
  EXPECT_EQ(rows_read, kWrites);  // each once
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kWrites));

  held.Commit();
  std::vector<ChangeLogEntry> after;
  for (;;) {
    auto batch = store->ReadChangeLog(at, 4);
    ASSERT_TRUE(batch);
    for (const auto& entry : batch->entries) after.push_back(entry);
    at = batch->next;
    if (batch->entries.empty()) break;
  }
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].xid, held_xid);
  EXPECT_EQ(after[0].kind, "taxonomy");
}

// A read stops at its limit inside a transaction too (an import writes thousands of rows in one):
// a batch never grows past it, and the transaction's other rows follow.
TEST(PostgresChangeLog, ABatchStopsAtItsLimitInsideATransaction) {
  auto url = storage::test::EmptyPostgresUrl();
  if (!url) GTEST_SKIP() << url.error().message;
  auto opened = SqlStore::Open({*url, true});
  ASSERT_TRUE(opened);
  std::unique_ptr<SqlStore> store = std::move(*opened);
  auto head = store->ReadChangeLogHead();
  ASSERT_TRUE(head);
  ChangeLogPosition at = head->position;
  for (;;) {
    auto batch = store->ReadChangeLog(at, 1000);
    ASSERT_TRUE(batch);
    at = batch->next;
    if (batch->entries.empty()) break;
  }
  ASSERT_TRUE(store->InTransaction([&]() -> Result<void> {
    for (const char* slug : {"a", "b", "c", "d", "e"}) {
      if (auto made = store->UpsertTag(Tag{0, slug, slug}); !made)
        return tl::unexpected(made.error());
    }
    return {};
  }));
  auto f = store->UpsertTag(Tag{0, "f", "f"});
  ASSERT_TRUE(f);
  // 2 and 2 of the five, then the fifth and f's, then nothing.
  std::vector<std::size_t> sizes;
  std::vector<std::int64_t> refs;
  for (int round = 0; round < 5; ++round) {
    auto batch = store->ReadChangeLog(at, 2);
    ASSERT_TRUE(batch);
    sizes.push_back(batch->entries.size());
    for (const auto& entry : batch->entries) refs.push_back(entry.ref_id.value_or(0));
    at = batch->next;
    if (batch->entries.empty()) break;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 2, 0}));
  ASSERT_EQ(refs.size(), 6u);
  EXPECT_EQ(refs.back(), *f);
}

}  // namespace
}  // namespace broadsheet
