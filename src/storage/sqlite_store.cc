#include "storage/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <limits>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/text.h"
#include "storage/dialect.h"
#include "storage/migrations.h"
#include "storage/repositories.h"
#include "storage/row_readers.h"
#include "storage/sqlite_error.h"

namespace broadsheet {

using storage::kListedPostColumns;
using storage::kPostColumns;
using storage::ReadAuthor;
using storage::ReadPost;
using storage::ReadSection;

namespace {

const char* KindName(PostKind kind) { return kind == PostKind::kPage ? "page" : "article"; }

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

Result<std::int64_t> SqliteStore::WritingId(
    const std::function<Result<std::int64_t>(storage::Connection&)>& work, bool invalidates) {
  std::int64_t id = 0;
  auto done = Writing(
      [&](storage::Connection& c) -> Result<void> {
        auto written = work(c);
        if (!written) return tl::unexpected(written.error());
        id = *written;
        return {};
      },
      invalidates);
  if (!done) return tl::unexpected(done.error());
  return id;
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
  return WritingId(
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
  return WritingId(
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
  return WritingId([&](storage::Connection& c) { return storage::taxonomy::UpsertTag(c, tag); });
}

Result<std::optional<Post>> SqliteStore::FindPost(const std::string& slug) {
  std::lock_guard lock(mutex_);
  static const std::string sql =
      std::string("SELECT ") + kPostColumns + " FROM posts WHERE slug = ?1";
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "find post"));
  statement.Bind(1, slug);
  const int rc = statement.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "find post"));
  Post post = ReadPost(statement);
  auto authors = Prepare("SELECT author_id FROM post_authors WHERE post_id = ?1 ORDER BY position");
  authors.Bind(1, post.id);
  while (authors.Step() == SQLITE_ROW) post.author_ids.push_back(authors.Int(0));
  auto tags = Prepare("SELECT tag_id FROM post_tags WHERE post_id = ?1 ORDER BY tag_id");
  tags.Bind(1, post.id);
  while (tags.Step() == SQLITE_ROW) post.tag_ids.push_back(tags.Int(0));
  return post;
}

Result<std::optional<PostDetail>> SqliteStore::FindPublishedPost(const std::string& slug,
                                                                 Timestamp now) {
  std::lock_guard lock(mutex_);
  static const std::string sql = std::string("SELECT ") + kPostColumns +
                                 " FROM posts WHERE slug = ?1 AND status = 'published' AND "
                                 "published_at <= ?2";
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "find post"));
  statement.Bind(1, slug).Bind(2, now);
  const int rc = statement.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "find post"));
  std::vector<PostDetail> details(1);
  details[0].post = ReadPost(statement);
  if (auto loaded = LoadDetails(details); !loaded) return tl::unexpected(loaded.error());
  return std::move(details[0]);
}

Result<std::int64_t> SqliteStore::UpsertPost(const Post& post) {
  std::int64_t id = 0;
  auto done = InTransaction([&]() -> Result<void> {
    auto statement = Prepare(
        "INSERT INTO posts(slug, kind, status, title, dek, body_markdown, body_html, "
        "published_at, updated_at, created_at, section_id, image_url, image_alt, image_caption, "
        "image_credit, opinion, disclaimer, disclaimer_hidden, comments_open, meta_description, "
        "social_image, canonical_url, noindex, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
        "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) "
        "ON CONFLICT(slug) DO UPDATE SET kind = excluded.kind, status = excluded.status, "
        "title = excluded.title, dek = excluded.dek, body_markdown = excluded.body_markdown, "
        "body_html = excluded.body_html, published_at = excluded.published_at, "
        "updated_at = excluded.updated_at, section_id = excluded.section_id, "
        "image_url = excluded.image_url, image_alt = excluded.image_alt, "
        "image_caption = excluded.image_caption, image_credit = excluded.image_credit, "
        "opinion = excluded.opinion, disclaimer = excluded.disclaimer, "
        "disclaimer_hidden = excluded.disclaimer_hidden, comments_open = excluded.comments_open, "
        "meta_description = excluded.meta_description, social_image = excluded.social_image, "
        "canonical_url = excluded.canonical_url, noindex = excluded.noindex, "
        "edit_count = posts.edit_count + 1 RETURNING id");
    statement.Bind(1, post.slug).Bind(2, KindName(post.kind)).Bind(3, PostStatusName(post.status));
    statement.Bind(4, post.title).Bind(5, post.dek).Bind(6, post.body_markdown);
    statement.Bind(7, post.body_html).Bind(8, post.published_at).Bind(9, post.updated_at);
    statement.Bind(10, post.created_at ? post.created_at : Now()).Bind(11, post.section_id);
    statement.Bind(12, post.image.url);
    statement.Bind(13, post.image.alt).Bind(14, post.image.caption).Bind(15, post.image.credit);
    statement.Bind(16, post.opinion).Bind(17, post.disclaimer).Bind(18, post.disclaimer_hidden);
    statement.Bind(19, post.comments_open).Bind(20, post.seo.description);
    statement.Bind(21, post.seo.social_image).Bind(22, post.seo.canonical_url);
    statement.Bind(23, post.seo.noindex).Bind(24, post.created_by);
    if (!statement.ok() || statement.Step() != SQLITE_ROW)
      return tl::unexpected(SqlError(db_, "save post"));
    id = statement.Int(0);

    return WritePostLinks(id, post);
  });
  if (!done) return tl::unexpected(done.error());
  return id;
}

Result<std::vector<std::int64_t>> SqliteStore::ListAllPostIds() {
  std::lock_guard lock(mutex_);
  auto statement = Prepare("SELECT id FROM posts ORDER BY created_at, id");
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "list posts"));
  std::vector<std::int64_t> ids;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW) ids.push_back(statement.Int(0));
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "list posts"));
  return ids;
}

