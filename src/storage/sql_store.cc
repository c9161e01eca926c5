#include "storage/sql_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "storage/copy.h"
#include "storage/migrations.h"
#include "storage/postgres_schema.h"
#include "storage/repositories.h"

namespace broadsheet {

namespace {

// Where PostgreSQL stores tell each other of changes (change_listener.h's ChangeNotice).
constexpr char kChangesChannel[] = "broadsheet_changes";

// The database of `options`: a SQLite file migrated by sqlite::Migrate, or a PostgreSQL
// database migrated by postgres::Migrate; with its schema version.
Result<std::pair<std::unique_ptr<storage::Database>, int>> OpenDatabase(
    const SqlStore::Options& options) {
  storage::DatabaseOptions database_options;
  database_options.url = options.path;
  database_options.create = options.create;
  database_options.pool_size = options.pool_size;
  const bool postgres = storage::IsPostgresUrl(options.path);
  auto database = storage::Database::Open(database_options);
  if (!database) {
    if (!postgres && database.error().code == ErrorCode::kCorrupt) {
      return Fail(ErrorCode::kConflict, options.path + " is not a Broadsheet database",
                  database.error().detail);
    }
    return tl::unexpected(database.error());
  }
  auto version = postgres ? postgres::Migrate(**database) : sqlite::Migrate(**database);
  if (!version) {
    if (!postgres && version.error().code == ErrorCode::kCorrupt) {
      return Fail(ErrorCode::kConflict, options.path + " is not a Broadsheet database",
                  version.error().detail);
    }
    return tl::unexpected(version.error());
  }
  // postgres::Migrate answers the version it found; the schema now is the newest.
  const int now = postgres ? static_cast<int>(postgres::Migrations().size()) : *version;
  return std::pair{std::move(*database), now};
}

// Rows a transaction changed, counted as its statements run, whatever the driver.
class CountingConnection final : public storage::Connection {
 public:
  CountingConnection(storage::Connection& inner, std::int64_t& changed)
      : inner_(inner), changed_(changed) {}
  storage::Dialect dialect() const override { return inner_.dialect(); }
  Result<std::int64_t> Run(std::string_view sql, std::span<const storage::Value> params,
                           const storage::RowVisitor& on_row) override {
    auto ran = inner_.Run(sql, params, on_row);
    if (ran) changed_ += *ran;
    return ran;
  }
  Result<void> Script(std::string_view sql) override {
    ++changed_;  // schema or bulk changes: count them as a change
    return inner_.Script(sql);
  }
  Result<void> Queue(std::string_view sql, std::span<const storage::Value> params) override {
    ++changed_;  // its count is not known yet: counted as a change
    return inner_.Queue(sql, params);
  }

