// WordPress's export format (WXR 1.0-1.2), read as a stream: each author, category, tag and item
// goes to a handler as soon as it is complete, so memory stays bounded whatever the file's
// size. The reader refuses DOCTYPEs (entity declarations: "billion laughs") and reports
// malformed XML, truncation and wrong encodings with the line where they were found.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace broadsheet::importers {

// The channel's own fields, handed over before the first author, term or item.
struct WxrSite {
  std::string title, link, base_site_url, base_blog_url, wxr_version;
};

struct WxrAuthor {
  std::string id, login, email, display_name, first_name, last_name;
  std::string description;  // the biography, where an exporter includes it
};

struct WxrTerm {
  std::string id, slug, name, parent;  // parent: the parent's slug, for categories
  bool category = true;                // else a tag
};

// A category or tag as an item lists it.
struct WxrItemTerm {
  std::string domain;  // "category", "post_tag", or another taxonomy
  std::string slug;
  std::string name;
};

struct WxrComment {
  std::string id, parent, author, email, url, date_gmt, content;
  std::string approved;  // "1", "0", "spam" or "trash"
  std::string type;      // "" or "comment" for comments; pingback, trackback
};

struct WxrItem {
  std::string title, link, guid, post_id, post_date, post_date_gmt, modified_gmt, slug, status;
  std::string type, parent, creator, content, excerpt, attachment_url, comment_status, password;
  std::vector<WxrItemTerm> terms;
  std::vector<std::pair<std::string, std::string>> meta;  // (key, value)
  std::vector<WxrComment> comments;
};

struct WxrHandler {
  std::function<Result<void>(WxrSite)> site;
  std::function<Result<void>(WxrAuthor)> author;
  std::function<Result<void>(WxrTerm)> term;
  std::function<Result<void>(WxrItem)> item;
  // After each item: how many bytes of the file have been read so far.
  std::function<void(std::uint64_t bytes)> progress;
};

// Reads `path` ("-" for standard input); the first handler error stops the reading and is
// returned. kInvalidArgument names what is wrong with the file and its line.
Result<void> ReadWxr(const std::string& path, const WxrHandler& handler);

}  // namespace broadsheet::importers
