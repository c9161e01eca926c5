#include "cli/cli.h"

#include <sqlite3.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/config.h"
#include "app/serve.h"
#include "app/site_dir.h"
#include "auth/accounts.h"
#include "auth/crypto.h"
#include "cli/newsletter_command.h"
#include "comments/comments.h"
#include "content/records.h"
#include "core/text.h"
#include "http/static_files.h"
#include "importers/content_folder.h"
#include "importers/ghost.h"
#include "importers/import_count.h"
#include "importers/site_json.h"
#include "importers/wordpress.h"
#include "importers/wxr_writer.h"
#include "media/object_store.h"
#include "storage/migrations.h"

namespace broadsheet::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kFailure = 1;
constexpr int kUsage = 2;

int Fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.message.c_str());
  return kFailure;
}

void ConfigureLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("broadsheet");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S%z %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

void PrintReport(const importers::FolderReport& report) {
  std::printf("imported: %d section(s), %d author(s), %d post(s), %d image(s)%s\n", report.sections,
              report.authors, report.posts, report.images,
              report.publication ? ", publication settings" : "");
  for (const auto& warning : report.warnings)
    std::fprintf(stderr, "warning: %s\n", warning.ToString().c_str());
  for (const auto& problem : report.rejected)
    std::fprintf(stderr, "rejected: %s\n", problem.ToString().c_str());
  if (!report.rejected.empty()) {
    std::set<std::string> files;
    for (const auto& problem : report.rejected) files.insert(problem.file);
    std::fprintf(stderr,
                 "%zu file(s) rejected with %zu problem(s); the other files were imported\n",
                 files.size(), report.rejected.size());
  }
}

// The embeds imported bodies may keep: this site's `embed_hosts` and `embeds`, as in the desk.
Result<markdown::FilterOptions> SiteFilter(const std::string& site) {
  auto config = app::LoadConfig(site, app::ProcessEnvironment());
  if (!config) return tl::unexpected(config.error());
  return app::BodyFilterOptions(*config);
}

// Before stored HTML leaves the site (an export), HTML stored before the filter is filtered
// (once per site; app::UpgradeStoredHtml). Reported on standard error: standard output may be
// the export.
Result<void> UpgradeStoredHtml(const std::string& site, Store& store) {
  auto config = app::LoadConfig(site, app::ProcessEnvironment());
  if (!config) return tl::unexpected(config.error());
  auto upgraded = app::UpgradeStoredHtml(store, *config);
  if (!upgraded) return tl::unexpected(upgraded.error());
  if (upgraded->ran && upgraded->posts_changed + upgraded->bios_changed > 0) {
    std::fprintf(stderr,
                 "filtered HTML stored before the HTML filter: %d post body(ies), %d author "
                 "bio(s) (docs/html-policy.md)\n",
                 upgraded->posts_changed, upgraded->bios_changed);
  }
  return {};
}

int InitCommand(const std::string& dir, bool demo, const std::string& database_url) {
  // --database-url goes into broadsheet.toml; BROADSHEET_DATABASE_URL stays in the environment,
  // where every later command reads it too.
  std::string url = database_url;
  const auto from_environment = app::ProcessEnvironment()("BROADSHEET_DATABASE_URL");
  const bool url_in_file = !url.empty();
  if (url.empty() && from_environment) url = *from_environment;
  auto report = app::InitSite(dir, demo, url, url_in_file);
  if (!report) return Fail(report.error());
  std::printf("created the site %s\n", dir.c_str());
  if (!url.empty()) {
    std::printf("its data is in the PostgreSQL database %s\n",
                url_in_file ? "named in broadsheet.toml (readable by you only)"
                            : "named by BROADSHEET_DATABASE_URL: keep it set for every command");
  }
  if (report->demo) {
    PrintReport(*report->demo);
    if (!report->demo->rejected.empty()) return kFailure;
  }
  std::printf("serve it with: broadsheet serve --site %s\n", dir.c_str());
  std::printf(
      "and make yourself an account for the editorial desk (/admin) with:\n"
      "  broadsheet user add --site %s --email you@example.org --name \"Your Name\" --role owner\n",
      dir.c_str());
  return 0;
}

int ServeCommand(const std::string& site, const std::optional<std::string>& listen) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto config = app::LoadConfig(site, app::ProcessEnvironment());
  if (!config) return Fail(config.error());
  ConfigureLogging(config->log_level);
  return app::Serve(*paths, std::move(*config), app::ServeOptions{listen});
}

// Files of a local folder copied into a bucket under their paths below the folder; an object
// already there with the same size is left alone. Each failure is printed with its key (and the
// store's status; never the credentials).
struct BucketCopy {
  int copied = 0, present = 0, failed = 0;
};