 private:
  storage::Connection& inner_;
  std::int64_t& changed_;
};

// The write transaction the calling thread has open on a store, if any.
struct OpenWrite {
  const SqlStore* store = nullptr;
  bool invalidates = false;
  std::int64_t changed = 0;
};
thread_local OpenWrite* open_write = nullptr;

}  // namespace

Result<std::unique_ptr<SqlStore>> SqlStore::Open(const Options& options) {
  const bool postgres = storage::IsPostgresUrl(options.path);
  std::string file = options.path;  // SQLite's, without the "sqlite:" of a URL
  if (file.starts_with("sqlite:")) file.erase(0, 7);
  const bool in_memory = file == ":memory:";
  if (!postgres && !in_memory && !options.create && !std::filesystem::exists(file)) {
    return Fail(ErrorCode::kNotFound, "no database at " + file);
  }
  auto database = OpenDatabase(options);
  if (!database) return tl::unexpected(database.error());
  // SQLite: a file beside the database, shared by every process that opens it.
  auto signal = ChangeSignal::Open(postgres || in_memory ? "" : file + "-changes");
  if (!signal) return tl::unexpected(signal.error());
  auto store = std::unique_ptr<SqlStore>(
      new SqlStore(std::move(database->first), std::move(*signal), database->second));
  if (postgres) {
    auto version = store->database_->Read(
        [](storage::Connection& c) { return c.Integer("SELECT last_value FROM content_version"); });
    if (!version) return tl::unexpected(version.error());
    store->seen_version_ = version->value_or(0);
    store->watcher_ = std::thread(
        [raw = store.get(), poll = options.version_poll] { raw->WatchContentVersion(poll); });
    // Start returns with LISTEN in place when the database answers; a change committed between
    // the read above and then is found by the watcher's first poll (nothing is cached yet).
    storage::ChangeListener::Options listening;
    listening.url = options.listen_url.empty() ? options.path : options.listen_url;
    listening.channel = kChangesChannel;
    SqlStore* raw = store.get();
    store->listener_ = storage::ChangeListener::Start(
        std::move(listening), [raw](std::string_view payload) { raw->Notified(payload); },
        [raw] { raw->WakeWatcher(true); });
  }
  return store;
}

Result<void> SqlStore::CheckSchema() {
  const bool postgres = database_->dialect() == storage::Dialect::kPostgres;
  const auto known = static_cast<std::int64_t>(postgres ? postgres::Migrations().size()
                                                        : sqlite::Migrations().size());
  auto version = database_->Read([postgres](storage::Connection& c) {
    return c.Integer(postgres ? "SELECT version FROM broadsheet_schema" : "PRAGMA user_version");
  });
  if (!version) return tl::unexpected(version.error());
  const std::int64_t found = version->value_or(0);
  if (found != known) {
    return Fail(ErrorCode::kUnavailable, "the database's schema is version " +
                                             std::to_string(found) + ", this program's " +
                                             std::to_string(known));
  }
  return {};
}

void SqlStore::Announce() {
  signal_->Bump();
  if (database_->dialect() != storage::Dialect::kPostgres) return;
  // After the commit, never inside the transaction: a node that saw the new version before the
  // rows were visible would cache the old page under it. A failure here loses only the other
  // processes' early notice (they see the next write's); the write itself is done.
  // The notice is sent when the transaction commits, so a listener that is woken reads the new
  // value.
  auto advanced = database_->Transact([](storage::Connection& c) {
    return c.Integer("SELECT nextval('content_version'), pg_notify('broadsheet_changes', '')");
  });
  if (advanced && *advanced) {
    std::int64_t seen = seen_version_.load();
    while (**advanced > seen && !seen_version_.compare_exchange_weak(seen, **advanced)) {
    }
  }
}

void SqlStore::WatchContentVersion(std::chrono::milliseconds poll) {
  std::unique_lock lock(watch_mutex_);
  while (true) {
    watch_wake_.wait_for(lock, poll, [this] { return closing_ || woken_; });
    if (closing_) return;
    const bool resync = resync_;
    woken_ = resync_ = false;
    lock.unlock();
    auto version = database_->Read(
        [](storage::Connection& c) { return c.Integer("SELECT last_value FROM content_version"); });
    bool moved = false;
    if (version && *version) {
      std::int64_t seen = seen_version_.load();
      moved = **version > seen && seen_version_.compare_exchange_strong(seen, **version);
    }
    // After a reconnection, comment notices may have been lost: every page is dropped (more
    // than needed, once per reconnection).
    if (moved || resync) signal_->Bump();
    lock.lock();
  }
}

void SqlStore::WakeWatcher(bool resync) {
  {
    std::lock_guard lock(watch_mutex_);
    woken_ = true;
    resync_ = resync_ || resync;
  }
  watch_wake_.notify_all();
}

void SqlStore::Notified(std::string_view payload) {
  const storage::ChangeNotice notice = storage::ParseChangeNotice(payload);
  if (notice.kind == storage::ChangeNotice::Kind::kContent) {
    WakeWatcher(false);
    return;
  }
  if (notice.origin == origin_) return;  // this process marked its own pages already
  std::lock_guard lock(comment_pages_mutex_);
  if (comment_pages_changed_) comment_pages_changed_(notice.post_id);
}

Result<void> SqlStore::AnnounceCommentPages(std::int64_t post_id) {
  if (database_->dialect() != storage::Dialect::kPostgres) return {};
  return database_->Transact([&](storage::Connection& c) -> Result<void> {
    auto sent = c.Exec("SELECT pg_notify('broadsheet_changes', ?)",
                       storage::ChangeNotice::Comments(post_id, origin_));
    if (!sent) return tl::unexpected(sent.error());
    return {};
  });
}

void SqlStore::SetCommentPagesChanged(std::function<void(std::int64_t post_id)> changed) {
  std::lock_guard lock(comment_pages_mutex_);
  comment_pages_changed_ = std::move(changed);
}

bool SqlStore::Listening() const { return listener_ && listener_->listening(); }

int SqlStore::ListenerBackendPid() const { return listener_ ? listener_->backend_pid() : 0; }

SqlStore::SqlStore(std::unique_ptr<storage::Database> database,
                   std::unique_ptr<ChangeSignal> signal, int schema_version)
    : database_(std::move(database)), signal_(std::move(signal)), schema_version_(schema_version) {}

SqlStore::~SqlStore() {
  listener_.reset();  // no notice from here on
  if (!watcher_.joinable()) return;
  {
    std::lock_guard lock(watch_mutex_);
    closing_ = true;
  }
  watch_wake_.notify_all();
  watcher_.join();
}

void SqlStore::NoteContentChanged() {
  if (open_write != nullptr && open_write->store == this) {
    open_write->invalidates = true;
    ++open_write->changed;  // announced by the outermost, after it commits
    return;
  }
  Announce();
}

Result<void> SqlStore::InTransaction(const std::function<Result<void>()>& work) {
  // The caller's work may keep state in memory (an import's maps): it runs once.
  return Writing([&](storage::Connection&) { return work(); }, true, false);
}

Result<void> SqlStore::InSnapshot(const std::function<Result<void>()>& work) {
  return database_->Read([&](storage::Connection&) { return work(); });
}

Result<void> SqlStore::Writing(const std::function<Result<void>(storage::Connection&)>& work,
                               bool invalidates, bool repeatable) {
  if (open_write != nullptr && open_write->store == this) {
    open_write->invalidates = open_write->invalidates || invalidates;
    std::int64_t& changed = open_write->changed;
    return database_->Transact([&](storage::Connection& c) {
      CountingConnection counted(c, changed);
      return work(counted);
    });
  }
  OpenWrite mine{this, invalidates, 0};
  OpenWrite* const outer = open_write;  // another store's, if any
  open_write = &mine;
  auto attempt = [&](storage::Connection& c) {
    // A retried transaction (PostgreSQL runs one again after a serialisation failure) counts
    // afresh.
    mine.changed = 0;
    CountingConnection counted(c, mine.changed);
    return work(counted);
  };
  auto done = repeatable ? database_->Transact(attempt) : database_->TransactOnce(attempt);
  open_write = outer;
  if (!done) return done;
  // Only a transaction that changed what readers see invalidates their caches.
  if (mine.invalidates && mine.changed > 0) Announce();
  return {};
}

Result<Publication> SqlStore::LoadPublication() {
  return database_->Read(
      [](storage::Connection& c) { return storage::settings::LoadPublication(c); });
}

Result<void> SqlStore::SavePublication(const Publication& publication) {
  return Writing(
      [&](storage::Connection& c) { return storage::settings::SavePublication(c, publication); });
}

Result<std::vector<Section>> SqlStore::ListSections() {
  return database_->Read([](storage::Connection& c) { return storage::taxonomy::ListSections(c); });
}

Result<std::optional<Section>> SqlStore::FindSection(const std::string& slug) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::taxonomy::FindSection(c, slug); });
}

