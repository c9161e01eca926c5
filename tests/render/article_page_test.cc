// Renders public pages through the Site's handlers against a store on each database: the article
// page must show every element of DESIGN.md's reference page, in order, safely escaped.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mail/outbox.h"
#include "render/theme.h"
#include "site/site.h"
#include "storage/sql_store.h"
#include "test_stores.h"

namespace broadsheet::site {
namespace {

// A mail server that takes everything: the page then offers the newsletter signup.
class AcceptingMailer : public mail::Mailer {
 public:
  Result<void> Send(const mail::Message&) override { return {}; }
  bool configured() const override { return true; }
};

class ArticlePage : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE(store_);
    theme_ = std::move(*render::Theme::Load(""));
    Publication publication;
    publication.title = "The Meridian Review";
    publication.base_url = "https://meridian.example";
    publication.timezone = "America/New_York";
    publication.disclaimer =
        "Opinions are the contributors' own; the Review takes no institutional positions.";
    ASSERT_TRUE(store_->SavePublication(publication));
    section_ = *store_->UpsertSection(
        {0, "security", "Security and Foreign Policy", "", true, std::nullopt, 0});
    Author author;
    author.slug = "jane-doe";
    author.name = "Jane Doe";
    author.credentials = "Director for Partnerships and North Korea Analyst";
    author.bio_html = "<p>Jane has covered the peninsula for a decade.</p>";
    author_ = *store_->UpsertAuthor(author);
    outbox_ =
        std::make_unique<mail::Outbox>(*store_, mailer_, [](const mail::Message&, const Error&) {});
    site_ =
        std::make_unique<Site>(*store_, *theme_, "/nonexistent", content::PublicationOverrides{});
    site_->SetOutbox(outbox_.get());
    site_->AddRoutes(router_);
  }

  Post Article() const {
    Post post;
    post.slug = "deterrence";
    post.title = "Why Deterrence Still Works";
    post.dek = "Jane Doe argues that the old logic holds.";
    post.status = PostStatus::kPublished;
    post.published_at = 1709262000;
    post.section_id = section_;
    post.author_ids = {author_};
    post.image = {"/uploads/soldiers.jpg", "Soldiers at the border", "A patrol near the DMZ.",
                  "AP Photo/Lee Jin-man"};
    post.body_html = "<p>First paragraph of analysis.</p>";
    post.opinion = true;
    return post;
  }

  http::Response Get(const std::string& path) { return Get(router_, path); }
  static http::Response Get(const http::Router& router, const std::string& path) {
    http::Request request;
    request.path = path;
    request.target = path;
    auto match = router.Find(http::Method::kGet, path);
    const http::Handler* handler = match ? match->handler : &router.fallback();
    if (match) request.params = match->params;
    auto result = (*handler)(request);
    if (!result)
      return http::Response::Text(result.error().code == ErrorCode::kNotFound ? 404 : 500,
                                  result.error().message);
    return *result;
  }

  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<render::Theme> theme_;
  AcceptingMailer mailer_;
  std::unique_ptr<mail::Outbox> outbox_;
  std::unique_ptr<Site> site_;
  http::Router router_;
  std::int64_t section_ = 0, author_ = 0;
};

TEST_P(ArticlePage, ShowsEveryReferenceElementInOrder) {
  ASSERT_TRUE(store_->UpsertPost(Article()));
  const http::Response response = Get("/deterrence/");
  ASSERT_EQ(response.status, 200);
  EXPECT_TRUE(response.cacheable);
  const std::string& html = response.body;
  const std::vector<std::string> in_order = {
      "<a href=\"/section/security/\">Security and Foreign Policy</a>",
      "<h1 class=\"headline\">Why Deterrence Still Works</h1>",
      "<p class=\"dek\">Jane Doe argues that the old logic holds.</p>",
      "<a rel=\"author\" href=\"/author/jane-doe/\">Jane Doe</a>",
      "<time class=\"byline-date\" datetime=\"2024-02-29T22:00:00-05:00\">February 29, 2024</time>",
      "<img src=\"/uploads/soldiers.jpg\" alt=\"Soldiers at the border\"",
      "A patrol near the DMZ.",
      "AP Photo/Lee Jin-man",
      "First paragraph of analysis.",
      "Director for Partnerships and North Korea Analyst",
      "Jane has covered the peninsula for a decade.",
      "takes no institutional positions.",
      "Have you signed up for our newsletter?",
      "action=\"/newsletter/subscribe\"",
      "Leave a Reply",
      "action=\"/deterrence/comments\"",
  };
  size_t position = 0;
  for (const auto& needle : in_order) {
    const size_t found = html.find(needle, position);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << needle;
    position = found + needle.size();
  }
  EXPECT_EQ(html.find("<h1"), html.rfind("<h1"));  // exactly one h1
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  for (const char* field : {"name=\"name\"", "name=\"email\"", "name=\"website\"", "name=\"body\"",
                            "name=\"parent\""}) {
    EXPECT_NE(html.find(field), std::string::npos) << field;
  }
}

TEST_P(ArticlePage, WithoutMailOffersNoNewsletterSignup) {
  ASSERT_TRUE(store_->UpsertPost(Article()));
  Site without_mail(*store_, *theme_, "/nonexistent", content::PublicationOverrides{});
  http::Router router;
  without_mail.AddRoutes(router);
  const http::Response response = Get(router, "/deterrence/");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body.find("action=\"/newsletter/subscribe\""), std::string::npos);
  EXPECT_EQ(response.body.find("Have you signed up for our newsletter?"), std::string::npos);
  EXPECT_NE(response.body.find("Leave a Reply"), std::string::npos);
}

