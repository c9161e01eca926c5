#include "app/site_dir.h"

#include <fstream>

#include "app/config.h"
#include "core/embedded.h"

namespace broadsheet::app {
namespace fs = std::filesystem;

SitePaths::SitePaths(const fs::path& dir)
    : root(dir),
      config(dir / "broadsheet.toml"),
      database(dir / "broadsheet.db"),
      uploads(dir / "uploads"),
      search_index(dir / "search.xapian") {}

Result<SitePaths> OpenSiteDir(const fs::path& dir) {
  std::error_code error;
  if (!fs::exists(dir, error)) {
    return Fail(ErrorCode::kNotFound, "no site directory at " + dir.string() +
                                          " (create one with: broadsheet init " + dir.string() +
                                          ")");
  }
  if (!fs::is_directory(dir, error)) {
    return Fail(ErrorCode::kConflict, dir.string() + " is a file, not a site directory");
  }
  SitePaths paths(dir);
  if (!fs::exists(paths.config, error) || !fs::exists(paths.database, error)) {
    return Fail(ErrorCode::kConflict,
                dir.string() +
                    " is not a Broadsheet site (it needs broadsheet.toml and broadsheet.db; "
                    "create a site with: broadsheet init DIR)");
  }
  return paths;
}

Result<std::unique_ptr<SqliteStore>> OpenStore(const SitePaths& paths) {
  auto store = SqliteStore::Open({paths.database.string(), false});
  if (!store && store.error().code == ErrorCode::kConflict) {
    return Fail(ErrorCode::kConflict, paths.database.string() + ": " + store.error().message,
                store.error().detail);
  }
  return store;
}

namespace {

Result<void> WriteFile(const fs::path& path, std::string_view data) {
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return Fail(ErrorCode::kIo, "cannot write " + path.string());
  return {};
}

}  // namespace

Result<InitReport> InitSite(const fs::path& dir, bool demo) {
  std::error_code error;
  if (fs::exists(dir, error)) {
    if (!fs::is_directory(dir, error))
      return Fail(ErrorCode::kConflict, dir.string() + " exists and is a file");
    if (!fs::is_empty(dir, error)) {
      return Fail(ErrorCode::kConflict,
                  dir.string() + " already exists and is not empty; choose a new folder");
    }
  }
  fs::create_directories(dir, error);
  if (error) return Fail(ErrorCode::kIo, "cannot create " + dir.string(), error.message());
  InitReport report{SitePaths(dir), std::nullopt};
  const SitePaths& paths = report.paths;
  fs::create_directories(paths.uploads, error);
  if (error)
    return Fail(ErrorCode::kIo, "cannot create " + paths.uploads.string(), error.message());

  const std::string base_url = "http://127.0.0.1:8080";
  if (auto written = WriteFile(paths.config, DefaultConfigText(base_url)); !written) {
    return tl::unexpected(written.error());
  }
  auto store = SqliteStore::Open({paths.database.string(), true});
  if (!store) return tl::unexpected(store.error());
  Publication publication;
  publication.base_url = base_url;
  if (auto saved = (*store)->SavePublication(publication); !saved)
    return tl::unexpected(saved.error());

  if (demo) {
    const fs::path content = dir / "content";
    for (const auto& file : embedded::DemoSite()) {
      if (auto written = WriteFile(content / std::string(file.path), file.data); !written) {
        return tl::unexpected(written.error());
      }
    }
    importers::FolderOptions options;
    options.uploads_dir = paths.uploads;
    auto imported = importers::ImportFolder(**store, content, options);
    if (!imported) return tl::unexpected(imported.error());
    report.demo = std::move(*imported);
  }
  return report;
}

}  // namespace broadsheet::app
