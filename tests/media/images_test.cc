#include "media/images.h"

#include <vips/vips.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace broadsheet::media {
namespace {

// A JPEG made by libvips, with an EXIF segment carrying `marker` inserted after the SOI marker.
std::string JpegWithExif(int width, int height, const std::string& marker) {
  VipsImage* black = nullptr;
  EXPECT_EQ(vips_black(&black, width, height, "bands", 3, nullptr), 0);
  void* buffer = nullptr;
  size_t length = 0;
  EXPECT_EQ(vips_jpegsave_buffer(black, &buffer, &length, nullptr), 0);
  std::string jpeg(static_cast<const char*>(buffer), length);
  g_free(buffer);
  g_object_unref(black);
  // TIFF header, one IFD entry: Artist (0x013B), ASCII, pointing at the marker text.
  std::string tiff =
      std::string("II*\0", 4) + std::string("\x08\0\0\0", 4) + std::string("\x01\0", 2);
  const std::string text = marker + '\0';
  tiff += std::string("\x3B\x01\x02\0", 4);
  const uint32_t count = static_cast<uint32_t>(text.size());
  tiff += std::string(reinterpret_cast<const char*>(&count), 4);
  const uint32_t offset = 26;
  tiff += std::string(reinterpret_cast<const char*>(&offset), 4);
  tiff += std::string("\0\0\0\0", 4) + text;
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const uint16_t size = static_cast<uint16_t>(payload.size() + 2);
  std::string segment = "\xFF\xE1";
  segment += static_cast<char>(size >> 8);
  segment += static_cast<char>(size & 0xFF);
  segment += payload;
  return jpeg.substr(0, 2) + segment + jpeg.substr(2);
}

class Images : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitImages()); }
};

TEST_F(Images, MakesStrippedVariantsInTheOriginalFormatAndWebp) {
  const std::string input = JpegWithExif(2000, 1000, "SECRET-GPS-MARKER");
  ASSERT_NE(input.find("SECRET-GPS-MARKER"), std::string::npos);
  auto processed = ProcessUpload(input);
  ASSERT_TRUE(processed) << processed.error().message << " " << processed.error().detail;
  EXPECT_EQ(processed->original.width, 2000);
  EXPECT_EQ(processed->original.extension, "jpg");
  EXPECT_EQ(processed->original.data.find("SECRET-GPS-MARKER"), std::string::npos);
  EXPECT_EQ(processed->original.data.find("Exif"), std::string::npos);
  ASSERT_EQ(processed->variants.size(), 6u);
  EXPECT_EQ(processed->variants[0].width, 480);
  EXPECT_EQ(processed->variants[0].height, 240);
  EXPECT_EQ(processed->variants[1].extension, "webp");
  EXPECT_EQ(processed->variants[5].width, 1600);
  for (const auto& variant : processed->variants) {
    EXPECT_EQ(variant.data.find("SECRET-GPS-MARKER"), std::string::npos);
  }
}

TEST_F(Images, SmallImagesGetNoLargerVariants) {
  auto processed = ProcessUpload(JpegWithExif(600, 400, "x"));
  ASSERT_TRUE(processed);
  ASSERT_EQ(processed->variants.size(), 2u);  // only 480, as JPEG and WebP
}

TEST_F(Images, RefusesWhatIsNotAnAcceptedImage) {
  const std::string jpeg = JpegWithExif(800, 600, "x");
  for (const std::string& bad :
       {std::string("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"),
        std::string("#!/bin/sh\nrm -rf /\n"), jpeg.substr(0, jpeg.size() / 3)}) {
    auto result = ProcessUpload(bad);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
}

// libvips has one error buffer per process: damaged uploads failing at once on the server's
// handler threads each read it (under ThreadSanitizer, a race before VipsMessage took its copy
// under libvips's lock).
TEST_F(Images, DamagedUploadsOnManyThreadsEachFailCleanly) {
  const std::string jpeg = JpegWithExif(400, 300, "x");
  const std::string damaged = jpeg.substr(0, jpeg.size() / 2);
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto result = ProcessUpload(damaged);
        if (!result && result.error().code == ErrorCode::kInvalidArgument) ++refused;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(refused.load(), 40);
}

TEST_F(Images, EnforcesSizeAndPixelLimits) {
  ImageLimits limits;
  limits.max_pixels = 100 * 100;
  EXPECT_EQ(ProcessUpload(JpegWithExif(200, 200, "x"), limits).error().code, ErrorCode::kTooLarge);
  limits = {};
  limits.max_bytes = 100;
  EXPECT_EQ(ProcessUpload(JpegWithExif(200, 200, "x"), limits).error().code, ErrorCode::kTooLarge);
}

}  // namespace
}  // namespace broadsheet::media
