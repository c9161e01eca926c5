// Store is Broadsheet's one persistence interface. Every feature reads and writes through it;
// no other folder sees SQL. SqlStore (sql_store.h) implements it once, over SQLite or
// PostgreSQL (storage/README.md, "Over the seam").
//
// Threads: a Store may be called from any thread; implementations serialise or pool internally.
// Writes are durable when the call returns (SQLite: WAL with synchronous=FULL).
// Transactions: InTransaction runs `work` atomically; writes inside it join that transaction.
// Not-found is an ordinary result (std::nullopt), never an error.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/rate_limit.h"
#include "storage/records.h"

namespace broadsheet {

class Store {
 public:
  virtual ~Store() = default;

  // Runs `work` in one transaction: committed if it succeeds, rolled back if it fails. It runs
  // once: on PostgreSQL a transaction that lost a race with another (serialisation failure,
  // deadlock) answers kBusy, where the Store's own methods run theirs again.
  virtual Result<void> InTransaction(const std::function<Result<void>()>& work) = 0;
  // Runs `work` with all its reads in one read-only transaction (one connection, one snapshot)
  // instead of one each: for a page made of many reads. A write inside it commits on its own,
  // and the snapshot does not see it. Inside InTransaction, it joins that transaction.
  virtual Result<void> InSnapshot(const std::function<Result<void>()>& work) = 0;

  // A number that changes whenever any process commits a change to what readers see (posts,
  // sections, authors, settings). Staff sessions and sign-in bookkeeping do not change it.
  // Cheap enough to call on every request (no I/O).
  virtual std::uint64_t ContentVersion() = 0;
  // Changes the content version for a write that did not (a reader's approved comment, whose
  // pages the caller may instead evict from its own cache): every process's page cache drops
  // everything. Inside InTransaction, once the outermost transaction commits.
  virtual void NoteContentChanged() = 0;

  // Publication settings; missing keys keep Publication's defaults.
  virtual Result<Publication> LoadPublication() = 0;
  virtual Result<void> SavePublication(const Publication& publication) = 0;

  virtual Result<std::vector<Section>> ListSections() = 0;
  virtual Result<std::optional<Section>> FindSection(const std::string& slug) = 0;
  // Inserts or updates by slug; returns the id.
  virtual Result<std::int64_t> UpsertSection(const Section& section) = 0;

  virtual Result<std::optional<Author>> FindAuthor(const std::string& slug) = 0;
  virtual Result<std::vector<Author>> ListAuthors() = 0;
  virtual Result<std::int64_t> UpsertAuthor(const Author& author) = 0;
  // The author profiles readers see, by name: those on the byline of at least one article
  // published at or before `now` (the rule for every public page, feed, list and sitemap). A
  // profile without one (a newly invited writer's, one added by hand) has no public page until
  // its first article is out; FindPublicAuthor is nullopt for it.
  virtual Result<std::vector<Author>> ListPublicAuthors(Timestamp now) = 0;
  virtual Result<std::optional<Author>> FindPublicAuthor(const std::string& slug,
                                                         Timestamp now) = 0;

  // Deleting a section leaves its posts without one; deleting a tag removes it from its posts.
  virtual Result<void> DeleteSection(const std::string& slug) = 0;
  virtual Result<std::optional<Tag>> FindTag(const std::string& slug) = 0;
  virtual Result<std::vector<Tag>> ListTags() = 0;
  virtual Result<void> DeleteTag(const std::string& slug) = 0;
  virtual Result<std::int64_t> UpsertTag(const Tag& tag) = 0;

