// Background work done once by several processes on one database (issue 16): leases held by one
// holder at a time, outbox rows claimed by one process at a time and taken over from a process
// that died, and scheduled posts published once. Each "node" is a store of its own on the same
// database (a SQLite file, or a PostgreSQL database), as separate processes would have.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "test_stores.h"
#include "test_util.h"

namespace broadsheet {
namespace {

class ClaimsTest : public test::TwoStoresTest {
 protected:
  // A send queued to `count` active subscribers; its id.
  std::int64_t QueueSendTo(int count) {
    for (int i = 0; i < count; ++i) {
      Subscriber subscriber;
      subscriber.email = "reader" + std::to_string(i) + "@example.org";
      subscriber.status = SubscriberStatus::kActive;
      subscriber.everything = true;
      EXPECT_TRUE(a_->SaveSubscriber(subscriber));
    }
    NewsletterSend send;
    send.subject = "This week";
    send.html = "<p>Hi</p>";
    send.text = "Hi";
    send.created_at = 100;
    auto id = a_->QueueSend(send);
    EXPECT_TRUE(id) << Describe(id.error());
    return id.value_or(0);
  }

  static ClaimTerms Terms(const std::string& holder, Timestamp now) {
    return ClaimTerms{holder, now, now + 300, now + kHeartbeatSeconds};
  }
};

TEST_P(ClaimsTest, ALeaseIsHeldByOneHolderAtATimeAndTakenOverAfterItExpires) {
  EXPECT_TRUE(*a_->TakeLease("scheduler", "node-a", 1000, 1045));
  EXPECT_FALSE(*b_->TakeLease("scheduler", "node-b", 1010, 1055));  // a's is live
  EXPECT_TRUE(*a_->TakeLease("scheduler", "node-a", 1030, 1075));   // renewed
  EXPECT_FALSE(*b_->TakeLease("scheduler", "node-b", 1060, 1105));  // still a's
  // a dies: its lease runs out, and b takes it; a, back, finds it taken.
  EXPECT_TRUE(*b_->TakeLease("scheduler", "node-b", 1075, 1120));
  EXPECT_FALSE(*a_->TakeLease("scheduler", "node-a", 1080, 1125));
  auto live = b_->LiveLeases(1080);
  ASSERT_TRUE(live);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].holder, "node-b");
  // A holder that stops gives it up; anyone may take it at once. Others cannot release it.
  ASSERT_TRUE(a_->ReleaseLease("scheduler", "node-a"));
  EXPECT_FALSE(*a_->TakeLease("scheduler", "node-a", 1081, 1126));
  ASSERT_TRUE(b_->ReleaseLease("scheduler", "node-b"));
  EXPECT_TRUE(*a_->TakeLease("scheduler", "node-a", 1082, 1127));
}

