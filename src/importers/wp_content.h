// WordPress content as Broadsheet stores it. A post's HTML becomes a body that the Markdown
// renderer passes through unchanged (raw HTML blocks with no blank lines between them), after:
//
//   - block comments (<!-- wp:… -->) and other HTML comments are removed, their content kept;
//   - [caption]…[/caption] becomes <figure> with <figcaption>;
//   - [embed]URL[/embed] and a URL alone on its line (WordPress embeds it) become a link to it;
//   - classic content (no blocks) gets WordPress's automatic paragraphs: text separated by a
//     blank line becomes <p>…</p>, a single line break <br>, block-level elements stay as they
//     are, and <pre>, <script>, <style>, <textarea>, <svg> and <math> are left untouched;
//   - other shortcodes ([gallery], [audio], …) are kept as text and counted.
//
// Readers' comments are plain text with a little HTML; they become Markdown for the comment
// renderer (links, emphasis, code and paragraphs kept, other tags dropped).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace broadsheet::importers {

// What a conversion met that Broadsheet cannot show as WordPress did.
struct ContentStats {
  int embeds = 0;                         // kept as links
  std::map<std::string, int> shortcodes;  // kept as text, by name
};

std::string ConvertPostContent(std::string_view html, ContentStats& stats);

// WordPress's automatic paragraphs alone (`line_breaks`: single line breaks become <br>).
std::string AutoParagraphs(std::string_view html, bool line_breaks);

std::string CommentToMarkdown(std::string_view html);

}  // namespace broadsheet::importers
