// The records Storage reads and writes: plain values with no behaviour. Ids are SQLite rowids
// (0 means "not stored yet"). Times are Timestamps (UTC seconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/time.h"

namespace broadsheet {

// Publication-wide settings, stored as key/value rows.
struct Publication {
  std::string title = "Broadsheet";
  std::string description;
  std::string base_url;  // e.g. "https://example.org"; empty means "as requested"
  std::string disclaimer =
      "The opinions expressed here are solely those of our contributors, not of the publication, "
      "which takes no institutional positions.";
  std::string timezone = "UTC";  // IANA name
  std::string language = "en";   // BCP 47 tag for <html lang>
  // Branding (content/publication.h checks each): empty means the theme's own.
  std::string logo;          // an image of the media library, "/uploads/…"
  std::string favicon;       // likewise; the theme's icon.svg when empty
  std::string accent_color;  // "#rrggbb"
  std::string navigation;    // the header menu as JSON (content::NavigationItem); "" = sections
};

// The address links that leave the site start with (mail, feeds): the base URL, else the address
// `serve` listens on by default.
inline std::string PublicBaseUrl(const Publication& publication) {
  return publication.base_url.empty() ? "http://127.0.0.1:8080" : publication.base_url;
}

struct Section {
  std::int64_t id = 0;
  std::string slug;
  std::string name;
  std::string description;
  bool opinion = false;                   // default for its posts' opinion flag
  std::optional<std::string> disclaimer;  // overrides the publication's
  int position = 0;                       // order in navigation
};

struct Author {
  std::int64_t id = 0;
  std::string slug;
  std::string name;
  std::string credentials;  // "Director for Partnerships and North Korea Analyst"
  std::string email;
  std::string avatar;  // URL path or absolute URL; empty for none
  std::string bio_markdown;
  std::string bio_html;
};

// A post's stored HTML and who created it (the upgrade pass of content/body.h reads these).
struct StoredBody {
  std::int64_t id = 0;
  std::optional<std::int64_t> created_by;
  std::string body_html;
};

struct Tag {
  std::int64_t id = 0;
  std::string slug;
  std::string name;
};

enum class PostKind { kArticle, kPage };
// draft -> pending (submitted for review) -> scheduled or published; any -> trash.
enum class PostStatus { kDraft, kPending, kScheduled, kPublished, kTrash };

// The names statuses are stored and spoken under ("draft", "pending", …), and back.
constexpr std::string_view PostStatusName(PostStatus status) {
  switch (status) {
    case PostStatus::kDraft:
      return "draft";
    case PostStatus::kPending:
      return "pending";
    case PostStatus::kScheduled:
      return "scheduled";
    case PostStatus::kPublished:
      return "published";
    case PostStatus::kTrash:
      return "trash";
  }
  return "draft";
}

constexpr std::optional<PostStatus> ParsePostStatus(std::string_view name) {
  for (PostStatus status : {PostStatus::kDraft, PostStatus::kPending, PostStatus::kScheduled,
                            PostStatus::kPublished, PostStatus::kTrash}) {
    if (PostStatusName(status) == name) return status;
  }
  return std::nullopt;
}

struct FeaturedImage {
  std::string url;  // "/uploads/…" or an absolute URL; empty for none
  std::string alt;
  std::string caption;
  std::string credit;  // "AP Photo/…"
};

// How a post presents itself to search engines and social sites. Empty fields fall back to the
// dek, the featured image and the post's own address.
struct SeoOverrides {
  std::string description;    // meta and Open Graph description
  std::string social_image;   // Open Graph / Twitter image: "/uploads/…" or an absolute URL
  std::string canonical_url;  // where the original lives, when it was first published elsewhere
  bool noindex = false;       // ask search engines to leave it out
};

struct Post {
  std::int64_t id = 0;
  std::string slug;
  PostKind kind = PostKind::kArticle;
  PostStatus status = PostStatus::kDraft;
  std::string title;
  std::string dek;
  std::string body_markdown;
  std::string body_html;  // rendered from body_markdown when saved
  std::optional<Timestamp> published_at;
  std::optional<Timestamp> updated_at;
  std::optional<std::int64_t> section_id;
  std::vector<std::int64_t> author_ids;  // byline order
  std::vector<std::int64_t> tag_ids;
  FeaturedImage image;
  bool opinion = false;
  std::optional<std::string> disclaimer;  // overrides section and publication text
  bool disclaimer_hidden = false;
  bool comments_open = true;
  SeoOverrides seo;
  std::optional<std::int64_t> created_by;  // the staff account that created it
  int edit_count = 0;                      // grows with every save; detects conflicting edits
  std::optional<Timestamp> submitted_at;   // when last submitted for review (desk saves only)
  Timestamp created_at = 0;
};

// A dated public note appended to a published article.
struct PostNote {
  std::int64_t id = 0;
  std::int64_t post_id = 0;
  std::string kind;  // "correction" or "update"
  std::string text;
  Timestamp at = 0;
};

// A private note the desk's staff leave on a post under review ("Editorial notes"): never shown to
// readers, unlike PostNote. Open until someone resolves it.
struct EditorialNote {
  std::int64_t id = 0;
  std::int64_t post_id = 0;
  std::string text;
  Timestamp at = 0;
  std::optional<std::int64_t> user_id;  // who wrote it (unset: the account was deleted)
  std::string user_name;                // read back with the note
  std::optional<Timestamp> resolved_at;
  std::optional<std::int64_t> resolved_by;
  std::string resolved_by_name;  // read back with the note
};

// A post with editorial notes still open on it, for its writer's dashboard.
struct PostOpenNotes {
  std::int64_t post_id = 0;
  std::string title;
  PostStatus status = PostStatus::kDraft;
  std::optional<std::int64_t> created_by;
  int open = 0;  // how many notes are open
};

// A post with what a page shows beside it.
struct PostDetail {
  Post post;
  std::optional<Section> section;
  std::vector<Author> authors;  // byline order
  std::vector<Tag> tags;
  std::vector<PostNote> notes;  // oldest first
};

// A published post's address and dates, for sitemaps.
struct PostAddress {
  std::string slug;
  PostKind kind = PostKind::kArticle;
  std::string title;
  Timestamp published_at = 0;
  Timestamp changed_at = 0;  // the later of published and updated
};

// Which published posts a list shows. Unset fields do not filter.
struct PostQuery {
  PostKind kind = PostKind::kArticle;
  std::optional<std::int64_t> section_id;
  std::optional<std::int64_t> author_id;
  std::optional<std::int64_t> tag_id;
  std::optional<Timestamp> from;   // published at or after (archives)
  std::optional<Timestamp> until;  // published before
  Timestamp now = 0;               // only posts published at or before `now`
  int limit = 10;
  int offset = 0;
  // False: the posts come without body_markdown and body_html (empty), for lists that show
  // none. Such a post is for display only, never to be saved back.
  bool bodies = true;
};

// A published post as the full-text index holds it (see Store::SearchDocuments).
struct IndexedPost {
  std::int64_t id = 0;
  PostKind kind = PostKind::kArticle;
  Timestamp published_at = 0;
  std::optional<std::int64_t> section_id;
  std::vector<std::int64_t> author_ids;
  std::string title;
  std::string dek;
  std::string body;  // plain text
  std::string authors;
  std::string section;
  std::string tags;
};

// What the full-text index must hold for a post: the post as it now is, or none when it is not
// published (or no longer exists).
struct SearchChange {
  std::int64_t post_id = 0;
  std::optional<IndexedPost> post;
};

// One row of the change log (docs/proposals/change-log.md): "this changed", never how; whoever
// applies it reads the current state again, so applying a row twice or out of order ends the
// same. Written by the database's triggers in the writing transaction (Store::ReadChangeLog).
struct ChangeLogEntry {
  std::int64_t id = 0;
  std::int64_t xid = 0;  // PostgreSQL: the writing transaction's id; SQLite: 0
  Timestamp at = 0;
  // post | post_was | note | comment | settings | taxonomy | redirect | reindex
  std::string kind;
  std::optional<std::int64_t> post_id;  // the post whose pages or index entry changed
  std::optional<std::int64_t> ref_id;   // a section, author, tag, comment or note id
  std::string detail;  // section|author|tag for links and taxonomy; a setting's key; a path
};

// Where a follower of the change log has read to. SQLite: `cursor` is the last id read (ids
// commit in order). PostgreSQL: every transaction below `cursor` (a transaction id) has been read
// whole; so has every transaction in [cursor, through) except those in `pending`, which were still
// running when that was read (at most the transactions running at once: bounded, however long a
// transaction anywhere in the cluster holds the cursor back). A later read takes only the pending
// transactions and those from `through` on, in SQL. A position may be kept (the cursor alone):
// rows read again are applied again, to the same effect.
struct ChangeLogPosition {
  std::int64_t cursor = 0;
  std::vector<std::int64_t> pending;  // PostgreSQL: transaction ids, ascending
  std::int64_t through = 0;  // PostgreSQL: 0 (or not above `cursor`): nothing beyond it read
  // PostgreSQL: a transaction read in part (a batch ends at its limit, whatever the transaction:
  // an import writes thousands of rows in one): its rows up to `within_id` have been read.
  std::int64_t within_xid = 0;
  std::int64_t within_id = 0;
  bool operator==(const ChangeLogPosition&) const = default;
};

// A read of the change log: the rows after `from` (in commit order on SQLite, by transaction on
// PostgreSQL), the position to read on from, and the log's generation (changes when the database
// is another: a copy, a new database). `in_range` is false when `from` is not a position in this
// log (below what was trimmed, or past its head: an older copy put back): the follower starts
// over from ChangeLogHead, and `entries` is empty.
struct ChangeLogBatch {
  std::string generation;
  bool in_range = true;
  std::vector<ChangeLogEntry> entries;
  ChangeLogPosition next;
};

// How far a follower is behind the log's head: the rows after its position, and when the oldest
// of them was written (none: it is at the head).
struct ChangeLogBacklog {
  std::int64_t rows = 0;
  std::optional<Timestamp> oldest_at;
};

// The log's head: a follower starting now (a new index) reads on from `position`.
struct ChangeLogHead {
  std::string generation;
  ChangeLogPosition position;
};

// An uploaded image in the media library. `variants` is a JSON array of
// {"url", "width", "mime"} objects, narrower copies in the original format and WebP.
struct MediaItem {
  std::int64_t id = 0;
  std::string url;  // "/uploads/media/2026/11/…"
  int width = 0;
  int height = 0;
  std::string mime;
  std::int64_t bytes = 0;
  std::string variants = "[]";
  std::string alt;
  std::string caption;
  std::string credit;
  std::string original_name;
  std::optional<std::int64_t> uploaded_by;
  Timestamp created_at = 0;
};

// Which posts the editorial desk lists. Unset fields do not filter.
struct DeskQuery {
  std::optional<PostStatus> status;  // unset: everything but the trash
  std::optional<std::int64_t> section_id;
  std::optional<std::int64_t> author_id;
  std::optional<std::int64_t> created_by;
  std::string text;  // words in the title or dek
  // The review queue's order: oldest submitted first (else most recently published or created
  // first).
  bool oldest_submitted_first = false;
  int limit = 50;
  int offset = 0;
};

// A saved state of a post. `details` is an opaque JSON object kept for the other fields.
struct Revision {
  std::int64_t id = 0;
  std::int64_t post_id = 0;
  Timestamp saved_at = 0;
  std::optional<std::int64_t> user_id;
  std::string user_name;  // filled when listing
  std::string title;
  std::string dek;
  std::string body_markdown;
  std::string details;
};

// An old address that answers with a redirect (301, 302) or 410 Gone.
struct Redirect {
  std::string from_path;  // "/old-slug/"
  std::string to_path;    // "/new-slug/"; empty for 410
  int status = 301;
  Timestamp created_at = 0;
};

struct AuditEntry {
  std::int64_t id = 0;
  Timestamp at = 0;
  std::optional<std::int64_t> user_id;
  std::string user_name;  // filled when listing
  std::string action;     // "publish", "trash", "sign-in", …
  std::optional<std::int64_t> post_id;
  std::string detail;
};

enum class CommentStatus { kPending, kApproved, kSpam, kTrash };

constexpr std::string_view CommentStatusName(CommentStatus status) {
  switch (status) {
    case CommentStatus::kPending:
      return "pending";
    case CommentStatus::kApproved:
      return "approved";
    case CommentStatus::kSpam:
      return "spam";
    case CommentStatus::kTrash:
      return "trash";
  }
  return "pending";
}

constexpr std::optional<CommentStatus> ParseCommentStatus(std::string_view name) {
  for (CommentStatus status : {CommentStatus::kPending, CommentStatus::kApproved,
                               CommentStatus::kSpam, CommentStatus::kTrash}) {
    if (CommentStatusName(status) == name) return status;
  }
  return std::nullopt;
}

// A reader's comment. The e-mail address is for moderation only and never shown.
struct Comment {
  std::int64_t id = 0;
  std::int64_t post_id = 0;
  std::optional<std::int64_t> parent_id;
  CommentStatus status = CommentStatus::kPending;
  std::string author_name;
  std::string author_email;
  std::string author_url;  // http(s) or empty
  std::string body_markdown;
  std::string body_html;    // rendered in safe mode
  std::string client_hash;  // keyed hash of the client address, never the address itself
  std::optional<std::int64_t> user_id;  // set when signed-in staff wrote it
  Timestamp created_at = 0;
  std::string reason;      // why it was held or marked as spam, for moderators
  std::string post_slug;   // filled when listing for moderators
  std::string post_title;  // the article's headline, filled with post_slug
};

// What the spam filter learned from moderators: how many comments it was taught as spam and as
// not spam, and for each word asked about, in how many of each it appeared.
struct SpamCounts {
  int spam_comments = 0;
  int ham_comments = 0;
  std::unordered_map<std::string, std::pair<int, int>> words;  // word -> (spam, ham)
};

enum class SubscriberStatus { kPending, kActive, kUnsubscribed, kBounced, kComplained };

constexpr std::string_view SubscriberStatusName(SubscriberStatus status) {
  switch (status) {
    case SubscriberStatus::kPending:
      return "pending";
    case SubscriberStatus::kActive:
      return "active";
    case SubscriberStatus::kUnsubscribed:
      return "unsubscribed";
    case SubscriberStatus::kBounced:
      return "bounced";
    case SubscriberStatus::kComplained:
      return "complained";
  }
  return "pending";
}

inline constexpr SubscriberStatus kAllSubscriberStatuses[] = {
    SubscriberStatus::kPending, SubscriberStatus::kActive, SubscriberStatus::kUnsubscribed,
    SubscriberStatus::kBounced, SubscriberStatus::kComplained};

constexpr std::optional<SubscriberStatus> ParseSubscriberStatus(std::string_view name) {
  for (SubscriberStatus status : kAllSubscriberStatuses) {
    if (SubscriberStatusName(status) == name) return status;
  }
  return std::nullopt;
}

// A newsletter reader: pending until they confirm by the link mailed to them (double opt-in).
struct Subscriber {
  std::int64_t id = 0;
  std::string email;  // unique, case-insensitive
  SubscriberStatus status = SubscriberStatus::kPending;
  bool everything = true;             // every issue; otherwise only `sections`
  std::vector<std::string> sections;  // section slugs followed
  Timestamp created_at = 0;
  std::optional<Timestamp> consented_at;  // confirmed, or the consent date an import kept
  std::string consent_source;             // "confirmed by e-mail", "import", …
  std::optional<Timestamp> unsubscribed_at;
  int bounces = 0;
};

// Which subscribers the desk lists. Unset fields do not filter.
struct SubscriberQuery {
  std::optional<SubscriberStatus> status;
  std::string text;  // part of the address
  int limit = 100;
  int offset = 0;
};

enum class SendStatus { kQueued, kSending, kDone, kCancelled };

constexpr std::string_view SendStatusName(SendStatus status) {
  switch (status) {
    case SendStatus::kQueued:
      return "queued";
    case SendStatus::kSending:
      return "sending";
    case SendStatus::kDone:
      return "done";
    case SendStatus::kCancelled:
      return "cancelled";
  }
  return "queued";
}

constexpr std::optional<SendStatus> ParseSendStatus(std::string_view name) {
  for (SendStatus status :
       {SendStatus::kQueued, SendStatus::kSending, SendStatus::kDone, SendStatus::kCancelled}) {
    if (SendStatusName(status) == name) return status;
  }
  return std::nullopt;
}

// One newsletter issue on its way to its recipients. The bodies hold a marker where each
// reader's own unsubscribe link goes.
struct NewsletterSend {
  std::int64_t id = 0;
  std::optional<std::int64_t> post_id;
  std::string subject;
  // "everything" (subscribers to every issue) and section slugs; empty: every active subscriber.
  std::vector<std::string> segments;
  std::string html;
  std::string text;
  SendStatus status = SendStatus::kQueued;
  Timestamp created_at = 0;
  std::optional<std::int64_t> created_by;
  std::optional<Timestamp> finished_at;
  // Filled when reading: the outbox's rows by state.
  int total = 0;
  int sent = 0;
  int failed = 0;
  int remaining = 0;
  std::optional<Timestamp> first_sent_at, last_sent_at;
  // Messages a second so far (0 before two seconds of sending).
  double Rate() const {
    if (!first_sent_at || !last_sent_at || *last_sent_at <= *first_sent_at) return 0;
    return static_cast<double>(sent) / static_cast<double>(*last_sent_at - *first_sent_at);
  }
};

// A search index snapshot as recorded in the database: the manifest its maker wrote (where its
// files are, their sizes and digests, the log position it holds; search/snapshot.h reads it)
// and when it was made.
struct SearchSnapshot {
  std::string manifest;
  Timestamp made_at = 0;
};

// A named right held by one process at a time until `expires_at` (the leases table): the
// scheduler's, so that one node of several publishes due posts; each process's heartbeat
// (`node:HOLDER`), which keeps its claims on outbox rows while it lives.
struct Lease {
  std::string name;
  std::string holder;
  Timestamp expires_at = 0;
};

// The name of `holder`'s heartbeat lease, and how long one renewal keeps it: a process renews its
// heartbeat every few seconds (app/heartbeat.h) and with every claim, so its claims are taken
// over this long after it dies.
inline std::string NodeLeaseName(std::string_view holder) { return "node:" + std::string(holder); }
inline constexpr Timestamp kHeartbeatSeconds = 10;

// The lease a process's heartbeat takes for kHeartbeatSeconds when it is renewed after it lapsed
// (the database was away, or the process stalled): meanwhile that process takes no claim that
// died (ClaimTerms), so that the other processes that lost the database with it, whose claims
// lapsed too, first record the messages they sent while it was away (newsletter/sender.h). A
// heartbeat taken for the first time (a new process) takes none.
inline std::string RejoinedLeaseName(std::string_view holder) {
  return "rejoined:" + std::string(holder);
}

// How a process claims outbox rows (newsletter deliveries, the mail outbox): as `holder`, its
// node id, at `now`, until `until`; its heartbeat (NodeLeaseName) is first renewed to
// `alive_until`, and committed. A row is free to claim when nobody holds it, or when its claim died
// (expired, or its holder's heartbeat lapsed: the holder died) and the claimer's own heartbeat
// was not just renewed after a lapse (RejoinedLeaseName): so a dead process's rows are taken
// over within its heartbeat's life, and a live one stuck past `until` loses them too.
struct ClaimTerms {
  std::string holder;
  Timestamp now = 0;
  Timestamp until = 0;
  Timestamp alive_until = 0;
};

// A message due for sending: one row of the outbox.
struct Delivery {
  std::int64_t send_id = 0;
  std::int64_t subscriber_id = 0;
  std::string email;
  int attempts = 0;
};

// What became of a delivery: sent, to be tried again at `retry_at`, or failed for good
// (`bounced`: the server refused the address itself).
struct DeliveryResult {
  std::int64_t send_id = 0;
  std::int64_t subscriber_id = 0;
  enum class Outcome { kSent, kRetry, kFailed } outcome = Outcome::kSent;
  Timestamp retry_at = 0;
  bool bounced = false;
  std::string error;
};

// A message in the mail outbox: everything the site mails one person at a time (sign-in and
// password links, invitations, comment notices, subscription confirmations, newsletter tests),
// kept until the mail server accepts it or it is given up. The newsletter has its own rows.
struct OutgoingMail {
  std::int64_t id = 0;
  std::string from;  // "Name <address>"; empty: the site's sender
  std::string to;
  std::string subject;
  std::string text;
  std::string html;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string return_path;
  int attempts = 0;  // attempts made before this one
  Timestamp created_at = 0;
};

// What became of one attempt: sent, to be tried again at `at`, or given up.
enum class MailOutcome { kSent, kRetry, kFailed };

// A member of staff who signs in to the editorial desk.
struct User {
  std::int64_t id = 0;
  std::string email;  // unique, case-insensitive
  std::string name;
  std::string role;  // owner, administrator, editor, author, contributor (see auth/roles.h)
  std::string password_hash;  // argon2id string; empty until a password is set
  Timestamp created_at = 0;
  bool disabled = false;
  std::string totp_secret;  // base32; empty when two-factor sign-in is off
  std::int64_t totp_last_step = 0;
  std::optional<std::int64_t> author_id;  // the account's own author profile, if linked
};

// A signed-in browser. The cookie holds a random token; only its hash is stored.
struct Session {
  std::string token_hash;
  std::int64_t user_id = 0;
  Timestamp created_at = 0;
  Timestamp last_seen_at = 0;
  Timestamp expires_at = 0;
  std::string client_ip;
  std::string user_agent;
};

// How many failed sign-ins since `since` stop further attempts (Store::ReserveFailedLogin).
struct FailedLoginLimits {
  Timestamp since = 0;
  int per_email = 5;
  int per_address = 20;
};

// A sign-in attempt counted as a failure until it proves right: its row, and the counts
// including it.
struct FailedLoginReservation {
  std::int64_t id = 0;
  int for_email = 0;
  int from_address = 0;
};

// A held comment as the moderators' digest quotes it (Store::ClaimModeratorDigest).
struct DigestComment {
  std::int64_t id = 0;
  std::string post_title;
  std::string author_name, author_email, author_url;
  std::string text;  // the comment's Markdown
  std::string reason;
};

// The held comments one digest tells of: the first few, oldest first, and how many in all.
struct ModeratorDigest {
  std::vector<DigestComment> listed;
  int total = 0;
};

// One thing an import brought in: what it was called on the other platform and what it became
// here (a post's, comment's, section's … id; 0 for things kept only as `detail`).
struct ImportedRecord {
  std::string source;  // "wordpress https://example.org"
  std::string kind;    // "post", "comment", "attachment", "category", …
  std::string foreign_id;
  std::int64_t local_id = 0;
  std::string detail;
};

// A single-use link (set a password, reset a password). Only the token's hash is stored.
struct OneTimeToken {
  std::string token_hash;
  std::string purpose;  // "set-password", "reset-password"
  std::int64_t user_id = 0;
  Timestamp created_at = 0;
  Timestamp expires_at = 0;
};

}  // namespace broadsheet
