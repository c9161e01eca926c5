// Writing a site as a WordPress export (WXR 1.2), for moving to WordPress: its importer (Tools >
// Import > WordPress) reads authors, sections as categories, tags, posts and pages with their
// status and dates, featured images as attachments (their files are fetched from the site's
// address when "Download and import file attachments" is ticked) and comments with their
// threads. Bodies are the HTML readers see; WordPress opens them as classic content.
//
// WXR has one author per post: a post's first author is its dc:creator, and the others are
// named in the report. Revisions, notes, subscribers and redirects have no place in WXR; the
// JSON export keeps them.
#pragma once

#include <ostream>

#include "core/error.h"
#include "storage/store.h"

namespace broadsheet::importers {

struct WxrExportReport {
  int posts = 0, pages = 0, comments = 0, attachments = 0;
  int extra_authors = 0;  // co-authors after the first, which WXR cannot carry
};

Result<WxrExportReport> ExportWordPress(Store& store, std::ostream& out);

}  // namespace broadsheet::importers
