// State that several nodes on one database share (issue 16, item 4): rate limits' windows and the
// moderators' digest. Each test opens two stores on one database, as two servers would.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "storage/sql_store.h"
#include "test_stores.h"

namespace broadsheet {
namespace {

class SharedState : public test::TwoStoresTest {
 protected:
  std::int64_t HeldComment(const std::string& body,
                           const std::string& email = "reader@example.org") {
    if (post_id_ == 0) {
      Post post;
      post.slug = "piece";
      post.title = "The Piece";
      post.status = PostStatus::kPublished;
      post.published_at = 100;
      post_id_ = *a_->UpsertPost(post);
    }
    Comment comment;
    comment.post_id = post_id_;
    comment.status = CommentStatus::kPending;
    comment.author_name = "Reader";
    comment.author_email = email;
    comment.body_markdown = body;
    comment.body_html = "<p>" + body + "</p>";
    comment.reason = "First comment from this address.";
    comment.created_at = 1000;
    return *a_->CreateComment(comment);
  }

  std::int64_t post_id_ = 0;
};

const RateLimit kSearch{"search", 3, 60};

TEST_P(SharedState, TwoNodesCountOneKeyTogether) {
  EXPECT_EQ(*a_->TakeRate(kSearch, {"k"}, 100), 0);
  EXPECT_EQ(*b_->TakeRate(kSearch, {"k"}, 101), 0);
  EXPECT_EQ(*a_->TakeRate(kSearch, {"k"}, 102), 0);
  EXPECT_EQ(*b_->TakeRate(kSearch, {"k"}, 110), 50);  // the window opened at 100 closes at 160
  EXPECT_EQ(*a_->RateWait(kSearch, {"k"}, 110), 50);
  EXPECT_EQ(*a_->TakeRate(kSearch, {"other"}, 110), 0);  // another key is not held back
  EXPECT_EQ(*b_->TakeRate({"comment-hour", 3, 3600}, {"k"}, 110), 0);  // nor another scope
  EXPECT_EQ(*b_->TakeRate(kSearch, {"k"}, 160), 0);                    // a new window
  EXPECT_EQ(*a_->RateWait(kSearch, {"k"}, 161), 0);
}

TEST_P(SharedState, ARefusalByAnyKeyCountsNothing) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(*a_->TakeRate(kSearch, {"mail:a", "client:1"}, 100), 0);
  EXPECT_EQ(*b_->TakeRate(kSearch, {"client:2", "mail:a"}, 120), 40);
  // client:2 was not counted by the refused attempt: three more go through.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*b_->TakeRate(kSearch, {"client:2"}, 121), 0) << i;
  EXPECT_GT(*b_->TakeRate(kSearch, {"client:2"}, 121), 0);
}

TEST_P(SharedState, ConcurrentTakesOnTwoNodesAllowExactlyTheLimit) {
  const RateLimit limit{"flood", 17, 600};
  std::atomic<int> allowed = 0, failed = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      SqlStore& node = t % 2 ? *b_ : *a_;
      for (int i = 0; i < 10; ++i) {
        auto wait = node.TakeRate(limit, {"flooder"}, 1000);
        if (!wait) {
          ++failed;
        } else if (*wait == 0) {
          ++allowed;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(allowed, 17);
}

TEST_P(SharedState, ClosedWindowsAreForgotten) {
  ASSERT_EQ(*a_->TakeRate(kSearch, {"old"}, 100), 0);
  ASSERT_EQ(*a_->TakeRate({"comment-hour", 3, 3600}, {"old"}, 100), 0);
  ASSERT_EQ(*a_->TakeRate(kSearch, {"new"}, 150), 0);
  EXPECT_EQ(*b_->ForgetClosedRates(159), 0);
  EXPECT_EQ(*b_->ForgetClosedRates(160), 1);  // search's "old" closed at 160
  EXPECT_EQ(*b_->ForgetClosedRates(3700), 2);
}

TEST_P(SharedState, OneNodeClaimsEachDigest) {
  const auto first = HeldComment("First");
  ASSERT_TRUE(a_->NoteHeldComment(first));
  auto claimed = b_->ClaimModeratorDigest(1000, 600, 50);
  ASSERT_TRUE(claimed) << Describe(claimed.error());
  ASSERT_TRUE(*claimed);
  ASSERT_EQ((*claimed)->listed.size(), 1u);
  EXPECT_EQ((*claimed)->total, 1);
  EXPECT_EQ((*claimed)->listed[0].id, first);
  EXPECT_EQ((*claimed)->listed[0].post_title, "The Piece");
  EXPECT_EQ((*claimed)->listed[0].text, "First");
  EXPECT_EQ((*claimed)->listed[0].reason, "First comment from this address.");
  EXPECT_FALSE(a_->ClaimModeratorDigest(1001, 600, 50)->has_value());  // nothing waits

  // Held within the interval: kept for the next digest, which either node may send, once.
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(b_->NoteHeldComment(HeldComment("More " + std::to_string(i))));
  EXPECT_FALSE(a_->ClaimModeratorDigest(1300, 600, 50)->has_value());
  EXPECT_FALSE(b_->ClaimModeratorDigest(1599, 600, 50)->has_value());
  auto later = a_->ClaimModeratorDigest(1600, 600, 3);
  ASSERT_TRUE(later && *later);
  EXPECT_EQ((*later)->total, 4);
  ASSERT_EQ((*later)->listed.size(), 3u);  // the first three, oldest first
  EXPECT_EQ((*later)->listed[0].text, "More 0");
  EXPECT_EQ((*later)->listed[2].text, "More 2");
  EXPECT_FALSE(b_->ClaimModeratorDigest(1600, 600, 50)->has_value());
}

TEST_P(SharedState, NodesClaimingTogetherSendOneDigest) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a_->NoteHeldComment(HeldComment(std::to_string(i))));
  std::atomic<int> digests = 0, comments = 0, failed = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto claimed = (t % 2 ? *b_ : *a_).ClaimModeratorDigest(5000, 600, 50);
      if (!claimed) {
        ++failed;
      } else if (*claimed) {
        ++digests;
        comments += (*claimed)->total;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(digests, 1);
  EXPECT_EQ(comments, 5);
}

TEST_P(SharedState, AnErasedCommentLeavesTheDigest) {
  const auto kept = HeldComment("Kept");
  ASSERT_TRUE(a_->NoteHeldComment(kept));
  ASSERT_TRUE(a_->NoteHeldComment(HeldComment("Gone", "gone@example.org")));
  ASSERT_EQ(*a_->EraseCommentsByEmail("gone@example.org"), 1);
  auto claimed = b_->ClaimModeratorDigest(1000, 600, 50);
  ASSERT_TRUE(claimed && *claimed);
  EXPECT_EQ((*claimed)->total, 1);
  EXPECT_EQ((*claimed)->listed[0].id, kept);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, SharedState, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet
