#include "importers/wxr_writer.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/text.h"
#include "core/time.h"
#include "importers/site_writer.h"

namespace broadsheet::importers {
namespace {

// Text as CDATA: "]]>" split across two sections, and characters XML 1.0 cannot hold dropped.
std::string Cdata(std::string_view text) {
  std::string out = "<![CDATA[";
  out.reserve(text.size() + 12);
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
    if (text.substr(i).starts_with("]]>")) {
      out += "]]]]><![CDATA[>";
      i += 2;
      continue;
    }
    out += text[i];
  }
  return out + "]]>";
}

std::string Element(std::string_view name, std::string_view text) {
  return fmt::format("<{0}>{1}</{0}>", name, Cdata(text));
}

// WordPress's "YYYY-MM-DD HH:MM:SS" in `zone`; zeros for none, as WordPress writes drafts.
std::string WordPressTime(std::optional<Timestamp> when, const TimeZone& zone) {
  if (!when) return "0000-00-00 00:00:00";
  std::string iso = FormatIsoTime(*when, zone).substr(0, 19);
  iso[10] = ' ';
  return iso;
}

std::string_view WordPressStatus(PostStatus status) {
  switch (status) {
    case PostStatus::kPublished:
      return "publish";
    case PostStatus::kScheduled:
      return "future";
    case PostStatus::kPending:
      return "pending";
    case PostStatus::kTrash:
      return "trash";
    case PostStatus::kDraft:
      return "draft";
  }
  return "draft";
}

std::string_view WordPressApproval(CommentStatus status) {
  switch (status) {
    case CommentStatus::kApproved:
      return "1";
    case CommentStatus::kSpam:
      return "spam";
    case CommentStatus::kTrash:
      return "trash";
    case CommentStatus::kPending:
      return "0";
  }
  return "0";
}

std::string Absolute(std::string_view url, std::string_view base) {
  if (url.starts_with("/")) return std::string(base) + std::string(url);
  return std::string(url);
}

}  // namespace

