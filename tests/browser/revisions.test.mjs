// Browser tests of revisions and notes (issue 15, item 6): the word-level comparison, the
// restore that asks first, and the note form, walked with JavaScript off (they are plain forms)
// and checked with axe-core. Playwright (npm playwright-core) driving Debian's chromium against
// the real binary on a free port; run by CTest through `node --test`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EDITOR, startSite, axeViolations } from './harness.mjs';

let site, base;

before(async () => {
  site = await startSite({ name: 'revisions', demo: true, users: [EDITOR] });
  base = site.base;
});

after(() => site?.stop());

async function signIn(email, options) {
  return await site.signIn(await site.newPage(options), email);
}

test('without JavaScript, an editor compares words, confirms a restore and rewords a note', async () => {
  const page = await signIn('editor@example.org', { javaScriptEnabled: false });
  await page.goto(base + '/admin/posts/new');
  await page.fill('#title', 'A Vote Recounted');
  await page.fill('#body', 'The vote was 52 to 48.\n\nA second paragraph.');
  await page.fill('#authors', 'daniel-reyes');  // an article is published with a byline
  await page.click('button[name=do][value=publish]');
  await page.waitForURL(/\/admin\/posts\/\d+\?saved=publish$/);
  const post = new URL(page.url()).pathname;
  await page.fill('#body', 'The vote was 51 to 49.\n\nA second paragraph.');
  await page.click('button[name=do][value=save]');
  await page.waitForURL(/saved=save$/);
  await page.fill('#note-text', 'An earlier version gave the count as 52 to 48.');
  await page.click('text=Add the note');
  await page.waitForURL(/saved=note$/);

  await page.locator('.revisions a').last().click();
  await page.waitForURL(/\/revisions\/\d+$/);
  // What a screen reader reads of each marked word (the brackets and labels are visually hidden).
  assert.deepEqual(await page.locator('.diff-removed del').allTextContents(),
                   ['[removed: 52]', '[removed: 48]']);
  assert.deepEqual(await page.locator('.diff-added ins').allTextContents(), ['[added: 51]', '[added: 49]']);
  const revision = page.url();

  await page.click('text=Restore this revision');
  await page.waitForURL(/\/restore\?edit_count=\d+$/);
  assert.match(await page.textContent('main'), /restoring changes the live article at once/);
  assert.match(await page.textContent('.restore-notes'), /An earlier version gave the count/);
  await page.click('text=Cancel');
  assert.equal(page.url(), revision);
  const live = await (await page.context().request.get(base + '/a-vote-recounted/')).text();
  assert.match(live, /51 to 49/);

  await page.click('text=Restore this revision');
  await page.click('text=Restore and change the live article');
  await page.waitForURL(base + post + '?saved=save');
  const restored = await (await page.context().request.get(base + '/a-vote-recounted/')).text();
  assert.match(restored, /52 to 48/);

  await page.click('text=Edit or remove');
  await page.fill('#note-text', 'The count was misreported, then restored.');
  await page.click('text=Save the note');
  await page.waitForURL(base + post + '?saved=note-edited');
  const noted = await (await page.context().request.get(base + '/a-vote-recounted/')).text();
  assert.match(noted, /The count was misreported, then restored\./);
  await page.click('text=Edit or remove');
  await page.click('text=Remove the note from the article');
  await page.waitForURL(base + post + '?saved=note-removed');
  const cleared = await (await page.context().request.get(base + '/a-vote-recounted/')).text();
  assert.doesNotMatch(cleared, /The count was misreported/);
  await page.context().close();
});

test('axe-core finds no violations on the comparison, the restore question and the note form', async () => {
  // Made with JavaScript off (plain forms), then checked in a page that may run axe-core.
  const setup = await signIn('editor@example.org', { javaScriptEnabled: false });
  await setup.goto(base + '/admin/posts/new');
  await setup.fill('#title', 'Accessible Changes');
  await setup.fill('#body', 'Words, as first written.');
  await setup.fill('#authors', 'daniel-reyes');
  await setup.click('button[name=do][value=publish]');
  await setup.waitForURL(/\/admin\/posts\/\d+\?saved=publish$/);
  const post = new URL(setup.url()).pathname;
  await setup.fill('#body', 'Words, changed a little.');
  await setup.click('button[name=do][value=save]');
  await setup.waitForURL(/saved=save$/);
  await setup.fill('#note-text', 'A correction to check.');
  await setup.click('text=Add the note');
  await setup.waitForURL(/saved=note$/);
  await setup.context().close();

  const page = await signIn('editor@example.org', { bypassCSP: true });
  await page.goto(base + post);
  await page.locator('.revisions a').last().click();
  await page.waitForURL(/\/revisions\/\d+$/);
  assert.equal(await page.locator('.diff-removed del').count(), 1);
  assert.deepEqual(await axeViolations(page), [], 'the revision comparison');
  await page.click('text=Restore this revision');
  await page.waitForURL(/\/restore\?edit_count=\d+$/);
  assert.deepEqual(await axeViolations(page), [], 'the restore question');
  await page.goto(base + post);
  await page.click('text=Edit or remove');
  await page.waitForURL(/\/notes\/\d+$/);
  assert.deepEqual(await axeViolations(page), [], 'the note form');
  await page.context().close();
});
