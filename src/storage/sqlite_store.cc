#include "storage/sqlite_store.h"

#include <sqlite3.h>

#include <filesystem>

#include "core/text.h"
#include "storage/migrations.h"
#include "storage/repositories.h"
#include "storage/sqlite_error.h"

namespace broadsheet {

namespace {

// bs_plain_text(html): the search index's text of a body (core's PlainText), for migration 11's
// view. Deterministic and harmless, so the schema may use it.
void PlainTextFunction(sqlite3_context* context, int, sqlite3_value** arguments) {
  const auto* html = reinterpret_cast<const char*>(sqlite3_value_text(arguments[0]));
  if (html == nullptr) {
    sqlite3_result_text(context, "", 0, SQLITE_STATIC);
    return;
  }
  const std::string text =
      PlainText(std::string_view(html, static_cast<size_t>(sqlite3_value_bytes(arguments[0]))));
  sqlite3_result_text(context, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

}  // namespace

// A prepared statement borrowed from the connection's cache; reset and unbound when destroyed.
class SqliteStore::Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  ~Statement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  bool ok() const { return stmt_ != nullptr; }

  Statement& Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& Bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Statement& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Statement& Bind(int index, bool value) { return Bind(index, static_cast<std::int64_t>(value)); }
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    if (value) return Bind(index, *value);
    sqlite3_bind_null(stmt_, index);
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  // Ready to step again, with new bindings.
  void Reset() { sqlite3_reset(stmt_); }

  std::int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string Text(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    return text ? std::string(reinterpret_cast<const char*>(text),
                              sqlite3_column_bytes(stmt_, column))
                : std::string();
  }
  std::optional<std::int64_t> OptionalInt(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Int(column);
  }
  std::optional<std::string> OptionalText(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Text(column);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const Options& options) {
  const bool in_memory = options.path == ":memory:";
  if (!in_memory && !options.create && !std::filesystem::exists(options.path)) {
    return Fail(ErrorCode::kNotFound, "no database at " + options.path);
  }
  storage::DatabaseOptions database_options;
  database_options.url = options.path;
  database_options.create = options.create;
  auto database = storage::SqliteDatabase::OpenFile(database_options);
  if (!database) {
    if (database.error().code == ErrorCode::kCorrupt) {
      return Fail(ErrorCode::kConflict, options.path + " is not a Broadsheet database",
                  database.error().detail);
    }
    return tl::unexpected(database.error());
  }
  auto signal = ChangeSignal::Open(in_memory ? "" : options.path + "-changes");
  if (!signal) return tl::unexpected(signal.error());
  auto store =
      std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*database), std::move(*signal)));
  auto prepared = store->Setup();
  if (!prepared) {
    if (prepared.error().code == ErrorCode::kCorrupt) {
      return Fail(ErrorCode::kConflict, options.path + " is not a Broadsheet database",
                  prepared.error().detail);
    }
    return tl::unexpected(prepared.error());
  }
  return store;
}

// The driver set the connection up (WAL, synchronous=FULL, foreign keys, the memory map and the
// busy timeout: storage/sqlite_database.cc). Reads map the file instead of copying each page
// through read(): once the comment indexes outgrow SQLite's own 2 MiB page cache, a storm of
// comments otherwise spends its time in pread (docs/BENCHMARKS.md, "Busy threads, third look").
Result<void> SqliteStore::Setup() {
  if (sqlite3_create_function(db_, "bs_plain_text", 1,
                              SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                              PlainTextFunction, nullptr, nullptr) != SQLITE_OK) {
    return tl::unexpected(SqlError(db_, "register functions"));
  }
  return Migrate();
}

SqliteStore::SqliteStore(std::unique_ptr<storage::SqliteDatabase> database,
                         std::unique_ptr<ChangeSignal> signal)
    : database_(std::move(database)),
      db_(database_->handle()),
      mutex_(database_->mutex()),
      signal_(std::move(signal)) {}

