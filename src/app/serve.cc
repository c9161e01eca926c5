#include "app/serve.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <malloc.h>
#include <sys/resource.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "admin/desk.h"
#include "app/heartbeat.h"
#include "auth/accounts.h"
#include "auth/crypto.h"
#include "cache/purger.h"
#include "comments/comments.h"
#include "content/posts.h"
#include "core/surrogate_keys.h"
#include "core/text.h"
#include "http/server.h"
#include "mail/outbox.h"
#include "mail/smtp_mailer.h"
#include "markdown/html_filter.h"
#include "media/serving_bucket.h"
#include "newsletter/sender.h"
#include "render/theme.h"
#include "search/index.h"
#include "search/lag.h"
#include "search/snapshot.h"
#include "site/site.h"
#include "storage/database.h"

namespace broadsheet::app {
namespace {

int Failure(const Error& error) {
  spdlog::error("{}", error.message);
  if (!error.detail.empty()) spdlog::debug("detail: {}", error.detail);
  return 1;
}

// Runs `step` on its own thread until destroyed: again at once while it says there is more to
// do, else after `rest`. Destruction waits for the step under way.
class Background {
 public:
  Background(std::chrono::seconds rest, std::function<bool()> step)
      : rest_(rest), step_(std::move(step)), thread_([this] { Loop(); }) {}
  ~Background() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      const bool more = step_();
      lock.lock();
      if (!more) wake_.wait_for(lock, rest_, [this] { return stopping_; });
    }
  }
  const std::chrono::seconds rest_;
  const std::function<bool()> step_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

// The failures of one background task, logged so that an outage of the database gives a line
// when it starts, one a minute while it lasts, and one when the task works again, not one a
// second. Used by the one thread that runs the task.
class FailureLog {
 public:
  explicit FailureLog(std::string task) : task_(std::move(task)) {}

  void Failed(const Error& error) {
    const auto now = std::chrono::steady_clock::now();
    if (failing_ && now - logged_ < std::chrono::minutes(1)) {
      ++unlogged_;
      return;
    }
    if (unlogged_ > 0) {
      spdlog::warn("{} still failing ({} more time(s)): {}", task_, unlogged_, Describe(error));
    } else {
      spdlog::warn("{} failed: {}", task_, Describe(error));
    }
    failing_ = true;
    logged_ = now;
    unlogged_ = 0;
  }
  void Succeeded() {
    if (!failing_) return;
    spdlog::info("{} works again", task_);
    failing_ = false;
    unlogged_ = 0;
  }
  // `result` as Failed or Succeeded; true when it succeeded.
  template <typename T>
  bool Record(const Result<T>& result) {
    if (result) {
      Succeeded();
    } else {
      Failed(result.error());
    }
    return result.has_value();
  }

