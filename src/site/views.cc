#include "site/views.h"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <set>

#include "content/figure.h"
#include "content/publication.h"
#include "core/text.h"

namespace broadsheet::site {
namespace {

nlohmann::json AuthorsView(const std::vector<Author>& authors, bool with_bio) {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < authors.size(); ++i) {
    const Author& author = authors[i];
    std::string separator;
    if (i > 0)
      separator = (i + 1 == authors.size()) ? (authors.size() > 2 ? ", and " : " and ") : ", ";
    nlohmann::json item = {{"name", author.name},
                           {"url", AuthorUrl(author)},
                           {"separator", separator},
                           {"credentials", author.credentials},
                           {"avatar", author.avatar}};
    if (with_bio) item["bio_html"] = author.bio_html;
    list.push_back(std::move(item));
  }
  return list;
}

nlohmann::json ImageView(const FeaturedImage& image,
                         const std::optional<MediaItem>& media = std::nullopt) {
  if (image.url.empty()) return false;
  nlohmann::json view = {{"url", image.url},
                         {"alt", image.alt},
                         {"caption", image.caption},
                         {"credit", image.credit},
                         {"has_figcaption", !image.caption.empty() || !image.credit.empty()},
                         {"has_size", false}};
  if (!media) return view;
  view["has_size"] = true;
  view["width"] = media->width;
  view["height"] = media->height;
  const content::ImageSources sources = content::SourcesOf(*media);
  if (sources.srcset.empty() && sources.webp_srcset.empty()) return view;
  view["srcset"] = sources.srcset;
  view["webp_srcset"] = sources.webp_srcset;
  view["sizes"] = content::kColumnSizes;
  return view;
}

}  // namespace

std::string PostUrl(const Post& post) { return "/" + post.slug + "/"; }
std::string SectionUrl(const Section& section) { return "/section/" + section.slug + "/"; }
std::string AuthorUrl(const Author& author) { return "/author/" + author.slug + "/"; }
std::string TagUrl(const Tag& tag) { return "/tag/" + tag.slug + "/"; }

std::string AbsoluteUrl(const Publication& publication, const std::string& path) {
  if (path.starts_with("http://") || path.starts_with("https://")) return path;
  return publication.base_url + path;
}

std::string AccentCssUrl(const Publication& publication) {
  auto accent = content::CheckAccentColor(publication.accent_color);
  if (!accent) return "";
  return "/brand.css?v=" + accent->substr(1);
}

std::string AccentCss(const Publication& publication) {
  auto accent = content::CheckAccentColor(publication.accent_color);
  if (!accent) return "";
  return ":root { --accent: " + *accent + "; }\n";
}

nlohmann::json SiteView(const SiteContext& context) {
  nlohmann::json sections = nlohmann::json::array();
  for (const auto& link : context.menu.links) {
    sections.push_back(
        {{"name", link.label},
         {"url", link.url},
         {"external", link.external},
         {"current", !link.section_slug.empty() && link.section_slug == context.current_section}});
  }
  const Publication& publication = context.publication;
  // Only paths that pass the desk's checks reach a page (an import may have written others).
  const bool has_logo = !publication.logo.empty() &&
                        content::CheckMediaPath(publication.logo, "the logo").has_value();
  const bool has_favicon = !publication.favicon.empty() &&
                           content::CheckMediaPath(publication.favicon, "the favicon").has_value();
  std::string icon_type = "image/svg+xml";
  if (has_favicon) {
    const std::string& icon = publication.favicon;
    const std::string extension = icon.substr(icon.rfind('.') + 1);
    icon_type = extension == "png"                          ? "image/png"
                : extension == "webp"                       ? "image/webp"
                : extension == "gif"                        ? "image/gif"
                : extension == "jpg" || extension == "jpeg" ? "image/jpeg"
                : extension == "ico"                        ? "image/x-icon"
                                                            : "image/svg+xml";
  }
  nlohmann::json pages = nlohmann::json::array();
  for (const auto& page : context.pages) {
    pages.push_back({{"title", page.post.title}, {"url", PostUrl(page.post)}});
  }
  return {{"title", context.publication.title},
          {"description", context.publication.description},
          {"language", context.publication.language},
          {"css_url", context.css_url},
          {"icon_url", has_favicon ? publication.favicon : context.icon_url},
          {"icon_type", icon_type},
          {"logo", has_logo ? publication.logo : ""},
          {"accent_css_url", AccentCssUrl(publication)},
          {"sections", sections},
          {"has_sections", !sections.empty()},
          {"pages", pages},
          {"has_pages", !pages.empty()},
          {"newsletter_open", context.newsletter_open},
          {"year", CivilDateIn(context.now, context.zone).year}};
}

