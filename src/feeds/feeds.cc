#include "feeds/feeds.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.h"

namespace broadsheet::feeds {
namespace {

std::string Absolute(const std::string& base, const std::string& url) {
  return url.starts_with("/") && !url.starts_with("//") ? base + url : url;
}

std::string Iso(Timestamp when) { return FormatIsoTime(when, TimeZone()); }

Timestamp Changed(const Post& post) {
  return std::max(post.published_at.value_or(0), post.updated_at.value_or(0));
}

// The item's text: the whole body, or the dek (else the first words) as a summary.
std::string Summary(const Post& post) {
  return post.dek.empty() ? Truncate(PlainText(post.body_html), 300) : post.dek;
}

std::string ImageType(const std::string& url, const MediaByUrl& media) {
  if (auto found = media.find(url); found != media.end()) return found->second.mime;
  for (const auto& [suffix, type] : {std::pair{".png", "image/png"},
                                     {".webp", "image/webp"},
                                     {".gif", "image/gif"},
                                     {".svg", "image/svg+xml"}}) {
    if (url.ends_with(suffix)) return type;
  }
  return "image/jpeg";
}

}  // namespace

std::string XmlText(std::string_view text) {
  std::string kept;
  kept.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 || c == '\t' || c == '\n' || c == '\r') kept += c;
  }
  return EscapeHtml(kept);
}

Timestamp LastChanged(const std::vector<PostDetail>& posts) {
  Timestamp latest = 0;
  for (const PostDetail& detail : posts) latest = std::max(latest, Changed(detail.post));
  return latest;
}

std::string Rss(const FeedSpec& spec, const std::vector<PostDetail>& posts,
                const Publication& publication, const MediaByUrl& media) {
  const std::string base = PublicBaseUrl(publication);
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" "
      "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
      "xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n"
      "<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n"
      "<language>{}</language>\n<atom:link href=\"{}\" rel=\"self\" "
      "type=\"application/rss+xml\"/>\n<generator>Broadsheet</generator>\n",
      XmlText(spec.title), XmlText(base + spec.page_path), XmlText(spec.description),
      XmlText(publication.language), XmlText(base + spec.rss_path));
  if (const Timestamp changed = LastChanged(posts); changed > 0)
    out += fmt::format("<lastBuildDate>{}</lastBuildDate>\n", FormatHttpDate(changed));
  for (const PostDetail& detail : posts) {
    const Post& post = detail.post;
    const std::string url = base + "/" + post.slug + "/";
    out += fmt::format(
        "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"true\">{}</guid>\n"
        "<pubDate>{}</pubDate>\n",
        XmlText(post.title), XmlText(url), XmlText(url),
        FormatHttpDate(post.published_at.value_or(0)));
    for (const Author& author : detail.authors)
      out += fmt::format("<dc:creator>{}</dc:creator>\n", XmlText(author.name));
    if (detail.section)
      out += fmt::format("<category>{}</category>\n", XmlText(detail.section->name));
    for (const Tag& tag : detail.tags)
      out += fmt::format("<category>{}</category>\n", XmlText(tag.name));
    // Readers take an RSS description as HTML: the plain summary is escaped as HTML first (a
    // dek or body text that reads "<img onerror=…>" stays text), then as XML.
    out += fmt::format("<description>{}</description>\n", XmlText(EscapeHtml(Summary(post))));
    if (spec.full_text) {
      out += fmt::format("<content:encoded>{}</content:encoded>\n",
                         XmlText(AbsoluteLinks(post.body_html, base)));
    }
    if (!post.image.url.empty()) {
      const std::string image = Absolute(base, post.image.url);
      const auto found = media.find(post.image.url);
      const long long bytes = found != media.end() ? found->second.bytes : 0;
      const std::string type = ImageType(post.image.url, media);
      out += fmt::format("<enclosure url=\"{}\" length=\"{}\" type=\"{}\"/>\n", XmlText(image),
                         bytes, type);
      out += fmt::format("<media:content url=\"{}\" medium=\"image\" type=\"{}\">", XmlText(image),
                         type);
      if (!post.image.alt.empty())
        out += fmt::format("<media:description>{}</media:description>", XmlText(post.image.alt));
      if (!post.image.credit.empty())
        out += fmt::format("<media:credit>{}</media:credit>", XmlText(post.image.credit));
      out += "</media:content>\n";
    }
    out += "</item>\n";
  }
  return out + "</channel>\n</rss>\n";
}