Result<void> SqliteStore::WritePostLinks(std::int64_t id, const Post& post) {
  auto clear_authors = Prepare("DELETE FROM post_authors WHERE post_id = ?1");
  clear_authors.Bind(1, id);
  if (auto cleared = Complete(clear_authors); !cleared) return cleared;
  int position = 0;
  for (auto author_id : post.author_ids) {
    auto insert = Prepare(
        "INSERT OR IGNORE INTO post_authors(post_id, author_id, position) VALUES (?1, ?2, ?3)");
    insert.Bind(1, id).Bind(2, author_id).Bind(3, position++);
    if (auto inserted = Complete(insert); !inserted) return inserted;
  }
  auto clear_tags = Prepare("DELETE FROM post_tags WHERE post_id = ?1");
  clear_tags.Bind(1, id);
  if (auto cleared = Complete(clear_tags); !cleared) return cleared;
  for (auto tag_id : post.tag_ids) {
    auto insert = Prepare("INSERT OR IGNORE INTO post_tags(post_id, tag_id) VALUES (?1, ?2)");
    insert.Bind(1, id).Bind(2, tag_id);
    if (auto inserted = Complete(insert); !inserted) return inserted;
  }
  return {};
}

Result<void> SqliteStore::AddRevision(std::int64_t post_id, const Post& post,
                                      std::optional<std::int64_t> user_id,
                                      const std::string& details) {
  auto statement = Prepare(
      "INSERT INTO revisions(post_id, saved_at, user_id, title, dek, body_markdown, details) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  statement.Bind(1, post_id).Bind(2, Now()).Bind(3, user_id).Bind(4, post.title);
  statement.Bind(5, post.dek).Bind(6, post.body_markdown).Bind(7, details);
  return Complete(statement);
}

Result<std::int64_t> SqliteStore::CreatePost(const Post& post, std::optional<std::int64_t> user_id,
                                             const std::string& revision_details) {
  std::int64_t id = 0;
  auto done = InTransaction([&]() -> Result<void> {
    auto statement = Prepare(
        "INSERT INTO posts(slug, kind, status, title, dek, body_markdown, body_html, "
        "published_at, updated_at, created_at, section_id, image_url, image_alt, image_caption, "
        "image_credit, opinion, disclaimer, disclaimer_hidden, comments_open, created_by, "
        "edit_count, meta_description, social_image, canonical_url, noindex) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, 1, "
        "?21, ?22, ?23, ?24) ON CONFLICT(slug) DO NOTHING RETURNING id");
    statement.Bind(1, post.slug).Bind(2, KindName(post.kind)).Bind(3, PostStatusName(post.status));
    statement.Bind(4, post.title).Bind(5, post.dek).Bind(6, post.body_markdown);
    statement.Bind(7, post.body_html).Bind(8, post.published_at).Bind(9, post.updated_at);
    statement.Bind(10, Now()).Bind(11, post.section_id).Bind(12, post.image.url);
    statement.Bind(13, post.image.alt).Bind(14, post.image.caption).Bind(15, post.image.credit);
    statement.Bind(16, post.opinion).Bind(17, post.disclaimer).Bind(18, post.disclaimer_hidden);
    statement.Bind(19, post.comments_open).Bind(20, user_id).Bind(21, post.seo.description);
    statement.Bind(22, post.seo.social_image).Bind(23, post.seo.canonical_url);
    statement.Bind(24, post.seo.noindex);
    if (!statement.ok()) return tl::unexpected(SqlError(db_, "create post"));
    const int rc = statement.Step();
    if (rc == SQLITE_DONE) {
      return Fail(ErrorCode::kConflict,
                  "the address /" + post.slug + "/ is already used by another post");
    }
    if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "create post"));
    id = statement.Int(0);
    if (auto links = WritePostLinks(id, post); !links) return links;
    return AddRevision(id, post, user_id, revision_details);
  });
  if (!done) return tl::unexpected(done.error());
  return id;
}

Result<int> SqliteStore::SavePostEdit(const Post& post, int expected_edit_count,
                                      std::optional<std::int64_t> user_id,
                                      const std::string& revision_details) {
  int edit_count = 0;
  auto done = InTransaction([&]() -> Result<void> {
    auto taken = Prepare("SELECT id FROM posts WHERE slug = ?1 AND id <> ?2");
    taken.Bind(1, post.slug).Bind(2, post.id);
    if (taken.Step() == SQLITE_ROW) {
      return Fail(ErrorCode::kConflict,
                  "the address /" + post.slug + "/ is already used by another post");
    }
    auto statement = Prepare(
        "UPDATE posts SET slug = ?2, kind = ?3, status = ?4, title = ?5, dek = ?6, "
        "body_markdown = ?7, body_html = ?8, published_at = ?9, updated_at = ?10, "
        "section_id = ?11, image_url = ?12, image_alt = ?13, image_caption = ?14, "
        "image_credit = ?15, opinion = ?16, disclaimer = ?17, disclaimer_hidden = ?18, "
        "comments_open = ?19, meta_description = ?21, social_image = ?22, canonical_url = ?23, "
        "noindex = ?24, edit_count = edit_count + 1 WHERE id = ?1 AND edit_count = ?20 "
        "RETURNING edit_count");
    statement.Bind(1, post.id).Bind(2, post.slug).Bind(3, KindName(post.kind));
    statement.Bind(4, PostStatusName(post.status)).Bind(5, post.title).Bind(6, post.dek);
    statement.Bind(7, post.body_markdown).Bind(8, post.body_html).Bind(9, post.published_at);
    statement.Bind(10, post.updated_at).Bind(11, post.section_id).Bind(12, post.image.url);
    statement.Bind(13, post.image.alt).Bind(14, post.image.caption).Bind(15, post.image.credit);
    statement.Bind(16, post.opinion).Bind(17, post.disclaimer).Bind(18, post.disclaimer_hidden);
    statement.Bind(19, post.comments_open).Bind(20, expected_edit_count);
    statement.Bind(21, post.seo.description).Bind(22, post.seo.social_image);
    statement.Bind(23, post.seo.canonical_url).Bind(24, post.seo.noindex);
    if (!statement.ok()) return tl::unexpected(SqlError(db_, "save post"));
    const int rc = statement.Step();
    if (rc == SQLITE_DONE) {
      return Fail(ErrorCode::kConflict,
                  "this post was changed by someone else after you opened it; your text is kept "
                  "below, but it was not saved");
    }
    if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "save post"));
    edit_count = static_cast<int>(statement.Int(0));
    if (auto links = WritePostLinks(post.id, post); !links) return links;
    return AddRevision(post.id, post, user_id, revision_details);
  });
  if (!done) return tl::unexpected(done.error());
  return edit_count;
}

