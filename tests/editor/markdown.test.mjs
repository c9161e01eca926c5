// The writing surface's Markdown, without a browser (editor/src/markdown.js): what the editor
// writes for what it reads. The browser suite (tests/browser/editor.test.mjs) checks that the
// server renders the written text as it rendered the original.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMarkdown, serializeMarkdown } from '../../editor/src/markdown.js';

const here = dirname(fileURLToPath(import.meta.url));
const written = (text) => serializeMarkdown(parseMarkdown(text));

test('text in the editor\'s own form comes back byte for byte', () => {
  const canonical = [
    '## Heading\n\nA paragraph with *emphasis*, **strong**, ~~struck~~ and `code`.\n',
    '> A quote.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n',
    '| Left | Right |\n| :--- | ---: |\n| a \\| b | **3** |\n',
    'A note[^1] and [a link](https://example.org "Title").\n\n[^1]: The note.\n',
    '<div class="box">raw</div>\n\nInline <abbr title="x">HTML</abbr> kept.\n',
    '```python\nprint("x")\n```\n\n---\n\n![Alt](/uploads/a.jpg "Caption")\n',
    'A hard break\\\nwithin a paragraph.\n',
    '',
  ];
  for (const text of canonical) assert.equal(written(text), text);
});

test('whatever it reads, it reads back what it wrote', () => {
  const corpus = readFileSync(join(here, '../browser/editor-corpus.md'), 'utf8');
  const once = written(corpus);
  assert.equal(written(once), once);
});

test('text typed as text stays text, not markup', () => {
  const doc = parseMarkdown('x\n');
  const schema = doc.type.schema;
  const typed = (text) => serializeMarkdown(schema.node('doc', null, [
    schema.node('paragraph', null, [schema.text(text)])]));
  assert.equal(typed('5 < 6 and <b>not bold</b>'), '5 \\< 6 and \\<b>not bold\\</b>\n');
  assert.equal(typed('a | b'), 'a \\| b\n');
  assert.equal(typed('AT&amp;T'), 'AT\\&amp;T\n');
  assert.equal(typed('R&D'), 'R&D\n');
  assert.equal(typed('# not a heading'), '\\# not a heading\n');
  assert.equal(typed('*not emphasis*'), '\\*not emphasis\\*\n');
  for (const text of ['5 < 6 and <b>not bold</b>', 'a | b', 'AT&amp;T', '# not a heading']) {
    assert.equal(parseMarkdown(typed(text)).textContent, text);
  }
});

test('footnotes keep their labels, and their text moves to the end', () => {
  const text = 'Text[^note].\n\n[^note]: Defined early.\n\nMore text.\n';
  assert.equal(written(text), 'Text[^note].\n\nMore text.\n\n[^note]: Defined early.\n');
});

test('lists keep their looseness and their start', () => {
  assert.equal(written('- a\n\n- b\n'), '- a\n\n- b\n');
  assert.equal(written('3. c\n4. d\n'), '3. c\n4. d\n');
});

// Figures (docs/content-format.md): an image alone in its paragraph, its caption and credit in
// the title ("Caption | Credit"), its layout in the address's fragment.
test('a figure with caption, credit and layout comes back byte for byte', async () => {
  const { figureParts, figureAttrs } = await import('../../editor/src/images.js');
  const figures = [
    '![A port at dusk](/uploads/media/2026/12/ab12-port.jpg "Lagos, 2026 | Photo: Ada Obi/AP")\n',
    '![A port at dusk](/uploads/media/2026/12/ab12-port.jpg#wide "Lagos | Photo: AP")\n',
    '![Chart \\[1\\]](/uploads/media/2026/12/cd-chart.png#left "Exports, \\"real\\" terms")\n',
    '![](/uploads/media/2026/12/ef-rule.png#right)\n',
    'Before.\n\n![Alt](/uploads/media/2026/12/x.jpg " | Credit only")\n\nAfter.\n',
  ];
  for (const text of figures) assert.equal(written(text), text);
  const parts = figureParts('/uploads/m/x.jpg#wide', 'A caption | with a pipe | Photo: AP');
  assert.deepEqual(parts, { url: '/uploads/m/x.jpg', align: 'wide', caption: 'A caption | with a pipe', credit: 'Photo: AP' });
  assert.deepEqual(figureParts('/uploads/m/x.jpg#top', 'Caption'), { url: '/uploads/m/x.jpg', align: '', caption: 'Caption', credit: '' });
  // What the dialog writes is what it reads back.
  const attrs = figureAttrs({ url: '/uploads/m/x.jpg', align: 'left', alt: 'A "quoted" alt', caption: 'Cap', credit: 'AP' });
  assert.deepEqual(attrs, { src: '/uploads/m/x.jpg#left', alt: 'A "quoted" alt', title: 'Cap | AP' });
  const schema = parseMarkdown('x\n').type.schema;
  const text = serializeMarkdown(schema.node('doc', null, [
    schema.node('paragraph', null, [schema.nodes.image.create(attrs)])]));
  assert.equal(text, '![A "quoted" alt](/uploads/m/x.jpg#left "Cap | AP")\n');
  assert.equal(written(text), text);
  const image = parseMarkdown(text).firstChild.firstChild;
  assert.deepEqual(figureParts(image.attrs.src, image.attrs.title),
    { url: '/uploads/m/x.jpg', align: 'left', caption: 'Cap', credit: 'AP' });
});

// The figure-title table shared with the server's unit test (tests/content/body_test.cc): a
// caption or credit holding " | ", quotes or backslashes comes back as it was.
test('figure titles read and write as the server\'s do (tests/vectors/figure-titles.json)', async () => {
  const { readFileSync } = await import('node:fs');
  const { figureParts, figureTitle, figureAttrs } = await import('../../editor/src/images.js');
  const vectors = JSON.parse(readFileSync(new URL('../vectors/figure-titles.json', import.meta.url)));
  for (const { title, caption, credit, written: writes } of vectors.titles) {
    const parts = figureParts('/uploads/media/x.jpg', title);
    assert.deepEqual([parts.caption, parts.credit], [caption, credit], JSON.stringify(title));
    if (writes) assert.equal(figureTitle(caption, credit), title, JSON.stringify(title));
    const again = figureParts('/uploads/media/x.jpg', figureTitle(caption, credit));
    assert.deepEqual([again.caption, again.credit], [caption, credit], JSON.stringify(title));
  }
  const schema = parseMarkdown('x\n').type.schema;
  for (const { alt, url, caption, credit, markdown } of vectors.markdown) {
    const attrs = figureAttrs({ url, align: '', alt, caption, credit });
    const text = serializeMarkdown(schema.node('doc', null, [
      schema.node('paragraph', null, [schema.nodes.image.create(attrs)])]));
    assert.equal(text, markdown + '\n');
    assert.equal(written(text), text);
    const image = parseMarkdown(text).firstChild.firstChild;
    const parts = figureParts(image.attrs.src, image.attrs.title);
    assert.deepEqual([parts.caption, parts.credit, image.attrs.alt || ''], [caption, credit, alt]);
  }
});