 private:
  const std::string task_;
  bool failing_ = false;
  std::chrono::steady_clock::time_point logged_;
  int unlogged_ = 0;
};

// How long the scheduler's lease lasts: three of its rounds, so that a late round keeps it, and a
// node that died is replaced within a minute.
constexpr auto kSchedulerRound = std::chrono::seconds(15);
constexpr Timestamp kSchedulerLease = 45;
// The snapshot maker's lease: long enough for one snapshot of a large index to be written and
// uploaded, after which another node may make the next.
constexpr Timestamp kSnapshotLease = 30 * 60;

// The scheduler's round: publishes scheduled posts whose time has come (every 15 s; a minute's
// granularity is what editors expect), forgets commenters' client hashes past their retention
// period, and removes rate limits' closed windows (so their table holds only the keys active
// within the longest window, an hour). With several nodes on one database only the holder of the
// scheduler's lease does it (and publishing is one UPDATE of the posts still scheduled, so two
// could not publish one post twice).
//
// Once an hour (and at its first round) the holder also trims the change log to `[search]
// change_log_days`: a node whose index was further behind rebuilds it (search/index.h).
struct LogTrimming {
  int days = 30;
  std::chrono::steady_clock::time_point next{};
  FailureLog log{"trimming the change log"};
};

bool ScheduledWork(Store& store, SharedLease& lease, FailureLog& publishing, FailureLog& forgetting,
                   LogTrimming& trimming) {
  if (!lease.Hold(Now())) return false;
  if (const auto now = std::chrono::steady_clock::now(); now >= trimming.next) {
    trimming.next = now + std::chrono::hours(1);
    auto trimmed = store.TrimChangeLog(Now() - Timestamp{trimming.days} * 86400);
    if (trimming.log.Record(trimmed) && *trimmed > 0)
      spdlog::info("trimmed {} change log row(s) older than {} days", *trimmed, trimming.days);
  }
  auto published = content::Posts::PublishDue(store, Now());
  if (publishing.Record(published) && *published > 0)
    spdlog::info("published {} scheduled post(s)", *published);
  if (forgetting.Record(comments::Comments(store).ForgetOldClients(Now())))
    forgetting.Record(store.ForgetClosedRates(Now()));
  return false;
}

// The search indexer's round: applies the change log from the index's position, so that whatever
// another process (an import), another node or a page of the desk wrote reaches search within a
// second; a batch at a time, so that searches are never kept waiting for a long backlog (or for
// a build of the whole index). True while there is more.
//
// Indexing a backlog (a new site's whole archive, an import) leaves tens of megabytes free in
// this thread's malloc arena, which glibc gives back to the kernel only from the arena's top: once
// the queue is empty again after a large backlog, the free pages are returned (malloc_trim), so
// that a server's memory after its first index build is what serving needs.
//
// Every write to a post, from any door, process or node, leaves its row in the change log; so the
// posts applied here are also the ones whose pages a shared cache in front must drop (`purge`).
bool IndexingWork(search::SearchIndex& index, FailureLog& log, int& applied_since_trim,
                  bool& was_building,
                  const std::function<void(const std::set<std::int64_t>&)>& purge) {
  constexpr int kBatch = 500;
  constexpr int kTrimAfter = 1000;  // documents indexed since the last trim
  std::set<std::int64_t> posts;
  auto applied = index.Sync(kBatch, [&posts](std::int64_t id) { posts.insert(id); });
  if (!posts.empty() && purge) purge(posts);
  if (!log.Record(applied)) return false;
  const bool building = index.building();
  if (building != was_building) {
    spdlog::info(building ? "search: building the index from the posts"
                          : "search: the index is complete");
    was_building = building;
  }
  applied_since_trim += *applied;
  if (*applied == 0 && applied_since_trim >= kTrimAfter) {
    malloc_trim(0);
    applied_since_trim = 0;
  }
  return *applied > 0;
}

// Search index snapshots (search/snapshot.h), looked at every 10 s on the indexer's thread
// (whose Sync waits meanwhile): a node whose index has nothing to follow the log from takes the
// latest snapshot instead of building; the holder of the `search-snapshot` lease makes one when it
// is due. Only with PostgreSQL and a bucket, where other nodes may need one.
class SnapshotWork {
 public:
  SnapshotWork(search::Snapshots& snapshots, SharedLease& lease)
      : snapshots_(snapshots), lease_(lease) {}

  void Step() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_) return;
    next_ = now + kRound;
    auto taken = snapshots_.Take();
    if (!taking_.Record(taken)) {
      // A snapshot that cannot be taken (gone from the store, damaged, no room) is tried again
      // less and less often, up to once an hour; the build goes on meanwhile.
      take_backoff_ = std::min(take_backoff_ * 2, std::chrono::seconds(3600));
      next_ = now + take_backoff_;
      return;
    }
    take_backoff_ = kRound;
    if (*taken) {
      spdlog::info("search: took the latest index snapshot in {} ms; reading the log on from it",
                   MillisecondsSince(now));
      return;
    }
    auto due = snapshots_.Due(Now());
    if (!making_.Record(due) || !*due || !lease_.Hold(Now())) return;
    auto made = snapshots_.Make(Now());
    if (!making_.Record(made)) {
      next_ = now + std::chrono::hours(1);  // not again at once: it compacts the whole index
      return;
    }
    std::int64_t bytes = 0;
    for (const auto& file : made->files) bytes += file.size;
    spdlog::info("search: index snapshot made ({} MiB) in {} ms", bytes / (1024 * 1024),
                 MillisecondsSince(now));
  }

 private:
  static constexpr std::chrono::seconds kRound{10};

  static long long MillisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
        .count();
  }

  search::Snapshots& snapshots_;
  SharedLease& lease_;
  std::chrono::steady_clock::time_point next_;
  std::chrono::seconds take_backoff_ = kRound;
  FailureLog taking_{"taking the search index snapshot"};
  FailureLog making_{"making a search index snapshot"};
};