Result<std::optional<PostDetail>> SqliteStore::FindPostById(std::int64_t id) {
  std::lock_guard lock(mutex_);
  static const std::string sql =
      std::string("SELECT ") + kPostColumns + " FROM posts WHERE id = ?1";
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "find post"));
  statement.Bind(1, id);
  const int rc = statement.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "find post"));
  std::vector<PostDetail> details(1);
  details[0].post = ReadPost(statement);
  if (auto loaded = LoadDetails(details); !loaded) return tl::unexpected(loaded.error());
  return std::move(details[0]);
}

namespace {

// ?1 status (NULL: all but trash), ?2 section, ?3 author, ?4 creator, ?5 text pattern (NULL: any).
constexpr const char* kDeskFilter =
    " FROM posts p WHERE (CASE WHEN ?1 IS NULL THEN p.status <> 'trash' ELSE p.status = ?1 END)"
    " AND (?2 IS NULL OR p.section_id = ?2)"
    " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM post_authors pa WHERE pa.post_id = p.id AND "
    "pa.author_id = ?3))"
    " AND (?4 IS NULL OR p.created_by = ?4)"
    " AND (?5 IS NULL OR p.title LIKE ?5 ESCAPE '\\' OR p.dek LIKE ?5 ESCAPE '\\')";

}  // namespace

Result<std::vector<PostDetail>> SqliteStore::ListPostsForDesk(const DeskQuery& query) {
  std::lock_guard lock(mutex_);
  static const std::string sql = std::string("SELECT ") + kListedPostColumns + kDeskFilter +
                                 " ORDER BY coalesce(p.published_at, p.created_at) DESC, p.id DESC"
                                 " LIMIT ?6 OFFSET ?7";
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "list posts"));
  std::optional<std::string> status;
  if (query.status) status = PostStatusName(*query.status);
  statement.Bind(1, status).Bind(2, query.section_id).Bind(3, query.author_id);
  statement.Bind(4, query.created_by).Bind(5, storage::dialect::LikeContaining(query.text));
  statement.Bind(6, query.limit).Bind(7, query.offset);
  std::vector<PostDetail> details;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW) {
    details.push_back(PostDetail{ReadPost(statement), std::nullopt, {}, {}, {}});
  }
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "list posts"));
  if (auto loaded = LoadDetails(details); !loaded) return tl::unexpected(loaded.error());
  return details;
}

Result<int> SqliteStore::CountPostsForDesk(const DeskQuery& query) {
  std::lock_guard lock(mutex_);
  static const std::string sql = std::string("SELECT count(*)") + kDeskFilter;
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "count posts"));
  std::optional<std::string> status;
  if (query.status) status = PostStatusName(*query.status);
  statement.Bind(1, status).Bind(2, query.section_id).Bind(3, query.author_id);
  statement.Bind(4, query.created_by).Bind(5, storage::dialect::LikeContaining(query.text));
  if (statement.Step() != SQLITE_ROW) return tl::unexpected(SqlError(db_, "count posts"));
  return static_cast<int>(statement.Int(0));
}

Result<int> SqliteStore::EmptyTrash() {
  int removed = 0;
  auto done = InTransaction([&]() -> Result<void> {
    auto remove = Prepare("DELETE FROM posts WHERE status = 'trash'");
    if (auto deleted = Complete(remove); !deleted) return deleted;
    removed = sqlite3_changes(db_);
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return removed;
}

Result<std::int64_t> SqliteStore::AddPostNote(const PostNote& note,
                                              std::optional<std::int64_t> user_id) {
  std::int64_t id = 0;
  auto done = InTransaction([&]() -> Result<void> {
    auto insert = Prepare(
        "INSERT INTO post_notes(post_id, kind, text, at, user_id) VALUES (?1, ?2, ?3, ?4, ?5) "
        "RETURNING id");
    insert.Bind(1, note.post_id).Bind(2, note.kind).Bind(3, note.text).Bind(4, note.at);
    insert.Bind(5, user_id);
    if (!insert.ok() || insert.Step() != SQLITE_ROW)
      return tl::unexpected(SqlError(db_, "add note"));
    id = insert.Int(0);
    auto touch =
        Prepare("UPDATE posts SET updated_at = ?2, edit_count = edit_count + 1 WHERE id = ?1");
    touch.Bind(1, note.post_id).Bind(2, note.at);
    return Complete(touch);
  });
  if (!done) return tl::unexpected(done.error());
  return id;
}

Result<std::vector<Revision>> SqliteStore::ListRevisions(std::int64_t post_id) {
  std::lock_guard lock(mutex_);
  auto statement = Prepare(
      "SELECT r.id, r.post_id, r.saved_at, r.user_id, coalesce(u.name, ''), r.title, r.dek, "
      "r.body_markdown, r.details FROM revisions r LEFT JOIN users u ON u.id = r.user_id "
      "WHERE r.post_id = ?1 ORDER BY r.id DESC");
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "list revisions"));
  statement.Bind(1, post_id);
  std::vector<Revision> revisions;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW) {
    revisions.push_back(Revision{statement.Int(0), statement.Int(1), statement.Int(2),
                                 statement.OptionalInt(3), statement.Text(4), statement.Text(5),
                                 statement.Text(6), statement.Text(7), statement.Text(8)});
  }
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "list revisions"));
  return revisions;
}

Result<void> SqliteStore::RestoreRevision(const Revision& revision) {
  return InTransaction([&]() -> Result<void> {
    auto statement = Prepare(
        "INSERT INTO revisions(post_id, saved_at, user_id, title, dek, body_markdown, details) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    statement.Bind(1, revision.post_id).Bind(2, revision.saved_at).Bind(3, revision.user_id);
    statement.Bind(4, revision.title).Bind(5, revision.dek).Bind(6, revision.body_markdown);
    statement.Bind(7, revision.details);
    return Complete(statement);
  });
}

Result<void> SqliteStore::RestorePostNote(const PostNote& note) {
  return InTransaction([&]() -> Result<void> {
    auto statement =
        Prepare("INSERT INTO post_notes(post_id, kind, text, at) VALUES (?1, ?2, ?3, ?4)");
    statement.Bind(1, note.post_id).Bind(2, note.kind).Bind(3, note.text).Bind(4, note.at);
    return Complete(statement);
  });
}

Result<std::optional<Revision>> SqliteStore::FindRevision(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto statement = Prepare(
      "SELECT r.id, r.post_id, r.saved_at, r.user_id, coalesce(u.name, ''), r.title, r.dek, "
      "r.body_markdown, r.details FROM revisions r LEFT JOIN users u ON u.id = r.user_id "
      "WHERE r.id = ?1");
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "find revision"));
  statement.Bind(1, id);
  const int rc = statement.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "find revision"));
  return Revision{statement.Int(0),         statement.Int(1),  statement.Int(2),
                  statement.OptionalInt(3), statement.Text(4), statement.Text(5),
                  statement.Text(6),        statement.Text(7), statement.Text(8)};
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
  return WritingId([&](storage::Connection& c) { return storage::media::Create(c, item); });
}

