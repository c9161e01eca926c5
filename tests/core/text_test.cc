#include "core/text.h"

#include <gtest/gtest.h>

namespace broadsheet {
namespace {

TEST(EscapeHtml, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(EscapeHtml("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
}

TEST(AppendEscapedHtml, AppendsTextWithQuotesAsTheyAre) {
  std::string out = "<p>";
  AppendEscapedHtml(out, "\"Tom\" & <Jerry>'s", false);
  EXPECT_EQ(out, "<p>\"Tom\" &amp; &lt;Jerry&gt;'s");
}

TEST(AppendEscapedHtml, EscapesQuotesInAttributeValues) {
  std::string out = "title=\"";
  AppendEscapedHtml(out, "\"Tom\" & <Jerry>'s", true);
  EXPECT_EQ(out, "title=\"&quot;Tom&quot; &amp; &lt;Jerry&gt;&#39;s");
}

TEST(EscapeJsonForScript, CannotCloseTheScriptElement) {
  const std::string escaped =
      EscapeJsonForScript(R"({"headline":"</script><script>alert(1)</script>"})");
  EXPECT_EQ(escaped.find("</script>"), std::string::npos);
  EXPECT_NE(escaped.find("\\u003c/script\\u003e"), std::string::npos);
}

TEST(IsValidUtf8, AcceptsUtf8AndRejectsBrokenSequences) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("Zürich — 東京 🙂"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(ValidUtf8, KeepsUtf8AndReplacesEachStrayByte) {
  EXPECT_EQ(ValidUtf8("Zürich — 東京 🙂"), "Zürich — 東京 🙂");
  EXPECT_EQ(ValidUtf8("caf\xE9"), "caf\uFFFD");
  EXPECT_EQ(ValidUtf8("\xC0\xAF/"), "\uFFFD\uFFFD/");
  EXPECT_EQ(ValidUtf8("cut \xE6\x9D"), "cut \uFFFD\uFFFD");
  EXPECT_TRUE(IsValidUtf8(ValidUtf8("\xFF\xED\xA0\x80 ok")));
}

TEST(PlainText, LeavesTextWithSingleSpaces) {
  EXPECT_EQ(PlainText("<p>One <em>two</em></p>\n<p>three</p>"), "One two three");
  EXPECT_EQ(PlainText("un<em>believ</em>able<br>next"), "unbelievable next");
}

TEST(PlainText, DecodesCharacterReferences) {
  EXPECT_EQ(PlainText("AT&amp;T &lt;b&gt; &#8220;quoted&#x201D; caf&eacute; &Ouml;l"),
            "AT&T <b> \u201cquoted\u201d caf\u00e9 \u00d6l");
  EXPECT_EQ(PlainText("a&nbsp;b &unknown; & c &#0; &#xZZ;"), "a b &unknown; & c \uFFFD &#xZZ;");
}

TEST(FoldDiacritics, TakesAccentsOffLatinLetters) {
  EXPECT_EQ(
      FoldDiacritics("Caf\u00e9 in Z\u00fcrich, \u0141\u00f3d\u017a, \u0152uvre, Stra\u00dfe"),
      "Cafe in Zurich, Lodz, OEuvre, Strasse");
  EXPECT_EQ(FoldDiacritics("e\u0301 \u00d7 \u041a\u0438\u0457\u0432 \xC3"),
            "e \u00d7 \u041a\u0438\u0457\u0432 \xC3");
}

TEST(PlainText, DropsScriptsStylesAndComments) {
  EXPECT_EQ(PlainText("<p>a</p><script>var x = '</p>';</script><STYLE>p{}</STYLE><!-- note -->b"),
            "a b");
  EXPECT_EQ(PlainText("text <script>never closed"), "text");
  EXPECT_EQ(PlainText("broken <tag"), "broken");
}

TEST(Truncate, CutsAtAWordAndMarksTheCut) {
  EXPECT_EQ(Truncate("short", 10), "short");
  EXPECT_EQ(Truncate("the quick brown fox jumps", 16), "the quick brown\u2026");
}

TEST(SplitTrimmed, DropsEmptyParts) {
  EXPECT_EQ(SplitTrimmed(" a, b ,,c ", ','), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace broadsheet

namespace broadsheet {
namespace {

TEST(Utf8Prefix, NeverCutsACharacterInTwo) {
  EXPECT_EQ(Utf8Prefix("abc", 5), "abc");
  EXPECT_EQ(Utf8Prefix("a\xC3\xA9\xC3\xA9", 4), "a\xC3\xA9");
  EXPECT_EQ(Utf8Prefix("\xE6\x97\xA5\xE6\x97\xA5", 5), "\xE6\x97\xA5");
  EXPECT_EQ(Utf8Prefix("\xE6\x97\xA5", 2), "");
}

TEST(AbsoluteLinks, PrefixesSiteRelativeAddressesOnly) {
  EXPECT_EQ(AbsoluteLinks("<a href=\"/a/\">a</a><img src=\"/u/p.png\"><a href=\"//cdn.example/x\">"
                          "c</a><a href=\"https://other.example/\">o</a>",
                          "https://site.example"),
            "<a href=\"https://site.example/a/\">a</a><img src=\"https://site.example/u/p.png\">"
            "<a href=\"//cdn.example/x\">c</a><a href=\"https://other.example/\">o</a>");
}

// A figure's responsive sources: a mail or feed reader that picks from the srcset (or the
// <source> of a <picture>) must get addresses it can load too.
TEST(AbsoluteLinks, PrefixesEachSiteRelativeAddressOfASrcset) {
  EXPECT_EQ(AbsoluteLinks("<picture><source type=\"image/webp\" srcset=\"/u/a-480.webp 480w, "
                          "/u/a-960.webp 960w\"><img src=\"/u/a.png\" srcset=\"/u/a-480.png 480w,"
                          "//cdn.example/a.png 960w, https://o.example/a.png 2x\"></picture>",
                          "https://site.example"),
            "<picture><source type=\"image/webp\" srcset=\"https://site.example/u/a-480.webp "
            "480w, https://site.example/u/a-960.webp 960w\"><img src=\"https://site.example/u/"
            "a.png\" srcset=\"https://site.example/u/a-480.png 480w,//cdn.example/a.png 960w, "
            "https://o.example/a.png 2x\"></picture>");
  EXPECT_EQ(AbsoluteLinks("<img srcset=\"/u/a.png", "https://site.example"),
            "<img srcset=\"/u/a.png");
}

}  // namespace
}  // namespace broadsheet
