// The rules for sections, tags, author profiles and hand-made redirects (content/records.h).
#include "content/records.h"

#include <gtest/gtest.h>

#include "storage/sql_store.h"
#include "test_stores.h"

namespace broadsheet::content {
namespace {

class RecordsTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override { BROADSHEET_OPEN_TEST_STORE(store_); }

  static Section NamedSection(const std::string& name, const std::string& slug = "") {
    Section section;
    section.name = name;
    section.slug = slug;
    section.position = -1;
    return section;
  }
  // A check failed: kInvalidArgument, with a message for the person.
  static void ExpectRefused(const Result<void>& result) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(result.error().message.empty());
  }

  std::unique_ptr<SqlStore> store_;
};

TEST_P(RecordsTest, ASectionIsAddedOnceAndChangedWhereItIs) {
  ASSERT_TRUE(SaveSection(*store_, NamedSection("Security and Foreign Policy"), true));
  const auto stored = **store_->FindSection("security-and-foreign-policy");
  EXPECT_EQ(stored.position, 0);
  ExpectRefused(SaveSection(*store_, NamedSection("Security and Foreign Policy"), true));
  ExpectRefused(SaveSection(*store_, NamedSection("Energy"), false));
  Section moved = NamedSection("Security", "security-and-foreign-policy");
  moved.position = 5000;
  ASSERT_TRUE(SaveSection(*store_, moved, false));
  EXPECT_EQ((*store_->FindSection("security-and-foreign-policy"))->position, 1000);
  EXPECT_EQ((*store_->FindSection("security-and-foreign-policy"))->name, "Security");
  moved.position = -1;  // blank in the form: unchanged
  ASSERT_TRUE(SaveSection(*store_, moved, false));
  EXPECT_EQ((*store_->FindSection("security-and-foreign-policy"))->position, 1000);
}

TEST_P(RecordsTest, ASectionNeedsANameAndAUsableAddress) {
  ExpectRefused(SaveSection(*store_, NamedSection(""), true));
  ExpectRefused(SaveSection(*store_, NamedSection("Energy", "Energy Policy"), true));
  EXPECT_TRUE(store_->ListSections()->empty());
}

TEST_P(RecordsTest, AnAuthorsBiographyIsTextAndThePhotoAnAddressOfOurs) {
  Author author;
  author.name = "Mira Okafor";
  author.bio_markdown = "Analyst. <script>alert(1)</script>**Bold**";
  ASSERT_TRUE(SaveAuthor(*store_, author, true));
  const Author stored = **store_->FindAuthor("mira-okafor");
  EXPECT_EQ(stored.bio_html.find("<script"), std::string::npos);
  EXPECT_NE(stored.bio_html.find("<strong>Bold</strong>"), std::string::npos);
  author.slug = "mira-okafor";
  author.avatar = "javascript:alert(1)";
  ExpectRefused(SaveAuthor(*store_, author, false));
  author.avatar = "https://img.example/a.jpg\" onerror=\"x";
  EXPECT_FALSE(SaveAuthor(*store_, author, false));
  EXPECT_EQ((*store_->FindAuthor("mira-okafor"))->avatar, "");
}

TEST_P(RecordsTest, OnlyAnExistingTagIsRenamed) {
  ASSERT_TRUE(store_->UpsertTag({0, "sanctions", "Sanctions"}));
  ASSERT_TRUE(RenameTag(*store_, "sanctions", "Economic Sanctions"));
  EXPECT_EQ((*store_->FindTag("sanctions"))->name, "Economic Sanctions");
  ExpectRefused(RenameTag(*store_, "tariffs", "Tariffs"));
  ExpectRefused(RenameTag(*store_, "sanctions", ""));
}

TEST_P(RecordsTest, RedirectsGoSomewhereSafeAndNeverToThemselves) {
  ExpectRefused(PutRedirect(*store_, {"https://evil.example/", "/x/", 301, 0}));
  ExpectRefused(PutRedirect(*store_, {"/old/", "javascript:alert(1)", 301, 0}));
  ExpectRefused(PutRedirect(*store_, {"/old/", "//evil.example/", 302, 0}));
  ExpectRefused(PutRedirect(*store_, {"/old/", "/old/", 301, 0}));
  EXPECT_FALSE(PutRedirect(*store_, {"/old/", "/new/", 307, 0}));
  EXPECT_TRUE(store_->ListRedirects()->empty());

  ASSERT_TRUE(PutRedirect(*store_, {"/gone/", "/ignored/", 410, 0}));
  EXPECT_EQ((*store_->FindRedirect("/gone/"))->to_path, "");
  ASSERT_TRUE(PutRedirect(*store_, {"/old/", "https://archive.example/old", 301, 0}));
  ASSERT_TRUE(RemoveRedirect(*store_, "/old/"));
  EXPECT_FALSE(*store_->FindRedirect("/old/"));
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, RecordsTest, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::content
