// Line diff for comparing revisions: the shortest edit script between two texts, line by line
// (longest common subsequence). Texts whose line counts multiply to more than `kMaxDiffCells` are
// compared as "everything removed, everything added" instead, to bound time and memory.
//
// DiffLinesAndWords goes one step further for the desk's revision view: a changed paragraph is
// paired with the paragraph that replaced it and the two are compared word by word, so that a
// one-word correction in a long paragraph shows as that word, not as two whole paragraphs.
// Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace broadsheet {

// A run of a changed line's text: shared by both versions (kSame) or only in this line's
// version (kRemoved in a removed line, kAdded in an added one).
struct DiffWord {
  enum class Kind { kSame, kRemoved, kAdded };
  Kind kind;
  std::string text;
};

struct DiffLine {
  using Kind = DiffWord::Kind;
  Kind kind;
  std::string text;
  // Only from DiffLinesAndWords, for a removed or added line paired with its counterpart: the
  // line's text split into runs that concatenate back to `text`. Empty means "the whole line".
  std::vector<DiffWord> words = {};
};

inline constexpr size_t kMaxDiffCells = 4'000'000;
// Word comparisons are bounded separately: one pair of paragraphs, not whole texts, and all the
// pairs of one DiffLinesAndWords together (past it, the remaining changed lines stay whole).
inline constexpr size_t kMaxWordDiffCells = 1'000'000;
inline constexpr size_t kMaxWordDiffCellsPerPage = 4'000'000;

std::vector<DiffLine> DiffLines(std::string_view before, std::string_view after);

// The two sides of one changed line compared word by word. Words are runs of letters and digits
// (any non-ASCII UTF-8 counts as a letter, so a character is never split); spaces and each
// punctuation mark are runs of their own. `before` holds kSame and kRemoved runs, `after` kSame
// and kAdded ones. When the lines have too little in common for a word view to help (less than
// a third of their words shared) or are too long to compare, both are left empty.
struct WordDiff {
  std::vector<DiffWord> before;
  std::vector<DiffWord> after;
};
WordDiff DiffWords(std::string_view before, std::string_view after);

// DiffLines, with each block of changed lines laid out as its removed lines then its added
// lines, and the n-th removed line of a block paired with its n-th added line by DiffWords.
std::vector<DiffLine> DiffLinesAndWords(std::string_view before, std::string_view after);

}  // namespace broadsheet
