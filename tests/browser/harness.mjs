// What every browser test file needs around its tests: a site of its own (a temporary folder,
// `broadsheet init`, a content folder imported, people of each role, `broadsheet serve` on a free
// port) with chromium started as this machine allows (headless, no sandbox, no network of its
// own), all stopped and removed by `stop()`; and the steps many tests take: signing a person in,
// opening a new post, the page errors a test asserts empty, axe-core's violations.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { initArguments } from './postgres.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.BROADSHEET_BIN ?? join(here, '../../build/broadsheet');
const AXE = join(here, '../../node_modules/axe-core/axe.min.js');

// Every person a test site has signs in with this password.
export const PASSWORD = 'correct horse battery staple';
export const EDITOR = { email: 'editor@example.org', name: 'Eda Editor', role: 'editor' };
export const OWNER = { email: 'owner@example.org', name: 'Olu Owner', role: 'owner' };
export const WRITER = { email: 'writer@example.org', name: 'Wren Writer', role: 'contributor' };

// Runs `broadsheet ARGS` with `input` on its standard input; fails the test unless it exits 0.
// Returns what it wrote to standard output.
export function run(args, input) {
  const done = spawnSync(BIN, args, { input, encoding: 'utf8' });
  assert.equal(done.status, 0, done.stdout + done.stderr);
  return done.stdout;
}

// The server's http://127.0.0.1:PORT, read from its log; rejects if it exits first.
export function addressOf(server) {
  return new Promise((resolve, reject) => {
    let seen = '';
    server.stderr.on('data', (chunk) => {
      seen += chunk;
      const found = seen.match(/at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (found) resolve(found[1]);
    });
    server.on('exit', () => reject(new Error('server exited: ' + seen)));
  });
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
}

// A running site and the browser that visits it, as startSite leaves them.
class Site {
  constructor(dir) {
    this.dir = dir;                    // the temporary folder; removed by stop()
    this.folder = join(dir, 'site');   // the site's folder, for `--site`
    this.base = undefined;             // http://127.0.0.1:PORT
    this.browser = undefined;
    this.server = undefined;
  }

  // A page in a browser context of its own (Playwright's context options: viewport, bypassCSP…).
  async newPage(options) {
    const context = await this.browser.newContext(options);
    return await context.newPage();
  }

  // Signs `email` in on `page` (from the sign-in form where the page stands at it, from
  // /admin/login otherwise) and waits for the dashboard. Returns the page.
  async signIn(page, email) {
    if (!page.url().startsWith(this.base + '/admin/login')) await page.goto(this.base + '/admin/login');
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(this.base + '/admin/');
    return page;
  }

  // Opens the editor of a new post with `title`, puts the cursor in its text and types `text`.
  async newPost(page, title, text) {
    await page.goto(this.base + '/admin/posts/new');
    await page.fill('#title', title);
    await page.locator('.writing-text').click();
    if (text !== undefined) await page.keyboard.type(text);
  }

  async stop() {
    await this.browser?.close();
    this.server?.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Starts a site in a new temporary folder (named after `name`): `init` (with the demo
// publication when `demo`), then the `content` folder's files ({ 'posts/a.md': text, … }) imported
// when given, then `users` ({ email, name, role }, each with PASSWORD) added; then the server, with
// `env` added to this process's environment, and chromium.
export async function startSite({ name = 'browser', demo = false, content, users = [], env } = {}) {
  const site = new Site(mkdtempSync(join(tmpdir(), `broadsheet-${name}-`)));
  try {
    run(['init', site.folder, ...(demo ? ['--demo'] : []), ...initArguments()]);
    if (content) {
      const folder = join(site.dir, 'content');
      for (const [path, text] of Object.entries(content)) {
        mkdirSync(dirname(join(folder, path)), { recursive: true });
        writeFileSync(join(folder, path), text);
      }
      run(['import', 'markdown', folder, '--site', site.folder]);
    }
    for (const { email, name, role } of users) {
      run(['user', 'add', '--email', email, '--name', name, '--role', role, '--password-stdin',
           '--site', site.folder], PASSWORD + '\n');
    }
    site.server = spawn(BIN, ['serve', '--site', site.folder, '--listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // No drain after SIGTERM: the test is over, no load balancer is watching.
      env: { ...process.env, BROADSHEET_DRAIN_S: '0', ...env },
    });
    site.base = await addressOf(site.server);
    site.browser = await launchChromium();
    return site;
  } catch (error) {
    await site.stop();
    throw error;
  }
}

// The list a test asserts empty: the page's uncaught script errors, with `console` its console
// errors too, with `responses` every answer it got of 400 or above.
export function errorsOf(page, { console: logged = false, responses = false } = {}) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  if (logged) page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  if (responses) {
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
    });
  }
  return errors;
}

let axeSource;

// axe-core's violations on the page (or the part `selector` names), one line each with the
// elements at fault. The page's context needs bypassCSP, for axe-core is injected.
export async function axeViolations(page, selector) {
  axeSource ??= readFileSync(AXE, 'utf8');
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async (selector) =>
    await window.axe.run(selector ? document.querySelector(selector) : document), selector);
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
