// Newsletter subscribers, issues and deliveries.
#include <set>

#include "core/text.h"
#include "storage/dialect.h"
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::newsletter {
namespace {

// The subscriber columns with the slugs of the sections they follow, for `dialect`.
const std::string& SubscriberColumns(Dialect dialect) {
  auto make = [](Dialect d) {
    // Slugs in the order the sections were made, as SQLite's key order gave them before.
    return "SELECT b.id, b.email, b.status, b.everything, b.created_at, b.consented_at, "
           "b.consent_source, b.unsubscribed_at, b.bounces, (SELECT " +
           dialect::JoinedText(d, "slug", "','", "made") +
           " FROM (SELECT s.slug AS slug, s.id AS made FROM subscriber_sections ss JOIN sections "
           "s ON s.id = ss.section_id WHERE ss.subscriber_id = b.id ORDER BY s.id) followed) "
           "FROM subscribers b ";
  };
  static const std::string sqlite = make(Dialect::kSqlite), postgres = make(Dialect::kPostgres);
  return dialect == Dialect::kSqlite ? sqlite : postgres;
}

Subscriber SubscriberRow(const Row& row) {
  Subscriber subscriber;
  subscriber.id = row.Int(0);
  subscriber.email = row.Text(1);
  subscriber.status = ParseSubscriberStatus(row.Text(2)).value_or(SubscriberStatus::kPending);
  subscriber.everything = row.Int(3) != 0;
  subscriber.created_at = row.Int(4);
  subscriber.consented_at = row.OptionalInt(5);
  subscriber.consent_source = row.Text(6);
  subscriber.unsubscribed_at = row.OptionalInt(7);
  subscriber.bounces = static_cast<int>(row.Int(8));
  subscriber.sections = SplitTrimmed(row.Text(9), ',');
  return subscriber;
}

constexpr const char* kSendColumns =
    "SELECT s.id, s.post_id, s.subject, s.segments, s.html, s.text, s.status, s.created_at, "
    "s.created_by, s.finished_at, (SELECT count(*) FROM newsletter_deliveries d WHERE d.send_id = "
    "s.id), (SELECT count(*) FROM newsletter_deliveries d WHERE d.send_id = s.id AND d.status = "
    "'sent'), (SELECT count(*) FROM newsletter_deliveries d WHERE d.send_id = s.id AND d.status = "
    "'failed'), (SELECT count(*) FROM newsletter_deliveries d WHERE d.send_id = s.id AND d.status "
    "= 'queued'), (SELECT min(sent_at) FROM newsletter_deliveries d WHERE d.send_id = s.id AND "
    "d.status = 'sent'), (SELECT max(sent_at) FROM newsletter_deliveries d WHERE d.send_id = "
    "s.id AND d.status = 'sent') FROM newsletter_sends s ";

NewsletterSend SendRow(const Row& row) {
  NewsletterSend send;
  send.id = row.Int(0);
  send.post_id = row.OptionalInt(1);
  send.subject = row.Text(2);
  send.segments = SplitTrimmed(row.Text(3), ' ');
  send.html = row.Text(4);
  send.text = row.Text(5);
  send.status = ParseSendStatus(row.Text(6)).value_or(SendStatus::kQueued);
  send.created_at = row.Int(7);
  send.created_by = row.OptionalInt(8);
  send.finished_at = row.OptionalInt(9);
  send.total = static_cast<int>(row.Int(10));
  send.sent = static_cast<int>(row.Int(11));
  send.failed = static_cast<int>(row.Int(12));
  send.remaining = static_cast<int>(row.Int(13));
  send.first_sent_at = row.OptionalInt(14);
  send.last_sent_at = row.OptionalInt(15);
  return send;
}

// "FROM subscribers b WHERE …" for the active subscribers an issue for `segments` goes to:
// everyone for none; else those taking every issue (for "everything") and those following a
// section named by a segment. The segments are appended to `params`.
std::string Recipients(const std::vector<std::string>& segments, std::vector<Value>& params) {
  std::string where = "FROM subscribers b WHERE b.status = 'active'";
  if (segments.empty()) return where;
  std::vector<std::string_view> sections;
  bool everything = false;
  for (const std::string& segment : segments) {
    // "everything" also names a section with that slug, as it always has.
    if (segment == "everything") everything = true;
    sections.push_back(segment);
  }
  std::vector<std::string> alternatives;
  if (everything) alternatives.push_back("b.everything = 1");
  if (!sections.empty()) {
    const std::string list = InList(sections, params);
    alternatives.push_back(
        "EXISTS (SELECT 1 FROM subscriber_sections ss JOIN sections s ON s.id = ss.section_id "
        "WHERE ss.subscriber_id = b.id AND s.slug IN (" +
        list + "))");
  }
  where += " AND (";
  for (size_t i = 0; i < alternatives.size(); ++i) where += (i ? " OR " : "") + alternatives[i];
  return where + ")";
}

}  // namespace

Result<std::int64_t> SaveSubscriber(Connection& c, const Subscriber& subscriber) {
  const std::string status(SubscriberStatusName(subscriber.status));
  const Timestamp created = subscriber.created_at ? subscriber.created_at : Now();
  // An identity column takes no explicit NULL in PostgreSQL: a new subscriber names no id.
  auto id =
      subscriber.id == 0
          ? c.Integer(
                "INSERT INTO subscribers(email, status, everything, created_at, "
                "consented_at, consent_source, unsubscribed_at, bounces) VALUES (?, ?, ?, ?, "
                "?, ?, ?, ?) RETURNING id",
                subscriber.email, status, subscriber.everything, created, subscriber.consented_at,
                subscriber.consent_source, subscriber.unsubscribed_at, subscriber.bounces)
          : c.Integer(
                "INSERT INTO subscribers(id, email, status, everything, created_at, "
                "consented_at, consent_source, unsubscribed_at, bounces) VALUES (?, ?, ?, ?, "
                "?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET email = excluded.email, status "
                "= excluded.status, everything = excluded.everything, consented_at = "
                "excluded.consented_at, consent_source = excluded.consent_source, "
                "unsubscribed_at = excluded.unsubscribed_at, bounces = excluded.bounces "
                "RETURNING id",
                subscriber.id, subscriber.email, status, subscriber.everything, created,
                subscriber.consented_at, subscriber.consent_source, subscriber.unsubscribed_at,
                subscriber.bounces);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kInternal, "saving a subscriber returned no id");
  const std::int64_t saved = **id;
  if (auto cleared = Done(c.Exec("DELETE FROM subscriber_sections WHERE subscriber_id = ?", saved));
      !cleared) {
    return tl::unexpected(cleared.error());
  }
  for (const std::string& slug : subscriber.sections) {
    if (auto added = Done(c.Exec(
            "INSERT INTO subscriber_sections(subscriber_id, section_id) SELECT CAST(? AS BIGINT), "
            "id FROM sections WHERE slug = ? ON CONFLICT DO NOTHING",
            saved, slug));
        !added) {
      return tl::unexpected(added.error());
    }
  }
  return saved;
}

