#include "content/figure.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace broadsheet::content {
namespace {

void AppendSource(std::string& list, std::string_view url, int width) {
  if (!list.empty()) list += ", ";
  list += fmt::format("{} {}w", url, width);
}

}  // namespace

ImageSources SourcesOf(const MediaItem& media) {
  ImageSources sources;
  const auto variants = nlohmann::json::parse(media.variants, nullptr, false);
  if (!variants.is_array() || variants.empty()) return sources;
  for (const auto& variant : variants) {
    if (!variant.is_object()) continue;
    std::string& list =
        variant.value("mime", "") == "image/webp" ? sources.webp_srcset : sources.srcset;
    AppendSource(list, variant.value("url", ""), variant.value("width", 0));
  }
  AppendSource(media.mime == "image/webp" ? sources.webp_srcset : sources.srcset, media.url,
               media.width);
  return sources;
}

namespace {

// A caption's or credit's text as the title holds it: '|' as "\\|", and a backslash doubled
// where it stands before '\\' or '|' (any other backslash is itself).
void AppendTitlePart(std::string& title, std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '|' ||
        (c == '\\' && i + 1 < text.size() && (text[i + 1] == '\\' || text[i + 1] == '|')))
      title += '\\';
    title += c;
  }
}

std::string ReadTitlePart(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '\\' || text[i + 1] == '|')) ++i;
    out += text[i];
  }
  return out;
}

}  // namespace

FigureParts ParseFigure(std::string_view url, std::string_view title) {
  FigureParts parts;
  const size_t hash = url.find('#');
  parts.url = std::string(url.substr(0, hash));
  if (hash != std::string_view::npos) {
    const std::string_view fragment = url.substr(hash + 1);
    if (fragment == "wide" || fragment == "left" || fragment == "right")
      parts.align = std::string(fragment);
  }
  // The credit follows the last " | " that is not an escaped "\\|".
  size_t separator = std::string_view::npos;
  for (size_t i = 0; i < title.size(); ++i) {
    if (title[i] == '\\' && i + 1 < title.size() && (title[i + 1] == '\\' || title[i + 1] == '|'))
      ++i;
    else if (title.substr(i, 3) == " | ")
      separator = i;
  }
  if (separator == std::string_view::npos) {
    parts.caption = ReadTitlePart(Trim(title));
  } else {
    parts.caption = ReadTitlePart(Trim(title.substr(0, separator)));
    parts.credit = ReadTitlePart(Trim(title.substr(separator + 3)));
  }
  return parts;
}

std::string FigureTitle(std::string_view caption, std::string_view credit) {
  std::string title;
  AppendTitlePart(title, caption);
  if (!credit.empty()) {
    title += " | ";
    AppendTitlePart(title, credit);
  }
  return title;
}

std::string FigureMarkdown(const MediaItem& media) {
  std::string alt;
  for (char c : media.alt) {
    if (c == '\\' || c == '[' || c == ']') alt += '\\';
    alt += (c == '\n' || c == '\r') ? ' ' : c;
  }
  const std::string title = FigureTitle(media.caption, media.credit);
  std::string markdown = "![" + alt + "](" + media.url;
  if (!title.empty()) {
    markdown += " \"";
    for (char c : title) {
      if (c == '\\' || c == '"') markdown += '\\';
      markdown += (c == '\n' || c == '\r') ? ' ' : c;
    }
    markdown += '"';
  }
  return markdown + ")";
}

std::string FigureHtml(const markdown::LoneImage& image, const MediaItem& media) {
  const FigureParts parts = ParseFigure(image.url, image.title);
  const ImageSources sources = SourcesOf(media);
  std::string html = "<figure";
  if (!parts.align.empty()) html += " class=\"align" + parts.align + "\"";
  html += "><picture>";
  if (!sources.webp_srcset.empty()) {
    html += "<source type=\"image/webp\" srcset=\"" + EscapeHtml(sources.webp_srcset) +
            "\" sizes=\"" + kColumnSizes + "\">";
  }
  html += "<img src=\"" + EscapeHtml(media.url) + "\"";
  if (!sources.srcset.empty()) {
    html += " srcset=\"" + EscapeHtml(sources.srcset) + "\" sizes=\"" + kColumnSizes + "\"";
  }
  if (media.width > 0 && media.height > 0)
    html += fmt::format(" width=\"{}\" height=\"{}\"", media.width, media.height);
  html += " alt=\"" + EscapeHtml(image.alt) + "\" loading=\"lazy\"></picture>";
  if (!parts.caption.empty() || !parts.credit.empty()) {
    html += "<figcaption>";
    if (!parts.caption.empty())
      html += "<span class=\"caption\">" + EscapeHtml(parts.caption) + "</span>";
    if (!parts.caption.empty() && !parts.credit.empty()) html += " ";
    if (!parts.credit.empty())
      html += "<span class=\"credit\">" + EscapeHtml(parts.credit) + "</span>";
    html += "</figcaption>";
  }
  html += "</figure>";
  return html;
}

}  // namespace broadsheet::content
