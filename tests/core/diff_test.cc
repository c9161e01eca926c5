#include "core/diff.h"

#include <gtest/gtest.h>

namespace broadsheet {
namespace {

std::string Render(const std::vector<DiffLine>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += line.kind == DiffLine::Kind::kSame    ? ' '
           : line.kind == DiffLine::Kind::kAdded ? '+'
                                                 : '-';
    out += line.text + "\n";
  }
  return out;
}

TEST(DiffLines, KeepsCommonLinesAndMarksChanges) {
  EXPECT_EQ(Render(DiffLines("a\nb\nc\n", "a\nB\nc\nd\n")), " a\n-b\n+B\n c\n+d\n");
}

TEST(DiffLines, IdenticalAndEmptyTexts) {
  EXPECT_EQ(Render(DiffLines("x\ny", "x\ny")), " x\n y\n");
  EXPECT_EQ(Render(DiffLines("", "new")), "+new\n");
  EXPECT_EQ(Render(DiffLines("old", "")), "-old\n");
}

TEST(DiffLines, HugeTextsFallBackWithoutExhaustingMemory) {
  std::string big;
  for (int i = 0; i < 3000; ++i) big += std::to_string(i) + "\n";
  const auto lines = DiffLines(big, big + "tail\n");
  EXPECT_EQ(lines.size(), 3000u + 3001u);
}

// Runs as "text", "[-removed-]" and "{+added+}".
std::string Render(const std::vector<DiffWord>& words) {
  std::string out;
  for (const auto& word : words) {
    out += word.kind == DiffWord::Kind::kSame      ? word.text
           : word.kind == DiffWord::Kind::kRemoved ? "[-" + word.text + "-]"
                                                   : "{+" + word.text + "+}";
  }
  return out;
}

TEST(DiffWords, MarksOnlyTheChangedWord) {
  const auto words =
      DiffWords("The minister resigned on Tuesday.", "The minister resigned on Monday.");
  EXPECT_EQ(Render(words.before), "The minister resigned on [-Tuesday-].");
  EXPECT_EQ(Render(words.after), "The minister resigned on {+Monday+}.");
}

TEST(DiffWords, EachSideConcatenatesBackToItsLine) {
  const std::string before = "Sanctions, as expected, were lifted in 2019 — not 2018.";
  const std::string after = "Sanctions were, as reported, lifted in 2018 — not 2019!";
  const auto words = DiffWords(before, after);
  ASSERT_FALSE(words.before.empty());
  std::string rebuilt_before, rebuilt_after;
  for (const auto& word : words.before) {
    EXPECT_NE(word.kind, DiffWord::Kind::kAdded);
    rebuilt_before += word.text;
  }
  for (const auto& word : words.after) {
    EXPECT_NE(word.kind, DiffWord::Kind::kRemoved);
    rebuilt_after += word.text;
  }
  EXPECT_EQ(rebuilt_before, before);
  EXPECT_EQ(rebuilt_after, after);
}

TEST(DiffWords, JoinsARewrittenPhraseIntoOneChange) {
  const auto words = DiffWords("one two three four five six", "one two seven eight five six");
  EXPECT_EQ(Render(words.before), "one two [-three four-] five six");
  EXPECT_EQ(Render(words.after), "one two {+seven eight+} five six");
}

TEST(DiffWords, NeverSplitsACharacter) {
  const auto words = DiffWords("Der Bundestag stimmte zu.", "Der Bündestag stimmte zu.");
  EXPECT_EQ(Render(words.before), "Der [-Bundestag-] stimmte zu.");
  EXPECT_EQ(Render(words.after), "Der {+Bündestag+} stimmte zu.");
}

TEST(DiffWords, KeepsMarkupCharactersAsPlainText) {
  // Escaping is the template's job; the diff must hand the characters over untouched.
  const auto words = DiffWords("a <b>bold</b> claim", "a <i>bold</i> claim");
  EXPECT_EQ(Render(words.before), "a <[-b-]>bold</[-b-]> claim");
  EXPECT_EQ(Render(words.after), "a <{+i+}>bold</{+i+}> claim");
}

TEST(DiffWords, RewrittenLinesGetNoWordView) {
  const auto words =
      DiffWords("Completely different sentence here.", "Nothing alike at all, truly!");
  EXPECT_TRUE(words.before.empty());
  EXPECT_TRUE(words.after.empty());
}

TEST(DiffLinesAndWords, PairsChangedParagraphsAndLeavesTheRestWhole) {
  const auto lines = DiffLinesAndWords("Intro.\n\nThe vote was 52 to 48.\n\nEnd.\n",
                                       "Intro.\n\nThe vote was 51 to 49.\n\nNew closing line.\n");
  ASSERT_EQ(Render(lines),
            " Intro.\n \n-The vote was 52 to 48.\n+The vote was 51 to 49.\n \n-End.\n"
            "+New closing line.\n");
  EXPECT_EQ(Render(lines[2].words), "The vote was [-52-] to [-48-].");
  EXPECT_EQ(Render(lines[3].words), "The vote was {+51+} to {+49+}.");
  // "End." and its replacement share nothing: shown as whole lines.
  EXPECT_TRUE(lines[5].words.empty());
  EXPECT_TRUE(lines[6].words.empty());
  EXPECT_TRUE(lines[0].words.empty());
}

TEST(DiffLinesAndWords, UnpairedLinesStayWhole) {
  const auto lines = DiffLinesAndWords("a b c\n", "a b d\nextra line\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Render(lines[0].words), "a b [-c-]");
  EXPECT_EQ(Render(lines[1].words), "a b {+d+}");
  EXPECT_EQ(lines[2].kind, DiffLine::Kind::kAdded);
  EXPECT_TRUE(lines[2].words.empty());
}

TEST(DiffWords, HugeLinesFallBackToWholeLines) {
  std::string big;
  for (int i = 0; i < 1500; ++i) big += "w" + std::to_string(i) + " ";
  const auto words = DiffWords(big, big + "tail");
  EXPECT_TRUE(words.before.empty());
  EXPECT_TRUE(words.after.empty());
}

// A body of many long changed paragraphs, each under the bound for one pair: the whole
// comparison stops marking words once a page's worth of work is spent, instead of doing every pair.
TEST(DiffLinesAndWords, ManyLongChangedParagraphsShareOneBudget) {
  std::string line;
  for (int i = 0; i < 450; ++i) line += "w" + std::to_string(i) + " ";  // 900 tokens
  std::string before, after;
  for (int n = 0; n < 400; ++n) {
    before += line + "\n\n";
    after += line + "x\n\n";
  }
  const auto lines = DiffLinesAndWords(before, after);
  size_t with_words = 0, changed = 0;
  for (const auto& diff_line : lines) {
    if (diff_line.kind == DiffLine::Kind::kAdded) ++changed;
    if (diff_line.kind == DiffLine::Kind::kAdded && !diff_line.words.empty()) ++with_words;
  }
  EXPECT_EQ(changed, 400u);
  EXPECT_GT(with_words, 0u);
  EXPECT_LE(with_words * 901 * 900, kMaxWordDiffCellsPerPage + 901 * 900);
  EXPECT_LT(with_words, changed);
}

}  // namespace
}  // namespace broadsheet
