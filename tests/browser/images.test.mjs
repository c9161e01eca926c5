// Images in the body (issue 15, items 2 and 3), in chromium against the real binary: a file
// dropped or pasted on the writing surface, and an image carried in pasted HTML, go to the media
// library after the alt-text dialog and come back as a figure with its caption and credit; the
// saved article renders it with srcset, and a 4000-pixel-wide image keeps to its column.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EDITOR, startSite, errorsOf, axeViolations } from './harness.mjs';

let site, base, browser;

before(async () => {
  site = await startSite({ name: 'images', demo: true, users: [EDITOR] });
  ({ base, browser } = site);
});

after(() => site?.stop());

async function signIn(viewport = { width: 1366, height: 900 }) {
  const page = await site.newPage({ viewport });
  page.errors = errorsOf(page);
  return await site.signIn(page, EDITOR.email);
}

// A byline (an article is published with one), set in the form's own field: on a phone the
// author picker is folded away with the post's other details (pickers.test.mjs tests it).
async function chooseAuthor(page) {
  await page.locator('#authors').evaluate((field) => { field.value = 'hana-sato'; });
}

async function newPost(page, title, text) {
  await site.newPost(page, title, text);
}

// A PNG of `width` × `height` drawn in the page, as a File (for DataTransfer).
const makeFile = `async (width, height, name) => {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  context.fillStyle = '#3a6ea5';
  context.fillRect(0, 0, width, height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  return new File([blob], name, { type: 'image/png' });
}`;

async function drop(page, width, height, name) {
  await page.evaluate(async ({ makeFile, width, height, name }) => {
    const file = await eval(makeFile)(width, height, name);
    const data = new DataTransfer();
    data.items.add(file);
    const target = document.querySelector('.writing-text');
    const box = target.querySelector('p').getBoundingClientRect();
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: data, clientX: box.right - 2,
      clientY: box.top + box.height / 2, bubbles: true, cancelable: true }));
  }, { makeFile, width, height, name });
}

async function describe(page, { alt, caption = '', credit = '', layout = '' }) {
  const dialog = page.getByRole('dialog', { name: 'Add an image' });
  await dialog.waitFor();
  await dialog.getByLabel(/^Alt text/).fill(alt);
  await dialog.getByLabel('Caption').fill(caption);
  await dialog.getByLabel('Credit').fill(credit);
  if (layout) await dialog.getByLabel('Layout').selectOption(layout);
  await dialog.getByRole('button', { name: 'Add' }).click();
}

