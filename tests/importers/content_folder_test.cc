#include "importers/content_folder.h"

#include <gtest/gtest.h>

#include "storage/sql_store.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet::importers {
namespace {

using broadsheet::testing::TempDir;

// A small but complete content folder, as inline files.
void WriteGoodFolder(const TempDir& dir) {
  dir.Write(
      "content/publication.yaml",
      "title: The Meridian Review\ntimezone: Europe/Berlin\nbase_url: https://meridian.example/\n"
      "disclaimer: Our contributors speak for themselves.\n");
  dir.Write("content/sections.yaml",
            "- slug: security\n  name: Security and Foreign Policy\n  opinion: true\n"
            "- slug: economy\n  name: Economy\n  description: Trade and money.\n");
  dir.Write("content/authors/jane-doe.md",
            "---\nname: Jane Doe\ntitle: Director for Partnerships\n---\nJane *writes*.\n");
  dir.Write("content/authors/sam-lee.md", "---\nname: Sam Lee\n---\n");
  dir.Write("content/images/photo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  dir.Write("content/images/chart.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  dir.Write("content/posts/deterrence.md",
            "---\ntitle: Why Deterrence Still Works\ndek: Jane Doe argues.\nsection: security\n"
            "authors: [sam-lee, jane-doe]\ntags: [Korea, Nuclear Weapons]\ndate: 2024-03-01T10:30\n"
            "image: images/photo.svg\nimage_alt: Soldiers\nimage_credit: AP Photo/X\n---\n"
            "Text with a chart:\n\n![Chart](../images/chart.svg)\n");
  dir.Write("content/posts/about.md",
            "---\ntitle: About\nkind: page\ndisclaimer: false\n---\nWho we are.\n");
  dir.Write("content/posts/draft.md", "---\ntitle: Not Yet\nstatus: draft\n---\nSoon.\n");
}

class ContentImport : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override { BROADSHEET_OPEN_TEST_STORE(store_); }

  Result<FolderReport> Import(Timestamp now = 1800000000) {
    FolderOptions options;
    options.uploads_dir = dir_.path() / "uploads";
    options.now = now;
    return ImportFolder(*store_, dir_.path() / "content", options);
  }

  TempDir dir_;
  std::unique_ptr<SqlStore> store_;
};

TEST_P(ContentImport, ImportsACompleteFolder) {
  WriteGoodFolder(dir_);
  auto report = Import();
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_TRUE(report->rejected.empty()) << report->rejected[0].ToString();
  EXPECT_EQ(report->sections, 2);
  EXPECT_EQ(report->authors, 2);
  EXPECT_EQ(report->posts, 3);
  EXPECT_EQ(report->images, 2);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "uploads/images/chart.svg"));

  auto publication = store_->LoadPublication();
  EXPECT_EQ(publication->title, "The Meridian Review");
  EXPECT_EQ(publication->base_url, "https://meridian.example");

  auto post = store_->FindPublishedPost("why-deterrence-still-works", 1800000000);
  ASSERT_TRUE(post && *post);
  const PostDetail& detail = **post;
  EXPECT_EQ(detail.post.published_at, 1709285400);  // 10:30 in Berlin is 09:30Z
  ASSERT_EQ(detail.authors.size(), 2u);
  EXPECT_EQ(detail.authors[0].slug, "sam-lee");  // byline order from the file
  EXPECT_TRUE(detail.post.opinion);              // from the section
  EXPECT_EQ(detail.post.image.url, "/uploads/images/photo.svg");
  EXPECT_NE(detail.post.body_html.find("src=\"/uploads/images/chart.svg\""), std::string::npos);
  EXPECT_EQ(detail.tags.size(), 2u);

  auto about = store_->FindPost("about");
  ASSERT_TRUE(about && *about);
  EXPECT_EQ((*about)->kind, PostKind::kPage);
  EXPECT_TRUE((*about)->disclaimer_hidden);
  EXPECT_EQ((*store_->FindPost("not-yet"))->status, PostStatus::kDraft);
}

TEST_P(ContentImport, IsIdempotentBySlug) {
  WriteGoodFolder(dir_);
  ASSERT_TRUE(Import());
  dir_.Write(
      "content/posts/deterrence.md",
      "---\ntitle: Why Deterrence Still Works\ndek: Revised.\nsection: security\n---\nNew.\n");
  auto again = Import();
  ASSERT_TRUE(again);
  PostQuery query;
  query.now = 1800000000;
  EXPECT_EQ(*store_->CountPublishedPosts(query), 1);
  EXPECT_EQ((*store_->FindPost("why-deterrence-still-works"))->dek, "Revised.");
  EXPECT_EQ(store_->ListSections()->size(), 2u);
}

