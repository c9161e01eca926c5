#include "markdown/markdown.h"

#include <gtest/gtest.h>

namespace broadsheet::markdown {
namespace {

TEST(Markdown, RendersParagraphsLinksAndQuotes) {
  auto html = ToHtml("A [link](https://example.org) and *emphasis*.\n\n> A quote.");
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("<a href=\"https://example.org\">link</a>"), std::string::npos);
  EXPECT_NE(html->find("<em>emphasis</em>"), std::string::npos);
  EXPECT_NE(html->find("<blockquote>"), std::string::npos);
}

TEST(Markdown, RendersFootnotesAndTables) {
  auto html = ToHtml("Claim.[^1]\n\n[^1]: Source.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("class=\"footnotes\""), std::string::npos);
  EXPECT_NE(html->find("<table>"), std::string::npos);
}

TEST(Markdown, SmartPunctuation) {
  auto html = ToHtml("\"Quoted\" -- it's");
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("\u201cQuoted\u201d"), std::string::npos);
  EXPECT_NE(html->find("\u2019"), std::string::npos);
}

TEST(Markdown, SafeModeDropsRawHtmlAndScriptLinks) {
  Options safe;
  safe.allow_html = false;
  auto html = ToHtml("<script>alert(1)</script>\n\n[x](javascript:alert(1))", safe);
  ASSERT_TRUE(html);
  EXPECT_EQ(html->find("<script>"), std::string::npos);
  EXPECT_EQ(html->find("javascript:"), std::string::npos);
}

TEST(Markdown, StaffMarkdownKeepsRawHtml) {
  auto html = ToHtml("<figure><img src=\"/a.png\" alt=\"A\"></figure>");
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("<figure>"), std::string::npos);
}

TEST(Markdown, RewritesImageAddresses) {
  Options options;
  options.rewrite_url = [](std::string_view url, bool is_image) {
    return is_image ? "/uploads/" + std::string(url) : std::string(url);
  };
  auto html = ToHtml("![Map](images/map.png) [doc](images/doc.pdf)", options);
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("src=\"/uploads/images/map.png\""), std::string::npos);
  EXPECT_NE(html->find("href=\"images/doc.pdf\""), std::string::npos);
}

TEST(Markdown, RefusesInvalidUtf8AndHugeInput) {
  EXPECT_EQ(ToHtml("\xFF\xFE").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ToHtml(std::string(kMaxInputBytes + 1, 'a')).error().code, ErrorCode::kTooLarge);
}

}  // namespace
}  // namespace broadsheet::markdown