BucketCopy CopyIntoBucket(media::ObjectStore& bucket,
                          const std::vector<media::LocalObjectStore::Entry>& entries,
                          const media::LocalObjectStore& local, bool dry_run) {
  constexpr size_t kMaxFileBytes = 512 * 1024 * 1024;
  BucketCopy counts;
  for (const auto& entry : entries) {
    auto report_failure = [&](const Error& error) {
      ++counts.failed;
      std::fprintf(stderr, "failed: %s: %s%s%s%s\n", entry.key.c_str(), error.message.c_str(),
                   error.detail.empty() ? "" : " (", error.detail.c_str(),
                   error.detail.empty() ? "" : ")");
    };
    auto size = bucket.Size(entry.key);
    if (!size) {
      report_failure(size.error());
      continue;
    }
    // The same size is not the same file (an image edited in place keeps its size often
    // enough): one of that size is read back and compared, byte for byte.
    std::optional<media::StoredObject> object;
    if (*size && **size == entry.size) {
      auto mine = local.Get(entry.key, kMaxFileBytes);
      if (!mine) {
        report_failure(mine.error());
        continue;
      }
      auto theirs = bucket.Get(entry.key, static_cast<size_t>(entry.size) + 1);
      if (!theirs && theirs.error().code != ErrorCode::kNotFound) {
        report_failure(theirs.error());
        continue;
      }
      if (theirs && theirs->data == mine->data) {
        ++counts.present;
        continue;
      }
      object = std::move(*mine);
    }
    if (dry_run) {
      ++counts.copied;
      continue;
    }
    if (!object) {
      auto read = local.Get(entry.key, kMaxFileBytes);
      if (!read) {
        report_failure(read.error());
        continue;
      }
      object = std::move(*read);
    }
    if (auto put = bucket.Put(entry.key, object->data, http::ContentTypeFor(entry.key)); !put) {
      report_failure(put.error());
      continue;
    }
    ++counts.copied;
  }
  return counts;
}

// The site's bucket when [media] storage = "s3"; null for a local site.
Result<std::unique_ptr<media::S3ObjectStore>> SiteBucket(const std::string& site) {
  auto config = app::LoadConfig(site, app::ProcessEnvironment());
  if (!config) return tl::unexpected(config.error());
  if (config->media.storage != "s3") return std::unique_ptr<media::S3ObjectStore>();
  return media::S3ObjectStore::Open(config->media);
}

// After an import into a site whose media are in a bucket: what the import copied into uploads/
// (below `under`, or all of it) goes to the bucket too. Nothing for a local site.
int PushImportedMedia(const std::string& site, const fs::path& uploads, const std::string& under) {
  auto bucket = SiteBucket(site);
  if (!bucket) return Fail(bucket.error());
  if (!*bucket) return 0;
  media::LocalObjectStore local(uploads);
  auto entries = local.List();
  if (!entries) {
    if (entries.error().code == ErrorCode::kNotFound) return 0;
    return Fail(entries.error());
  }
  std::erase_if(*entries, [&](const auto& entry) {
    return !under.empty() && !entry.key.starts_with(under + "/");
  });
  const BucketCopy counts = CopyIntoBucket(**bucket, *entries, local, false);
  std::printf("media:     %d file(s) copied into the %s, %d there already\n", counts.copied,
              (*bucket)->Describe().c_str(), counts.present);
  if (counts.failed > 0) {
    std::fprintf(stderr,
                 "%d image(s) were not copied into the bucket: run `broadsheet media migrate` "
                 "to retry them\n",
                 counts.failed);
    return kFailure;
  }
  return 0;
}

int ImportMarkdownCommand(const std::string& site, const std::string& folder) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  auto filter = SiteFilter(site);
  if (!filter) return Fail(filter.error());
  importers::FolderOptions options;
  options.uploads_dir = paths->uploads;
  options.html_filter = std::move(*filter);
  auto report = importers::ImportFolder(**store, folder, options);
  if (!report) return Fail(report.error());
  PrintReport(*report);
  if (report->posts > 0)
    std::printf("search: `serve` adds the imported posts to the search index as it runs\n");
  const int pushed = PushImportedMedia(site, paths->uploads, "");
  return report->rejected.empty() && pushed == 0 ? 0 : kFailure;
}

int DryRunWordPress(const std::string& file) {
  auto summary = importers::SummarizeWordPress(file);
  if (!summary) return Fail(summary.error());
  std::printf("authors: %d, categories: %d, tags: %d\n", summary->authors, summary->categories,
              summary->tags);
  for (const auto& [type, count] : summary->items) std::printf("%s: %d\n", type.c_str(), count);
  std::string statuses;
  for (const auto& [status, count] : summary->statuses)
    statuses += (statuses.empty() ? "" : ", ") + status + " " + std::to_string(count);
  std::printf("posts and pages by status: %s\n", statuses.empty() ? "none" : statuses.c_str());
  std::printf("comments: %d (%d of them replies)\n", summary->comments, summary->replies);
  std::printf("dry run: nothing was written\n");
  return 0;
}

// A progress bar on standard error while it is a terminal, redrawn at most ten times a second.
class ProgressBar {
 public:
  explicit ProgressBar(const std::string& file) : shown_(isatty(STDERR_FILENO) == 1) {
    std::error_code error;
    if (file != "-") total_ = fs::file_size(file, error);
    if (error) total_ = 0;
  }
  ~ProgressBar() { Clear(); }

