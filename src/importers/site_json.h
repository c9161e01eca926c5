// Broadsheet's own export: the whole site as one JSON document (docs/export-format.md, format
// "broadsheet-export", version 1): publication and desk settings, staff accounts (without
// passwords), sections, authors (with the account each is the own profile of), tags, the media
// library, every post in every state with its notes, editorial notes, revisions and comments,
// newsletter subscribers with their consent, and redirects.
//
// Export writes one record per line, in an order that depends only on the content, so that
// exporting, importing into an empty site and exporting again gives the same bytes. Import
// streams the document (memory bounded by one record) into an empty site in one transaction.
#pragma once

#include <ostream>
#include <string>

#include "core/error.h"
#include "markdown/html_filter.h"
#include "storage/store.h"

namespace broadsheet::importers {

inline constexpr int kExportVersion = 1;

Result<void> ExportSiteJson(Store& store, std::ostream& out);

struct SiteJsonReport {
  int users = 0, users_kept = 0, sections = 0, authors = 0, tags = 0, media = 0, posts = 0,
      revisions = 0, comments = 0, editorial_notes = 0, subscribers = 0, redirects = 0,
      settings = 0;
};

// kConflict when the site already has content (staff accounts aside: one already here under an
// export's address is kept as it is); kInvalidArgument naming the record (and, for
// malformed JSON, the line) when the file is not a usable export. Either way nothing is written.
// Bodies and bios are filtered again, keeping iframes from `filter`'s embed hosts (the site's).
Result<SiteJsonReport> ImportSiteJson(Store& store, const std::string& path,
                                      const markdown::FilterOptions& filter = {});

}  // namespace broadsheet::importers
