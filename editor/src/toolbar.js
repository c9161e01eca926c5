// The toolbar over the writing surface: formatting buttons that show what applies at the cursor,
// a dialog for links, and the switch to the Markdown source. One tab stop; the arrow keys move
// between buttons (the ARIA toolbar pattern).
import { TextSelection } from 'prosemirror-state';
import { toggleMark, setBlockType } from 'prosemirror-commands';
import { undo, redo, undoDepth, redoDepth } from 'prosemirror-history';
import { schema, isSafeAddress } from './markdown.js';

// What a writer types as an address, as a link needs it: "example.org/x" is a web address.
function linkAddress(typed) {
  const href = typed.trim();
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)+(\/|$)/i.test(href) && !href.startsWith('/')) return 'https://' + href;
  return href;
}
import {
  blockIs,
  toggleHeading,
  toggleList,
  toggleQuote,
  insertRule,
  insertFootnote,
} from './commands.js';

const mac = typeof navigator !== 'undefined' && /Mac|iP(hone|[ao]d)/.test(navigator.platform);
const mod = mac ? '⌘' : 'Ctrl+';

function markActive(state, type) {
  const { from, $from, to, empty } = state.selection;
  if (empty) return !!type.isInSet(state.storedMarks || $from.marks());
  return state.doc.rangeHasMark(from, to, type);
}

function inside(state, type) {
  const { $from } = state.selection;
  for (let depth = $from.depth; depth > 0; depth--) if ($from.node(depth).type === type) return true;
  return false;
}

// The run of `mark` around the position `$pos` in its block, across differently formatted pieces.
function markRange($pos, mark) {
  let runFrom = null;
  let range = { from: $pos.pos, to: $pos.pos };
  let found = false;
  $pos.parent.forEach((child, offset) => {
    const childFrom = $pos.start() + offset;
    const childTo = childFrom + child.nodeSize;
    if (!mark.isInSet(child.marks)) {
      runFrom = null;
      return;
    }
    if (runFrom === null) runFrom = childFrom;
    if (!found && childFrom <= $pos.pos && $pos.pos <= childTo) {
      range = { from: runFrom, to: childTo };
      found = true;
    } else if (found && range.from === runFrom) {
      range.to = childTo;
    }
  });
  return range;
}

