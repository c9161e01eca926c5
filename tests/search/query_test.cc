#include "search/query.h"

#include <gtest/gtest.h>

#include "search/related.h"

namespace broadsheet::search {
namespace {

TEST(SearchQuery, WordsMustAllMatchAndAreQuoted) {
  const Query query = Parse("  deterrence   Korea ");
  EXPECT_EQ(query.match, "\"deterrence\" AND \"Korea\"");
  EXPECT_EQ(query.understood, "deterrence Korea");
  EXPECT_TRUE(query.notice.empty());
}

TEST(SearchQuery, PhrasesOrExclusionsAndPrefixes) {
  EXPECT_EQ(Parse("\"korean peninsula\" nuclear").match, "\"korean peninsula\" AND \"nuclear\"");
  EXPECT_EQ(Parse("trade china OR india").match, "\"trade\" AND (\"china\" OR \"india\")");
  EXPECT_EQ(Parse("sanctions -iran -\"north korea\"").match,
            "(\"sanctions\") NOT \"iran\" NOT \"north korea\"");
  EXPECT_EQ(Parse("deter* ab*").match, "\"deter\" * AND \"ab\"");
}

TEST(SearchQuery, OperatorsAndSyntaxAreOnlyText) {
  // FTS5's own syntax is quoted: it can never break the expression or reach other columns.
  EXPECT_EQ(Parse("NEAR(a b) title:x AND NOT ^y").match,
            "\"NEAR(a\" AND \"b)\" AND \"title:x\" AND \"AND\" AND \"NOT\" AND \"^y\"");
  EXPECT_EQ(Parse("say \"\"hi\"").match, "\"say\" AND \"hi\"");
  EXPECT_EQ(Parse("a\"b").match, "\"a\" AND \"b\"");
  EXPECT_EQ(Parse("it's \"x\"\"y\"").match, "\"it's\" AND \"x\" AND \"y\"");
  EXPECT_EQ(Parse("OR alone").match, "\"alone\"");
}

TEST(SearchQuery, UnbalancedQuotesKeepTheWords) {
  EXPECT_EQ(Parse("\"korean peninsula").match, "\"korean\" AND \"peninsula\"");
}

TEST(SearchQuery, NothingToSearchForIsEmptyWithAReason) {
  EXPECT_TRUE(Parse("").match.empty());
  EXPECT_TRUE(Parse("  ... !!! ").match.empty());
  const Query only_excluded = Parse("-iran");
  EXPECT_TRUE(only_excluded.match.empty());
  EXPECT_FALSE(only_excluded.notice.empty());
}

TEST(SearchQuery, LongAndBrokenInputIsCutAndSaidSo) {
  const Query long_query = Parse(std::string(10 * 1024, 'a') + " b");
  EXPECT_LE(long_query.match.size(), kMaxQueryBytes + 10);
  EXPECT_FALSE(long_query.notice.empty());
  std::string many;
  for (int i = 0; i < 40; ++i) many += "word" + std::to_string(i) + " ";
  const Query many_words = Parse(many);
  EXPECT_EQ(std::count(many_words.match.begin(), many_words.match.end(), '"'),
            static_cast<long>(2 * kMaxTerms));
  const Query broken = Parse("caf\xC3 \xFF\xFEpolicy\x01");
  EXPECT_EQ(broken.match, "\"caf\" AND \"policy\"");
  EXPECT_FALSE(broken.notice.empty());
}

TEST(SearchQuery, MarkedTextBecomesEscapedHtml) {
  EXPECT_EQ(MarkedHtml("a <b> \x01word\x02 & \x01open"),
            "a &lt;b&gt; <mark>word</mark> &amp; <mark>open</mark>");
  EXPECT_EQ(MarkedText("\x01x\x02y"), "xy");
}

TEST(SearchQuery, SimilarToUsesTheDistinctiveWords) {
  Post post;
  post.title = "Why the Arctic Is Opening";
  post.dek = "And why rules are not ready for the Arctic.";
  EXPECT_EQ(SimilarTo(post), "{title dek} : (\"arctic\" OR \"opening\" OR \"rules\" OR \"ready\")");
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