Result<std::vector<MediaItem>> SqliteStore::ListMedia(int limit, int offset) {
  return database_->Read(
      [&](storage::Connection& c) { return storage::media::List(c, limit, offset); });
}

Result<std::optional<MediaItem>> SqliteStore::FindMediaByUrl(const std::string& url) {
  return database_->Read([&](storage::Connection& c) { return storage::media::FindByUrl(c, url); });
}

namespace {

constexpr const char* kCommentColumns =
    "c.id, c.post_id, c.parent_id, c.status, c.author_name, c.author_email, c.author_url, "
    "c.body_markdown, c.body_html, c.client_hash, c.user_id, c.created_at, p.slug, c.reason";

Comment ReadComment(const auto& row) {
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
  return comment;
}

// Every row of a prepared, bound query of kCommentColumns.
Result<std::vector<Comment>> ReadComments(sqlite3* db, auto& statement) {
  if (!statement.ok()) return tl::unexpected(SqlError(db, "list comments"));
  std::vector<Comment> comments;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW) comments.push_back(ReadComment(statement));
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db, "list comments"));
  return comments;
}

}  // namespace

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
  std::int64_t id = comment.id;
  auto done = InTransaction([&]() -> Result<void> {
    auto statement = Prepare(
        comment.id == 0
            ? "INSERT INTO comments(post_id, parent_id, status, author_name, author_email, "
              "author_url, body_markdown, body_html, created_at, user_id, reason) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?12) RETURNING id"
            : "UPDATE comments SET post_id = ?1, parent_id = ?2, status = ?3, author_name = ?4, "
              "author_email = ?5, author_url = ?6, body_markdown = ?7, body_html = ?8, "
              "created_at = ?9, user_id = ?11, reason = ?12 WHERE id = ?10 RETURNING id");
    statement.Bind(1, comment.post_id).Bind(2, comment.parent_id);
    statement.Bind(3, CommentStatusName(comment.status)).Bind(4, comment.author_name);
    statement.Bind(5, comment.author_email).Bind(6, comment.author_url);
    statement.Bind(7, comment.body_markdown).Bind(8, comment.body_html);
    statement.Bind(9, comment.created_at).Bind(11, comment.user_id).Bind(12, comment.reason);
    if (comment.id != 0) statement.Bind(10, comment.id);
    if (!statement.ok()) return tl::unexpected(SqlError(db_, "save comment"));
    const int rc = statement.Step();
    if (rc == SQLITE_DONE) return Fail(ErrorCode::kNotFound, "no such comment");
    if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "save comment"));
    id = statement.Int(0);
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return id;
}

Result<std::vector<Comment>> SqliteStore::ListCommentsOfPost(std::int64_t post_id) {
  std::lock_guard lock(mutex_);
  static const std::string sql = std::string("SELECT ") + kCommentColumns +
                                 " FROM comments c JOIN posts p ON p.id = c.post_id "
                                 "WHERE c.post_id = ?1 ORDER BY c.created_at, c.id";
  auto statement = Prepare(sql.c_str());
  statement.Bind(1, post_id);
  return ReadComments(db_, statement);
}

Result<std::int64_t> SqliteStore::CreateComment(const Comment& comment, CacheNotice notice) {
  std::int64_t id = 0;
  // A pending comment changes no page; only approved ones invalidate the cache.
  auto done = Transact(
      [&]() -> Result<void> {
        auto statement = Prepare(
            "INSERT INTO comments(post_id, parent_id, status, author_name, author_email, "
            "author_url, body_markdown, body_html, client_hash, user_id, created_at, reason) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id");
        statement.Bind(1, comment.post_id).Bind(2, comment.parent_id);
        statement.Bind(3, CommentStatusName(comment.status)).Bind(4, comment.author_name);
        statement.Bind(5, comment.author_email).Bind(6, comment.author_url);
        statement.Bind(7, comment.body_markdown).Bind(8, comment.body_html);
        statement.Bind(9, comment.client_hash).Bind(10, comment.user_id);
        statement.Bind(11, comment.created_at ? comment.created_at : Now());
        statement.Bind(12, comment.reason);
        if (!statement.ok() || statement.Step() != SQLITE_ROW) {
          return tl::unexpected(SqlError(db_, "save comment"));
        }
        id = statement.Int(0);
        return {};
      },
      comment.status == CommentStatus::kApproved && notice == CacheNotice::kBump);
  if (!done) return tl::unexpected(done.error());
  return id;
}

Result<std::optional<Comment>> SqliteStore::FindComment(std::int64_t id) {
  std::lock_guard lock(mutex_);
  static const std::string sql =
      std::string("SELECT ") + kCommentColumns +
      " FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = ?1";
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "find comment"));
  statement.Bind(1, id);
  const int rc = statement.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "find comment"));
  return ReadComment(statement);
}

Result<std::vector<Comment>> SqliteStore::ListApprovedComments(std::int64_t post_id, int limit) {
  std::lock_guard lock(mutex_);
  // The newest ones through comments_by_post (a negative LIMIT is none), then oldest first.
  static const std::string sql =
      std::string("SELECT * FROM (SELECT ") + kCommentColumns +
      " FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.post_id = ?1 AND c.status = "
      "'approved' ORDER BY c.id DESC LIMIT ?2) ORDER BY 1";
  auto statement = Prepare(sql.c_str());
  statement.Bind(1, post_id).Bind(2, limit > 0 ? static_cast<std::int64_t>(limit) : -1);
  return ReadComments(db_, statement);
}

namespace {

// The roots of a post's threads, newest first: approved comments whose parent is not shown.
constexpr const char* kThreadRoots =
    "SELECT c.id FROM comments c WHERE c.post_id = ?1 AND c.status = 'approved' AND "
    "(c.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM comments r WHERE r.id = c.parent_id AND "
    "r.status = 'approved')) ORDER BY c.id DESC";

}  // namespace

