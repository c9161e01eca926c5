// Browser tests of the desk on a phone and on a laptop: every desk page fits the screen without
// sideways scrolling and passes axe-core at 390×844 and 1366×900, the desk menu collapses behind
// a button on a phone (and simply wraps without JavaScript), and the editor's publish bar stays
// on screen. Playwright (npm playwright-core) driving Debian's chromium against the real binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OWNER, startSite, axeViolations } from './harness.mjs';

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 900 };
let site, base, browser;

before(async () => {
  // The owner sees every desk page; the editor sees the editor's Publish buttons.
  site = await startSite({
    name: 'phone', demo: true, users: [OWNER],
    env: { BROADSHEET_COMMENTS_PER_MINUTE: '0', BROADSHEET_COMMENTS_PER_HOUR: '0' },
  });
  ({ base, browser } = site);
});

after(() => site?.stop());

async function signIn(viewport, { javaScriptEnabled = true } = {}) {
  // bypassCSP lets the test inject axe-core; the desk's own pages never need it.
  const page = await site.newPage({ viewport, bypassCSP: true, javaScriptEnabled });
  return await site.signIn(page, OWNER.email);
}

// How far the page itself scrolls sideways (0 when it fits), in CSS pixels.
async function overflow(page) {
  return await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

// Every page of the desk (src/admin/desk.cc's GET routes), including the ones whose address
// holds an id: an existing post, one of its revisions and a comment.
async function deskPages(page) {
  const paths = ['/admin/', '/admin/posts', '/admin/posts?status=trash', '/admin/posts/new',
                 '/admin/comments', '/admin/comments?status=approved', '/admin/subscribers',
                 '/admin/newsletter', '/admin/media', '/admin/sections', '/admin/redirects',
                 '/admin/users', '/admin/settings', '/admin/sessions', '/admin/two-factor',
                 '/admin/audit', '/admin/no-such-page'];
  // Two menu entries, so that Settings shows its rows with their move and remove buttons.
  for (const number of [1, 2]) {
    await page.goto(base + '/admin/settings');
    const option = await page.getAttribute(`#nav-item-${number} option[value^="section:"] >> nth=${number - 1}`, 'value');
    await page.selectOption(`#nav-item-${number}`, option);
    await page.click('button:text("Add entry")');
    await page.waitForURL(/done=1/);
  }
  assert.ok(await page.isVisible('button:text("Move entry 1 down")'));
  await page.goto(base + '/admin/posts');
  const post = await page.getAttribute('.desk-table a >> nth=0', 'href');
  paths.push(post);
  // A save makes the post's first revision.
  await page.goto(base + post);
  await page.click('button[value=save]');
  await page.waitForURL(/saved=save/);
  paths.push(await page.getAttribute('.revisions a >> nth=0', 'href'));
  // A reader's comment held for moderation, with an address too long for a phone's line.
  const held = await page.context().request.post(base + '/deterrence-on-the-peninsula/comments', {
    form: { name: 'Ola Reader', email: 'ola.' + 'reader'.repeat(8) + '@example.org',
            website: 'https://example.org/' + 'a-very-long-address-'.repeat(8), parent: '0',
            body: 'A point worth making, at https://example.org/' + 'x'.repeat(120) + ' too.' },
    maxRedirects: 0,
  });
  assert.equal(held.status(), 303);
  await page.goto(base + '/admin/comments?status=approved');
  paths.push(await page.getAttribute('a[href^="/admin/comments/"] >> nth=0', 'href'));
  return paths;
}

test('every desk page fits a phone and a laptop with no axe-core violations', async () => {
  const page = await signIn(PHONE);
  const paths = await deskPages(page);
  assert.ok(paths.some((path) => /\/revisions\/\d+$/.test(path)), 'a revision page is walked');
  assert.ok(paths.some((path) => /\/comments\/\d+$/.test(path)), 'a comment page is walked');
  const problems = [];
  for (const viewport of [PHONE, LAPTOP]) {
    await page.setViewportSize(viewport);
    for (const path of paths) {
      await page.goto(base + path);
      await page.waitForLoadState();
      const where = `${path} at ${viewport.width}×${viewport.height}`;
      const wider = await overflow(page);
      if (wider > 0) problems.push(`${where}: ${wider}px wider than the screen`);
      for (const violation of await axeViolations(page)) problems.push(`${where}: ${violation}`);
    }
  }
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('sign-in and password pages fit a phone with no axe-core violations', async () => {
  // An invitation's set-password link, from the users page (this site sends no mail).
  const owner = await signIn(PHONE);
  await owner.goto(base + '/admin/users');
  await owner.fill('#invite-name', 'Ines Invited');
  await owner.fill('#invite-email', 'ines@example.org');
  await owner.click('.invite button[type=submit]');
  const link = new URL(await owner.inputValue('#new-link'));
  await owner.context().close();

  const context = await browser.newContext({ viewport: PHONE, bypassCSP: true });
  const page = await context.newPage();
  for (const viewport of [PHONE, LAPTOP]) {
    await page.setViewportSize(viewport);
    for (const path of ['/admin/login', '/admin/reset', link.pathname]) {
      await page.goto(base + path);
      const where = `${path} at ${viewport.width}`;
      assert.equal(await overflow(page), 0, where);
      assert.deepEqual(await axeViolations(page), [], where);
    }
  }
  await context.close();
});

test('on a phone the desk menu opens and closes from the keyboard', async () => {
  const page = await signIn(PHONE);
  const button = page.locator('.desk-menu-button');
  const nav = page.locator('#desk-nav');
  assert.equal(await page.getByRole('button', { name: 'Menu', exact: true }).count(), 1);
  assert.equal(await button.getAttribute('aria-controls'), 'desk-nav');
  assert.equal(await button.getAttribute('aria-expanded'), 'false');
  assert.equal(await nav.isVisible(), false);

  // Tab from the skip link reaches the menu button next to the title.
  await page.focus('.desk-title');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'desk-menu-button');
  await page.keyboard.press('Enter');
  assert.equal(await button.getAttribute('aria-expanded'), 'true');
  assert.equal(await nav.isVisible(), true);
  // The open menu's links come next, each on the screen.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '/admin/');
  for (const link of await nav.locator('a').all()) {
    const box = await link.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, await link.innerText());
  }
  assert.deepEqual(await axeViolations(page), [], 'the open menu');
  // Escape closes it and puts the focus back on its button; Space opens it again.
  await page.keyboard.press('Escape');
  assert.equal(await button.getAttribute('aria-expanded'), 'false');
  assert.equal(await nav.isVisible(), false);
  assert.equal(await page.evaluate(() => document.activeElement.className), 'desk-menu-button');
  await page.keyboard.press('Space');
  assert.equal(await button.getAttribute('aria-expanded'), 'true');
  await page.keyboard.press('Enter');
  assert.equal(await button.getAttribute('aria-expanded'), 'false');
  assert.equal(await nav.isVisible(), false);

  // A laptop shows the whole menu and no button.
  await page.setViewportSize(LAPTOP);
  assert.equal(await button.isVisible(), false);
  assert.equal(await nav.isVisible(), true);
  await page.context().close();
});

test('without JavaScript the desk menu wraps onto the phone screen', async () => {
  const page = await signIn(PHONE, { javaScriptEnabled: false });
  assert.equal(await page.locator('.desk-menu-button').isVisible(), false);
  const links = await page.locator('#desk-nav a').all();
  assert.ok(links.length > 10);
  for (const link of links) {
    assert.ok(await link.isVisible());
    const box = await link.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, await link.innerText());
  }
  assert.equal(await overflow(page), 0);
  await page.context().close();
});

