#include "comments/comments.h"

#include <gtest/gtest.h>

#include <limits>
#include <mutex>
#include <vector>

#include "auth/rate_limiter.h"
#include "comments/notices.h"
#include "mail/outbox.h"
#include "storage/sql_store.h"
#include "test_mail.h"
#include "test_stores.h"

namespace broadsheet::comments {
namespace {

TEST(RenderBody, RawHtmlShowsAsTypedAndLinksAreNofollow) {
  auto html =
      RenderBody("<b>bold?</b> see [the report](https://example.org/r) and https://example.org");
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("&lt;b&gt;bold?&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(
      html->find("<a rel=\"nofollow ugc noopener\" href=\"https://example.org/r\">the report</a>"),
      std::string::npos);
  EXPECT_EQ(html->find("<a href"), std::string::npos);
}

TEST(RenderBody, DropsDangerousSchemesAndImages) {
  auto html = RenderBody(
      "[x](javascript:alert(1)) [y](data:text/html,hi) ![pic](https://example.org/p.png)");
  ASSERT_TRUE(html);
  EXPECT_EQ(html->find("javascript:"), std::string::npos);
  EXPECT_EQ(html->find("data:"), std::string::npos);
  EXPECT_EQ(html->find("<img"), std::string::npos);
  EXPECT_NE(html->find("pic"), std::string::npos);
}

TEST(CommentPages, PageOfCountsWholePagesOfThreadsBefore) {
  EXPECT_EQ(Comments::PageOf(0, 50), 1);
  EXPECT_EQ(Comments::PageOf(49, 50), 1);
  EXPECT_EQ(Comments::PageOf(50, 50), 2);
  EXPECT_EQ(Comments::PageOf(99, 50), 2);
  EXPECT_EQ(Comments::PageOf(100, 50), 3);
  EXPECT_EQ(Comments::PageOf(7, 1), 8);
}

TEST(CommentPages, PageOfTurnsNonsenseIntoTheFirstPage) {
  EXPECT_EQ(Comments::PageOf(-3, 50), 1);
  EXPECT_EQ(Comments::PageOf(10, 0), 1);
  EXPECT_EQ(Comments::PageOf(10, -5), 1);
  constexpr int kMax = std::numeric_limits<int>::max();
  EXPECT_EQ(Comments::PageOf(kMax, 1), kMax);  // no overflow
}

class Moderation : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE(store_);
    post_.slug = "piece";
    post_.title = "Piece";
    post_.status = PostStatus::kPublished;
    post_.published_at = 100;
    post_.id = *store_->UpsertPost(post_);
  }
  // A submission whose form token was issued at time 0 (so at least 10 s have passed in every
  // test, and at most the 48 hours allowed).
  Submission From(std::string email) {
    Submission submission;
    submission.name = "Reader";
    submission.email = std::move(email);
    submission.body = "Hello number " + std::to_string(++count_);
    submission.client_ip = "192.0.2.1";
    submission.form_token = *Comments(*store_).FormToken(post_.id, 0);
    return submission;
  }
  static Rules Mode(comments::Moderation moderation) {
    Rules rules;
    rules.moderation = moderation;
    return rules;
  }
  std::unique_ptr<SqlStore> store_;
  Post post_;
  int count_ = 0;
};

TEST_P(Moderation, HoldFirstHoldsUntilOneIsApproved) {
  Comments comments(*store_);
  auto first = comments.Submit(post_, From("a@example.org"), 200);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->reason, "A first comment from this address.");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, CommentStatus::kPending);
  ASSERT_TRUE(store_->SetCommentStatus(first->id, CommentStatus::kApproved));
  EXPECT_EQ(comments.Submit(post_, From("A@example.org"), 300)->status, CommentStatus::kApproved);
  EXPECT_EQ(comments.Submit(post_, From("b@example.org"), 300)->status, CommentStatus::kPending);
}