Result<std::optional<Subscriber>> FindSubscriber(Connection& c, std::int64_t id) {
  return c.One(SubscriberColumns(c.dialect()) + "WHERE b.id = ?", SubscriberRow, id);
}

Result<std::optional<Subscriber>> FindSubscriberByEmail(Connection& c, const std::string& email) {
  return c.One(SubscriberColumns(c.dialect()) + "WHERE b.email = ?", SubscriberRow, email);
}

Result<void> DeleteSubscriber(Connection& c, std::int64_t id) {
  auto deleted = c.Exec("DELETE FROM subscribers WHERE id = ?", id);
  if (!deleted) return tl::unexpected(deleted.error());
  if (*deleted == 0) return Fail(ErrorCode::kNotFound, "no subscriber " + std::to_string(id));
  return {};
}

namespace {

constexpr const char* kSubscriberFilter =
    "WHERE (CAST(? AS TEXT) IS NULL OR b.status = ?) AND (CAST(? AS TEXT) IS NULL OR b.email "
    "LIKE ? ESCAPE '\\') ";

}  // namespace

Result<std::vector<Subscriber>> ListSubscribers(Connection& c, const SubscriberQuery& query) {
  std::optional<std::string> status;
  if (query.status) status = std::string(SubscriberStatusName(*query.status));
  const auto pattern = dialect::LikeContaining(query.text);
  return c.All(
      SubscriberColumns(c.dialect()) + kSubscriberFilter + "ORDER BY b.id DESC LIMIT ? OFFSET ?",
      SubscriberRow, status, status, pattern, pattern, query.limit, query.offset);
}

