#include "comments/comments.h"

#include <gtest/gtest.h>

#include "storage/sqlite_store.h"

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

class Moderation : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*SqliteStore::Open({":memory:", true}));
    post_.slug = "piece";
    post_.title = "Piece";
    post_.status = PostStatus::kPublished;
    post_.published_at = 100;
    post_.id = *store_->UpsertPost(post_);
  }
  Submission From(std::string email) {
    Submission submission;
    submission.name = "Reader";
    submission.email = std::move(email);
    submission.body = "Hello number " + std::to_string(++count_);
    submission.client_ip = "192.0.2.1";
    return submission;
  }
  std::unique_ptr<SqliteStore> store_;
  Post post_;
  int count_ = 0;
};

TEST_F(Moderation, HoldFirstHoldsUntilOneIsApproved) {
  Comments comments(*store_);
  auto first = comments.Submit(post_, From("a@example.org"), 200);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, CommentStatus::kPending);
  ASSERT_TRUE(store_->SetCommentStatus(first->id, CommentStatus::kApproved));
  EXPECT_EQ(comments.Submit(post_, From("A@example.org"), 300)->status, CommentStatus::kApproved);
  EXPECT_EQ(comments.Submit(post_, From("b@example.org"), 300)->status, CommentStatus::kPending);
}

TEST_F(Moderation, ModesHoldAllAndHoldNone) {
  EXPECT_EQ(Comments(*store_, comments::Moderation::kHoldNone)
                .Submit(post_, From("x@example.org"), 1)
                ->status,
            CommentStatus::kApproved);
  Comments hold_all(*store_, comments::Moderation::kHoldAll);
  auto held = hold_all.Submit(post_, From("y@example.org"), 1);
  ASSERT_TRUE(store_->SetCommentStatus(held->id, CommentStatus::kApproved));
  EXPECT_EQ(hold_all.Submit(post_, From("y@example.org"), 2)->status, CommentStatus::kPending);
}

TEST_F(Moderation, SuspiciousCommentsAreKeptButNotPublished) {
  Comments comments(*store_, comments::Moderation::kHoldNone);
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

TEST_F(Moderation, StoresNoClientAddress) {
  auto outcome = Comments(*store_).Submit(post_, From("z@example.org"), 1);
  ASSERT_TRUE(outcome);
  auto stored = store_->FindComment(outcome->id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->client_hash.find("192.0.2.1"), std::string::npos);
  EXPECT_FALSE((*stored)->client_hash.empty());
}

TEST_F(Moderation, ClosedPostsAndForeignParentsAreRefused) {
  Post closed = post_;
  closed.comments_open = false;
  EXPECT_EQ(Comments(*store_).Submit(closed, From("a@example.org"), 1).error().code,
            ErrorCode::kInvalidArgument);
  Submission reply = From("a@example.org");
  reply.parent = "12345";
  EXPECT_EQ(Comments(*store_).Submit(post_, reply, 1).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace broadsheet::comments
