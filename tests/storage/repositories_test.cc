// The queries moved onto the seam (storage/repositories.h), run on both databases against the
// schema each really has: SQLite's as its migrations leave it, PostgreSQL's baseline.
#include "storage/repositories.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "storage/postgres_schema.h"
#include "storage/sql_store.h"
#include "storage/test_databases.h"

namespace broadsheet::storage {
namespace {

class RepositoriesTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == Dialect::kSqlite) {
      dir_ = std::filesystem::temp_directory_path() /
             ("broadsheet-repositories-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::create_directories(dir_);
      const std::string path = (dir_ / "site.db").string();
      ASSERT_TRUE(SqlStore::Open({path, true}));  // made and migrated, then closed
      DatabaseOptions options;
      options.url = path;
      auto opened = Database::Open(options);
      ASSERT_TRUE(opened);
      database_ = std::move(*opened);
      return;
    }
    auto opened = test::OpenEmptyDatabase(Dialect::kPostgres, {});
    if (!opened) GTEST_SKIP() << opened.error().message;
    database_ = std::move(*opened);
    ASSERT_TRUE(postgres::Migrate(*database_));
  }
  void TearDown() override {
    database_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  template <typename Work>
  auto Write(Work work) {
    auto done = database_->Transact(work);
    EXPECT_TRUE(done) << Describe(done.error());
    return done;
  }
  template <typename Work>
  auto Read(Work work) {
    auto done = database_->Read(work);
    EXPECT_TRUE(done) << Describe(done.error());
    return done;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Database> database_;
};

TEST_P(RepositoriesTest, PublicationSettingsRoundTrip) {
  auto fresh = Read([](Connection& c) { return settings::LoadPublication(c); });
  EXPECT_EQ(fresh->timezone, "UTC");
  Publication publication;
  publication.title = "The Quarterly \u2014 Security";
  publication.timezone = "America/New_York";
  publication.disclaimer = "";
  Write([&](Connection& c) { return settings::SavePublication(c, publication); });
  Write([&](Connection& c) { return settings::SavePublication(c, publication); });  // again
  auto loaded = Read([](Connection& c) { return settings::LoadPublication(c); });
  EXPECT_EQ(loaded->title, publication.title);
  EXPECT_EQ(loaded->timezone, "America/New_York");
  EXPECT_EQ(loaded->disclaimer, "");
}

TEST_P(RepositoriesTest, DeskSettingsAreFoundByTheirExactPrefix) {
  Write([](Connection& c) -> Result<void> {
    for (const char* key : {"comments_depth", "comments_hold_words", "Comments_other", "robots"}) {
      if (auto set = settings::SetDeskSetting(c, key, std::string("v-") + key); !set) return set;
    }
    return settings::SetDeskSetting(c, "robots", "changed");
  });
  auto found = Read([](Connection& c) { return settings::DeskSettings(c, "comments_"); });
  EXPECT_EQ(*found,
            (std::map<std::string, std::string>{{"comments_depth", "v-comments_depth"},
                                                {"comments_hold_words", "v-comments_hold_words"}}));
  auto robots = Read([](Connection& c) { return settings::DeskSetting(c, "robots"); });
  EXPECT_EQ(*robots, "changed");
  auto missing = Read([](Connection& c) { return settings::DeskSetting(c, "nothing"); });
  EXPECT_FALSE(*missing);
}

TEST_P(RepositoriesTest, ASecretIsMadeOnceAndKept) {
  auto first = Write([](Connection& c) { return settings::AddSecret(c, "form-key", "one"); });
  auto second = Write([](Connection& c) { return settings::AddSecret(c, "form-key", "two"); });
  EXPECT_EQ(*first, "one");
  EXPECT_EQ(*second, "one");
}

TEST_P(RepositoriesTest, RedirectsAreReplacedByPathAndListedInOrder) {
  Write([](Connection& c) -> Result<void> {
    if (auto put = redirects::Put(c, {"/b/", "/new-b/", 301, 10}); !put) return put;
    if (auto put = redirects::Put(c, {"/a/", "", 410, 20}); !put) return put;
    return redirects::Put(c, {"/b/", "https://elsewhere.example/b", 302, 30});
  });
  auto listed = Read([](Connection& c) { return redirects::List(c); });
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].from_path, "/a/");
  EXPECT_EQ((*listed)[0].status, 410);
  EXPECT_EQ((*listed)[1].to_path, "https://elsewhere.example/b");
  EXPECT_EQ((*listed)[1].status, 302);
  EXPECT_EQ((*listed)[1].created_at, 30);
  Write([](Connection& c) { return redirects::Remove(c, "/a/"); });
  auto gone = Read([](Connection& c) { return redirects::Find(c, "/a/"); });
  EXPECT_FALSE(*gone);
  auto kept = Read([](Connection& c) { return redirects::Find(c, "/b/"); });
  ASSERT_TRUE(*kept);
  EXPECT_EQ((*kept)->status, 302);
}

TEST_P(RepositoriesTest, TheAuditLogIsReadNewestFirstWithNames) {
  Write([](Connection& c) -> Result<void> {
    auto user = c.Exec(
        "INSERT INTO users(id, email, name, role, created_at) VALUES (7, 'ed@example.org', "
        "'Ed Itor', 'editor', 1)");
    if (!user) return tl::unexpected(user.error());
    if (auto a = audit::Append(c, {0, 100, 7, "", "publish", 3, "A Title"}); !a) return a;
    return audit::Append(c, {0, 200, std::nullopt, "", "import", std::nullopt, "wordpress"});
  });
  auto entries = Read([](Connection& c) { return audit::List(c, 10, 0); });
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].action, "import");
  EXPECT_EQ((*entries)[0].user_name, "");
  EXPECT_FALSE((*entries)[0].post_id);
  EXPECT_EQ((*entries)[1].user_name, "Ed Itor");
  EXPECT_EQ((*entries)[1].post_id, 3);
  auto page = Read([](Connection& c) { return audit::List(c, 1, 1); });
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].action, "publish");
}

