// Posts with their bylines, tags, notes and revisions.
#include <algorithm>
#include <functional>
#include <iterator>
#include <unordered_map>

#include "storage/dialect.h"
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::posts {
namespace {

const char* KindName(PostKind kind) { return kind == PostKind::kPage ? "page" : "article"; }

Post PostRow(const Row& row) { return ReadPost(row); }

PostDetail DetailRow(const Row& row) { return PostDetail{ReadPost(row), std::nullopt, {}, {}, {}}; }

Revision RevisionRow(const Row& row) {
  return Revision{row.Int(0),  row.Int(1),  row.Int(2),  row.OptionalInt(3), row.Text(4),
                  row.Text(5), row.Text(6), row.Text(7), row.Text(8)};
}

constexpr const char* kRevisionColumns =
    "SELECT r.id, r.post_id, r.saved_at, r.user_id, coalesce(u.name, ''), r.title, r.dek, "
    "r.body_markdown, r.details FROM revisions r LEFT JOIN users u ON u.id = r.user_id ";

const std::string& SelectPosts() {
  static const std::string sql = std::string("SELECT ") + kPostColumns + " FROM posts ";
  return sql;
}

// Runs `sql` with `params`, collecting a detail per row (the post only).
Result<std::vector<PostDetail>> Details(Connection& c, const std::string& sql,
                                        const std::vector<Value>& params) {
  std::vector<PostDetail> details;
  auto done = c.Run(sql, params, [&](const Row& row) -> Result<void> {
    details.push_back(DetailRow(row));
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return details;
}

// Runs `sql` with `params`, calling `each` for every row.
Result<void> EachRow(Connection& c, const std::string& sql, const std::vector<Value>& params,
                     const std::function<void(const Row&)>& each) {
  return Done(c.Run(sql, params, [&](const Row& row) -> Result<void> {
    each(row);
    return {};
  }));
}

// Replaces a post's byline and tags with those of `post` (queued: nothing here needs a count).
Result<void> WriteLinks(Connection& c, std::int64_t id, const Post& post) {
  if (auto cleared = c.Later("DELETE FROM post_authors WHERE post_id = ?", id); !cleared)
    return cleared;
  int position = 0;
  for (std::int64_t author_id : post.author_ids) {
    auto added = c.Later(
        "INSERT INTO post_authors(post_id, author_id, position) VALUES (?, ?, ?) ON CONFLICT DO "
        "NOTHING",
        id, author_id, position++);
    if (!added) return added;
  }
  if (auto cleared = c.Later("DELETE FROM post_tags WHERE post_id = ?", id); !cleared)
    return cleared;
  for (std::int64_t tag_id : post.tag_ids) {
    auto added = c.Later(
        "INSERT INTO post_tags(post_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING", id, tag_id);
    if (!added) return added;
  }
  return {};
}

Result<void> AddRevision(Connection& c, std::int64_t post_id, const Post& post,
                         std::optional<std::int64_t> user_id, const std::string& details) {
  return Done(
      c.Exec("INSERT INTO revisions(post_id, saved_at, user_id, title, dek, body_markdown, "
             "details) VALUES (?, ?, ?, ?, ?, ?, ?)",
             post_id, Now(), user_id, post.title, post.dek, post.body_markdown, details));
}

Result<void> AddressTaken(const std::string& slug) {
  return Fail(ErrorCode::kConflict, "the address /" + slug + "/ is already used by another post");
}

// "WHERE …" for the desk's list, its parameters appended to `params` (which borrow `pattern`,
// the LIKE pattern for the query's text).
std::string DeskFilter(Dialect dialect, const DeskQuery& query,
                       const std::optional<std::string>& pattern, std::vector<Value>& params) {
  std::string where = " FROM posts p WHERE ";
  if (query.status) {
    where += "p.status = ?";
    params.emplace_back(PostStatusName(*query.status));
  } else {
    where += "p.status <> 'trash'";
  }
  if (query.section_id) {
    where += " AND p.section_id = ?";
    params.emplace_back(*query.section_id);
  }
  if (query.author_id) {
    where +=
        " AND EXISTS (SELECT 1 FROM post_authors pa WHERE pa.post_id = p.id AND "
        "pa.author_id = ?)";
    params.emplace_back(*query.author_id);
  }
  if (query.created_by) {
    where += " AND p.created_by = ?";
    params.emplace_back(*query.created_by);
  }
  if (pattern) {
    const std::string like = std::string(" ") + dialect::LikeAnyCase(dialect) + " ? ESCAPE '\\'";
    where += " AND (p.title" + like + " OR p.dek" + like + ")";
    params.insert(params.end(), 2, Value(*pattern));
  }
  return where;
}

// "WHERE …" for readers' lists of published posts, its parameters appended to `params`.
std::string ListFilter(const PostQuery& query, std::vector<Value>& params) {
  std::string where =
      " FROM posts p WHERE p.kind = ? AND p.status = 'published' AND p.published_at <= ?";
  params.emplace_back(KindName(query.kind));
  params.emplace_back(query.now);
  if (query.from) {
    where += " AND p.published_at >= ?";
    params.emplace_back(*query.from);
  }
  if (query.until) {
    where += " AND p.published_at < ?";
    params.emplace_back(*query.until);
  }
  if (query.section_id) {
    where += " AND p.section_id = ?";
    params.emplace_back(*query.section_id);
  }
  if (query.author_id) {
    where +=
        " AND EXISTS (SELECT 1 FROM post_authors pa WHERE pa.post_id = p.id AND "
        "pa.author_id = ?)";
    params.emplace_back(*query.author_id);
  }
  if (query.tag_id) {
    where +=
        " AND EXISTS (SELECT 1 FROM post_tags pt WHERE pt.post_id = p.id AND "
        "pt.tag_id = ?)";
    params.emplace_back(*query.tag_id);
  }
  return where;
}

Result<int> Count(Connection& c, const std::string& sql, const std::vector<Value>& params) {
  int count = 0;
  auto done = c.Run(sql, params, [&](const Row& row) -> Result<void> {
    count = static_cast<int>(row.Int(0));
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return count;
}

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

Result<void> LoadDetails(Connection& c, std::vector<PostDetail>& details) {
  if (details.empty()) return {};
  // Four queries for a list (a run of them for a very long one), whatever its length.
  std::unordered_map<std::int64_t, std::vector<PostDetail*>> by_post;
  std::vector<std::int64_t> post_ids;
  std::vector<std::int64_t> section_ids;
  for (PostDetail& detail : details) {
    detail.post.author_ids.clear();
    detail.post.tag_ids.clear();
    auto& entry = by_post[detail.post.id];
    if (entry.empty()) post_ids.push_back(detail.post.id);
    entry.push_back(&detail);
    if (detail.post.section_id) section_ids.push_back(*detail.post.section_id);
  }
  std::sort(section_ids.begin(), section_ids.end());
  section_ids.erase(std::unique(section_ids.begin(), section_ids.end()), section_ids.end());
  auto each_post = [&](std::int64_t post_id, auto&& fill) {
    for (PostDetail* detail : by_post[post_id]) fill(*detail);
  };
  std::unordered_map<std::int64_t, Section> sections;
  auto read_sections = InRuns(section_ids, [&](const std::vector<std::int64_t>& run) {
    std::vector<Value> params;
    return EachRow(c,
                   "SELECT id, slug, name, description, opinion, disclaimer, position FROM "
                   "sections WHERE id IN (" +
                       InList(run, params) + ")",
                   params, [&](const Row& row) {
                     Section section = ReadSection(row);
                     sections.emplace(section.id, std::move(section));
                   });
  });
  if (!read_sections) return read_sections;
  for (PostDetail& detail : details) {
    if (!detail.post.section_id) continue;
    auto found = sections.find(*detail.post.section_id);
    if (found != sections.end()) detail.section = found->second;
  }
  const std::string by_name = std::string("t.name") + dialect::ByteOrder(c.dialect());
  return InRuns(post_ids, [&](const std::vector<std::int64_t>& run) -> Result<void> {
    std::vector<Value> params;
    const std::string posts = InList(run, params);
    auto authors = EachRow(
        c,
        "SELECT pa.post_id, a.id, a.slug, a.name, a.credentials, a.email, a.avatar, "
        "a.bio_markdown, a.bio_html FROM post_authors pa JOIN authors a ON a.id = pa.author_id "
        "WHERE pa.post_id IN (" +
            posts + ") ORDER BY pa.post_id, pa.position",
        params, [&](const Row& row) {
          const Author author = ReadAuthor(row, 1);
          each_post(row.Int(0), [&](PostDetail& detail) {
            detail.authors.push_back(author);
            detail.post.author_ids.push_back(author.id);
          });
        });
    if (!authors) return authors;
    auto tags = EachRow(c,
                        "SELECT pt.post_id, t.id, t.slug, t.name FROM post_tags pt JOIN tags t ON "
                        "t.id = pt.tag_id WHERE pt.post_id IN (" +
                            posts + ") ORDER BY pt.post_id, " + by_name,
                        params, [&](const Row& row) {
                          const Tag tag{row.Int(1), row.Text(2), row.Text(3)};
                          each_post(row.Int(0), [&](PostDetail& detail) {
                            detail.tags.push_back(tag);
                            detail.post.tag_ids.push_back(tag.id);
                          });
                        });
    if (!tags) return tags;
    return EachRow(
        c,
        "SELECT id, post_id, kind, text, at FROM post_notes WHERE post_id IN (" + posts +
            ") ORDER BY post_id, at, id",
        params, [&](const Row& row) {
          const PostNote note{row.Int(0), row.Int(1), row.Text(2), row.Text(3), row.Int(4)};
          each_post(note.post_id, [&](PostDetail& detail) { detail.notes.push_back(note); });
        });
  });
}

Result<std::optional<Post>> Find(Connection& c, const std::string& slug) {
  auto found = c.One(SelectPosts() + "WHERE slug = ?", PostRow, slug);
  if (!found || !*found) return found;
  Post& post = **found;
  auto authors = c.All(
      "SELECT author_id FROM post_authors WHERE post_id = ? ORDER BY position",
      [](const Row& row) { return row.Int(0); }, post.id);
  if (!authors) return tl::unexpected(authors.error());
  post.author_ids = std::move(*authors);
  auto tags = c.All(
      "SELECT tag_id FROM post_tags WHERE post_id = ? ORDER BY tag_id",
      [](const Row& row) { return row.Int(0); }, post.id);
  if (!tags) return tl::unexpected(tags.error());
  post.tag_ids = std::move(*tags);
  return found;
}

Result<std::optional<PostDetail>> FindPublished(Connection& c, const std::string& slug,
                                                Timestamp now) {
  auto details =
      Details(c, SelectPosts() + "WHERE slug = ? AND status = 'published' AND published_at <= ?",
              {slug, now});
  if (!details) return tl::unexpected(details.error());
  if (details->empty()) return std::nullopt;
  if (auto loaded = LoadDetails(c, *details); !loaded) return tl::unexpected(loaded.error());
  return std::move(details->front());
}

Result<std::optional<PostDetail>> FindById(Connection& c, std::int64_t id) {
  auto details = Details(c, SelectPosts() + "WHERE id = ?", {id});
  if (!details) return tl::unexpected(details.error());
  if (details->empty()) return std::nullopt;
  if (auto loaded = LoadDetails(c, *details); !loaded) return tl::unexpected(loaded.error());
  return std::move(details->front());
}

Result<std::vector<PostDetail>> ByIds(Connection& c, const std::vector<std::int64_t>& ids,
                                      bool bodies) {
  std::vector<PostDetail> found;
  auto read = InRuns(ids, [&](const std::vector<std::int64_t>& run) -> Result<void> {
    std::vector<Value> params;
    auto some = Details(c,
                        std::string("SELECT ") + (bodies ? kListedPostColumns : kCardPostColumns) +
                            " FROM posts p WHERE p.id IN (" + InList(run, params) + ")",
                        params);
    if (!some) return tl::unexpected(some.error());
    std::move(some->begin(), some->end(), std::back_inserter(found));
    return {};
  });
  if (!read) return tl::unexpected(read.error());
  // In the order asked for, each once.
  std::unordered_map<std::int64_t, PostDetail*> by_id;
  for (PostDetail& detail : found) by_id.emplace(detail.post.id, &detail);
  std::vector<PostDetail> details;
  for (std::int64_t id : ids) {
    auto entry = by_id.find(id);
    if (entry == by_id.end()) continue;
    details.push_back(std::move(*entry->second));
    by_id.erase(entry);
  }
  if (auto loaded = LoadDetails(c, details); !loaded) return tl::unexpected(loaded.error());
  return details;
}

Result<std::int64_t> Upsert(Connection& c, const Post& post) {
  auto id = c.Integer(
      "INSERT INTO posts(slug, kind, status, title, dek, body_markdown, body_html, "
      "published_at, updated_at, created_at, section_id, image_url, image_alt, image_caption, "
      "image_credit, opinion, disclaimer, disclaimer_hidden, comments_open, meta_description, "
      "social_image, canonical_url, noindex, created_by, submitted_at) VALUES (?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
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
      "submitted_at = coalesce(excluded.submitted_at, posts.submitted_at), "
      "edit_count = posts.edit_count + 1 RETURNING id",
      post.slug, KindName(post.kind), PostStatusName(post.status), post.title, post.dek,
      post.body_markdown, post.body_html, post.published_at, post.updated_at,
      post.created_at ? post.created_at : Now(), post.section_id, post.image.url, post.image.alt,
      post.image.caption, post.image.credit, post.opinion, post.disclaimer, post.disclaimer_hidden,
      post.comments_open, post.seo.description, post.seo.social_image, post.seo.canonical_url,
      post.seo.noindex, post.created_by, post.submitted_at);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kInternal, "the saved post has no id");
  if (auto links = WriteLinks(c, **id, post); !links) return tl::unexpected(links.error());
  return **id;
}

Result<std::int64_t> Create(Connection& c, const Post& post, std::optional<std::int64_t> user_id,
                            const std::string& revision_details) {
  auto id = c.Integer(
      "INSERT INTO posts(slug, kind, status, title, dek, body_markdown, body_html, "
      "published_at, updated_at, created_at, section_id, image_url, image_alt, image_caption, "
      "image_credit, opinion, disclaimer, disclaimer_hidden, comments_open, created_by, "
      "edit_count, meta_description, social_image, canonical_url, noindex, submitted_at) VALUES "
      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) ON "
      "CONFLICT(slug) DO NOTHING RETURNING id",
      post.slug, KindName(post.kind), PostStatusName(post.status), post.title, post.dek,
      post.body_markdown, post.body_html, post.published_at, post.updated_at, Now(),
      post.section_id, post.image.url, post.image.alt, post.image.caption, post.image.credit,
      post.opinion, post.disclaimer, post.disclaimer_hidden, post.comments_open, user_id,
      post.seo.description, post.seo.social_image, post.seo.canonical_url, post.seo.noindex,
      post.submitted_at);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return tl::unexpected(AddressTaken(post.slug).error());
  if (auto links = WriteLinks(c, **id, post); !links) return tl::unexpected(links.error());
  if (auto saved = AddRevision(c, **id, post, user_id, revision_details); !saved)
    return tl::unexpected(saved.error());
  return **id;
}

Result<int> SaveEdit(Connection& c, const Post& post, int expected_edit_count,
                     std::optional<std::int64_t> user_id, const std::string& revision_details) {
  auto taken = c.Integer("SELECT id FROM posts WHERE slug = ? AND id <> ?", post.slug, post.id);
  if (!taken) return tl::unexpected(taken.error());
  if (*taken) return tl::unexpected(AddressTaken(post.slug).error());
  auto edit_count = c.Integer(
      "UPDATE posts SET slug = ?, kind = ?, status = ?, title = ?, dek = ?, body_markdown = ?, "
      "body_html = ?, published_at = ?, updated_at = ?, section_id = ?, image_url = ?, "
      "image_alt = ?, image_caption = ?, image_credit = ?, opinion = ?, disclaimer = ?, "
      "disclaimer_hidden = ?, comments_open = ?, meta_description = ?, social_image = ?, "
      "canonical_url = ?, noindex = ?, submitted_at = ?, edit_count = edit_count + 1 WHERE id = ? "
      "AND edit_count = ? RETURNING edit_count",
      post.slug, KindName(post.kind), PostStatusName(post.status), post.title, post.dek,
      post.body_markdown, post.body_html, post.published_at, post.updated_at, post.section_id,
      post.image.url, post.image.alt, post.image.caption, post.image.credit, post.opinion,
      post.disclaimer, post.disclaimer_hidden, post.comments_open, post.seo.description,
      post.seo.social_image, post.seo.canonical_url, post.seo.noindex, post.submitted_at, post.id,
      expected_edit_count);
  if (!edit_count) return tl::unexpected(edit_count.error());
  if (!*edit_count) {
    return Fail(ErrorCode::kConflict,
                "this post was changed by someone else after you opened it; your text is kept "
                "below, but it was not saved");
  }
  if (auto links = WriteLinks(c, post.id, post); !links) return tl::unexpected(links.error());
  if (auto saved = AddRevision(c, post.id, post, user_id, revision_details); !saved)
    return tl::unexpected(saved.error());
  return static_cast<int>(**edit_count);
}

Result<std::vector<std::int64_t>> AllIds(Connection& c) {
  return c.All("SELECT id FROM posts ORDER BY created_at, id",
               [](const Row& row) { return row.Int(0); });
}

Result<std::vector<PostDetail>> ListForDesk(Connection& c, const DeskQuery& query) {
  const auto pattern = dialect::LikeContaining(query.text);
  std::vector<Value> params;
  const std::string sql =
      std::string("SELECT ") + kListedPostColumns +
      DeskFilter(c.dialect(), query, pattern, params) +
      (query.oldest_submitted_first
           ? " ORDER BY coalesce(p.submitted_at, p.created_at), p.id "
           : " ORDER BY coalesce(p.published_at, p.created_at) DESC, p.id DESC ") +
      "LIMIT ? OFFSET ?";
  params.emplace_back(query.limit);
  params.emplace_back(std::max(0, query.offset));  // PostgreSQL refuses a negative one
  auto details = Details(c, sql, params);
  if (!details) return details;
  if (auto loaded = LoadDetails(c, *details); !loaded) return tl::unexpected(loaded.error());
  return details;
}

Result<int> CountForDesk(Connection& c, const DeskQuery& query) {
  const auto pattern = dialect::LikeContaining(query.text);
  std::vector<Value> params;
  const std::string sql = "SELECT count(*)" + DeskFilter(c.dialect(), query, pattern, params);
  return Count(c, sql, params);
}

Result<std::vector<PostDetail>> ByStatus(Connection& c, PostStatus status, int limit) {
  auto details = Details(c,
                         SelectPosts() +
                             "WHERE status = ? ORDER BY coalesce(published_at, created_at) DESC, "
                             "id DESC LIMIT ?",
                         {PostStatusName(status), limit});
  if (!details) return details;
  if (auto loaded = LoadDetails(c, *details); !loaded) return tl::unexpected(loaded.error());
  return details;
}

Result<std::vector<PostDetail>> ListPublished(Connection& c, const PostQuery& query) {
  std::vector<Value> params;
  const std::string sql =
      std::string("SELECT ") + (query.bodies ? kListedPostColumns : kCardPostColumns) +
      ListFilter(query, params) + " ORDER BY p.published_at DESC, p.id DESC LIMIT ? OFFSET ?";
  params.emplace_back(query.limit);
  params.emplace_back(std::max(0, query.offset));  // PostgreSQL refuses a negative one
  auto details = Details(c, sql, params);
  if (!details) return details;
  if (auto loaded = LoadDetails(c, *details); !loaded) return tl::unexpected(loaded.error());
  return details;
}

Result<int> CountPublished(Connection& c, const PostQuery& query) {
  std::vector<Value> params;
  const std::string sql = "SELECT count(*)" + ListFilter(query, params);
  return Count(c, sql, params);
}

Result<std::vector<PostAddress>> Addresses(Connection& c, Timestamp now, Timestamp since, int limit,
                                           int offset) {
  const std::string sql =
      std::string("SELECT slug, kind, title, published_at, ") + dialect::Greatest(c.dialect()) +
      "(published_at, coalesce(updated_at, 0)) FROM posts WHERE status = 'published' AND "
      "published_at <= ? AND published_at >= ? AND noindex = 0 AND canonical_url = '' ORDER BY "
      "id LIMIT ? OFFSET ?";
  return c.All(
      sql,
      [](const Row& row) {
        return PostAddress{row.Text(0),
                           row.Text(1) == "page" ? PostKind::kPage : PostKind::kArticle,
                           row.Text(2), row.Int(3), row.Int(4)};
      },
      now, since, limit, std::max(0, offset));
}

Result<int> CountAddresses(Connection& c, Timestamp now, Timestamp since) {
  return Count(c,
               "SELECT count(*) FROM posts WHERE status = 'published' AND published_at <= ? AND "
               "published_at >= ? AND noindex = 0 AND canonical_url = ''",
               {now, since});
}

Result<std::optional<std::pair<Timestamp, Timestamp>>> PublishedSpan(Connection& c, PostKind kind,
                                                                     Timestamp now) {
  auto span = c.One(
      "SELECT min(published_at), max(published_at) FROM posts WHERE kind = ? AND "
      "status = 'published' AND published_at <= ?",
      [](const Row& row) -> std::optional<std::pair<Timestamp, Timestamp>> {
        if (row.IsNull(0)) return std::nullopt;
        return std::pair{row.Int(0), row.Int(1)};
      },
      KindName(kind), now);
  if (!span) return tl::unexpected(span.error());
  return span->value_or(std::nullopt);
}

Result<std::vector<PostDetail>> RelatedCandidates(Connection& c, const Post& post, Timestamp now,
                                                  int limit) {
  std::vector<std::int64_t> ids;
  auto take = [&](const Row& row) {
    const std::int64_t id = row.Int(0);
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  // Most tags in common first, then the most recently added; whether they are published
  // articles is checked on the few read (a join with posts here costs a scan).
  auto tagged = EachRow(c,
                        "SELECT b.post_id FROM post_tags b WHERE b.tag_id IN (SELECT tag_id FROM "
                        "post_tags WHERE post_id = ?) AND b.post_id <> ? GROUP BY b.post_id "
                        "ORDER BY count(*) DESC, b.post_id DESC LIMIT ?",
                        {post.id, post.id, limit}, take);
  if (!tagged) return tl::unexpected(tagged.error());
  if (post.section_id) {
    auto same_section =
        EachRow(c,
                "SELECT id FROM posts WHERE section_id = ? AND id <> ? AND kind = 'article' AND "
                "status = 'published' AND published_at <= ? ORDER BY published_at DESC LIMIT ?",
                {*post.section_id, post.id, now, limit}, take);
    if (!same_section) return tl::unexpected(same_section.error());
  }
  auto details = ByIds(c, ids, false);
  if (!details) return details;
  return Visible(std::move(*details), now);
}

Result<int> PublishDue(Connection& c, Timestamp now) {
  auto changed = c.Exec(
      "UPDATE posts SET status = 'published' WHERE status = 'scheduled' AND published_at <= ?",
      now);
  if (!changed) return tl::unexpected(changed.error());
  return static_cast<int>(*changed);
}

Result<int> DeleteTrashed(Connection& c) {
  auto removed = c.Exec("DELETE FROM posts WHERE status = 'trash'");
  if (!removed) return tl::unexpected(removed.error());
  return static_cast<int>(*removed);
}

Result<std::int64_t> AddNote(Connection& c, const PostNote& note,
                             std::optional<std::int64_t> user_id) {
  auto id = c.Integer(
      "INSERT INTO post_notes(post_id, kind, text, at, user_id) VALUES (?, ?, ?, ?, ?) "
      "RETURNING id",
      note.post_id, note.kind, note.text, note.at, user_id);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kInternal, "the new note has no id");
  auto touched = c.Exec("UPDATE posts SET updated_at = ?, edit_count = edit_count + 1 WHERE id = ?",
                        note.at, note.post_id);
  if (!touched) return tl::unexpected(touched.error());
  return **id;
}

Result<void> UpdateNote(Connection& c, const PostNote& note) {
  auto changed = c.Exec("UPDATE post_notes SET kind = ?, text = ? WHERE id = ? AND post_id = ?",
                        note.kind, note.text, note.id, note.post_id);
  if (!changed) return tl::unexpected(changed.error());
  if (*changed == 0) return Fail(ErrorCode::kNotFound, "There is no such note.");
  return {};
}

Result<void> DeleteNote(Connection& c, std::int64_t post_id, std::int64_t note_id) {
  auto removed = c.Exec("DELETE FROM post_notes WHERE id = ? AND post_id = ?", note_id, post_id);
  if (!removed) return tl::unexpected(removed.error());
  if (*removed == 0) return Fail(ErrorCode::kNotFound, "There is no such note.");
  return {};
}

Result<void> RestoreNote(Connection& c, const PostNote& note) {
  return Done(c.Exec("INSERT INTO post_notes(post_id, kind, text, at) VALUES (?, ?, ?, ?)",
                     note.post_id, note.kind, note.text, note.at));
}

namespace {

EditorialNote EditorialNoteRow(const Row& row) {
  EditorialNote note;
  note.id = row.Int(0);
  note.post_id = row.Int(1);
  note.text = row.Text(2);
  note.at = row.Int(3);
  note.user_id = row.OptionalInt(4);
  note.user_name = row.Text(5);
  note.resolved_at = row.OptionalInt(6);
  note.resolved_by = row.OptionalInt(7);
  note.resolved_by_name = row.Text(8);
  return note;
}

}  // namespace

Result<std::int64_t> AddEditorialNote(Connection& c, const EditorialNote& note) {
  auto id = c.Integer(
      "INSERT INTO editorial_notes(post_id, text, at, user_id, resolved_at, resolved_by) "
      "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      note.post_id, note.text, note.at, note.user_id, note.resolved_at, note.resolved_by);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kInternal, "the new note has no id");
  return **id;
}

Result<std::vector<EditorialNote>> EditorialNotes(Connection& c, std::int64_t post_id) {
  return c.All(
      "SELECT n.id, n.post_id, n.text, n.at, n.user_id, coalesce(u.name, ''), n.resolved_at, "
      "n.resolved_by, coalesce(r.name, '') FROM editorial_notes n "
      "LEFT JOIN users u ON u.id = n.user_id LEFT JOIN users r ON r.id = n.resolved_by "
      "WHERE n.post_id = ? ORDER BY n.at, n.id",
      EditorialNoteRow, post_id);
}

Result<void> ResolveEditorialNote(Connection& c, std::int64_t post_id, std::int64_t note_id,
                                  std::int64_t user_id, Timestamp at) {
  auto changed = c.Exec(
      "UPDATE editorial_notes SET resolved_at = ?, resolved_by = ? WHERE id = ? AND post_id = ? "
      "AND resolved_at IS NULL",
      at, user_id, note_id, post_id);
  if (!changed) return tl::unexpected(changed.error());
  if (*changed == 0) return Fail(ErrorCode::kNotFound, "There is no such open note.");
  return {};
}

Result<std::vector<PostOpenNotes>> PostsWithOpenEditorialNotes(Connection& c,
                                                               std::int64_t created_by) {
  return c.All(
      "SELECT p.id, p.title, p.status, p.created_by, count(*) FROM editorial_notes n "
      "JOIN posts p ON p.id = n.post_id "
      "WHERE p.created_by = ? AND n.resolved_at IS NULL AND p.status <> 'trash' "
      "GROUP BY p.id, p.title, p.status, p.created_by ORDER BY max(n.at) DESC, p.id DESC",
      [](const Row& row) {
        PostOpenNotes post;
        post.post_id = row.Int(0);
        post.title = row.Text(1);
        post.status = ParsePostStatus(row.Text(2)).value_or(PostStatus::kDraft);
        post.created_by = row.OptionalInt(3);
        post.open = static_cast<int>(row.Int(4));
        return post;
      },
      created_by);
}

Result<std::vector<Revision>> Revisions(Connection& c, std::int64_t post_id) {
  return c.All(std::string(kRevisionColumns) + "WHERE r.post_id = ? ORDER BY r.id DESC",
               RevisionRow, post_id);
}

Result<std::optional<Revision>> FindRevision(Connection& c, std::int64_t id) {
  return c.One(std::string(kRevisionColumns) + "WHERE r.id = ?", RevisionRow, id);
}

Result<void> RestoreRevision(Connection& c, const Revision& revision) {
  return Done(
      c.Exec("INSERT INTO revisions(post_id, saved_at, user_id, title, dek, body_markdown, "
             "details) VALUES (?, ?, ?, ?, ?, ?, ?)",
             revision.post_id, revision.saved_at, revision.user_id, revision.title, revision.dek,
             revision.body_markdown, revision.details));
}

Result<std::vector<StoredBody>> Bodies(Connection& c, std::int64_t after_id, int limit) {
  return c.All(
      "SELECT id, created_by, body_html FROM posts WHERE id > ? ORDER BY id LIMIT ?",
      [](const Row& row) {
        return StoredBody{row.Int(0), row.OptionalInt(1), row.Text(2)};
      },
      after_id, limit);
}

Result<void> ReplaceHtml(Connection& c, std::int64_t post_id, const std::string& body_html) {
  return Done(c.Exec("UPDATE posts SET body_html = ? WHERE id = ?", body_html, post_id));
}

}  // namespace broadsheet::storage::posts
