#include "app/config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/text.h"
#include "storage/database.h"

namespace broadsheet::app {
namespace fs = std::filesystem;

namespace {

Result<long long> ParseNumber(const std::string& where, const std::string& text, long long min,
                              long long max) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: \"{}\" must be a whole number from {} to {}", where, text, min, max));
  }
  return value;
}

Result<void> CheckLogLevel(const std::string& where, const std::string& level) {
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (kLevels.count(level) == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                where + ": \"" + level + "\" is not one of trace, debug, info, warn, error, off");
  }
  return {};
}

}  // namespace

Environment ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<Config> LoadConfig(const fs::path& site_dir, const Environment& environment) {
  Config config;
  config.theme_dir = site_dir / "theme";
  const fs::path path = site_dir / "broadsheet.toml";
  const std::string file = path.string();

  toml::table table;
  try {
    table = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}:{}: {}", file, e.source().begin.line, e.description()));
  }

  static const std::set<std::string> kKeys = {
      "listen", "base_url", "cache_budget_mb", "theme", "log_level", "access_log",
      "trusted_proxies", "max_body_kb", "threads", "request_timeout_s", "publication", "mail",
      "newsletter", "embed_hosts", "embeds", "comments", "search", "desk", "cache", "drain_s",
      // Where uploads are stored (docs/media.md).
      "media",
      // Limits (SECURITY.md): connections, /metrics, images.
      "max_connections", "max_connections_per_address", "metrics_allow", "metrics_token",
      "image_memory_mb", "image_jobs", "image_wait_s",
      // The database: the site's SQLite file unless a PostgreSQL URL is given.
      "database_url", "database_pool", "database_listen_url"};
  static const std::set<std::string> kPublicationKeys = {"title", "description", "disclaimer",
                                                         "timezone", "language"};
  for (const auto& [key, value] : table) {
    if (kKeys.count(std::string(key.str())) == 0) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("{}:{}: unknown setting \"{}\"", file,
                                                           key.source().begin.line, key.str()));
    }
  }
  auto where = [&](std::string_view key) {
    const auto* node = table.get(key);
    return fmt::format("{}:{}: {}", file, node ? node->source().begin.line : 0, key);
  };
  auto text = [&](std::string_view key) -> Result<std::optional<std::string>> {
    const auto* node = table.get(key);
    if (node == nullptr) return std::optional<std::string>();
    if (!node->is_string())
      return Fail(ErrorCode::kInvalidArgument, where(key) + " must be a quoted string");
    return std::optional<std::string>(node->as_string()->get());
  };
  auto number = [&](std::string_view key) -> Result<std::optional<long long>> {
    const auto* node = table.get(key);
    if (node == nullptr) return std::optional<long long>();
    if (!node->is_integer())
      return Fail(ErrorCode::kInvalidArgument, where(key) + " must be a whole number");
    return std::optional<long long>(node->as_integer()->get());
  };

  // The file's values first, as text, so that the environment can replace them uniformly.
  std::map<std::string, std::string> values;
  for (const char* key : {"listen", "base_url", "theme", "log_level", "access_log", "metrics_token",
                          "database_url", "database_listen_url"}) {
    auto value = text(key);
    if (!value) return tl::unexpected(value.error());
    if (*value) values[key] = **value;
  }
  for (const char* key : {"cache_budget_mb", "max_body_kb", "threads", "request_timeout_s",
                          "max_connections", "max_connections_per_address", "image_memory_mb",
                          "image_jobs", "image_wait_s", "database_pool", "drain_s"}) {
    auto value = number(key);
    if (!value) return tl::unexpected(value.error());
    if (*value) values[key] = std::to_string(**value);
  }
  for (const char* key : {"trusted_proxies", "metrics_allow"}) {
    const auto* node = table.get(key);
    if (node == nullptr) continue;
    const auto* array = node->as_array();
    if (array == nullptr)
      return Fail(ErrorCode::kInvalidArgument, where(key) + " must be a list of addresses");
    std::string joined;
    for (const auto& item : *array) {
      if (!item.is_string())
        return Fail(ErrorCode::kInvalidArgument,
                    where(key) + " must be a list of quoted addresses");
      joined += (joined.empty() ? "" : ",") + item.as_string()->get();
    }
    values[key] = joined;
  }
  if (const auto* node = table.get("publication")) {
    const auto* publication = node->as_table();
    if (publication == nullptr)
      return Fail(ErrorCode::kInvalidArgument,
                  where("publication") + " must be a table ([publication])");
    for (const auto& [key, value] : *publication) {
      const std::string name(key.str());
      if (kPublicationKeys.count(name) == 0 || !value.is_string()) {
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("{}:{}: publication.{} is not a text setting of the publication ({})", file,
                        key.source().begin.line, name,
                        "title, description, disclaimer, timezone, language"));
      }
      values["publication." + name] = value.as_string()->get();
    }
  }

  static const std::set<std::string> kMailKeys = {
      "smtp_url",  "username", "password",      "from",          "require_tls",
      "timeout_s", "ca_file",  "dkim_selector", "dkim_key_file", "dkim_domain"};
  if (const auto* node = table.get("mail")) {
    const auto* mail = node->as_table();
    if (mail == nullptr)
      return Fail(ErrorCode::kInvalidArgument, where("mail") + " must be a table ([mail])");
    for (const auto& [key, value] : *mail) {
      const std::string name(key.str());
      const int line = key.source().begin.line;
      if (kMailKeys.count(name) == 0) {
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("{}:{}: unknown setting mail.{} (smtp_url, username, password, from, "
                        "require_tls, timeout_s, ca_file, dkim_selector, dkim_key_file, "
                        "dkim_domain)",
                        file, line, name));
      }
      if (name == "require_tls") {
        if (!value.is_boolean())
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}: mail.require_tls must be true or false", file, line));
        values["mail.require_tls"] = value.as_boolean()->get() ? "true" : "false";
      } else if (name == "timeout_s") {
        if (!value.is_integer())
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}: mail.timeout_s must be a whole number", file, line));
        values["mail.timeout_s"] = std::to_string(value.as_integer()->get());
      } else {
        if (!value.is_string())
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}: mail.{} must be a quoted string", file, line, name));
        values["mail." + name] = value.as_string()->get();
      }
    }
  }

  // [newsletter]: whole numbers only.
  struct NewsletterNumber {
    const char* name;
    int newsletter::SenderOptions::*field;
    int min, max;
  };
  static const NewsletterNumber kNewsletterNumbers[] = {
      {"rate", &newsletter::SenderOptions::rate, 0, 100000},
      {"concurrency", &newsletter::SenderOptions::concurrency, 1, 64},
      {"retry_after_s", &newsletter::SenderOptions::retry_after_s, 1, 86400},
      {"max_attempts", &newsletter::SenderOptions::max_attempts, 1, 100},
      {"bounce_threshold", &newsletter::SenderOptions::bounce_threshold, 1, 100},
  };
  if (const auto* node = table.get("newsletter")) {
    const auto* newsletter = node->as_table();
    if (newsletter == nullptr)
      return Fail(ErrorCode::kInvalidArgument,
                  where("newsletter") + " must be a table ([newsletter])");
    for (const auto& [key, value] : *newsletter) {
      const std::string name(key.str());
      const bool known = std::any_of(std::begin(kNewsletterNumbers), std::end(kNewsletterNumbers),
                                     [&](const auto& number) { return name == number.name; });
      if (!known || !value.is_integer()) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}:{}: newsletter.{} is not a number setting of the newsletter "
                                "(rate, concurrency, retry_after_s, max_attempts, "
                                "bounce_threshold)",
                                file, key.source().begin.line, name));
      }
      values["newsletter." + name] = std::to_string(value.as_integer()->get());
    }
  }

  // [cache]: two whole numbers and a list of addresses.
  if (const auto* node = table.get("cache")) {
    const auto* cache = node->as_table();
    if (cache == nullptr)
      return Fail(ErrorCode::kInvalidArgument, where("cache") + " must be a table ([cache])");
    for (const auto& [key, value] : *cache) {
      const std::string name(key.str());
      const int line = key.source().begin.line;
      if (name == "s_maxage_s" || name == "stale_while_revalidate_s") {
        if (!value.is_integer())
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}: cache.{} must be a whole number", file, line, name));
        values["cache." + name] = std::to_string(value.as_integer()->get());
      } else if (name == "purge") {
        const auto* array = value.as_array();
        std::string joined;
        bool ok = array != nullptr;
        if (ok) {
          for (const auto& item : *array) {
            if (!item.is_string())
              ok = false;
            else
              joined += (joined.empty() ? "" : ",") + item.as_string()->get();
          }
        }
        if (!ok)
          return Fail(
              ErrorCode::kInvalidArgument,
              fmt::format("{}:{}: cache.purge must be a list of quoted addresses", file, line));
        values["cache.purge"] = joined;
      } else {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}:{}: unknown setting cache.{} (s_maxage_s, "
                                "stale_while_revalidate_s, purge)",
                                file, line, name));
      }
    }
  }

  // [media]: text settings, path_style (true or false) and timeout_s (a whole number).
  static const std::set<std::string> kMediaText = {
      "storage",       "endpoint",          "bucket",    "region",
      "access_key_id", "secret_access_key", "public_url"};
  if (const auto* node = table.get("media")) {
    const auto* media = node->as_table();
    if (media == nullptr)
      return Fail(ErrorCode::kInvalidArgument, where("media") + " must be a table ([media])");
    for (const auto& [key, value] : *media) {
      const std::string name(key.str());
      const int line = key.source().begin.line;
      if (name == "path_style") {
        if (!value.is_boolean())
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}: media.path_style must be true or false", file, line));
        values["media.path_style"] = value.as_boolean()->get() ? "true" : "false";
      } else if (name == "timeout_s") {
        if (!value.is_integer())
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}: media.timeout_s must be a whole number", file, line));
        values["media.timeout_s"] = std::to_string(value.as_integer()->get());
      } else if (kMediaText.contains(name)) {
        if (!value.is_string())
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}: media.{} must be a quoted string", file, line, name));
        values["media." + name] = value.as_string()->get();
      } else {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}:{}: unknown setting media.{} (storage, endpoint, bucket, "
                                "region, access_key_id, secret_access_key, public_url, "
                                "path_style, timeout_s)",
                                file, line, name));
      }
    }
  }

  const std::pair<const char*, const char*> kEnvironment[] = {
      {"BROADSHEET_LISTEN", "listen"},
      {"BROADSHEET_BASE_URL", "base_url"},
      {"BROADSHEET_CACHE_BUDGET_MB", "cache_budget_mb"},
      {"BROADSHEET_THEME", "theme"},
      {"BROADSHEET_LOG_LEVEL", "log_level"},
      {"BROADSHEET_ACCESS_LOG", "access_log"},
      {"BROADSHEET_TRUSTED_PROXIES", "trusted_proxies"},
      {"BROADSHEET_MAX_BODY_KB", "max_body_kb"},
      {"BROADSHEET_THREADS", "threads"},
      {"BROADSHEET_REQUEST_TIMEOUT_S", "request_timeout_s"},
      {"BROADSHEET_MAX_CONNECTIONS", "max_connections"},
      {"BROADSHEET_MAX_CONNECTIONS_PER_ADDRESS", "max_connections_per_address"},
      {"BROADSHEET_METRICS_ALLOW", "metrics_allow"},
      {"BROADSHEET_METRICS_TOKEN", "metrics_token"},
      {"BROADSHEET_TITLE", "publication.title"},
      {"BROADSHEET_DESCRIPTION", "publication.description"},
      {"BROADSHEET_DISCLAIMER", "publication.disclaimer"},
      {"BROADSHEET_TIMEZONE", "publication.timezone"},
      {"BROADSHEET_LANGUAGE", "publication.language"},
      {"BROADSHEET_SMTP_URL", "mail.smtp_url"},
      {"BROADSHEET_SMTP_USERNAME", "mail.username"},
      {"BROADSHEET_SMTP_PASSWORD", "mail.password"},
      {"BROADSHEET_MAIL_FROM", "mail.from"},
      {"BROADSHEET_SMTP_CA_FILE", "mail.ca_file"},
      {"BROADSHEET_SMTP_REQUIRE_TLS", "mail.require_tls"},
      {"BROADSHEET_DKIM_SELECTOR", "mail.dkim_selector"},
      {"BROADSHEET_DKIM_KEY_FILE", "mail.dkim_key_file"},
      {"BROADSHEET_DKIM_DOMAIN", "mail.dkim_domain"},
      {"BROADSHEET_NEWSLETTER_RATE", "newsletter.rate"},
      {"BROADSHEET_NEWSLETTER_CONCURRENCY", "newsletter.concurrency"},
      {"BROADSHEET_NEWSLETTER_RETRY_AFTER_S", "newsletter.retry_after_s"},
      {"BROADSHEET_NEWSLETTER_MAX_ATTEMPTS", "newsletter.max_attempts"},
      {"BROADSHEET_NEWSLETTER_BOUNCE_THRESHOLD", "newsletter.bounce_threshold"},
      {"BROADSHEET_IMAGE_MEMORY_MB", "image_memory_mb"},
      {"BROADSHEET_IMAGE_JOBS", "image_jobs"},
      {"BROADSHEET_IMAGE_WAIT_S", "image_wait_s"},
      {"BROADSHEET_DATABASE_URL", "database_url"},
      {"BROADSHEET_DATABASE_POOL", "database_pool"},
      {"BROADSHEET_DATABASE_LISTEN_URL", "database_listen_url"},
      {"BROADSHEET_DRAIN_S", "drain_s"},
      {"BROADSHEET_CACHE_S_MAXAGE_S", "cache.s_maxage_s"},
      {"BROADSHEET_CACHE_STALE_WHILE_REVALIDATE_S", "cache.stale_while_revalidate_s"},
      {"BROADSHEET_CACHE_PURGE", "cache.purge"},
      {"BROADSHEET_MEDIA_STORAGE", "media.storage"},
      {"BROADSHEET_S3_ENDPOINT", "media.endpoint"},
      {"BROADSHEET_S3_BUCKET", "media.bucket"},
      {"BROADSHEET_S3_REGION", "media.region"},
      {"BROADSHEET_S3_ACCESS_KEY_ID", "media.access_key_id"},
      {"BROADSHEET_S3_SECRET_ACCESS_KEY", "media.secret_access_key"},
      {"BROADSHEET_MEDIA_PUBLIC_URL", "media.public_url"},
  };
  std::map<std::string, std::string> origin;  // key -> where its value came from
  for (const auto& [key, value] : values) origin[key] = file + ": " + key;
  for (const auto& [variable, key] : kEnvironment) {
    if (auto value = environment(variable)) {
      values[key] = *value;
      origin[key] = std::string("environment variable ") + variable;
    }
  }

  // [comments], [search] and [desk]: flood limits, the search index's snapshots and the change
  // log's days, whole numbers from the file or the environment.
  struct WholeNumber {
    const char* table;
    const char* name;
    const char* variable;
    int& (*field)(Config&);
    int min;
    int max;
  };
  static const WholeNumber kWholeNumbers[] = {
      {"comments", "per_minute", "BROADSHEET_COMMENTS_PER_MINUTE",
       [](Config& c) -> int& { return c.floods.comments_per_minute; }, 0, 10000},
      {"comments", "per_hour", "BROADSHEET_COMMENTS_PER_HOUR",
       [](Config& c) -> int& { return c.floods.comments_per_hour; }, 0, 100000},
      {"comments", "moderator_notice_interval_s", "BROADSHEET_MODERATOR_NOTICE_INTERVAL_S",
       [](Config& c) -> int& { return c.floods.moderator_notice_interval_s; }, 0, 7 * 86400},
      {"search", "per_minute", "BROADSHEET_SEARCHES_PER_MINUTE",
       [](Config& c) -> int& { return c.floods.searches_per_minute; }, 0, 100000},
      {"search", "snapshot_hours", "BROADSHEET_SEARCH_SNAPSHOT_HOURS",
       [](Config& c) -> int& { return c.search_snapshot_hours; }, 0, 24 * 365},
      {"search", "change_log_days", "BROADSHEET_SEARCH_CHANGE_LOG_DAYS",
       [](Config& c) -> int& { return c.change_log_days; }, 1, 3650},
      {"desk", "previews_per_minute", "BROADSHEET_PREVIEWS_PER_MINUTE",
       [](Config& c) -> int& { return c.floods.previews_per_minute; }, 0, 100000},
  };
  for (const char* name : {"comments", "search", "desk"}) {
    const auto* node = table.get(name);
    if (node == nullptr) continue;
    const auto* section = node->as_table();
    if (section == nullptr)
      return Fail(ErrorCode::kInvalidArgument,
                  where(name) + fmt::format(" must be a table ([{}])", name));
    for (const auto& [key, value] : *section) {
      const std::string setting(key.str());
      const bool known =
          std::any_of(std::begin(kWholeNumbers), std::end(kWholeNumbers), [&](const auto& number) {
            return name == std::string(number.table) && setting == number.name;
          });
      if (!known || !value.is_integer()) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}:{}: {}.{} is not a number setting ({})", file,
                                key.source().begin.line, name, setting,
                                name == std::string("comments")
                                    ? "per_minute, per_hour, moderator_notice_interval_s"
                                : name == std::string("desk") ? "previews_per_minute"
                                                              : "per_minute, snapshot_hours, "
                                                                "change_log_days"));
      }
    }
  }
  for (const WholeNumber& number : kWholeNumbers) {
    const std::string key = std::string(number.table) + "." + number.name;
    std::optional<std::string> text;
    std::string from = file + ": " + key;
    if (const auto* node = table.at_path(key).node(); node && node->is_integer())
      text = std::to_string(node->as_integer()->get());
    if (auto value = environment(number.variable)) {
      text = *value;
      from = std::string("environment variable ") + number.variable;
    }
    if (!text) continue;
    auto parsed = ParseNumber(from, *text, number.min, number.max);
    if (!parsed) return tl::unexpected(parsed.error());
    number.field(config) = static_cast<int>(*parsed);
  }

  if (auto found = values.find("listen"); found != values.end()) {
    auto listen = http::ParseListenAddress(found->second);
    if (!listen)
      return Fail(ErrorCode::kInvalidArgument, origin["listen"] + ": " + listen.error().message);
    config.listen = *listen;
  }
  if (auto found = values.find("base_url"); found != values.end()) {
    std::string url = found->second;
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (!url.empty() && !url.starts_with("http://") && !url.starts_with("https://")) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["base_url"] + ": \"" + url + "\" must start with http:// or https://");
    }
    config.base_url = url;
    if (!url.empty()) config.publication.base_url = url;
  }
  if (auto found = values.find("cache_budget_mb"); found != values.end()) {
    auto mb = ParseNumber(origin["cache_budget_mb"], found->second, 0, 1 << 20);
    if (!mb) return tl::unexpected(mb.error());
    config.cache_budget_bytes = static_cast<size_t>(*mb) * 1024 * 1024;
  }
  if (auto found = values.find("max_body_kb"); found != values.end()) {
    auto kb = ParseNumber(origin["max_body_kb"], found->second, 1, 1 << 20);
    if (!kb) return tl::unexpected(kb.error());
    config.max_body_bytes = static_cast<size_t>(*kb) * 1024;
  }
  if (auto found = values.find("database_url"); found != values.end() && !found->second.empty()) {
    if (!storage::IsPostgresUrl(found->second)) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["database_url"] +
                      ": must be a PostgreSQL URL (postgresql://USER@HOST/DATABASE); leave it out "
                      "for the site's own SQLite file");
    }
    config.database_url = found->second;
  }
  if (auto found = values.find("database_listen_url");
      found != values.end() && !found->second.empty()) {
    if (!storage::IsPostgresUrl(found->second) || config.database_url.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["database_listen_url"] +
                      ": must be a PostgreSQL URL (postgresql://USER@HOST/DATABASE), beside a "
                      "database_url");
    }
    config.database_listen_url = found->second;
  }
  if (auto found = values.find("database_pool"); found != values.end()) {
    auto pool = ParseNumber(origin["database_pool"], found->second, 1, 1000);
    if (!pool) return tl::unexpected(pool.error());
    config.database_pool = static_cast<int>(*pool);
  }
  if (auto found = values.find("drain_s"); found != values.end()) {
    auto seconds = ParseNumber(origin["drain_s"], found->second, 0, 3600);
    if (!seconds) return tl::unexpected(seconds.error());
    config.drain_s = static_cast<int>(*seconds);
  }
  if (auto found = values.find("cache.s_maxage_s"); found != values.end()) {
    auto seconds = ParseNumber(origin["cache.s_maxage_s"], found->second, 0, 365 * 86400);
    if (!seconds) return tl::unexpected(seconds.error());
    config.shared_cache.s_maxage_s = static_cast<int>(*seconds);
  }
  const bool s_maxage_given = values.contains("cache.s_maxage_s");
  if (auto found = values.find("cache.stale_while_revalidate_s"); found != values.end()) {
    auto seconds =
        ParseNumber(origin["cache.stale_while_revalidate_s"], found->second, 0, 365 * 86400);
    if (!seconds) return tl::unexpected(seconds.error());
    config.shared_cache.stale_while_revalidate_s = static_cast<int>(*seconds);
  }
  if (auto found = values.find("cache.purge"); found != values.end()) {
    config.shared_cache.purge.clear();
    for (auto& address : SplitTrimmed(found->second, ',')) {
      while (!address.empty() && address.back() == '/') address.pop_back();
      if (!address.starts_with("http://") && !address.starts_with("https://")) {
        return Fail(ErrorCode::kInvalidArgument,
                    origin["cache.purge"] + ": \"" + address +
                        "\" must be an address starting with http:// or https://");
      }
      config.shared_cache.purge.push_back(address);
    }
  }
  if (!s_maxage_given && !config.shared_cache.purge.empty()) config.shared_cache.s_maxage_s = 300;
  if (auto found = values.find("threads"); found != values.end()) {
    auto threads = ParseNumber(origin["threads"], found->second, 0, 256);
    if (!threads) return tl::unexpected(threads.error());
    config.threads = static_cast<int>(*threads);
  }
  if (auto found = values.find("request_timeout_s"); found != values.end()) {
    auto seconds = ParseNumber(origin["request_timeout_s"], found->second, 1, 3600);
    if (!seconds) return tl::unexpected(seconds.error());
    config.request_timeout_s = static_cast<int>(*seconds);
  }
  if (auto found = values.find("max_connections"); found != values.end()) {
    auto count = ParseNumber(origin["max_connections"], found->second, 1, 1000000);
    if (!count) return tl::unexpected(count.error());
    config.max_connections = static_cast<size_t>(*count);
  }
  if (auto found = values.find("max_connections_per_address"); found != values.end()) {
    auto count = ParseNumber(origin["max_connections_per_address"], found->second, 1, 1000000);
    if (!count) return tl::unexpected(count.error());
    config.max_connections_per_address = static_cast<size_t>(*count);
  }
  if (auto found = values.find("metrics_token"); found != values.end()) {
    if (!found->second.empty() && found->second.size() < 16) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["metrics_token"] + " must be at least 16 characters (or empty for none)");
    }
    config.metrics_token = found->second;
  }
  // Where uploads are stored.
  for (const auto& [key, field] :
       std::initializer_list<std::pair<const char*, std::string media::StorageSettings::*>>{
           {"media.storage", &media::StorageSettings::storage},
           {"media.endpoint", &media::StorageSettings::endpoint},
           {"media.bucket", &media::StorageSettings::bucket},
           {"media.region", &media::StorageSettings::region},
           {"media.access_key_id", &media::StorageSettings::access_key_id},
           {"media.secret_access_key", &media::StorageSettings::secret_access_key},
           {"media.public_url", &media::StorageSettings::public_url}}) {
    if (auto found = values.find(key); found != values.end()) config.media.*field = found->second;
  }
  if (auto found = values.find("media.path_style"); found != values.end())
    config.media.path_style = found->second == "true";
  if (auto found = values.find("media.timeout_s"); found != values.end()) {
    auto seconds = ParseNumber(origin["media.timeout_s"], found->second, 1, 3600);
    if (!seconds) return tl::unexpected(seconds.error());
    config.media.timeout_s = static_cast<int>(*seconds);
  }
  if (auto checked = media::CheckStorageSettings(config.media); !checked)
    return Fail(ErrorCode::kInvalidArgument, file + ": " + checked.error().message);
  // Uploaded images.
  if (auto found = values.find("image_memory_mb"); found != values.end()) {
    auto mb = ParseNumber(origin["image_memory_mb"], found->second, 1, 16384);
    if (!mb) return tl::unexpected(mb.error());
    config.images.limits.max_decoded_bytes = static_cast<size_t>(*mb) * 1024 * 1024;
  }
  if (auto found = values.find("image_jobs"); found != values.end()) {
    auto jobs = ParseNumber(origin["image_jobs"], found->second, 1, 64);
    if (!jobs) return tl::unexpected(jobs.error());
    config.images.max_jobs = static_cast<int>(*jobs);
  }
  if (auto found = values.find("image_wait_s"); found != values.end()) {
    auto seconds = ParseNumber(origin["image_wait_s"], found->second, 0, 3600);
    if (!seconds) return tl::unexpected(seconds.error());
    config.images.retry_after = std::chrono::seconds(*seconds);
  }
  if (auto found = values.find("theme"); found != values.end()) {
    config.theme_dir =
        fs::path(found->second).is_absolute() ? fs::path(found->second) : site_dir / found->second;
  }
  if (auto found = values.find("log_level"); found != values.end()) {
    if (auto checked = CheckLogLevel(origin["log_level"], found->second); !checked)
      return tl::unexpected(checked.error());
    config.log_level = found->second;
  }
  if (auto found = values.find("access_log"); found != values.end())
    config.access_log = found->second;
  if (auto found = values.find("trusted_proxies"); found != values.end()) {
    config.trusted_proxies = SplitTrimmed(found->second, ',');
    if (auto parsed = http::AddressRanges::Parse(config.trusted_proxies); !parsed) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["trusted_proxies"] + ": " + parsed.error().message);
    }
  }
  if (auto found = values.find("metrics_allow"); found != values.end()) {
    config.metrics_allow = SplitTrimmed(found->second, ',');
    if (auto parsed = http::AddressRanges::Parse(config.metrics_allow, "metrics address");
        !parsed) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["metrics_allow"] + ": " + parsed.error().message);
    }
  }
  // embed_hosts (html-filter): the hosts whose pages bodies may embed as sandboxed iframes;
  // BROADSHEET_EMBED_HOSTS (comma-separated) replaces the file's list.
  {
    std::vector<std::string> hosts;
    std::string origin_of_hosts = where("embed_hosts");
    if (const auto* node = table.get("embed_hosts")) {
      const auto* array = node->as_array();
      if (array == nullptr)
        return Fail(ErrorCode::kInvalidArgument, where("embed_hosts") + " must be a list of hosts");
      for (const auto& item : *array) {
        if (!item.is_string())
          return Fail(ErrorCode::kInvalidArgument,
                      where("embed_hosts") + " must be a list of quoted host names");
        hosts.push_back(item.as_string()->get());
      }
    }
    if (auto value = environment("BROADSHEET_EMBED_HOSTS")) {
      hosts = SplitTrimmed(*value, ',');
      origin_of_hosts = "BROADSHEET_EMBED_HOSTS";
    }
    for (auto& host : hosts) {
      std::transform(host.begin(), host.end(), host.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      const bool valid =
          !host.empty() && host.size() <= 253 && host.front() != '.' && host.front() != '-' &&
          std::all_of(host.begin(), host.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
          });
      if (!valid) {
        return Fail(
            ErrorCode::kInvalidArgument,
            origin_of_hosts + ": \"" + host + "\" is not a host name (like player.vimeo.com)");
      }
    }
    config.embed_hosts = std::move(hosts);
  }
  // embeds (embeds.h): the providers whose addresses become embeds; BROADSHEET_EMBEDS
  // (comma-separated, may be empty) replaces the file's list.
  {
    std::string origin_of_embeds = where("embeds");
    std::optional<std::vector<std::string>> names;
    if (const auto* node = table.get("embeds")) {
      const auto* array = node->as_array();
      if (array == nullptr)
        return Fail(ErrorCode::kInvalidArgument, where("embeds") + " must be a list of providers");
      names.emplace();
      for (const auto& item : *array) {
        if (!item.is_string())
          return Fail(ErrorCode::kInvalidArgument,
                      where("embeds") + " must be a list of quoted provider names");
        names->push_back(item.as_string()->get());
      }
    }
    if (auto value = environment("BROADSHEET_EMBEDS")) {
      names = SplitTrimmed(*value, ',');
      std::erase(*names, std::string());
      origin_of_embeds = "BROADSHEET_EMBEDS";
    }
    if (names) {
      for (const auto& name : *names) {
        if (!markdown::IsEmbedProvider(name)) {
          return Fail(
              ErrorCode::kInvalidArgument,
              fmt::format("{}: \"{}\" is not an embed provider (one of {})", origin_of_embeds, name,
                          fmt::join(markdown::EmbedProviders(), ", ")));
        }
      }
      config.embeds = std::move(*names);
    }
  }
  auto& publication = config.publication;
  const std::pair<const char*, std::optional<std::string>*> kPublication[] = {
      {"publication.title", &publication.title},
      {"publication.description", &publication.description},
      {"publication.disclaimer", &publication.disclaimer},
      {"publication.timezone", &publication.timezone},
      {"publication.language", &publication.language},
  };
  for (const auto& [key, target] : kPublication) {
    if (auto found = values.find(key); found != values.end()) *target = found->second;
  }
  if (auto found = values.find("mail.smtp_url"); found != values.end()) {
    const std::string& url = found->second;
    if (!url.empty() && !url.starts_with("smtp://") && !url.starts_with("smtps://")) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["mail.smtp_url"] + ": \"" + url +
                      "\" must look like smtp://host:587 or smtps://host:465");
    }
    config.mail.smtp_url = url;
  }
  if (auto found = values.find("mail.username"); found != values.end())
    config.mail.username = found->second;
  if (auto found = values.find("mail.password"); found != values.end())
    config.mail.password = found->second;
  if (auto found = values.find("mail.from"); found != values.end())
    config.mail.from = found->second;
  if (auto found = values.find("mail.ca_file"); found != values.end())
    config.mail.ca_file = found->second;
  if (auto found = values.find("mail.require_tls"); found != values.end()) {
    if (found->second != "true" && found->second != "false") {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["mail.require_tls"] + " must be true or false");
    }
    config.mail.require_tls = found->second == "true";
  }
  if (auto found = values.find("mail.timeout_s"); found != values.end()) {
    auto seconds = ParseNumber(origin["mail.timeout_s"], found->second, 1, 600);
    if (!seconds) return tl::unexpected(seconds.error());
    config.mail.timeout_s = static_cast<int>(*seconds);
  }
  if (auto found = values.find("mail.dkim_key_file");
      found != values.end() && !found->second.empty()) {
    const fs::path key =
        fs::path(found->second).is_absolute() ? fs::path(found->second) : site_dir / found->second;
    std::string domain = values.count("mail.dkim_domain") ? values["mail.dkim_domain"] : "";
    if (domain.empty())
      domain = mail::AddressOf(config.mail.from)
                   .substr(mail::AddressOf(config.mail.from).rfind('@') + 1);
    const std::string selector =
        values.count("mail.dkim_selector") ? values["mail.dkim_selector"] : "";
    if (selector.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["mail.dkim_key_file"] + ": mail.dkim_selector is needed with a DKIM key");
    }
    auto signer = mail::DkimSigner::Load(domain, selector, key.string());
    if (!signer)
      return Fail(ErrorCode::kInvalidArgument,
                  origin["mail.dkim_key_file"] + ": " + signer.error().message);
    config.mail.dkim = *signer;
  }
  for (const NewsletterNumber& number : kNewsletterNumbers) {
    const std::string key = std::string("newsletter.") + number.name;
    if (auto found = values.find(key); found != values.end()) {
      auto parsed = ParseNumber(origin[key], found->second, number.min, number.max);
      if (!parsed) return tl::unexpected(parsed.error());
      config.newsletter.*number.field = static_cast<int>(*parsed);
    }
  }
  if (const auto at = config.mail.from.rfind('@'); at != std::string::npos) {
    std::string domain = config.mail.from.substr(at + 1);
    if (const auto close = domain.find('>'); close != std::string::npos) domain.erase(close);
    config.newsletter.return_domain = domain;  // VERP return paths: bounces+…@domain
  }
  if (!config.mail.smtp_url.empty() && config.mail.from.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                file + ": mail.from is needed when mail.smtp_url is set");
  }
  if (publication.timezone) {
    if (auto zone = TimeZone::Find(*publication.timezone); !zone) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin["publication.timezone"] + ": " + zone.error().message);
    }
  }
  return config;
}

