#include "newsletter/subscriptions.h"

#include <gtest/gtest.h>

#include "auth/crypto.h"
#include "auth/rate_limiter.h"
#include "storage/sql_store.h"
#include "test_mail.h"
#include "test_stores.h"

namespace broadsheet::newsletter {
namespace {

// The link in a message's text that follows `prefix`, up to the end of its line.
std::string LinkAfter(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos) return "";
  const auto start = at + prefix.size();
  return text.substr(start, text.find('\n', start) - start);
}

class SubscriptionsTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(auth::InitCrypto());
    BROADSHEET_OPEN_TEST_STORE(store_);
    outbox_.emplace(*store_, mailer_, nullptr);
    limiter_.emplace(*store_);
    for (const char* slug : {"security", "economy"}) {
      Section section;
      section.slug = slug;
      section.name = slug;
      ASSERT_TRUE(store_->UpsertSection(section));
    }
    publication_.title = "The Test Review";
    publication_.base_url = "https://review.example";
  }
  std::vector<mail::Message> Sent() {
    outbox_->Flush();
    return mailer_.sent();
  }
  Signup For(std::string email) {
    Signup signup;
    signup.email = std::move(email);
    signup.client_ip = "192.0.2.1";
    return signup;
  }

  std::unique_ptr<SqlStore> store_;
  test::RecordingMailer mailer_;
  std::optional<mail::Outbox> outbox_;
  std::optional<auth::SharedRateLimiter> limiter_;
  Publication publication_;
};

TEST_P(SubscriptionsTest, DoubleOptInConfirmsByTheMailedLinkAndWelcomes) {
  Subscriptions subscriptions(*store_, *outbox_, *limiter_);
  Signup signup = For("Reader@Example.org");
  signup.everything = false;
  signup.sections = {"economy", "no-such-section"};
  ASSERT_TRUE(subscriptions.Subscribe(signup, publication_, 1000));
  auto pending = **store_->FindSubscriberByEmail("reader@example.org");
  EXPECT_EQ(pending.status, SubscriberStatus::kPending);
  EXPECT_FALSE(pending.everything);
  EXPECT_EQ(pending.sections, std::vector<std::string>{"economy"});
  EXPECT_FALSE(pending.consented_at);

  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, "Reader@Example.org");
  const std::string token = LinkAfter(sent[0].text, "https://review.example/newsletter/confirm/");
  ASSERT_FALSE(token.empty()) << sent[0].text;
  EXPECT_FALSE(*subscriptions.Confirm(token + "x", publication_, 1000));
  EXPECT_FALSE(*subscriptions.Confirm(token, publication_, 1001 + kConfirmLifetime));  // expired
  auto confirmed = subscriptions.Confirm(token, publication_, 2000);
  ASSERT_TRUE(confirmed && *confirmed);
  EXPECT_EQ((*confirmed)->status, SubscriberStatus::kActive);
  EXPECT_EQ((*confirmed)->consented_at, 2000);
  EXPECT_TRUE(*subscriptions.Confirm(token, publication_, 3000));  // a second click is fine
  sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[1].subject.find("Welcome"), std::string::npos);
  const std::string manage =
      LinkAfter(sent[1].text, "https://review.example/newsletter/unsubscribe/");
  auto found = subscriptions.FromManageToken(manage);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, pending.id);
  EXPECT_FALSE(*subscriptions.FromManageToken(manage + "x"));
  EXPECT_FALSE(*subscriptions.FromManageToken("1.forged"));
}

TEST_P(SubscriptionsTest, SignupsRevealNothingAndRespectThoseWhoLeftOrComplained) {
  Subscriptions subscriptions(*store_, *outbox_, *limiter_);
  Subscriber active;
  active.email = "active@example.org";
  active.status = SubscriberStatus::kActive;
  active.consented_at = 5;
  ASSERT_TRUE(store_->SaveSubscriber(active));
  Subscriber complained = active;
  complained.email = "complained@example.org";
  complained.status = SubscriberStatus::kComplained;
  ASSERT_TRUE(store_->SaveSubscriber(complained));

  ASSERT_TRUE(subscriptions.Subscribe(For("active@example.org"), publication_, 10));
  ASSERT_TRUE(subscriptions.Subscribe(For("complained@example.org"), publication_, 10));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);  // a reminder for the active one, nothing for the complaint
  EXPECT_NE(sent[0].subject.find("already subscribed"), std::string::npos);
  EXPECT_EQ((**store_->FindSubscriberByEmail("active@example.org")).status,
            SubscriberStatus::kActive);
  EXPECT_EQ((**store_->FindSubscriberByEmail("complained@example.org")).status,
            SubscriberStatus::kComplained);
}