Result<std::int64_t> SqlStore::UpsertSection(const Section& section) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::taxonomy::UpsertSection(c, section); });
}

Result<std::optional<Author>> SqlStore::FindAuthor(const std::string& slug) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::taxonomy::FindAuthor(c, slug); });
}

Result<std::vector<Author>> SqlStore::ListAuthors() {
  return database_->Read([](storage::Connection& c) { return storage::taxonomy::ListAuthors(c); });
}

Result<std::vector<Author>> SqlStore::ListPublicAuthors(Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::taxonomy::ListPublicAuthors(c, now); });
}

Result<std::optional<Author>> SqlStore::FindPublicAuthor(const std::string& slug, Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::taxonomy::FindPublicAuthor(c, slug, now); });
}

Result<std::int64_t> SqlStore::UpsertAuthor(const Author& author) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::taxonomy::UpsertAuthor(c, author); });
}

Result<void> SqlStore::DeleteSection(const std::string& slug) {
  return Writing([&](storage::Connection& c) { return storage::taxonomy::DeleteSection(c, slug); });
}

Result<std::vector<Tag>> SqlStore::ListTags() {
  return database_->Read([](storage::Connection& c) { return storage::taxonomy::ListTags(c); });
}

Result<void> SqlStore::DeleteTag(const std::string& slug) {
  return Writing([&](storage::Connection& c) { return storage::taxonomy::DeleteTag(c, slug); });
}

Result<std::optional<Tag>> SqlStore::FindTag(const std::string& slug) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::taxonomy::FindTag(c, slug); });
}

Result<std::int64_t> SqlStore::UpsertTag(const Tag& tag) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::taxonomy::UpsertTag(c, tag); });
}

Result<std::optional<Post>> SqlStore::FindPost(const std::string& slug) {
  return database_->Read([&](storage::Connection& c) { return storage::posts::Find(c, slug); });
}

Result<std::optional<PostDetail>> SqlStore::FindPublishedPost(const std::string& slug,
                                                              Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::FindPublished(c, slug, now); });
}

Result<std::int64_t> SqlStore::UpsertPost(const Post& post) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::posts::Upsert(c, post); });
}

Result<std::vector<std::int64_t>> SqlStore::ListAllPostIds() {
  return database_->Read([](storage::Connection& c) { return storage::posts::AllIds(c); });
}

Result<std::int64_t> SqlStore::CreatePost(const Post& post, std::optional<std::int64_t> user_id,
                                          const std::string& revision_details) {
  return WritingValue<std::int64_t>([&](storage::Connection& c) {
    return storage::posts::Create(c, post, user_id, revision_details);
  });
}

Result<int> SqlStore::SavePostEdit(const Post& post, int expected_edit_count,
                                   std::optional<std::int64_t> user_id,
                                   const std::string& revision_details) {
  return WritingValue<int>([&](storage::Connection& c) {
    return storage::posts::SaveEdit(c, post, expected_edit_count, user_id, revision_details);
  });
}

Result<std::optional<PostDetail>> SqlStore::FindPostById(std::int64_t id) {
  return database_->Read([&](storage::Connection& c) { return storage::posts::FindById(c, id); });
}

Result<std::vector<PostDetail>> SqlStore::ListPostsForDesk(const DeskQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::ListForDesk(c, query); });
}

Result<int> SqlStore::CountPostsForDesk(const DeskQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::CountForDesk(c, query); });
}

Result<int> SqlStore::EmptyTrash() {
  return WritingValue<int>([](storage::Connection& c) { return storage::posts::DeleteTrashed(c); });
}

Result<std::int64_t> SqlStore::AddPostNote(const PostNote& note,
                                           std::optional<std::int64_t> user_id) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::posts::AddNote(c, note, user_id); });
}

Result<std::int64_t> SqlStore::AddEditorialNote(const EditorialNote& note) {
  // Private to the staff: no page readers see changes.
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::posts::AddEditorialNote(c, note); }, false);
}

Result<std::vector<EditorialNote>> SqlStore::ListEditorialNotes(std::int64_t post_id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::EditorialNotes(c, post_id); });
}

Result<void> SqlStore::ResolveEditorialNote(std::int64_t post_id, std::int64_t note_id,
                                            std::int64_t user_id, Timestamp at) {
  return Writing(
      [&](storage::Connection& c) {
        return storage::posts::ResolveEditorialNote(c, post_id, note_id, user_id, at);
      },
      false);
}

Result<std::vector<PostOpenNotes>> SqlStore::ListPostsWithOpenEditorialNotes(
    std::int64_t created_by) {
  return database_->Read([&](storage::Connection& c) {
    return storage::posts::PostsWithOpenEditorialNotes(c, created_by);
  });
}

Result<void> SqlStore::UpdatePostNote(const PostNote& note) {
  return Writing([&](storage::Connection& c) { return storage::posts::UpdateNote(c, note); });
}

Result<void> SqlStore::DeletePostNote(std::int64_t post_id, std::int64_t note_id) {
  return Writing(
      [&](storage::Connection& c) { return storage::posts::DeleteNote(c, post_id, note_id); });
}

Result<std::vector<Revision>> SqlStore::ListRevisions(std::int64_t post_id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::Revisions(c, post_id); });
}

Result<void> SqlStore::RestoreRevision(const Revision& revision) {
  return Writing(
      [&](storage::Connection& c) { return storage::posts::RestoreRevision(c, revision); });
}

Result<void> SqlStore::RestorePostNote(const PostNote& note) {
  return Writing([&](storage::Connection& c) { return storage::posts::RestoreNote(c, note); });
}

