// The rules for sections, tags, author profiles and hand-made redirects (content/records.h).
#include "content/records.h"

#include <gtest/gtest.h>

#include "storage/sqlite_store.h"

namespace broadsheet::content {
namespace {

class RecordsTest : public ::testing::Test {
 protected:
  RecordsTest() : store_(std::move(*SqliteStore::Open({":memory:", true}))) {}

  static Section NamedSection(const std::string& name, const std::string& slug = "") {
    Section section;
    section.name = name;
    section.slug = slug;
    section.position = -1;
    return section;
  }
  std::string Refusal(const Result<void>& result) {
    EXPECT_FALSE(result);
    if (result) return "";
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    return result.error().message;
  }

  std::unique_ptr<SqliteStore> store_;
};

TEST_F(RecordsTest, ASectionIsAddedOnceAndChangedWhereItIs) {
  ASSERT_TRUE(SaveSection(*store_, NamedSection("Security and Foreign Policy"), true));
  const auto stored = **store_->FindSection("security-and-foreign-policy");
  EXPECT_EQ(stored.position, 0);
  EXPECT_EQ(Refusal(SaveSection(*store_, NamedSection("Security and Foreign Policy"), true)),
            "There is already a section at /section/security-and-foreign-policy/; choose "
            "another address.");
  EXPECT_EQ(Refusal(SaveSection(*store_, NamedSection("Energy"), false)),
            "There is no such section.");
  Section moved = NamedSection("Security", "security-and-foreign-policy");
  moved.position = 5000;
  ASSERT_TRUE(SaveSection(*store_, moved, false));
  EXPECT_EQ((*store_->FindSection("security-and-foreign-policy"))->position, 1000);
  EXPECT_EQ((*store_->FindSection("security-and-foreign-policy"))->name, "Security");
  moved.position = -1;  // blank in the form: unchanged
  ASSERT_TRUE(SaveSection(*store_, moved, false));
  EXPECT_EQ((*store_->FindSection("security-and-foreign-policy"))->position, 1000);
}

TEST_F(RecordsTest, ASectionNeedsANameAndAUsableAddress) {
  EXPECT_EQ(Refusal(SaveSection(*store_, NamedSection(""), true)), "A name is required.");
  EXPECT_EQ(Refusal(SaveSection(*store_, NamedSection("Energy", "Energy Policy"), true)),
            "The address must be a-z, 0-9 and single hyphens.");
  EXPECT_TRUE(store_->ListSections()->empty());
}

TEST_F(RecordsTest, AnAuthorsBiographyIsTextAndThePhotoAnAddressOfOurs) {
  Author author;
  author.name = "Mira Okafor";
  author.bio_markdown = "Analyst. <script>alert(1)</script>**Bold**";
  ASSERT_TRUE(SaveAuthor(*store_, author, true));
  const Author stored = **store_->FindAuthor("mira-okafor");
  EXPECT_EQ(stored.bio_html.find("<script"), std::string::npos);
  EXPECT_NE(stored.bio_html.find("<strong>Bold</strong>"), std::string::npos);
  author.slug = "mira-okafor";
  author.avatar = "javascript:alert(1)";
  EXPECT_EQ(Refusal(SaveAuthor(*store_, author, false)),
            "The photo address must start with /uploads/ or https://.");
  author.avatar = "https://img.example/a.jpg\" onerror=\"x";
  EXPECT_FALSE(SaveAuthor(*store_, author, false));
  EXPECT_EQ((*store_->FindAuthor("mira-okafor"))->avatar, "");
}

TEST_F(RecordsTest, OnlyAnExistingTagIsRenamed) {
  ASSERT_TRUE(store_->UpsertTag({0, "sanctions", "Sanctions"}));
  ASSERT_TRUE(RenameTag(*store_, "sanctions", "Economic Sanctions"));
  EXPECT_EQ((*store_->FindTag("sanctions"))->name, "Economic Sanctions");
  EXPECT_EQ(Refusal(RenameTag(*store_, "tariffs", "Tariffs")), "There is no such tag.");
  EXPECT_EQ(Refusal(RenameTag(*store_, "sanctions", "")), "A tag needs a name.");
}

TEST_F(RecordsTest, RedirectsGoSomewhereSafeAndNeverToThemselves) {
  EXPECT_EQ(Refusal(PutRedirect(*store_, {"https://evil.example/", "/x/", 301, 0})),
            "The old address must be a path on this site, such as /2019/05/old-slug/.");
  EXPECT_EQ(Refusal(PutRedirect(*store_, {"/old/", "javascript:alert(1)", 301, 0})),
            "The new address must be a path on this site or an https address.");
  EXPECT_EQ(Refusal(PutRedirect(*store_, {"/old/", "//evil.example/", 302, 0})),
            "The new address must be a path on this site or an https address.");
  EXPECT_EQ(Refusal(PutRedirect(*store_, {"/old/", "/old/", 301, 0})),
            "A redirect to itself would loop.");
  EXPECT_FALSE(PutRedirect(*store_, {"/old/", "/new/", 307, 0}));
  EXPECT_TRUE(store_->ListRedirects()->empty());

  ASSERT_TRUE(PutRedirect(*store_, {"/gone/", "/ignored/", 410, 0}));
  EXPECT_EQ((*store_->FindRedirect("/gone/"))->to_path, "");
  ASSERT_TRUE(PutRedirect(*store_, {"/old/", "https://archive.example/old", 301, 0}));
  ASSERT_TRUE(RemoveRedirect(*store_, "/old/"));
  EXPECT_FALSE(*store_->FindRedirect("/old/"));
}

}  // namespace
}  // namespace broadsheet::content
