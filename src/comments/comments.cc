#include "comments/comments.h"

#include <charconv>

#include "auth/accounts.h"
#include "auth/crypto.h"
#include "core/text.h"
#include "markdown/markdown.h"

namespace broadsheet::comments {
namespace {

// The reader's text with '&', '<' and '>' as entities, so raw HTML shows as what was typed.
std::string EscapeMarkup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

bool SafeLink(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://") || url.starts_with("mailto:");
}

}  // namespace

Result<std::string> RenderBody(std::string_view text) {
  markdown::Options options;
  options.allow_html = false;
  options.rewrite_url = [](std::string_view url, bool is_image) -> std::string {
    if (is_image || !SafeLink(url)) return "";  // readers' images and other schemes are dropped
    return std::string(url);
  };
  auto html = markdown::ToHtml(EscapeMarkup(text), options);
  if (!html) return html;
  // Raw HTML is escaped above, so every anchor here is one the Markdown renderer made.
  std::string out;
  size_t position = 0, found;
  while ((found = html->find("<a href=\"", position)) != std::string::npos) {
    out.append(*html, position, found - position);
    out += "<a rel=\"nofollow ugc noopener\" href=\"";
    position = found + 9;
  }
  out.append(*html, position);
  // An image with its address removed would be an empty <img>: show its text instead.
  size_t image;
  while ((image = out.find("<img src=\"\"")) != std::string::npos) {
    const auto end = out.find("/>", image);
    const auto alt_at = out.find("alt=\"", image);
    std::string alt = alt_at != std::string::npos && alt_at < end
                          ? out.substr(alt_at + 5, out.find('"', alt_at + 5) - alt_at - 5)
                          : "";
    out.replace(image, end == std::string::npos ? out.size() - image : end + 2 - image, alt);
  }
  return out;
}

Result<Comments::Rules> Comments::CurrentRules() const {
  Rules rules = rules_;
  auto mode = store_.DeskSetting("comment_moderation");
  if (!mode) return tl::unexpected(mode.error());
  if (*mode == "hold-all") rules.moderation = Moderation::kHoldAll;
  if (*mode == "hold-first") rules.moderation = Moderation::kHoldFirst;
  if (*mode == "hold-none") rules.moderation = Moderation::kHoldNone;
  auto days = store_.DeskSetting("comments_close_after_days");
  if (!days) return tl::unexpected(days.error());
  if (*days) {
    int value = 0;
    std::from_chars((*days)->data(), (*days)->data() + (*days)->size(), value);
    rules.close_after_days = std::max(0, value);
  }
  return rules;
}

bool Comments::Open(const Post& post, const Rules& rules, Timestamp now) {
  if (post.status != PostStatus::kPublished || !post.comments_open) return false;
  if (rules.close_after_days <= 0 || !post.published_at) return true;
  return now < *post.published_at + static_cast<Timestamp>(rules.close_after_days) * 86400;
}

Result<Outcome> Comments::Submit(const Post& post, const Submission& submission,
                                 Timestamp now) const {
  auto current = CurrentRules();
  if (!current) return tl::unexpected(current.error());
  const Rules& rules = *current;
  if (!Open(post, rules, now)) {
    return Fail(ErrorCode::kInvalidArgument, "Comments on this article are closed.");
  }
  const std::string name(Trim(submission.name));
  const std::string email(Trim(submission.email));
  const std::string body(Trim(submission.body));
  for (const std::string* text : {&name, &email, &body, &submission.website}) {
    if (!IsValidUtf8(*text))
      return Fail(ErrorCode::kInvalidArgument, "The comment contains text that is not valid.");
  }
  if (name.empty()) return Fail(ErrorCode::kInvalidArgument, "Please give your name.");
  if (name.size() > 100)
    return Fail(ErrorCode::kInvalidArgument, "Your name is longer than 100 characters.");
  if (auto checked = auth::CheckEmail(email); !checked) {
    return Fail(ErrorCode::kInvalidArgument,
                "Please give a valid e-mail address; it is never published.");
  }
  if (body.empty()) return Fail(ErrorCode::kInvalidArgument, "The comment is empty.");
  if (body.size() > kMaxBodyBytes) {
    return Fail(ErrorCode::kInvalidArgument, "The comment is longer than 10,000 characters.");
  }
  std::string website(Trim(submission.website));
  if (!(website.starts_with("http://") || website.starts_with("https://")) ||
      website.size() > 200 || website.find_first_of(" \"<>") != std::string::npos) {
    website.clear();  // a javascript:, data: or malformed address is dropped; the comment stays
  }
  Comment comment;
  comment.post_id = post.id;
  if (!submission.parent.empty() && submission.parent != "0") {
    std::int64_t parent_id = 0;
    const auto [end, error] = std::from_chars(
        submission.parent.data(), submission.parent.data() + submission.parent.size(), parent_id);
    auto parent = error == std::errc() ? store_.FindComment(parent_id)
                                       : Result<std::optional<Comment>>(std::nullopt);
    if (!parent) return tl::unexpected(parent.error());
    if (!*parent || (*parent)->post_id != post.id ||
        (*parent)->status != CommentStatus::kApproved) {
      return Fail(ErrorCode::kInvalidArgument,
                  "The comment you are replying to is not on this article.");
    }
    comment.parent_id = parent_id;
  }
  auto html = RenderBody(body);
  if (!html) return Fail(ErrorCode::kInvalidArgument, "The comment could not be read.");
  comment.author_name = name;
  comment.author_email = email;
  comment.author_url = website;
  comment.body_markdown = body;
  comment.body_html = std::move(*html);
  comment.user_id = submission.staff_user_id;
  comment.created_at = now;
  auto key = store_.Secret("comment-key", [] { return auth::RandomToken(); });
  if (!key) return tl::unexpected(key.error());
  comment.client_hash = auth::Sign(*key, "client:" + submission.client_ip);

  auto duplicate = store_.HasDuplicateComment(post.id, email, body);
  if (!duplicate) return tl::unexpected(duplicate.error());
  auto recent = store_.CountRecentComments(email, comment.client_hash, now - rules.rate_window);
  if (!recent) return tl::unexpected(recent.error());
  int links = 0;
  for (size_t at = comment.body_html.find("<a "); at != std::string::npos;
       at = comment.body_html.find("<a ", at + 3)) {
    ++links;
  }

  if (!submission.honeypot.empty() || *duplicate) {
    comment.status = CommentStatus::kSpam;
  } else if (submission.staff_user_id) {
    comment.status = CommentStatus::kApproved;
  } else if (links > rules.max_links || *recent >= rules.rate_limit) {
    comment.status = CommentStatus::kPending;
  } else if (rules.moderation == Moderation::kHoldNone) {
    comment.status = CommentStatus::kApproved;
  } else if (rules.moderation == Moderation::kHoldAll) {
    comment.status = CommentStatus::kPending;
  } else {
    auto approved = store_.CountApprovedCommentsFrom(email);
    if (!approved) return tl::unexpected(approved.error());
    comment.status = *approved > 0 ? CommentStatus::kApproved : CommentStatus::kPending;
  }
  auto id = store_.CreateComment(comment);
  if (!id) return tl::unexpected(id.error());
  return Outcome{*id, comment.status};
}

}  // namespace broadsheet::comments
