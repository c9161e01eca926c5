#include "markdown/html_filter.h"

#include "markdown/embeds.h"

#include <gtest/gtest.h>
#include <gumbo.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "markdown/markdown.h"

namespace broadsheet::markdown {
namespace {

// The site's embed hosts, and every embed provider on (markdown/embeds.h), as by default.
const FilterOptions kEmbeds{{"www.youtube-nocookie.com", "player.vimeo.com"}, EmbedProviders()};

std::string Filter(std::string_view html, const FilterOptions& options = {},
                   FilterReport* report = nullptr) {
  auto filtered = FilterHtml(html, options, report);
  EXPECT_TRUE(filtered) << html.substr(0, 200);
  return filtered ? *filtered : "<error>";
}

struct Sample {
  std::string name;
  std::vector<std::string> must_not = {}, must = {};
  std::string body = {};
};

std::vector<Sample> HostileCorpus() {
  std::vector<Sample> samples;
  const std::filesystem::path dir =
      std::filesystem::path(BROADSHEET_SOURCE_DIR) / "tests/markdown/hostile";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream file(entry.path());
    Sample sample{entry.path().filename().string()};
    std::string line;
    while (std::getline(file, line) && line != "---") {
      if (line.starts_with("must-not: ")) sample.must_not.push_back(line.substr(10));
      if (line.starts_with("must: ")) sample.must.push_back(line.substr(6));
    }
    std::stringstream rest;
    rest << file.rdbuf();
    sample.body = rest.str();
    samples.push_back(std::move(sample));
  }
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.name < b.name; });
  return samples;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// What a browser would build from `html`, checked node by node: only allowlisted elements,
// no script-bearing attributes, every address safe, iframes only from the embed list and
// sandboxed. Returns the problems found.
std::vector<std::string> TreeProblems(const std::string& html) {
  static const std::set<std::string> elements = {
      "a",       "abbr",  "audio",  "b",     "bdi",      "bdo",        "blockquote", "br",
      "caption", "cite",  "code",   "col",   "colgroup", "dd",         "del",        "details",
      "dfn",     "div",   "dl",     "dt",    "em",       "figcaption", "figure",     "h1",
      "h2",      "h3",    "h4",     "h5",    "h6",       "hr",         "i",          "iframe",
      "img",     "input", "ins",    "kbd",   "li",       "mark",       "ol",         "p",
      "picture", "pre",   "q",      "rp",    "rt",       "ruby",       "s",          "samp",
      "section", "small", "source", "span",  "strong",   "sub",        "summary",    "sup",
      "table",   "tbody", "td",     "tfoot", "th",       "thead",      "time",       "tr",
      "u",       "ul",    "var",    "video", "wbr"};
  std::vector<std::string> problems;
  GumboOptions options = kGumboDefaultOptions;
  options.fragment_context = GUMBO_TAG_DIV;
  GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
  std::vector<const GumboNode*> stack = {output->root};
  bool root = true;
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_COMMENT) problems.push_back("a comment");
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) continue;
    const GumboElement& element = node->v.element;
    std::string name = gumbo_normalized_tagname(element.tag);
    if (element.tag == GUMBO_TAG_UNKNOWN) {
      GumboStringPiece original = element.original_tag;
      gumbo_tag_from_original_text(&original);
      name = Lower(std::string(original.data, original.length));
    }
    if (!root && (element.tag_namespace != GUMBO_NAMESPACE_HTML || !elements.contains(name)))
      problems.push_back("element <" + name + ">");
    for (unsigned i = 0; i < element.attributes.length; ++i) {
      const auto* attribute = static_cast<const GumboAttribute*>(element.attributes.data[i]);
      const std::string attr = Lower(attribute->name);
      if (attr.starts_with("on") || attr == "style" || attr == "formaction" || attr == "srcdoc" ||
          attr == "form" || attr == "name" || attr == "action")
        problems.push_back(name + " " + attr);
      if ((attr == "href" || attr == "src" || attr == "cite" || attr == "poster") &&
          !IsAllowedUrl(attribute->value))
        problems.push_back(name + " " + attr + "=" + attribute->value);
      if (attr == "srcset" && Lower(attribute->value).find("script:") != std::string::npos)
        problems.push_back("srcset " + std::string(attribute->value));
    }
    if (name == "iframe") {
      const GumboAttribute* sandbox = gumbo_get_attribute(&element.attributes, "sandbox");
      if (sandbox == nullptr) problems.push_back("iframe without sandbox");
      const GumboAttribute* src = gumbo_get_attribute(&element.attributes, "src");
      if (src == nullptr ||
          !(std::string_view(src->value).starts_with("https://www.youtube-nocookie.com/") ||
            std::string_view(src->value).starts_with("https://player.vimeo.com/")))
        problems.push_back("iframe from elsewhere");
    }
    if (name == "input") {
      const GumboAttribute* type = gumbo_get_attribute(&element.attributes, "type");
      if (type == nullptr || std::string_view(type->value) != "checkbox" ||
          gumbo_get_attribute(&element.attributes, "disabled") == nullptr)
        problems.push_back("an input other than a disabled checkbox");
    }
    root = false;
    for (unsigned i = 0; i < element.children.length; ++i)
      stack.push_back(static_cast<const GumboNode*>(element.children.data[i]));
  }
  gumbo_destroy_output(&options, output);
  return problems;
}

