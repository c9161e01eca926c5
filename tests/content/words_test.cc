#include "content/words.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace broadsheet::content {
namespace {

// The table the editor's count follows too (tests/editor/words.test.mjs): Unicode spaces,
// dashes, hyphens, apostrophes, numbers, and scripts without spaces between words.
TEST(Words, CountedAsTheSharedTableSays) {
  std::ifstream file(BROADSHEET_SOURCE_DIR "/tests/vectors/word-counts.json");
  ASSERT_TRUE(file);
  const auto texts = nlohmann::json::parse(file).at("texts");
  ASSERT_GT(texts.size(), 10u);
  for (const auto& text : texts) {
    EXPECT_EQ(CountWords(text.at("text").get<std::string>()), text.at("words").get<int>())
        << text.at("why").get<std::string>();
  }
}

TEST(Words, InvalidUtf8IsNoWord) { EXPECT_EQ(CountWords("\xff\xfe word \xc3"), 1); }

}  // namespace
}  // namespace broadsheet::content
