// Browser tests of Word import (editor/src/docx.js): a .docx dropped on the editor of a new post
// becomes a draft with its headline, dek, headings, emphasis, link, list, quote, table and
// footnotes; one chosen with "Import a Word document" goes in at the cursor; a file that is not
// a Word document changes nothing and says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WRITER, startSite, errorsOf, axeViolations } from './harness.mjs';
import { articleDocx } from './docx-fixture.mjs';

let site, base, browser;

before(async () => {
  site = await startSite({ name: 'docx', users: [{ ...WRITER, role: 'author' }] });
  ({ base, browser } = site);
});

after(() => site?.stop());

async function signIn({ bypassCSP = false } = {}) {
  const page = await site.newPage({ bypassCSP });
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
  // "Draft saved" may still be the import's own save's: wait until the server has the figure.
  for (let tries = 0; tries < 100; ++tries) {
    if ((await (await page.request.get(page.url())).text()).includes('A tanker waits')) break;
    await page.waitForTimeout(100);
  }
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

// Three pictures, one dialog: each with its thumbnail, alt text, caption and credit, one
// "Upload all"; the single-picture dialog never opens.
test('a Word document with three pictures asks once for all of them', async () => {
  const page = await signIn({ bypassCSP: true });  // to inject axe-core
  await page.goto(base + '/admin/posts/new');
  // A headline of its own (the document's is the first test's post's already).
  await page.fill('#title', 'Three pictures from Word');
  await drop(page, 'pictures.docx', await articleDocx({ pictures: 3 }));
  await page.locator('.writing-import [role=status]', { hasText: 'pictures.docx imported' }).waitFor();
  const dialog = page.getByRole('dialog', { name: 'Add 3 pictures' });
  await dialog.waitFor();
  assert.equal(await page.getByRole('dialog', { name: 'Add an image' }).isVisible(), false);
  await dialog.locator('img.writing-batch-thumb[src^="data:image/png"]').nth(2).waitFor();
  assert.equal(await dialog.getByLabel('Alt text for picture 1').inputValue(), 'A tanker at the Suez canal');
  assert.equal(await dialog.getByLabel('Alt text for picture 2').inputValue(), 'Picture 2 of the port');
  assert.deepEqual(await axeViolations(page), []);
  // Every picture needs alt text or to be marked decorative.
  await dialog.getByLabel('Alt text for picture 3').fill('');
  await dialog.getByRole('button', { name: 'Upload all' }).click();
  assert.match(await dialog.locator('[role=alert]').textContent(), /picture 3/);
  await dialog.getByLabel('Picture 3 is decorative (no alt text)').check();
  await dialog.getByLabel('Caption for picture 1').fill('A tanker waits');
  await dialog.getByLabel('Credit for picture 1').fill('Photo: AP');
  await dialog.getByLabel('Caption for picture 2').fill('Kyiv | Ukraine, 2024');
  await dialog.getByRole('button', { name: 'Upload all' }).click();
  await page.locator('.writing-status', { hasText: 'The 3 pictures were added' }).waitFor();
  const body = await page.inputValue('#body');
  const figures = [
    /\n!\[A tanker at the Suez canal\]\(\/uploads\/[^ )]+\.png "A tanker waits \| Photo: AP"\)\n/,
    /\n!\[Picture 2 of the port\]\(\/uploads\/[^ )]+\.png "Kyiv \\\\\| Ukraine, 2024"\)\n/,
    /\n!\[\]\(\/uploads\/[^ )]+\.png\)\n/,
  ];
  let rest = body;
  for (const figure of figures) {
    assert.match(rest, figure);
    rest = rest.replace(figure, '\n');
  }
  assert.equal(rest.replace(/\n+$/, '\n').replace(/\n{3,}/g, '\n\n'), expectedBody);
  // In the order of the document.
  assert.ok(body.indexOf('Suez') < body.indexOf('Picture 2') && body.indexOf('Picture 2') < body.lastIndexOf('![]'));
  assert.equal(await page.getByRole('dialog', { name: 'Add an image' }).isVisible(), false);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('cancelling the pictures\' dialog leaves them all out, and the text in', async () => {
  const page = await signIn();
  await page.goto(base + '/admin/posts/new');
  await drop(page, 'pictures.docx', await articleDocx({ pictures: 3 }));
  const dialog = page.getByRole('dialog', { name: 'Add 3 pictures' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('.writing-status', { hasText: 'The 3 pictures were not added' }).waitFor();
  assert.equal(await page.inputValue('#body'), expectedBody);
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
