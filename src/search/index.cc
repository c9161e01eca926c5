#include "search/index.h"

#include <xapian.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <system_error>

#include "core/text.h"
#include "core/time.h"

namespace broadsheet::search {
namespace {

constexpr Xapian::valueno kPublishedSlot = 0;
constexpr int kBatch = 4000;  // log rows, or posts of a build, per commit
// The index's metadata: its position in the change log ("GENERATION CURSOR"), and while it is
// being built from the posts, the last post id done.
const char* const kLogKey = "bs:log";
const char* const kRebuildKey = "bs:rebuild";
// Set while a build started because there was nothing to follow the log from: a snapshot may
// replace it (kept in the index, so that a restart during the build or a download keeps it).
const char* const kFreshKey = "bs:fresh";
constexpr int kExactCountUpTo = 200;  // matches Xapian counts exactly before it estimates
const char* const kLanguage = "english";

Xapian::docid DocId(std::int64_t post_id) { return static_cast<Xapian::docid>(post_id); }

std::string Serialised(Timestamp when) {
  return Xapian::sortable_serialise(static_cast<double>(when));
}

Xapian::Document MakeDocument(const IndexedPost& post) {
  Xapian::Document document;
  Xapian::TermGenerator generator;
  generator.set_stemmer(Xapian::Stem(kLanguage));
  generator.set_document(document);
  // Each field's words count `weight` times; positions do not run on from one field to the next,
  // so no phrase spans two of them.
  for (const auto& [text, weight] :
       {std::pair<const std::string&, Xapian::termcount>{post.title, 10},
        {post.dek, 4},
        {post.authors, 3},
        {post.section, 2},
        {post.tags, 3},
        {post.body, 1}}) {
    generator.index_text(FoldDiacritics(text), weight);
    generator.increase_termpos();
  }
  if (post.section_id) document.add_boolean_term("XS" + std::to_string(*post.section_id));
  for (std::int64_t author : post.author_ids)
    document.add_boolean_term("XA" + std::to_string(author));
  document.add_boolean_term(post.kind == PostKind::kPage ? "XKpage" : "XKarticle");
  document.add_value(kPublishedSlot, Serialised(post.published_at));
  return document;
}

// One of the reader's terms through Xapian's parser alone, with only phrases and wildcards
// understood: the parser stems words as the indexer did and splits "anti-war" into a phrase.
Xapian::Query TermQuery(const Term& term, Xapian::QueryParser& parser) {
  const std::string text = FoldDiacritics(term.text);
  const std::string input = term.phrase ? "\"" + text + "\"" : text + (term.prefix ? "*" : "");
  unsigned flags = Xapian::QueryParser::FLAG_PHRASE;
  if (term.prefix) flags |= Xapian::QueryParser::FLAG_WILDCARD | Xapian::QueryParser::FLAG_PARTIAL;
  try {
    return parser.parse_query(input, flags);
  } catch (const Xapian::Error&) {
    return Xapian::Query();  // nothing the index could hold (the parser found no words)
  }
}

Xapian::Query WithFilters(Xapian::Query query, const Filters& filters) {
  std::vector<Xapian::Query> conditions = {
      Xapian::Query(Xapian::Query::OP_VALUE_LE, kPublishedSlot, Serialised(filters.now))};
  if (filters.section_id) conditions.emplace_back("XS" + std::to_string(*filters.section_id));
  if (filters.author_id) conditions.emplace_back("XA" + std::to_string(*filters.author_id));
  if (filters.from)
    conditions.emplace_back(Xapian::Query::OP_VALUE_GE, kPublishedSlot, Serialised(*filters.from));
  if (filters.until) {
    conditions.emplace_back(Xapian::Query::OP_VALUE_LE, kPublishedSlot,
                            Serialised(*filters.until - 1));
  }
  return Xapian::Query(Xapian::Query::OP_FILTER, query,
                       Xapian::Query(Xapian::Query::OP_AND, conditions.begin(), conditions.end()));
}

Error IndexError(const std::string& what, const Xapian::Error& error) {
  return Error{ErrorCode::kIo, what, error.get_description()};
}

// A position as the index keeps it, "GENERATION CURSOR".
struct Position {
  std::string generation;
  std::int64_t cursor = 0;
};
std::optional<Position> ParsePosition(const std::string& text) {
  const auto space = text.find(' ');
  std::int64_t cursor = 0;
  if (space == std::string::npos || space == 0 ||
      std::from_chars(text.data() + space + 1, text.data() + text.size(), cursor).ec !=
          std::errc()) {
    return std::nullopt;
  }
  return Position{text.substr(0, space), cursor};
}

// The published articles (or pages, when `pages`) readers may see at `now`.
bool Visible(const Post& post, Timestamp now, bool pages) {
  return post.status == PostStatus::kPublished && post.published_at.value_or(0) <= now &&
         (pages || post.kind == PostKind::kArticle);
}

}  // namespace

SearchIndex::SearchIndex(std::filesystem::path dir, Store& store,
                         std::unique_ptr<Xapian::Database> database,
                         Xapian::WritableDatabase* writer)
    : dir_(std::move(dir)), store_(store), database_(std::move(database)), writer_(writer) {}

SearchIndex::~SearchIndex() = default;

Result<std::unique_ptr<SearchIndex>> SearchIndex::Open(const std::filesystem::path& dir,
                                                       Store& store) {
  std::error_code ignored;
  // An index a snapshot replaced, left by a process stopped before it removed it.
  std::filesystem::remove_all(dir.string() + ".replaced", ignored);
  std::unique_ptr<Xapian::Database> database;
  Xapian::WritableDatabase* writer = nullptr;
  for (int attempt = 0; attempt < 2 && !database; ++attempt) {
    try {
      auto writable =
          std::make_unique<Xapian::WritableDatabase>(dir.string(), Xapian::DB_CREATE_OR_OPEN);
      writer = writable.get();
      database = std::move(writable);
    } catch (const Xapian::DatabaseLockError&) {
      // Another process writes; this one reads what it commits.
      try {
        database = std::make_unique<Xapian::Database>(dir.string());
      } catch (const Xapian::Error& error) {
        return tl::unexpected(IndexError("cannot read the search index " + dir.string(), error));
      }
    } catch (const Xapian::DatabaseError& error) {
      // A damaged or foreign index: it is only a copy of the database, so it is made again.
      if (attempt > 0) {
        return tl::unexpected(IndexError("cannot open the search index " + dir.string(), error));
      }
      std::filesystem::remove_all(dir, ignored);
    } catch (const Xapian::Error& error) {
      return tl::unexpected(IndexError("cannot open the search index " + dir.string(), error));
    }
  }
  auto index =
      std::unique_ptr<SearchIndex>(new SearchIndex(dir, store, std::move(database), writer));
  if (writer != nullptr) {
    std::lock_guard lock(index->mutex_);
    if (auto loaded = index->LoadPosition(); !loaded) return tl::unexpected(loaded.error());
  }
  return index;
}

Result<void> SearchIndex::LoadPosition() {
  std::string log, rebuild, fresh;
  try {
    log = writer_->get_metadata(kLogKey);
    rebuild = writer_->get_metadata(kRebuildKey);
    fresh = writer_->get_metadata(kFreshKey);
  } catch (const Xapian::Error& error) {
    return tl::unexpected(IndexError("cannot read the search index's position", error));
  }
  const auto parsed = ParsePosition(log);
  if (!parsed) return StartOver();  // a new index, or one made before the log
  auto head = store_.ReadChangeLogHead();
  if (!head) return tl::unexpected(head.error());
  if (parsed->generation != head->generation) return StartOver();  // another database's
  generation_ = head->generation;
  position_ = ChangeLogPosition{parsed->cursor, {}};
  rebuild_after_.reset();
  std::int64_t after = 0;
  if (!rebuild.empty() &&
      std::from_chars(rebuild.data(), rebuild.data() + rebuild.size(), after).ec == std::errc()) {
    rebuild_after_ = after;
  }
  may_take_snapshot_ = rebuild_after_.has_value() && !fresh.empty();
  return {};
}

Result<void> SearchIndex::StartOver() {
  // The head first: whatever the build reads after it is either in the posts it reads or in the
  // log after this position (applied again, to the same effect).
  auto head = store_.ReadChangeLogHead();
  if (!head) return tl::unexpected(head.error());
  try {
    writer_->set_metadata(kLogKey, head->generation + " " + std::to_string(head->position.cursor));
    writer_->set_metadata(kRebuildKey, "0");
    writer_->set_metadata(kFreshKey, "1");
    writer_->commit();
  } catch (const Xapian::Error& error) {
    return tl::unexpected(IndexError("the search index could not be updated", error));
  }
  generation_ = head->generation;
  position_ = head->position;
  rebuild_after_ = 0;
  may_take_snapshot_ = true;
  return {};
}

Result<bool> SearchIndex::AcquireWriter() {
  if (writer_ != nullptr) return true;
  try {
    auto writable = std::make_unique<Xapian::WritableDatabase>(dir_.string(), Xapian::DB_OPEN);
    writer_ = writable.get();
    database_ = std::move(writable);
  } catch (const Xapian::DatabaseLockError&) {
    return false;  // still another process's to write
  } catch (const Xapian::Error& error) {
    return tl::unexpected(IndexError("cannot open the search index to write", error));
  }
  if (auto loaded = LoadPosition(); !loaded) return tl::unexpected(loaded.error());
  return true;
}

Result<int> SearchIndex::Sync(int limit,
                              const std::function<void(std::int64_t post_id)>& observer) {
  std::lock_guard lock(mutex_);
  if (writing_snapshot_) return 0;
  auto acquired = AcquireWriter();
  if (!acquired) return tl::unexpected(acquired.error());
  if (!*acquired) return 0;
  if (observer) {
    for (std::int64_t post : caught_up_) observer(post);
  }
  caught_up_.clear();
  int applied = 0;
  // The log first (what was just written), then the build, a batch at a time.
  while (limit == 0 || applied < limit) {
    const int want = limit == 0 ? kBatch : std::min(kBatch, limit - applied);
    auto batch = store_.ReadChangeLog(position_, want);
    if (!batch) return tl::unexpected(batch.error());
    if (!batch->in_range || batch->generation != generation_) {
      // Not a position in this log: a database put back or replaced under a running server.
      if (auto started = StartOver(); !started) return tl::unexpected(started.error());
      break;
    }
    if (batch->entries.empty()) {
      // At the head: on PostgreSQL the position may still move on (transactions ended), so
      // that the next read does not read again what this one passed over.
      position_ = batch->next;
      caught_up_at_ = Now();
      break;
    }
    auto done = ApplyLog(*batch, observer);
    if (!done) return done;
    applied += *done;
  }
  while (rebuild_after_ && (limit == 0 || applied < limit)) {
    const int want = limit == 0 ? kBatch : std::min(kBatch, limit - applied);
    auto built = BuildMore(want);
    if (!built) return built;
    applied += *built;
  }
  return applied;
}

Result<int> SearchIndex::ApplyLog(const ChangeLogBatch& batch,
                                  const std::function<void(std::int64_t post_id)>& observer) {
  std::vector<std::int64_t> posts;  // each once, in the log's order
  std::set<std::int64_t> named;
  bool reindex = false;
  for (const ChangeLogEntry& entry : batch.entries) {
    if (entry.kind == "reindex") reindex = true;
    if ((entry.kind == "post" || entry.kind == "post_was") && entry.post_id &&
        named.insert(*entry.post_id).second) {
      posts.push_back(*entry.post_id);
    }
  }
  auto changes = store_.SearchDocuments(posts);
  if (!changes) return tl::unexpected(changes.error());
  try {
    for (const SearchChange& change : *changes) {
      if (change.post) {
        writer_->replace_document(DocId(change.post_id), MakeDocument(*change.post));
      } else {
        try {
          writer_->delete_document(DocId(change.post_id));
        } catch (const Xapian::DocNotFoundError&) {
          // Never indexed (a draft deleted), or already removed.
        }
      }
    }
    writer_->set_metadata(kLogKey, generation_ + " " + std::to_string(batch.next.cursor));
    if (reindex) {
      writer_->set_metadata(kRebuildKey, "0");
      writer_->set_metadata(kFreshKey, "");
    }
    writer_->commit();
  } catch (const Xapian::Error& error) {
    return tl::unexpected(IndexError("the search index could not be updated", error));
  }
  position_ = batch.next;
  if (reindex) {
    rebuild_after_ = 0;
    may_take_snapshot_ = false;
  }
  if (observer) {
    for (const ChangeLogEntry& entry : batch.entries) {
      if ((entry.kind == "post" || entry.kind == "post_was") && entry.post_id)
        observer(*entry.post_id);
    }
  }
  return static_cast<int>(batch.entries.size());
}

Result<int> SearchIndex::BuildMore(int limit) {
  const std::int64_t after = *rebuild_after_;
  auto posts = store_.ListSearchDocuments(after, limit);
  if (!posts) return tl::unexpected(posts.error());
  const bool last = static_cast<int>(posts->size()) < limit;
  // Documents of posts no longer published between the previous batch and this one (to the end,
  // after the last batch) go: the index may hold what an older state of the site had.
  const Xapian::docid through =
      last ? std::numeric_limits<Xapian::docid>::max() : DocId(posts->back().id);
  std::set<Xapian::docid> kept;
  for (const IndexedPost& post : *posts) kept.insert(DocId(post.id));
  try {
    std::vector<Xapian::docid> gone;
    auto it = writer_->postlist_begin("");  // every document, by id
    const auto end = writer_->postlist_end("");
    if (it != end) it.skip_to(DocId(after) + 1);
    for (; it != end && *it <= through; ++it) {
      if (!kept.contains(*it)) gone.push_back(*it);
    }
    for (Xapian::docid id : gone) writer_->delete_document(id);
    for (const IndexedPost& post : *posts)
      writer_->replace_document(DocId(post.id), MakeDocument(post));
    writer_->set_metadata(kRebuildKey, last ? "" : std::to_string(posts->back().id));
    if (last) writer_->set_metadata(kFreshKey, "");
    writer_->commit();
  } catch (const Xapian::Error& error) {
    return tl::unexpected(IndexError("the search index could not be built", error));
  }
  if (last) {
    rebuild_after_.reset();
    may_take_snapshot_ = false;
  } else {
    rebuild_after_ = posts->back().id;
  }
  return static_cast<int>(posts->size());
}

Result<int> SearchIndex::CatchUp(int most) {
  std::lock_guard lock(mutex_);
  if (writing_snapshot_) return 0;
  auto acquired = AcquireWriter();
  if (!acquired) return tl::unexpected(acquired.error());
  if (!*acquired) return 0;
  auto batch = store_.ReadChangeLog(position_, most + 1);
  if (!batch) return tl::unexpected(batch.error());
  if (!batch->in_range || batch->generation != generation_) return 0;  // left to Sync
  if (batch->entries.empty()) {
    position_ = batch->next;  // as in Sync
    caught_up_at_ = Now();
    return 0;
  }
  if (static_cast<int>(batch->entries.size()) > most) return 0;  // left to Sync
  return ApplyLog(*batch, [this](std::int64_t post) { caught_up_.push_back(post); });
}

Result<std::string> SearchIndex::WriteSnapshot(const std::filesystem::path& into) {
  {
    std::lock_guard lock(mutex_);
    if (writer_ == nullptr || rebuild_after_ || writing_snapshot_) {
      return Fail(ErrorCode::kConflict, "the search index is not complete here",
                  writer_ == nullptr ? "another process writes it" : "it is being built");
    }
    writing_snapshot_ = true;
  }
  struct Resume {
    SearchIndex& index;
    ~Resume() {
      std::lock_guard lock(index.mutex_);
      index.writing_snapshot_ = false;
    }
  } resume{*this};
  // A reader of its own, on the last commit, which stays readable while nothing is committed.
  // Document ids are post ids: they are kept.
  try {
    Xapian::Database committed(dir_.string());
    const std::string position = committed.get_metadata(kLogKey);
    if (!ParsePosition(position) || !committed.get_metadata(kRebuildKey).empty())
      return Fail(ErrorCode::kConflict, "the search index is not complete here");
    committed.compact(into.string(), Xapian::DBCOMPACT_NO_RENUMBER);
    return position;
  } catch (const Xapian::Error& error) {
    return tl::unexpected(IndexError("the search index could not be copied", error));
  }
}

Result<std::optional<std::int64_t>> SearchIndex::CursorInLog(const std::string& position) {
  const auto parsed = ParsePosition(position);
  if (!parsed || parsed->generation != generation_) return std::optional<std::int64_t>();
  auto probe = store_.ReadChangeLog(ChangeLogPosition{parsed->cursor, {}}, 1);
  if (!probe) return tl::unexpected(probe.error());
  if (!probe->in_range || probe->generation != generation_) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(parsed->cursor);
}

Result<bool> SearchIndex::InLog(const std::string& position) {
  std::lock_guard lock(mutex_);
  if (writer_ == nullptr) return false;
  auto cursor = CursorInLog(position);
  if (!cursor) return tl::unexpected(cursor.error());
  return cursor->has_value();
}

Result<bool> SearchIndex::WouldTakeSnapshot(const std::string& position) {
  std::lock_guard lock(mutex_);
  if (writer_ == nullptr || !may_take_snapshot_) return false;
  auto cursor = CursorInLog(position);
  if (!cursor) return tl::unexpected(cursor.error());
  return cursor->has_value();
}

Result<bool> SearchIndex::TakeSnapshot(const std::filesystem::path& folder) {
  std::string position;
  try {
    Xapian::Database snapshot(folder.string());
    position = snapshot.get_metadata(kLogKey);
    if (!snapshot.get_metadata(kRebuildKey).empty())
      return Fail(ErrorCode::kCorrupt, "the search index snapshot is of an index being built");
  } catch (const Xapian::Error& error) {
    return tl::unexpected(IndexError("the search index snapshot cannot be read", error));
  }
  std::lock_guard lock(mutex_);
  if (writer_ == nullptr || !may_take_snapshot_) return false;
  auto cursor = CursorInLog(position);
  if (!cursor) return tl::unexpected(cursor.error());
  if (!*cursor) return false;
  // The index's folder is swapped for the snapshot's: the old one is kept aside until the new
  // one opens, and put back if it does not.
  const std::filesystem::path aside = dir_.string() + ".replaced";
  std::error_code error;
  std::filesystem::remove_all(aside, error);
  database_.reset();
  writer_ = nullptr;
  std::filesystem::rename(dir_, aside, error);
  if (!error) std::filesystem::rename(folder, dir_, error);
  std::optional<Error> failed;
  if (error) {
    failed = Error{ErrorCode::kIo, "the search index snapshot could not be put in place",
                   error.message()};
  } else {
    try {
      auto writable = std::make_unique<Xapian::WritableDatabase>(dir_.string(), Xapian::DB_OPEN);
      writer_ = writable.get();
      database_ = std::move(writable);
    } catch (const Xapian::Error& xapian) {
      failed = IndexError("the search index snapshot cannot be opened", xapian);
    }
  }
  if (failed) {
    // The index as it was, if it is still aside.
    if (std::filesystem::exists(aside, error)) {
      std::filesystem::remove_all(dir_, error);
      std::filesystem::rename(aside, dir_, error);
    }
    try {
      auto writable =
          std::make_unique<Xapian::WritableDatabase>(dir_.string(), Xapian::DB_CREATE_OR_OPEN);
      writer_ = writable.get();
      database_ = std::move(writable);
    } catch (const Xapian::Error& xapian) {
      // Left without an index: AcquireWriter tries again on the next Sync.
      database_ = std::make_unique<Xapian::Database>();
    }
    if (writer_ != nullptr) {
      if (auto loaded = LoadPosition(); !loaded) return tl::unexpected(loaded.error());
    }
    return tl::unexpected(*failed);
  }
  std::filesystem::remove_all(aside, error);
  may_take_snapshot_ = false;
  if (auto loaded = LoadPosition(); !loaded) return tl::unexpected(loaded.error());
  return true;
}

std::optional<SearchIndex::LogStatus> SearchIndex::Status() const {
  std::lock_guard lock(mutex_);
  if (writer_ == nullptr) return std::nullopt;
  return LogStatus{position_, caught_up_at_, rebuild_after_.has_value()};
}

std::string SearchIndex::LogPosition() const {
  std::lock_guard lock(mutex_);
  try {
    if (writer_ == nullptr) database_->reopen();
    return database_->get_metadata(kLogKey);
  } catch (const Xapian::Error&) {
    return "";
  }
}

Result<Results> SearchIndex::Search(const Query& query, const Filters& filters) {
  Results results;
  if (query.empty()) return results;
  // Taken before any Xapian object exists, so that all of them (the match set and the stemmer
  // above all, which share reference-counted internals with the database) are destroyed while it
  // is still held: Xapian's reference counts are not atomic. The snippets below read through the
  // same objects the indexer writes with. (The order is always this lock, then the Store's.)
  std::lock_guard lock(mutex_);
  std::vector<Xapian::docid> ids;
  Xapian::MSet matches;
  const Xapian::Stem stemmer(kLanguage);
  {
    try {
      if (writer_ == nullptr) database_->reopen();
      Xapian::QueryParser parser;
      parser.set_database(*database_);
      parser.set_stemmer(stemmer);
      parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
      // A term the index could hold no word of ("—") is left out, not matched against nothing.
      std::vector<Xapian::Query> groups;
      for (const auto& group : query.groups) {
        std::vector<Xapian::Query> alternatives;
        for (const Term& term : group) {
          if (Xapian::Query alternative = TermQuery(term, parser); !alternative.empty())
            alternatives.push_back(alternative);
        }
        if (!alternatives.empty())
          groups.emplace_back(Xapian::Query::OP_OR, alternatives.begin(), alternatives.end());
      }
      if (groups.empty()) return results;
      Xapian::Query wanted(Xapian::Query::OP_AND, groups.begin(), groups.end());
      for (const Term& term : query.excluded) {
        if (Xapian::Query excluded = TermQuery(term, parser); !excluded.empty())
          wanted = Xapian::Query(Xapian::Query::OP_AND_NOT, wanted, excluded);
      }
      Xapian::Enquire enquire(*database_);
      enquire.set_query(WithFilters(wanted, filters));
      enquire.set_weighting_scheme(Xapian::BM25Weight());
      if (filters.newest_first) enquire.set_sort_by_value_then_relevance(kPublishedSlot, true);
      matches = enquire.get_mset(static_cast<Xapian::doccount>(std::max(0, filters.offset)),
                                 static_cast<Xapian::doccount>(std::max(0, filters.limit)),
                                 kExactCountUpTo);
      for (auto match = matches.begin(); match != matches.end(); ++match) ids.push_back(*match);
      results.total = static_cast<int>(matches.get_matches_estimated());
      results.exact = matches.get_matches_lower_bound() == matches.get_matches_upper_bound();
    } catch (const Xapian::Error& error) {
      return tl::unexpected(IndexError("the search could not be run", error));
    }
  }
  std::vector<std::int64_t> post_ids(ids.begin(), ids.end());
  auto details = store_.FindPostsByIds(post_ids, true);
  if (!details) return tl::unexpected(details.error());
  for (PostDetail& detail : *details) {
    // The index may be a moment behind a change; what it finds is checked against the database.
    if (!Visible(detail.post, filters.now, true)) continue;
    Hit hit;
    try {
      hit.title_html = matches.snippet(detail.post.title, detail.post.title.size() + 64, stemmer,
                                       Xapian::MSet::SNIPPET_EXHAUSTIVE, "<mark>", "</mark>", "");
      hit.excerpt_html = matches.snippet(
          PlainText(detail.post.body_html), 300, stemmer,
          Xapian::MSet::SNIPPET_EXHAUSTIVE | Xapian::MSet::SNIPPET_EMPTY_WITHOUT_MATCH, "<mark>",
          "</mark>", "\u2026");
    } catch (const Xapian::Error&) {
      hit.title_html = EscapeHtml(detail.post.title);
    }
    hit.detail = std::move(detail);
    results.hits.push_back(std::move(hit));
  }
  return results;
}

Result<std::vector<PostDetail>> SearchIndex::Similar(const Post& post, Timestamp now, int limit) {
  const std::vector<std::string> words = DistinctiveWords(post);
  if (words.empty()) return std::vector<PostDetail>();
  std::vector<std::int64_t> ids;
  {
    std::lock_guard lock(mutex_);
    try {
      if (writer_ == nullptr) database_->reopen();
      const Xapian::Stem stemmer(kLanguage);
      std::vector<Xapian::Query> terms;
      for (const std::string& word : words) terms.emplace_back("Z" + stemmer(FoldDiacritics(word)));
      Filters filters;
      filters.now = now;
      Xapian::Query similar =
          WithFilters(Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end()), filters);
      Xapian::Enquire enquire(*database_);
      enquire.set_query(
          Xapian::Query(Xapian::Query::OP_FILTER, similar, Xapian::Query("XKarticle")));
      Xapian::MSet matches = enquire.get_mset(0, static_cast<Xapian::doccount>(limit + 1));
      for (auto match = matches.begin(); match != matches.end(); ++match) {
        if (static_cast<std::int64_t>(*match) != post.id) ids.push_back(*match);
      }
    } catch (const Xapian::Error& error) {
      return tl::unexpected(IndexError("similar articles could not be found", error));
    }
  }
  auto details = store_.FindPostsByIds(ids, false);
  if (!details) return tl::unexpected(details.error());
  std::erase_if(*details, [now](const PostDetail& d) { return !Visible(d.post, now, false); });
  if (details->size() > static_cast<size_t>(limit)) details->resize(static_cast<size_t>(limit));
  return details;
}

}  // namespace broadsheet::search