SqliteStore::~SqliteStore() {
  // The driver closes the connection after these, its own statements and its cache.
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
}

Result<void> SqliteStore::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Error error = SqlError(db_, "setup");
    sqlite3_free(message);
    return tl::unexpected(error);
  }
  return {};
}

SqliteStore::Statement SqliteStore::Prepare(const char* sql) {
  std::lock_guard lock(mutex_);
  auto found = statements_.find(sql);
  if (found != statements_.end()) return Statement(db_, found->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) == SQLITE_OK) {
    statements_.emplace(sql, stmt);
  }
  return Statement(db_, stmt);
}

Result<void> SqliteStore::Complete(Statement& statement) {
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "prepare"));
  const int rc = statement.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "write"));
  return {};
}

Result<void> SqliteStore::Migrate() {
  std::lock_guard lock(mutex_);
  int application_id = 0;
  int version = 0;
  {
    auto statement = Prepare("PRAGMA application_id");
    if (!statement.ok() || statement.Step() != SQLITE_ROW) {
      return Fail(ErrorCode::kConflict, "the file is not a Broadsheet database",
                  sqlite3_errmsg(db_));
    }
    application_id = static_cast<int>(statement.Int(0));
  }
  {
    auto statement = Prepare("PRAGMA user_version");
    if (!statement.ok() || statement.Step() != SQLITE_ROW)
      return tl::unexpected(SqlError(db_, "read schema version"));
    version = static_cast<int>(statement.Int(0));
  }
  int tables = 0;
  {
    auto statement = Prepare("SELECT count(*) FROM sqlite_master");
    if (statement.ok() && statement.Step() == SQLITE_ROW)
      tables = static_cast<int>(statement.Int(0));
  }
  if (application_id != sqlite::kApplicationId && (application_id != 0 || tables > 0)) {
    return Fail(ErrorCode::kConflict, "the database was not written by Broadsheet");
  }
  const auto& migrations = sqlite::Migrations();
  if (version > static_cast<int>(migrations.size())) {
    return Fail(ErrorCode::kConflict, "the database was written by a newer Broadsheet (schema " +
                                          std::to_string(version) + "); this one knows schema " +
                                          std::to_string(migrations.size()));
  }
  // Foreign keys are off while the schema changes (SQLite's documented procedure for rebuilding
  // a table), and checked before each migration commits.
  if (version < static_cast<int>(migrations.size())) {
    if (auto off = Exec("PRAGMA foreign_keys = OFF"); !off) return off;
  }
  for (int next = version; next < static_cast<int>(migrations.size()); ++next) {
    auto applied = InTransaction([&]() -> Result<void> {
      // Another process may have migrated while this one waited for the write lock.
      {
        // Scoped: an unfinished statement would lock the tables the migration rebuilds.
        auto current = Prepare("PRAGMA user_version");
        if (!current.ok() || current.Step() != SQLITE_ROW) {
          return tl::unexpected(SqlError(db_, "read schema version"));
        }
        if (current.Int(0) > next) return {};
      }
      const std::string sql =
          std::string(migrations[next]) + "\nPRAGMA user_version = " + std::to_string(next + 1) +
          ";" + "\nPRAGMA application_id = " + std::to_string(sqlite::kApplicationId) + ";";
      char* message = nullptr;
      if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        Error error{ErrorCode::kInternal, "migration " + std::to_string(next + 1) + " failed",
                    message ? message : ""};
        sqlite3_free(message);
        return tl::unexpected(error);
      }
      auto check = Prepare("PRAGMA foreign_key_check");
      if (check.ok() && check.Step() == SQLITE_ROW) {
        return Fail(ErrorCode::kCorrupt, "migration " + std::to_string(next + 1) +
                                             " would break references between tables");
      }
      return {};
    });
    if (!applied) {
      Exec("PRAGMA foreign_keys = ON");
      return applied;
    }
  }
  if (auto on = Exec("PRAGMA foreign_keys = ON"); !on) return on;
  schema_version_ = static_cast<int>(migrations.size());
  return {};
}