TEST_P(Moderation, ModesHoldAllAndHoldNone) {
  EXPECT_EQ(Comments(*store_, Mode(comments::Moderation::kHoldNone))
                .Submit(post_, From("x@example.org"), 100)
                ->status,
            CommentStatus::kApproved);
  Comments hold_all(*store_, Mode(comments::Moderation::kHoldAll));
  auto held = hold_all.Submit(post_, From("y@example.org"), 100);
  ASSERT_TRUE(store_->SetCommentStatus(held->id, CommentStatus::kApproved));
  EXPECT_EQ(hold_all.Submit(post_, From("y@example.org"), 200)->status, CommentStatus::kPending);
}

TEST_P(Moderation, SuspiciousCommentsAreKeptButNotPublished) {
  Comments comments(*store_, Mode(comments::Moderation::kHoldNone));
  Submission again = From("a@example.org");
  ASSERT_EQ(comments.Submit(post_, again, 1000)->status, CommentStatus::kApproved);
  EXPECT_EQ(comments.Submit(post_, again, 1001)->status, CommentStatus::kSpam);  // a duplicate
  Submission linky = From("b@example.org");
  linky.body = "See https://a.example, https://b.example and https://c.example";
  EXPECT_EQ(comments.Submit(post_, linky, 1002)->status, CommentStatus::kPending);
  for (int i = 0; i < 7; ++i) {
    Submission chatty = From("c@example.org");
    chatty.body = "Point " + std::to_string(i);
    EXPECT_EQ(comments.Submit(post_, chatty, 1010 + i)->status, CommentStatus::kApproved) << i;
  }
  // Ten from this client within ten minutes (all came from 192.0.2.1): the next one is held.
  Submission busy = From("d@example.org");
  busy.body = "One more";
  EXPECT_EQ(comments.Submit(post_, busy, 1100)->status, CommentStatus::kPending);
  busy.body = "Much later";
  EXPECT_EQ(comments.Submit(post_, busy, 5000)->status, CommentStatus::kApproved);
}

TEST_P(Moderation, AFloodFromOneClientIsRefusedNotStoredWhileOthersComment) {
  Comments comments(*store_, Mode(comments::Moderation::kHoldNone));
  auth::SharedRateLimiter limiter(*store_);
  comments.SetFloodLimits({.per_minute = 3, .per_hour = 10}, limiter);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(comments.Submit(post_, From("f@example.org"), 100 + i));
  auto refused = comments.Submit(post_, From("f@example.org"), 110);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(comments.FloodWait("192.0.2.1", 110), 50);  // the first of the three leaves at 160
  EXPECT_EQ(store_->ListApprovedComments(post_.id, 0)->size(), 3u);
  Submission other = From("g@example.org");
  other.client_ip = "198.51.100.7";
  EXPECT_TRUE(comments.Submit(post_, other, 110));
  Submission staff = From("s@example.org");
  staff.staff = User{};
  staff.staff->name = "Staff";
  staff.staff->email = "staff@example.org";
  auto by_staff = comments.Submit(post_, staff, 111);  // staff are never held back (the comment
  // itself needs a stored user, which this fixture has not)
  EXPECT_TRUE(by_staff || by_staff.error().code != ErrorCode::kRateLimited);
  EXPECT_TRUE(comments.Submit(post_, From("f@example.org"), 160));
}

TEST_P(Moderation, StoresNoClientAddress) {
  auto outcome = Comments(*store_).Submit(post_, From("z@example.org"), 100);
  ASSERT_TRUE(outcome);
  auto stored = store_->FindComment(outcome->id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->client_hash.find("192.0.2.1"), std::string::npos);
  EXPECT_FALSE((*stored)->client_hash.empty());
}

