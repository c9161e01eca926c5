#include "importers/ghost.h"

#include <gtest/gtest.h>

#include "storage/sql_store.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet::importers {
namespace {

TEST(GhostFormats, LexicalBecomesHtml) {
  GhostReport report;
  const std::string html = LexicalToHtml(
      R"json({"root":{"type":"root","children":[
        {"type":"paragraph","children":[{"type":"text","text":"Plain "},
          {"type":"text","text":"bold & italic","format":3},
          {"type":"link","url":"https://example.org/?a=1&b=2","children":[{"type":"text","text":"link"}]}]},
        {"type":"extended-heading","tag":"h3","children":[{"type":"text","text":"Heading"}]},
        {"type":"list","listType":"number","children":[{"type":"listitem","children":[{"type":"text","text":"One"}]}]},
        {"type":"image","src":"/content/images/a.jpg","alt":"Alt","caption":"A <em>caption</em>"},
        {"type":"embed","url":"https://youtu.be/x"},
        {"type":"paywall"}]}})json",
      report);
  EXPECT_EQ(html,
            "<p>Plain <strong><em>bold &amp; italic</em></strong><a "
            "href=\"https://example.org/?a=1&amp;b=2\">link</a></p>\n<h3>Heading</h3>\n"
            "<ol><li>One</li></ol>\n<figure><img src=\"/content/images/a.jpg\" "
            "alt=\"Alt\"><figcaption>A <em>caption</em></figcaption></figure>"
            "<p><a href=\"https://youtu.be/x\">https://youtu.be/x</a></p>\n");
  EXPECT_EQ(report.embeds, 1);
  EXPECT_EQ(report.cards["paywall"], 1);
  // Not JSON at all: nothing, and no crash.
  EXPECT_EQ(LexicalToHtml("{not json", report), "");
  // Nested a hundred thousand levels deep: left out, and no crash.
  std::string deep = "{\"root\":";
  for (int i = 0; i < 100000; ++i) deep += "{\"type\":\"quote\",\"children\":[";
  for (int i = 0; i < 100000; ++i) deep += "]}";
  deep += "}";
  EXPECT_EQ(LexicalToHtml(deep, report), "");
  EXPECT_EQ(report.skipped["posts whose lexical or mobiledoc could not be read (left empty)"], 2);
}

TEST(GhostFormats, MobiledocBecomesHtml) {
  GhostReport report;
  const std::string html = MobiledocToHtml(
      R"json({"version":"0.3.1","atoms":[["soft-return","",{}]],
          "cards":[["markdown",{"markdown":"Some *markdown*."}],["hr",{}]],
          "markups":[["a",["href","https://example.org","onclick","x()"]],["strong"],["script"]],
          "sections":[[1,"p",[[0,[],0,"Hello "],[0,[0,1],2,"linked"],[1,[],0,0],[0,[2],1,"x"]]],
                      [10,0],[3,"ul",[[[0,[],0,"item"]]]],[10,1],[1,"h2",[[0,[],0,"Title"]]],
                      [10,7]]})json",
      report);
  EXPECT_EQ(html,
            "<p>Hello <a href=\"https://example.org\"><strong>linked</strong></a><br>"
            "<span>x</span></p>\n<p>Some <em>markdown</em>.</p>\n<ul><li>item</li></ul>\n"
            "<hr>\n<h2>Title</h2>\n");
}

class GhostImport : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override { BROADSHEET_OPEN_TEST_STORE(store_); }

  Result<GhostReport> Import(const std::string& text) {
    dir_.Write("ghost.json", text);
    return ImportGhost(*store_, (dir_.path() / "ghost.json").string(), {});
  }

  testing::TempDir dir_;
  std::unique_ptr<SqlStore> store_;
};

constexpr const char* kExport =
    R"json({"db":[{"meta":{"exported_on":1700000000000,"version":"5.70.0"},