Result<void> SqliteStore::InTransaction(const std::function<Result<void>()>& work) {
  return Transact(work, true);
}

Result<void> SqliteStore::Transact(const std::function<Result<void>()>& work, bool invalidates) {
  std::lock_guard lock(mutex_);
  if (transaction_depth_ > 0) {
    invalidates_ = invalidates_ || invalidates;
    ++transaction_depth_;
    auto result = work();
    --transaction_depth_;
    return result;
  }
  const auto changes_before = sqlite3_total_changes64(db_);
  invalidates_ = invalidates;
  auto done = database_->Transact([&](storage::Connection&) -> Result<void> {
    ++transaction_depth_;
    auto result = work();
    --transaction_depth_;
    return result;
  });
  if (!done) return done;
  // Only a transaction that changed what readers see invalidates their caches.
  if (invalidates_ && sqlite3_total_changes64(db_) != changes_before) signal_->Bump();
  return {};
}

Result<void> SqliteStore::Writing(const std::function<Result<void>(storage::Connection&)>& work,
                                  bool invalidates) {
  return Transact([&] { return database_->Transact(work); }, invalidates);
}

Result<Publication> SqliteStore::LoadPublication() {
  return database_->Read(
      [](storage::Connection& c) { return storage::settings::LoadPublication(c); });
}

Result<void> SqliteStore::SavePublication(const Publication& publication) {
  return Writing(
      [&](storage::Connection& c) { return storage::settings::SavePublication(c, publication); });
}

Result<std::vector<Section>> SqliteStore::ListSections() {
  return database_->Read([](storage::Connection& c) { return storage::taxonomy::ListSections(c); });
}

Result<std::optional<Section>> SqliteStore::FindSection(const std::string& slug) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::taxonomy::FindSection(c, slug); });
}

Result<std::int64_t> SqliteStore::UpsertSection(const Section& section) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::taxonomy::UpsertSection(c, section); });
}

Result<std::optional<Author>> SqliteStore::FindAuthor(const std::string& slug) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::taxonomy::FindAuthor(c, slug); });
}

Result<std::vector<Author>> SqliteStore::ListAuthors() {
  return database_->Read([](storage::Connection& c) { return storage::taxonomy::ListAuthors(c); });
}

Result<std::int64_t> SqliteStore::UpsertAuthor(const Author& author) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::taxonomy::UpsertAuthor(c, author); });
}

Result<void> SqliteStore::DeleteSection(const std::string& slug) {
  return Writing([&](storage::Connection& c) { return storage::taxonomy::DeleteSection(c, slug); });
}

Result<std::vector<Tag>> SqliteStore::ListTags() {
  return database_->Read([](storage::Connection& c) { return storage::taxonomy::ListTags(c); });
}

Result<void> SqliteStore::DeleteTag(const std::string& slug) {
  return Writing([&](storage::Connection& c) { return storage::taxonomy::DeleteTag(c, slug); });
}

Result<std::optional<Tag>> SqliteStore::FindTag(const std::string& slug) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::taxonomy::FindTag(c, slug); });
}

Result<std::int64_t> SqliteStore::UpsertTag(const Tag& tag) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::taxonomy::UpsertTag(c, tag); });
}

Result<std::optional<Post>> SqliteStore::FindPost(const std::string& slug) {
  return database_->Read([&](storage::Connection& c) { return storage::posts::Find(c, slug); });
}

Result<std::optional<PostDetail>> SqliteStore::FindPublishedPost(const std::string& slug,
                                                                 Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::FindPublished(c, slug, now); });
}

Result<std::int64_t> SqliteStore::UpsertPost(const Post& post) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::posts::Upsert(c, post); });
}

