// Importing a content folder (DESIGN.md, "Content folder"):
//
//   publication.yaml   title, description, base_url, disclaimer, timezone, language
//   sections.yaml      a list of {slug, name, description, opinion, disclaimer}
//   authors/SLUG.md    front matter {name, title, email, avatar}; body = biography (Markdown)
//   posts/*.md         front matter (title, slug, dek, section, authors, tags, date, updated,
//                      image, image_alt, image_caption, image_credit, opinion, disclaimer,
//                      comments, status, kind); body = Markdown
//   images/…           copied to the site's uploads/images/
//
// Import is idempotent by slug: running it again updates what changed. A file with a problem is
// skipped and reported with its file, line and field; the other files still import. The whole
// import is one transaction, so it is fast (no fsync per file) and a failure of the database
// leaves the site as it was.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "markdown/html_filter.h"
#include "storage/store.h"

namespace broadsheet::importers {

struct FolderProblem {
  std::string file;   // relative to the folder, e.g. "posts/iran-talks.md"
  int line = 0;       // 1-based; 0 when the problem is not on a line
  std::string field;  // front-matter field, or empty
  std::string message;
  std::string ToString() const;  // "posts/x.md:4: field 'date': …"
};

struct FolderReport {
  int sections = 0;
  int authors = 0;
  int posts = 0;
  int images = 0;
  bool publication = false;             // publication.yaml was read
  std::vector<FolderProblem> rejected;  // files (or entries) that were not imported
  std::vector<FolderProblem> warnings;  // imported, but something was ignored
};

struct FolderOptions {
  std::filesystem::path uploads_dir;         // where images/ is copied (as uploads/images/…)
  Timestamp now = 0;                         // 0: the current time
  markdown::FilterOptions html_filter = {};  // the embeds bodies may keep (the site's embed_hosts)
};

inline constexpr size_t kMaxContentFileBytes = 4 * 1024 * 1024;

// Fails only when the folder cannot be read at all or the database refuses the import;
// problems with single files are in the report.
Result<FolderReport> ImportFolder(Store& store, const std::filesystem::path& folder,
                                  const FolderOptions& options);

}  // namespace broadsheet::importers
