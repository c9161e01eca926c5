// Image uploads, processed with libvips. An upload is recognised by its bytes: JPEG, PNG, WebP and
// GIF are accepted (a GIF becomes a PNG of its first frame); anything else — SVG, TIFF, PDF, a
// script renamed .jpg — is refused. Every output is re-encoded, so no metadata survives (EXIF,
// GPS, XMP, comments), and is turned upright first according to its EXIF orientation.
//
// Memory is bounded before anything is decoded: the header's width × height × channels × bytes
// per channel (a 16-bit RGBA pixel is 8 bytes) must fit ImageLimits::max_decoded_bytes. The image
// is then read top to bottom (sequential access), 16-bit images become 8-bit as they are read, and
// only the 8-bit copy is held while the outputs are made.
//
// libvips is process-wide: InitImages starts it once (thread-safely; calling it early is
// optional), with no operation cache and one worker thread per pipeline. Each call builds its own
// libvips objects; none is shared between threads. ImageProcessor bounds how many images the
// server processes at once and hands freed memory back to the system after each.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"

namespace broadsheet::media {

Result<void> InitImages();

struct ImageLimits {
  size_t max_bytes = 20 * 1024 * 1024;   // the uploaded file
  std::int64_t max_pixels = 50'000'000;  // width × height
  int max_side = 20000;
  // Width × height × channels × bytes per channel, as the file's header declares it.
  size_t max_decoded_bytes = 256 * 1024 * 1024;
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
// kTooLarge beyond the limits (checked on the header, before decoding). Not bounded in
// concurrency: the server goes through ImageProcessor.
Result<ProcessedImage> ProcessUpload(std::string_view data, const ImageLimits& limits = {});

// "image/jpeg", "image/png", "image/webp" or "image/gif" by the file's first bytes; empty for
// anything else. Only names the format a browser will read: nothing is decoded.
std::string_view ImageTypeOf(std::string_view data);

struct ImageSettings {
  ImageLimits limits;
  int max_jobs = 1;  // images processed at once
  // While every job is taken, another upload is turned away at once (no request thread waits
  // for a turn) and told to try again after this long: the Retry-After the desk sends.
  std::chrono::seconds retry_after{10};
};

// The server's image processing: ProcessUpload with at most `max_jobs` images at once. An upload
// that finds every job taken gets kUnavailable at once, with the sentence "Another image is being
// processed; try again in N seconds" (N = retry_after). After each image the C heap's free memory
// is returned to the system (malloc_trim), so a large image does not leave the server's resident
// size high. Thread-safe; not copyable.
class ImageProcessor {
 public:
  explicit ImageProcessor(ImageSettings settings = {});
  ImageProcessor(const ImageProcessor&) = delete;
  ImageProcessor& operator=(const ImageProcessor&) = delete;

  Result<ProcessedImage> Process(std::string_view data);

  const ImageSettings& settings() const { return settings_; }

 private:
  const ImageSettings settings_;
  std::mutex mutex_;
  int running_ = 0;
};

}  // namespace broadsheet::media
