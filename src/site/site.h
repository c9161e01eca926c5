// Site: the public pages readers see, as handlers on the Router.
//
// Every page is rendered from the Store through the theme and marked cacheable, so the server
// keeps it in the page cache until content changes; handlers therefore run only on a miss. Each
// route declares the query parameters it reads (http::Query, in AddRoutes): its pages are keyed
// on those alone and its handler sees no others.
// Pages set no cookies. Search: /search and /search.json. Archives: /YYYY/ and /YYYY/MM/. Crawlers:
// /sitemap.xml, /sitemaps/…, /robots.txt. Feeds: /feed/ (RSS), /feed/atom/, /feed.json, the same
// under each section, author and tag, and /SLUG/feed/ for an article's comments.
//
// Comments: POST /SLUG/comments takes the form; GET /SLUG/comments/token gives the page's script
// a fresh form token (and the name of signed-in staff), never cached. /comments/privacy lets a
// commenter ask for a link to export or erase their comments.
//
// While the database is away, error pages (and the desk's chrome) keep the publication's look:
// the last site context read is kept for them, taken again whenever content changes.
//
// Borrows the Store and Theme, which must outlive it. Thread-safe (its only mutable state, the
// flood limits, the moderators' notices and the last context read, is guarded).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "comments/comments.h"
#include "comments/notices.h"
#include "comments/privacy.h"
#include "content/publication.h"
#include "http/router.h"
#include "mail/outbox.h"
#include "media/object_store.h"
#include "media/serving_bucket.h"
#include "newsletter/subscriptions.h"
#include "render/theme.h"
#include "search/index.h"
#include "site/views.h"
#include "storage/store.h"

namespace broadsheet::site {

inline constexpr int kPostsPerPage = 10;
inline constexpr int kFeedItems = 20;
inline constexpr int kResultsPerPage = 10;
inline constexpr size_t kRelatedPieces = 3;        // related analysis under an article
inline constexpr int kCommentsInFeed = 100;        // an article's comments feed: the newest
inline constexpr int kCommentThreadsPerPage = 50;  // newest first; older ones on further pages
inline constexpr int kSyncBeforeSearch = 200;      // queued index changes a search applies first

// What one reader (a client address) may ask of the public site before being refused with 429,
// and how often moderators are mailed about held comments. Server settings (broadsheet.toml).
struct PublicLimits {
  comments::FloodLimits comments;
  Timestamp moderator_notice_interval_s = 600;
  int searches_per_minute = 30;  // /search and /search.json together; 0: no limit
};

class Site {
 public:
  Site(Store& store, const render::Theme& theme, std::filesystem::path uploads_dir,
       content::PublicationOverrides overrides);

  // Where /uploads/ is read from when media are in a bucket ([media] storage = "s3"); without it,
  // from `uploads_dir`. `public_url` (may be empty): where pages link uploads instead of
  // /uploads/ (media::LinkUploadsTo). `bucket` outlives the site and is safe across threads.
  void SetMediaStore(const media::ObjectStore* bucket, std::string public_url) {
    bucket_ = bucket;
    media_public_url_ = std::move(public_url);
  }

