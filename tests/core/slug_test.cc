#include "core/slug.h"

#include <gtest/gtest.h>

namespace broadsheet {
namespace {

TEST(Slugify, LowercasesAndHyphenatesWords) {
  EXPECT_EQ(Slugify("Why Deterrence Still Works"), "why-deterrence-still-works");
  EXPECT_EQ(Slugify("  North Korea's  Missiles: 2024 "), "north-koreas-missiles-2024");
  EXPECT_EQ(Slugify("Europe\u2019s Choice"), "europes-choice");
}

TEST(Slugify, FoldsAccentedLatinLetters) {
  EXPECT_EQ(Slugify("Ça va, Señor Müller"), "ca-va-senor-muller");
  EXPECT_EQ(Slugify("Straße"), "strasse");
}

TEST(Slugify, PunctuationOnlyGivesEmpty) { EXPECT_EQ(Slugify("?!… —"), ""); }

TEST(Slugify, LimitsLength) { EXPECT_LE(Slugify(std::string(500, 'a')).size(), 200u); }

TEST(SlugRules, ValidSlugs) {
  EXPECT_TRUE(IsValidSlug("a"));
  EXPECT_TRUE(IsValidSlug("iran-talks-2024"));
  EXPECT_FALSE(IsValidSlug(""));
  EXPECT_FALSE(IsValidSlug("-a"));
  EXPECT_FALSE(IsValidSlug("a--b"));
  EXPECT_FALSE(IsValidSlug("A"));
  EXPECT_FALSE(IsValidSlug("a/b"));
  EXPECT_FALSE(IsValidSlug("a.b"));
}

TEST(SlugRules, RouteNamesAndYearsAreReserved) {
  for (const char* slug : {"admin", "feed", "search", "newsletter", "section", "author", "tag",
                           "page", "healthz", "metrics", "assets", "uploads", "2024"}) {
    EXPECT_TRUE(IsReservedSlug(slug)) << slug;
    EXPECT_EQ(CheckPostSlug(slug).error().code, ErrorCode::kConflict) << slug;
  }
  EXPECT_FALSE(IsReservedSlug("12345"));
  EXPECT_TRUE(CheckPostSlug("about").has_value());
  EXPECT_EQ(CheckPostSlug("Bad Slug").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace broadsheet
