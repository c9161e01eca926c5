// SqlStore: the Store over the database seam (database.h), the same code on SQLite and on
// PostgreSQL; each record kind's queries are in repositories.h.
//
// SQLite (a file path, or ":memory:" for tests): one file in WAL mode with synchronous=FULL and
// foreign keys on; opening applies any pending migrations (PRAGMA user_version) and refuses a
// SQLite file another program wrote (PRAGMA application_id). One writing connection and a few
// reading ones (sqlite_database.h). Several processes may open the same file (a CLI import while
// `serve` runs): SQLite locks, and the change signal (a file beside the database) tells the others
// that content changed.
//
// PostgreSQL (a postgresql:// URL): a pool of connections; opening applies the schema's pending
// migrations under an advisory lock (postgres_schema.h). The change signal is this process's
// own; a write that changes what readers see also advances the database's content_version
// sequence after it commits and, in the same statement, notifies the channel
// `broadsheet_changes`. A connection of the store's own LISTENs there (change_listener.h) and
// wakes the store's watcher, which reads the sequence, so that writes by other processes (a
// command, another server) reach this one's caches within milliseconds; the watcher also reads
// it every second, for notifications lost while that connection was away (and after it comes
// back it drops every cached page, since comment notices may have been lost too).
//
// Public pages are served from the page cache, so the database sees only cache misses and writes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "storage/change_listener.h"
#include "storage/change_signal.h"
#include "storage/copy.h"
#include "storage/database.h"
#include "storage/store.h"

namespace broadsheet {

class SqlStore final : public Store {
 public:
  struct Options {
    // A SQLite file (":memory:" for tests), or a PostgreSQL URL (postgresql://...).
    std::string path;
    bool create = false;  // SQLite: create the file if it does not exist (default: it must)
    int pool_size = 8;    // PostgreSQL: connections at most
    // PostgreSQL: how often the content version is read when no notification came (tests
    // lengthen it to show that notifications alone suffice).
    std::chrono::milliseconds version_poll{1000};
    // PostgreSQL: where the store LISTENs for other processes' changes (a connection that keeps
    // its session, so not through a transaction-mode pooler); empty: `path`.
    std::string listen_url{};
  };
  static Result<std::unique_ptr<SqlStore>> Open(const Options& options);
  ~SqlStore() override;

  storage::Dialect dialect() const { return database_->dialect(); }

  int SchemaVersion() const { return schema_version_; }
  // Reads the schema version the database holds now (SQLite: PRAGMA user_version; PostgreSQL:
  // broadsheet_schema) and compares it with the newest this program knows: kUnavailable when they
  // differ (a newer node migrated the database, or an older copy of it was put back), so that a
  // node answers not ready rather than serve a schema it does not know.
  Result<void> CheckSchema();

  Result<void> InTransaction(const std::function<Result<void>()>& work) override;
  Result<void> InSnapshot(const std::function<Result<void>()>& work) override;
  std::uint64_t ContentVersion() override { return signal_->Read(); }

  // A comment was published on `post_id` without a change of the content version (this
  // process marked its pages stale instead): PostgreSQL notifies the other processes sharing the
  // database, whose SetCommentPagesChanged callback marks the same pages. Nothing on SQLite,
  // whose processes share no page cache worth telling.
  Result<void> AnnounceCommentPages(std::int64_t post_id);
  // Called on the store's listener thread with the post of every comment notice from another
  // process; one call at a time, none after this returns with an empty function (set that before
  // whatever the callback uses goes away). Unset: the notices are dropped.
  void SetCommentPagesChanged(std::function<void(std::int64_t post_id)> changed);
  // PostgreSQL: whether the store's connection is listening for other processes' changes, and
  // its server process (0 while none; tests end it to show that the store reconnects).
  bool Listening() const;
  int ListenerBackendPid() const;
  void NoteContentChanged() override;

