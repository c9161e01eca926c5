#include "mail/outbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "storage/sql_store.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet::mail {
namespace {

// A mail server that is up, down for now (4xx, timeouts) or refuses for good (5xx).
class SwitchableMailer : public Mailer {
 public:
  enum class State { kUp, kDown, kRefusing };
  Result<void> Send(const Message& message) override {
    std::lock_guard lock(mutex_);
    ++attempts_;
    if (state_ == State::kDown) return Fail(ErrorCode::kIo, "421 try again later");
    if (state_ == State::kRefusing) return Fail(ErrorCode::kInvalidArgument, "550 no such user");
    sent_.push_back(message);
    return {};
  }
  bool configured() const override { return configured_; }
  void Set(State state) {
    std::lock_guard lock(mutex_);
    state_ = state;
  }
  std::vector<Message> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  int attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }
  bool configured_ = true;

 private:
  std::mutex mutex_;
  State state_ = State::kUp;
  int attempts_ = 0;
  std::vector<Message> sent_;
};

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto store = SqlStore::Open({(folder_.path() / "site.db").string(), true});
    ASSERT_TRUE(store) << Describe(store.error());
    store_ = std::move(*store);
  }
  Message Link(const std::string& to) {
    Message message;
    message.to = to;
    message.subject = "Reset your password";
    message.text = "https://review.example/admin/password/secret-token\n";
    message.headers = {{"X-Kind", "password"}};
    return message;
  }

  testing::TempDir folder_;
  std::unique_ptr<SqlStore> store_;
  SwitchableMailer mailer_;
};

TEST_F(OutboxTest, SendsWhatIsQueuedInOrderWithItsHeaders) {
  Outbox outbox(*store_, mailer_, nullptr);
  ASSERT_TRUE(outbox.Queue(Link("one@example.org")));
  ASSERT_TRUE(outbox.Queue(Link("two@example.org")));
  outbox.Flush();
  const auto sent = mailer_.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].to, "one@example.org");
  EXPECT_EQ(sent[1].to, "two@example.org");
  EXPECT_EQ(sent[0].text, Link("").text);
  ASSERT_EQ(sent[0].headers.size(), 1u);
  EXPECT_EQ(sent[0].headers[0].second, "password");
  EXPECT_FALSE(store_->NextMailAt()->has_value());  // nothing left queued
}

TEST_F(OutboxTest, AMessageQueuedWhileTheServerIsDownSurvivesARestartAndGoesOnce) {
  mailer_.Set(SwitchableMailer::State::kDown);
  {
    Outbox outbox(*store_, mailer_, nullptr);
    ASSERT_TRUE(outbox.Queue(Link("reader@example.org")));
    outbox.Flush();
    EXPECT_EQ(mailer_.attempts(), 1);
    EXPECT_TRUE(mailer_.sent().empty());
    // Waiting for its next try, about ten seconds away.
    auto next = store_->NextMailAt();
    ASSERT_TRUE(next && *next);
    EXPECT_GE(**next, Now() + 5);
    outbox.Flush();
    EXPECT_EQ(mailer_.attempts(), 1);  // not before its time
  }
  // The process ends; the server comes back; a new process starts with the same database.
  Reopen();
  mailer_.Set(SwitchableMailer::State::kUp);
  Outbox outbox(*store_, mailer_, nullptr);
  outbox.Flush();
  ASSERT_EQ(mailer_.sent().size(), 1u);  // tried at once at start-up, whatever its wait
  EXPECT_EQ(mailer_.sent()[0].to, "reader@example.org");
  outbox.Flush();
  EXPECT_EQ(mailer_.sent().size(), 1u);
  // Sent messages keep no body (no sign-in link stays in the database) and are pruned later.
  auto due = store_->DueMail(std::numeric_limits<Timestamp>::max(), 0, 10);
  ASSERT_TRUE(due);
  EXPECT_TRUE(due->empty());
  EXPECT_EQ(*store_->PruneMail(Now() - 60), 0);
  EXPECT_EQ(*store_->PruneMail(Now() + 60), 1);
}