TEST_P(RepositoriesTest, ImportRecordsAreUpdatedInPlace) {
  using Records = std::vector<ImportedRecord>;
  Write([](Connection& c) {
    return imported::Record(c, Records{{"wordpress x", "post", "12", 5, "a"},
                                       {"wordpress x", "page", "12", 7, "p"},
                                       {"wordpress y", "post", "12", 8, "y"}});
  });
  // Again, twice in one batch: the last wins.
  Write([](Connection& c) {
    return imported::Record(
        c, Records{{"wordpress x", "post", "12", 9, "z"}, {"wordpress x", "post", "12", 6, "b"}});
  });
  auto listed = Read([](Connection& c) { return imported::List(c, "wordpress x"); });
  ASSERT_TRUE(listed) << Describe(listed.error());
  std::map<std::string, ImportedRecord> by_kind;
  for (const ImportedRecord& record : *listed) by_kind[record.kind] = record;
  ASSERT_EQ(by_kind.size(), 2u);
  EXPECT_EQ(by_kind["post"].local_id, 6);
  EXPECT_EQ(by_kind["post"].detail, "b");
  EXPECT_EQ(by_kind["post"].source, "wordpress x");
  EXPECT_EQ(by_kind["page"].local_id, 7);

  // A long batch goes in several statements, every record once.
  Records many;
  for (int i = 0; i < 1000; ++i) many.push_back({"ghost", "comment", std::to_string(i), i, ""});
  Write([&](Connection& c) { return imported::Record(c, many); });
  EXPECT_EQ(Read([](Connection& c) { return imported::List(c, "ghost"); })->size(), 1000u);
}

TEST_P(RepositoriesTest, SectionsAuthorsAndTagsAreKeptBySlug) {
  Section energy{0, "energy", "Energy", "", false, std::nullopt, 2};
  Section security{0, "security", "Security and Foreign Policy", "", true, "Views are ours.", 1};
  auto first = Write([&](Connection& c) { return taxonomy::UpsertSection(c, energy); });
  Write([&](Connection& c) { return taxonomy::UpsertSection(c, security); });
  energy.name = "Energy and Climate";
  auto again = Write([&](Connection& c) { return taxonomy::UpsertSection(c, energy); });
  EXPECT_EQ(*first, *again);
  auto sections = Read([](Connection& c) { return taxonomy::ListSections(c); });
  ASSERT_EQ(sections->size(), 2u);
  EXPECT_EQ((*sections)[0].slug, "security");  // by position
  EXPECT_EQ((*sections)[0].disclaimer, "Views are ours.");
  EXPECT_TRUE((*sections)[0].opinion);
  EXPECT_EQ((*sections)[1].name, "Energy and Climate");

  Author author{0,  "mira-okafor", "Mira Okafor", "Senior Fellow", "mira@example.org",
                "", "Bio.",        "<p>Bio.</p>"};
  auto author_id = Write([&](Connection& c) { return taxonomy::UpsertAuthor(c, author); });
  auto found = Read([](Connection& c) { return taxonomy::FindAuthor(c, "mira-okafor"); });
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, *author_id);
  EXPECT_EQ((*found)->bio_html, "<p>Bio.</p>");
  auto tag_id = Write([](Connection& c) { return taxonomy::UpsertTag(c, {0, "grid", "Grid"}); });
  auto renamed = Write([](Connection& c) { return taxonomy::UpsertTag(c, {0, "grid", "Grids"}); });
  EXPECT_EQ(*tag_id, *renamed);
  EXPECT_EQ((*Read([](Connection& c) { return taxonomy::FindTag(c, "grid"); }))->name, "Grids");

  // A section's posts stay, without it; a tag's links go with it.
  Write([&](Connection& c) -> Result<void> {
    auto post = c.Exec(
        "INSERT INTO posts(id, slug, kind, status, title, created_at, section_id) VALUES "
        "(1, 'p', 'article', 'published', 'P', 1, ?)",
        *first);
    if (!post) return tl::unexpected(post.error());
    auto link = c.Exec("INSERT INTO post_tags(post_id, tag_id) VALUES (1, ?)", *tag_id);
    if (!link) return tl::unexpected(link.error());
    if (auto gone = taxonomy::DeleteSection(c, "energy"); !gone) return gone;
    return taxonomy::DeleteTag(c, "grid");
  });
  auto section_of_post = Read([](Connection& c) {
    return c.One("SELECT section_id FROM posts WHERE id = 1",
                 [](const Row& row) { return row.IsNull(0); });
  });
  EXPECT_TRUE(section_of_post->value_or(false));
  auto links = Read([](Connection& c) { return c.Integer("SELECT count(*) FROM post_tags"); });
  EXPECT_EQ(*links, 0);
  EXPECT_FALSE(*Read([](Connection& c) { return taxonomy::FindSection(c, "energy"); }));
}

