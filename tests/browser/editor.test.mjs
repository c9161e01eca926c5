// Browser tests of the desk's writing surface (editor/): Playwright driving Debian's chromium
// against the real binary. A writer formats with the toolbar, the keyboard and Markdown typing
// shortcuts; what is saved is the Markdown they would have typed; the editor's Markdown renders
// as the text it opened did; the Markdown view and a browser without JavaScript still work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { initArguments } from './postgres.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.BROADSHEET_BIN ?? join(here, '../../build/broadsheet');
const AXE = join(here, '../../node_modules/axe-core/axe.min.js');
const PASSWORD = 'correct horse battery staple';
let dir, server, base, browser;

function run(args, input) {
  const done = spawnSync(BIN, args, { input, encoding: 'utf8' });
  assert.equal(done.status, 0, done.stderr);
  return done.stdout;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'broadsheet-editor-'));
  const site = join(dir, 'site');
  run(['init', site, '--demo', ...initArguments()]);
  run(['user', 'add', '--email', 'editor@example.org', '--name', 'Eda Editor', '--role', 'editor',
       '--password-stdin', '--site', site], PASSWORD + '\n');
  server = spawn(BIN, ['serve', '--site', site, '--listen', '127.0.0.1:0'],
                 { stdio: ['ignore', 'ignore', 'pipe'] });
  base = await new Promise((resolve, reject) => {
    let seen = '';
    server.stderr.on('data', (chunk) => {
      seen += chunk;
      const found = seen.match(/at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (found) resolve(found[1]);
    });
    server.on('exit', () => reject(new Error('server exited: ' + seen)));
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function signIn({ javaScriptEnabled = true, bypassCSP = false } = {}) {
  const context = await browser.newContext({ javaScriptEnabled, bypassCSP });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  page.errors = errors;
  await page.goto(base + '/admin/login');
  await page.fill('#email', 'editor@example.org');
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(base + '/admin/');
  return page;
}

const surface = (page) => page.locator('.writing-text');
const button = (page, name) => page.getByRole('button', { name, exact: true });

async function newPost(page, title) {
  await page.goto(base + '/admin/posts/new');
  await page.fill('#title', title);
  await surface(page).click();
}

async function saveDraft(page) {
  await page.click('button[name=do][value=save]');
  await page.waitForSelector('.notice');
}

test('a writer formats with Markdown typing shortcuts, keys and the toolbar; the Markdown is saved', async () => {
  const page = await signIn();
  await newPost(page, 'A Formatted Analysis');
  assert.equal(await page.locator('#body').isHidden(), true, 'the textarea gives way to the editor');
  assert.equal(await surface(page).getAttribute('role'), 'textbox');
  const kb = page.keyboard;
  await kb.type('## Background');
  await kb.press('Enter');
  await kb.type('Talks resumed with **real** progress and *some* doubt.');
  await kb.press('Enter');
  await kb.type('Ctrl keys: ');
  await kb.press('Control+b');
  await kb.type('firm');
  await kb.press('Control+b');
  await kb.type(' and ');
  await kb.press('Control+i');
  await kb.type('soft');
  await kb.press('Control+i');
  await kb.type(' words.');
  await kb.press('Enter');
  await kb.type('> A quote from the minister.');
  await kb.press('Enter');
  await kb.press('Enter');  // an empty line leaves the quote
  await kb.type('- first point');
  await kb.press('Enter');
  await kb.type('second point');
  await kb.press('Enter');
  await kb.press('Enter');
  await kb.type('See the ');
  await kb.press('Control+k');
  const dialog = page.locator('dialog.writing-dialog');
  await dialog.waitFor({ state: 'visible' });
  await page.fill('#writing-link-href', 'javascript:alert(1)');
  await dialog.getByRole('button', { name: 'Apply' }).click();
  assert.match(await dialog.locator('[role=alert]').textContent(), /not an address a link can use/);
  await page.fill('#writing-link-href', 'https://example.org/report');
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await kb.type(' for details');
  await button(page, 'Footnote').click();
  await kb.type('Figures from the 2025 survey.');

  // The toolbar shows what applies at the cursor.
  await surface(page).locator('h2').click();
  assert.equal(await button(page, 'H2 heading').getAttribute('aria-pressed'), 'true');
  assert.equal(await button(page, 'Bold').getAttribute('aria-pressed'), 'false');

  const expected = '## Background\n\n' +
    'Talks resumed with **real** progress and *some* doubt.\n\n' +
    'Ctrl keys: **firm** and *soft* words.\n\n' +
    '> A quote from the minister.\n\n' +
    '- first point\n- second point\n\n' +
    'See the <https://example.org/report> for details[^1]\n\n' +
    '[^1]: Figures from the 2025 survey.\n';
  assert.equal(await page.inputValue('#body'), expected);
  await saveDraft(page);
  assert.equal(await page.inputValue('#body'), expected, 'saved as written');
  assert.equal(await surface(page).locator('h2').textContent(), 'Background');
  assert.equal(await surface(page).locator('strong').first().textContent(), 'real');
  assert.equal(await surface(page).locator('a').getAttribute('href'), 'https://example.org/report');
  assert.deepEqual(page.errors, []);
});

test('the toolbar turns a selection into a heading, a list and a link, and undoes it', async () => {
  const page = await signIn();
  await newPost(page, 'Toolbar Only');
  await page.keyboard.type('Energy policy');
  await button(page, 'H2 heading').click();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('grid');
  await page.keyboard.press('Shift+Home');
  await button(page, 'Link').click();
  await page.fill('#writing-link-href', '/energy/');
  await page.keyboard.press('Enter');
  await page.locator('dialog.writing-dialog').waitFor({ state: 'hidden' });
  await button(page, '1. Numbered list').click();
  assert.equal(await page.inputValue('#body'), '## Energy policy\n\n1. [grid](/energy/)\n');
  await button(page, 'Undo').click();
  assert.equal(await page.inputValue('#body'), '## Energy policy\n\n[grid](/energy/)\n');
  // Removing the link through the same dialog.
  await surface(page).locator('a').click();
  await page.keyboard.press('Control+k');
  assert.equal(await page.inputValue('#writing-link-href'), '/energy/');
  await page.locator('dialog.writing-dialog').getByRole('button', { name: 'Remove link' }).click();
  assert.equal(await page.inputValue('#body'), '## Energy policy\n\ngrid\n');
  assert.deepEqual(page.errors, []);
});

test('the Markdown view edits the same text, and the formatted view follows', async () => {
  const page = await signIn();
  await newPost(page, 'Source Mode');
  await page.keyboard.type('Plain start.');
  await button(page, 'Markdown').click();
  assert.equal(await button(page, 'Markdown').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('#body').isVisible(), true);
  assert.equal(await button(page, 'Bold').getAttribute('aria-disabled'), 'true',
               'formatting waits for the formatted view');
  await page.fill('#body', '### Typed as Markdown\n\n| Year | Share |\n| ---- | ----: |\n| 2024 | 12 % |\n');
  await button(page, 'Markdown').click();
  assert.equal(await page.locator('#body').isHidden(), true);
  assert.equal(await surface(page).locator('h3').textContent(), 'Typed as Markdown');
  assert.equal(await surface(page).locator('td.align-right').textContent(), '12 %');
  // Switching back without changes keeps the Markdown exactly as typed.
  assert.equal(await page.inputValue('#body'),
               '### Typed as Markdown\n\n| Year | Share |\n| ---- | ----: |\n| 2024 | 12 % |\n');
  await saveDraft(page);
  assert.equal(await surface(page).locator('th').first().textContent(), 'Year');
  assert.deepEqual(page.errors, []);
});

// The demo publication's posts, as `export json` gives them.
function demoPosts() {
  return JSON.parse(run(['export', 'json', '-', '--site', join(dir, 'site')])).posts;
}

test('opening and saving a post untouched keeps its Markdown byte for byte', async () => {
  const page = await signIn();
  const longest = demoPosts().sort((a, b) => b.body_markdown.length - a.body_markdown.length)[0];
  await page.goto(base + '/admin/posts');
  await page.getByRole('link', { name: longest.title, exact: true }).click();
  await surface(page).waitFor();
  const before = await page.inputValue('#body');
  assert.ok(before.length > 200, 'a demo article with a body');
  await page.click('button[name=do][value=save]');
  await page.waitForSelector('.notice, .error');
  assert.equal(await page.inputValue('#body'), before);
});

test('the editor\'s Markdown renders as the text it opened, for every demo article', async () => {
  const page = await signIn();
  await page.goto(base + '/admin/posts/new');
  await surface(page).waitFor();
  const bodies = demoPosts().map((post) => post.body_markdown);
  assert.ok(bodies.length >= 10);
  bodies.push(readFileSync(join(here, 'editor-corpus.md'), 'utf8'));
  const results = await page.evaluate(async (texts) => {
    const frame = document.querySelector('.editor-preview-frame');
    const render = async (body) => {
      const data = new URLSearchParams({ csrf: frame.dataset.token, post: '0', body });
      const response = await fetch('/admin/preview', { method: 'POST', body: data });
      const html = await response.text();
      const main = html.slice(html.indexOf('<body'));
      // Soft line breaks in the source are newlines in the HTML; the editor joins lines.
      return main.replace(/\s+/g, ' ').replace(/> </g, '><');
    };
    const out = [];
    for (const text of texts) {
      const written = window.broadsheetEditor.roundTrip(text);
      out.push({ text, written, again: window.broadsheetEditor.roundTrip(written),
                 before: await render(text), after: await render(written) });
    }
    return out;
  }, bodies);
  assert.match(results.at(-1).before, /Setext Heading<\/h1>/, 'the preview renders the body');
  assert.match(results.at(-1).after, /<td[^>]*>a \| b<\/td>/);
  for (const { text, written, again, before, after } of results) {
    assert.equal(after, before, `renders differently after the editor:\n${text}\n---\n${written}`);
    assert.equal(again, written, 'the editor reads back what it writes');
  }
});

test('without JavaScript the body is the Markdown textarea, and saves', async () => {
  const page = await signIn({ javaScriptEnabled: false });
  await page.goto(base + '/admin/posts/new');
  assert.equal(await page.locator('.writing').count(), 0);
  await page.fill('#title', 'No Script');
  await page.fill('#body', 'Typed *without* JavaScript.\n');
  await page.click('button[name=do][value=save]');
  await page.waitForSelector('.notice');
  assert.equal(await page.inputValue('#body'), 'Typed *without* JavaScript.\n');
});

test('the editor page has no axe violations, and the toolbar is one tab stop', async () => {
  const page = await signIn({ bypassCSP: true });
  await newPost(page, 'Accessible');
  await page.keyboard.type('Some text.');
  await page.addScriptTag({ content: readFileSync(AXE, 'utf8') });
  const result = await page.evaluate(async () => await window.axe.run(document));
  const violations = result.violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(violations, []);
  const tabbable = await page.locator('.writing-toolbar button[tabindex="0"]').count();
  assert.equal(tabbable, 1);
  await page.locator('.writing-toolbar button[tabindex="0"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'H2 heading');
});