export class Toolbar {
  constructor(view, { onSourceMode, onImage, onEmbed }) {
    this.view = view;
    this.onSourceMode = onSourceMode;
    this.source = false;
    const { nodes, marks } = schema;
    this.element = document.createElement('div');
    this.element.className = 'writing-toolbar';
    this.element.setAttribute('role', 'toolbar');
    this.element.setAttribute('aria-label', 'Formatting');
    this.items = [
      { name: 'Paragraph', text: '¶', key: `${mod}Alt+0`, run: setBlockType(nodes.paragraph),
        active: (s) => blockIs(s, nodes.paragraph) },
      { name: 'H2 heading', text: 'H2', key: `${mod}Alt+2`, run: toggleHeading(schema, 2),
        active: (s) => blockIs(s, nodes.heading, { level: 2 }) },
      { name: 'H3 subheading', text: 'H3', key: `${mod}Alt+3`, run: toggleHeading(schema, 3),
        active: (s) => blockIs(s, nodes.heading, { level: 3 }) },
      { separator: true },
      { name: 'Bold', text: 'B', className: 'bold', key: `${mod}B`, run: toggleMark(marks.strong),
        active: (s) => markActive(s, marks.strong) },
      { name: 'Italic', text: 'I', className: 'italic', key: `${mod}I`, run: toggleMark(marks.em),
        active: (s) => markActive(s, marks.em) },
      { name: 'Strikethrough', text: 'S', className: 'strike', key: `${mod}Shift+X`,
        run: toggleMark(marks.strike), active: (s) => markActive(s, marks.strike) },
      { name: 'Link', text: 'Link', key: `${mod}K`,
        run: (state, dispatch) => { if (dispatch) this.editLink(); return true; },
        active: (s) => markActive(s, marks.link) },
      { separator: true },
      { name: 'Quote', text: '“ ”', key: `${mod}Shift+9`, run: toggleQuote(schema),
        active: (s) => inside(s, nodes.blockquote) },
      { name: 'Bulleted list', text: '•', key: `${mod}Shift+8`,
        run: toggleList(schema, nodes.bullet_list), active: (s) => inside(s, nodes.bullet_list) },
      { name: '1. Numbered list', text: '1.', key: `${mod}Shift+7`,
        run: toggleList(schema, nodes.ordered_list), active: (s) => inside(s, nodes.ordered_list) },
      { name: 'Footnote', text: 'Footnote', run: insertFootnote(schema) },
      { name: 'Divider', text: '—', run: insertRule(schema) },
      { name: 'Image', text: 'Image', run: (state, dispatch) => { if (dispatch) onImage(); return true; } },
      { name: 'Embed a video, chart or post', text: 'Embed',
        run: (state, dispatch) => { if (dispatch) onEmbed(); return true; } },
      { separator: true },
      { name: 'Undo', text: '↶', key: `${mod}Z`, run: undo, enabled: (s) => undoDepth(s) > 0 },
      { name: 'Redo', text: '↷', key: mac ? '⌘Shift+Z' : 'Ctrl+Y', run: redo,
        enabled: (s) => redoDepth(s) > 0 },
      { separator: true },
      { name: 'Markdown', text: 'Markdown', className: 'source', toggle: true,
        run: () => this.toggleSource() },
    ];
    for (const item of this.items) {
      if (item.separator) {
        const rule = document.createElement('span');
        rule.className = 'writing-toolbar-gap';
        rule.setAttribute('aria-hidden', 'true');
        this.element.append(rule);
        continue;
      }
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = item.text;
      button.className = item.className || '';
      button.setAttribute('aria-label', item.name);
      button.title = item.key ? `${item.name} (${item.key})` : item.name;
      button.tabIndex = -1;
      if (item.active || item.toggle) button.setAttribute('aria-pressed', 'false');
      button.addEventListener('mousedown', (event) => event.preventDefault());  // keep the selection
      button.addEventListener('click', () => {
        if (item.toggle) return item.run();
        if (button.getAttribute('aria-disabled') === 'true') return;
        item.run(this.view.state, this.view.dispatch, this.view);
        this.view.focus();
      });
      item.button = button;
      this.element.append(button);
    }
    this.buttons = this.items.filter((item) => item.button).map((item) => item.button);
    this.buttons[0].tabIndex = 0;
    this.element.addEventListener('keydown', (event) => this.moveFocus(event));
    this.dialog = this.buildLinkDialog();

    this.update();
  }

  // Called for every new editor state (main.js): which buttons apply, and which are pressed.
  update() {
    const state = this.view.state;
    for (const item of this.items) {
      if (!item.button || item.toggle) continue;
      const enabled = item.enabled ? item.enabled(state) : item.run(state, undefined, this.view);
      // aria-disabled rather than disabled: the buttons stay in the toolbar's keyboard order.
      item.button.setAttribute('aria-disabled', String(this.source || !enabled));
      if (item.active) item.button.setAttribute('aria-pressed', String(!!item.active(state)));
    }
  }

  moveFocus(event) {
    const order = this.buttons;
    const at = order.indexOf(document.activeElement);
    let next = null;
    if (event.key === 'ArrowRight') next = order[(at + 1) % order.length];
    else if (event.key === 'ArrowLeft') next = order[(at - 1 + order.length) % order.length];
    else if (event.key === 'Home') next = order[0];
    else if (event.key === 'End') next = order[order.length - 1];
    if (!next) return;
    event.preventDefault();
    for (const button of this.buttons) button.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  }

