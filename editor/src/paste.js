// Clipboard HTML from word processors, made into the markup the schema reads. Google Docs marks
// bold, italic and struck text with inline styles on <span>s (and wraps everything in a
// <b style="font-weight:normal">); the desk's CSP (style-src 'self') keeps the browser from
// applying those styles, so ProseMirror's own rules, which read computed styles, cannot see
// them. This reads the style attributes as text instead, in a document of its own that never
// renders, and turns them into <strong>, <em> and <s>. Even a document that never renders reports
// each style attribute it parses as a CSP violation, so the attributes are renamed in the text
// before it is parsed: inside start tags only, never in the words between them.
const blocks = 'p, div, h1, h2, h3, h4, h5, h6, ul, ol, li, blockquote, pre';

const startTag = /<[a-zA-Z][^\s\/>]*(?:\s+[^\s"'>\/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*\/?>/g;
const styleAttribute = /(\s)style(\s*=)/gi;

function withoutStyleAttributes(html) {
  return html.replace(startTag, (tag) => tag.replace(styleAttribute, '$1data-paste-style$2'));
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

export function cleanPastedHtml(html) {
  const doc = new DOMParser().parseFromString(withoutStyleAttributes(html), 'text/html');
  for (const junk of doc.querySelectorAll('style, script, meta, link, title, template')) junk.remove();
  // Google Docs' wrapper: bold in name only.
  for (const wrapper of doc.querySelectorAll('b[id^="docs-internal-guid"]')) unwrap(wrapper);
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
  for (const element of doc.body.querySelectorAll('[class], [id]')) {
    element.removeAttribute('class');
    element.removeAttribute('id');
  }
  return doc.body.innerHTML;
}