  // Any status, by slug.
  virtual Result<std::optional<Post>> FindPost(const std::string& slug) = 0;
  // A post visible to readers at `now` (published, publication time reached), with its section,
  // authors and tags.
  virtual Result<std::optional<PostDetail>> FindPublishedPost(const std::string& slug,
                                                              Timestamp now) = 0;
  // Inserts or updates by slug, replacing its authors and tags; returns the id. A new post
  // keeps `created_at` and `created_by` when they are set (restoring an export); `submitted_at`,
  // when set, is stored (an unset one leaves an existing post's as it was).
  virtual Result<std::int64_t> UpsertPost(const Post& post) = 0;
  // Every post's id, any status, oldest first (by creation).
  virtual Result<std::vector<std::int64_t>> ListAllPostIds() = 0;
  // Published posts matching `query`, newest first.
  virtual Result<std::vector<PostDetail>> ListPublishedPosts(const PostQuery& query) = 0;
  virtual Result<int> CountPublishedPosts(const PostQuery& query) = 0;
  // Every post (any kind) readers see at `now` that was published at or after `since`, in a
  // stable order (oldest first), a page at a time: for sitemaps, so without those marked noindex
  // or whose canonical address is elsewhere.
  virtual Result<std::vector<PostAddress>> ListPostUrls(Timestamp now, Timestamp since, int limit,
                                                        int offset) = 0;
  virtual Result<int> CountPostUrls(Timestamp now, Timestamp since) = 0;
  // The first and last publication times of posts of `kind` readers see at `now`, if any.
  virtual Result<std::optional<std::pair<Timestamp, Timestamp>>> PublishedSpan(PostKind kind,
                                                                               Timestamp now) = 0;
  // The change log: every write readers could see (a post, its byline and tags, a rename, a
  // note, an approved comment, a setting, a section, author or tag, a redirect) leaves a row, in
  // the same transaction, written by the database's triggers whatever the door (records.h,
  // ChangeLogEntry). Followers (each node's search index) keep their own position and never
  // remove rows (TrimChangeLog does, by age). ReadChangeLog reads up to `limit` rows after `from`
  // in one snapshot: on PostgreSQL, where a transaction may commit after a later one, the next
  // position stays below every transaction still running and names those (its `pending`), so no
  // row is skipped and none is given twice to the same follower; there a batch holds whole
  // transactions (it may pass `limit` to end the last one).
  virtual Result<ChangeLogBatch> ReadChangeLog(const ChangeLogPosition& from, int limit) = 0;
  virtual Result<ChangeLogHead> ReadChangeLogHead() = 0;
  // Removes the log's rows written before `older_than` (the background work's, once an hour, on
  // one node); returns how many. A follower whose position is below them is told it is out of
  // range (ChangeLogBatch) and starts over (the search index rebuilds from the posts).
  virtual Result<int> TrimChangeLog(Timestamp older_than) = 0;
  // What a read from `from` would give now (for /metrics): cheap when `from` is near the head.
  virtual Result<ChangeLogBacklog> ChangeLogBehind(const ChangeLogPosition& from) = 0;
  // A `reindex` row, asking every node's index to rebuild from the posts (`search rebuild`).
  virtual Result<void> LogReindex() = 0;
  // The search index's view of the posts given (in that order): each as it now is when
  // published, else none (to be taken out of the index).
  virtual Result<std::vector<SearchChange>> SearchDocuments(
      const std::vector<std::int64_t>& post_ids) = 0;
  // Published posts as the index holds them, by id after `after_id`, up to `limit`: to build an
  // index a batch at a time.
  virtual Result<std::vector<IndexedPost>> ListSearchDocuments(std::int64_t after_id,
                                                               int limit) = 0;
  // The latest snapshot of a search index (search/snapshot.h), which a new node copies instead of
  // building its own: the manifest its maker wrote, and when. SaveSearchSnapshot replaces it and
  // returns the one it replaced (whose files the maker then removes).
  virtual Result<std::optional<SearchSnapshot>> LoadSearchSnapshot() = 0;
  virtual Result<std::optional<SearchSnapshot>> SaveSearchSnapshot(
      const SearchSnapshot& snapshot) = 0;
  // Posts by id, in the order given, with their details; missing ids are left out. Without
  // `bodies`, body_markdown and body_html are left empty (for cards; never to be saved back).
  virtual Result<std::vector<PostDetail>> FindPostsByIds(const std::vector<std::int64_t>& ids,
                                                         bool bodies) = 0;
  // Published articles (not `post`) that share tags with `post` (most tags in common first) or
  // its section (newest first), up to `limit` of each, without repeats; without their bodies.
  virtual Result<std::vector<PostDetail>> RelatedCandidates(const Post& post, Timestamp now,
                                                            int limit) = 0;
  // Posts of any status for the editorial desk, most recently published or created first.
  virtual Result<std::vector<PostDetail>> ListPostsByStatus(PostStatus status, int limit) = 0;
  // Marks scheduled posts whose time has come as published; returns how many.
  virtual Result<int> PublishDuePosts(Timestamp now) = 0;

