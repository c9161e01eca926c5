// Readers' comments, their threads and the spam filter's word counts.
#include <algorithm>

#include "storage/dialect.h"
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::comments {
namespace {

constexpr const char* kColumns =
    "SELECT c.id, c.post_id, c.parent_id, c.status, c.author_name, c.author_email, c.author_url, "
    "c.body_markdown, c.body_html, c.client_hash, c.user_id, c.created_at, p.slug, c.reason, "
    "p.title FROM comments c JOIN posts p ON p.id = c.post_id ";

Comment CommentRow(const Row& row) {
  Comment comment;
  comment.id = row.Int(0);
  comment.post_id = row.Int(1);
  comment.parent_id = row.OptionalInt(2);
  comment.status = ParseCommentStatus(row.Text(3)).value_or(CommentStatus::kPending);
  comment.author_name = row.Text(4);
  comment.author_email = row.Text(5);
  comment.author_url = row.Text(6);
  comment.body_markdown = row.Text(7);
  comment.body_html = row.Text(8);
  comment.client_hash = row.Text(9);
  comment.user_id = row.OptionalInt(10);
  comment.created_at = row.Int(11);
  comment.post_slug = row.Text(12);
  comment.reason = row.Text(13);
  comment.post_title = row.Text(14);
  return comment;
}

// The ids of a post's thread roots, newest first: approved comments whose parent is not shown.
// Takes the post's id as its one parameter.
constexpr const char* kThreadRoots =
    "SELECT c.id FROM comments c WHERE c.post_id = ? AND c.status = 'approved' AND "
    "(c.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM comments r WHERE r.id = c.parent_id AND "
    "r.status = 'approved')) ORDER BY c.id DESC";

// One statement's text for each dialect, made once by `make`.
template <typename Make>
const std::string& ForDialect(Dialect dialect, Make make) {
  static const std::string sqlite = make(Dialect::kSqlite), postgres = make(Dialect::kPostgres);
  return dialect == Dialect::kSqlite ? sqlite : postgres;
}

// An UPDATE of one comment: kNotFound when it changed no row.
Result<void> UpdatedComment(const Result<std::int64_t>& changed, std::int64_t id) {
  if (!changed) return tl::unexpected(changed.error());
  if (*changed == 0) return Fail(ErrorCode::kNotFound, "no comment " + std::to_string(id));
  return {};
}

}  // namespace

Result<std::int64_t> Create(Connection& c, const Comment& comment) {
  auto id = c.Integer(
      "INSERT INTO comments(post_id, parent_id, status, author_name, author_email, author_url, "
      "body_markdown, body_html, client_hash, user_id, created_at, reason) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      comment.post_id, comment.parent_id, CommentStatusName(comment.status), comment.author_name,
      comment.author_email, comment.author_url, comment.body_markdown, comment.body_html,
      comment.client_hash, comment.user_id, comment.created_at ? comment.created_at : Now(),
      comment.reason);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kInternal, "the new comment has no id");
  return **id;
}

Result<std::int64_t> SaveImported(Connection& c, const Comment& comment) {
  const std::string_view status = CommentStatusName(comment.status);
  auto id =
      comment.id == 0
          ? c.Integer(
                "INSERT INTO comments(post_id, parent_id, status, author_name, author_email, "
                "author_url, body_markdown, body_html, created_at, user_id, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                comment.post_id, comment.parent_id, status, comment.author_name,
                comment.author_email, comment.author_url, comment.body_markdown, comment.body_html,
                comment.created_at, comment.user_id, comment.reason)
          : c.Integer(
                "UPDATE comments SET post_id = ?, parent_id = ?, status = ?, author_name = ?, "
                "author_email = ?, author_url = ?, body_markdown = ?, body_html = ?, "
                "created_at = ?, user_id = ?, reason = ? WHERE id = ? RETURNING id",
                comment.post_id, comment.parent_id, status, comment.author_name,
                comment.author_email, comment.author_url, comment.body_markdown, comment.body_html,
                comment.created_at, comment.user_id, comment.reason, comment.id);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kNotFound, "no such comment");
  return **id;
}

Result<std::optional<Comment>> Find(Connection& c, std::int64_t id) {
  return c.One(std::string(kColumns) + "WHERE c.id = ?", CommentRow, id);
}

Result<std::vector<Comment>> OfPost(Connection& c, std::int64_t post_id) {
  return c.All(std::string(kColumns) + "WHERE c.post_id = ? ORDER BY c.created_at, c.id",
               CommentRow, post_id);
}

