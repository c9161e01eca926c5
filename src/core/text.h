// Small text helpers used across folders. All are pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace broadsheet {

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

// Serialises JSON text for a <script type="application/ld+json"> block: escapes '<', '>' and
// '&' as \u003c etc., so no "</script>" can end the block early.
std::string EscapeJsonForScript(std::string_view json);

bool IsValidUtf8(std::string_view text);

std::string_view Trim(std::string_view text);

// ASCII letters in lower case; other bytes (UTF-8 sequences included) unchanged.
std::string LowerAscii(std::string_view text);

// Splits on `separator`, trimming each part and dropping empty ones.
std::vector<std::string> SplitTrimmed(std::string_view text, char separator);

// Removes tags from an HTML fragment and collapses whitespace; entities are left as they are.
// For meta descriptions and plain excerpts of trusted, rendered HTML.
std::string StripTags(std::string_view html);

// An HTML fragment with its site-relative links and images (href="/…", src="/…") made absolute
// under `base`, for places with no site to be relative to (mail, feeds).
std::string AbsoluteLinks(std::string html, std::string_view base);

// Shortens plain text to at most `limit` bytes at a word boundary, adding "…" when cut.
std::string Truncate(std::string_view text, size_t limit);

}  // namespace broadsheet
