// What the WordPress and Ghost importers share: writing into the site what they read, and
// remembering it (Store::RecordImported) so that a second run updates instead of duplicating.
// Everything goes through the Store, inside the importer's transaction: the importer calls
// Flush() before that transaction ends.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "importers/import_count.h"
#include "storage/store.h"

namespace broadsheet::importers {

inline constexpr size_t kMaxNotes = 50;

class SiteWriter {
 public:
  using Count = ImportCount;

  SiteWriter(Store& store, std::string source);

  // Where the records come from ("wordpress https://example.org"); set before the first
  // Imported or Remember.
  void set_source(std::string source);
  Store& store() { return store_; }

  // What an earlier run (or this one) made from the source's (`kind`, `id`). The source's
  // records are read once, at the first call, and kept: an import asks for one per comment.
  Result<std::optional<ImportedRecord>> Imported(const std::string& kind, const std::string& id);
  // Notes what this run made from (`kind`, `id`), written in batches: Flush() writes the rest.
  Result<void> Remember(const std::string& kind, const std::string& id, std::int64_t local_id,
                        std::string detail = "");
  // Writes the records Remember has not written yet.
  Result<void> Flush();

  // An old address answering 301 with `to`. Addresses Broadsheet itself serves (/feed/,
  // /search/, …) are left alone: a redirect there would never answer.
  Result<void> Redirect(const std::string& from, const std::string& to);
  // An archive's address (`from` and `to` end with '/') and its feeds: from/feed/ and
  // from/feed/rss2/ to to/feed/, from/feed/atom/ to to/feed/atom/, as feed readers keep asking
  // for them.
  Result<void> RedirectArchive(const std::string& from, const std::string& to);

  // The section, tag or author for the other platform's (`kind`, `id`): the one an earlier run
  // made (refreshed by `fill`), else one already on the site with slug `slug` (used as it is),
  // else a new one filled by `fill`. `slug` must be valid.
  Result<std::int64_t> UseSection(const std::string& kind, const std::string& id,
                                  const std::string& slug,
                                  const std::function<void(Section&)>& fill, Count& count);
  Result<std::int64_t> UseTag(const std::string& kind, const std::string& id,
                              const std::string& slug, const std::function<void(Tag&)>& fill,
                              Count& count);
  Result<std::int64_t> UseAuthor(const std::string& kind, const std::string& id,
                                 const std::string& slug, const std::function<void(Author&)>& fill,
                                 Count& count);

  // A free address for a new post: `wanted` made a slug, else `title`, else `fallback`, with
  // -2, -3 … when taken. A change from `wanted` is noted.
  Result<std::string> FreeSlug(std::string_view wanted, const std::string& title,
                               const std::string& fallback);

  // Saves a post read from the other platform as its (`kind`, `id`): over the post an earlier
  // run made (keeping that post's address), else as a new post at FreeSlug(wanted, title,
  // fallback). nullopt when the earlier post has been deleted here since: it is left alone.
  struct Saved {
    std::int64_t id = 0;
    bool existed = false;
  };
  Result<std::optional<Saved>> SavePost(const std::string& kind, const std::string& id, Post& post,
                                        std::string_view wanted, const std::string& fallback);

  void Note(std::string note);

  int redirects() const { return redirects_; }
  const std::vector<std::string>& notes() const { return notes_; }
  int notes_left_out() const { return notes_left_out_; }

 private:
  template <typename T>
  Result<std::int64_t> Use(const char* type, const std::string& kind, const std::string& id,
                           const std::string& slug, const std::function<void(T&)>& fill,
                           Count& count,
                           const std::function<Result<std::optional<T>>(const std::string&)>& find,
                           const std::function<Result<std::int64_t>(const T&)>& save);

  Store& store_;
  std::string source_;
  Timestamp now_;
  int redirects_ = 0;
  std::vector<std::string> notes_;
  int notes_left_out_ = 0;
  std::set<std::string> made_;  // "kind slug" of what this run wrote
  // The source's records by (kind, foreign id), once read; and those not yet written.
  std::optional<std::map<std::pair<std::string, std::string>, ImportedRecord>> known_;
  std::vector<ImportedRecord> unwritten_;
};

// Calls `visit` with every post of the site (any status, with its section, authors, tags and
// notes), oldest first, reading a hundred at a time: exports of large archives stay small in
// memory.
Result<void> ForEachPost(Store& store, const std::function<Result<void>(const PostDetail&)>& visit);

// `text` made a slug of at most 190 characters (room for "-2" within 200).
std::string SlugStem(std::string_view text);

// Percent-decoded, where that gives UTF-8; else as it is.
std::string Decoded(std::string_view text);

}  // namespace broadsheet::importers