test('a dropped image is uploaded after the alt-text prompt and placed as a figure', async () => {
  const page = await signIn();
  await newPost(page, 'A Dropped Figure', 'The words before the picture.');
  await drop(page, 1200, 600, 'harbour.png');
  const dialog = page.getByRole('dialog', { name: 'Add an image' });
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /harbour\.png/);
  // Alt text is required unless the image is marked decorative.
  await dialog.getByRole('button', { name: 'Add' }).click();
  assert.match(await dialog.getByRole('alert').innerText(), /alt text/);
  // The writer's text is there under the dialog, with the upload's place marked.
  assert.match(await page.locator('.writing-upload').innerText(), /Uploading harbour\.png/);
  await describe(page, { alt: 'Cranes over the harbour', caption: 'The harbour at dawn',
                         credit: 'Photo: Ada Obi', layout: 'wide' });
  const figure = page.locator('.writing-figure.alignwide');
  await figure.waitFor();
  assert.equal(await figure.locator('img').getAttribute('alt'), 'Cranes over the harbour');
  assert.equal(await figure.locator('.writing-figcaption').innerText(), 'The harbour at dawn Photo: Ada Obi');
  assert.equal(await figure.locator('.credit').innerText(), 'Photo: Ada Obi');
  const markdown = await page.locator('#body').inputValue();
  assert.match(markdown, /^The words before the picture\.\n\n!\[Cranes over the harbour\]\(\/uploads\/media\/\d{4}\/\d{2}\/[a-z0-9_-]+-harbour\.png#wide "The harbour at dawn \| Photo: Ada Obi"\)\n$/);
  assert.match(await page.locator('.writing-status').innerText(), /added/);

  // Changed later: a double-click opens the same dialog for alt, caption and layout.
  await figure.locator('img').dblclick();
  const edit = page.getByRole('dialog', { name: 'Image' });
  await edit.waitFor();
  assert.equal(await edit.getByLabel('Caption').inputValue(), 'The harbour at dawn');
  await edit.getByLabel('Caption').fill('The harbour at noon');
  await edit.getByLabel('Layout').selectOption('');
  await edit.getByRole('button', { name: 'Apply' }).click();
  await page.locator('.writing-figcaption', { hasText: 'noon' }).waitFor();
  assert.match(await page.locator('#body').inputValue(), /-harbour\.png "The harbour at noon \| Photo: Ada Obi"\)/);

  // Published (with a byline: an article needs one), the article shows the figure with srcset,
  // its caption and its credit.
  await chooseAuthor(page);
  await page.click('button[value=publish]');
  await page.waitForURL(/saved=publish/);
  await page.goto(base + '/a-dropped-figure/');
  const published = page.locator('.article-body figure');
  assert.match(await published.locator('source[type="image/webp"]').getAttribute('srcset'), /-480\.webp 480w, .*-960\.webp 960w/);
  assert.match(await published.locator('img').getAttribute('srcset'), /-480\.png 480w/);
  assert.equal(await published.locator('img').getAttribute('loading'), 'lazy');
  assert.equal(await published.locator('img').getAttribute('width'), '1200');
  assert.equal(await published.locator('figcaption .caption').innerText(), 'The harbour at noon');
  assert.equal(await published.locator('figcaption .credit').innerText(), 'Photo: Ada Obi');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a pasted image file and an image in pasted HTML are uploaded; other images say why not', async () => {
  const page = await signIn();
  await newPost(page, 'Pasted Pictures', 'Lead paragraph.');
  await page.evaluate(async ({ makeFile }) => {
    const data = new DataTransfer();
    data.items.add(await eval(makeFile)(600, 300, 'screenshot.png'));
    document.querySelector('.writing-text').dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, { makeFile });
  await describe(page, { alt: 'A screenshot of the chart', credit: 'Ministry data' });
  await page.locator('.writing-figure img[alt="A screenshot of the chart"]').waitFor();

  // HTML as Google Docs or a web page gives it: an image inside, its alt text carried along.
  const dataUrl = await page.evaluate(async ({ makeFile }) => {
    const file = await eval(makeFile)(400, 200, 'x.png');
    return await new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.readAsDataURL(file);
    });
  }, { makeFile });
  await page.keyboard.press('Control+End');
  await page.evaluate((html) => {
    const data = new DataTransfer();
    data.setData('text/html', html);
    data.setData('text/plain', 'x');
    document.querySelector('.writing-text').dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, `<p>Pasted words.</p><p><img src="${dataUrl}" alt="Pasted alt"></p>` +
     '<p><img src="file:///C:/Users/me/photo.jpg" alt="Local"></p>' +
     '<p><img src="https://example.org/remote.png" alt="Remote"></p><p>After.</p>');
  const dialog = page.getByRole('dialog', { name: 'Add an image' });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel(/^Alt text/).inputValue(), 'Pasted alt');
  assert.match(await page.locator('.writing-status').innerText(), /could not be kept/);
  assert.match(await page.locator('.writing-status').innerText(), /site they came from/);
  await dialog.getByRole('button', { name: 'Add' }).click();
  await page.locator('.writing-figure img[alt="Pasted alt"]').waitFor();
  const markdown = await page.locator('#body').inputValue();
  assert.match(markdown, /!\[A screenshot of the chart\]\(\/uploads\/media\/[^ )]+-screenshot\.png " \| Ministry data"\)/);
  assert.match(markdown, /Pasted words\.\n\n!\[Pasted alt\]\(\/uploads\/media\/[^ )]+-pasted-image\.png\)\n/);
  assert.match(markdown, /!\[Remote\]\(https:\/\/example\.org\/remote\.png\)/);
  assert.doesNotMatch(markdown, /data:|file:|broadsheet-upload/);
  assert.match(markdown, /After\./);
  // A failed upload leaves the text as it is and says why.
  await page.route('**/admin/media.json', (route) => route.fulfill({
    status: 503, contentType: 'application/json', body: '{"error":"Another image is being processed."}' }));
  await drop(page, 300, 150, 'late.png');
  await describe(page, { alt: 'Late' });
  await page.locator('.writing-status', { hasText: 'late.png was not added' }).waitFor();
  assert.equal(await page.locator('.writing-upload').count(), 0);
  assert.equal(await page.locator('#body').inputValue(), markdown);
  await page.context().close();
});

