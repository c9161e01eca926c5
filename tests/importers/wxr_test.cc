#include "importers/wxr.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "importers/fixtures.h"
#include "importers/wordpress.h"
#include "test_util.h"

namespace broadsheet::importers {
namespace {

TEST(WordPressFixtures, ThemeUnitTestDataIsReadWhole) {
  REQUIRE_FIXTURES();
  auto summary = SummarizeWordPress((Fixtures() / "themeunittestdata.wordpress.xml").string());
  ASSERT_TRUE(summary) << Describe(summary.error());
  EXPECT_EQ(summary->authors, 2);
  EXPECT_EQ(summary->categories, 68);
  EXPECT_EQ(summary->tags, 110);
  EXPECT_EQ(summary->items["post"], 58);
  EXPECT_EQ(summary->items["page"], 21);
  EXPECT_EQ(summary->items["attachment"], 37);
  EXPECT_EQ(summary->items["nav_menu_item"], 70);
  EXPECT_EQ(summary->comments, 33);
  EXPECT_EQ(summary->replies, 10);
  EXPECT_EQ(summary->statuses["draft"], 1);
  EXPECT_EQ(summary->statuses["future"], 1);
}

TEST(WordPressFixtures, BlockTestDataIsReadWhole) {
  REQUIRE_FIXTURES();
  auto summary = SummarizeWordPress((Fixtures() / "64-block-test-data.xml").string());
  ASSERT_TRUE(summary) << Describe(summary.error());
  EXPECT_EQ(summary->authors, 2);
  EXPECT_EQ(summary->categories, 7);
  EXPECT_EQ(summary->tags, 4);
  EXPECT_EQ(summary->items["post"], 61);
  EXPECT_EQ(summary->items["page"], 1);
  EXPECT_EQ(summary->items["attachment"], 9);
  EXPECT_EQ(summary->comments, 2);
  EXPECT_EQ(summary->replies, 1);
}

TEST(WordPressFixtures, ItemsCarryTheirFields) {
  REQUIRE_FIXTURES();
  bool found = false;
  WxrHandler handler;
  handler.item = [&](WxrItem item) -> Result<void> {
    if (item.comments.empty() || item.type != "post") return {};
    found = true;
    EXPECT_FALSE(item.title.empty());
    EXPECT_FALSE(item.post_date_gmt.empty());
    EXPECT_FALSE(item.slug.empty());
    EXPECT_FALSE(item.comments.front().approved.empty());
    return {};
  };
  ASSERT_TRUE(ReadWxr((Fixtures() / "themeunittestdata.wordpress.xml").string(), handler));
  EXPECT_TRUE(found);
}

TEST(WordPressFixtures, MalformedFilesAreReportedWithTheirLine) {
  REQUIRE_FIXTURES();
  auto malformed = SummarizeWordPress((Fixtures() / "importer" / "malformed.xml").string());
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(malformed.error().message.find("line "), std::string::npos);
  // A namespace name that is not a strict URI does not stop the reading.
  EXPECT_TRUE(SummarizeWordPress((Fixtures() / "importer" / "namespace-edge-cases.xml").string()));
}

class BadFiles : public ::testing::Test {
 protected:
  Result<WordPressSummary> Read(const std::string& text) {
    dir_.Write("export.xml", text);
    return SummarizeWordPress((dir_.path() / "export.xml").string());
  }
  testing::TempDir dir_;
};

constexpr const char* kHead =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
    "xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel>\n";

TEST_F(BadFiles, EachGetsAClearErrorWithItsLine) {
  const std::string laughs =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY a \"aaaaaaaaaa\">\n"
      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n<!ENTITY c "
      "\"&b;&b;&b;&b;&b;&b;&b;&b;\">\n]>\n"
      "<rss><channel><item><title>&c;</title></item></channel></rss>\n";
  auto refused = Read(laughs);
  ASSERT_FALSE(refused);  // refused as a DOCTYPE, or by libxml2's guard against entity loops
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("line "), std::string::npos);

  auto truncated = Read(std::string(kHead) + "<item><title>Half");
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("line 3"), std::string::npos)
      << truncated.error().message;

  auto latin1 = Read(std::string(kHead) + "<item><title>Caf\xE9</title></item></channel></rss>");
  ASSERT_FALSE(latin1);
  EXPECT_NE(latin1.error().message.find("line 3"), std::string::npos) << latin1.error().message;

  auto other = Read("<?xml version=\"1.0\"?>\n<html><body/></html>");
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("not a WordPress export"), std::string::npos);

  EXPECT_FALSE(Read(""));
  EXPECT_FALSE(SummarizeWordPress((dir_.path() / "missing.xml").string()));
}

TEST_F(BadFiles, AWellFormedFileOfEmptyElementsIsRead) {
  auto summary = Read(std::string(kHead) +
                      "<wp:author/><item><wp:post_type>post</wp:post_type><wp:postmeta/>"
                      "<category domain=\"post_tag\" nicename=\"x\"/></item>"
                      "</channel></rss>");
  ASSERT_TRUE(summary) << Describe(summary.error());
  EXPECT_EQ(summary->authors, 1);
  EXPECT_EQ(summary->items["post"], 1);
}

}  // namespace
}  // namespace broadsheet::importers