  void Show(std::uint64_t bytes) {
    if (!shown_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
    if (total_ == 0) {
      std::fprintf(stderr, "\rimporting: %.1f MiB read", mib);
    } else {
      constexpr int kWidth = 30;
      const double share = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
      const int filled = static_cast<int>(share * kWidth);
      std::fprintf(stderr, "\rimporting [%s%s] %3d%%  %.1f of %.1f MiB",
                   std::string(filled, '#').c_str(), std::string(kWidth - filled, ' ').c_str(),
                   static_cast<int>(share * 100), mib,
                   static_cast<double>(total_) / (1024.0 * 1024.0));
    }
    std::fflush(stderr);
    drawn_ = true;
  }

  void Clear() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

 private:
  bool shown_;
  bool drawn_ = false;
  std::uintmax_t total_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

// An import that failed wrote nothing: say so with the reason.
int FailImport(const Error& error) {
  std::fprintf(stderr, "error: %s\nnothing was imported: the site is as it was\n",
               error.message.c_str());
  return kFailure;
}

// "articles:  12 new, 3 already here (updated or used)", for each kind an import counts.
void PrintCounts(std::initializer_list<std::pair<const char*, importers::ImportCount>> counts) {
  for (const auto& [what, count] : counts) {
    std::printf("%-10s %d new, %d already here (updated or used)\n", what, count.created,
                count.existing);
  }
}

void PrintWordPressReport(const importers::WordPressReport& report) {
  PrintCounts({{"articles:", report.articles},
               {"pages:", report.pages},
               {"authors:", report.authors},
               {"sections:", report.sections},
               {"tags:", report.tags},
               {"comments:", report.comments}});
  std::printf("replies:   %d comments keep their thread\n", report.replies);
  std::printf("redirects: %d more old addresses answer 301\n", report.redirects);
  std::printf(
      "images:    %d copied into uploads/wordpress/, %d featured image(s) kept at their "
      "WordPress address\n",
      report.images_copied, report.images_linked);
  if (report.embeds > 0)
    std::printf("embeds:    %d kept as links (Broadsheet does not embed players)\n", report.embeds);
  if (!report.shortcodes.empty()) {
    std::string names;
    for (const auto& [name, count] : report.shortcodes)
      names += fmt::format("{}[{}] x{}", names.empty() ? "" : ", ", name, count);
    std::printf("shortcodes kept as text: %s\n", names.c_str());
  }
  if (report.html_removed.Total() > 0)
    std::printf("filtered:  %s removed from bodies (docs/html-policy.md)\n",
                report.html_removed.Summary().c_str());
  for (const auto& [reason, count] : report.skipped)
    std::printf("not as on WordPress: %d %s\n", count, reason.c_str());
  for (const auto& note : report.notes) std::printf("note: %s\n", note.c_str());
  if (report.notes_left_out > 0) std::printf("note: and %d more\n", report.notes_left_out);
}

int ImportWordPressCommand(const std::string& site, const std::string& file,
                           const std::string& uploads, bool dry_run) {
  if (dry_run) return DryRunWordPress(file);
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  auto filter = SiteFilter(site);
  if (!filter) return Fail(filter.error());
  ProgressBar bar(file);
  importers::WordPressOptions options;
  options.html_filter = std::move(*filter);
  options.uploads_from = uploads;
  options.uploads_dir = paths->uploads;
  options.progress = [&bar](std::uint64_t bytes) { bar.Show(bytes); };
  auto report = importers::ImportWordPress(**store, file, options);
  bar.Clear();
  if (!report) return FailImport(report.error());
  PrintWordPressReport(*report);
  if (report->articles.created + report->pages.created > 0)
    std::printf("search: `serve` adds the imported posts to the search index as it runs\n");
  if (!uploads.empty()) return PushImportedMedia(site, paths->uploads, "wordpress");
  return 0;
}

// Writes to FILE through a temporary file renamed into place, so that a failed export never
// leaves a half-written FILE; "-" writes to standard output.
template <typename Write>
int WriteExport(const std::string& file, Write write) {
  if (file == "-") {
    auto written = write(std::cout);
    return written ? 0 : Fail(written.error());
  }
  const std::string partial = file + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) {
    return Fail(Error{ErrorCode::kIo, "cannot write " + partial, ""});
  }
  auto written = write(out);
  out.close();
  std::error_code error;
  if (!written || !out) {
    fs::remove(partial, error);
    return Fail(written ? Error{ErrorCode::kIo, "could not write " + file, ""} : written.error());
  }
  fs::rename(partial, file, error);
  if (error) {
    fs::remove(partial, error);
    return Fail(Error{ErrorCode::kIo, "cannot move the export to " + file, ""});
  }
  return -1;  // written: the caller reports
}

int ExportJsonCommand(const std::string& site, const std::string& file) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  if (auto upgraded = UpgradeStoredHtml(site, **store); !upgraded) return Fail(upgraded.error());
  const int code =
      WriteExport(file, [&](std::ostream& out) { return importers::ExportSiteJson(**store, out); });
  if (code >= 0) return code;
  std::fprintf(stderr,
               "exported the site to %s (format broadsheet-export, version %d); images are not "
               "inside it: copy %s alongside\n",
               file.c_str(), importers::kExportVersion, paths->uploads.c_str());
  return 0;
}

