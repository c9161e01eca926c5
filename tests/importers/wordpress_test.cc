#include "importers/wordpress.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "importers/fixtures.h"
#include "storage/sql_store.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet::importers {
namespace {

class WordPressImport : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE(store_);
    options_.uploads_dir = dir_.path() / "uploads";
  }

  Result<WordPressReport> Import(const std::filesystem::path& file) {
    return ImportWordPress(*store_, file.string(), options_);
  }

  Result<WordPressReport> ImportText(const std::string& text) {
    dir_.Write("export.xml", text);
    return Import(dir_.path() / "export.xml");
  }

  int Count(PostStatus status) {
    auto posts = store_->ListPostsByStatus(status, 1000);
    return posts ? static_cast<int>(posts->size()) : -1;
  }

  std::string RedirectOf(const std::string& from) {
    auto redirect = store_->FindRedirect(from);
    return redirect && *redirect ? (*redirect)->to_path : "";
  }

  testing::TempDir dir_;
  std::unique_ptr<SqlStore> store_;
  WordPressOptions options_;
};

TEST_P(WordPressImport, ThemeUnitTestDataArrivesWhole) {
  REQUIRE_FIXTURES();
  auto report = Import(Fixtures() / "themeunittestdata.wordpress.xml");
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_EQ(report->articles.created, 58);
  EXPECT_EQ(report->pages.created, 21);
  EXPECT_EQ(report->authors.created, 2);
  EXPECT_EQ(report->comments.created, 29);  // 33 less 2 pingbacks and 2 trackbacks
  EXPECT_EQ(report->replies, 10);
  EXPECT_EQ(report->skipped["pingbacks and trackbacks"], 4);
  EXPECT_EQ(report->skipped["nav_menu_item items (only posts and pages are imported)"], 70);
  // 110 tags, 64 of them on posts; 67 of the 68 categories are on posts: 4 as sections (the
  // first category of each post), the others as tags.
  EXPECT_EQ(report->skipped["tags no imported post has"], 46);
  EXPECT_EQ(report->skipped["categories no imported post is in"], 1);
  EXPECT_EQ(report->sections.created, 4);
  EXPECT_EQ(report->tags.created, 129);
  EXPECT_EQ(report->shortcodes["gallery"], 12);
  // Statuses: 77 published less one behind a password, one draft, one scheduled.
  EXPECT_EQ(Count(PostStatus::kPublished), 76);
  EXPECT_EQ(Count(PostStatus::kDraft), 2);
  EXPECT_EQ(Count(PostStatus::kScheduled), 1);

  auto comments = store_->ListComments(std::nullopt, 1000);
  ASSERT_TRUE(comments);
  int approved = 0, pending = 0, replies = 0;
  for (const Comment& comment : *comments) {
    approved += comment.status == CommentStatus::kApproved;
    pending += comment.status == CommentStatus::kPending;
    replies += comment.parent_id.has_value();
  }
  EXPECT_EQ(approved, 26);
  EXPECT_EQ(pending, 3);
  EXPECT_EQ(replies, 10);

  // A post with its date, section, author and converted content.
  auto post = store_->FindPost("markup-image-alignment");
  ASSERT_TRUE(post && *post);
  EXPECT_EQ((*post)->status, PostStatus::kPublished);
  EXPECT_EQ((*post)->published_at, 1357874140);  // wp:post_date_gmt 2013-01-11 03:15:40
  EXPECT_NE((*post)->body_html.find("<figcaption>"), std::string::npos);
  EXPECT_EQ((*post)->body_html.find("[caption"), std::string::npos);

  // Old addresses.
  EXPECT_EQ(RedirectOf("/2013/01/10/markup-image-alignment/"), "/markup-image-alignment/");
  EXPECT_EQ(RedirectOf("/2013/01/markup-image-alignment/"), "/markup-image-alignment/");
  EXPECT_EQ(RedirectOf("/?p=1177"), "/markup-image-alignment/");
  EXPECT_EQ(RedirectOf("/?page_id=146"), "/lorem-ipsum/");
}