Result<std::optional<Revision>> SqlStore::FindRevision(std::int64_t id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::FindRevision(c, id); });
}

Result<void> SqlStore::PutRedirect(const Redirect& redirect) {
  return Writing([&](storage::Connection& c) { return storage::redirects::Put(c, redirect); });
}

Result<void> SqlStore::DeleteRedirect(const std::string& from_path) {
  return Writing([&](storage::Connection& c) { return storage::redirects::Remove(c, from_path); });
}

Result<std::vector<Redirect>> SqlStore::ListRedirects() {
  return database_->Read([](storage::Connection& c) { return storage::redirects::List(c); });
}

Result<std::optional<Redirect>> SqlStore::FindRedirect(const std::string& from_path) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::redirects::Find(c, from_path); });
}

Result<std::int64_t> SqlStore::CreateMedia(const MediaItem& item) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::media::Create(c, item); });
}

Result<std::vector<MediaItem>> SqlStore::ListMedia(int limit, int offset) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::media::List(c, limit, offset); });
}

Result<std::optional<MediaItem>> SqlStore::FindMediaByUrl(const std::string& url) {
  return database_->Read([&](storage::Connection& c) { return storage::media::FindByUrl(c, url); });
}

Result<std::vector<ImportedRecord>> SqlStore::ListImported(const std::string& source) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::imported::List(c, source); });
}

Result<void> SqlStore::RecordImported(const std::vector<ImportedRecord>& records) {
  return Writing([&](storage::Connection& c) { return storage::imported::Record(c, records); },
                 false);
}

Result<std::int64_t> SqlStore::SaveImportedComment(const Comment& comment) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::comments::SaveImported(c, comment); });
}

Result<std::vector<Comment>> SqlStore::ListCommentsOfPost(std::int64_t post_id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::OfPost(c, post_id); });
}

Result<std::int64_t> SqlStore::CreateComment(const Comment& comment) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::comments::Create(c, comment); }, false);
}

Result<std::optional<Comment>> SqlStore::FindComment(std::int64_t id) {
  return database_->Read([&](storage::Connection& c) { return storage::comments::Find(c, id); });
}

Result<std::vector<Comment>> SqlStore::ListApprovedComments(std::int64_t post_id, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::Approved(c, post_id, limit); });
}

Result<Store::CommentThreads> SqlStore::ListCommentThreads(std::int64_t post_id, int skip,
                                                           int limit) {
  return database_->Read([&](storage::Connection& c) -> Result<CommentThreads> {
    auto more =
        storage::comments::HasThreadsAfter(c, post_id, static_cast<std::int64_t>(skip) + limit);
    if (!more) return tl::unexpected(more.error());
    auto comments = storage::comments::Threads(c, post_id, skip, limit);
    if (!comments) return tl::unexpected(comments.error());
    return CommentThreads{std::move(*comments), *more};
  });
}

Result<std::optional<int>> SqlStore::CommentThreadIndex(std::int64_t post_id, std::int64_t id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::ThreadIndex(c, post_id, id); });
}

Result<std::vector<Comment>> SqlStore::ListComments(std::optional<CommentStatus> status, int limit,
                                                    const std::string& text) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::List(c, status, limit, text); });
}

Result<void> SqlStore::SetCommentStatus(std::int64_t id, CommentStatus status) {
  return Writing(
      [&](storage::Connection& c) { return storage::comments::SetStatus(c, id, status); });
}

Result<void> SqlStore::UpdateComment(const Comment& comment) {
  return Writing([&](storage::Connection& c) { return storage::comments::Update(c, comment); });
}

Result<std::vector<Comment>> SqlStore::ListCommentsByEmail(const std::string& email) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::ByEmail(c, email); });
}

Result<int> SqlStore::EraseCommentsByEmail(const std::string& email) {
  return WritingValue<int>(
      [&](storage::Connection& c) { return storage::comments::EraseByEmail(c, email); });
}

Result<int> SqlStore::ForgetCommentClients(Timestamp before) {
  return WritingValue<int>(
      [&](storage::Connection& c) { return storage::comments::ForgetClients(c, before); }, false);
}

Result<void> SqlStore::NoteHeldComment(std::int64_t comment_id) {
  return Writing([&](storage::Connection& c) { return storage::comments::NoteHeld(c, comment_id); },
                 false);
}

Result<std::optional<ModeratorDigest>> SqlStore::ClaimModeratorDigest(Timestamp now,
                                                                      Timestamp interval,
                                                                      int listed) {
  return WritingValue<std::optional<ModeratorDigest>>(
      [&](storage::Connection& c) {
        return storage::comments::ClaimDigest(c, now, interval, listed);
      },
      false);
}

Result<void> SqlStore::LearnComment(std::int64_t id, bool spam,
                                    const std::vector<std::string>& words) {
  return Writing(
      [&](storage::Connection& c) { return storage::comments::Learn(c, id, spam, words); }, false);
}

Result<SpamCounts> SqlStore::CountSpamWords(const std::vector<std::string>& words) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::CountSpamWords(c, words); });
}

Result<int> SqlStore::CountRecentComments(const std::string& email, const std::string& client_hash,
                                          Timestamp since) {
  return database_->Read([&](storage::Connection& c) {
    return storage::comments::CountRecent(c, email, client_hash, since);
  });
}

Result<bool> SqlStore::HasDuplicateComment(std::int64_t post_id, const std::string& email,
                                           const std::string& body) {
  return database_->Read([&](storage::Connection& c) {
    return storage::comments::HasDuplicate(c, post_id, email, body);
  });
}

Result<int> SqlStore::CountApprovedComments(std::int64_t post_id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::CountApproved(c, post_id); });
}

Result<int> SqlStore::CountComments(CommentStatus status) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::CountWithStatus(c, status); });
}

