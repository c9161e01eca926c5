// Browser tests of the editorial desk: Playwright (npm playwright-core) driving Debian's
// chromium against the real binary on a free port. Run by CTest through `node --test`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { EDITOR, OWNER, WRITER, startSite, run, axeViolations } from './harness.mjs';

let site, dir, base, browser;

// CRC-32 as PNG chunks need it (node:zlib has no crc32 before Node 20.15).
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// A solid-colour PNG, as a photographer's upload stand-in.
function png(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x5a)]);
  const pixels = deflateSync(Buffer.concat(Array(height).fill(row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
                        chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

before(async () => {
  // Every client here is 127.0.0.1: the per-client comment and search limits are for readers.
  site = await startSite({
    name: 'desk', demo: true, users: [EDITOR, OWNER, WRITER],
    env: { BROADSHEET_COMMENTS_PER_MINUTE: '0', BROADSHEET_COMMENTS_PER_HOUR: '0',
           BROADSHEET_SEARCHES_PER_MINUTE: '0' },
  });
  ({ dir, base, browser } = site);
});

after(() => site?.stop());

async function signIn(email, { bypassCSP = true } = {}) {
  // bypassCSP lets the test inject axe-core; the site's own pages never need it.
  const page = await site.newPage({ bypassCSP });
  await page.goto(base + '/admin/');
  assert.match(page.url(), /\/admin\/login/);
  return await site.signIn(page, email);
}

// Types Markdown into the body as a writer who prefers it would: through the editor's Markdown
// view (the formatted editor's own behaviour is tested in editor.test.mjs).
async function fillBody(page, markdown) {
  await page.waitForLoadState();  // the editor mounts before the page's load event
  const source = page.getByRole('button', { name: 'Markdown', exact: true });
  if ((await source.count()) > 0 && (await source.getAttribute('aria-pressed')) !== 'true') {
    await source.click();
  }
  await page.fill('#body', markdown);
}

test('an editor writes an article with an image, previews, schedules and publishes it', async () => {
  const page = await signIn('editor@example.org');
  await page.click('text=New post');
  await page.fill('#title', 'Sanctions That Bite Back');
  await page.fill('#dek', 'Why the latest measures may hurt their authors most.');
  await fillBody(page, 'The first paragraph, with *emphasis*.\n\n![A chart of trade flows](/uploads/images/tariff-chart.svg)\n');
  await page.selectOption('#section', 'economy');
  // The author and tag pickers (pickers.test.mjs tests them in full).
  await page.fill('#authors-search', 'hana');
  await page.press('#authors-search', 'Enter');
  await page.fill('#tags-search', 'Sanctions, Trade,');
  assert.equal(await page.locator('#authors').inputValue(), 'hana-sato');
  assert.equal(await page.locator('#tags').inputValue(), 'Sanctions, Trade');
  const photo = join(dir, 'harbour.png');
  writeFileSync(photo, png(1800, 900));
  await page.setInputFiles('#image_file', photo);
  await page.fill('#image_alt', 'Two lines on a price chart');
  await page.fill('#image_credit', 'Chart by The Meridian Review');
  // The preview beside the text is the article as readers will see it, the chosen photo
  // included, and nothing is saved or uploaded for it.
  const mediaBefore = await page.context().request.get(base + '/admin/media');
  await page.click('button[value=preview]');
  const preview = page.frameLocator('.editor-preview-frame');
  await preview.locator('em', { hasText: 'emphasis' }).waitFor({ state: 'attached' });
  assert.equal(await preview.locator('h1').innerText(), 'Sanctions That Bite Back');
  assert.match(await preview.locator('.featured-image img').getAttribute('src'), /^data:image\/png;base64,/);
  assert.match(await preview.locator('body').innerText(), /Chart by The Meridian Review/);
  assert.equal(await page.getByRole('button', { name: 'Close preview' }).getAttribute('aria-expanded'), 'true');
  const mediaAfter = await page.context().request.get(base + '/admin/media');
  assert.equal((await mediaAfter.text()).match(/<img /g)?.length, (await mediaBefore.text()).match(/<img /g)?.length);
  await page.click('button[value=save]');
  await page.waitForURL(/\/admin\/posts\/\d+\?saved=save/);
  assert.match(await page.locator('.notice').innerText(), /Saved/);

  // Schedule it a day ahead: it stays off the site.
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 16);
  await page.fill('#date', tomorrow);
  await page.click('button[value=schedule]');
  await page.waitForURL(/saved=schedule/);
  assert.equal(await page.locator('.desk-heading .status').innerText(), 'Scheduled');
  const hidden = await page.context().request.get(base + '/sanctions-that-bite-back/');
  assert.equal(hidden.status(), 404);

  // Publish now instead.
  await page.fill('#date', '');
  await page.click('button[value=publish]');
  await page.waitForURL(/saved=publish/);
  await page.click('text=View on the site');
  await page.waitForURL(base + '/sanctions-that-bite-back/');
  assert.equal(await page.locator('h1').innerText(), 'Sanctions That Bite Back');
  assert.equal(await page.locator('.featured-image img').getAttribute('alt'), 'Two lines on a price chart');
  assert.match(await page.locator('.featured-image source').getAttribute('srcset'), /-480\.webp 480w/);
  assert.equal(await page.locator('.featured-image img').evaluate((img) => img.complete && img.naturalWidth > 0), true);
  assert.equal(await page.locator('.section-label a').first().innerText(), 'ECONOMY AND TRADE');
  await page.context().close();
});

test('the editor previews live and autosaves drafts', async () => {
  const page = await signIn('editor@example.org');
  await page.goto(base + '/admin/posts/new');
  await page.fill('#title', 'Autosaved Thoughts');
  await page.click('button[value=preview]');
  await fillBody(page, 'A *live* preview.');
  const preview = page.frameLocator('.editor-preview-frame');
  // (attached: Chromium lays out an offscreen sandboxed frame only once it is on screen.)
  await preview.locator('em', { hasText: 'live' }).waitFor({ state: 'attached' });
  await page.locator('.editor-preview-frame').scrollIntoViewIfNeeded();
  assert.equal(await preview.locator('em').innerText(), 'live');
  // The frame shows the body as the article does: the theme's stylesheet applies inside it.
  assert.notEqual(await preview.locator('.article').evaluate((el) => getComputedStyle(el).maxWidth), 'none');
  // A new post's first autosave (leaving the body) creates its draft, at its own address.
  await page.click('#title');
  await page.locator('.editor-status', { hasText: 'Draft saved' }).waitFor();
  await page.waitForURL(/\/admin\/posts\/\d+$/);
  // Back up to the buttons first: Chromium lays the frame out as it comes into view, and the
  // page shifts under a click aimed while scrolling.
  await page.locator('button[value=save]').scrollIntoViewIfNeeded();
  await page.click('button[value=save]');
  await page.waitForURL(/saved=save/);
  const editUrl = page.url().split('?')[0];
  await fillBody(page, 'Words written after the last save.');
  await page.click('#title');  // leaving the body saves the draft
  await page.locator('.editor-status', { hasText: 'Draft saved' }).waitFor();
  // A fresh load shows the autosaved text, and a normal save still works (no false conflict).
  await page.goto(editUrl);
  assert.equal(await page.inputValue('#body'), 'Words written after the last save.');
  await page.click('button[value=save]');
  await page.waitForURL(/saved=save/);
  await page.context().close();
});

test('a preview refused as too frequent (429) keeps the last one and comes back after Retry-After', async () => {
  const page = await signIn('editor@example.org');
  await page.goto(base + '/admin/posts/new');
  await page.fill('#title', 'Previewed Often');
  await page.click('button[value=preview]');
  await fillBody(page, 'A *first* preview.');
  const preview = page.frameLocator('.editor-preview-frame');
  await preview.locator('em', { hasText: 'first' }).waitFor({ state: 'attached' });
  // The server turns the next preview away, as past [desk] previews_per_minute, then takes them.
  let refused = 0;
  await page.route('**/admin/preview', async (route) => {
    if (refused++ === 0) {
      await route.fulfill({ status: 429, headers: { 'Retry-After': '2' }, contentType: 'text/html',
                            body: '<!doctype html><p>Too many previews.</p>' });
    } else {
      await route.continue();
    }
  });
  await fillBody(page, 'A *second* preview.');
  const note = page.locator('.preview-note');
  await note.filter({ hasText: '2 seconds' }).waitFor();
  // The last preview stays, not the refusal.
  assert.equal(await preview.locator('em').innerText(), 'first');
  assert.equal(await preview.getByText('Too many previews.').count(), 0);
  // Asked again after the wait, without another keystroke.
  await preview.locator('em', { hasText: 'second' }).waitFor({ state: 'attached', timeout: 10000 });
  assert.ok(refused >= 2);
  assert.equal(await note.innerText(), '');
  await page.context().close();
});

// Issue 13, item 4: a contributor's draft carrying form controls aimed at the owner's desk.
test("the owner clicking inside a hostile draft's preview changes nothing", async () => {
  const owner = await signIn('owner@example.org', { bypassCSP: false });
  await owner.goto(base + '/admin/users');
  const writerRow = owner.locator('tr', { hasText: 'writer@example.org' });
  const usersAction = await writerRow.locator('form').first().getAttribute('action');
  assert.match(usersAction, /^\/admin\/users\/\d+$/);

  const writer = await signIn('writer@example.org');
  await writer.goto(base + '/admin/posts/new');
  await writer.fill('#title', 'Please Approve');
  await fillBody(writer, 'Nothing to see.\n\n<input type=hidden name=do value=role>' +
    '<input type=hidden name=role value=administrator>' +
    `<button formaction="${usersAction}" formmethod=post>Approve and publish</button>` +
    `<form method=post action="${usersAction}"><input type=hidden name=do value=role>` +
    '<input type=hidden name=role value=administrator><button id=inner>Also approve</button></form>\n');
  await writer.click('button[value=save]');
  await writer.waitForURL(/saved=save/);
  const draftUrl = writer.url().split('?')[0];
  await writer.context().close();

  const requests = [];
  owner.on('request', (request) => requests.push(request.method() + ' ' + request.url()));
  await owner.goto(draftUrl);
  await owner.click('button[value=preview]');
  const preview = owner.frameLocator('.editor-preview-frame');
  // (attached, not visible: Chromium may leave a sandboxed srcdoc frame unlaid-out for
  // Playwright, so the clicks below are dispatched click events: they run the buttons'
  // activation behaviour, which is what the sandbox must stop.)
  await preview.getByText('Approve and publish').waitFor({ state: 'attached' });
  // The allowlist filter took the controls out (their words stay), and nothing of the draft is
  // part of the editor's own page.
  assert.equal(await preview.locator('.article-body :is(button, input, form)').count(), 0);
  assert.equal(await owner.locator('form button', { hasText: 'Approve' }).count(), 0);
  // The frame grants nothing: no scripts, forms, popups, navigation or same origin.
  assert.equal(await owner.locator('.editor-preview-frame').getAttribute('sandbox'), '');
  await preview.getByText('Approve and publish').dispatchEvent('click');
  await preview.getByText('Also approve').dispatchEvent('click');
  await owner.waitForTimeout(1000);
  assert.equal(owner.url(), draftUrl);
  assert.deepEqual(requests.filter((line) => line.includes('/admin/users')), []);
  assert.deepEqual(requests.filter((line) => line.startsWith('POST') && !line.endsWith('/admin/preview')), []);
  await owner.goto(base + '/admin/users');
  assert.match(await owner.locator('tr', { hasText: 'writer@example.org' }).innerText(), /contributor/);
  await owner.context().close();
});

test("a contributor's attempt to publish is refused", async () => {
  const page = await signIn('writer@example.org');
  await page.goto(base + '/admin/posts/new');
  assert.equal(await page.locator('button[value=publish]').count(), 0);
  await page.fill('#title', 'A Contributor Tries');
  await fillBody(page, 'Words.');
  // Forge the missing button, as a determined contributor might.
  await page.evaluate(() => {
    const button = document.createElement('button');
    button.name = 'do';
    button.value = 'publish';
    button.id = 'forged';
    document.querySelector('form.editor .editor-actions').appendChild(button);
  });
  // The save's answer, not the live preview's (which may still be on its way).
  // (Leaving the body may have created the draft already, at /admin/posts/ID, by autosave.)
  const saved = (r) => r.request().method() === 'POST' &&
    /^\/admin\/posts(\/\d+)?$/.test(new URL(r.url()).pathname) &&
    !(r.request().postData() || '').includes('do=autosave');
  const [response] = await Promise.all([page.waitForResponse(saved), page.click('#forged')]);
  assert.equal(response.status(), 403);
  assert.match(await page.locator('.error').innerText(), /does not allow publishing/);
  assert.equal(await page.inputValue('#title'), 'A Contributor Tries');
  const site = await page.context().request.get(base + '/a-contributor-tries/');
  assert.equal(site.status(), 404);
  await page.click('button[value=submit]');
  await page.waitForURL(/saved=submit/);
  await page.context().close();
});

test('hostile comments are inert in chromium: no script runs', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const payloads = ['<script>alert(1)</script>', '<img src=x onerror=alert(2)>', '[x](javascript:alert(3))',
                    '"><svg onload=alert(4)>', '<iframe src="javascript:alert(5)"></iframe>',
                    '<a href="jav&#x09;ascript:alert(6)">x</a>', '`<script>alert(7)</script>`'];
  const article = base + '/deterrence-on-the-peninsula/';
  for (const payload of payloads) {
    const response = await context.request.post(article + 'comments', {
      form: { name: payload.slice(0, 90), email: 'xss@example.org', website: 'javascript:alert(8)', body: payload, parent: '0' },
      maxRedirects: 0,
    });
    assert.equal(response.status(), 303);
  }
  // Approve them all through the desk, as an editor would.
  const editor = await signIn('editor@example.org');
  await editor.goto(base + '/admin/comments?status=pending');
  for (const box of await editor.locator('input[name=ids]').all()) await box.check();
  await editor.selectOption('#bulk-action', 'approve');
  await editor.click('button[value=bulk]');
  await editor.waitForURL(/changed=/);
  await editor.context().close();
  await page.goto(article);
  await page.locator('.comment-list').waitFor();
  assert.equal(await page.locator('.comment').count(), payloads.length);
  await page.waitForTimeout(500);
  assert.deepEqual(dialogs, []);
  assert.equal(await page.evaluate(() => document.querySelectorAll('.comment-list script, .comment-list iframe, .comment-list svg').length), 0);
  await context.close();
});

test('replies open inline and the form carries a fresh token from the server', async () => {
  const site = join(dir, 'site');
  const article = base + '/the-quiet-debt-crisis-in-middle-income-countries/';
  const context = await browser.newContext({ bypassCSP: true });
  const first = await context.request.post(article + 'comments', {
    form: { name: 'Ola Reader', email: 'ola@example.org', body: 'A first point to answer.', parent: '0' },
    maxRedirects: 0,
  });
  assert.equal(first.status(), 303);  // no token: held for a moderator
  const id = run(['comments', 'list', '--status', 'pending', '--site', site])
    .split('\n').find((line) => line.includes('A first point to answer.')).split('\t')[0];
  run(['comments', 'approve', id, '--site', site]);

  const page = await context.newPage();
  await page.goto(article);
  await page.waitForFunction(() => document.querySelector('#respond input[name=token]').value !== '');
  await page.click(`#comment-${id} [data-reply-to]`);
  assert.equal(await page.locator(`#comment-${id} #respond`).count(), 1);
  assert.equal(await page.inputValue('#respond input[name=parent]'), id);
  assert.match(await page.textContent('.comment-replying'), /Replying to Ola Reader\./);
  await page.click('[data-cancel-reply]');
  assert.equal(await page.locator(`#comment-${id} #respond`).count(), 0);
  assert.equal(await page.inputValue('#respond input[name=parent]'), '0');
  assert.equal(await page.locator('.comment-replying').isHidden(), true);
  assert.deepEqual(await axeViolations(page), [], 'article with its comment form');
  const newsletter = await context.newPage();
  await newsletter.goto(base + '/newsletter');
  assert.deepEqual(await axeViolations(newsletter), [], 'the newsletter page');
  await newsletter.close();

  await page.click(`#comment-${id} [data-reply-to]`);
  await page.fill('#comment-body', 'And here is the answer.');
  await page.fill('#comment-name', 'Ola Reader');
  await page.fill('#comment-email', 'ola@example.org');  // approved before: published at once
  await page.waitForTimeout(3200);  // people take a few seconds; the token makes sure of it
  await page.click('#respond button[type=submit]');
  await page.waitForURL(/#comment-\d+$/);
  const reply = page.url().split('#')[1];
  assert.match(await page.getAttribute('#' + reply, 'class'), /comment--depth-1/);
  await context.close();
});

test('axe-core finds no violations on the dashboard, the posts list and the editor', async () => {
  const page = await signIn('editor@example.org');
  for (const path of ['/admin/', '/admin/posts', '/admin/posts/new', '/admin/newsletter', '/admin/login']) {
    await page.goto(base + path);
    assert.deepEqual(await axeViolations(page), [], path);
  }
  await page.goto(base + '/admin/posts');
  await page.click('table a >> nth=0');
  assert.deepEqual(await axeViolations(page), [], 'editor of an existing post');
  await page.context().close();
});

test('axe-core finds no violations on the home, article, section, author, search and archive pages', async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  for (const path of ['/', '/deterrence-on-the-peninsula/', '/section/security/', '/author/daniel-reyes/',
                      '/search?q=deterrence', '/search?q=%22unbalanced', '/2026/']) {
    await page.goto(base + path);
    assert.deepEqual(await axeViolations(page), [], path);
  }
  // The search box in the header takes a reader to ranked, highlighted results.
  await page.goto(base + '/');
  await page.fill('#site-search-q', 'deterrence');
  await page.press('#site-search-q', 'Enter');
  await page.waitForURL(/\/search\?q=deterrence/);
  assert.match(await page.textContent('.search-summary'), /result/);
  assert.ok(await page.locator('.search-result mark').count() > 0);
  await context.close();
});

// Last: it changes how every public page looks.
test('a logo, an accent colour and a menu set in Settings reach the public pages under their CSP', async () => {
  const page = await signIn('owner@example.org');
  await page.goto(base + '/admin/settings');
  await page.setInputFiles('#logo_file', { name: 'masthead.png', mimeType: 'image/png', buffer: png(400, 100) });
  await page.fill('#accent_color', '#0a6e3c');
  await page.selectOption('#nav-item-1', 'link');
  await page.fill('#nav-url-1', 'https://shop.example/');
  await page.fill('#nav-label-1', 'Shop');
  await page.click('button:text("Save settings") >> nth=0');
  await page.waitForURL(/done=1/);
  // A reader's browser, with the site's own policy in force.
  const reader = await browser.newContext();
  const home = await reader.newPage();
  const refused = [];
  home.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) refused.push(message.text()); });
  await home.goto(base + '/');
  assert.equal(await home.getAttribute('.site-logo', 'alt'),
               await home.getAttribute('meta[property="og:site_name"]', 'content'));
  assert.ok(await home.evaluate(() => document.querySelector('.site-logo').naturalWidth > 0), 'the logo loads');
  assert.equal(await home.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()), '#0a6e3c');
  assert.equal(await home.textContent('.site-nav a'), 'Shop');
  assert.deepEqual(refused, []);
  await reader.close();
  await page.goto(base + '/');
  assert.deepEqual(await axeViolations(page), [], 'home with a logo and a menu');
  await page.context().close();
});
