#include "core/text.h"

#include <optional>
#include <utility>

namespace broadsheet {

void AppendEscapedHtml(std::string& out, std::string_view text, bool attribute) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += attribute ? "&quot;" : "\"";
        break;
      case '\'':
        out += attribute ? "&#39;" : "'";
        break;
      default:
        out += c;
    }
  }
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  AppendEscapedHtml(out, text, true);
  return out;
}

std::string EscapeJsonForScript(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// The length of the well-formed UTF-8 sequence at `i` of `text`, or 0 when there is none.
size_t Utf8SequenceAt(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  size_t length;
  unsigned int code;
  if (c < 0x80) {
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    length = 2;
    code = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    length = 3;
    code = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    length = 4;
    code = c & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3F);
  }
  const bool overlong = (length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
                        (length == 4 && code < 0x10000);
  if (overlong || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceAt(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceAt(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string> SplitTrimmed(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    auto part = Trim(text.substr(start, end - start));
    if (!part.empty()) parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

void AppendUtf8(std::string& out, char32_t code) {
  if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) code = 0xFFFD;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

std::string FoldDiacritics(std::string_view text) {
  // Base letters of U+00C0..U+00FF and U+0100..U+017F; '-' keeps the character, '*' is a
  // ligature spelled out below.
  static constexpr std::string_view kLatin1 =
      "AAAAAA*CEEEEIIIIDNOOOOO-OUUUUY-*aaaaaa*ceeeeiiiidnooooo-ouuuuy-y";
  static constexpr std::string_view kExtendedA =
      "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi**JjKkkLlLlLlLlLlNnNnNnnNnOoOoOo**RrRrRr"
      "SsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    // Only two-byte sequences hold what is folded (U+0080..U+07FF).
    if ((lead & 0xE0) != 0xC0 || i + 1 >= text.size() ||
        (static_cast<unsigned char>(text[i + 1]) & 0xC0) != 0x80) {
      out += text[i++];
      continue;
    }
    const char32_t code = ((lead & 0x1F) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3F);
    i += 2;
    if (code >= 0x300 && code <= 0x36F) continue;  // a combining mark
    char base = '-';
    if (code >= 0xC0 && code <= 0xFF) base = kLatin1[code - 0xC0];
    if (code >= 0x100 && code <= 0x17F) base = kExtendedA[code - 0x100];
    if (base == '*') {
      switch (code) {
        case 0xC6:
          out += "AE";
          break;
        case 0xE6:
          out += "ae";
          break;
        case 0xDF:
          out += "ss";
          break;
        case 0x132:
          out += "IJ";
          break;
        case 0x133:
          out += "ij";
          break;
        case 0x152:
          out += "OE";
          break;
        case 0x153:
          out += "oe";
          break;
        default:
          break;
      }
    } else if (base != '-') {
      out += base;
    } else {
      AppendUtf8(out, code);
    }
  }
  return out;
}

namespace {

// Named character references that writers and editors actually use; the rest of HTML's 2,000
// stay as written.
constexpr std::pair<std::string_view, char32_t> kNamedReferences[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},     {"nbsp", 0xA0},     {"ensp", 0x2002},   {"emsp", 0x2003},
    {"thinsp", 0x2009}, {"shy", 0xAD},      {"ndash", 0x2013},  {"mdash", 0x2014},
    {"hellip", 0x2026}, {"lsquo", 0x2018},  {"rsquo", 0x2019},  {"sbquo", 0x201A},
    {"ldquo", 0x201C},  {"rdquo", 0x201D},  {"bdquo", 0x201E},  {"laquo", 0xAB},
    {"raquo", 0xBB},    {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"bull", 0x2022},
    {"middot", 0xB7},   {"copy", 0xA9},     {"reg", 0xAE},      {"trade", 0x2122},
    {"deg", 0xB0},      {"times", 0xD7},    {"divide", 0xF7},   {"plusmn", 0xB1},
    {"frac12", 0xBD},   {"frac14", 0xBC},   {"frac34", 0xBE},   {"sect", 0xA7},
    {"para", 0xB6},     {"dagger", 0x2020}, {"Dagger", 0x2021}, {"prime", 0x2032},
    {"euro", 0x20AC},   {"pound", 0xA3},    {"yen", 0xA5},      {"cent", 0xA2},
    {"iexcl", 0xA1},    {"iquest", 0xBF},   {"ordf", 0xAA},     {"ordm", 0xBA},
    {"szlig", 0xDF},    {"aelig", 0xE6},    {"AElig", 0xC6},    {"oelig", 0x153},
    {"OElig", 0x152},   {"oslash", 0xF8},   {"Oslash", 0xD8},   {"aring", 0xE5},
    {"Aring", 0xC5},    {"ccedil", 0xE7},   {"Ccedil", 0xC7},   {"ntilde", 0xF1},
    {"Ntilde", 0xD1},   {"eth", 0xF0},      {"thorn", 0xFE},    {"scaron", 0x161},
    {"Scaron", 0x160},  {"zcaron", 0x17E},  {"Zcaron", 0x17D},  {"yuml", 0xFF},
};

// The Latin-1 letters with grave, acute, circumflex, tilde and umlaut ("eacute", "Ouml"):
// the base letter's code for each accent, 0 where there is none.
std::optional<char32_t> AccentedLetter(std::string_view name) {
  struct Accent {
    std::string_view suffix;
    char32_t a, e, i, o, u, y;  // lower-case codes; upper case is 0x20 less
  };
  static constexpr Accent kAccents[] = {{"grave", 0xE0, 0xE8, 0xEC, 0xF2, 0xF9, 0},
                                        {"acute", 0xE1, 0xE9, 0xED, 0xF3, 0xFA, 0xFD},
                                        {"circ", 0xE2, 0xEA, 0xEE, 0xF4, 0xFB, 0},
                                        {"tilde", 0xE3, 0, 0, 0xF5, 0, 0},
                                        {"uml", 0xE4, 0xEB, 0xEF, 0xF6, 0xFC, 0}};
  if (name.size() < 4) return std::nullopt;
  const char letter = name[0];
  const bool upper = letter >= 'A' && letter <= 'Z';
  const char lower = upper ? static_cast<char>(letter + 32) : letter;
  for (const Accent& accent : kAccents) {
    if (name.substr(1) != accent.suffix) continue;
    char32_t code = 0;
    switch (lower) {
      case 'a':
        code = accent.a;
        break;
      case 'e':
        code = accent.e;
        break;
      case 'i':
        code = accent.i;
        break;
      case 'o':
        code = accent.o;
        break;
      case 'u':
        code = accent.u;
        break;
      case 'y':
        code = accent.y;
        break;
      default:
        break;
    }
    if (code == 0 || (upper && lower == 'y')) return std::nullopt;
    return upper ? code - 0x20 : code;
  }
  return std::nullopt;
}

// Decodes the character reference at the start of `text` ("&amp;…"), appending it to `out`;
// returns how many bytes it took, 0 when it is not one (the '&' is then ordinary text).
size_t DecodeReference(std::string_view text, std::string& out) {
  const size_t end = text.find(';');
  if (end == std::string_view::npos || end < 2 || end > 32) return 0;
  const std::string_view name = text.substr(1, end - 1);
  if (name[0] == '#') {
    const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    const std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 8) return 0;
    char32_t code = 0;
    for (char c : digits) {
      int digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (hex && c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return 0;
      code = code * (hex ? 16 : 10) + static_cast<char32_t>(digit);
    }
    AppendUtf8(out, code);
    return end + 1;
  }
  for (const auto& [known, code] : kNamedReferences) {
    if (known == name) {
      AppendUtf8(out, code);
      return end + 1;
    }
  }
  if (auto code = AccentedLetter(name)) {
    AppendUtf8(out, *code);
    return end + 1;
  }
  return 0;
}

// Tags after which text continues on a new line: they separate words.
bool IsBlockTag(std::string_view name) {
  static constexpr std::string_view kBlocks[] = {
      "p",       "br",      "div",   "li",     "ul",     "ol",  "dl",     "dt",
      "dd",      "h1",      "h2",    "h3",     "h4",     "h5",  "h6",     "blockquote",
      "pre",     "hr",      "table", "tr",     "td",     "th",  "figure", "figcaption",
      "section", "article", "aside", "header", "footer", "nav", "img",    "iframe"};
  for (std::string_view block : kBlocks) {
    if (block == name) return true;
  }
  return false;
}

}  // namespace

std::string DecodeEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      if (const size_t used = DecodeReference(text.substr(i), out); used > 0) {
        i += used - 1;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string PlainText(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  bool pending_space = false;
  auto add = [&](std::string_view piece) {
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += piece;
  };
  size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      if (html.substr(i, 4) == "<!--") {
        const size_t close = html.find("-->", i + 4);
        i = close == std::string_view::npos ? html.size() : close + 3;
        continue;
      }
      const size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;
      std::string_view tag = html.substr(i + 1, close - i - 1);
      const bool closing = !tag.empty() && tag[0] == '/';
      if (closing) tag.remove_prefix(1);
      const size_t name_end = tag.find_first_of(" \t\r\n/");
      const std::string name = LowerAscii(tag.substr(0, name_end));
      i = close + 1;
      if (!closing && (name == "script" || name == "style" || name == "template")) {
        // Their text is not text a reader sees.
        const std::string end_tag = "</" + name;
        size_t found = i;
        while (found < html.size()) {
          found = html.find("</", found);
          if (found == std::string_view::npos) break;
          if (LowerAscii(html.substr(found, end_tag.size())) == end_tag) break;
          found += 2;
        }
        if (found == std::string_view::npos || found >= html.size()) break;
        const size_t after = html.find('>', found);
        i = after == std::string_view::npos ? html.size() : after + 1;
        pending_space = true;
        continue;
      }
      if (IsBlockTag(name)) pending_space = true;
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      pending_space = true;
      ++i;
      continue;
    }
    if (c == '&') {
      std::string decoded;
      if (const size_t used = DecodeReference(html.substr(i), decoded); used > 0) {
        if (decoded == "\u00A0") {
          pending_space = true;
        } else {
          add(decoded);
        }
        i += used;
        continue;
      }
    }
    add(std::string_view(&html[i], 1));
    ++i;
  }
  return out;
}

std::string Truncate(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  auto cut = text.substr(0, limit).rfind(' ');
  if (cut == std::string_view::npos || cut < limit / 2) {
    cut = limit;
    // Do not split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out(Trim(text.substr(0, cut)));
  while (!out.empty() && (out.back() == ',' || out.back() == '.' || out.back() == ';'))
    out.pop_back();
  return out + "\u2026";
}

namespace {

// Each candidate of each srcset ("url 480w, url 960w") that starts with one "/", under `base`.
void AbsoluteSrcsets(std::string& html, std::string_view base) {
  constexpr std::string_view kAttribute = "srcset=\"";
  for (size_t at = html.find(kAttribute); at != std::string::npos; at = html.find(kAttribute, at)) {
    const size_t start = at + kAttribute.size();
    const size_t end = html.find('"', start);
    if (end == std::string::npos) return;
    std::string value;
    bool candidate = true;
    for (size_t i = start; i < end; ++i) {
      const char c = html[i];
      if (candidate && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        if (c == '/' && (i + 1 == end || html[i + 1] != '/')) value += base;
        candidate = false;
      }
      value += c;
      if (c == ',') candidate = true;
    }
    html.replace(start, end - start, value);
    at = start + value.size();
  }
}

}  // namespace

std::string_view Utf8Prefix(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text;
  while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80) --limit;
  return text.substr(0, limit);
}

std::string AbsoluteLinks(std::string html, std::string_view base) {
  AbsoluteSrcsets(html, base);
  for (std::string_view attribute : {"href=\"/", "src=\"/"}) {
    const std::string to =
        std::string(attribute.substr(0, attribute.size() - 1)) + std::string(base) + "/";
    for (size_t at = html.find(attribute); at != std::string::npos;
         at = html.find(attribute, at + 1)) {
      if (html.compare(at + attribute.size(), 1, "/") == 0) continue;  // protocol-relative
      html.replace(at, attribute.size(), to);
      at += to.size() - 1;
    }
  }
  return html;
}

}  // namespace broadsheet
