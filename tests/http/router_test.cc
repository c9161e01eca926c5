#include "http/router.h"

#include <gtest/gtest.h>

namespace broadsheet::http {
namespace {

Handler Named(std::string name) {
  return [name](const Request&) -> Result<Response> { return Response::Text(200, name); };
}

TEST(Router, MatchesLiteralsCapturesAndRest) {
  Router router;
  router.Add(Method::kGet, "/", Named("home"));
  router.Add(Method::kGet, "/section/{slug}/", Named("section"));
  router.Add(Method::kGet, "/assets/{path*}", Named("asset"));
  router.Add(Method::kGet, "/{slug}/", Named("post"));

  auto section = router.Find(Method::kGet, "/section/security/");
  ASSERT_TRUE(section);
  EXPECT_EQ(section->name, "/section/{slug}/");
  ASSERT_EQ(section->params.size(), 1u);
  EXPECT_EQ(section->params[0].second, "security");

  auto asset = router.Find(Method::kGet, "/assets/fonts/a.woff2");
  ASSERT_TRUE(asset);
  EXPECT_EQ(asset->params[0].second, "fonts/a.woff2");
  EXPECT_TRUE(router.Find(Method::kGet, "/"));
  EXPECT_TRUE(router.Find(Method::kHead, "/hello/"));  // HEAD is served by GET routes
}

TEST(Router, TrailingSlashAndEmptySegmentsMatter) {
  Router router;
  router.Add(Method::kGet, "/{slug}/", Named("post"));
  EXPECT_FALSE(router.Find(Method::kGet, "/hello"));
  EXPECT_FALSE(router.Find(Method::kGet, "//"));
  EXPECT_FALSE(router.Find(Method::kGet, "/a/b/"));
}

TEST(Router, OtherMethodOnAKnownPathIsReported) {
  Router router;
  router.Add(Method::kGet, "/", Named("home"));
  router.Add(Method::kPost, "/{slug}/comments", Named("comment"));
  bool path_matched = false;
  EXPECT_FALSE(router.Find(Method::kPost, "/", &path_matched));
  EXPECT_TRUE(path_matched);
  EXPECT_EQ(router.AllowedMethods("/"), "GET, HEAD");
  EXPECT_TRUE(router.Find(Method::kPost, "/x/comments"));
  EXPECT_FALSE(router.Find(Method::kGet, "/nowhere/", &path_matched));
  EXPECT_FALSE(path_matched);
}

TEST(Router, RoutesDeclareWhetherTheyReadTheirQueryAndTakeUploads) {
  Router router;
  router.Add(Method::kGet, "/search", Named("search"));
  router.Add(Method::kGet, "/feed/", Named("feed"), "feed", {Query::kIgnored});
  router.Add(Method::kPost, "/admin/media", Named("upload"), "admin",
             {Query::kUsed, Body::kUpload});
  router.Add(Method::kPost, "/admin/{rest*}", Named("desk"), "admin");
  EXPECT_EQ(router.OptionsFor(Method::kGet, "/search").query, Query::kUsed);
  EXPECT_EQ(router.OptionsFor(Method::kGet, "/feed/").query, Query::kIgnored);
  EXPECT_EQ(router.OptionsFor(Method::kHead, "/feed/").query, Query::kIgnored);
  EXPECT_EQ(router.Find(Method::kGet, "/feed/")->options.query, Query::kIgnored);
  EXPECT_EQ(router.OptionsFor(Method::kPost, "/admin/media").body, Body::kUpload);
  EXPECT_EQ(router.OptionsFor(Method::kPost, "/admin/settings").body, Body::kForm);
  EXPECT_EQ(router.OptionsFor(Method::kGet, "/admin/media").body, Body::kForm);  // no GET route
  EXPECT_EQ(router.OptionsFor(Method::kGet, "/nowhere").query, Query::kUsed);
}

TEST(Router, AsteriskListsEveryMethodSomeRouteAccepts) {
  Router router;
  router.Add(Method::kGet, "/", Named("home"));
  router.Add(Method::kPost, "/{slug}/comments", Named("comment"));
  EXPECT_EQ(router.AllowedMethods("*"), "GET, HEAD, POST");
}

}  // namespace
}  // namespace broadsheet::http