TEST_P(WordPressImport, RunningAgainUpdatesInsteadOfDuplicating) {
  REQUIRE_FIXTURES();
  ASSERT_TRUE(Import(Fixtures() / "themeunittestdata.wordpress.xml"));
  auto again = Import(Fixtures() / "themeunittestdata.wordpress.xml");
  ASSERT_TRUE(again) << Describe(again.error());
  EXPECT_EQ(again->articles.created, 0);
  EXPECT_EQ(again->articles.existing, 58);
  EXPECT_EQ(again->comments.created, 0);
  EXPECT_EQ(again->comments.existing, 29);
  EXPECT_EQ(again->tags.created, 0);
  EXPECT_EQ(again->redirects, 0);
  auto comments = store_->ListComments(std::nullopt, 1000);
  ASSERT_TRUE(comments);
  EXPECT_EQ(comments->size(), 29u);
}

TEST_P(WordPressImport, BlockTestDataArrivesWhole) {
  REQUIRE_FIXTURES();
  auto report = Import(Fixtures() / "64-block-test-data.xml");
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_EQ(report->articles.created, 61);
  EXPECT_EQ(report->pages.created, 1);
  EXPECT_EQ(report->comments.created, 2);
  EXPECT_EQ(report->replies, 1);
  EXPECT_EQ(report->sections.created, 5);
  EXPECT_EQ(report->tags.created, 4);
  // Four posts share one featured image whose attachment comes after them in the file.
  auto post = store_->FindPost("featured-image");
  ASSERT_TRUE(post && *post);
  EXPECT_EQ((*post)->image.url, "https://wpthemetestdata.files.wordpress.com/2008/06/img_0747.jpg");
  // No block comment survives.
  auto posts = store_->ListPostsForDesk({});
  ASSERT_TRUE(posts);
  for (const auto& detail : *posts)
    EXPECT_EQ(detail.post.body_html.find("<!-- wp:"), std::string::npos) << detail.post.slug;
}

constexpr const char* kHead =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
    "xmlns:wp=\"http://wordpress.org/export/1.2/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
    "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
    "xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\"><channel>\n"
    "<link>https://old.example</link><wp:base_blog_url>https://old.example</wp:base_blog_url>\n";

std::string Item(const std::string& id, const std::string& slug, const std::string& extra = "") {
  return "<item><title>Post " + id + "</title><link>https://old.example/" + slug +
         "/</link><wp:post_id>" + id +
         "</wp:post_id><wp:post_date>2020-05-04 10:00:00"
         "</wp:post_date><wp:post_date_gmt>2020-05-04 08:00:00</wp:post_date_gmt>"
         "<wp:post_name>" +
         slug +
         "</wp:post_name><wp:status>publish</wp:status>"
         "<wp:post_type>post</wp:post_type><dc:creator>ghost</dc:creator>"
         "<content:encoded>Text of " +
         id + "</content:encoded>" + extra + "</item>\n";
}

TEST_P(WordPressImport, DuplicateSlugsAndMissingAuthorsAreReported) {
  auto report = ImportText(std::string(kHead) + Item("1", "same") + Item("2", "same") +
                           Item("3", "feed") + "</channel></rss>");
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_EQ(report->articles.created, 3);
  EXPECT_EQ(RedirectOf("/?p=2"), "/same-2/");
  EXPECT_EQ(RedirectOf("/feed/"), "");  // a reserved address is never redirected away
  EXPECT_EQ(RedirectOf("/?p=3"), "/feed-2/");
  EXPECT_EQ(RedirectOf("/2020/05/04/feed/"), "/feed-2/");
  std::string notes;
  for (const auto& note : report->notes) notes += note + "\n";
  EXPECT_NE(notes.find("/same/ is taken"), std::string::npos) << notes;
  EXPECT_NE(notes.find("author \"ghost\""), std::string::npos) << notes;
  auto author = store_->FindAuthor("ghost");
  ASSERT_TRUE(author && *author);
  EXPECT_EQ(report->authors.created, 1);
}

