// How many words the writer has written, counted as the server counts them (content/words.h):
// Unicode word boundaries (Intl.Segmenter, the same UAX #29 rules and dictionaries as ICU on the
// server), only the segments that are words, and two words joined by one hyphen ("e-mail")
// counted as one. tests/vectors/word-counts.json is the table both sides follow.
const hyphens = new Set(['-', '\u2010']);
let segmenter = null;

export function countWords(text) {
  if (!text) return 0;
  if (typeof Intl === 'undefined' || !Intl.Segmenter) {
    // Browsers before Segmenter: words between any Unicode spaces and dashes.
    return text.split(/[\s\u2013\u2014]+/u).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
  }
  segmenter = segmenter || new Intl.Segmenter(undefined, { granularity: 'word' });
  let count = 0;
  let previousEnd = -1;
  for (const { segment, index, isWordLike } of segmenter.segment(text)) {
    if (!isWordLike) continue;
    if (!(previousEnd >= 0 && index === previousEnd + 1 && hyphens.has(text[previousEnd]))) count++;
    previousEnd = index + segment.length;
  }
  return count;
}
