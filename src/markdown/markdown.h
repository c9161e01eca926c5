// Markdown to HTML, using cmark-gfm with the GitHub extensions (tables, strikethrough,
// autolinks, task lists) plus footnotes and smart punctuation.
//
// Staff-written Markdown may contain raw HTML (`allow_html`); the result then goes through the
// allowlist filter (html_filter.h), which also removes javascript: and data: links written in
// Markdown. Only `unfiltered` skips it: staff whom the site lets post unfiltered HTML
// (content/body.h decides, docs/html-policy.md explains). Reader-written Markdown is rendered
// with `allow_html = false`: cmark-gfm's safe mode, with dangerous URL schemes (javascript:,
// vbscript:, data: other than images) removed.
//
// With allow_html, a paragraph of the document that is only a provider's address (a bare URL)
// becomes that provider's embed when the provider is in filter.embeds (embeds.h); the filter
// keeps it. Reader Markdown never gets embeds.
//
// Thread-safe: each call builds its own parser.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "markdown/html_filter.h"

namespace broadsheet::markdown {

// An image alone in its paragraph (nothing else in it but spaces): a candidate figure.
struct LoneImage {
  std::string url;    // as written (after rewrite_url), fragment included
  std::string alt;    // the image description's plain text
  std::string title;  // empty when none
};

struct Options {
  bool allow_html = true;
  bool unfiltered = false;    // with allow_html: raw HTML passes unchecked (trusted staff only)
  FilterOptions filter = {};  // the embed hosts and embed providers (filter.embeds)
  FilterReport* removed = nullptr;  // when set, what the filter removed is added to it
  // Called for every link and image address; returns the address to use. Unset: unchanged.
  std::function<std::string(std::string_view url, bool is_image)> rewrite_url = {};
  // With allow_html: called for every image alone in its paragraph; HTML returned replaces the
  // paragraph (and goes through the filter like any HTML unless `unfiltered`), nullopt keeps it.
  // content/figure.h writes the media library's figures with it.
  std::function<std::optional<std::string>(const LoneImage& image)> figure = {};
};

inline constexpr size_t kMaxInputBytes = 4 * 1024 * 1024;

// kTooLarge beyond kMaxInputBytes; kInvalidArgument for text that is not UTF-8 or whose HTML
// nests deeper than kMaxParseDepth.
Result<std::string> ToHtml(std::string_view markdown, const Options& options = {});

}  // namespace broadsheet::markdown
