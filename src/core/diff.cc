#include "core/diff.h"

#include <algorithm>
#include <cstdint>

namespace broadsheet {
namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The edit script between token lists a and b (longest common subsequence), in order: kSame
// for a token of both, kRemoved for one of a only, kAdded for one of b only. Callers bound the
// size of a × b.
struct Edit {
  DiffWord::Kind kind;
  std::string_view text;
};

std::vector<Edit> EditScript(const std::vector<std::string_view>& a,
                             const std::vector<std::string_view>& b) {
  std::vector<Edit> out;
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const size_t width = b.size() + 1;
  std::vector<std::uint32_t> lcs((a.size() + 1) * width, 0);
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i * width + j] = a[i] == b[j]
                               ? lcs[(i + 1) * width + j + 1] + 1
                               : std::max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      out.push_back({DiffWord::Kind::kSame, a[i]});
      ++i;
      ++j;
    } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
      out.push_back({DiffWord::Kind::kRemoved, a[i++]});
    } else {
      out.push_back({DiffWord::Kind::kAdded, b[j++]});
    }
  }
  while (i < a.size()) out.push_back({DiffWord::Kind::kRemoved, a[i++]});
  while (j < b.size()) out.push_back({DiffWord::Kind::kAdded, b[j++]});
  return out;
}

enum class CharClass { kSpace, kWord, kMark };

CharClass ClassOf(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') return CharClass::kSpace;
  if (byte >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
    return CharClass::kWord;
  return CharClass::kMark;
}

// Runs of spaces, runs of word characters, and single punctuation marks.
std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start < text.size()) {
    const CharClass kind = ClassOf(text[start]);
    size_t end = start + 1;
    if (kind != CharClass::kMark) {
      while (end < text.size() && ClassOf(text[end]) == kind) ++end;
    }
    words.push_back(text.substr(start, end - start));
    start = end;
  }
  return words;
}

bool IsSpace(std::string_view text) {
  for (char c : text)
    if (ClassOf(c) != CharClass::kSpace) return false;
  return true;
}

// One side of an edit script as runs: `changed` marks this side's own tokens. A space shared
// between two changed runs joins them, so that a rewritten phrase reads as one change rather
// than as every word struck separately.
std::vector<DiffWord> Side(const std::vector<Edit>& script, DiffWord::Kind changed) {
  std::vector<Edit> tokens;
  for (const Edit& edit : script) {
    if (edit.kind == DiffWord::Kind::kSame || edit.kind == changed) tokens.push_back(edit);
  }
  for (size_t k = 1; k + 1 < tokens.size(); ++k) {
    if (tokens[k].kind == DiffWord::Kind::kSame && tokens[k - 1].kind == changed &&
        tokens[k + 1].kind == changed && IsSpace(tokens[k].text)) {
      tokens[k].kind = changed;
    }
  }
  std::vector<DiffWord> runs;
  for (const Edit& token : tokens) {
    if (!runs.empty() && runs.back().kind == token.kind) {
      runs.back().text += token.text;
    } else {
      runs.push_back({token.kind, std::string(token.text)});
    }
  }
  return runs;
}

}  // namespace

namespace {

// DiffWords, spending its comparison's cells from `budget` (and nothing when they exceed it).
WordDiff DiffWordsWithin(std::string_view before, std::string_view after, size_t& budget) {
  const auto a = Words(before);
  const auto b = Words(after);
  const size_t cells = a.size() * b.size();
  if (cells > kMaxWordDiffCells || cells > budget) return {};
  budget -= cells;
  const auto script = EditScript(a, b);
  size_t shared = 0, words_before = 0, words_after = 0;
  for (const Edit& edit : script) {
    if (IsSpace(edit.text)) continue;
    if (edit.kind == DiffWord::Kind::kSame) ++shared;
    if (edit.kind != DiffWord::Kind::kAdded) ++words_before;
    if (edit.kind != DiffWord::Kind::kRemoved) ++words_after;
  }
  // Rewritten rather than corrected: a word view would be mostly noise.
  if (shared * 3 < std::max(words_before, words_after)) return {};
  return {Side(script, DiffWord::Kind::kRemoved), Side(script, DiffWord::Kind::kAdded)};
}

}  // namespace

WordDiff DiffWords(std::string_view before, std::string_view after) {
  size_t budget = kMaxWordDiffCells;
  return DiffWordsWithin(before, after, budget);
}

std::vector<DiffLine> DiffLines(std::string_view before, std::string_view after) {
  const auto a = Lines(before);
  const auto b = Lines(after);
  std::vector<DiffLine> out;
  if (a.size() * b.size() > kMaxDiffCells) {
    for (auto line : a) out.push_back({DiffLine::Kind::kRemoved, std::string(line)});
    for (auto line : b) out.push_back({DiffLine::Kind::kAdded, std::string(line)});
    return out;
  }
  for (const Edit& edit : EditScript(a, b)) out.push_back({edit.kind, std::string(edit.text)});
  return out;
}

std::vector<DiffLine> DiffLinesAndWords(std::string_view before, std::string_view after) {
  const auto lines = DiffLines(before, after);
  std::vector<DiffLine> out;
  out.reserve(lines.size());
  // One budget for the whole comparison: many paragraph pairs, each under the per-pair bound,
  // must not add up to more work than one page is worth.
  size_t budget = kMaxWordDiffCellsPerPage;
  size_t k = 0;
  while (k < lines.size()) {
    if (lines[k].kind == DiffLine::Kind::kSame) {
      out.push_back(lines[k++]);
      continue;
    }
    std::vector<DiffLine> removed, added;
    for (; k < lines.size() && lines[k].kind != DiffLine::Kind::kSame; ++k) {
      (lines[k].kind == DiffLine::Kind::kRemoved ? removed : added).push_back(lines[k]);
    }
    for (size_t n = 0; n < std::min(removed.size(), added.size()); ++n) {
      // Blank lines between paragraphs carry no words worth marking.
      if (removed[n].text.empty() || added[n].text.empty()) continue;
      WordDiff words = DiffWordsWithin(removed[n].text, added[n].text, budget);
      removed[n].words = std::move(words.before);
      added[n].words = std::move(words.after);
    }
    for (auto& line : removed) out.push_back(std::move(line));
    for (auto& line : added) out.push_back(std::move(line));
  }
  return out;
}

}  // namespace broadsheet