TEST_P(WordPressImport, YoastsPrimaryCategoryIsTheSectionAndBiosComeFromUserMeta) {
  const std::string terms =
      "<wp:author><wp:author_login>ghost</wp:author_login><wp:author_display_name>Gho St"
      "</wp:author_display_name><wp:author_email>ghost@old.example</wp:author_email>"
      "<wp:usermeta><wp:meta_key>description</wp:meta_key><wp:meta_value>Writes on Europe."
      "</wp:meta_value></wp:usermeta></wp:author>"
      "<wp:category><wp:term_id>7</wp:term_id><wp:category_nicename>world</wp:category_nicename>"
      "<wp:cat_name>World</wp:cat_name></wp:category>"
      "<wp:category><wp:term_id>8</wp:term_id><wp:category_nicename>europe</wp:category_nicename>"
      "<wp:category_parent>world</wp:category_parent><wp:cat_name>Europe</wp:cat_name>"
      "</wp:category>";
  const std::string categories =
      "<category domain=\"category\" nicename=\"world\">World</category>"
      "<category domain=\"category\" nicename=\"europe\">Europe</category>"
      "<wp:postmeta><wp:meta_key>_yoast_wpseo_primary_category</wp:meta_key>"
      "<wp:meta_value>8</wp:meta_value></wp:postmeta>";
  auto report = ImportText(std::string(kHead) + terms + Item("1", "yoast", categories) +
                           Item("2", "first", categories.substr(0, categories.find("<wp:"))) +
                           "</channel></rss>");
  ASSERT_TRUE(report) << Describe(report.error());
  auto yoast = store_->FindPublishedPost("yoast", 1800000000);
  ASSERT_TRUE(yoast && *yoast && (*yoast)->section);
  EXPECT_EQ((*yoast)->section->slug, "europe");
  ASSERT_EQ((*yoast)->tags.size(), 1u);
  EXPECT_EQ((*yoast)->tags[0].name, "World");
  auto first = store_->FindPublishedPost("first", 1800000000);
  ASSERT_TRUE(first && *first && (*first)->section);
  EXPECT_EQ((*first)->section->slug, "world");  // without Yoast: the first category listed
  ASSERT_EQ((*first)->tags.size(), 1u);
  EXPECT_EQ((*first)->tags[0].name, "World › Europe");  // the hierarchy kept in the name
  auto author = store_->FindAuthor("ghost");
  ASSERT_TRUE(author && *author);
  EXPECT_EQ((*author)->name, "Gho St");
  EXPECT_NE((*author)->bio_html.find("Writes on Europe."), std::string::npos);
  EXPECT_EQ(RedirectOf("/category/world/europe/"), "/section/europe/");
}

TEST_P(WordPressImport, CoAuthorsAndYoastsSearchSettingsComeAlong) {
  const std::string meta =
      "<category domain=\"author\" nicename=\"cap-jane\">Jane Doe</category>"
      "<category domain=\"author\" nicename=\"cap-ghost\">ghost</category>"
      "<wp:postmeta><wp:meta_key>_yoast_wpseo_metadesc</wp:meta_key><wp:meta_value>For "
      "search &amp;amp; social.</wp:meta_value></wp:postmeta>"
      "<wp:postmeta><wp:meta_key>_yoast_wpseo_canonical</wp:meta_key><wp:meta_value>"
      "https://first.example/original/</wp:meta_value></wp:postmeta>"
      "<wp:postmeta><wp:meta_key>_yoast_wpseo_meta-robots-noindex</wp:meta_key>"
      "<wp:meta_value>1</wp:meta_value></wp:postmeta>";
  const std::string self =
      "<wp:postmeta><wp:meta_key>_yoast_wpseo_canonical</wp:meta_key><wp:meta_value>"
      "https://www.old.example/self/</wp:meta_value></wp:postmeta>";
  auto report = ImportText(std::string(kHead) + Item("1", "two-bylines", meta) +
                           Item("2", "self", self) + "</channel></rss>");
  ASSERT_TRUE(report) << Describe(report.error());
  auto found = store_->FindPost("two-bylines");
  ASSERT_TRUE(found && *found);
  auto detail = store_->FindPostById((*found)->id);
  ASSERT_TRUE(detail && *detail);
  ASSERT_EQ((*detail)->authors.size(), 2u);
  EXPECT_EQ((*detail)->authors[0].name, "Jane Doe");
  EXPECT_EQ((*detail)->authors[1].slug, "ghost");
  EXPECT_EQ((*found)->seo.description, "For search & social.");
  EXPECT_EQ((*found)->seo.canonical_url, "https://first.example/original/");
  EXPECT_TRUE((*found)->seo.noindex);
  // A canonical address on the old site itself is dropped: this is where the post lives now.
  auto self_post = store_->FindPost("self");
  ASSERT_TRUE(self_post && *self_post);
  EXPECT_EQ((*self_post)->seo.canonical_url, "");
}

