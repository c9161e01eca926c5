#include "comments/privacy.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "auth/rate_limiter.h"
#include "comments/comments.h"
#include "storage/sql_store.h"
#include "test_stores.h"

namespace broadsheet::comments {
namespace {

class PrivacyTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE(store_);
    limiter_.emplace(*store_);
    post_.slug = "piece";
    post_.title = "Piece";
    post_.status = PostStatus::kPublished;
    post_.published_at = 100;
    post_.id = *store_->UpsertPost(post_);
  }
  std::int64_t Leave(const std::string& email, const std::string& body,
                     std::optional<std::int64_t> parent = std::nullopt) {
    Comment comment;
    comment.post_id = post_.id;
    comment.parent_id = parent;
    comment.status = CommentStatus::kApproved;
    comment.author_name = "Name of " + email;
    comment.author_email = email;
    comment.body_markdown = body;
    comment.body_html = "<p>" + body + "</p>";
    comment.client_hash = "hash";
    comment.created_at = 1000;
    return *store_->CreateComment(comment);
  }
  std::unique_ptr<SqlStore> store_;
  std::optional<auth::SharedRateLimiter> limiter_;
  Post post_;
};

TEST_P(PrivacyTest, LinkTokensNameTheAddressAndExpire) {
  Privacy privacy(*store_, *limiter_);
  auto token = privacy.LinkToken("Reader@Example.org", 1000);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->find("Reader"), std::string::npos);  // not the address in plain sight
  EXPECT_EQ(**privacy.CheckToken(*token, 1000 + kLinkLifetime), "reader@example.org");
  EXPECT_FALSE(*privacy.CheckToken(*token, 1001 + kLinkLifetime));
  std::string forged = *token;
  forged[forged.find('.') + 1] = forged[forged.find('.') + 1] == '7' ? '6' : '7';
  EXPECT_FALSE(*privacy.CheckToken(forged, 1000));
  EXPECT_FALSE(*privacy.CheckToken("garbage", 1000));
  EXPECT_FALSE(*privacy.CheckToken("1.2.3", 1000));
}

TEST_P(PrivacyTest, RequestsAreLimitedPerAddressAndClient) {
  Privacy privacy(*store_, *limiter_);
  for (int i = 0; i < kMaxRequests; ++i)
    EXPECT_TRUE(*privacy.AllowRequest("a@example.org", "192.0.2.1", 1000 + i));
  EXPECT_FALSE(*privacy.AllowRequest("A@example.org", "192.0.2.9", 1010));
  EXPECT_FALSE(*privacy.AllowRequest("b@example.org", "192.0.2.1", 1010));
  EXPECT_TRUE(*privacy.AllowRequest("a@example.org", "192.0.2.1", 1000 + 3601));
}

TEST_P(PrivacyTest, RequestsAreCountedTogetherByEveryNode) {
  auth::SharedRateLimiter other_node(*store_);  // another server on the same database
  Privacy here(*store_, *limiter_);
  Privacy there(*store_, other_node);
  for (int i = 0; i < kMaxRequests; ++i)
    EXPECT_TRUE(*(i % 2 ? there : here).AllowRequest("a@example.org", "192.0.2.1", 1000 + i));
  EXPECT_FALSE(*there.AllowRequest("a@example.org", "198.51.100.1", 1010));
  EXPECT_FALSE(*here.AllowRequest("b@example.org", "192.0.2.1", 1010));
}

TEST_P(PrivacyTest, ExportHasEverythingAndEraseKeepsThreadsReadable) {
  const auto answered = Leave("me@example.org", "First thought");
  Leave("other@example.org", "A reply to you", answered);
  Leave("ME@example.org", "Second thought");
  Privacy privacy(*store_, *limiter_);
  auto exported = nlohmann::json::parse(*privacy.Export("me@example.org"));
  ASSERT_EQ(exported["comments"].size(), 2u);
  EXPECT_EQ(exported["comments"][0]["text"], "First thought");
  EXPECT_EQ(exported["comments"][0]["article"], "/piece/");
  EXPECT_EQ(exported["comments"][1]["email"], "ME@example.org");

  EXPECT_EQ(*store_->EraseCommentsByEmail("me@example.org"), 2);
  EXPECT_TRUE(store_->ListCommentsByEmail("me@example.org")->empty());
  auto kept = *store_->FindComment(answered);  // others replied: emptied, not removed
  EXPECT_EQ(kept->author_name, "Anonymous");
  EXPECT_TRUE(kept->author_email.empty());
  EXPECT_TRUE(kept->body_markdown.empty());
  EXPECT_NE(kept->body_html.find("removed at its author"), std::string::npos);
  EXPECT_EQ(store_->ListApprovedComments(post_.id, 0)->size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, PrivacyTest, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::comments
