#include "http/static_files.h"

#include <array>
#include <fstream>
#include <utility>

namespace broadsheet::http {

std::optional<std::filesystem::path> ResolveUnder(const std::filesystem::path& root,
                                                  std::string_view relative) {
  if (relative.empty() || relative.size() > 1024) return std::nullopt;
  std::filesystem::path path = root;
  size_t start = 0;
  while (start <= relative.size()) {
    auto end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    const auto segment = relative.substr(start, end - start);
    start = end + 1;
    if (segment.empty()) continue;
    if (segment.front() == '.' || segment.find('\0') != std::string_view::npos ||
        segment.find('\\') != std::string_view::npos) {
      return std::nullopt;
    }
    path /= std::string(segment);
  }
  std::error_code error;
  const auto canonical_root = std::filesystem::canonical(root, error);
  if (error) return std::nullopt;
  const auto canonical = std::filesystem::canonical(path, error);
  if (error) return std::nullopt;
  const auto [root_end, unused] = std::mismatch(canonical_root.begin(), canonical_root.end(),
                                                canonical.begin(), canonical.end());
  if (root_end != canonical_root.end()) return std::nullopt;
  if (!std::filesystem::is_regular_file(canonical, error)) return std::nullopt;
  return canonical;
}

std::string_view ContentTypeFor(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kTypes = {{
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".avif", "image/avif"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".json", "application/json"},
      {".xml", "application/xml"},
      {".pdf", "application/pdf"},
      {".mp3", "audio/mpeg"},
      {".mp4", "video/mp4"},
  }};
  const auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string extension(file_name.substr(dot));
  for (auto& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [suffix, type] : kTypes) {
    if (extension == suffix) return type;
  }
  return "application/octet-stream";
}

Result<std::string> ReadFile(const std::filesystem::path& path, size_t max_bytes) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error)
    return Fail(ErrorCode::kNotFound, "no such file: " + path.filename().string(), error.message());
  if (size > max_bytes)
    return Fail(ErrorCode::kTooLarge, "file too large: " + path.filename().string());
  std::ifstream in(path, std::ios::binary);
  std::string data(size, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size))) {
    return Fail(ErrorCode::kIo, "cannot read " + path.filename().string());
  }
  return data;
}

}  // namespace broadsheet::http
