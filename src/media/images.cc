#include "media/images.h"

#include <malloc.h>
#include <vips/vips.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace broadsheet::media {
namespace {

struct Unref {
  void operator()(VipsImage* image) const {
    if (image != nullptr) g_object_unref(image);
  }
};
using Image = std::unique_ptr<VipsImage, Unref>;

// libvips keeps one error buffer for the process. vips_error_buffer() returns it without a
// lock, so copying it raced with another thread's failing upload appending to it;
// vips_error_buffer_copy() copies and clears it under libvips's lock.
std::string VipsMessage() {
  char* copy = vips_error_buffer_copy();
  std::string message = copy != nullptr ? copy : "";
  g_free(copy);
  return message;
}

enum class Format { kJpeg, kPng, kWebp };

// Removes every metadata field (EXIF with GPS, XMP, IPTC, comments) from the image itself, so no
// saver, thumbnail or variant can write them out again. The colour profile stays.
void StripMetadata(VipsImage* image) {
  gchar** fields = vips_image_get_fields(image);
  for (gchar** field = fields; *field != nullptr; ++field) {
    const std::string name = *field;
    if (name.starts_with("exif-") || name.starts_with("xmp-") || name.starts_with("iptc-") ||
        name.starts_with("ipct-") || name.starts_with("jpeg-comment") ||
        name.starts_with("png-comment") || name.starts_with("gif-comment") ||
        name == "orientation") {
      vips_image_remove(image, name.c_str());
    }
  }
  g_strfreev(fields);
}

Result<EncodedImage> Encode(VipsImage* image, Format format) {
  void* buffer = nullptr;
  size_t length = 0;
  int rc = -1;
  EncodedImage out;
  switch (format) {
    case Format::kJpeg:
      rc = vips_jpegsave_buffer(image, &buffer, &length, "Q", 85, "strip", TRUE, "interlace", TRUE,
                                nullptr);
      out.extension = "jpg";
      out.mime = "image/jpeg";
      break;
    case Format::kPng:
      rc = vips_pngsave_buffer(image, &buffer, &length, "strip", TRUE, "compression", 6, nullptr);
      out.extension = "png";
      out.mime = "image/png";
      break;
    case Format::kWebp:
      rc = vips_webpsave_buffer(image, &buffer, &length, "Q", 80, "strip", TRUE, nullptr);
      out.extension = "webp";
      out.mime = "image/webp";
      break;
  }
  if (rc != 0) return Fail(ErrorCode::kInternal, "the image could not be saved", VipsMessage());
  out.data.assign(static_cast<const char*>(buffer), length);
  g_free(buffer);
  out.width = vips_image_get_width(image);
  out.height = vips_image_get_height(image);
  return out;
}

}  // namespace

Result<void> InitImages() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = vips_init("broadsheet") == 0;
    if (ok) {
      // Processed uploads are never reused, so libvips keeps no operations, memory or files.
      vips_cache_set_max(0);
      vips_cache_set_max_mem(0);
      vips_cache_set_max_files(0);
      vips_concurrency_set(1);  // one worker thread per pipeline; ImageProcessor bounds pipelines
      // glibc raises its mmap threshold to the largest block freed (up to 32 MiB), and its trim
      // threshold to twice that, after which an image's buffers come from thread arenas whose
      // free tops are never returned: the server stayed hundreds of MB larger after an upload.
      // Fixed thresholds keep large buffers in mmap (unmapped when freed) and tops trimmed.
      ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
      ::mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
    }
  });
  if (!ok) return Fail(ErrorCode::kInternal, "libvips could not start", VipsMessage());
  return {};
}

