#include "app/config.h"

#include <gtest/gtest.h>

#include <map>

#include "app/site_dir.h"
#include "test_util.h"

namespace broadsheet::app {
namespace {

using broadsheet::testing::TempDir;

Environment Fake(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

TEST(Config, AnEmptyFileGivesDefaults) {
  TempDir dir;
  dir.Write("broadsheet.toml", "");
  auto config = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->listen.host, "127.0.0.1");
  EXPECT_EQ(config->listen.port, 8080);
  EXPECT_EQ(config->cache_budget_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(config->theme_dir, dir.path() / "theme");
}

TEST(Config, TheChangeLogKeepsThirtyDaysUnlessSet) {
  TempDir dir;
  dir.Write("broadsheet.toml", "");
  auto config = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->change_log_days, 30);
  dir.Write("broadsheet.toml", "[search]\nper_minute = 10\nchange_log_days = 7\n");
  config = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->change_log_days, 7);
  EXPECT_EQ(config->floods.searches_per_minute, 10);
  config = LoadConfig(dir.path(), Fake({{"BROADSHEET_SEARCH_CHANGE_LOG_DAYS", "90"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->change_log_days, 90);
  for (const char* wrong : {"0", "-1", "3651"}) {
    dir.Write("broadsheet.toml", std::string("[search]\nchange_log_days = ") + wrong + "\n");
    auto refused = LoadConfig(dir.path(), Fake({}));
    ASSERT_FALSE(refused) << wrong;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  }
  dir.Write("broadsheet.toml", "[search]\nchange_log_days = \"30\"\n");
  EXPECT_EQ(LoadConfig(dir.path(), Fake({})).error().code, ErrorCode::kInvalidArgument);
}

TEST(Config, EmbedHostsFromTheFileOrTheEnvironment) {
  TempDir dir;
  dir.Write("broadsheet.toml",
            "embed_hosts = [\"Player.Vimeo.com\", \"www.youtube-nocookie.com\"]\n");
  auto config = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->embed_hosts,
            (std::vector<std::string>{"player.vimeo.com", "www.youtube-nocookie.com"}));
  config = LoadConfig(dir.path(), Fake({{"BROADSHEET_EMBED_HOSTS", "a.example, b.example"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->embed_hosts, (std::vector<std::string>{"a.example", "b.example"}));
  dir.Write("broadsheet.toml", "embed_hosts = [\"evil.example/path\"]\n");
  EXPECT_EQ(LoadConfig(dir.path(), Fake({})).error().code, ErrorCode::kInvalidArgument);
  dir.Write("broadsheet.toml", "embed_hosts = \"one.example\"\n");
  EXPECT_EQ(LoadConfig(dir.path(), Fake({})).error().code, ErrorCode::kInvalidArgument);
}

TEST(Config, EmbedProvidersAreAllOnUnlessListed) {
  TempDir dir;
  dir.Write("broadsheet.toml", "embed_hosts = [\"maps.example.org\"]\n");
  auto config = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->embeds, markdown::EmbedProviders());
  EXPECT_EQ(
      FrameHosts(*config),
      (std::vector<std::string>{"www.youtube-nocookie.com", "player.vimeo.com", "w.soundcloud.com",
                                "datawrapper.dwcdn.net", "flo.uri.sh", "maps.example.org"}));
  EXPECT_EQ(BodyFilterOptions(*config).embeds, markdown::EmbedProviders());
  dir.Write("broadsheet.toml", "embeds = [\"bluesky\", \"vimeo\"]\n");
  config = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->embeds, (std::vector<std::string>{"bluesky", "vimeo"}));
  EXPECT_EQ(FrameHosts(*config), (std::vector<std::string>{"player.vimeo.com"}));
  config = LoadConfig(dir.path(), Fake({{"BROADSHEET_EMBEDS", ""}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->embeds.empty());
  EXPECT_TRUE(FrameHosts(*config).empty());
  config = LoadConfig(dir.path(), Fake({{"BROADSHEET_EMBEDS", "youtube, x"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->embeds, (std::vector<std::string>{"youtube", "x"}));
  dir.Write("broadsheet.toml", "embeds = [\"myspace\"]\n");
  EXPECT_EQ(LoadConfig(dir.path(), Fake({})).error().code, ErrorCode::kInvalidArgument);
  dir.Write("broadsheet.toml", "embeds = \"youtube\"\n");
  EXPECT_EQ(LoadConfig(dir.path(), Fake({})).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(LoadConfig(dir.path(), Fake({{"BROADSHEET_EMBEDS", "YouTube"}})).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(Config, TheDefaultFileParsesToTheDefaults) {
  TempDir dir;
  dir.Write("broadsheet.toml", DefaultConfigText("http://127.0.0.1:8080"));
  auto config = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(config) << config.error().message;
  // The public address is a publication setting; the file only overrides it when uncommented.
  EXPECT_EQ(config->base_url, "");
  EXPECT_FALSE(config->publication.base_url);
  EXPECT_EQ(config->listen.port, 8080);
}

TEST(Config, EnvironmentWinsOverTheFile) {
  TempDir dir;
  dir.Write(
      "broadsheet.toml",
      "listen = \"127.0.0.1:9000\"\ncache_budget_mb = 8\n[publication]\ntitle = \"From File\"\n");
  auto config =
      LoadConfig(dir.path(), Fake({{"BROADSHEET_LISTEN", "0.0.0.0:7000"},
                                   {"BROADSHEET_TITLE", "From Env"},
                                   {"BROADSHEET_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"},
                                   {"BROADSHEET_TIMEZONE", "Europe/Paris"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->listen.port, 7000);
  EXPECT_EQ(config->cache_budget_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(config->publication.title, "From Env");
  EXPECT_EQ(config->publication.timezone, "Europe/Paris");
  EXPECT_EQ(config->trusted_proxies.size(), 2u);
}

TEST(Config, MistakesNameTheSetting) {
  TempDir dir;
  dir.Write("broadsheet.toml", "lisen = \"x\"\n");
  auto unknown = LoadConfig(dir.path(), Fake({}));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("lisen"), std::string::npos);

  dir.Write("broadsheet.toml", "cache_budget_mb = \"lots\"\n");
  auto typed = LoadConfig(dir.path(), Fake({}));
  ASSERT_FALSE(typed);
  EXPECT_NE(typed.error().message.find("cache_budget_mb"), std::string::npos);

  dir.Write("broadsheet.toml", "");
  auto env = LoadConfig(dir.path(), Fake({{"BROADSHEET_CACHE_BUDGET_MB", "-1"}}));
  ASSERT_FALSE(env);
  EXPECT_NE(env.error().message.find("BROADSHEET_CACHE_BUDGET_MB"), std::string::npos);

  auto zone = LoadConfig(dir.path(), Fake({{"BROADSHEET_TIMEZONE", "Nowhere/City"}}));
  ASSERT_FALSE(zone);

  dir.Write("broadsheet.toml", "listen = [\n");
  auto syntax = LoadConfig(dir.path(), Fake({}));
  ASSERT_FALSE(syntax);
  EXPECT_NE(syntax.error().message.find("broadsheet.toml:"), std::string::npos);
}

TEST(Config, ImageSettingsComeFromTheFileAndTheEnvironment) {
  TempDir dir;
  dir.Write("broadsheet.toml", DefaultConfigText("http://127.0.0.1:8080"));
  auto defaults = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->images.limits.max_decoded_bytes, 256u * 1024 * 1024);
  EXPECT_EQ(defaults->images.max_jobs, 1);
  EXPECT_EQ(defaults->images.retry_after, std::chrono::seconds(10));

  dir.Write("broadsheet.toml", "image_memory_mb = 64\nimage_jobs = 2\n");
  auto config = LoadConfig(dir.path(), Fake({{"BROADSHEET_IMAGE_WAIT_S", "5"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->images.limits.max_decoded_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(config->images.max_jobs, 2);
  EXPECT_EQ(config->images.retry_after, std::chrono::seconds(5));
  // A site written when image_wait_s was how long an upload waited still loads: the same key is
  // now the Retry-After of an upload turned away.
  dir.Write("broadsheet.toml", "image_jobs = 1\nimage_wait_s = 30\n");
  auto older = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(older) << older.error().message;
  EXPECT_EQ(older->images.retry_after, std::chrono::seconds(30));

  auto bad = LoadConfig(dir.path(), Fake({{"BROADSHEET_IMAGE_JOBS", "0"}}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(Config, SharedCacheAndDrainComeFromTheFileAndTheEnvironment) {
  TempDir dir;
  dir.Write("broadsheet.toml", DefaultConfigText("http://127.0.0.1:8080"));
  auto defaults = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(defaults) << defaults.error().message;
  // No cache is told of changes, so none may keep pages unasked.
  EXPECT_EQ(defaults->shared_cache.s_maxage_s, 0);
  EXPECT_EQ(defaults->shared_cache.stale_while_revalidate_s, 60);
  EXPECT_TRUE(defaults->shared_cache.purge.empty());
  EXPECT_EQ(defaults->drain_s, 5);
  // Told of them, caches keep pages five minutes unless the file says otherwise.
  auto purged = LoadConfig(dir.path(), Fake({{"BROADSHEET_CACHE_PURGE", "http://cache:6081"}}));
  ASSERT_TRUE(purged) << purged.error().message;
  EXPECT_EQ(purged->shared_cache.s_maxage_s, 300);

  dir.Write("broadsheet.toml",
            "drain_s = 0\n[cache]\ns_maxage_s = 86400\npurge = [\"http://10.0.0.1:6081/\", "
            "\"http://10.0.0.2:6081\"]\n");
  auto config = LoadConfig(dir.path(), Fake({{"BROADSHEET_CACHE_STALE_WHILE_REVALIDATE_S", "5"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->drain_s, 0);
  EXPECT_EQ(config->shared_cache.s_maxage_s, 86400);
  EXPECT_EQ(config->shared_cache.stale_while_revalidate_s, 5);
  EXPECT_EQ(config->shared_cache.purge,
            (std::vector<std::string>{"http://10.0.0.1:6081", "http://10.0.0.2:6081"}));
  auto from_environment =
      LoadConfig(dir.path(), Fake({{"BROADSHEET_CACHE_PURGE", "http://cache:6081"}}));
  ASSERT_TRUE(from_environment) << from_environment.error().message;
  EXPECT_EQ(from_environment->shared_cache.purge, (std::vector<std::string>{"http://cache:6081"}));

  for (const char* bad : {"[cache]\npurge = [\"cache:6081\"]\n", "[cache]\nttl = 5\n",
                          "[cache]\ns_maxage_s = -1\n", "drain_s = \"5\"\n"}) {
    dir.Write("broadsheet.toml", bad);
    auto refused = LoadConfig(dir.path(), Fake({}));
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(Config, MediaStaysLocalUnlessABucketIsSet) {
  TempDir dir;
  dir.Write("broadsheet.toml", "");
  auto config = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->media.storage, "local");
  dir.Write("broadsheet.toml",
            "[media]\nstorage = \"s3\"\nendpoint = \"http://127.0.0.1:9000\"\n"
            "bucket = \"news-media\"\nregion = \"eu-west-1\"\naccess_key_id = \"AKID\"\n"
            "path_style = true\npublic_url = \"https://media.example.org/\"\ntimeout_s = 12\n");
  // The secret from the environment only.
  config = LoadConfig(dir.path(), Fake({{"BROADSHEET_S3_SECRET_ACCESS_KEY", "s3cret"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->media.storage, "s3");
  EXPECT_EQ(config->media.bucket, "news-media");
  EXPECT_EQ(config->media.region, "eu-west-1");
  EXPECT_EQ(config->media.secret_access_key, "s3cret");
  EXPECT_TRUE(config->media.path_style);
  EXPECT_EQ(config->media.public_url, "https://media.example.org/");
  EXPECT_EQ(config->media.timeout_s, 12);
  // Without the secret, a bucket is refused at once.
  EXPECT_EQ(LoadConfig(dir.path(), Fake({})).error().code, ErrorCode::kInvalidArgument);
  // The environment may choose the bucket too.
  config = LoadConfig(dir.path(), Fake({{"BROADSHEET_S3_SECRET_ACCESS_KEY", "s3cret"},
                                        {"BROADSHEET_S3_BUCKET", "other-bucket"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->media.bucket, "other-bucket");
}

TEST(Config, MediaMistakesAreRefused) {
  TempDir dir;
  for (const char* text : {"[media]\nstorage = \"ftp\"\n", "[media]\nbucket_name = \"x\"\n",
                           "[media]\npath_style = \"yes\"\n", "media = \"s3\"\n",
                           "[media]\nstorage = \"s3\"\nbucket = \"b-1\"\n"}) {
    dir.Write("broadsheet.toml", text);
    auto config = LoadConfig(dir.path(), Fake({{"BROADSHEET_S3_SECRET_ACCESS_KEY", "s"}}));
    ASSERT_FALSE(config) << text;
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument) << text;
  }
}

TEST(Config, TheListeningAddressIsAnotherPostgresUrlForTheSameDatabase) {
  TempDir dir;
  dir.Write("broadsheet.toml",
            "database_url = \"postgresql://broadsheet@pgbouncer:6432/news\"\n"
            "database_listen_url = \"postgresql://broadsheet@db:5432/news\"\n");
  auto config = LoadConfig(dir.path(), Fake({}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->database_listen_url, "postgresql://broadsheet@db:5432/news");
  auto from_environment = LoadConfig(
      dir.path(), Fake({{"BROADSHEET_DATABASE_LISTEN_URL", "postgres://broadsheet@db2/news"}}));
  ASSERT_TRUE(from_environment);
  EXPECT_EQ(from_environment->database_listen_url, "postgres://broadsheet@db2/news");

  dir.Write("broadsheet.toml", "");
  EXPECT_TRUE(LoadConfig(dir.path(), Fake({}))->database_listen_url.empty());
  // Alone (a SQLite site has nothing to listen to), or not PostgreSQL's: refused.
  auto alone = LoadConfig(
      dir.path(), Fake({{"BROADSHEET_DATABASE_LISTEN_URL", "postgresql://broadsheet@db/news"}}));
  ASSERT_FALSE(alone);
  EXPECT_EQ(alone.error().code, ErrorCode::kInvalidArgument);
  dir.Write("broadsheet.toml",
            "database_url = \"postgresql://broadsheet@db/news\"\n"
            "database_listen_url = \"sqlite:/tmp/x.db\"\n");
  auto other = LoadConfig(dir.path(), Fake({}));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kInvalidArgument);
}

TEST(DatabaseError, NeverRepeatsTheUrlsPassword) {
  const Error failed{ErrorCode::kUnavailable, "cannot connect to PostgreSQL",
                     "invalid percent-encoded token: \"S3cret%ZZ\" in postgresql://u:S3cret%ZZ@db"};
  const Error named = DatabaseError(failed, "postgresql://u:S3cret%ZZ@db/site");
  EXPECT_EQ(named.code, ErrorCode::kUnavailable);
  EXPECT_EQ(named.message.find("S3cret"), std::string::npos) << named.message;
  EXPECT_EQ(named.detail.find("S3cret"), std::string::npos) << named.detail;
  EXPECT_NE(named.message.find("***"), std::string::npos);  // libpq's reason is kept
  const Error in_query =
      DatabaseError(Error{ErrorCode::kUnavailable, "x", "password=hunter22 refused"},
                    "postgresql://db/site?sslmode=require&password=hunter22");
  EXPECT_EQ(in_query.detail.find("hunter22"), std::string::npos);
}

}  // namespace
}  // namespace broadsheet::app