Result<std::vector<Comment>> Approved(Connection& c, std::int64_t post_id, int limit) {
  // The newest ones through comments_by_post, then oldest first.
  static const std::string newest = std::string("SELECT * FROM (") + kColumns +
                                    "WHERE c.post_id = ? AND c.status = 'approved' ORDER BY "
                                    "c.id DESC LIMIT ?) newest ORDER BY 1";
  static const std::string all =
      std::string(kColumns) + "WHERE c.post_id = ? AND c.status = 'approved' ORDER BY c.id";
  if (limit > 0) return c.All(newest, CommentRow, post_id, limit);
  return c.All(all, CommentRow, post_id);
}

Result<std::vector<Comment>> Threads(Connection& c, std::int64_t post_id, int skip, int limit) {
  static const std::string sql =
      std::string("WITH RECURSIVE roots(id) AS (") + kThreadRoots +
      " LIMIT ? OFFSET ?), thread(id) AS (SELECT id FROM roots UNION ALL SELECT c.id FROM "
      "comments c JOIN thread t ON c.parent_id = t.id WHERE c.status = 'approved') " +
      kColumns + "WHERE c.id IN (SELECT id FROM thread) ORDER BY c.created_at, c.id";
  return c.All(sql, CommentRow, post_id, limit, std::max(0, skip));
}

Result<bool> HasThreadsAfter(Connection& c, std::int64_t post_id, std::int64_t count) {
  static const std::string sql =
      std::string("SELECT count(*) FROM (") + kThreadRoots + " LIMIT 1 OFFSET ?) later";
  auto found = c.Integer(sql, post_id, std::max<std::int64_t>(0, count));
  if (!found) return tl::unexpected(found.error());
  return found->value_or(0) > 0;
}

Result<std::optional<int>> ThreadIndex(Connection& c, std::int64_t post_id, std::int64_t id) {
  // The thread's root: up through approved parents (a reply whose parent is not shown heads a
  // thread of its own); then the roots newer than it, counted through comments_by_post.
  static const std::string sql =
      "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM comments WHERE "
      "id = ? AND post_id = ? AND status = 'approved' UNION ALL SELECT c.id, c.parent_id, "
      "up.depth + 1 FROM comments c JOIN up ON c.id = up.parent_id WHERE c.status = 'approved' "
      "AND up.depth < 10000), root(id) AS (SELECT id FROM up ORDER BY depth DESC LIMIT 1) "
      "SELECT (SELECT count(*) FROM (" +
      std::string(kThreadRoots) + ") r WHERE r.id > root.id) FROM root";
  auto found = c.Integer(sql, id, post_id, post_id);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return std::optional<int>();
  return std::optional<int>(static_cast<int>(**found));
}

