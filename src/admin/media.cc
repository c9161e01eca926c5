// The desk's media library: uploads become stripped, resized images under media/ in the object
// store (the uploads/ folder or a bucket), with their alt text, caption and credit kept beside
// them. An upload that fails part-way leaves no files behind.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "auth/crypto.h"
#include "content/figure.h"
#include "core/slug.h"
#include "core/text.h"
#include "http/status.h"
#include "media/images.h"

namespace broadsheet::admin {
namespace {

using auth::Action;
using http::Request;
using http::Response;

constexpr int kMediaPerPage = 60;

}  // namespace

Result<MediaItem> Desk::SaveUpload(const auth::Viewer& viewer, const http::Request::File& file,
                                   const std::string& alt, const std::string& caption,
                                   const std::string& credit, bool decorative) const {
  auto prepared = PrepareUpload(viewer, file, alt, caption, credit, decorative);
  if (!prepared) return tl::unexpected(prepared.error());
  std::vector<std::string> written;
  auto item = StoreUpload(viewer, *prepared, written);
  if (!item) return tl::unexpected(item.error());
  Audit(viewer, "upload", std::nullopt, item->url);
  return item;
}

Result<Desk::PreparedUpload> Desk::PrepareUpload(const auth::Viewer& viewer,
                                                 const http::Request::File& file,
                                                 const std::string& alt, const std::string& caption,
                                                 const std::string& credit, bool decorative) const {
  if (!auth::Can(viewer.role, Action::kUploadMedia)) {
    return Fail(ErrorCode::kForbidden, "Your role does not allow uploading images.");
  }
  if (Trim(alt).empty() && !decorative) {
    return Fail(ErrorCode::kInvalidArgument,
                "Describe the image in its alt text before uploading it.");
  }
  auto processed = images_->Process(file.data);
  if (!processed) {
    // Every image job is taken: the sentence says when to try again (Retry-After).
    if (processed.error().code == ErrorCode::kUnavailable) {
      return Fail(ErrorCode::kUnavailable, processed.error().message + ".");
    }
    if (processed.error().code == ErrorCode::kInvalidArgument ||
        processed.error().code == ErrorCode::kTooLarge) {
      return Fail(processed.error().code, "Not uploaded: " + processed.error().message + ".");
    }
    return tl::unexpected(processed.error());
  }
  // Kept to a length in whole characters, and as UTF-8 whatever the browser sent.
  auto kept = [](std::string_view text, size_t limit) {
    return std::string(Utf8Prefix(ValidUtf8(Trim(text)), limit));
  };
  PreparedUpload upload;
  upload.image = std::move(*processed);
  upload.filename = file.filename;
  upload.alt = decorative ? "" : kept(alt, 500);
  upload.caption = kept(caption, 1000);
  upload.credit = kept(credit, 300);
  return upload;
}

void Desk::RemoveStored(const std::vector<std::string>& keys) const {
  for (const auto& key : keys) {
    if (auto removed = objects_.Delete(key); !removed)
      spdlog::warn("media: could not remove {} after a failed upload: {}", key,
                   Describe(removed.error()));
  }
}

Result<MediaItem> Desk::StoreUpload(const auth::Viewer& viewer, const PreparedUpload& upload,
                                    std::vector<std::string>& written) const {
  const CivilDate today = CivilDateIn(Now(), TimeZone());
  std::string stem = Slugify(std::filesystem::path(upload.filename).stem().string()).substr(0, 60);
  while (!stem.empty() && stem.back() == '-') stem.pop_back();
  if (stem.empty()) stem = "image";
  const std::string folder = fmt::format("media/{:04}/{:02}", today.year, today.month);
  const std::string base = auth::RandomToken().substr(0, 8) + "-" + stem;
  // Tokens are base64url; '_' and '-' are fine in paths, but keep names lower-case and tidy.
  std::string name;
  for (char c : base) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  MediaItem item;
  const auto& original = upload.image.original;
  const std::string original_key = folder + "/" + name + "." + original.extension;
  item.url = "/uploads/" + original_key;
  // Every file written here; removed again if a later file or the database step fails, so a
  // failed upload leaves nothing behind in the store.
  std::vector<std::string> written_keys;
  if (auto done = objects_.Put(original_key, original.data, original.mime); !done) {
    return tl::unexpected(done.error());
  }
  written_keys.push_back(original_key);
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& variant : upload.image.variants) {
    const std::string key =
        fmt::format("{}/{}-{}.{}", folder, name, variant.width, variant.extension);
    if (auto done = objects_.Put(key, variant.data, variant.mime); !done) {
      RemoveStored(written_keys);
      return tl::unexpected(done.error());
    }
    written_keys.push_back(key);
    variants.push_back({{"url", "/uploads/" + key},
                        {"width", variant.width},
                        {"height", variant.height},
                        {"mime", variant.mime}});
  }
  item.width = original.width;
  item.height = original.height;
  item.mime = original.mime;
  item.bytes = static_cast<std::int64_t>(original.data.size());
  item.variants = variants.dump();
  item.alt = upload.alt;
  item.caption = upload.caption;
  item.credit = upload.credit;
  item.original_name = std::string(Utf8Prefix(ValidUtf8(Trim(upload.filename)), 200));
  item.uploaded_by = viewer.user.id;
  item.created_at = Now();
  auto id = store_.CreateMedia(item);
  if (!id) {
    RemoveStored(written_keys);
    return tl::unexpected(id.error());
  }
  item.id = *id;
  written.insert(written.end(), written_keys.begin(), written_keys.end());
  return item;
}

