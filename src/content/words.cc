#include "content/words.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <memory>

namespace broadsheet::content {
namespace {

bool IsHyphen(UChar c) { return c == u'-' || c == u'\u2010'; }

}  // namespace

int CountWords(std::string_view text) {
  const icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> words(
      icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status)) return 0;
  words->setText(unicode);
  int count = 0;
  int32_t previous_word_end = -1;  // where the last word ended
  for (int32_t start = words->first(), end = words->next(); end != icu::BreakIterator::DONE;
       start = end, end = words->next()) {
    if (words->getRuleStatus() == UBRK_WORD_NONE) continue;  // spaces, punctuation, symbols
    // A word right after "word-" continues it.
    const bool joined = previous_word_end >= 0 && start == previous_word_end + 1 &&
                        IsHyphen(unicode.charAt(previous_word_end));
    if (!joined) ++count;
    previous_word_end = end;
  }
  return count;
}

}  // namespace broadsheet::content
