// Readers' search queries. A query is what a reader typed into the search box; Parse turns it
// into an FTS5 expression for Store::SearchPosts in which every word is a quoted string, so no
// input (unbalanced quotes, FTS5 operators, column filters, 10 KB of text) can make the
// expression invalid. Understood: words (all must match), "quoted phrases", OR between two
// terms, -word or -"phrase" to exclude, and word* for words that start so (3 letters or more).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"

namespace broadsheet::search {

// Longer input is cut (at a word) and the reader told.
inline constexpr size_t kMaxQueryBytes = 500;
inline constexpr size_t kMaxTerms = 16;

struct Query {
  std::string match;  // the FTS5 expression; empty when there is nothing to search for
  // The reader's text as understood, for the search box and headings.
  std::string understood;
  // Something the reader should know about how their text was read ("Only the first …").
  std::string notice;
};

Query Parse(std::string_view text);

// The distinctive words of a post's headline and dek, lower case, without repeats or the most
// common English words, at most 12.
std::vector<std::string> DistinctiveWords(const Post& post);

// An expression matching posts like `post`: any of the distinctive words of its title and dek in
// their titles and deks. Empty when there are none.
std::string SimilarTo(const Post& post);

// A title or excerpt with Store marks (kMarkStart/kMarkEnd) as HTML: the text escaped, the
// matches in <mark>.
std::string MarkedHtml(std::string_view marked);
// The same text without the marks.
std::string MarkedText(std::string_view marked);

}  // namespace broadsheet::search
