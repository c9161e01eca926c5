// WordPress's export format (WXR 1.0-1.2), read as a stream: each author, category, tag and item
// goes to a handler as soon as it is complete, so memory stays bounded whatever the file's
// size. The reader refuses DOCTYPEs (entity declarations: "billion laughs") and reports
// malformed XML, truncation and wrong encodings with the line where they were found.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace broadsheet::importers {

struct WxrAuthor {
  std::string login, email, display_name, first_name, last_name;
};

struct WxrTerm {
  std::string slug, name, parent;  // parent: the parent's slug, for categories
  bool category = true;            // else a tag
};

struct WxrComment {
  std::string id, parent, author, email, url, date_gmt, content;
  std::string approved;  // "1", "0", "spam" or "trash"
  std::string type;      // "" or "comment" for comments; pingback, trackback
};

struct WxrItem {
  std::string title, link, guid, post_id, post_date, post_date_gmt, slug, status, type, parent;
  std::string creator, content, excerpt, attachment_url;
  std::vector<std::pair<std::string, std::string>> terms;  // (domain: category|post_tag, slug)
  std::vector<std::pair<std::string, std::string>> meta;   // (key, value)
  std::vector<WxrComment> comments;
};

struct WxrHandler {
  std::function<Result<void>(WxrAuthor)> author;
  std::function<Result<void>(WxrTerm)> term;
  std::function<Result<void>(WxrItem)> item;
};

// Reads `path` ("-" for standard input); the first handler error stops the reading and is
// returned. kInvalidArgument names what is wrong with the file and its line.
Result<void> ReadWxr(const std::string& path, const WxrHandler& handler);

}  // namespace broadsheet::importers