  // Writes a consistent copy of the whole database to `path`, which must not exist.
  virtual Result<void> BackupTo(const std::string& path) = 0;

  // The editorial desk. CreatePost fails with kConflict when the slug is taken. SavePostEdit
  // stores `post` (by id) only if its edit count is still `expected_edit_count`, else kConflict
  // (someone saved in between); either way as one transaction that also keeps a revision with
  // `revision_details`. Both return the post's new edit count.
  virtual Result<std::int64_t> CreatePost(const Post& post, std::optional<std::int64_t> user_id,
                                          const std::string& revision_details) = 0;
  virtual Result<int> SavePostEdit(const Post& post, int expected_edit_count,
                                   std::optional<std::int64_t> user_id,
                                   const std::string& revision_details) = 0;
  virtual Result<std::optional<PostDetail>> FindPostById(std::int64_t id) = 0;
  virtual Result<std::vector<PostDetail>> ListPostsForDesk(const DeskQuery& query) = 0;
  virtual Result<int> CountPostsForDesk(const DeskQuery& query) = 0;
  // Deletes every trashed post for good (content::Posts leaves a 410 at each address).
  virtual Result<int> EmptyTrash() = 0;

  // The HTML filter's upgrade pass (content/body.h): posts of every kind and status with an id
  // above `after_id`, in id order, `limit` at a time; and one post's stored HTML replaced as it
  // is (no revision; edit count and times unchanged; pages and search see the change).
  virtual Result<std::vector<StoredBody>> ListPostBodies(std::int64_t after_id, int limit) = 0;
  virtual Result<void> ReplacePostHtml(std::int64_t post_id, const std::string& body_html) = 0;
  // Which version of a one-time upgrade pass (named, e.g. "html_filter") last completed here; 0
  // when none has. Kept apart from desk settings, so exports and restores do not carry it.
  virtual Result<int> UpgradeVersion(const std::string& name) = 0;
  virtual Result<void> SetUpgradeVersion(const std::string& name, int version) = 0;

  // Appends a correction or update note to a post and marks the post updated at `note.at`.
  virtual Result<std::int64_t> AddPostNote(const PostNote& note,
                                           std::optional<std::int64_t> user_id) = 0;
  // An editor's change to a note's kind and text, or its removal. The note's date and the post's
  // updated time stay as they were: a fixed typo in a correction is not a new correction.
  // kNotFound when post `note.post_id` has no note `note.id`.
  // Editorial notes (EditorialNote): the staff's private notes on a post, oldest first.
  // AddEditorialNote stores the note as given, its resolution too when set (a restore).
  // ResolveEditorialNote: kNotFound when post `post_id` has no open note `note_id`.
  // ListPostsWithOpenEditorialNotes: the posts, not in the trash, that `created_by` made and
  // that have open notes, the most recently noted first (content::Posts decides which of them
  // the writer may open).
  virtual Result<std::int64_t> AddEditorialNote(const EditorialNote& note) = 0;
  virtual Result<std::vector<EditorialNote>> ListEditorialNotes(std::int64_t post_id) = 0;
  virtual Result<void> ResolveEditorialNote(std::int64_t post_id, std::int64_t note_id,
                                            std::int64_t user_id, Timestamp at) = 0;
  virtual Result<std::vector<PostOpenNotes>> ListPostsWithOpenEditorialNotes(
      std::int64_t created_by) = 0;
  virtual Result<void> UpdatePostNote(const PostNote& note) = 0;
  virtual Result<void> DeletePostNote(std::int64_t post_id, std::int64_t note_id) = 0;