TEST_P(ClaimsTest, NodesTakingOneLeaseAtOnceGiveItToOne) {
  for (Timestamp round = 0; round < 5; ++round) {
    const Timestamp now = 2000 + round * 100;  // each round after the last one's lease expired
    std::atomic<int> holders = 0;
    std::vector<std::thread> threads;
    for (int node = 0; node < 4; ++node) {
      threads.emplace_back([&, node] {
        SqlStore& store = node % 2 ? *b_ : *a_;
        auto taken = store.TakeLease("scheduler", "node-" + std::to_string(node), now, now + 45);
        EXPECT_TRUE(taken) << Describe(taken.error());
        if (taken && *taken) ++holders;
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(holders, 1) << "round " << round;
  }
}

TEST_P(ClaimsTest, TwoNodesClaimingOneSendTakeEachDeliveryOnce) {
  const std::int64_t send = QueueSendTo(120);
  std::mutex mutex;
  std::map<std::int64_t, int> claimed;  // subscriber -> times claimed
  auto node = [&](SqlStore& store, const std::string& holder) {
    for (;;) {
      auto batch = store.ClaimDeliveries(Terms(holder, 200), 7);
      ASSERT_TRUE(batch) << Describe(batch.error());
      if (batch->empty()) return;
      std::vector<DeliveryResult> results;
      {
        std::lock_guard lock(mutex);
        for (const Delivery& delivery : *batch) {
          ++claimed[delivery.subscriber_id];
          results.push_back(
              {send, delivery.subscriber_id, DeliveryResult::Outcome::kSent, 0, false, ""});
        }
      }
      ASSERT_TRUE(store.RecordDeliveries(results, 1, 200, holder));
    }
  };
  std::thread other(node, std::ref(*b_), "node-b");
  node(*a_, "node-a");
  other.join();
  EXPECT_EQ(claimed.size(), 120u);
  for (const auto& [subscriber, times] : claimed) EXPECT_EQ(times, 1) << subscriber;
  auto done = a_->FindSend(send);
  ASSERT_TRUE(done && *done);
  EXPECT_EQ((*done)->status, SendStatus::kDone);
  EXPECT_EQ((*done)->sent, 120);
}

TEST_P(ClaimsTest, ADeadNodesClaimsAreTakenOverAndALiveOnesAreNot) {
  QueueSendTo(10);
  auto dead = a_->ClaimDeliveries(Terms("node-a", 200), 4);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 4u);
  // While a lives, b gets only the rest.
  auto rest = b_->ClaimDeliveries(Terms("node-b", 205), 100);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->size(), 6u);
  ASSERT_TRUE(b_->RecordDeliveries({}, 1, 205, "node-b"));  // gives b's back unrecorded
  // a is killed: no heartbeat after 200. Once it lapses, its claimed rows are b's to send.
  auto early = b_->ClaimDeliveries(Terms("node-b", 200 + kHeartbeatSeconds - 1), 100);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->size(), 6u);
  ASSERT_TRUE(b_->RecordDeliveries({}, 1, 205, "node-b"));
  auto taken = b_->ClaimDeliveries(Terms("node-b", 200 + kHeartbeatSeconds), 100);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->size(), 10u);
  std::set<std::int64_t> was_dead;
  for (const Delivery& delivery : *dead) was_dead.insert(delivery.subscriber_id);
  EXPECT_EQ(std::count_if(taken->begin(), taken->end(),
                          [&](const Delivery& d) { return was_dead.count(d.subscriber_id) > 0; }),
            4);
}

TEST_P(ClaimsTest, AClaimPastItsExpiryIsFreeEvenWhileItsHolderLives) {
  QueueSendTo(3);
  ClaimTerms stuck{"node-a", 200, 230, 200 + kHeartbeatSeconds};
  ASSERT_EQ(a_->ClaimDeliveries(stuck, 10)->size(), 3u);
  // a keeps beating but is stuck past its claim's expiry (230).
  EXPECT_TRUE(*a_->TakeLease(NodeLeaseName("node-a"), "node-a", 229, 300));
  EXPECT_EQ(b_->ClaimDeliveries(Terms("node-b", 229), 10)->size(), 0u);
  auto taken = b_->ClaimDeliveries(Terms("node-b", 230), 10);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->size(), 3u);
  // a finishes late: a message it sent counts, a retry it wants does not (b has the row now).
  std::vector<DeliveryResult> late = {{(*taken)[0].send_id, (*taken)[0].subscriber_id,
                                       DeliveryResult::Outcome::kSent, 0, false, ""},
                                      {(*taken)[1].send_id, (*taken)[1].subscriber_id,
                                       DeliveryResult::Outcome::kRetry, 900, false, ""}};
  ASSERT_TRUE(a_->RecordDeliveries(late, 1, 231, "node-a"));
  auto send = a_->FindSend((*taken)[0].send_id);
  EXPECT_EQ((*send)->sent, 1);
  EXPECT_EQ(*a_->NextDeliveryAt(), 0);  // due at once, as queued: no retry at 900 was recorded
  // b's record of the same message does not count it twice.
  std::vector<DeliveryResult> again = {{(*taken)[0].send_id, (*taken)[0].subscriber_id,
                                        DeliveryResult::Outcome::kSent, 0, false, ""}};
  ASSERT_TRUE(b_->RecordDeliveries(again, 1, 232, "node-b"));
  EXPECT_EQ((*a_->FindSend((*taken)[0].send_id))->sent, 1);
}

