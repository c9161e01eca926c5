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

TEST(Router, RoutesDeclareWhichQueryParametersTheyReadAndWhetherTheyTakeUploads) {
  Router router;
  router.Add(Method::kGet, "/search", Named("search"), "search", {Query::Only({"q", "page"})});
  router.Add(Method::kGet, "/feed/", Named("feed"), "feed", {Query::None()});
  router.Add(Method::kPost, "/admin/media", Named("upload"), "admin",
             {Query::All(), Body::kUpload});
  router.Add(Method::kPost, "/admin/{rest*}", Named("desk"), "admin");
  EXPECT_EQ(router.OptionsFor(Method::kGet, "/search").query, Query::Only({"page", "q"}));
  EXPECT_EQ(router.OptionsFor(Method::kGet, "/feed/").query, Query::None());
  EXPECT_EQ(router.OptionsFor(Method::kHead, "/feed/").query, Query::None());
  EXPECT_EQ(router.Find(Method::kGet, "/feed/")->options.query, Query::None());
  EXPECT_EQ(router.OptionsFor(Method::kPost, "/admin/settings").query, Query::All());
  EXPECT_EQ(router.OptionsFor(Method::kPost, "/admin/media").body, Body::kUpload);
  EXPECT_EQ(router.OptionsFor(Method::kPost, "/admin/settings").body, Body::kForm);
  EXPECT_EQ(router.OptionsFor(Method::kGet, "/admin/media").body, Body::kForm);  // no GET route
  EXPECT_EQ(router.OptionsFor(Method::kGet, "/nowhere").query, Query::All());
}

TEST(Query, DeclaredNamesAreASetWhateverTheirOrder) {
  EXPECT_EQ(Query::Only({"replyto", "comment"}), Query::Only({"comment", "replyto", "comment"}));
  EXPECT_EQ(Query::Only({"replyto", "comment"}).names(),
            (std::vector<std::string>{"comment", "replyto"}));
  EXPECT_NE(Query::Only({}), Query::All());
  EXPECT_EQ(Query::Only({}), Query::None());
  EXPECT_FALSE(Query::None().reads_all());
  EXPECT_TRUE(Query::All().reads_all());
}

TEST(Query, SelectKeepsTheDeclaredParametersInOrderOfName) {
  const Query form = Query::Only({"replyto", "comment"});
  EXPECT_EQ(form.Select("replyto=7&comment=held"), "comment=held&replyto=7");
  EXPECT_EQ(form.Select("comment=held&replyto=7"), "comment=held&replyto=7");
  EXPECT_EQ(Query::Only({"comment", "replyto"}).Select("replyto=7&comment=held"),
            "comment=held&replyto=7");
}

TEST(Query, SelectDropsParametersTheRouteDoesNotRead) {
  const Query form = Query::Only({"replyto", "comment"});
  EXPECT_EQ(form.Select("x=1"), "");
  EXPECT_EQ(form.Select("utm_source=mail&replyto=7&x=RANDOM"), "replyto=7");
  EXPECT_EQ(form.Select(""), "");
  EXPECT_EQ(form.Select("&&=&replyto"), "replyto=");  // a name without a value reads as empty
  EXPECT_EQ(Query::None().Select("replyto=7"), "");
  // A name is matched whole and as decoded, never by prefix.
  EXPECT_EQ(form.Select("replytox=7&xreplyto=8&reply%74o=9"), "replyto=9");
  EXPECT_EQ(Query::All().Select("x=1&b=%zz"), "x=1&b=%zz");  // as sent
}

TEST(Query, SelectKeepsTheFirstValueOfARepeatedParameter) {
  const Query search = Query::Only({"q", "page"});
  EXPECT_EQ(search.Select("q=a&q=b&page=2&page=3"), "page=2&q=a");
  EXPECT_EQ(search.Select("page=3&q=b&q=a"), "page=3&q=b");
  // What Request::QueryParam reads: a pair that does not decode is skipped by both.
  const std::string raw = "q=%zz&q=second&q=third";
  Request request;
  request.query = raw;
  EXPECT_EQ(*request.QueryParam("q"), "second");
  EXPECT_EQ(search.Select(raw), "q=second");
}

TEST(Query, SelectSpellsEveryEquivalentQueryTheSameWay) {
  const Query search = Query::Only({"q"});
  const std::string spelled = search.Select("q=a+b%2Cc");
  for (const char* raw : {"q=a%20b,c", "q=a+b%2cc", "q=%61%20b%2C%63", "x=9&q=a b,c"})
    EXPECT_EQ(search.Select(raw), spelled) << raw;
  EXPECT_EQ(spelled, "q=a%20b%2Cc");
  // Separators inside a value stay inside it.
  EXPECT_EQ(search.Select("q=a%26page%3D9"), "q=a%26page%3D9");
  EXPECT_EQ(search.Select(search.Select("q=%C3%A9t%C3%A9+x")), search.Select("q=%C3%A9t%C3%A9+x"));
}

TEST(Router, AsteriskListsEveryMethodSomeRouteAccepts) {
  Router router;
  router.Add(Method::kGet, "/", Named("home"));
  router.Add(Method::kPost, "/{slug}/comments", Named("comment"));
  EXPECT_EQ(router.AllowedMethods("*"), "GET, HEAD, POST");
}

}  // namespace
}  // namespace broadsheet::http