TEST_P(ArticlePage, JsonLdDescribesAnOpinionPiece) {
  ASSERT_TRUE(store_->UpsertPost(Article()));
  const std::string html = Get("/deterrence/").body;
  const std::string open = "<script type=\"application/ld+json\">";
  const auto start = html.find(open);
  ASSERT_NE(start, std::string::npos);
  const auto end = html.find("</script>", start);
  const auto ld =
      nlohmann::json::parse(html.substr(start + open.size(), end - start - open.size()));
  EXPECT_EQ(ld["@type"], "OpinionNewsArticle");
  EXPECT_EQ(ld["headline"], "Why Deterrence Still Works");
  EXPECT_EQ(ld["description"], "Jane Doe argues that the old logic holds.");
  EXPECT_EQ(ld["author"][0]["@type"], "Person");
  EXPECT_EQ(ld["author"][0]["jobTitle"], "Director for Partnerships and North Korea Analyst");
  EXPECT_EQ(ld["articleSection"], "Security and Foreign Policy");
  EXPECT_EQ(ld["image"]["creditText"], "AP Photo/Lee Jin-man");
  EXPECT_EQ(ld["image"]["url"], "https://meridian.example/uploads/soldiers.jpg");
  EXPECT_EQ(ld["publisher"]["name"], "The Meridian Review");
  EXPECT_EQ(ld["datePublished"], "2024-02-29T22:00:00-05:00");
}

TEST_P(ArticlePage, NewsPiecesAreNewsArticlesWithoutDisclaimer) {
  Post post = Article();
  post.opinion = false;
  ASSERT_TRUE(store_->UpsertPost(post));
  const std::string html = Get("/deterrence/").body;
  EXPECT_NE(html.find("\"@type\":\"NewsArticle\""), std::string::npos);
  EXPECT_EQ(html.find("class=\"disclaimer\""), std::string::npos);
}

TEST_P(ArticlePage, DisclaimerOverridesAndSwitchOff) {
  Post post = Article();
  post.disclaimer = "This piece is the author's alone.";
  ASSERT_TRUE(store_->UpsertPost(post));
  EXPECT_NE(Get("/deterrence/").body.find("This piece is the author&apos;s alone."),
            std::string::npos);
  post.disclaimer.reset();
  post.disclaimer_hidden = true;
  ASSERT_TRUE(store_->UpsertPost(post));
  EXPECT_EQ(Get("/deterrence/").body.find("class=\"disclaimer\""), std::string::npos);
  ASSERT_TRUE(store_->UpsertSection(
      {0, "security", "Security and Foreign Policy", "", true, "Section text.", 0}));
  post.disclaimer_hidden = false;
  ASSERT_TRUE(store_->UpsertPost(post));
  EXPECT_NE(Get("/deterrence/").body.find("Section text."), std::string::npos);
}

TEST_P(ArticlePage, HostileTextIsEscapedEverywhere) {
  Post post = Article();
  post.title = "<script>alert(1)</script>";
  post.dek = "\"><img src=x onerror=alert(2)>";
  post.image.credit = "</figcaption><script>alert(3)</script>";
  ASSERT_TRUE(store_->UpsertPost(post));
  const std::string html = Get("/deterrence/").body;
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  // Inside JSON-LD the title is JSON-escaped so it cannot close the script element.
  EXPECT_NE(html.find("\\u003cscript\\u003ealert(1)"), std::string::npos);
}

TEST_P(ArticlePage, ClosedCommentsShowNoForm) {
  Post post = Article();
  post.comments_open = false;
  ASSERT_TRUE(store_->UpsertPost(post));
  const std::string html = Get("/deterrence/").body;
  EXPECT_EQ(html.find("class=\"comment-form\""), std::string::npos);
  EXPECT_NE(html.find("Comments are closed."), std::string::npos);
}

TEST_P(ArticlePage, DraftsAndUnknownSlugsAreNotFound) {
  Post post = Article();
  post.status = PostStatus::kDraft;
  ASSERT_TRUE(store_->UpsertPost(post));
  EXPECT_EQ(Get("/deterrence/").status, 404);
  EXPECT_EQ(Get("/nothing-here/").status, 404);
}

TEST_P(ArticlePage, ListsPaginateAndLinkAuthorsAndSections) {
  for (int i = 0; i < 12; ++i) {
    Post post = Article();
    post.slug = "piece-" + std::to_string(i);
    post.published_at = 1709262000 + i;
    ASSERT_TRUE(store_->UpsertPost(post));
  }
  const std::string home = Get("/").body;
  EXPECT_NE(home.find("href=\"/piece-11/\""), std::string::npos);
  EXPECT_EQ(home.find("href=\"/piece-1/\""), std::string::npos);
  EXPECT_NE(home.find("href=\"/page/2/\""), std::string::npos);
  EXPECT_NE(Get("/page/2/").body.find("href=\"/piece-1/\""), std::string::npos);
  EXPECT_EQ(Get("/page/3/").status, 404);
  EXPECT_EQ(Get("/page/1/").status, 301);
  const std::string author = Get("/author/jane-doe/").body;
  EXPECT_NE(author.find("Jane has covered the peninsula"), std::string::npos);
  EXPECT_NE(author.find("\"ProfilePage\""), std::string::npos);
  EXPECT_NE(Get("/section/security/")
                .body.find("<h1 class=\"list-heading\">Security and Foreign Policy</h1>"),
            std::string::npos);
  EXPECT_EQ(Get("/section/nothing/").status, 404);
  EXPECT_EQ(Get("/tag/nothing/").status, 404);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, ArticlePage, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::site
