// A site directory: broadsheet.toml, broadsheet.db, uploads/, optional theme/ and content/.
// OpenSiteDir recognises one (and refuses a folder that is not a Broadsheet site); InitSite
// creates one, optionally with the demo publication imported.
#pragma once

#include <filesystem>
#include <memory>

#include "core/error.h"
#include "importers/content_folder.h"
#include "storage/sqlite_store.h"

namespace broadsheet::app {

struct SitePaths {
  std::filesystem::path root, config, database, uploads;
  std::filesystem::path search_index;  // search.xapian/, rebuilt from the database when missing
  explicit SitePaths(const std::filesystem::path& dir);
};

// kNotFound when `dir` does not exist; kConflict when it is not a Broadsheet site.
Result<SitePaths> OpenSiteDir(const std::filesystem::path& dir);

// Opens the site's database (applying migrations).
Result<std::unique_ptr<SqliteStore>> OpenStore(const SitePaths& paths);

struct InitReport {
  SitePaths paths;
  std::optional<importers::FolderReport> demo;  // set with `demo`
};

// Creates `dir` (which must not exist, or be empty) as a new site. With `demo`, writes the
// embedded demo content folder to DIR/content and imports it.
Result<InitReport> InitSite(const std::filesystem::path& dir, bool demo);

}  // namespace broadsheet::app