"data":{
"posts":[
 {"id":"p1","title":"First &amp; foremost","slug":"first","html":"<p>Hello <img src=\"__GHOST_URL__/content/images/2023/01/a.jpg\"></p>","lexical":null,
  "feature_image":"__GHOST_URL__/content/images/2023/01/cover.jpg","type":"post","status":"published",
  "visibility":"public","published_at":"2023-01-05T10:00:00.000Z","created_at":"2023-01-04T09:00:00.000Z",
  "updated_at":"2023-01-06T10:00:00.000Z","custom_excerpt":"The dek.","canonical_url":null},
 {"id":"p2","title":"Lexical only","slug":"search","html":null,"type":"post","status":"draft",
  "lexical":"{\"root\":{\"type\":\"root\",\"children\":[{\"type\":\"paragraph\",\"children\":[{\"type\":\"text\",\"text\":\"Converted\"}]}]}}"},
 {"id":"p3","title":"About","slug":"about","html":"<p>Who we are.</p>","type":"page","status":"published",
  "published_at":"2022-12-01T00:00:00.000Z"},
 {"id":"p4","title":"For members","slug":"members","html":"<p>Paid.</p>","status":"published",
  "visibility":"paid","published_at":"2023-02-01T00:00:00.000Z"},
 {"id":"p5","title":"Newsletter only","slug":"sent","html":"<p>Mail.</p>","status":"sent"}
],
"posts_meta":[{"post_id":"p1","feature_image_alt":"A cover","feature_image_caption":"Photo: <a href=\"#\">AP</a>","meta_description":"For search.","og_image":"__GHOST_URL__/content/images/og.jpg"}],
"tags":[{"id":"t1","name":"World Affairs","slug":"world"},{"id":"t2","name":"Europe","slug":"europe"},
        {"id":"t3","name":"#hidden","slug":"hash-hidden","visibility":"internal"}],
"posts_tags":[{"post_id":"p1","tag_id":"t2","sort_order":1},{"post_id":"p1","tag_id":"t3","sort_order":2},
              {"post_id":"p1","tag_id":"t1","sort_order":0}],
"users":[{"id":"u1","name":"Jane Doe","slug":"jane","email":"jane@example.org","bio":"Writes <about> things."},
         {"id":"u2","name":"Sam Roe","slug":"sam","email":"sam@example.org"}],
"posts_authors":[{"post_id":"p1","author_id":"u2","sort_order":1},{"post_id":"p1","author_id":"u1","sort_order":0},
                 {"post_id":"p2","author_id":"u1","sort_order":0}]
}}]})json";

TEST_P(GhostImport, PostsArriveWithTheirSectionTagsAuthorsAndImage) {
  auto report = Import(kExport);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->articles.created, 4);
  EXPECT_EQ(report->pages.created, 1);
  EXPECT_EQ(report->authors.created, 2);
  EXPECT_EQ(report->sections.created, 1);
  EXPECT_EQ(report->tags.created, 1);
  EXPECT_EQ(report->converted, 1);
  EXPECT_EQ(report->skipped["internal tags on posts (#…, for Ghost's own use)"], 1);
  EXPECT_EQ(report->skipped["members-only posts made drafts (Broadsheet has no paywall)"], 1);
  EXPECT_EQ(report->skipped["email-only posts made drafts"], 1);

  auto first = store_->FindPublishedPost("first", 1800000000);
  ASSERT_TRUE(first && *first);
  const PostDetail& detail = **first;
  EXPECT_EQ(detail.post.title, "First & foremost");
  EXPECT_EQ(detail.post.dek, "The dek.");
  EXPECT_EQ(detail.post.published_at, 1672912800);
  ASSERT_TRUE(detail.section);
  EXPECT_EQ(detail.section->name, "World Affairs");  // the first tag by sort order
  ASSERT_EQ(detail.tags.size(), 1u);
  EXPECT_EQ(detail.tags[0].slug, "europe");
  ASSERT_EQ(detail.authors.size(), 2u);
  EXPECT_EQ(detail.authors[0].slug, "jane");  // posts_authors order
  EXPECT_EQ(detail.authors[1].slug, "sam");
  EXPECT_EQ(detail.post.image.url, "/content/images/2023/01/cover.jpg");
  EXPECT_EQ(detail.post.image.alt, "A cover");
  EXPECT_EQ(detail.post.image.caption, "Photo: AP");
  EXPECT_EQ(detail.post.seo.description, "For search.");
  EXPECT_EQ(detail.post.seo.social_image, "/content/images/og.jpg");
  EXPECT_NE(detail.post.body_html.find("src=\"/content/images/2023/01/a.jpg\""), std::string::npos);
  EXPECT_NE(detail.authors[0].bio_html.find("Writes &lt;about&gt; things."), std::string::npos);

  // "search" is Broadsheet's own address: the post moved, the old one redirects.
  auto moved = store_->FindRedirect("/search/");
  ASSERT_TRUE(moved);
  EXPECT_FALSE(*moved);  // never redirected away from a route the site serves
  auto draft = store_->FindPost("search-2");
  ASSERT_TRUE(draft && *draft);
  EXPECT_NE((*draft)->body_html.find("<p>Converted</p>"), std::string::npos);
  auto tag_page = store_->FindRedirect("/tag/world/");
  ASSERT_TRUE(tag_page && *tag_page);
  EXPECT_EQ((*tag_page)->to_path, "/section/world/");

  auto again = Import(kExport);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->articles.created, 0);
  EXPECT_EQ(again->articles.existing, 4);
  EXPECT_EQ(again->authors.created, 0);
}

TEST_P(GhostImport, BrokenExportsAreRefusedAndWriteNothing) {
  auto truncated = Import(std::string(kExport).substr(0, 900));
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("line "), std::string::npos)
      << truncated.error().message;
  auto other = Import(R"json({"format": "something else"})json");
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("not a Ghost export"), std::string::npos);
  auto posts = store_->ListAllPostIds();
  ASSERT_TRUE(posts);
  EXPECT_TRUE(posts->empty());
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, GhostImport, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::importers