TEST_P(RepositoriesTest, StaffAccountsSessionsAndTokens) {
  User user;
  user.email = "Ed@Example.org";
  user.name = "Ed Itor";
  user.role = "editor";
  auto id = Write([&](Connection& c) { return staff::CreateUser(c, user); });
  user.email = "ed@example.ORG";  // the same address, whatever its case
  auto again = database_->Transact([&](Connection& c) { return staff::CreateUser(c, user); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  auto found = Read([](Connection& c) { return staff::FindUserByEmail(c, "ED@EXAMPLE.ORG"); });
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, *id);

  Write([&](Connection& c) {
    return staff::CreateSession(c, {"hash-1", *id, 100, 100, 1000, "192.0.2.1", "test"});
  });
  Write([&](Connection& c) { return staff::TouchSession(c, "hash-1", 200); });
  auto session = Read([](Connection& c) { return staff::FindSession(c, "hash-1", 300); });
  ASSERT_TRUE(*session);
  EXPECT_EQ((*session)->last_seen_at, 200);
  EXPECT_FALSE(*Read([](Connection& c) { return staff::FindSession(c, "hash-1", 1000); }));
  // Disabling the account ends its sessions; a missing account is named.
  Write([&](Connection& c) { return staff::SetUserDisabled(c, *id, true); });
  EXPECT_TRUE(Read([&](Connection& c) { return staff::ListSessions(c, *id, 300); })->empty());
  auto missing = database_->Transact([](Connection& c) { return staff::SetUserRole(c, 999, "x"); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  auto fresh = Write([&](Connection& c) { return staff::UseTotpStep(c, *id, 5); });
  auto replayed = Write([&](Connection& c) { return staff::UseTotpStep(c, *id, 5); });
  EXPECT_TRUE(*fresh);
  EXPECT_FALSE(*replayed);

  Write([&](Connection& c) {
    return staff::CreateToken(c, {"token-1", "set-password", *id, 100, 1000});
  });
  auto used =
      Write([](Connection& c) { return staff::UseToken(c, "token-1", "set-password", 200); });
  EXPECT_TRUE(*used);
  auto twice =
      Write([](Connection& c) { return staff::UseToken(c, "token-1", "set-password", 201); });
  EXPECT_FALSE(*twice);
  EXPECT_EQ(
      *Read([&](Connection& c) { return staff::CountTokensSince(c, *id, "set-password", 0); }), 1);
}

TEST_P(RepositoriesTest, FailedSignInsStopAtTheLimit) {
  const FailedLoginLimits limits{0, 2, 20};
  auto first = Write([&](Connection& c) {
    return staff::ReserveFailedLogin(c, limits, "ed@example.org", "192.0.2.1", 100);
  });
  ASSERT_TRUE(*first);
  EXPECT_EQ((*first)->for_email, 1);
  Write([&](Connection& c) {
    return staff::ReserveFailedLogin(c, limits, "ED@example.org", "192.0.2.2", 101);
  });
  auto refused = Write([&](Connection& c) {
    return staff::ReserveFailedLogin(c, limits, "ed@example.org", "192.0.2.3", 102);
  });
  EXPECT_FALSE(*refused);
  Write([&](Connection& c) { return staff::ReleaseFailedLogin(c, (*first)->id); });
  auto after_release = Write([&](Connection& c) {
    return staff::ReserveFailedLogin(c, limits, "ed@example.org", "192.0.2.3", 103);
  });
  EXPECT_TRUE(*after_release);
}

TEST_P(RepositoriesTest, MediaIsListedNewestFirstAndFoundByAddress) {
  MediaItem item;
  item.url = "/uploads/2026/12/a.jpg";
  item.width = 1600;
  item.height = 900;
  item.mime = "image/jpeg";
  item.bytes = 12345;
  item.alt = "A harbour";
  item.created_at = 100;
  auto first = Write([&](Connection& c) { return media::Create(c, item); });
  item.url = "/uploads/2026/12/b.jpg";
  item.created_at = 200;
  Write([&](Connection& c) { return media::Create(c, item); });
  item.url = "/uploads/2026/12/a.jpg";  // the same address twice is refused
  auto twice = database_->Transact([&](Connection& c) { return media::Create(c, item); });
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  auto listed = Read([](Connection& c) { return media::List(c, 10, 0); });
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].url, "/uploads/2026/12/b.jpg");
  auto found = Read([](Connection& c) { return media::FindByUrl(c, "/uploads/2026/12/a.jpg"); });
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, *first);
  EXPECT_EQ((*found)->alt, "A harbour");
  EXPECT_FALSE((*found)->uploaded_by);
}

TEST_P(RepositoriesTest, TheOutboxKeepsMailUntilItIsFinishedThenOnlyWhoAndWhen) {
  OutgoingMail mail;
  mail.to = "reader@example.org";
  mail.subject = "Confirm";
  mail.text = "Open the link.";
  mail.headers = {{"List-Unsubscribe", "<https://example.org/u>"}};
  mail.created_at = 100;
  auto id = Write([&](Connection& c) { return outbox::Queue(c, mail); });
  auto due = Read([](Connection& c) { return outbox::Due(c, 100, 0, 10); });
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].headers, mail.headers);
  // A long reason is kept to 500 bytes, never cutting a character in two.
  const std::string reason = std::string(499, 'x') + "\u00e9 and more";
  Write([&](Connection& c) { return outbox::Record(c, *id, MailOutcome::kRetry, 160, reason); });
  auto kept = Read([&](Connection& c) {
    return c.One(
        "SELECT last_error FROM mail_outbox WHERE id = ?",
        [](const Row& row) { return row.Text(0); }, *id);
  });
  EXPECT_EQ(**kept, std::string(499, 'x'));
  EXPECT_TRUE(Read([](Connection& c) { return outbox::Due(c, 100, 0, 10); })->empty());
  EXPECT_EQ(*Read([](Connection& c) { return outbox::NextAttemptAt(c); }), 160);
  Write([&](Connection& c) { return outbox::Record(c, *id, MailOutcome::kSent, 170, ""); });
  EXPECT_FALSE(*Read([](Connection& c) { return outbox::NextAttemptAt(c); }));
  auto body = Read([&](Connection& c) {
    return c.One(
        "SELECT text_body, status, attempts FROM mail_outbox WHERE id = ?",
        [](const Row& row) {
          return row.Text(0) + "|" + row.Text(1) + "|" + std::to_string(row.Int(2));
        },
        *id);
  });
  EXPECT_EQ(**body, "|sent|2");
  EXPECT_EQ(*Write([](Connection& c) { return outbox::Prune(c, 170); }), 0);
  EXPECT_EQ(*Write([](Connection& c) { return outbox::Prune(c, 171); }), 1);
}

