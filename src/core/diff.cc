#include "core/diff.h"

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

}  // namespace

std::vector<DiffLine> DiffLines(std::string_view before, std::string_view after) {
  const auto a = Lines(before);
  const auto b = Lines(after);
  std::vector<DiffLine> out;
  if (a.size() * b.size() > kMaxDiffCells) {
    for (auto line : a) out.push_back({DiffLine::Kind::kRemoved, std::string(line)});
    for (auto line : b) out.push_back({DiffLine::Kind::kAdded, std::string(line)});
    return out;
  }
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
      out.push_back({DiffLine::Kind::kSame, std::string(a[i])});
      ++i;
      ++j;
    } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
      out.push_back({DiffLine::Kind::kRemoved, std::string(a[i++])});
    } else {
      out.push_back({DiffLine::Kind::kAdded, std::string(b[j++])});
    }
  }
  while (i < a.size()) out.push_back({DiffLine::Kind::kRemoved, std::string(a[i++])});
  while (j < b.size()) out.push_back({DiffLine::Kind::kAdded, std::string(b[j++])});
  return out;
}

}  // namespace broadsheet
