// Ghost import: the JSON export of Ghost's admin (Settings > Migration > Export, Ghost 1-5),
// with or without its {"db": [...]} wrapper, in one transaction.
//
//   users          -> authors (name, e-mail, bio, profile image), in posts_authors order
//   tags           -> a post's primary tag (its first public one) is its section; its other
//                     public tags are tags; internal tags (#…) are left out
//   posts, pages   -> articles and pages: published, scheduled, draft; email-only ("sent") and
//                     members-only posts become drafts; custom excerpt -> dek; feature image
//                     with its alt text and caption; meta description and canonical URL
//   content        -> the stored html; where an export has none, lexical or mobiledoc is
//                     converted (paragraphs, headings, lists, quotes, links, emphasis, code,
//                     images, galleries, embeds and bookmarks as links, markdown and html cards)
//   addresses      -> Ghost's /SLUG/ stays /SLUG/ (a post whose slug cannot be kept gets a 301
//                     from it); /tag/SLUG/ of a tag that became a section redirects there
//
// The file is read twice, streaming: first the small tables (tags, users, relations), then the
// posts one at a time, so memory stays bounded by one post whatever the export's size. Running
// the import again updates what it made.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "importers/import_count.h"
#include "markdown/html_filter.h"
#include "storage/store.h"

namespace broadsheet::importers {

struct GhostOptions {
  std::filesystem::path images_from;  // Ghost's content/images folder; empty: none
  std::filesystem::path uploads_dir;  // the site's uploads/ (copies go to uploads/ghost/)
  // Called after each post is written with the bytes of the file read so far.
  std::function<void(std::uint64_t bytes)> progress;
  markdown::FilterOptions html_filter = {};  // the embeds bodies may keep (docs/html-policy.md)
};

struct GhostReport {
  using Count = ImportCount;
  Count authors, sections, tags, articles, pages;
  int redirects = 0;
  int images_copied = 0;
  int converted = 0;  // posts without html whose lexical or mobiledoc was converted
  int embeds = 0;
  std::map<std::string, int> cards;    // cards with no HTML form, by type, left out
  std::map<std::string, int> skipped;  // reason -> how many
  std::vector<std::string> notes;
  markdown::FilterReport html_removed;  // what the HTML filter took out of bodies, by kind
};

// kInvalidArgument naming what is wrong (for malformed JSON, the line) when the file is not a
// Ghost export; then nothing was written.
Result<GhostReport> ImportGhost(Store& store, const std::string& path, const GhostOptions& options);

// Ghost's editor formats, as HTML (exposed for tests).
std::string LexicalToHtml(std::string_view lexical, GhostReport& report);
std::string MobiledocToHtml(std::string_view mobiledoc, GhostReport& report);

}  // namespace broadsheet::importers