  // Checks the signature of a preview link (/preview/ID/EXPIRES/SIGNATURE) for a draft.
  using PreviewCheck =
      std::function<bool(std::int64_t id, Timestamp expires, const std::string& signature)>;
  void SetPreviewCheck(PreviewCheck check) { preview_check_ = std::move(check); }
  // The signed-in staff member who sent `request`, if any (see auth::Accounts::RecognizeStaff).
  using StaffCheck = std::function<std::optional<User>(const http::Request& request)>;
  void SetStaffCheck(StaffCheck check) { staff_check_ = std::move(check); }
  // The full-text index /search reads and related analysis falls back on; without it, /search
  // answers 503.
  void SetSearchIndex(search::SearchIndex* index) { search_index_ = index; }
  // Where comment notices, privacy links and newsletter confirmations are sent; without it,
  // none are and newsletter signup is closed.
  void SetOutbox(mail::Outbox* outbox) {
    outbox_ = outbox;
    if (outbox) subscriptions_.emplace(store_, *outbox, *limiter_);
    if (outbox) notices_.emplace(store_, *outbox, limits_.moderator_notice_interval_s);
  }
  // Floods of comments and searches are refused past these (none until set). Call before serving.
  void SetLimits(const PublicLimits& limits);
  // Mails moderators the held comments kept since the last notice, once its interval has passed.
  void FlushCommentNotices();
  // Tells the server's page cache that a page (by path) and every page of some routes changed
  // (http::PageCache::MarkStale). With it, a comment published at once marks only its article
  // and the lists that count comments, instead of bumping the content version (which empties the
  // whole cache); the commenter is sent to a fresh, uncached view of the article.
  // `post_id` is the article's, for caches in front that file its pages under post:ID.
  using PagesChanged = std::function<void(
      const std::string& path, const std::vector<std::string>& routes, std::int64_t post_id)>;
  void SetPagesChanged(PagesChanged evict) {
    comments_.SetPagesChanged([evict = std::move(evict)](const broadsheet::Post& post) {
      evict(PostUrl(post), CommentPageRoutes(), post.id);
    });
  }
  // The routes of the pages that show comments or count them, beside the article itself.
  static std::vector<std::string> CommentPageRoutes() {
    return {"home", "section", "author", "tag", "comments-feed", "comment-pages"};
  }
  // The address of the article `post_id` (whatever its state), for marking its pages when
  // another node published a comment on it; nullopt when there is no such post.
  Result<std::optional<std::string>> ArticlePath(std::int64_t post_id);

  // Adds the public routes (and the fallback) to `router`.
  void AddRoutes(http::Router& router);

  // A themed error page (with the last context read when the database is away); plain text if
  // there is none or the theme fails. `kept_text`, what a person wrote that could not be saved,
  // is shown back to them to copy.
  http::Response ErrorPage(int status, const Error& error, const http::Request& request,
                           std::string_view kept_text = {}) const;

  // An article or page not (or not yet) published, as readers would see it, under a banner
  // saying it is a preview: never cached, never indexed. For signed preview links and the desk's
  // preview of unsaved text (which shows the comment form the article will have, inert in its
  // sandboxed frame, when `comments_as_published`).
  Result<http::Response> PreviewPage(PostDetail detail, const std::string& banner,
                                     bool comments_as_published) const;

  // The publication settings with this deployment's overrides applied.
  Result<Publication> LoadPublication() const;
  // Reads the site context once, so that error pages keep the publication's look should the
  // database go away before any page was rendered.
  void Warm() const;
  // LoadPublication, or while the database is away the publication as last read (its error
  // when there is none yet): for the chrome of pages that say something failed.
  Result<Publication> PublicationForChrome() const;

