#include "newsletter/issue.h"

#include <fmt/format.h>

#include "core/text.h"
#include "newsletter/sender.h"

namespace broadsheet::newsletter {
namespace {

constexpr const char* kFrame = "background:#f4f1ea;margin:0;padding:0;";
constexpr const char* kSans = "Arial,Helvetica,sans-serif";
constexpr const char* kSerif = "Georgia,'Times New Roman',serif";

std::string Authors(const PostDetail& detail) {
  std::string names;
  for (size_t i = 0; i < detail.authors.size(); ++i) {
    if (i > 0) names += i + 1 == detail.authors.size() ? " and " : ", ";
    names += detail.authors[i].name;
  }
  return names;
}

std::string Byline(const PostDetail& detail, const Publication& publication) {
  const TimeZone zone = TimeZone::Find(publication.timezone).value_or(TimeZone());
  const std::string date =
      detail.post.published_at ? FormatHumanDate(*detail.post.published_at, zone) : "";
  const std::string authors = Authors(detail);
  if (authors.empty()) return date;
  return "By " + authors + (date.empty() ? "" : " \u00b7 " + date);
}

// The publication's accent colour when it is one ("#rrggbb"), else the mail's own navy.
std::string Accent(const Publication& publication) {
  const std::string& accent = publication.accent_color;
  const bool ok = accent.size() == 7 && accent[0] == '#' &&
                  accent.find_first_not_of("0123456789abcdefABCDEF", 1) == std::string::npos;
  return ok ? accent : "#1f3a5f";
}

std::string Absolute(const std::string& base, const std::string& url) {
  return url.starts_with("/") ? base + url : url;
}

// The masthead's content: the logo (an uploaded image; the desk allows nothing else) or the title.
std::string Masthead(const Publication& publication, const std::string& base,
                     const std::string& accent) {
  const std::string& logo = publication.logo;
  if (logo.starts_with("/uploads/") && logo.find("..") == std::string::npos) {
    return fmt::format(
        "<a href=\"{}/\"><img src=\"{}\" alt=\"{}\" height=\"48\" "
        "style=\"display:block;height:48px;width:auto;max-width:100%;border:0;\"></a>",
        EscapeHtml(base), EscapeHtml(base + logo), EscapeHtml(publication.title));
  }
  return fmt::format("<a href=\"{}/\" style=\"color:{};text-decoration:none;\">{}</a>",
                     EscapeHtml(base), accent, EscapeHtml(publication.title));
}

std::string LinksRow(const MailLinks& links, const std::string& base) {
  if (links.empty()) return "";
  std::string row = fmt::format("<tr><td style=\"padding:8px 32px;font:13px/1.6 {};\">", kSans);
  for (size_t i = 0; i < links.size() && i < 30; ++i) {
    if (i > 0) row += " &middot; ";
    row += fmt::format("<a href=\"{}\" style=\"color:#1a1a1a;\">{}</a>",
                       EscapeHtml(Absolute(base, links[i].second)), EscapeHtml(links[i].first));
  }
  return row + "</td></tr>\n";
}

// The mail around `content`: the masthead, and the footer with the reader's unsubscribe link.
std::string Frame(const Publication& publication, const std::string& title,
                  const std::string& content, const MailLinks& links) {
  const std::string base = PublicBaseUrl(publication);
  const std::string accent = Accent(publication);
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta "
      "name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>{title}</title></head>\n"
      "<body style=\"{frame}\"><table role=\"presentation\" width=\"100%\" cellpadding=\"0\" "
      "cellspacing=\"0\" style=\"{frame}\"><tr><td align=\"center\" style=\"padding:16px 8px;\">\n"
      "<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" "
      "style=\"max-width:600px;width:100%;background:#ffffff;color:#1a1a1a;\">\n"
      "<tr><td style=\"padding:20px 32px;border-bottom:3px solid {accent};font:bold 22px "
      "{serif};\">"
      "{masthead}</td></tr>\n{links}"
      "{content}"
      "<tr><td style=\"padding:16px 32px 24px;border-top:1px solid #dddddd;font:12px/1.5 {sans};"
      "color:#666666;\">You receive this because you subscribed to the {site} newsletter. "
      "<a href=\"{unsubscribe}\" style=\"color:#666666;\">Choose what you receive or "
      "unsubscribe</a>.</td></tr>\n</table></td></tr></table></body></html>\n",
      fmt::arg("lang", EscapeHtml(publication.language)), fmt::arg("title", EscapeHtml(title)),
      fmt::arg("frame", kFrame), fmt::arg("serif", kSerif), fmt::arg("sans", kSans),
      fmt::arg("base", base), fmt::arg("site", EscapeHtml(publication.title)),
      fmt::arg("content", content), fmt::arg("unsubscribe", kUnsubscribeMarker),
      fmt::arg("accent", accent), fmt::arg("masthead", Masthead(publication, base, accent)),
      fmt::arg("links", LinksRow(links, base)));
}

std::string TextFooter(const Publication& publication) {
  return fmt::format(
      "\n--\nYou receive this because you subscribed to the {} newsletter.\nChoose what you "
      "receive or unsubscribe: {}\n",
      publication.title, kUnsubscribeMarker);
}

}  // namespace