Result<int> CountSubscribers(Connection& c, const SubscriberQuery& query) {
  std::optional<std::string> status;
  if (query.status) status = std::string(SubscriberStatusName(*query.status));
  const auto pattern = dialect::LikeContaining(query.text);
  auto count = c.Integer(std::string("SELECT count(*) FROM subscribers b ") + kSubscriberFilter,
                         status, status, pattern, pattern);
  if (!count) return tl::unexpected(count.error());
  return static_cast<int>(count->value_or(0));
}

Result<std::vector<std::pair<Timestamp, int>>> SubscriberGrowth(Connection& c, Timestamp since) {
  return c.All(
      "SELECT (consented_at - ?) / 604800, count(*) FROM subscribers WHERE consented_at >= ? "
      "GROUP BY 1 ORDER BY 1",
      [&](const Row& row) {
        return std::pair<Timestamp, int>(since + row.Int(0) * 604800, static_cast<int>(row.Int(1)));
      },
      since, since);
}

Result<std::int64_t> QueueSend(Connection& c, const NewsletterSend& send) {
  std::string segments;
  for (const std::string& segment : send.segments)
    segments += (segments.empty() ? "" : " ") + segment;
  auto id = c.Integer(
      "INSERT INTO newsletter_sends(post_id, subject, segments, html, text, status, created_at, "
      "created_by) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING id",
      send.post_id, send.subject, segments, send.html, send.text,
      send.created_at ? send.created_at : Now(), send.created_by);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kInternal, "queueing the newsletter returned no id");
  std::vector<Value> params = {**id};
  const std::string sql =
      "INSERT INTO newsletter_deliveries(send_id, subscriber_id, status) SELECT CAST(? AS BIGINT), "
      "b.id, 'queued' " +
      Recipients(send.segments, params);
  if (auto queued = c.Run(sql, params, nullptr); !queued) return tl::unexpected(queued.error());
  return **id;
}

