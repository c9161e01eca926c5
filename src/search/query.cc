#include "search/query.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/text.h"

namespace broadsheet::search {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Whether the text has something the index could hold: a letter or digit (any non-ASCII
// character counts; the tokenizer decides).
bool HasWordCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x80 || std::isalnum(byte);
  });
}

// The valid UTF-8 of `text`, control characters as spaces; `dropped` tells whether bytes that
// were not UTF-8 were left out.
std::string CleanText(std::string_view text, bool& dropped) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    if (c >= 0x80 && (c & 0xC0) == 0x80) length = 1;  // a stray continuation byte
    const std::string_view sequence = text.substr(i, length);
    if (!IsValidUtf8(sequence)) {
      dropped = true;
      ++i;
      continue;
    }
    if (length == 1 && (c < 0x20 || c == 0x7F))
      out += ' ';
    else
      out += sequence;
    i += sequence.size();
  }
  return out;
}

// `text` cut to at most `limit` bytes at a space (or a character boundary when it has none).
std::string_view CutAtWord(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = text.substr(0, limit + 1).find_last_of(' ');
  if (cut == std::string_view::npos || cut == 0) {
    cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  return text.substr(0, cut);
}

std::string Shown(const Term& term) {
  std::string shown = term.negated ? "-" : "";
  shown += term.phrase ? "\"" + term.text + "\"" : term.text;
  return shown + (term.prefix ? "*" : "");
}

std::vector<Term> ReadTerms(std::string_view text) {
  std::vector<Term> terms;
  bool or_next = false;
  size_t i = 0;
  while (i < text.size()) {
    if (IsSpace(text[i])) {
      ++i;
      continue;
    }
    Term term;
    if (text[i] == '-' && i + 1 < text.size() && !IsSpace(text[i + 1])) {
      term.negated = true;
      ++i;
    }
    if (text[i] == '"') {
      const size_t close = text.find('"', i + 1);
      if (close == std::string_view::npos) {  // an unbalanced quote: the rest are plain words
        ++i;
        continue;
      }
      term.text = std::string(Trim(text.substr(i + 1, close - i - 1)));
      term.phrase = term.text.find(' ') != std::string::npos;
      i = close + 1;
    } else {
      size_t end = i;
      while (end < text.size() && !IsSpace(text[end]) && text[end] != '"') ++end;
      term.text = std::string(text.substr(i, end - i));
      i = end;
      if (term.text == "OR" && !term.negated) {
        or_next = !terms.empty();
        continue;
      }
      while (!term.text.empty() && term.text.back() == '*') {
        term.text.pop_back();
        term.prefix = true;
      }
      term.prefix = term.prefix && term.text.size() >= 3;
    }
    if (!HasWordCharacter(term.text)) continue;
    term.or_before = or_next && !term.negated && !terms.empty() && !terms.back().negated;
    or_next = false;
    terms.push_back(std::move(term));
  }
  return terms;
}

}  // namespace

Query Parse(std::string_view input) {
  Query query;
  bool dropped = false;
  std::string text = CleanText(input, dropped);
  if (dropped) query.notice = "Some characters of your search could not be read and were left out.";
  if (text.size() > kMaxQueryBytes) {
    text = std::string(CutAtWord(text, kMaxQueryBytes));
    query.notice = "Your search was long, so only its beginning was used.";
  }
  std::vector<Term> terms = ReadTerms(text);
  if (terms.size() > kMaxTerms) {
    terms.resize(kMaxTerms);
    query.notice = "Only the first " + std::to_string(kMaxTerms) + " words were used.";
  }
  // Groups of terms joined by OR; the groups must all match ("a b OR c" = a AND (b OR c)).
  for (const Term& term : terms) {
    if (!query.understood.empty()) query.understood += term.or_before ? " OR " : " ";
    query.understood += Shown(term);
    if (term.negated) {
      query.excluded.push_back(term);
    } else if (term.or_before && !query.groups.empty()) {
      query.groups.back().push_back(term);
    } else {
      query.groups.push_back({term});
    }
  }
  if (query.groups.empty() && !query.excluded.empty())
    query.notice = "A search needs at least one word to look for, not only words to leave out.";
  return query;
}

std::vector<std::string> DistinctiveWords(const Post& post) {
  static constexpr std::array<std::string_view, 64> kCommon = {
      "the",   "and",    "for",  "with", "that",  "this",  "from",  "into",   "over",  "about",
      "after", "before", "what", "when", "where", "which", "while", "who",    "whom",  "why",
      "how",   "are",    "was",  "were", "will",  "would", "could", "should", "can",   "may",
      "might", "must",   "has",  "have", "had",   "not",   "but",   "its",    "their", "they",
      "them",  "our",    "your", "his",  "her",   "she",   "him",   "you",    "all",   "any",
      "more",  "most",   "than", "then", "now",   "new",   "ago",   "one",    "two",   "out",
      "does",  "did",    "also", "just"};
  std::vector<std::string> words;
  auto take = [&](std::string_view text) {
    std::string word;
    auto flush = [&] {
      const std::string lower = LowerAscii(word);
      const bool common = std::find(kCommon.begin(), kCommon.end(), lower) != kCommon.end();
      if (lower.size() >= 3 && !common && HasWordCharacter(lower) &&
          std::find(words.begin(), words.end(), lower) == words.end() && words.size() < 12) {
        words.push_back(lower);
      }
      word.clear();
    };
    for (char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte >= 0x80 || std::isalnum(byte))
        word += c;
      else
        flush();
    }
    flush();
  };
  take(post.title);
  take(post.dek);
  return words;
}

}  // namespace broadsheet::search
