// Embeds in a real browser (docs/html-policy.md, "Embeds"). A reader's page asks nothing of
// YouTube until the play button is pressed, then holds YouTube's player in a sandboxed frame
// (the network is closed here: the frame's element and address are what is checked). In the
// desk, a provider's address alone in a paragraph shows as an embed card, comes from the
// toolbar's Embed dialog or a paste, and is saved as the same Markdown line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EDITOR, startSite, errorsOf, axeViolations } from './harness.mjs';

const VIDEO = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ';
const POST = 'https://bsky.app/profile/someone.bsky.social/post/3kq2abcdefg2x';
let site, base, browser;

before(async () => {
  site = await startSite({
    name: 'embeds', users: [EDITOR],
    content: {
      'publication.yaml': 'title: The Embed Review\n',
      'posts/watch.md': '---\ntitle: Watch This\ndate: 2024-01-01T00:00:00Z\n---\n' +
                        `Before the video.\n\n${VIDEO}\n\n${POST}\n\nAfter it.\n`,
    },
  });
  ({ base, browser } = site);
});

after(() => site?.stop());

test('a YouTube facade loads nothing of YouTube until pressed, then holds its sandboxed player', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const foreign = [];
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === base || url.protocol === 'data:') return route.continue();
    foreign.push(route.request().url());
    return route.abort();
  });
  await page.goto(base + '/watch-this/');
  await page.waitForTimeout(500);
  assert.deepEqual(foreign, [], 'nothing asked of another host before a click');
  const facade = page.locator('figure.embed-youtube a.embed-play');
  assert.equal(await facade.getAttribute('href'), VIDEO);
  assert.match(await facade.textContent(), /Watch on YouTube/);
  assert.equal(await page.locator('.article-body iframe').count(), 0);
  assert.match(await page.locator('figure.embed-bluesky').textContent(), /View this post on Bluesky/);
  await facade.click();
  const frame = page.locator('figure.embed-youtube iframe');
  await frame.waitFor();
  assert.equal(await frame.getAttribute('src'), 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1');
  assert.equal(await frame.getAttribute('sandbox'), 'allow-scripts allow-same-origin allow-popups allow-presentation');
  assert.equal(await frame.getAttribute('title'), 'YouTube video');
  assert.equal(await page.locator('figure.embed-youtube a.embed-play').count(), 0);
  assert.equal(page.url(), base + '/watch-this/', 'the page stays');
  await page.waitForTimeout(300);
  assert.ok(foreign.some((url) => url.startsWith('https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ')), foreign.join(' '));
  assert.ok(foreign.every((url) => url.startsWith('https://www.youtube-nocookie.com/')), foreign.join(' '));
  assert.deepEqual(errors, []);
  await context.close();
});

test('axe finds nothing to fault in facades and cards', async () => {
  // bypassCSP lets the test inject axe-core; the page itself is tested under its policy above.
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
  await page.goto(base + '/watch-this/');
  assert.deepEqual(await axeViolations(page, '.article-body'), []);
  await context.close();
});

test('without JavaScript the facade is a link to the video', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
  await page.goto(base + '/watch-this/');
  const [request] = await Promise.all([
    page.waitForEvent('request', (r) => r.url().startsWith('https://www.youtube.com/')),
    page.click('figure.embed-youtube a.embed-play'),
  ]);
  assert.equal(request.url(), VIDEO);
  await context.close();
});

async function signIn() {
  const page = await site.newPage();
  page.errors = errorsOf(page);
  return await site.signIn(page, EDITOR.email);
}