// After an outage longer than kHeartbeatSeconds every node's claims have lapsed together. A
// node that sent a batch but could not record it records it first thing when the database is
// back (newsletter/sender.h); meanwhile the others, back too, leave dead claims alone for
// kHeartbeatSeconds, so they do not send that batch again. A claim whose holder stays away is
// taken over after that.
TEST_P(ClaimsTest, ANodeBackFromALapseLeavesDeadClaimsToTheirHoldersForAWhile) {
  QueueSendTo(4);
  ASSERT_TRUE(*b_->TakeLease(NodeLeaseName("node-b"), "node-b", 100, 100 + kHeartbeatSeconds));
  // a claims two and sends them; d claims one and dies; then the database goes away.
  auto kept = a_->ClaimDeliveries(Terms("node-a", 100), 2);
  ASSERT_TRUE(kept);
  ASSERT_EQ(kept->size(), 2u);
  ASSERT_EQ(b_->ClaimDeliveries(Terms("node-d", 100), 1)->size(), 1u);
  std::set<std::int64_t> sent_by_a;
  for (const Delivery& delivery : *kept) sent_by_a.insert(delivery.subscriber_id);
  // It is back at 130: b, whose heartbeat lapsed, takes only the one nobody claimed.
  auto back = b_->ClaimDeliveries(Terms("node-b", 130), 10);
  ASSERT_TRUE(back) << Describe(back.error());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ(sent_by_a.count((*back)[0].subscriber_id), 0u);
  ASSERT_TRUE(b_->RecordDeliveries({}, 1, 130, "node-b"));  // gives it back unsent
  // a records what it sent.
  std::vector<DeliveryResult> results;
  for (const Delivery& delivery : *kept) {
    results.push_back(
        {delivery.send_id, delivery.subscriber_id, DeliveryResult::Outcome::kSent, 0, false, ""});
  }
  ASSERT_TRUE(a_->RecordDeliveries(results, 1, 131, "node-a"));
  EXPECT_EQ(b_->ClaimDeliveries(Terms("node-b", 130 + kHeartbeatSeconds - 1), 10)->size(), 1u);
  ASSERT_TRUE(b_->RecordDeliveries({}, 1, 139, "node-b"));
  // d never came back: its claim is b's once b has been back kHeartbeatSeconds.
  auto later = b_->ClaimDeliveries(Terms("node-b", 130 + kHeartbeatSeconds), 10);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->size(), 2u);
  for (const Delivery& delivery : *later) EXPECT_EQ(sent_by_a.count(delivery.subscriber_id), 0u);
}