Result<bool> SqlStore::HasApprovedCommentFrom(const std::string& email) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::HasApprovedFrom(c, email); });
}

Result<std::int64_t> SqlStore::SaveSubscriber(const Subscriber& subscriber) {
  // Subscribers never appear on public pages, so this leaves the page cache alone.
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::newsletter::SaveSubscriber(c, subscriber); },
      false);
}

Result<std::optional<Subscriber>> SqlStore::FindSubscriber(std::int64_t id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::FindSubscriber(c, id); });
}

Result<std::optional<Subscriber>> SqlStore::FindSubscriberByEmail(const std::string& email) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::FindSubscriberByEmail(c, email); });
}

Result<void> SqlStore::DeleteSubscriber(std::int64_t id) {
  return Writing(
      [&](storage::Connection& c) { return storage::newsletter::DeleteSubscriber(c, id); }, false);
}

Result<std::vector<Subscriber>> SqlStore::ListSubscribers(const SubscriberQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::ListSubscribers(c, query); });
}

Result<int> SqlStore::CountSubscribers(const SubscriberQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::CountSubscribers(c, query); });
}

Result<std::vector<std::pair<Timestamp, int>>> SqlStore::SubscriberGrowth(Timestamp since) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::SubscriberGrowth(c, since); });
}

Result<std::int64_t> SqlStore::QueueSend(const NewsletterSend& send) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::newsletter::QueueSend(c, send); }, false);
}

Result<int> SqlStore::CountRecipients(const std::vector<std::string>& segments) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::CountRecipients(c, segments); });
}

Result<std::optional<NewsletterSend>> SqlStore::FindSend(std::int64_t id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::FindSend(c, id); });
}

Result<std::vector<NewsletterSend>> SqlStore::ListSends(int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::ListSends(c, limit); });
}

Result<std::vector<Delivery>> SqlStore::DueDeliveries(Timestamp now, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::DueDeliveries(c, now, limit); });
}

Result<void> SqlStore::CancelSend(std::int64_t id, Timestamp now) {
  return Writing(
      [&](storage::Connection& c) { return storage::newsletter::CancelSend(c, id, now); }, false);
}

Result<std::optional<Timestamp>> SqlStore::NextDeliveryAt() {
  return database_->Read(
      [](storage::Connection& c) { return storage::newsletter::NextDeliveryAt(c); });
}

// Claims are not writes readers see: they run in their own transaction (Database::Claim, READ
// COMMITTED on PostgreSQL so that claimers pass over each other's rows), never bumping the
// change signal.
// The holder's heartbeat is committed before any row names it: on PostgreSQL another claimer
// that waited on a row this claim took re-checks it against its own snapshot, where a heartbeat
// first written in the claim's own transaction does not exist yet, so the row would look
// abandoned and be claimed twice.
Result<void> SqlStore::CommitHeartbeat(const ClaimTerms& terms) {
  return database_->Claim(
      [&](storage::Connection& c) { return storage::leases::Heartbeat(c, terms); });
}

Result<std::vector<Delivery>> SqlStore::ClaimDeliveries(const ClaimTerms& terms, int limit) {
  if (auto alive = CommitHeartbeat(terms); !alive) return tl::unexpected(alive.error());
  return database_->Claim([&](storage::Connection& c) {
    return storage::newsletter::ClaimDeliveries(c, terms, limit);
  });
}

Result<void> SqlStore::RecordDeliveries(const std::vector<DeliveryResult>& results,
                                        int bounce_threshold, Timestamp now,
                                        const std::string& holder) {
  return Writing(
      [&](storage::Connection& c) {
        return storage::newsletter::RecordDeliveries(c, results, bounce_threshold, now, holder);
      },
      false);
}

Result<std::int64_t> SqlStore::QueueMail(const OutgoingMail& mail) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::outbox::Queue(c, mail); }, false);
}

Result<std::vector<OutgoingMail>> SqlStore::DueMail(Timestamp now, std::int64_t after, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::outbox::Due(c, now, after, limit); });
}

Result<std::vector<OutgoingMail>> SqlStore::ClaimMail(const ClaimTerms& terms, Timestamp due_by,
                                                      std::int64_t after, int limit) {
  if (auto alive = CommitHeartbeat(terms); !alive) return tl::unexpected(alive.error());
  return database_->Claim([&](storage::Connection& c) {
    return storage::outbox::Claim(c, terms, due_by, after, limit);
  });
}

Result<void> SqlStore::RecordMail(std::int64_t id, MailOutcome outcome, Timestamp at,
                                  std::string_view error, const std::string& holder) {
  return Writing(
      [&](storage::Connection& c) {
        return storage::outbox::Record(c, id, outcome, at, error, holder);
      },
      false);
}

Result<bool> SqlStore::TakeLease(const std::string& name, const std::string& holder, Timestamp now,
                                 Timestamp until) {
  return WritingValue<bool>(
      [&](storage::Connection& c) { return storage::leases::Take(c, name, holder, now, until); },
      false);
}

Result<void> SqlStore::ReleaseLease(const std::string& name, const std::string& holder) {
  return Writing([&](storage::Connection& c) { return storage::leases::Release(c, name, holder); },
                 false);
}

Result<std::vector<Lease>> SqlStore::LiveLeases(Timestamp now) {
  return database_->Read([&](storage::Connection& c) { return storage::leases::Live(c, now); });
}

Result<std::optional<Timestamp>> SqlStore::NextMailAt() {
  return database_->Read([](storage::Connection& c) { return storage::outbox::NextAttemptAt(c); });
}

Result<int> SqlStore::PruneMail(Timestamp before) {
  int pruned = 0;
  auto done = Writing(
      [&](storage::Connection& c) -> Result<void> {
        auto removed = storage::outbox::Prune(c, before);
        if (!removed) return tl::unexpected(removed.error());
        pruned = *removed;
        return {};
      },
      false);
  if (!done) return tl::unexpected(done.error());
  return pruned;
}

