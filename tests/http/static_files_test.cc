#include "http/static_files.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace broadsheet::http {
namespace {

using broadsheet::testing::TempDir;

TEST(ResolveUnder, FindsFilesInsideTheRoot) {
  TempDir dir;
  dir.Write("uploads/images/a.png", "png");
  auto found = ResolveUnder(dir.path() / "uploads", "images/a.png");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->filename(), "a.png");
}

TEST(ResolveUnder, NeverLeavesTheRoot) {
  TempDir dir;
  dir.Write("secret.txt", "secret");
  dir.Write("uploads/.hidden", "hidden");
  dir.Write("uploads/images/a.png", "png");
  std::filesystem::create_symlink(dir.path() / "secret.txt", dir.path() / "uploads/link.txt");
  const auto root = dir.path() / "uploads";
  for (const char* path : {"../secret.txt", "images/../../secret.txt", ".hidden", "link.txt",
                           "images", "", "images\\..\\..\\secret.txt", "/etc/passwd"}) {
    EXPECT_FALSE(ResolveUnder(root, path)) << path;
  }
  // An absolute-looking path is read relative to the root.
  EXPECT_TRUE(ResolveUnder(root, "/images/a.png"));
}

TEST(ContentTypeFor, KnowsCommonTypes) {
  EXPECT_EQ(ContentTypeFor("a.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("photo.jpeg"), "image/jpeg");
  EXPECT_EQ(ContentTypeFor("x.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("noextension"), "application/octet-stream");
}

TEST(ReadFile, RefusesFilesOverTheLimit) {
  TempDir dir;
  dir.Write("big.bin", std::string(100, 'x'));
  EXPECT_EQ(ReadFile(dir.path() / "big.bin", 10).error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(ReadFile(dir.path() / "big.bin", 100)->size(), 100u);
}

}  // namespace
}  // namespace broadsheet::http
