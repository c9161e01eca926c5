// The search_source view: posts as the full-text index holds them.
#include <charconv>
#include <map>

#include "core/text.h"
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::search_source {
namespace {

constexpr const char* kColumns =
    "s.id, s.kind, s.published_at, s.section_id, s.author_ids, s.title, s.dek, s.body_html, "
    "s.authors, s.section, s.tags";

IndexedPost DocumentRow(const Row& row) {
  IndexedPost post;
  post.id = row.Int(0);
  post.kind = row.Text(1) == "page" ? PostKind::kPage : PostKind::kArticle;
  post.published_at = row.Int(2);
  post.section_id = row.OptionalInt(3);
  for (const std::string& text : SplitTrimmed(row.Text(4), ',')) {
    std::int64_t id = 0;
    if (std::from_chars(text.data(), text.data() + text.size(), id).ec == std::errc())
      post.author_ids.push_back(id);
  }
  post.title = row.Text(5);
  post.dek = row.Text(6);
  post.body = PlainText(row.Text(7));
  post.authors = row.Text(8);
  post.section = row.Text(9);
  post.tags = row.Text(10);
  return post;
}

}  // namespace

Result<std::vector<SearchChange>> Documents(Connection& c, const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, IndexedPost> found;
  auto read = InRuns(ids, [&](const std::vector<std::int64_t>& run) -> Result<void> {
    std::vector<Value> params;
    const std::string sql = std::string("SELECT ") + kColumns +
                            " FROM search_source s WHERE s.id IN (" + InList(run, params) + ")";
    auto ran = c.Run(sql, params, [&](const Row& row) -> Result<void> {
      IndexedPost post = DocumentRow(row);
      found.insert_or_assign(post.id, std::move(post));
      return {};
    });
    if (!ran) return tl::unexpected(ran.error());
    return {};
  });
  if (!read) return tl::unexpected(read.error());
  std::vector<SearchChange> changes;
  changes.reserve(ids.size());
  for (std::int64_t id : ids) {
    SearchChange change{id, std::nullopt};
    if (auto it = found.find(id); it != found.end()) change.post = it->second;
    changes.push_back(std::move(change));
  }
  return changes;
}

Result<std::vector<IndexedPost>> List(Connection& c, std::int64_t after_id, int limit) {
  return c.All(std::string("SELECT ") + kColumns +
                   " FROM search_source s WHERE s.id > ? ORDER BY s.id LIMIT ?",
               DocumentRow, after_id, static_cast<std::int64_t>(limit));
}

}  // namespace broadsheet::storage::search_source

namespace broadsheet::storage::search_snapshots {

Result<std::optional<SearchSnapshot>> Load(Connection& c) {
  return c.One("SELECT manifest, made_at FROM search_snapshots WHERE name = 'search'",
               [](const Row& row) {
                 return SearchSnapshot{row.Text(0), row.Int(1)};
               });
}

Result<std::optional<SearchSnapshot>> Save(Connection& c, const SearchSnapshot& snapshot) {
  auto replaced = Load(c);
  if (!replaced) return replaced;
  auto saved = c.Exec(
      "INSERT INTO search_snapshots(name, manifest, made_at) VALUES ('search', ?, ?) "
      "ON CONFLICT(name) DO UPDATE SET manifest = excluded.manifest, made_at = excluded.made_at",
      snapshot.manifest, snapshot.made_at);
  if (!saved) return tl::unexpected(saved.error());
  return replaced;
}

}  // namespace broadsheet::storage::search_snapshots