  virtual Result<std::vector<Revision>> ListRevisions(std::int64_t post_id) = 0;
  // Restoring an export: a revision and a note stored exactly as given (the note does not
  // touch its post's updated time, as AddPostNote does).
  virtual Result<void> RestoreRevision(const Revision& revision) = 0;
  virtual Result<void> RestorePostNote(const PostNote& note) = 0;
  virtual Result<std::optional<Revision>> FindRevision(std::int64_t id) = 0;

  // Redirects replace any existing one for the same path.
  virtual Result<void> PutRedirect(const Redirect& redirect) = 0;
  virtual Result<void> DeleteRedirect(const std::string& from_path) = 0;
  virtual Result<std::vector<Redirect>> ListRedirects() = 0;
  virtual Result<std::optional<Redirect>> FindRedirect(const std::string& from_path) = 0;

  virtual Result<std::int64_t> CreateMedia(const MediaItem& item) = 0;
  virtual Result<std::vector<MediaItem>> ListMedia(int limit, int offset) = 0;
  virtual Result<std::optional<MediaItem>> FindMediaByUrl(const std::string& url) = 0;

  // Imports from other platforms remember what they made, so that a second run updates it.
  // ListImported returns every record of `source`; RecordImported replaces the records for the
  // same (source, kind, foreign id), the last of `records` winning.
  virtual Result<std::vector<ImportedRecord>> ListImported(const std::string& source) = 0;
  virtual Result<void> RecordImported(const std::vector<ImportedRecord>& records) = 0;
  // An imported comment stored with every field as given (status, parent, time, staff author,
  // reason) but the client hash: inserted when its id is 0, else replacing that comment.
  // Returns its id.
  virtual Result<std::int64_t> SaveImportedComment(const Comment& comment) = 0;
  // A post's comments in every state, oldest first.
  virtual Result<std::vector<Comment>> ListCommentsOfPost(std::int64_t post_id) = 0;