TEST_P(RepositoriesTest, SubscribersAreFoundListedAndCountedAlike) {
  Write([](Connection& c) -> Result<void> {
    for (const char* slug : {"security", "energy"}) {
      auto made = taxonomy::UpsertSection(c, {0, slug, slug, "", false, std::nullopt, 0});
      if (!made) return tl::unexpected(made.error());
    }
    return {};
  });
  Subscriber reader;
  reader.email = "Reader@Example.org";
  reader.status = SubscriberStatus::kActive;
  reader.everything = false;
  reader.sections = {"energy", "security", "unknown"};
  reader.consented_at = 1000;
  auto id = Write([&](Connection& c) { return newsletter::SaveSubscriber(c, reader); });
  Subscriber other;
  other.email = "other_person@example.org";
  other.consented_at = 1000 + 604800 + 5;
  Write([&](Connection& c) { return newsletter::SaveSubscriber(c, other); });

  auto found = Read(
      [](Connection& c) { return newsletter::FindSubscriberByEmail(c, "reader@EXAMPLE.org"); });
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, *id);
  EXPECT_EQ((*found)->sections, (std::vector<std::string>{"security", "energy"}));  // made first
  // A change keeps the id; an address taken by another is refused.
  reader.id = *id;
  reader.sections = {"energy"};
  EXPECT_EQ(*Write([&](Connection& c) { return newsletter::SaveSubscriber(c, reader); }), *id);
  Subscriber copy = other;
  copy.email = "READER@example.org";
  auto taken =
      database_->Transact([&](Connection& c) { return newsletter::SaveSubscriber(c, copy); });
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);

  SubscriberQuery query;
  query.text = "READER@";
  EXPECT_EQ(Read([&](Connection& c) { return newsletter::ListSubscribers(c, query); })->size(), 1u);
  query.text = "_";  // a literal underscore, not "any character"
  auto underscore = Read([&](Connection& c) { return newsletter::ListSubscribers(c, query); });
  ASSERT_EQ(underscore->size(), 1u);
  EXPECT_EQ((*underscore)[0].email, "other_person@example.org");
  query.text.clear();
  query.status = SubscriberStatus::kActive;
  EXPECT_EQ(*Read([&](Connection& c) { return newsletter::CountSubscribers(c, query); }), 1);
  auto growth = Read([](Connection& c) { return newsletter::SubscriberGrowth(c, 1000); });
  EXPECT_EQ(*growth, (std::vector<std::pair<Timestamp, int>>{{1000, 1}, {1000 + 604800, 1}}));
  Write([&](Connection& c) { return newsletter::DeleteSubscriber(c, *id); });
  auto again =
      database_->Transact([&](Connection& c) { return newsletter::DeleteSubscriber(c, *id); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

TEST_P(RepositoriesTest, AnIssueGoesToItsSegmentsAndFinishes) {
  Write([](Connection& c) -> Result<void> {
    auto made = taxonomy::UpsertSection(c, {0, "energy", "Energy", "", false, std::nullopt, 0});
    if (!made) return tl::unexpected(made.error());
    Subscriber all;
    all.email = "all@example.org";
    all.status = SubscriberStatus::kActive;
    if (auto saved = newsletter::SaveSubscriber(c, all); !saved)
      return tl::unexpected(saved.error());
    Subscriber energy;
    energy.email = "energy@example.org";
    energy.status = SubscriberStatus::kActive;
    energy.everything = false;
    energy.sections = {"energy"};
    if (auto saved = newsletter::SaveSubscriber(c, energy); !saved)
      return tl::unexpected(saved.error());
    Subscriber pending;
    pending.email = "pending@example.org";
    if (auto saved = newsletter::SaveSubscriber(c, pending); !saved)
      return tl::unexpected(saved.error());
    return {};
  });
  auto count = [&](std::vector<std::string> segments) {
    return *Read([&](Connection& c) { return newsletter::CountRecipients(c, segments); });
  };
  EXPECT_EQ(count({}), 2);
  EXPECT_EQ(count({"everything"}), 1);
  EXPECT_EQ(count({"energy"}), 1);
  EXPECT_EQ(count({"everything", "energy"}), 2);
  EXPECT_EQ(count({"nothing-here"}), 0);
  // A section whose address is "everything" is reached by that segment too, as it always was.
  Write([](Connection& c) -> Result<void> {
    auto made = taxonomy::UpsertSection(c, {0, "everything", "All", "", false, std::nullopt, 0});
    if (!made) return tl::unexpected(made.error());
    Subscriber follower;
    follower.email = "follower@example.org";
    follower.status = SubscriberStatus::kActive;
    follower.everything = false;
    follower.sections = {"everything"};
    auto saved = newsletter::SaveSubscriber(c, follower);
    if (!saved) return tl::unexpected(saved.error());
    return {};
  });
  EXPECT_EQ(count({"everything"}), 2);
  Write([](Connection& c) {
    return c.Exec("UPDATE subscribers SET status = 'unsubscribed' WHERE email = ?",
                  "follower@example.org");
  });

  NewsletterSend send;
  send.subject = "This week";
  send.segments = {"everything", "energy"};
  send.html = "<p>Hi</p>";
  send.text = "Hi";
  send.created_at = 100;
  auto id = Write([&](Connection& c) { return newsletter::QueueSend(c, send); });
  auto due = Read([](Connection& c) { return newsletter::DueDeliveries(c, 100, 10); });
  ASSERT_EQ(due->size(), 2u);
  using Outcome = DeliveryResult::Outcome;
  std::vector<DeliveryResult> results = {
      {*id, (*due)[0].subscriber_id, Outcome::kSent, 0, false, ""},
      {*id, (*due)[1].subscriber_id, Outcome::kRetry, 160, false, std::string(600, 'e')}};
  Write([&](Connection& c) { return newsletter::RecordDeliveries(c, results, 3, 110); });
  auto going = Read([&](Connection& c) { return newsletter::FindSend(c, *id); });
  EXPECT_EQ((*going)->status, SendStatus::kSending);
  EXPECT_EQ((*going)->sent, 1);
  EXPECT_EQ((*going)->remaining, 1);
  EXPECT_EQ((*going)->first_sent_at, 110);
  EXPECT_EQ(*Read([](Connection& c) { return newsletter::NextDeliveryAt(c); }), 160);
  results = {{*id, (*due)[1].subscriber_id, Outcome::kFailed, 0, true, "no such mailbox"}};
  Write([&](Connection& c) { return newsletter::RecordDeliveries(c, results, 1, 170); });
  auto done = Read([&](Connection& c) { return newsletter::FindSend(c, *id); });
  EXPECT_EQ((*done)->status, SendStatus::kDone);
  EXPECT_EQ((*done)->failed, 1);
  EXPECT_EQ((*done)->finished_at, 170);
  auto bounced =
      Read([&](Connection& c) { return newsletter::FindSubscriber(c, (*due)[1].subscriber_id); });
  EXPECT_EQ((*bounced)->status, SubscriberStatus::kBounced);
  EXPECT_EQ(Read([](Connection& c) { return newsletter::ListSends(c, 5); })->size(), 1u);
  auto cancel =
      database_->Transact([&](Connection& c) { return newsletter::CancelSend(c, *id, 180); });
  ASSERT_FALSE(cancel);
  EXPECT_EQ(cancel.error().code, ErrorCode::kNotFound);
}

TEST_P(RepositoriesTest, TheSearchSourceGivesPostsAsTheIndexHoldsThem) {
  Write([](Connection& c) -> Result<std::int64_t> {
    for (const char* sql :
         {"INSERT INTO authors(id, slug, name) VALUES (1, 'b', 'Bea'), (2, 'a', 'Al')",
          "INSERT INTO posts(id, slug, kind, status, title, body_html, created_at, "
          "published_at) VALUES (5, 'p', 'article', 'published', 'Grid', '<p>Power &amp; "
          "<b>lines</b></p>', 1, 1), (6, 'q', 'article', 'draft', 'Q', '', 1, NULL), "
          "(7, 'r', 'page', 'published', 'About', '', 1, 1)",
          "INSERT INTO post_authors(post_id, author_id, position) VALUES (5, 2, 1), (5, 1, 0)",
          "UPDATE posts SET title = 'Grid Security' WHERE id = 5"}) {
      if (auto done = c.Exec(sql); !done) return done;
    }
    return 0;
  });
  auto documents = Read([](Connection& c) {
    return search_source::Documents(c, std::vector<std::int64_t>{6, 5, 99});
  });
  ASSERT_EQ(documents->size(), 3u);
  EXPECT_EQ((*documents)[0].post_id, 6);
  EXPECT_FALSE((*documents)[0].post);  // a draft: out of the index
  EXPECT_FALSE((*documents)[2].post);  // gone
  const SearchChange& change = (*documents)[1];
  ASSERT_TRUE(change.post);
  EXPECT_EQ(change.post->title, "Grid Security");
  EXPECT_EQ(change.post->body, "Power & lines");
  EXPECT_EQ(change.post->authors, "Bea, Al");  // byline order
  EXPECT_EQ(change.post->author_ids, (std::vector<std::int64_t>{1, 2}));
  auto listed = Read([](Connection& c) { return search_source::List(c, 0, 1); });
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, 5);
  listed = Read([](Connection& c) { return search_source::List(c, 5, 10); });
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, 7);
  EXPECT_EQ((*listed)[0].kind, PostKind::kPage);
}

