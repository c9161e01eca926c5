#include "comments/notices.h"

#include <set>

#include <fmt/format.h>

#include "auth/roles.h"
#include "core/text.h"

namespace broadsheet::comments {
namespace {

constexpr size_t kQuotedBytes = 1000;  // of each held comment's text in a digest

}  // namespace

Result<int> Notices::Comment(const Publication& publication, const Rules& rules,
                             std::int64_t post_id, const broadsheet::Comment& comment,
                             Timestamp now) {
  if (!outbox_.configured() || comment.status == CommentStatus::kSpam ||
      comment.status == CommentStatus::kTrash) {
    return 0;
  }
  const bool waiting = comment.status == CommentStatus::kPending;
  if (waiting ? !rules.notify_moderators : !rules.notify_authors) return 0;
  auto post = store_.FindPostById(post_id);
  if (!post) return tl::unexpected(post.error());
  if (!*post) return 0;
  const std::string& title = (*post)->post.title;

  if (waiting) {
    if (auto kept = store_.NoteHeldComment(comment.id); !kept) return tl::unexpected(kept.error());
    return Flush(publication, now);
  }

  std::set<std::string> recipients;
  for (const Author& author : (*post)->authors) {
    if (!author.email.empty()) recipients.insert(LowerAscii(author.email));
  }
  recipients.erase(LowerAscii(comment.author_email));  // nobody hears of their own comment
  if (recipients.empty()) return 0;
  mail::Message message;
  message.subject = fmt::format("[{}] New comment on \u201c{}\u201d", publication.title, title);
  std::string text = fmt::format("{} wrote on \u201c{}\u201d:\n\n{}\n\n", comment.author_name,
                                 title, comment.body_markdown);
  text += fmt::format("E-mail: {}\n", comment.author_email);
  if (!comment.author_url.empty()) text += fmt::format("Website: {}\n", comment.author_url);
  // The comment's permanent address, which finds its page however long the thread grows.
  text += fmt::format("\nRead it: {}/{}/comments/{}/\n", PublicBaseUrl(publication),
                      (*post)->post.slug, comment.id);
  message.text = std::move(text);
  for (const std::string& to : recipients) {
    message.to = to;
    if (auto queued = outbox_.Queue(message); !queued) return tl::unexpected(queued.error());
  }
  return static_cast<int>(recipients.size());
}

Result<int> Notices::Flush(const Publication& publication, Timestamp now) {
  // The digest is claimed and its mails queued in one transaction, so a failure between the two
  // (the database, the process) gives its comments back to the next digest instead of losing
  // them. Of nodes flushing together on PostgreSQL, the losers answer kBusy and run once more,
  // to find the digest sent (a read that changes nothing; a failure after that is logged by the
  // caller, and the comments wait for the next Flush).
  int sent = 0;
  Result<void> done;
  for (int attempt = 0; attempt < 2; ++attempt) {
    done = store_.InTransaction([&] { return QueueDigest(publication, now, sent); });
    if (done || done.error().code != ErrorCode::kBusy) break;
  }
  if (!done) return tl::unexpected(done.error());
  if (sent > 0) outbox_.Wake();  // its pass may have looked before the commit
  return sent;
}

Result<void> Notices::QueueDigest(const Publication& publication, Timestamp now, int& sent) {
  sent = 0;
  auto claimed = store_.ClaimModeratorDigest(now, interval_, static_cast<int>(kMaxListedInDigest));
  if (!claimed) return tl::unexpected(claimed.error());
  if (!*claimed || (*claimed)->listed.empty()) return {};
  const std::vector<DigestComment>& held = (*claimed)->listed;
  const int not_listed = (*claimed)->total - static_cast<int>(held.size());
  auto users = store_.ListUsers();
  if (!users) return tl::unexpected(users.error());
  std::set<std::string> recipients;
  for (const User& user : *users) {
    const auto role = auth::ParseRole(user.role);
    if (!user.disabled && role && auth::Can(*role, auth::Action::kModerateComments))
      recipients.insert(LowerAscii(user.email));
  }

  const size_t count = held.size() + static_cast<size_t>(not_listed);
  mail::Message message;
  message.subject =
      count == 1 ? fmt::format("[{}] Comment awaiting moderation: \u201c{}\u201d",
                               publication.title, held.front().post_title)
                 : fmt::format("[{}] {} comments awaiting moderation", publication.title, count);
  std::string text;
  for (const DigestComment& comment : held) {
    text += fmt::format("{} wrote on \u201c{}\u201d:\n\n{}\n\n", comment.author_name,
                        comment.post_title, Truncate(comment.text, kQuotedBytes));
    text += fmt::format("E-mail: {}\n", comment.author_email);
    if (!comment.author_url.empty()) text += fmt::format("Website: {}\n", comment.author_url);
    if (!comment.reason.empty()) text += fmt::format("Held because: {}\n", comment.reason);
    text += "\n";
  }
  if (not_listed > 0) text += fmt::format("… and {} more.\n\n", not_listed);
  text += fmt::format("Approve, edit or mark as spam: {}/admin/comments?status=pending\n",
                      PublicBaseUrl(publication));
  message.text = std::move(text);
  for (const std::string& to : recipients) {
    // Nobody hears of their own comment: a moderator whose comment is the only one kept.
    if (held.size() == 1 && not_listed == 0 && LowerAscii(held.front().author_email) == to)
      continue;
    message.to = to;
    if (auto queued = outbox_.Queue(message); !queued) return tl::unexpected(queued.error());
    ++sent;
  }
  return {};
}

}  // namespace broadsheet::comments
