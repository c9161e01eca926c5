// The media library and the mail outbox.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "storage/dialect.h"
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage {
namespace {

MediaItem MediaRow(const Row& row) {
  MediaItem item;
  item.id = row.Int(0);
  item.url = row.Text(1);
  item.width = static_cast<int>(row.Int(2));
  item.height = static_cast<int>(row.Int(3));
  item.mime = row.Text(4);
  item.bytes = row.Int(5);
  item.variants = row.Text(6);
  item.alt = row.Text(7);
  item.caption = row.Text(8);
  item.credit = row.Text(9);
  item.original_name = row.Text(10);
  item.uploaded_by = row.OptionalInt(11);
  item.created_at = row.Int(12);
  return item;
}

OutgoingMail MailRow(const Row& row) {
  OutgoingMail mail;
  mail.id = row.Int(0);
  mail.from = row.Text(1);
  mail.to = row.Text(2);
  mail.subject = row.Text(3);
  mail.text = row.Text(4);
  mail.html = row.Text(5);
  const auto headers = nlohmann::json::parse(row.Text(6), nullptr, false);
  if (headers.is_array()) {
    for (const auto& header : headers) {
      if (header.is_array() && header.size() == 2 && header[0].is_string() && header[1].is_string())
        mail.headers.emplace_back(header[0].get<std::string>(), header[1].get<std::string>());
    }
  }
  mail.return_path = row.Text(7);
  mail.attempts = static_cast<int>(row.Int(8));
  mail.created_at = row.Int(9);
  return mail;
}

}  // namespace

namespace media {

Result<std::int64_t> Create(Connection& c, const MediaItem& item) {
  auto id = c.Integer(
      "INSERT INTO media(url, width, height, mime, bytes, variants, alt, caption, credit, "
      "original_name, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "RETURNING id",
      item.url, item.width, item.height, item.mime, item.bytes, item.variants, item.alt,
      item.caption, item.credit, item.original_name, item.uploaded_by,
      item.created_at ? item.created_at : Now());
  if (!id) return tl::unexpected(id.error());
  return id->value_or(0);
}

Result<std::vector<MediaItem>> List(Connection& c, int limit, int offset) {
  return c.All(
      "SELECT id, url, width, height, mime, bytes, variants, alt, caption, credit, "
      "original_name, uploaded_by, created_at FROM media ORDER BY created_at DESC, id DESC "
      "LIMIT ? OFFSET ?",
      MediaRow, limit, offset);
}

Result<std::optional<MediaItem>> FindByUrl(Connection& c, const std::string& url) {
  return c.One(
      "SELECT id, url, width, height, mime, bytes, variants, alt, caption, credit, "
      "original_name, uploaded_by, created_at FROM media WHERE url = ?",
      MediaRow, url);
}

}  // namespace media

namespace outbox {

Result<std::int64_t> Queue(Connection& c, const OutgoingMail& mail) {
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : mail.headers) headers.push_back({name, value});
  const Timestamp at = mail.created_at ? mail.created_at : Now();
  auto id = c.Integer(
      "INSERT INTO mail_outbox(sender, recipient, subject, text_body, html_body, headers, "
      "return_path, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      mail.from, mail.to, mail.subject, mail.text, mail.html,
      headers.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), mail.return_path, at,
      at);
  if (!id) return tl::unexpected(id.error());
  return id->value_or(0);
}

Result<std::vector<OutgoingMail>> Due(Connection& c, Timestamp now, std::int64_t after, int limit) {
  return c.All(
      "SELECT id, sender, recipient, subject, text_body, html_body, headers, return_path, "
      "attempts, created_at FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= ? "
      "AND id > ? ORDER BY id LIMIT ?",
      MailRow, now, after, limit);
}

Result<void> Record(Connection& c, std::int64_t id, MailOutcome outcome, Timestamp at,
                    std::string_view error, const std::string& holder) {
  const std::string_view reason = dialect::Utf8Prefix(error, 500);
  auto recorded =
      outcome == MailOutcome::kRetry
          ? c.Exec(
                "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?, "
                "last_error = ?, claimed_by = '', claim_expires_at = 0 WHERE id = ? AND status = "
                "'queued' AND claimed_by = ?",
                at, reason, id, holder)
          : c.Exec(
                "UPDATE mail_outbox SET attempts = attempts + 1, status = ?, finished_at = ?, "
                "last_error = ?, text_body = '', html_body = '', headers = '[]', claimed_by = '', "
                "claim_expires_at = 0 WHERE id = ? AND status = 'queued'",
                outcome == MailOutcome::kSent ? "sent" : "failed", at, reason, id);
  if (!recorded) return tl::unexpected(recorded.error());
  return {};
}

Result<std::vector<OutgoingMail>> Claim(Connection& c, const ClaimTerms& terms, Timestamp due_by,
                                        std::int64_t after, int limit) {
  if (auto alive = leases::Heartbeat(c, terms); !alive) return tl::unexpected(alive.error());
  // The candidates, locked on PostgreSQL; claimed by the statements below, which test them
  // again in a newer snapshot (row_readers.h, SkipLocked).
  std::vector<Value> params = {due_by, after};
  const std::string pick =
      "SELECT m.id FROM mail_outbox m WHERE m.status = 'queued' AND m.next_attempt_at <= ? AND "
      "m.id > ? AND " +
      Unclaimed("m", terms, params) + " ORDER BY m.id LIMIT ?" + SkipLocked(c, "m");
  params.emplace_back(limit);
  std::vector<std::int64_t> picked;
  auto found = c.Run(pick, params, [&](const Row& row) -> Result<void> {
    picked.push_back(row.Int(0));
    return {};
  });
  if (!found) return tl::unexpected(found.error());
  std::vector<OutgoingMail> claimed;
  auto done = InRuns(picked, [&](const std::vector<std::int64_t>& run) -> Result<void> {
    std::vector<Value> claim = {terms.holder, terms.until};
    const std::string list = InList(run, claim);
    const std::string sql =
        "UPDATE mail_outbox AS m SET claimed_by = ?, claim_expires_at = ? WHERE m.id IN (" + list +
        ") AND m.status = 'queued' AND " + Unclaimed("m", terms, claim) +
        " RETURNING id, sender, recipient, subject, text_body, html_body, headers, return_path, "
        "attempts, created_at";
    auto ran = c.Run(sql, claim, [&](const Row& row) -> Result<void> {
      claimed.push_back(MailRow(row));
      return {};
    });
    if (!ran) return tl::unexpected(ran.error());
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  std::sort(claimed.begin(), claimed.end(),
            [](const OutgoingMail& a, const OutgoingMail& b) { return a.id < b.id; });
  return claimed;
}

Result<std::optional<Timestamp>> NextAttemptAt(Connection& c) {
  return c.Integer("SELECT min(next_attempt_at) FROM mail_outbox WHERE status = 'queued'");
}

Result<int> Prune(Connection& c, Timestamp before) {
  auto pruned =
      c.Exec("DELETE FROM mail_outbox WHERE status <> 'queued' AND finished_at < ?", before);
  if (!pruned) return tl::unexpected(pruned.error());
  return static_cast<int>(*pruned);
}

}  // namespace outbox

}  // namespace broadsheet::storage