TEST_P(Moderation, ClosedPostsAndForeignParentsAreRefused) {
  Post closed = post_;
  closed.comments_open = false;
  EXPECT_EQ(Comments(*store_).Submit(closed, From("a@example.org"), 1).error().code,
            ErrorCode::kInvalidArgument);
  Submission reply = From("a@example.org");
  reply.parent = "12345";
  EXPECT_EQ(Comments(*store_).Submit(post_, reply, 1).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(Moderation, TheFormTokenMustBeGenuineAndTimely) {
  Comments comments(*store_, Mode(comments::Moderation::kHoldNone));
  Submission fast = From("fast@example.org");
  fast.form_token = *comments.FormToken(post_.id, 1000);
  auto too_fast = comments.Submit(post_, fast, 1001);
  EXPECT_EQ(too_fast->status, CommentStatus::kSpam);
  EXPECT_NE(too_fast->reason.find("1 s after"), std::string::npos) << too_fast->reason;

  Submission none = From("none@example.org");
  none.form_token.clear();
  auto missing = comments.Submit(post_, none, 1000);
  EXPECT_EQ(missing->status, CommentStatus::kPending);
  EXPECT_NE(missing->reason.find("form token"), std::string::npos);

  Submission forged = From("forged@example.org");
  forged.form_token = "0.not-a-signature";
  EXPECT_EQ(comments.Submit(post_, forged, 1000)->status, CommentStatus::kPending);
  Submission other_post = From("other@example.org");
  other_post.form_token = *comments.FormToken(post_.id + 1, 0);
  EXPECT_EQ(comments.Submit(post_, other_post, 1000)->status, CommentStatus::kPending);

  Submission stale = From("stale@example.org");  // issued at 0, sent three days later
  EXPECT_EQ(comments.Submit(post_, stale, 3 * 86400)->status, CommentStatus::kPending);
  EXPECT_EQ(comments.Submit(post_, From("fine@example.org"), 1000)->status,
            CommentStatus::kApproved);
}

TEST_P(Moderation, BlocklistsFromTheDeskSettings) {
  ASSERT_TRUE(store_->SetDeskSetting("comment_moderation", "hold-none"));
  ASSERT_TRUE(store_->SetDeskSetting("comments_spam_words", "Casino\n\n  cheap pills \n"));
  ASSERT_TRUE(store_->SetDeskSetting("comments_hold_words", "198.51.100.7\nnuisance@example.org"));
  Comments comments(*store_);
  auto rules = comments.CurrentRules();
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->spam_words, (std::vector<std::string>{"casino", "cheap pills"}));

  Submission casino = From("a@example.org");
  casino.body = "Visit the CASINO tonight";
  auto spam = comments.Submit(post_, casino, 100);
  EXPECT_EQ(spam->status, CommentStatus::kSpam);
  EXPECT_NE(spam->reason.find("casino"), std::string::npos);
  Submission from_address = From("b@example.org");
  from_address.client_ip = "198.51.100.7";
  EXPECT_EQ(comments.Submit(post_, from_address, 100)->status, CommentStatus::kPending);
  EXPECT_EQ(comments.Submit(post_, From("Nuisance@example.org"), 100)->status,
            CommentStatus::kPending);
  EXPECT_EQ(comments.Submit(post_, From("c@example.org"), 100)->status, CommentStatus::kApproved);
}

TEST_P(Moderation, RateLimitAndLinkLimitComeFromSettings) {
  ASSERT_TRUE(store_->SetDeskSetting("comment_moderation", "hold-none"));
  ASSERT_TRUE(store_->SetDeskSetting("comments_rate_limit", "0"));
  ASSERT_TRUE(store_->SetDeskSetting("comments_max_links", "5"));
  Comments comments(*store_);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(comments.Submit(post_, From("busy@example.org"), 100 + i)->status,
              CommentStatus::kApproved);
  }
  Submission linky = From("links@example.org");
  linky.body = "https://a.example https://b.example https://c.example";
  EXPECT_EQ(comments.Submit(post_, linky, 200)->status, CommentStatus::kApproved);
}

TEST_P(Moderation, StaffCommentsAreApprovedAndMarkedUnderTheirAccount) {
  User editor;
  editor.email = "editor@meridian.example";
  editor.name = "Eda Editor";
  editor.role = "editor";
  editor.id = *store_->CreateUser(editor);
  Comments comments(*store_, Mode(comments::Moderation::kHoldAll));
  Submission staff = From("");
  staff.name.clear();
  staff.form_token.clear();
  staff.staff = editor;
  auto outcome = comments.Submit(post_, staff, 100);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->status, CommentStatus::kApproved);
  auto stored = *store_->FindComment(outcome->id);
  EXPECT_EQ(stored->user_id, editor.id);
  EXPECT_EQ(stored->author_name, "Eda Editor");
  EXPECT_EQ(stored->author_email, "editor@meridian.example");
}

