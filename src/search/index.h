// SearchIndex: the full-text index of published posts, a Xapian database in the site directory
// (search.xapian/). It follows the database's change log (Store::ReadChangeLog): every write
// that changes a post's searchable text or visibility leaves a row in the write's transaction,
// and Sync re-reads each post named there (Store::SearchDocuments), so the index follows every
// create, edit, unpublish and delete, whatever the door. Its position in the log is kept in the
// index itself (Xapian metadata `bs:log`, "GENERATION CURSOR") and committed with the documents,
// so a restart, or a copy of the index, reads on from where it was. The index never writes to
// the log: every node with its own index follows the same log. It is built again from the posts
// (in batches, by id; `bs:rebuild` holds the last id done, so a build resumes) when there is
// none, when its position is in another database's log (the generation differs: a copy, a new
// database) or outside this one's (trimmed past, or beyond the head: an older backup put back),
// or when the log asks for it (`reindex`). Meanwhile it answers from what it holds. Instead of a
// build, a new node's index may take a snapshot of another's (WriteSnapshot, TakeSnapshot).
//
// One process at a time may write (Xapian's lock): the server when it runs, else the command
// that changed the content. A process that cannot write searches what the writer committed.
//
// Ranking is BM25 with the headline's words weighing 10, the dek's 4, the authors' and tags' 3,
// the section's 2 and the body's 1; English stemming; accents folded (FoldDiacritics).
// Thread-safe: calls are serialised.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "search/query.h"
#include "storage/store.h"

namespace Xapian {
class Database;
class WritableDatabase;
}  // namespace Xapian

namespace broadsheet::search {

struct Filters {
  std::optional<std::int64_t> section_id;
  std::optional<std::int64_t> author_id;
  std::optional<Timestamp> from;   // published at or after
  std::optional<Timestamp> until;  // published before
  Timestamp now = 0;               // only what readers see at `now`
  bool newest_first = false;       // else best match first
  int limit = 10;
  int offset = 0;
};

struct Hit {
  PostDetail detail;
  std::string title_html;    // escaped, the matched words in <mark>
  std::string excerpt_html;  // the body's passage with the most matches; empty if it has none
};

struct Results {
  std::vector<Hit> hits;
  int total = 0;      // matches on every page
  bool exact = true;  // false: `total` is Xapian's estimate (many matches)
};

class SearchIndex {
 public:
  // Opens the index in `dir`, creating it when missing; an index that must be built again (see
  // above) starts its build here, carried out by Sync a batch at a time.
  static Result<std::unique_ptr<SearchIndex>> Open(const std::filesystem::path& dir, Store& store);
  ~SearchIndex();

  bool writable() const {
    std::lock_guard lock(mutex_);  // Sync sets writer_ when the other writer has gone
    return writer_ != nullptr;
  }
  // Applies up to `limit` changes from the log (0: all), then, while the index is being built,
  // up to `limit` more posts of the build; returns how many it applied. A process that only
  // reads first tries again to write (the writer may have finished); if it still cannot, it does
  // nothing. `applied`, when set, is given the id of each post the log named (a post may come
  // more than once), e.g. to purge its pages from caches in front (not the posts of a build),
  // including the posts CatchUp applied since the last Sync.
  Result<int> Sync(int limit = 0, const std::function<void(std::int64_t post_id)>& applied = {});
  // Applies the log's changes only when at most `most` wait and no build is under way: a search
  // brings in what was just written, and a long backlog is left to the server's indexer. The
  // posts it applies are given to the next Sync's `applied`, so that no change escapes it.
  Result<int> CatchUp(int most);
  // Where the index has read the log to, as committed ("GENERATION CURSOR"; empty if none).
  std::string LogPosition() const;
  // Where this process reads the log on from, when it writes the index (else none), for
  // /metrics: with Store::ChangeLogBehind, how far it is behind.
  struct LogStatus {
    ChangeLogPosition position;
    std::optional<Timestamp> caught_up_at;  // when a read last found nothing more to apply
    bool building = false;
  };
  std::optional<LogStatus> Status() const;
  bool building() const {
    std::lock_guard lock(mutex_);
    return rebuild_after_.has_value();
  }

  // Snapshots: a copy of the index that a new node takes instead of building its own
  // (search/snapshot.h). WriteSnapshot compacts the index as last committed into the new folder
  // `into` and returns the log position it holds ("GENERATION CURSOR"); kConflict while the
  // index is being built or when another process writes it. Searches go on meanwhile; nothing
  // is committed until it returns (CatchUp and Sync wait), so that the copy stays readable.
  Result<std::string> WriteSnapshot(const std::filesystem::path& into);
  // Whether a snapshot holding `position` would be taken now: the index is starting a build
  // from the posts because it had nothing to follow the log from (a new node, a lost or foreign
  // index; not a `search rebuild`), and `position` is in this database's log.
  Result<bool> WouldTakeSnapshot(const std::string& position);
  // Whether `position` ("GENERATION CURSOR") is in this database's log now (not trimmed past,
  // not another database's).
  Result<bool> InLog(const std::string& position);
  // Replaces the index with the snapshot in `folder` (moved into place) when WouldTakeSnapshot
  // says so; false, leaving `folder`, when it is not taken.
  Result<bool> TakeSnapshot(const std::filesystem::path& folder);

  Result<Results> Search(const Query& query, const Filters& filters);
  // Published articles whose headlines and deks share the most distinctive words with `post`'s.
  Result<std::vector<PostDetail>> Similar(const Post& post, Timestamp now, int limit);

 private:
  SearchIndex(std::filesystem::path dir, Store& store, std::unique_ptr<Xapian::Database> database,
              Xapian::WritableDatabase* writer);

  // mutex_ held, for all below. Reads the position and any build under way from the index's
  // metadata; starts over when there is no position or it is another log's.
  Result<void> LoadPosition();
  // Starts a build from the posts, reading the log on from its head now: whatever the build
  // misses was written after, and the log brings it.
  Result<void> StartOver();
  // Applies `batch` (read from position_) and commits it with the new position.
  Result<int> ApplyLog(const ChangeLogBatch& batch,
                       const std::function<void(std::int64_t post_id)>& observer);
  // The cursor of `position` ("GENERATION CURSOR") when it is in this database's log now.
  Result<std::optional<std::int64_t>> CursorInLog(const std::string& position);
  // Builds the next `limit` posts; 0 when the build is done.
  Result<int> BuildMore(int limit);
  // The write handle, reopened if another process had it; null when it still has.
  Result<bool> AcquireWriter();

  const std::filesystem::path dir_;
  Store& store_;
  mutable std::mutex mutex_;
  std::unique_ptr<Xapian::Database> database_;
  Xapian::WritableDatabase* writer_;  // database_ when this process writes, else null
  // Where this process reads the log on from (with the rows above its cursor already applied);
  // the cursor is committed to the index with the documents. Valid while writer_ is set.
  std::string generation_;
  ChangeLogPosition position_;
  std::optional<std::int64_t> rebuild_after_;  // a build under way: the last post id done
  std::vector<std::int64_t> caught_up_;        // posts CatchUp applied, for the next Sync to report
  // The build under way started because there was no position to read on from: a snapshot may
  // replace it. Not after a `reindex` row (which asks for a build from the posts).
  bool may_take_snapshot_ = false;
  bool writing_snapshot_ = false;          // WriteSnapshot under way: no commits
  std::optional<Timestamp> caught_up_at_;  // Status
};

}  // namespace broadsheet::search
