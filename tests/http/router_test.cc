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

}  // namespace
}  // namespace broadsheet::http
