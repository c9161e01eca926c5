// Surrogate keys: the names a shared cache in front (Varnish with xkey, a CDN) files each public
// page under, so that a change purges exactly the pages it affects (docs/caching.md). Pages list
// them in their Surrogate-Key header; the purger (cache/purger.h) names them again.
//
//   post:ID       an article or page (by id: a slug change keeps it), and every list, feed and
//                 related card that shows it
//   section:SLUG  a section's lists     author:SLUG  an author's lists     tag:SLUG  a tag's lists
//   home          the home page, archives, search results and sitemaps (site-wide lists)
//   feeds         every feed
//   site          everything the server lets a shared cache keep (settings, menu, branding and
//                 renames change every page)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace broadsheet {

inline constexpr std::string_view kHomeKey = "home";
inline constexpr std::string_view kFeedsKey = "feeds";
inline constexpr std::string_view kSiteKey = "site";

inline std::string PostKey(std::int64_t id) { return "post:" + std::to_string(id); }
// Slugs are lower-case letters, digits and hyphens (IsValidSlug), safe in a header as they are.
inline std::string SectionKey(std::string_view slug) { return "section:" + std::string(slug); }
inline std::string AuthorKey(std::string_view slug) { return "author:" + std::string(slug); }
inline std::string TagKey(std::string_view slug) { return "tag:" + std::string(slug); }

}  // namespace broadsheet
