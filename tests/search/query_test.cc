#include "search/query.h"

#include <gtest/gtest.h>

#include "search/related.h"

namespace broadsheet::search {
namespace {

// The terms of a query, as "a b|c -d" (groups by spaces, alternatives by |, - excluded, "
// for phrases, * for prefixes).
std::string Shape(const Query& query) {
  auto term = [](const Term& t) {
    return (t.negated ? "-" : "") + (t.phrase ? "\"" + t.text + "\"" : t.text) +
           (t.prefix ? "*" : "");
  };
  std::string out;
  for (const auto& group : query.groups) {
    if (!out.empty()) out += ' ';
    for (size_t i = 0; i < group.size(); ++i) out += (i ? "|" : "") + term(group[i]);
  }
  for (const Term& t : query.excluded) out += " " + term(t);
  return out;
}

TEST(SearchQuery, WordsMustAllMatch) {
  const Query query = Parse("  deterrence   Korea ");
  EXPECT_EQ(Shape(query), "deterrence Korea");
  EXPECT_EQ(query.understood, "deterrence Korea");
  EXPECT_TRUE(query.notice.empty());
}

TEST(SearchQuery, PhrasesOrExclusionsAndPrefixes) {
  EXPECT_EQ(Shape(Parse("\"korean peninsula\" nuclear")), "\"korean peninsula\" nuclear");
  EXPECT_EQ(Shape(Parse("trade china OR india")), "trade china|india");
  EXPECT_EQ(Shape(Parse("sanctions -iran -\"north korea\"")), "sanctions -iran -\"north korea\"");
  EXPECT_EQ(Shape(Parse("deter* ab*")), "deter* ab");
}

TEST(SearchQuery, OperatorsAndSyntaxAreOnlyText) {
  EXPECT_EQ(Shape(Parse("NEAR(a b) title:x AND NOT ^y")), "NEAR(a b) title:x AND NOT ^y");
  EXPECT_EQ(Shape(Parse("say \"\"hi\"")), "say hi");
  EXPECT_EQ(Shape(Parse("a\"b")), "a b");
  EXPECT_EQ(Shape(Parse("OR alone")), "alone");
}

TEST(SearchQuery, UnbalancedQuotesKeepTheWords) {
  EXPECT_EQ(Shape(Parse("\"korean peninsula")), "korean peninsula");
}

TEST(SearchQuery, NothingToSearchForIsEmptyWithAReason) {
  EXPECT_TRUE(Parse("").empty());
  EXPECT_TRUE(Parse("  ... !!! ").empty());
  const Query only_excluded = Parse("-iran");
  EXPECT_TRUE(only_excluded.empty());
  EXPECT_FALSE(only_excluded.notice.empty());
}

TEST(SearchQuery, LongAndBrokenInputIsCutAndSaidSo) {
  const Query long_query = Parse(std::string(10 * 1024, 'a') + " b");
  EXPECT_LE(long_query.understood.size(), kMaxQueryBytes);
  EXPECT_FALSE(long_query.notice.empty());
  std::string many;
  for (int i = 0; i < 40; ++i) many += "word" + std::to_string(i) + " ";
  EXPECT_EQ(Parse(many).groups.size(), kMaxTerms);
  const Query broken = Parse("caf\xC3 \xFF\xFEpolicy\x01");
  EXPECT_EQ(Shape(broken), "caf policy");
  EXPECT_FALSE(broken.notice.empty());
}

TEST(SearchQuery, DistinctiveWordsLeaveCommonOnesOut) {
  Post post;
  post.title = "Why the Arctic Is Opening";
  post.dek = "And why rules are not ready for the Arctic.";
  EXPECT_EQ(DistinctiveWords(post),
            (std::vector<std::string>{"arctic", "opening", "rules", "ready"}));
}

PostDetail Candidate(std::int64_t id, std::optional<std::int64_t> section,
                     std::vector<std::int64_t> tags, Timestamp published,
                     std::string title = "Unrelated Words Here") {
  PostDetail detail;
  detail.post.id = id;
  detail.post.title = std::move(title);
  detail.post.section_id = section;
  detail.post.published_at = published;
  for (auto tag : tags) detail.tags.push_back(Tag{tag, "t", "T"});
  return detail;
}

TEST(Related, TagsThenSectionThenSharedWordsThenDate) {
  Post post;
  post.id = 1;
  post.title = "The Arctic Shipping Lanes";
  post.section_id = 7;
  post.tag_ids = {10, 11};
  std::vector<PostDetail> candidates = {
      Candidate(2, 7, {}, 500),                            // same section
      Candidate(3, 8, {10, 11}, 100),                      // two tags
      Candidate(4, 8, {10}, 200),                          // one tag
      Candidate(5, 7, {}, 100, "Shipping in the Arctic"),  // same section, similar headline
      Candidate(6, 7, {}, 900),                            // same section, newer
      Candidate(1, 7, {10, 11}, 100)};                     // the article itself
  const auto chosen = ChooseRelated(post, candidates, 5);
  ASSERT_EQ(chosen.size(), 5u);
  EXPECT_EQ(chosen[0].post.id, 3);
  EXPECT_EQ(chosen[1].post.id, 5);  // 2 + 2.5 beats one tag (3)
  EXPECT_EQ(chosen[2].post.id, 4);
  EXPECT_EQ(chosen[3].post.id, 6);
  EXPECT_EQ(chosen[4].post.id, 2);
}

}  // namespace
}  // namespace broadsheet::search
