// The image plugin's bookkeeping, without a browser (editor/src/images.js): images held from
// pasted HTML are let go whatever becomes of the paste, and typing does not walk the document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EditorState } from 'prosemirror-state';
import { Node } from 'prosemirror-model';
import { parseMarkdown } from '../../editor/src/markdown.js';
import { ImageUploads, holdPastedImage, heldPastedImages } from '../../editor/src/images.js';

const picture = () => new File([new Uint8Array([137, 80, 78, 71])], 'pasted-image.png', { type: 'image/png' });

function longBody() {
  let text = '';
  for (let i = 0; i < 500; i++) {
    text += `${'word '.repeat(20)}*em* **strong**.\n\n`;
    if (i % 10 === 0) text += `![Alt ${i}](/uploads/media/a${i}.jpg#wide "Caption | Credit")\n\n`;
  }
  return parseMarkdown(text);
}

test('a paste the file handler takes lets go of the images its HTML held', () => {
  holdPastedImage(picture(), 'pasted');
  assert.equal(heldPastedImages(), 1);
  const started = [];
  const uploads = { view: { state: { selection: { from: 1 } } }, startAll: (files) => started.push(...files) };
  // The clipboard of a copied picture: HTML with the image and no text.
  globalThis.DOMParser ??= class { parseFromString() { return { body: { textContent: '' } }; } };
  const event = {
    clipboardData: { files: [picture()], getData: () => '<img src="data:image/png;base64,iVBO">' },
    preventDefault() {},
  };
  assert.equal(ImageUploads.prototype.pasteFiles.call(uploads, event), true);
  assert.equal(started.length, 1);
  assert.equal(heldPastedImages(), 0);
});

test('images held for a paste that did not place them are let go at the next change', () => {
  let state = EditorState.create({ doc: parseMarkdown('Some text.\n'), plugins: [ImageUploads.plugin(() => null)] });
  holdPastedImage(picture(), 'never placed');
  state = state.applyTransaction(state.tr.insertText('x', 1)).state;
  assert.equal(heldPastedImages(), 0);
  assert.equal(state.doc.textContent, 'xSome text.');
});

test('typing in a long body with figures does not walk the document', () => {
  let state = EditorState.create({ doc: longBody(), plugins: [ImageUploads.plugin(() => null)] });
  const walk = Node.prototype.descendants;
  let walks = 0;
  Node.prototype.descendants = function (...args) {
    walks++;
    return walk.apply(this, args);
  };
  try {
    for (let i = 0; i < 50; i++) state = state.applyTransaction(state.tr.insertText('x', 5)).state;
  } finally {
    Node.prototype.descendants = walk;
  }
  assert.equal(walks, 0);
});