Result<std::vector<std::int64_t>> SqliteStore::ListAllPostIds() {
  return database_->Read([](storage::Connection& c) { return storage::posts::AllIds(c); });
}

Result<std::int64_t> SqliteStore::CreatePost(const Post& post, std::optional<std::int64_t> user_id,
                                             const std::string& revision_details) {
  return WritingValue<std::int64_t>([&](storage::Connection& c) {
    return storage::posts::Create(c, post, user_id, revision_details);
  });
}

Result<int> SqliteStore::SavePostEdit(const Post& post, int expected_edit_count,
                                      std::optional<std::int64_t> user_id,
                                      const std::string& revision_details) {
  return WritingValue<int>([&](storage::Connection& c) {
    return storage::posts::SaveEdit(c, post, expected_edit_count, user_id, revision_details);
  });
}

Result<std::optional<PostDetail>> SqliteStore::FindPostById(std::int64_t id) {
  return database_->Read([&](storage::Connection& c) { return storage::posts::FindById(c, id); });
}

Result<std::vector<PostDetail>> SqliteStore::ListPostsForDesk(const DeskQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::ListForDesk(c, query); });
}

Result<int> SqliteStore::CountPostsForDesk(const DeskQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::CountForDesk(c, query); });
}

Result<int> SqliteStore::EmptyTrash() {
  return WritingValue<int>([](storage::Connection& c) { return storage::posts::DeleteTrashed(c); });
}

Result<std::int64_t> SqliteStore::AddPostNote(const PostNote& note,
                                              std::optional<std::int64_t> user_id) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::posts::AddNote(c, note, user_id); });
}

Result<std::vector<Revision>> SqliteStore::ListRevisions(std::int64_t post_id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::Revisions(c, post_id); });
}

Result<void> SqliteStore::RestoreRevision(const Revision& revision) {
  return Writing(
      [&](storage::Connection& c) { return storage::posts::RestoreRevision(c, revision); });
}

Result<void> SqliteStore::RestorePostNote(const PostNote& note) {
  return Writing([&](storage::Connection& c) { return storage::posts::RestoreNote(c, note); });
}

Result<std::optional<Revision>> SqliteStore::FindRevision(std::int64_t id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::FindRevision(c, id); });
}

Result<void> SqliteStore::PutRedirect(const Redirect& redirect) {
  return Writing([&](storage::Connection& c) { return storage::redirects::Put(c, redirect); });
}

Result<void> SqliteStore::DeleteRedirect(const std::string& from_path) {
  return Writing([&](storage::Connection& c) { return storage::redirects::Remove(c, from_path); });
}

Result<std::vector<Redirect>> SqliteStore::ListRedirects() {
  return database_->Read([](storage::Connection& c) { return storage::redirects::List(c); });
}

Result<std::optional<Redirect>> SqliteStore::FindRedirect(const std::string& from_path) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::redirects::Find(c, from_path); });
}

Result<std::int64_t> SqliteStore::CreateMedia(const MediaItem& item) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::media::Create(c, item); });
}

Result<std::vector<MediaItem>> SqliteStore::ListMedia(int limit, int offset) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::media::List(c, limit, offset); });
}

Result<std::optional<MediaItem>> SqliteStore::FindMediaByUrl(const std::string& url) {
  return database_->Read([&](storage::Connection& c) { return storage::media::FindByUrl(c, url); });
}

Result<std::optional<ImportedRecord>> SqliteStore::FindImported(const std::string& source,
                                                                const std::string& kind,
                                                                const std::string& foreign_id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::imported::Find(c, source, kind, foreign_id); });
}

Result<void> SqliteStore::RecordImported(const ImportedRecord& record) {
  return Writing([&](storage::Connection& c) { return storage::imported::Record(c, record); },
                 false);
}

Result<std::int64_t> SqliteStore::SaveImportedComment(const Comment& comment) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::comments::SaveImported(c, comment); });
}

Result<std::vector<Comment>> SqliteStore::ListCommentsOfPost(std::int64_t post_id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::OfPost(c, post_id); });
}

