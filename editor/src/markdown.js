// The writing surface's document model and its Markdown, both ways.
//
// Markdown is what Broadsheet stores and renders (cmark-gfm on the server); the editor parses it
// into a ProseMirror document and writes it back. The schema covers what the server renders:
// paragraphs, headings, quotes, lists, code, rules, images, links, emphasis, strikethrough,
// footnotes and tables. Raw HTML, which only some staff may write, is kept verbatim as an atom
// the writer sees as code, so nothing the editor does not model is lost. What serialize writes,
// parse reads back to the same document (tests/editor/markdown.test.mjs), and the server renders
// it as it rendered the text the editor opened (tests/browser/editor.test.mjs).
import MarkdownIt from 'markdown-it';
import footnote from 'markdown-it-footnote';
import { Schema } from 'prosemirror-model';
import {
  schema as commonmark,
  MarkdownParser,
  MarkdownSerializer,
  defaultMarkdownSerializer,
} from 'prosemirror-markdown';

// The highest numbered footnote label in `doc` (0 for none): new notes, typed or pasted, are
// numbered after it.
export function highestFootnoteNumber(doc) {
  let highest = 0;
  doc.descendants((node) => {
    const label = node.attrs && node.attrs.label;
    if (label && /^\d+$/.test(label)) highest = Math.max(highest, Number(label));
  });
  return highest;
}

// A footnote's label as the DOM carries it (the editor's own nodes, or HTML pasted from
// anywhere): only a plain label is one, as the serializer writes it verbatim into `[^label]`.
// Anything else is not read as a footnote at all.
function footnoteLabel(dom) {
  const label = dom.dataset.label;
  return typeof label === 'string' && /^[^\s[\]\\<>](?:[^\n\r[\]\\<>]{0,62}[^\s[\]\\<>])?$/.test(label)
    ? { label } : false;
}

// Column alignment from markdown-it's `style="text-align:…"` on a table cell.
function cellAlignment(token) {
  const style = token.attrGet('style') || '';
  const found = style.match(/text-align:\s*(left|center|right)/);
  return found ? found[1] : null;
}

const cellSpec = (tag) => ({
  content: 'inline*',
  attrs: { align: { default: null } },
  isolating: true,
  parseDOM: [{ tag, getAttrs: (dom) => ({ align: dom.style.textAlign || null }) }],
  toDOM: (node) => [tag, node.attrs.align ? { class: `align-${node.attrs.align}` } : {}, 0],
});

// Lists the writer makes are tight (no blank lines between items), as typed lists are; so are
// pasted lists whose items hold one paragraph each (word processors wrap each item in a <p>).
function withTightDefault(spec, tag) {
  const tightHtml = (dom) => dom.hasAttribute('data-tight') ||
    [...dom.children].every((item) => [...item.children].filter((child) =>
      /^(P|DIV|H\d|BLOCKQUOTE|PRE|TABLE)$/.test(child.tagName)).length <= 1);
  return {
    ...spec,
    attrs: { ...spec.attrs, tight: { default: true } },
    parseDOM: [{
      tag,
      getAttrs: (dom) => ({
        tight: tightHtml(dom),
        ...(tag === 'ol' ? { order: dom.hasAttribute('start') ? +dom.getAttribute('start') || 1 : 1 } : {}),
      }),
    }],
  };
}

