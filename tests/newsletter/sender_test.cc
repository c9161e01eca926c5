// Several Senders on one database (issue 16): nodes sharing a send deliver each message once, and
// a node killed mid-send leaves the rest of its batch to the others. Each "node" is a store of its
// own on the same database, with a Sender of its own, running on its own thread.
#include "newsletter/sender.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "auth/crypto.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet::newsletter {
namespace {

// Every message any connection of any node sent, by addressee.
class Inbox {
 public:
  void Receive(const std::string& to) {
    std::lock_guard lock(mutex_);
    ++received_[to];
  }
  std::map<std::string, int> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> received_;
};

class FakeConnection : public mail::Mailer {
 public:
  // `on_send`, if any, is called before each message is received.
  explicit FakeConnection(Inbox& inbox, std::function<void()> on_send = nullptr)
      : inbox_(inbox), on_send_(std::move(on_send)) {}
  Result<void> Send(const mail::Message& message) override {
    if (on_send_) on_send_();
    inbox_.Receive(message.to);
    return {};
  }
  bool configured() const override { return true; }

 private:
  Inbox& inbox_;
  std::function<void()> on_send_;
};

class SendersTest : public test::TwoStoresTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(auth::InitCrypto());
    TwoStoresTest::SetUp();
  }

  void QueueSendTo(int count) {
    for (int i = 0; i < count; ++i) {
      Subscriber subscriber;
      subscriber.email = "reader" + std::to_string(i) + "@example.org";
      subscriber.status = SubscriberStatus::kActive;
      subscriber.everything = true;
      ASSERT_TRUE(a_->SaveSubscriber(subscriber));
    }
    NewsletterSend send;
    send.subject = "This week";
    send.html = std::string("<p>Hi</p><a href=\"") + std::string(kUnsubscribeMarker) + "\">x</a>";
    send.text = "Hi";
    send.created_at = 100;
    auto id = a_->QueueSend(send);
    ASSERT_TRUE(id) << Describe(id.error());
    send_ = *id;
  }

  std::unique_ptr<Sender> MakeSender(Store& store, const std::string& node,
                                     std::function<void()> on_send = nullptr) {
    SenderOptions options;
    options.rate = 0;  // as fast as the "server" takes them
    options.concurrency = 3;
    options.batch = 10;
    return std::make_unique<Sender>(
        store, options, node,
        [this, on_send] { return std::make_unique<FakeConnection>(inbox_, on_send); },
        [] {
          Publication publication;
          publication.base_url = "https://example.org";
          return Result<Publication>(publication);
        });
  }

  // Runs `sender`'s batches at `now` until nothing is due.
  static void SendAll(Sender& sender, Timestamp now) {
    for (;;) {
      auto report = sender.RunBatch(now);
      ASSERT_TRUE(report) << Describe(report.error());
      if (report->empty()) return;
    }
  }

  Inbox inbox_;
  std::int64_t send_ = 0;
};

TEST_P(SendersTest, TwoNodesSendingOneIssueDeliverEveryMessageExactlyOnce) {
  QueueSendTo(150);
  auto first = MakeSender(*a_, "node-a");
  auto second = MakeSender(*b_, "node-b");
  std::thread other([&] { SendAll(*second, 200); });
  SendAll(*first, 200);
  other.join();
  const auto received = inbox_.received();
  EXPECT_EQ(received.size(), 150u);
  for (const auto& [to, copies] : received) EXPECT_EQ(copies, 1) << to;
  auto send = a_->FindSend(send_);
  ASSERT_TRUE(send && *send);
  EXPECT_EQ((*send)->status, SendStatus::kDone);
  EXPECT_EQ((*send)->sent, 150);
}

