// Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for a list of articles (the whole site, a section,
// an author or a tag), and RSS for an article's comments. Pure functions of stored records; the
// site serves them from its page cache.
//
// Items carry the full text (or only the dek or an excerpt: a desk setting), the authors, the
// section and tags as categories, and the featured image with its credit (RSS enclosure and
// media:content, Atom link rel="enclosure", JSON Feed image). Text is escaped for XML, and the
// characters XML 1.0 forbids are dropped.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "storage/records.h"

namespace broadsheet::feeds {

struct FeedSpec {
  std::string title;        // "The Meridian Review" or "Economy – The Meridian Review"
  std::string description;  // the publication's tagline or the list's description
  std::string page_path;    // the page the feed mirrors: "/", "/section/economy/"
  std::string rss_path;     // "/feed/", "/section/economy/feed/"
  std::string atom_path;
  std::string json_path;
  bool full_text = true;
};

// Media library records of the posts' featured images, by URL, for their sizes and types.
using MediaByUrl = std::map<std::string, MediaItem>;

std::string Rss(const FeedSpec& spec, const std::vector<PostDetail>& posts,
                const Publication& publication, const MediaByUrl& media);
std::string Atom(const FeedSpec& spec, const std::vector<PostDetail>& posts,
                 const Publication& publication, const MediaByUrl& media);
std::string JsonFeed(const FeedSpec& spec, const std::vector<PostDetail>& posts,
                     const Publication& publication);
// Approved comments of one article (the caller chooses how many), newest first; each item links
// the comment's permanent address /SLUG/comments/ID/, its guid stays /SLUG/#comment-ID.
std::string CommentsRss(const PostDetail& detail, const std::vector<Comment>& comments,
                        const Publication& publication);

// Text for XML: escaped, and without the control characters XML 1.0 does not allow.
std::string XmlText(std::string_view text);

// When the newest of `posts` last changed (published or updated); 0 for none.
Timestamp LastChanged(const std::vector<PostDetail>& posts);

}  // namespace broadsheet::feeds