int ExportWordPressCommand(const std::string& site, const std::string& file) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  if (auto upgraded = UpgradeStoredHtml(site, **store); !upgraded) return Fail(upgraded.error());
  importers::WxrExportReport report;
  const int code = WriteExport(file, [&](std::ostream& out) -> Result<void> {
    auto written = importers::ExportWordPress(**store, out);
    if (!written) return tl::unexpected(written.error());
    report = *written;
    return {};
  });
  if (code >= 0) return code;
  std::fprintf(stderr,
               "exported %d post(s), %d page(s), %d comment(s) and %d featured image(s) to %s "
               "(WXR 1.2: import it in WordPress with Tools > Import > WordPress)\n",
               report.posts, report.pages, report.comments, report.attachments, file.c_str());
  if (report.extra_authors > 0) {
    std::fprintf(stderr,
                 "note: WordPress has one author per post: %d co-author byline(s) after the "
                 "first are not in the file\n",
                 report.extra_authors);
  }
  return 0;
}

int ImportGhostCommand(const std::string& site, const std::string& file,
                       const std::string& images) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  auto filter = SiteFilter(site);
  if (!filter) return Fail(filter.error());
  ProgressBar bar(file);
  importers::GhostOptions options;
  options.html_filter = std::move(*filter);
  options.images_from = images;
  options.uploads_dir = paths->uploads;
  options.progress = [&bar](std::uint64_t bytes) { bar.Show(bytes); };
  auto report = importers::ImportGhost(**store, file, options);
  bar.Clear();
  if (!report) return FailImport(report.error());
  PrintCounts({{"articles:", report->articles},
               {"pages:", report->pages},
               {"authors:", report->authors},
               {"sections:", report->sections},
               {"tags:", report->tags}});
  std::printf("redirects: %d more old addresses answer 301\n", report->redirects);
  std::printf("images:    %d copied into uploads/ghost/\n", report->images_copied);
  if (report->converted > 0)
    std::printf("converted: %d post(s) from lexical or mobiledoc (no html in the export)\n",
                report->converted);
  if (report->embeds > 0)
    std::printf("embeds:    %d kept as links (Broadsheet does not embed players)\n",
                report->embeds);
  if (report->html_removed.Total() > 0)
    std::printf("filtered:  %s removed from bodies (docs/html-policy.md)\n",
                report->html_removed.Summary().c_str());
  for (const auto& [card, count] : report->cards)
    std::printf("not as on Ghost: %d %s card(s) left out (no HTML form)\n", count, card.c_str());
  for (const auto& [reason, count] : report->skipped)
    std::printf("not as on Ghost: %d %s\n", count, reason.c_str());
  for (const auto& note : report->notes) std::printf("note: %s\n", note.c_str());
  if (!images.empty()) return PushImportedMedia(site, paths->uploads, "ghost");
  return 0;
}

int ImportJsonCommand(const std::string& site, const std::string& file) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  auto filter = SiteFilter(site);
  if (!filter) return Fail(filter.error());
  auto report = importers::ImportSiteJson(**store, file, *filter);
  if (!report) return FailImport(report.error());
  std::printf(
      "imported: %d post(s) with %d revision(s), %d comment(s) and %d editorial note(s), %d "
      "section(s), %d author(s), %d tag(s), %d media item(s), %d subscriber(s), %d redirect(s), "
      "%d staff account(s), %d desk setting(s)\n",
      report->posts, report->revisions, report->comments, report->editorial_notes, report->sections,
      report->authors, report->tags, report->media, report->subscribers, report->redirects,
      report->users, report->settings);
  if (report->users_kept > 0) {
    std::printf("%d staff account(s) already here were kept as they are\n", report->users_kept);
  }
  if (report->users > 0) {
    std::printf(
        "staff accounts have no passwords yet: `broadsheet user link --email ADDRESS` "
        "prints the link where each chooses one\n");
  }
  std::printf("copy the old site's uploads/ folder into %s if it is not there yet\n",
              paths->uploads.c_str());
  return 0;
}

int BackupCommand(const std::string& site, const std::string& file) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  if (auto done = (*store)->BackupTo(file); !done) return Fail(done.error());
  std::printf("backed up the database to %s (copy uploads/ separately)\n", file.c_str());
  if ((*store)->dialect() == storage::Dialect::kPostgres) {
    std::printf(
        "it is a SQLite file; restore it into an empty PostgreSQL database with:\n"
        "  broadsheet migrate-store --from sqlite:%s --to postgresql://USER@HOST/DATABASE\n",
        file.c_str());
  }
  return 0;
}

// `search rebuild`: a `reindex` row in the change log; every node's index (each server's, and
// the next to open one) rebuilds from the posts when it reads it, answering from what it holds
// meanwhile.
int SearchRebuildCommand(const std::string& site) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  if (auto done = (*store)->LogReindex(); !done) return Fail(done.error());
  std::printf(
      "asked every search index of the site to rebuild: a running server starts within a "
      "second, others when they next start\n");
  return 0;
}