TEST_P(SendersTest, ANodeKilledMidSendLeavesItsBatchToTheOther) {
  QueueSendTo(30);
  // The killed node claimed a batch and sent none of it (or sent it and died before recording:
  // then those few are repeated, at most once); it never beats again.
  auto claimed = a_->ClaimDeliveries(ClaimTerms{"killed", 200, 500, 200 + kHeartbeatSeconds}, 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 10u);
  auto survivor = MakeSender(*b_, "node-b");
  SendAll(*survivor, 201);  // the killed node still counts as alive: its batch waits
  EXPECT_EQ(inbox_.received().size(), 20u);
  auto going = b_->FindSend(send_);
  EXPECT_EQ((*going)->status, SendStatus::kSending);
  EXPECT_EQ((*going)->remaining, 10);
  SendAll(*survivor, 200 + kHeartbeatSeconds);  // its heartbeat has lapsed
  const auto received = inbox_.received();
  EXPECT_EQ(received.size(), 30u);
  for (const auto& [to, copies] : received) EXPECT_EQ(copies, 1) << to;
  auto done = b_->FindSend(send_);
  EXPECT_EQ((*done)->status, SendStatus::kDone);
  EXPECT_EQ((*done)->sent, 30);
}

// A node that sent a batch but could not record it (the database went away) keeps it, and the
// claims lapse with every heartbeat in an outage longer than kHeartbeatSeconds. When the
// database is back, the other node, back too, leaves those claims alone while the first records
// its batch: nobody gets a second copy. The outage is a trigger that refuses every change to the
// deliveries while `outage` has a row.
TEST_P(SendersTest, ABatchSentDuringAnOutageIsRecordedNotSentAgain) {
  storage::DatabaseOptions options;
  options.url = url_;
  options.pool_size = 1;
  auto admin = storage::Database::Open(options);
  ASSERT_TRUE(admin) << Describe(admin.error());
  const char* outage =
      GetParam() == storage::Dialect::kSqlite
          ? "CREATE TABLE outage (down INTEGER); CREATE TRIGGER outage BEFORE UPDATE ON "
            "newsletter_deliveries WHEN EXISTS (SELECT 1 FROM outage) BEGIN SELECT "
            "RAISE(ABORT, 'the database is away'); END"
          : "CREATE TABLE outage (down INTEGER); CREATE FUNCTION outage() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM outage) THEN RAISE EXCEPTION "
            "'the database is away'; END IF; RETURN NEW; END $$; CREATE TRIGGER outage BEFORE "
            "UPDATE ON newsletter_deliveries FOR EACH ROW EXECUTE FUNCTION outage()";
  ASSERT_TRUE((*admin)->Transact([&](storage::Connection& c) { return c.Script(outage); }));
  auto set_outage = [&](bool down) {
    auto done = (*admin)->Transact([&](storage::Connection& c) {
      return c.Exec(down ? "INSERT INTO outage VALUES (1)" : "DELETE FROM outage");
    });
    EXPECT_TRUE(done) << Describe(done.error());
  };
  QueueSendTo(20);
  ASSERT_TRUE(*b_->TakeLease(NodeLeaseName("node-b"), "node-b", 100, 100 + kHeartbeatSeconds));
  std::once_flag down;
  auto first = MakeSender(*a_, "node-a", [&] { std::call_once(down, set_outage, true); });
  auto second = MakeSender(*b_, "node-b");
  // a claims ten at 100 and sends them while the database goes away: it keeps the batch.
  EXPECT_FALSE(first->RunBatch(100));
  EXPECT_EQ(inbox_.received().size(), 10u);
  // Back at 130, every heartbeat lapsed: b sends the ten nobody had, and leaves a's alone.
  set_outage(false);
  SendAll(*second, 130);
  EXPECT_EQ(inbox_.received().size(), 20u);
  // a, back, records its batch before claiming anything.
  auto recorded = first->RunBatch(131);
  ASSERT_TRUE(recorded) << Describe(recorded.error());
  SendAll(*second, 130 + kHeartbeatSeconds);
  SendAll(*first, 130 + kHeartbeatSeconds);
  const auto received = inbox_.received();
  EXPECT_EQ(received.size(), 20u);
  for (const auto& [to, copies] : received) EXPECT_EQ(copies, 1) << to;
  auto done = a_->FindSend(send_);
  ASSERT_TRUE(done && *done);
  EXPECT_EQ((*done)->status, SendStatus::kDone);
  EXPECT_EQ((*done)->sent, 20);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, SendersTest, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::newsletter