// The surrogate keys a change to `posts` affects (core/surrogate_keys.h): each post (whose key
// every page showing it carries, so the lists it left are purged too), the lists it is now in,
// the home page and the feeds. A large batch (an import) purges the whole site instead.
std::vector<std::string> PostChangeKeys(Store& store, const std::set<std::int64_t>& posts) {
  constexpr size_t kMostPosts = 200;
  if (posts.size() > kMostPosts) return {std::string(kSiteKey)};
  std::vector<std::string> keys = {std::string(kHomeKey), std::string(kFeedsKey)};
  for (std::int64_t id : posts) {
    keys.push_back(PostKey(id));
    auto detail = store.FindPostById(id);
    if (!detail) return {std::string(kSiteKey)};  // not known: everything
    if (!*detail) continue;                       // deleted: its pages carry its key
    if ((*detail)->section) keys.push_back(SectionKey((*detail)->section->slug));
    for (const Author& author : (*detail)->authors) keys.push_back(AuthorKey(author.slug));
    for (const Tag& tag : (*detail)->tags) keys.push_back(TagKey(tag.slug));
  }
  return keys;
}

// What every page shows around its content and every byline and tag name: the publication's
// settings (title, menu, branding), its sections, authors and tags. Compared whenever the
// content version changes, from whichever process or node the change came: when it differs,
// every page changed (the site key is purged).
std::optional<std::size_t> ContextFingerprint(Store& store) {
  auto publication = store.LoadPublication();
  auto sections = store.ListSections();
  auto authors = store.ListAuthors();
  auto tags = store.ListTags();
  if (!publication || !sections || !authors || !tags) return std::nullopt;
  std::string text = fmt::format(
      "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n", publication->title, publication->description,
      publication->base_url, publication->disclaimer, publication->timezone, publication->language,
      publication->logo, publication->favicon, publication->accent_color, publication->navigation);
  for (const Section& section : *sections) {
    text += fmt::format("s{} {} {} {} {} {} {}\n", section.id, section.slug, section.name,
                        section.description, section.opinion, section.disclaimer.value_or("-"),
                        section.position);
  }
  for (const Author& author : *authors) {
    text += fmt::format("a{} {} {} {} {} {}\n", author.id, author.slug, author.name,
                        author.credentials, author.avatar, author.bio_html);
  }
  for (const Tag& tag : *tags) text += fmt::format("t{} {} {}\n", tag.id, tag.slug, tag.name);
  return std::hash<std::string>{}(text);
}

// Which comments are awaiting moderation and which are the newest approved, by id, with the post
// of each: a moderation decision (from the desk, a command or another node) moves a comment out
// of one of them.
struct CommentsSeen {
  std::map<std::int64_t, std::int64_t> pending, approved;  // comment id -> post id
};
std::optional<CommentsSeen> SeeComments(Store& store) {
  constexpr int kMost = 500;
  auto pending = store.ListComments(CommentStatus::kPending, kMost);
  auto approved = store.ListComments(CommentStatus::kApproved, kMost);
  if (!pending || !approved) return std::nullopt;
  CommentsSeen seen;
  for (const Comment& comment : *pending) seen.pending[comment.id] = comment.post_id;
  for (const Comment& comment : *approved) seen.approved[comment.id] = comment.post_id;
  return seen;
}

// The posts whose approved comments changed between two looks: a comment that left the pending
// ones and is approved now, one that left the approved ones and is not approved now, one newly
// among the approved that was not pending (restored from spam or trash, or written elsewhere).
std::set<std::int64_t> ModeratedPosts(Store& store, const CommentsSeen& before,
                                      const CommentsSeen& now) {
  std::set<std::int64_t> posts;
  auto status_of = [&store](std::int64_t id) -> std::optional<CommentStatus> {
    auto comment = store.FindComment(id);
    if (!comment || !*comment) return std::nullopt;
    return (*comment)->status;
  };
  for (const auto& [id, post] : before.pending) {
    if (now.pending.count(id) == 0 && status_of(id) == CommentStatus::kApproved) posts.insert(post);
  }
  for (const auto& [id, post] : before.approved) {
    if (now.approved.count(id) == 0 && status_of(id) != CommentStatus::kApproved)
      posts.insert(post);
  }
  for (const auto& [id, post] : now.approved) {
    if (before.approved.count(id) == 0 && before.pending.count(id) == 0) posts.insert(post);
  }
  return posts;
}

