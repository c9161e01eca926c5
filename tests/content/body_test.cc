#include "content/body.h"
#include "content/figure.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "storage/sql_store.h"
#include "test_stores.h"

namespace broadsheet::content {
namespace {

using auth::Role;

constexpr const char* kHostile =
    "<p>Hi<script>alert(1)</script><img src=x onerror=alert(2)></p>"
    "<iframe src=\"https://evil.example/x\"></iframe>";
constexpr const char* kEmbed = "<iframe src=\"https://video.example/embed/1\"></iframe>";

// Users of every role, and posts stored as they are given, on either database.
class BodyTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE(store_);
    editor_ = AddUser("editor@example.org", "editor");
    other_editor_ = AddUser("chief@example.org", "administrator");
    contributor_ = AddUser("contributor@example.org", "contributor");
    author_ = AddUser("author@example.org", "author");
  }
  std::int64_t AddUser(const std::string& email, const std::string& role) {
    User user;
    user.email = email;
    user.name = email;
    user.role = role;
    return *store_->CreateUser(user);
  }
  void AllowUnfiltered(bool on) {
    ASSERT_TRUE(store_->SetDeskSetting(kUnfilteredHtmlSetting, on ? "1" : "0"));
  }
  BodyPolicy Policy() { return BodyPolicy(*store_, markdown::FilterOptions{{"video.example"}}); }
  // A post stored as a database from before the filter would hold it: HTML exactly as given.
  std::int64_t StorePost(const std::string& slug, std::optional<std::int64_t> creator,
                         const std::string& html) {
    Post post;
    post.slug = slug;
    post.title = slug;
    post.body_markdown = html;
    post.body_html = html;
    return *store_->CreatePost(post, creator, "{}");
  }
  Post Stored(std::int64_t id) { return (*store_->FindPostById(id))->post; }
  bool MayStore(std::int64_t user, Role role, const Post& post) {
    auto may = Policy().MayStoreRawHtml(Writer{user, role}, post);
    EXPECT_TRUE(may) << Describe(may.error());
    return may && *may;
  }

  std::unique_ptr<SqlStore> store_;
  std::int64_t editor_ = 0, other_editor_ = 0, contributor_ = 0, author_ = 0;
};

class BodyPolicyTest : public BodyTest {};
class RefilterStoredHtmlTest : public BodyTest {};

TEST_P(BodyPolicyTest, EveryoneIsFilteredWhileTheSettingIsOff) {
  const Post fresh;
  EXPECT_FALSE(MayStore(editor_, Role::kEditor, fresh));
  AllowUnfiltered(false);
  EXPECT_FALSE(MayStore(other_editor_, Role::kAdministrator, fresh));
}

TEST_P(BodyPolicyTest, EditorsKeepRawHtmlInNewAndOwnAndOtherEditorsPosts) {
  AllowUnfiltered(true);
  EXPECT_TRUE(MayStore(editor_, Role::kEditor, Post{}));
  const Post own = Stored(StorePost("own", editor_, "x"));
  EXPECT_TRUE(MayStore(editor_, Role::kEditor, own));
  const Post chiefs = Stored(StorePost("chiefs", other_editor_, "x"));
  EXPECT_TRUE(MayStore(editor_, Role::kEditor, chiefs));
}

TEST_P(BodyPolicyTest, ContributorsAndAuthorsAreAlwaysFiltered) {
  AllowUnfiltered(true);
  EXPECT_FALSE(MayStore(contributor_, Role::kContributor, Post{}));
  const Post authors = Stored(StorePost("authors", author_, "x"));
  EXPECT_FALSE(MayStore(author_, Role::kAuthor, authors));
}

TEST_P(BodyPolicyTest, AnEditorSavingAContributorsPostIsFiltered) {
  AllowUnfiltered(true);
  const Post draft = Stored(StorePost("draft", contributor_, "x"));
  EXPECT_FALSE(MayStore(editor_, Role::kEditor, draft));
}

