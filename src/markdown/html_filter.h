// The allowlist filter for staff-written HTML (docs/html-policy.md).
//
// FilterHtml parses a body fragment with an HTML5 parser (gumbo, as a browser would, inside a
// <div>), walks the tree and writes back only the elements and attributes articles need:
// headings, paragraphs, lists, quotes, tables, figures, images, audio and video, links, code,
// footnotes as cmark-gfm writes them, <details>, iframes whose address is on
// FilterOptions::embed_hosts (written sandboxed, lazily loaded, without a referrer), and the
// embed figures of FilterOptions::embeds' providers (written again by embeds.h). Everything
// else goes:
//   - script, style, form controls, frames, objects, <svg>, <math>, <template>, <noscript>,
//     <title>, <textarea>, <meta>, <base>, <link> … with their content;
//   - unknown containers (<font>, <center>, <form>, custom tags) are unwrapped: their text stays;
//   - attributes not on the element's list, every style and on* attribute, classes other than
//     the footnote, alignment and language-* ones, ids other than footnotes' (fn-…, fnref-…);
//   - addresses (href, src, srcset, cite, poster) that are not http:, https:, mailto: or
//     relative, after decoding entities and removing what browsers ignore (tabs, newlines,
//     leading control characters, letter case).
// Text and attribute values are escaped on the way out, so what the browser parses is exactly
// the tree written here. Work is linear in the input; nesting deeper than kMaxDepth is
// flattened (its text kept), absurd nesting is refused before parsing, and nothing recurses on
// the input's depth.
//
// Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace broadsheet::markdown {

struct FilterOptions {
  // Hosts whose pages may be embedded as iframes ("www.youtube-nocookie.com"); exact, lower case,
  // https only. Empty (the default): no iframe survives.
  std::vector<std::string> embed_hosts;
  // Embed providers ("youtube", … markdown/embeds.h) whose page addresses, alone in a paragraph
  // of a body, become embeds, and whose embed figures the filter keeps (written again from
  // their address). Empty (the default): none; the site's list is broadsheet.toml's `embeds`.
  std::vector<std::string> embeds = {};
};

// What a filter run removed, by kind; add reports together to count a whole import.
struct FilterReport {
  int elements = 0;    // removed with their content (script, style, iframe, form controls, …)
  int unwrapped = 0;   // removed, text kept (unknown or disallowed containers)
  int attributes = 0;  // attributes dropped (style, on*, unknown, disallowed class or id)
  int addresses = 0;   // href/src/srcset/cite/poster values refused (javascript:, data:, …)

  int Total() const { return elements + unwrapped + attributes + addresses; }
  FilterReport& operator+=(const FilterReport& other);
  // "2 elements, 1 attribute, 1 address" (only the kinds that occurred); "" when nothing.
  std::string Summary() const;
};

// Elements nested deeper than this are unwrapped (their text kept).
inline constexpr int kMaxDepth = 256;
// Input that opens more elements than this without closing them is refused unparsed: no
// article does, and an HTML5 parser's work per tag grows with that depth.
inline constexpr int kMaxParseDepth = 512;
// So is a tag with more attributes than this (the parser's duplicate check is quadratic).
inline constexpr int kMaxAttributes = 200;

// The filtered HTML, adding what it removed to `*report` when given. kInvalidArgument when the
// input nests deeper than kMaxParseDepth or a tag has more than kMaxAttributes attributes.
Result<std::string> FilterHtml(std::string_view html, const FilterOptions& options = {},
                               FilterReport* report = nullptr);

// True when a browser would treat `url` as http:, https:, mailto: or relative.
bool IsAllowedUrl(std::string_view url);

}  // namespace broadsheet::markdown
