// Figures in a body: an image from the media library alone in its paragraph,
//
//   ![Alt text](/uploads/media/2026/12/ab12cd34-port.jpg#wide "Caption | Credit")
//
// is stored as a <figure> whose <picture> offers the upload's WebP and resized variants
// (srcset, sizes, width and height from its media record, loading="lazy"), with the caption and
// the credit below it. The title holds the caption, then optionally " | " and the credit; a "|"
// inside either is written "\|" and a backslash before "\" or "|" is doubled (in the Markdown,
// which escapes the title's backslashes again, "\\|"), so the credit follows the last " | "
// that is not escaped; a title written before this rule, with several " | ", still splits at
// the last one. The address's fragment chooses the layout: none (the column), #wide, #left or
// #right (the theme's alignwide, alignleft and alignright). docs/content-format.md is
// the writer's description; the editor (editor/src/markdown.js) writes exactly this form.
//
// An image that is not a media library upload, or not alone in its paragraph, stays the plain
// <img> Markdown makes. The featured image's sources come from SourcesOf too, so the body and
// the featured image offer the same files. Stateless and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "markdown/markdown.h"
#include "storage/records.h"

namespace broadsheet::content {

// The `sizes` of an image as wide as the article's column.
inline constexpr const char* kColumnSizes = "(max-width: 44rem) 100vw, 42rem";

// A media record's files as srcset lists: the JPEG/PNG/GIF ones and the WebP ones, each with
// the original among them (by its type). Empty lists when the record has no variants.
struct ImageSources {
  std::string srcset;
  std::string webp_srcset;
};
ImageSources SourcesOf(const MediaItem& media);

// What a lone image's address and title say about its figure.
struct FigureParts {
  std::string url;    // the address without its fragment
  std::string align;  // "", "wide", "left" or "right"
  std::string caption;
  std::string credit;
};
FigureParts ParseFigure(std::string_view url, std::string_view title);

// The title that holds `caption` and `credit` (ParseFigure reads them back exactly, once
// trimmed). tests/vectors/figure-titles.json is the table the editor's figureParts and
// figureTitle are held to as well.
std::string FigureTitle(std::string_view caption, std::string_view credit);

// The Markdown that places `media` as a figure, with its alt text, caption and credit.
std::string FigureMarkdown(const MediaItem& media);

// The <figure> for `image`, whose upload is `media`.
std::string FigureHtml(const markdown::LoneImage& image, const MediaItem& media);

}  // namespace broadsheet::content