Result<Store::CommentThreads> SqliteStore::ListCommentThreads(std::int64_t post_id, int skip,
                                                              int limit) {
  std::lock_guard lock(mutex_);
  CommentThreads page;
  {
    static const std::string sql =
        std::string("SELECT count(*) FROM (") + kThreadRoots + " LIMIT 1 OFFSET ?2)";
    auto statement = Prepare(sql.c_str());
    statement.Bind(1, post_id).Bind(2, static_cast<std::int64_t>(skip) + limit);
    if (!statement.ok() || statement.Step() != SQLITE_ROW)
      return tl::unexpected(SqlError(db_, "list comment threads"));
    page.more = statement.Int(0) > 0;
  }
  static const std::string sql =
      std::string("WITH RECURSIVE roots(id) AS (") + kThreadRoots +
      " LIMIT ?3 OFFSET ?2), thread(id) AS (SELECT id FROM roots UNION ALL SELECT c.id FROM "
      "comments c JOIN thread t ON c.parent_id = t.id WHERE c.status = 'approved') SELECT " +
      kCommentColumns +
      " FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id IN (SELECT id FROM thread) "
      "ORDER BY c.created_at, c.id";
  auto statement = Prepare(sql.c_str());
  statement.Bind(1, post_id).Bind(2, skip).Bind(3, limit);
  auto comments = ReadComments(db_, statement);
  if (!comments) return tl::unexpected(comments.error());
  page.comments = std::move(*comments);
  return page;
}

Result<std::optional<int>> SqliteStore::CommentThreadIndex(std::int64_t post_id, std::int64_t id) {
  std::lock_guard lock(mutex_);
  // The thread's root: up through approved parents (a reply whose parent is not shown heads a
  // thread of its own); then the roots newer than it, counted through comments_by_post.
  static const std::string sql =
      "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM comments WHERE "
      "id = ?2 AND post_id = ?1 AND status = 'approved' UNION ALL SELECT c.id, c.parent_id, "
      "up.depth + 1 FROM comments c JOIN up ON c.id = up.parent_id WHERE c.status = 'approved' "
      "AND up.depth < 10000), root(id) AS (SELECT id FROM up ORDER BY depth DESC LIMIT 1) "
      "SELECT root.id, (SELECT count(*) FROM (" +
      std::string(kThreadRoots) + ") r WHERE r.id > root.id) FROM root";
  auto statement = Prepare(sql.c_str());
  statement.Bind(1, post_id).Bind(2, id);
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "find comment thread"));
  const int rc = statement.Step();
  if (rc == SQLITE_DONE) return std::optional<int>();
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "find comment thread"));
  return std::optional<int>(static_cast<int>(statement.Int(1)));
}

Result<std::vector<Comment>> SqliteStore::ListComments(std::optional<CommentStatus> status,
                                                       int limit, const std::string& text) {
  std::lock_guard lock(mutex_);
  static const std::string sql =
      std::string("SELECT ") + kCommentColumns +
      " FROM comments c JOIN posts p ON p.id = c.post_id WHERE (CASE WHEN ?1 IS NULL THEN "
      "c.status <> 'trash' ELSE c.status = ?1 END) AND (?3 IS NULL OR c.body_markdown LIKE ?3 "
      "ESCAPE '\\' OR c.author_name LIKE ?3 ESCAPE '\\' OR c.author_email LIKE ?3 ESCAPE '\\') "
      "ORDER BY c.id DESC LIMIT ?2";
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "list comments"));
  std::optional<std::string> name;
  if (status) name = CommentStatusName(*status);
  statement.Bind(1, name).Bind(2, limit).Bind(3, storage::dialect::LikeContaining(text));
  std::vector<Comment> comments;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW) comments.push_back(ReadComment(statement));
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "list comments"));
  return comments;
}

Result<void> SqliteStore::SetCommentStatus(std::int64_t id, CommentStatus status) {
  return InTransaction([&]() -> Result<void> {
    auto statement = Prepare("UPDATE comments SET status = ?2 WHERE id = ?1");
    statement.Bind(1, id).Bind(2, CommentStatusName(status));
    if (auto done = Complete(statement); !done) return done;
    if (sqlite3_changes(db_) == 0)
      return Fail(ErrorCode::kNotFound, "no comment " + std::to_string(id));
    return {};
  });
}

Result<void> SqliteStore::UpdateComment(const Comment& comment) {
  return InTransaction([&]() -> Result<void> {
    auto statement = Prepare(
        "UPDATE comments SET author_name = ?2, author_email = ?3, author_url = ?4, "
        "body_markdown = ?5, body_html = ?6 WHERE id = ?1");
    statement.Bind(1, comment.id).Bind(2, comment.author_name).Bind(3, comment.author_email);
    statement.Bind(4, comment.author_url).Bind(5, comment.body_markdown);
    statement.Bind(6, comment.body_html);
    if (auto done = Complete(statement); !done) return done;
    if (sqlite3_changes(db_) == 0)
      return Fail(ErrorCode::kNotFound, "no comment " + std::to_string(comment.id));
    return {};
  });
}

Result<std::vector<Comment>> SqliteStore::ListCommentsByEmail(const std::string& email) {
  std::lock_guard lock(mutex_);
  static const std::string sql = std::string("SELECT ") + kCommentColumns +
                                 " FROM comments c JOIN posts p ON p.id = c.post_id "
                                 "WHERE c.author_email = ?1 COLLATE NOCASE ORDER BY c.id";
  auto statement = Prepare(sql.c_str());
  statement.Bind(1, email);
  return ReadComments(db_, statement);
}

Result<int> SqliteStore::EraseCommentsByEmail(const std::string& email) {
  int erased = 0;
  auto done = InTransaction([&]() -> Result<void> {
    // Comments with replies keep their place in the thread, emptied; the others go.
    auto empty = Prepare(
        "UPDATE comments SET author_name = 'Anonymous', author_email = '', author_url = '', "
        "body_markdown = '', body_html = ?2, client_hash = '' WHERE author_email = ?1 COLLATE "
        "NOCASE AND EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = comments.id)");
    empty.Bind(1, email).Bind(
        2, "<p><em>This comment was removed at its author\u2019s request.</em></p>");
    if (auto ran = Complete(empty); !ran) return ran;
    erased = sqlite3_changes(db_);
    auto remove = Prepare("DELETE FROM comments WHERE author_email = ?1 COLLATE NOCASE");
    remove.Bind(1, email);
    if (auto ran = Complete(remove); !ran) return ran;
    erased += sqlite3_changes(db_);
    // The record of mail sent to the address (the privacy link itself) goes too.
    auto mail = Prepare(
        "DELETE FROM mail_outbox WHERE recipient = ?1 COLLATE NOCASE AND status <> 'queued'");
    mail.Bind(1, email);
    return Complete(mail);
  });
  if (!done) return tl::unexpected(done.error());
  return erased;
}