Result<WxrExportReport> ExportWordPress(Store& store, std::ostream& out) {
  auto publication = store.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  auto zone = TimeZone::Find(publication->timezone);
  const TimeZone local = zone ? *zone : TimeZone();
  std::string base = PublicBaseUrl(*publication);
  while (base.ends_with('/')) base.pop_back();
  auto authors = store.ListAuthors();
  auto sections = store.ListSections();
  auto tags = store.ListTags();
  auto ids = store.ListAllPostIds();
  if (!authors) return tl::unexpected(authors.error());
  if (!sections) return tl::unexpected(sections.error());
  if (!tags) return tl::unexpected(tags.error());
  if (!ids) return tl::unexpected(ids.error());

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
         "<!-- A WordPress export (WXR 1.2) written by Broadsheet. Import it in WordPress with "
         "Tools > Import > WordPress. -->\n"
         "<rss version=\"2.0\" xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\" "
         "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
         "xmlns:wfw=\"http://wellformedweb.org/CommentAPI/\" "
         "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
         "xmlns:wp=\"http://wordpress.org/export/1.2/\">\n<channel>\n";
  out << Element("title", publication->title) << "\n<link>" << EscapeHtml(base) << "</link>\n"
      << Element("description", publication->description) << "\n<pubDate>" << FormatHttpDate(Now())
      << "</pubDate>\n<language>" << EscapeHtml(publication->language)
      << "</language>\n<wp:wxr_version>1.2</wp:wxr_version>\n<wp:base_site_url>" << EscapeHtml(base)
      << "</wp:base_site_url>\n<wp:base_blog_url>" << EscapeHtml(base) << "</wp:base_blog_url>\n";

  std::map<std::int64_t, std::string> author_logins;
  for (const Author& author : *authors) {
    author_logins[author.id] = author.slug;
    out << "<wp:author><wp:author_id>" << author.id << "</wp:author_id>"
        << Element("wp:author_login", author.slug) << Element("wp:author_email", author.email)
        << Element("wp:author_display_name", author.name) << Element("wp:author_first_name", "")
        << Element("wp:author_last_name", "") << "</wp:author>\n";
  }
  for (const Section& section : *sections) {
    out << "<wp:category><wp:term_id>" << section.id << "</wp:term_id>"
        << Element("wp:category_nicename", section.slug) << Element("wp:category_parent", "")
        << Element("wp:cat_name", section.name)
        << Element("wp:category_description", section.description) << "</wp:category>\n";
  }
  for (const Tag& tag : *tags) {
    out << "<wp:tag><wp:term_id>" << tag.id << "</wp:term_id>" << Element("wp:tag_slug", tag.slug)
        << Element("wp:tag_name", tag.name) << "</wp:tag>\n";
  }

  WxrExportReport report;
  // Attachments take ids after the last post's, so that none collides.
  std::int64_t next_attachment = ids->empty() ? 1 : *std::max_element(ids->begin(), ids->end()) + 1;
  auto written = ForEachPost(store, [&](const PostDetail& detail) -> Result<void> {
    const Post& post = detail.post;
    const bool page = post.kind == PostKind::kPage;
    ++(page ? report.pages : report.posts);
    if (detail.authors.size() > 1)
      report.extra_authors += static_cast<int>(detail.authors.size()) - 1;
    std::int64_t attachment = 0;
    if (!post.image.url.empty()) {
      attachment = next_attachment++;
      ++report.attachments;
      const std::string url = Absolute(post.image.url, base);
      out << "<item>" << Element("title", post.image.alt.empty() ? post.title : post.image.alt)
          << "<link>" << EscapeHtml(url) << "</link><guid isPermaLink=\"false\">" << EscapeHtml(url)
          << "</guid>" << Element("content:encoded", "")
          << Element("excerpt:encoded", post.image.caption) << "<wp:post_id>" << attachment
          << "</wp:post_id><wp:post_date>" << WordPressTime(post.published_at, local)
          << "</wp:post_date><wp:post_date_gmt>" << WordPressTime(post.published_at, TimeZone())
          << "</wp:post_date_gmt>" << Element("wp:status", "inherit") << "<wp:post_parent>"
          << post.id << "</wp:post_parent>" << Element("wp:post_type", "attachment")
          << Element("wp:attachment_url", url) << "<wp:postmeta>"
          << Element("wp:meta_key", "_wp_attachment_image_alt")
          << Element("wp:meta_value", post.image.alt) << "</wp:postmeta>";
      if (!post.image.credit.empty()) {
        out << "<wp:postmeta>" << Element("wp:meta_key", "_media_credit")
            << Element("wp:meta_value", post.image.credit) << "</wp:postmeta>";
      }
      out << "</item>\n";
    }
    const std::string link = base + "/" + post.slug + "/";
    out << "<item>" << Element("title", post.title) << "<link>" << EscapeHtml(link) << "</link>";
    if (post.published_at) out << "<pubDate>" << FormatHttpDate(*post.published_at) << "</pubDate>";
    out << Element("dc:creator", detail.authors.empty() ? "" : detail.authors.front().slug)
        << "<guid isPermaLink=\"false\">" << EscapeHtml(base) << "/?p=" << post.id << "</guid>"
        << "<description></description>" << Element("content:encoded", post.body_html)
        << Element("excerpt:encoded", post.dek) << "<wp:post_id>" << post.id
        << "</wp:post_id><wp:post_date>" << WordPressTime(post.published_at, local)
        << "</wp:post_date><wp:post_date_gmt>" << WordPressTime(post.published_at, TimeZone())
        << "</wp:post_date_gmt><wp:post_modified>"
        << WordPressTime(post.updated_at ? post.updated_at : post.published_at, local)
        << "</wp:post_modified><wp:post_modified_gmt>"
        << WordPressTime(post.updated_at ? post.updated_at : post.published_at, TimeZone())
        << "</wp:post_modified_gmt>"
        << Element("wp:comment_status", post.comments_open ? "open" : "closed")
        << Element("wp:ping_status", "closed") << Element("wp:post_name", post.slug)
        << Element("wp:status", WordPressStatus(post.status))
        << "<wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order>"
        << Element("wp:post_type", page ? "page" : "post") << Element("wp:post_password", "")
        << "<wp:is_sticky>0</wp:is_sticky>";
    if (detail.section) {
      out << "<category domain=\"category\" nicename=\"" << EscapeHtml(detail.section->slug)
          << "\">" << Cdata(detail.section->name) << "</category>";
    }
    for (const Tag& tag : detail.tags) {
      out << "<category domain=\"post_tag\" nicename=\"" << EscapeHtml(tag.slug) << "\">"
          << Cdata(tag.name) << "</category>";
    }
    if (attachment != 0) {
      out << "<wp:postmeta>" << Element("wp:meta_key", "_thumbnail_id")
          << Element("wp:meta_value", std::to_string(attachment)) << "</wp:postmeta>";
    }
    auto comments = store.ListCommentsOfPost(post.id);
    if (!comments) return tl::unexpected(comments.error());
    for (const Comment& comment : *comments) {
      ++report.comments;
      out << "<wp:comment><wp:comment_id>" << comment.id << "</wp:comment_id>"
          << Element("wp:comment_author", comment.author_name)
          << Element("wp:comment_author_email", comment.author_email)
          << Element("wp:comment_author_url", comment.author_url)
          << Element("wp:comment_author_IP", "") << "<wp:comment_date>"
          << WordPressTime(comment.created_at, local) << "</wp:comment_date><wp:comment_date_gmt>"
          << WordPressTime(comment.created_at, TimeZone()) << "</wp:comment_date_gmt>"
          << Element("wp:comment_content", comment.body_html)
          << Element("wp:comment_approved", WordPressApproval(comment.status))
          << Element("wp:comment_type", "comment") << "<wp:comment_parent>"
          << comment.parent_id.value_or(0) << "</wp:comment_parent>"
          << "<wp:comment_user_id>0</wp:comment_user_id></wp:comment>";
    }
    out << "</item>\n";
    return {};
  });
  if (!written) return tl::unexpected(written.error());
  out << "</channel>\n</rss>\n";
  out.flush();
  if (!out) return Fail(ErrorCode::kIo, "could not write the export");
  return report;
}

}  // namespace broadsheet::importers
