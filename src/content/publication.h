// Publication settings live in the database; broadsheet.toml's [publication] table and the
// BROADSHEET_* environment variables may override them for one deployment. PublicationOverrides
// holds those overrides; Apply lays them over what the Store returned.
#pragma once

#include <optional>
#include <string>

#include "storage/records.h"

namespace broadsheet::content {

struct PublicationOverrides {
  std::optional<std::string> title, description, base_url, disclaimer, timezone, language;
  void Apply(Publication& publication) const;
};

// Checks values a person typed: a known time zone, a plausible language tag, an http(s) base URL.
Result<void> ValidatePublication(const Publication& publication);

// robots.txt until the desk's Settings say otherwise (the site adds the Sitemap line itself).
inline constexpr const char* kDefaultRobots = "User-agent: *\nDisallow: /admin/\n";

// The disclaimer a post shows, or "" for none: the post's own text, else (for opinion pieces)
// the section's, else the publication's; hidden when the post switches it off.
std::string DisclaimerFor(const PostDetail& detail, const Publication& publication);

}  // namespace broadsheet::content
