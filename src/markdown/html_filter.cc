#include "markdown/html_filter.h"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "core/text.h"
#include "markdown/embeds.h"

namespace broadsheet::markdown {
namespace {

// How an allowed attribute's value is checked.
enum class Value {
  kText,     // any text (escaped on output)
  kUrl,      // IsAllowedUrl
  kSrcset,   // every candidate passes IsAllowedUrl
  kNumber,   // 1 to 6 digits
  kBoolean,  // written without a value
  kAlign,    // left, center, right
  kTarget,   // only _blank (browsers imply noopener for it)
};

struct Allowed {
  std::string_view name;
  Value value;
};

using Rules = std::unordered_map<std::string_view, std::vector<Allowed>>;

// Elements written back, with the attributes each may keep (besides title, lang, dir, and the
// restricted class and id every element may keep).
const Rules& ElementRules() {
  static const Rules* const rules = [] {
    auto* table = new Rules;
    for (std::string_view name :
         {"abbr",    "b",   "bdi",     "bdo", "br",    "caption",    "cite",   "code",  "dd",
          "dfn",     "div", "dl",      "dt",  "em",    "figcaption", "figure", "h1",    "h2",
          "h3",      "h4",  "h5",      "h6",  "hr",    "i",          "kbd",    "mark",  "p",
          "picture", "pre", "rp",      "rt",  "ruby",  "s",          "samp",   "small", "span",
          "strong",  "sub", "summary", "sup", "table", "tbody",      "tfoot",  "thead", "tr",
          "u",       "ul",  "var",     "wbr"}) {
      (*table)[name] = {};
    }
    (*table)["a"] = {{"href", Value::kUrl},
                     {"rel", Value::kText},
                     {"target", Value::kTarget},
                     {"hreflang", Value::kText},
                     {"aria-label", Value::kText},
                     {"data-footnote-ref", Value::kBoolean},
                     {"data-footnote-backref", Value::kBoolean},
                     {"data-footnote-backref-idx", Value::kNumber}};
    (*table)["blockquote"] = {{"cite", Value::kUrl}};
    (*table)["q"] = {{"cite", Value::kUrl}};
    (*table)["del"] = {{"cite", Value::kUrl}, {"datetime", Value::kText}};
    (*table)["ins"] = {{"cite", Value::kUrl}, {"datetime", Value::kText}};
    (*table)["time"] = {{"datetime", Value::kText}};
    (*table)["col"] = {{"span", Value::kNumber}};
    (*table)["colgroup"] = {{"span", Value::kNumber}};
    (*table)["details"] = {{"open", Value::kBoolean}};
    (*table)["section"] = {{"data-footnotes", Value::kBoolean}};
    (*table)["ol"] = {
        {"start", Value::kNumber}, {"reversed", Value::kBoolean}, {"type", Value::kText}};
    (*table)["li"] = {{"value", Value::kNumber}};
    (*table)["td"] = {
        {"colspan", Value::kNumber}, {"rowspan", Value::kNumber}, {"align", Value::kAlign}};
    (*table)["th"] = {{"colspan", Value::kNumber},
                      {"rowspan", Value::kNumber},
                      {"align", Value::kAlign},
                      {"scope", Value::kText}};
    (*table)["img"] = {{"src", Value::kUrl},      {"srcset", Value::kSrcset},
                       {"sizes", Value::kText},   {"alt", Value::kText},
                       {"width", Value::kNumber}, {"height", Value::kNumber},
                       {"loading", Value::kText}, {"decoding", Value::kText}};
    (*table)["source"] = {{"src", Value::kUrl},
                          {"srcset", Value::kSrcset},
                          {"type", Value::kText},
                          {"media", Value::kText},
                          {"sizes", Value::kText}};
    (*table)["video"] = {
        {"src", Value::kUrl},       {"poster", Value::kUrl},          {"controls", Value::kBoolean},
        {"width", Value::kNumber},  {"height", Value::kNumber},       {"loop", Value::kBoolean},
        {"muted", Value::kBoolean}, {"playsinline", Value::kBoolean}, {"preload", Value::kText}};
    (*table)["audio"] = {{"src", Value::kUrl},
                         {"controls", Value::kBoolean},
                         {"loop", Value::kBoolean},
                         {"muted", Value::kBoolean},
                         {"preload", Value::kText}};
    return table;
  }();
  return *rules;
}

// Removed together with everything inside them: their content is code, raw text, form state or
// another document, never article text.
bool DroppedWithContent(std::string_view name) {
  static const std::unordered_set<std::string_view> dropped = {
      "script",   "style",     "noscript", "template", "title", "textarea", "select",
      "option",   "optgroup",  "datalist", "iframe",   "frame", "frameset", "noframes",
      "noembed",  "object",    "embed",    "applet",   "param", "svg",      "math",
      "xmp",      "plaintext", "listing",  "head",     "meta",  "link",     "base",
      "input",    "canvas",    "track",    "portal",   "slot",  "keygen",   "output",
      "progress", "meter",     "dialog"};
  return dropped.contains(name);
}

bool IsVoid(std::string_view name) {
  static const std::unordered_set<std::string_view> voids = {"br",  "hr",     "img",  "wbr",
                                                             "col", "source", "input"};
  return voids.contains(name);
}

// Classes kept: footnotes (cmark-gfm), alignment (WordPress, and the figures of
// content/figure.h), a figure caption's parts, code languages (Markdown fences).
bool IsAllowedClass(std::string_view token) {
  static const std::unordered_set<std::string_view> classes = {
      "footnotes", "footnote-ref", "footnote-backref", "alignleft", "alignright", "aligncenter",
      "alignwide", "alignfull",    "alignnone",        "caption",   "credit"};
  if (classes.contains(token)) return true;
  if (!token.starts_with("language-") || token.size() == 9 || token.size() > 40) return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '+' || c == '#' || c == '.';
  });
}