TEST_P(RepositoriesTest, PostsAreSavedListedAndReadWithTheirDetailsAlike) {
  Write([](Connection& c) -> Result<std::int64_t> {
    for (const char* sql :
         {"INSERT INTO sections(id, slug, name, position) VALUES (3, 'security', 'Security', 0)",
          "INSERT INTO authors(id, slug, name) VALUES (1, 'bea', 'Bea'), (2, 'al', 'Al')",
          "INSERT INTO tags(id, slug, name) VALUES (4, 'grid', 'Grid'), (5, 'arms', 'Arms')",
          "INSERT INTO users(id, email, name, role, password_hash, created_at) VALUES "
          "(9, 'ed@example.org', 'Ed', 'editor', 'x', 1)"}) {
      if (auto done = c.Exec(sql); !done) return done;
    }
    return 0;
  });
  Post post;
  post.slug = "grid-attack";
  post.status = PostStatus::kPublished;
  post.title = "The Grid \u2014 Attacked";
  post.dek = "What 50% of operators missed";
  post.body_markdown = "Text";
  post.body_html = "<p>Text</p>";
  post.published_at = 100;
  post.section_id = 3;
  post.author_ids = {2, 1};
  post.tag_ids = {5, 4};
  auto id = Write([&](Connection& c) { return posts::Create(c, post, 9, "{}"); });
  ASSERT_TRUE(id);
  auto again = database_->Transact([&](Connection& c) { return posts::Create(c, post, 9, "{}"); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);

  Post draft = post;
  draft.slug = "draft";
  draft.status = PostStatus::kDraft;
  draft.published_at.reset();
  draft.author_ids = {1};
  draft.tag_ids = {4};
  const auto draft_id = *Write([&](Connection& c) { return posts::Create(c, draft, 9, "{}"); });

  auto found = Read([](Connection& c) { return posts::Find(c, "grid-attack"); });
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->author_ids, (std::vector<std::int64_t>{2, 1}));  // byline order
  EXPECT_EQ((*found)->tag_ids, (std::vector<std::int64_t>{4, 5}));
  EXPECT_EQ((*found)->edit_count, 1);

  // An edit on a stale count is refused; on the current one it saves and makes a revision.
  Post edited = **found;
  edited.title = "The Grid, Attacked";
  edited.author_ids = {1};
  auto stale =
      database_->Transact([&](Connection& c) { return posts::SaveEdit(c, edited, 0, 9, "{}"); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(*Write([&](Connection& c) { return posts::SaveEdit(c, edited, 1, 9, "{}"); }), 2);
  Post clash = edited;
  clash.slug = "draft";
  auto taken =
      database_->Transact([&](Connection& c) { return posts::SaveEdit(c, clash, 2, 9, "{}"); });
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
  auto revisions = Read([&](Connection& c) { return posts::Revisions(c, *id); });
  ASSERT_EQ(revisions->size(), 2u);
  EXPECT_EQ((*revisions)[0].title, "The Grid, Attacked");
  EXPECT_EQ((*revisions)[0].user_name, "Ed");
  EXPECT_EQ(
      (*Read([&](Connection& c) { return posts::FindRevision(c, (*revisions)[1].id); }))->title,
      post.title);

  PostNote note{0, *id, "correction", "An earlier version misnamed the operator.", 150};
  ASSERT_TRUE(Write([&](Connection& c) { return posts::AddNote(c, note, 9); }));
  auto detail = Read([&](Connection& c) { return posts::FindPublished(c, "grid-attack", 200); });
  ASSERT_TRUE(*detail);
  EXPECT_EQ((*detail)->post.updated_at, 150);
  EXPECT_EQ((*detail)->post.edit_count, 3);
  ASSERT_TRUE((*detail)->section);
  EXPECT_EQ((*detail)->section->slug, "security");
  ASSERT_EQ((*detail)->authors.size(), 1u);
  EXPECT_EQ((*detail)->authors[0].name, "Bea");
  ASSERT_EQ((*detail)->tags.size(), 2u);
  EXPECT_EQ((*detail)->tags[0].name, "Arms");  // by name
  ASSERT_EQ((*detail)->notes.size(), 1u);
  EXPECT_EQ((*detail)->notes[0].text, note.text);
  EXPECT_FALSE(*Read([](Connection& c) { return posts::FindPublished(c, "grid-attack", 99); }));
  EXPECT_FALSE(*Read([](Connection& c) { return posts::FindPublished(c, "draft", 200); }));

  // Lists: readers see published posts by section, author, tag and dates; the desk every state.
  PostQuery query;
  query.now = 200;
  query.tag_id = 5;
  auto listed = Read([&](Connection& c) { return posts::ListPublished(c, query); });
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].authors.size(), 1u);
  EXPECT_FALSE((*listed)[0].post.body_html.empty());
  query.bodies = false;  // cards: the same posts without their text
  listed = Read([&](Connection& c) { return posts::ListPublished(c, query); });
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].authors.size(), 1u);
  EXPECT_TRUE((*listed)[0].post.body_html.empty());
  query.author_id = 2;  // no longer on the byline
  EXPECT_EQ(*Read([&](Connection& c) { return posts::CountPublished(c, query); }), 0);
  query = PostQuery{};
  query.now = 200;
  query.from = 100;
  query.until = 101;
  EXPECT_EQ(*Read([&](Connection& c) { return posts::CountPublished(c, query); }), 1);
  query.from = 101;
  query.until.reset();
  EXPECT_EQ(*Read([&](Connection& c) { return posts::CountPublished(c, query); }), 0);
  DeskQuery desk;
  desk.text = "50%";
  EXPECT_EQ(*Read([&](Connection& c) { return posts::CountForDesk(c, desk); }), 2);
  desk.text = "GRID";  // any case
  desk.status = PostStatus::kDraft;
  auto drafts = Read([&](Connection& c) { return posts::ListForDesk(c, desk); });
  ASSERT_EQ(drafts->size(), 1u);
  EXPECT_EQ((*drafts)[0].post.id, draft_id);
  desk = DeskQuery{};
  desk.author_id = 2;
  EXPECT_EQ(*Read([&](Connection& c) { return posts::CountForDesk(c, desk); }), 0);
  desk = DeskQuery{};
  desk.created_by = 9;
  desk.section_id = 3;
  EXPECT_EQ(*Read([&](Connection& c) { return posts::CountForDesk(c, desk); }), 2);

  auto by_ids = Read([&](Connection& c) { return posts::ByIds(c, {draft_id, 999, *id}, true); });
  ASSERT_EQ(by_ids->size(), 2u);
  EXPECT_EQ((*by_ids)[0].post.id, draft_id);  // in the order asked
  EXPECT_EQ((*by_ids)[1].tags.size(), 2u);
  EXPECT_FALSE((*by_ids)[1].post.body_html.empty());
  auto cards = Read([&](Connection& c) { return posts::ByIds(c, {*id}, false); });
  ASSERT_EQ(cards->size(), 1u);
  EXPECT_EQ((*cards)[0].post.title, (*by_ids)[1].post.title);
  EXPECT_EQ((*cards)[0].tags.size(), 2u);
  EXPECT_TRUE((*cards)[0].post.body_markdown.empty());
  EXPECT_TRUE((*cards)[0].post.body_html.empty());
  auto span = Read([](Connection& c) { return posts::PublishedSpan(c, PostKind::kArticle, 200); });
  ASSERT_TRUE(*span);
  EXPECT_EQ((*span)->first, 100);
  EXPECT_FALSE(*Read([](Connection& c) { return posts::PublishedSpan(c, PostKind::kPage, 200); }));
  auto addresses = Read([](Connection& c) { return posts::Addresses(c, 200, 0, 10, 0); });
  ASSERT_EQ(addresses->size(), 1u);
  EXPECT_EQ((*addresses)[0].changed_at, 150);  // the later of published and updated
  EXPECT_EQ(*Read([](Connection& c) { return posts::CountAddresses(c, 200, 0); }), 1);

  // The draft shares a tag: related once published; scheduled posts publish when due.
  Write([&](Connection& c) {
    return c.Exec("UPDATE posts SET status = 'scheduled', published_at = 180 WHERE id = ?",
                  draft_id);
  });
  EXPECT_EQ(*Write([](Connection& c) { return posts::PublishDue(c, 170); }), 0);
  EXPECT_EQ(*Write([](Connection& c) { return posts::PublishDue(c, 190); }), 1);
  auto related = Read([&](Connection& c) { return posts::RelatedCandidates(c, edited, 200, 5); });
  ASSERT_EQ(related->size(), 1u);
  EXPECT_EQ((*related)[0].post.id, draft_id);
  EXPECT_EQ(
      Read([](Connection& c) { return posts::ByStatus(c, PostStatus::kPublished, 5); })->size(),
      2u);

  Write([&](Connection& c) {
    return c.Exec("UPDATE posts SET status = 'trash' WHERE id = ?", draft_id);
  });
  EXPECT_EQ(*Write([](Connection& c) { return posts::DeleteTrashed(c); }), 1);
  EXPECT_EQ(*Read([](Connection& c) { return posts::AllIds(c); }), std::vector<std::int64_t>{*id});
  ASSERT_TRUE(Write([&](Connection& c) { return posts::ReplaceHtml(c, *id, "<p>New</p>"); }));
  auto bodies = Read([](Connection& c) { return posts::Bodies(c, 0, 10); });
  ASSERT_EQ(bodies->size(), 1u);
  EXPECT_EQ((*bodies)[0].body_html, "<p>New</p>");
}