Result<std::int64_t> SqliteStore::CreateComment(const Comment& comment, CacheNotice notice) {
  // A pending comment changes no page; only approved ones invalidate the cache.
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::comments::Create(c, comment); },
      comment.status == CommentStatus::kApproved && notice == CacheNotice::kBump);
}

Result<std::optional<Comment>> SqliteStore::FindComment(std::int64_t id) {
  return database_->Read([&](storage::Connection& c) { return storage::comments::Find(c, id); });
}

Result<std::vector<Comment>> SqliteStore::ListApprovedComments(std::int64_t post_id, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::Approved(c, post_id, limit); });
}

Result<Store::CommentThreads> SqliteStore::ListCommentThreads(std::int64_t post_id, int skip,
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

Result<std::optional<int>> SqliteStore::CommentThreadIndex(std::int64_t post_id, std::int64_t id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::ThreadIndex(c, post_id, id); });
}

Result<std::vector<Comment>> SqliteStore::ListComments(std::optional<CommentStatus> status,
                                                       int limit, const std::string& text) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::List(c, status, limit, text); });
}

Result<void> SqliteStore::SetCommentStatus(std::int64_t id, CommentStatus status) {
  return Writing(
      [&](storage::Connection& c) { return storage::comments::SetStatus(c, id, status); });
}

Result<void> SqliteStore::UpdateComment(const Comment& comment) {
  return Writing([&](storage::Connection& c) { return storage::comments::Update(c, comment); });
}

Result<std::vector<Comment>> SqliteStore::ListCommentsByEmail(const std::string& email) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::ByEmail(c, email); });
}

Result<int> SqliteStore::EraseCommentsByEmail(const std::string& email) {
  return WritingValue<int>(
      [&](storage::Connection& c) { return storage::comments::EraseByEmail(c, email); });
}

Result<int> SqliteStore::ForgetCommentClients(Timestamp before) {
  return WritingValue<int>(
      [&](storage::Connection& c) { return storage::comments::ForgetClients(c, before); }, false);
}

Result<void> SqliteStore::LearnComment(std::int64_t id, bool spam,
                                       const std::vector<std::string>& words) {
  return Writing(
      [&](storage::Connection& c) { return storage::comments::Learn(c, id, spam, words); }, false);
}

Result<SpamCounts> SqliteStore::CountSpamWords(const std::vector<std::string>& words) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::CountSpamWords(c, words); });
}

Result<int> SqliteStore::CountRecentComments(const std::string& email,
                                             const std::string& client_hash, Timestamp since) {
  return database_->Read([&](storage::Connection& c) {
    return storage::comments::CountRecent(c, email, client_hash, since);
  });
}

Result<bool> SqliteStore::HasDuplicateComment(std::int64_t post_id, const std::string& email,
                                              const std::string& body) {
  return database_->Read([&](storage::Connection& c) {
    return storage::comments::HasDuplicate(c, post_id, email, body);
  });
}

Result<int> SqliteStore::CountApprovedComments(std::int64_t post_id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::CountApproved(c, post_id); });
}

Result<bool> SqliteStore::HasApprovedCommentFrom(const std::string& email) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::comments::HasApprovedFrom(c, email); });
}

Result<std::int64_t> SqliteStore::SaveSubscriber(const Subscriber& subscriber) {
  // Subscribers never appear on public pages, so this leaves the page cache alone.
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::newsletter::SaveSubscriber(c, subscriber); },
      false);
}

Result<std::optional<Subscriber>> SqliteStore::FindSubscriber(std::int64_t id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::FindSubscriber(c, id); });
}

Result<std::optional<Subscriber>> SqliteStore::FindSubscriberByEmail(const std::string& email) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::FindSubscriberByEmail(c, email); });
}