// Addresses a link may have: web, mail, on this site, or within the page. Links pasted from
// elsewhere with any other (javascript:, data:) keep their text and lose the link.
export function isSafeAddress(href) {
  return /^(https?:\/\/[^\s]+|mailto:[^\s]+|\/[^\s]*|#[^\s]+)$/i.test(href || '');
}

// An image description's plain text, as cmark-gfm writes it in alt: escaped characters
// (markdown-it's text_special, which its own renderInlineAsText skips) and code included.
function altText(tokens) {
  let text = '';
  for (const token of tokens) {
    if (token.type === 'image') text += altText(token.children || []);
    else if (token.type === 'softbreak' || token.type === 'hardbreak') text += '\n';
    else if (['text', 'text_special', 'code_inline', 'html_inline'].includes(token.type)) text += token.content;
  }
  return text;
}

const link = commonmark.spec.marks.get('link');

export const schema = new Schema({
  nodes: commonmark.spec.nodes
    .update('bullet_list', withTightDefault(commonmark.spec.nodes.get('bullet_list'), 'ul'))
    .update('ordered_list', withTightDefault(commonmark.spec.nodes.get('ordered_list'), 'ol'))
    // Headings hold whatever a paragraph holds (inline HTML, footnote marks).
    .update('heading', { ...commonmark.spec.nodes.get('heading'), content: 'inline*' })
    .update('image', {
      ...commonmark.spec.nodes.get('image'),
      draggable: true,
    })
    .append({
      footnote: {
        // A footnote's text: the definition `[^label]: …`, shown where the notes are listed.
        group: 'block',
        content: 'block+',
        attrs: { label: {} },
        defining: true,
        parseDOM: [{ tag: 'section.footnote', getAttrs: footnoteLabel }],
        toDOM: (node) => ['section', { class: 'footnote', 'data-label': node.attrs.label }, 0],
      },
      footnote_ref: {
        inline: true,
        group: 'inline',
        atom: true,
        attrs: { label: {} },
        parseDOM: [{ tag: 'sup.footnote-ref', getAttrs: footnoteLabel }],
        toDOM: (node) => ['sup', { class: 'footnote-ref', 'data-label': node.attrs.label },
                          node.attrs.label],
      },
      table: {
        group: 'block',
        content: 'table_row+',
        isolating: true,
        parseDOM: [{ tag: 'table' }],
        toDOM: () => ['table', ['tbody', 0]],
      },
      table_row: {
        content: '(table_header | table_cell)+',
        parseDOM: [{ tag: 'tr' }],
        toDOM: () => ['tr', 0],
      },
      table_header: cellSpec('th'),
      table_cell: cellSpec('td'),
      html_block: {
        // Raw HTML as written (staff whom the site lets write HTML; filtered by role on save).
        group: 'block',
        atom: true,
        attrs: { html: {} },
        parseDOM: [{ tag: 'pre.raw-html', preserveWhitespace: 'full',
                     getAttrs: (dom) => ({ html: dom.textContent }) }],
        toDOM: (node) => ['pre', { class: 'raw-html', title: 'HTML' }, node.attrs.html],
      },
      html_inline: {
        inline: true,
        group: 'inline',
        atom: true,
        attrs: { html: {} },
        parseDOM: [{ tag: 'code.raw-html', getAttrs: (dom) => ({ html: dom.textContent }) }],
        toDOM: (node) => ['code', { class: 'raw-html', title: 'HTML' }, node.attrs.html],
      },
    }),
  marks: commonmark.spec.marks.update('link', {
    ...link,
    parseDOM: [{
      tag: 'a[href]',
      getAttrs: (dom) => isSafeAddress(dom.getAttribute('href'))
        ? { href: dom.getAttribute('href'), title: dom.getAttribute('title') } : false,
    }],
  }).append({
    strike: {
      parseDOM: [{ tag: 's' }, { tag: 'del' }, { tag: 'strike' },
                 { style: 'text-decoration', getAttrs: (value) => value === 'line-through' && null }],
      toDOM: () => ['s', 0],
    },
  }),
});

// Markdown as cmark-gfm reads it: CommonMark with raw HTML, tables, strikethrough, autolinks and
// footnotes (not markdown-it's inline ^[notes], which cmark-gfm does not have).
function tokenizer() {
  // maxNesting: markdown-it's CommonMark preset stops at 20 levels and drops what is deeper.
  const markdown = new MarkdownIt('commonmark', { html: true, linkify: true, maxNesting: 200 })
    .enable(['table', 'strikethrough', 'linkify'])
    .use(footnote);
  markdown.inline.ruler.disable(['footnote_inline']);
  // cmark-gfm links bare addresses only at word boundaries, and "www." ones too; markdown-it's
  // fuzzy matching of bare domains ("example.org") it does not do.
  markdown.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
  return markdown;
}

const markdownIt = tokenizer();
const parser = new MarkdownParser(schema, markdownIt, {
  ...Object.fromEntries(Object.entries(defaultTokens()).filter(([name]) => name !== 'softbreak')),
  s: { mark: 'strike' },
  table: { block: 'table' },
  thead: { ignore: true },
  tbody: { ignore: true },
  tr: { block: 'table_row' },
  th: { block: 'table_header', getAttrs: (token) => ({ align: cellAlignment(token) }) },
  td: { block: 'table_cell', getAttrs: (token) => ({ align: cellAlignment(token) }) },
  footnote_ref: { node: 'footnote_ref', getAttrs: (token) => ({ label: token.meta.label }) },
  footnote_block: { ignore: true },
  footnote: { block: 'footnote', getAttrs: (token) => ({ label: token.meta.label }) },
  footnote_anchor: { ignore: true, noCloseToken: true },
  html_block: { node: 'html_block', getAttrs: (token) => ({ html: token.content }) },
  html_inline: { node: 'html_inline', getAttrs: (token) => ({ html: token.content }) },
});

// prosemirror-markdown's token table for its CommonMark schema.
function defaultTokens() {
  return {
    blockquote: { block: 'blockquote' },
    paragraph: { block: 'paragraph' },
    list_item: { block: 'list_item' },
    bullet_list: { block: 'bullet_list', getAttrs: (_, tokens, i) => ({ tight: listIsTight(tokens, i) }) },
    ordered_list: {
      block: 'ordered_list',
      getAttrs: (token, tokens, i) => ({
        order: +token.attrGet('start') || 1,
        tight: listIsTight(tokens, i),
      }),
    },
    heading: { block: 'heading', getAttrs: (token) => ({ level: +token.tag.slice(1) }) },
    code_block: { block: 'code_block', noCloseToken: true },
    fence: { block: 'code_block', getAttrs: (token) => ({ params: token.info || '' }), noCloseToken: true },
    hr: { node: 'horizontal_rule' },
    image: {
      node: 'image',
      getAttrs: (token) => ({
        src: token.attrGet('src'),
        title: token.attrGet('title') || null,
        // The alt text as cmark-gfm gives it: the label's text without its formatting.
        alt: altText(token.children || []) || null,
      }),
    },
    hardbreak: { node: 'hard_break' },
    em: { mark: 'em' },
    strong: { mark: 'strong' },
    link: {
      mark: 'link',
      getAttrs: (token) => ({ href: token.attrGet('href'), title: token.attrGet('title') || null }),
    },
    code_inline: { mark: 'code', noCloseToken: true },
  };
}

function listIsTight(tokens, i) {
  while (++i < tokens.length) if (tokens[i].type !== 'list_item_open') return tokens[i].hidden;
  return false;
}

// Parses Markdown into a document of the editor's schema.
export function parseMarkdown(text) {
  return parser.parse(text);
}

// A table cell's text on one line, with the pipes that would end the cell escaped (GFM asks for
// that inside code spans too).
function cellMarkdown(cell) {
  const paragraph = schema.node('paragraph', null, cell.content);
  const text = serializer.serialize(schema.node('doc', null, [paragraph]));
  // A line break in a cell (Shift+Enter) would end the row: a space instead.
  return text.replace(/\\\n/g, ' ').replace(/\n/g, ' ').replace(/(?<!\\)\|/g, '\\|').trim();
}

function alignmentRule(align) {
  if (align === 'center') return ':---:';
  if (align === 'right') return '---:';
  if (align === 'left') return ':---';
  return '---';
}

const nodes = {
  ...defaultMarkdownSerializer.nodes,
  text(state, node, parent, index) {
    let text = node.text;
    // After a hard break the text starts a line too: "- milk" there must not become a list.
    const afterBreak = index > 0 && parent.child(index - 1).type.name === 'hard_break';
    if (!state.inAutolink && (state.atBlockStart || afterBreak)) {
      state.atBlockStart = true;
      // Spaces at the start of a line would make an indented code block (and HTML drops them).
      text = text.replace(/^[ \t]+/, '');
      // A task list's box, as cmark-gfm reads it, is not text to escape.
      const box = state.listItemStart ? text.match(/^\[[ xX]\] /) : null;
      if (box) {
        state.write(box[0]);
        text = text.slice(box[0].length);
      } else if (text.startsWith('=')) {
        state.write('\\');  // not a setext heading's underline
      }
    }
    state.listItemStart = false;
    state.text(text, !state.inAutolink);
  },
  // As the default, but the title's backslashes are escaped too, so a title holding "\\" or
  // "\\|" (a figure's escaped pipe, content/figure.h) reads back as it was written.
  image(state, node) {
    const title = node.attrs.title;
    state.write('![' + state.esc(node.attrs.alt || '') + '](' + node.attrs.src.replace(/[()]/g, '\\$&') +
      (title ? ' "' + title.replace(/[\\"]/g, '\\$&') + '"' : '') + ')');
  },
  list_item(state, node) {
    state.listItemStart = true;
    state.renderContent(node);
    state.listItemStart = false;
  },
  bullet_list(state, node) {
    state.renderList(node, '  ', () => '- ');
  },
  heading(state, node) {
    state.write('#'.repeat(node.attrs.level) + ' ');
    state.renderInline(node, false);
    state.closeBlock(node);
  },
  footnote_ref(state, node) {
    state.write(`[^${node.attrs.label}]`);
  },
  footnote(state, node) {
    state.wrapBlock('    ', `[^${node.attrs.label}]: `, node, () => state.renderContent(node));
  },
  table(state, node) {
    node.forEach((row, _, index) => {
      const cells = [];
      row.forEach((cell) => cells.push(cellMarkdown(cell)));
      state.write(`| ${cells.join(' | ')} |\n`);
      if (index === 0) {
        const rules = [];
        row.forEach((cell) => rules.push(alignmentRule(cell.attrs.align)));
        state.write(`| ${rules.join(' | ')} |\n`);
      }
    });
    state.closeBlock(node);
  },
  html_block(state, node) {
    state.text(node.attrs.html.replace(/\n+$/, ''), false);
    state.closeBlock(node);
  },
  html_inline(state, node) {
    state.write(node.attrs.html);
  },
};

const marks = {
  ...defaultMarkdownSerializer.marks,
  em: { open: '*', close: '*', mixable: true, expelEnclosingWhitespace: true },
  strong: { open: '**', close: '**', mixable: true, expelEnclosingWhitespace: true },
  strike: { open: '~~', close: '~~', mixable: true, expelEnclosingWhitespace: true },
};

const serializer = new MarkdownSerializer(nodes, marks, {
  tightLists: true,
  // Text that would otherwise become markup: table pipes, raw HTML and entities, as typed.
  escapeExtraCharacters: /[|<]|&(?=#?[a-zA-Z0-9]+;)/g,
});

// Whether the editor can show `text` without changing what it means: the document parsed from
// it, written back, renders (by markdown-it) as the text itself does. When not, the desk shows
// the body as Markdown (main.js) rather than change it on the first keystroke.
export function readFaithfully(text) {
  const doc = parseMarkdown(text);
  const normal = (html) => html.replace(/\s+/g, ' ').replace(/> </g, '><').trim();
  const faithful = normal(markdownIt.render(text)) === normal(markdownIt.render(serializeMarkdown(doc)));
  return { doc, faithful };
}

// Writes a document as Markdown, ending with one newline.
export function serializeMarkdown(doc) {
  const text = serializer.serialize(doc);
  return text === '' ? '' : text.replace(/\n*$/, '\n');
}