// Only the ids cmark-gfm's footnotes use, so a body cannot clobber the page's own ids.
bool IsAllowedId(std::string_view id) {
  std::string_view rest;
  if (id.starts_with("fn-"))
    rest = id.substr(3);
  else if (id.starts_with("fnref-"))
    rest = id.substr(6);
  else
    return false;
  if (rest.empty() || rest.size() > 100) return false;
  return std::all_of(rest.begin(), rest.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerAscii(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), Lower);
  return lower;
}

// What a browser does to an address before parsing it: leading and trailing C0 controls and
// spaces go, tabs and newlines anywhere go.
std::string CleanUrl(std::string_view url) {
  size_t begin = 0, end = url.size();
  while (begin < end && static_cast<unsigned char>(url[begin]) <= 0x20) ++begin;
  while (end > begin && static_cast<unsigned char>(url[end - 1]) <= 0x20) --end;
  std::string clean;
  clean.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    if (url[i] != '\t' && url[i] != '\n' && url[i] != '\r') clean += url[i];
  }
  return clean;
}

bool IsAllowedCleanUrl(std::string_view clean) {
  const size_t stop = clean.find_first_of(":/?#");
  if (stop == std::string_view::npos || clean[stop] != ':') return true;  // relative
  const std::string scheme = LowerAscii(clean.substr(0, stop));
  return scheme == "http" || scheme == "https" || scheme == "mailto";
}

bool IsAllowedSrcset(std::string_view value) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; };
  size_t i = 0;
  const size_t n = value.size();
  while (i < n) {
    while (i < n && (space(value[i]) || value[i] == ',')) ++i;
    if (i >= n) break;
    const size_t start = i;
    while (i < n && !space(value[i])) ++i;
    std::string_view url = value.substr(start, i - start);
    while (!url.empty() && url.back() == ',') url.remove_suffix(1);
    if (!IsAllowedUrl(url)) return false;
    if (value[i - 1] == ',') continue;  // no descriptor
    int depth = 0;
    while (i < n) {
      const char c = value[i++];
      if (c == '(')
        ++depth;
      else if (c == ')')
        depth = std::max(0, depth - 1);
      else if (c == ',' && depth == 0)
        break;
    }
  }
  return true;
}

bool IsEmbeddable(std::string_view clean, const std::vector<std::string>& hosts) {
  if (clean.size() < 9 || LowerAscii(clean.substr(0, 8)) != "https://") return false;
  const std::string_view rest = clean.substr(8);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  // User information and backslashes are where parsers disagree about the host: refuse them.
  if (authority.find_first_of("@\\%") != std::string_view::npos) return false;
  const size_t colon = authority.find(':');
  const std::string host = LowerAscii(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
  }
  if (host.empty()) return false;
  return std::any_of(hosts.begin(), hosts.end(),
                     [&](const std::string& allowed) { return LowerAscii(allowed) == host; });
}

bool IsNumber(std::string_view text) {
  return !text.empty() && text.size() <= 6 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void AppendAttribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  AppendEscapedHtml(out, value, true);
  out += '"';
}

