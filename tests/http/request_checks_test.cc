#include "http/request_checks.h"

#include <gtest/gtest.h>

namespace broadsheet::http {
namespace {

namespace bhttp = boost::beast::http;

// The header Beast parses from `text` (a request line and fields, ending in a blank line).
bhttp::request_header<> Parsed(std::string_view text) {
  bhttp::request_parser<bhttp::empty_body> parser;
  boost::beast::error_code error;
  parser.put(boost::asio::buffer(text.data(), text.size()), error);
  EXPECT_TRUE(!error || error == bhttp::error::need_more) << error.message();
  return parser.get().base();
}

int StatusOf(std::string_view text) {
  const auto problem = CheckFraming(Parsed(text));
  return problem ? problem->status : 0;
}

TEST(CheckFraming, OnlyExactlyChunkedIsATransferCoding) {
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n"), 0);
  for (const char* coding : {"xchunked", "identity", "chunked, identity", "chunked, chunked", ""})
    EXPECT_EQ(StatusOf(std::string("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ") + coding +
                       "\r\n\r\n"),
              400)
        << coding;
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501);
  EXPECT_EQ(StatusOf("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n"
                     "Content-Length: 3\r\n\r\n"),
            400);
}

TEST(CheckFraming, HostIsRequiredOnceInHttp11) {
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.0\r\n\r\n"), 0);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), 0);
}

TEST(HasFoldedLine, FindsLinesThatStartWithSpaceOrTab) {
  EXPECT_TRUE(HasFoldedLine("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2"));
  EXPECT_TRUE(HasFoldedLine("GET / HTTP/1.1\r\n\tHost: a"));
  EXPECT_FALSE(HasFoldedLine("GET / HTTP/1.1\r\nHost: a\r\nX: 1 2"));
}

TEST(CacheKey, DecodesUnreservedEscapesOnly) {
  EXPECT_EQ(CacheKey("/about/"), "/about/");
  EXPECT_EQ(CacheKey("/%61b%6Fut/"), "/about/");
  EXPECT_EQ(CacheKey("/a%2fb/?q=%7e"), "/a%2Fb/?q=~");
  EXPECT_EQ(CacheKey("/%zz/%4"), "/%zz/%4");
}

TEST(ParseTarget, OriginFormIsSplitAndDecoded) {
  auto target = ParseTarget("/a%20b/?q=1");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->origin, "/a%20b/?q=1");
  EXPECT_EQ(target->path, "/a b/");
  EXPECT_EQ(target->query, "q=1");
}

// RFC 9112 section 3.2.2: a server must accept the absolute form; it is routed by its path.
TEST(ParseTarget, AbsoluteFormIsReducedToItsPathAndQuery) {
  auto target = ParseTarget("http://example.com/path?q");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->origin, "/path?q");
  EXPECT_EQ(target->path, "/path");
  EXPECT_EQ(target->query, "q");
  EXPECT_EQ(ParseTarget("HTTPS://example.com:8443/a/")->path, "/a/");
  EXPECT_EQ(ParseTarget("http://[::1]:8080")->origin, "/");
  EXPECT_EQ(ParseTarget("http://example.com?x=1")->origin, "/?x=1");
}

TEST(ParseTarget, OtherFormsAreRefused) {
  for (const char* bad : {"", "*", "example.com/path", "ftp://example.com/", "http:///path",
                          "http://user@example.com/", "http://exa mple.com/", "/a#fragment", "/%zz",
                          "http:/example.com/"}) {
    EXPECT_FALSE(ParseTarget(bad)) << bad;
  }
}

TEST(PageKey, DropsTheQueryForRoutesThatIgnoreIt) {
  const auto target = *ParseTarget("/feed/?x=123");
  EXPECT_EQ(PageKey(target, Query::None()), "/feed/");
  EXPECT_EQ(PageKey(*ParseTarget("http://a/%66eed/?y"), Query::None()), "/feed/");
  EXPECT_EQ(PageKey(*ParseTarget("/feed/?"), Query::None()), "/feed/");
}

