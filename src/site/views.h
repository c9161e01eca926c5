// View models: the JSON objects the theme's templates are rendered with. Pure functions of
// stored records; no I/O. Field names are the theme's contract (see themes/default/templates).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "content/publication.h"
#include "storage/records.h"

namespace broadsheet::site {

// What every page needs: publication title, navigation, stylesheet URL, language.
struct SiteContext {
  Publication publication;
  TimeZone zone;
  std::vector<Section> sections;
  content::Menu menu;             // the header navigation (content::ResolveNavigation)
  std::vector<PostDetail> pages;  // kind=page, for the footer
  std::string css_url;
  std::string icon_url;
  std::string current_section;   // slug, to mark the navigation
  bool newsletter_open = false;  // mail is configured, so a reader can sign up
  Timestamp now = 0;
};

std::string PostUrl(const Post& post);
std::string SectionUrl(const Section& section);
std::string AuthorUrl(const Author& author);
std::string TagUrl(const Tag& tag);
// `path` made absolute with the publication's base URL (unchanged if already absolute).
std::string AbsoluteUrl(const Publication& publication, const std::string& path);
// The stylesheet that sets the theme's --accent to the publication's accent colour, its address
// versioned by the colour; "" without one (or with one that is not #rrggbb).
std::string AccentCssUrl(const Publication& publication);
std::string AccentCss(const Publication& publication);

nlohmann::json SiteView(const SiteContext& context);
nlohmann::json PostCardView(const PostDetail& detail, const TimeZone& zone);
// `media` is the library record of the featured image, when it has one: its variants become a
// <picture> with WebP and srcset.
nlohmann::json ArticleView(const PostDetail& detail, const SiteContext& context,
                           const std::optional<MediaItem>& media = std::nullopt);
// schema.org NewsArticle or OpinionNewsArticle, as JSON text.
std::string ArticleJsonLd(const PostDetail& detail, const SiteContext& context);
// A schema.org object as the text of a <script type="application/ld+json"> block.
std::string JsonLdText(const nlohmann::json& ld);
// schema.org BreadcrumbList from the home page down: (name, site path) pairs after "Home".
std::string BreadcrumbJsonLd(const Publication& publication,
                             const std::vector<std::pair<std::string, std::string>>& trail);

// Approved comments in reading order: each thread after its parent, nested up to `max_depth`
// levels (deeper replies continue at the last level; depth counts from 0).
nlohmann::json CommentsView(const std::vector<Comment>& comments, const TimeZone& zone,
                            int max_depth = 3);

struct Head {
  std::string title;
  std::string description;
  std::string canonical_path;
  std::string image;
  std::string image_alt;
  std::string og_type = "website";
  std::vector<std::string> json_ld;  // schema.org blocks, the page's main entity first
  std::string script;                // a theme script for the page, loaded with defer
  std::string embeds_script;         // embeds.js, on pages whose body has embeds (deferred)
  std::string feed;  // the page's own RSS feed (a list's, an article's comments), if any
  std::string feed_title;
  bool noindex = false;
  // Articles: Open Graph's article:* properties.
  std::string published_iso;
  std::string modified_iso;
  std::string section;
  std::vector<std::string> tags;
};
nlohmann::json HeadView(const Head& head, const Publication& publication);

}  // namespace broadsheet::site