Result<int> SqliteStore::ForgetCommentClients(Timestamp before) {
  int forgotten = 0;
  auto done = Transact(
      [&]() -> Result<void> {
        auto statement = Prepare(
            "UPDATE comments SET client_hash = '' WHERE created_at < ?1 AND client_hash <> ''");
        statement.Bind(1, before);
        if (auto ran = Complete(statement); !ran) return ran;
        forgotten = sqlite3_changes(db_);
        return {};
      },
      false);
  if (!done) return tl::unexpected(done.error());
  return forgotten;
}

Result<void> SqliteStore::LearnComment(std::int64_t id, bool spam,
                                       const std::vector<std::string>& words) {
  const std::string label = spam ? "spam" : "ham";
  return Transact(
      [&]() -> Result<void> {
        auto find = Prepare("SELECT learned FROM comments WHERE id = ?1");
        find.Bind(1, id);
        if (!find.ok()) return tl::unexpected(SqlError(db_, "read comment"));
        const int rc = find.Step();
        if (rc == SQLITE_DONE)
          return Fail(ErrorCode::kNotFound, "no comment " + std::to_string(id));
        if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "read comment"));
        const std::string before = find.Text(0);
        if (before == label) return {};
        // The row for the word '' counts comments; each word counts once per comment.
        std::vector<std::string> counted(words);
        counted.push_back("");
        std::sort(counted.begin(), counted.end());
        counted.erase(std::unique(counted.begin(), counted.end()), counted.end());
        auto add = Prepare(
            "INSERT INTO spam_words(word, spam, ham) VALUES (?1, ?2, ?3) ON CONFLICT(word) DO "
            "UPDATE SET spam = max(0, spam + excluded.spam), ham = max(0, ham + excluded.ham)");
        for (const std::string& word : counted) {
          const int forget_spam = before == "spam" ? -1 : 0;
          const int forget_ham = before == "ham" ? -1 : 0;
          add.Reset();
          add.Bind(1, word)
              .Bind(2, (spam ? 1 : 0) + forget_spam)
              .Bind(3, (spam ? 0 : 1) + forget_ham);
          if (auto ran = Complete(add); !ran) return ran;
        }
        auto mark = Prepare("UPDATE comments SET learned = ?2 WHERE id = ?1");
        mark.Bind(1, id).Bind(2, label);
        return Complete(mark);
      },
      false);
}

Result<SpamCounts> SqliteStore::CountSpamWords(const std::vector<std::string>& words) {
  std::lock_guard lock(mutex_);
  SpamCounts counts;
  // The row for '' holds the totals; the words come as one JSON array, so this is one query.
  nlohmann::json list = nlohmann::json::array({""});
  for (const std::string& word : words) list.push_back(word);
  auto statement = Prepare(
      "SELECT word, spam, ham FROM spam_words WHERE word IN (SELECT value FROM json_each(?1))");
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "read spam words"));
  statement.Bind(1, list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW) {
    const std::string word = statement.Text(0);
    const std::pair<int, int> seen{static_cast<int>(statement.Int(1)),
                                   static_cast<int>(statement.Int(2))};
    if (word.empty()) {
      counts.spam_comments = seen.first;
      counts.ham_comments = seen.second;
    } else if (seen.first || seen.second) {
      counts.words.emplace(word, seen);
    }
  }
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "read spam words"));
  return counts;
}

Result<int> SqliteStore::CountRecentComments(const std::string& email,
                                             const std::string& client_hash, Timestamp since) {
  std::lock_guard lock(mutex_);
  auto statement = Prepare(
      "SELECT count(*) FROM (SELECT id FROM comments WHERE author_email = ?1 COLLATE NOCASE AND "
      "created_at >= ?3 UNION SELECT id FROM comments WHERE client_hash = ?2 AND ?2 <> '' AND "
      "created_at >= ?3)");
  statement.Bind(1, email).Bind(2, client_hash).Bind(3, since);
  if (!statement.ok() || statement.Step() != SQLITE_ROW)
    return tl::unexpected(SqlError(db_, "count"));
  return static_cast<int>(statement.Int(0));
}

Result<bool> SqliteStore::HasDuplicateComment(std::int64_t post_id, const std::string& email,
                                              const std::string& body) {
  std::lock_guard lock(mutex_);
  auto statement = Prepare(
      "SELECT 1 FROM comments WHERE post_id = ?1 AND author_email = ?2 COLLATE NOCASE AND "
      "substr(body_markdown, 1, 64) = substr(?3, 1, 64) AND body_markdown = ?3 LIMIT 1");
  statement.Bind(1, post_id).Bind(2, email).Bind(3, body);
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "find duplicate"));
  const int rc = statement.Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "find duplicate"));
  return rc == SQLITE_ROW;
}

Result<int> SqliteStore::CountApprovedComments(std::int64_t post_id) {
  std::lock_guard lock(mutex_);
  auto statement = Prepare("SELECT approved FROM comment_counts WHERE post_id = ?1");
  statement.Bind(1, post_id);
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "count"));
  const int rc = statement.Step();
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, "count"));
  return static_cast<int>(statement.Int(0));
}

Result<bool> SqliteStore::HasApprovedCommentFrom(const std::string& email) {
  std::lock_guard lock(mutex_);
  auto statement = Prepare(
      "SELECT EXISTS (SELECT 1 FROM comments WHERE author_email = ?1 COLLATE NOCASE AND "
      "status = 'approved')");
  statement.Bind(1, email);
  if (!statement.ok() || statement.Step() != SQLITE_ROW)
    return tl::unexpected(SqlError(db_, "find approved comment"));
  return statement.Int(0) != 0;
}

