#include "http/request_reader.h"

#include <gtest/gtest.h>

namespace broadsheet::http {
namespace {

namespace bhttp = boost::beast::http;

RawRequest Raw(std::string target) {
  RawRequest raw{bhttp::verb::get, target, 11};
  raw.set("Host", "example.org");
  raw.set("X-Forwarded-For", "198.51.100.7, 203.0.113.9, 10.0.0.2");
  raw.set("X-Forwarded-Proto", "https");
  return raw;
}

TEST(RequestReader, DecodesThePathAndKeepsTheQueryRaw) {
  const auto proxies = *TrustedProxies::Parse({});
  Request request;
  ASSERT_TRUE(BuildRequest(Raw("/caf%C3%A9/?q=a%20b"), Method::kGet, {"192.0.2.1", false}, proxies,
                           request));
  EXPECT_EQ(request.path, "/caf\xC3\xA9/");
  EXPECT_EQ(request.query, "q=a%20b");
  EXPECT_EQ(request.Header("host"), "example.org");
  EXPECT_EQ(request.client_ip, "192.0.2.1");  // the forwarded headers of an untrusted peer
  EXPECT_FALSE(request.secure);
}

TEST(RequestReader, RefusesTargetsThatAreNotPaths) {
  const auto proxies = *TrustedProxies::Parse({});
  for (const char* target : {"*", "http://example.org/", "/bad%zz", "/nul%00"}) {
    Request request;
    EXPECT_FALSE(BuildRequest(Raw(target), Method::kGet, {"192.0.2.1", false}, proxies, request))
        << target;
  }
}

TEST(RequestReader, BehindTrustedProxiesTheClientIsTheRightmostUntrustedAddress) {
  const auto proxies = *TrustedProxies::Parse({"10.0.0.0/8", "127.0.0.1"});
  Request request;
  ASSERT_TRUE(BuildRequest(Raw("/"), Method::kGet, {"127.0.0.1", true}, proxies, request));
  EXPECT_EQ(request.client_ip, "203.0.113.9");
  EXPECT_TRUE(request.secure);
}

}  // namespace
}  // namespace broadsheet::http