Result<std::vector<Comment>> List(Connection& c, std::optional<CommentStatus> status, int limit,
                                  const std::string& text) {
  const auto pattern = dialect::LikeContaining(text);
  std::vector<Value> params;
  std::string sql = kColumns;
  if (status) {
    sql += "WHERE c.status = ?";
    params.emplace_back(CommentStatusName(*status));
  } else {
    sql += "WHERE c.status <> 'trash'";
  }
  if (pattern) {
    const std::string like =
        std::string(" ") + dialect::LikeAnyCase(c.dialect()) + " ? ESCAPE '\\'";
    sql += " AND (c.body_markdown" + like + " OR c.author_name" + like + " OR c.author_email" +
           like + ")";
    params.insert(params.end(), 3, Value(*pattern));
  }
  sql += " ORDER BY c.id DESC LIMIT ?";
  params.emplace_back(limit);
  std::vector<Comment> comments;
  auto done = c.Run(sql, params, [&](const Row& row) -> Result<void> {
    comments.push_back(CommentRow(row));
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return comments;
}

Result<void> SetStatus(Connection& c, std::int64_t id, CommentStatus status) {
  return UpdatedComment(
      c.Exec("UPDATE comments SET status = ? WHERE id = ?", CommentStatusName(status), id), id);
}

Result<void> Update(Connection& c, const Comment& comment) {
  return UpdatedComment(
      c.Exec("UPDATE comments SET author_name = ?, author_email = ?, author_url = ?, "
             "body_markdown = ?, body_html = ? WHERE id = ?",
             comment.author_name, comment.author_email, comment.author_url, comment.body_markdown,
             comment.body_html, comment.id),
      comment.id);
}

Result<std::vector<Comment>> ByEmail(Connection& c, const std::string& email) {
  const std::string& sql = ForDialect(c.dialect(), [](Dialect d) {
    return kColumns + ("WHERE " + dialect::SameAddress(d, "c.author_email")) + " ORDER BY c.id";
  });
  return c.All(sql, CommentRow, email);
}

Result<int> EraseByEmail(Connection& c, const std::string& email) {
  const Dialect d = c.dialect();
  // Comments with replies keep their place in the thread, emptied; the others go.
  auto emptied = c.Exec(
      "UPDATE comments SET author_name = 'Anonymous', author_email = '', author_url = '', "
      "body_markdown = '', body_html = ?, client_hash = '' WHERE " +
          dialect::SameAddress(d, "author_email") +
          " AND EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = comments.id)",
      "<p><em>This comment was removed at its author\u2019s request.</em></p>", email);
  if (!emptied) return tl::unexpected(emptied.error());
  auto removed =
      c.Exec("DELETE FROM comments WHERE " + dialect::SameAddress(d, "author_email"), email);
  if (!removed) return tl::unexpected(removed.error());
  // The record of mail sent to the address (the privacy link itself) goes too.
  auto mail = c.Exec("DELETE FROM mail_outbox WHERE " + dialect::SameAddress(d, "recipient") +
                         " AND status <> 'queued'",
                     email);
  if (!mail) return tl::unexpected(mail.error());
  return static_cast<int>(*emptied + *removed);
}

Result<int> ForgetClients(Connection& c, Timestamp before) {
  auto changed = c.Exec(
      "UPDATE comments SET client_hash = '' WHERE created_at < ? AND client_hash <> ''", before);
  if (!changed) return tl::unexpected(changed.error());
  return static_cast<int>(*changed);
}

Result<void> Learn(Connection& c, std::int64_t id, bool spam,
                   const std::vector<std::string>& words) {
  const std::string label = spam ? "spam" : "ham";
  auto found = c.One(
      "SELECT learned FROM comments WHERE id = ?", [](const Row& row) { return row.Text(0); }, id);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return Fail(ErrorCode::kNotFound, "no comment " + std::to_string(id));
  const std::string before = **found;
  if (before == label) return {};
  // The row for the word '' counts comments; each word counts once per comment.
  std::vector<std::string> counted(words);
  counted.push_back("");
  std::sort(counted.begin(), counted.end());
  counted.erase(std::unique(counted.begin(), counted.end()), counted.end());
  const std::string& add = ForDialect(c.dialect(), [](Dialect d) {
    const std::string greatest = dialect::Greatest(d);
    return "INSERT INTO spam_words(word, spam, ham) VALUES (?, ?, ?) ON CONFLICT(word) DO "
           "UPDATE SET spam = " +
           greatest + "(0, spam_words.spam + excluded.spam), ham = " + greatest +
           "(0, spam_words.ham + excluded.ham)";
  });
  const int spam_change = (spam ? 1 : 0) - (before == "spam" ? 1 : 0);
  const int ham_change = (spam ? 0 : 1) - (before == "ham" ? 1 : 0);
  for (const std::string& word : counted) {
    if (auto added = c.Exec(add, word, spam_change, ham_change); !added)
      return tl::unexpected(added.error());
  }
  return Done(c.Exec("UPDATE comments SET learned = ? WHERE id = ?", label, id));
}

Result<SpamCounts> CountSpamWords(Connection& c, const std::vector<std::string>& words) {
  // The row for '' holds the totals, so the list is never empty: one query.
  std::vector<std::string> asked{""};
  asked.insert(asked.end(), words.begin(), words.end());
  std::vector<Value> params;
  const std::string sql =
      "SELECT word, spam, ham FROM spam_words WHERE word IN (" + InList(asked, params) + ")";
  SpamCounts counts;
  auto done = c.Run(sql, params, [&](const Row& row) -> Result<void> {
    const std::string word = row.Text(0);
    const std::pair<int, int> seen{static_cast<int>(row.Int(1)), static_cast<int>(row.Int(2))};
    if (word.empty()) {
      counts.spam_comments = seen.first;
      counts.ham_comments = seen.second;
    } else if (seen.first || seen.second) {
      counts.words.emplace(word, seen);
    }
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return counts;
}

Result<int> CountRecent(Connection& c, const std::string& email, const std::string& client_hash,
                        Timestamp since) {
  auto by_email = [](Dialect d) {
    return "SELECT id FROM comments WHERE " + dialect::SameAddress(d, "author_email") +
           " AND created_at >= ?";
  };
  const std::string& only_email = ForDialect(
      c.dialect(), [&](Dialect d) { return "SELECT count(*) FROM (" + by_email(d) + ") recent"; });
  // A comment counts once, whether it matches by address, by client or by both.
  const std::string& either = ForDialect(c.dialect(), [&](Dialect d) {
    return "SELECT count(*) FROM (" + by_email(d) +
           " UNION SELECT id FROM comments WHERE client_hash = ? AND created_at >= ?) recent";
  });
  auto counted = client_hash.empty() ? c.Integer(only_email, email, since)
                                     : c.Integer(either, email, since, client_hash, since);
  if (!counted) return tl::unexpected(counted.error());
  return static_cast<int>(counted->value_or(0));
}

Result<bool> HasDuplicate(Connection& c, std::int64_t post_id, const std::string& email,
                          const std::string& body) {
  // The prefix lets comments_by_post_email_text find the candidates.
  const std::string& sql = ForDialect(c.dialect(), [](Dialect d) {
    return "SELECT 1 FROM comments WHERE post_id = ? AND " +
           dialect::SameAddress(d, "author_email") +
           " AND substr(body_markdown, 1, 64) = substr(?, 1, 64) AND body_markdown = ? LIMIT 1";
  });
  auto found = c.Integer(sql, post_id, email, body, body);
  if (!found) return tl::unexpected(found.error());
  return found->has_value();
}

Result<int> CountApproved(Connection& c, std::int64_t post_id) {
  auto found = c.Integer("SELECT approved FROM comment_counts WHERE post_id = ?", post_id);
  if (!found) return tl::unexpected(found.error());
  return static_cast<int>(found->value_or(0));
}

Result<int> CountWithStatus(Connection& c, CommentStatus status) {
  auto counted =
      c.Integer("SELECT count(*) FROM comments WHERE status = ?", CommentStatusName(status));
  if (!counted) return tl::unexpected(counted.error());
  return static_cast<int>(counted->value_or(0));
}

Result<bool> HasApprovedFrom(Connection& c, const std::string& email) {
  const std::string& sql = ForDialect(c.dialect(), [](Dialect d) {
    return "SELECT 1 FROM comments WHERE " + dialect::SameAddress(d, "author_email") +
           " AND status = 'approved' LIMIT 1";
  });
  auto found = c.Integer(sql, email);
  if (!found) return tl::unexpected(found.error());
  return found->has_value();
}

Result<void> NoteHeld(Connection& c, std::int64_t comment_id) {
  return Done(c.Exec("INSERT INTO digest_comments(comment_id) VALUES (?) ON CONFLICT DO NOTHING",
                     comment_id));
}

Result<std::optional<ModeratorDigest>> ClaimDigest(Connection& c, Timestamp now, Timestamp interval,
                                                   int listed) {
  // A write transaction: of two claims, SQLite runs one after the other; on PostgreSQL the
  // second fails to serialise and, run again, finds the digest sent.
  auto sent = c.Integer("SELECT sent_at FROM digests_sent WHERE name = 'moderators'");
  if (!sent) return tl::unexpected(sent.error());
  if (*sent && now - **sent < interval) return std::optional<ModeratorDigest>();
  auto total = c.Integer("SELECT count(*) FROM digest_comments");
  if (!total) return tl::unexpected(total.error());
  if (total->value_or(0) == 0) return std::optional<ModeratorDigest>();
  ModeratorDigest digest;
  digest.total = static_cast<int>(total->value_or(0));
  auto comments = c.All(
      "SELECT c.id, p.title, c.author_name, c.author_email, c.author_url, c.body_markdown, "
      "c.reason FROM digest_comments d JOIN comments c ON c.id = d.comment_id "
      "JOIN posts p ON p.id = c.post_id ORDER BY d.comment_id LIMIT ?",
      [](const Row& row) {
        return DigestComment{row.Int(0),  row.Text(1), row.Text(2), row.Text(3),
                             row.Text(4), row.Text(5), row.Text(6)};
      },
      listed);
  if (!comments) return tl::unexpected(comments.error());
  digest.listed = std::move(*comments);
  // Exactly the rows counted: the transaction's snapshot (PostgreSQL) or the write lock
  // (SQLite) keeps out comments held meanwhile, which wait for the next digest.
  if (auto taken = Done(c.Exec("DELETE FROM digest_comments")); !taken)
    return tl::unexpected(taken.error());
  if (auto stamped = Done(c.Exec("INSERT INTO digests_sent(name, sent_at) VALUES ('moderators', ?) "
                                 "ON CONFLICT(name) DO UPDATE SET sent_at = excluded.sent_at",
                                 now));
      !stamped) {
    return tl::unexpected(stamped.error());
  }
  return std::optional<ModeratorDigest>(std::move(digest));
}

}  // namespace broadsheet::storage::comments
