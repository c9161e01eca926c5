// Line diff for comparing revisions: the shortest edit script between two texts, line by line
// (longest common subsequence). Texts whose line counts multiply to more than `kMaxCells` are
// compared as "everything removed, everything added" instead, to bound time and memory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace broadsheet {

struct DiffLine {
  enum class Kind { kSame, kRemoved, kAdded };
  Kind kind;
  std::string text;
};

inline constexpr size_t kMaxDiffCells = 4'000'000;

std::vector<DiffLine> DiffLines(std::string_view before, std::string_view after);

}  // namespace broadsheet
