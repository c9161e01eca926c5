#include "markdown/markdown.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace broadsheet::markdown {
namespace {

TEST(Markdown, RendersParagraphsLinksAndQuotes) {
  auto html = ToHtml("A [link](https://example.org) and *emphasis*.\n\n> A quote.");
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("<a href=\"https://example.org\">link</a>"), std::string::npos);
  EXPECT_NE(html->find("<em>emphasis</em>"), std::string::npos);
  EXPECT_NE(html->find("<blockquote>"), std::string::npos);
}

// The figure hook (content/figure.h uses it): only an image alone in its paragraph is offered,
// with its address, plain alt text and title; what it returns is filtered like any staff HTML.
TEST(Markdown, LoneImagesAreOfferedAsFiguresAndTheResultIsFiltered) {
  std::vector<LoneImage> offered;
  Options options;
  options.figure = [&offered](const LoneImage& image) -> std::optional<std::string> {
    offered.push_back(image);
    if (image.url == "/keep.png") return std::nullopt;
    return "<figure class=\"alignwide\" onclick=\"x()\"><img src=\"" + image.url +
           "\" alt=\"a\"><script>bad()</script></figure>";
  };
  auto html = ToHtml(
      "![A *big* \\[1\\] `x`](/a.png#wide \"Cap | Credit\")\n\nText ![inline](/b.png).\n\n"
      "> ![quoted](/c.png)\n\n![kept](/keep.png)\n",
      options);
  ASSERT_TRUE(html);
  ASSERT_EQ(offered.size(), 3u);
  EXPECT_EQ(offered[0].url, "/a.png#wide");
  EXPECT_EQ(offered[0].alt, "A big [1] x");
  EXPECT_EQ(offered[0].title, "Cap | Credit");
  EXPECT_EQ(offered[1].url, "/c.png");
  EXPECT_NE(html->find("<figure class=\"alignwide\"><img src=\"/a.png#wide\" alt=\"a\"></figure>"),
            std::string::npos)
      << *html;
  EXPECT_NE(html->find("<blockquote>\n<figure class=\"alignwide\"><img src=\"/c.png\""),
            std::string::npos)
      << *html;
  EXPECT_NE(html->find("<p>Text <img src=\"/b.png\" alt=\"inline\">.</p>"), std::string::npos)
      << *html;
  EXPECT_NE(html->find("<p><img src=\"/keep.png\" alt=\"kept\"></p>"), std::string::npos) << *html;
  EXPECT_EQ(html->find("script"), std::string::npos);
  EXPECT_EQ(html->find("onclick"), std::string::npos);
  // Reader Markdown (no raw HTML) is never offered.
  options.allow_html = false;
  offered.clear();
  ASSERT_TRUE(ToHtml("![x](/a.png)\n", options));
  EXPECT_TRUE(offered.empty());
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