nlohmann::json PostCardView(const PostDetail& detail, const TimeZone& zone) {
  const Post& post = detail.post;
  const Timestamp published = post.published_at.value_or(0);
  nlohmann::json section = false;
  if (detail.section)
    section = {{"name", detail.section->name}, {"url", SectionUrl(*detail.section)}};
  return {{"title", post.title},
          {"url", PostUrl(post)},
          {"post_url", PostUrl(post)},
          {"dek", post.dek},
          {"section", section},
          {"authors", AuthorsView(detail.authors, false)},
          {"has_authors", !detail.authors.empty()},
          {"image", ImageView(post.image)},
          {"date_iso", FormatIsoTime(published, zone)},
          {"date_human", FormatHumanDate(published, zone)}};
}

nlohmann::json ArticleView(const PostDetail& detail, const SiteContext& context,
                           const std::optional<MediaItem>& media) {
  const Post& post = detail.post;
  const Timestamp published = post.published_at.value_or(0);
  nlohmann::json view = PostCardView(detail, context.zone);
  view["image"] = ImageView(post.image, media);
  view["authors"] = AuthorsView(detail.authors, true);
  view["several_authors"] = detail.authors.size() > 1;
  view["body_html"] = post.body_html;
  view["opinion"] = post.opinion;
  view["disclaimer"] = content::DisclaimerFor(detail, context.publication);
  view["comments_open"] = post.comments_open;
  view["comments_action"] = "/" + post.slug + "/comments";
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& tag : detail.tags) tags.push_back({{"name", tag.name}, {"url", TagUrl(tag)}});
  view["tags"] = tags;
  view["has_tags"] = !tags.empty();
  nlohmann::json notes = nlohmann::json::array();
  for (const auto& note : detail.notes) {
    notes.push_back({{"kind", note.kind},
                     {"label", note.kind == "correction" ? "Correction" : "Update"},
                     {"text", note.text},
                     {"date_iso", FormatIsoTime(note.at, context.zone)},
                     {"date_human", FormatHumanDate(note.at, context.zone)}});
  }
  view["notes"] = notes;
  view["has_notes"] = !notes.empty();
  // Show "Updated" only when the update is on a later day than publication.
  const bool updated_later =
      post.updated_at && *post.updated_at > published &&
      FormatHumanDate(*post.updated_at, context.zone) != FormatHumanDate(published, context.zone);
  view["updated_iso"] = updated_later ? FormatIsoTime(*post.updated_at, context.zone) : "";
  view["updated_human"] = updated_later ? FormatHumanDate(*post.updated_at, context.zone) : "";
  return view;
}

std::string ArticleJsonLd(const PostDetail& detail, const SiteContext& context) {
  const Post& post = detail.post;
  const Publication& publication = context.publication;
  const Timestamp published = post.published_at.value_or(0);
  nlohmann::json authors = nlohmann::json::array();
  for (const auto& author : detail.authors) {
    nlohmann::json person = {{"@type", "Person"},
                             {"name", author.name},
                             {"url", AbsoluteUrl(publication, AuthorUrl(author))}};
    if (!author.credentials.empty()) person["jobTitle"] = author.credentials;
    authors.push_back(std::move(person));
  }
  nlohmann::json ld = {
      {"@context", "https://schema.org"},
      {"@type", post.kind == PostKind::kPage
                    ? "WebPage"
                    : (post.opinion ? "OpinionNewsArticle" : "NewsArticle")},
      {"headline", post.title},
      {"url", AbsoluteUrl(publication, PostUrl(post))},
      {"mainEntityOfPage", AbsoluteUrl(publication, PostUrl(post))},
      {"datePublished", FormatIsoTime(published, context.zone)},
      {"dateModified", FormatIsoTime(post.updated_at.value_or(published), context.zone)},
      {"inLanguage", publication.language},
      {"isAccessibleForFree", true},
      {"publisher",
       {{"@type", "Organization"},
        {"name", publication.title},
        {"url", AbsoluteUrl(publication, "/")}}},
  };
  if (!publication.logo.empty() && content::CheckMediaPath(publication.logo, "").has_value()) {
    ld["publisher"]["logo"] = {{"@type", "ImageObject"},
                               {"url", AbsoluteUrl(publication, publication.logo)}};
  }
  if (!post.dek.empty()) ld["description"] = post.dek;
  if (!authors.empty()) ld["author"] = authors;
  if (detail.section) ld["articleSection"] = detail.section->name;
  if (!detail.tags.empty()) {
    std::string keywords;
    for (const auto& tag : detail.tags) keywords += (keywords.empty() ? "" : ", ") + tag.name;
    ld["keywords"] = keywords;
  }
  nlohmann::json corrections = nlohmann::json::array();
  for (const auto& note : detail.notes) {
    if (note.kind != "correction") continue;
    corrections.push_back({{"@type", "CorrectionComment"},
                           {"text", note.text},
                           {"datePublished", FormatIsoTime(note.at, context.zone)}});
  }
  if (!corrections.empty()) ld["correction"] = corrections;
  if (!post.image.url.empty()) {
    nlohmann::json image = {{"@type", "ImageObject"},
                            {"url", AbsoluteUrl(publication, post.image.url)}};
    if (!post.image.caption.empty()) image["caption"] = post.image.caption;
    if (!post.image.credit.empty()) image["creditText"] = post.image.credit;
    ld["image"] = image;
  }
  return JsonLdText(ld);
}