Result<void> SqlStore::AppendAudit(const AuditEntry& entry) {
  return Writing([&](storage::Connection& c) { return storage::audit::Append(c, entry); }, false);
}

Result<std::vector<AuditEntry>> SqlStore::ListAudit(int limit, int offset) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::audit::List(c, limit, offset); });
}

Result<std::vector<PostDetail>> SqlStore::ListPublishedPosts(const PostQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::ListPublished(c, query); });
}

Result<int> SqlStore::CountPublishedPosts(const PostQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::CountPublished(c, query); });
}

Result<std::vector<PostAddress>> SqlStore::ListPostUrls(Timestamp now, Timestamp since, int limit,
                                                        int offset) {
  return database_->Read([&](storage::Connection& c) {
    return storage::posts::Addresses(c, now, since, limit, offset);
  });
}

Result<int> SqlStore::CountPostUrls(Timestamp now, Timestamp since) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::CountAddresses(c, now, since); });
}

Result<std::optional<std::pair<Timestamp, Timestamp>>> SqlStore::PublishedSpan(PostKind kind,
                                                                               Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::PublishedSpan(c, kind, now); });
}

Result<ChangeLogBatch> SqlStore::ReadChangeLog(const ChangeLogPosition& from, int limit) {
  // One read transaction: on PostgreSQL one REPEATABLE READ snapshot, whose horizon and rows
  // agree.
  return database_->Read(
      [&](storage::Connection& c) { return storage::change_log::Read(c, from, limit); });
}

Result<ChangeLogHead> SqlStore::ReadChangeLogHead() {
  return database_->Read([](storage::Connection& c) { return storage::change_log::Head(c); });
}

Result<ChangeLogBacklog> SqlStore::ChangeLogBehind(const ChangeLogPosition& from) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::change_log::Behind(c, from); });
}

Result<int> SqlStore::TrimChangeLog(Timestamp older_than) {
  // Bookkeeping: nothing readers see changes.
  return WritingValue<int>(
      [&](storage::Connection& c) { return storage::change_log::Trim(c, older_than); }, false);
}

Result<void> SqlStore::LogReindex() {
  // The index's bookkeeping, not a change readers see: no cache is emptied.
  return Writing(
      [](storage::Connection& c) { return storage::change_log::Append(c, "reindex", "search"); },
      false);
}

Result<std::vector<SearchChange>> SqlStore::SearchDocuments(
    const std::vector<std::int64_t>& post_ids) {
  if (post_ids.empty()) return std::vector<SearchChange>();
  return database_->Read(
      [&](storage::Connection& c) { return storage::search_source::Documents(c, post_ids); });
}

Result<std::vector<IndexedPost>> SqlStore::ListSearchDocuments(std::int64_t after_id, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::search_source::List(c, after_id, limit); });
}

Result<std::optional<SearchSnapshot>> SqlStore::LoadSearchSnapshot() {
  return database_->Read([](storage::Connection& c) { return storage::search_snapshots::Load(c); });
}

Result<std::optional<SearchSnapshot>> SqlStore::SaveSearchSnapshot(const SearchSnapshot& snapshot) {
  // The index's bookkeeping, not a change readers see: no cache is emptied.
  return WritingValue<std::optional<SearchSnapshot>>(
      [&](storage::Connection& c) { return storage::search_snapshots::Save(c, snapshot); }, false);
}

Result<std::vector<PostDetail>> SqlStore::FindPostsByIds(const std::vector<std::int64_t>& ids,
                                                         bool bodies) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::ByIds(c, ids, bodies); });
}

Result<std::vector<PostDetail>> SqlStore::RelatedCandidates(const Post& post, Timestamp now,
                                                            int limit) {
  return database_->Read([&](storage::Connection& c) {
    return storage::posts::RelatedCandidates(c, post, now, limit);
  });
}

Result<std::vector<PostDetail>> SqlStore::ListPostsByStatus(PostStatus status, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::ByStatus(c, status, limit); });
}

Result<int> SqlStore::PublishDuePosts(Timestamp now) {
  return WritingValue<int>(
      [&](storage::Connection& c) { return storage::posts::PublishDue(c, now); });
}

namespace {

// The file a backup is written to until it is whole: beside its final name, so that the rename
// that completes it stays on one file system. A backup killed midway leaves only this.
std::string PartialName(const std::string& path) { return path + ".broadsheet-partial"; }

void RemoveDatabaseFiles(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ignored);
  }
}

// Gives the whole file `partial` its final name, durably: the file's data is synced first
// (VACUUM INTO does not sync what it writes), the name is linked without replacing anything that
// took it meanwhile, and the folder's entry is synced too.
Result<void> PutInPlace(const std::string& partial, const std::string& path) {
  const int file = ::open(partial.c_str(), O_RDONLY | O_CLOEXEC);
  if (file < 0 || ::fsync(file) != 0) {
    if (file >= 0) ::close(file);
    return Fail(ErrorCode::kIo, "could not write the backup " + path, std::strerror(errno));
  }
  ::close(file);
  if (::link(partial.c_str(), path.c_str()) != 0) {
    int error = errno;
    // A file system without hard links: renamed, after looking once more for the name.
    if ((error == EPERM || error == EOPNOTSUPP) && !std::filesystem::exists(path)) {
      if (::rename(partial.c_str(), path.c_str()) == 0) return {};
      error = errno;
    }
    RemoveDatabaseFiles(partial);
    if (error == EEXIST) {
      return Fail(ErrorCode::kConflict, path + " already exists; choose a new file name");
    }
    return Fail(ErrorCode::kIo, "could not name the backup " + path, std::strerror(error));
  }
  ::unlink(partial.c_str());
  std::string folder = std::filesystem::path(path).parent_path().string();
  if (folder.empty()) folder = ".";
  const int descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (descriptor >= 0) {
    ::fsync(descriptor);
    ::close(descriptor);
  }
  return {};
}

}  // namespace

