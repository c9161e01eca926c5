// Config: a site's server settings, read from DIR/broadsheet.toml and overridden by BROADSHEET_*
// environment variables (documented in README.md, "Configuration"). Every setting has a default,
// so an empty file is valid; an unknown key or a bad value is an error naming the key.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "content/publication.h"
#include "core/error.h"
#include "http/network.h"
#include "mail/smtp_mailer.h"
#include "markdown/embeds.h"
#include "markdown/html_filter.h"
#include "media/images.h"
#include "media/object_store.h"
#include "newsletter/sender.h"

namespace broadsheet::app {

struct Config {
  http::ListenAddress listen;                    // listen = "127.0.0.1:8080"
  std::string base_url;                          // base_url: overrides the stored one
  size_t cache_budget_bytes = 64 * 1024 * 1024;  // cache_budget_mb = 64
  std::filesystem::path theme_dir;               // theme = "theme" (relative to the site)
  std::string log_level = "info";                // trace, debug, info, warn, error, off
  std::string access_log = "access.log";         // a file in the site, "-" for stdout, "off"
  std::vector<std::string> trusted_proxies;      // trusted_proxies = ["127.0.0.1"]
  size_t max_body_bytes = 1024 * 1024;           // max_body_kb = 1024
  int threads = 0;                               // threads = 0 (one per core)
  // database_url = "postgresql://…" (libpq's URI: sslmode, sslrootcert and the rest pass
  // through); empty: the site's broadsheet.db. database_pool = 8: connections at most.
  std::string database_url;
  int database_pool = 8;
  // database_listen_url: where each process LISTENs for other processes' changes, when
  // database_url goes through a pooler that keeps no sessions (PgBouncer in transaction mode);
  // empty: database_url.
  std::string database_listen_url;
  int request_timeout_s = 15;                // request_timeout_s: idle wait + whole request
  size_t max_connections = 10000;            // max_connections: all clients together
  size_t max_connections_per_address = 256;  // max_connections_per_address
  // metrics_allow: who may read /metrics; metrics_token: a bearer token that may, from anywhere.
  std::vector<std::string> metrics_allow = {"127.0.0.0/8", "::1"};
  std::string metrics_token;
  content::PublicationOverrides publication;  // [publication] title, timezone, …
  mail::SmtpSettings mail;  // [mail] smtp_url, username, password, from, require_tls, timeout_s
  // [newsletter] rate, concurrency, retry_after_s, max_attempts, bounce_threshold
  newsletter::SenderOptions newsletter;
  // Uploaded images: image_memory_mb = 256 (decoded size of one image), image_jobs = 1 (images
  // processed at once), image_wait_s = 10 (the Retry-After seconds of an upload turned away at
  // once while every image job is taken; until 2026-12 it was how long an upload waited).
  media::ImageSettings images;
  // [media]: where uploads are stored (docs/media.md). storage = "local" (the site's uploads/
  // folder) or "s3" with endpoint, bucket, region (us-east-1), access_key_id,
  // secret_access_key, public_url (empty: served through the node), path_style (false),
  // timeout_s (30). BROADSHEET_MEDIA_STORAGE, BROADSHEET_S3_ENDPOINT, BROADSHEET_S3_BUCKET,
  // BROADSHEET_S3_REGION, BROADSHEET_S3_ACCESS_KEY_ID, BROADSHEET_S3_SECRET_ACCESS_KEY,
  // BROADSHEET_MEDIA_PUBLIC_URL override them.
  media::StorageSettings media;
  // embed_hosts = [] (html-filter): hosts bodies may embed as sandboxed iframes, lower case
  std::vector<std::string> embed_hosts;
  // embeds = ["youtube", "vimeo", "soundcloud", "datawrapper", "flourish", "x", "bluesky",
  // "mastodon"] (all, markdown/embeds.h): providers whose addresses alone on a line of a body
  // become embeds; [] turns them off. BROADSHEET_EMBEDS (comma-separated) replaces the list.
  std::vector<std::string> embeds = markdown::EmbedProviders();
  // What one client may ask of the public site before a 429, and how often moderators hear of
  // held comments: [comments] per_minute, per_hour, moderator_notice_interval_s; [search]
  // per_minute; and what one desk account may ask of the editor's preview: [desk]
  // previews_per_minute. 0 turns a limit off.
  struct Floods {
    int comments_per_minute = 5;
    int comments_per_hour = 30;
    int moderator_notice_interval_s = 600;
    int searches_per_minute = 30;
    int previews_per_minute = 60;
  } floods;
  // [search] snapshot_hours = 24 (BROADSHEET_SEARCH_SNAPSHOT_HOURS): with PostgreSQL, how often
  // one node uploads a snapshot of its search index to the media store for new nodes to copy
  // (search/snapshot.h); 0: never.
  int search_snapshot_hours = 24;
  // [search] change_log_days = 30 (BROADSHEET_SEARCH_CHANGE_LOG_DAYS, 1 to 3650): how long the
  // change log keeps its rows (trimmed once an hour by the node holding the scheduler's lease);
  // a node whose index is further behind rebuilds it from the posts.
  int change_log_days = 30;
  // [cache]: what shared caches in front may keep and where purges go (docs/caching.md).
  // s_maxage_s = 300 and stale_while_revalidate_s = 60 make public pages "public, max-age=0,
  // s-maxage=300, stale-while-revalidate=60" with a Surrogate-Key header (s_maxage_s = 0:
  // "public, no-cache", kept by no shared cache, no keys); purge = ["http://127.0.0.1:6081"]:
  // Varnish addresses (vmod_xkey) told of every change, none by default. Unset, s_maxage_s is
  // 300 when purges go somewhere and 0 when not: a cache that is never told of changes must not
  // keep pages unasked. BROADSHEET_CACHE_S_MAXAGE_S,
  // BROADSHEET_CACHE_STALE_WHILE_REVALIDATE_S, BROADSHEET_CACHE_PURGE (comma-separated) override
  // them.
  struct SharedCache {
    int s_maxage_s = 0;
    int stale_while_revalidate_s = 60;
    std::vector<std::string> purge;
  } shared_cache;
  // drain_s = 5 (BROADSHEET_DRAIN_S): after SIGTERM, how long /readyz answers 503 while requests
  // are still served, so that a load balancer stops sending any before the node stops.
  int drain_s = 5;
};

// What bodies may keep and embed (embed_hosts and embeds), for every door that stores a body.
markdown::FilterOptions BodyFilterOptions(const Config& config);
// The Content-Security-Policy's frame-src hosts: the enabled providers' frames, then embed_hosts.
std::vector<std::string> FrameHosts(const Config& config);

// Reads a variable from the environment; replaceable in tests.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
Environment ProcessEnvironment();

Result<Config> LoadConfig(const std::filesystem::path& site_dir, const Environment& environment);

// The broadsheet.toml that `broadsheet init` writes, with every setting shown.
std::string DefaultConfigText(const std::string& base_url, const std::string& database_url = "");

}  // namespace broadsheet::app