Result<Response> Desk::MediaPage(const auth::Viewer& viewer, int status, const std::string& notice,
                                 const std::string& error, const std::string& alt,
                                 const std::string& caption, const std::string& credit) const {
  auto items = store_.ListMedia(kMediaPerPage, 0);
  if (!items) return tl::unexpected(items.error());
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& item : *items) {
    std::string thumb = item.url;
    int thumb_width = item.width, thumb_height = item.height;
    const auto variants = nlohmann::json::parse(item.variants, nullptr, false);
    if (variants.is_array() && !variants.empty()) {
      thumb = variants[0].value("url", item.url);
      thumb_width = variants[0].value("width", item.width);
      thumb_height = variants[0].value("height", item.height);
    }
    rows.push_back({{"id", item.id},
                    {"url", item.url},
                    {"thumb", thumb},
                    {"thumb_width", thumb_width},
                    {"thumb_height", thumb_height},
                    {"alt", item.alt},
                    {"credit", item.credit},
                    {"width", item.width},
                    {"height", item.height},
                    {"markdown", content::FigureMarkdown(item)}});
  }
  nlohmann::json view = {
      {"title", "Media"}, {"items", rows},
      {"notice", notice}, {"error", error},
      {"max_mb", 20},     {"form", {{"alt", alt}, {"caption", caption}, {"credit", credit}}}};
  return Render("media", std::move(view), status, viewer);
}

Result<Response> Desk::Media(const Request& request) const {
  auto viewer = Require(request, false, auth::Action::kUploadMedia,
                        "Your role does not allow uploading images.");
  if (!viewer) return Denied(request, viewer.error());
  return MediaPage(*viewer, 200, request.QueryParam("uploaded") ? "Uploaded." : "", "", "", "", "");
}

Result<Response> Desk::Upload(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const auto fields = request.FormFields();
  const std::string alt = http::FieldValue(fields, "alt");
  const std::string caption = http::FieldValue(fields, "caption");
  const std::string credit = http::FieldValue(fields, "credit");
  const auto files = request.Files();
  if (files.empty())
    return MediaPage(*viewer, 422, "", "Choose an image to upload.", alt, caption, credit);
  auto saved = SaveUpload(*viewer, files.front(), alt, caption, credit);
  if (!saved) {
    const auto code = saved.error().code;
    if (code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge ||
        code == ErrorCode::kUnavailable) {
      const int status = code == ErrorCode::kTooLarge      ? 413
                         : code == ErrorCode::kUnavailable ? 503
                                                           : 422;
      auto page = MediaPage(*viewer, status, "", saved.error().message, alt, caption, credit);
      if (page && code == ErrorCode::kUnavailable)
        page->headers.emplace_back("Retry-After", ImageRetryAfter());
      return page;
    }
    return tl::unexpected(saved.error());
  }
  return Response::Redirect(303, "/admin/media?uploaded=1");
}

Result<Response> Desk::UploadJson(const Request& request) const {
  auto json = [](int status, const nlohmann::json& body) {
    Response response;
    response.status = status;
    response.content_type = "application/json";
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    response.cache_control = "no-store";
    response.cacheable = false;
    return response;
  };
  auto viewer =
      Require(request, true, Action::kUploadMedia, "Your role does not allow uploading images.");
  if (!viewer) {
    const Error& error = viewer.error();
    if (error.code == ErrorCode::kUnauthenticated || error.code == ErrorCode::kForbidden) {
      return json(http::StatusFor(error.code), {{"error", error.message}});
    }
    return tl::unexpected(error);
  }
  const auto fields = request.FormFields();
  const auto files = request.Files();
  if (files.empty()) return json(422, {{"error", "Choose an image to upload."}});
  auto saved = SaveUpload(*viewer, files.front(), http::FieldValue(fields, "alt"),
                          http::FieldValue(fields, "caption"), http::FieldValue(fields, "credit"),
                          http::FieldValue(fields, "decorative") == "1");
  if (!saved) {
    const auto code = saved.error().code;
    if (code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge ||
        code == ErrorCode::kUnavailable || code == ErrorCode::kStorageFull) {
      const int status = code == ErrorCode::kInvalidArgument ? 422 : http::StatusFor(code);
      Response response = json(status, {{"error", saved.error().message}});
      if (code == ErrorCode::kUnavailable)
        response.headers.emplace_back("Retry-After", ImageRetryAfter());
      return response;
    }
    return tl::unexpected(saved.error());
  }
  return json(201, {{"url", saved->url},
                    {"alt", saved->alt},
                    {"caption", saved->caption},
                    {"credit", saved->credit},
                    {"width", saved->width},
                    {"height", saved->height}});
}

}  // namespace broadsheet::admin