Result<void> SqliteStore::DeleteSubscriber(std::int64_t id) {
  return Writing(
      [&](storage::Connection& c) { return storage::newsletter::DeleteSubscriber(c, id); }, false);
}

Result<std::vector<Subscriber>> SqliteStore::ListSubscribers(const SubscriberQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::ListSubscribers(c, query); });
}

Result<int> SqliteStore::CountSubscribers(const SubscriberQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::CountSubscribers(c, query); });
}

Result<std::vector<std::pair<Timestamp, int>>> SqliteStore::SubscriberGrowth(Timestamp since) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::SubscriberGrowth(c, since); });
}

Result<std::int64_t> SqliteStore::QueueSend(const NewsletterSend& send) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::newsletter::QueueSend(c, send); }, false);
}

Result<int> SqliteStore::CountRecipients(const std::vector<std::string>& segments) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::CountRecipients(c, segments); });
}

Result<std::optional<NewsletterSend>> SqliteStore::FindSend(std::int64_t id) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::FindSend(c, id); });
}

Result<std::vector<NewsletterSend>> SqliteStore::ListSends(int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::ListSends(c, limit); });
}

Result<std::vector<Delivery>> SqliteStore::DueDeliveries(Timestamp now, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::newsletter::DueDeliveries(c, now, limit); });
}

Result<void> SqliteStore::CancelSend(std::int64_t id, Timestamp now) {
  return Writing(
      [&](storage::Connection& c) { return storage::newsletter::CancelSend(c, id, now); }, false);
}

Result<std::optional<Timestamp>> SqliteStore::NextDeliveryAt() {
  return database_->Read(
      [](storage::Connection& c) { return storage::newsletter::NextDeliveryAt(c); });
}

Result<void> SqliteStore::RecordDeliveries(const std::vector<DeliveryResult>& results,
                                           int bounce_threshold, Timestamp now) {
  return Writing(
      [&](storage::Connection& c) {
        return storage::newsletter::RecordDeliveries(c, results, bounce_threshold, now);
      },
      false);
}

Result<std::int64_t> SqliteStore::QueueMail(const OutgoingMail& mail) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::outbox::Queue(c, mail); }, false);
}

Result<std::vector<OutgoingMail>> SqliteStore::DueMail(Timestamp now, std::int64_t after,
                                                       int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::outbox::Due(c, now, after, limit); });
}

Result<void> SqliteStore::RecordMail(std::int64_t id, MailOutcome outcome, Timestamp at,
                                     std::string_view error) {
  return Writing(
      [&](storage::Connection& c) { return storage::outbox::Record(c, id, outcome, at, error); },
      false);
}

Result<std::optional<Timestamp>> SqliteStore::NextMailAt() {
  return database_->Read([](storage::Connection& c) { return storage::outbox::NextAttemptAt(c); });
}

Result<int> SqliteStore::PruneMail(Timestamp before) {
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

Result<void> SqliteStore::AppendAudit(const AuditEntry& entry) {
  return Writing([&](storage::Connection& c) { return storage::audit::Append(c, entry); }, false);
}

Result<std::vector<AuditEntry>> SqliteStore::ListAudit(int limit, int offset) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::audit::List(c, limit, offset); });
}

Result<std::vector<PostDetail>> SqliteStore::ListPublishedPosts(const PostQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::ListPublished(c, query); });
}

Result<int> SqliteStore::CountPublishedPosts(const PostQuery& query) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::CountPublished(c, query); });
}

Result<std::vector<PostAddress>> SqliteStore::ListPostUrls(Timestamp now, Timestamp since,
                                                           int limit, int offset) {
  return database_->Read([&](storage::Connection& c) {
    return storage::posts::Addresses(c, now, since, limit, offset);
  });
}

Result<int> SqliteStore::CountPostUrls(Timestamp now, Timestamp since) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::CountAddresses(c, now, since); });
}

Result<std::optional<std::pair<Timestamp, Timestamp>>> SqliteStore::PublishedSpan(PostKind kind,
                                                                                  Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::PublishedSpan(c, kind, now); });
}