TEST_F(OutboxTest, APermanentRefusalIsGivenUpAtOnceAndReported) {
  mailer_.Set(SwitchableMailer::State::kRefusing);
  std::atomic<int> reported = 0;
  {
    Outbox outbox(*store_, mailer_, [&](const Message& message, const Error& error) {
      EXPECT_EQ(message.to, "nobody@example.org");
      EXPECT_NE(error.message.find("550"), std::string::npos);
      ++reported;
    });
    ASSERT_TRUE(outbox.Queue(Link("nobody@example.org")));
    outbox.Flush();
  }
  EXPECT_EQ(reported, 1);
  mailer_.Set(SwitchableMailer::State::kUp);
  Outbox outbox(*store_, mailer_, nullptr);
  outbox.Flush();
  EXPECT_TRUE(mailer_.sent().empty());
  EXPECT_EQ(mailer_.attempts(), 1);
}

TEST_F(OutboxTest, ATemporaryFailureIsGivenUpWhenTheMessageIsTooOld) {
  mailer_.Set(SwitchableMailer::State::kDown);
  std::atomic<int> reported = 0;
  OutboxOptions options;
  options.give_up_after = 5;  // shorter than the first wait
  Outbox outbox(
      *store_, mailer_, [&](const Message&, const Error&) { ++reported; }, options);
  ASSERT_TRUE(outbox.Queue(Link("late@example.org")));
  outbox.Flush();
  EXPECT_EQ(reported, 1);
  EXPECT_FALSE(store_->NextMailAt()->has_value());
}

TEST_F(OutboxTest, WithoutMailNothingIsQueued) {
  mailer_.configured_ = false;
  Outbox outbox(*store_, mailer_, nullptr);
  auto queued = outbox.Queue(Link("reader@example.org"));
  ASSERT_FALSE(queued);
  EXPECT_EQ(queued.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(store_->NextMailAt()->has_value());
}

// Two nodes on one database (issue 16), each with its outbox: every message goes out once.
class SharedOutboxTest : public test::TwoStoresTest {
 protected:
  SwitchableMailer mailer_;
};

TEST_P(SharedOutboxTest, TwoNodesSendEveryMessageOnce) {
  Outbox first(*a_, mailer_, nullptr);
  Outbox second(*b_, mailer_, nullptr);
  EXPECT_NE(first.node(), second.node());
  for (int i = 0; i < 40; ++i) {
    Message message;
    message.to = "person" + std::to_string(i) + "@example.org";
    message.subject = "Comment awaiting moderation";
    message.text = "Approve it at https://example.org/admin/comments\n";
    ASSERT_TRUE((i % 2 ? first : second).Queue(message));
  }
  first.Flush();
  second.Flush();
  std::map<std::string, int> copies;
  for (const Message& message : mailer_.sent()) ++copies[message.to];
  EXPECT_EQ(copies.size(), 40u);
  for (const auto& [to, count] : copies) EXPECT_EQ(count, 1) << to;
  EXPECT_FALSE(a_->NextMailAt()->has_value());
}

TEST_P(SharedOutboxTest, AMessageLeftByANodeThatDiedIsSentOnceByAnother) {
  OutgoingMail mail;
  mail.to = "writer@example.org";
  mail.subject = "Reset your password";
  mail.created_at = Now();
  ASSERT_TRUE(a_->QueueMail(mail));
  // The dead node claimed it and its heartbeat has lapsed.
  const Timestamp then = Now() - 60;
  ASSERT_EQ(
      a_->ClaimMail(ClaimTerms{"dead", then, then + 120, then + kHeartbeatSeconds}, Now(), 0, 1)
          ->size(),
      1u);
  Outbox survivor(*b_, mailer_, nullptr);
  survivor.Flush();
  ASSERT_EQ(mailer_.sent().size(), 1u);
  EXPECT_EQ(mailer_.sent()[0].to, "writer@example.org");
  survivor.Flush();
  EXPECT_EQ(mailer_.sent().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, SharedOutboxTest, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::mail
