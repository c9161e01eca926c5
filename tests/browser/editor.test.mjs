// Browser tests of the desk's writing surface (editor/): Playwright driving Debian's chromium
// against the real binary. A writer formats with the toolbar, the keyboard and Markdown typing
// shortcuts; what is saved is the Markdown they would have typed; the editor's Markdown renders
// as the text it opened did; the Markdown view and a browser without JavaScript still work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EDITOR, startSite, run, errorsOf, axeViolations } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let site, base, browser;

before(async () => {
  // The preview is used here as a renderer, dozens of times a minute: no per-account limit.
  site = await startSite({ name: 'editor', demo: true, users: [EDITOR],
                           env: { BROADSHEET_PREVIEWS_PER_MINUTE: '0' } });
  ({ base, browser } = site);
});

after(() => site?.stop());

async function signIn({ javaScriptEnabled = true, bypassCSP = false } = {}) {
  const page = await site.newPage({ javaScriptEnabled, bypassCSP });
  page.errors = errorsOf(page, { console: true, responses: true });
  return await site.signIn(page, EDITOR.email);
}

const surface = (page) => page.locator('.writing-text');
const button = (page, name) => page.getByRole('button', { name, exact: true });

async function newPost(page, title) {
  await site.newPost(page, title);
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

// The count under the text follows tests/vectors/word-counts.json, as the review queue's does.
test('the word count under the text counts any script and any space as the review queue does', async () => {
  const page = await signIn();
  await newPost(page, 'Counted Words');
  assert.equal(await page.locator('.writing-count').textContent(), '0 words');
  await page.keyboard.type('Kyiv\u00a0is\u2009cold—and wet; an e-mail.');
  await page.keyboard.press('Enter');
  await page.keyboard.type('我们是学生。');
  await page.locator('.writing-count', { hasText: '10 words' }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
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
  return JSON.parse(run(['export', 'json', '-', '--site', site.folder])).posts;
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
      // The article's body as the preview renders it (its date and reading time aside).
      const html = await response.text();
      const main = html.slice(html.indexOf('<div class="article-body">'), html.indexOf('<footer'));
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
  assert.deepEqual(await axeViolations(page), []);
  const tabbable = await page.locator('.writing-toolbar button[tabindex="0"]').count();
  assert.equal(tabbable, 1);
  await page.locator('.writing-toolbar button[tabindex="0"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'H2 heading');
});

test('a body the formatted view would change opens as Markdown, saying why', async () => {
  const page = await signIn();
  await newPost(page, 'Two Lists');
  await button(page, 'Markdown').click();
  await page.fill('#body', '* one list\n+ another list\n');
  await saveDraft(page);
  assert.equal(await page.locator('#body').isVisible(), true, 'shown as Markdown');
  assert.equal(await button(page, 'Markdown').getAttribute('aria-pressed'), 'true');
  assert.match(await page.locator('.writing-note').textContent(), /cannot show without changing it/);
  // Asking for the formatted view does not change it either.
  await button(page, 'Markdown').click();
  assert.equal(await page.locator('#body').isVisible(), true);
  await page.click('button[name=do][value=save]');
  await page.waitForSelector('.notice');
  assert.equal(await page.inputValue('#body'), '* one list\n+ another list\n');
});

test('typing goes on after a divider and after a link, not over them', async () => {
  const page = await signIn();
  await newPost(page, 'Rules and Links');
  await page.keyboard.type('above');
  await button(page, 'Divider').click();
  await page.keyboard.type('below');
  await page.keyboard.press('Enter');
  await page.keyboard.type('---');
  await page.keyboard.type('after the typed rule');
  await page.keyboard.press('Enter');
  await page.keyboard.type('See the report');
  await page.keyboard.press('Shift+ArrowLeft');
  for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+ArrowLeft');
  await page.keyboard.press('Control+k');
  await page.fill('#writing-link-href', 'example.org/report');
  await page.keyboard.press('Enter');
  await page.locator('dialog.writing-dialog').waitFor({ state: 'hidden' });
  await page.keyboard.type(' today.');
  assert.equal(await page.inputValue('#body'),
               'above\n\n---\n\nbelow\n\n---\n\nafter the typed rule\n\n' +
               'See the [report](https://example.org/report) today.\n');
});

test('lists behave as in a word processor: Backspace and Tab, and switching their kind', async () => {
  const page = await signIn();
  await newPost(page, 'Lists');
  await page.keyboard.type('- one');
  await page.keyboard.press('Enter');
  await page.keyboard.type('two');
  await page.keyboard.press('Tab');
  assert.equal(await page.inputValue('#body'), '- one\n  - two\n');
  await page.keyboard.press('Shift+Tab');
  await button(page, '1. Numbered list').click();
  assert.equal(await page.inputValue('#body'), '1. one\n2. two\n');
  await page.keyboard.press('Home');
  await page.keyboard.press('Backspace');
  assert.equal(await page.inputValue('#body'), '1. one\n\ntwo\n');
});

// Clipboard HTML as Google Docs writes it (spans with inline styles inside a normal-weight <b>).
const GOOGLE_DOCS = '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1a2b">' +
  '<h2 dir="ltr" style="line-height:1.38;margin-top:18pt"><span style="font-size:16pt;font-weight:400">Background</span></h2>' +
  '<p dir="ltr" style="line-height:1.38"><span style="font-weight:400;font-style:normal">Plain words then </span>' +
  '<span style="font-weight:700">bold words</span><span style="font-weight:400"> and </span>' +
  '<span style="font-weight:400;font-style:italic">italic</span><span style="font-weight:400"> and a </span>' +
  '<a href="https://example.org/source" style="text-decoration:none"><span style="color:#1155cc;text-decoration:underline">link</span></a>' +
  '<span style="font-weight:400">.</span></p>' +
  '<ul style="margin-top:0"><li dir="ltr" style="list-style-type:disc"><p dir="ltr" role="presentation"><span style="font-weight:400">first</span></p></li>' +
  '<li dir="ltr"><p dir="ltr" role="presentation"><span style="font-weight:400">second</span></p></li></ul>' +
  '<div dir="ltr"><table><tbody><tr><td><p dir="ltr"><span>Year</span></p><p><span>(est.)</span></p></td><td><p><span>Share</span></p></td></tr>' +
  '<tr><td><p><span>2024</span></p></td><td><p><a href="javascript:alert(1)">12 %</a></p></td></tr></tbody></table></div></b>';

test('a paste from Google Docs keeps headings, emphasis, links, lists and tables, not the styling', async () => {
  const page = await signIn();
  await newPost(page, 'Pasted');
  await page.evaluate((html) => {
    const data = new DataTransfer();
    data.setData('text/html', html);
    data.setData('text/plain', 'Background');
    const target = document.querySelector('.writing-text');
    target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, GOOGLE_DOCS);
  assert.equal(await page.inputValue('#body'),
               '## Background\n\n' +
               'Plain words then **bold words** and *italic* and a [link](https://example.org/source).\n\n' +
               '- first\n- second\n\n' +
               '| Year (est.) | Share |\n| --- | --- |\n| 2024 | 12 % |\n');
  assert.deepEqual(page.errors, []);
});

// Clipboard HTML as Microsoft Word (Windows, 365) writes it: Mso classes, lists as styled
// paragraphs with their markers in mso-list:Ignore spans inside conditional comments, <o:p>,
// footnotes as _ftn links with the notes in a footnote-list div at the end.
const WORD = '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8">' +
  '<style><!-- p.MsoNormal {margin:0cm;} --></style></head><body lang="EN-GB" style="tab-interval:36.0pt">' +
  '<!--StartFragment--><h1>Grain and Leverage<o:p></o:p></h1>' +
  '<p class="MsoNormal">Exports fell by a third<a style="mso-footnote-id:ftn1" href="#_ftn1" name="_ftnref1" title="">' +
  '<span class="MsoFootnoteReference"><span style="mso-special-character:footnote"><![if !supportFootnotes]>' +
  '<span class="MsoFootnoteReference"><span style="font-size:11.0pt">[1]</span></span><![endif]></span></span></a>, ' +
  'a <b>sharp</b> and <i>sudden</i> drop.<o:p></o:p></p>' +
  '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>' +
  '<p class="MsoListParagraphCxSpFirst" style="text-indent:-18.0pt;mso-list:l0 level1 lfo1"><![if !supportLists]>' +
  '<span style="font-family:Symbol;mso-list:Ignore">·<span style="font:7.0pt \'Times New Roman\'">&nbsp;&nbsp;&nbsp; </span></span><![endif]>Ports<o:p></o:p></p>' +
  '<p class="MsoListParagraphCxSpMiddle" style="margin-left:72.0pt;text-indent:-18.0pt;mso-list:l0 level2 lfo1"><![if !supportLists]>' +
  '<span style="font-family:\'Courier New\';mso-list:Ignore">o<span style="font:7.0pt \'Times New Roman\'">&nbsp;&nbsp; </span></span><![endif]>Odesa<o:p></o:p></p>' +
  '<p class="MsoListParagraphCxSpLast" style="text-indent:-18.0pt;mso-list:l0 level1 lfo1"><![if !supportLists]>' +
  '<span style="font-family:Symbol;mso-list:Ignore">·<span style="font:7.0pt \'Times New Roman\'">&nbsp;&nbsp;&nbsp; </span></span><![endif]>Rail<o:p></o:p></p>' +
  '<p class="MsoListParagraphCxSpFirst" style="text-indent:-18.0pt;mso-list:l1 level1 lfo2"><![if !supportLists]>' +
  '<span style="mso-list:Ignore">1.<span style="font:7.0pt \'Times New Roman\'">&nbsp;&nbsp; </span></span><![endif]>First step<o:p></o:p></p>' +
  '<p class="MsoListParagraphCxSpLast" style="text-indent:-18.0pt;mso-list:l1 level1 lfo2"><![if !supportLists]>' +
  '<span style="mso-list:Ignore">2.<span style="font:7.0pt \'Times New Roman\'">&nbsp;&nbsp; </span></span><![endif]>Second step<o:p></o:p></p>' +
  '<p class="MsoQuote">Markets price fear first.<o:p></o:p></p>' +
  '<p class="MsoNormal">See <a href="https://example.org/report">the report</a>.<o:p></o:p></p>' +
  '<div style="mso-element:footnote-list"><![if !supportFootnotes]><br clear="all"><hr align="left" size="1" width="33%"><![endif]>' +
  '<div style="mso-element:footnote" id="ftn1"><p class="MsoFootnoteText"><a style="mso-footnote-id:ftn1" href="#_ftnref1" name="_ftn1" title="">' +
  '<span class="MsoFootnoteReference"><span style="mso-special-character:footnote"><![if !supportFootnotes]><span class="MsoFootnoteReference">' +
  '<span style="font-size:10.0pt">[1]</span></span><![endif]></span></span></a> Customs data, 2025.<o:p></o:p></p></div></div>' +
  '<!--EndFragment--></body></html>';

// Google Docs' footnotes: a superscript link to the note and the note linking back.
const GOOGLE_DOCS_NOTE = '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-9f">' +
  '<p dir="ltr"><span style="font-weight:400">A claim</span><sup><a href="#ftnt1" id="ftnt_ref1">[1]</a></sup><span style="font-weight:400">.</span></p>' +
  '<hr><div><p dir="ltr"><a href="#ftnt_ref1" id="ftnt1">[1]</a><span style="font-weight:400"> The source.</span></p></div></b>';

async function paste(page, html) {
  await page.evaluate((clipboard) => {
    const data = new DataTransfer();
    data.setData('text/html', clipboard);
    data.setData('text/plain', 'x');
    document.querySelector('.writing-text').dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, html);
}

test('a paste from Word keeps headings, lists, quotes, links and footnotes, not its markup', async () => {
  const page = await signIn();
  await newPost(page, 'From Word');
  await paste(page, WORD);
  assert.equal(await page.inputValue('#body'),
               '# Grain and Leverage\n\n' +
               'Exports fell by a third[^1], a **sharp** and *sudden* drop.\n\n' +
               '- Ports\n  - Odesa\n- Rail\n\n' +
               '1. First step\n2. Second step\n\n' +
               '> Markets price fear first.\n\n' +
               'See [the report](https://example.org/report).\n\n' +
               '[^1]: Customs data, 2025.\n');
  assert.deepEqual(page.errors, []);
});

test('a paste from Google Docs keeps its footnotes', async () => {
  const page = await signIn();
  await newPost(page, 'Docs Notes');
  await paste(page, GOOGLE_DOCS_NOTE);
  assert.match(await page.inputValue('#body'), /^A claim\[\^1\]\.\n\n(\* \* \*|---)\n\n\[\^1\]: The source\.\n$/);
  // Pasted again, its note is numbered after the article's own.
  await paste(page, GOOGLE_DOCS_NOTE);
  const body = await page.inputValue('#body');
  for (const label of ['1', '2']) {
    assert.equal(body.split(`[^${label}]:`).length, 2, body);
    assert.equal(body.split(`[^${label}]`).length, 3, body);
  }
  assert.deepEqual(page.errors, []);
});

// A selection copied from a news site in chromium: styled wrappers, classes, a share button, a
// script-bearing link and a quote.
const WEB_PAGE = '<meta charset="utf-8"><div class="story" style="color: rgb(34, 34, 34); font-family: Georgia;">' +
  '<h2 class="headline" style="font-size: 28px;">What the Ceasefire Leaves Out</h2>' +
  '<p class="lede" style="margin: 0;">Talks resume <a href="https://news.example/talks" class="inline" onclick="track()">on Monday</a>, ' +
  'with <strong>no</strong> agenda.</p><button class="share">Share</button>' +
  '<blockquote class="pull" style="border-left: 2px solid;"><p>“Nothing is agreed.”</p></blockquote>' +
  '<p>Read <a href="javascript:alert(1)">more</a>.</p></div>';

test('a paste from a web page keeps its structure and drops its controls and styling', async () => {
  const page = await signIn();
  await newPost(page, 'From the Web');
  await paste(page, WEB_PAGE);
  assert.equal(await page.inputValue('#body'),
               '## What the Ceasefire Leaves Out\n\n' +
               'Talks resume [on Monday](https://news.example/talks), with **no** agenda.\n\n' +
               'Share\n\n' +
               '> “Nothing is agreed.”\n\n' +
               'Read more.\n');
  assert.deepEqual(page.errors, []);
});

test('a hostile or unusual paste is read as text, never as Markdown it did not say', async () => {
  const page = await signIn();
  await newPost(page, 'Odd Pastes');
  // A footnote mark whose label would write Markdown (and HTML) of its own; one with no label
  // (as a Broadsheet article's own notes copy); a table of contents and a "back to top" link.
  await paste(page, '<p>Agreed<sup class="footnote-ref" data-label="1]&#10;&#10;<script>alert(1)</script>&#10;&#10;[^2">9</sup> then.</p>' +
    '<p>Cited<sup class="footnote-ref"><a href="#fn1">1</a></sup>.</p>' +
    '<ul><li><a href="#s1" id="toc1">Section one</a></li></ul>' +
    '<h2><a href="#toc1" id="s1">Section one</a></h2><p>Important text. <a href="#top">Back to top</a></p>' +
    '<base href="https://evil.example/"><p><img src="javascript:alert(2)" alt="x"><a href="#s1" style="color:red" onclick="go()">Jump</a></p>');
  const body = await page.inputValue('#body');
  assert.doesNotMatch(body, /<script|\[\^|javascript:/);
  assert.match(body, /Agreed9 then\./);
  assert.match(body, /## \[?Section one/);
  assert.match(body, /Important text\./);
  assert.deepEqual(page.errors, []);
});

test('a new post is autosaved from its headline on, kept in the browser offline, and guarded on leaving', async () => {
  const page = await signIn();
  await newPost(page, 'Never Lost');
  await page.keyboard.type('First words.');
  await page.click('#dek');  // leaving the body autosaves: the draft is created
  await page.locator('.editor-status', { hasText: 'Draft saved' }).waitFor();
  await page.waitForURL(/\/admin\/posts\/\d+$/);
  const address = page.url();

  // The network drops: the text is kept in this browser and offered back when the page opens.
  await page.context().setOffline(true);
  await surface(page).click();
  await page.keyboard.press('End');
  await page.keyboard.type(' Written offline.');
  await page.click('#dek');
  await page.locator('.editor-status', { hasText: 'Not saved' }).waitFor();
  await page.context().setOffline(false);
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.type()); await dialog.accept(); });
  await page.goto(address);  // the leave warning is answered "leave"
  assert.deepEqual(dialogs, ['beforeunload']);
  assert.equal(await page.inputValue('#body'), 'First words.\n');
  await page.getByRole('button', { name: 'Restore that copy' }).click();
  assert.equal(await page.inputValue('#body'), 'First words. Written offline.\n');
  assert.match(await surface(page).textContent(), /Written offline/);
  // Saving right after typing saves (no conflict with the autosave that leaving the body starts).
  await surface(page).click();
  await page.keyboard.press('End');
  await page.keyboard.type(' And more.');
  await page.click('button[name=do][value=save]');
  await page.waitForURL(/saved=save/);
  assert.equal(await page.inputValue('#body'), 'First words. Written offline. And more.\n');
});