Result<std::int64_t> SqliteStore::SaveSubscriber(const Subscriber& subscriber) {
  // Subscribers never appear on public pages, so this leaves the page cache alone.
  return WritingId(
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
  return WritingId([&](storage::Connection& c) { return storage::newsletter::QueueSend(c, send); },
                   false);
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
  return WritingId([&](storage::Connection& c) { return storage::outbox::Queue(c, mail); }, false);
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

// Fills section, authors and tags of each detail whose post is already read.
Result<void> SqliteStore::LoadDetails(std::vector<PostDetail>& details) {
  for (auto& detail : details) {
    if (detail.post.section_id) {
      auto section = Prepare(
          "SELECT id, slug, name, description, opinion, disclaimer, position FROM sections "
          "WHERE id = ?1");
      section.Bind(1, *detail.post.section_id);
      if (section.Step() == SQLITE_ROW) detail.section = ReadSection(section);
    }
    auto authors = Prepare(
        "SELECT a.id, a.slug, a.name, a.credentials, a.email, a.avatar, a.bio_markdown, "
        "a.bio_html FROM post_authors pa JOIN authors a ON a.id = pa.author_id "
        "WHERE pa.post_id = ?1 ORDER BY pa.position");
    authors.Bind(1, detail.post.id);
    int rc;
    while ((rc = authors.Step()) == SQLITE_ROW) {
      detail.authors.push_back(ReadAuthor(authors));
      detail.post.author_ids.push_back(detail.authors.back().id);
    }
    if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "read authors"));
    auto tags = Prepare(
        "SELECT t.id, t.slug, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id "
        "WHERE pt.post_id = ?1 ORDER BY t.name");
    tags.Bind(1, detail.post.id);
    while ((rc = tags.Step()) == SQLITE_ROW) {
      detail.tags.push_back(Tag{tags.Int(0), tags.Text(1), tags.Text(2)});
      detail.post.tag_ids.push_back(detail.tags.back().id);
    }
    if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "read tags"));
    auto notes = Prepare(
        "SELECT id, post_id, kind, text, at FROM post_notes WHERE post_id = ?1 ORDER BY at, id");
    notes.Bind(1, detail.post.id);
    while ((rc = notes.Step()) == SQLITE_ROW) {
      detail.notes.push_back(
          PostNote{notes.Int(0), notes.Int(1), notes.Text(2), notes.Text(3), notes.Int(4)});
    }
    if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "read notes"));
  }
  return {};
}

namespace {

// The WHERE clause shared by listing and counting; parameters ?1 kind, ?2 now, ?3 section,
// ?4 author, ?5 tag (NULL for "any"), ?8 from and ?9 until (see Span).
// Bounds for an open date range, so the range stays a plain comparison SQLite can use an index
// for.
constexpr Timestamp kEarliest = std::numeric_limits<Timestamp>::min();
constexpr Timestamp kLatest = std::numeric_limits<Timestamp>::max();

constexpr const char* kListFilter =
    " FROM posts p WHERE p.kind = ?1 AND p.status = 'published' AND p.published_at <= ?2"
    " AND p.published_at >= ?8 AND p.published_at < ?9"
    " AND (?3 IS NULL OR p.section_id = ?3)"
    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM post_authors pa WHERE pa.post_id = p.id AND "
    "pa.author_id = ?4))"
    " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM post_tags pt WHERE pt.post_id = p.id AND "
    "pt.tag_id = ?5))";

}  // namespace

Result<std::vector<PostDetail>> SqliteStore::ListPublishedPosts(const PostQuery& query) {
  std::lock_guard lock(mutex_);
  static const std::string sql = std::string("SELECT ") + kListedPostColumns + kListFilter +
                                 " ORDER BY p.published_at DESC, p.id DESC LIMIT ?6 OFFSET ?7";
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "list posts"));
  statement.Bind(1, KindName(query.kind)).Bind(2, query.now).Bind(3, query.section_id);
  statement.Bind(4, query.author_id)
      .Bind(5, query.tag_id)
      .Bind(6, query.limit)
      .Bind(7, query.offset)
      .Bind(8, query.from.value_or(kEarliest))
      .Bind(9, query.until.value_or(kLatest));
  std::vector<PostDetail> details;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW)
    details.push_back(PostDetail{ReadPost(statement), std::nullopt, {}, {}, {}});
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "list posts"));
  if (auto loaded = LoadDetails(details); !loaded) return tl::unexpected(loaded.error());
  return details;
}

Result<int> SqliteStore::CountPublishedPosts(const PostQuery& query) {
  std::lock_guard lock(mutex_);
  static const std::string sql = std::string("SELECT count(*)") + kListFilter;
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "count posts"));
  statement.Bind(1, KindName(query.kind)).Bind(2, query.now).Bind(3, query.section_id);
  statement.Bind(4, query.author_id).Bind(5, query.tag_id).Bind(8, query.from.value_or(kEarliest));
  statement.Bind(9, query.until.value_or(kLatest));
  if (statement.Step() != SQLITE_ROW) return tl::unexpected(SqlError(db_, "count posts"));
  return static_cast<int>(statement.Int(0));
}

Result<std::vector<PostAddress>> SqliteStore::ListPostUrls(Timestamp now, Timestamp since,
                                                           int limit, int offset) {
  std::lock_guard lock(mutex_);
  auto statement = Prepare(
      "SELECT slug, kind, title, published_at, max(published_at, coalesce(updated_at, 0)) FROM "
      "posts WHERE status = 'published' AND published_at <= ?1 AND published_at >= ?2 AND "
      "noindex = 0 AND canonical_url = '' ORDER BY id LIMIT ?3 OFFSET ?4");
  statement.Bind(1, now).Bind(2, since).Bind(3, limit).Bind(4, offset);
  std::vector<PostAddress> urls;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW) {
    urls.push_back(PostAddress{statement.Text(0),
                               statement.Text(1) == "page" ? PostKind::kPage : PostKind::kArticle,
                               statement.Text(2), statement.Int(3), statement.Int(4)});
  }
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "list post addresses"));
  return urls;
}

Result<int> SqliteStore::CountPostUrls(Timestamp now, Timestamp since) {
  std::lock_guard lock(mutex_);
  auto statement = Prepare(
      "SELECT count(*) FROM posts WHERE status = 'published' AND published_at <= ?1 AND "
      "published_at >= ?2 AND noindex = 0 AND canonical_url = ''");
  statement.Bind(1, now).Bind(2, since);
  if (!statement.ok() || statement.Step() != SQLITE_ROW)
    return tl::unexpected(SqlError(db_, "count post addresses"));
  return static_cast<int>(statement.Int(0));
}

