#include "media/images.h"

#include <vips/vips.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
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

// A PNG made by libvips: `bands` channels of `bits` (8 or 16) bits, a smooth gradient.
std::string Png(int width, int height, int bands, int bits) {
  VipsImage* ramp = nullptr;
  EXPECT_EQ(vips_xyz(&ramp, width, height, nullptr), 0);
  VipsImage* first = nullptr;
  EXPECT_EQ(vips_extract_band(ramp, &first, 0, nullptr), 0);
  VipsImage** copies = static_cast<VipsImage**>(g_malloc(sizeof(VipsImage*) * bands));
  for (int i = 0; i < bands; ++i) copies[i] = first;
  VipsImage* joined = nullptr;
  EXPECT_EQ(vips_bandjoin(copies, &joined, bands, nullptr), 0);
  g_free(copies);
  VipsImage* cast = nullptr;
  EXPECT_EQ(vips_cast(joined, &cast, bits == 16 ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR, nullptr),
            0);
  VipsImage* tagged = nullptr;
  const VipsInterpretation interpretation =
      bits == 16 ? (bands >= 3 ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_GREY16)
                 : (bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W);
  EXPECT_EQ(vips_copy(cast, &tagged, "interpretation", interpretation, nullptr), 0);
  void* buffer = nullptr;
  size_t length = 0;
  EXPECT_EQ(vips_pngsave_buffer(tagged, &buffer, &length, "bitdepth", bits, nullptr), 0);
  std::string png(static_cast<const char*>(buffer), length);
  g_free(buffer);
  for (VipsImage* image : {ramp, first, joined, cast, tagged}) g_object_unref(image);
  return png;
}

// A gradient image saved as JPEG or WebP by libvips, with an EXIF orientation (1 = upright).
std::string Encoded(int width, int height, const char* format, int orientation) {
  VipsImage* ramp = nullptr;
  EXPECT_EQ(vips_xyz(&ramp, width, height, nullptr), 0);
  VipsImage* rgb = nullptr;
  VipsImage* bands[] = {ramp, ramp, ramp};
  EXPECT_EQ(vips_bandjoin(bands, &rgb, 3, nullptr), 0);
  VipsImage* cast = nullptr;
  EXPECT_EQ(vips_cast(rgb, &cast, VIPS_FORMAT_UCHAR, nullptr), 0);
  vips_image_set_int(cast, "orientation", orientation);
  void* buffer = nullptr;
  size_t length = 0;
  const std::string kind = format;
  EXPECT_EQ(kind == "jpeg" ? vips_jpegsave_buffer(cast, &buffer, &length, nullptr)
                           : vips_webpsave_buffer(cast, &buffer, &length, nullptr),
            0);
  std::string out(static_cast<const char*>(buffer), length);
  g_free(buffer);
  for (VipsImage* image : {ramp, rgb, cast}) g_object_unref(image);
  return out;
}

// The sizes vips_thumbnail gives when resizing the whole decoded, upright image: what the
// variants were before shrink-on-load, and must still be.
std::pair<int, int> FullDecodeSize(const std::string& data, int target) {
  VipsImage* loaded = vips_image_new_from_buffer(data.data(), data.size(), "", nullptr);
  EXPECT_NE(loaded, nullptr);
  VipsImage* upright = nullptr;
  EXPECT_EQ(vips_autorot(loaded, &upright, nullptr), 0);
  VipsImage* scaled = nullptr;
  EXPECT_EQ(vips_thumbnail_image(upright, &scaled, target, "height", 100000, nullptr), 0);
  std::pair<int, int> size = {vips_image_get_width(scaled), vips_image_get_height(scaled)};
  for (VipsImage* image : {loaded, upright, scaled}) g_object_unref(image);
  return size;
}

// The bit depth a PNG's header declares (IHDR: signature 8, length 4, type 4, width 4, height 4).
int PngBitDepth(const std::string& png) { return static_cast<unsigned char>(png.at(24)); }

long ResidentKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
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