test("the editor's publish bar is on screen without scrolling the form", async () => {
  const page = await signIn(PHONE);
  const onScreen = async (selector, viewport) => {
    const box = await page.locator(selector).boundingBox();
    return box !== null && box.y >= 0 && box.y + box.height <= viewport.height &&
           box.x >= 0 && box.x + box.width <= viewport.width;
  };
  for (const viewport of [PHONE, LAPTOP]) {
    await page.setViewportSize(viewport);
    await page.goto(base + '/admin/posts/new');
    await page.waitForLoadState();
    assert.ok(await onScreen('button[value=save]', viewport), `Save at ${viewport.width}`);
    assert.ok(await onScreen('button[value=publish]', viewport), `Publish at ${viewport.width}`);
    // Tab to the tags field while it sits behind the bar, at the screen's bottom edge: it
    // scrolls clear of the bar, and the bar stays.
    // (The tags field is desk.js's tag picker, #tags-search, over the hidden #tags.)
    await page.focus('#authors-search');
    await page.evaluate(() => {
      const field = document.querySelector('#tags-search').getBoundingClientRect();
      window.scrollBy(0, field.bottom - window.innerHeight + 10);
    });
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tags-search');
    assert.ok(await onScreen('button[value=publish]', viewport), `Publish by the tags at ${viewport.width}`);
    const field = await page.locator('#tags-search').boundingBox();
    const bar = await page.locator('.editor-bar').boundingBox();
    assert.ok(field.y + field.height <= bar.y, `the tags field clear of the bar at ${viewport.width}`);
  }
  // An existing post's Update button, pressed straight away on the phone, saves it.
  await page.setViewportSize(PHONE);
  await page.goto(base + '/admin/posts');
  await page.click('.desk-table a >> nth=0');
  await page.waitForLoadState();
  assert.ok(await onScreen('button[value=save]', PHONE));
  await page.click('button[value=save]');
  await page.waitForURL(/saved=save/);
  await page.context().close();
});
