#include "render/theme.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace broadsheet::render {
namespace {

using broadsheet::testing::TempDir;

TEST(Theme, DefaultThemeLoadsWithItsStylesheet) {
  auto theme = Theme::Load("");
  ASSERT_TRUE(theme) << Describe(theme.error());
  ASSERT_NE((*theme)->FindAsset("style.css"), nullptr);
  EXPECT_TRUE((*theme)->AssetUrl("style.css").starts_with("/assets/style.css?v="));
}

TEST(Theme, VariablesAreHtmlEscaped) {
  TempDir dir;
  dir.Write("templates/probe.mustache", "<p>{{text}}</p><p>{{{trusted}}}</p>");
  auto theme = Theme::Load(dir.path());
  ASSERT_TRUE(theme);
  auto html = (*theme)->Render(
      "probe", {{"text", "<script>alert('x')</script>"}, {"trusted", "<b>ok</b>"}}, false);
  ASSERT_TRUE(html);
  EXPECT_EQ(*html, "<p>&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;</p><p><b>ok</b></p>");
}

TEST(Theme, EmptyStringsAreFalsy) {
  TempDir dir;
  dir.Write("templates/probe.mustache", "{{#dek}}[{{dek}}]{{/dek}}{{^dek}}none{{/dek}}");
  auto theme = Theme::Load(dir.path());
  ASSERT_TRUE(theme);
  EXPECT_EQ(*(*theme)->Render("probe", {{"dek", ""}}, false), "none");
  EXPECT_EQ(*(*theme)->Render("probe", {{"dek", "x"}}, false), "[x]");
}

TEST(Theme, SiteFilesOverrideTheDefaultTheme) {
  TempDir dir;
  dir.Write("templates/layout.mustache", "<main class=\"custom\">{{{content}}}</main>");
  dir.Write("assets/style.css", "body{color:red}");
  auto theme = Theme::Load(dir.path());
  ASSERT_TRUE(theme);
  EXPECT_EQ((*theme)->FindAsset("style.css")->data, "body{color:red}");
  auto html = (*theme)->Render("error", {{"error", {{"heading", "H"}, {"message", "M"}}}});
  ASSERT_TRUE(html);
  EXPECT_TRUE(html->starts_with("<main class=\"custom\">"));
}

TEST(Theme, ABrokenTemplateIsReportedByName) {
  TempDir dir;
  dir.Write("templates/article.mustache", "{{#open}} never closed");
  auto theme = Theme::Load(dir.path());
  ASSERT_FALSE(theme);
  EXPECT_NE(theme.error().message.find("templates/article.mustache"), std::string::npos);
}

}  // namespace
}  // namespace broadsheet::render
