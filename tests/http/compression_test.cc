#include "http/compression.h"

#include <zlib.h>

#include <gtest/gtest.h>

namespace broadsheet::http {
namespace {

TEST(NegotiateEncoding, PrefersBrotliThenGzip) {
  EXPECT_EQ(NegotiateEncoding("gzip, deflate, br"), Encoding::kBrotli);
  EXPECT_EQ(NegotiateEncoding("gzip"), Encoding::kGzip);
  EXPECT_EQ(NegotiateEncoding("GZIP;q=0.5"), Encoding::kGzip);
  EXPECT_EQ(NegotiateEncoding(""), Encoding::kIdentity);
  EXPECT_EQ(NegotiateEncoding("identity"), Encoding::kIdentity);
}

TEST(NegotiateEncoding, HonoursQZero) {
  EXPECT_EQ(NegotiateEncoding("br;q=0, gzip"), Encoding::kGzip);
  EXPECT_EQ(NegotiateEncoding("br;q=0.0, gzip;q=0"), Encoding::kIdentity);
}

TEST(Gzip, RoundTripsThroughZlib) {
  const std::string text(5000, 'a');
  const std::string compressed = Gzip(text);
  ASSERT_FALSE(compressed.empty());
  EXPECT_LT(compressed.size(), text.size());
  std::string out(text.size(), '\0');
  z_stream stream{};
  ASSERT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  inflateEnd(&stream);
  EXPECT_EQ(out, text);
}

TEST(Brotli, Compresses) {
  const std::string text(5000, 'b');
  EXPECT_LT(Brotli(text).size(), 100u);
}

TEST(IsCompressible, TextYesImagesNo) {
  EXPECT_TRUE(IsCompressible("text/html; charset=utf-8"));
  EXPECT_TRUE(IsCompressible("application/json"));
  EXPECT_TRUE(IsCompressible("image/svg+xml"));
  EXPECT_FALSE(IsCompressible("image/png"));
}

}  // namespace
}  // namespace broadsheet::http