  // Reader comments. CreateComment is durable when it returns (the reader is told it is saved).
  // It leaves the content version alone: an approved comment changes its article and the lists
  // that count comments, and the caller decides how the caches learn it (NoteContentChanged, or
  // evicting just those pages).
  virtual Result<std::int64_t> CreateComment(const Comment& comment) = 0;
  virtual Result<std::optional<Comment>> FindComment(std::int64_t id) = 0;
  // The newest `limit` approved comments of a post (all when `limit` is 0), oldest first.
  virtual Result<std::vector<Comment>> ListApprovedComments(std::int64_t post_id, int limit) = 0;
  // A page of a post's approved comments in threads. A thread starts at a top-level comment (or
  // a reply whose parent is not approved) and holds every approved reply below it. The threads
  // newest first, `skip` of them skipped and at most `limit` taken; their comments oldest first.
  // `more`: older threads follow.
  struct CommentThreads {
    std::vector<Comment> comments;
    bool more = false;
  };
  virtual Result<CommentThreads> ListCommentThreads(std::int64_t post_id, int skip, int limit) = 0;
  // Where comment `id` of post `post_id` is shown: how many threads come before its thread
  // (newest first, as ListCommentThreads orders them). Empty when the comment is not shown
  // there (another post's, not approved, or unknown).
  virtual Result<std::optional<int>> CommentThreadIndex(std::int64_t post_id, std::int64_t id) = 0;
  // Comments of any post with `status` (all but trash when unset), newest first.
  virtual Result<std::vector<Comment>> ListComments(std::optional<CommentStatus> status, int limit,
                                                    const std::string& text = "") = 0;
  virtual Result<void> SetCommentStatus(std::int64_t id, CommentStatus status) = 0;
  // A moderator's edit: author name, e-mail address, website and text (by id).
  virtual Result<void> UpdateComment(const Comment& comment) = 0;
  // Every comment left with this e-mail address, any status, oldest first.
  virtual Result<std::vector<Comment>> ListCommentsByEmail(const std::string& email) = 0;
  // Erases the comments left with this address: deleted, or, where others replied, emptied of
  // author and text so the thread stays readable; the record of mail sent to the address goes
  // too. Returns how many comments.
  virtual Result<int> EraseCommentsByEmail(const std::string& email) = 0;
  // Clears the keyed client hash of comments written before `before`; returns how many.
  virtual Result<int> ForgetCommentClients(Timestamp before) = 0;
  // The moderators' digest, shared by every process on the database. NoteHeldComment adds a
  // stored comment to the next digest. ClaimModeratorDigest, when comments wait and the last
  // digest was claimed `interval` or more before `now` (or never), takes them all (the first
  // `listed`, oldest first, and how many) and records `now` as the last digest's time; nullopt
  // otherwise. One transaction: of processes claiming together, one gets each comment.
  virtual Result<void> NoteHeldComment(std::int64_t comment_id) = 0;
  virtual Result<std::optional<ModeratorDigest>> ClaimModeratorDigest(Timestamp now,
                                                                      Timestamp interval,
                                                                      int listed) = 0;
  // Teaches the spam filter that comment `id` is spam (`spam` true) or not, from its `words`,
  // taking back what an earlier, opposite decision about it taught.
  virtual Result<void> LearnComment(std::int64_t id, bool spam,
                                    const std::vector<std::string>& words) = 0;
  virtual Result<SpamCounts> CountSpamWords(const std::vector<std::string>& words) = 0;
  // Whether this address has at least one approved comment (stops at the first one found).
  virtual Result<bool> HasApprovedCommentFrom(const std::string& email) = 0;
  // The approved comments of a post, kept by the database (a table maintained by triggers),
  // so lists that show counts never count comments.
  virtual Result<int> CountApprovedComments(std::int64_t post_id) = 0;
  // How many comments of every post have `status` (the desk's count of those awaiting
  // moderation).
  virtual Result<int> CountComments(CommentStatus status) = 0;
  // Comments since `since` from this e-mail address, and from this client (keyed hash).
  virtual Result<int> CountRecentComments(const std::string& email, const std::string& client_hash,
                                          Timestamp since) = 0;
  // Whether this address already left this exact text on this post.
  virtual Result<bool> HasDuplicateComment(std::int64_t post_id, const std::string& email,
                                           const std::string& body) = 0;

  // Newsletter subscribers. SaveSubscriber inserts (id 0) or updates (by id) one, with its
  // sections (unknown slugs are ignored); kConflict when another subscriber has the address.
  virtual Result<std::int64_t> SaveSubscriber(const Subscriber& subscriber) = 0;
  virtual Result<std::optional<Subscriber>> FindSubscriber(std::int64_t id) = 0;
  virtual Result<std::optional<Subscriber>> FindSubscriberByEmail(const std::string& email) = 0;
  virtual Result<void> DeleteSubscriber(std::int64_t id) = 0;
  // Newest first.
  virtual Result<std::vector<Subscriber>> ListSubscribers(const SubscriberQuery& query) = 0;
  virtual Result<int> CountSubscribers(const SubscriberQuery& query) = 0;
  // Subscribers who gave consent in each week since `since`: (week's first second, count).
  virtual Result<std::vector<std::pair<Timestamp, int>>> SubscriberGrowth(Timestamp since) = 0;