  Result<Publication> LoadPublication() override;
  Result<void> SavePublication(const Publication& publication) override;
  Result<std::vector<Section>> ListSections() override;
  Result<std::optional<Section>> FindSection(const std::string& slug) override;
  Result<std::int64_t> UpsertSection(const Section& section) override;
  Result<std::optional<Author>> FindAuthor(const std::string& slug) override;
  Result<std::vector<Author>> ListAuthors() override;
  Result<std::int64_t> UpsertAuthor(const Author& author) override;
  Result<std::vector<Author>> ListPublicAuthors(Timestamp now) override;
  Result<std::optional<Author>> FindPublicAuthor(const std::string& slug, Timestamp now) override;
  Result<void> DeleteSection(const std::string& slug) override;
  Result<std::optional<Tag>> FindTag(const std::string& slug) override;
  Result<std::vector<Tag>> ListTags() override;
  Result<void> DeleteTag(const std::string& slug) override;
  Result<std::int64_t> UpsertTag(const Tag& tag) override;
  Result<std::optional<Post>> FindPost(const std::string& slug) override;
  Result<std::optional<PostDetail>> FindPublishedPost(const std::string& slug,
                                                      Timestamp now) override;
  Result<std::int64_t> UpsertPost(const Post& post) override;
  Result<std::vector<std::int64_t>> ListAllPostIds() override;
  Result<std::vector<PostDetail>> ListPublishedPosts(const PostQuery& query) override;
  Result<int> CountPublishedPosts(const PostQuery& query) override;
  Result<std::vector<PostAddress>> ListPostUrls(Timestamp now, Timestamp since, int limit,
                                                int offset) override;
  Result<int> CountPostUrls(Timestamp now, Timestamp since) override;
  Result<std::optional<std::pair<Timestamp, Timestamp>>> PublishedSpan(PostKind kind,
                                                                       Timestamp now) override;
  Result<ChangeLogBatch> ReadChangeLog(const ChangeLogPosition& from, int limit) override;
  Result<ChangeLogHead> ReadChangeLogHead() override;
  Result<int> TrimChangeLog(Timestamp older_than) override;
  Result<ChangeLogBacklog> ChangeLogBehind(const ChangeLogPosition& from) override;
  Result<void> LogReindex() override;
  Result<std::vector<SearchChange>> SearchDocuments(
      const std::vector<std::int64_t>& post_ids) override;
  Result<std::vector<IndexedPost>> ListSearchDocuments(std::int64_t after_id, int limit) override;
  Result<std::optional<SearchSnapshot>> LoadSearchSnapshot() override;
  Result<std::optional<SearchSnapshot>> SaveSearchSnapshot(const SearchSnapshot& snapshot) override;
  Result<std::vector<PostDetail>> FindPostsByIds(const std::vector<std::int64_t>& ids,
                                                 bool bodies) override;
  Result<std::vector<PostDetail>> RelatedCandidates(const Post& post, Timestamp now,
                                                    int limit) override;
  Result<std::vector<PostDetail>> ListPostsByStatus(PostStatus status, int limit) override;
  Result<int> PublishDuePosts(Timestamp now) override;
  // SQLite: VACUUM INTO the file. PostgreSQL: a copy of one snapshot into a new SQLite file,
  // which `broadsheet migrate-store --from sqlite:FILE --to URL` brings back (copy.h).
  Result<void> BackupTo(const std::string& path) override;
  // Copies every row of this store's database into `target`'s, which must be empty (copy.h).
  Result<storage::CopyReport> CopyInto(SqlStore& target);
  Result<std::int64_t> CreatePost(const Post& post, std::optional<std::int64_t> user_id,
                                  const std::string& revision_details) override;
  Result<int> SavePostEdit(const Post& post, int expected_edit_count,
                           std::optional<std::int64_t> user_id,
                           const std::string& revision_details) override;
  Result<std::optional<PostDetail>> FindPostById(std::int64_t id) override;
  Result<std::vector<PostDetail>> ListPostsForDesk(const DeskQuery& query) override;
  Result<int> CountPostsForDesk(const DeskQuery& query) override;
  Result<int> EmptyTrash() override;
  Result<std::vector<StoredBody>> ListPostBodies(std::int64_t after_id, int limit) override;
  Result<void> ReplacePostHtml(std::int64_t post_id, const std::string& body_html) override;
  Result<int> UpgradeVersion(const std::string& name) override;
  Result<void> SetUpgradeVersion(const std::string& name, int version) override;
  Result<std::int64_t> AddPostNote(const PostNote& note,
                                   std::optional<std::int64_t> user_id) override;
  Result<std::int64_t> AddEditorialNote(const EditorialNote& note) override;
  Result<std::vector<EditorialNote>> ListEditorialNotes(std::int64_t post_id) override;
  Result<void> ResolveEditorialNote(std::int64_t post_id, std::int64_t note_id,
                                    std::int64_t user_id, Timestamp at) override;
  Result<std::vector<PostOpenNotes>> ListPostsWithOpenEditorialNotes(
      std::int64_t created_by) override;
  Result<void> UpdatePostNote(const PostNote& note) override;
  Result<void> DeletePostNote(std::int64_t post_id, std::int64_t note_id) override;
  Result<std::vector<Revision>> ListRevisions(std::int64_t post_id) override;
  Result<void> RestoreRevision(const Revision& revision) override;
  Result<void> RestorePostNote(const PostNote& note) override;
  Result<std::optional<Revision>> FindRevision(std::int64_t id) override;
  Result<void> PutRedirect(const Redirect& redirect) override;
  Result<void> DeleteRedirect(const std::string& from_path) override;
  Result<std::vector<Redirect>> ListRedirects() override;
  Result<std::optional<Redirect>> FindRedirect(const std::string& from_path) override;
  Result<std::int64_t> CreateMedia(const MediaItem& item) override;
  Result<std::vector<MediaItem>> ListMedia(int limit, int offset) override;
  Result<std::optional<MediaItem>> FindMediaByUrl(const std::string& url) override;
  Result<std::vector<ImportedRecord>> ListImported(const std::string& source) override;
  Result<void> RecordImported(const std::vector<ImportedRecord>& records) override;
  Result<std::int64_t> SaveImportedComment(const Comment& comment) override;
  Result<std::vector<Comment>> ListCommentsOfPost(std::int64_t post_id) override;
  Result<std::int64_t> CreateComment(const Comment& comment) override;
  Result<std::optional<Comment>> FindComment(std::int64_t id) override;
  Result<std::vector<Comment>> ListApprovedComments(std::int64_t post_id, int limit) override;
  Result<CommentThreads> ListCommentThreads(std::int64_t post_id, int skip, int limit) override;
  Result<std::vector<Comment>> ListComments(std::optional<CommentStatus> status, int limit,
                                            const std::string& text = "") override;
  Result<std::optional<int>> CommentThreadIndex(std::int64_t post_id, std::int64_t id) override;
  Result<void> SetCommentStatus(std::int64_t id, CommentStatus status) override;
  Result<void> UpdateComment(const Comment& comment) override;
  Result<std::vector<Comment>> ListCommentsByEmail(const std::string& email) override;
  Result<int> EraseCommentsByEmail(const std::string& email) override;
  Result<int> ForgetCommentClients(Timestamp before) override;
  Result<void> NoteHeldComment(std::int64_t comment_id) override;
  Result<std::optional<ModeratorDigest>> ClaimModeratorDigest(Timestamp now, Timestamp interval,
                                                              int listed) override;
  Result<void> LearnComment(std::int64_t id, bool spam,
                            const std::vector<std::string>& words) override;
  Result<SpamCounts> CountSpamWords(const std::vector<std::string>& words) override;
  Result<bool> HasApprovedCommentFrom(const std::string& email) override;
  Result<int> CountApprovedComments(std::int64_t post_id) override;
  Result<int> CountComments(CommentStatus status) override;
  Result<int> CountRecentComments(const std::string& email, const std::string& client_hash,
                                  Timestamp since) override;
  Result<bool> HasDuplicateComment(std::int64_t post_id, const std::string& email,
                                   const std::string& body) override;
  Result<std::int64_t> SaveSubscriber(const Subscriber& subscriber) override;
  Result<std::optional<Subscriber>> FindSubscriber(std::int64_t id) override;
  Result<std::optional<Subscriber>> FindSubscriberByEmail(const std::string& email) override;
  Result<void> DeleteSubscriber(std::int64_t id) override;
  Result<std::vector<Subscriber>> ListSubscribers(const SubscriberQuery& query) override;
  Result<int> CountSubscribers(const SubscriberQuery& query) override;
  Result<std::vector<std::pair<Timestamp, int>>> SubscriberGrowth(Timestamp since) override;
  Result<std::int64_t> QueueSend(const NewsletterSend& send) override;
  Result<int> CountRecipients(const std::vector<std::string>& segments) override;
  Result<std::optional<NewsletterSend>> FindSend(std::int64_t id) override;
  Result<std::vector<NewsletterSend>> ListSends(int limit) override;
  Result<std::vector<Delivery>> DueDeliveries(Timestamp now, int limit) override;
  Result<std::optional<Timestamp>> NextDeliveryAt() override;
  Result<void> CancelSend(std::int64_t id, Timestamp now) override;
  Result<std::vector<Delivery>> ClaimDeliveries(const ClaimTerms& terms, int limit) override;
  Result<void> RecordDeliveries(const std::vector<DeliveryResult>& results, int bounce_threshold,
                                Timestamp now, const std::string& holder = "") override;
  Result<std::int64_t> QueueMail(const OutgoingMail& mail) override;
  Result<std::vector<OutgoingMail>> DueMail(Timestamp now, std::int64_t after, int limit) override;
  Result<std::vector<OutgoingMail>> ClaimMail(const ClaimTerms& terms, Timestamp due_by,
                                              std::int64_t after, int limit) override;
  Result<void> RecordMail(std::int64_t id, MailOutcome outcome, Timestamp at,
                          std::string_view error, const std::string& holder = "") override;
  Result<std::optional<Timestamp>> NextMailAt() override;
  Result<int> PruneMail(Timestamp before) override;
  Result<bool> TakeLease(const std::string& name, const std::string& holder, Timestamp now,
                         Timestamp until) override;
  Result<void> ReleaseLease(const std::string& name, const std::string& holder) override;
  Result<std::vector<Lease>> LiveLeases(Timestamp now) override;
  Result<void> AppendAudit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> ListAudit(int limit, int offset) override;
  Result<std::int64_t> CreateUser(const User& user) override;
  Result<std::optional<User>> FindUser(std::int64_t id) override;
  Result<std::optional<User>> FindUserByEmail(const std::string& email) override;
  Result<std::vector<User>> ListUsers() override;
  Result<void> SetPasswordHash(std::int64_t user_id, const std::string& hash) override;
  Result<void> SetUserRole(std::int64_t user_id, const std::string& role) override;
  Result<void> SetUserAuthor(std::int64_t user_id, std::optional<std::int64_t> author_id) override;
  Result<void> SetUserDisabled(std::int64_t user_id, bool disabled) override;
  Result<void> SetTotpSecret(std::int64_t user_id, const std::string& secret) override;
  Result<bool> UseTotpStep(std::int64_t user_id, std::int64_t step) override;
  Result<std::optional<std::string>> DeskSetting(const std::string& key) override;
  Result<void> SetDeskSetting(const std::string& key, const std::string& value) override;
  Result<std::map<std::string, std::string>> DeskSettings(const std::string& prefix) override;
  Result<void> CreateSession(const Session& session) override;
  Result<std::optional<Session>> FindSession(const std::string& token_hash, Timestamp now) override;
  Result<void> TouchSession(const std::string& token_hash, Timestamp now) override;
  Result<void> DeleteSession(const std::string& token_hash) override;
  Result<std::vector<Session>> ListSessions(std::int64_t user_id, Timestamp now) override;
  Result<std::optional<FailedLoginReservation>> ReserveFailedLogin(const FailedLoginLimits& limits,
                                                                   const std::string& email,
                                                                   const std::string& client_ip,
                                                                   Timestamp at) override;
  Result<void> ReleaseFailedLogin(std::int64_t reservation_id) override;
  Result<Timestamp> TakeRate(const RateLimit& limit, const std::vector<std::string>& keys,
                             Timestamp now) override;
  Result<Timestamp> RateWait(const RateLimit& limit, const std::vector<std::string>& keys,
                             Timestamp now) override;
  Result<int> ForgetClosedRates(Timestamp now) override;
  Result<void> ClearFailedLogins(const std::string& email) override;
  Result<void> CreateToken(const OneTimeToken& token) override;
  Result<int> CountTokensSince(std::int64_t user_id, const std::string& purpose,
                               Timestamp since) override;
  Result<std::optional<OneTimeToken>> UseToken(const std::string& token_hash,
                                               const std::string& purpose, Timestamp now) override;
  Result<std::optional<OneTimeToken>> PeekToken(const std::string& token_hash,
                                                const std::string& purpose, Timestamp now) override;
  Result<std::string> Secret(const std::string& name,
                             const std::function<std::string()>& make) override;