void ExpectSafe(const Sample& sample, const std::string& output, const char* path) {
  SCOPED_TRACE(std::string(path) + " " + sample.name + ":\n" + output);
  const std::string lower = Lower(output);
  for (const auto& text : sample.must_not)
    EXPECT_EQ(lower.find(Lower(text)), std::string::npos) << "must not contain " << text;
  for (const auto& text : sample.must)
    EXPECT_NE(output.find(text), std::string::npos) << "must contain " << text;
  EXPECT_EQ(TreeProblems(output), std::vector<std::string>());
  // What the filter writes parses back to itself: a second pass changes nothing.
  EXPECT_EQ(Filter(output, kEmbeds), output);
}

TEST(HtmlFilter, HostileCorpusIsDisarmedAsMarkdownAndAsHtml) {
  const auto corpus = HostileCorpus();
  ASSERT_GE(corpus.size(), 15u);
  for (const auto& sample : corpus) {
    Options options;
    options.filter = kEmbeds;
    FilterReport report;
    options.removed = &report;
    auto markdown = ToHtml(sample.body, options);
    ASSERT_TRUE(markdown) << sample.name;
    ExpectSafe(sample, *markdown, "markdown");
    if (!sample.name.ends_with(".md.txt")) ExpectSafe(sample, Filter(sample.body, kEmbeds), "html");
    if (!sample.must_not.empty()) {
      EXPECT_GT(report.Total(), 0) << sample.name << " removed nothing";
    }
  }
}

TEST(HtmlFilter, MarkdownScriptLinksLoseTheirAddress) {
  for (const char* body :
       {"[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](&#106;avascript:alert(1))",
        "[x](vbscript:msgbox(1))", "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](javascript:alert(1))"}) {
    FilterReport report;
    Options options;
    options.removed = &report;
    auto html = ToHtml(body, options);
    ASSERT_TRUE(html);
    EXPECT_EQ(html->find("href"), std::string::npos) << body << " -> " << *html;
    EXPECT_EQ(html->find("src="), std::string::npos) << body << " -> " << *html;
    EXPECT_EQ(report.addresses, 1) << body;
  }
}

TEST(HtmlFilter, UrlSchemesAfterWhatBrowsersIgnore) {
  for (const char* bad :
       {"javascript:x", "JAVASCRIPT:x", " \x01javascript:x", "java\tscript:x", "java\nscript:x",
        "java\rscript:x", "vbscript:x", "data:text/html,x", "Data:image/png;base64,x",
        "jav\tascript:x\n", "file:///etc/passwd", "javascript\\:x"}) {
    EXPECT_FALSE(IsAllowedUrl(bad)) << bad;
  }
  for (const char* good :
       {"https://example.org/a", "HTTP://example.org", "mailto:a@example.org", "/uploads/a.png",
        "#fn-1", "?page=2", "relative/path:with-colon", "//example.org/x", ""}) {
    EXPECT_TRUE(IsAllowedUrl(good)) << good;
  }
}

TEST(HtmlFilter, RefusedEmbedsAndWhatTheyBecome) {
  FilterReport report;
  const std::string html = Filter(
      "<iframe src=\"https://www.youtube-nocookie.com/embed/abc\" width=\"560\" height=\"315\" "
      "title=\"Video\" frameborder=\"0\" allowfullscreen onload=\"x()\"></iframe>"
      "<iframe src=\"https://evil.example/\"></iframe>",
      kEmbeds, &report);
  EXPECT_EQ(html,
            "<iframe src=\"https://www.youtube-nocookie.com/embed/abc\" width=\"560\" "
            "height=\"315\" title=\"Video\" allowfullscreen sandbox=\"allow-scripts "
            "allow-same-origin allow-popups allow-presentation\" loading=\"lazy\" "
            "referrerpolicy=\"strict-origin-when-cross-origin\"></iframe>");
  EXPECT_EQ(report.elements, 1);
  // Without a list, no iframe survives.
  EXPECT_EQ(Filter("<iframe src=\"https://www.youtube-nocookie.com/embed/abc\"></iframe>"), "");
}