Result<int> CountRecipients(Connection& c, const std::vector<std::string>& segments) {
  std::vector<Value> params;
  const std::string sql = "SELECT count(*) " + Recipients(segments, params);
  int count = 0;
  auto done = c.Run(sql, params, [&](const Row& row) -> Result<void> {
    count = static_cast<int>(row.Int(0));
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return count;
}

Result<std::optional<NewsletterSend>> FindSend(Connection& c, std::int64_t id) {
  return c.One(std::string(kSendColumns) + "WHERE s.id = ?", SendRow, id);
}

Result<std::vector<NewsletterSend>> ListSends(Connection& c, int limit) {
  return c.All(std::string(kSendColumns) + "ORDER BY s.id DESC LIMIT ?", SendRow, limit);
}

Result<std::vector<Delivery>> DueDeliveries(Connection& c, Timestamp now, int limit) {
  return c.All(
      "SELECT d.send_id, d.subscriber_id, b.email, d.attempts FROM newsletter_deliveries d "
      "JOIN subscribers b ON b.id = d.subscriber_id JOIN newsletter_sends s ON s.id = d.send_id "
      "WHERE d.status = 'queued' AND d.next_attempt_at <= ? AND b.status = 'active' AND "
      "s.status IN ('queued', 'sending') ORDER BY d.next_attempt_at, d.send_id, d.subscriber_id "
      "LIMIT ?",
      [](const Row& row) {
        return Delivery{row.Int(0), row.Int(1), row.Text(2), static_cast<int>(row.Int(3))};
      },
      now, limit);
}

Result<std::vector<Delivery>> ClaimDeliveries(Connection& c, const ClaimTerms& terms, int limit) {
  if (auto alive = leases::Heartbeat(c, terms); !alive) return tl::unexpected(alive.error());
  // The candidates, locked on PostgreSQL; claimed by the statements below, which test them
  // again in a newer snapshot (row_readers.h, SkipLocked).
  std::vector<Value> params = {terms.now};
  const std::string pick =
      "SELECT d.send_id, d.subscriber_id FROM newsletter_deliveries d JOIN subscribers b ON b.id "
      "= d.subscriber_id JOIN newsletter_sends s ON s.id = d.send_id WHERE d.status = 'queued' "
      "AND d.next_attempt_at <= ? AND b.status = 'active' AND s.status IN ('queued', 'sending') "
      "AND " +
      Unclaimed("d", terms, params) +
      " ORDER BY d.next_attempt_at, d.send_id, d.subscriber_id LIMIT ?" + SkipLocked(c, "d");
  params.emplace_back(limit);
  std::vector<std::pair<std::int64_t, std::int64_t>> picked;
  auto found = c.Run(pick, params, [&](const Row& row) -> Result<void> {
    picked.emplace_back(row.Int(0), row.Int(1));
    return {};
  });
  if (!found) return tl::unexpected(found.error());
  if (picked.empty()) return std::vector<Delivery>();
  // Keys in runs of at most half kInListMost pairs, each padded to a power of two by repeating
  // its last pair (as InList pads), so that the statement's shapes are few.
  std::set<std::pair<std::int64_t, std::int64_t>> mine;
  constexpr size_t kRun = kInListMost / 2;
  for (size_t at = 0; at < picked.size(); at += kRun) {
    const size_t count = std::min(kRun, picked.size() - at);
    std::vector<Value> claim = {terms.holder, terms.until};
    std::string keys;
    for (size_t i = 0; i < std::bit_ceil(count); ++i) {
      const auto& key = picked[at + std::min(i, count - 1)];
      keys +=
          i ? ", (CAST(? AS BIGINT), CAST(? AS BIGINT))" : "(CAST(? AS BIGINT), CAST(? AS BIGINT))";
      claim.emplace_back(key.first);
      claim.emplace_back(key.second);
    }
    const std::string sql =
        "UPDATE newsletter_deliveries AS d SET claimed_by = ?, claim_expires_at = ? WHERE "
        "(d.send_id, d.subscriber_id) IN (VALUES " +
        keys + ") AND d.status = 'queued' AND " + Unclaimed("d", terms, claim) +
        " RETURNING send_id, subscriber_id";
    auto claimed = c.Run(sql, claim, [&](const Row& row) -> Result<void> {
      mine.emplace(row.Int(0), row.Int(1));
      return {};
    });
    if (!claimed) return tl::unexpected(claimed.error());
  }
  if (mine.empty()) return std::vector<Delivery>();
  // SQLite's RETURNING cannot name the joined tables: the rows claimed are read again.
  auto rows = c.All(
      "SELECT d.send_id, d.subscriber_id, b.email, d.attempts FROM newsletter_deliveries d JOIN "
      "subscribers b ON b.id = d.subscriber_id WHERE d.claimed_by = ? AND d.claim_expires_at = ? "
      "AND d.status = 'queued' ORDER BY d.next_attempt_at, d.send_id, d.subscriber_id",
      [](const Row& row) {
        return Delivery{row.Int(0), row.Int(1), row.Text(2), static_cast<int>(row.Int(3))};
      },
      terms.holder, terms.until);
  if (!rows) return tl::unexpected(rows.error());
  std::erase_if(*rows, [&mine](const Delivery& delivery) {
    return mine.count({delivery.send_id, delivery.subscriber_id}) == 0;
  });
  return rows;
}

Result<void> CancelSend(Connection& c, std::int64_t id, Timestamp now) {
  auto cancelled = c.Exec(
      "UPDATE newsletter_sends SET status = 'cancelled', finished_at = ? WHERE id = ? AND "
      "status IN ('queued', 'sending')",
      now, id);
  if (!cancelled) return tl::unexpected(cancelled.error());
  if (*cancelled == 0) return Fail(ErrorCode::kNotFound, "That send is not going any more.");
  return Done(
      c.Exec("UPDATE newsletter_deliveries SET status = 'skipped', last_error = 'cancelled' WHERE "
             "send_id = ? AND status = 'queued'",
             id));
}

Result<std::optional<Timestamp>> NextDeliveryAt(Connection& c) {
  return c.Integer(
      "SELECT min(d.next_attempt_at) FROM newsletter_deliveries d JOIN newsletter_sends s ON "
      "s.id = d.send_id WHERE d.status = 'queued' AND s.status IN ('queued', 'sending')");
}

Result<void> RecordDeliveries(Connection& c, const std::vector<DeliveryResult>& results,
                              int bounce_threshold, Timestamp now, const std::string& holder) {
  std::set<std::int64_t> sends;
  for (const DeliveryResult& result : results) {
    using Outcome = DeliveryResult::Outcome;
    const char* status = result.outcome == Outcome::kSent    ? "sent"
                         : result.outcome == Outcome::kRetry ? "queued"
                                                             : "failed";
    const std::optional<Timestamp> sent_at =
        result.outcome == Outcome::kSent ? std::optional<Timestamp>(now) : std::nullopt;
    // Which rows a result may still change: a message sent is sent whatever became of its row
    // meanwhile (a cancelled send's message in flight, a claim another process took over after
    // this one's lapsed), unless that one recorded it sent already; a failure only changes a
    // queued row; a retry only a row this holder still has.
    const char* still = result.outcome == Outcome::kSent ? " AND status <> 'sent'"
                        : result.outcome == Outcome::kFailed
                            ? " AND status = 'queued'"
                            : " AND status = 'queued' AND claimed_by = ?";
    const std::string sql = std::string(
                                "UPDATE newsletter_deliveries SET status = ?, attempts = attempts "
                                "+ 1, next_attempt_at = ?, last_error = ?, sent_at = ?, "
                                "claimed_by = '', claim_expires_at = 0 WHERE send_id = ? AND "
                                "subscriber_id = ?") +
                            still;
    const std::string_view error = dialect::Utf8Prefix(result.error, 500);
    auto recorded = result.outcome == Outcome::kRetry
                        ? c.Exec(sql, status, result.retry_at, error, sent_at, result.send_id,
                                 result.subscriber_id, holder)
                        : c.Exec(sql, status, result.retry_at, error, sent_at, result.send_id,
                                 result.subscriber_id);
    if (!recorded) return tl::unexpected(recorded.error());
    if (result.bounced && *recorded > 0) {
      if (auto bounced = Done(c.Exec(
              "UPDATE subscribers SET bounces = bounces + 1, status = CASE WHEN bounces + 1 >= ? "
              "THEN 'bounced' ELSE status END WHERE id = ?",
              bounce_threshold, result.subscriber_id));
          !bounced) {
        return bounced;
      }
    }
    sends.insert(result.send_id);
  }
  // The rest of this holder's claims (a batch that ended early) are free for anyone at once.
  if (!holder.empty()) {
    if (auto released = Done(
            c.Exec("UPDATE newsletter_deliveries SET claimed_by = '', claim_expires_at = 0 WHERE "
                   "claimed_by = ? AND status = 'queued'",
                   holder));
        !released) {
      return released;
    }
  }
  // A send starts with its first batch and is done when no active subscriber waits.
  for (std::int64_t id : sends) {
    if (auto started = Done(c.Exec(
            "UPDATE newsletter_sends SET status = 'sending' WHERE id = ? AND status = 'queued'",
            id));
        !started) {
      return started;
    }
    if (auto finished = Done(
            c.Exec("UPDATE newsletter_sends SET status = 'done', finished_at = ? WHERE id = ? AND "
                   "status = 'sending' AND NOT EXISTS (SELECT 1 FROM newsletter_deliveries d JOIN "
                   "subscribers b ON b.id = d.subscriber_id WHERE d.send_id = ? AND d.status = "
                   "'queued' AND b.status = 'active')",
                   now, id, id));
        !finished) {
      return finished;
    }
    if (auto skipped = Done(
            c.Exec("UPDATE newsletter_deliveries SET status = 'skipped', last_error = 'no longer "
                   "subscribed' WHERE send_id = ? AND status = 'queued' AND (SELECT status FROM "
                   "newsletter_sends WHERE id = ?) = 'done'",
                   id, id));
        !skipped) {
      return skipped;
    }
  }
  return {};
}

}  // namespace broadsheet::storage::newsletter