std::string_view ImageTypeOf(std::string_view data) {
  if (data.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (data.starts_with("\x89PNG\r\n\x1A\n")) return "image/png";
  if (data.starts_with("GIF87a") || data.starts_with("GIF89a")) return "image/gif";
  if (data.size() >= 12 && data.starts_with("RIFF") && data.substr(8, 4) == "WEBP")
    return "image/webp";
  return {};
}

Result<ProcessedImage> ProcessUpload(std::string_view data, const ImageLimits& limits) {
  // libvips starts on the first upload, so a server that never receives one never loads it.
  if (auto ready = InitImages(); !ready) return tl::unexpected(ready.error());
  if (data.size() > limits.max_bytes) {
    return Fail(
        ErrorCode::kTooLarge,
        "the image is larger than " + std::to_string(limits.max_bytes / (1024 * 1024)) + " MiB");
  }
  const char* loader = vips_foreign_find_load_buffer(data.data(), data.size());
  if (loader == nullptr) {
    vips_error_clear();
    return Fail(ErrorCode::kInvalidArgument, "the file is not an image (JPEG, PNG, WebP or GIF)");
  }
  const std::string name = loader;
  Format format;
  if (name.find("Jpeg") != std::string::npos)
    format = Format::kJpeg;
  else if (name.find("Png") != std::string::npos || name.find("Gif") != std::string::npos)
    format = Format::kPng;
  else if (name.find("Webp") != std::string::npos)
    format = Format::kWebp;
  else
    return Fail(ErrorCode::kInvalidArgument, "only JPEG, PNG, WebP and GIF images can be uploaded");

  // Sequential: the file is read top to bottom once, never held decoded as a whole. Only the
  // header is read here. "fail": a damaged or truncated file is refused, not patched up with grey.
  Image loaded(vips_image_new_from_buffer(data.data(), data.size(), "", "access",
                                          VIPS_ACCESS_SEQUENTIAL, "fail", TRUE, nullptr));
  if (!loaded)
    return Fail(ErrorCode::kInvalidArgument, "the image is damaged and cannot be read",
                VipsMessage());
  const int width = vips_image_get_width(loaded.get());
  const int height = vips_image_get_height(loaded.get());
  if (width <= 0 || height <= 0 || width > limits.max_side || height > limits.max_side ||
      static_cast<std::int64_t>(width) * height > limits.max_pixels) {
    return Fail(ErrorCode::kTooLarge, "the image has too many pixels (at most " +
                                          std::to_string(limits.max_pixels / 1'000'000) +
                                          " megapixels)");
  }
  const VipsBandFormat band_format = vips_image_get_format(loaded.get());
  const std::uint64_t bytes_per_channel = vips_format_sizeof(band_format);
  const std::uint64_t decoded =
      static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height) *
      static_cast<std::uint64_t>(vips_image_get_bands(loaded.get())) * bytes_per_channel;
  if (decoded > limits.max_decoded_bytes) {
    return Fail(ErrorCode::kTooLarge,
                fmt::format("the image is too large to process: {}×{} at {} bits per channel "
                            "(at most {} MiB decoded)",
                            width, height, bytes_per_channel * 8,
                            limits.max_decoded_bytes / (1024 * 1024)));
  }
  // 16-bit (and any wider) images become 8-bit as they are read, before anything is held.
  Image narrow;
  VipsImage* source = loaded.get();
  if (band_format != VIPS_FORMAT_UCHAR) {
    VipsImage* converted = nullptr;
    const VipsInterpretation target =
        vips_image_get_bands(source) >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W;
    if (vips_colourspace(source, &converted, target, nullptr) != 0) {
      return Fail(ErrorCode::kInvalidArgument, "the image's colours cannot be read", VipsMessage());
    }
    narrow.reset(converted);
    if (vips_image_get_format(converted) != VIPS_FORMAT_UCHAR) {
      VipsImage* cast = nullptr;
      if (vips_cast(converted, &cast, VIPS_FORMAT_UCHAR, "shift", TRUE, nullptr) != 0) {
        return Fail(ErrorCode::kInvalidArgument, "the image's colours cannot be read",
                    VipsMessage());
      }
      narrow.reset(cast);
    }
    source = narrow.get();
  }
  // Decode fully once, top to bottom (a truncated file fails here). Turning it upright comes
  // after: a rotation reads the file out of order, which a sequential read refuses.
  Image in_memory(vips_image_copy_memory(source));
  if (!in_memory)
    return Fail(ErrorCode::kInvalidArgument, "the image is damaged and cannot be read",
                VipsMessage());
  narrow.reset();
  loaded.reset();
  // A view of the decoded copy, not a second copy: rotated as each output reads it.
  VipsImage* rotated = nullptr;
  if (vips_autorot(in_memory.get(), &rotated, nullptr) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "the image is damaged and cannot be read",
                VipsMessage());
  }
  Image upright(rotated);
  StripMetadata(upright.get());
  ProcessedImage result;
  auto original = Encode(upright.get(), format);
  if (!original) return tl::unexpected(original.error());
  result.original = std::move(*original);
  // A JPEG can be decoded already reduced (libjpeg scales while it decodes, at 1/2, 1/4, 1/8), so
  // each JPEG variant is made from the file again with shrink-on-load, after the full-size copy
  // is let go: cheaper than resizing the full image each time, and less memory held at once.
  // (libvips reduces the decode only for a variant at least 4× narrower; a nearer one is decoded
  // at full size again, streamed, never held whole.)
  // vips_thumbnail turns it upright and handles its colour profile exactly as for the decoded
  // copy. WebP, PNG and GIF have no reduced decode (libwebp's scaled decode still decodes every
  // pixel: measured slower, docs/BENCHMARKS.md), so their variants come from the decoded copy.
  const bool shrink_on_load = format == Format::kJpeg;
  if (shrink_on_load) {
    upright.reset();
    in_memory.reset();
  }
  for (int target : kVariantWidths) {
    if (target >= result.original.width) continue;
    VipsImage* scaled = nullptr;
    const int rc =
        shrink_on_load
            ? vips_thumbnail_buffer(const_cast<char*>(data.data()), data.size(), &scaled, target,
                                    "height", 100000, nullptr)
            : vips_thumbnail_image(upright.get(), &scaled, target, "height", 100000, nullptr);
    if (rc != 0) return Fail(ErrorCode::kInternal, "the image could not be resized", VipsMessage());
    Image variant(scaled);
    if (shrink_on_load) {
      // Read sequentially from the file, so held (at the variant's size, smaller than the
      // original's) for its two encodings.
      variant.reset(vips_image_copy_memory(scaled));  // unrefs the sequential one
      if (!variant)
        return Fail(ErrorCode::kInternal, "the image could not be resized", VipsMessage());
    }
    StripMetadata(variant.get());
    std::vector<Format> formats = {format};
    if (format != Format::kWebp) formats.push_back(Format::kWebp);
    for (Format variant_format : formats) {
      auto encoded = Encode(variant.get(), variant_format);
      if (!encoded) return tl::unexpected(encoded.error());
      result.variants.push_back(std::move(*encoded));
    }
  }
  return result;
}

ImageProcessor::ImageProcessor(ImageSettings settings) : settings_(std::move(settings)) {}

Result<ProcessedImage> ImageProcessor::Process(std::string_view data) {
  {
    std::lock_guard lock(mutex_);
    if (running_ >= settings_.max_jobs) {
      const auto seconds = std::max<std::int64_t>(1, settings_.retry_after.count());
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("Another image is being processed; try again in {} second{}", seconds,
                              seconds == 1 ? "" : "s"));
    }
    ++running_;
  }
  auto processed = ProcessUpload(data, settings_.limits);
  // Decoding leaves megabytes of freed heap in this thread's malloc arena; give it back.
  ::malloc_trim(0);
  {
    std::lock_guard lock(mutex_);
    --running_;
  }
  return processed;
}

}  // namespace broadsheet::media