std::string JsonLdText(const nlohmann::json& ld) {
  // Stored text is UTF-8 (every writer checks), but a page must never fail over one bad byte.
  return EscapeJsonForScript(ld.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string BreadcrumbJsonLd(const Publication& publication,
                             const std::vector<std::pair<std::string, std::string>>& trail) {
  nlohmann::json items = nlohmann::json::array();
  items.push_back({{"@type", "ListItem"},
                   {"position", 1},
                   {"name", publication.title},
                   {"item", AbsoluteUrl(publication, "/")}});
  for (const auto& [name, path] : trail) {
    items.push_back({{"@type", "ListItem"},
                     {"position", items.size() + 1},
                     {"name", name},
                     {"item", AbsoluteUrl(publication, path)}});
  }
  return JsonLdText({{"@context", "https://schema.org"},
                     {"@type", "BreadcrumbList"},
                     {"itemListElement", items}});
}

nlohmann::json CommentsView(const std::vector<Comment>& comments, const TimeZone& zone,
                            int max_depth) {
  std::map<std::int64_t, std::vector<const Comment*>> children;  // parent id (0: none) -> replies
  std::set<std::int64_t> present;
  for (const auto& comment : comments) present.insert(comment.id);
  for (const auto& comment : comments) {
    // A reply whose parent is not shown (held, spam) is shown as a top-level comment.
    const std::int64_t parent =
        comment.parent_id && present.count(*comment.parent_id) ? *comment.parent_id : 0;
    children[parent].push_back(&comment);
  }
  nlohmann::json list = nlohmann::json::array();
  std::function<void(std::int64_t, int)> walk = [&](std::int64_t parent, int depth) {
    auto found = children.find(parent);
    if (found == children.end()) return;
    for (const Comment* comment : found->second) {
      list.push_back({{"id", comment->id},
                      {"author", comment->author_name},
                      {"url", comment->author_url},
                      {"depth", std::min(depth, max_depth)},
                      {"staff", comment->user_id.has_value()},
                      {"date_iso", FormatIsoTime(comment->created_at, zone)},
                      {"date_human", FormatHumanDate(comment->created_at, zone)},
                      {"body_html", comment->body_html}});
      walk(comment->id, depth + 1);
    }
  };
  walk(0, 0);
  return {{"comments", list},
          {"count", list.size()},
          {"has_comments", !list.empty()},
          {"several", list.size() != 1}};
}

nlohmann::json HeadView(const Head& head, const Publication& publication) {
  const std::string title = head.title.empty() || head.title == publication.title
                                ? publication.title
                                : head.title + " \u2013 " + publication.title;
  nlohmann::json json_ld = nlohmann::json::array();
  for (const std::string& block : head.json_ld) json_ld.push_back({{"text", block}});
  nlohmann::json article = false;
  if (head.og_type == "article") {
    nlohmann::json tags = nlohmann::json::array();
    for (const std::string& tag : head.tags) tags.push_back({{"name", tag}});
    article = {{"published", head.published_iso},
               {"modified", head.modified_iso},
               {"section", head.section},
               {"tags", tags}};
  }
  // Social sites need absolute addresses; without a base URL there is none to give.
  const auto absolute = [&](const std::string& path) {
    return path.empty() || (publication.base_url.empty() && !path.starts_with("http"))
               ? std::string()
               : AbsoluteUrl(publication, path);
  };
  return {{"title", title},
          {"social_title", head.title.empty() ? publication.title : head.title},
          {"description", head.description},
          {"canonical", absolute(head.canonical_path)},
          {"image", absolute(head.image)},
          {"image_alt", head.image_alt},
          {"og_type", head.og_type},
          {"article", article},
          {"json_ld", json_ld},
          {"script", head.script},
          {"embeds_script", head.embeds_script},
          {"feed", head.feed},
          {"feed_title", head.feed_title},
          {"noindex", head.noindex}};
}

}  // namespace broadsheet::site
