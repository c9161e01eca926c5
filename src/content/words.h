// How many words a text has, as the desk shows it (the review queue's "Words" column) and as
// the editor counts while a writer types (editor/src/words.js): Unicode word boundaries (UAX
// #29, ICU's word break iterator, the rules Intl.Segmenter follows in the browser), counting the
// segments that are words (letters, numbers, ideographs; not spaces, punctuation or symbols),
// with two such segments joined by one hyphen ("e-mail", "well-known") counted as one word, as
// WordPress and Ghost count them. So any Unicode space separates words (no-break, thin), an em
// dash between two words leaves two, and Chinese or Japanese text is counted in words by ICU's
// dictionary, not in characters. tests/vectors/word-counts.json is the table both sides follow.
// Stateless and thread-safe (each call has its own iterator).
#pragma once

#include <string_view>

namespace broadsheet::content {

// The words in `text` (plain text, UTF-8; invalid bytes count as not a word).
int CountWords(std::string_view text);

}  // namespace broadsheet::content