std::string DefaultConfigText(const std::string& base_url, const std::string& database_url) {
  // A TOML basic string: backslashes and quotes escaped (a URL has no control characters).
  std::string quoted;
  for (char c : database_url) {
    if (c == '\\' || c == '"') quoted += '\\';
    quoted += c;
  }
  const std::string database_line =
      database_url.empty()
          ? "# database_url = \"postgresql://broadsheet@db.example.org/broadsheet\""
          : "database_url = \"" + quoted + "\"";
  return fmt::format(
      R"(# Broadsheet server settings. Every setting may also be set with an environment
# variable (BROADSHEET_LISTEN, BROADSHEET_BASE_URL, …), which wins over this file.

# Address and port to listen on.
listen = "127.0.0.1:8080"

# The public address of the site, used in canonical links, feeds and structured data, is a
# publication setting (the desk's Settings page). Set it here only to override it for this server.
# base_url = "{0}"

# The database: the site's own SQLite file (broadsheet.db) unless a PostgreSQL URL is given, in
# libpq's form (postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=verify-full&sslrootcert=…).
# BROADSHEET_DATABASE_URL keeps a password out of this file. database_pool: connections at most.
# database_listen_url: where servers LISTEN for each other's changes, when database_url goes
# through a pooler in transaction mode (PgBouncer), which cannot keep a LISTEN; the same database.
{1}
# database_pool = 8
# database_listen_url = "postgresql://broadsheet@db.example.org:5432/broadsheet"

# Memory for rendered pages, in MiB.
cache_budget_mb = 64

# A folder whose files replace those of the built-in theme (templates/…, assets/…).
theme = "theme"

# trace, debug, info, warn, error or off.
log_level = "info"

# Access log: a file in this folder, "-" for standard output, or "off".
access_log = "access.log"

# Proxies whose X-Forwarded-For and X-Forwarded-Proto headers are believed.
trusted_proxies = []

# Hosts whose pages articles may embed as sandboxed iframes (https only), for example
# ["www.youtube-nocookie.com", "player.vimeo.com"]; any other iframe is removed
# (docs/html-policy.md). They are added to the pages' Content-Security-Policy frame-src.
embed_hosts = []

# Providers whose addresses, alone on a line of an article, become embeds: a video or audio
# player that loads only when the reader presses play (youtube, vimeo, soundcloud), a chart
# (datawrapper, flourish), or a link card that loads nothing (x, bluesky, mastodon). Their
# player and chart hosts are added to the Content-Security-Policy frame-src; [] turns them off.
embeds = ["youtube", "vimeo", "soundcloud", "datawrapper", "flourish", "x", "bluesky", "mastodon"]

# Largest request body accepted, in KiB.
max_body_kb = 1024

# Worker threads; 0 means one per CPU core.
threads = 0

# Seconds a connection may take to send a whole request (and may sit idle between requests).
request_timeout_s = 15

# Open connections, all clients together, and from one client address (for connections from a
# trusted proxy: the address each request was forwarded for). When all are in use, idle
# keep-alive connections are closed to make room before a new one is refused.
max_connections = 10000
max_connections_per_address = 256

# Who may read /metrics (Prometheus text): addresses or CIDR ranges, and optionally a bearer
# token (Authorization: Bearer …, at least 16 characters) that opens it from anywhere. Everyone
# else gets 404. A request forwarded by a proxy that is not in trusted_proxies never counts as
# coming from an allowed address.
metrics_allow = ["127.0.0.0/8", "::1"]
# metrics_token = ""
# Uploaded images: the most memory one image may take decoded, in MiB (width × height × channels
# × bytes per channel; larger images are refused), how many images are processed at once, and the
# seconds an upload is told to wait (Retry-After) when it arrives while every image job is taken:
# it is answered 503 at once, its form shown again; no upload waits on the server for a turn.
image_memory_mb = 256
image_jobs = 1
image_wait_s = 10

# After SIGTERM: seconds /readyz answers 503 while every request is still served, so that a load
# balancer stops sending any before the server stops (SIGINT stops at once).
drain_s = 5

# Outgoing mail (invitations, password resets): an SMTP server. STARTTLS is used when the
# server offers it; smtps:// connects with TLS from the start.
[mail]
# smtp_url = "smtp://mail.example.org:587"
# username = "desk@example.org"
# password = "…"
# from = "The Meridian Review <desk@example.org>"
# require_tls = true
# ca_file = "/etc/ssl/private-relay-ca.pem"
# DKIM: a PEM private key (RSA, or Ed25519) and its DNS selector; the domain defaults to from's.
# dkim_key_file = "dkim.pem"
# dkim_selector = "broadsheet"

# How the newsletter is delivered: messages a second (0: no limit), SMTP connections, the first
# wait before retrying a temporary failure (doubling each time), attempts before giving up, and
# permanent refusals before a subscriber counts as bounced.
[newsletter]
# rate = 100
# concurrency = 4
# retry_after_s = 60
# max_attempts = 8
# bounce_threshold = 1

# Floods are refused (429) past these, per client address: comments a minute and an hour, and
# searches a minute (0: no limit). Moderators hear of held comments at most once per interval
# (seconds), in one mail listing them.
[comments]
# per_minute = 5
# per_hour = 30
# moderator_notice_interval_s = 600
[search]
# per_minute = 30
# With PostgreSQL: hours between snapshots of the search index, which new nodes copy instead of
# building their own (0: none).
# snapshot_hours = 24
# Days the change log (which every node's search index follows) keeps its rows; a node whose
# index is further behind rebuilds it from the posts.
# change_log_days = 30

# Where uploaded images are stored (docs/media.md): the site's uploads/ folder, or a bucket of
# any S3-compatible store. The secret may come from BROADSHEET_S3_SECRET_ACCESS_KEY instead.
# Without public_url, the node serves /uploads/ from the bucket.
[media]
# storage = "s3"
# endpoint = "https://s3.eu-west-1.amazonaws.com"
# bucket = "meridian-media"
# region = "eu-west-1"
# access_key_id = "AKIA…"
# secret_access_key = "…"
# public_url = "https://media.example.org/"
# path_style = false

# Shared caches in front (Varnish, a CDN; docs/caching.md): how long they may keep public pages
# (s-maxage; 0: not at all; unset: 300 when purge is set, else 0) and serve them stale while
# fetching them again, and the Varnish addresses (vmod_xkey) told of every change.
[cache]
# s_maxage_s = 300
# stale_while_revalidate_s = 60
# purge = ["http://127.0.0.1:6081"]

# Publication settings live in the database (see `broadsheet import markdown`);
# values here override them for this deployment.
[publication]
# title = "The Meridian Review"
# timezone = "Europe/Berlin"
# language = "en"
)",
      base_url, database_line);
}

markdown::FilterOptions BodyFilterOptions(const Config& config) {
  markdown::FilterOptions options;
  options.embed_hosts = config.embed_hosts;
  options.embeds = config.embeds;
  return options;
}

std::vector<std::string> FrameHosts(const Config& config) {
  return markdown::EmbedFrameHosts(config.embeds, config.embed_hosts);
}

}  // namespace broadsheet::app