Result<void> SqlStore::BackupTo(const std::string& path) {
  if (std::filesystem::exists(path)) {
    return Fail(ErrorCode::kConflict, path + " already exists; choose a new file name");
  }
  const std::string partial = PartialName(path);
  RemoveDatabaseFiles(partial);  // what a backup killed midway left
  auto written = [&]() -> Result<void> {
    if (database_->dialect() == storage::Dialect::kPostgres) return CopyIntoNewFile(partial);
    // A SQL string literal: quotes doubled. VACUUM takes no parameters outside a transaction.
    std::string literal = "'";
    for (char c : partial) literal += c == '\'' ? std::string("''") : std::string(1, c);
    literal += "'";
    return database_->Maintain("VACUUM INTO " + literal);
  }();
  if (!written) {
    RemoveDatabaseFiles(partial);  // no half-made backup is left to be trusted
    return Fail(written.error().code,
                "could not back up to " + path + ": " + written.error().message,
                written.error().detail);
  }
  return PutInPlace(partial, path);
}

Result<void> SqlStore::CopyIntoNewFile(const std::string& path) {
  storage::DatabaseOptions options;
  options.url = path;
  options.create = true;
  auto file = storage::Database::Open(options);
  if (!file) return tl::unexpected(file.error());
  auto copied = [&]() -> Result<void> {
    if (auto migrated = sqlite::Migrate(**file); !migrated) return tl::unexpected(migrated.error());
    if (auto done = storage::CopyDatabase(*database_, **file); !done) {
      return tl::unexpected(done.error());
    }
    return {};
  }();
  file->reset();  // closed, its log folded into the file
  return copied;
}

Result<storage::CopyReport> SqlStore::CopyInto(SqlStore& target) {
  auto report = storage::CopyDatabase(*database_, *target.database_);
  if (report) target.Announce();
  return report;
}

Result<std::int64_t> SqlStore::CreateUser(const User& user) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::staff::CreateUser(c, user); }, false);
}

Result<std::optional<User>> SqlStore::FindUser(std::int64_t id) {
  return database_->Read([&](storage::Connection& c) { return storage::staff::FindUser(c, id); });
}

Result<std::optional<User>> SqlStore::FindUserByEmail(const std::string& email) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::staff::FindUserByEmail(c, email); });
}

Result<std::vector<User>> SqlStore::ListUsers() {
  return database_->Read([](storage::Connection& c) { return storage::staff::ListUsers(c); });
}

Result<void> SqlStore::SetPasswordHash(std::int64_t user_id, const std::string& hash) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::SetPasswordHash(c, user_id, hash); },
      false);
}

Result<void> SqlStore::SetUserRole(std::int64_t user_id, const std::string& role) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::SetUserRole(c, user_id, role); }, false);
}

Result<void> SqlStore::SetUserAuthor(std::int64_t user_id, std::optional<std::int64_t> author_id) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::SetUserAuthor(c, user_id, author_id); },
      false);
}

Result<void> SqlStore::SetUserDisabled(std::int64_t user_id, bool disabled) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::SetUserDisabled(c, user_id, disabled); },
      false);
}

Result<void> SqlStore::SetTotpSecret(std::int64_t user_id, const std::string& secret) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::SetTotpSecret(c, user_id, secret); },
      false);
}

Result<bool> SqlStore::UseTotpStep(std::int64_t user_id, std::int64_t step) {
  bool used = false;
  auto done = Writing(
      [&](storage::Connection& c) -> Result<void> {
        auto fresh = storage::staff::UseTotpStep(c, user_id, step);
        if (!fresh) return tl::unexpected(fresh.error());
        used = *fresh;
        return {};
      },
      false);
  if (!done) return tl::unexpected(done.error());
  return used;
}

Result<std::optional<std::string>> SqlStore::DeskSetting(const std::string& key) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::settings::DeskSetting(c, key); });
}

Result<std::map<std::string, std::string>> SqlStore::DeskSettings(const std::string& prefix) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::settings::DeskSettings(c, prefix); });
}

Result<void> SqlStore::SetDeskSetting(const std::string& key, const std::string& value) {
  // Some settings change pages (whether comments are open, how deep threads go): all bump.
  return Writing(
      [&](storage::Connection& c) { return storage::settings::SetDeskSetting(c, key, value); });
}

Result<std::vector<StoredBody>> SqlStore::ListPostBodies(std::int64_t after_id, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::Bodies(c, after_id, limit); });
}

Result<void> SqlStore::ReplacePostHtml(std::int64_t post_id, const std::string& body_html) {
  return Writing(
      [&](storage::Connection& c) { return storage::posts::ReplaceHtml(c, post_id, body_html); });
}

Result<int> SqlStore::UpgradeVersion(const std::string& name) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::settings::UpgradeVersion(c, name); });
}

Result<void> SqlStore::SetUpgradeVersion(const std::string& name, int version) {
  return Writing(
      [&](storage::Connection& c) {
        return storage::settings::SetUpgradeVersion(c, name, version);
      },
      false);
}

Result<void> SqlStore::CreateSession(const Session& session) {
  return Writing([&](storage::Connection& c) { return storage::staff::CreateSession(c, session); },
                 false);
}

Result<std::optional<Session>> SqlStore::FindSession(const std::string& token_hash, Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::staff::FindSession(c, token_hash, now); });
}

Result<void> SqlStore::TouchSession(const std::string& token_hash, Timestamp now) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::TouchSession(c, token_hash, now); },
      false);
}

