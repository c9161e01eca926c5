// Several Senders on one database (issue 16): nodes sharing a send deliver each message once, and
// a node killed mid-send leaves the rest of its batch to the others. Each "node" is a store of its
// own on the same database, with a Sender of its own, running on its own thread.
#include "newsletter/sender.h"

#include <gtest/gtest.h>

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
  explicit FakeConnection(Inbox& inbox) : inbox_(inbox) {}
  Result<void> Send(const mail::Message& message) override {
    inbox_.Receive(message.to);
    return {};
  }
  bool configured() const override { return true; }

 private:
  Inbox& inbox_;
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

  std::unique_ptr<Sender> MakeSender(Store& store, const std::string& node) {
    SenderOptions options;
    options.rate = 0;  // as fast as the "server" takes them
    options.concurrency = 3;
    options.batch = 10;
    return std::make_unique<Sender>(
        store, options, node, [this] { return std::make_unique<FakeConnection>(inbox_); },
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

INSTANTIATE_TEST_SUITE_P(BothDatabases, SendersTest, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::newsletter