test('in the desk a provider address shows as an embed card, from the toolbar or a paste, and saves as its line', async () => {
  const page = await signIn();
  await page.goto(base + '/admin/posts/new');
  await page.fill('#title', 'Embedded In The Desk');
  const surface = page.locator('.writing-text');
  await surface.click();
  await page.keyboard.type('First words.');
  await page.keyboard.press('Enter');
  // The toolbar's dialog refuses what is no provider's page, then embeds a video.
  await page.getByRole('button', { name: 'Embed a video, chart or post', exact: true }).click();
  const dialog = page.locator('dialog[aria-labelledby=writing-embed-title]');
  await dialog.locator('input').fill('https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ');
  await dialog.getByRole('button', { name: 'Embed', exact: true }).click();
  assert.equal(await dialog.locator('[role=alert]').isVisible(), true);
  await dialog.locator('input').fill(VIDEO);
  await dialog.getByRole('button', { name: 'Embed', exact: true }).click();
  const card = surface.locator('p.writing-embed[data-embed="YouTube"]');
  await card.waitFor();
  assert.equal(await card.textContent(), VIDEO);
  // A pasted address on the empty line after it becomes a card too.
  await page.evaluate((text) => {
    const data = new DataTransfer();
    data.setData('text/plain', text);
    document.querySelector('.writing-text').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, POST);
  await surface.locator('p.writing-embed[data-embed="Bluesky"]').waitFor();
  await page.keyboard.type('Last words.');
  const markdown = await page.locator('#body').inputValue();
  assert.equal(markdown, `First words.\n\n<${VIDEO}>\n\n<${POST}>\n\nLast words.\n`);
  // The Markdown reads back into the same cards, and writes the same text again.
  assert.equal(await page.evaluate((text) => window.broadsheetEditor.roundTrip(text), markdown), markdown);
  assert.equal(await page.evaluate((text) => window.broadsheetEditor.roundTrip(text), `${VIDEO}\n`), `<${VIDEO}>\n`);
  await page.click('button[name=do][value=save]');
  await page.waitForSelector('.notice');
  await surface.locator('p.writing-embed[data-embed="YouTube"]').waitFor();
  assert.equal(await surface.locator('p.writing-embed').count(), 2);
  assert.equal(await page.locator('#body').inputValue(), markdown);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// The preview beside the text runs nothing (an empty sandbox): a facade or a chart is shown as
// a box saying what it is, and nothing is asked of the provider.
test('the preview beside the text shows what each video and chart is, loading nothing', async () => {
  const page = await signIn();
  const asked = [];
  page.on('request', (request) => { if (!request.url().startsWith(base)) asked.push(request.url()); });
  await page.goto(base + '/admin/posts/new');
  await page.fill('#title', 'Previewed Embeds');
  await page.click('button[value=preview]');
  await page.locator('.writing-text').click();
  const embed = async (address) => {
    await page.getByRole('button', { name: 'Embed a video, chart or post', exact: true }).click();
    const dialog = page.locator('dialog[aria-labelledby=writing-embed-title]');
    await dialog.locator('input').fill(address);
    await dialog.getByRole('button', { name: 'Embed', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  };
  await embed(VIDEO);
  await embed('https://datawrapper.dwcdn.net/dxRQ7/3/');
  await embed(POST);
  const preview = page.frameLocator('.editor-preview-frame');
  const video = preview.locator('figure.embed-youtube.embed-stand-in');
  await video.waitFor({ state: 'attached' });
  assert.equal(await video.locator('.embed-provider').textContent(), 'YouTube');
  assert.equal(await video.locator('.embed-title').textContent(), 'YouTube video');
  assert.equal(await video.locator('a.embed-address').getAttribute('href'), VIDEO);
  const chart = preview.locator('figure.embed-datawrapper.embed-stand-in');
  await chart.waitFor({ state: 'attached' });
  assert.equal(await chart.locator('.embed-title').textContent(), 'Chart from Datawrapper');
  assert.match(await chart.locator('.embed-address').textContent(), /datawrapper\.dwcdn\.net\/dxRQ7\/3\//);
  // No frame, no player address; the post's card is as on the page.
  assert.equal(await preview.locator('iframe, [data-embed-src]').count(), 0);
  await preview.locator('figure.embed-bluesky.embed-card').waitFor({ state: 'attached' });
  // The box has the size the player will have.
  await page.locator('.editor-preview-frame').scrollIntoViewIfNeeded();
  const box = await video.locator('.embed-stand-in-box').boundingBox();
  assert.ok(box && box.width > 100 && Math.abs(box.width / box.height - 16 / 9) < 0.05, JSON.stringify(box));
  assert.deepEqual(asked, []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
