#include "newsletter/feedback.h"

#include <gtest/gtest.h>

#include <sstream>

#include "storage/sql_store.h"
#include "test_stores.h"

namespace broadsheet::newsletter {
namespace {

// A relay's failure notice for a VERP return path, as RFC 3464 lays it out.
std::string Bounce(const std::string& verp, const std::string& recipient, const std::string& status,
                   const std::string& action) {
  return "From MAILER-DAEMON Sat Nov 28 06:00:00 2026\n"
         "Return-Path: <>\n"
         "To: " +
         verp +
         "\n"
         "Subject: Undelivered Mail Returned to Sender\n"
         "MIME-Version: 1.0\n"
         "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n"
         "\n--b1\nContent-Type: text/plain\n\nThe mail could not be delivered.\n"
         "\n--b1\nContent-Type: message/delivery-status\n\n"
         "Reporting-MTA: dns; relay.example\n\n"
         "Final-Recipient: rfc822; " +
         recipient +
         "\n"
         "Action: " +
         action +
         "\n"
         "Status: " +
         status +
         "\n"
         "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"
         "\n--b1--\n";
}

std::string Complaint(const std::string& recipient) {
  return "From feedback@mailbox.example Sat Nov 28 06:00:00 2026\n"
         "From: feedback@mailbox.example\n"
         "Subject: Abuse report\n"
         "MIME-Version: 1.0\n"
         "Content-Type: multipart/report; report-type=feedback-report; boundary=\"b2\"\n"
         "\n--b2\nContent-Type: text/plain\n\nA reader marked this as spam.\n"
         "\n--b2\nContent-Type: message/feedback-report\n\n"
         "Feedback-Type: abuse\nUser-Agent: Mailbox/1.0\nVersion: 1\n"
         "\n--b2\nContent-Type: text/rfc822-headers\n\n"
         "From: The Test Review <news@test.example>\n"
         "To: Reader Two <" +
         recipient +
         ">\n"
         "Subject: Why Deterrence Still Works\n"
         "\n--b2--\n";
}

class FeedbackTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE(store_);
    for (const char* email : {"one@example.org", "two@example.org", "three@example.org"}) {
      Subscriber subscriber;
      subscriber.email = email;
      subscriber.status = SubscriberStatus::kActive;
      ids_.push_back(*store_->SaveSubscriber(subscriber));
    }
  }
  SubscriberStatus StatusOf(std::int64_t id) { return (*store_->FindSubscriber(id))->status; }

  std::unique_ptr<SqlStore> store_;
  std::vector<std::int64_t> ids_;
};

TEST_P(FeedbackTest, PermanentBouncesAndComplaintsMarkSubscribersAndTheRestIsIgnored) {
  std::stringstream mailbox;
  mailbox << Bounce("bounces+1-" + std::to_string(ids_[0]) + "@test.example",
                    "someone-else@example.org", "5.1.1", "failed")
          << Complaint("two@example.org")
          << Bounce("news@test.example", "three@example.org", "4.2.2", "delayed")
          << Bounce("news@test.example", "nobody@example.org", "5.1.1", "failed")
          << "From someone Sat Nov 28 06:00:00 2026\nSubject: hello\n\nJust a letter.\n";
  auto report = ApplyFeedback(*store_, mailbox, 1);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->messages, 5);
  EXPECT_EQ(report->bounces, 1);
  EXPECT_EQ(report->complaints, 1);
  EXPECT_EQ(report->ignored, 3);
  EXPECT_EQ(StatusOf(ids_[0]), SubscriberStatus::kBounced);  // found by its VERP address
  EXPECT_EQ(StatusOf(ids_[1]), SubscriberStatus::kComplained);
  EXPECT_EQ(StatusOf(ids_[2]), SubscriberStatus::kActive);  // only delayed
}

TEST_P(FeedbackTest, ABounceBelowTheThresholdIsCountedNotFinal) {
  std::stringstream mailbox(Bounce("x@test.example", "three@example.org", "5.2.2", "failed"));
  ASSERT_TRUE(ApplyFeedback(*store_, mailbox, 2));
  auto subscriber = **store_->FindSubscriber(ids_[2]);
  EXPECT_EQ(subscriber.status, SubscriberStatus::kActive);
  EXPECT_EQ(subscriber.bounces, 1);
  std::stringstream again(Bounce("x@test.example", "three@example.org", "5.2.2", "failed"));
  ASSERT_TRUE(ApplyFeedback(*store_, again, 2));
  EXPECT_EQ(StatusOf(ids_[2]), SubscriberStatus::kBounced);
}

TEST_P(FeedbackTest, EmptyAndGarbageMailboxesChangeNothing) {
  std::stringstream empty;
  EXPECT_EQ(ApplyFeedback(*store_, empty, 1)->messages, 0);
  std::stringstream garbage(std::string("\0\1\2 not a mailbox \xff\n", 20));
  auto report = ApplyFeedback(*store_, garbage, 1);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->ignored, 1);
  for (auto id : ids_) EXPECT_EQ(StatusOf(id), SubscriberStatus::kActive);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, FeedbackTest, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::newsletter