NewsletterSend ComposeIssue(const PostDetail& detail, const Publication& publication,
                            const std::string& disclaimer, const MailLinks& links) {
  const Post& post = detail.post;
  const std::string base = PublicBaseUrl(publication);
  const std::string url = base + "/" + post.slug + "/";
  std::string content = "<tr><td style=\"padding:24px 32px 0;\">";
  if (detail.section) {
    content += fmt::format(
        "<p style=\"margin:0 0 8px;font:bold 12px {};letter-spacing:1px;text-transform:uppercase;"
        "color:#8a1c1c;\">{}</p>",
        kSans, EscapeHtml(detail.section->name));
  }
  content += fmt::format(
      "<h1 style=\"margin:0 0 12px;font:bold 28px/1.25 {};\"><a href=\"{}\" style=\"color:#1a1a1a;"
      "text-decoration:none;\">{}</a></h1>",
      kSerif, url, EscapeHtml(post.title));
  if (!post.dek.empty()) {
    content += fmt::format("<p style=\"margin:0 0 12px;font:18px/1.5 {};color:#444444;\">{}</p>",
                           kSerif, EscapeHtml(post.dek));
  }
  content += fmt::format("<p style=\"margin:0 0 16px;font:14px {};color:#666666;\">{}</p>", kSans,
                         EscapeHtml(Byline(detail, publication)));
  content += "</td></tr>\n";
  if (!post.image.url.empty()) {
    const std::string image =
        post.image.url.starts_with("/") ? base + post.image.url : post.image.url;
    content += fmt::format(
        "<tr><td><img src=\"{}\" alt=\"{}\" width=\"600\" style=\"display:block;width:100%;"
        "max-width:600px;height:auto;border:0;\">",
        EscapeHtml(image), EscapeHtml(post.image.alt));
    const std::string words = post.image.caption + " " + post.image.credit;
    if (const std::string caption(Trim(words)); !caption.empty()) {
      content +=
          fmt::format("<p style=\"margin:4px 32px 0;font:12px/1.4 {};color:#666666;\">{}</p>",
                      kSans, EscapeHtml(caption));
    }
    content += "</td></tr>\n";
  }
  content += fmt::format("<tr><td style=\"padding:16px 32px;font:17px/1.6 {};\">{}</td></tr>\n",
                         kSerif, AbsoluteLinks(post.body_html, base));
  if (!disclaimer.empty()) {
    content += fmt::format(
        "<tr><td style=\"padding:0 32px 16px;font:italic 14px/1.5 "
        "{};color:#555555;\">{}</td></tr>\n",
        kSerif, EscapeHtml(disclaimer));
  }
  content += fmt::format(
      "<tr><td style=\"padding:0 32px 24px;\"><a href=\"{}\" style=\"display:inline-block;"
      "padding:10px 18px;background:{};color:#ffffff;font:bold 14px {};"
      "text-decoration:none;\">Read it on {}</a></td></tr>\n",
      url, Accent(publication), kSans, EscapeHtml(publication.title));

  NewsletterSend send;
  send.post_id = post.id;
  send.subject = post.title;
  send.html = Frame(publication, post.title, content, links);
  send.text = publication.title + "\n\n";
  if (detail.section) send.text += detail.section->name + "\n";
  send.text += post.title + "\n";
  if (!post.dek.empty()) send.text += post.dek + "\n";
  send.text += Byline(detail, publication) + "\n\n" + post.body_markdown + "\n\n";
  if (!disclaimer.empty()) send.text += disclaimer + "\n\n";
  send.text += "Read it on the site: " + url + "\n" + TextFooter(publication);
  return send;
}

NewsletterSend ComposeDigest(const std::vector<PostDetail>& posts, const Publication& publication,
                             const std::string& title, const MailLinks& links) {
  const std::string base = PublicBaseUrl(publication);
  std::string content = fmt::format(
      "<tr><td style=\"padding:24px 32px 8px;\"><h1 style=\"margin:0;font:bold 26px/1.25 {};\">"
      "{}</h1></td></tr>\n",
      kSerif, EscapeHtml(title));
  std::string text = publication.title + "\n\n" + title + "\n\n";
  for (const PostDetail& detail : posts) {
    const std::string url = base + "/" + detail.post.slug + "/";
    content += fmt::format(
        "<tr><td style=\"padding:12px 32px;border-bottom:1px solid #eeeeee;\">"
        "<h2 style=\"margin:0 0 6px;font:bold 20px/1.3 {};\"><a href=\"{}\" style=\"color:#1a1a1a;"
        "text-decoration:none;\">{}</a></h2><p style=\"margin:0 0 6px;font:16px/1.5 {};"
        "color:#444444;\">{}</p><p style=\"margin:0;font:13px "
        "{};color:#666666;\">{}</p></td></tr>\n",
        kSerif, url, EscapeHtml(detail.post.title), kSerif, EscapeHtml(detail.post.dek), kSans,
        EscapeHtml(Byline(detail, publication)));
    text += detail.post.title + "\n";
    if (!detail.post.dek.empty()) text += detail.post.dek + "\n";
    text += Byline(detail, publication) + "\n" + url + "\n\n";
  }
  NewsletterSend send;
  send.subject = title;
  send.html = Frame(publication, title, content, links);
  send.text = text + TextFooter(publication);
  return send;
}

Result<NewsletterSend> WeeklyDigest(Store& store, const Publication& publication, Timestamp now,
                                    const MailLinks& links) {
  PostQuery query;
  query.now = now;
  query.limit = 50;
  auto posts = store.ListPublishedPosts(query);
  if (!posts) return tl::unexpected(posts.error());
  std::erase_if(*posts, [&](const PostDetail& detail) {
    return detail.post.published_at.value_or(0) < now - 7 * 86400;
  });
  if (posts->empty())
    return Fail(ErrorCode::kInvalidArgument, "Nothing was published in the last seven days.");
  return ComposeDigest(*posts, publication, "This week in " + publication.title, links);
}

}  // namespace broadsheet::newsletter
