// The editor's word count (editor/src/words.js) against the table the server's count follows
// (tests/vectors/word-counts.json, tests/content/words_test.cc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { countWords } from '../../editor/src/words.js';

test('words are counted as the server counts them (tests/vectors/word-counts.json)', () => {
  const { texts } = JSON.parse(readFileSync(new URL('../vectors/word-counts.json', import.meta.url)));
  assert.ok(texts.length > 10);
  for (const { text, words, why } of texts) assert.equal(countWords(text), words, why);
});