TEST_P(Moderation, ReplyFromTheQueueApprovesTheParent) {
  User editor;
  editor.email = "editor@meridian.example";
  editor.name = "Eda Editor";
  editor.role = "editor";
  editor.id = *store_->CreateUser(editor);
  Comments comments(*store_);
  auto held = comments.Submit(post_, From("new@example.org"), 100);
  ASSERT_EQ(held->status, CommentStatus::kPending);
  auto reply = comments.Reply(held->id, editor, "Thanks, fixed.", 200);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ((*store_->FindComment(held->id))->status, CommentStatus::kApproved);
  auto stored = *store_->FindComment(reply->id);
  EXPECT_EQ(stored->parent_id, held->id);
  EXPECT_EQ(stored->user_id, editor.id);
  EXPECT_EQ(comments.Reply(held->id, editor, "   ", 200).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(Moderation, EditIsCheckedAndRerendered) {
  Comments comments(*store_);
  auto held = comments.Submit(post_, From("new@example.org"), 100);
  Submission changes = From("new@example.org");
  changes.body = "Corrected <b>text</b>";
  ASSERT_TRUE(comments.Edit(held->id, changes));
  auto stored = *store_->FindComment(held->id);
  EXPECT_EQ(stored->body_markdown, "Corrected <b>text</b>");
  EXPECT_NE(stored->body_html.find("&lt;b&gt;"), std::string::npos);
  changes.email = "not an address";
  EXPECT_EQ(comments.Edit(held->id, changes).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(comments.Edit(999, changes).error().code, ErrorCode::kNotFound);
}

TEST_P(Moderation, TheSpamFilterLearnsFromModeratorsAndTakesLessonsBack) {
  Rules rules = Mode(comments::Moderation::kHoldNone);
  rules.rate_limit = 0;
  Comments comments(*store_, rules);
  std::vector<std::int64_t> spam, ham;
  for (int i = 0; i < 6; ++i) {
    Submission bad = From("seller" + std::to_string(i) + "@pills.example");
    bad.body = "Cheap replica watches and discount pharmacy offers, buy now " + std::to_string(i);
    spam.push_back(comments.Submit(post_, bad, 100 + i)->id);
    Submission good = From("reader" + std::to_string(i) + "@example.org");
    good.body =
        "The sanctions analysis overlooks the treaty's enforcement history " + std::to_string(i);
    ham.push_back(comments.Submit(post_, good, 100 + i)->id);
  }
  // Untaught, it says nothing.
  EXPECT_DOUBLE_EQ(*comments.Score(**store_->FindComment(spam[0])), 0.5);
  ASSERT_EQ(*comments.Moderate(spam, CommentStatus::kSpam), 6);
  ASSERT_EQ(*comments.Moderate(ham, CommentStatus::kApproved), 6);

  Submission fresh_spam = From("another@pills.example");
  fresh_spam.body = "Discount replica watches, cheap pharmacy, buy now";
  auto caught = comments.Submit(post_, fresh_spam, 500);
  EXPECT_EQ(caught->status, CommentStatus::kSpam) << caught->reason;
  EXPECT_NE(caught->reason.find("spam filter"), std::string::npos);
  Submission fresh_ham = From("scholar@example.org");
  fresh_ham.body = "Treaty enforcement history matters for the sanctions analysis";
  auto passed = comments.Submit(post_, fresh_ham, 500);
  EXPECT_EQ(passed->status, CommentStatus::kApproved) << passed->reason;

  // A moderator rescues the false positives: the lesson is taken back, not doubled.
  auto before = *store_->CountSpamWords({"replica"});
  ASSERT_EQ(*comments.Moderate({spam[0]}, CommentStatus::kApproved), 1);
  auto after = *store_->CountSpamWords({"replica"});
  EXPECT_EQ(after.spam_comments, before.spam_comments - 1);
  EXPECT_EQ(after.ham_comments, before.ham_comments + 1);
  EXPECT_EQ(after.words["replica"].first, before.words["replica"].first - 1);
  ASSERT_EQ(*comments.Moderate({spam[0]}, CommentStatus::kApproved), 1);  // again: no change
  EXPECT_EQ(store_->CountSpamWords({})->ham_comments, after.ham_comments);
}

TEST(SpamScore, CombinesTheStrongestClues) {
  SpamCounts counts;
  counts.spam_comments = 10;
  counts.ham_comments = 10;
  counts.words = {{"casino", {9, 0}}, {"treaty", {0, 9}}, {"the", {10, 10}}};
  EXPECT_GT(SpamScore(counts, {"casino", "the"}), 0.9);
  EXPECT_LT(SpamScore(counts, {"treaty", "the"}), 0.1);
  EXPECT_DOUBLE_EQ(SpamScore(counts, {"the", "unknown"}), 0.5);
  counts.ham_comments = 1;  // too little taught: no opinion
  EXPECT_DOUBLE_EQ(SpamScore(counts, {"casino"}), 0.5);
}

TEST(SpamWords, WordsAndHosts) {
  Comment comment;
  comment.author_name = "Bob";
  comment.author_email = "bob@Mail.Example";
  comment.author_url = "https://www.shop.example/x";
  comment.body_markdown = "Buy at https://deals.example/now, OK? It's great";
  const auto words = SpamWords(comment);
  for (const char* expected : {"buy", "it's", "great", "bob", "link:deals.example",
                               "site:shop.example", "mail:mail.example"}) {
    EXPECT_NE(std::find(words.begin(), words.end(), expected), words.end()) << expected;
  }
  EXPECT_EQ(std::find(words.begin(), words.end(), "ok"), words.end());  // too short
}

TEST_P(Moderation, OldClientHashesAreForgotten) {
  ASSERT_TRUE(store_->SetDeskSetting("comments_client_retention_days", "30"));
  Comments comments(*store_);
  auto old = comments.Submit(post_, From("old@example.org"), 100);
  auto recent = comments.Submit(post_, From("new@example.org"), 40 * 86400);
  EXPECT_EQ(*comments.ForgetOldClients(40 * 86400 + 10), 1);
  EXPECT_TRUE((*store_->FindComment(old->id))->client_hash.empty());
  EXPECT_FALSE((*store_->FindComment(recent->id))->client_hash.empty());
}

// The moderators' digest is claimed and its mail queued in one transaction: a failure between
// the two (here the outbox refuses the mail: a NUL byte in the site's title) leaves the held
// comment for the next digest instead of losing it.
TEST_P(Moderation, ADigestWhoseMailCannotBeQueuedIsKeptForTheNext) {
  User moderator;
  moderator.email = "editor@example.org";
  moderator.name = "Editor";
  moderator.role = "editor";
  ASSERT_TRUE(store_->CreateUser(moderator));
  Comment held;
  held.post_id = post_.id;
  held.status = CommentStatus::kPending;
  held.author_name = "Reader";
  held.author_email = "reader@example.org";
  held.body_markdown = "Hello";
  held.body_html = "<p>Hello</p>";
  held.created_at = 1000;
  held.id = *store_->CreateComment(held);
  test::RecordingMailer mailer;
  mail::Outbox outbox(*store_, mailer, nullptr);
  Notices notices(*store_, outbox, 600);
  Publication broken;
  broken.title = std::string("Site\0", 5);
  auto failed = notices.Comment(broken, Rules(), post_.id, held, 1000);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalidArgument);
  Publication publication;
  publication.title = "Site";
  auto sent = notices.Flush(publication, 1001);
  ASSERT_TRUE(sent) << Describe(sent.error());
  EXPECT_EQ(*sent, 1);
  outbox.Flush();
  const auto mails = mailer.sent();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].to, "editor@example.org");
  EXPECT_NE(mails[0].text.find("Hello"), std::string::npos);
  EXPECT_EQ(*notices.Flush(publication, 1700), 0);  // nothing else waits
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, Moderation, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::comments
