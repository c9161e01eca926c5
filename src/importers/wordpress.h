// WordPress import: a WXR export (Tools > Export) into a site, in one transaction, so that a
// file that turns out to be malformed halfway leaves the site exactly as it was.
//
//   authors      -> authors (display name, e-mail, biography where the export has one); an
//                   author already on the site with the same slug or e-mail address is used;
//                   Co-Authors Plus bylines ("author" terms) in their order
//   Yoast SEO    -> meta description, social image, noindex, an off-site canonical address
//   categories   -> a post's primary category (Yoast's _yoast_wpseo_primary_category, else
//                   the first it lists) is its section; its other categories become tags named
//                   with their hierarchy ("World › Europe")
//   tags         -> tags
//   posts, pages -> articles and pages: publish -> published, future -> scheduled, draft,
//                   pending; private and password-protected ones become drafts; dates from the
//                   GMT fields; the excerpt is the dek; content converted (wp_content.h)
//   featured     -> _thumbnail_id's attachment with its caption, alt text and credit, copied
//   images          from the uploads folder when one is given, else kept at its address
//   comments     -> comments with their threads and states (1 approved, 0 pending, spam,
//                   trash); pingbacks and trackbacks are skipped
//   old URLs     -> 301 redirects: each item's <link> and guid, /?p=ID, /YYYY/MM/DD/SLUG/ and
//                   /YYYY/MM/SLUG/ (from wp:post_date), /category/…/, /tag/…/, /author/…/
//
// What was imported is remembered by WordPress id, so running the import again updates the
// same posts, comments and terms instead of adding them twice.
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

struct WordPressSummary {
  int authors = 0;
  int categories = 0;
  int tags = 0;
  std::map<std::string, int> items;     // by post type: post, page, attachment, nav_menu_item, …
  std::map<std::string, int> statuses;  // posts and pages by status: publish, draft, …
  int comments = 0;
  int replies = 0;  // comments answering another (wp:comment_parent set)
};

// Reads the whole file; kInvalidArgument (with the line) when it is not a readable WXR file.
Result<WordPressSummary> SummarizeWordPress(const std::string& path);

struct WordPressOptions {
  std::filesystem::path uploads_from;  // wp-content/uploads of the old site; empty: none
  std::filesystem::path uploads_dir;   // the site's uploads/ (copies go to uploads/wordpress/)
  // Called after each item with the bytes read so far.
  std::function<void(std::uint64_t bytes)> progress;
  markdown::FilterOptions html_filter = {};  // the embeds bodies may keep (docs/html-policy.md)
};

// Counts of what was created ("new") and what already existed and was updated or used
// ("existing"), plus what was left out and why.
struct WordPressReport {
  using Count = ImportCount;
  Count authors, sections, tags, articles, pages, comments;
  int replies = 0;    // comments in a thread (answering another)
  int redirects = 0;  // old addresses that now answer 301
  int images_copied = 0;
  int images_linked = 0;  // featured images kept at their WordPress address
  int embeds = 0;
  markdown::FilterReport html_removed;    // what the HTML filter took out of bodies, by kind
  std::map<std::string, int> shortcodes;  // kept as text, by name
  std::map<std::string, int> skipped;     // reason -> how many
  std::vector<std::string> notes;         // one line each: renamed addresses, missing authors, …
  int notes_left_out = 0;                 // beyond the first 50
};

// kInvalidArgument (with the line) for a file that is not a readable WXR export; then nothing
// was written (copied images included).
Result<WordPressReport> ImportWordPress(Store& store, const std::string& path,
                                        const WordPressOptions& options);

}  // namespace broadsheet::importers