TEST(PageKey, ARouteThatReadsAnyQueryIsNotCachedWithOne) {
  EXPECT_EQ(PageKey(*ParseTarget("/healthz?x=123"), Query::All()), std::nullopt);
  EXPECT_EQ(PageKey(*ParseTarget("/healthz"), Query::All()), "/healthz");
  EXPECT_EQ(PageKey(*ParseTarget("/healthz?"), Query::All()), "/healthz");
}

TEST(PageKey, KeysARouteOnTheParametersItDeclaresAlone) {
  const Query form = Query::Only({"replyto", "comment"});
  auto key = [&](const char* target) { return PageKey(*ParseTarget(target), form); };
  // Without any of its parameters, the page is the one at the bare path.
  for (const char* target : {"/a/", "/a/?", "/a/?x=1", "/a/?x=2&utm_source=y", "/a/?replyt=1"})
    EXPECT_EQ(key(target), "/a/") << target;
  EXPECT_EQ(key("/a/?replyto=7"), "/a/?replyto=7");
  EXPECT_EQ(key("/a/?x=1&replyto=7&y=2"), "/a/?replyto=7");
  EXPECT_EQ(key("/a/?replyto=7&comment=held"), key("/a/?comment=held&replyto=7"));
  EXPECT_EQ(key("/a/?replyto=7&replyto=8"), "/a/?replyto=7");
  EXPECT_EQ(key("/a/?replyto=%37"), "/a/?replyto=7");
  EXPECT_NE(key("/a/?replyto=7"), key("/a/?replyto=8"));
  EXPECT_EQ(key("/%61/?replyto=7"), "/a/?replyto=7");  // the path as CacheKey spells it
}

TEST(SelectQuery, AHandlerSeesWhatItsPageIsKeyedOn) {
  const Query form = Query::Only({"replyto", "comment"});
  const char* target = "/a%2Fb/?x=1&replyto=7&replyto=8&comment=held";
  Request request;
  request.target = target;
  request.query = ParseTarget(target)->query;
  SelectQuery(form, request);
  EXPECT_EQ(request.query, "comment=held&replyto=7");
  EXPECT_EQ(request.target, "/a%2Fb/?comment=held&replyto=7");
  EXPECT_EQ(CacheKey(request.target), *PageKey(*ParseTarget(target), form));
  EXPECT_FALSE(request.QueryParam("x"));

  request.target = "/a/?x=1";
  request.query = "x=1";
  SelectQuery(form, request);
  EXPECT_EQ(request.target, "/a/");
  EXPECT_EQ(request.query, "");

  request.target = "/a/?x=1";
  request.query = "x=1";
  SelectQuery(Query::All(), request);
  EXPECT_EQ(request.target, "/a/?x=1");
  EXPECT_EQ(request.query, "x=1");
}

TEST(BuildRequest, TakesTheClientFromTrustedProxiesOnly) {
  bhttp::request<bhttp::string_body> raw{bhttp::verb::get, "http://a.example/x/?q=1", 11};
  raw.set("X-Forwarded-For", "198.51.100.4");
  raw.set("Host", "a.example");
  const auto proxies = *AddressRanges::Parse({"10.0.0.1"});
  Request request;
  ASSERT_TRUE(BuildRequest(raw, "10.0.0.1", true, proxies, request));
  EXPECT_EQ(request.client_ip, "198.51.100.4");
  EXPECT_EQ(request.path, "/x/");
  EXPECT_EQ(request.target, "/x/?q=1");
  EXPECT_EQ(request.Header("host"), "a.example");
  ASSERT_TRUE(BuildRequest(raw, "192.0.2.1", false, proxies, request));
  EXPECT_EQ(request.client_ip, "192.0.2.1");
  raw.target("*");
  EXPECT_FALSE(BuildRequest(raw, "192.0.2.1", false, proxies, request));
}

}  // namespace
}  // namespace broadsheet::http