std::string Atom(const FeedSpec& spec, const std::vector<PostDetail>& posts,
                 const Publication& publication, const MediaByUrl& media) {
  const std::string base = PublicBaseUrl(publication);
  const Timestamp changed = LastChanged(posts);
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n"
      "<id>{}</id>\n<title>{}</title>\n<subtitle>{}</subtitle>\n<updated>{}</updated>\n"
      "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n"
      "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n"
      "<author><name>{}</name></author>\n<generator>Broadsheet</generator>\n",
      XmlText(publication.language), XmlText(base + spec.atom_path), XmlText(spec.title),
      XmlText(spec.description), Iso(changed), XmlText(base + spec.page_path),
      XmlText(base + spec.atom_path), XmlText(publication.title));
  for (const PostDetail& detail : posts) {
    const Post& post = detail.post;
    const std::string url = base + "/" + post.slug + "/";
    out += fmt::format(
        "<entry>\n<id>{}</id>\n<title>{}</title>\n"
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n"
        "<published>{}</published>\n<updated>{}</updated>\n",
        XmlText(url), XmlText(post.title), XmlText(url), Iso(post.published_at.value_or(0)),
        Iso(Changed(post)));
    for (const Author& author : detail.authors) {
      out += fmt::format("<author><name>{}</name><uri>{}</uri></author>\n", XmlText(author.name),
                         XmlText(base + "/author/" + author.slug + "/"));
    }
    if (detail.section) {
      out += fmt::format("<category term=\"{}\" label=\"{}\"/>\n", XmlText(detail.section->slug),
                         XmlText(detail.section->name));
    }
    for (const Tag& tag : detail.tags)
      out += fmt::format("<category term=\"{}\" label=\"{}\"/>\n", XmlText(tag.slug),
                         XmlText(tag.name));
    if (!post.image.url.empty()) {
      out += fmt::format("<link rel=\"enclosure\" type=\"{}\" href=\"{}\"/>\n",
                         ImageType(post.image.url, media), XmlText(Absolute(base, post.image.url)));
    }
    out += fmt::format("<summary>{}</summary>\n", XmlText(Summary(post)));
    if (spec.full_text) {
      out += fmt::format("<content type=\"html\">{}</content>\n",
                         XmlText(AbsoluteLinks(post.body_html, base)));
    }
    out += "</entry>\n";
  }
  return out + "</feed>\n";
}

std::string JsonFeed(const FeedSpec& spec, const std::vector<PostDetail>& posts,
                     const Publication& publication) {
  const std::string base = PublicBaseUrl(publication);
  nlohmann::json items = nlohmann::json::array();
  for (const PostDetail& detail : posts) {
    const Post& post = detail.post;
    const std::string url = base + "/" + post.slug + "/";
    nlohmann::json item = {{"id", url},
                           {"url", url},
                           {"title", post.title},
                           {"summary", Summary(post)},
                           {"date_published", Iso(post.published_at.value_or(0))},
                           {"date_modified", Iso(Changed(post))}};
    if (spec.full_text)
      item["content_html"] = AbsoluteLinks(post.body_html, base);
    else
      item["content_text"] = Summary(post);
    if (!post.image.url.empty()) item["image"] = Absolute(base, post.image.url);
    nlohmann::json authors = nlohmann::json::array();
    for (const Author& author : detail.authors)
      authors.push_back({{"name", author.name}, {"url", base + "/author/" + author.slug + "/"}});
    if (!authors.empty()) item["authors"] = authors;
    nlohmann::json tags = nlohmann::json::array();
    if (detail.section) tags.push_back(detail.section->name);
    for (const Tag& tag : detail.tags) tags.push_back(tag.name);
    if (!tags.empty()) item["tags"] = tags;
    items.push_back(std::move(item));
  }
  nlohmann::json feed = {{"version", "https://jsonfeed.org/version/1.1"},
                         {"title", spec.title},
                         {"home_page_url", base + spec.page_path},
                         {"feed_url", base + spec.json_path},
                         {"description", spec.description},
                         {"language", publication.language},
                         {"items", items}};
  return feed.dump(1, '\t', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string CommentsRss(const PostDetail& detail, const std::vector<Comment>& comments,
                        const Publication& publication) {
  const std::string base = PublicBaseUrl(publication);
  const std::string url = base + "/" + detail.post.slug + "/";
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n"
      "<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n"
      "<language>{}</language>\n<atom:link href=\"{}feed/\" rel=\"self\" "
      "type=\"application/rss+xml\"/>\n",
      XmlText("Comments on \u201c" + detail.post.title + "\u201d"), XmlText(url),
      XmlText("Readers' comments on " + publication.title), XmlText(publication.language),
      XmlText(url));
  for (auto it = comments.rbegin(); it != comments.rend(); ++it) {
    const Comment& comment = *it;
    // The guid stays what it always was (readers' feed programs know items by it); the link is
    // the comment's permanent address, which finds its page of a long thread.
    const std::string guid = fmt::format("{}#comment-{}", url, comment.id);
    const std::string link = fmt::format("{}comments/{}/", url, comment.id);
    out += fmt::format(
        "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"true\">{}</guid>\n"
        "<dc:creator>{}</dc:creator>\n<pubDate>{}</pubDate>\n<description>{}</description>\n"
        "</item>\n",
        XmlText("By " + comment.author_name), XmlText(link), XmlText(guid),
        XmlText(comment.author_name), FormatHttpDate(comment.created_at),
        XmlText(comment.body_html));
  }
  return out + "</channel>\n</rss>\n";
}

}  // namespace broadsheet::feeds
