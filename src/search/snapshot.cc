#include "search/snapshot.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "auth/crypto.h"

namespace broadsheet::search {
namespace {

namespace fs = std::filesystem;

const char* const kHeader = "broadsheet search snapshot 1";
const char* const kFolderPrefix = "private/search/";
constexpr size_t kMostFiles = 32;
constexpr std::int64_t kLargestFile = std::int64_t{1} << 40;  // 1 TiB
constexpr std::int64_t kLargestSnapshot = std::int64_t{4} << 40;

bool IsHex(std::string_view text, size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A Xapian table's file name ("postlist.glass", "iamglass"): lower-case letters and one dot.
bool IsTableName(std::string_view name) {
  if (name.empty() || name.size() > 40 || name.front() == '.') return false;
  int dots = 0;
  for (char c : name) {
    if (c == '.') {
      ++dots;
    } else if (c < 'a' || c > 'z') {
      return false;
    }
  }
  return dots <= 1;
}

// The cursor of a position "GENERATION CURSOR".
std::optional<std::int64_t> CursorOf(const std::string& position) {
  const auto space = position.rfind(' ');
  std::int64_t cursor = 0;
  if (space == std::string::npos ||
      std::from_chars(position.data() + space + 1, position.data() + position.size(), cursor).ec !=
          std::errc()) {
    return std::nullopt;
  }
  return cursor;
}

Error Corrupt(const std::string& what) {
  return Error{ErrorCode::kCorrupt, "the search index snapshot's manifest is damaged", what};
}

}  // namespace

std::string FormatManifest(const SnapshotManifest& manifest) {
  std::string text = std::string(kHeader) + "\n";
  text += "position " + manifest.position + "\n";
  text += "folder " + manifest.folder + "\n";
  for (const SnapshotFile& file : manifest.files)
    text += fmt::format("file {} {} {}\n", file.name, file.size, file.sha256);
  return text;
}

Result<SnapshotManifest> ParseManifest(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  if (!std::getline(lines, line) || line != kHeader)
    return tl::unexpected(Corrupt("not a version-1 manifest"));
  SnapshotManifest manifest;
  std::set<std::string> names;
  std::int64_t total = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const auto space = line.find(' ');
    const std::string field = line.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (field == "position") {
      manifest.position = rest;
    } else if (field == "folder") {
      manifest.folder = rest;
    } else if (field == "file") {
      std::istringstream parts(rest);
      SnapshotFile file;
      std::string size;
      if (!(parts >> file.name >> size >> file.sha256))
        return tl::unexpected(Corrupt("a file line lacks its name, size or digest"));
      const auto parsed = std::from_chars(size.data(), size.data() + size.size(), file.size);
      if (parsed.ec != std::errc() || parsed.ptr != size.data() + size.size() || file.size < 0 ||
          file.size > kLargestFile) {
        return tl::unexpected(Corrupt("the size of " + file.name.substr(0, 40)));
      }
      if (!IsTableName(file.name) || !names.insert(file.name).second)
        return tl::unexpected(Corrupt("a file name that is not an index table's"));
      if (!IsHex(file.sha256, 64)) return tl::unexpected(Corrupt("the digest of " + file.name));
      total += file.size;
      if (total > kLargestSnapshot) return tl::unexpected(Corrupt("the files' total size"));
      manifest.files.push_back(std::move(file));
      if (manifest.files.size() > kMostFiles) return tl::unexpected(Corrupt("too many files"));
    } else {
      return tl::unexpected(Corrupt("an unknown field " + field.substr(0, 40)));
    }
  }
  const std::string_view folder = manifest.folder;
  if (!folder.starts_with(kFolderPrefix) || !folder.ends_with('/') ||
      !IsHex(folder.substr(std::string_view(kFolderPrefix).size(),
                           folder.size() - std::string_view(kFolderPrefix).size() - 1),
             32)) {
    return tl::unexpected(Corrupt("a folder outside " + std::string(kFolderPrefix)));
  }
  if (manifest.position.find(' ') == std::string::npos)
    return tl::unexpected(Corrupt("no position"));
  if (manifest.files.empty()) return tl::unexpected(Corrupt("no files"));
  return manifest;
}

Snapshots::Snapshots(SearchIndex& index, Store& store, media::ObjectStore& objects, fs::path work,
                     Timestamp every)
    : index_(index), store_(store), objects_(objects), work_(std::move(work)), every_(every) {
  // What a process stopped in the middle of a snapshot left.
  std::error_code ignored;
  fs::remove_all(work_, ignored);
}

Result<void> Snapshots::EmptyWork() {
  std::error_code error;
  fs::remove_all(work_, error);
  if (!error) fs::create_directories(work_, error);
  if (error) {
    return Fail(ErrorCode::kIo, "cannot prepare the folder " + work_.string(), error.message());
  }
  return {};
}

Result<bool> Snapshots::Due(Timestamp now) {
  if (every_ <= 0) return false;
  // Only an index that is complete and has read the log to its end since this process started
  // (not one back from days away, before its first read) may replace the snapshot.
  const auto status = index_.Status();
  if (!status || status->building || !status->caught_up_at) return false;
  const std::string position = index_.LogPosition();
  const auto mine = CursorOf(position);
  if (!mine) return false;
  auto latest = store_.LoadSearchSnapshot();
  if (!latest) return tl::unexpected(latest.error());
  if (!*latest) return true;
  auto manifest = ParseManifest((*latest)->manifest);
  if (!manifest) return true;  // a damaged one is replaced
  // One no new node could take (trimmed past, another database's) is replaced at once.
  auto usable = index_.InLog(manifest->position);
  if (!usable) return tl::unexpected(usable.error());
  if (!*usable) return true;
  const auto theirs = CursorOf(manifest->position);
  if (!theirs || *mine <= *theirs) return false;  // never an older copy for a newer one
  return (*latest)->made_at + every_ <= now;
}

Result<SnapshotManifest> Snapshots::Make(Timestamp now) {
  if (auto emptied = EmptyWork(); !emptied) return tl::unexpected(emptied.error());
  const fs::path copy = work_ / "index";
  auto position = index_.WriteSnapshot(copy);
  if (!position) return tl::unexpected(position.error());
  SnapshotManifest manifest;
  manifest.position = *position;
  manifest.folder = kFolderPrefix + auth::HashToken(auth::RandomToken()).substr(0, 32) + "/";
  std::error_code error;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(copy, error)) {
    if (entry.is_regular_file(error)) files.push_back(entry.path());
  }
  if (error) return Fail(ErrorCode::kIo, "cannot read " + copy.string(), error.message());
  std::sort(files.begin(), files.end());
  // What was uploaded goes again when the snapshot cannot be completed.
  auto abandon = [&](Error failure) -> Result<SnapshotManifest> {
    for (const SnapshotFile& file : manifest.files)
      (void)objects_.Delete(manifest.folder + file.name);
    std::error_code ignored;
    fs::remove_all(work_, ignored);
    return tl::unexpected(std::move(failure));
  };
  for (const fs::path& file : files) {
    const std::string name = file.filename().string();
    if (!IsTableName(name) || name == "flintlock") continue;  // Xapian's lock file
    auto digest = media::DigestFile(file);
    if (!digest) return abandon(digest.error());
    if (auto stored = objects_.PutFile(manifest.folder + name, file, "application/octet-stream");
        !stored) {
      return abandon(stored.error());
    }
    manifest.files.push_back({name, digest->size, digest->sha256});
  }
  auto replaced = store_.SaveSearchSnapshot({FormatManifest(manifest), now});
  if (!replaced) return abandon(replaced.error());
  fs::remove_all(work_, error);
  // The previous snapshot's files go once the new one is recorded. A node downloading them at
  // this moment fails its check and takes the new one on its next try.
  if (*replaced) {
    if (auto previous = ParseManifest((*replaced)->manifest);
        previous && previous->folder != manifest.folder) {
      for (const SnapshotFile& file : previous->files)
        (void)objects_.Delete(previous->folder + file.name);
    }
  }
  return manifest;
}