 private:
  SqlStore(std::unique_ptr<storage::Database> database, std::unique_ptr<ChangeSignal> signal,
           int schema_version);
  // A PostgreSQL database's backup: a new SQLite file holding one snapshot of it.
  Result<void> CopyIntoNewFile(const std::string& path);
  // `work` on a connection, as one write transaction (joining the calling thread's open one)
  // that bumps the change signal when `invalidates` and it changed a row. A nested call defers
  // the bump to the outermost, after it commits, so no reader can cache what is not yet there.
  // `repeatable`: the work only reads and writes the database, so PostgreSQL may run it again
  // after a serialisation failure (Database::Transact); else it runs once (TransactOnce).
  Result<void> Writing(const std::function<Result<void>(storage::Connection&)>& work,
                       bool invalidates = true, bool repeatable = true);
  // Writing, for work that returns a value (the id of the row it wrote, a count).
  template <typename T>
  Result<T> WritingValue(const std::function<Result<T>(storage::Connection&)>& work,
                         bool invalidates = true) {
    std::optional<T> value;
    auto done = Writing(
        [&](storage::Connection& c) -> Result<void> {
          auto written = work(c);
          if (!written) return tl::unexpected(written.error());
          value.emplace(std::move(*written));
          return {};
        },
        invalidates);
    if (!done) return tl::unexpected(done.error());
    return std::move(*value);
  }

