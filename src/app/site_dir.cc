#include "app/site_dir.h"

#include <fstream>
#include <string_view>
#include <vector>

#include "app/config.h"
#include "content/body.h"
#include "core/embedded.h"
#include "storage/copy.h"

namespace broadsheet::app {
namespace fs = std::filesystem;

SitePaths::SitePaths(const fs::path& dir)
    : root(dir),
      config(dir / "broadsheet.toml"),
      database(dir / "broadsheet.db"),
      uploads(dir / "uploads"),
      search_index(dir / "search.xapian") {}

namespace {

// The password in a PostgreSQL URL (after USER: in its authority, or a password= parameter).
std::vector<std::string> UrlSecrets(std::string_view url) {
  std::vector<std::string> secrets;
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    const std::string_view rest = url.substr(scheme + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    const size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      const std::string_view user = authority.substr(0, at);
      const size_t colon = user.find(':');
      if (colon != std::string_view::npos && colon + 1 < user.size())
        secrets.emplace_back(user.substr(colon + 1));
    }
  }
  for (size_t at = url.find("password="); at != std::string_view::npos;
       at = url.find("password=", at + 9)) {
    const std::string_view value = url.substr(at + 9, url.find('&', at) - (at + 9));
    if (!value.empty()) secrets.emplace_back(value);
  }
  return secrets;
}

// `text` with every secret of `url` replaced by ***.
std::string Redacted(std::string text, std::string_view url) {
  for (const std::string& secret : UrlSecrets(url)) {
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
      text.replace(at, secret.size(), "***");
  }
  return text;
}

// `failed`, from opening the database at `url`, under the name `what`.
Error NamedDatabaseError(const Error& failed, std::string_view url, std::string_view what) {
  // libpq's reason names the host and what went wrong; a malformed URL it may quote whole.
  std::string message = std::string(what) + ": " + failed.message;
  if (failed.code == ErrorCode::kUnavailable && !failed.detail.empty())
    message += " (" + failed.detail + ")";
  return Error{failed.code, Redacted(std::move(message), url), Redacted(failed.detail, url)};
}

}  // namespace

Error DatabaseError(const Error& failed, std::string_view url) {
  return NamedDatabaseError(failed, url, "the site's PostgreSQL database");
}

std::string WithoutPassword(std::string_view url) { return Redacted(std::string(url), url); }

Result<std::unique_ptr<SqlStore>> OpenStoreAt(std::string_view url, StoreRole role) {
  const std::string address(url);
  const bool postgres = storage::IsPostgresUrl(address);
  if (!postgres && !address.starts_with("sqlite:")) {
    return Fail(ErrorCode::kInvalidArgument,
                "a database is named postgresql://USER@HOST/DATABASE or sqlite:PATH, not " +
                    WithoutPassword(url));
  }
  const std::string name = WithoutPassword(url);
  if (postgres) {
    // Looked at before SqlStore::Open migrates it, so that nothing is written to a database
    // that is not Broadsheet's.
    storage::DatabaseOptions options;
    options.url = address;
    options.pool_size = 1;
    auto database = storage::Database::Open(options);
    if (!database) return tl::unexpected(NamedDatabaseError(database.error(), url, name));
    auto contents = storage::Inspect(**database);
    if (!contents) return tl::unexpected(NamedDatabaseError(contents.error(), url, name));
    if (*contents == storage::Contents::kForeign) {
      return Fail(ErrorCode::kConflict,
                  name + " holds tables that are not Broadsheet's: use a new, empty database");
    }
    if (role == StoreRole::kSource && *contents == storage::Contents::kEmpty) {
      return Fail(ErrorCode::kNotFound, name + " holds no Broadsheet site");
    }
  }
  auto store = SqlStore::Open({address, role == StoreRole::kTarget, 2});
  if (!store) {
    // SQLite's messages name their file already.
    if (!postgres) return tl::unexpected(store.error());
    return tl::unexpected(NamedDatabaseError(store.error(), url, name));
  }
  return store;
}

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
  if (!fs::exists(paths.config, error)) {
    return Fail(ErrorCode::kConflict,
                dir.string() +
                    " is not a Broadsheet site (it needs broadsheet.toml; create a site with: "
                    "broadsheet init DIR)");
  }
  return paths;
}

Result<std::unique_ptr<SqlStore>> OpenStore(const SitePaths& paths) {
  auto config = LoadConfig(paths.root, ProcessEnvironment());
  if (!config) return tl::unexpected(config.error());
  return OpenStore(paths, *config);
}

Result<std::unique_ptr<SqlStore>> OpenStore(const SitePaths& paths, const Config& config) {
  if (!config.database_url.empty()) {
    SqlStore::Options options{config.database_url, false, config.database_pool};
    options.listen_url = config.database_listen_url;
    auto store = SqlStore::Open(options);
    if (!store) return tl::unexpected(DatabaseError(store.error(), config.database_url));
    return store;
  }
  std::error_code error;
  if (!fs::exists(paths.database, error)) {
    return Fail(ErrorCode::kConflict,
                paths.root.string() +
                    " is not a Broadsheet site (it needs broadsheet.db, or database_url in "
                    "broadsheet.toml; create a site with: broadsheet init DIR)");
  }
  auto store = SqlStore::Open({paths.database.string(), false});
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

Result<InitReport> InitSite(const fs::path& dir, bool demo, const std::string& database_url,
                            bool url_in_file) {
  if (!database_url.empty() && !storage::IsPostgresUrl(database_url)) {
    return Fail(ErrorCode::kInvalidArgument,
                "--database-url must be a PostgreSQL URL (postgresql://USER@HOST/DATABASE)");
  }
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
  // The database first: a PostgreSQL database that cannot be used leaves no folder half made.
  auto store = database_url.empty() ? SqlStore::Open({paths.database.string(), true})
                                    : SqlStore::Open({database_url, false, 2});
  if (!store) {
    fs::remove_all(dir, error);
    if (database_url.empty()) return tl::unexpected(store.error());
    return tl::unexpected(DatabaseError(store.error(), database_url));
  }
  if (!database_url.empty()) {
    auto posts = (*store)->CountPostsForDesk(DeskQuery{});
    auto users = (*store)->ListUsers();
    if (!posts || !users || *posts > 0 || !users->empty()) {
      fs::remove_all(dir, error);
      return Fail(ErrorCode::kConflict,
                  "the PostgreSQL database already holds a site (posts or accounts); give an "
                  "empty database");
    }
  }
  const std::string in_file = url_in_file ? database_url : "";
  if (auto written = WriteFile(paths.config, DefaultConfigText(base_url, in_file)); !written) {
    return tl::unexpected(written.error());
  }
  // A URL may carry a password: the file is then for its owner only.
  if (!in_file.empty()) {
    fs::permissions(paths.config, fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace, error);
  }
  Publication publication;
  publication.base_url = base_url;
  if (auto saved = (*store)->SavePublication(publication); !saved)
    return tl::unexpected(saved.error());
  if (auto marked = content::MarkStoredHtmlFiltered(**store); !marked)
    return tl::unexpected(marked.error());

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
