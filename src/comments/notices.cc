#include "comments/notices.h"

#include <set>

#include <fmt/format.h>

#include "auth/roles.h"
#include "core/text.h"

namespace broadsheet::comments {

Result<int> QueueNotices(Store& store, mail::Outbox& outbox, const Publication& publication,
                         const Rules& rules, std::int64_t post_id, const Comment& comment) {
  if (!outbox.configured() || comment.status == CommentStatus::kSpam ||
      comment.status == CommentStatus::kTrash) {
    return 0;
  }
  const bool waiting = comment.status == CommentStatus::kPending;
  if (waiting ? !rules.notify_moderators : !rules.notify_authors) return 0;
  auto post = store.FindPostById(post_id);
  if (!post) return tl::unexpected(post.error());
  if (!*post) return 0;

  std::set<std::string> recipients;
  if (waiting) {
    auto users = store.ListUsers();
    if (!users) return tl::unexpected(users.error());
    for (const User& user : *users) {
      const auto role = auth::ParseRole(user.role);
      if (!user.disabled && role && auth::Can(*role, auth::Action::kModerateComments))
        recipients.insert(LowerAscii(user.email));
    }
  } else {
    for (const Author& author : (*post)->authors) {
      if (!author.email.empty()) recipients.insert(LowerAscii(author.email));
    }
  }
  recipients.erase(LowerAscii(comment.author_email));  // nobody hears of their own comment
  if (recipients.empty()) return 0;

  const std::string base = PublicBaseUrl(publication);
  const std::string& title = (*post)->post.title;
  mail::Message message;
  message.subject =
      waiting ? fmt::format("[{}] Comment awaiting moderation: \u201c{}\u201d", publication.title,
                            title)
              : fmt::format("[{}] New comment on \u201c{}\u201d", publication.title, title);
  std::string text = fmt::format("{} wrote on \u201c{}\u201d:\n\n{}\n\n", comment.author_name,
                                 title, comment.body_markdown);
  text += fmt::format("E-mail: {}\n", comment.author_email);
  if (!comment.author_url.empty()) text += fmt::format("Website: {}\n", comment.author_url);
  if (waiting) {
    if (!comment.reason.empty()) text += fmt::format("Held because: {}\n", comment.reason);
    text +=
        fmt::format("\nApprove, edit or mark it as spam: {}/admin/comments?status=pending\n", base);
  } else {
    text += fmt::format("\nRead it: {}/{}/#comment-{}\n", base, (*post)->post.slug, comment.id);
  }
  message.text = std::move(text);
  for (const std::string& to : recipients) {
    message.to = to;
    outbox.Queue(message);
  }
  return static_cast<int>(recipients.size());
}

}  // namespace broadsheet::comments