// The element's name in lower case; for tags gumbo has no constant for (<picture>, custom
// elements), taken from the source text.
std::string TagName(const GumboNode* node) {
  const GumboElement& element = node->v.element;
  if (element.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(element.tag);
  GumboStringPiece original = element.original_tag;
  if (original.data == nullptr || original.length == 0) return {};
  gumbo_tag_from_original_text(&original);
  return LowerAscii(std::string_view(original.data, original.length));
}

std::string_view AttributeValue(const GumboElement& element, const char* name) {
  const GumboAttribute* attribute = gumbo_get_attribute(&element.attributes, name);
  return attribute == nullptr ? std::string_view() : std::string_view(attribute->value);
}

class Writer {
 public:
  Writer(const FilterOptions& options, FilterReport& report) : options_(options), report_(report) {}

  std::string Run(const GumboNode* root) {
    struct Frame {
      const GumboNode* node;
      unsigned next = 0;
      std::string_view close;  // empty for unwrapped elements
    };
    std::vector<Frame> stack;
    stack.push_back({root, 0, {}});
    int depth = 0;
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const GumboVector& children = frame.node->v.element.children;
      if (frame.next >= children.length) {
        if (!frame.close.empty()) {
          out_ += "</";
          out_ += frame.close;
          out_ += '>';
          --depth;
        }
        stack.pop_back();
        continue;
      }
      const auto* child = static_cast<const GumboNode*>(children.data[frame.next++]);
      switch (child->type) {
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_WHITESPACE:
        case GUMBO_NODE_CDATA:
          AppendEscapedHtml(out_, child->v.text.text, false);
          break;
        case GUMBO_NODE_COMMENT:
        case GUMBO_NODE_DOCUMENT:
          break;
        case GUMBO_NODE_TEMPLATE:
          ++report_.elements;
          break;
        case GUMBO_NODE_ELEMENT: {
          const std::string tag = TagName(child);
          const auto rule = ElementRules().find(tag);
          // The rule table's own copy of the name outlives the element being written.
          const std::string_view name =
              rule != ElementRules().end() ? rule->first : std::string_view(tag);
          const bool html = child->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
          if (!html || DroppedWithContent(name)) {
            if (!(html && name == "iframe" && WriteEmbed(child)) &&
                !(html && name == "input" && frame.node->type == GUMBO_NODE_ELEMENT &&
                  (frame.node->v.element.tag == GUMBO_TAG_LI ||
                   frame.node->v.element.tag == GUMBO_TAG_P) &&
                  WriteTaskBox(child))) {
              ++report_.elements;
            }
            break;
          }
          if (html && name == "figure" && WriteProviderEmbed(child)) break;
          if (name.empty() || rule == ElementRules().end() || depth >= kMaxDepth) {
            ++report_.unwrapped;
            stack.push_back({child, 0, {}});
            break;
          }
          WriteStartTag(child, name, rule->second);
          if (IsVoid(name)) break;
          if (name == "pre") {
            // The parser drops a newline straight after <pre>; write one for it to drop.
            const GumboVector& inner = child->v.element.children;
            if (inner.length > 0) {
              const auto* first = static_cast<const GumboNode*>(inner.data[0]);
              if ((first->type == GUMBO_NODE_TEXT || first->type == GUMBO_NODE_WHITESPACE) &&
                  first->v.text.text[0] == '\n') {
                out_ += '\n';
              }
            }
          }
          ++depth;
          stack.push_back({child, 0, rule->first});
          break;
        }
      }
    }
    return std::move(out_);
  }

 private:
  void WriteStartTag(const GumboNode* node, std::string_view name,
                     const std::vector<Allowed>& allowed) {
    const GumboElement& element = node->v.element;
    out_ += '<';
    out_ += name;
    for (unsigned i = 0; i < element.attributes.length; ++i) {
      const auto* attribute = static_cast<const GumboAttribute*>(element.attributes.data[i]);
      WriteAttribute(attribute->name, attribute->value, allowed);
    }
    out_ += '>';
  }

  void WriteAttribute(std::string_view name, std::string_view value,
                      const std::vector<Allowed>& allowed) {
    if (name == "title" || name == "lang") return AppendAttribute(out_, name, value);
    if (name == "dir") {
      const std::string lower = LowerAscii(value);
      if (lower == "ltr" || lower == "rtl" || lower == "auto")
        return AppendAttribute(out_, name, lower);
      ++report_.attributes;
      return;
    }
    if (name == "id") {
      if (IsAllowedId(value)) return AppendAttribute(out_, name, value);
      ++report_.attributes;
      return;
    }
    if (name == "class") return WriteClass(value);
    const auto rule = std::find_if(allowed.begin(), allowed.end(),
                                   [&](const Allowed& a) { return a.name == name; });
    if (rule == allowed.end()) {
      ++report_.attributes;
      return;
    }
    switch (rule->value) {
      case Value::kText:
        return AppendAttribute(out_, name, value);
      case Value::kUrl: {
        const std::string clean = CleanUrl(value);
        if (IsAllowedCleanUrl(clean)) return AppendAttribute(out_, name, clean);
        ++report_.addresses;
        return;
      }
      case Value::kSrcset:
        if (IsAllowedSrcset(value)) return AppendAttribute(out_, name, value);
        ++report_.addresses;
        return;
      case Value::kNumber:
        if (IsNumber(value)) return AppendAttribute(out_, name, value);
        break;
      case Value::kBoolean:
        out_ += ' ';
        out_ += name;
        return;
      case Value::kAlign: {
        const std::string lower = LowerAscii(value);
        if (lower == "left" || lower == "center" || lower == "right")
          return AppendAttribute(out_, name, lower);
        break;
      }
      case Value::kTarget:
        if (LowerAscii(value) == "_blank") return AppendAttribute(out_, name, "_blank");
        break;
    }
    ++report_.attributes;
  }

  void WriteClass(std::string_view value) {
    std::string kept;
    bool dropped = false;
    size_t i = 0;
    while (i < value.size()) {
      while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == '\n' ||
                                  value[i] == '\r' || value[i] == '\f')) {
        ++i;
      }
      const size_t start = i;
      while (i < value.size() && value[i] != ' ' && value[i] != '\t' && value[i] != '\n' &&
             value[i] != '\r' && value[i] != '\f') {
        ++i;
      }
      if (i == start) break;
      const std::string_view token = value.substr(start, i - start);
      if (IsAllowedClass(token)) {
        if (!kept.empty()) kept += ' ';
        kept += token;
      } else {
        dropped = true;
      }
    }
    if (dropped) ++report_.attributes;
    if (!kept.empty()) AppendAttribute(out_, "class", kept);
  }

  // An iframe whose address is on the embed list, written with fixed sandboxing; false (and
  // nothing written) otherwise.
  bool WriteEmbed(const GumboNode* node) {
    const GumboElement& element = node->v.element;
    const std::string src = CleanUrl(AttributeValue(element, "src"));
    if (!IsEmbeddable(src, options_.embed_hosts)) return false;
    out_ += "<iframe";
    AppendAttribute(out_, "src", src);
    for (const char* name : {"width", "height"}) {
      const std::string_view value = AttributeValue(element, name);
      if (IsNumber(value)) AppendAttribute(out_, name, value);
    }
    if (const std::string_view title = AttributeValue(element, "title"); !title.empty())
      AppendAttribute(out_, "title", title);
    if (gumbo_get_attribute(&element.attributes, "allowfullscreen") != nullptr)
      out_ += " allowfullscreen";
    out_ +=
        " sandbox=\"allow-scripts allow-same-origin allow-popups allow-presentation\""
        " loading=\"lazy\" referrerpolicy=\"strict-origin-when-cross-origin\"></iframe>";
    return true;
  }

  // An embed figure (embeds.h) of an enabled provider, written again from its address alone:
  // whatever else the figure holds is the embed's own markup or a forgery, and goes. False
  // (nothing written) for any other figure.
  bool WriteProviderEmbed(const GumboNode* node) {
    if (options_.embeds.empty()) return false;
    const GumboElement& element = node->v.element;
    const GumboAttribute* url = gumbo_get_attribute(&element.attributes, "data-embed-url");
    if (url == nullptr) return false;
    const auto embed = Recognise(url->value, options_.embeds);
    if (!embed) return false;
    out_ += Render(*embed);
    return true;
  }

  // cmark-gfm's task list boxes: a disabled checkbox, never anything a form could submit.
  bool WriteTaskBox(const GumboNode* node) {
    const GumboElement& element = node->v.element;
    if (LowerAscii(AttributeValue(element, "type")) != "checkbox") return false;
    out_ += "<input type=\"checkbox\"";
    if (gumbo_get_attribute(&element.attributes, "checked") != nullptr) out_ += " checked";
    out_ += " disabled>";
    for (unsigned i = 0; i < element.attributes.length; ++i) {
      const std::string_view name =
          static_cast<const GumboAttribute*>(element.attributes.data[i])->name;
      if (name != "type" && name != "checked" && name != "disabled") ++report_.attributes;
    }
    return true;
  }

  const FilterOptions& options_;
  FilterReport& report_;
  std::string out_;
};

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// An upper estimate of how deep `html` nests elements, found without parsing it: start tags
// count, and an end tag uncounts back to the open element of its name (an end tag with no such
// element changes nothing, as in a parser); void elements and the tags a parser closes by
// itself (<p>, <li>, table cells and rows, options) are left out. It is deliberately
// pessimistic: everything that looks like a tag counts, also inside comments, raw text and
// foreign content, and "<div/>" opens a <div> (as it does in HTML), so no spelling of
// comments, <svg> or <plaintext> hides depth from it. Gumbo's work per tag grows with the depth
// of its open elements, so input deeper than kMaxParseDepth is refused before it is parsed. A
// tag with more than kMaxAttributes attributes counts as infinitely deep.
int NestingEstimate(std::string_view html) {
  static const std::unordered_set<std::string> self_closing = {
      "area",  "base",     "br",      "col",    "embed",    "hr",  "img",    "input",
      "link",  "meta",     "param",   "source", "track",    "wbr", "keygen", "p",
      "li",    "dd",       "dt",      "td",     "th",       "tr",  "tbody",  "thead",
      "tfoot", "colgroup", "caption", "option", "optgroup", "rp",  "rt",     "image"};
  std::vector<std::string> open;  // never longer than kMaxParseDepth + 1
  size_t deepest = 0;
  size_t i = 0;
  const size_t n = html.size();
  while (i < n) {
    const size_t at = html.find('<', i);
    if (at == std::string_view::npos || at + 1 >= n) break;
    i = at + 1;
    const bool closing = html[i] == '/';
    if (closing) ++i;
    if (i >= n || !IsAsciiLetter(html[i])) continue;
    const size_t name_start = i;
    while (i < n && html[i] != '>' && html[i] != '/' && html[i] != ' ' && html[i] != '\t' &&
           html[i] != '\n' && html[i] != '\r' && html[i] != '\f' && html[i] != '<') {
      ++i;
    }
    const std::string name = LowerAscii(html.substr(name_start, i - name_start));
    // The rest of the tag: quoted values may hold '>'. Words outside quotes bound the number
    // of attributes (gumbo checks each against all before it for duplicates).
    char quote = 0;
    bool in_word = false;
    int words = 0;
    for (; i < n; ++i) {
      const char c = html[i];
      const bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/';
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        ++i;
        break;
      } else if (!blank && !in_word && ++words > kMaxAttributes) {
        return std::numeric_limits<int>::max();
      }
      in_word = quote != 0 || !blank;
    }
    if (closing) {
      const auto match = std::find(open.rbegin(), open.rend(), name);
      if (match != open.rend()) open.erase(std::prev(match.base()), open.end());
      continue;
    }
    if (self_closing.contains(name)) continue;
    open.push_back(name);
    deepest = std::max(deepest, open.size());
    if (deepest > static_cast<size_t>(kMaxParseDepth)) break;
  }
  return static_cast<int>(deepest);
}