TEST_P(SubscriptionsTest, BadAddressesAndFloodsAreRefusedAndStoreNothing) {
  Subscriptions subscriptions(*store_, *outbox_, *limiter_);
  for (const char* bad : {"", "not-an-address", "a@b", "x@example.org\r\nBcc: victim@example.org",
                          "x@exa\x01mple.org"}) {
    auto refused = subscriptions.Subscribe(For(bad), publication_, 10);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(*store_->CountSubscribers({}), 0);
  for (int i = 0; i < kMaxSignupsPerHour; ++i)
    ASSERT_TRUE(subscriptions.Subscribe(For("flood@example.org"), publication_, 100 + i));
  EXPECT_EQ(subscriptions.Subscribe(For("flood@example.org"), publication_, 200).error().code,
            ErrorCode::kRateLimited);
  EXPECT_EQ(subscriptions.Subscribe(For("other@example.org"), publication_, 200).error().code,
            ErrorCode::kRateLimited);  // the same client
  EXPECT_TRUE(subscriptions.Subscribe(For("flood@example.org"), publication_, 100 + 3601));
}

TEST_P(SubscriptionsTest, ReadersChooseSectionsAndUnsubscribe) {
  Subscriptions subscriptions(*store_, *outbox_, *limiter_);
  Subscriber subscriber;
  subscriber.email = "choosy@example.org";
  subscriber.status = SubscriberStatus::kActive;
  subscriber.id = *store_->SaveSubscriber(subscriber);
  auto chosen = subscriptions.ChooseSections(subscriber, false, {"security"});
  ASSERT_TRUE(chosen);
  EXPECT_EQ((**store_->FindSubscriber(subscriber.id)).sections,
            std::vector<std::string>{"security"});
  chosen = subscriptions.ChooseSections(*chosen, false, {});  // none chosen: everything
  EXPECT_TRUE((**store_->FindSubscriber(subscriber.id)).everything);
  auto left = subscriptions.Unsubscribe(*chosen, 500);
  ASSERT_TRUE(left);
  auto stored = **store_->FindSubscriber(subscriber.id);
  EXPECT_EQ(stored.status, SubscriberStatus::kUnsubscribed);
  EXPECT_EQ(stored.unsubscribed_at, 500);
}

TEST_P(SubscriptionsTest, CsvRoundTripKeepsConsentAndSkipsWhatItCannotTrust) {
  Subscriptions subscriptions(*store_, *outbox_, *limiter_);
  auto report = subscriptions.ImportCsv(
      "\xEF\xBB\xBF"
      "Email,Status,Sections,Consented_at,Consent_source,Everything\r\n"
      "a@example.org,active,,2024-01-02T03:04:05Z,old provider,1\r\n"
      "\"b,quoted@example.org\",active,,2024-01-02T03:04:05Z,,1\r\n"
      "c@example.org,active,economy,2024-02-01T00:00:00Z,,0\r\n"
      "d@example.org,active,,,,1\r\n"
      "e@example.org,unsubscribed,,,,1\r\n"
      "f@example.org,maybe,,,,1\r\n"
      "\r\n",
      9999);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->added, 3);
  ASSERT_EQ(report->skipped.size(), 3u);
  EXPECT_NE(report->skipped[0].find("line 3"), std::string::npos);
  EXPECT_NE(report->skipped[1].find("line 5: no consent date"), std::string::npos);
  EXPECT_NE(report->skipped[2].find("line 7"), std::string::npos);
  auto a = **store_->FindSubscriberByEmail("a@example.org");
  EXPECT_EQ(a.consent_source, "old provider");
  EXPECT_EQ(a.consented_at, 1704164645);
  auto c = **store_->FindSubscriberByEmail("c@example.org");
  EXPECT_EQ(c.sections, std::vector<std::string>{"economy"});
  EXPECT_EQ((**store_->FindSubscriberByEmail("e@example.org")).status,
            SubscriberStatus::kUnsubscribed);

  auto csv = subscriptions.ExportCsv();
  ASSERT_TRUE(csv);
  EXPECT_NE(csv->find("a@example.org,active,1,,"), std::string::npos) << *csv;
  EXPECT_NE(csv->find("2024-01-02T03:04:05Z,old provider,"), std::string::npos) << *csv;
  EXPECT_NE(csv->find("c@example.org,active,0,economy,"), std::string::npos);
  // Importing the export again changes nothing but counts updates.
  auto again = subscriptions.ImportCsv(*csv, 10000);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->added, 0);
  EXPECT_EQ(again->updated, 3);
  EXPECT_EQ(*subscriptions.ExportCsv(), *csv);
}

TEST_P(SubscriptionsTest, AMalformedCsvChangesNothing) {
  Subscriptions subscriptions(*store_, *outbox_, *limiter_);
  auto bad = subscriptions.ImportCsv(
      "email,consented_at\r\na@example.org,2024-01-01T00:00:00Z\r\n\"broken,2024\r\n", 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("malformed"), std::string::npos) << bad.error().message;
  EXPECT_EQ(*store_->CountSubscribers({}), 0);
  EXPECT_EQ(subscriptions.ImportCsv("name,consent\r\nx,y\r\n", 1).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(subscriptions.ImportCsv("email\r\n\xff\xfe\r\n", 1).error().code,
            ErrorCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, SubscriptionsTest, test::kBothDatabases,
                         test::DatabaseName);

}  // namespace
}  // namespace broadsheet::newsletter
