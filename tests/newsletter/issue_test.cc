// A newsletter issue's mail wears the publication's branding (newsletter/issue.h).
#include "newsletter/issue.h"

#include <gtest/gtest.h>

namespace broadsheet::newsletter {
namespace {

PostDetail Article() {
  PostDetail detail;
  detail.post.id = 1;
  detail.post.slug = "why-deterrence-still-works";
  detail.post.title = "Why Deterrence Still Works";
  detail.post.body_html = "<p>Text.</p>";
  return detail;
}

TEST(IssueBranding, TheMastheadShowsTheLogoWithTheTitleAsAltText) {
  Publication publication;
  publication.title = "The \"Test\" Review";
  publication.base_url = "https://review.example";
  publication.logo = "/uploads/media/2026/12/logo.png";
  publication.accent_color = "#0a6e3c";
  const auto send = ComposeIssue(
      Article(), publication, "",
      {{"Security & Defence", "/section/security/"}, {"Shop", "https://shop.example/"}});
  EXPECT_NE(send.html.find("<img src=\"https://review.example/uploads/media/2026/12/logo.png\" "
                           "alt=\"The &quot;Test&quot; Review\""),
            std::string::npos);
  EXPECT_NE(send.html.find("background:#0a6e3c"), std::string::npos);
  EXPECT_EQ(send.html.find("#1f3a5f"), std::string::npos);
  EXPECT_NE(send.html.find("href=\"https://review.example/section/security/\""), std::string::npos);
  EXPECT_NE(send.html.find(">Security &amp; Defence</a>"), std::string::npos);
  EXPECT_NE(send.html.find("href=\"https://shop.example/\""), std::string::npos);
}

TEST(IssueBranding, WithoutBrandingTheMailIsAsBefore) {
  Publication publication;
  publication.accent_color = "red;background:url(x)";  // never reaches a style attribute
  publication.logo = "https://evil.example/x.png";
  const auto send = ComposeDigest({Article()}, publication, "This week");
  EXPECT_EQ(send.html.find("<img"), std::string::npos);
  EXPECT_EQ(send.html.find("red;"), std::string::npos);
  EXPECT_NE(send.html.find("3px solid #1f3a5f"), std::string::npos);
}

}  // namespace
}  // namespace broadsheet::newsletter