// `migrate-store`: every row of the site's database (or of `from`) copied into the empty one at
// `to`; the site keeps serving from its own until its configuration names the new one.
int MigrateStoreCommand(const std::string& site, const std::string& from, const std::string& to) {
  // The change signal a SQLite store keeps beside its file, if opening one here makes it: the
  // server that later serves the file makes its own.
  std::vector<std::string> made_signals;
  for (const std::string& url : {from, to}) {
    if (!url.starts_with("sqlite:")) continue;
    const std::string signal = url.substr(std::string_view("sqlite:").size()) + "-changes";
    if (!std::filesystem::exists(signal)) made_signals.push_back(signal);
  }
  const auto remove_made_signals = [&] {
    std::error_code ignored;
    for (const auto& signal : made_signals) std::filesystem::remove(signal, ignored);
  };
  std::unique_ptr<SqlStore> source;
  std::string source_name = app::WithoutPassword(from);
  if (from.empty()) {
    auto paths = app::OpenSiteDir(site);
    if (!paths) return Fail(paths.error());
    auto opened = app::OpenStore(*paths);
    if (!opened) return Fail(opened.error());
    source = std::move(*opened);
    source_name = "the database of the site at " + site;
  } else {
    auto opened = app::OpenStoreAt(from, app::StoreRole::kSource);
    if (!opened) {
      remove_made_signals();
      return Fail(opened.error());
    }
    source = std::move(*opened);
  }
  auto target = app::OpenStoreAt(to, app::StoreRole::kTarget);
  if (!target) {
    source.reset();
    remove_made_signals();
    return Fail(target.error());
  }
  auto report = source->CopyInto(**target);
  target->reset();
  source.reset();
  remove_made_signals();
  if (!report) {
    Error error = report.error();
    error.message = app::WithoutPassword(error.message);
    return Fail(error);
  }
  std::printf("copied %lld row(s) from %s into %s:\n", static_cast<long long>(report->rows),
              source_name.c_str(), app::WithoutPassword(to).c_str());
  for (const auto& table : report->tables) {
    if (table.rows > 0)
      std::printf("  %-22s %lld\n", table.name.c_str(), static_cast<long long>(table.rows));
  }
  if (report->rows == 0) std::printf("warning: the source held no rows at all\n");
  std::printf(
      "the copy holds what the source held when the copy began: anything written there since is "
      "not in it\n");
  if (storage::IsPostgresUrl(to)) {
    std::printf(
        "to serve from it, stop the server, set database_url in the site's broadsheet.toml (or "
        "BROADSHEET_DATABASE_URL) to that address, and start the server again\n");
  } else {
    std::printf(
        "to serve from it, stop the server, move the file to the site's folder as "
        "broadsheet.db, take database_url out of broadsheet.toml (and BROADSHEET_DATABASE_URL out "
        "of the environment), and start the server again\n");
  }
  return 0;
}

// A one-time link where the account chooses its password.
int PrintPasswordLink(Store& store, const app::Config& config, std::int64_t user_id) {
  auto token = auth::Accounts(store).CreatePasswordLink(user_id, Now());
  if (!token) return Fail(token.error());
  auto publication = store.LoadPublication();
  std::string base = config.base_url;
  if (base.empty() && publication) base = publication->base_url;
  if (base.empty()) base = "http://127.0.0.1:8080";
  std::printf(
      "they choose a password at this link (valid for 7 days, once):\n%s/admin/password/%s\n",
      base.c_str(), token->c_str());
  return 0;
}

struct UserAddOptions {
  std::string email, name, role;
  bool password_stdin = false;
  std::string author;  // --author: an existing profile to link
  bool new_profile = false;
  bool no_profile = false;
};

int UserAddCommand(const std::string& site, const UserAddOptions& options) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto config = app::LoadConfig(site, app::ProcessEnvironment());
  if (!config) return Fail(config.error());
  if (auto crypto = auth::InitCrypto(); !crypto) return Fail(crypto.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  std::optional<std::string> password;
  if (options.password_stdin) {
    std::string line;
    if (!std::getline(std::cin, line)) {
      std::fprintf(stderr, "error: --password-stdin was given but standard input is empty\n");
      return kFailure;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    password = line;
  }
  auth::Accounts accounts(**store);
  content::NewAccount account{
      options.email, options.name, options.role, password, content::ProfileChoice::kAuto,
      options.author};
  if (!options.author.empty()) account.profile = content::ProfileChoice::kExisting;
  if (options.new_profile) account.profile = content::ProfileChoice::kNew;
  if (options.no_profile) account.profile = content::ProfileChoice::kNone;
  auto added = content::AddAccount(**store, accounts, nullptr, account);
  if (!added) return Fail(added.error());
  std::printf("added %s <%s> as %s\n", options.name.c_str(), options.email.c_str(),
              options.role.c_str());
  if (added->profile_created)
    std::printf("author profile: /author/%s/ (new; public once an article with it is published)\n",
                added->profile_slug.c_str());
  else if (!added->profile_slug.empty())
    std::printf("author profile: /author/%s/ (linked)\n", added->profile_slug.c_str());
  if (!password) return PrintPasswordLink(**store, *config, added->user.id);
  return 0;
}

int UserLinkCommand(const std::string& site, const std::string& email) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto config = app::LoadConfig(site, app::ProcessEnvironment());
  if (!config) return Fail(config.error());
  if (auto crypto = auth::InitCrypto(); !crypto) return Fail(crypto.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  auto user = (*store)->FindUserByEmail(email);
  if (!user) return Fail(user.error());
  if (!*user) return Fail(Error{ErrorCode::kNotFound, "there is no account for " + email, ""});
  return PrintPasswordLink(**store, *config, (*user)->id);
}

// One line per comment: ID, status, post slug, author, the first words.
int CommentsListCommand(const std::string& site, const std::string& status) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  auto comments =
      (*store)->ListComments(status.empty() ? std::nullopt : ParseCommentStatus(status), 1000);
  if (!comments) return Fail(comments.error());
  for (const auto& comment : *comments) {
    std::string words;
    for (char c : comment.body_markdown) words += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    std::printf("%lld\t%s\t%s\t%s\t%s\n", static_cast<long long>(comment.id),
                std::string(CommentStatusName(comment.status)).c_str(), comment.post_slug.c_str(),
                comment.author_name.c_str(), Truncate(words, 60).c_str());
  }
  return 0;
}