TEST_F(Images, VariantsKeepTheirSizesOrientationAndStripping) {
  // Odd sizes, where JPEG's reduced decode (1/2, 1/4, 1/8) could round differently than resizing
  // the whole decoded image (WebP: from the decoded copy).
  struct Case {
    const char* format;
    int width, height, orientation;
  };
  for (const Case& c : {Case{"jpeg", 3001, 2003, 1}, Case{"jpeg", 3001, 2003, 6},
                        Case{"jpeg", 4095, 1023, 8}, Case{"webp", 2999, 1999, 1}}) {
    SCOPED_TRACE(std::string(c.format) + " " + std::to_string(c.width) + "x" +
                 std::to_string(c.height) + " orientation " + std::to_string(c.orientation));
    const std::string input = Encoded(c.width, c.height, c.format, c.orientation);
    auto processed = ProcessUpload(input);
    ASSERT_TRUE(processed) << processed.error().message << " " << processed.error().detail;
    const bool turned = c.orientation >= 5;  // 5–8 swap width and height
    EXPECT_EQ(processed->original.width, turned ? c.height : c.width);
    size_t index = 0;
    for (int target : kVariantWidths) {
      if (target >= processed->original.width) continue;
      const auto expected = FullDecodeSize(input, target);
      const size_t formats = std::string(c.format) == "webp" ? 1 : 2;
      for (size_t i = 0; i < formats; ++i, ++index) {
        ASSERT_LT(index, processed->variants.size());
        const auto& variant = processed->variants[index];
        EXPECT_EQ(variant.width, expected.first);
        EXPECT_EQ(variant.height, expected.second);
        // Re-read: upright, so no orientation but 1 is left to apply, and a JPEG has no EXIF.
        // (libvips 8.14's WebP saver writes a minimal EXIF of its own: resolution, orientation 1.)
        VipsImage* back =
            vips_image_new_from_buffer(variant.data.data(), variant.data.size(), "", nullptr);
        ASSERT_NE(back, nullptr);
        EXPECT_EQ(vips_image_get_width(back), expected.first);
        if (variant.extension == "jpg") {
          EXPECT_EQ(vips_image_get_typeof(back, VIPS_META_EXIF_NAME), 0u);
        }
        int orientation = 1;
        if (vips_image_get_typeof(back, VIPS_META_ORIENTATION) != 0) {
          EXPECT_EQ(vips_image_get_int(back, VIPS_META_ORIENTATION, &orientation), 0);
        }
        EXPECT_EQ(orientation, 1);
        g_object_unref(back);
      }
    }
    EXPECT_EQ(index, processed->variants.size());
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

TEST_F(Images, NamesTheFormatsABrowserShowsByTheirFirstBytes) {
  EXPECT_EQ(ImageTypeOf(JpegWithExif(40, 30, "x")), "image/jpeg");
  auto processed = ProcessUpload(JpegWithExif(600, 400, "x"));
  ASSERT_TRUE(processed);
  for (const auto& variant : processed->variants)
    EXPECT_EQ(ImageTypeOf(variant.data), variant.mime);
  EXPECT_EQ(ImageTypeOf("GIF89a\x01\x00"), "image/gif");
  EXPECT_EQ(ImageTypeOf("\x89PNG\r\n\x1A\n...."), "image/png");
  // Whatever a browser would run or that this does not recognise: nothing.
  EXPECT_EQ(ImageTypeOf("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "");
  EXPECT_EQ(ImageTypeOf("RIFF\x10\x00\x00\x00WAVE"), "");
  EXPECT_EQ(ImageTypeOf(""), "");
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

TEST_F(Images, RefusesFromTheHeaderWhatWouldDecodeBeyondTheMemoryBudget) {
  // 1000 × 1000 RGBA at 16 bits is 8 MB decoded; at 8 bits, 4 MB.
  ImageLimits limits;
  limits.max_decoded_bytes = 6 * 1000 * 1000;
  auto deep = ProcessUpload(Png(1000, 1000, 4, 16), limits);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().code, ErrorCode::kTooLarge);
  EXPECT_TRUE(ProcessUpload(Png(1000, 1000, 4, 8), limits));
}

TEST_F(Images, SixteenBitImagesBecomeEightBit) {
  for (int bands : {1, 2, 3, 4}) {
    const std::string input = Png(600, 300, bands, 16);
    ASSERT_EQ(PngBitDepth(input), 16);
    auto processed = ProcessUpload(input);
    ASSERT_TRUE(processed) << processed.error().message << " " << processed.error().detail;
    EXPECT_EQ(PngBitDepth(processed->original.data), 8) << bands;
    EXPECT_EQ(processed->original.width, 600);
    ASSERT_EQ(processed->variants.size(), 2u);
    EXPECT_EQ(PngBitDepth(processed->variants[0].data), 8);
  }
}

TEST_F(Images, TurnsImagesUprightAlsoWhenReadSequentially) {
  VipsImage* black = nullptr;
  ASSERT_EQ(vips_black(&black, 1200, 600, "bands", 3, nullptr), 0);
  vips_image_set_int(black, "orientation", 6);  // rotate 90° clockwise to show
  void* buffer = nullptr;
  size_t length = 0;
  ASSERT_EQ(vips_jpegsave_buffer(black, &buffer, &length, nullptr), 0);
  const std::string jpeg(static_cast<const char*>(buffer), length);
  g_free(buffer);
  g_object_unref(black);
  auto processed = ProcessUpload(jpeg);
  ASSERT_TRUE(processed) << processed.error().message << " " << processed.error().detail;
  EXPECT_EQ(processed->original.width, 600);
  EXPECT_EQ(processed->original.height, 1200);
}

TEST_F(Images, MemoryGoesBackAfterAnImage) {
  ImageProcessor processor;
  const std::string input = Png(2000, 2000, 4, 8);  // 16 MB decoded
  ASSERT_TRUE(processor.Process(input));            // warm up libvips and the threads
  const long before = ResidentKb();
  ASSERT_TRUE(processor.Process(input));
  EXPECT_LT(ResidentKb(), before + 20 * 1024);
}

TEST_F(Images, AnImageArrivingWhileEveryJobIsTakenIsTurnedAwayAtOnceWithWhenToRetry) {
  ImageSettings settings;
  settings.max_jobs = 1;
  settings.retry_after = std::chrono::seconds(7);
  ImageProcessor processor(settings);
  const std::string large = Png(3000, 3000, 4, 8);
  const std::string small = Png(100, 100, 3, 8);
  std::atomic<bool> started = false;
  std::atomic<bool> done = false;
  std::thread busy([&] {
    // The small images below may hold the one job for a moment: try until the large one runs.
    while (true) {
      started = true;
      auto result = processor.Process(large);
      if (result || result.error().code != ErrorCode::kUnavailable) {
        EXPECT_TRUE(result);
        break;
      }
    }
    done = true;
  });
  while (!started) std::this_thread::yield();
  int turned_away = 0;
  std::string message;
  while (!done) {
    auto result = processor.Process(small);
    if (!result && result.error().code == ErrorCode::kUnavailable) {
      ++turned_away;
      message = result.error().message;
    }
  }
  busy.join();
  // Turned away at once, not after a wait: many times while one large image was processed.
  EXPECT_GT(turned_away, 1);
  EXPECT_EQ(message, "Another image is being processed; try again in 7 seconds");
  EXPECT_TRUE(processor.Process(small));  // free again afterwards
}

}  // namespace
}  // namespace broadsheet::media