// Purges what a change of the content version affects beyond posts (which reach the purger
// through the search index's queue): the whole site when what every page shows around its
// content changed, an article when its approved comments changed. Runs on one thread, every
// second; does nothing while the version stays the same.
class ChangeWatch {
 public:
  ChangeWatch(Store& store, cache::PurgeQueue& purges)
      : store_(store),
        purges_(purges),
        version_(store.ContentVersion()),
        context_(ContextFingerprint(store)),
        comments_(SeeComments(store)) {}

  void Step() {
    const auto version = store_.ContentVersion();
    if (version == version_) return;
    auto context = ContextFingerprint(store_);
    auto comments = SeeComments(store_);
    if (!context || !comments) return;  // the database away: next time
    version_ = version;
    if (context != context_) purges_.Add({std::string(kSiteKey)});
    context_ = context;
    if (comments_) {
      std::vector<std::string> keys;
      for (std::int64_t post : ModeratedPosts(store_, *comments_, *comments))
        keys.push_back(PostKey(post));
      purges_.Add(keys);
    }
    comments_ = std::move(comments);
  }

 private:
  Store& store_;
  cache::PurgeQueue& purges_;
  std::uint64_t version_;
  std::optional<std::size_t> context_;
  std::optional<CommentsSeen> comments_;
};

// Delivers the newsletter's outbox while the server runs, beside any other node or command doing
// the same: each batch is claimed (newsletter::Sender), so the nodes share a send and none is
// sent twice. While it runs it holds the lease `newsletter:NODE`, which tells
// `broadsheet newsletter send` that a server delivers. Sends batch after batch, resting a second
// when nothing is due.
class NewsletterWorker {
 public:
  NewsletterWorker(Store& store, const Config& config, std::string node,
                   std::function<Result<Publication>()> publication)
      : store_(store),
        config_(config),
        node_(std::move(node)),
        publication_(std::move(publication)) {
    if (config_.mail.smtp_url.empty()) return;  // no mail, no newsletter
    thread_ = std::thread([this] { Loop(); });
  }
  ~NewsletterWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      interrupt_ = true;  // a batch in progress ends after the messages in flight
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::optional<newsletter::Sender> sender;
    const std::string presence = std::string(newsletter::kSenderLeasePrefix) + node_;
    std::chrono::steady_clock::time_point announced;
    FailureLog delivering("newsletter delivery");
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      bool busy = false;
      if (const auto now = std::chrono::steady_clock::now();
          now - announced >= std::chrono::seconds(3)) {
        const Timestamp at = Now();
        if (auto taken = store_.TakeLease(presence, node_, at, at + kHeartbeatSeconds); taken)
          announced = now;
      }
      if (!sender) {
        newsletter::SenderOptions options = config_.newsletter;
        // A claimed batch outlasts the slowest it may take: every message of a connection's share
        // timing out.
        options.claim_s = std::max(options.claim_s, 60 + 2 * config_.mail.timeout_s);
        sender.emplace(
            store_, options, node_,
            [this] { return std::make_unique<mail::SmtpSession>(config_.mail); }, publication_);
      }
      auto report = sender->RunBatch(Now(), &interrupt_);
      if (delivering.Record(report) && !report->empty()) {
        busy = true;
        spdlog::debug("newsletter: {} sent, {} to retry, {} failed", report->sent, report->retrying,
                      report->failed);
      }
      lock.lock();
      if (!busy) wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
    lock.unlock();
    (void)store_.ReleaseLease(presence, node_);
  }

  Store& store_;
  const Config& config_;
  const std::string node_;
  std::function<Result<Publication>()> publication_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> interrupt_{false};
  std::thread thread_;
};

// /metrics is for the operator's monitoring, not for readers: it answers the allowed addresses
// and anyone with the bearer token, and 404 to everyone else, as if it were not there. A request
// that came through a proxy (it carries forwarding headers) is never allowed by its address: a
// proxy on this machine that is not in trusted_proxies would otherwise make every reader look
// local. Prometheus scrapes directly.
bool MayReadMetrics(const http::Request& request, const http::AddressRanges& allowed,
                    const std::string& token) {
  bool forwarded = false;
  for (const auto& [name, value] : request.headers) {
    if (name == "x-forwarded-for" || name == "forwarded" || name == "x-real-ip") forwarded = true;
    // The scheme's name is case-insensitive (RFC 9110 section 11.1).
    if (name == "authorization" && !token.empty() && value.size() > 7 &&
        LowerAscii(std::string_view(value).substr(0, 7)) == "bearer " &&
        auth::ConstantTimeEquals(Trim(std::string_view(value).substr(7)), token))
      return true;
  }
  return !forwarded && allowed.Contains(request.client_ip);
}