 private:
  struct ListSpec;
  Result<http::Response> Home(const http::Request& request, int page) const;
  Result<http::Response> Post(const http::Request& request) const;
  Result<http::Response> Preview(const http::Request& request) const;
  // The article page, with the comment form's state (values, error, notice, parent) and a page of
  // its comment threads (1: the newest; /SLUG/comments/page/N/ for older ones).
  Result<http::Response> Article(const http::Request& request, const nlohmann::json& comment_form,
                                 int status, int comment_page = 1) const;
  // The published article at /{slug}/ that takes comments, or kNotFound.
  Result<broadsheet::Post> CommentTarget(const http::Request& request) const;
  Result<http::Response> SubmitComment(const http::Request& request) const;
  // A feed of the latest articles: `kind` "" (the site), section, author or tag; `format` rss,
  // atom or json.
  Result<http::Response> Feed(const http::Request& request, const std::string& kind,
                              const std::string& format) const;
  Result<http::Response> CommentsFeed(const http::Request& request) const;
  // /SLUG/comments/ID/: a comment's permanent address, redirecting to the page that shows it.
  Result<http::Response> CommentPermalink(const http::Request& request) const;
  // /sitemap.xml (an index), /sitemaps/pages.xml, posts-N.xml and news.xml; /robots.txt.
  Result<http::Response> SitemapIndex(const http::Request& request) const;
  Result<http::Response> SitemapFile(const http::Request& request) const;
  Result<http::Response> Robots(const http::Request& request) const;
  // GET /brand.css: the publication's accent colour as the theme's --accent (views.h).
  Result<http::Response> BrandCss(const http::Request& request) const;
  Result<http::Response> CommentToken(const http::Request& request) const;
  // /comments/privacy: the form, the request for a link, the commenter's page, export, erasure.
  Result<http::Response> PrivacyForm(const http::Request& request) const;
  Result<http::Response> PrivacyRequest(const http::Request& request);
  Result<http::Response> PrivacyPage(const http::Request& request) const;
  Result<http::Response> PrivacyExport(const http::Request& request) const;
  Result<http::Response> PrivacyErase(const http::Request& request) const;
  Result<http::Response> RenderPrivacy(nlohmann::json state, int status) const;
  // The newsletter: the signup page and form, confirmation, and the reader's manage page (their
  // sections, unsubscribing, RFC 8058 one-click unsubscribe).
  Result<http::Response> NewsletterPage(const http::Request& request) const;
  Result<http::Response> Subscribe(const http::Request& request);
  Result<http::Response> ConfirmSubscription(const http::Request& request);
  Result<http::Response> ManageSubscription(const http::Request& request) const;
  Result<http::Response> Unsubscribe(const http::Request& request) const;
  Result<http::Response> SaveSections(const http::Request& request) const;
  Result<http::Response> RenderNewsletter(nlohmann::json state, int status) const;
  Result<newsletter::Subscriptions*> Newsletter();
  // /search and /search.json: ranked full-text search with filters (section, author, dates),
  // order and pages. Whatever the reader typed gets results or a sentence, never an error.
  Result<http::Response> Search(const http::Request& request, bool json) const;
  // /YYYY/ and /YYYY/MM/ (month 0: the whole year), with their pages.
  Result<http::Response> Archive(const http::Request& request, int year, int month, int page) const;
  Result<http::Response> SectionList(const http::Request& request, int page) const;
  Result<http::Response> AuthorList(const http::Request& request, int page) const;
  Result<http::Response> TagList(const http::Request& request, int page) const;
  Result<http::Response> List(const ListSpec& spec, int page) const;
  Result<http::Response> Asset(const http::Request& request) const;
  Result<http::Response> Upload(const http::Request& request) const;
  Result<http::Response> NotFound(const http::Request& request) const;
  // What every page shows around its content: the last context read while the content version
  // stays the same, else ReadContext.
  Result<struct SiteContext> Context(std::string current_section = {}) const;
  // The context read from the database (kept for KnownContext and Context).
  Result<struct SiteContext> ReadContext(std::string current_section = {}) const;
  // The last context Context() read, with the time now; null before the first.
  std::shared_ptr<const SiteContext> KnownContext() const;
  Result<http::Response> RenderPage(std::string_view template_name, const nlohmann::json& view,
                                    int status = 200) const;
  // `html` linking uploads at the public URL when one is set (SetMediaStore).
  std::string LinkUploads(std::string html) const;
  // `handler` with all its reads in one snapshot (Store::InSnapshot): for pages made of many.
  http::Handler Together(http::Handler handler) const;

  Store& store_;
  const render::Theme& theme_;
  const std::filesystem::path uploads_dir_;
  const media::ObjectStore* bucket_ = nullptr;
  std::string media_public_url_;
  const content::PublicationOverrides overrides_;
  const http::Router* router_ = nullptr;  // set by AddRoutes, for trailing-slash redirects
  PreviewCheck preview_check_;
  StaffCheck staff_check_;
  mail::Outbox* outbox_ = nullptr;
  search::SearchIndex* search_index_ = nullptr;
  // Counts comments, searches, privacy links and signups per client in the database, so every
  // node counts together (auth::SharedRateLimiter).
  std::unique_ptr<RateLimiter> limiter_;
  comments::Comments comments_;
  comments::Privacy privacy_;
  std::optional<newsletter::Subscriptions> subscriptions_;  // set with the outbox
  mutable std::optional<comments::Notices> notices_;        // set with the outbox; thread-safe
  PublicLimits limits_;  // no limits on comments and searches until SetLimits
  mutable std::mutex known_mutex_;
  mutable std::shared_ptr<const SiteContext> known_context_;  // guarded by known_mutex_
  mutable std::uint64_t known_version_ = 0;                   // guarded by known_mutex_
};

}  // namespace broadsheet::site