TEST_P(ContentImport, BadFilesAreReportedWithFileLineAndFieldWhileGoodOnesImport) {
  WriteGoodFolder(dir_);
  dir_.Write("content/posts/bad-date.md", "---\ntitle: Bad Date\n\ndate: last tuesday\n---\nx\n");
  dir_.Write("content/posts/bad-section.md", "---\ntitle: Lost\nsection: nowhere\n---\nx\n");
  dir_.Write("content/posts/no-title.md", "---\ndek: Only a dek\n---\nx\n");
  dir_.Write("content/posts/reserved.md", "---\ntitle: Admin\n---\nx\n");
  dir_.Write("content/posts/yaml.md", "---\ntitle: [unclosed\n---\nx\n");
  dir_.Write("content/posts/no-front-matter.md", "Just text.\n");
  dir_.Write("content/posts/missing-image.md", "---\ntitle: Pic\nimage: images/none.png\n---\nx\n");
  dir_.Write("content/posts/escape.md", "---\ntitle: Escape\nimage: ../../../etc/passwd\n---\nx\n");
  dir_.Write("content/posts/long.md", "---\ntitle: " + std::string(3000, 'x') + "\n---\nx\n");
  dir_.Write("content/posts/dup.md",
             "---\ntitle: Other\nslug: why-deterrence-still-works\n---\nx\n");
  auto report = Import();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->posts, 3);

  auto find = [&](const std::string& file) -> const FolderProblem* {
    for (const auto& problem : report->rejected) {
      if (problem.file == file) return &problem;
    }
    return nullptr;
  };
  const FolderProblem* date = find("posts/bad-date.md");
  ASSERT_NE(date, nullptr);
  EXPECT_EQ(date->line, 4);
  EXPECT_EQ(date->field, "date");
  ASSERT_NE(find("posts/bad-section.md"), nullptr);
  EXPECT_EQ(find("posts/bad-section.md")->field, "section");
  EXPECT_EQ(find("posts/bad-section.md")->line, 3);
  ASSERT_NE(find("posts/no-title.md"), nullptr);
  EXPECT_EQ(find("posts/no-title.md")->field, "title");
  ASSERT_NE(find("posts/reserved.md"), nullptr);
  EXPECT_EQ(find("posts/reserved.md")->field, "slug");
  ASSERT_NE(find("posts/yaml.md"), nullptr);
  ASSERT_NE(find("posts/no-front-matter.md"), nullptr);
  EXPECT_EQ(find("posts/no-front-matter.md")->line, 1);
  ASSERT_NE(find("posts/missing-image.md"), nullptr);
  EXPECT_EQ(find("posts/missing-image.md")->field, "image");
  ASSERT_NE(find("posts/escape.md"), nullptr);
  ASSERT_NE(find("posts/dup.md"), nullptr);
  ASSERT_NE(find("posts/long.md"), nullptr);
  EXPECT_EQ(find("posts/long.md")->field, "title");
  EXPECT_FALSE(*store_->FindPost("bad-date"));
  EXPECT_EQ((*store_->FindPost("why-deterrence-still-works"))->title, "Why Deterrence Still Works");
}

TEST_P(ContentImport, FutureDatesAreScheduled) {
  dir_.Write("content/posts/soon.md", "---\ntitle: Soon\ndate: 2030-01-01\n---\nx\n");
  ASSERT_TRUE(Import(1800000000));
  EXPECT_EQ((*store_->FindPost("soon"))->status, PostStatus::kScheduled);
}

TEST_P(ContentImport, UnknownFieldsAreWarningsNotRejections) {
  dir_.Write("content/posts/typo.md", "---\ntitle: Typo\ntitel: oops\n---\nx\n");
  auto report = Import();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->posts, 1);
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_EQ(report->warnings[0].field, "titel");
  EXPECT_EQ(report->warnings[0].line, 3);
}

TEST_P(ContentImport, BadPublicationSettingsAreRejected) {
  dir_.Write("content/publication.yaml", "title: X\ntimezone: Mars/Base\n");
  auto report = Import();
  ASSERT_TRUE(report);
  ASSERT_EQ(report->rejected.size(), 1u);
  EXPECT_EQ(report->rejected[0].file, "publication.yaml");
  EXPECT_EQ(store_->LoadPublication()->title, "Broadsheet");
}

TEST_P(ContentImport, AFolderWithoutContentIsAnError) {
  dir_.Write("content/readme.txt", "nothing here");
  EXPECT_EQ(Import().error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ImportFolder(*store_, dir_.path() / "none", {}).error().code, ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, ContentImport, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::importers