TEST(HtmlFilter, ArticleMarkupSurvives) {
  const std::string body =
      "## A heading\n\nA paragraph with *emphasis*, **strength**, `code` and a "
      "[link](https://example.org/a \"Title\").[^1]\n\n"
      "> A quote.\n\n"
      "1. one\n2. two\n\n- [x] done\n- [ ] to do\n\n"
      "| a | b |\n|:-:|--:|\n| 1 | 2 |\n\n"
      "```python\nprint(1)\n```\n\n"
      "<figure class=\"aligncenter\"><img src=\"/uploads/a.jpg\" alt=\"A harbour\" "
      "srcset=\"/uploads/a-640.jpg 640w, /uploads/a-1280.jpg 1280w\" sizes=\"100vw\" width=\"640\" "
      "height=\"480\"><figcaption>A <em>caption</em>.</figcaption></figure>\n\n"
      "<details><summary>More</summary>\n\nHidden text.\n\n</details>\n\n"
      "<iframe src=\"https://player.vimeo.com/video/1\" width=\"640\" height=\"360\"></iframe>\n\n"
      "<p><a href=\"mailto:desk@example.org\">Write</a> <abbr title=\"North Atlantic Treaty "
      "Organization\">NATO</abbr> <sup>2</sup> <sub>x</sub> <time datetime=\"2026-12-01\">today"
      "</time></p>\n\n"
      "<blockquote cite=\"https://example.org/source\"><p>Cited.</p></blockquote>\n\n"
      "[^1]: The source.\n";
  Options options;
  options.filter = kEmbeds;
  FilterReport report;
  options.removed = &report;
  auto html = ToHtml(body, options);
  ASSERT_TRUE(html);
  Options unfiltered = options;
  unfiltered.unfiltered = true;
  // The filter leaves what cmark-gfm and a careful writer produce exactly as it was, except
  // for the iframe's fixed sandboxing and the task boxes' normalised attributes.
  EXPECT_EQ(report.Total(), 0) << *html;
  for (const char* kept : {"<h2>A heading</h2>",
                           "<em>emphasis</em>",
                           "<strong>strength</strong>",
                           "<code>code</code>",
                           "<a href=\"https://example.org/a\" title=\"Title\">link</a>",
                           "<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\" "
                           "data-footnote-ref>1</a></sup>",
                           "<blockquote>",
                           "<ol>",
                           "<li>one</li>",
                           "<input type=\"checkbox\" checked disabled>",
                           "<th align=\"center\">a</th>",
                           "<td align=\"right\">2</td>",
                           "<pre><code class=\"language-python\">print(1)",
                           "<figure class=\"aligncenter\">",
                           "srcset=\"/uploads/a-640.jpg 640w, /uploads/a-1280.jpg 1280w\"",
                           "alt=\"A harbour\"",
                           "<figcaption>A <em>caption</em>.</figcaption>",
                           "<details><summary>More</summary>",
                           "<iframe src=\"https://player.vimeo.com/video/1\"",
                           "<section class=\"footnotes\" data-footnotes>",
                           "<li id=\"fn-1\">",
                           "class=\"footnote-backref\" data-footnote-backref",
                           "<a href=\"mailto:desk@example.org\">Write</a>",
                           "<abbr title=\"North Atlantic Treaty",
                           "<time datetime=\"2026-12-01\">",
                           "<blockquote cite=\"https://example.org/source\">"}) {
    EXPECT_NE(html->find(kept), std::string::npos) << kept << "\n" << *html;
  }
}

TEST(HtmlFilter, ClassesAndIdsAreLimited) {
  FilterReport report;
  EXPECT_EQ(Filter("<p class=\"alignleft has-red-color\" id=\"main\">x</p>"
                   "<code class=\"language-c++\">y</code><p id=\"fn-note\">z</p>",
                   {}, &report),
            "<p class=\"alignleft\">x</p><code class=\"language-c++\">y</code>"
            "<p id=\"fn-note\">z</p>");
  EXPECT_EQ(report.attributes, 2);
}

TEST(HtmlFilter, UnknownContainersAreUnwrappedAndCodeKeepsItsText) {
  FilterReport report;
  EXPECT_EQ(Filter("<center><font color=red>Big</font></center><pre>\n\nindented &lt;tag&gt;"
                   "</pre><custom-tag>c</custom-tag>",
                   {}, &report),
            "Big<pre>\n\nindented &lt;tag&gt;</pre>c");
  EXPECT_EQ(report.unwrapped, 3);
  EXPECT_EQ(report.attributes, 0);
}

