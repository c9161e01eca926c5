// Freshness across processes on PostgreSQL (issue 16, item 1): a store hears another's writes
// by LISTEN/NOTIFY well before its poll, keeps hearing them after its listening connection is
// ended, and comment notices reach the other stores only; notices are parsed defensively.
#include "storage/change_listener.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/sql_store.h"
#include "storage/test_databases.h"

namespace broadsheet {
namespace {

using namespace std::chrono_literals;
using storage::ChangeNotice;
using storage::ParseChangeNotice;

// Waits up to `limit` for `done`; whether it came.
template <typename Done>
bool Within(std::chrono::milliseconds limit, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

Post NewPost(std::string slug) {
  Post post;
  post.slug = std::move(slug);
  post.title = "Title of " + post.slug;
  post.status = PostStatus::kPublished;
  post.published_at = 100;
  post.body_markdown = "Body";
  post.body_html = "<p>Body</p>";
  return post;
}

// The post ids a store's comment notices named, gathered from its listener's thread.
class Heard {
 public:
  void Attach(SqlStore& store) {
    store.SetCommentPagesChanged([this](std::int64_t post_id) {
      std::lock_guard lock(mutex_);
      ids_.push_back(post_id);
    });
  }
  std::vector<std::int64_t> ids() const {
    std::lock_guard lock(mutex_);
    return ids_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::int64_t> ids_;
};

TEST(ChangeNotice, ACommentNoticeReadsBack) {
  const std::string origin = ChangeNotice::NewOrigin();
  EXPECT_EQ(origin.size(), 16u);
  const ChangeNotice notice = ParseChangeNotice(ChangeNotice::Comments(42, origin));
  EXPECT_EQ(notice.kind, ChangeNotice::Kind::kComments);
  EXPECT_EQ(notice.post_id, 42);
  EXPECT_EQ(notice.origin, origin);
  EXPECT_NE(ChangeNotice::NewOrigin(), origin);
}

TEST(ChangeNotice, AnythingMalformedIsAContentNotice) {
  const std::string long_origin(33, 'a');
  for (const std::string& payload :
       {std::string(), std::string("version"), std::string("comment:"), std::string("comment:1"),
        std::string("comment::ab"), std::string("comment:1:"), std::string("comment:0:ab"),
        std::string("comment:07:ab"), std::string("comment:-1:ab"), std::string("comment:+1:ab"),
        std::string("comment:1x:ab"), std::string("comment:9999999999999999999:ab"),
        std::string("comment:1:AB"), std::string("comment:1:ab:cd"), std::string("comment:1:ab "),
        std::string("Comment:1:ab"), std::string("comment:1:") + long_origin,
        std::string("comment:1:a\0b", 13), std::string(8000, 'c')}) {
    const ChangeNotice notice = ParseChangeNotice(payload);
    EXPECT_EQ(notice.kind, ChangeNotice::Kind::kContent) << payload;
    EXPECT_EQ(notice.post_id, 0) << payload;
  }
  EXPECT_EQ(ParseChangeNotice("comment:999999999999999999:" + std::string(32, 'f')).post_id,
            999999999999999999);
}

TEST(ChangeListener, ADatabaseThatCannotBeReachedNeitherBlocksStartNorStop) {
  storage::ChangeListener::Options options;
  options.url = "postgresql://nobody@/postgres?host=/nonexistent-broadsheet-socket";
  options.connect_timeout = 300ms;
  options.first_retry = 10ms;
  options.longest_retry = 20ms;
  const auto started = std::chrono::steady_clock::now();
  auto listener = storage::ChangeListener::Start(
      options, [](std::string_view) {}, [] {});
  EXPECT_FALSE(listener->listening());
  std::this_thread::sleep_for(100ms);  // a few attempts, each failing
  listener.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

class PostgresChanges : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = storage::test::EmptyPostgresUrl();
    if (!made) GTEST_SKIP() << made.error().message;
    url = *made;
  }
  // A store that reads the content version only every minute unless told: what it sees within
  // a second it heard.
  std::unique_ptr<SqlStore> Deaf() {
    SqlStore::Options options{url, false};
    options.version_poll = std::chrono::minutes(1);
    auto opened = SqlStore::Open(options);
    EXPECT_TRUE(opened) << Describe(opened.error());
    return opened ? std::move(*opened) : nullptr;
  }
  // Another connection to the same database, as an administrator or another program.
  std::unique_ptr<storage::Database> Admin() {
    storage::DatabaseOptions options;
    options.url = url;
    options.pool_size = 1;
    auto opened = storage::Database::Open(options);
    EXPECT_TRUE(opened) << Describe(opened.error());
    return opened ? std::move(*opened) : nullptr;
  }
  std::string url;
};

TEST_F(PostgresChanges, AnotherStoresWriteIsHeardWellBeforeThePoll) {
  auto server = Deaf();
  auto command = Deaf();
  ASSERT_TRUE(server && command);
  EXPECT_TRUE(server->Listening());  // Open returns with LISTEN in place
  for (int round = 0; round < 3; ++round) {
    const auto before = server->ContentVersion();
    const auto sent = std::chrono::steady_clock::now();
    ASSERT_TRUE(command->UpsertPost(NewPost("fresh-" + std::to_string(round))));
    EXPECT_TRUE(Within(1s, [&] { return server->ContentVersion() != before; })) << round;
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 1s);
    EXPECT_TRUE(*server->FindPublishedPost("fresh-" + std::to_string(round), 200));
  }
  // Reads change nothing, and neither do the store's own notices come back as changes.
  const auto after = server->ContentVersion();
  ASSERT_TRUE(command->FindPost("fresh-0"));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server->ContentVersion(), after);
}

TEST_F(PostgresChanges, AVersionAdvancedWithoutANoticeIsFoundByThePoll) {
  SqlStore::Options options{url, false};
  options.version_poll = 200ms;
  auto server = SqlStore::Open(options);
  ASSERT_TRUE(server);
  auto admin = Admin();
  ASSERT_TRUE(admin);
  const auto before = (*server)->ContentVersion();
  ASSERT_TRUE(admin->Transact(
      [](storage::Connection& c) { return c.Integer("SELECT nextval('content_version')"); }));
  EXPECT_TRUE(Within(5s, [&] { return (*server)->ContentVersion() != before; }));
}

TEST_F(PostgresChanges, AfterItsListeningConnectionIsEndedTheStoreHearsAgain) {
  auto server = Deaf();
  auto command = Deaf();
  auto admin = Admin();
  ASSERT_TRUE(server && command && admin);
  const int pid = server->ListenerBackendPid();
  ASSERT_NE(pid, 0);
  const auto before = server->ContentVersion();
  ASSERT_TRUE(admin->Transact([pid](storage::Connection& c) {
    return c.Exec("SELECT pg_terminate_backend(?)", static_cast<std::int64_t>(pid));
  }));
  // It connects again, and drops every page once, since notices may have been lost meanwhile.
  EXPECT_TRUE(Within(5s, [&] {
    const int now = server->ListenerBackendPid();
    return now != 0 && now != pid && server->ContentVersion() != before;
  }));
  const auto reconnected = server->ContentVersion();
  ASSERT_TRUE(command->UpsertPost(NewPost("after")));
  EXPECT_TRUE(Within(1s, [&] { return server->ContentVersion() != reconnected; }));
  EXPECT_TRUE(*server->FindPublishedPost("after", 200));
}

TEST_F(PostgresChanges, ACommentNoticeReachesTheOtherStoresNotItsSender) {
  Heard by_server, by_command;  // outlive the stores that call them
  auto server = Deaf();
  auto command = Deaf();
  ASSERT_TRUE(server && command);
  by_server.Attach(*server);
  by_command.Attach(*command);
  const auto before = server->ContentVersion();
  ASSERT_TRUE(command->AnnounceCommentPages(7));
  EXPECT_TRUE(Within(1s, [&] { return !by_server.ids().empty(); }));
  EXPECT_EQ(by_server.ids(), std::vector<std::int64_t>{7});
  // A notice for its own comment would mark pages it marked already; and a comment notice is
  // no content change.
  ASSERT_TRUE(server->AnnounceCommentPages(8));
  EXPECT_TRUE(Within(1s, [&] { return !by_command.ids().empty(); }));
  EXPECT_EQ(by_command.ids(), std::vector<std::int64_t>{8});
  EXPECT_EQ(by_server.ids(), std::vector<std::int64_t>{7});
  EXPECT_EQ(server->ContentVersion(), before);
}

TEST_F(PostgresChanges, AHostileNoticeNamesNoPost) {
  Heard heard;
  auto server = Deaf();
  auto admin = Admin();
  ASSERT_TRUE(server && admin);
  heard.Attach(*server);
  // In order from one session: the malformed ones first, then one that is well formed.
  for (const char* payload : {"comment:1:NOT-HEX", "comment:-5:ab", "comment:5", "comment:0:ab",
                              "comment:12345678901234567890:ab", "comment:6:abcdef"}) {
    ASSERT_TRUE(admin->Transact([payload](storage::Connection& c) -> Result<void> {
      auto sent = c.Exec("SELECT pg_notify('broadsheet_changes', ?)", payload);
      if (!sent) return tl::unexpected(sent.error());
      return {};
    }));
  }
  EXPECT_TRUE(Within(1s, [&] { return !heard.ids().empty(); }));
  EXPECT_EQ(heard.ids(), std::vector<std::int64_t>{6});
}

TEST(SqliteStore, CommentNoticesAreNothingToTell) {
  auto store = SqlStore::Open({":memory:", true});
  ASSERT_TRUE(store);
  EXPECT_TRUE((*store)->AnnounceCommentPages(1));
  EXPECT_FALSE((*store)->Listening());
}

}  // namespace
}  // namespace broadsheet
