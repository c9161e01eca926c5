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

}  // namespace
}  // namespace broadsheet::http
