// The hostile corpus (tests/markdown/hostile/) in a real browser: each sample becomes an article
// (through the content folder import, which filters like the desk), and chromium loads it.
// Nothing may navigate, open a dialog, reach a foreign host, or leave a form on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSite } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CORPUS = join(here, '../markdown/hostile');
let site, base, browser;
const samples = [];

before(async () => {
  const content = { 'publication.yaml': 'title: The Hostile Review\n' };
  for (const file of readdirSync(CORPUS).filter((name) => name.endsWith('.txt')).sort()) {
    const name = file.replace(/\.(md\.)?txt$/, '');
    const body = readFileSync(join(CORPUS, file), 'utf8').split(/^---$/m).slice(1).join('---');
    content[`posts/hostile-${name}.md`] =
      `---\ntitle: Hostile ${name}\ndate: 2024-01-01T00:00:00Z\n---\nThe sample ${name}.\n\n${body}\n`;
    samples.push(name);
  }
  site = await startSite({ name: 'hostile', content });
  ({ base, browser } = site);
});

after(() => site?.stop());

test('no hostile sample navigates, submits, runs or reaches another host', async () => {
  assert.ok(samples.length >= 15);
  for (const name of samples) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const dialogs = [], foreign = [], navigations = [];
    page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:' && url.origin !== base) foreign.push(request.url());
    });
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
    const address = `${base}/hostile-${name}/`;
    const response = await page.goto(address, { waitUntil: 'load' });
    assert.equal(response.status(), 200, name);
    assert.match(await page.textContent('body'), new RegExp(`The sample ${name}`), name);
    // Give a meta refresh, a timer or a lazy frame the time to act; then click what is left of
    // the disarmed links and controls (links with an address are the writer's, and navigate).
    await page.waitForTimeout(1200);
    const body = page.locator('.article-body');
    const clickable = await body.locator('a:not([href]), button, summary, input, img, p').all();
    for (const element of clickable.slice(0, 25)) {
      await element.click({ timeout: 1000, noWaitAfter: true }).catch(() => {});
    }
    await page.waitForTimeout(300);
    assert.deepEqual(dialogs, [], `${name}: a dialog opened`);
    assert.deepEqual(foreign, [], `${name}: requests left the site`);
    assert.deepEqual(navigations.filter((url) => url !== address), [], `${name}: the page navigated`);
    assert.equal(page.url(), address, name);
    const forms = await page.evaluate(() => ({
      forms: [...document.forms].filter((form) => form.closest('.article-body')).length,
      controls: document.querySelectorAll('.article-body input:not([type=checkbox][disabled]), .article-body button, .article-body select, .article-body textarea').length,
      frames: document.querySelectorAll('.article-body iframe, .article-body object, .article-body embed').length,
      meta: document.querySelectorAll('body meta, body base, body style, body link').length,
    }));
    assert.deepEqual(forms, { forms: 0, controls: 0, frames: 0, meta: 0 }, name);
    await context.close();
  }
});
