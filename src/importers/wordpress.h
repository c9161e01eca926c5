// WordPress import. Today: reading a WXR file through and saying what it holds (the `--dry-run`
// of `broadsheet import wordpress`). Writing it into a site comes next.
#pragma once

#include <map>
#include <string>

#include "core/error.h"

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

}  // namespace broadsheet::importers