  // Switches between the formatted and the Markdown view, unless main.js refuses (text the
  // formatted view cannot show).
  toggleSource() {
    if (!this.onSourceMode(!this.source)) return;
    this.source = !this.source;
    const item = this.items.find((candidate) => candidate.toggle);
    item.button.setAttribute('aria-pressed', String(this.source));
    this.update();
  }

  // A small dialog for a link's address: applied to the selection, or removed.
  buildLinkDialog() {
    const dialog = document.createElement('dialog');
    dialog.className = 'writing-dialog';
    dialog.setAttribute('aria-labelledby', 'writing-link-title');
    dialog.innerHTML =
      '<form method="dialog">' +
      '<h2 id="writing-link-title">Link</h2>' +
      '<p><label for="writing-link-href">Address</label>' +
      '<input id="writing-link-href" type="text" inputmode="url" autocomplete="off" ' +
      'placeholder="https://…" aria-describedby="writing-link-help"></p>' +
      '<p id="writing-link-help" class="hint">A web address (https:// is added if left out), ' +
      'a mailto: address, or one on this site starting with /.</p>' +
      '<p class="writing-link-error" role="alert" hidden></p>' +
      '<p class="writing-dialog-actions"><button value="apply">Apply</button> ' +
      '<button value="remove" class="secondary">Remove link</button> ' +
      '<button value="cancel" class="secondary" formnovalidate>Cancel</button></p>' +
      '</form>';
    document.body.append(dialog);
    const input = dialog.querySelector('input');
    const error = dialog.querySelector('.writing-link-error');
    dialog.querySelector('form').addEventListener('submit', (event) => {
      const action = event.submitter ? event.submitter.value : 'apply';
      if (action !== 'apply') return;
      const href = linkAddress(input.value);
      input.value = href;
      if (!isSafeAddress(href)) {
        event.preventDefault();
        error.textContent = 'This is not an address a link can use: start it with https://, ' +
          'mailto: or /.';
        error.hidden = false;
        input.focus();
      }
    });
    dialog.addEventListener('close', () => {
      const view = this.view;
      const { link } = schema.marks;
      const range = this.linkRange;
      if (dialog.returnValue === 'apply' && range) {
        const href = input.value;
        let tr = view.state.tr;
        let { from, to } = range;
        // No text chosen, or the text is the old address: the address is the text.
        if (from === to || view.state.doc.textBetween(from, to) === this.linkHref) {
          tr = tr.insertText(href, from, to);
          to = from + href.length;
        }
        tr = tr.removeMark(from, to, link).addMark(from, to, link.create({ href }));
        // The cursor after the link, so that typing goes on after it instead of replacing it
        // (focused first: focusing would bring back the browser's selection of the text).
        tr = tr.setSelection(TextSelection.create(tr.doc, to)).removeStoredMark(link);
        view.focus();
        view.dispatch(tr);
      } else if (dialog.returnValue === 'remove' && range) {
        view.dispatch(view.state.tr.removeMark(range.from, range.to, link));
      }
      view.focus();
    });
    return dialog;
  }

  // Opens the link dialog for the selection, or for the whole link the cursor is in.
  editLink() {
    const state = this.view.state;
    const { link } = schema.marks;
    let { from, to } = state.selection;
    let href = '';
    const $from = state.selection.$from;
    const current = link.isInSet($from.marks()) || (from < to && state.doc.rangeHasMark(from, to, link)
      ? link.isInSet(state.doc.resolve(from + 1).marks()) : null);
    if (current) {
      href = current.attrs.href;
      if (from === to) ({ from, to } = markRange($from, current));
    }
    this.linkRange = { from, to };
    this.linkHref = href;
    const input = this.dialog.querySelector('input');
    input.value = href;
    this.dialog.querySelector('.writing-link-error').hidden = true;
    this.dialog.returnValue = '';
    this.dialog.showModal();
    input.focus();
  }
}