TEST_P(WordPressImport, AMalformedFileLeavesTheSiteAsItWas) {
  // Good items first, then a broken one: nothing of it stays.
  auto report = ImportText(std::string(kHead) + Item("1", "first") + Item("2", "second") +
                           "<item><title>Broken</title></channel></rss>");
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("line "), std::string::npos);
  EXPECT_EQ(Count(PostStatus::kPublished), 0);
  auto authors = store_->ListAuthors();
  ASSERT_TRUE(authors);
  EXPECT_TRUE(authors->empty());
  EXPECT_EQ(RedirectOf("/?p=1"), "");
}

TEST_P(WordPressImport, FeaturedImagesAreCopiedFromTheUploadsFolder) {
  dir_.Write("wp-uploads/2019/03/photo.jpg", "JPEG");
  options_.uploads_from = dir_.path() / "wp-uploads";
  const std::string attachment =
      "<item><title>photo</title><wp:post_id>9</wp:post_id><wp:post_type>attachment"
      "</wp:post_type><wp:status>inherit</wp:status><excerpt:encoded>A caption</excerpt:encoded>"
      "<wp:attachment_url>https://old.example/wp-content/uploads/2019/03/photo.jpg"
      "</wp:attachment_url><wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>"
      "<wp:meta_value>Alt text</wp:meta_value></wp:postmeta><wp:postmeta><wp:meta_key>"
      "_media_credit</wp:meta_key><wp:meta_value>AP Photo</wp:meta_value></wp:postmeta></item>";
  const std::string thumbnail =
      "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>9</wp:meta_value>"
      "</wp:postmeta><content:encoded>&lt;img "
      "src=\"https://old.example/wp-content/uploads/2019/03/photo.jpg\"&gt;</content:encoded>";
  auto report = ImportText(std::string(kHead) + Item("1", "pictured", thumbnail) + attachment +
                           "</channel></rss>");
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_EQ(report->images_copied, 1);
  auto post = store_->FindPost("pictured");
  ASSERT_TRUE(post && *post);
  EXPECT_EQ((*post)->image.url, "/uploads/wordpress/2019/03/photo.jpg");
  EXPECT_EQ((*post)->image.caption, "A caption");
  EXPECT_EQ((*post)->image.alt, "Alt text");
  EXPECT_EQ((*post)->image.credit, "AP Photo");
  EXPECT_NE((*post)->body_html.find("src=\"/uploads/wordpress/2019/03/photo.jpg\""),
            std::string::npos)
      << (*post)->body_html;
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "uploads/wordpress/2019/03/photo.jpg"));
  EXPECT_EQ(RedirectOf("/wp-content/uploads/2019/03/photo.jpg"),
            "/uploads/wordpress/2019/03/photo.jpg");
}

TEST_P(WordPressImport, CopiesOfAFailedImportAreRemoved) {
  dir_.Write("wp-uploads/a.jpg", "JPEG");
  options_.uploads_from = dir_.path() / "wp-uploads";
  auto report = ImportText(
      std::string(kHead) +
      Item("1", "x",
           "<content:encoded>&lt;img src=\"/wp-content/uploads/a.jpg\"&gt;</content:encoded>") +
      "<item>");
  ASSERT_FALSE(report);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "uploads/wordpress/a.jpg"));
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, WordPressImport, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::importers