Result<std::vector<SearchChange>> SqliteStore::PendingSearchChanges(int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::search_queue::Pending(c, limit); });
}

Result<void> SqliteStore::ClearSearchChanges(std::int64_t up_to_sequence) {
  // Bookkeeping of the index, not a change readers see.
  return Writing(
      [&](storage::Connection& c) { return storage::search_queue::Clear(c, up_to_sequence); },
      false);
}

Result<void> SqliteStore::QueueAllForSearch() {
  return Writing([](storage::Connection& c) { return storage::search_queue::QueueAllPublished(c); },
                 false);
}

Result<std::vector<PostDetail>> SqliteStore::FindPostsByIds(const std::vector<std::int64_t>& ids) {
  return database_->Read([&](storage::Connection& c) { return storage::posts::ByIds(c, ids); });
}

Result<std::vector<PostDetail>> SqliteStore::RelatedCandidates(const Post& post, Timestamp now,
                                                               int limit) {
  return database_->Read([&](storage::Connection& c) {
    return storage::posts::RelatedCandidates(c, post, now, limit);
  });
}

Result<std::vector<PostDetail>> SqliteStore::ListPostsByStatus(PostStatus status, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::ByStatus(c, status, limit); });
}

Result<int> SqliteStore::PublishDuePosts(Timestamp now) {
  return WritingValue<int>(
      [&](storage::Connection& c) { return storage::posts::PublishDue(c, now); });
}

Result<void> SqliteStore::BackupTo(const std::string& path) {
  if (std::filesystem::exists(path)) {
    return Fail(ErrorCode::kConflict, path + " already exists; choose a new file name");
  }
  std::lock_guard lock(mutex_);
  auto statement = Prepare("VACUUM INTO ?1");
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "backup"));
  statement.Bind(1, path);
  if (statement.Step() != SQLITE_DONE) return tl::unexpected(SqlError(db_, "backup to " + path));
  return {};
}

Result<std::int64_t> SqliteStore::CreateUser(const User& user) {
  return WritingValue<std::int64_t>(
      [&](storage::Connection& c) { return storage::staff::CreateUser(c, user); }, false);
}

Result<std::optional<User>> SqliteStore::FindUser(std::int64_t id) {
  return database_->Read([&](storage::Connection& c) { return storage::staff::FindUser(c, id); });
}

Result<std::optional<User>> SqliteStore::FindUserByEmail(const std::string& email) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::staff::FindUserByEmail(c, email); });
}

Result<std::vector<User>> SqliteStore::ListUsers() {
  return database_->Read([](storage::Connection& c) { return storage::staff::ListUsers(c); });
}

Result<void> SqliteStore::SetPasswordHash(std::int64_t user_id, const std::string& hash) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::SetPasswordHash(c, user_id, hash); },
      false);
}

Result<void> SqliteStore::SetUserRole(std::int64_t user_id, const std::string& role) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::SetUserRole(c, user_id, role); }, false);
}

Result<void> SqliteStore::SetUserDisabled(std::int64_t user_id, bool disabled) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::SetUserDisabled(c, user_id, disabled); },
      false);
}

Result<void> SqliteStore::SetTotpSecret(std::int64_t user_id, const std::string& secret) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::SetTotpSecret(c, user_id, secret); },
      false);
}

Result<bool> SqliteStore::UseTotpStep(std::int64_t user_id, std::int64_t step) {
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

Result<std::optional<std::string>> SqliteStore::DeskSetting(const std::string& key) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::settings::DeskSetting(c, key); });
}

Result<std::map<std::string, std::string>> SqliteStore::DeskSettings(const std::string& prefix) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::settings::DeskSettings(c, prefix); });
}

Result<void> SqliteStore::SetDeskSetting(const std::string& key, const std::string& value) {
  // Some settings change pages (whether comments are open, how deep threads go): all bump.
  return Writing(
      [&](storage::Connection& c) { return storage::settings::SetDeskSetting(c, key, value); });
}

