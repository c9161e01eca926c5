// Slugs: the lowercase, hyphenated names that appear in URLs (/SLUG/, /section/SLUG/).
// A valid slug is 1-200 characters of [a-z0-9] separated by single hyphens.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace broadsheet {

// Derives a slug from a title: folds common accented Latin letters to ASCII, lowercases, and
// joins runs of letters and digits with hyphens. May return an empty string (a title of
// punctuation only); callers treat that as an error of their own.
std::string Slugify(std::string_view text);

bool IsValidSlug(std::string_view slug);

// True for slugs that would shadow a public route: admin, feed, search, newsletter, section,
// author, tag, page, assets, uploads, healthz, readyz, metrics, four-digit years, and the like.
bool IsReservedSlug(std::string_view slug);

// Checks a slug for use as the address of a post (/SLUG/): valid and not reserved.
Result<void> CheckPostSlug(std::string_view slug);

}  // namespace broadsheet
