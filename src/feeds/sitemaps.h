// Sitemaps (sitemaps.org 0.9) for crawlers: an index of chunks, each chunk at most
// kSitemapChunk addresses with their last change, and a Google News sitemap of recent articles.
// Pure functions: addresses come absolute.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "storage/records.h"

namespace broadsheet::feeds {

inline constexpr int kSitemapChunk = 50000;

// (absolute address, last change; 0 for unknown)
using Located = std::vector<std::pair<std::string, Timestamp>>;

std::string SitemapIndex(const Located& sitemaps);
std::string Sitemap(const Located& pages);
// Articles of the last 48 hours, for Google News.
std::string NewsSitemap(const std::vector<PostAddress>& articles, const Publication& publication);

}  // namespace broadsheet::feeds