  // The newsletter's outbox. QueueSend stores the issue and one delivery per active subscriber in
  // its segments, in one transaction; returns its id. CountRecipients says how many that is.
  virtual Result<std::int64_t> QueueSend(const NewsletterSend& send) = 0;
  virtual Result<int> CountRecipients(const std::vector<std::string>& segments) = 0;
  virtual Result<std::optional<NewsletterSend>> FindSend(std::int64_t id) = 0;
  // Newest first, with their counts.
  virtual Result<std::vector<NewsletterSend>> ListSends(int limit) = 0;
  // Queued deliveries due at `now` to subscribers still active, of sends not finished.
  virtual Result<std::vector<Delivery>> DueDeliveries(Timestamp now, int limit) = 0;
  // Stops a queued or running send: what is still queued is skipped. kNotFound when there is no
  // such send still going.
  virtual Result<void> CancelSend(std::int64_t id, Timestamp now) = 0;
  // When the next queued delivery falls due, if any is queued.
  virtual Result<std::optional<Timestamp>> NextDeliveryAt() = 0;
  // Claims up to `limit` due deliveries for `terms.holder` (records.h, ClaimTerms), so that
  // several processes on one database share a send and no delivery goes to two of them at once.
  virtual Result<std::vector<Delivery>> ClaimDeliveries(const ClaimTerms& terms, int limit) = 0;
  // Records a batch of results in one transaction: a refused address counts a bounce against its
  // subscriber (bounced at `bounce_threshold`); a send with nothing left queued is done. The
  // rest of `holder`'s claims are given up (storage::newsletter::RecordDeliveries says which
  // results still count after a claim lapsed).
  virtual Result<void> RecordDeliveries(const std::vector<DeliveryResult>& results,
                                        int bounce_threshold, Timestamp now,
                                        const std::string& holder = "") = 0;

  // The mail outbox (OutgoingMail). QueueMail stores a message, due at once, and returns its id.
  // DueMail: queued messages due at `now` with ids above `after`, oldest first. RecordMail stores
  // an attempt's outcome; a message sent or given up keeps only who it went to and when (its
  // bodies, which may hold sign-in links, are emptied). NextMailAt: when the next queued message
  // falls due. PruneMail deletes finished messages older than `before`; returns how many.
  virtual Result<std::int64_t> QueueMail(const OutgoingMail& mail) = 0;
  virtual Result<std::vector<OutgoingMail>> DueMail(Timestamp now, std::int64_t after,
                                                    int limit) = 0;
  // ClaimMail claims up to `limit` of DueMail's messages (due by `due_by`) for `terms.holder`,
  // as ClaimDeliveries does. RecordMail's retry counts only while `holder` has the claim.
  virtual Result<std::vector<OutgoingMail>> ClaimMail(const ClaimTerms& terms, Timestamp due_by,
                                                      std::int64_t after, int limit) = 0;
  virtual Result<void> RecordMail(std::int64_t id, MailOutcome outcome, Timestamp at,
                                  std::string_view error, const std::string& holder = "") = 0;
  virtual Result<std::optional<Timestamp>> NextMailAt() = 0;
  virtual Result<int> PruneMail(Timestamp before) = 0;

  // Leases (records.h, Lease). TakeLease takes `name` for `holder` until `until`, or renews it
  // when `holder` has it, in one atomic statement: true when `holder` has it now, false while
  // another's is live at `now`. ReleaseLease gives it up if `holder` has it. LiveLeases: those
  // live at `now`, by name.
  virtual Result<bool> TakeLease(const std::string& name, const std::string& holder, Timestamp now,
                                 Timestamp until) = 0;
  virtual Result<void> ReleaseLease(const std::string& name, const std::string& holder) = 0;
  virtual Result<std::vector<Lease>> LiveLeases(Timestamp now) = 0;

  virtual Result<void> AppendAudit(const AuditEntry& entry) = 0;
  virtual Result<std::vector<AuditEntry>> ListAudit(int limit, int offset) = 0;

  // Staff accounts. CreateUser fails with kConflict when the e-mail address is taken.
  virtual Result<std::int64_t> CreateUser(const User& user) = 0;
  virtual Result<std::optional<User>> FindUser(std::int64_t id) = 0;
  virtual Result<std::optional<User>> FindUserByEmail(const std::string& email) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Result<void> SetPasswordHash(std::int64_t user_id, const std::string& hash) = 0;
  virtual Result<void> SetUserRole(std::int64_t user_id, const std::string& role) = 0;
  // Links an account to its own author profile (nullopt: none). kConflict when another account
  // has that profile; kNotFound for no such account.
  virtual Result<void> SetUserAuthor(std::int64_t user_id,
                                     std::optional<std::int64_t> author_id) = 0;
  // Turns two-factor sign-in on (a base32 secret) or off (empty).
  virtual Result<void> SetTotpSecret(std::int64_t user_id, const std::string& secret) = 0;
  // Records that a code of time step `step` was used; false if that step (or a later one) was
  // already used, so the same code cannot sign in twice.
  virtual Result<bool> UseTotpStep(std::int64_t user_id, std::int64_t step) = 0;
  // Desk-wide settings that readers never see (for example "require_two_factor").
  virtual Result<std::optional<std::string>> DeskSetting(const std::string& key) = 0;
  // Every desk setting whose key starts with `prefix`, in one read.
  virtual Result<std::map<std::string, std::string>> DeskSettings(const std::string& prefix) = 0;
  virtual Result<void> SetDeskSetting(const std::string& key, const std::string& value) = 0;
  // A disabled account cannot sign in; its sessions end at once.
  virtual Result<void> SetUserDisabled(std::int64_t user_id, bool disabled) = 0;