int CommentsSetCommand(const std::string& site, std::int64_t id, CommentStatus status) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  // Through the comments module, so the spam filter learns from the decision as in the desk.
  auto changed = comments::Comments(**store).Moderate({id}, status);
  if (!changed) return Fail(changed.error());
  if (*changed == 0)
    return Fail(Error{ErrorCode::kNotFound, fmt::format("There is no comment {}.", id), ""});
  std::printf("comment %lld is %s\n", static_cast<long long>(id),
              std::string(CommentStatusName(status)).c_str());
  return 0;
}

// `broadsheet media migrate`: every file of a local uploads folder into the bucket that [media]
// names, under the same key (its path below the folder, which is its path below /uploads/).
// Idempotent: an object already there with the same content (same size, then the same bytes)
// is left alone.
int MediaMigrateCommand(const std::string& site, const std::string& from, bool dry_run) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto bucket = SiteBucket(site);
  if (!bucket) return Fail(bucket.error());
  if (!*bucket) {
    return Fail(Error{ErrorCode::kInvalidArgument,
                      "media.storage is \"local\": set [media] storage = \"s3\" with the bucket "
                      "in broadsheet.toml first (docs/media.md)",
                      ""});
  }
  const fs::path folder = from.empty() ? paths->uploads : fs::path(from);
  media::LocalObjectStore local(folder);
  auto entries = local.List();
  if (!entries) return Fail(entries.error());
  std::printf("%s %zu file(s) from %s into the %s\n", dry_run ? "would move" : "moving",
              entries->size(), folder.c_str(), (*bucket)->Describe().c_str());
  const BucketCopy counts = CopyIntoBucket(**bucket, *entries, local, dry_run);
  std::printf("%s: %d, already in the bucket: %d, failed: %d\n", dry_run ? "to copy" : "copied",
              counts.copied, counts.present, counts.failed);
  if (counts.failed > 0) {
    std::fprintf(stderr, "%d file(s) were not moved; run the command again to retry them\n",
                 counts.failed);
    return kFailure;
  }
  if (!dry_run)
    std::printf("the local folder is unchanged: remove it once the site serves from the bucket\n");
  return 0;
}

