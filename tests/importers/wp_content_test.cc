#include "importers/wp_content.h"

#include <gtest/gtest.h>

#include <chrono>

#include "markdown/markdown.h"

namespace broadsheet::importers {
namespace {

std::string Convert(std::string_view html) {
  ContentStats stats;
  return ConvertPostContent(html, stats);
}

TEST(AutoParagraphs, BlankLinesMakeParagraphsAndSingleBreaksBr) {
  EXPECT_EQ(Convert("First line\nsecond line.\n\nNext paragraph."),
            "<p>First line<br>\nsecond line.</p>\n<p>Next paragraph.</p>");
  // A <br /> already there is not doubled; Windows line ends count as line ends.
  EXPECT_EQ(Convert("One<br />\r\nTwo"), "<p>One<br />\nTwo</p>");
}

TEST(AutoParagraphs, BlockElementsAreNotWrapped) {
  EXPECT_EQ(Convert("Intro\n<h2>Heading</h2>\nText"),
            "<p>Intro</p>\n<h2>Heading</h2>\n<p>Text</p>");
  EXPECT_EQ(Convert("<ul>\n<li>One</li>\n<li>Two</li>\n</ul>"),
            "<ul><li>One</li>\n<li>Two</li>\n</ul>");
  EXPECT_EQ(Convert("<blockquote>Quoted\n\nTwice</blockquote>"),
            "<blockquote><p>Quoted</p>\n<p>Twice</p>\n</blockquote>");
  // Inline elements stay inside the paragraph.
  EXPECT_EQ(Convert("An <em>emphatic</em> <a href=\"/x\">link</a>."),
            "<p>An <em>emphatic</em> <a href=\"/x\">link</a>.</p>");
}

TEST(AutoParagraphs, PreformattedTextIsLeftAlone) {
  const std::string out = Convert("Code:\n\n<pre>a\n\n  b &lt; c\n</pre>\n\nAfter");
  EXPECT_EQ(out, "<p>Code:</p>\n<pre>a\n&#10;  b &lt; c\n</pre>\n<p>After</p>");
  // No blank lines anywhere: the Markdown renderer passes the body through as one HTML block.
  EXPECT_EQ(out.find("\n\n"), std::string::npos);
  markdown::Options raw;
  raw.unfiltered = true;
  auto html = markdown::ToHtml(out, raw);
  ASSERT_TRUE(html);
  EXPECT_EQ(*html, out + "\n");
  // The HTML filter writes the same text, the blank line as a newline.
  auto filtered = markdown::ToHtml(out);
  ASSERT_TRUE(filtered);
  EXPECT_NE(filtered->find("<pre>a\n\n  b &lt; c\n</pre>"), std::string::npos) << *filtered;
}

TEST(AutoParagraphs, BlockEditorContentKeepsItsOwnParagraphs) {
  const std::string blocks =
      "<!-- wp:paragraph -->\n<p>One\nline</p>\n<!-- /wp:paragraph -->\n\n"
      "<!-- wp:separator /-->\n\n<!-- wp:list -->\n<ul><li>Item</li></ul>\n<!-- /wp:list -->";
  const std::string out = Convert(blocks);
  EXPECT_EQ(out.find("wp:"), std::string::npos);
  EXPECT_EQ(out.find("<br>"), std::string::npos);  // no automatic line breaks in blocks
  EXPECT_EQ(out, "<p>One\nline</p>\n<ul><li>Item</li>\n</ul>");
}

TEST(Shortcodes, CaptionsBecomeFigures) {
  EXPECT_EQ(Convert("[caption id=\"attachment_6\" align=\"alignright\" width=\"300\"]<a "
                    "href=\"/big.jpg\"><img src=\"/small.jpg\" alt=\"A\" /></a> The "
                    "<em>caption</em>[/caption]"),
            "<figure class=\"wp-caption alignright\"><a href=\"/big.jpg\"><img "
            "src=\"/small.jpg\" alt=\"A\" /></a>\n<figcaption>The "
            "<em>caption</em></figcaption>\n</figure>");
  // The older form with the caption as an attribute.
  EXPECT_NE(Convert("[caption caption=\"Old style\"]<img src=\"/a.jpg\" />[/caption]")
                .find("<figcaption>Old style</figcaption>"),
            std::string::npos);
}

TEST(Shortcodes, UnknownOnesAreKeptAndCountedEmbedsBecomeLinks) {
  ContentStats stats;
  const std::string out = ConvertPostContent(
      "[gallery ids=\"1,2\"]\n\n[audio src=\"/a.mp3\"]\n\n[embed]https://example.org/v[/embed]\n\n"
      "https://www.youtube.com/watch?v=abc&amp;t=1\n\nA footnote [1] and [[gallery]] as text.",
      stats);
  EXPECT_EQ(stats.shortcodes["gallery"], 1);
  EXPECT_EQ(stats.shortcodes["audio"], 1);
  EXPECT_EQ(stats.shortcodes.count("1"), 0u);
  EXPECT_EQ(stats.embeds, 2);
  EXPECT_NE(out.find("<p>[gallery ids=\"1,2\"]</p>"), std::string::npos) << out;
  EXPECT_NE(out.find("<a href=\"https://example.org/v\">https://example.org/v</a>"),
            std::string::npos);
  EXPECT_NE(out.find("<a href=\"https://www.youtube.com/watch?v=abc&amp;t=1\">"),
            std::string::npos);
  EXPECT_NE(out.find("A footnote [1] and [gallery] as text."), std::string::npos);
}

TEST(Shortcodes, EmbedBlocksAreCounted) {
  ContentStats stats;
  ConvertPostContent(
      "<!-- wp:embed {\"url\":\"https://youtu.be/x\"} -->\n<figure><div>\nhttps://youtu.be/x\n"
      "</div></figure>\n<!-- /wp:embed -->",
      stats);
  EXPECT_EQ(stats.embeds, 1);
}

TEST(AutoParagraphs, HostileInputStaysLinear) {
  // Unclosed tags, brackets, raw elements and comments by the hundred thousand.
  std::string hostile;
  for (int i = 0; i < 100000; ++i) hostile += "<a [b <pre><!-- [caption x=1]";
  const auto start = std::chrono::steady_clock::now();
  ContentStats stats;
  const std::string out = ConvertPostContent(hostile, stats);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(out.empty());
}

TEST(Comments, HtmlBecomesMarkdown) {
  EXPECT_EQ(CommentToMarkdown("Nice <strong>post</strong>, see <a href=\"https://x.org/a\">this"
                              "</a>.\n\n<em>Really</em> &amp; truly *not* bold."),
            "Nice **post**, see [this](https://x.org/a).\n\n*Really* & truly \\*not\\* bold.");
  // Unsafe links lose their address; markup-looking line starts are escaped.
  EXPECT_EQ(CommentToMarkdown("<a href=\"javascript:alert(1)\">x</a>\n# not a heading\n1. nope"),
            "x\n\\# not a heading\n1\\. nope");
  EXPECT_EQ(CommentToMarkdown("<script>alert(1)</script>Hi"), "Hi");
}

}  // namespace
}  // namespace broadsheet::importers
