#include "http/message.h"

#include <gtest/gtest.h>

namespace broadsheet::http {
namespace {

// Found by the form fuzz target: %00 was refused but a literal NUL byte in a form body passed.
TEST(PercentDecode, RefusesANulByteEscapedOrNot) {
  EXPECT_FALSE(PercentDecode("a%00b"));
  EXPECT_FALSE(PercentDecode(std::string("a\0b", 3)));
  EXPECT_FALSE(PercentDecode(std::string("email=a\0b", 10), true));
  EXPECT_EQ(ParseQuery(std::string("csrf=x&email=a\0b", 17)).size(), 1u);  // the pair is skipped
}

TEST(PercentDecode, DecodesAndRefusesMalformedEscapes) {
  EXPECT_EQ(*PercentDecode("/caf%C3%A9/"), "/café/");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_EQ(*PercentDecode("a+b"), "a+b");
  EXPECT_FALSE(PercentDecode("%"));
  EXPECT_FALSE(PercentDecode("%4"));
  EXPECT_FALSE(PercentDecode("%zz"));
  EXPECT_FALSE(PercentDecode("a%00b"));
}

TEST(ParseQuery, SplitsAndDecodes) {
  const auto pairs = ParseQuery("q=north+korea&page=2&empty=&=skip&bad=%zz");
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"q", "north korea"}));
  EXPECT_EQ(pairs[1].second, "2");
  EXPECT_EQ(pairs[2].second, "");
}

TEST(Request, HeaderParamAndQueryLookups) {
  Request request;
  request.headers = {{"accept", "text/html"}};
  request.params = {{"slug", "x"}};
  request.query = "v=1";
  EXPECT_EQ(request.Header("accept"), "text/html");
  EXPECT_EQ(request.Header("missing"), "");
  EXPECT_EQ(request.Param("slug"), "x");
  EXPECT_EQ(request.QueryParam("v"), "1");
  EXPECT_FALSE(request.QueryParam("w"));
}

TEST(Response, RedirectCarriesLocation) {
  const Response response = Response::Redirect(301, "/new/");
  EXPECT_EQ(response.status, 301);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].second, "/new/");
}

}  // namespace
}  // namespace broadsheet::http