// On PostgreSQL a claim's statement tests a row's holder in the snapshot the statement began
// with; a row another node claimed and committed meanwhile is re-checked (EvalPlanQual) against
// that old snapshot, where the other node's heartbeat, renewed after a lapse, still looks lapsed,
// so both nodes had the row. The race needs a's claim to begin before b renews and to reach the
// row after b's claim commits: to make it certain, a's statement is held in between. a connects
// as a role that a row-level security policy on `leases` binds (the tests' own superuser is not
// bound); the policy, reading the heartbeat of node c (which holds the first row), waits for an
// advisory lock the test holds while b renews and claims.
TEST_P(ClaimsTest, ARowClaimedByANodeBackFromALapseIsNotTakenByAnOlderSnapshot) {
  if (GetParam() != storage::Dialect::kPostgres)
    GTEST_SKIP() << "SQLite has one writer: claims cannot interleave";
  QueueSendTo(2);
  // c claims the first (in claiming order) and lives; b's heartbeat lapsed at 110; a lives.
  auto held = b_->ClaimDeliveries(ClaimTerms{"node-c", 100, 1000, 1000}, 1);
  ASSERT_TRUE(held);
  ASSERT_EQ(held->size(), 1u);
  ASSERT_TRUE(*b_->TakeLease(NodeLeaseName("node-b"), "node-b", 100, 100 + kHeartbeatSeconds));

  storage::DatabaseOptions options;
  options.url = url_;
  options.pool_size = 1;  // one session: the advisory lock's
  auto admin = storage::Database::Open(options);
  ASSERT_TRUE(admin) << Describe(admin.error());
  for (const char* sql :
       {"DO $$ BEGIN CREATE ROLE broadsheet_claimer LOGIN; EXCEPTION WHEN duplicate_object OR "
        "unique_violation THEN NULL; END $$",
        "GRANT ALL ON ALL TABLES IN SCHEMA public TO broadsheet_claimer",
        "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO broadsheet_claimer",
        "GRANT CREATE ON SCHEMA public TO broadsheet_claimer",
        "CREATE FUNCTION claims_test_pause(lease TEXT) RETURNS BOOLEAN LANGUAGE plpgsql AS $$ "
        "BEGIN IF lease = 'node:node-c' THEN PERFORM pg_advisory_xact_lock_shared(7431016); END "
        "IF; RETURN true; END $$",
        "ALTER TABLE leases ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY seen ON leases FOR SELECT USING (claims_test_pause(name))",
        "CREATE POLICY added ON leases FOR INSERT WITH CHECK (true)",
        "CREATE POLICY changed ON leases FOR UPDATE USING (true)",
        "CREATE POLICY removed ON leases FOR DELETE USING (true)"}) {
    auto done = (*admin)->Maintain(sql);
    ASSERT_TRUE(done) << sql << ": " << Describe(done.error());
  }
  const size_t at = url_.find("//broadsheet@");
  ASSERT_NE(at, std::string::npos) << url_;
  const std::string claimer_url =
      url_.substr(0, at) + "//broadsheet_claimer@" + url_.substr(at + 13);
  auto claimer = SqlStore::Open({claimer_url, true});
  ASSERT_TRUE(claimer) << Describe(claimer.error());
  ASSERT_TRUE(*(*claimer)->TakeLease(NodeLeaseName("node-a"), "node-a", 100, 200));

  auto advisory = [&](const char* sql) {
    return (*admin)->Transact([&](storage::Connection& c) { return c.Integer(sql); });
  };
  ASSERT_TRUE(advisory("SELECT count(*) FROM (SELECT pg_advisory_lock(7431016)) l"));
  Result<std::vector<Delivery>> by_a = std::vector<Delivery>();
  std::thread a([&] { by_a = (*claimer)->ClaimDeliveries(Terms("node-a", 120), 10); });
  // Until a's claim waits in its statement, reading c's heartbeat for the first row.
  bool waiting = false;
  for (int i = 0; i < 400 && !waiting; ++i) {
    auto blocked =
        advisory("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
    waiting = blocked && blocked->value_or(0) > 0;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // b renews its heartbeat after the lapse and claims the second row, committing while a's
  // statement is held; a then reaches that row and must leave it to b.
  auto by_b = b_->ClaimDeliveries(Terms("node-b", 120), 10);
  ASSERT_TRUE(advisory("SELECT count(*) FROM (SELECT pg_advisory_unlock(7431016)) l"));
  a.join();
  EXPECT_TRUE(waiting) << "a's claim never waited: the race was not made";
  ASSERT_TRUE(by_b) << Describe(by_b.error());
  ASSERT_TRUE(by_a) << Describe(by_a.error());
  ASSERT_EQ(by_b->size(), 1u);
  EXPECT_NE((*by_b)[0].subscriber_id, (*held)[0].subscriber_id);
  EXPECT_TRUE(by_a->empty()) << "a also claimed subscriber " << (*by_a)[0].subscriber_id;
}

TEST_P(ClaimsTest, TwoNodesClaimingTheMailOutboxTakeEachMessageOnce) {
  for (int i = 0; i < 60; ++i) {
    OutgoingMail mail;
    mail.to = "person" + std::to_string(i) + "@example.org";
    mail.subject = "Your link";
    mail.text = "https://example.org/link";
    mail.created_at = 100;
    ASSERT_TRUE(a_->QueueMail(mail));
  }
  std::mutex mutex;
  std::map<std::int64_t, int> claimed;
  auto node = [&](SqlStore& store, const std::string& holder) {
    std::int64_t after = 0;
    for (;;) {
      auto due = store.ClaimMail(Terms(holder, 200), 200, after, 1);
      ASSERT_TRUE(due) << Describe(due.error());
      if (due->empty()) return;
      for (const OutgoingMail& mail : *due) {
        {
          std::lock_guard lock(mutex);
          ++claimed[mail.id];
        }
        after = mail.id;
        ASSERT_TRUE(store.RecordMail(mail.id, MailOutcome::kSent, 200, "", holder));
      }
    }
  };
  std::thread other(node, std::ref(*b_), "node-b");
  node(*a_, "node-a");
  other.join();
  EXPECT_EQ(claimed.size(), 60u);
  for (const auto& [id, times] : claimed) EXPECT_EQ(times, 1) << id;
  EXPECT_FALSE(a_->NextMailAt()->has_value());
}

TEST_P(ClaimsTest, AMessageClaimedByANodeThatDiedIsSentByAnother) {
  OutgoingMail mail;
  mail.to = "person@example.org";
  mail.created_at = 100;
  ASSERT_TRUE(a_->QueueMail(mail));
  ASSERT_EQ(a_->ClaimMail(Terms("node-a", 200), 200, 0, 1)->size(), 1u);
  EXPECT_TRUE(b_->ClaimMail(Terms("node-b", 201), 201, 0, 1)->empty());
  auto taken = b_->ClaimMail(Terms("node-b", 200 + kHeartbeatSeconds), 300, 0, 1);
  ASSERT_TRUE(taken);
  ASSERT_EQ(taken->size(), 1u);
  // The dead node's retry (it comes back) is not recorded over b's claim; b's sent is.
  ASSERT_TRUE(a_->RecordMail((*taken)[0].id, MailOutcome::kRetry, 900, "421", "node-a"));
  EXPECT_EQ(*a_->NextMailAt(), 100);
  ASSERT_TRUE(b_->RecordMail((*taken)[0].id, MailOutcome::kSent, 211, "", "node-b"));
  EXPECT_FALSE(a_->NextMailAt()->has_value());
}

TEST_P(ClaimsTest, TwoNodesPublishingDuePostsPublishEachOnce) {
  for (int i = 0; i < 20; ++i) {
    Post post;
    post.slug = "later-" + std::to_string(i);
    post.title = "Later";
    post.status = PostStatus::kScheduled;
    post.published_at = 500;
    post.body_markdown = "Body";
    post.body_html = "<p>Body</p>";
    auto made = a_->CreatePost(post, std::nullopt, "{}");
    ASSERT_TRUE(made) << Describe(made.error());
  }
  std::atomic<int> published = 0;
  std::thread other([&] {
    auto count = b_->PublishDuePosts(600);
    ASSERT_TRUE(count) << Describe(count.error());
    published += *count;
  });
  auto count = a_->PublishDuePosts(600);
  ASSERT_TRUE(count) << Describe(count.error());
  published += *count;
  other.join();
  EXPECT_EQ(published, 20);
  EXPECT_EQ(*a_->PublishDuePosts(700), 0);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, ClaimsTest, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet
