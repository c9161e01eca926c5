// A site directory: broadsheet.toml, broadsheet.db, uploads/, optional theme/ and content/.
// OpenSiteDir recognises one (and refuses a folder that is not a Broadsheet site); InitSite
// creates one, optionally with the demo publication imported.
#pragma once

#include <filesystem>
#include <memory>

#include "app/config.h"
#include "core/error.h"
#include "importers/content_folder.h"
#include "storage/sql_store.h"

namespace broadsheet::app {

struct SitePaths {
  std::filesystem::path root, config, database, uploads;
  std::filesystem::path search_index;  // search.xapian/, rebuilt from the database when missing
  explicit SitePaths(const std::filesystem::path& dir);
};

// kNotFound when `dir` does not exist; kConflict when it is not a Broadsheet site.
Result<SitePaths> OpenSiteDir(const std::filesystem::path& dir);

// Opens the site's database (applying migrations): database_url from the site's configuration
// (or BROADSHEET_DATABASE_URL) when set, else broadsheet.db. kConflict when a SQLite site has no
// broadsheet.db; kUnavailable when PostgreSQL cannot be reached.
Result<std::unique_ptr<SqlStore>> OpenStore(const SitePaths& paths);
Result<std::unique_ptr<SqlStore>> OpenStore(const SitePaths& paths, const Config& config);

struct InitReport {
  SitePaths paths;
  std::optional<importers::FolderReport> demo;  // set with `demo`
};

// Creates `dir` (which must not exist, or be empty) as a new site. With `demo`, writes the
// embedded demo content folder to DIR/content and imports it. With a PostgreSQL `database_url`,
// the site's data lives there (its schema made now; kConflict when it already holds posts or
// accounts) and broadsheet.toml names it when `url_in_file` (then readable by its owner only);
// otherwise the caller took it from BROADSHEET_DATABASE_URL, which later commands read too.
Result<InitReport> InitSite(const std::filesystem::path& dir, bool demo,
                            const std::string& database_url = "", bool url_in_file = true);

// A database that `migrate-store` copies from (kSource) or into (kTarget).
enum class StoreRole { kSource, kTarget };

// Opens the database at `url`, "postgresql://…" or "sqlite:PATH", applying migrations. A source
// must hold a Broadsheet site (kNotFound when it holds nothing); a target must be empty or a
// Broadsheet database, and a missing SQLite file is made. Another program's tables are refused
// (kConflict) before anything is written. Errors name the database without its password;
// kInvalidArgument for any other kind of address.
Result<std::unique_ptr<SqlStore>> OpenStoreAt(std::string_view url, StoreRole role);

// `url` with its password (if any) replaced by ***, to be printed.
std::string WithoutPassword(std::string_view url);

// `failed`, an error opening the PostgreSQL database at `url`, named as the site's, with libpq's
// reason, and with the URL's password (if any) replaced by *** wherever it appears.
Error DatabaseError(const Error& failed, std::string_view url);

}  // namespace broadsheet::app