TEST_P(RepositoriesTest, AnUpsertReplacesThePostAtItsAddress) {
  Post post;
  post.slug = "imported";
  post.title = "First";
  post.created_at = 5;
  const auto id = *Write([&](Connection& c) { return posts::Upsert(c, post); });
  post.title = "Second";
  EXPECT_EQ(*Write([&](Connection& c) { return posts::Upsert(c, post); }), id);
  auto found = Read([](Connection& c) { return posts::Find(c, "imported"); });
  EXPECT_EQ((*found)->title, "Second");
  EXPECT_EQ((*found)->created_at, 5);
  Revision revision{0, id, 7, std::nullopt, "", "Old", "", "Body", "{}"};
  ASSERT_TRUE(Write([&](Connection& c) { return posts::RestoreRevision(c, revision); }));
  ASSERT_TRUE(Write([&](Connection& c) {
    return posts::RestoreNote(c, PostNote{0, id, "update", "Updated.", 8});
  }));
  EXPECT_EQ(Read([&](Connection& c) { return posts::Revisions(c, id); })->size(), 1u);
  EXPECT_EQ((*Read([&](Connection& c) { return posts::FindById(c, id); }))->notes.size(), 1u);
}

TEST_P(RepositoriesTest, SearchesAndPagesSurviveWhatReadersCanType) {
  Write([](Connection& c) {
    return c.Exec(
        "INSERT INTO posts(id, slug, kind, status, title, dek, created_at, published_at) VALUES "
        "(1, 'a', 'article', 'published', 'Up 50% this year', '', 1, 1), "
        "(2, 'b', 'article', 'published', 'Up 50 percent', 'x_y and a\\b', 1, 2)");
  });
  auto count = [&](const std::string& text) {
    DeskQuery query;
    query.text = text;
    auto counted = Read([&](Connection& c) { return posts::CountForDesk(c, query); });
    return counted ? *counted : -1;
  };
  // LIKE's wildcards and its escape character are searched for as themselves.
  EXPECT_EQ(count("50%"), 1);
  EXPECT_EQ(count("x_y"), 1);
  EXPECT_EQ(count("xzy"), 0);
  EXPECT_EQ(count("a\\b"), 1);
  EXPECT_EQ(count("%"), 1);
  // Bytes that are not UTF-8 find nothing instead of failing (PostgreSQL refuses them).
  EXPECT_EQ(count(std::string(199, 'a') + "\xC3"), 0);
  EXPECT_EQ(count("\xFF"), 0);
  auto comments_found =
      Read([](Connection& c) { return comments::List(c, std::nullopt, 5, "\xFF"); });
  EXPECT_TRUE(comments_found->empty());
  // A negative offset is no offset.
  PostQuery query;
  query.now = 10;
  query.offset = -10;
  EXPECT_EQ(Read([&](Connection& c) { return posts::ListPublished(c, query); })->size(), 2u);
  EXPECT_TRUE(Read([](Connection& c) { return comments::Threads(c, 1, -20, 5); })->empty());
}

