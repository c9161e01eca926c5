#include "importers/wordpress.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <system_error>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "comments/comments.h"
#include "content/posts.h"
#include "core/text.h"
#include "core/time.h"
#include "http/message.h"
#include "importers/site_writer.h"
#include "importers/uploads.h"
#include "importers/wp_content.h"
#include "importers/wxr.h"
#include "markdown/markdown.h"

namespace broadsheet::importers {
namespace {

using nlohmann::json;

// The path (and, for WordPress's plain links, the query) of an absolute or relative URL, as
// the server sees a request for it: percent-decoded. Empty when there is nothing to redirect.
std::string OldAddress(std::string_view url) {
  url = Trim(url);
  if (const size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    const size_t path = url.find('/', scheme + 3);
    const size_t query = url.find('?', scheme + 3);
    if (path == std::string_view::npos && query == std::string_view::npos) return {};
    url = url.substr(std::min(path, query));
  }
  if (url.empty() || url.find('#') != std::string_view::npos) return {};
  std::string address = url.starts_with('/') ? std::string(url) : "/" + std::string(url);
  const size_t query = address.find('?');
  std::string path = address.substr(0, query);
  auto decoded = http::PercentDecode(path);
  if (decoded && IsValidUtf8(*decoded)) path = std::move(*decoded);
  if (query == std::string::npos) return path == "/" ? "" : path;
  // Only WordPress's own plain links keep their query: /?p=123, /?page_id=45.
  const std::string_view rest = std::string_view(address).substr(query + 1);
  if (path != "/" || !(rest.starts_with("p=") || rest.starts_with("page_id="))) return {};
  return "/?" + std::string(rest);
}

// "example.org" of "https://www.Example.org/path": lower case, without "www.".
std::string HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) url = url.substr(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  std::string host = LowerAscii(url);
  if (host.starts_with("www.")) host = host.substr(4);
  return host;
}

std::optional<Timestamp> ParseWordPressTime(std::string_view text, const TimeZone& zone) {
  text = Trim(text);
  if (text.empty() || text.starts_with("0000")) return std::nullopt;
  auto parsed = ParseIsoTime(text, zone);
  if (!parsed) return std::nullopt;
  return *parsed;
}

std::string MetaValue(const WxrItem& item, std::string_view key) {
  for (const auto& [name, value] : item.meta) {
    if (name == key) return value;
  }
  return {};
}

// The credit in an attachment's serialised metadata: …s:6:"credit";s:12:"AP Photo/Xi";…
std::string CreditFromMetadata(std::string_view serialized) {
  const std::string_view key = "s:6:\"credit\";s:";
  const size_t at = serialized.find(key);
  if (at == std::string_view::npos) return {};
  size_t length = 0;
  const char* begin = serialized.data() + at + key.size();
  const char* end = serialized.data() + serialized.size();
  const auto [after, error] = std::from_chars(begin, end, length);
  if (error != std::errc() || end - after < 2 || after[0] != ':' || after[1] != '"' ||
      static_cast<size_t>(end - after - 2) < length) {
    return {};
  }
  return std::string(after + 2, length);
}

std::optional<CommentStatus> CommentStatusFrom(std::string_view approved) {
  if (approved == "1" || approved == "approve") return CommentStatus::kApproved;
  if (approved == "0" || approved == "hold" || approved.empty()) return CommentStatus::kPending;
  if (approved == "spam") return CommentStatus::kSpam;
  if (approved == "trash" || approved == "post-trashed") return CommentStatus::kTrash;
  return std::nullopt;
}

std::int64_t NumericId(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

class Importer {
 public:
  Importer(Store& store, const WordPressOptions& options, TimeZone zone)
      : store_(store),
        site_(store, "wordpress"),
        options_(options),
        zone_(zone),
        now_(Now()),
        uploads_(options.uploads_from, options.uploads_dir, "wordpress", "/wp-content/uploads/",
                 [this](const std::string& old, const std::string& address) {
                   return site_.Redirect(old, address);
                 }) {}

  WxrHandler Handler() {
    WxrHandler handler;
    handler.site = [this](WxrSite site) { return Site(std::move(site)); };
    handler.author = [this](WxrAuthor author) { return AddAuthor(std::move(author)); };
    handler.term = [this](WxrTerm term) { return AddTerm(std::move(term)); };
    handler.item = [this](WxrItem item) { return AddItem(std::move(item)); };
    handler.progress = options_.progress;
    return handler;
  }

  Result<void> Finish() {
    std::set<std::string> categories_used;
    int tags_used = 0;
    for (const auto& [slug, id] : sections_) categories_used.insert(slug);
    for (const auto& [key, id] : tags_) {
      if (key.starts_with("category ")) categories_used.insert(key.substr(9));
      if (key.starts_with("tag ")) ++tags_used;
    }
    const int unused_categories = categories_declared_ - static_cast<int>(categories_used.size());
    if (unused_categories > 0)
      report_.skipped["categories no imported post is in"] += unused_categories;
    if (tags_declared_ > tags_used)
      report_.skipped["tags no imported post has"] += tags_declared_ - tags_used;
    if (insecure_images_ > 0) {
      site_.Note(fmt::format(
          "{} featured image(s) stay at http:// addresses, which browsers and the site's "
          "Content-Security-Policy do not load on an https page: copy them with --uploads",
          insecure_images_));
    }
    for (const auto& [attachment, posts] : waiting_for_images_) {
      site_.Note(fmt::format("featured image {} (of {} post(s)) is not in the export", attachment,
                             posts.size()));
    }
    return site_.Flush();
  }

  // Removes the images copied by an import that did not complete.
  void RemoveCopies() { uploads_.RemoveCopies(); }

  WordPressReport& report() { return report_; }

  void CompleteReport() {
    report_.images_copied = uploads_.copied();
    report_.redirects = site_.redirects();
    report_.notes = site_.notes();
    report_.notes_left_out = site_.notes_left_out();
  }

 private:
  Result<void> Site(WxrSite site) {
    std::string url = !site.base_blog_url.empty() ? site.base_blog_url
                      : !site.link.empty()        ? site.link
                                                  : site.base_site_url;
    while (url.ends_with('/')) url.pop_back();
    site_.set_source(url.empty() ? "wordpress" : "wordpress " + url);
    site_url_ = url;
    return {};
  }

  Result<std::optional<ImportedRecord>> Imported(const std::string& kind, const std::string& id) {
    return site_.Imported(kind, id);
  }

  Result<void> Remember(const std::string& kind, const std::string& id, std::int64_t local_id,
                        std::string detail = "") {
    return site_.Remember(kind, id, local_id, std::move(detail));
  }

  // --- authors ---

  Result<void> AddAuthor(WxrAuthor wp) {
    const std::string login(Trim(wp.login));
    if (login.empty()) {
      ++report_.skipped["authors without a login name"];
      return {};
    }
    auto id = EnsureAuthor(login, &wp);
    return id ? Result<void>() : tl::unexpected(id.error());
  }

  // The site's author for a WordPress login: the one an earlier import made, one already on the
  // site with the same slug or e-mail address, or a new one (from `wp`, else from the login).
  Result<std::int64_t> EnsureAuthor(const std::string& login, const WxrAuthor* wp) {
    if (auto known = authors_.find(login); known != authors_.end()) return known->second;
    std::string slug = SlugStem(login);
    if (slug.empty() && wp) slug = SlugStem(wp->display_name);
    if (slug.empty()) slug = "author-" + std::to_string(authors_.size() + 1);
    // Someone already here under another slug but with the same address is the same person.
    auto same_slug = store_.FindAuthor(slug);
    if (!same_slug) return tl::unexpected(same_slug.error());
    if (!*same_slug && wp && !Trim(wp->email).empty()) {
      auto authors = store_.ListAuthors();
      if (!authors) return tl::unexpected(authors.error());
      for (const Author& author : *authors) {
        if (!author.email.empty() && LowerAscii(author.email) == LowerAscii(Trim(wp->email)))
          slug = author.slug;
      }
    }
    auto id = site_.UseAuthor(
        "author", login, slug,
        [&](Author& author) {
          if (wp) {
            std::string name(Trim(DecodeEntities(wp->display_name)));
            if (name.empty())
              name = std::string(Trim(DecodeEntities(wp->first_name + " " + wp->last_name)));
            author.name = name.empty() ? login : name;
            author.email = std::string(Trim(wp->email));
            if (!Trim(wp->description).empty()) {
              author.bio_markdown = AutoParagraphs(wp->description, true);
              auto html = markdown::ToHtml(author.bio_markdown);
              author.bio_html = html ? *html : EscapeHtml(wp->description);
            }
          } else if (author.name.empty()) {
            author.name = login;
            site_.Note(fmt::format(
                "author \"{}\" bylines posts but is not in the export's list of authors; "
                "created from the byline",
                login));
          }
        },
        report_.authors);
    if (!id) return id;
    auto record = Imported("author", login);
    if (!record) return tl::unexpected(record.error());
    // WordPress's author archive: /author/NICENAME/, the login made fit for an address.
    std::string nicename = LowerAscii(login);
    std::replace(nicename.begin(), nicename.end(), ' ', '-');
    if (auto redirected = site_.RedirectArchive("/author/" + nicename + "/",
                                                "/author/" + (*record)->detail + "/");
        !redirected) {
      return tl::unexpected(redirected.error());
    }
    authors_[login] = *id;
    return id;
  }

  // --- categories and tags ---

  Result<void> AddTerm(WxrTerm term) {
    const std::string slug(Trim(term.slug));
    if (slug.empty()) {
      ++report_.skipped["categories and tags without a slug"];
      return {};
    }
    const json detail = {{"name", DecodeEntities(Trim(term.name))}, {"parent", term.parent}};
    if (term.category && !term.id.empty()) {
      if (auto remembered = Remember("category-id", term.id, 0, slug); !remembered)
        return remembered;
    }
    ++(term.category ? categories_declared_ : tags_declared_);
    return Remember(term.category ? "category" : "tag", slug, 0, detail.dump());
  }

  struct TermInfo {
    std::string name;
    std::string parent;
  };

  Result<TermInfo> Term(const std::string& kind, const std::string& slug,
                        const std::string& fallback_name) {
    auto record = Imported(kind, slug);
    if (!record) return tl::unexpected(record.error());
    TermInfo info{DecodeEntities(Trim(fallback_name)), ""};
    if (*record) {
      const json detail = json::parse((*record)->detail, nullptr, false);
      if (detail.is_object()) {
        info.name = detail.value("name", info.name);
        info.parent = detail.value("parent", "");
      }
    }
    if (info.name.empty()) info.name = Decoded(slug);
    return info;
  }

  // The category's slugs from the top of its hierarchy down to itself.
  Result<std::vector<std::pair<std::string, std::string>>> CategoryPath(const std::string& slug,
                                                                        const std::string& name) {
    std::vector<std::pair<std::string, std::string>> path;  // (slug, name), leaf first
    std::string current = slug, current_name = name;
    std::set<std::string> seen;
    while (!current.empty() && seen.insert(current).second && path.size() < 16) {
      auto info = Term("category", current, current_name);
      if (!info) return tl::unexpected(info.error());
      path.emplace_back(current, info->name);
      current = info->parent;
      current_name.clear();
    }
    std::reverse(path.begin(), path.end());
    return path;
  }

  std::string CategoryAddress(const std::vector<std::pair<std::string, std::string>>& path) {
    std::string address = "/category/";
    for (const auto& [slug, name] : path) address += Decoded(slug) + "/";
    return address;
  }

  Result<std::int64_t> EnsureSection(const std::string& slug, const std::string& name) {
    if (auto known = sections_.find(slug); known != sections_.end()) return known->second;
    auto path = CategoryPath(slug, name);
    if (!path) return tl::unexpected(path.error());
    std::string wanted = SlugStem(Decoded(slug));
    if (wanted.empty()) wanted = "section-" + std::to_string(sections_.size() + 1);
    auto id = site_.UseSection(
        "section", slug, wanted, [&](Section& section) { section.name = path->back().second; },
        report_.sections);
    if (!id) return id;
    auto record = Imported("section", slug);
    if (!record) return tl::unexpected(record.error());
    for (const std::string& old : {CategoryAddress(*path), "/category/" + Decoded(slug) + "/"}) {
      if (auto redirected = site_.RedirectArchive(old, "/section/" + (*record)->detail + "/");
          !redirected) {
        return tl::unexpected(redirected.error());
      }
    }
    sections_[slug] = *id;
    return id;
  }

  // A tag for a WordPress tag, or for a category that is not a post's primary one (named with
  // its hierarchy). Tags of the same slug are one tag.
  Result<std::int64_t> EnsureTag(const std::string& kind, const std::string& slug,
                                 const std::string& name) {
    const std::string key = kind + " " + slug;
    if (auto known = tags_.find(key); known != tags_.end()) return known->second;
    std::string display;
    std::string old_address;
    if (kind == "category") {
      auto path = CategoryPath(slug, name);
      if (!path) return tl::unexpected(path.error());
      for (const auto& [part, part_name] : *path)
        display += (display.empty() ? "" : " › ") + part_name;
      // Its archive moves here unless the category is also some post's section.
      auto section = Imported("section", slug);
      if (!section) return tl::unexpected(section.error());
      if (!*section) old_address = CategoryAddress(*path);
    } else {
      auto info = Term("tag", slug, name);
      if (!info) return tl::unexpected(info.error());
      display = info->name;
      old_address = "/tag/" + Decoded(slug) + "/";
    }
    std::string wanted = SlugStem(Decoded(slug));
    if (wanted.empty()) wanted = "tag-" + std::to_string(tags_.size() + 1);
    auto id = site_.UseTag(
        kind + "-tag", slug, wanted, [&](Tag& tag) { tag.name = display; }, report_.tags);
    if (!id) return id;
    auto record = Imported(kind + "-tag", slug);
    if (!record) return tl::unexpected(record.error());
    if (auto redirected = site_.RedirectArchive(old_address, "/tag/" + (*record)->detail + "/");
        !redirected) {
      return tl::unexpected(redirected.error());
    }
    tags_[key] = *id;
    return id;
  }

  // --- images ---

  Result<FeaturedImage> ImageOf(const json& attachment) {
    FeaturedImage image;
    image.url = attachment.value("url", "");
    image.alt = attachment.value("alt", "");
    image.caption = attachment.value("caption", "");
    image.credit = attachment.value("credit", "");
    auto local = uploads_.Copy(image.url);
    if (!local) return tl::unexpected(local.error());
    if (*local) image.url = **local;
    return image;
  }

  Result<void> AddAttachment(const WxrItem& item) {
    if (item.post_id.empty()) return {};
    std::string credit = MetaValue(item, "_media_credit");
    if (credit.empty()) credit = CreditFromMetadata(MetaValue(item, "_wp_attachment_metadata"));
    const json detail = {{"url", std::string(Trim(item.attachment_url))},
                         {"alt", PlainText(MetaValue(item, "_wp_attachment_image_alt"))},
                         {"caption", PlainText(item.excerpt)},
                         {"credit", PlainText(credit)}};
    if (auto remembered = Remember("attachment", item.post_id, 0, detail.dump()); !remembered)
      return remembered;
    // Posts read before their featured image get it now.
    auto waiting = waiting_for_images_.find(item.post_id);
    if (waiting == waiting_for_images_.end()) return {};
    auto image = ImageOf(detail);
    if (!image) return tl::unexpected(image.error());
    for (std::int64_t post_id : waiting->second) {
      auto found = store_.FindPostById(post_id);
      if (!found) return tl::unexpected(found.error());
      if (!*found) continue;
      Post post = (*found)->post;
      post.image = *image;
      if (!image->url.starts_with("/uploads/")) ++report_.images_linked;
      if (image->url.starts_with("http://")) ++insecure_images_;
      if (auto saved = content::Posts::Import(store_, post); !saved)
        return tl::unexpected(saved.error());
    }
    waiting_for_images_.erase(waiting);
    return {};
  }

  // --- posts and pages ---

  Result<void> AddItem(WxrItem item) {
    const std::string type = item.type.empty() ? "post" : item.type;
    if (type == "attachment") return AddAttachment(item);
    if (type != "post" && type != "page") {
      ++report_.skipped[type + " items (only posts and pages are imported)"];
      return {};
    }
    std::optional<PostStatus> status;
    const std::string wp_status = item.status.empty() ? "publish" : item.status;
    if (wp_status == "publish") status = PostStatus::kPublished;
    if (wp_status == "future") status = PostStatus::kScheduled;
    if (wp_status == "draft" || wp_status == "private") status = PostStatus::kDraft;
    if (wp_status == "pending") status = PostStatus::kPending;
    if (wp_status == "trash") status = PostStatus::kTrash;
    if (!status) {
      ++report_.skipped[wp_status + " " + type + "s"];
      return {};
    }
    if (item.post_id.empty()) {
      ++report_.skipped[type + "s without a wp:post_id"];
      return {};
    }

    Post post;
    post.kind = type == "page" ? PostKind::kPage : PostKind::kArticle;
    post.status = *status;
    if (wp_status == "private") {
      ++report_.skipped["private " + type + "s made drafts (Broadsheet has no private posts)"];
    } else if (!item.password.empty() && post.status != PostStatus::kTrash) {
      post.status = PostStatus::kDraft;
      ++report_.skipped["password-protected " + type + "s made drafts"];
    }
    post.title = PlainText(item.title);
    if (post.title.empty()) {
      post.title = "Untitled";
      site_.Note(fmt::format("{} {} has no title; it is called \"Untitled\"", type, item.post_id));
    }
    post.dek = PlainText(item.excerpt);
    post.comments_open = item.comment_status != "closed";
    // What Yoast SEO kept for search engines and social sites.
    post.seo.description = PlainText(MetaValue(item, "_yoast_wpseo_metadesc"));
    // A canonical address on the old site itself would send search engines away from here.
    if (std::string canonical(Trim(MetaValue(item, "_yoast_wpseo_canonical")));
        !canonical.empty() && HostOf(canonical) != HostOf(site_url_)) {
      post.seo.canonical_url = std::move(canonical);
    }
    if (std::string image(Trim(MetaValue(item, "_yoast_wpseo_opengraph-image"))); !image.empty()) {
      auto local = uploads_.Copy(image);
      if (!local) return tl::unexpected(local.error());
      post.seo.social_image = *local ? **local : image;
    }
    post.seo.noindex = Trim(MetaValue(item, "_yoast_wpseo_meta-robots-noindex")) == "1";
    // Drafts have no publication time yet (WordPress's is the time of the last save), so that
    // publishing one from the desk does not backdate it.
    if (post.status != PostStatus::kDraft && post.status != PostStatus::kPending) {
      post.published_at = ParseWordPressTime(item.post_date_gmt, TimeZone());
      if (!post.published_at) post.published_at = ParseWordPressTime(item.post_date, zone_);
      if (!post.published_at) post.published_at = now_;
    }
    if (auto modified = ParseWordPressTime(item.modified_gmt, TimeZone());
        modified && post.published_at && *modified > *post.published_at) {
      post.updated_at = modified;
    }

    ContentStats stats;
    auto body = uploads_.Rewrite(ConvertPostContent(item.content, stats));
    if (!body) return tl::unexpected(body.error());
    markdown::Options body_options;
    body_options.filter = options_.html_filter;
    body_options.removed = &report_.html_removed;
    auto html = markdown::ToHtml(*body, body_options);
    if (!html) {
      ++report_.skipped[type + "s whose content is over 4 MiB or not text"];
      site_.Note(fmt::format("\"{}\" was not imported: {}", post.title, html.error().message));
      return {};
    }
    post.body_markdown = std::move(*body);
    post.body_html = std::move(*html);
    report_.embeds += stats.embeds;
    for (const auto& [name, count] : stats.shortcodes) report_.shortcodes[name] += count;

    // The byline: Co-Authors Plus lists every author as a term ("cap-LOGIN"), in order;
    // otherwise the one dc:creator.
    for (const WxrItemTerm& term : item.terms) {
      if (term.domain != "author" || Trim(term.slug).empty()) continue;
      WxrAuthor coauthor;
      coauthor.login = std::string(Trim(term.slug));
      if (coauthor.login.starts_with("cap-")) coauthor.login = coauthor.login.substr(4);
      coauthor.display_name = term.name;
      auto author = EnsureAuthor(coauthor.login, &coauthor);
      if (!author) return tl::unexpected(author.error());
      if (std::find(post.author_ids.begin(), post.author_ids.end(), *author) ==
          post.author_ids.end()) {
        post.author_ids.push_back(*author);
      }
    }
    const std::string login(Trim(item.creator));
    if (post.author_ids.empty() && !login.empty()) {
      auto author = EnsureAuthor(login, nullptr);
      if (!author) return tl::unexpected(author.error());
      post.author_ids.push_back(*author);
    } else if (post.author_ids.empty()) {
      site_.Note(fmt::format("\"{}\" has no author", post.title));
    }

    // Section and tags.
    std::vector<const WxrItemTerm*> categories;
    for (const WxrItemTerm& term : item.terms) {
      if (term.domain == "category" && !Trim(term.slug).empty()) categories.push_back(&term);
    }
    const WxrItemTerm* primary = categories.empty() ? nullptr : categories.front();
    if (const std::string yoast = MetaValue(item, "_yoast_wpseo_primary_category");
        !yoast.empty()) {
      auto record = Imported("category-id", std::string(Trim(yoast)));
      if (!record) return tl::unexpected(record.error());
      for (const WxrItemTerm* category : categories) {
        if (*record && category->slug == (*record)->detail) primary = category;
      }
    }
    if (primary != nullptr && post.kind == PostKind::kArticle) {
      auto section = EnsureSection(primary->slug, primary->name);
      if (!section) return tl::unexpected(section.error());
      post.section_id = *section;
    }
    for (const WxrItemTerm& term : item.terms) {
      if (Trim(term.slug).empty() || &term == primary) continue;
      if (term.domain != "category" && term.domain != "post_tag") continue;
      auto tag = EnsureTag(term.domain == "category" ? "category" : "tag", term.slug, term.name);
      if (!tag) return tl::unexpected(tag.error());
      if (std::find(post.tag_ids.begin(), post.tag_ids.end(), *tag) == post.tag_ids.end())
        post.tag_ids.push_back(*tag);
    }

    // The featured image, now if its attachment came first, else when it comes.
    const std::string thumbnail(Trim(MetaValue(item, "_thumbnail_id")));
    bool image_later = false;
    if (!thumbnail.empty() && thumbnail != "0") {
      auto record = Imported("attachment", thumbnail);
      if (!record) return tl::unexpected(record.error());
      if (*record) {
        auto image = ImageOf(json::parse((*record)->detail, nullptr, false));
        if (!image) return tl::unexpected(image.error());
        post.image = *image;
        if (!image->url.starts_with("/uploads/")) ++report_.images_linked;
        if (image->url.starts_with("http://")) ++insecure_images_;
      } else {
        image_later = true;
      }
    }

    // Where it goes: over the post an earlier run made, else a new one.
    auto saved = site_.SavePost(type, item.post_id, post, item.slug,
                                (type == "page" ? "page-" : "post-") + item.post_id);
    if (!saved) return tl::unexpected(saved.error());
    if (!*saved) {
      ++report_.skipped[type + "s deleted on this site since an earlier import"];
      return {};
    }
    const std::int64_t id = (*saved)->id;
    auto& count = post.kind == PostKind::kPage ? report_.pages : report_.articles;
    ++((*saved)->existed ? count.existing : count.created);
    if (image_later) waiting_for_images_[thumbnail].push_back(id);

    if (auto comments = AddComments(item, id, post); !comments) return comments;
    if (post.status == PostStatus::kPublished || post.status == PostStatus::kScheduled)
      return AddRedirects(item, type, post.slug);
    return {};
  }

  Result<void> AddRedirects(const WxrItem& item, const std::string& type, const std::string& slug) {
    const std::string to = "/" + slug + "/";
    std::vector<std::string> old = {OldAddress(item.link), OldAddress(item.guid),
                                    "/?p=" + item.post_id};
    if (type == "page") old.push_back("/?page_id=" + item.post_id);
    // Date-based permalinks, from the local date WordPress built them with.
    const std::string& date = item.post_date;
    if (type == "post" && !item.slug.empty() && date.size() >= 10 && !date.starts_with("0000")) {
      const std::string year = date.substr(0, 4), month = date.substr(5, 2),
                        day = date.substr(8, 2), wp_slug = Decoded(item.slug);
      old.push_back("/" + year + "/" + month + "/" + day + "/" + wp_slug + "/");
      old.push_back("/" + year + "/" + month + "/" + wp_slug + "/");
    }
    std::set<std::string> done;
    for (const std::string& from : old) {
      if (!done.insert(from).second) continue;
      if (auto redirected = site_.Redirect(from, to); !redirected) return redirected;
    }
    return {};
  }

  Result<void> AddComments(const WxrItem& item, std::int64_t post_id, const Post& post) {
    // Parents before their replies: WordPress numbers comments in the order they were left.
    std::vector<const WxrComment*> comments;
    for (const WxrComment& comment : item.comments) {
      if (comment.type == "pingback" || comment.type == "trackback") {
        ++report_.skipped["pingbacks and trackbacks"];
        continue;
      }
      comments.push_back(&comment);
    }
    std::stable_sort(comments.begin(), comments.end(), [](const auto* a, const auto* b) {
      return NumericId(a->id) < NumericId(b->id);
    });
    std::unordered_map<std::string, std::int64_t> local_ids;
    for (const WxrComment* wp : comments) {
      const auto status = CommentStatusFrom(Trim(wp->approved));
      if (!status) {
        ++report_.skipped["comments in the state \"" + wp->approved + "\""];
        continue;
      }
      Comment comment;
      comment.post_id = post_id;
      comment.status = *status;
      comment.author_name = std::string(Trim(DecodeEntities(wp->author)));
      if (comment.author_name.empty()) comment.author_name = "Anonymous";
      comment.author_email = std::string(Trim(wp->email));
      const std::string_view url = Trim(wp->url);
      if (url.starts_with("http://") || url.starts_with("https://"))
        comment.author_url = std::string(url);
      comment.body_markdown = CommentToMarkdown(wp->content);
      auto html = comments::RenderBody(comment.body_markdown);
      if (!html) {
        ++report_.skipped["comments whose text could not be read"];
        continue;
      }
      comment.body_html = std::move(*html);
      comment.created_at =
          ParseWordPressTime(wp->date_gmt, TimeZone()).value_or(post.published_at.value_or(now_));
      const std::string parent(Trim(wp->parent));
      if (!parent.empty() && parent != "0") {
        if (auto found = local_ids.find(parent); found != local_ids.end()) {
          comment.parent_id = found->second;
          ++report_.replies;
        } else {
          site_.Note(
              fmt::format("a reply on \"{}\" answers comment {}, which is not in the export; "
                          "it stands alone",
                          post.title, parent));
        }
      }
      const std::string& key = wp->id;
      std::optional<ImportedRecord> record;
      if (!key.empty()) {
        auto found = Imported("comment", key);
        if (!found) return tl::unexpected(found.error());
        record = std::move(*found);
      }
      if (record) {
        auto exists = store_.FindComment(record->local_id);
        if (!exists) return tl::unexpected(exists.error());
        if (*exists) comment.id = record->local_id;
      }
      auto id = store_.SaveImportedComment(comment);
      if (!id) return tl::unexpected(id.error());
      ++(comment.id != 0 ? report_.comments.existing : report_.comments.created);
      if (!key.empty()) {
        local_ids[key] = *id;
        if (auto remembered = Remember("comment", key, *id); !remembered) return remembered;
      }
    }
    return {};
  }

  Store& store_;
  SiteWriter site_;
  const WordPressOptions& options_;
  TimeZone zone_;
  Timestamp now_;
  WordPressReport report_;
  std::string site_url_;     // the old site's address, from the channel
  int insecure_images_ = 0;  // featured images kept at http:// addresses
  int categories_declared_ = 0;
  int tags_declared_ = 0;
  // Small maps, one entry per author, section and tag (not per post).
  std::unordered_map<std::string, std::int64_t> authors_;   // login -> id
  std::unordered_map<std::string, std::int64_t> sections_;  // category slug -> id
  std::unordered_map<std::string, std::int64_t> tags_;      // "kind slug" -> id
  UploadCopier uploads_;
  // Featured images whose attachment has not been read yet: attachment id -> post ids.
  std::unordered_map<std::string, std::vector<std::int64_t>> waiting_for_images_;
};

}  // namespace

Result<WordPressSummary> SummarizeWordPress(const std::string& path) {
  WordPressSummary summary;
  WxrHandler handler;
  handler.author = [&](WxrAuthor) -> Result<void> {
    ++summary.authors;
    return {};
  };
  handler.term = [&](WxrTerm term) -> Result<void> {
    ++(term.category ? summary.categories : summary.tags);
    return {};
  };
  handler.item = [&](WxrItem item) -> Result<void> {
    ++summary.items[item.type.empty() ? "post" : item.type];
    if (item.type == "post" || item.type == "page" || item.type.empty())
      ++summary.statuses[item.status.empty() ? "publish" : item.status];
    for (const WxrComment& comment : item.comments) {
      ++summary.comments;
      if (!comment.parent.empty() && comment.parent != "0") ++summary.replies;
    }
    return {};
  };
  if (auto read = ReadWxr(path, handler); !read) return tl::unexpected(read.error());
  return summary;
}

Result<WordPressReport> ImportWordPress(Store& store, const std::string& path,
                                        const WordPressOptions& options) {
  auto publication = store.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  auto zone = TimeZone::Find(publication->timezone);
  Importer importer(store, options, zone ? *zone : TimeZone());
  auto done = store.InTransaction([&]() -> Result<void> {
    if (auto read = ReadWxr(path, importer.Handler()); !read) return read;
    return importer.Finish();
  });
  importer.CompleteReport();
  if (!done) {
    importer.RemoveCopies();
    return tl::unexpected(done.error());
  }
  return std::move(importer.report());
}

}  // namespace broadsheet::importers