TEST_P(BodyPolicyTest, PostsOfDisabledOrDemotedOrNoAccountsAreFiltered) {
  AllowUnfiltered(true);
  const Post imported = Stored(StorePost("imported", std::nullopt, "x"));
  EXPECT_FALSE(MayStore(editor_, Role::kEditor, imported));
  const Post chiefs = Stored(StorePost("chiefs", other_editor_, "x"));
  ASSERT_TRUE(store_->SetUserDisabled(other_editor_, true));
  EXPECT_FALSE(MayStore(editor_, Role::kEditor, chiefs));
  auto kept = Policy().KeepsRawHtml(other_editor_);
  ASSERT_TRUE(kept);
  EXPECT_FALSE(*kept);
  const Post own = Stored(StorePost("own", editor_, "x"));
  ASSERT_TRUE(store_->SetUserRole(editor_, "author"));
  kept = Policy().KeepsRawHtml(editor_);
  ASSERT_TRUE(kept);
  EXPECT_FALSE(*kept);
}

TEST_P(BodyPolicyTest, OptionsCarryTheRuleAndTheSitesEmbedHosts) {
  AllowUnfiltered(true);
  auto raw = Policy().ForWriter(Writer{editor_, Role::kEditor}, Post{});
  ASSERT_TRUE(raw);
  EXPECT_TRUE(raw->unfiltered);
  auto filtered = Policy().ForWriter(Writer{author_, Role::kAuthor}, Post{});
  ASSERT_TRUE(filtered);
  EXPECT_FALSE(filtered->unfiltered);
  auto html = markdown::ToHtml(std::string(kEmbed) + "\n\n" + kHostile, *filtered);
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("https://video.example/embed/1"), std::string::npos);
  EXPECT_EQ(html->find("evil.example"), std::string::npos);
  EXPECT_EQ(html->find("<script"), std::string::npos);
  EXPECT_FALSE(Policy().Filtered().unfiltered);
  EXPECT_EQ(Policy().Filtered().filter.embed_hosts, std::vector<std::string>{"video.example"});
}

TEST_P(RefilterStoredHtmlTest, FiltersOldBodiesOnceAndLeavesEditorsRawHtml) {
  AllowUnfiltered(true);
  const auto contributors = StorePost("contributors", contributor_, kHostile);
  const auto imported = StorePost("imported", std::nullopt, std::string(kEmbed) + kHostile);
  const auto editors = StorePost("editors", editor_, kHostile);
  const auto clean = StorePost("clean", author_, "<p>Fine.</p>");
  Author author;
  author.slug = "jane";
  author.name = "Jane";
  author.bio_html = "<p>Jane<script>x()</script></p>";
  ASSERT_TRUE(store_->UpsertAuthor(author));

  const BodyPolicy policy = Policy();
  auto report = RefilterStoredHtml(*store_, policy, 2);  // small batches: several rounds
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_TRUE(report->ran);
  EXPECT_EQ(report->posts, 4);
  EXPECT_EQ(report->posts_changed, 2);
  EXPECT_EQ(report->posts_kept_raw, 1);
  EXPECT_EQ(report->bios_changed, 1);
  for (const auto id : {contributors, imported}) {
    const std::string html = Stored(id).body_html;
    EXPECT_EQ(html.find("<script"), std::string::npos) << html;
    EXPECT_EQ(html.find("onerror"), std::string::npos) << html;
    EXPECT_EQ(html.find("evil.example"), std::string::npos) << html;
  }
  EXPECT_NE(Stored(imported).body_html.find("https://video.example/embed/1"), std::string::npos);
  EXPECT_EQ(Stored(editors).body_html, kHostile);
  EXPECT_EQ(Stored(clean).body_html, "<p>Fine.</p>");
  EXPECT_EQ((*store_->FindAuthor("jane"))->bio_html.find("<script"), std::string::npos);

  // A second start does nothing, even to a body written raw since.
  const auto later = StorePost("later", contributor_, kHostile);
  auto again = RefilterStoredHtml(*store_, policy);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->ran);
  EXPECT_EQ(Stored(later).body_html, kHostile);
}

// A new site's bodies are all filtered on the way in: its first start reads none of them again.
TEST_P(RefilterStoredHtmlTest, ANewSiteIsMarkedAsFilteredAlready) {
  ASSERT_TRUE(MarkStoredHtmlFiltered(*store_));
  const auto id = StorePost("written-raw", contributor_, kHostile);
  auto report = RefilterStoredHtml(*store_, Policy());
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_FALSE(report->ran);
  EXPECT_EQ(report->posts, 0);
  EXPECT_EQ(Stored(id).body_html, kHostile);
}

