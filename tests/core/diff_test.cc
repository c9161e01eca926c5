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

}  // namespace
}  // namespace broadsheet
