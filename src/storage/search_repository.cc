// The search index's queue of changed posts.
#include <charconv>

#include "core/text.h"
#include "storage/dialect.h"
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::search_queue {
namespace {

SearchChange ChangeRow(const Row& row) {
  SearchChange change{row.Int(0), row.Int(1), std::nullopt, {}};
  for (const std::string& text : SplitTrimmed(row.Text(13), ',')) {
    std::int64_t sequence = 0;
    if (std::from_chars(text.data(), text.data() + text.size(), sequence).ec == std::errc())
      change.sequences.push_back(sequence);
  }
  if (row.IsNull(2)) return change;  // not published (any more): out of the index
  IndexedPost post;
  post.id = row.Int(2);
  post.kind = row.Text(3) == "page" ? PostKind::kPage : PostKind::kArticle;
  post.published_at = row.Int(4);
  post.section_id = row.OptionalInt(5);
  for (const std::string& text : SplitTrimmed(row.Text(6), ',')) {
    std::int64_t id = 0;
    if (std::from_chars(text.data(), text.data() + text.size(), id).ec == std::errc())
      post.author_ids.push_back(id);
  }
  post.title = row.Text(7);
  post.dek = row.Text(8);
  post.body = PlainText(row.Text(9));
  post.authors = row.Text(10);
  post.section = row.Text(11);
  post.tags = row.Text(12);
  change.post = std::move(post);
  return change;
}

}  // namespace

Result<std::vector<SearchChange>> Pending(Connection& c, std::int64_t after, int limit) {
  return c.All(
      "SELECT q.id, q.post_id, s.id, s.kind, s.published_at, s.section_id, "
      "s.author_ids, s.title, s.dek, s.body_html, s.authors, s.section, s.tags, q.ids "
      "FROM (SELECT max(id) AS id, post_id, " +
          dialect::JoinedText(c.dialect(), "id", "','", "id") +
          " AS ids FROM (SELECT id, post_id FROM search_pending WHERE id > ? ORDER BY "
          "id LIMIT ?) oldest GROUP BY post_id) q LEFT JOIN search_source s ON s.id = "
          "q.post_id ORDER BY q.id",
      ChangeRow, after, limit);
}

Result<void> Clear(Connection& c, const std::vector<std::int64_t>& sequences) {
  return InRuns(sequences, [&](const std::vector<std::int64_t>& run) -> Result<void> {
    std::vector<Value> params;
    const std::string sql = "DELETE FROM search_pending WHERE id IN (" + InList(run, params) + ")";
    auto cleared = c.Run(sql, params, nullptr);
    if (!cleared) return tl::unexpected(cleared.error());
    return {};
  });
}

Result<void> QueueAllPublished(Connection& c) {
  auto queued =
      c.Exec("INSERT INTO search_pending(post_id) SELECT id FROM posts WHERE status = 'published'");
  if (!queued) return tl::unexpected(queued.error());
  return {};
}

}  // namespace broadsheet::storage::search_queue