TEST_P(RepositoriesTest, LongListsOfPostsAreReadInRuns) {
  Write([](Connection& c) -> Result<std::int64_t> {
    if (auto done = c.Exec("INSERT INTO tags(id, slug, name) VALUES (1, 't', 'T')"); !done)
      return done;
    for (int i = 1; i <= 2500; ++i) {
      auto done = c.Exec(
          "INSERT INTO posts(id, slug, kind, status, title, created_at) VALUES "
          "(?, ?, 'article', 'trash', 'T', 1)",
          i, "p-" + std::to_string(i));
      if (!done) return done;
      if (auto tagged = c.Exec("INSERT INTO post_tags(post_id, tag_id) VALUES (?, 1)", i); !tagged)
        return tagged;
    }
    return 0;
  });
  std::vector<std::int64_t> ids;
  for (int i = 2500; i >= 1; --i) ids.push_back(i);
  auto read = Read([&](Connection& c) { return posts::ByIds(c, ids, true); });
  ASSERT_EQ(read->size(), 2500u);
  EXPECT_EQ(read->front().post.id, 2500);  // in the order asked
  EXPECT_EQ(read->back().tags.size(), 1u);
  EXPECT_EQ(
      Read([](Connection& c) { return posts::ByStatus(c, PostStatus::kTrash, 100000); })->size(),
      2500u);
}