void AddSiteOption(CLI::App* command, std::string& site) {
  command->add_option("--site", site, "The site directory (default: the current directory)")
      ->capture_default_str();
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"Broadsheet: a publishing platform for analysis and opinion publications.",
               "broadsheet"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("broadsheet ") + BROADSHEET_VERSION);
  app.footer("Run 'broadsheet COMMAND --help' for a command's options.");

  std::string site = ".";
  std::string init_dir;
  bool demo = false;
  auto* init = app.add_subcommand("init", "Create a new site directory");
  init->add_option("DIR", init_dir, "The folder to create (must not exist or be empty)")
      ->required();
  init->add_flag("--demo", demo, "Fill it with the demo publication");
  std::string database_url;
  init->add_option("--database-url", database_url,
                   "Keep the site's data in this empty PostgreSQL database "
                   "(postgresql://USER@HOST/DATABASE) instead of DIR/broadsheet.db");

  std::optional<std::string> listen;
  auto* serve = app.add_subcommand("serve", "Serve the site over HTTP until interrupted");
  AddSiteOption(serve, site);
  serve->add_option("--listen", listen,
                    "HOST:PORT to listen on (default: from broadsheet.toml, else 127.0.0.1:8080)");

  auto* import = app.add_subcommand("import", "Import content into the site");
  import->require_subcommand(1);
  std::string folder;
  auto* markdown =
      import->add_subcommand("markdown", "Import a content folder (posts, authors, sections)");
  markdown->add_option("FOLDER", folder, "The content folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  AddSiteOption(markdown, site);
  std::string wxr_file, wp_uploads;
  bool dry_run = false;
  auto* wordpress = import->add_subcommand(
      "wordpress",
      "Import a WordPress export (WXR 1.0-1.2): posts, pages, authors, categories, tags, "
      "comments, featured images and old addresses; running it again updates");
  wordpress->add_option("FILE", wxr_file, "The export file (Tools > Export), or - for stdin")
      ->required();
  wordpress
      ->add_option("--uploads", wp_uploads,
                   "The old site's wp-content/uploads folder: images are copied from it "
                   "(without it, featured images keep their WordPress address)")
      ->check(CLI::ExistingDirectory);
  wordpress->add_flag("--dry-run", dry_run,
                      "Read the file through and say what it holds; write nothing");
  AddSiteOption(wordpress, site);

  std::string ghost_file, ghost_images;
  auto* ghost = import->add_subcommand(
      "ghost",
      "Import a Ghost export (JSON, Ghost 1-5): posts, pages, authors, tags; running it "
      "again updates");
  ghost->add_option("FILE", ghost_file, "The export (Settings > Migration > Export content)")
      ->required()
      ->check(CLI::ExistingFile);
  ghost
      ->add_option("--images", ghost_images,
                   "Ghost's content/images folder: images are copied from it (without it, "
                   "addresses under /content/images/ stay as they are)")
      ->check(CLI::ExistingDirectory);
  AddSiteOption(ghost, site);

  std::string json_file;
  auto* json_import = import->add_subcommand(
      "json", "Restore a Broadsheet export (export json) into this site, which must be empty");
  json_import->add_option("FILE", json_file, "The export, or - for standard input")->required();
  AddSiteOption(json_import, site);

  auto* export_command = app.add_subcommand("export", "Export the whole site");
  export_command->require_subcommand(1);
  std::string export_file;
  auto* json_export = export_command->add_subcommand(
      "json",
      "Everything, in Broadsheet's documented JSON format (docs/export-format.md): posts with "
      "revisions and comments, authors, sections, tags, subscribers, settings, redirects, media");
  json_export->add_option("FILE", export_file, "The file to write, or - for standard output")
      ->required();
  AddSiteOption(json_export, site);
  auto* wxr_export = export_command->add_subcommand(
      "wordpress",
      "Posts, pages, authors, sections, tags, comments and featured images as a "
      "WordPress export (WXR 1.2)");
  wxr_export->add_option("FILE", export_file, "The file to write, or - for standard output")
      ->required();
  AddSiteOption(wxr_export, site);

  std::string backup_file;
  auto* backup =
      app.add_subcommand("backup",
                         "Write a consistent copy of the database, even while serving (a "
                         "PostgreSQL site's is a SQLite file; migrate-store --from restores it)");
  backup->add_option("FILE", backup_file, "The file to write (must not exist)")->required();
  AddSiteOption(backup, site);

  auto* search = app.add_subcommand("search", "The full-text search index");
  search->require_subcommand(1);
  auto* search_rebuild = search->add_subcommand(
      "rebuild",
      "Rebuild every node's search index from the posts (after an upgrade that indexes "
      "differently, or an index in doubt); searches answer from the old index meanwhile");
  AddSiteOption(search_rebuild, site);

  std::string store_from, store_to;
  auto* migrate_store = app.add_subcommand(
      "migrate-store",
      "Copy the site's whole database into an empty one, SQLite to PostgreSQL or back: one "
      "consistent moment of it, the target left empty if the copy fails. Stop the server first: "
      "what is written after the copy begins stays behind");
  migrate_store
      ->add_option("--to", store_to,
                   "The empty database: postgresql://USER@HOST/DATABASE, or sqlite:PATH (a new "
                   "file)")
      ->required();
  migrate_store->add_option(
      "--from", store_from,
      "Copy from this database instead of the site's (postgresql://… or sqlite:PATH): how a "
      "backup of a PostgreSQL site is restored");
  AddSiteOption(migrate_store, site);

  auto* media_command = app.add_subcommand("media", "Manage where uploaded media are stored");
  media_command->require_subcommand(1);
  std::string media_from;
  bool media_dry_run = false;
  auto* media_migrate = media_command->add_subcommand(
      "migrate",
      "Copy a local uploads folder into the bucket named by [media] in broadsheet.toml (storage "
      "= \"s3\"), each file under its path below the folder; files already there with the same "
      "size are skipped, so it can be run again. The folder is left as it was");
  media_migrate
      ->add_option("--from", media_from, "The folder to copy (default: the site's uploads/)")
      ->check(CLI::ExistingDirectory);
  media_migrate->add_flag("--dry-run", media_dry_run,
                          "Say what would be copied; write nothing to the bucket");
  AddSiteOption(media_migrate, site);

  auto* user = app.add_subcommand("user", "Manage staff accounts");
  user->require_subcommand(1);
  UserAddOptions user_add;
  auto* add = user->add_subcommand("add", "Add a staff account");
  add->add_option("--email", user_add.email, "Their e-mail address (their sign-in name)")
      ->required();
  add->add_option("--name", user_add.name, "Their name as shown in the desk")->required();
  add->add_option("--role", user_add.role, "owner, administrator, editor, author or contributor")
      ->required()
      ->check(CLI::IsMember({"owner", "administrator", "editor", "author", "contributor"}));
  add->add_flag("--password-stdin", user_add.password_stdin,
                "Read the password from the first line of standard input; without this, print a "
                "one-time link where they choose it");
  // Without these, as an invitation from the desk: the author profile of the same name that no
  // account has, else a new profile for contributors and authors, else none.
  auto* author_option = add->add_option(
      "--author", user_add.author,
      "Link this existing author profile (its slug; no other account may have it). Default: "
      "the profile with exactly this name that no account has, else a new one for "
      "contributors and authors");
  auto* new_profile = add->add_flag("--new-profile", user_add.new_profile,
                                    "Make a new author profile from the name (slug made unique)");
  auto* no_profile =
      add->add_flag("--no-profile", user_add.no_profile, "Give the account no author profile");
  author_option->excludes(new_profile)->excludes(no_profile);
  new_profile->excludes(no_profile);
  AddSiteOption(add, site);

  std::string link_email;
  auto* link = user->add_subcommand(
      "link", "Print a one-time link where an existing account chooses a new password");
  link->add_option("--email", link_email, "The account's e-mail address")->required();
  AddSiteOption(link, site);

  auto* comments = app.add_subcommand("comments", "Moderate reader comments");
  comments->require_subcommand(1);
  std::string comment_status;
  std::int64_t comment_id = 0;
  auto* list = comments->add_subcommand(
      "list", "List comments, newest first: ID, status, post, author, words");
  list->add_option("--status", comment_status,
                   "pending, approved, spam or trash (default: all but trash)")
      ->check(CLI::IsMember({"pending", "approved", "spam", "trash"}));
  AddSiteOption(list, site);
  auto* approve =
      comments->add_subcommand("approve", "Approve a comment: it appears on the article");
  approve->add_option("ID", comment_id, "The comment's number")->required();
  AddSiteOption(approve, site);
  auto* spam = comments->add_subcommand("spam", "Mark a comment as spam: it leaves the article");
  spam->add_option("ID", comment_id, "The comment's number")->required();
  AddSiteOption(spam, site);

  auto* newsletter =
      app.add_subcommand("newsletter", "Send the newsletter and follow its progress");
  newsletter->require_subcommand(1);
  NewsletterSendOptions send_options;
  auto* send = newsletter->add_subcommand(
      "send",
      "Queue a published article (or --digest) for subscribers; deliver it here unless the "
      "running server does");
  send->add_option("SLUG", send_options.slug, "The article's slug");
  send->add_flag("--digest", send_options.digest,
                 "Send the last seven days' articles as one digest instead of one article");
  send->add_option("--segment", send_options.segments,
                   "Only subscribers of this segment: \"everything\" or a section's slug "
                   "(repeatable; default: every active subscriber)");
  send->add_flag("--dry-run", send_options.dry_run,
                 "Say how many subscribers would get it, and queue nothing");
  AddSiteOption(send, site);
  auto* status = newsletter->add_subcommand("status", "List the latest sends and their progress");
  AddSiteOption(status, site);
  std::string feedback_file;
  auto* feedback = newsletter->add_subcommand(
      "feedback",
      "Read bounce (RFC 3464) and complaint (RFC 5965) reports from a mailbox file and mark "
      "subscribers bounced or complained");
  feedback->add_option("FILE", feedback_file, "An mbox file, or - for standard input")->required();
  AddSiteOption(feedback, site);

  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s\nRun 'broadsheet --help' for usage.\n", e.what());
    return kUsage;
  }

  if (*init) return InitCommand(init_dir, demo, database_url);
  if (*serve) return ServeCommand(site, listen);
  if (*markdown) return ImportMarkdownCommand(site, folder);
  if (*wordpress) return ImportWordPressCommand(site, wxr_file, wp_uploads, dry_run);
  if (*ghost) return ImportGhostCommand(site, ghost_file, ghost_images);
  if (*json_import) return ImportJsonCommand(site, json_file);
  if (*json_export) return ExportJsonCommand(site, export_file);
  if (*wxr_export) return ExportWordPressCommand(site, export_file);
  if (*backup) return BackupCommand(site, backup_file);
  if (*migrate_store) return MigrateStoreCommand(site, store_from, store_to);
  if (*media_migrate) return MediaMigrateCommand(site, media_from, media_dry_run);
  if (*search_rebuild) return SearchRebuildCommand(site);
  if (*add) return UserAddCommand(site, user_add);
  if (*link) return UserLinkCommand(site, link_email);
  if (*list) return CommentsListCommand(site, comment_status);
  if (*approve) return CommentsSetCommand(site, comment_id, CommentStatus::kApproved);
  if (*spam) return CommentsSetCommand(site, comment_id, CommentStatus::kSpam);
  if (*send) {
    if (send_options.slug.empty() == !send_options.digest) {
      std::fprintf(stderr, "error: give an article's SLUG or --digest (one of them)\n");
      return kUsage;
    }
    return NewsletterSendCommand(site, send_options);
  }
  if (*status) return NewsletterStatusCommand(site);
  if (*feedback) return NewsletterFeedbackCommand(site, feedback_file);
  if (*version) {
    std::printf("broadsheet %s (SQLite %s, schema %zu)\n", BROADSHEET_VERSION, sqlite3_libversion(),
                sqlite::Migrations().size());
    return 0;
  }
  return kUsage;
}

}  // namespace broadsheet::cli