  // After a committed write that changed what readers see: this process's signal, and on
  // PostgreSQL the database's content version for the others.
  Result<void> CommitHeartbeat(const ClaimTerms& terms);
  void Announce();
  // PostgreSQL: every second, or at once when woken by a notice, until the store closes, bumps
  // the signal when another process advanced the content version (and once after the listener
  // reconnects, whatever the version says).
  void WatchContentVersion(std::chrono::milliseconds poll);
  // A notification from the listener (on its thread).
  void Notified(std::string_view payload);
  // Wakes the watcher; `resync`: it bumps the signal even if the version did not move.
  void WakeWatcher(bool resync);

  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<ChangeSignal> signal_;
  int schema_version_ = 0;
  std::atomic<std::int64_t> seen_version_{0};  // the newest content version known here
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool closing_ = false;  // guarded by watch_mutex_
  bool woken_ = false;    // guarded by watch_mutex_
  bool resync_ = false;   // guarded by watch_mutex_
  std::thread watcher_;
  const std::string origin_ = storage::ChangeNotice::NewOrigin();  // names this store's notices
  std::mutex comment_pages_mutex_;  // held while comment_pages_changed_ runs
  std::function<void(std::int64_t)> comment_pages_changed_;  // guarded by comment_pages_mutex_
  // Declared last: destroyed first, so that no notice reaches a member already gone.
  std::unique_ptr<storage::ChangeListener> listener_;
  std::mutex secrets_mutex_;
  std::map<std::string, std::string> secrets_;  // Secret()'s, once read; guarded by secrets_mutex_
};

}  // namespace broadsheet