Result<bool> Snapshots::Take() {
  auto latest = store_.LoadSearchSnapshot();
  if (!latest) return tl::unexpected(latest.error());
  if (!*latest) return false;
  auto manifest = ParseManifest((*latest)->manifest);
  if (!manifest) return tl::unexpected(manifest.error());
  auto wanted = index_.WouldTakeSnapshot(manifest->position);
  if (!wanted || !*wanted) return wanted;
  if (auto emptied = EmptyWork(); !emptied) return tl::unexpected(emptied.error());
  std::int64_t total = 0;
  for (const SnapshotFile& file : manifest->files) total += file.size;
  std::error_code error;
  const auto space = fs::space(work_, error);
  if (!error && static_cast<std::int64_t>(space.available / 2) < total) {
    return Fail(ErrorCode::kStorageFull, "no room on the disk for the search index snapshot",
                fmt::format("{} bytes, twice over, in {}", total, work_.string()));
  }
  const fs::path copy = work_ / "index";
  fs::create_directories(copy, error);
  if (error) return Fail(ErrorCode::kIo, "cannot create " + copy.string(), error.message());
  for (const SnapshotFile& file : manifest->files) {
    const fs::path path = copy / file.name;
    if (auto fetched = objects_.GetFile(manifest->folder + file.name, path, file.size); !fetched) {
      if (fetched.error().code != ErrorCode::kTooLarge) return tl::unexpected(fetched.error());
      return Fail(ErrorCode::kCorrupt, "a file of the search index snapshot is not as recorded",
                  manifest->folder + file.name + " is larger");
    }
    auto digest = media::DigestFile(path);
    if (!digest) return tl::unexpected(digest.error());
    if (digest->size != file.size || digest->sha256 != file.sha256) {
      return Fail(ErrorCode::kCorrupt, "a file of the search index snapshot is not as recorded",
                  manifest->folder + file.name);
    }
  }
  auto taken = index_.TakeSnapshot(copy);
  fs::remove_all(work_, error);
  return taken;
}

}  // namespace broadsheet::search
