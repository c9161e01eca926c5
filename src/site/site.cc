#include "site/site.h"

#include <charconv>
#include <limits>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include "auth/accounts.h"
#include "auth/rate_limiter.h"
#include "core/slug.h"
#include "core/surrogate_keys.h"
#include "core/text.h"
#include "feeds/feeds.h"
#include "feeds/sitemaps.h"
#include "http/static_files.h"
#include "search/index.h"
#include "search/query.h"
#include "search/related.h"
#include "search/snapshot.h"
#include "site/views.h"

namespace broadsheet::site {
namespace {

// Inside Together: the content version read before its snapshot began (see ReadContext).
thread_local std::optional<std::uint64_t> reading_at_version;

using http::Method;
using http::Request;
using http::Response;

constexpr size_t kMaxUploadServeBytes = 64 * 1024 * 1024;
// The policy of every file under /uploads/: nothing loads or runs, and the document has an
// origin of its own (sandbox); an SVG's own inline styles still draw.
constexpr std::string_view kUploadPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

// "3" -> 3; nullopt for anything that is not a page number >= 1.
std::optional<int> PageNumber(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 ||
      text.front() == '0') {
    return std::nullopt;
  }
  return value;
}

// Where page `page` of `per_page` items starts; nullopt when that is beyond any list (an int).
std::optional<int> PageOffset(int page, int per_page) {
  const std::int64_t offset = (static_cast<std::int64_t>(page) - 1) * per_page;
  if (offset > std::numeric_limits<int>::max()) return std::nullopt;
  return static_cast<int>(offset);
}

// Answers a route whose feature has not been built yet.
http::Handler NotYet(std::string sentence) {
  return [sentence = std::move(sentence)](const Request&) -> Result<Response> {
    Response response = Response::Text(503, sentence);
    response.headers.emplace_back("Retry-After", "86400");
    return response;
  };
}

// The "segments" fields of a newsletter form: section slugs, or "everything" (also when none).
std::pair<bool, std::vector<std::string>> ChosenSegments(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  bool everything = false;
  std::vector<std::string> sections;
  for (const auto& [name, value] : fields) {
    if (name != "segments") continue;
    if (value == "everything")
      everything = true;
    else if (sections.size() < 50)
      sections.push_back(value);
  }
  return {everything || sections.empty(), std::move(sections)};
}

// "2026" -> 2026; nullopt for anything but four digits from 1000.
std::optional<int> Year(std::string_view text) {
  if (text.size() != 4 || text.front() == '0' ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::stoi(std::string(text));
}

// "07" -> 7; nullopt for anything but two digits from 01 to 12.
std::optional<int> Month(std::string_view text) {
  if (text.size() != 2 || text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  const int month = (text[0] - '0') * 10 + (text[1] - '0');
  if (month < 1 || month > 12) return std::nullopt;
  return month;
}

constexpr const char* kMonthNames[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};

// Midnight at the start of a day in the publication's zone.
Timestamp StartOfDay(int year, int month, int day, const TimeZone& zone) {
  if (month > 12) {
    ++year;
    month = 1;
  }
  return ParseIsoTime(fmt::format("{:04}-{:02}-{:02}", year, month, day), zone).value_or(0);
}

// The comment form's state from an article page's query: whom it replies to, and the notice
// after a submission (`?comment=held` or `?comment=ID`).
nlohmann::json CommentFormOf(const Request& request) {
  const std::string parent = request.QueryParam("replyto").value_or("0");
  nlohmann::json form = {{"parent", parent}, {"replying", parent != "0"}};
  const std::string comment = request.QueryParam("comment").value_or("");
  if (comment == "held") {
    form["notice"] =
        "Thank you. Your comment is awaiting moderation and will appear once approved.";
  } else if (!comment.empty()) {
    form["notice"] = "Thank you. Your comment is published.";
  }
  return form;
}

// Whether a body holds a facade or a frame that embeds.js works on (markdown/embeds.h).
bool HasEmbeds(std::string_view body_html) {
  return body_html.find("data-embed-src=") != std::string_view::npos ||
         body_html.find("class=\"embed embed-") != std::string_view::npos;
}

}  // namespace

struct Site::ListSpec {
  PostQuery query;
  std::string base_path;  // "/section/x/"
  std::string kicker;     // small label above the heading
  std::string heading;
  std::string description;
  std::string current_section;
  nlohmann::json author = false;   // author profile for author pages
  nlohmann::json archive = false;  // month and year links for archives
  std::string json_ld_type = "CollectionPage";
  // The breadcrumb trail below the home page: (name, path) pairs.
  std::vector<std::pair<std::string, std::string>> trail;
  bool has_feed = true;
  // The list's own surrogate key (core/surrogate_keys.h); each card adds its post's.
  std::string key;
};

Site::Site(Store& store, const render::Theme& theme, std::filesystem::path uploads_dir,
           content::PublicationOverrides overrides)
    : store_(store),
      theme_(theme),
      uploads_dir_(std::move(uploads_dir)),
      overrides_(std::move(overrides)),
      limiter_(std::make_unique<auth::SharedRateLimiter>(store)),
      comments_(store),
      privacy_(store, *limiter_) {
  limits_.comments = {.per_minute = 0, .per_hour = 0};
  limits_.searches_per_minute = 0;
}

void Site::AddRoutes(http::Router& router) {
  // Every route says which query parameters it reads (see http::Query): its handler sees those
  // alone and its pages are cached under them alone, so that "?x=RANDOM" is the same cached page
  // rather than a new render. Most read none; the home page reads its old WordPress links,
  // articles and their comment pages the reply form's and the notice's parameters, search its
  // words and filters, assets their version, the subscription page its notice.
  const http::RouteOptions ignored{http::Query::None()};
  const http::RouteOptions comment_form{http::Query::Only({"replyto", "comment"})};
  auto page_of = [](const Request& request) { return PageNumber(request.Param("page")); };
  auto paged = [page_of](auto method) {
    return [method, page_of](const Request& request) -> Result<Response> {
      auto page = page_of(request);
      if (!page) return Fail(ErrorCode::kNotFound, "There is no such page.");
      return method(request, *page);
    };
  };
  router.Add(Method::kGet, "/", Together([this](const Request& r) { return Home(r, 1); }), "home",
             {http::Query::Only({"p", "page_id"})});
  router.Add(Method::kGet, "/page/{page}/",
             Together(paged([this](const Request& r, int p) { return Home(r, p); })), "home",
             ignored);

  for (const char* kind : {"section", "author", "tag"}) {
    const std::string base = std::string("/") + kind + "/{slug}/";
    auto list = [this, kind = std::string(kind)](const Request& r, int p) -> Result<Response> {
      if (kind == "section") return SectionList(r, p);
      if (kind == "author") return AuthorList(r, p);
      return TagList(r, p);
    };
    router.Add(Method::kGet, base, Together([list](const Request& r) { return list(r, 1); }), kind,
               ignored);
    router.Add(Method::kGet, base + "page/{page}/", Together(paged(list)), kind, ignored);
    for (const char* format : {"rss", "atom", "json"}) {
      const std::string path = base + (format == std::string("rss")    ? "feed/"
                                       : format == std::string("atom") ? "feed/atom/"
                                                                       : "feed.json");
      router.Add(Method::kGet, path,
                 Together([this, kind = std::string(kind), format = std::string(format)](
                              const Request& r) { return Feed(r, kind, format); }),
                 "feed", ignored);
    }
  }
  for (const auto& [path, format] :
       {std::pair{"/feed/", "rss"}, {"/feed/atom/", "atom"}, {"/feed.json", "json"}}) {
    router.Add(Method::kGet, path, Together([this, format = std::string(format)](const Request& r) {
                 return Feed(r, "", format);
               }),
               "feed", ignored);
  }

  router.Add(
      Method::kGet, "/preview/{id}/{expires}/{signature}",
      [this](const Request& r) { return Preview(r); }, "preview", ignored);
  router.Add(Method::kGet, "/assets/{path*}", [this](const Request& r) { return Asset(r); },
             "asset", {http::Query::Only({"v"})});
  router.Add(
      Method::kGet, "/uploads/{path*}", [this](const Request& r) { return Upload(r); }, "upload",
      ignored);

  // Crawlers and search.
  router.Add(
      Method::kGet, "/sitemap.xml", [this](const Request& r) { return SitemapIndex(r); }, "sitemap",
      ignored);
  router.Add(
      Method::kGet, "/sitemaps/{file}", [this](const Request& r) { return SitemapFile(r); },
      "sitemap", ignored);
  router.Add(
      Method::kGet, "/robots.txt", [this](const Request& r) { return Robots(r); }, "robots",
      ignored);
  router.Add(Method::kGet, "/brand.css", [this](const Request& r) { return BrandCss(r); }, "asset",
             {http::Query::Only({"v"})});
  const http::RouteOptions search{
      http::Query::Only({"q", "section", "author", "from", "to", "sort", "page"})};
  router.Add(
      Method::kGet, "/search", [this](const Request& r) { return Search(r, false); }, "search",
      search);
  router.Add(
      Method::kGet, "/search.json", [this](const Request& r) { return Search(r, true); }, "search",
      search);
  router.Add(
      Method::kGet, "/newsletter", [this](const Request& r) { return NewsletterPage(r); },
      "newsletter", ignored);
  router.Add(
      Method::kPost, "/newsletter/subscribe", [this](const Request& r) { return Subscribe(r); },
      "newsletter");
  router.Add(
      Method::kGet, "/newsletter/confirm/{token}",
      [this](const Request& r) { return ConfirmSubscription(r); }, "newsletter", ignored);
  router.Add(Method::kGet, "/newsletter/unsubscribe/{token}",
             [this](const Request& r) { return ManageSubscription(r); }, "newsletter",
             {http::Query::Only({"saved"})});
  router.Add(
      Method::kPost, "/newsletter/unsubscribe/{token}",
      [this](const Request& r) { return Unsubscribe(r); }, "newsletter");
  router.Add(
      Method::kPost, "/newsletter/manage/{token}",
      [this](const Request& r) { return SaveSections(r); }, "newsletter");
  // Without the desk's own routes (added first by `serve`), /admin says where it is.
  const std::string desk =
      "The editorial desk arrives with the editorial release; use the command line for now.";
  router.Add(Method::kGet, "/admin", NotYet(desk), "admin");
  router.Add(Method::kGet, "/admin/{rest*}", NotYet(desk), "admin");
  router.Add(Method::kPost, "/admin/{rest*}", NotYet(desk), "admin");
  router.Add(
      Method::kPost, "/{slug}/comments", [this](const Request& r) { return SubmitComment(r); },
      "comments");
  router.Add(
      Method::kGet, "/{slug}/comments/token", [this](const Request& r) { return CommentToken(r); },
      "comments", ignored);
  router.Add(Method::kGet, "/{slug}/comments/page/{page}/",
             paged([this](const Request& r, int p) -> Result<Response> {
               if (p == 1) return Response::Redirect(301, "/" + std::string(r.Param("slug")) + "/");
               return Article(r, CommentFormOf(r), 200, p);
             }),
             "comment-pages", comment_form);
  router.Add(
      Method::kGet, "/{slug}/comments/{id}/",
      [this](const Request& r) { return CommentPermalink(r); }, "comment-pages", ignored);
  router.Add(
      Method::kGet, "/comments/privacy", [this](const Request& r) { return PrivacyForm(r); },
      "comments", ignored);
  router.Add(
      Method::kPost, "/comments/privacy", [this](const Request& r) { return PrivacyRequest(r); },
      "comments");
  router.Add(
      Method::kGet, "/comments/privacy/{token}",
      [this](const Request& r) { return PrivacyPage(r); }, "comments", ignored);
  router.Add(
      Method::kGet, "/comments/privacy/{token}/export",
      [this](const Request& r) { return PrivacyExport(r); }, "comments", ignored);
  router.Add(
      Method::kPost, "/comments/privacy/{token}/erase",
      [this](const Request& r) { return PrivacyErase(r); }, "comments");
  router.Add(
      Method::kGet, "/{slug}/feed/", [this](const Request& r) { return CommentsFeed(r); },
      "comments-feed", ignored);
  // Archives. A path that only looks like one ("/2026/feed/" is not) falls to the 404 page,
  // which also follows redirects (old WordPress addresses such as "/2019/05/10/slug/").
  auto archive = [this](const Request& r, std::string_view year_text, std::string_view month_text,
                        std::string_view page_text) -> Result<Response> {
    const auto year = Year(year_text);
    const auto month = month_text.empty() ? std::optional<int>(0) : Month(month_text);
    const auto page = page_text.empty() ? std::optional<int>(1) : PageNumber(page_text);
    if (!year || !month || !page) return NotFound(r);
    return Archive(r, *year, *month, *page);
  };
  router.Add(Method::kGet, "/{year}/page/{page}/", Together([archive](const Request& r) {
               return archive(r, r.Param("year"), "", r.Param("page"));
             }),
             "archive", ignored);
  router.Add(Method::kGet, "/{year}/{month}/page/{page}/", Together([archive](const Request& r) {
               return archive(r, r.Param("year"), r.Param("month"), r.Param("page"));
             }),
             "archive", ignored);
  router.Add(Method::kGet, "/{year}/{month}/", Together([archive](const Request& r) {
               return archive(r, r.Param("year"), r.Param("month"), "");
             }),
             "archive", ignored);
  // An article, or a year's archive (slugs of four digits are refused, so there is no clash).
  // (An article reads in one snapshot of its own: Article.)
  auto year = Together([archive](const Request& r) { return archive(r, r.Param("slug"), "", ""); });
  router.Add(
      Method::kGet, "/{slug}/",
      [this, year](const Request& r) -> Result<Response> {
        if (Year(r.Param("slug"))) return year(r);
        return Post(r);
      },
      "post", comment_form);

  router_ = &router;
  router.SetFallback([this](const Request& r) { return NotFound(r); });
}

http::Handler Site::Together(http::Handler handler) const {
  return [this, handler = std::move(handler)](const Request& request) -> Result<Response> {
    // The content version before the snapshot begins: a site context read inside it is kept
    // under this one, never under a newer version whose writes the snapshot may not hold.
    const std::uint64_t version = store_.ContentVersion();
    std::optional<Result<Response>> rendered;
    auto read = store_.InSnapshot([&]() -> Result<void> {
      struct Reading {
        explicit Reading(std::uint64_t at) { reading_at_version = at; }
        ~Reading() { reading_at_version.reset(); }
      } reading(version);
      rendered.emplace(handler(request));
      return {};
    });
    // A page rendered stands even if ending its read-only transaction failed afterwards.
    if (rendered) return std::move(*rendered);
    return tl::unexpected(read.error());
  };
}

Result<Publication> Site::LoadPublication() const {
  auto publication = store_.LoadPublication();
  if (!publication) return publication;
  overrides_.Apply(*publication);
  return publication;
}

void Site::Warm() const { (void)Context(); }

Result<Publication> Site::PublicationForChrome() const {
  auto publication = LoadPublication();
  if (publication) return publication;
  if (auto known = KnownContext()) return known->publication;
  return publication;
}

std::shared_ptr<const SiteContext> Site::KnownContext() const {
  std::lock_guard lock(known_mutex_);
  return known_context_;
}

Result<SiteContext> Site::Context(std::string current_section) const {
  // What every page shows around its content changes only with the content version, as the
  // cached pages do: read again only then (three queries fewer for each page rendered).
  const std::uint64_t version = store_.ContentVersion();
  {
    std::lock_guard lock(known_mutex_);
    if (known_context_ && known_version_ == version) {
      SiteContext context = *known_context_;
      context.now = Now();
      context.current_section = std::move(current_section);
      return context;
    }
  }
  return ReadContext(std::move(current_section));
}

Result<SiteContext> Site::ReadContext(std::string current_section) const {
  // The version before reading (before the snapshot, inside Together): a write meanwhile makes
  // the next read keep its context again.
  const std::uint64_t version = reading_at_version.value_or(store_.ContentVersion());
  SiteContext context;
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  context.publication = std::move(*publication);
  auto zone = TimeZone::Find(context.publication.timezone);
  context.zone = zone ? *zone : TimeZone();
  auto sections = store_.ListSections();
  if (!sections) return tl::unexpected(sections.error());
  context.sections = std::move(*sections);
  context.now = Now();
  auto menu =
      content::ResolveNavigation(store_, context.publication, context.sections, context.now);
  if (!menu) return tl::unexpected(menu.error());
  context.menu = std::move(*menu);
  PostQuery pages_query;
  pages_query.kind = PostKind::kPage;
  pages_query.now = context.now;
  pages_query.limit = 20;
  pages_query.bodies = false;  // the footer links to them
  auto pages = store_.ListPublishedPosts(pages_query);
  if (!pages) return tl::unexpected(pages.error());
  context.pages = std::move(*pages);
  context.css_url = theme_.AssetUrl("style.css");
  context.icon_url = theme_.AssetUrl("icon.svg");
  // Without mail no confirmation could be sent: pages offer no signup form rather than one that
  // fails when submitted. Fixed while the server runs, like the outbox.
  context.newsletter_open = outbox_ != nullptr && outbox_->configured();
  {
    std::unique_lock lock(known_mutex_);
    if (!known_context_ || version > known_version_) {
      lock.unlock();
      auto known = std::make_shared<const SiteContext>(context);  // copied outside the lock
      lock.lock();
      if (!known_context_ || version > known_version_) {  // a newer read may have come first
        known_context_ = std::move(known);
        known_version_ = version;
      }
    }
  }
  context.current_section = std::move(current_section);
  return context;
}

std::string Site::LinkUploads(std::string html) const {
  if (media_public_url_.empty()) return html;
  // The absolute form (og:image, JSON-LD) is made from the publication's address.
  const auto context = KnownContext();
  const std::string base_url =
      context ? context->publication.base_url : overrides_.base_url.value_or("");
  return media::LinkUploadsTo(html, media_public_url_, base_url);
}

Result<Response> Site::RenderPage(std::string_view template_name, const nlohmann::json& view,
                                  int status) const {
  auto html = theme_.Render(template_name, view);
  if (!html) return tl::unexpected(html.error());
  Response response;
  response.status = status;
  response.body = LinkUploads(std::move(*html));
  response.cacheable = status == 200;
  return response;
}

Result<Response> Site::Home(const Request& request, int page) const {
  if (page == 1 && request.path != "/") return Response::Redirect(301, "/");
  // WordPress's plain links (/?p=123, /?page_id=45) of an imported site.
  for (const char* name : {"p", "page_id"}) {
    const auto id = request.QueryParam(name);
    if (!id || id->empty() || id->size() > 20 ||
        id->find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    auto redirect = store_.FindRedirect("/?" + std::string(name) + "=" + *id);
    if (!redirect) return tl::unexpected(redirect.error());
    if (*redirect && (*redirect)->status != 410)
      return Response::Redirect((*redirect)->status, (*redirect)->to_path);
  }
  auto context = Context();
  if (!context) return tl::unexpected(context.error());
  ListSpec spec;
  spec.query.now = context->now;
  spec.base_path = "/";
  spec.heading = "Latest analysis";
  spec.key = std::string(kHomeKey);
  auto response = List(spec, page);
  if (response && !request.query.empty()) response->cacheable = false;  // ?utm=… etc.
  return response;
}

Result<Response> Site::Post(const Request& request) const {
  return Article(request, CommentFormOf(request), 200);
}

Result<Response> Site::Article(const Request& request, const nlohmann::json& comment_form,
                               int status, int comment_page) const {
  const std::string slug(request.Param("slug"));
  if (!IsValidSlug(slug)) return Fail(ErrorCode::kNotFound, "There is no such page.");
  auto context = Context();
  if (!context) return tl::unexpected(context.error());
  // A page of threads, so that a long comment section costs what a short one does.
  const auto skipped = PageOffset(comment_page, kCommentThreadsPerPage);
  if (!skipped) return Fail(ErrorCode::kNotFound, "There is no such page of comments.");

  // The page's reads share one snapshot. Asking the search index for similar pieces, and
  // rendering, come after it: no database connection waits for the index's lock, which the
  // index holds while it reads the database itself.
  std::optional<PostDetail> found;
  std::optional<MediaItem> media;
  Store::CommentThreads threads;
  int total = 0;
  comments::Rules rules;
  std::vector<PostDetail> candidates;
  auto read = store_.InSnapshot([&]() -> Result<void> {
    auto post = store_.FindPublishedPost(slug, context->now);
    if (!post) return tl::unexpected(post.error());
    if (!*post) return {};
    found = std::move(**post);
    if (found->post.image.url.starts_with("/uploads/")) {
      auto item = store_.FindMediaByUrl(found->post.image.url);
      if (!item) return tl::unexpected(item.error());
      media = std::move(*item);
    }
    auto page = store_.ListCommentThreads(found->post.id, *skipped, kCommentThreadsPerPage);
    if (!page) return tl::unexpected(page.error());
    threads = std::move(*page);
    auto count = store_.CountApprovedComments(found->post.id);
    if (!count) return tl::unexpected(count.error());
    total = *count;
    auto current = comments_.CurrentRules();
    if (!current) return tl::unexpected(current.error());
    rules = std::move(*current);
    if (found->post.kind == PostKind::kArticle) {
      auto related =
          store_.RelatedCandidates(found->post, context->now, search::kRelatedCandidates);
      if (!related) return tl::unexpected(related.error());
      candidates = std::move(*related);
    }
    return {};
  });
  if (!read) return tl::unexpected(read.error());
  if (!found) return NotFound(request);
  if (comment_page > 1 && threads.comments.empty())
    return Fail(ErrorCode::kNotFound, "There is no such page of comments.");
  const PostDetail& detail = *found;
  if (detail.section) context->current_section = detail.section->slug;

  const broadsheet::Post& post = detail.post;
  Head head;
  head.title = post.title;
  head.description = !post.seo.description.empty() ? post.seo.description
                     : !post.dek.empty()           ? post.dek
                                                   : Truncate(PlainText(post.body_html), 200);
  head.canonical_path = !post.seo.canonical_url.empty() ? post.seo.canonical_url : PostUrl(post);
  head.noindex = post.seo.noindex;
  head.image = !post.seo.social_image.empty() ? post.seo.social_image : post.image.url;
  head.image_alt = post.seo.social_image.empty() ? post.image.alt : "";
  if (post.kind == PostKind::kArticle) {
    head.og_type = "article";
    head.published_iso = FormatIsoTime(post.published_at.value_or(0), context->zone);
    head.modified_iso =
        FormatIsoTime(post.updated_at.value_or(post.published_at.value_or(0)), context->zone);
    if (detail.section) head.section = detail.section->name;
    for (const Tag& tag : detail.tags) head.tags.push_back(tag.name);
  }
  head.json_ld.push_back(ArticleJsonLd(detail, *context));
  std::vector<std::pair<std::string, std::string>> trail;
  if (detail.section) trail.emplace_back(detail.section->name, SectionUrl(*detail.section));
  trail.emplace_back(post.title, PostUrl(post));
  head.json_ld.push_back(BreadcrumbJsonLd(context->publication, trail));

  const bool open = detail.post.kind == PostKind::kArticle &&
                    comments::Comments::Open(detail.post, rules, context->now);
  if (open) head.script = theme_.AssetUrl("comments.js");  // the form's token and inline replies
  if (HasEmbeds(post.body_html)) head.embeds_script = theme_.AssetUrl("embeds.js");
  if (detail.post.kind == PostKind::kArticle) {
    head.feed = PostUrl(detail.post) + "feed/";
    head.feed_title = "Comments on \u201c" + detail.post.title + "\u201d";
  }

  nlohmann::json related = nlohmann::json::array();
  std::vector<std::string> related_keys;  // a related card shows that post's headline
  if (post.kind == PostKind::kArticle) {
    std::vector<PostDetail> chosen =
        search::ChooseRelated(post, std::move(candidates), kRelatedPieces);
    if (chosen.size() < kRelatedPieces && search_index_ != nullptr) {
      auto more = search_index_->Similar(post, context->now, kRelatedPieces * 2);
      if (!more) return tl::unexpected(more.error());
      for (PostDetail& other : *more) {
        const bool seen = std::any_of(chosen.begin(), chosen.end(), [&](const PostDetail& c) {
          return c.post.id == other.post.id;
        });
        if (!seen && chosen.size() < kRelatedPieces) chosen.push_back(std::move(other));
      }
    }
    for (const PostDetail& other : chosen) {
      related.push_back(PostCardView(other, context->zone));
      related_keys.push_back(PostKey(other.post.id));
    }
  }

  nlohmann::json view = {
      {"site", SiteView(*context)},
      {"head", HeadView(head, context->publication)},
      {"article", ArticleView(detail, *context, media)},
      {"related", related},
      {"has_related", !related.empty()},
      {"comments_open", open},
      {"comment_form", comment_form},
      {"discussion", CommentsView(threads.comments, context->zone, rules.thread_depth)}};
  nlohmann::json& discussion = view["discussion"];
  discussion["count"] = total;
  discussion["several"] = total != 1;
  discussion["has_comments"] = total > 0;
  if (comment_page > 1 || threads.more) {
    const std::string base = PostUrl(detail.post);
    discussion["pager"] = {
        {"newer", comment_page == 1 ? ""
                  : comment_page == 2
                      ? base + "#comments"
                      : fmt::format("{}comments/page/{}/#comments", base, comment_page - 1)},
        {"older",
         threads.more ? fmt::format("{}comments/page/{}/#comments", base, comment_page + 1) : ""}};
  }
  auto response =
      RenderPage(detail.post.kind == PostKind::kPage ? "page" : "article", view, status);
  if (response && (!request.query.empty() || status != 200)) response->cacheable = false;
  if (response) {
    response->surrogate_keys.push_back(PostKey(detail.post.id));
    for (auto& key : related_keys) response->surrogate_keys.push_back(std::move(key));
  }
  // A form that closes by age must not outlive its date in the cache.
  if (response && open && rules.close_after_days > 0 && detail.post.published_at) {
    response->cache_until =
        *detail.post.published_at + static_cast<Timestamp>(rules.close_after_days) * 86400;
  }
  return response;
}

Result<broadsheet::Post> Site::CommentTarget(const Request& request) const {
  const std::string slug(request.Param("slug"));
  auto post = IsValidSlug(slug) ? store_.FindPost(slug)
                                : Result<std::optional<broadsheet::Post>>(std::nullopt);
  if (!post) return tl::unexpected(post.error());
  // Pages (About, Contact) have no comment area, so they take no comments either.
  if (!*post || (*post)->status != PostStatus::kPublished || (*post)->kind != PostKind::kArticle) {
    return Fail(ErrorCode::kNotFound, "There is no article at this address to comment on.");
  }
  return std::move(**post);
}

Result<Response> Site::SubmitComment(const Request& request) const {
  const std::string slug(request.Param("slug"));
  const auto fields = request.FormFields();
  // With the database away the article cannot be shown around the form, so the reader gets
  // their text back on the error page.
  const auto unavailable = [&](const Error& error) {
    spdlog::warn("comment not saved: {}", Describe(error));
    return ErrorPage(503, error, request, http::FieldValue(fields, "body"));
  };
  auto post = CommentTarget(request);
  if (!post) {
    if (post.error().code == ErrorCode::kBusy || post.error().code == ErrorCode::kUnavailable) {
      return unavailable(post.error());
    }
    return tl::unexpected(post.error());
  }
  comments::Submission submission;
  submission.name = http::FieldValue(fields, "name");
  submission.email = http::FieldValue(fields, "email");
  submission.website = http::FieldValue(fields, "website");
  submission.body = http::FieldValue(fields, "body");
  submission.parent = http::FieldValue(fields, "parent");
  submission.honeypot = http::FieldValue(fields, "homepage");
  submission.form_token = http::FieldValue(fields, "token");
  submission.client_ip = request.client_ip;
  if (staff_check_) submission.staff = staff_check_(request);
  const Timestamp now = Now();
  auto outcome = comments_.Submit(*post, submission, now);
  if (!outcome) {
    const ErrorCode code = outcome.error().code;
    // The reader's text comes back in the form, with what to fix or what went wrong.
    const int status = code == ErrorCode::kInvalidArgument                           ? 422
                       : code == ErrorCode::kRateLimited                             ? 429
                       : code == ErrorCode::kStorageFull                             ? 507
                       : code == ErrorCode::kBusy || code == ErrorCode::kUnavailable ? 503
                                                                                     : 0;
    if (status == 0) return tl::unexpected(outcome.error());
    if (status >= 500) spdlog::warn("comment not saved: {}", Describe(outcome.error()));
    nlohmann::json form = {{"name", submission.name},
                           {"email", submission.email},
                           {"website", submission.website},
                           {"body", submission.body},
                           {"parent", submission.parent.empty() ? "0" : submission.parent},
                           {"replying", !submission.parent.empty() && submission.parent != "0"},
                           {"token", submission.form_token.substr(0, 200)},
                           {"error", outcome.error().message}};
    Request page = request;
    page.query.clear();
    auto response = Article(page, form, status);
    if (!response && (response.error().code == ErrorCode::kBusy ||
                      response.error().code == ErrorCode::kUnavailable)) {
      return unavailable(response.error());
    }
    if (response && status == 429) {
      response->headers.emplace_back(
          "Retry-After",
          std::to_string(std::max<Timestamp>(1, comments_.FloodWait(submission.client_ip, now))));
    }
    if (response && status == 503) response->headers.emplace_back("Retry-After", "5");
    return response;
  }
  if (notices_ && outbox_->configured() && outcome->status != CommentStatus::kSpam) {
    // The comment is saved and the reader is answered whatever becomes of the notices.
    auto publication = LoadPublication();
    auto rules = comments_.CurrentRules();
    if (publication && rules) {
      auto queued = notices_->Comment(*publication, *rules, post->id, outcome->comment, now);
      if (!queued) spdlog::warn("comment notices not sent: {}", Describe(queued.error()));
    }
  }
  // A published reply to an older thread is shown on that thread's page of comments.
  std::string page_path = fmt::format("/{}/", slug);
  if (outcome->status == CommentStatus::kApproved && outcome->comment.parent_id) {
    auto before = store_.CommentThreadIndex(post->id, outcome->id);
    const int page =
        before && *before ? comments::Comments::PageOf(**before, kCommentThreadsPerPage) : 1;
    if (page > 1) page_path = fmt::format("/{}/comments/page/{}/", slug, page);
  }
  Response response = Response::Redirect(
      303, outcome->status == CommentStatus::kApproved
               ? fmt::format("{}?comment={}#comment-{}", page_path, outcome->id, outcome->id)
               : fmt::format("/{}/?comment=held#comments", slug));
  response.cache_control = "no-store";
  return response;
}

void Site::SetLimits(const PublicLimits& limits) {
  limits_ = limits;
  comments_.SetFloodLimits(limits.comments, *limiter_);
  if (outbox_) notices_.emplace(store_, *outbox_, limits.moderator_notice_interval_s);
}

Result<std::optional<std::string>> Site::ArticlePath(std::int64_t post_id) {
  auto found = store_.FindPostById(post_id);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return std::nullopt;
  return PostUrl((*found)->post);
}

void Site::FlushCommentNotices() {
  if (!notices_) return;
  auto publication = LoadPublication();
  if (!publication) return;
  if (auto sent = notices_->Flush(*publication, Now()); !sent)
    spdlog::warn("comment notices not sent: {}", Describe(sent.error()));
}

Result<Response> Site::CommentToken(const Request& request) const {
  auto post = CommentTarget(request);
  if (!post) return tl::unexpected(post.error());
  auto token = comments_.FormToken(post->id, Now());
  if (!token) return tl::unexpected(token.error());
  nlohmann::json answer = {{"token", *token}, {"staff", nullptr}};
  if (staff_check_) {
    if (auto staff = staff_check_(request)) answer["staff"] = staff->name;
  }
  Response response;
  response.content_type = "application/json";
  response.body = answer.dump();
  response.cache_control = "no-store";
  return response;
}

Result<Response> Site::RenderPrivacy(nlohmann::json state, int status) const {
  auto context = Context();
  if (!context) return tl::unexpected(context.error());
  Head head;
  head.title = "Your comments";
  head.noindex = true;
  nlohmann::json view = {{"site", SiteView(*context)},
                         {"head", HeadView(head, context->publication)},
                         {"privacy", std::move(state)}};
  auto response = RenderPage("comments-privacy", view, status);
  if (response) {
    response->cacheable = false;
    response->cache_control = "no-store";
  }
  return response;
}

Result<Response> Site::PrivacyForm(const Request&) const {
  return RenderPrivacy({{"ask", true}, {"mail", outbox_ && outbox_->configured()}}, 200);
}

Result<Response> Site::PrivacyRequest(const Request& request) {
  const auto fields = request.FormFields();
  const std::string email(Trim(http::FieldValue(fields, "email")));
  if (!auth::CheckEmail(email)) {
    return RenderPrivacy({{"ask", true},
                          {"mail", outbox_ && outbox_->configured()},
                          {"email", email},
                          {"error", "Please give the e-mail address you commented with."}},
                         422);
  }
  if (!outbox_ || !outbox_->configured()) {
    return RenderPrivacy({{"ask", true},
                          {"mail", false},
                          {"email", email},
                          {"error",
                           "This site cannot send e-mail, so it cannot send the link. "
                           "Please write to the publication instead."}},
                         503);
  }
  const Timestamp now = Now();
  auto allowed = privacy_.AllowRequest(email, request.client_ip, now);
  if (!allowed) return tl::unexpected(allowed.error());
  if (!*allowed) {
    return RenderPrivacy({{"ask", true},
                          {"mail", true},
                          {"email", email},
                          {"error",
                           "Several links were sent to this address or from this "
                           "connection in the last hour. Please use one of those, or "
                           "try again later."}},
                         429);
  }
  auto comments = store_.ListCommentsByEmail(email);
  if (!comments) return tl::unexpected(comments.error());
  // The page reads the same either way, so it tells no one whether an address has comments.
  if (!comments->empty()) {
    auto token = privacy_.LinkToken(email, now);
    if (!token) return tl::unexpected(token.error());
    auto publication = LoadPublication();
    if (!publication) return tl::unexpected(publication.error());
    const std::string base = PublicBaseUrl(*publication);
    mail::Message message;
    message.to = email;
    message.subject = "Your comments on " + publication->title;
    message.text = fmt::format(
        "Someone (we hope you) asked for the comments left on {} with this address.\n\n"
        "See them, download a copy or erase them here (the link works for 24 hours):\n\n"
        "{}/comments/privacy/{}\n\nIf it was not you, ignore this message; nothing changes.\n",
        publication->title, base, *token);
    if (auto queued = outbox_->Queue(message); !queued) return tl::unexpected(queued.error());
  }
  return RenderPrivacy({{"sent", true}, {"email", email}}, 200);
}

Result<Response> Site::PrivacyPage(const Request& request) const {
  auto email = privacy_.CheckToken(std::string(request.Param("token")), Now());
  if (!email) return tl::unexpected(email.error());
  if (!*email)
    return Fail(
        ErrorCode::kNotFound,
        "This link is not valid: it may have expired. Ask for a new one at /comments/privacy.");
  auto comments = store_.ListCommentsByEmail(**email);
  if (!comments) return tl::unexpected(comments.error());
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  const TimeZone zone = TimeZone::Find(publication->timezone).value_or(TimeZone());
  nlohmann::json list = nlohmann::json::array();
  for (const Comment& comment : *comments) {
    list.push_back(
        {{"article", "/" + comment.post_slug + "/"},
         {"anchor", comment.status == CommentStatus::kApproved
                        ? fmt::format("/{}/comments/{}/", comment.post_slug, comment.id)
                        : ""},
         {"date", FormatHumanDate(comment.created_at, zone)},
         {"status", comment.status == CommentStatus::kApproved ? "published" : "not published"},
         {"excerpt", Truncate(comment.body_markdown, 200)}});
  }
  const std::string base = "/comments/privacy/" + std::string(request.Param("token"));
  return RenderPrivacy({{"manage", true},
                        {"email", **email},
                        {"comments", list},
                        {"has_comments", !list.empty()},
                        {"export_url", base + "/export"},
                        {"erase_url", base + "/erase"}},
                       200);
}

Result<Response> Site::PrivacyExport(const Request& request) const {
  auto email = privacy_.CheckToken(std::string(request.Param("token")), Now());
  if (!email) return tl::unexpected(email.error());
  if (!*email) return Fail(ErrorCode::kNotFound, "This link is not valid: it may have expired.");
  auto json = privacy_.Export(**email);
  if (!json) return tl::unexpected(json.error());
  Response response;
  response.content_type = "application/json";
  response.body = std::move(*json);
  response.cache_control = "no-store";
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"comments.json\"");
  return response;
}

Result<Response> Site::PrivacyErase(const Request& request) const {
  auto email = privacy_.CheckToken(std::string(request.Param("token")), Now());
  if (!email) return tl::unexpected(email.error());
  if (!*email) return Fail(ErrorCode::kNotFound, "This link is not valid: it may have expired.");
  auto erased = privacy_.Erase(**email);
  if (!erased) return tl::unexpected(erased.error());
  return RenderPrivacy({{"erased", true}, {"count", *erased}}, 200);
}

Result<Response> Site::RenderNewsletter(nlohmann::json state, int status) const {
  auto context = Context();
  if (!context) return tl::unexpected(context.error());
  Head head;
  head.title = "Newsletter";
  head.description = "Analysis from " + context->publication.title + " in your inbox.";
  head.canonical_path = "/newsletter";
  head.noindex = !state.value("ask", false);
  nlohmann::json sections = nlohmann::json::array();
  const auto chosen = state.value("sections", std::vector<std::string>());
  for (const Section& section : context->sections) {
    sections.push_back(
        {{"slug", section.slug},
         {"name", section.name},
         {"checked", std::find(chosen.begin(), chosen.end(), section.slug) != chosen.end()}});
  }
  state["section_choices"] = sections;
  state["has_sections"] = !sections.empty();
  state["closed"] = !context->newsletter_open;
  nlohmann::json view = {{"site", SiteView(*context)},
                         {"head", HeadView(head, context->publication)},
                         {"newsletter", std::move(state)}};
  auto response = RenderPage("newsletter", view, status);
  if (response) {
    response->cacheable = false;  // a reader's own state; /newsletter alone is shared
    response->cache_control = "no-store";
  }
  return response;
}

Result<newsletter::Subscriptions*> Site::Newsletter() {
  if (!subscriptions_)
    return Fail(ErrorCode::kUnavailable, "This site cannot send e-mail, so it has no newsletter.");
  return &*subscriptions_;
}

Result<Response> Site::NewsletterPage(const Request&) const {
  auto response = RenderNewsletter({{"ask", true}, {"everything", true}}, 200);
  if (response) response->cacheable = true;  // the same for everyone
  if (response) response->cache_control.clear();
  return response;
}

Result<Response> Site::Subscribe(const Request& request) {
  const auto fields = request.FormFields();
  newsletter::Signup signup;
  signup.email = std::string(Trim(http::FieldValue(fields, "email"))).substr(0, 300);
  signup.client_ip = request.client_ip;
  std::tie(signup.everything, signup.sections) = ChosenSegments(fields);
  auto subscriptions = Newsletter();
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  auto done = subscriptions ? (*subscriptions)->Subscribe(signup, *publication, Now())
                            : Result<void>(tl::unexpected(subscriptions.error()));
  if (!done) {
    const ErrorCode code = done.error().code;
    if (code != ErrorCode::kInvalidArgument && code != ErrorCode::kRateLimited &&
        code != ErrorCode::kUnavailable && code != ErrorCode::kBusy) {
      return tl::unexpected(done.error());
    }
    const int status = code == ErrorCode::kInvalidArgument ? 400
                       : code == ErrorCode::kRateLimited   ? 429
                                                           : 503;
    return RenderNewsletter({{"ask", true},
                             {"email", signup.email},
                             {"everything", signup.everything},
                             {"sections", signup.sections},
                             {"error", done.error().message}},
                            status);
  }
  return RenderNewsletter({{"sent", true}, {"email", signup.email}}, 200);
}

Result<Response> Site::ConfirmSubscription(const Request& request) {
  auto subscriptions = Newsletter();
  if (!subscriptions) return tl::unexpected(subscriptions.error());
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  auto confirmed =
      (*subscriptions)->Confirm(std::string(request.Param("token")), *publication, Now());
  if (!confirmed) return tl::unexpected(confirmed.error());
  if (!*confirmed) {
    return Fail(ErrorCode::kNotFound,
                "This confirmation link is not valid: it may have expired (links work for 7 "
                "days). Sign up again at /newsletter.");
  }
  auto manage = (*subscriptions)->ManageToken((*confirmed)->id);
  if (!manage) return tl::unexpected(manage.error());
  return RenderNewsletter(
      {{"confirmed", true}, {"manage_url", "/newsletter/unsubscribe/" + *manage}}, 200);
}

Result<Response> Site::ManageSubscription(const Request& request) const {
  if (!subscriptions_) return Fail(ErrorCode::kUnavailable, "This site has no newsletter.");
  const std::string token(request.Param("token"));
  auto subscriber = subscriptions_->FromManageToken(token);
  if (!subscriber) return tl::unexpected(subscriber.error());
  if (!*subscriber) return Fail(ErrorCode::kNotFound, "This link is not valid.");
  const bool active = (*subscriber)->status == SubscriberStatus::kActive ||
                      (*subscriber)->status == SubscriberStatus::kPending;
  return RenderNewsletter({{"manage", true},
                           {"email", (*subscriber)->email},
                           {"active", active},
                           {"everything", (*subscriber)->everything},
                           {"sections", (*subscriber)->sections},
                           {"saved", request.QueryParam("saved").has_value()},
                           {"unsubscribe_url", "/newsletter/unsubscribe/" + token},
                           {"manage_url", "/newsletter/manage/" + token}},
                          200);
}

Result<Response> Site::Unsubscribe(const Request& request) const {
  // A form on the manage page, or a mail client's one-click POST (RFC 8058): the same answer.
  if (!subscriptions_) return Fail(ErrorCode::kUnavailable, "This site has no newsletter.");
  auto subscriber = subscriptions_->FromManageToken(std::string(request.Param("token")));
  if (!subscriber) return tl::unexpected(subscriber.error());
  if (!*subscriber) return Fail(ErrorCode::kNotFound, "This link is not valid.");
  auto left = subscriptions_->Unsubscribe(std::move(**subscriber), Now());
  if (!left) return tl::unexpected(left.error());
  return RenderNewsletter({{"unsubscribed", true}, {"email", left->email}}, 200);
}

Result<Response> Site::SaveSections(const Request& request) const {
  if (!subscriptions_) return Fail(ErrorCode::kUnavailable, "This site has no newsletter.");
  const std::string token(request.Param("token"));
  auto subscriber = subscriptions_->FromManageToken(token);
  if (!subscriber) return tl::unexpected(subscriber.error());
  if (!*subscriber) return Fail(ErrorCode::kNotFound, "This link is not valid.");
  const auto [everything, sections] = ChosenSegments(request.FormFields());
  auto saved = subscriptions_->ChooseSections(std::move(**subscriber), everything, sections);
  if (!saved) return tl::unexpected(saved.error());
  return Response::Redirect(303, "/newsletter/unsubscribe/" + token + "?saved=1");
}

Result<Response> Site::Feed(const Request& request, const std::string& kind,
                            const std::string& format) const {
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  PostQuery query;
  query.now = Now();
  query.limit = kFeedItems;
  feeds::FeedSpec spec;
  spec.title = publication->title;
  spec.description = publication->description;
  spec.page_path = "/";
  const std::string slug(request.Param("slug"));
  if (!kind.empty()) {
    if (!IsValidSlug(slug)) return Fail(ErrorCode::kNotFound, "There is no such feed.");
    std::string name;
    if (kind == "section") {
      auto section = store_.FindSection(slug);
      if (!section) return tl::unexpected(section.error());
      if (!*section) return Fail(ErrorCode::kNotFound, "There is no such section.");
      query.section_id = (*section)->id;
      name = (*section)->name;
      spec.description = (*section)->description;
    } else if (kind == "author") {
      auto author = store_.FindPublicAuthor(slug, query.now);
      if (!author) return tl::unexpected(author.error());
      if (!*author) return Fail(ErrorCode::kNotFound, "There is no such author.");
      query.author_id = (*author)->id;
      name = (*author)->name;
      spec.description = (*author)->credentials;
    } else {
      auto tag = store_.FindTag(slug);
      if (!tag) return tl::unexpected(tag.error());
      if (!*tag) return Fail(ErrorCode::kNotFound, "There is no such tag.");
      query.tag_id = (*tag)->id;
      name = (*tag)->name;
    }
    spec.title = name + " \u2013 " + publication->title;
    spec.page_path = "/" + kind + "/" + slug + "/";
  }
  const std::string feed_base = kind.empty() ? "/" : spec.page_path;
  spec.rss_path = feed_base + "feed/";
  spec.atom_path = feed_base + "feed/atom/";
  spec.json_path = feed_base + "feed.json";
  auto full = store_.DeskSetting("feed_full_text");
  if (!full) return tl::unexpected(full.error());
  spec.full_text = full->value_or("1") == "1";
  auto posts = store_.ListPublishedPosts(query);
  if (!posts) return tl::unexpected(posts.error());
  feeds::MediaByUrl media;
  for (const PostDetail& detail : *posts) {
    if (!detail.post.image.url.starts_with("/uploads/")) continue;
    auto item = store_.FindMediaByUrl(detail.post.image.url);
    if (!item) return tl::unexpected(item.error());
    if (*item) media.emplace(detail.post.image.url, **item);
  }
  Response response;
  if (format == "atom") {
    response.content_type = "application/atom+xml; charset=utf-8";
    response.body = feeds::Atom(spec, *posts, *publication, media);
  } else if (format == "json") {
    response.content_type = "application/feed+json; charset=utf-8";
    response.body = feeds::JsonFeed(spec, *posts, *publication);
  } else {
    response.content_type = "application/rss+xml; charset=utf-8";
    response.body = feeds::Rss(spec, *posts, *publication, media);
  }
  response.last_modified = feeds::LastChanged(*posts);
  response.cacheable = request.query.empty();
  response.surrogate_keys.push_back(std::string(kFeedsKey));
  for (const PostDetail& detail : *posts)
    response.surrogate_keys.push_back(PostKey(detail.post.id));
  return response;
}

namespace {

Response XmlResponse(std::string body) {
  Response response;
  response.content_type = "application/xml; charset=utf-8";
  response.body = std::move(body);
  response.cacheable = true;
  response.surrogate_keys.push_back(std::string(kHomeKey));  // what sitemaps list changes with it
  return response;
}

}  // namespace

Result<Response> Site::SitemapIndex(const Request&) const {
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  const Timestamp now = Now();
  auto count = store_.CountPostUrls(now, 0);
  if (!count) return tl::unexpected(count.error());
  const std::string base = AbsoluteUrl(*publication, "/sitemaps/");
  feeds::Located maps = {{base + "pages.xml", 0}};
  for (int chunk = 1; (chunk - 1) * feeds::kSitemapChunk < *count; ++chunk)
    maps.emplace_back(fmt::format("{}posts-{}.xml", base, chunk), 0);
  maps.emplace_back(base + "news.xml", 0);
  return XmlResponse(feeds::SitemapIndex(maps));
}

Result<Response> Site::SitemapFile(const Request& request) const {
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  const std::string file(request.Param("file"));
  const Timestamp now = Now();
  if (file == "news.xml") {
    auto recent = store_.ListPostUrls(now, now - 48 * 3600, 1000, 0);
    if (!recent) return tl::unexpected(recent.error());
    std::erase_if(*recent, [](const PostAddress& url) { return url.kind != PostKind::kArticle; });
    return XmlResponse(feeds::NewsSitemap(*recent, *publication));
  }
  feeds::Located pages;
  if (file == "pages.xml") {
    pages.emplace_back(AbsoluteUrl(*publication, "/"), 0);
    auto sections = store_.ListSections();
    if (!sections) return tl::unexpected(sections.error());
    for (const Section& section : *sections)
      pages.emplace_back(AbsoluteUrl(*publication, SectionUrl(section)), 0);
    auto authors = store_.ListPublicAuthors(now);
    if (!authors) return tl::unexpected(authors.error());
    for (const Author& author : *authors)
      pages.emplace_back(AbsoluteUrl(*publication, AuthorUrl(author)), 0);
    auto tags = store_.ListTags();
    if (!tags) return tl::unexpected(tags.error());
    for (const Tag& tag : *tags) pages.emplace_back(AbsoluteUrl(*publication, TagUrl(tag)), 0);
    return XmlResponse(feeds::Sitemap(pages));
  }
  int chunk = 0;
  if (file.starts_with("posts-") && file.ends_with(".xml")) {
    const std::string number = file.substr(6, file.size() - 10);
    chunk = PageNumber(number).value_or(0);
  }
  const auto first = chunk < 1 ? std::nullopt : PageOffset(chunk, feeds::kSitemapChunk);
  if (!first) return Fail(ErrorCode::kNotFound, "There is no such sitemap.");
  auto urls = store_.ListPostUrls(now, 0, feeds::kSitemapChunk, *first);
  if (!urls) return tl::unexpected(urls.error());
  if (urls->empty()) return Fail(ErrorCode::kNotFound, "There is no such sitemap.");
  for (const PostAddress& url : *urls)
    pages.emplace_back(AbsoluteUrl(*publication, "/" + url.slug + "/"), url.changed_at);
  return XmlResponse(feeds::Sitemap(pages));
}

Result<Response> Site::Robots(const Request&) const {
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  auto stored = store_.DeskSetting("robots_txt");
  if (!stored) return tl::unexpected(stored.error());
  std::string text = stored->value_or(content::kDefaultRobots);
  if (!text.empty() && text.back() != '\n') text += '\n';
  // The sitemap's address always follows what the publication wrote.
  text += "\nSitemap: " + AbsoluteUrl(*publication, "/sitemap.xml") + "\n";
  Response response;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(text);
  response.cacheable = true;
  return response;
}

Result<Response> Site::BrandCss(const Request& request) const {
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  Response response;
  response.content_type = "text/css; charset=utf-8";
  response.body = AccentCss(*publication);
  // Versioned by the colour, as the theme's assets are by their content: pages name the current
  // one, so a changed colour is a new address and caches never hold the old one for it.
  const auto version = request.QueryParam("v");
  const std::string current = AccentCssUrl(*publication);
  if (version && !current.empty() && current.ends_with("=" + *version)) {
    response.cache_control = "public, max-age=31536000, immutable";
    response.cacheable = true;
  } else {
    // Any other version answers the current colour, uncached: a page cache entry per made-up
    // version would let anyone fill the cache.
    response.cache_control = "public, max-age=300";
    response.cacheable = request.query.empty();
  }
  return response;
}

Result<Response> Site::CommentPermalink(const Request& request) const {
  const std::string slug(request.Param("slug"));
  const auto id = PageNumber(request.Param("id"));  // a positive number, as a page's
  if (!IsValidSlug(slug) || !id) return NotFound(request);
  auto detail = store_.FindPublishedPost(slug, Now());
  if (!detail) return tl::unexpected(detail.error());
  if (!*detail) return NotFound(request);
  auto before = store_.CommentThreadIndex((*detail)->post.id, *id);
  if (!before) return tl::unexpected(before.error());
  if (!*before) return NotFound(request);
  const int page = comments::Comments::PageOf(**before, kCommentThreadsPerPage);
  const std::string base = PostUrl((*detail)->post);
  const std::string anchor = fmt::format("#comment-{}", *id);
  return Response::Redirect(
      302, page == 1 ? base + anchor : fmt::format("{}comments/page/{}/{}", base, page, anchor));
}

Result<Response> Site::CommentsFeed(const Request& request) const {
  const std::string slug(request.Param("slug"));
  if (!IsValidSlug(slug)) return NotFound(request);
  auto detail = store_.FindPublishedPost(slug, Now());
  if (!detail) return tl::unexpected(detail.error());
  if (!*detail || (*detail)->post.kind != PostKind::kArticle) return NotFound(request);
  auto comments = store_.ListApprovedComments((*detail)->post.id, kCommentsInFeed);
  if (!comments) return tl::unexpected(comments.error());
  auto publication = LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  Response response;
  response.content_type = "application/rss+xml; charset=utf-8";
  response.body = feeds::CommentsRss(**detail, *comments, *publication);
  Timestamp latest = (*detail)->post.published_at.value_or(0);
  for (const Comment& comment : *comments) latest = std::max(latest, comment.created_at);
  response.last_modified = latest;
  response.cacheable = request.query.empty();
  response.surrogate_keys.push_back(PostKey((*detail)->post.id));
  return response;
}

Result<Response> Site::Preview(const Request& request) const {
  std::int64_t id = 0;
  Timestamp expires = 0;
  const auto id_text = request.Param("id");
  const auto expires_text = request.Param("expires");
  std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  std::from_chars(expires_text.data(), expires_text.data() + expires_text.size(), expires);
  const std::string signature(request.Param("signature"));
  const Error invalid{ErrorCode::kNotFound, "This preview link is not valid: it may have expired.",
                      ""};
  if (!preview_check_ || id <= 0 || expires < Now() || !preview_check_(id, expires, signature)) {
    return tl::unexpected(invalid);
  }
  auto found = store_.FindPostById(id);
  if (!found) return tl::unexpected(found.error());
  if (!*found || (*found)->post.status == PostStatus::kTrash) return tl::unexpected(invalid);
  // Comments are closed on a link for outside reviewers: there is nothing to comment on yet.
  return PreviewPage(std::move(**found),
                     "Preview: this article is not published. Please do not share this link.",
                     false);
}

Result<Response> Site::PreviewPage(PostDetail detail, const std::string& banner,
                                   bool comments_as_published) const {
  auto context = Context(detail.section ? detail.section->slug : "");
  if (!context) return tl::unexpected(context.error());
  if (!detail.post.published_at) detail.post.published_at = context->now;
  Head head;
  head.title = "Preview: " + detail.post.title;
  head.noindex = true;
  if (HasEmbeds(detail.post.body_html)) head.embeds_script = theme_.AssetUrl("embeds.js");
  // Whether the article will take comments, as its page will say once published.
  bool open = false;
  if (comments_as_published && detail.post.kind == PostKind::kArticle) {
    auto rules = comments_.CurrentRules();
    if (!rules) return tl::unexpected(rules.error());
    open = comments::Comments::Open(detail.post, *rules, context->now);
  }
  nlohmann::json view = {
      {"site", SiteView(*context)}, {"head", HeadView(head, context->publication)},
      {"preview_banner", banner},   {"article", ArticleView(detail, *context)},
      {"comments_open", open},      {"comment_form", nlohmann::json::object()}};
  auto response = RenderPage(detail.post.kind == PostKind::kPage ? "page" : "article", view);
  if (!response) return response;
  response->cacheable = false;
  response->cache_control = "private, no-store";
  response->headers.emplace_back("X-Robots-Tag", "noindex");
  return response;
}

Result<Response> Site::Search(const Request& request, bool json) const {
  // A search is real work (the index, the database); a client asking faster than anyone reads is
  // refused before any of it.
  if (limits_.searches_per_minute > 0) {
    // A limit the database cannot count just now lets the search through: refusing every
    // reader while the database is busy would be worse than an uncounted search.
    auto counted = limiter_->Take({"search", limits_.searches_per_minute, 60},
                                  {ClientKey(request.client_ip)}, Now());
    if (!counted) spdlog::warn("search limit not counted: {}", Describe(counted.error()));
    if (const Timestamp wait = counted.value_or(0); wait > 0) {
      const Error error{ErrorCode::kRateLimited,
                        "You have searched many times in a short time. Please wait a minute and "
                        "search again.",
                        ""};
      Response response;
      if (json) {
        response.status = 429;
        response.content_type = "application/json; charset=utf-8";
        response.body =
            nlohmann::json{
                {"error", {{"code", ErrorCodeName(error.code)}, {"message", error.message}}}}
                .dump();
      } else {
        response = ErrorPage(429, error, request);
      }
      response.cache_control = "no-store";
      response.headers.emplace_back("Retry-After", std::to_string(wait));
      return response;
    }
  }
  auto context = Context();
  if (!context) return tl::unexpected(context.error());
  const Publication& publication = context->publication;
  const std::string typed = request.QueryParam("q").value_or("");
  const search::Query parsed = search::Parse(typed);
  std::vector<std::string> notices;
  if (!parsed.notice.empty()) notices.push_back(parsed.notice);

  search::Filters filters;
  filters.now = context->now;
  filters.limit = kResultsPerPage;
  // Filters that cannot be read are left out, and the reader told which.
  const std::string section_slug = request.QueryParam("section").value_or("");
  if (!section_slug.empty()) {
    auto section = IsValidSlug(section_slug) ? store_.FindSection(section_slug)
                                             : Result<std::optional<Section>>(std::nullopt);
    if (!section) return tl::unexpected(section.error());
    if (*section)
      filters.section_id = (*section)->id;
    else
      notices.push_back("There is no such section, so results from every section are shown.");
  }
  const std::string author_slug = request.QueryParam("author").value_or("");
  std::vector<Author> authors;
  {
    auto listed = store_.ListPublicAuthors(context->now);
    if (!listed) return tl::unexpected(listed.error());
    authors = std::move(*listed);
  }
  if (!author_slug.empty()) {
    const auto found = std::find_if(authors.begin(), authors.end(),
                                    [&](const Author& a) { return a.slug == author_slug; });
    if (found != authors.end())
      filters.author_id = found->id;
    else
      notices.push_back("There is no such author, so results by every author are shown.");
  }
  auto read_date = [&](const char* field, const char* label) -> std::optional<Timestamp> {
    const std::string text(Trim(request.QueryParam(field).value_or("")));
    if (text.empty()) return std::nullopt;
    auto when = text.size() == 10 ? ParseIsoTime(text, context->zone)
                                  : Result<Timestamp>(Fail(ErrorCode::kInvalidArgument, ""));
    if (!when) {
      notices.push_back(fmt::format(
          "The {} date \u201c{}\u201d is not a date like 2024-03-01, so it was left out.", label,
          Truncate(text, 40)));
      return std::nullopt;
    }
    return *when;
  };
  const auto from = read_date("from", "from");
  const auto to = read_date("to", "until");
  filters.from = from;
  // The whole of the last day (a day's seconds: an hour off on the days clocks change).
  if (to) filters.until = *to + 86400;
  filters.newest_first = request.QueryParam("sort").value_or("") == "newest";
  // Readers do not go a thousand pages deep; the bound keeps the offset sane.
  const int page = std::min(PageNumber(request.QueryParam("page").value_or("1")).value_or(1), 1000);
  filters.offset = (page - 1) * kResultsPerPage;

  search::Results results;
  const bool searched = !parsed.empty();
  if (searched) {
    if (search_index_ == nullptr)
      return Fail(ErrorCode::kUnavailable, "Search is not available on this server.");
    // What was just written is found: a backlog (a large import) is left to the server's
    // indexer, and searches see it as it goes.
    if (auto synced = search_index_->CatchUp(kSyncBeforeSearch); !synced)
      spdlog::warn("search index not brought up to date: {}", Describe(synced.error()));
    auto found = search_index_->Search(parsed, filters);
    if (!found) return tl::unexpected(found.error());
    results = std::move(*found);
  } else if (parsed.notice.empty() && (json || !typed.empty())) {
    notices.push_back("Please type a word to search for: letters or numbers.");
  }
  const int pages = std::max(1, (results.total + kResultsPerPage - 1) / kResultsPerPage);

  // The address of another page of the same search.
  auto page_url = [&](int number) {
    std::string url = "/search" + std::string(json ? ".json" : "") +
                      "?q=" + http::PercentEncode(parsed.understood);
    for (const char* field : {"section", "author", "from", "to", "sort"}) {
      const std::string value = request.QueryParam(field).value_or("");
      if (!value.empty()) url += std::string("&") + field + "=" + http::PercentEncode(value);
    }
    if (number > 1) url += "&page=" + std::to_string(number);
    return url;
  };
  std::string summary;
  if (searched) {
    if (results.total == 0)
      summary = "No articles match \u201c" + parsed.understood + "\u201d.";
    else if (page > pages)
      summary = fmt::format("There are only {} page{} of results.", pages, pages == 1 ? "" : "s");
    else
      summary = fmt::format("{}{} result{} for \u201c{}\u201d{}", results.exact ? "" : "About ",
                            results.total, results.total == 1 ? "" : "s", parsed.understood,
                            pages > 1 ? fmt::format(", page {} of {}.", page, pages) : ".");
  }

  nlohmann::json list = nlohmann::json::array();
  for (const search::Hit& hit : results.hits) {
    nlohmann::json item = PostCardView(hit.detail, context->zone);
    if (json) {
      nlohmann::json authors_json = nlohmann::json::array();
      for (const Author& author : hit.detail.authors)
        authors_json.push_back(
            {{"name", author.name}, {"url", AbsoluteUrl(publication, AuthorUrl(author))}});
      nlohmann::json entry = {{"title", hit.detail.post.title},
                              {"title_html", hit.title_html},
                              {"url", AbsoluteUrl(publication, PostUrl(hit.detail.post))},
                              {"dek", hit.detail.post.dek},
                              {"excerpt_html", hit.excerpt_html},
                              {"excerpt", PlainText(hit.excerpt_html)},
                              {"published", item["date_iso"]},
                              {"section", nullptr},
                              {"authors", authors_json}};
      if (hit.detail.section)
        entry["section"] = {{"name", hit.detail.section->name},
                            {"url", AbsoluteUrl(publication, SectionUrl(*hit.detail.section))}};
      list.push_back(std::move(entry));
      continue;
    }
    item["title_html"] = hit.title_html;
    // A passage with the words found; else the dek says what the article is.
    item["excerpt_html"] =
        !hit.excerpt_html.empty() ? hit.excerpt_html : EscapeHtml(hit.detail.post.dek);
    list.push_back(std::move(item));
  }

  Response response;
  if (json) {
    nlohmann::json answer = {
        {"query", typed.size() > search::kMaxQueryBytes
                      ? std::string(Truncate(typed, search::kMaxQueryBytes))
                      : typed},
        {"understood", parsed.understood},
        {"total", results.total},
        {"total_exact", results.exact},
        {"page", page},
        {"pages", pages},
        {"results", list},
        {"notices", notices},
        {"next", page < pages ? nlohmann::json(page_url(page + 1)) : nlohmann::json(nullptr)}};
    response.content_type = "application/json; charset=utf-8";
    response.body = answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    nlohmann::json sections = nlohmann::json::array();
    for (const Section& section : context->sections) {
      sections.push_back({{"slug", section.slug},
                          {"name", section.name},
                          {"selected", filters.section_id == section.id}});
    }
    nlohmann::json author_choices = nlohmann::json::array();
    for (const Author& author : authors) {
      author_choices.push_back({{"slug", author.slug},
                                {"name", author.name},
                                {"selected", filters.author_id == author.id}});
    }
    nlohmann::json paging = false;
    if (searched && pages > 1 && page <= pages) {
      paging = {{"current", page},
                {"total", pages},
                {"prev_label", "Previous"},
                {"next_label", "Next"},
                {"newer_url", page > 1 ? page_url(page - 1) : ""},
                {"older_url", page < pages ? page_url(page + 1) : ""}};
    }
    Head head;
    head.title = parsed.understood.empty() ? "Search" : "Search: " + parsed.understood;
    head.noindex = true;  // result pages are not pages of the publication
    nlohmann::json view = {
        {"site", SiteView(*context)},
        {"head", HeadView(head, publication)},
        {"paging", paging},
        {"search",
         {{"q",
           parsed.understood.empty() ? Truncate(typed, search::kMaxQueryBytes) : parsed.understood},
          {"understood", parsed.understood},
          {"sections", sections},
          {"authors", author_choices},
          {"from", from ? FormatIsoTime(*from, context->zone).substr(0, 10) : ""},
          {"to", to ? FormatIsoTime(*to, context->zone).substr(0, 10) : ""},
          {"newest", filters.newest_first},
          {"notices", notices},
          {"searched", searched},
          {"summary", summary},
          {"results", list},
          {"has_results", !list.empty()},
          {"first", filters.offset + 1}}}};
    auto html = theme_.Render("search", view);
    if (!html) return tl::unexpected(html.error());
    response.body = LinkUploads(std::move(*html));
  }
  response.cache_control = "public, max-age=60";
  response.headers.emplace_back("X-Robots-Tag", "noindex");
  return response;
}

Result<Response> Site::Archive(const Request& request, int year, int month, int page) const {
  auto context = Context();
  if (!context) return tl::unexpected(context.error());
  const TimeZone& zone = context->zone;
  auto span = store_.PublishedSpan(PostKind::kArticle, context->now);
  if (!span) return tl::unexpected(span.error());
  const int first_year = *span ? CivilDateIn((*span)->first, zone).year : 0;
  const int last_year = *span ? CivilDateIn((*span)->second, zone).year : 0;
  if (!*span || year < first_year || year > last_year)
    return Fail(ErrorCode::kNotFound, fmt::format("Nothing was published in {}.", year));

  ListSpec spec;
  spec.query.from = StartOfDay(year, month == 0 ? 1 : month, 1, zone);
  spec.query.until =
      month == 0 ? StartOfDay(year + 1, 1, 1, zone) : StartOfDay(year, month + 1, 1, zone);
  const std::string year_path = fmt::format("/{}/", year);
  spec.base_path = month == 0 ? year_path : fmt::format("/{}/{:02}/", year, month);
  spec.key = std::string(kHomeKey);
  spec.kicker = "Archive";
  spec.heading =
      month == 0 ? std::to_string(year) : fmt::format("{} {}", kMonthNames[month - 1], year);
  spec.description = "Analysis published in " + spec.heading + ".";
  spec.has_feed = false;
  spec.trail = {{std::to_string(year), year_path}};
  if (month != 0) spec.trail.emplace_back(spec.heading, spec.base_path);

  nlohmann::json months = nlohmann::json::array();
  for (int m = 1; m <= 12; ++m) {
    PostQuery count_query;
    count_query.now = context->now;
    count_query.from = StartOfDay(year, m, 1, zone);
    count_query.until = StartOfDay(year, m + 1, 1, zone);
    auto count = store_.CountPublishedPosts(count_query);
    if (!count) return tl::unexpected(count.error());
    if (*count == 0) continue;
    months.push_back({{"name", kMonthNames[m - 1]},
                      {"url", fmt::format("/{}/{:02}/", year, m)},
                      {"count", *count},
                      {"current", m == month}});
  }
  if (month != 0 && std::none_of(months.begin(), months.end(), [](const nlohmann::json& m) {
        return m.value("current", false);
      })) {
    return Fail(ErrorCode::kNotFound, "Nothing was published in " + spec.heading + ".");
  }
  nlohmann::json years = nlohmann::json::array();
  for (int y = last_year; y >= first_year; --y) {
    years.push_back(
        {{"year", y}, {"url", fmt::format("/{}/", y)}, {"current", y == year && month == 0}});
  }
  spec.archive = {
      {"year", year}, {"months", months}, {"has_months", !months.empty()}, {"years", years}};
  auto response = List(spec, page);
  if (response && !request.query.empty()) response->cacheable = false;
  return response;
}

Result<Response> Site::SectionList(const Request& request, int page) const {
  const std::string slug(request.Param("slug"));
  auto section =
      IsValidSlug(slug) ? store_.FindSection(slug) : Result<std::optional<Section>>(std::nullopt);
  if (!section) return tl::unexpected(section.error());
  if (!*section) return NotFound(request);  // perhaps an imported site's old address
  ListSpec spec;
  spec.query.section_id = (*section)->id;
  spec.base_path = SectionUrl(**section);
  spec.key = SectionKey(slug);
  spec.kicker = "Section";
  spec.heading = (*section)->name;
  spec.description = (*section)->description;
  spec.current_section = slug;
  spec.trail = {{spec.heading, spec.base_path}};
  return List(spec, page);
}

Result<Response> Site::AuthorList(const Request& request, int page) const {
  const std::string slug(request.Param("slug"));
  auto author = IsValidSlug(slug) ? store_.FindPublicAuthor(slug, Now())
                                  : Result<std::optional<Author>>(std::nullopt);
  if (!author) return tl::unexpected(author.error());
  if (!*author) return NotFound(request);  // no such profile, or none of its articles is out
  const Author& a = **author;
  ListSpec spec;
  spec.query.author_id = a.id;
  spec.base_path = AuthorUrl(a);
  spec.key = AuthorKey(a.slug);
  spec.heading = a.name;
  spec.description = a.credentials;
  spec.author = {{"name", a.name},
                 {"credentials", a.credentials},
                 {"bio_html", a.bio_html},
                 {"avatar", a.avatar}};
  spec.json_ld_type = "ProfilePage";
  spec.trail = {{spec.heading, spec.base_path}};
  return List(spec, page);
}

Result<Response> Site::TagList(const Request& request, int page) const {
  const std::string slug(request.Param("slug"));
  auto tag = IsValidSlug(slug) ? store_.FindTag(slug) : Result<std::optional<Tag>>(std::nullopt);
  if (!tag) return tl::unexpected(tag.error());
  if (!*tag) return NotFound(request);
  ListSpec spec;
  spec.query.tag_id = (*tag)->id;
  spec.base_path = TagUrl(**tag);
  spec.key = TagKey((*tag)->slug);
  spec.kicker = "Tag";
  spec.heading = (*tag)->name;
  spec.trail = {{spec.heading, spec.base_path}};
  return List(spec, page);
}

Result<Response> Site::List(const ListSpec& spec, int page) const {
  auto context = Context(spec.current_section);
  if (!context) return tl::unexpected(context.error());
  PostQuery query = spec.query;
  query.now = context->now;
  query.limit = kPostsPerPage;
  const auto offset = PageOffset(page, kPostsPerPage);
  if (!offset) return Fail(ErrorCode::kNotFound, "There is no such page.");
  query.offset = *offset;
  query.bodies = false;  // cards
  auto total = store_.CountPublishedPosts(query);
  if (!total) return tl::unexpected(total.error());
  const int pages = std::max(1, (*total + kPostsPerPage - 1) / kPostsPerPage);
  if (page > pages) return Fail(ErrorCode::kNotFound, "There is no such page.");
  auto posts = store_.ListPublishedPosts(query);
  if (!posts) return tl::unexpected(posts.error());

  nlohmann::json cards = nlohmann::json::array();
  std::vector<std::string> keys;
  if (!spec.key.empty()) keys.push_back(spec.key);
  for (const auto& detail : *posts) {
    keys.push_back(PostKey(detail.post.id));
    nlohmann::json card = PostCardView(detail, context->zone);
    auto count = store_.CountApprovedComments(detail.post.id);
    if (!count) return tl::unexpected(count.error());
    card["comment_count"] = *count;
    card["has_comments"] = *count > 0;
    card["one_comment"] = *count == 1;
    cards.push_back(std::move(card));
  }
  auto page_path = [&](int number) {
    return number == 1 ? spec.base_path : fmt::format("{}page/{}/", spec.base_path, number);
  };
  nlohmann::json pagination = false;
  if (pages > 1) {
    pagination = {{"current", page},
                  {"total", pages},
                  {"is_first", page == 1},
                  {"prev_label", "Newer"},
                  {"next_label", "Older"},
                  {"newer_url", page > 1 ? page_path(page - 1) : ""},
                  {"older_url", page < pages ? page_path(page + 1) : ""}};
  }
  Head head;
  const bool home = spec.base_path == "/";
  head.title = home ? context->publication.title : spec.heading;
  if (page > 1)
    head.title = fmt::format("{} \u2013 page {}", home ? "Latest analysis" : spec.heading, page);
  head.description = home ? context->publication.description : spec.description;
  head.canonical_path = page_path(page);
  if (!home && spec.has_feed) {
    head.feed = spec.base_path + "feed/";
    head.feed_title = spec.heading + " \u2013 " + context->publication.title;
  }
  const Publication& publication = context->publication;
  nlohmann::json ld = {{"@context", "https://schema.org"},
                       {"@type", home ? "WebSite" : spec.json_ld_type},
                       {"name", home ? publication.title : spec.heading},
                       {"url", AbsoluteUrl(publication, page_path(page))}};
  if (home) {
    if (!publication.description.empty()) ld["description"] = publication.description;
    ld["inLanguage"] = publication.language;
    ld["potentialAction"] = {
        {"@type", "SearchAction"},
        {"target",
         {{"@type", "EntryPoint"},
          {"urlTemplate", AbsoluteUrl(publication, "/search?q={search_term_string}")}}},
        {"query-input", "required name=search_term_string"}};
  } else {
    ld["isPartOf"] = {
        {"@type", "WebSite"}, {"name", publication.title}, {"url", AbsoluteUrl(publication, "/")}};
    if (!spec.description.empty() && spec.json_ld_type != "ProfilePage")
      ld["description"] = spec.description;
  }
  if (spec.json_ld_type == "ProfilePage" && spec.author.is_object()) {
    nlohmann::json person = {{"@type", "Person"},
                             {"name", spec.heading},
                             {"url", AbsoluteUrl(publication, spec.base_path)}};
    if (!spec.description.empty()) person["jobTitle"] = spec.description;
    const std::string avatar = spec.author.value("avatar", "");
    if (!avatar.empty()) person["image"] = AbsoluteUrl(publication, avatar);
    const std::string bio = PlainText(spec.author.value("bio_html", ""));
    if (!bio.empty()) person["description"] = Truncate(bio, 300);
    ld["mainEntity"] = person;
  }
  head.json_ld.push_back(JsonLdText(ld));
  if (!spec.trail.empty()) head.json_ld.push_back(BreadcrumbJsonLd(publication, spec.trail));
  nlohmann::json view = {
      {"site", SiteView(*context)},
      {"head", HeadView(head, context->publication)},
      {"paging", pagination},
      {"list",
       {{"heading",
         page > 1 && home ? fmt::format("Latest analysis, page {}", page) : spec.heading},
        {"kicker", spec.kicker},
        {"description", spec.description},
        {"author", spec.author},
        {"archive", spec.archive},
        {"posts", cards},
        {"has_posts", !cards.empty()},
        {"show_newsletter", home && page == 1}}}};
  auto response = RenderPage(home ? "home" : "list", view);
  if (response) response->surrogate_keys = std::move(keys);
  return response;
}

Result<Response> Site::Asset(const Request& request) const {
  const std::string path(request.Param("path"));
  const render::Asset* asset = theme_.FindAsset(path);
  if (asset == nullptr) return Fail(ErrorCode::kNotFound, "There is no such file.");
  Response response;
  response.content_type = std::string(http::ContentTypeFor(path));
  response.body = asset->data;
  const auto version = request.QueryParam("v");
  if (version && *version == asset->version) {
    response.cache_control = "public, max-age=31536000, immutable";
    response.cacheable = true;
  } else {
    response.cache_control = "public, max-age=300";
    response.cacheable = request.query.empty();
  }
  return response;
}

Result<Response> Site::Upload(const Request& request) const {
  Response response;
  const std::string path(request.Param("path"));
  // The search index's snapshots (search/snapshot.h) are the server's own, never readers': the
  // first segment that names something ("//private/", "./private/", any case) is compared.
  {
    std::string_view rest = path;
    while (rest.starts_with('/') || rest.starts_with("./"))
      rest.remove_prefix(rest[0] == '/' ? 1 : 2);
    const std::string first = LowerAscii(rest.substr(0, rest.find('/')));
    if (first + "/" == search::kPrivateKeyPrefix)
      return Fail(ErrorCode::kNotFound, "There is no such file.");
  }
  if (bucket_ != nullptr) {
    // From the bucket: a name that is not a valid key names no object.
    if (!media::ValidObjectKey(path)) return Fail(ErrorCode::kNotFound, "There is no such file.");
    auto object = bucket_->Get(path, kMaxUploadServeBytes);
    if (!object && object.error().code == ErrorCode::kBusy) {
      // Every fetch from the bucket is taken (it is slow): at once, rather than a worker more.
      Response busy = Response::Text(503, object.error().message);
      busy.headers.emplace_back("Retry-After", std::to_string(media::ServingBucket::kRetryAfterS));
      return busy;
    }
    if (!object) return tl::unexpected(object.error());
    // The type by the name, as for a file: what the bucket says is not trusted for the policy.
    response.content_type = std::string(http::ContentTypeFor(path));
    response.body = std::move(object->data);
  } else {
    const auto file = http::ResolveUnder(uploads_dir_, path);
    if (!file) return Fail(ErrorCode::kNotFound, "There is no such file.");
    auto data = http::ReadFile(*file, kMaxUploadServeBytes);
    if (!data) return tl::unexpected(data.error());
    response.content_type = std::string(http::ContentTypeFor(file->filename().string()));
    response.body = std::move(*data);
  }
  // Whatever lies here (the media library's images, what an import copied from an old site, a
  // file an operator put in) is served as data, never as a page of the site's origin: under a
  // policy that runs nothing and shares no origin (an SVG opened on its own runs no script), and
  // anything that is not an image, a sound or a film as a download of no known type, so that no
  // page can load it as a script or a style either (nosniff).
  response.content_security_policy = std::string(kUploadPolicy);
  const std::string_view type = response.content_type;
  if (!type.starts_with("image/") && !type.starts_with("audio/") && !type.starts_with("video/")) {
    response.content_type = "application/octet-stream";
    response.headers.emplace_back("Content-Disposition", "attachment");
  }
  // The media library's names are new for every upload (a random prefix) and never rewritten:
  // a browser may keep them for good. Anything else (an import's copies, an operator's files)
  // for a day.
  response.cache_control =
      path.starts_with("media/") ? "public, max-age=31536000, immutable" : "public, max-age=86400";
  response.cacheable = request.query.empty();
  return response;
}

Result<Response> Site::NotFound(const Request& request) const {
  // Old addresses: a changed slug, a deleted article (410), a redirect an editor added.
  if (request.method == Method::kGet || request.method == Method::kHead) {
    auto redirect = store_.FindRedirect(request.path);
    if (redirect && !*redirect && !request.path.ends_with('/'))
      redirect = store_.FindRedirect(request.path + "/");
    if (!redirect) return tl::unexpected(redirect.error());
    if (*redirect) {
      if ((*redirect)->status == 410) {
        return Fail(ErrorCode::kGone, "This article has been removed.");
      }
      return Response::Redirect((*redirect)->status, (*redirect)->to_path);
    }
  }
  // "/slug" -> "/slug/", as readers and old links often drop the slash.
  if (router_ != nullptr && (request.method == Method::kGet || request.method == Method::kHead) &&
      !request.path.empty() && request.path.back() != '/' &&
      request.path.find("//") == std::string::npos) {
    const std::string with_slash = request.path + "/";
    if (auto match = router_->Find(Method::kGet, with_slash)) {
      const bool useful =
          match->name != "post" || IsValidSlug(with_slash.substr(1, with_slash.size() - 2));
      if (useful) {
        const std::string target = request.target;
        const auto question = target.find('?');
        std::string location = target.substr(0, question) + "/";
        if (question != std::string::npos) location += target.substr(question);
        return Response::Redirect(301, location);
      }
    }
  }
  return Fail(ErrorCode::kNotFound, "There is no page at this address.");
}

Response Site::ErrorPage(int status, const Error& error, const Request& request,
                         std::string_view kept_text) const {
  auto context = ReadContext();  // from the database: whether it answers decides the message
  // Without a fresh context the database is away: readers are told so plainly, not how it failed,
  // on the page as it last looked.
  const bool database_away = !context;
  if (database_away) {
    if (auto known = KnownContext()) {
      context = *known;
      context->now = Now();
    }
  }
  std::string heading;
  switch (status) {
    case 404:
      heading = "Page not found";
      break;
    case 410:
      heading = "This page has been removed";
      break;
    case 400:
      heading = "Bad request";
      break;
    case 503:
      heading = database_away ? "Unavailable for a moment" : "Not available yet";
      break;
    default:
      heading = status >= 500 ? "Something went wrong" : "Request refused";
  }
  // A database away or busy passes; a service this server does not offer does not.
  const bool retry = status == 503 && (database_away || error.code == ErrorCode::kBusy);
  const std::string message =
      status >= 500 && (status != 503 || database_away)
          ? "Something went wrong on our side. Please try again in a moment."
          : error.message;
  if (context) {
    Head head;
    head.title = heading;
    head.noindex = true;
    nlohmann::json view = {{"site", SiteView(*context)},
                           {"head", HeadView(head, context->publication)},
                           {"error",
                            {{"heading", heading},
                             {"message", message},
                             {"status", status},
                             {"kept_text", std::string(kept_text)}}}};
    if (auto html = theme_.Render("error", view)) {
      Response response;
      response.status = status;
      response.body = std::move(*html);
      if (retry) response.headers.emplace_back("Retry-After", "5");
      return response;
    }
  }
  std::string text = message;
  if (!kept_text.empty()) {
    text += "\n\nWhat you wrote was not sent; here it is to keep:\n\n" + std::string(kept_text);
  }
  Response response = Response::Text(status, text);
  if (retry) response.headers.emplace_back("Retry-After", "5");
  return response;
}

}  // namespace broadsheet::site
