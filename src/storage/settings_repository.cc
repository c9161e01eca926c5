#include "storage/repositories.h"

#include <charconv>

namespace broadsheet::storage::settings {
namespace {

constexpr const char* kDeskPrefix = "desk:";

}  // namespace

Result<Publication> LoadPublication(Connection& c) {
  Publication publication;
  const std::pair<const char*, std::string*> fields[] = {
      {"title", &publication.title},
      {"description", &publication.description},
      {"base_url", &publication.base_url},
      {"disclaimer", &publication.disclaimer},
      {"timezone", &publication.timezone},
      {"language", &publication.language},
      {"logo", &publication.logo},
      {"favicon", &publication.favicon},
      {"accent_color", &publication.accent_color},
      {"navigation", &publication.navigation},
  };
  auto done = c.Run("SELECT key, value FROM settings", {}, [&](const Row& row) -> Result<void> {
    const std::string key = row.Text(0);
    for (const auto& [name, field] : fields) {
      if (key == name) *field = row.Text(1);
    }
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return publication;
}

Result<void> SavePublication(Connection& c, const Publication& publication) {
  const std::pair<const char*, const std::string*> values[] = {
      {"title", &publication.title},
      {"description", &publication.description},
      {"base_url", &publication.base_url},
      {"disclaimer", &publication.disclaimer},
      {"timezone", &publication.timezone},
      {"language", &publication.language},
      {"logo", &publication.logo},
      {"favicon", &publication.favicon},
      {"accent_color", &publication.accent_color},
      {"navigation", &publication.navigation},
  };
  for (const auto& [key, value] : values) {
    auto saved = c.Exec(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        key, *value);
    if (!saved) return tl::unexpected(saved.error());
  }
  return {};
}

Result<std::optional<std::string>> FindSecret(Connection& c, const std::string& name) {
  return c.One(
      "SELECT value FROM secrets WHERE name = ?", [](const Row& row) { return row.Text(0); }, name);
}

Result<std::string> AddSecret(Connection& c, const std::string& name, const std::string& value) {
  auto added = c.Exec("INSERT INTO secrets(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                      name, value);
  if (!added) return tl::unexpected(added.error());
  auto found = FindSecret(c, name);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return Fail(ErrorCode::kInternal, "a secret just stored is missing");
  return std::move(**found);
}

Result<std::optional<std::string>> DeskSetting(Connection& c, const std::string& key) {
  return FindSecret(c, kDeskPrefix + key);
}

Result<std::map<std::string, std::string>> DeskSettings(Connection& c, const std::string& prefix) {
  // Names compared by their first bytes: no LIKE, whose case rules differ between the two.
  const std::string start = kDeskPrefix + prefix;
  std::map<std::string, std::string> found;
  auto done =
      c.Run("SELECT name, value FROM secrets WHERE substr(name, 1, ?) = ?",
            std::vector<Value>{static_cast<std::int64_t>(start.size()), start},
            [&](const Row& row) -> Result<void> {
              found.emplace(row.Text(0).substr(std::string_view(kDeskPrefix).size()), row.Text(1));
              return {};
            });
  if (!done) return tl::unexpected(done.error());
  return found;
}

Result<void> SetDeskSetting(Connection& c, const std::string& key, const std::string& value) {
  auto saved = c.Exec(
      "INSERT INTO secrets(name, value) VALUES (?, ?) "
      "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
      kDeskPrefix + key, value);
  if (!saved) return tl::unexpected(saved.error());
  return {};
}

Result<int> UpgradeVersion(Connection& c, const std::string& name) {
  auto found = FindSecret(c, "upgrade:" + name);
  if (!found) return tl::unexpected(found.error());
  int version = 0;
  if (*found) std::from_chars((*found)->data(), (*found)->data() + (*found)->size(), version);
  return version;
}

Result<void> SetUpgradeVersion(Connection& c, const std::string& name, int version) {
  auto saved = c.Exec(
      "INSERT INTO secrets(name, value) VALUES (?, ?) "
      "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
      "upgrade:" + name, std::to_string(version));
  if (!saved) return tl::unexpected(saved.error());
  return {};
}

}  // namespace broadsheet::storage::settings