Result<std::vector<StoredBody>> SqliteStore::ListPostBodies(std::int64_t after_id, int limit) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::posts::Bodies(c, after_id, limit); });
}

Result<void> SqliteStore::ReplacePostHtml(std::int64_t post_id, const std::string& body_html) {
  return Writing(
      [&](storage::Connection& c) { return storage::posts::ReplaceHtml(c, post_id, body_html); });
}

Result<int> SqliteStore::UpgradeVersion(const std::string& name) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::settings::UpgradeVersion(c, name); });
}

Result<void> SqliteStore::SetUpgradeVersion(const std::string& name, int version) {
  return Writing(
      [&](storage::Connection& c) {
        return storage::settings::SetUpgradeVersion(c, name, version);
      },
      false);
}

Result<void> SqliteStore::CreateSession(const Session& session) {
  return Writing([&](storage::Connection& c) { return storage::staff::CreateSession(c, session); },
                 false);
}

Result<std::optional<Session>> SqliteStore::FindSession(const std::string& token_hash,
                                                        Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::staff::FindSession(c, token_hash, now); });
}

Result<void> SqliteStore::TouchSession(const std::string& token_hash, Timestamp now) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::TouchSession(c, token_hash, now); },
      false);
}

Result<void> SqliteStore::DeleteSession(const std::string& token_hash) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::DeleteSession(c, token_hash); }, false);
}

Result<std::vector<Session>> SqliteStore::ListSessions(std::int64_t user_id, Timestamp now) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::staff::ListSessions(c, user_id, now); });
}

Result<std::optional<FailedLoginReservation>> SqliteStore::ReserveFailedLogin(
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

Result<void> SqliteStore::ReleaseFailedLogin(std::int64_t reservation_id) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::ReleaseFailedLogin(c, reservation_id); },
      false);
}

Result<void> SqliteStore::ClearFailedLogins(const std::string& email) {
  return Writing(
      [&](storage::Connection& c) { return storage::staff::ClearFailedLogins(c, email); }, false);
}

Result<void> SqliteStore::CreateToken(const OneTimeToken& token) {
  return Writing([&](storage::Connection& c) { return storage::staff::CreateToken(c, token); },
                 false);
}

Result<int> SqliteStore::CountTokensSince(std::int64_t user_id, const std::string& purpose,
                                          Timestamp since) {
  return database_->Read([&](storage::Connection& c) {
    return storage::staff::CountTokensSince(c, user_id, purpose, since);
  });
}

Result<std::optional<OneTimeToken>> SqliteStore::PeekToken(const std::string& token_hash,
                                                           const std::string& purpose,
                                                           Timestamp now) {
  return database_->Read([&](storage::Connection& c) {
    return storage::staff::PeekToken(c, token_hash, purpose, now);
  });
}

Result<std::optional<OneTimeToken>> SqliteStore::UseToken(const std::string& token_hash,
                                                          const std::string& purpose,
                                                          Timestamp now) {
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

Result<std::string> SqliteStore::Secret(const std::string& name,
                                        const std::function<std::string()>& make) {
  // Secrets are made once and then only read: a read needs no write transaction, so that a
  // busy or full database does not stop form tokens (and with them every desk form).
  auto found = database_->Read(
      [&](storage::Connection& c) { return storage::settings::FindSecret(c, name); });
  if (!found) return tl::unexpected(found.error());
  if (*found) return std::move(**found);
  std::string value;
  auto added = Writing(
      [&](storage::Connection& c) -> Result<void> {
        auto stored = storage::settings::AddSecret(c, name, make());
        if (!stored) return tl::unexpected(stored.error());
        value = std::move(*stored);
        return {};
      },
      false);
  if (!added) return tl::unexpected(added.error());
  return value;
}

}  // namespace broadsheet