Result<std::optional<std::pair<Timestamp, Timestamp>>> SqliteStore::PublishedSpan(PostKind kind,
                                                                                  Timestamp now) {
  std::lock_guard lock(mutex_);
  auto statement = Prepare(
      "SELECT min(published_at), max(published_at) FROM posts WHERE kind = ?1 AND "
      "status = 'published' AND published_at <= ?2");
  statement.Bind(1, KindName(kind)).Bind(2, now);
  if (!statement.ok() || statement.Step() != SQLITE_ROW)
    return tl::unexpected(SqlError(db_, "read publication dates"));
  if (statement.IsNull(0)) return std::nullopt;
  return std::pair{statement.Int(0), statement.Int(1)};
}

Result<std::vector<PostDetail>> SqliteStore::PostsById(const std::vector<std::int64_t>& ids) {
  static const std::string sql =
      std::string("SELECT ") + kPostColumns + " FROM posts WHERE id = ?1";
  std::vector<PostDetail> details;
  for (std::int64_t id : ids) {
    auto statement = Prepare(sql.c_str());
    if (!statement.ok()) return tl::unexpected(SqlError(db_, "read posts"));
    statement.Bind(1, id);
    const int rc = statement.Step();
    if (rc == SQLITE_ROW)
      details.push_back(PostDetail{ReadPost(statement), {}, {}, {}, {}});
    else if (rc != SQLITE_DONE)
      return tl::unexpected(SqlError(db_, "read posts"));
  }
  if (auto loaded = LoadDetails(details); !loaded) return tl::unexpected(loaded.error());
  return details;
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
  std::lock_guard lock(mutex_);
  return PostsById(ids);
}

namespace {

// Keeps the published articles readers may see at `now`.
std::vector<PostDetail> Visible(std::vector<PostDetail> details, Timestamp now) {
  std::erase_if(details, [now](const PostDetail& detail) {
    const Post& post = detail.post;
    return post.kind != PostKind::kArticle || post.status != PostStatus::kPublished ||
           post.published_at.value_or(0) > now;
  });
  return details;
}

}  // namespace

Result<std::vector<PostDetail>> SqliteStore::RelatedCandidates(const Post& post, Timestamp now,
                                                               int limit) {
  std::lock_guard lock(mutex_);
  std::vector<std::int64_t> ids;
  auto take = [&](Statement& statement) -> Result<void> {
    int rc;
    while ((rc = statement.Step()) == SQLITE_ROW) {
      const std::int64_t id = statement.Int(0);
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "find related posts"));
    return {};
  };
  {
    // Most tags in common first, then the most recently added; whether they are published
    // articles is checked on the few read (a join with posts here costs a scan).
    auto tagged = Prepare(
        "SELECT b.post_id FROM post_tags b WHERE b.tag_id IN (SELECT tag_id FROM post_tags "
        "WHERE post_id = ?1) AND b.post_id <> ?1 GROUP BY b.post_id "
        "ORDER BY count(*) DESC, b.post_id DESC LIMIT ?2");
    if (!tagged.ok()) return tl::unexpected(SqlError(db_, "find related posts"));
    tagged.Bind(1, post.id).Bind(2, limit);
    if (auto done = take(tagged); !done) return tl::unexpected(done.error());
  }
  if (post.section_id) {
    auto same_section = Prepare(
        "SELECT id FROM posts WHERE section_id = ?1 AND id <> ?2 AND kind = 'article' AND "
        "status = 'published' AND published_at <= ?3 ORDER BY published_at DESC LIMIT ?4");
    if (!same_section.ok()) return tl::unexpected(SqlError(db_, "find related posts"));
    same_section.Bind(1, *post.section_id).Bind(2, post.id).Bind(3, now).Bind(4, limit);
    if (auto done = take(same_section); !done) return tl::unexpected(done.error());
  }
  auto details = PostsById(ids);
  if (!details) return tl::unexpected(details.error());
  return Visible(std::move(*details), now);
}

Result<std::vector<PostDetail>> SqliteStore::ListPostsByStatus(PostStatus status, int limit) {
  std::lock_guard lock(mutex_);
  static const std::string sql = std::string("SELECT ") + kPostColumns +
                                 " FROM posts WHERE status = ?1 ORDER BY coalesce(published_at, "
                                 "created_at) DESC, id DESC LIMIT ?2";
  auto statement = Prepare(sql.c_str());
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "list posts"));
  statement.Bind(1, PostStatusName(status)).Bind(2, limit);
  std::vector<PostDetail> details;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW)
    details.push_back(PostDetail{ReadPost(statement), std::nullopt, {}, {}, {}});
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "list posts"));
  if (auto loaded = LoadDetails(details); !loaded) return tl::unexpected(loaded.error());
  return details;
}

Result<int> SqliteStore::PublishDuePosts(Timestamp now) {
  int changed = 0;
  auto done = InTransaction([&]() -> Result<void> {
    auto statement = Prepare(
        "UPDATE posts SET status = 'published' WHERE status = 'scheduled' AND published_at <= ?1");
    statement.Bind(1, now);
    if (auto updated = Complete(statement); !updated) return updated;
    changed = sqlite3_changes(db_);
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return changed;
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
  return WritingId([&](storage::Connection& c) { return storage::staff::CreateUser(c, user); },
                   false);
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
  std::lock_guard lock(mutex_);
  auto statement =
      Prepare("SELECT id, created_by, body_html FROM posts WHERE id > ?1 ORDER BY id LIMIT ?2");
  if (!statement.ok()) return tl::unexpected(SqlError(db_, "read posts"));
  statement.Bind(1, after_id).Bind(2, static_cast<std::int64_t>(limit));
  std::vector<StoredBody> bodies;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW)
    bodies.push_back(StoredBody{statement.Int(0), statement.OptionalInt(1), statement.Text(2)});
  if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, "read posts"));
  return bodies;
}

Result<void> SqliteStore::ReplacePostHtml(std::int64_t post_id, const std::string& body_html) {
  return InTransaction([&]() -> Result<void> {
    auto statement = Prepare("UPDATE posts SET body_html = ?2 WHERE id = ?1");
    statement.Bind(1, post_id).Bind(2, body_html);
    return Complete(statement);
  });
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
