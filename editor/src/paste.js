// Clipboard HTML from word processors, made into the markup the schema reads: lists, footnotes,
// quotes and emphasis as Word, Google Docs and LibreOffice put them there. Google Docs marks
// bold, italic and struck text with inline styles on <span>s (and wraps everything in a
// <b style="font-weight:normal">); the desk's CSP (style-src 'self') keeps the browser from
// applying those styles, so ProseMirror's own rules, which read computed styles, cannot see
// them. This reads the style attributes as text instead, in a document of its own that never
// renders, and turns them into <strong>, <em> and <s>. Even a document that never renders reports
// each style attribute it parses as a CSP violation, so the attributes are renamed in the text
// before it is parsed: inside start tags only, never in the words between them.
import { isSafeAddress, highestFootnoteNumber } from './markdown.js';
import { holdPastedImage } from './images.js';

const keptAttributes = new Set(['href', 'src', 'alt', 'title', 'start', 'colspan', 'rowspan', 'align']);
const blocks = 'p, div, h1, h2, h3, h4, h5, h6, ul, ol, li, blockquote, pre';

// A start tag (up to its first `>`: one inside a quoted value cuts it short, which only leaves a
// style attribute after it unrenamed), then its attributes one match at a time (names may
// follow a slash, as the parser reads `<p/style=…>`). No match can run past a `<` and the
// attribute matches do not backtrack into each other, so the scan stays linear in the text.
const startTag = /<[a-zA-Z][^<>]*>/g;
const attribute = /([\s\/]+)([^\s"'<>\/=]+)((?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)/g;

// Style sheets (Word sends one) go the same way, whole: a style element's text ends at the first
// `</style`, as the parser would end it.
const styleSheet = /<style\b[^<>]*>[\s\S]*?(<\/style\s*>|$)/gi;

// Style attributes are renamed (read later as text), handlers too (never wanted, and reported as
// well), <base> goes; attribute values are left as they are.
function withoutStyleAttributes(html) {
  const renamed = (name) => /^style$/i.test(name) ? 'data-paste-style' : /^on/i.test(name) ? 'data-paste-on' : name;
  return html.replace(styleSheet, '').replace(startTag, (tag) => {
    const name = /^<[^\s\/<>]+/.exec(tag)[0];
    if (name.toLowerCase() === '<base') return '';  // parsing one is reported too
    return name + tag.slice(name.length).replace(attribute, (whole, space, attr, value) => space + renamed(attr) + value);
  });
}

function styleOf(element) {
  const style = {};
  for (const declaration of (element.getAttribute('data-paste-style') || '').split(';')) {
    const at = declaration.indexOf(':');
    if (at > 0) style[declaration.slice(0, at).trim().toLowerCase()] = declaration.slice(at + 1).trim().toLowerCase();
  }
  return style;
}

function wrapChildren(element, tag) {
  const wrapper = element.ownerDocument.createElement(tag);
  while (element.firstChild) wrapper.append(element.firstChild);
  element.append(wrapper);
}

function unwrap(element) {
  element.replaceWith(...element.childNodes);
}

// Word writes a list as paragraphs, each with its level in its style (`mso-list:l0 level2 lfo1`)
// and its marker as text in a span styled `mso-list:Ignore`. Consecutive ones become a list (a
// numbered one when the marker is a number or letter), nested by level.
function wordLists(doc) {
  const levelOf = (element) => {
    const match = /level(\d+)/.exec(styleOf(element)['mso-list'] || '');
    return match ? Number(match[1]) : 0;
  };
  for (const first of [...doc.body.querySelectorAll('p[data-paste-style*="mso-list"]')]) {
    if (!first.isConnected || levelOf(first) === 0) continue;
    const items = [first];
    for (let next = first.nextElementSibling; next && next.tagName === 'P' && levelOf(next) > 0;
      next = next.nextElementSibling) {
      items.push(next);
    }
    const stack = [];  // [list element, level]
    let listId = null;
    for (const paragraph of items) {
      const marker = [...paragraph.querySelectorAll('[data-paste-style]')]
        .find((element) => styleOf(element)['mso-list'] === 'ignore');
      const ordered = marker && /^[(]?([0-9]+|[a-z]{1,4})[.)]/i.test(marker.textContent.trim());
      if (marker) marker.remove();
      const level = levelOf(paragraph);
      // Another Word list (its own lN) right after this one is a list of its own.
      const list = /\bl(\d+)\b/.exec(styleOf(paragraph)['mso-list'] || '')?.[1];
      if (level === 1 && list !== listId) stack.length = 0;
      if (level === 1) listId = list;
      while (stack.length && stack.at(-1)[1] > level) stack.pop();
      if (!stack.length || stack.at(-1)[1] < level) {
        const element = doc.createElement(ordered ? 'ol' : 'ul');
        if (stack.length) stack.at(-1)[0].lastElementChild.append(element);
        else paragraph.before(element);
        stack.push([element, level]);
      }
      const item = doc.createElement('li');
      item.append(...paragraph.childNodes);
      stack.at(-1)[0].append(item);
      paragraph.remove();
    }
  }
}

// Footnotes as word processors copy them: a mark linking to the note (`#_ftn1` in Word, `#ftnt1`
// in Google Docs, `#sdfootnote1sym` in LibreOffice) and, at the end, the note's paragraph, which
// begins with a link back to the mark. Each pair becomes a Markdown footnote, numbered in order.
function isNoteNumber(text) {
  return /^\s*[[(]?\s*(\d{1,4}|[ivxlc]{1,6}|[a-z]|[*†‡§¶]{1,3})\s*[\])]?\s*$/i.test(text);
}

// `after`: the highest note number already in the article, so that pasted notes follow it.
function footnotes(doc, after) {
  const named = (name) => name && (doc.getElementById(name) || doc.querySelector(`a[name="${CSS.escape(name)}"]`));
  const marks = [...doc.body.querySelectorAll('a[href^="#"]')];
  let number = after;
  const notes = [];
  for (const mark of marks) {
    if (!mark.isConnected) continue;
    const back = named(mark.getAttribute('href').slice(1));
    if (!back || back.tagName !== 'A' || back === mark) continue;
    const backTarget = (back.getAttribute('href') || '').slice(1);
    if (backTarget !== (mark.id || mark.getAttribute('name'))) continue;
    // Both links read as a note's number ("[1]", "2", "*", "iv"), and the note comes after its
    // mark, in a paragraph of its own: a table of contents or a "back to top" link is no note.
    if (!isNoteNumber(mark.textContent) || !isNoteNumber(back.textContent)) continue;
    if (!(mark.compareDocumentPosition(back) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
    const paragraph = back.closest('p, li, div');
    if (!paragraph || paragraph.contains(mark) || paragraph.closest('h1, h2, h3, h4, h5, h6')) continue;
    number += 1;
    const label = String(number);
    back.remove();
    const note = doc.createElement('section');
    note.className = 'footnote';
    note.dataset.label = label;
    const text = doc.createElement('p');
    text.append(...paragraph.childNodes);
    text.innerHTML = text.innerHTML.replace(/^(\s|&nbsp;)+/, '');
    note.append(text);
    notes.push(note);
    // The note's own container (Word's footnote div) goes when nothing else is left in it.
    const container = paragraph.parentElement;
    paragraph.remove();
    if (container && container !== doc.body && !container.textContent.trim()) container.remove();
    const ref = doc.createElement('sup');
    ref.className = 'footnote-ref';
    ref.dataset.label = label;
    const wrapper = mark.parentElement && mark.parentElement.tagName === 'SUP' &&
      mark.parentElement.childNodes.length === 1 ? mark.parentElement : mark;
    wrapper.replaceWith(ref);
  }
  // Word's separator line above the notes.
  for (const rule of doc.body.querySelectorAll('[data-paste-style*="mso-element:footnote-list"] hr')) rule.remove();
  doc.body.append(...notes);
}

// Where paste notes go (main.js sets it): a sentence for the writer.
export const pasteNotes = { report: null };

// A data: address's bytes as a file for the upload.
function dataFile(address, type) {
  const bytes = atob(address.slice(address.indexOf(',') + 1).replace(/\s/g, ''));
  const buffer = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) buffer[i] = bytes.charCodeAt(i);
  return new File([buffer], `pasted-image.${type.split('/')[1].replace('jpeg', 'jpg')}`, { type });
}

// ProseMirror's transformPastedHTML: `view` is the editor pasted into.
export function cleanPastedHtml(html, view) {
  const doc = new DOMParser().parseFromString(withoutStyleAttributes(html), 'text/html');
  for (const junk of doc.querySelectorAll('style, script, meta, link, title, template, base')) junk.remove();
  // Images carried in the HTML itself (data: addresses, as Google Docs and Word give them) go to
  // the media library through the image dialog (images.js); images on other sites stay there,
  // shown by address, with a note; any other image (file:, a script address) is not pasted.
  let remote = 0;
  let dropped = 0;
  for (const image of doc.querySelectorAll('img')) {
    const address = image.getAttribute('src') || '';
    const embedded = /^data:(image\/(?:png|jpeg|gif|webp));base64,/i.exec(address);
    if (embedded) {
      try {
        image.setAttribute('src', holdPastedImage(dataFile(address, embedded[1]), image.getAttribute('alt') || ''));
      } catch {
        dropped++;  // not base64 after all
        image.remove();
      }
    } else if (/^https?:\/\//i.test(address)) {
      remote++;
    } else if (!isSafeAddress(address) || address.startsWith('#')) {
      dropped++;
      image.remove();
    }
  }
  if (pasteNotes.report && (remote || dropped)) {
    pasteNotes.report([
      remote ? `${remote} pasted image(s) are shown from the site they came from, not this one: ` +
        'save them and add them with the Image button to keep them.' : '',
      dropped ? `${dropped} pasted image(s) could not be kept (a file on another computer, or an ` +
        'address the article cannot show): add them with the Image button.' : '',
    ].filter(Boolean).join(' '));
  }
  // Google Docs' wrapper: bold in name only.
  for (const wrapper of doc.querySelectorAll('b[id^="docs-internal-guid"]')) unwrap(wrapper);
  wordLists(doc);
  footnotes(doc, view ? highestFootnoteNumber(view.state.doc) : 0);
  // Word's quotation styles.
  for (const quote of [...doc.body.querySelectorAll('p.MsoQuote, p.MsoIntenseQuote')]) {
    const block = doc.createElement('blockquote');
    quote.replaceWith(block);
    block.append(quote);
  }
  // Word's empty paragraphs between paragraphs (`<o:p>&nbsp;</o:p>`).
  for (const paragraph of [...doc.body.querySelectorAll('p')]) {
    if (!paragraph.textContent.replace(/\u00a0/g, ' ').trim() && !paragraph.querySelector('img, sup')) {
      paragraph.remove();
    }
  }
  for (const element of [...doc.body.querySelectorAll('[data-paste-style]')]) {
    const style = styleOf(element);
    const weight = style['font-weight'];
    const bold = weight === 'bold' || weight === 'bolder' || Number(weight) >= 600;
    const notBold = weight === 'normal' || Number(weight) > 0 && Number(weight) < 600;
    if (notBold && (element.tagName === 'B' || element.tagName === 'STRONG')) {
      element.removeAttribute('data-paste-style');
      unwrap(element);
      continue;
    }
    if (bold && element.tagName !== 'B' && element.tagName !== 'STRONG' && !/^H\d$/.test(element.tagName)) {
      wrapChildren(element, 'strong');
    }
    if (style['font-style'] === 'italic') wrapChildren(element, 'em');
    if ((style['text-decoration'] || style['text-decoration-line'] || '').includes('line-through')) {
      wrapChildren(element, 's');
    }
    element.removeAttribute('data-paste-style');
  }
  // A table cell holds a line of text: paragraphs inside one (Word, Google Docs) become spaces.
  for (const cell of doc.querySelectorAll('td, th')) {
    for (const block of [...cell.querySelectorAll(blocks)].reverse()) {
      block.after(doc.createTextNode(' '));
      unwrap(block);
    }
  }
  // Only what the schema reads is kept of the attributes.
  for (const element of doc.body.querySelectorAll('*')) {
    const footnote = element.matches('section.footnote, sup.footnote-ref');
    for (const { name } of [...element.attributes]) {
      if (keptAttributes.has(name) || footnote && (name === 'class' || name === 'data-label')) continue;
      element.removeAttribute(name);
    }
  }
  return doc.body.innerHTML;
}
