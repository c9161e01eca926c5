// Small text helpers used across folders. All are pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace broadsheet {

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

// Appends `text` to `out` escaped for HTML: &, < and > always; " and ' too when `attribute`
// (a quoted attribute value). EscapeHtml(text) appends with `attribute` set to a new string.
void AppendEscapedHtml(std::string& out, std::string_view text, bool attribute);

// Serialises JSON text for a <script type="application/ld+json"> block: escapes '<', '>' and
// '&' as \u003c etc., so no "</script>" can end the block early.
std::string EscapeJsonForScript(std::string_view json);

bool IsValidUtf8(std::string_view text);
// `text` with each byte that does not belong to a well-formed UTF-8 sequence replaced by U+FFFD
// (for text from the network that is stored, such as a browser's User-Agent).
std::string ValidUtf8(std::string_view text);
// At most `limit` bytes of `text`, never cutting a UTF-8 character in two (for text kept to a
// length: PostgreSQL refuses text that is not UTF-8, and SQLite keeps it to break readers later).
std::string_view Utf8Prefix(std::string_view text, size_t limit);

std::string_view Trim(std::string_view text);

// ASCII letters in lower case; other bytes (UTF-8 sequences included) unchanged.
std::string LowerAscii(std::string_view text);

// Splits on `separator`, trimming each part and dropping empty ones.
std::vector<std::string> SplitTrimmed(std::string_view text, char separator);

// The text of an HTML fragment, for meta descriptions, excerpts and the search index: tags and
// comments removed (block tags leave a space, inline ones nothing), the contents of script, style
// and template elements dropped, character references decoded (numeric ones and the named ones
// that occur in practice; others stay as written), whitespace collapsed.
std::string PlainText(std::string_view html);

// `text` with its character references ("&amp;", "&#8217;", "&eacute;") decoded, as PlainText
// decodes them; tags and everything else are left as they are.
std::string DecodeEntities(std::string_view text);

// `text` with the accents of Latin letters removed ("Zürich" -> "Zurich", "Œuvre" ->
// "OEuvre"; combining marks dropped), for search that finds "cafe" and "café" alike. Letters
// outside Latin-1 and Latin Extended-A, and invalid bytes, are left as they are.
std::string FoldDiacritics(std::string_view text);

// Appends the UTF-8 encoding of `code` (U+FFFD for one that is not a character).
void AppendUtf8(std::string& out, char32_t code);

// An HTML fragment with its site-relative links and images (href="/…", src="/…" and each
// address of a srcset, as a figure's <source> and <img> have) made absolute under `base`, for
// places with no site to be relative to (mail, feeds).
std::string AbsoluteLinks(std::string html, std::string_view base);

// Shortens plain text to at most `limit` bytes at a word boundary, adding "…" when cut.
std::string Truncate(std::string_view text, size_t limit);

}  // namespace broadsheet