test('a 4000-pixel image keeps to its column in the editor, the preview and the article', async () => {
  for (const viewport of [{ width: 1366, height: 900 }, { width: 390, height: 844 }]) {
    const page = await signIn(viewport);
    const title = `Wide Photo ${viewport.width}`;
    await newPost(page, title, 'A paragraph before a very large photograph.');
    await drop(page, 4000, 1000, 'panorama.png');
    await describe(page, { alt: 'A panorama', caption: 'The whole valley', credit: 'Photo: Desk' });
    await page.locator('.writing-figure img').waitFor();
    await page.locator('.writing-figure img').evaluate((img) => img.decode());
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.equal(await fits(), true, `editor at ${viewport.width}`);
    // The preview shows the figure as the article will, inside its frame's width.
    await page.click('button[value=preview]');
    const frame = page.frameLocator('.editor-preview-frame');
    await frame.locator('figure img[alt="A panorama"]').waitFor({ state: 'attached' });
    // The preview may load again meanwhile (a save after the upload): decode in the one shown.
    for (let tries = 0; ; ++tries) {
      try {
        await frame.locator('figure img').evaluate((img) => img.decode());
        break;
      } catch (error) {
        if (tries >= 5 || !/context was destroyed|detached/i.test(error.message)) throw error;
        await frame.locator('figure img[alt="A panorama"]').waitFor({ state: 'attached' });
      }
    }
    assert.equal(await frame.locator('html').evaluate((html) => html.scrollWidth <= html.clientWidth), true,
                 `preview at ${viewport.width}`);
    assert.match(await frame.locator('figcaption').innerText(), /The whole valley\s+Photo: Desk/);
    assert.equal(await fits(), true, `editor with its preview at ${viewport.width}`);
    await chooseAuthor(page);
    await page.click('button[value=publish]');
    await page.waitForURL(/saved=publish/);
    await page.goto(`${base}/wide-photo-${viewport.width}/`);
    await page.locator('.article-body figure img').evaluate((img) => img.decode());
    assert.equal(await fits(), true, `article at ${viewport.width}`);
    const box = await page.locator('.article-body figure img').boundingBox();
    assert.ok(box.width <= viewport.width, `image ${box.width} wide at ${viewport.width}`);
    await page.context().close();
  }
});

test('the toolbar\'s Image button places an image from the media library, and the dialog passes axe', async () => {
  const context = await browser.newContext({ bypassCSP: true });  // to inject axe-core
  const page = await site.signIn(await context.newPage(), 'editor@example.org');
  // An image in the library (an earlier test uploaded "Cranes over the harbour" with its credit).
  await newPost(page, 'From The Library', 'Text first.');
  await page.getByRole('button', { name: 'Image', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Add an image' });
  await dialog.waitFor();
  assert.deepEqual(await axeViolations(page), []);
  // Nothing chosen: the dialog says what is missing.
  await dialog.getByRole('button', { name: 'Add' }).click();
  assert.match(await dialog.getByRole('alert').innerText(), /Choose an image/);
  await dialog.getByRole('button', { name: /Cranes over the harbour/ }).first().click();
  assert.equal(await dialog.getByLabel('Credit').inputValue(), 'Photo: Ada Obi');
  await dialog.getByLabel('Layout').selectOption('right');
  await dialog.getByRole('button', { name: 'Add' }).click();
  await page.locator('.writing-figure.alignright').waitFor();
  assert.match(await page.locator('#body').inputValue(),
    /!\[Cranes over the harbour\]\(\/uploads\/media\/[^ )]+-harbour\.png#right "The harbour at dawn \| Photo: Ada Obi"\)/);
  await context.close();
});
