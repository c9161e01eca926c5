#include "feeds/sitemaps.h"

#include <fmt/format.h>

#include "core/text.h"
#include "feeds/feeds.h"

namespace broadsheet::feeds {
namespace {

std::string LastMod(Timestamp when) {
  return when > 0 ? "<lastmod>" + FormatIsoTime(when, TimeZone()) + "</lastmod>" : "";
}

}  // namespace

std::string SitemapIndex(const Located& sitemaps) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (const auto& [url, changed] : sitemaps)
    out += fmt::format("<sitemap><loc>{}</loc>{}</sitemap>\n", XmlText(url), LastMod(changed));
  return out + "</sitemapindex>\n";
}

std::string Sitemap(const Located& pages) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (const auto& [url, changed] : pages)
    out += fmt::format("<url><loc>{}</loc>{}</url>\n", XmlText(url), LastMod(changed));
  return out + "</urlset>\n";
}

std::string NewsSitemap(const std::vector<PostAddress>& articles, const Publication& publication) {
  const std::string base = PublicBaseUrl(publication);
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" "
      "xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n";
  for (const PostAddress& article : articles) {
    out += fmt::format(
        "<url><loc>{}</loc><news:news><news:publication><news:name>{}</news:name>"
        "<news:language>{}</news:language></news:publication>"
        "<news:publication_date>{}</news:publication_date><news:title>{}</news:title>"
        "</news:news></url>\n",
        XmlText(base + "/" + article.slug + "/"), XmlText(publication.title),
        XmlText(publication.language), FormatIsoTime(article.published_at, TimeZone()),
        XmlText(article.title));
  }
  return out + "</urlset>\n";
}

}  // namespace broadsheet::feeds
