// Search index snapshots: how a node that joins a large site answers searches within a minute or
// two instead of building its index from every post (hours of a core for a big archive).
//
// From time to time one node of all those on the database (the holder of the `search-snapshot`
// lease) compacts its complete index (SearchIndex::WriteSnapshot) and uploads the files to the
// media store under a new, unguessable folder `private/search/<32 hex digits>/`, then records a
// manifest in the database (Store::SaveSearchSnapshot) and removes the previous snapshot's files.
// A node whose index has nothing to follow the log from (a new node, a lost index) downloads the
// files the manifest names, checks each one's size and SHA-256, and takes the copy in place of a
// build (SearchIndex::TakeSnapshot); it then reads the change log on from the snapshot's position
// like any index, so what was written since arrives within seconds. When there is no snapshot,
// or its position is no longer in the log (trimmed, another database's), the node builds as
// before. Snapshots are made only on PostgreSQL, where several nodes may serve one site.
//
// The manifest (text, one field per line):
//
//   broadsheet search snapshot 1
//   position GENERATION CURSOR
//   folder private/search/0123456789abcdef0123456789abcdef/
//   file docdata.glass 8192 <sha256>
//   file iamglass 163 <sha256>
//   …
//
// The snapshot holds what the index holds (published and scheduled posts), so it is kept out of
// readers' reach: `/uploads/private/…` is never served, and a bucket made public for `media/`
// must not be listable (docs/media.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "media/object_store.h"
#include "search/index.h"
#include "storage/store.h"

namespace broadsheet::search {

// The key prefix of every snapshot's files: never served at /uploads/.
inline constexpr std::string_view kPrivateKeyPrefix = "private/";

struct SnapshotFile {
  std::string name;  // "postlist.glass"
  std::int64_t size = 0;
  std::string sha256;
};

struct SnapshotManifest {
  std::string position;  // "GENERATION CURSOR"
  std::string folder;    // "private/search/<32 hex>/"
  std::vector<SnapshotFile> files;
};

std::string FormatManifest(const SnapshotManifest& manifest);
// kCorrupt naming what is wrong: an unknown version or field, a folder outside
// private/search/, a file name that is not an index table's, more than 32 files, a size over
// 1 TiB (or all of them over 4 TiB) or a digest that is not 64 hex digits.
Result<SnapshotManifest> ParseManifest(const std::string& text);

class Snapshots {
 public:
  // `work` is a folder of this node's (beside the index) where snapshots are compacted and
  // downloaded; it is emptied before each use. `every`: seconds between snapshots (0: none).
  Snapshots(SearchIndex& index, Store& store, media::ObjectStore& objects,
            std::filesystem::path work, Timestamp every);

  // Whether a snapshot is due at `now`: the index here is complete and has read the log to its
  // end since this process started, and there is none, or the latest cannot be taken (damaged,
  // another database's, trimmed past), or it is older than `every` and this index has read
  // further than it. An index behind the latest never replaces it.
  Result<bool> Due(Timestamp now);
  // Writes, uploads and records a snapshot, then removes the previous one's files.
  Result<SnapshotManifest> Make(Timestamp now);
  // Takes the latest snapshot in place of a build, when the index would (WouldTakeSnapshot);
  // true when it did. kStorageFull when the disk has not room for it (twice its size: the copy,
  // and the index it replaces until the swap).
  Result<bool> Take();

 private:
  Result<void> EmptyWork();

  SearchIndex& index_;
  Store& store_;
  media::ObjectStore& objects_;
  const std::filesystem::path work_;
  const Timestamp every_;
};

}  // namespace broadsheet::search