TEST_P(RefilterStoredHtmlTest, FilteringItsOwnOutputChangesNothing) {
  const auto id = StorePost("once", author_, std::string(kEmbed) + kHostile);
  ASSERT_TRUE(RefilterStoredHtml(*store_, Policy()));
  const std::string once = Stored(id).body_html;
  auto twice = Policy().Filter(once);
  ASSERT_TRUE(twice);
  EXPECT_EQ(*twice, once);
}

TEST_P(RefilterStoredHtmlTest, ABodyTheFilterRefusesKeepsOnlyItsText) {
  std::string deep;
  for (int i = 0; i < 2 * markdown::kMaxParseDepth; ++i) deep += "<div>";
  deep += "words<script>x()</script>";
  const auto id = StorePost("deep", author_, deep);
  auto report = RefilterStoredHtml(*store_, Policy());
  ASSERT_TRUE(report) << Describe(report.error());
  const std::string html = Stored(id).body_html;
  EXPECT_EQ(html.find("<div"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("words"), std::string::npos);
}

// docs/content-format.md's figures: a media library image alone in its paragraph.
TEST_P(BodyPolicyTest, MediaLibraryImagesAloneInTheirParagraphsBecomeFigures) {
  MediaItem item;
  item.url = "/uploads/media/2026/12/ab12-port.jpg";
  item.width = 2000;
  item.height = 1000;
  item.mime = "image/jpeg";
  item.variants =
      R"([{"url":"/uploads/media/2026/12/ab12-port-480.jpg","width":480,"height":240,"mime":"image/jpeg"},)"
      R"({"url":"/uploads/media/2026/12/ab12-port-480.webp","width":480,"height":240,"mime":"image/webp"}])";
  item.alt = "Library alt";
  item.credit = "Library credit";
  ASSERT_TRUE(store_->CreateMedia(item));
  for (bool unfiltered : {false, true}) {
    AllowUnfiltered(unfiltered);
    auto options = Policy().ForWriter(Writer{editor_, Role::kEditor}, Post{});
    ASSERT_TRUE(options);
    auto html = markdown::ToHtml(
        "![Cranes & \"ships\"](/uploads/media/2026/12/ab12-port.jpg#wide \"Lagos <b>port</b> | "
        "Photo: AP\")\n\nText ![inline](/uploads/media/2026/12/ab12-port.jpg) here.\n\n"
        "![Elsewhere](/uploads/other.jpg \"Not ours\")\n\n"
        "![Bare](/uploads/media/2026/12/ab12-port.jpg)\n",
        *options);
    ASSERT_TRUE(html) << Describe(html.error());
    EXPECT_NE(
        html->find("<figure class=\"alignwide\"><picture><source type=\"image/webp\" "
                   "srcset=\"/uploads/media/2026/12/ab12-port-480.webp 480w\" sizes=\"(max-width: "
                   "44rem) 100vw, 42rem\"><img src=\"/uploads/media/2026/12/ab12-port.jpg\" "
                   "srcset=\"/uploads/media/2026/12/ab12-port-480.jpg 480w, "
                   "/uploads/media/2026/12/ab12-port.jpg 2000w\" sizes=\"(max-width: 44rem) 100vw, "
                   "42rem\" width=\"2000\" height=\"1000\" alt=\"Cranes &amp; “ships”\" "
                   "loading=\"lazy\"></picture><figcaption><span class=\"caption\">Lagos "
                   "&lt;b&gt;port&lt;/b&gt;</span> <span class=\"credit\">Photo: "
                   "AP</span></figcaption></figure>"),
        std::string::npos)
        << *html;
    // Not alone in its paragraph, or not from the library: the plain image, as before.
    EXPECT_NE(
        html->find("<p>Text <img src=\"/uploads/media/2026/12/ab12-port.jpg\" alt=\"inline\""),
        std::string::npos)
        << *html;
    EXPECT_NE(html->find("<p><img src=\"/uploads/other.jpg\" alt=\"Elsewhere\" title=\"Not ours\""),
              std::string::npos)
        << *html;
    // No title: a figure without a caption (the library's words are not added behind the text).
    EXPECT_NE(html->find("alt=\"Bare\" loading=\"lazy\"></picture></figure>"), std::string::npos)
        << *html;
    EXPECT_EQ(html->find("Library"), std::string::npos);
  }
}

TEST(Figure, MarkdownForALibraryImageReadsBackAsItsParts) {
  MediaItem item;
  item.url = "/uploads/media/2026/12/x.jpg";
  item.alt = "A [bracketed] \\ alt";
  item.caption = "A \"quoted\"\ncaption";
  item.credit = "AP";
  EXPECT_EQ(FigureMarkdown(item),
            "![A \\[bracketed\\] \\\\ alt](/uploads/media/2026/12/x.jpg \"A \\\"quoted\\\" caption "
            "| AP\")");
  item.caption.clear();
  item.credit.clear();
  EXPECT_EQ(FigureMarkdown(item), "![A \\[bracketed\\] \\\\ alt](/uploads/media/2026/12/x.jpg)");
  const FigureParts parts = ParseFigure("/uploads/a.jpg#left", "Caption | with | AP ");
  EXPECT_EQ(parts.url, "/uploads/a.jpg");
  EXPECT_EQ(parts.align, "left");
  EXPECT_EQ(parts.caption, "Caption | with");
  EXPECT_EQ(parts.credit, "AP");
  EXPECT_EQ(ParseFigure("/uploads/a.jpg#top", "").align, "");
}

// The table the editor's figureParts and figureTitle are held to too
// (tests/editor/markdown.test.mjs): captions and credits with " | ", quotes and backslashes.
TEST(Figure, TitlesReadAndWriteAsTheSharedTableSays) {
  std::ifstream file(BROADSHEET_SOURCE_DIR "/tests/vectors/figure-titles.json");
  ASSERT_TRUE(file);
  const auto vectors = nlohmann::json::parse(file);
  ASSERT_FALSE(vectors.at("titles").empty());
  for (const auto& vector : vectors.at("titles")) {
    const auto title = vector.at("title").get<std::string>();
    const auto caption = vector.at("caption").get<std::string>();
    const auto credit = vector.at("credit").get<std::string>();
    const FigureParts parts = ParseFigure("/uploads/media/x.jpg", title);
    EXPECT_EQ(parts.caption, caption) << title;
    EXPECT_EQ(parts.credit, credit) << title;
    if (vector.at("written").get<bool>()) {
      EXPECT_EQ(FigureTitle(caption, credit), title);
    }
    const FigureParts again = ParseFigure("/uploads/media/x.jpg", FigureTitle(caption, credit));
    EXPECT_EQ(again.caption, caption) << title;
    EXPECT_EQ(again.credit, credit) << title;
  }
  for (const auto& vector : vectors.at("markdown")) {
    MediaItem item;
    item.url = vector.at("url").get<std::string>();
    item.alt = vector.at("alt").get<std::string>();
    item.caption = vector.at("caption").get<std::string>();
    item.credit = vector.at("credit").get<std::string>();
    const std::string markdown = FigureMarkdown(item);
    EXPECT_EQ(markdown, vector.at("markdown").get<std::string>());
    // Read back through cmark-gfm, as a body is.
    std::optional<markdown::LoneImage> seen;
    markdown::Options options;
    options.figure = [&](const markdown::LoneImage& image) -> std::optional<std::string> {
      seen = image;
      return std::nullopt;
    };
    ASSERT_TRUE(markdown::ToHtml(markdown, options));
    ASSERT_TRUE(seen) << markdown;
    const FigureParts parts = ParseFigure(seen->url, seen->title);
    EXPECT_EQ(parts.caption, item.caption) << markdown;
    EXPECT_EQ(parts.credit, item.credit) << markdown;
  }
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, BodyPolicyTest, test::kBothDatabases, test::DatabaseName);
INSTANTIATE_TEST_SUITE_P(BothDatabases, RefilterStoredHtmlTest, test::kBothDatabases,
                         test::DatabaseName);

}  // namespace
}  // namespace broadsheet::content
