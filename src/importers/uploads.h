// Images an import copies from the old platform's uploads folder (WordPress's wp-content/uploads,
// Ghost's content/images) into the site's uploads/, and the addresses in posts that point at
// them. Copies an import made are removed again when it fails.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace broadsheet::importers {

class UploadCopier {
 public:
  // Files under `from` are copied to `uploads_dir`/`folder`/… and served at
  // /uploads/`folder`/…; `marker` ("/wp-content/uploads/") is how old addresses of them read.
  // `copied` is told each (old path, new address), for a redirect. An empty `from`: no copies.
  UploadCopier(std::filesystem::path from, std::filesystem::path uploads_dir, std::string folder,
               std::string marker,
               std::function<Result<void>(const std::string&, const std::string&)> copied);

  // The new address of the file `url` names under the marker, copying it the first time;
  // nullopt when there is no such file (or no folder to copy from).
  Result<std::optional<std::string>> Copy(std::string_view url);
  // `html` with every address of a file that could be copied pointing at its copy.
  Result<std::string> Rewrite(std::string html);

  int copied() const { return static_cast<int>(created_.size()); }
  void RemoveCopies();

 private:
  std::filesystem::path from_, uploads_dir_;
  std::string folder_, marker_;
  std::function<Result<void>(const std::string&, const std::string&)> on_copy_;
  std::set<std::string> known_;                 // addresses copied or found copied already
  std::vector<std::filesystem::path> created_;  // files this import created
};

}  // namespace broadsheet::importers