// Raises the open-file limit to what the system allows and returns how many connections fit in
// it, keeping room for the database, the search index, uploads and logs.
size_t ConnectionsTheSystemAllows(size_t wanted) {
  constexpr rlim_t kReserved = 256;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted + kReserved) return wanted;
  return limit.rlim_cur > 2 * kReserved ? limit.rlim_cur - kReserved : limit.rlim_cur / 2;
}

}  // namespace

Result<content::RefilterReport> UpgradeStoredHtml(Store& store, const Config& config) {
  const content::BodyPolicy policy(store, BodyFilterOptions(config));
  return content::RefilterStoredHtml(store, policy);
}

int Serve(const SitePaths& paths, Config config, const ServeOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::signal(SIGPIPE, SIG_IGN);  // a vanished peer or log reader is an error value, not a signal
  if (options.listen) {
    auto listen = http::ParseListenAddress(*options.listen);
    if (!listen) return Failure(listen.error());
    config.listen = *listen;
  }
  auto store = OpenStore(paths, config);
  if (!store) return Failure(store.error());
  if (auto upgraded = UpgradeStoredHtml(**store, config); !upgraded) {
    return Failure(upgraded.error());
  } else if (upgraded->ran) {
    spdlog::info(
        "HTML filter upgrade: {} of {} post bodies changed ({} kept raw: editors' posts with "
        "unfiltered_html on), {} of {} author bios changed",
        upgraded->posts_changed, upgraded->posts, upgraded->posts_kept_raw, upgraded->bios_changed,
        upgraded->bios);
  }
  auto theme = render::Theme::Load(config.theme_dir);
  if (!theme) return Failure(theme.error());
  auto proxies = http::AddressRanges::Parse(config.trusted_proxies);
  if (!proxies) return Failure(proxies.error());
  auto metrics_allowed = http::AddressRanges::Parse(config.metrics_allow, "metrics address");
  if (!metrics_allowed) return Failure(metrics_allowed.error());
  std::string access_log_path = config.access_log;
  if (access_log_path == "off")
    access_log_path.clear();
  else if (access_log_path != "-" && std::filesystem::path(access_log_path).is_relative()) {
    access_log_path = (paths.root / access_log_path).string();
  }
  auto access_log = http::AccessLog::Open(access_log_path);
  if (!access_log) return Failure(access_log.error());

  if (auto crypto = auth::InitCrypto(); !crypto) return Failure(crypto.error());
  auto objects = media::OpenObjectStore(config.media, paths.uploads);
  if (!objects) return Failure(objects.error());
  // /uploads/ from the bucket: a store of its own with short timeouts (2 s to connect, 10 s in
  // all, never more than the desk's), a few fetches at once (half the workers, at most 4) and
  // missing keys remembered a few seconds (media/serving_bucket.h), so that a slow bucket cannot
  // take every worker. It outlives the site.
  std::unique_ptr<media::ServingBucket> serving_bucket;
  site::Site site(**store, **theme, paths.uploads, config.publication);
  if (config.media.storage == "s3") {
    media::StorageSettings serving = config.media;
    serving.connect_timeout_s = 2;
    serving.timeout_s = std::min(serving.timeout_s, 10);
    auto bucket = media::S3ObjectStore::Open(serving);
    if (!bucket) return Failure(bucket.error());
    media::ServingLimits limits;
    const int workers = config.threads > 0
                            ? config.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    limits.max_fetches = std::clamp(workers / 2, 1, 4);
    serving_bucket = std::make_unique<media::ServingBucket>(std::move(*bucket), limits);
    site.SetMediaStore(serving_bucket.get(), config.media.public_url);
    if (config.media.public_url.starts_with("http://"))
      spdlog::warn(
          "media: public_url is http://: browsers load no http images on pages whose "
          "Content-Security-Policy allows https: only (img-src 'self' https: data:)");
    spdlog::info("media: uploads in {}{}", (*objects)->Describe(),
                 config.media.public_url.empty()
                     ? ", served through this node"
                     : ", pages link them under " + config.media.public_url);
  }
  auth::Accounts accounts(**store);
  // This process's heartbeat: its claims on outbox rows count while it lives (heartbeat.h). It
  // outlives everything that claims.
  Heartbeat heartbeat(**store, NewNodeId());
  mail::SmtpMailer mailer(config.mail);
  mail::OutboxOptions outbox_options;
  outbox_options.node = heartbeat.node();
  outbox_options.claim_s = std::max<Timestamp>(outbox_options.claim_s, 4 * config.mail.timeout_s);
  mail::Outbox outbox(
      **store, mailer,
      [](const mail::Message& message, const Error& error) {
        spdlog::warn("mail to {} was given up: {}", message.to, Describe(error));
      },
      outbox_options);
  site.SetPreviewCheck(
      [&accounts](std::int64_t id, Timestamp expires, const std::string& signature) {
        return accounts.CheckPreviewSignature(id, expires, signature);
      });
  site.SetStaffCheck([&accounts](const http::Request& request) -> std::optional<User> {
    const std::string mark = request.Cookie(admin::kStaffCookie);
    if (mark.empty()) return std::nullopt;
    auto staff = accounts.RecognizeStaff(mark, Now());
    if (!staff) spdlog::warn("staff recognition failed: {}", Describe(staff.error()));
    return staff ? *staff : std::nullopt;
  });
  site.SetOutbox(&outbox);
  site::PublicLimits limits;
  limits.comments.per_minute = config.floods.comments_per_minute;
  limits.comments.per_hour = config.floods.comments_per_hour;
  limits.moderator_notice_interval_s = config.floods.moderator_notice_interval_s;
  limits.searches_per_minute = config.floods.searches_per_minute;
  site.SetLimits(limits);
  auto search_index = search::SearchIndex::Open(paths.search_index, **store);
  if (!search_index) return Failure(search_index.error());
  site.SetSearchIndex(search_index->get());
  if ((*search_index)->building())
    spdlog::info("search: building the index from the posts (searches answer from what it holds)");
  admin::Desk desk(
      **store, accounts, **theme, outbox, [&site] { return site.PublicationForChrome(); },
      **objects, BodyFilterOptions(config));
  desk.SetImageSettings(config.images);
  desk.SetPreviewLimit(config.floods.previews_per_minute);
  desk.SetArticlePreview([&site](PostDetail detail) {
    return site.PreviewPage(std::move(detail),
                            "Preview of unsaved changes: this is how the article will look.", true);
  });
  auto publication = site.LoadPublication();
  if (!publication) return Failure(publication.error());
  site.Warm();

  http::PageCache cache(config.cache_budget_bytes);
  http::Metrics metrics;
  // Purges for the caches in front, when there are any (docs/caching.md).
  std::optional<cache::PurgeQueue> purges;
  if (!config.shared_cache.purge.empty()) {
    // One queue per cache, so that one cache away holds up none of the others' purges.
    std::vector<std::unique_ptr<cache::Purger>> purgers;
    for (const auto& address : config.shared_cache.purge) {
      purgers.push_back(
          std::make_unique<cache::VarnishPurger>(std::vector{address}, std::chrono::seconds(5)));
    }
    purges.emplace(std::move(purgers), std::string(kSiteKey));
    // A new version of this program may render every page differently (its theme, its
    // templates, the settings the environment overrides): what the caches kept is dropped.
    purges->Add({std::string(kSiteKey)});
  }
  // On the way out, once the server and the background threads declared below have stopped
  // (and queued their last purges), what is waiting is sent: five seconds at most.
  struct FinishPurges {
    std::optional<cache::PurgeQueue>& queue;
    ~FinishPurges() {
      if (queue && !queue->Finish(std::chrono::seconds(5)))
        spdlog::warn("stopped with cache purges not sent");
    }
  } finish_purges{purges};
  // A comment published at once marks its pages stale here; caches in front drop them too (the
  // stale copy the next request gets is purged again once rendered anew: page_refreshed). Other
  // nodes sharing a PostgreSQL database are told, and mark the same pages in theirs.
  SqlStore& notices = **store;
  site.SetPagesChanged([&cache, &purges, &notices](const std::string& path,
                                                   const std::vector<std::string>& routes,
                                                   std::int64_t post_id) {
    cache.MarkStale(path, routes);
    if (purges) purges->Add({PostKey(post_id)});
    if (auto told = notices.AnnounceCommentPages(post_id); !told) {
      spdlog::warn("other nodes were not told of a comment on post {}: {}", post_id,
                   Describe(told.error()));
    }
  });
  notices.SetCommentPagesChanged([&cache, &site](std::int64_t post_id) {
    auto path = site.ArticlePath(post_id);
    if (!path) {
      spdlog::warn("a comment on post {} from another node: {}", post_id, Describe(path.error()));
    }
    // The lists are marked even when the article's address could not be read.
    cache.MarkStale(path && *path ? **path : std::string(), site::Site::CommentPageRoutes());
  });
  // Before the cache and the site go: no notice reaches them after this.
  struct ForgetCommentPages {
    SqlStore& store;
    ~ForgetCommentPages() { store.SetCommentPagesChanged(nullptr); }
  } forget_comment_pages{notices};
  http::Router router;
  Store& db = **store;
  // Health (/healthz) and readiness (/readyz, for load balancers) ask the database: while it is
  // away both answer 503, so that a balancer sends readers to another node, while this one
  // still serves its cached pages to whoever reaches it. Never cached.
  // After SIGTERM the node drains: /readyz answers 503 at once, while every request is still
  // served for drain_s, then the server stops (http::ServerOptions::drain).
  std::atomic<bool> draining{false};
  // Readiness also needs the schema this program knows: during a rolling upgrade a node older
  // than the database's schema must not take traffic.
  SqlStore& sql = **store;
  const auto database_answers = [&db, &sql, &draining](std::string_view failed, bool readiness) {
    return [&db, &sql, &draining, failed,
            readiness](const http::Request&) -> Result<http::Response> {
      if (readiness && draining.load()) return http::Response::Text(503, "not ready: stopping");
      if (auto checked = db.LoadPublication(); !checked) {
        return http::Response::Text(503, std::string(failed) + ": the database is not answering");
      }
      if (readiness) {
        if (auto schema = sql.CheckSchema(); !schema) {
          return http::Response::Text(503, "not ready: " + schema.error().message);
        }
      }
      return http::Response::Text(200, "ok");
    };
  };
  router.Add(http::Method::kGet, "/healthz", database_answers("unhealthy", false), "healthz");
  router.Add(http::Method::kGet, "/readyz", database_answers("not ready", true), "readyz");
  router.Add(
      http::Method::kGet, "/metrics",
      [&metrics, &cache, &purges, &allowed = *metrics_allowed, &token = config.metrics_token,
       index = search_index->get(), &db](const http::Request& request) -> Result<http::Response> {
        if (!MayReadMetrics(request, allowed, token))
          return Fail(ErrorCode::kNotFound, "Not found.");
        http::Response response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = metrics.Render(cache);
        if (purges) response.body += purges->MetricsText();
        response.body += search::LagMetricsText(*index, db, Now());
        return response;
      },
      "metrics");
  desk.AddRoutes(router);
  site.AddRoutes(router);

  http::ServerOptions server_options;
  server_options.listen = config.listen;
  server_options.threads = config.threads;
  server_options.max_body_bytes = config.max_body_bytes;
  server_options.max_upload_bytes = 25 * 1024 * 1024;  // images for the media library
  server_options.request_timeout = std::chrono::seconds(config.request_timeout_s);
  server_options.trusted_proxies = std::move(*proxies);
  server_options.max_connections = ConnectionsTheSystemAllows(config.max_connections);
  if (server_options.max_connections < config.max_connections) {
    spdlog::warn(
        "max_connections lowered from {} to {}: the system allows this process fewer open "
        "files (ulimit -n)",
        config.max_connections, server_options.max_connections);
  }
  server_options.max_connections_per_address = config.max_connections_per_address;
  server_options.frame_hosts = FrameHosts(config);  // the frames bodies may embed
  if (config.shared_cache.s_maxage_s > 0) {
    server_options.shared_cache_control =
        fmt::format("public, max-age=0, s-maxage={}, stale-while-revalidate={}",
                    config.shared_cache.s_maxage_s, config.shared_cache.stale_while_revalidate_s);
    server_options.site_key = std::string(kSiteKey);
  }
  server_options.drain = std::chrono::seconds(config.drain_s);
  server_options.on_drain = [&draining, &config] {
    draining = true;
    spdlog::info("stopping: not ready, serving for {} s more", config.drain_s);
  };
  // Changes this node has read from the change log, added to the database's content version:
  // before a node asks the caches in front to drop a page, its own page cache must have dropped
  // it too, or a cache refetching the page from this node would keep the old one (each node
  // purges after reading the log itself, so the last purge follows every node's invalidation).
  std::atomic<std::uint64_t> changes_read{0};
  http::ServerServices services{
      router,
      cache,
      metrics,
      **access_log,
      [&db, &changes_read] {
        return db.ContentVersion() + changes_read.load(std::memory_order_acquire);
      },
      [&site](int status, const Error& error, const http::Request& request) {
        return site.ErrorPage(status, error, request);
      },
      [&desk](const http::Request& head) { return desk.MayUpload(head); }};
  if (purges) {
    // Only an article's pages (their first key is the post's): purging a list's first key
    // (home, a section) for every comment would empty whole families of pages; a list's comment
    // counts catch up within s_maxage_s (docs/caching.md).
    services.page_refreshed = [&purges](const std::vector<std::string>& keys) {
      if (!keys.empty() && keys.front().starts_with("post:")) purges->Add({keys.front()});
    };
  }
  http::Server server(std::move(server_options), std::move(services));
  if (auto listening = server.Listen(); !listening) return Failure(listening.error());

  FailureLog publishing("scheduled publishing"), forgetting("forgetting old comment clients"),
      indexing("search indexing");
  // Once per database, however many nodes serve it: on the holder of the scheduler's lease.
  SharedLease scheduling(db, "scheduler", heartbeat.node(), kSchedulerLease);
  LogTrimming trimming{config.change_log_days};
  Background scheduler(kSchedulerRound, [&db, &scheduling, &publishing, &forgetting, &trimming] {
    return ScheduledWork(db, scheduling, publishing, forgetting, trimming);
  });
  std::function<void(const std::set<std::int64_t>&)> purge_posts;
  if (purges) {
    purge_posts = [&db, &purges, &changes_read](const std::set<std::int64_t>& posts) {
      changes_read.fetch_add(1, std::memory_order_release);
      purges->Add(PostChangeKeys(db, posts));
    };
  }
  // Search index snapshots, with PostgreSQL and media in a bucket: several nodes, which share
  // the bucket, may need one.
  std::optional<search::Snapshots> snapshots;
  std::optional<SharedLease> snapshotting;
  std::optional<SnapshotWork> snapshot_work;
  if (storage::IsPostgresUrl(config.database_url) && config.media.storage == "s3" &&
      config.search_snapshot_hours > 0) {
    snapshots.emplace(**search_index, db, **objects, paths.root / "search.snapshot",
                      Timestamp{config.search_snapshot_hours} * 3600);
    snapshotting.emplace(db, "search-snapshot", heartbeat.node(), kSnapshotLease);
    snapshot_work.emplace(*snapshots, *snapshotting);
  }
  Background indexer(
      std::chrono::seconds(1), [index = search_index->get(), &indexing, applied_since_trim = 0,
                                was_building = search_index->get()->building(), &purge_posts,
                                work = snapshot_work ? &*snapshot_work : nullptr]() mutable {
        if (work != nullptr) work->Step();
        return IndexingWork(*index, indexing, applied_since_trim, was_building, purge_posts);
      });
  // Settings, the menu, branding, renames, comment moderation: from this process, a command or
  // another node alike, seen when the content version changes (ChangeWatch).
  std::optional<ChangeWatch> change_watch;
  std::optional<Background> watching;
  if (purges) {
    change_watch.emplace(db, *purges);
    watching.emplace(std::chrono::seconds(1), [&change_watch] {
      change_watch->Step();
      return false;
    });
  }
  NewsletterWorker newsletter(db, config, heartbeat.node(),
                              [&site] { return site.LoadPublication(); });
  Background comment_notices(std::chrono::seconds(5), [&site] {
    site.FlushCommentNotices();
    return false;
  });
  const auto ready_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  const std::string host = config.listen.host.find(':') != std::string::npos
                               ? "[" + config.listen.host + "]"
                               : config.listen.host;
  spdlog::info("serving \"{}\" at http://{}:{}/ (ready in {} ms; Ctrl-C stops)", publication->title,
               host, server.port(), ready_ms);
  server.Run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace broadsheet::app