  // Sign-in sessions. FindSession ignores expired ones.
  virtual Result<void> CreateSession(const Session& session) = 0;
  virtual Result<std::optional<Session>> FindSession(const std::string& token_hash,
                                                     Timestamp now) = 0;
  virtual Result<void> TouchSession(const std::string& token_hash, Timestamp now) = 0;
  virtual Result<void> DeleteSession(const std::string& token_hash) = 0;
  virtual Result<std::vector<Session>> ListSessions(std::int64_t user_id, Timestamp now) = 0;

  // Failed sign-ins, for throttling per account (`email`, or any other key the caller counts
  // by) and per client address. Reserve before checking, so that attempts made at the same time
  // cannot all pass the limit before any is counted: ReserveFailedLogin, in one transaction,
  // counts the failures since `since` for `email` and from `client_ip` and, when both are under
  // their limits, records this attempt as a failure at `at`. nullopt when a limit is reached
  // (nothing is recorded). An attempt that turns out right gives its place back with
  // ReleaseFailedLogin; a wrong one keeps it as its record. ClearFailedLogins forgets every
  // failure for `email`.
  virtual Result<std::optional<FailedLoginReservation>> ReserveFailedLogin(
      const FailedLoginLimits& limits, const std::string& email, const std::string& client_ip,
      Timestamp at) = 0;
  virtual Result<void> ReleaseFailedLogin(std::int64_t reservation_id) = 0;
  virtual Result<void> ClearFailedLogins(const std::string& email) = 0;

  // Single-use tokens. UseToken marks a valid, unexpired, unused token of `purpose` as used and
  // returns it; nullopt when there is no such token.
  virtual Result<void> CreateToken(const OneTimeToken& token) = 0;
  virtual Result<int> CountTokensSince(std::int64_t user_id, const std::string& purpose,
                                       Timestamp since) = 0;
  virtual Result<std::optional<OneTimeToken>> UseToken(const std::string& token_hash,
                                                       const std::string& purpose,
                                                       Timestamp now) = 0;
  virtual Result<std::optional<OneTimeToken>> PeekToken(const std::string& token_hash,
                                                        const std::string& purpose,
                                                        Timestamp now) = 0;

  // Rate limits shared by every process on the database (auth::SharedRateLimiter hashes the
  // keys first), as RateLimiter::Take and Until say: TakeRate counts one action under every
  // key when none has reached the limit in its open window, or returns the seconds until the
  // first refusing window closes (nothing counted). A count is committed without waiting for
  // the disk (Database::Tally): a crash may forget the last ones, which only forgives.
  // ForgetClosedRates removes the windows closed by `now`; returns how many.
  virtual Result<Timestamp> TakeRate(const RateLimit& limit, const std::vector<std::string>& keys,
                                     Timestamp now) = 0;
  virtual Result<Timestamp> RateWait(const RateLimit& limit, const std::vector<std::string>& keys,
                                     Timestamp now) = 0;
  virtual Result<int> ForgetClosedRates(Timestamp now) = 0;

  // A named secret of the site (for example the key that signs forms), created with `make` the
  // first time it is asked for and the same ever after, in every process.
  virtual Result<std::string> Secret(const std::string& name,
                                     const std::function<std::string()>& make) = 0;
};

}  // namespace broadsheet