TEST_P(RepositoriesTest, CommentsThreadAndCountAlike) {
  Write([](Connection& c) {
    return c.Exec(
        "INSERT INTO posts(id, slug, kind, status, title, created_at, published_at) VALUES "
        "(7, 'grid', 'article', 'published', 'Grid', 1, 1), "
        "(8, 'other', 'article', 'published', 'Other', 1, 1)");
  });
  auto add = [&](std::int64_t post, std::optional<std::int64_t> parent, CommentStatus status,
                 std::string email, std::string body, Timestamp at) {
    Comment comment;
    comment.post_id = post;
    comment.parent_id = parent;
    comment.status = status;
    comment.author_name = "Reader";
    comment.author_email = std::move(email);
    comment.body_markdown = std::move(body);
    comment.body_html = "<p>x</p>";
    comment.client_hash = "client-" + std::to_string(at % 2);
    comment.created_at = at;
    auto id = Write([&](Connection& c) { return comments::Create(c, comment); });
    return id ? *id : 0;
  };
  const auto first = add(7, std::nullopt, CommentStatus::kApproved, "Ann@Example.org", "One", 10);
  const auto reply = add(7, first, CommentStatus::kApproved, "bo@example.org", "Reply", 11);
  const auto held = add(7, first, CommentStatus::kPending, "cy@example.org", "Held", 12);
  const auto orphan = add(7, held, CommentStatus::kApproved, "ann@example.ORG", "Under held", 13);
  const auto second = add(7, std::nullopt, CommentStatus::kApproved, "dee@example.org", "Two", 14);
  add(8, std::nullopt, CommentStatus::kApproved, "ann@example.org", "Elsewhere", 15);

  // Threads, newest first: "Two", the reply under the held comment (its parent is not shown),
  // then "One" with its reply.
  auto page = Read([&](Connection& c) { return comments::Threads(c, 7, 0, 2); });
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, orphan);
  EXPECT_EQ((*page)[1].id, second);
  EXPECT_EQ((*page)[1].post_slug, "grid");
  EXPECT_EQ((*page)[1].post_title, "Grid");  // the moderation queue shows the headline
  EXPECT_TRUE(*Read([&](Connection& c) { return comments::HasThreadsAfter(c, 7, 2); }));
  EXPECT_FALSE(*Read([&](Connection& c) { return comments::HasThreadsAfter(c, 7, 3); }));
  auto last = Read([&](Connection& c) { return comments::Threads(c, 7, 2, 2); });
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0].id, first);
  EXPECT_EQ((*last)[1].id, reply);
  EXPECT_EQ(**Read([&](Connection& c) { return comments::ThreadIndex(c, 7, reply); }), 2);
  EXPECT_FALSE(*Read([&](Connection& c) { return comments::ThreadIndex(c, 7, held); }));
  EXPECT_FALSE(*Read([&](Connection& c) { return comments::ThreadIndex(c, 8, first); }));

  auto newest = Read([](Connection& c) { return comments::Approved(c, 7, 2); });
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].id, orphan);  // the newest two, oldest first
  EXPECT_EQ(Read([](Connection& c) { return comments::Approved(c, 7, 0); })->size(), 4u);
  EXPECT_EQ(*Read([](Connection& c) { return comments::CountApproved(c, 7); }), 4);
  EXPECT_EQ(Read([](Connection& c) { return comments::OfPost(c, 7); })->size(), 5u);

  // Addresses compare without regard to case; text search too.
  EXPECT_EQ(Read([](Connection& c) { return comments::ByEmail(c, "ANN@example.org"); })->size(),
            3u);
  EXPECT_TRUE(*Read([](Connection& c) { return comments::HasApprovedFrom(c, "ann@EXAMPLE.org"); }));
  EXPECT_FALSE(*Read([](Connection& c) { return comments::HasApprovedFrom(c, "cy@example.org"); }));
  EXPECT_TRUE(
      *Read([](Connection& c) { return comments::HasDuplicate(c, 7, "ANN@example.org", "One"); }));
  EXPECT_FALSE(
      *Read([](Connection& c) { return comments::HasDuplicate(c, 7, "ann@example.org", "On"); }));
  EXPECT_EQ(
      *Read([](Connection& c) { return comments::CountRecent(c, "ann@example.org", "", 10); }), 3);
  // By address or by client, each comment once: Ann's three and the other even-time one.
  EXPECT_EQ(*Read([](Connection& c) {
    return comments::CountRecent(c, "ann@example.org", "client-0", 10);
  }),
            5);
  auto found = Read([](Connection& c) { return comments::List(c, std::nullopt, 10, "under"); });
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, orphan);
  EXPECT_EQ(Read([](Connection& c) {
              return comments::List(c, CommentStatus::kPending, 10, "");
            })->size(),
            1u);
  EXPECT_EQ(Read([](Connection& c) { return comments::List(c, std::nullopt, 10, "50%"); })->size(),
            0u);
  // The dashboard's count of comments awaiting moderation, over every post.
  EXPECT_EQ(
      *Read([](Connection& c) { return comments::CountWithStatus(c, CommentStatus::kPending); }),
      1);
  EXPECT_EQ(
      *Read([](Connection& c) { return comments::CountWithStatus(c, CommentStatus::kApproved); }),
      5);
  EXPECT_EQ(*Read([](Connection& c) { return comments::CountWithStatus(c, CommentStatus::kSpam); }),
            0);

  auto missing = database_->Transact(
      [](Connection& c) { return comments::SetStatus(c, 999, CommentStatus::kSpam); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(
      Write([&](Connection& c) { return comments::SetStatus(c, second, CommentStatus::kTrash); }));
  EXPECT_EQ(*Read([](Connection& c) { return comments::CountApproved(c, 7); }), 3);

  // Erasing an address empties its comments that have replies and deletes the others, and the
  // record of mail sent to it (not mail still to go).
  Write([](Connection& c) {
    return c.Exec(
        "INSERT INTO mail_outbox(recipient, status, created_at, next_attempt_at) VALUES "
        "('ANN@example.org', 'sent', 1, 1), ('ann@example.org', 'queued', 1, 1), "
        "('bo@example.org', 'sent', 1, 1)");
  });
  EXPECT_EQ(*Write([](Connection& c) { return comments::EraseByEmail(c, "Ann@example.org"); }), 3);
  EXPECT_EQ(**Read([](Connection& c) {
    return c.Integer("SELECT count(*) FROM mail_outbox WHERE status = 'queued'");
  }),
            1);
  EXPECT_EQ(**Read([](Connection& c) { return c.Integer("SELECT count(*) FROM mail_outbox"); }), 2);
  auto kept = Read([&](Connection& c) { return comments::Find(c, first); });
  ASSERT_TRUE(*kept);
  EXPECT_EQ((*kept)->author_name, "Anonymous");
  EXPECT_EQ((*kept)->author_email, "");
  EXPECT_FALSE(*Read([&](Connection& c) { return comments::Find(c, orphan); }));
  EXPECT_EQ(*Write([](Connection& c) { return comments::ForgetClients(c, 13); }), 2);
}

TEST_P(RepositoriesTest, TheSpamFilterCountsEachCommentOnceAndCanChangeItsMind) {
  Write([](Connection& c) -> Result<std::int64_t> {
    if (auto done = c.Exec("INSERT INTO posts(id, slug, kind, status, title, created_at) VALUES "
                           "(7, 'grid', 'article', 'published', 'Grid', 1)");
        !done)
      return done;
    return c.Exec(
        "INSERT INTO comments(id, post_id, status, author_name, author_email, body_markdown, "
        "body_html, created_at) VALUES (1, 7, 'pending', 'R', 'r@example.org', 'x', 'x', 1)");
  });
  const std::vector<std::string> words = {"casino", "free", "free", "caf\u00e9"};
  ASSERT_TRUE(Write([&](Connection& c) { return comments::Learn(c, 1, true, words); }));
  ASSERT_TRUE(Write([&](Connection& c) { return comments::Learn(c, 1, true, words); }));  // again
  auto counts = Read([](Connection& c) {
    return comments::CountSpamWords(c, {"free", "caf\u00e9", "unknown"});
  });
  EXPECT_EQ(counts->spam_comments, 1);
  EXPECT_EQ(counts->ham_comments, 0);
  EXPECT_EQ(counts->words.size(), 2u);
  EXPECT_EQ(counts->words.at("free"), std::make_pair(1, 0));
  // Taught the other way, the comment moves from spam to ham.
  ASSERT_TRUE(Write([&](Connection& c) { return comments::Learn(c, 1, false, words); }));
  counts = Read([](Connection& c) { return comments::CountSpamWords(c, {"casino"}); });
  EXPECT_EQ(counts->spam_comments, 0);
  EXPECT_EQ(counts->ham_comments, 1);
  EXPECT_EQ(counts->words.at("casino"), std::make_pair(0, 1));
  auto unknown =
      database_->Transact([&](Connection& c) { return comments::Learn(c, 2, true, words); });
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, RepositoriesTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         [](const auto& info) { return std::string(DialectName(info.param)); });

}  // namespace
}  // namespace broadsheet::storage
