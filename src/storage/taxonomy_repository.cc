// Sections, author profiles and tags.
#include "storage/dialect.h"
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::taxonomy {
namespace {

Section SectionRow(const Row& row) { return ReadSection(row); }
Author AuthorRow(const Row& row) { return ReadAuthor(row); }
Tag TagRow(const Row& row) { return {row.Int(0), row.Text(1), row.Text(2)}; }

// The id a RETURNING id statement gave back.
Result<std::int64_t> Returned(const Result<std::optional<std::int64_t>>& id, const char* what) {
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kInternal, std::string("saving ") + what + " returned no id");
  return **id;
}

}  // namespace

Result<std::vector<Section>> ListSections(Connection& c) {
  return c.All(std::string("SELECT id, slug, name, description, opinion, disclaimer, position "
                           "FROM sections ORDER BY position, name") +
                   dialect::ByteOrder(c.dialect()) + ", id",
               SectionRow);
}

Result<std::optional<Section>> FindSection(Connection& c, const std::string& slug) {
  return c.One(
      "SELECT id, slug, name, description, opinion, disclaimer, position FROM sections "
      "WHERE slug = ?",
      SectionRow, slug);
}

Result<std::int64_t> UpsertSection(Connection& c, const Section& section) {
  return Returned(
      c.Integer("INSERT INTO sections(slug, name, description, opinion, disclaimer, position) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(slug) DO UPDATE SET name = excluded.name, "
                "description = excluded.description, opinion = excluded.opinion, "
                "disclaimer = excluded.disclaimer, position = excluded.position RETURNING id",
                section.slug, section.name, section.description, section.opinion,
                section.disclaimer, section.position),
      "a section");
}

Result<void> DeleteSection(Connection& c, const std::string& slug) {
  return Done(c.Exec("DELETE FROM sections WHERE slug = ?", slug));
}

Result<std::vector<Author>> ListAuthors(Connection& c) {
  return c.All(std::string("SELECT id, slug, name, credentials, email, avatar, bio_markdown, "
                           "bio_html FROM authors ORDER BY name") +
                   dialect::ByteOrder(c.dialect()) + ", id",
               AuthorRow);
}

Result<std::optional<Author>> FindAuthor(Connection& c, const std::string& slug) {
  return c.One(
      "SELECT id, slug, name, credentials, email, avatar, bio_markdown, bio_html FROM authors "
      "WHERE slug = ?",
      AuthorRow, slug);
}

// The one rule for which profiles readers see: named on an article published by `now` (the
// author page lists exactly those articles, so a public profile's page is never empty).
// A scalar subquery, not EXISTS: PostgreSQL turns EXISTS into a semi-join over every post (90 ms
// on 100,000 articles, on every search page), where this runs once per author through
// post_authors_by_author and stops at the first article (under a millisecond).
constexpr const char* kPublicAuthor =
    " (SELECT 1 FROM post_authors pa JOIN posts p ON p.id = pa.post_id WHERE "
    "pa.author_id = authors.id AND p.kind = 'article' AND p.status = 'published' AND "
    "p.published_at <= ? LIMIT 1) IS NOT NULL";

Result<std::vector<Author>> ListPublicAuthors(Connection& c, Timestamp now) {
  return c.All(std::string("SELECT id, slug, name, credentials, email, avatar, bio_markdown, "
                           "bio_html FROM authors WHERE") +
                   kPublicAuthor + " ORDER BY name" + dialect::ByteOrder(c.dialect()) + ", id",
               AuthorRow, now);
}

Result<std::optional<Author>> FindPublicAuthor(Connection& c, const std::string& slug,
                                               Timestamp now) {
  return c.One(std::string("SELECT id, slug, name, credentials, email, avatar, bio_markdown, "
                           "bio_html FROM authors WHERE slug = ? AND") +
                   kPublicAuthor,
               AuthorRow, slug, now);
}

Result<std::int64_t> UpsertAuthor(Connection& c, const Author& author) {
  return Returned(
      c.Integer("INSERT INTO authors(slug, name, credentials, email, avatar, bio_markdown, "
                "bio_html) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(slug) DO UPDATE SET "
                "name = excluded.name, credentials = excluded.credentials, "
                "email = excluded.email, avatar = excluded.avatar, "
                "bio_markdown = excluded.bio_markdown, bio_html = excluded.bio_html RETURNING id",
                author.slug, author.name, author.credentials, author.email, author.avatar,
                author.bio_markdown, author.bio_html),
      "an author");
}

Result<std::vector<Tag>> ListTags(Connection& c) {
  return c.All(std::string("SELECT id, slug, name FROM tags ORDER BY name") +
                   dialect::ByteOrder(c.dialect()) + ", id",
               TagRow);
}

Result<std::optional<Tag>> FindTag(Connection& c, const std::string& slug) {
  return c.One("SELECT id, slug, name FROM tags WHERE slug = ?", TagRow, slug);
}

Result<std::int64_t> UpsertTag(Connection& c, const Tag& tag) {
  return Returned(c.Integer("INSERT INTO tags(slug, name) VALUES (?, ?) ON CONFLICT(slug) DO "
                            "UPDATE SET name = excluded.name RETURNING id",
                            tag.slug, tag.name),
                  "a tag");
}

Result<void> DeleteTag(Connection& c, const std::string& slug) {
  return Done(c.Exec("DELETE FROM tags WHERE slug = ?", slug));
}

}  // namespace broadsheet::storage::taxonomy
