#include "core/slug.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace broadsheet {
namespace {

// Two-byte UTF-8 sequences for Latin-1 letters, folded to ASCII.
struct Fold {
  unsigned char second;  // the byte after 0xC3
  const char* ascii;
};
constexpr Fold kLatin1Folds[] = {
    {0x80, "a"}, {0x81, "a"},  {0x82, "a"},  {0x83, "a"}, {0x84, "a"},  {0x85, "a"}, {0x86, "ae"},
    {0x87, "c"}, {0x88, "e"},  {0x89, "e"},  {0x8A, "e"}, {0x8B, "e"},  {0x8C, "i"}, {0x8D, "i"},
    {0x8E, "i"}, {0x8F, "i"},  {0x90, "d"},  {0x91, "n"}, {0x92, "o"},  {0x93, "o"}, {0x94, "o"},
    {0x95, "o"}, {0x96, "o"},  {0x98, "o"},  {0x99, "u"}, {0x9A, "u"},  {0x9B, "u"}, {0x9C, "u"},
    {0x9D, "y"}, {0x9E, "th"}, {0x9F, "ss"}, {0xA0, "a"}, {0xA1, "a"},  {0xA2, "a"}, {0xA3, "a"},
    {0xA4, "a"}, {0xA5, "a"},  {0xA6, "ae"}, {0xA7, "c"}, {0xA8, "e"},  {0xA9, "e"}, {0xAA, "e"},
    {0xAB, "e"}, {0xAC, "i"},  {0xAD, "i"},  {0xAE, "i"}, {0xAF, "i"},  {0xB0, "d"}, {0xB1, "n"},
    {0xB2, "o"}, {0xB3, "o"},  {0xB4, "o"},  {0xB5, "o"}, {0xB6, "o"},  {0xB8, "o"}, {0xB9, "u"},
    {0xBA, "u"}, {0xBB, "u"},  {0xBC, "u"},  {0xBD, "y"}, {0xBE, "th"}, {0xBF, "y"},
};

const char* FoldLatin1(unsigned char second) {
  for (const auto& fold : kLatin1Folds) {
    if (fold.second == second) return fold.ascii;
  }
  return nullptr;
}

constexpr std::array<std::string_view, 23> kReserved = {
    "admin",  "feed",     "search",   "newsletter", "section",    "author",   "tag",    "page",
    "assets", "uploads",  "static",   "healthz",    "readyz",     "metrics",  "api",    "login",
    "logout", "comments", "category", "wp-admin",   "wp-content", "wp-login", "xmlrpc",
};

}  // namespace

std::string Slugify(std::string_view text) {
  std::string slug;
  bool pending_hyphen = false;
  auto append = [&](std::string_view part) {
    if (pending_hyphen && !slug.empty()) slug += '-';
    pending_hyphen = false;
    slug += part;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (std::isalnum(byte)) {
      const char lower = static_cast<char>(std::tolower(byte));
      append(std::string_view(&lower, 1));
    } else if (byte == 0xC3 && i + 1 < text.size()) {
      const char* folded = FoldLatin1(static_cast<unsigned char>(text[i + 1]));
      ++i;
      if (folded != nullptr) {
        append(folded);
      } else {
        pending_hyphen = true;
      }
    } else if (byte == '\'' || (byte == 0xE2 && i + 2 < text.size() && text[i + 1] == '\x80' &&
                                text[i + 2] == '\x99')) {
      // Apostrophes join words ("Europe's" -> "europes") as WordPress does.
      if (byte == 0xE2) i += 2;
    } else {
      pending_hyphen = true;
    }
    if (slug.size() >= 200) break;
  }
  while (slug.size() > 200 || (!slug.empty() && slug.back() == '-')) slug.pop_back();
  return slug;
}

bool IsValidSlug(std::string_view slug) {
  if (slug.empty() || slug.size() > 200) return false;
  if (slug.front() == '-' || slug.back() == '-') return false;
  char previous = 0;
  for (char c : slug) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && previous == '-')) return false;
    previous = c;
  }
  return true;
}

bool IsReservedSlug(std::string_view slug) {
  for (auto reserved : kReserved) {
    if (slug == reserved) return true;
  }
  const bool four_digits = slug.size() == 4 && std::all_of(slug.begin(), slug.end(), [](char c) {
                             return c >= '0' && c <= '9';
                           });
  return four_digits;
}

Result<void> CheckPostSlug(std::string_view slug) {
  if (!IsValidSlug(slug)) {
    return Fail(ErrorCode::kInvalidArgument,
                "slug \"" + std::string(slug) +
                    "\" must be 1-200 characters of a-z, 0-9 and single hyphens");
  }
  if (IsReservedSlug(slug)) {
    return Fail(ErrorCode::kConflict,
                "slug \"" + std::string(slug) + "\" is reserved: it would shadow a site route");
  }
  return {};
}

}  // namespace broadsheet
