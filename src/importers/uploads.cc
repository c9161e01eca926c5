#include "importers/uploads.h"

#include <system_error>

#include "http/message.h"

namespace broadsheet::importers {

namespace fs = std::filesystem;

UploadCopier::UploadCopier(
    fs::path from, fs::path uploads_dir, std::string folder, std::string marker,
    std::function<Result<void>(const std::string&, const std::string&)> copied)
    : from_(std::move(from)),
      uploads_dir_(std::move(uploads_dir)),
      folder_(std::move(folder)),
      marker_(std::move(marker)),
      on_copy_(std::move(copied)) {}

Result<std::optional<std::string>> UploadCopier::Copy(std::string_view url) {
  if (from_.empty()) return std::nullopt;
  const size_t at = url.find(marker_);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view relative = url.substr(at + marker_.size());
  relative = relative.substr(0, relative.find_first_of("?#"));
  auto decoded = http::PercentDecode(relative);
  if (!decoded || decoded->empty()) return std::nullopt;
  const fs::path path = fs::path(*decoded).lexically_normal();
  if (path.is_absolute() || path.empty() || *path.begin() == "..") return std::nullopt;
  const std::string address = "/uploads/" + folder_ + "/" + path.generic_string();
  if (known_.contains(address)) return address;
  std::error_code error;
  const fs::path source = from_ / path;
  if (!fs::is_regular_file(source, error)) return std::nullopt;
  const fs::path target = uploads_dir_ / folder_ / path;
  if (!fs::exists(target, error)) {
    fs::create_directories(target.parent_path(), error);
    if (!fs::copy_file(source, target, error)) {
      return Fail(ErrorCode::kIo, "cannot copy " + source.string() + " to " + target.string() +
                                      ": " + error.message());
    }
    created_.push_back(target);
  }
  known_.insert(address);
  if (on_copy_) {
    if (auto told = on_copy_(marker_ + path.generic_string(), address); !told)
      return tl::unexpected(told.error());
  }
  return address;
}

Result<std::string> UploadCopier::Rewrite(std::string html) {
  if (from_.empty()) return html;
  std::string out;
  size_t done = 0;
  for (size_t at = html.find(marker_); at != std::string::npos; at = html.find(marker_, at + 1)) {
    // The address around the marker: between quotes, spaces or the commas of a srcset.
    constexpr std::string_view kEnds = "\"' ,\t\n<>()";
    const size_t start = html.find_last_of(kEnds, at);
    const size_t begin = start == std::string::npos ? 0 : start + 1;
    const size_t end = std::min(html.find_first_of(kEnds, at), html.size());
    if (begin < done) continue;
    auto local = Copy(std::string_view(html).substr(begin, end - begin));
    if (!local) return tl::unexpected(local.error());
    if (!*local) continue;
    out.append(html, done, begin - done);
    out += **local;
    done = end;
  }
  out.append(html, done);
  return out;
}

void UploadCopier::RemoveCopies() {
  std::error_code ignored;
  for (const fs::path& file : created_) fs::remove(file, ignored);
  created_.clear();
}

}  // namespace broadsheet::importers
