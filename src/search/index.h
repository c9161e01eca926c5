// SearchIndex: the full-text index of published posts, a Xapian database in the site directory
// (search.xapian/). The Store keeps what it must apply: every write that changes a post's
// searchable text or visibility queues the post in the same transaction (Store::
// PendingSearchChanges), and Sync applies the queue, so the index follows every create, edit,
// unpublish and delete; a lost or new index is rebuilt from the database.
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
  // Opens the index in `dir`, creating it (and queueing every published post) when missing.
  static Result<std::unique_ptr<SearchIndex>> Open(const std::filesystem::path& dir, Store& store);
  ~SearchIndex();

  bool writable() const {
    std::lock_guard lock(mutex_);  // Sync sets writer_ when the other writer has gone
    return writer_ != nullptr;
  }
  // Applies up to `limit` queued changes (0: all) and then clears from the queue what the index
  // holds; returns how many it applied. A process that only reads first tries again to write
  // (the writer may have finished); if it still cannot, it does nothing. A clear that fails
  // (the database busy) is an error, and the next Sync clears again. `applied`, when set, is
  // given the id of each post whose change Sync applied (a post may come more than once), e.g.
  // to purge its pages from caches in front: every write path notes its posts in the queue.
  Result<int> Sync(int limit = 0, const std::function<void(std::int64_t post_id)>& applied = {});
  // Applies the queued changes only when at most `most` wait, and leaves clearing them to Sync:
  // a search brings in what was just written without writing to the database, so it never
  // waits for another writer, and a long backlog is left to the server's indexer.
  Result<int> CatchUp(int most);

  Result<Results> Search(const Query& query, const Filters& filters);
  // Published articles whose headlines and deks share the most distinctive words with `post`'s.
  Result<std::vector<PostDetail>> Similar(const Post& post, Timestamp now, int limit);

 private:
  SearchIndex(std::filesystem::path dir, Store& store, std::unique_ptr<Xapian::Database> database,
              Xapian::WritableDatabase* writer);

  // Applies up to `limit` changes queued after `after` (0: all), moving `after` to the last one
  // applied and adding every queue entry applied to `entries` (when given); mutex_ held.
  Result<int> Apply(std::int64_t& after, int limit,
                    const std::function<void(std::int64_t post_id)>& applied = {},
                    std::vector<std::int64_t>* entries = nullptr);

  const std::filesystem::path dir_;
  Store& store_;
  mutable std::mutex mutex_;
  std::unique_ptr<Xapian::Database> database_;
  Xapian::WritableDatabase* writer_;  // database_ when this process writes, else null
  // The newest queued change put in the index (committed to Xapian), where a search's CatchUp
  // reads on from; Sync reads from the queue's head.
  std::int64_t applied_through_ = 0;
};

}  // namespace broadsheet::search
