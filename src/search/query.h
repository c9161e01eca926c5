// Readers' search queries. A query is what a reader typed into the search box; Parse reads it
// into terms the index turns into a Xapian query term by term, so no input (unbalanced quotes,
// operators of any search syntax, 10 KB of text) can be an error. Understood: words (all must
// match), "quoted phrases", OR between two terms, -word or -"phrase" to exclude, and word* for
// words that start so (3 letters or more).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"

namespace broadsheet::search {

// Longer input is cut (at a word) and the reader told.
inline constexpr size_t kMaxQueryBytes = 500;
inline constexpr size_t kMaxTerms = 16;

struct Term {
  std::string text;  // a word, or the words of a phrase
  bool phrase = false;
  bool negated = false;
  bool prefix = false;
  bool or_before = false;  // joined to the term before it by OR
};

struct Query {
  // Groups of alternatives (terms joined by OR), all of which must match, and terms that must
  // not; no groups means there is nothing to search for.
  std::vector<std::vector<Term>> groups;
  std::vector<Term> excluded;
  // The reader's text as understood, for the search box and headings.
  std::string understood;
  // Something the reader should know about how their text was read ("Only the first …").
  std::string notice;
  bool empty() const { return groups.empty(); }
};

Query Parse(std::string_view text);

// The distinctive words of a post's headline and dek, lower case, without repeats or the most
// common English words, at most 12.
std::vector<std::string> DistinctiveWords(const Post& post);

}  // namespace broadsheet::search
