// The store's queries by record kind, written once over the database seam (database.h): each
// function runs on a Connection that the caller has inside a transaction (Database::Read or
// Transact), in SQL both SQLite and PostgreSQL accept, against the schema both share
// (migrations.h, postgres_schema.h). SqlStore calls these for the kinds already moved here;
// the rest follow, kind by kind (storage/README.md, "Moving onto the seam").
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/rate_limit.h"
#include "storage/database.h"
#include "storage/records.h"

namespace broadsheet::storage {

// The publication's settings (the settings table), the desk's settings and the site's secrets
// (the secrets table: desk settings are the names under "desk:").
namespace settings {
Result<Publication> LoadPublication(Connection& c);
Result<void> SavePublication(Connection& c, const Publication& publication);
Result<std::optional<std::string>> DeskSetting(Connection& c, const std::string& key);
Result<std::map<std::string, std::string>> DeskSettings(Connection& c, const std::string& prefix);
Result<void> SetDeskSetting(Connection& c, const std::string& key, const std::string& value);
Result<std::optional<std::string>> FindSecret(Connection& c, const std::string& name);
// Stores `value` unless the secret exists; the secret's value either way.
Result<std::string> AddSecret(Connection& c, const std::string& name, const std::string& value);
// Which version of a one-time upgrade pass last completed (0: none).
Result<int> UpgradeVersion(Connection& c, const std::string& name);
Result<void> SetUpgradeVersion(Connection& c, const std::string& name, int version);
}  // namespace settings

// Sections, author profiles and tags. Upserts are by slug and return the row's id.
namespace taxonomy {
Result<std::vector<Section>> ListSections(Connection& c);  // in navigation order
Result<std::optional<Section>> FindSection(Connection& c, const std::string& slug);
Result<std::int64_t> UpsertSection(Connection& c, const Section& section);
Result<void> DeleteSection(Connection& c, const std::string& slug);
Result<std::vector<Author>> ListAuthors(Connection& c);  // by name
Result<std::optional<Author>> FindAuthor(Connection& c, const std::string& slug);
Result<std::int64_t> UpsertAuthor(Connection& c, const Author& author);
// Profiles on at least one article published at or before `now` (Store::ListPublicAuthors).
Result<std::vector<Author>> ListPublicAuthors(Connection& c, Timestamp now);  // by name
Result<std::optional<Author>> FindPublicAuthor(Connection& c, const std::string& slug,
                                               Timestamp now);
Result<std::vector<Tag>> ListTags(Connection& c);  // by name
Result<std::optional<Tag>> FindTag(Connection& c, const std::string& slug);
Result<std::int64_t> UpsertTag(Connection& c, const Tag& tag);
Result<void> DeleteTag(Connection& c, const std::string& slug);
}  // namespace taxonomy

// Staff accounts, their sessions, failed sign-ins and single-use tokens. Setters answer
// kNotFound for an account that does not exist.
namespace staff {
Result<std::int64_t> CreateUser(Connection& c, const User& user);  // kConflict: address taken
Result<std::optional<User>> FindUser(Connection& c, std::int64_t id);
Result<std::optional<User>> FindUserByEmail(Connection& c, const std::string& email);
Result<std::vector<User>> ListUsers(Connection& c);  // by name
// A new password or a disabled account ends the account's sessions.
Result<void> SetPasswordHash(Connection& c, std::int64_t user_id, const std::string& hash);
Result<void> SetUserRole(Connection& c, std::int64_t user_id, const std::string& role);
// Links account `user_id` to author profile `author_id` (nullopt: unlinks it). kConflict when
// another account has that profile.
Result<void> SetUserAuthor(Connection& c, std::int64_t user_id,
                           std::optional<std::int64_t> author_id);
Result<void> SetUserDisabled(Connection& c, std::int64_t user_id, bool disabled);
Result<void> SetTotpSecret(Connection& c, std::int64_t user_id, const std::string& secret);
// Whether `step` is newer than the last one used (and is now the last).
Result<bool> UseTotpStep(Connection& c, std::int64_t user_id, std::int64_t step);
// Also removes the sessions that have expired by the new one's creation.
Result<void> CreateSession(Connection& c, const Session& session);
Result<std::optional<Session>> FindSession(Connection& c, const std::string& token_hash,
                                           Timestamp now);
Result<void> TouchSession(Connection& c, const std::string& token_hash, Timestamp now);
Result<void> DeleteSession(Connection& c, const std::string& token_hash);
Result<std::vector<Session>> ListSessions(Connection& c, std::int64_t user_id, Timestamp now);
// Counts the failures since `limits.since` and records one more unless a limit is reached
// (nullopt then); forgets failures older than a day. Run it in a write transaction.
Result<std::optional<FailedLoginReservation>> ReserveFailedLogin(Connection& c,
                                                                 const FailedLoginLimits& limits,
                                                                 const std::string& email,
                                                                 const std::string& client_ip,
                                                                 Timestamp at);
Result<void> ReleaseFailedLogin(Connection& c, std::int64_t reservation_id);
Result<void> ClearFailedLogins(Connection& c, const std::string& email);
Result<void> CreateToken(Connection& c, const OneTimeToken& token);
Result<int> CountTokensSince(Connection& c, std::int64_t user_id, const std::string& purpose,
                             Timestamp since);
// An unused, unexpired token; UseToken also marks it used.
Result<std::optional<OneTimeToken>> PeekToken(Connection& c, const std::string& token_hash,
                                              const std::string& purpose, Timestamp now);
Result<std::optional<OneTimeToken>> UseToken(Connection& c, const std::string& token_hash,
                                             const std::string& purpose, Timestamp now);
}  // namespace staff

// Newsletter subscribers, the issues sent to them and each issue's deliveries.
namespace newsletter {
// Adds (id 0) or replaces a subscriber, with the sections they follow (unknown slugs are
// skipped); returns the id. kConflict when another subscriber has the address.
Result<std::int64_t> SaveSubscriber(Connection& c, const Subscriber& subscriber);
Result<std::optional<Subscriber>> FindSubscriber(Connection& c, std::int64_t id);
Result<std::optional<Subscriber>> FindSubscriberByEmail(Connection& c, const std::string& email);
Result<void> DeleteSubscriber(Connection& c, std::int64_t id);  // kNotFound when there is none
Result<std::vector<Subscriber>> ListSubscribers(Connection& c, const SubscriberQuery& query);
Result<int> CountSubscribers(Connection& c, const SubscriberQuery& query);
// New consents per week from `since`: (week start, count), weeks with none left out.
Result<std::vector<std::pair<Timestamp, int>>> SubscriberGrowth(Connection& c, Timestamp since);
// Stores the issue and a queued delivery for each active subscriber in its segments.
Result<std::int64_t> QueueSend(Connection& c, const NewsletterSend& send);
Result<int> CountRecipients(Connection& c, const std::vector<std::string>& segments);
Result<std::optional<NewsletterSend>> FindSend(Connection& c, std::int64_t id);
Result<std::vector<NewsletterSend>> ListSends(Connection& c, int limit);  // newest first
Result<std::vector<Delivery>> DueDeliveries(Connection& c, Timestamp now, int limit);
// kNotFound when the send is no longer going.
Result<void> CancelSend(Connection& c, std::int64_t id, Timestamp now);
Result<std::optional<Timestamp>> NextDeliveryAt(Connection& c);
// Records each result, counts bounces (a subscriber at `bounce_threshold` is bounced), and moves
// each send touched to sending, then done when no active subscriber waits for it.
// Records from `holder` (its claims; "" for unclaimed rows): a sent result counts unless the row
// was already recorded sent (another process finished it after this one's claim lapsed), a
// failure only while the row is queued, a retry only while `holder` still has the claim. Then
// `holder`'s other claims on queued rows are given up, so they are free at once.
Result<void> RecordDeliveries(Connection& c, const std::vector<DeliveryResult>& results,
                              int bounce_threshold, Timestamp now, const std::string& holder = "");
// Claims up to `limit` deliveries due at `terms.now` (as DueDeliveries), in the same order,
// passing over rows another transaction is claiming (PostgreSQL: FOR UPDATE SKIP LOCKED; run in
// Database::Claim) and rows held by a live claim (records.h, ClaimTerms).
Result<std::vector<Delivery>> ClaimDeliveries(Connection& c, const ClaimTerms& terms, int limit);
}  // namespace newsletter

// Leases (records.h, Lease).
namespace leases {
// Takes the lease `name` for `holder` until `until`, or renews it when `holder` has it: true
// when `holder` has it now, false when another holder's lease is still live at `now`. One
// atomic statement.
Result<bool> Take(Connection& c, const std::string& name, const std::string& holder, Timestamp now,
                  Timestamp until);
// Gives the lease up, if `holder` has it.
Result<void> Release(Connection& c, const std::string& name, const std::string& holder);
// The leases live at `now`, by name.
Result<std::vector<Lease>> Live(Connection& c, Timestamp now);
// Renews `terms.holder`'s heartbeat (NodeLeaseName) to `terms.alive_until`; kConflict when
// another holder has it (two processes with one node id).
Result<void> Heartbeat(Connection& c, const ClaimTerms& terms);
}  // namespace leases

// Posts with their bylines (post_authors), tags, notes and revisions. A PostDetail's section,
// authors, tags and notes are read together for a whole list (LoadDetails).
namespace posts {
// A post by address with its author and tag ids (byline order; tag id order).
Result<std::optional<Post>> Find(Connection& c, const std::string& slug);
Result<std::optional<PostDetail>> FindById(Connection& c, std::int64_t id);
// A post readers may see at `now`.
Result<std::optional<PostDetail>> FindPublished(Connection& c, const std::string& slug,
                                                Timestamp now);
// The posts found among `ids`, in that order; without `bodies`, with body_markdown and
// body_html empty.
Result<std::vector<PostDetail>> ByIds(Connection& c, const std::vector<std::int64_t>& ids,
                                      bool bodies);
// Fills the section, authors, tags and notes of each detail whose post is read.
Result<void> LoadDetails(Connection& c, std::vector<PostDetail>& details);
// Inserts a post or replaces the one at its address (imports and restores); its id.
Result<std::int64_t> Upsert(Connection& c, const Post& post);
// A new post and its first revision; kConflict when the address is taken.
Result<std::int64_t> Create(Connection& c, const Post& post, std::optional<std::int64_t> user_id,
                            const std::string& revision_details);
// Saves an edit made on the post as it was at `expected_edit_count`, with a revision; the new
// count. kConflict when someone saved in between or the address is taken.
Result<int> SaveEdit(Connection& c, const Post& post, int expected_edit_count,
                     std::optional<std::int64_t> user_id, const std::string& revision_details);
Result<std::vector<std::int64_t>> AllIds(Connection& c);  // in creation order
Result<std::vector<PostDetail>> ListForDesk(Connection& c, const DeskQuery& query);
Result<int> CountForDesk(Connection& c, const DeskQuery& query);
Result<std::vector<PostDetail>> ByStatus(Connection& c, PostStatus status, int limit);
Result<std::vector<PostDetail>> ListPublished(Connection& c, const PostQuery& query);
Result<int> CountPublished(Connection& c, const PostQuery& query);
// Published posts for sitemaps: neither noindex nor pointing elsewhere, in id order.
Result<std::vector<PostAddress>> Addresses(Connection& c, Timestamp now, Timestamp since, int limit,
                                           int offset);
Result<int> CountAddresses(Connection& c, Timestamp now, Timestamp since);
// The first and last publication times of a kind of post (none when nothing is published).
Result<std::optional<std::pair<Timestamp, Timestamp>>> PublishedSpan(Connection& c, PostKind kind,
                                                                     Timestamp now);
// Published articles sharing tags with `post` (most shared first), then its section's newest.
Result<std::vector<PostDetail>> RelatedCandidates(Connection& c, const Post& post, Timestamp now,
                                                  int limit);
Result<int> PublishDue(Connection& c, Timestamp now);  // scheduled posts now due; how many
Result<int> DeleteTrashed(Connection& c);              // how many
// A correction or update note, which also marks the post as updated at the note's time.
Result<std::int64_t> AddNote(Connection& c, const PostNote& note,
                             std::optional<std::int64_t> user_id);
Result<void> RestoreNote(Connection& c, const PostNote& note);  // as exported, without marking
// An editor's change to a note's kind and text (its date stays); kNotFound when post
// `note.post_id` has no note `note.id`.
Result<void> UpdateNote(Connection& c, const PostNote& note);
Result<void> DeleteNote(Connection& c, std::int64_t post_id, std::int64_t note_id);  // kNotFound
// Editorial notes: private to the staff, oldest first, with who wrote and resolved them. A note
// is added as given, resolved already when it says so (a restore).
Result<std::int64_t> AddEditorialNote(Connection& c, const EditorialNote& note);
Result<std::vector<EditorialNote>> EditorialNotes(Connection& c, std::int64_t post_id);
// kNotFound when post `post_id` has no open note `note_id`.
Result<void> ResolveEditorialNote(Connection& c, std::int64_t post_id, std::int64_t note_id,
                                  std::int64_t user_id, Timestamp at);
// The posts (not in the trash) that account `created_by` created with open notes on them.
Result<std::vector<PostOpenNotes>> PostsWithOpenEditorialNotes(Connection& c,
                                                               std::int64_t created_by);
Result<std::vector<Revision>> Revisions(Connection& c, std::int64_t post_id);  // newest first
Result<std::optional<Revision>> FindRevision(Connection& c, std::int64_t id);
Result<void> RestoreRevision(Connection& c, const Revision& revision);  // as exported
// Stored bodies after `after_id`, in id order, for upgrade passes over every post.
Result<std::vector<StoredBody>> Bodies(Connection& c, std::int64_t after_id, int limit);
Result<void> ReplaceHtml(Connection& c, std::int64_t post_id, const std::string& body_html);
}  // namespace posts

// Readers' comments and what the spam filter learned from them. Addresses compare without
// regard to ASCII case.
namespace comments {
Result<std::int64_t> Create(Connection& c, const Comment& comment);  // created now unless given
// An imported comment with every field as given but the client hash: inserted when its id is 0,
// else replacing that comment (kNotFound when there is none).
Result<std::int64_t> SaveImported(Connection& c, const Comment& comment);
Result<std::optional<Comment>> Find(Connection& c, std::int64_t id);
Result<std::vector<Comment>> OfPost(Connection& c, std::int64_t post_id);  // oldest first
// The newest `limit` approved comments of a post (all when `limit` is 0), oldest first.
Result<std::vector<Comment>> Approved(Connection& c, std::int64_t post_id, int limit);
// The comments of `limit` threads of a post, `skip` threads skipped, newest thread first (a
// thread starts at an approved comment whose parent is not shown); oldest comment first.
Result<std::vector<Comment>> Threads(Connection& c, std::int64_t post_id, int skip, int limit);
// Whether a post has more than `count` threads.
Result<bool> HasThreadsAfter(Connection& c, std::int64_t post_id, std::int64_t count);
// How many threads come before comment `id`'s; empty when the post does not show it.
Result<std::optional<int>> ThreadIndex(Connection& c, std::int64_t post_id, std::int64_t id);
// Comments with `status` (all but trash when unset) whose text, name or address contains
// `text` (any when empty), newest first.
Result<std::vector<Comment>> List(Connection& c, std::optional<CommentStatus> status, int limit,
                                  const std::string& text);
Result<void> SetStatus(Connection& c, std::int64_t id, CommentStatus status);  // kNotFound
Result<void> Update(Connection& c, const Comment& comment);  // what its author may change
Result<std::vector<Comment>> ByEmail(Connection& c, const std::string& email);  // oldest first
// Deletes the address's comments, or empties those others replied to, and the record of mail
// sent to it; returns how many comments.
Result<int> EraseByEmail(Connection& c, const std::string& email);
Result<int> ForgetClients(Connection& c, Timestamp before);  // clears older client hashes
// Counts the comment's words as spam or not (moving them if it was taught the other way).
Result<void> Learn(Connection& c, std::int64_t id, bool spam,
                   const std::vector<std::string>& words);
Result<SpamCounts> CountSpamWords(Connection& c, const std::vector<std::string>& words);
// Comments since `since` from the address or from the client (an empty hash matches none).
Result<int> CountRecent(Connection& c, const std::string& email, const std::string& client_hash,
                        Timestamp since);
Result<bool> HasDuplicate(Connection& c, std::int64_t post_id, const std::string& email,
                          const std::string& body);
Result<int> CountApproved(Connection& c, std::int64_t post_id);    // kept by triggers
Result<int> CountWithStatus(Connection& c, CommentStatus status);  // of every post
Result<bool> HasApprovedFrom(Connection& c, const std::string& email);
// The moderators' digest (Store::NoteHeldComment and ClaimModeratorDigest); run the claim in a
// write transaction.
Result<void> NoteHeld(Connection& c, std::int64_t comment_id);
Result<std::optional<ModeratorDigest>> ClaimDigest(Connection& c, Timestamp now, Timestamp interval,
                                                   int listed);
}  // namespace comments

// Rate limits' windows, one row per scope and (hashed) key, open from a key's first action
// until `window` seconds later (Store::TakeRate). Run Take in a Tally.
namespace rates {
// Counts one action of `key` unless its open window holds `limit.limit` already: 0, or the
// seconds until that window closes (nothing counted). One statement, right on its own.
Result<Timestamp> Take(Connection& c, const RateLimit& limit, const std::string& key,
                       Timestamp now);
// The seconds until `key` may act again (0: now).
Result<Timestamp> Wait(Connection& c, const RateLimit& limit, const std::string& key,
                       Timestamp now);
// Removes the windows closed by `now`; returns how many.
Result<int> ForgetClosed(Connection& c, Timestamp now);
}  // namespace rates

// The change log (store.h, ReadChangeLog; written by the schema's triggers).
namespace change_log {
// Up to `limit` rows after `from`, in one snapshot (the caller's read transaction: on PostgreSQL
// REPEATABLE READ, so that the horizon and the rows agree).
Result<ChangeLogBatch> Read(Connection& c, const ChangeLogPosition& from, int limit);
Result<ChangeLogHead> Head(Connection& c);
// What a read from `from` would give now: how many rows, and when the oldest was written.
Result<ChangeLogBacklog> Behind(Connection& c, const ChangeLogPosition& from);
// Removes the rows written before `older_than` and marks the log trimmed past them; returns how
// many.
Result<int> Trim(Connection& c, Timestamp older_than);
// A row no table's trigger writes (`reindex`).
Result<void> Append(Connection& c, std::string_view kind, std::string_view detail);
}  // namespace change_log

// The search_source view: posts as the full-text index holds them.
namespace search_source {
// Each post given, in that order, as it is now when published, else none.
Result<std::vector<SearchChange>> Documents(Connection& c, const std::vector<std::int64_t>& ids);
// Published posts by id after `after_id`.
Result<std::vector<IndexedPost>> List(Connection& c, std::int64_t after_id, int limit);
}  // namespace search_source

// The latest search index snapshot's manifest (one row).
namespace search_snapshots {
Result<std::optional<SearchSnapshot>> Load(Connection& c);
// Replaces it; the one replaced.
Result<std::optional<SearchSnapshot>> Save(Connection& c, const SearchSnapshot& snapshot);
}  // namespace search_snapshots

// The media library.
namespace media {
Result<std::int64_t> Create(Connection& c, const MediaItem& item);
Result<std::vector<MediaItem>> List(Connection& c, int limit, int offset);  // newest first
Result<std::optional<MediaItem>> FindByUrl(Connection& c, const std::string& url);
}  // namespace media

// The durable outbox of mail to one person (mail/outbox.h explains the life of a message).
namespace outbox {
Result<std::int64_t> Queue(Connection& c, const OutgoingMail& mail);
Result<std::vector<OutgoingMail>> Due(Connection& c, Timestamp now, std::int64_t after, int limit);
// A finished message keeps who it went to and when, not what it said.
// As newsletter::RecordDeliveries: sent or given up while queued; a retry while `holder` ("" for
// an unclaimed row) has the claim. The claim is cleared.
Result<void> Record(Connection& c, std::int64_t id, MailOutcome outcome, Timestamp at,
                    std::string_view error, const std::string& holder = "");
// Claims up to `limit` messages due by `due_by` with ids above `after`, oldest first, as
// newsletter::ClaimDeliveries does (run in Database::Claim).
Result<std::vector<OutgoingMail>> Claim(Connection& c, const ClaimTerms& terms, Timestamp due_by,
                                        std::int64_t after, int limit);
Result<std::optional<Timestamp>> NextAttemptAt(Connection& c);
Result<int> Prune(Connection& c, Timestamp before);  // finished before `before`
}  // namespace outbox

namespace redirects {
Result<void> Put(Connection& c, const Redirect& redirect);  // replaces one from the same path
Result<void> Remove(Connection& c, const std::string& from_path);
Result<std::vector<Redirect>> List(Connection& c);
Result<std::optional<Redirect>> Find(Connection& c, const std::string& from_path);
}  // namespace redirects

namespace audit {
Result<void> Append(Connection& c, const AuditEntry& entry);
// Newest first, with the acting account's name.
Result<std::vector<AuditEntry>> List(Connection& c, int limit, int offset);
}  // namespace audit

// What an import made from which record of its source, so that a second run updates it.
namespace imported {
Result<std::optional<ImportedRecord>> Find(Connection& c, const std::string& source,
                                           const std::string& kind, const std::string& foreign_id);
Result<std::vector<ImportedRecord>> List(Connection& c, const std::string& source);
// Several rows to a statement; the last of two records with the same key wins.
Result<void> Record(Connection& c, const std::vector<ImportedRecord>& records);
}  // namespace imported

}  // namespace broadsheet::storage
