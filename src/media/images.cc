#include "media/images.h"

#include <vips/vips.h>

#include <memory>
#include <mutex>

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
      vips_cache_set_max(0);  // processed uploads are never reused
      vips_concurrency_set(1);
    }
  });
  if (!ok) return Fail(ErrorCode::kInternal, "libvips could not start", VipsMessage());
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

  // "fail": a damaged or truncated file is refused, not patched up with grey.
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
  // Decode fully once (a truncated file fails here), turned upright.
  VipsImage* rotated = nullptr;
  if (vips_autorot(loaded.get(), &rotated, nullptr) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "the image is damaged and cannot be read",
                VipsMessage());
  }
  Image oriented(rotated);
  Image upright(vips_image_copy_memory(oriented.get()));
  if (!upright)
    return Fail(ErrorCode::kInvalidArgument, "the image is damaged and cannot be read",
                VipsMessage());
  StripMetadata(upright.get());
  ProcessedImage result;
  auto original = Encode(upright.get(), format);
  if (!original) return tl::unexpected(original.error());
  result.original = std::move(*original);
  for (int target : kVariantWidths) {
    if (target >= result.original.width) continue;
    VipsImage* scaled = nullptr;
    if (vips_thumbnail_image(upright.get(), &scaled, target, "height", 100000, nullptr) != 0) {
      return Fail(ErrorCode::kInternal, "the image could not be resized", VipsMessage());
    }
    Image variant(scaled);
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

}  // namespace broadsheet::media