TEST(HtmlFilter, CountsWhatItRemovedByKind) {
  FilterReport report;
  Filter(
      "<script>x</script><style>y</style><font>f</font><p style=\"a\" onclick=\"b\">p</p>"
      "<a href=\"javascript:c\">a</a>",
      {}, &report);
  EXPECT_EQ(report.elements, 2);
  EXPECT_EQ(report.unwrapped, 1);
  EXPECT_EQ(report.attributes, 2);
  EXPECT_EQ(report.addresses, 1);
  EXPECT_EQ(report.Total(), 6);
  FilterReport sum;
  sum += report;
  sum += report;
  EXPECT_EQ(sum.Total(), 12);
}

TEST(HtmlFilter, DeepNestingAndHugeAttributeListsStayLinear) {
  const auto start = std::chrono::steady_clock::now();
  std::string deep;
  for (int i = 0; i < kMaxParseDepth - 10; ++i) deep += "<div>";
  deep += "bottom";
  std::string html = Filter(deep);
  EXPECT_NE(html.find("bottom"), std::string::npos);
  EXPECT_LE(std::count(html.begin(), html.end(), '<'), 2 * kMaxDepth);

  for (int i = 0; i < 100000; ++i) deep += "<div>";
  EXPECT_EQ(FilterHtml(deep).error().code, ErrorCode::kInvalidArgument);
  std::string mixed;
  for (int i = 0; i < 50000; ++i) mixed += "<b><i><a href=/x><p><table><td><ul><li>";
  EXPECT_EQ(FilterHtml(mixed).error().code, ErrorCode::kInvalidArgument);
  Options options;
  EXPECT_EQ(ToHtml(mixed, options).error().code, ErrorCode::kInvalidArgument);

  // Near the limit, then as many tags as 4 MiB holds: work stays proportional to the input.
  std::string wide(kMaxParseDepth - 10, 'x');
  wide.clear();
  for (int i = 0; i < kMaxParseDepth - 10; ++i) wide += "<span>";
  while (wide.size() < 3 * 1024 * 1024) wide += "<b>x</b><i>y</i></a><em>z</em><p>p";
  Filter(wide);

  std::string attributes = "<p";
  for (int i = 0; i < kMaxAttributes; ++i) attributes += " data-a" + std::to_string(i) + "=\"x\"";
  attributes += ">text</p>";
  FilterReport report;
  EXPECT_EQ(Filter(attributes, {}, &report), "<p>text</p>");
  EXPECT_EQ(report.attributes, kMaxAttributes);
  attributes.insert(2, " one-more");
  EXPECT_EQ(FilterHtml(attributes).error().code, ErrorCode::kInvalidArgument);

  std::string unclosed(500000, '<');
  Filter(unclosed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(HtmlFilter, NoSpellingHidesDepthFromThePreCheck) {
  // Comments that end early in HTML ("<!-->", "--!>"), <svg>/<math> whose <title> and <style>
  // are elements, <plaintext>, "<div/>" (not self-closing in HTML) and end tags with no open
  // element: each once let deep input reach the parser unrefused.
  std::string divs;
  for (int i = 0; i < 2 * kMaxParseDepth; ++i) divs += "<div>";
  for (std::string prefix : {"<!-->", "<!--->", "<!-- x --!>", "<svg><title>", "<math><style>",
                             "<svg><plaintext>", "<textarea>", "<script>"}) {
    EXPECT_EQ(FilterHtml(prefix + divs).error().code, ErrorCode::kInvalidArgument) << prefix;
  }
  std::string slashed, unmatched;
  for (int i = 0; i < 2 * kMaxParseDepth; ++i) {
    slashed += "<div/>";
    unmatched += "<div></span>";
  }
  EXPECT_EQ(FilterHtml(slashed).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(FilterHtml(unmatched).error().code, ErrorCode::kInvalidArgument);
  // Closed elements do not add up, however many there are.
  std::string siblings;
  for (int i = 0; i < 10 * kMaxParseDepth; ++i) siblings += "<div><em>x</em></div>";
  EXPECT_TRUE(FilterHtml(siblings));
}

TEST(HtmlFilter, UnfilteredOptionKeepsRawHtml) {
  Options options;
  options.unfiltered = true;
  auto html = ToHtml("<p style=\"color:red\">x</p>", options);
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("style="), std::string::npos);
}

}  // namespace
}  // namespace broadsheet::markdown
