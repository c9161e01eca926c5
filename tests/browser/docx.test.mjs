// Browser tests of Word import (editor/src/docx.js): a .docx dropped on the editor of a new post
// becomes a draft with its headline, dek, headings, emphasis, link, list, quote, table and
// footnotes; one chosen with "Import a Word document" goes in at the cursor; a file that is not
// a Word document changes nothing and says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WRITER, startSite, errorsOf } from './harness.mjs';
import { articleDocx } from './docx-fixture.mjs';

let site, base, browser;

before(async () => {
  site = await startSite({ name: 'docx', users: [{ ...WRITER, role: 'author' }] });
  ({ base, browser } = site);
});

after(() => site?.stop());

async function signIn() {
  const page = await site.newPage();
  page.errors = errorsOf(page, { responses: true });
  return await site.signIn(page, WRITER.email);
}

// Drops `bytes` as a file named `name` on the editor's text, as a file manager would.
async function drop(page, name, bytes) {
  const target = page.locator('.writing-text');
  const box = await target.boundingBox();
  await target.evaluate((element, { name, base64, x, y }) => {
    const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], name, {
      type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }));
    for (const type of ['dragenter', 'dragover', 'drop']) {
      element.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true,
                                                   cancelable: true, clientX: x, clientY: y }));
    }
  }, { name, base64: Buffer.from(bytes).toString('base64'), x: box.x + 20, y: box.y + 10 });
}

const expectedBody = `## The numbers

Traffic fell by **a third** in *one month*.[^1]

See the [port authority data](https://example.org/port-data) for details.[^2]

### What changed

- Premiums rose
- Routes lengthened

In order:

1. Insurers withdrew[^3]
2. Owners followed

> We have never seen anything like it.

| Month | Ships |
| --- | --- |
| June | 412 |

[^1]: Lloyd's List, June figures.

[^2]: Published monthly.

[^3]: A note cited inside a numbered list.
`;

test('a Word document dropped on a new post becomes a draft with its structure', async () => {
  const page = await signIn();
  await page.goto(base + '/admin/posts/new');
  await drop(page, 'shipping.docx', await articleDocx());
  await page.locator('.writing-import [role=status]', { hasText: 'shipping.docx imported' }).waitFor();
  assert.equal(await page.inputValue('#title'), 'Shipping lanes under strain');
  assert.equal(await page.inputValue('#dek'), 'Why insurers are rerouting tankers');
  // The document's picture goes to the media library like a pasted one, after the image
  // dialog, which brings the alt text Word kept.
  const dialog = page.getByRole('dialog', { name: 'Add an image' });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel(/^Alt text/).inputValue(), 'A tanker at the Suez canal');
  await dialog.getByLabel('Caption').fill('A tanker waits');
  await dialog.getByRole('button', { name: 'Add' }).click();
  await page.locator('.writing-status', { hasText: 'added to the text' }).waitFor();
  const figure = /\n!\[A tanker at the Suez canal\]\(\/uploads\/[^ )]+\.png "A tanker waits"\)\n/;
  const body = await page.inputValue('#body');
  assert.match(body, figure);
  assert.equal(body.replace(figure, ''), expectedBody);
  // The import is saved as a draft at once, at its own address, and reads back the same.
  await page.waitForURL(/\/admin\/posts\/\d+$/);
  await page.click('#dek');  // leaving the text saves what the upload added
  await page.locator('.editor-status', { hasText: 'Draft saved' }).waitFor();
  await page.goto(page.url());
  assert.equal(await page.inputValue('#title'), 'Shipping lanes under strain');
  assert.equal(await page.inputValue('#body'), body);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a Word document chosen with the import button goes in at the cursor', async () => {
  const page = await signIn();
  await page.goto(base + '/admin/posts/new');
  await page.fill('#title', 'My own headline');
  await page.locator('.writing-text').click();
  await page.keyboard.type('My opening paragraph.');
  await page.keyboard.press('Enter');
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import a Word document' }).click();
  await (await chooser).setFiles({
    name: 'shipping.docx', buffer: await articleDocx(),
    mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' });
  await page.locator('.writing-import [role=status]', { hasText: 'shipping.docx imported' }).waitFor();
  // The writer declines the document's picture: the rest stays.
  const dialog = page.getByRole('dialog', { name: 'Add an image' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('.writing-status', { hasText: 'was not added' }).waitFor();
  // The headline the writer typed stays; the document's title is not forced on it.
  assert.equal(await page.inputValue('#title'), 'My own headline');
  assert.equal(await page.inputValue('#body'), 'My opening paragraph.\n\n' + expectedBody);
  await page.context().close();
});

test('a file that is not a Word document changes nothing and says so', async () => {
  const page = await signIn();
  await page.goto(base + '/admin/posts/new');
  await page.locator('.writing-text').click();
  await page.keyboard.type('Keep me.');
  await drop(page, 'notes.docx', Buffer.from('this is not a zip file'));
  await page.locator('.writing-import [role=status]', { hasText: 'could not be read' }).waitFor();
  assert.equal(await page.inputValue('#body'), 'Keep me.\n');
  await page.context().close();
});

test('the Markdown view offers no import, which would write over its text', async () => {
  const page = await signIn();
  await page.goto(base + '/admin/posts/new');
  const importer = page.getByRole('button', { name: 'Import a Word document' });
  assert.equal(await importer.isVisible(), true);
  await page.getByRole('button', { name: 'Markdown' }).click();
  assert.equal(await importer.isVisible(), false);
  await page.getByRole('button', { name: 'Markdown' }).click();
  assert.equal(await importer.isVisible(), true);
  await page.context().close();
});
