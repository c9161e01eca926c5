// Safe static files: resolving a request path under a root folder without escaping it, and the
// Content-Type for a file name.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace broadsheet::http {

// The file under `root` that `relative` (already percent-decoded, '/'-separated) names, or
// nullopt when it would leave `root` (.., absolute paths, symlinks out of root, NUL bytes,
// hidden dot-files) or is not a regular file.
std::optional<std::filesystem::path> ResolveUnder(const std::filesystem::path& root,
                                                  std::string_view relative);

// "image/png" etc. by extension; "application/octet-stream" when unknown.
std::string_view ContentTypeFor(std::string_view file_name);

// Reads a whole file, refusing files over `max_bytes`.
Result<std::string> ReadFile(const std::filesystem::path& path, size_t max_bytes);

}  // namespace broadsheet::http
