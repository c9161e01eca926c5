// How the repositories (repositories.h) read their records from a row, one reader per record,
// and what else they share. Internal to storage/.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "storage/database.h"
#include "storage/records.h"

namespace broadsheet::storage {

// A statement's outcome when the count of rows it changed does not matter.
inline Result<void> Done(const Result<std::int64_t>& changed) {
  if (!changed) return tl::unexpected(changed.error());
  return {};
}

// The condition that a row `alias` of an outbox (newsletter deliveries, the mail outbox) is free
// for `terms.holder` to claim (records.h, ClaimTerms): nobody holds it (never claimed, or given
// back), or its claim is dead (expired, or its holder's heartbeat lapsed) and the claimer is not
// itself just back from a lapse of its own (records.h, RejoinedLeaseName): the others that lost
// the database with it get kHeartbeatSeconds to record what they sent meanwhile. Appends its
// parameters to `params`.
inline std::string Unclaimed(const std::string& alias, const ClaimTerms& terms,
                             std::vector<Value>& params) {
  // The claimer's name as RejoinedLeaseName writes it, made in SQL: a Value only borrows its text.
  params.insert(params.end(),
                {Value(terms.now), Value(terms.now), Value(terms.holder), Value(terms.now)});
  return "(" + alias + ".claimed_by = '' OR ((" + alias +
         ".claim_expires_at <= ? OR NOT EXISTS (SELECT 1 FROM leases l WHERE l.name = 'node:' || " +
         alias +
         ".claimed_by AND l.expires_at > ?)) AND NOT EXISTS (SELECT 1 FROM leases w WHERE w.name "
         "= 'rejoined:' || ? AND w.expires_at > ?)))";
}

// What ends a claim's SELECT of candidate rows from `alias`: on PostgreSQL, lock the rows picked
// and pass over those another transaction is claiming (FOR UPDATE SKIP LOCKED, in
// Database::Claim's READ COMMITTED); SQLite's single writer needs nothing.
//
// The candidates are only locked there, and claimed by a second statement that tests Unclaimed
// again (ClaimLocked): a statement's snapshot is taken when it starts, and a row another
// claimer changed and committed meanwhile is re-checked against that old snapshot, in which the
// other claimer's heartbeat, renewed after a lapse, may still look lapsed; the second statement's
// snapshot is newer than every commit the first one waited for, and the rows it tests are
// locked, so none changes under it.
inline std::string SkipLocked(const Connection& c, const std::string& alias) {
  if (c.dialect() != Dialect::kPostgres) return "";
  return " FOR UPDATE OF " + alias + " SKIP LOCKED";
}

// The most values one IN list holds: far below both databases' parameter limits (SQLite 32,766,
// PostgreSQL 65,535); longer lists go in runs (InRuns).
inline constexpr size_t kInListMost = 1024;

// "?, ?, …" for an IN list of `values` (1 to kInListMost), appended to `params`. The list is
// padded to a power of two by repeating its last value, so that lists of any length share a few
// statement shapes in the drivers' statement caches instead of one each.
template <typename Values>
std::string InList(const Values& values, std::vector<Value>& params) {
  const size_t padded = std::bit_ceil(values.size());
  std::string list;
  for (size_t i = 0; i < padded; ++i) {
    list += i ? ", ?" : "?";
    params.emplace_back(values[std::min(i, values.size() - 1)]);
  }
  return list;
}

// Calls `each` (returning Result<void>) with `ids` in runs of at most kInListMost.
template <typename Each>
Result<void> InRuns(const std::vector<std::int64_t>& ids, Each each) {
  for (size_t at = 0; at < ids.size(); at += kInListMost) {
    const auto end =
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + kInListMost));
    const std::vector<std::int64_t> run(ids.begin() + static_cast<std::ptrdiff_t>(at), end);
    if (auto done = each(run); !done) return done;
  }
  return {};
}

constexpr const char* kPostColumns =
    "id, slug, kind, status, title, dek, body_markdown, body_html, published_at, updated_at, "
    "section_id, image_url, image_alt, image_caption, image_credit, opinion, disclaimer, "
    "disclaimer_hidden, comments_open, created_by, edit_count, created_at, meta_description, "
    "social_image, canonical_url, noindex, submitted_at";
constexpr const char* kListedPostColumns =
    "p.id, p.slug, p.kind, p.status, p.title, p.dek, p.body_markdown, p.body_html, "
    "p.published_at, p.updated_at, p.section_id, p.image_url, p.image_alt, p.image_caption, "
    "p.image_credit, p.opinion, p.disclaimer, p.disclaimer_hidden, p.comments_open, "
    "p.created_by, p.edit_count, p.created_at, p.meta_description, p.social_image, "
    "p.canonical_url, p.noindex, p.submitted_at";
// The same, read as ReadPost reads them, with both bodies left empty: for cards and lists, which
// show none, so that a page of them does not carry every article's text out of the database.
constexpr const char* kCardPostColumns =
    "p.id, p.slug, p.kind, p.status, p.title, p.dek, '', '', "
    "p.published_at, p.updated_at, p.section_id, p.image_url, p.image_alt, p.image_caption, "
    "p.image_credit, p.opinion, p.disclaimer, p.disclaimer_hidden, p.comments_open, "
    "p.created_by, p.edit_count, p.created_at, p.meta_description, p.social_image, "
    "p.canonical_url, p.noindex, p.submitted_at";

Section ReadSection(const auto& row) {
  Section section;
  section.id = row.Int(0);
  section.slug = row.Text(1);
  section.name = row.Text(2);
  section.description = row.Text(3);
  section.opinion = row.Int(4) != 0;
  section.disclaimer = row.OptionalText(5);
  section.position = static_cast<int>(row.Int(6));
  return section;
}

Author ReadAuthor(const auto& row, int first = 0) {
  Author author;
  author.id = row.Int(first + 0);
  author.slug = row.Text(first + 1);
  author.name = row.Text(first + 2);
  author.credentials = row.Text(first + 3);
  author.email = row.Text(first + 4);
  author.avatar = row.Text(first + 5);
  author.bio_markdown = row.Text(first + 6);
  author.bio_html = row.Text(first + 7);
  return author;
}

Post ReadPost(const auto& row) {
  Post post;
  post.id = row.Int(0);
  post.slug = row.Text(1);
  post.kind = row.Text(2) == "page" ? PostKind::kPage : PostKind::kArticle;
  post.status = ParsePostStatus(row.Text(3)).value_or(PostStatus::kDraft);
  post.title = row.Text(4);
  post.dek = row.Text(5);
  post.body_markdown = row.Text(6);
  post.body_html = row.Text(7);
  post.published_at = row.OptionalInt(8);
  post.updated_at = row.OptionalInt(9);
  post.section_id = row.OptionalInt(10);
  post.image = {row.Text(11), row.Text(12), row.Text(13), row.Text(14)};
  post.opinion = row.Int(15) != 0;
  post.disclaimer = row.OptionalText(16);
  post.disclaimer_hidden = row.Int(17) != 0;
  post.comments_open = row.Int(18) != 0;
  post.created_by = row.OptionalInt(19);
  post.edit_count = static_cast<int>(row.Int(20));
  post.created_at = row.Int(21);
  post.seo = {row.Text(22), row.Text(23), row.Text(24), row.Int(25) != 0};
  post.submitted_at = row.OptionalInt(26);
  return post;
}

}  // namespace broadsheet::storage
