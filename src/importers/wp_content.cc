#include "importers/wp_content.h"

#include <array>
#include <vector>

#include "core/text.h"

namespace broadsheet::importers {
namespace {

// Elements around which text is not wrapped in a paragraph (WordPress's list, less those the
// Markdown renderer would not take as the start of an HTML block).
constexpr std::array kBlockElements = {
    "address", "article", "aside",  "blockquote", "caption", "col",      "colgroup",
    "dd",      "details", "div",    "dl",         "dt",      "fieldset", "figcaption",
    "figure",  "footer",  "form",   "h1",         "h2",      "h3",       "h4",
    "h5",      "h6",      "header", "hr",         "legend",  "li",       "main",
    "menu",    "nav",     "ol",     "p",          "section", "summary",  "table",
    "tbody",   "td",      "tfoot",  "th",         "thead",   "tr",       "ul"};
constexpr std::array kVoidBlockElements = {"col", "hr"};
// Text directly inside these becomes paragraphs; inside list items and cells only where blank
// lines separate it; inside anything else (p, h1, figure, …) never.
constexpr std::array kFlowContainers = {"blockquote", "div",     "section", "article",
                                        "aside",      "header",  "footer",  "main",
                                        "nav",        "details", "form",    "fieldset"};
constexpr std::array kItemContainers = {"li", "dd", "dt", "td", "th"};
// Elements whose content is left exactly as written: as blocks of their own, and inline.
constexpr std::array kRawBlockElements = {"pre", "script", "style", "textarea"};
constexpr std::array kRawInlineElements = {"svg", "math"};
// Shortcodes counted as such even without attributes or a closing tag.
constexpr std::array kKnownShortcodes = {
    "audio",          "gallery",    "playlist",   "video",      "youtube",
    "vimeo",          "soundcloud", "tweet",      "googlemaps", "gist",
    "instagram",      "slideshare", "wpvideo",    "polldaddy",  "contact-form",
    "contact-form-7", "code",       "sourcecode", "recipe"};

template <size_t N>
bool Among(const std::array<const char*, N>& names, std::string_view name) {
  for (const char* known : names) {
    if (name == known) return true;
  }
  return false;
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && LowerAscii(text.substr(0, prefix.size())) == prefix;
}

char LowerChar(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Where lower-case `needle` next occurs in `text` at or after `from`, ignoring ASCII case.
size_t FindNoCase(std::string_view text, std::string_view needle, size_t from) {
  for (size_t i = from; i + needle.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && LowerChar(text[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

// The next occurrence of a needle, for callers that ask from ever later positions: each search
// resumes where the last one found something, so a whole pass costs one scan of the text (and
// hostile text such as a million unclosed "[a" stays linear).
class NextOf {
 public:
  NextOf(std::string_view text, std::string needle, bool ignore_case = false)
      : text_(text), needle_(std::move(needle)), ignore_case_(ignore_case) {}

  size_t From(size_t at) {
    if (!searched_ || (found_ != std::string_view::npos && found_ < at)) {
      found_ = ignore_case_ ? FindNoCase(text_, needle_, at) : text_.find(needle_, at);
      searched_ = true;
    }
    return found_;
  }

 private:
  std::string_view text_;
  std::string needle_;
  bool ignore_case_;
  bool searched_ = false;
  size_t found_ = std::string_view::npos;
};

struct Token {
  enum class Kind { kText, kTag, kComment, kRaw } kind = Kind::kText;
  std::string_view text;
  std::string name;  // element name in lower case, for tags and raw elements
  bool closing = false;
  bool self_closing = false;
};

// Splits HTML into text, tags, comments and raw elements, front to back. A tag ends at the first
// '>' (WordPress stores '>' inside attribute values as &gt;); a '<' that starts no tag is text.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view html) : html_(html), tag_end_(html, ">") {}

  bool Done() const { return at_ >= html_.size(); }

  Token Next() {
    Token token = Read();
    at_ += token.text.size();
    return token;
  }

 private:
  Token Read() {
    Token token;
    const std::string_view rest = html_.substr(at_);
    if (rest[0] == '<') {
      if (rest.starts_with("<!--")) {
        const size_t end = rest.find("-->", 4);
        token.kind = Token::Kind::kComment;
        token.text = rest.substr(0, end == std::string_view::npos ? rest.size() : end + 3);
        return token;
      }
      const bool closing = rest.size() > 2 && rest[1] == '/';
      const size_t name_at = closing ? 2 : 1;
      const size_t end = tag_end_.From(at_);
      if (rest.size() > name_at && IsAsciiLetter(rest[name_at]) && end != std::string_view::npos) {
        size_t name_end = name_at;
        while (name_end < rest.size() &&
               (IsAsciiLetter(rest[name_end]) || (rest[name_end] >= '0' && rest[name_end] <= '9') ||
                rest[name_end] == '-' || rest[name_end] == ':')) {
          ++name_end;
        }
        token.kind = Token::Kind::kTag;
        token.text = rest.substr(0, end + 1 - at_);
        token.name = LowerAscii(rest.substr(name_at, name_end - name_at));
        token.closing = closing;
        token.self_closing = token.text.size() > 2 && token.text[token.text.size() - 2] == '/';
        if (!closing &&
            (Among(kRawBlockElements, token.name) || Among(kRawInlineElements, token.name))) {
          auto [found, added] = raw_ends_.try_emplace(token.name, html_, "</" + token.name, true);
          const size_t close = found->second.From(end + 1);
          const size_t close_end =
              close == std::string_view::npos ? std::string_view::npos : html_.find('>', close);
          token.kind = Token::Kind::kRaw;
          token.text = rest.substr(0, close_end == std::string_view::npos ? std::string_view::npos
                                                                          : close_end + 1 - at_);
        }
        return token;
      }
    }
    const size_t next = rest.find('<', 1);
    token.text = rest.substr(0, next);
    return token;
  }

  std::string_view html_;
  size_t at_ = 0;
  NextOf tag_end_;
  std::map<std::string, NextOf> raw_ends_;  // where each raw element's closing tag is
};

// `text` without lines that hold only spaces and tabs. With `keep_as_reference`, each such line
// becomes "&#10;" at the start of the next (for <pre> and <textarea>, where it must stay).
std::string WithoutBlankLines(std::string_view text, bool keep_as_reference) {
  std::string out;
  out.reserve(text.size());
  size_t start = 0;
  int blank = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    if (Trim(line).empty() && start > 0 && end < text.size()) {
      ++blank;
    } else {
      if (start > 0) out += '\n';
      if (keep_as_reference) {
        for (int i = 0; i < blank; ++i) out += "&#10;";
      }
      blank = 0;
      out += line;
    }
    start = end + 1;
  }
  return out;
}

// Builds the body: block elements on lines of their own, text between them as runs that become
// paragraphs where WordPress would make them.
class Paragraphs {
 public:
  explicit Paragraphs(bool line_breaks) : line_breaks_(line_breaks) {}

  void Add(const Token& token) {
    switch (token.kind) {
      case Token::Kind::kComment:
        return;  // comments carry nothing readers see
      case Token::Kind::kText:
        AddText(token.text);
        return;
      case Token::Kind::kRaw:
        if (Among(kRawBlockElements, token.name)) {
          EndRun(false);
          if (!out_.empty() && out_.back() != '\n') out_ += '\n';
          const bool keep = token.name == "pre" || token.name == "textarea";
          out_ += WithoutBlankLines(token.text, keep);
          needs_newline_ = true;
        } else {
          // Inline (svg, math): its line breaks are not the writer's.
          std::string raw = WithoutBlankLines(token.text, false);
          for (char& c : raw) {
            if (c == '\n') c = kKeptNewline;
          }
          run_ += raw;
        }
        return;
      case Token::Kind::kTag:
        break;
    }
    if (!Among(kBlockElements, token.name)) {
      std::string tag(token.text);
      for (char& c : tag) {
        if (c == '\n' || c == '\r') c = ' ';
      }
      run_ += tag;
      return;
    }
    EndRun(false);
    after_blank_ = false;
    if (needs_newline_ ||
        (!out_.empty() && out_.back() != '\n' && token.closing == false && !open_tag_last_)) {
      out_ += '\n';
    }
    std::string tag(token.text);
    for (char& c : tag) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    out_ += tag;
    open_tag_last_ = false;
    needs_newline_ = false;
    if (token.closing) {
      // The element it closes, if open not too far down (stray closing tags are ignored).
      for (size_t i = open_.size(), depth = 0; i-- > 0 && depth < kCloseSearchDepth; ++depth) {
        if (open_[i] == token.name) {
          open_.resize(i);
          break;
        }
      }
      needs_newline_ = true;
    } else if (token.self_closing || Among(kVoidBlockElements, token.name)) {
      needs_newline_ = true;
    } else {
      open_.push_back(token.name);
      open_tag_last_ = true;
    }
  }

  std::string Finish() {
    EndRun(false);
    return std::move(out_);
  }

 private:
  static constexpr char kKeptNewline = '\x01';
  static constexpr size_t kCloseSearchDepth = 64;

  void AddText(std::string_view text) {
    size_t start = 0;
    while (start < text.size()) {
      // A blank line: a newline, spaces or tabs, and another newline.
      size_t newline = text.find('\n', start);
      while (newline != std::string_view::npos) {
        size_t next = newline + 1;
        while (next < text.size() && (text[next] == ' ' || text[next] == '\t')) ++next;
        if (next < text.size() && text[next] == '\n') break;
        newline = text.find('\n', newline + 1);
      }
      if (newline == std::string_view::npos) {
        run_ += text.substr(start);
        return;
      }
      run_ += text.substr(start, newline - start);
      EndRun(true);
      after_blank_ = true;
      start = newline + 1;
    }
  }

  bool Wraps(bool blank_around) const {
    const std::string container = open_.empty() ? "" : open_.back();
    if (container.empty()) return true;
    if (!line_breaks_) return false;  // block-editor content has its own paragraphs
    if (Among(kFlowContainers, container)) return true;
    return blank_around && Among(kItemContainers, container);
  }

  void EndRun(bool ended_by_blank) {
    const std::string_view content = Trim(run_);
    if (content.empty()) {
      run_.clear();
      return;
    }
    std::string text;
    text.reserve(content.size() + 16);
    for (size_t i = 0; i < content.size(); ++i) {
      const char c = content[i];
      if (c != '\n') {
        text += c;
        continue;
      }
      // A single line break: <br> unless one is already there; spaces around it go.
      while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
      const std::string tail =
          LowerAscii(std::string_view(text).substr(text.size() > 6 ? text.size() - 6 : 0));
      const bool has_break =
          tail.ends_with("<br>") || tail.ends_with("<br/>") || tail.ends_with("<br />");
      if (line_breaks_ && !has_break) text += "<br>";
      text += '\n';
      while (i + 1 < content.size() && (content[i + 1] == ' ' || content[i + 1] == '\t')) ++i;
    }
    for (char& c : text) {
      if (c == kKeptNewline) c = '\n';
    }
    const bool wrap = Wraps(ended_by_blank || after_blank_);
    if (needs_newline_ || (wrap && !out_.empty() && out_.back() != '\n' && !open_tag_last_))
      out_ += '\n';
    if (wrap) {
      out_ += "<p>" + text + "</p>";
      needs_newline_ = true;
    } else {
      out_ += text;
      needs_newline_ = false;
    }
    open_tag_last_ = false;
    run_.clear();
  }

  bool line_breaks_;
  std::string out_;
  std::string run_;                // text and inline elements not yet written
  std::vector<std::string> open_;  // open block elements
  bool after_blank_ = false;       // the run began after a blank line
  bool needs_newline_ = false;     // the next block starts on a new line
  bool open_tag_last_ = false;     // the last thing written was an opening block tag
};

// Attribute `name` of a shortcode's attribute text (name="value", name='value', name=value).
std::string ShortcodeAttribute(std::string_view attributes, std::string_view name) {
  size_t at = 0;
  while ((at = attributes.find(name, at)) != std::string_view::npos) {
    const bool starts = at == 0 || attributes[at - 1] == ' ';
    size_t value = at + name.size();
    at = value;
    if (!starts || value >= attributes.size() || attributes[value] != '=') continue;
    ++value;
    if (value < attributes.size() && (attributes[value] == '"' || attributes[value] == '\'')) {
      const char quote = attributes[value];
      const size_t end = attributes.find(quote, value + 1);
      if (end == std::string_view::npos) return {};
      return std::string(attributes.substr(value + 1, end - value - 1));
    }
    const size_t end = attributes.find(' ', value);
    return std::string(attributes.substr(
        value, end == std::string_view::npos ? std::string_view::npos : end - value));
  }
  return {};
}

// [caption align="alignright" …]<a …><img …></a> The caption[/caption] as a figure.
std::string CaptionFigure(std::string_view attributes, std::string_view content) {
  content = Trim(content);
  size_t media_end = 0;
  if (StartsWithNoCase(content, "<a")) {
    const size_t close = FindNoCase(content, "</a>", 0);
    media_end = close == std::string_view::npos ? 0 : close + 4;
  } else if (StartsWithNoCase(content, "<img")) {
    const size_t end = content.find('>');
    media_end = end == std::string_view::npos ? 0 : end + 1;
  }
  std::string caption(Trim(content.substr(media_end)));
  if (caption.empty()) caption = ShortcodeAttribute(attributes, "caption");
  std::string align;
  for (char c : ShortcodeAttribute(attributes, "align")) {
    if ((c >= 'a' && c <= 'z') || c == '-') align += c;
  }
  std::string figure = "<figure class=\"wp-caption" + (align.empty() ? "" : " " + align) + "\">";
  figure += content.substr(0, media_end);
  if (!caption.empty()) figure += "<figcaption>" + caption + "</figcaption>";
  return figure + "</figure>";
}

std::string LinkTo(std::string_view url) {
  const std::string escaped = EscapeHtml(DecodeEntities(Trim(url)));
  return "<a href=\"" + escaped + "\">" + escaped + "</a>";
}

bool IsBareUrl(std::string_view text) {
  if (!text.starts_with("http://") && !text.starts_with("https://")) return false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '<' || c == '>' || c == '"' || c == '\'') return false;
  }
  return text.size() > 10;
}

// Shortcodes: captions become figures, [embed] a link; the rest stay as text and are counted.
std::string ConvertShortcodes(std::string_view text, ContentStats& stats) {
  std::string out;
  out.reserve(text.size());
  NextOf next_close(text, "]"), next_double_close(text, "]]"), next_newline(text, "\n");
  std::map<std::string, NextOf> end_tags;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('[', at);
    if (open == std::string_view::npos) break;
    out += text.substr(at, open - at);
    at = open + 1;
    // [[name]] is WordPress's way of writing a shortcode as text.
    if (text.substr(open).starts_with("[[")) {
      const size_t end = next_double_close.From(open);
      if (end != std::string_view::npos && next_newline.From(open) > end) {
        out += text.substr(open + 1, end - open);
        at = end + 2;
        continue;
      }
    }
    size_t name_end = open + 1;
    while (name_end < text.size() &&
           (IsAsciiLetter(text[name_end]) || (text[name_end] >= '0' && text[name_end] <= '9') ||
            text[name_end] == '_' || text[name_end] == '-')) {
      ++name_end;
    }
    const size_t close = next_close.From(name_end);
    const bool shaped =
        name_end > open + 1 && IsAsciiLetter(text[open + 1]) && close != std::string_view::npos &&
        (text[name_end] == ']' || text[name_end] == ' ' || text[name_end] == '/') &&
        text.substr(name_end, close - name_end).find_first_of("[\n") == std::string_view::npos;
    if (!shaped) {
      out += '[';
      continue;
    }
    const std::string name = LowerAscii(text.substr(open + 1, name_end - open - 1));
    const std::string_view attributes = Trim(text.substr(name_end, close - name_end));
    const std::string end_tag =
        "[/" + std::string(text.substr(open + 1, name_end - open - 1)) + "]";
    const size_t end = end_tags.try_emplace(end_tag, text, end_tag).first->second.From(close);
    if ((name == "caption" || name == "wp_caption") && end != std::string_view::npos) {
      out += CaptionFigure(attributes, text.substr(close + 1, end - close - 1));
      at = end + end_tag.size();
      continue;
    }
    if (name == "embed" && end != std::string_view::npos) {
      ++stats.embeds;
      out += LinkTo(text.substr(close + 1, end - close - 1));
      at = end + end_tag.size();
      continue;
    }
    if (Among(kKnownShortcodes, name) || attributes.find('=') != std::string_view::npos ||
        end != std::string_view::npos) {
      ++stats.shortcodes[name];
    }
    out += '[';
  }
  out += text.substr(std::min(at, text.size()));
  return out;
}

// A URL alone on its line (outside <pre>) is what WordPress turns into an embedded player:
// here it becomes a link.
std::string LinkBareUrls(std::string_view text, bool count, ContentStats& stats) {
  std::string out;
  out.reserve(text.size());
  int in_pre = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    const std::string_view trimmed = Trim(line);
    if (in_pre == 0 && IsBareUrl(trimmed)) {
      out += LinkTo(trimmed);
      if (count) ++stats.embeds;
    } else {
      out += line;
      const std::string lower = LowerAscii(line);
      for (size_t at = lower.find("<pre"); at != std::string::npos; at = lower.find("<pre", at + 4))
        ++in_pre;
      for (size_t at = lower.find("</pre"); at != std::string::npos;
           at = lower.find("</pre", at + 5)) {
        in_pre = std::max(0, in_pre - 1);
      }
    }
    if (end < text.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

// Removes HTML comments (block markers, <!--more-->), counting embed blocks.
std::string WithoutComments(std::string_view html, ContentStats& stats) {
  std::string out;
  out.reserve(html.size());
  size_t at = 0;
  for (size_t open = html.find("<!--"); open != std::string_view::npos;
       open = html.find("<!--", at)) {
    out += html.substr(at, open - at);
    const size_t end = html.find("-->", open + 4);
    const std::string_view comment =
        html.substr(open, end == std::string_view::npos ? std::string_view::npos : end + 3 - open);
    const std::string_view inner = Trim(comment.substr(4));
    if (inner.starts_with("wp:embed") || inner.starts_with("wp:core-embed/")) ++stats.embeds;
    at = open + comment.size();
  }
  out += html.substr(std::min(at, html.size()));
  return out;
}

std::string NormalizedNewlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Escapes what Markdown would read as markup in a comment's plain text.
void AppendMarkdownText(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\\' || c == '`' || c == '*' || c == '_' || c == '[' || c == ']') out += '\\';
    out += c;
  }
}

std::string HrefOf(std::string_view tag) {
  const std::string lower = LowerAscii(tag);
  size_t at = lower.find("href=");
  if (at == std::string::npos) return {};
  at += 5;
  if (at < tag.size() && (tag[at] == '"' || tag[at] == '\'')) {
    const size_t end = tag.find(tag[at], at + 1);
    if (end == std::string_view::npos) return {};
    return DecodeEntities(tag.substr(at + 1, end - at - 1));
  }
  const size_t end = tag.find_first_of(" >", at);
  return DecodeEntities(tag.substr(at, end - at));
}

// Lines Markdown would read as headings, lists or rules start with a backslash instead.
std::string EscapeLineStarts(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  bool line_start = true;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (line_start) {
      size_t digits = i;
      while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
      if (c == '#' || c == '-' || c == '+' || c == '=' || c == '|') {
        out += '\\';
      } else if (digits > i && digits < text.size() &&
                 (text[digits] == '.' || text[digits] == ')')) {
        out += text.substr(i, digits - i);
        out += '\\';
        i = digits - 1;
        line_start = false;
        continue;
      }
    }
    out += c;
    line_start = c == '\n' || (line_start && (c == ' ' || c == '\t'));
  }
  return out;
}

}  // namespace

std::string AutoParagraphs(std::string_view html, bool line_breaks) {
  const std::string text = NormalizedNewlines(html);
  Paragraphs paragraphs(line_breaks);
  for (Tokenizer tokens(text); !tokens.Done();) paragraphs.Add(tokens.Next());
  return paragraphs.Finish();
}

std::string ConvertPostContent(std::string_view html, ContentStats& stats) {
  const bool blocks = html.find("<!-- wp:") != std::string_view::npos;
  std::string text = WithoutComments(html, stats);
  text = NormalizedNewlines(text);
  text = ConvertShortcodes(text, stats);
  text = LinkBareUrls(text, !blocks, stats);
  return AutoParagraphs(text, !blocks);
}

std::string CommentToMarkdown(std::string_view html) {
  const std::string text = NormalizedNewlines(html);
  std::string out;
  std::string link;  // the address of the open <a>, if any
  bool in_code = false;
  for (Tokenizer tokens(text); !tokens.Done();) {
    const Token token = tokens.Next();
    if (token.kind == Token::Kind::kComment) continue;
    if (token.kind != Token::Kind::kTag) {
      const std::string decoded = DecodeEntities(
          token.kind == Token::Kind::kRaw ? PlainText(token.text) : std::string(token.text));
      if (in_code) {
        for (char c : decoded) out += c == '`' ? '\'' : c;
      } else {
        AppendMarkdownText(out, decoded);
      }
      continue;
    }
    const std::string& name = token.name;
    if (name == "a") {
      const std::string href = token.closing ? "" : HrefOf(token.text);
      const bool safe = href.starts_with("http://") || href.starts_with("https://") ||
                        href.starts_with("mailto:");
      if (!token.closing && safe && link.empty()) {
        link = href;
        out += '[';
      } else if (token.closing && !link.empty()) {
        out += "](" + link + ")";
        link.clear();
      }
    } else if (name == "em" || name == "i") {
      out += '*';
    } else if (name == "strong" || name == "b") {
      out += "**";
    } else if (name == "code") {
      out += '`';
      in_code = !token.closing;
    } else if (name == "br") {
      out += "\\\n";
    } else if (name == "p" || name == "div" || name == "blockquote" || name == "li" ||
               name == "ul" || name == "ol" || name == "pre") {
      out += "\n\n";
    }
  }
  if (!link.empty()) out += "](" + link + ")";
  // At most one blank line in a row; no spaces before a line's end.
  std::string tidy;
  tidy.reserve(out.size());
  for (char c : out) {
    if (c == '\n') {
      while (!tidy.empty() && (tidy.back() == ' ' || tidy.back() == '\t')) tidy.pop_back();
      if (tidy.size() >= 2 && tidy[tidy.size() - 1] == '\n' && tidy[tidy.size() - 2] == '\n')
        continue;
    }
    tidy += c;
  }
  return EscapeLineStarts(Trim(tidy));
}

}  // namespace broadsheet::importers