struct OutputDeleter {
  GumboOptions options;
  void operator()(GumboOutput* output) const { gumbo_destroy_output(&options, output); }
};

}  // namespace

FilterReport& FilterReport::operator+=(const FilterReport& other) {
  elements += other.elements;
  unwrapped += other.unwrapped;
  attributes += other.attributes;
  addresses += other.addresses;
  return *this;
}

std::string FilterReport::Summary() const {
  std::string summary;
  auto add = [&](int count, const char* one, const char* many) {
    if (count == 0) return;
    if (!summary.empty()) summary += ", ";
    summary += fmt::format("{} {}", count, count == 1 ? one : many);
  };
  add(elements, "element", "elements");
  add(unwrapped, "unwrapped tag", "unwrapped tags");
  add(attributes, "attribute", "attributes");
  add(addresses, "address", "addresses");
  return summary;
}

bool IsAllowedUrl(std::string_view url) { return IsAllowedCleanUrl(CleanUrl(url)); }

Result<std::string> FilterHtml(std::string_view html, const FilterOptions& options,
                               FilterReport* report) {
  FilterReport local;
  FilterReport& counts = report != nullptr ? *report : local;
  if (html.empty()) return std::string();
  if (NestingEstimate(html) > kMaxParseDepth) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("the HTML nests elements more than {} deep or gives an element more "
                            "than {} attributes",
                            kMaxParseDepth, kMaxAttributes));
  }
  GumboOptions parse = kGumboDefaultOptions;
  parse.fragment_context = GUMBO_TAG_DIV;
  parse.fragment_namespace = GUMBO_NAMESPACE_HTML;
  parse.max_errors = 0;  // the errors are not used; do not collect them
  std::unique_ptr<GumboOutput, OutputDeleter> output(
      gumbo_parse_with_options(&parse, html.data(), html.size()), OutputDeleter{parse});
  if (!output || output->root == nullptr) return std::string();
  return Writer(options, counts).Run(output->root);
}

}  // namespace broadsheet::markdown
