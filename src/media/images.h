// Image uploads, processed with libvips. An upload is recognised by its bytes: JPEG, PNG, WebP and
// GIF are accepted (a GIF becomes a PNG of its first frame); anything else — SVG, TIFF, PDF, a
// script renamed .jpg — is refused. Every output is re-encoded, so no metadata survives (EXIF,
// GPS, XMP, comments), and is turned upright first according to its EXIF orientation.
//
// Thread-safe (libvips is). libvips starts on first use (InitImages; calling it early is optional).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace broadsheet::media {

Result<void> InitImages();

struct ImageLimits {
  size_t max_bytes = 20 * 1024 * 1024;
  std::int64_t max_pixels = 50'000'000;  // width × height
  int max_side = 20000;
};

inline constexpr int kVariantWidths[] = {480, 960, 1600};

struct EncodedImage {
  int width = 0;
  int height = 0;
  std::string extension;  // "jpg", "png", "webp"
  std::string mime;       // "image/jpeg", …
  std::string data;
};

struct ProcessedImage {
  EncodedImage original;               // full size, metadata stripped
  std::vector<EncodedImage> variants;  // narrower copies, each in the original format and WebP
};

// kInvalidArgument naming the problem for anything that is not an acceptable image;
// kTooLarge beyond the limits.
Result<ProcessedImage> ProcessUpload(std::string_view data, const ImageLimits& limits = {});

}  // namespace broadsheet::media