Result<void> SqlStore::DeleteSession(const std::string& token_hash) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::DeleteSession(c, token_hash); }, false);
}

Result<std::vector<Session>> SqlStore::ListSessions(std::int64_t user_id, Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::staff::ListSessions(c, user_id, now); });
}

Result<std::optional<FailedLoginReservation>> SqlStore::ReserveFailedLogin(
    const FailedLoginLimits& limits, const std::string& email, const std::string& client_ip,
    Timestamp at) {
  std::optional<FailedLoginReservation> reservation;
  auto done = Writing(
      [&](storage::Connection& c) -> Result<void> {
        auto reserved = storage::staff::ReserveFailedLogin(c, limits, email, client_ip, at);
        if (!reserved) return tl::unexpected(reserved.error());
        reservation = *reserved;
        return {};
      },
      false);
  if (!done) return tl::unexpected(done.error());
  return reservation;
}

Result<Timestamp> SqlStore::TakeRate(const RateLimit& limit, const std::vector<std::string>& keys,
                                     Timestamp now) {
  // Each key's upsert is atomic; a refusal by any key rolls back the counts of those before it,
  // so that nothing is counted (the refusal travels out as an error, and back into a wait).
  Timestamp wait = 0;
  auto done = database_->Tally([&](storage::Connection& c) -> Result<void> {
    wait = 0;
    for (const std::string& key : keys) {
      auto taken = storage::rates::Take(c, limit, key, now);
      if (!taken) return tl::unexpected(taken.error());
      if (*taken > 0) {
        wait = *taken;
        return Fail(ErrorCode::kRateLimited, "rate limit reached");
      }
    }
    return {};
  });
  if (!done && !(done.error().code == ErrorCode::kRateLimited && wait > 0))
    return tl::unexpected(done.error());
  return wait;
}

Result<Timestamp> SqlStore::RateWait(const RateLimit& limit, const std::vector<std::string>& keys,
                                     Timestamp now) {
  return database_->Read([&](storage::Connection& c) -> Result<Timestamp> {
    Timestamp wait = 0;
    for (const std::string& key : keys) {
      auto until = storage::rates::Wait(c, limit, key, now);
      if (!until) return tl::unexpected(until.error());
      wait = std::max(wait, *until);
    }
    return wait;
  });
}

Result<int> SqlStore::ForgetClosedRates(Timestamp now) {
  return database_->Tally(
      [&](storage::Connection& c) { return storage::rates::ForgetClosed(c, now); });
}

Result<void> SqlStore::ReleaseFailedLogin(std::int64_t reservation_id) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::ReleaseFailedLogin(c, reservation_id); },
      false);
}

Result<void> SqlStore::ClearFailedLogins(const std::string& email) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::ClearFailedLogins(c, email); }, false);
}

Result<void> SqlStore::CreateToken(const OneTimeToken& token) {
  return Writing([&](storage::Connection& c) { return storage::staff::CreateToken(c, token); },
                 false);
}

Result<int> SqlStore::CountTokensSince(std::int64_t user_id, const std::string& purpose,
                                       Timestamp since) {
  return database_->Read([&](storage::Connection& c) {
    return storage::staff::CountTokensSince(c, user_id, purpose, since);
  });
}

Result<std::optional<OneTimeToken>> SqlStore::PeekToken(const std::string& token_hash,
                                                        const std::string& purpose, Timestamp now) {
  return database_->Read([&](storage::Connection& c) {
    return storage::staff::PeekToken(c, token_hash, purpose, now);
  });
}

Result<std::optional<OneTimeToken>> SqlStore::UseToken(const std::string& token_hash,
                                                       const std::string& purpose, Timestamp now) {
  std::optional<OneTimeToken> used;
  auto done = Writing(
      [&](storage::Connection& c) -> Result<void> {
        auto found = storage::staff::UseToken(c, token_hash, purpose, now);
        if (!found) return tl::unexpected(found.error());
        used = std::move(*found);
        return {};
      },
      false);
  if (!done) return tl::unexpected(done.error());
  return used;
}

Result<std::string> SqlStore::Secret(const std::string& name,
                                     const std::function<std::string()>& make) {
  const auto known = [&]() -> std::optional<std::string> {
    std::lock_guard lock(secrets_mutex_);
    auto found = secrets_.find(name);
    if (found == secrets_.end()) return std::nullopt;
    return found->second;
  };
  // The database is asked every time, so that every process and node uses the one it holds;
  // the copy kept here serves only while the database cannot answer, so that form tokens (and
  // with them the sign-in page and a reader's comment form) do not need it. A read needs no
  // write transaction, so that a busy or full database does not stop them either.
  auto found = database_->Read(
      [&](storage::Connection& c) { return storage::settings::FindSecret(c, name); });
  if (!found) {
    const ErrorCode code = found.error().code;
    if (code == ErrorCode::kUnavailable || code == ErrorCode::kBusy) {
      if (auto kept = known()) return *kept;
    }
    return tl::unexpected(found.error());
  }
  std::string value;
  if (*found) {
    value = std::move(**found);
  } else {
    // Missing: made now, or (a database restored from before it was made) the one in use here.
    const auto kept = known();
    const std::string wanted = kept ? *kept : make();
    auto added = Writing(
        [&](storage::Connection& c) -> Result<void> {
          auto stored = storage::settings::AddSecret(c, name, wanted);
          if (!stored) return tl::unexpected(stored.error());
          value = std::move(*stored);
          return {};
        },
        false);
    if (!added) return tl::unexpected(added.error());
  }
  // Inside a transaction still open here the row may yet be rolled back: not kept then.
  if (open_write != nullptr && open_write->store == this) return value;
  std::lock_guard lock(secrets_mutex_);
  secrets_[name] = value;
  return value;
}

}  // namespace broadsheet
