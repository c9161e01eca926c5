// The editor's author and tag pickers (desk.js, issue 15 item 5), in chromium against the real
// binary: found by name, chosen and reordered with the keyboard, saved in byline order; tags
// suggested and new ones taken; the combobox pattern's attributes; axe-core on the editor with
// chips showing, at a laptop's and a phone's size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EDITOR, startSite, axeViolations } from './harness.mjs';

let site, base, browser;

before(async () => {
  site = await startSite({ name: 'pickers', demo: true, users: [EDITOR] });
  ({ base, browser } = site);
});

after(() => site?.stop());

async function signIn(viewport) {
  const page = await site.newPage({ bypassCSP: true, viewport });  // axe is injected
  return await site.signIn(page, EDITOR.email);
}

const chips = (page, id) => page.locator(`#${id}-search`).locator('xpath=..').locator('.picker-chip > span').allInnerTexts();

test('authors are found by name, chosen, reordered and removed with the keyboard, and saved in order', async () => {
  const page = await signIn({ width: 1366, height: 900 });
  await page.goto(base + '/admin/posts/new');
  await page.fill('#title', 'Picked Bylines');
  // The label names the combobox; the text field is now the hidden carrier of the value.
  const combo = page.getByRole('combobox', { name: 'Authors, in byline order' });
  assert.equal(await combo.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.locator('#authors').getAttribute('type'), 'hidden');

  await combo.focus();
  await page.keyboard.type('okaf');  // part of a name
  assert.equal(await combo.getAttribute('aria-expanded'), 'true');
  const listbox = page.getByRole('listbox', { name: 'Authors' });
  assert.deepEqual(await listbox.getByRole('option').allInnerTexts(), ['Mira Okafor (mira-okafor)']);
  assert.equal(await combo.getAttribute('aria-activedescendant'), await listbox.getByRole('option').first().getAttribute('id'));
  await page.keyboard.press('Enter');  // chooses; the form is not sent
  assert.equal(page.url(), base + '/admin/posts/new');
  assert.deepEqual(await chips(page, 'authors'), ['Mira Okafor']);

  await page.keyboard.type('daniel-r');  // part of an address
  await page.keyboard.press('ArrowDown');
  assert.equal(await listbox.getByRole('option', { selected: true }).innerText(), 'Daniel Reyes (daniel-reyes)');
  await page.keyboard.press('Enter');
  // Escape closes the list, then clears the text.
  await page.keyboard.type('e');
  assert.equal(await combo.getAttribute('aria-expanded'), 'true');
  await page.keyboard.press('Escape');
  assert.equal(await combo.getAttribute('aria-expanded'), 'false');
  assert.equal(await combo.inputValue(), 'e');
  await page.keyboard.press('Escape');
  assert.equal(await combo.inputValue(), '');
  // With text typed, Enter takes the first match.
  await page.keyboard.type('hana');
  await page.keyboard.press('Enter');
  assert.deepEqual(await chips(page, 'authors'), ['Mira Okafor', 'Daniel Reyes', 'Hana Sato']);
  assert.equal(await page.locator('#authors').inputValue(), 'mira-okafor, daniel-reyes, hana-sato');
  // Backspace in the empty box removes the last author.
  await page.keyboard.press('Backspace');
  assert.deepEqual(await chips(page, 'authors'), ['Mira Okafor', 'Daniel Reyes']);
  // Daniel Reyes first: his chip's button moves him earlier.
  await page.getByRole('button', { name: 'Move Daniel Reyes earlier' }).press('Enter');
  assert.deepEqual(await chips(page, 'authors'), ['Daniel Reyes', 'Mira Okafor']);
  await page.getByRole('button', { name: 'Remove Mira Okafor' }).click();
  await combo.focus();
  await page.keyboard.type('Mira');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  assert.deepEqual(await chips(page, 'authors'), ['Daniel Reyes', 'Mira Okafor']);

  // Tags: an existing one suggested, a new one taken as typed.
  const tags = page.getByRole('combobox', { name: 'Tags' });
  await tags.focus();
  await page.keyboard.type('arct');
  assert.deepEqual(await page.getByRole('listbox', { name: 'Existing tags' }).getByRole('option').allInnerTexts(), ['Arctic']);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  // An existing tag typed in full, in another case, keeps its own spelling.
  await page.keyboard.type('shipping');
  await page.keyboard.press('Enter');
  // A new tag that begins like an existing one: Enter takes the text as typed, unless a
  // suggestion was chosen with the arrows.
  await page.keyboard.type('Arc');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('Sea Ice');
  await page.keyboard.press('Enter');
  assert.deepEqual(await chips(page, 'tags'), ['Arctic', 'Shipping', 'Sea Ice']);

  assert.deepEqual(await axeViolations(page), [], 'the editor with chips, at 1366x900');

  await page.click('button[name=do][value=save]');
  await page.waitForURL(/\/admin\/posts\/\d+\?saved=save/);
  // Saved in byline order, and shown so when the editor opens again.
  assert.equal(await page.locator('#authors').inputValue(), 'daniel-reyes, mira-okafor');
  assert.deepEqual(await chips(page, 'authors'), ['Daniel Reyes', 'Mira Okafor']);
  assert.deepEqual(await chips(page, 'tags'), ['Arctic', 'Sea Ice', 'Shipping']);  // by name, as stored
  await page.context().close();
});

test('the editor with its pickers has no axe-core violations on a phone', async () => {
  const page = await signIn({ width: 390, height: 844 });
  await page.goto(base + '/admin/posts/new');
  const combo = page.getByRole('combobox', { name: 'Authors, in byline order' });
  await combo.focus();
  await page.keyboard.type('a');
  assert.equal(await combo.getAttribute('aria-expanded'), 'true');
  assert.deepEqual(await axeViolations(page), [], 'the editor with the list open, at 390x844');
  await page.keyboard.press('Enter');  // the first match
  await page.keyboard.press('ArrowDown');  // the list of the others, from the empty box
  await page.keyboard.press('Enter');
  assert.equal((await chips(page, 'authors')).length, 2);
  await page.context().close();
});

test('without JavaScript the fields are comma-separated text', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await site.signIn(await context.newPage(), 'editor@example.org');
  await page.goto(base + '/admin/posts/new');
  assert.equal(await page.locator('#authors').getAttribute('type'), 'text');
  assert.equal(await page.locator('#tags').getAttribute('type'), 'text');
  assert.equal(await page.getByRole('combobox', { name: 'Authors, in byline order' }).count(), 1);  // the datalist's input
  await context.close();
});
