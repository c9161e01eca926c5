// Images in the body: files dropped or pasted on the writing surface, images in pasted HTML and
// the toolbar's Image button go to the media library (POST /admin/media.json, the library's
// rules and limits) after a dialog asks for their alt text, caption and credit, and come back as
// a figure: the image alone in its paragraph, `![alt](/uploads/… "Caption | Credit")`, with
// `#wide`, `#left` or `#right` on the address for its layout (docs/content-format.md). While a
// file uploads, a placeholder marks where it goes; the writer keeps typing, and a failure leaves
// the text as it is and says why in the status line.
import { Plugin, PluginKey, NodeSelection } from 'prosemirror-state';
import { Decoration, DecorationSet } from 'prosemirror-view';
import { schema } from './markdown.js';

const accepted = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];
const pendingPrefix = '#broadsheet-upload-';
// Images taken from pasted HTML (paste.js), waiting for their dialog: id → { file, alt }.
const pendingPastes = new Map();
let nextId = 1;

// Keeps a pasted image's file for the dialog; returns the address that stands for it in the
// pasted HTML until the plugin below takes it out.
export function holdPastedImage(file, alt) {
  const id = String(nextId++);
  pendingPastes.set(id, { file, alt });
  return pendingPrefix + id;
}

// How many pasted images are held (for the tests: a paste leaves none behind).
export function heldPastedImages() {
  return pendingPastes.size;
}

// "Caption | Credit" and "#wide" as the server reads them (src/content/figure.h): a "|" in the
// caption or credit is written "\\|" and a backslash before "\\" or "|" is doubled, so the credit
// follows the last " | " that is not escaped. tests/vectors/figure-titles.json holds both sides
// to the same table.
const escaped = (text, i) => text[i] === '\\' && (text[i + 1] === '\\' || text[i + 1] === '|');
// The server's Trim: ASCII spaces, tabs and line ends only (String.trim would take NBSP too).
const trimAscii = (text) => text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

function readTitlePart(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (escaped(text, i)) i++;
    out += text[i];
  }
  return out;
}

function writeTitlePart(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '|' || escaped(text, i)) out += '\\';
    out += text[i];
  }
  return out;
}

export function figureParts(src, title) {
  const hash = (src || '').indexOf('#');
  const fragment = hash < 0 ? '' : src.slice(hash + 1);
  const text = title || '';
  let cut = -1;
  for (let i = 0; i < text.length; i++) {
    if (escaped(text, i)) i++;
    else if (text.startsWith(' | ', i)) cut = i;
  }
  return {
    url: hash < 0 ? src : src.slice(0, hash),
    align: ['wide', 'left', 'right'].includes(fragment) ? fragment : '',
    caption: readTitlePart(trimAscii(cut < 0 ? text : text.slice(0, cut))),
    credit: cut < 0 ? '' : readTitlePart(trimAscii(text.slice(cut + 3))),
  };
}

// The title holding `caption` and `credit`, as content::FigureTitle writes it.
export function figureTitle(caption, credit) {
  return writeTitlePart(caption || '') + (credit ? ` | ${writeTitlePart(credit)}` : '');
}

export function figureAttrs({ url, align, alt, caption, credit }) {
  const title = figureTitle(caption, credit);
  return { src: url + (align ? `#${align}` : ''), alt: alt || null, title: title || null };
}

// An image alone in its paragraph, from the media library: shown as the figure readers get.
export class ImageView {
  constructor(node, view, getPos) {
    this.node = node;
    const $pos = view.state.doc.resolve(getPos());
    const lone = $pos.parent.type === schema.nodes.paragraph && $pos.parent.childCount === 1;
    const parts = figureParts(node.attrs.src, node.attrs.title);
    const image = document.createElement('img');
    image.src = node.attrs.src;
    image.alt = node.attrs.alt || '';
    if (!lone || !parts.url.startsWith('/uploads/media/')) {
      this.dom = image;
      if (node.attrs.title) image.title = node.attrs.title;
      return;
    }
    this.dom = document.createElement('span');
    this.dom.className = 'writing-figure' + (parts.align ? ` align${parts.align}` : '');
    this.dom.append(image);
    if (parts.caption || parts.credit) {
      const caption = document.createElement('span');
      caption.className = 'writing-figcaption';
      if (parts.caption) {
        const text = document.createElement('span');
        text.textContent = parts.caption;
        caption.append(text);
      }
      if (parts.credit) {
        const credit = document.createElement('span');
        credit.className = 'credit';
        credit.textContent = parts.credit;
        caption.append(parts.caption ? ' ' : '', credit);
      }
      this.dom.append(caption);
    }
    this.dom.title = 'Double-click (or Enter when selected) to change its alt text, caption or layout';
  }

  stopEvent() { return false; }
}

const placeholders = new PluginKey('imageUploads');

export class ImageUploads {
  constructor(view, textarea, status) {
    this.view = view;
    this.token = textarea.dataset.uploadToken || '';
    this.status = status;
    this.queue = Promise.resolve();
    this.dialog = this.buildDialog();
  }

  // The plugin that draws placeholders and takes images out of pasted HTML.
  static plugin(uploads) {
    return new Plugin({
      key: placeholders,
      state: {
        init: () => DecorationSet.empty,
        apply(tr, set) {
          set = set.map(tr.mapping, tr.doc);
          const meta = tr.getMeta(placeholders);
          if (meta && meta.add) {
            const widget = document.createElement('span');
            widget.className = 'writing-upload';
            widget.textContent = `Uploading ${meta.add.name}…`;
            set = set.add(tr.doc, [Decoration.widget(meta.add.pos, widget, { id: meta.add.id })]);
          } else if (meta && meta.remove) {
            set = set.remove(set.find(null, null, (spec) => spec.id === meta.remove));
          }
          return set;
        },
      },
      props: {
        decorations(state) { return this.getState(state); },
        handleDrop: (view, event) => uploads().drop(event),
        handlePaste: (view, event) => uploads().pasteFiles(event),
        handleDoubleClickOn: (view, pos, node, nodePos) => {
          if (node.type !== schema.nodes.image) return false;
          uploads().edit(nodePos);
          return true;
        },
        handleKeyDown: (view, event) => {
          const { selection } = view.state;
          if (event.key !== 'Enter' || !(selection instanceof NodeSelection) ||
              selection.node.type !== schema.nodes.image) return false;
          uploads().edit(selection.from);
          return true;
        },
      },
      // Images pasted as HTML arrive with a pending address: each becomes a placeholder at once
      // (so the address never reaches the Markdown) and goes to the dialog and the library.
      // Typing holds nothing, so the document is walked only after a paste held images; what
      // the paste did not place (dropped by the schema, say) is let go with it.
      appendTransaction(transactions, oldState, state) {
        if (!pendingPastes.size || !transactions.some((tr) => tr.docChanged)) return null;
        const found = [];
        state.doc.descendants((node, pos) => {
          if (node.type === schema.nodes.image && (node.attrs.src || '').startsWith(pendingPrefix)) {
            found.push({ pos, id: node.attrs.src.slice(pendingPrefix.length) });
          }
        });
        const held = new Map(pendingPastes);
        pendingPastes.clear();
        if (!found.length) return null;
        const tr = state.tr;
        const batch = [];
        for (const { pos, id } of found.reverse()) {
          tr.delete(pos, pos + 1);
          const pending = held.get(id);
          if (pending) batch.unshift({ file: pending.file, alt: pending.alt, pos });
        }
        // Positions after every deletion; one picture gets the usual dialog, several (a Word
        // document's, say) one dialog for them all.
        for (const item of batch) item.pos = tr.mapping.map(item.pos);
        if (batch.length === 1) setTimeout(() => uploads().start(batch[0].file, batch[0].pos, batch[0].alt), 0);
        else if (batch.length > 1) setTimeout(() => uploads().startBatch(batch), 0);
        return tr;
      },
    });
  }

  say(text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  }

  drop(event) {
    const files = [...(event.dataTransfer && event.dataTransfer.files || [])];
    if (!files.length) return false;
    event.preventDefault();
    const at = this.view.posAtCoords({ left: event.clientX, top: event.clientY });
    const pos = at ? at.pos : this.view.state.selection.from;
    this.startAll(files, pos);
    return true;
  }

  // Image files on the clipboard (a screenshot, a copied file). Word and Google Docs also put a
  // picture of the copied text there: when the clipboard has HTML with text, the HTML is used.
  pasteFiles(event) {
    const data = event.clipboardData;
    const files = [...(data && data.files || [])];
    if (!files.length) return false;
    const html = data.getData('text/html');
    if (html && new DOMParser().parseFromString(html, 'text/html').body.textContent.trim()) return false;
    event.preventDefault();
    // The HTML was read (and its images held) before this handler took the paste: let them go.
    pendingPastes.clear();
    this.startAll(files, this.view.state.selection.from);
    return true;
  }

  startAll(files, pos) {
    const images = files.filter((file) => accepted.includes(file.type));
    if (images.length < files.length) {
      this.say(`Only JPEG, PNG, WebP and GIF images can be added to the text; ${files.length - images.length} ` +
        `file(s) left out.`);
    }
    for (const file of images) this.start(file, pos, '');
  }

  // One file: its placeholder now, its dialog when the ones before it are done, then its upload.
  start(file, pos, alt) {
    if (!this.token) {
      this.say('Your role does not allow uploading images: ask an editor to add this one.');
      return;
    }
    const id = String(nextId++);
    const name = file.name || 'image';
    this.view.dispatch(this.view.state.tr.setMeta(placeholders, { add: { id, pos, name } }));
    this.queue = this.queue.then(async () => {
      const details = await this.ask({ file, alt, caption: '', credit: '', align: '' }, 'Add an image');
      if (!details) {
        this.finish(id, null);
        this.say(`${name} was not added.`);
        return;
      }
      this.say(`Uploading ${name}…`);
      try {
        const item = await this.upload(file, details);
        this.finish(id, { ...details, url: item.url });
        this.say(`${name} was added to the text and to the media library.`);
      } catch (error) {
        this.finish(id, null);
        this.say(`${name} was not added: ${error.message} Your text is unchanged.`);
      }
    });
  }

  // Several pictures from one paste or document: a placeholder for each now, then one dialog
  // listing them all (thumbnail, alt text, caption and credit each), then their uploads one
  // after another. Cancelling leaves them all out, as declining one picture does.
  startBatch(items) {
    if (!this.token) {
      this.say('Your role does not allow uploading images: ask an editor to add these ones.');
      return;
    }
    const placed = items.map((item) => ({ ...item, id: String(nextId++), name: item.file.name || 'image' }));
    // Placed from the last so that each position is still the one the paste left.
    for (const item of [...placed].reverse()) {
      this.view.dispatch(this.view.state.tr.setMeta(placeholders, { add: { id: item.id, pos: item.pos, name: item.name } }));
    }
    this.queue = this.queue.then(async () => {
      const chosen = await this.askAll(placed);
      if (!chosen) {
        for (const item of placed) this.finish(item.id, null);
        this.say(`The ${placed.length} pictures were not added; the rest of the text is in.`);
        return;
      }
      let added = 0;
      const failed = [];
      for (const [index, item] of placed.entries()) {
        this.say(`Uploading picture ${index + 1} of ${placed.length}…`);
        try {
          const uploaded = await this.upload(item.file, chosen[index]);
          this.finish(item.id, { ...chosen[index], url: uploaded.url });
          added++;
        } catch (error) {
          this.finish(item.id, null);
          failed.push(`picture ${index + 1}: ${error.message}`);
        }
      }
      this.say(failed.length
        ? `${added} of ${placed.length} pictures were added; not added: ${failed.join(' ')}`
        : `The ${placed.length} pictures were added to the text and to the media library.`);
    });
  }

  // The dialog for several pictures; resolves with each one's details, or null when cancelled.
  askAll(items) {
    const dialog = this.batchDialog || (this.batchDialog = this.buildBatchDialog());
    const list = dialog.querySelector('ol');
    list.replaceChildren();
    dialog.querySelector('h2').textContent = `Add ${items.length} pictures`;
    dialog.querySelector('.writing-image-error').hidden = true;
    for (const [index, item] of items.entries()) {
      const n = index + 1;
      const entry = document.createElement('li');
      entry.className = 'writing-batch-item';
      const thumb = document.createElement('img');
      thumb.alt = '';
      thumb.className = 'writing-batch-thumb';
      const reader = new FileReader();
      reader.onload = () => { thumb.src = reader.result; };
      reader.readAsDataURL(item.file);
      const fields = document.createElement('div');
      const field = (kind, label, control) => {
        const paragraph = document.createElement('p');
        const caption = document.createElement('label');
        control.id = `writing-batch-${kind}-${n}`;
        caption.htmlFor = control.id;
        caption.textContent = label;
        paragraph.append(caption, control);
        fields.append(paragraph);
        return control;
      };
      const alt = field('alt', `Alt text for picture ${n}`, document.createElement('textarea'));
      alt.rows = 2;
      alt.maxLength = 500;
      alt.value = item.alt || '';
      const decorative = document.createElement('input');
      decorative.type = 'checkbox';
      const check = field('decorative', `Picture ${n} is decorative (no alt text)`, decorative);
      check.parentElement.className = 'check';
      check.parentElement.prepend(decorative);
      decorative.addEventListener('change', () => { alt.disabled = decorative.checked; });
      const text = (kind, label, max) => {
        const input = document.createElement('input');
        input.type = 'text';
        input.maxLength = max;
        return field(kind, label, input);
      };
      text('caption', `Caption for picture ${n}`, 1000);
      text('credit', `Credit for picture ${n}`, 300).placeholder = 'Photo: …';
      const name = document.createElement('p');
      name.className = 'writing-batch-name';
      name.textContent = `Picture ${n}: ${item.name}`;
      entry.append(thumb, name, fields);
      list.append(entry);
    }
    dialog.returnValue = '';
    return new Promise((resolve) => {
      this.resolveBatch = resolve;
      dialog.showModal();
      dialog.querySelector('textarea').focus();
    });
  }

  buildBatchDialog() {
    const dialog = document.createElement('dialog');
    dialog.className = 'writing-image-dialog writing-batch-dialog';
    dialog.setAttribute('aria-labelledby', 'writing-batch-title');
    dialog.innerHTML =
      '<form method="dialog">' +
      '<h2 id="writing-batch-title">Add pictures</h2>' +
      '<p>Each picture goes to the media library and into the text where it stood.</p>' +
      '<ol class="writing-batch-list"></ol>' +
      '<p class="writing-image-error" role="alert" hidden></p>' +
      '<p class="writing-dialog-actions"><button value="apply">Upload all</button> ' +
      '<button value="cancel" class="secondary" formnovalidate>Cancel</button></p>' +
      '</form>';
    document.body.append(dialog);
    const value = (kind, n) => dialog.querySelector(`#writing-batch-${kind}-${n}`);
    const count = () => dialog.querySelectorAll('.writing-batch-item').length;
    const error = dialog.querySelector('.writing-image-error');
    dialog.querySelector('form').addEventListener('submit', (event) => {
      if ((event.submitter ? event.submitter.value : 'apply') !== 'apply') return;
      const missing = [];
      for (let n = 1; n <= count(); n++) {
        if (!value('decorative', n).checked && !value('alt', n).value.trim()) missing.push(n);
      }
      if (missing.length) {
        event.preventDefault();
        error.textContent = `Describe ${missing.length === 1 ? 'picture' : 'pictures'} ${missing.join(', ')} ` +
          `in alt text, or mark ${missing.length === 1 ? 'it' : 'them'} as decorative.`;
        error.hidden = false;
        value('alt', missing[0]).focus();
      }
    });
    dialog.addEventListener('close', () => {
      const resolve = this.resolveBatch;
      this.resolveBatch = null;
      if (!resolve) return;
      if (dialog.returnValue !== 'apply') return resolve(null);
      const clean = (text) => text.trim().replace(/\s+/g, ' ');
      const details = [];
      for (let n = 1; n <= count(); n++) {
        const decorative = value('decorative', n).checked;
        details.push({
          alt: decorative ? '' : clean(value('alt', n).value),
          decorative,
          caption: clean(value('caption', n).value),
          credit: clean(value('credit', n).value),
          align: '',
        });
      }
      resolve(details);
      this.view.focus();
    });
    return dialog;
  }

  async upload(file, details) {
    const data = new FormData();
    data.set('csrf', this.token);
    data.set('alt', details.alt);
    data.set('caption', details.caption);
    data.set('credit', details.credit);
    if (details.decorative) data.set('decorative', '1');
    data.set('file', file, file.name || 'pasted-image.png');
    let response;
    try {
      response = await fetch('/admin/media.json', { method: 'POST', body: data, credentials: 'same-origin' });
    } catch {
      throw new Error('the server could not be reached.');
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `the server answered ${response.status}.`);
    return answer;
  }

  // Replaces placeholder `id` with the figure (or just removes it).
  finish(id, figure) {
    const { state } = this.view;
    const set = placeholders.getState(state);
    const found = set.find(null, null, (spec) => spec.id === id);
    let tr = state.tr.setMeta(placeholders, { remove: id });
    if (figure) {
      // The placeholder's text deleted meanwhile: the figure goes where the writer is.
      const pos = found.length ? found[0].from : state.selection.from;
      const image = schema.nodes.image.create(figureAttrs(figure));
      const paragraph = schema.nodes.paragraph.create(null, image);
      const $pos = state.doc.resolve(pos);
      if ($pos.parent.type === schema.nodes.paragraph && $pos.parent.content.size === 0) {
        tr = tr.replaceWith($pos.before(), $pos.after(), paragraph);
      } else {
        tr = tr.insert(pos, paragraph);
      }
    }
    this.view.dispatch(tr);
  }

  // The toolbar's Image button: a file to upload, or one from the media library on the page.
  choose() {
    const { selection } = this.view.state;
    if (selection instanceof NodeSelection && selection.node.type === schema.nodes.image) {
      return this.edit(selection.from);
    }
    const pos = selection.from;
    this.ask({ file: null, alt: '', caption: '', credit: '', align: '' }, 'Add an image').then((details) => {
      if (!details) return;
      if (details.file) return this.startChosen(details, pos);
      if (details.url) {
        this.view.dispatch(this.view.state.tr.setMeta(placeholders, { add: { id: 'chosen', pos, name: '' } }));
        this.finish('chosen', details);
      }
    });
  }

  startChosen(details, pos) {
    const id = String(nextId++);
    const name = details.file.name || 'image';
    this.view.dispatch(this.view.state.tr.setMeta(placeholders, { add: { id, pos, name } }));
    this.say(`Uploading ${name}…`);
    this.upload(details.file, details).then((item) => {
      this.finish(id, { ...details, url: item.url });
      this.say(`${name} was added to the text and to the media library.`);
    }, (error) => {
      this.finish(id, null);
      this.say(`${name} was not added: ${error.message} Your text is unchanged.`);
    });
  }

  // Changes the alt text, caption, credit or layout of the image at `pos`.
  edit(pos) {
    const node = this.view.state.doc.nodeAt(pos);
    if (!node) return;
    const parts = figureParts(node.attrs.src, node.attrs.title);
    this.ask({ ...parts, alt: node.attrs.alt || '', editing: true }, 'Image').then((details) => {
      if (!details) return;
      const current = this.view.state.doc.nodeAt(pos);
      if (!current || current.type !== schema.nodes.image) return;
      this.view.dispatch(this.view.state.tr.setNodeMarkup(pos, null, figureAttrs({ ...details, url: parts.url })));
      this.view.focus();
    });
  }

  buildDialog() {
    const dialog = document.createElement('dialog');
    dialog.className = 'writing-image-dialog';
    dialog.setAttribute('aria-labelledby', 'writing-image-title');
    dialog.innerHTML =
      '<form method="dialog">' +
      '<h2 id="writing-image-title">Add an image</h2>' +
      '<p class="writing-image-file"></p>' +
      '<div class="writing-image-source">' +
      '<p><label for="writing-image-input">Image file (JPEG, PNG, WebP or GIF)</label>' +
      '<input id="writing-image-input" type="file" accept="image/jpeg,image/png,image/webp,image/gif"></p>' +
      '<p class="writing-image-library-label" id="writing-image-library-label">Or one from the media library:</p>' +
      '<ul class="writing-image-library" aria-labelledby="writing-image-library-label"></ul>' +
      '</div>' +
      '<p><label for="writing-image-alt">Alt text (what the image shows, for readers who cannot see it)</label>' +
      '<textarea id="writing-image-alt" rows="2" maxlength="500"></textarea></p>' +
      '<p class="check"><input id="writing-image-decorative" type="checkbox">' +
      '<label for="writing-image-decorative">Decorative: it adds nothing to the text (no alt text)</label></p>' +
      '<p><label for="writing-image-caption">Caption</label>' +
      '<input id="writing-image-caption" type="text" maxlength="1000"></p>' +
      '<p><label for="writing-image-credit">Credit</label>' +
      '<input id="writing-image-credit" type="text" maxlength="300" placeholder="Photo: …"></p>' +
      '<p><label for="writing-image-align">Layout</label>' +
      '<select id="writing-image-align"><option value="">In the column</option>' +
      '<option value="wide">Wide</option><option value="left">Beside the text, left</option>' +
      '<option value="right">Beside the text, right</option></select></p>' +
      '<p class="writing-image-error" role="alert" hidden></p>' +
      '<p class="writing-dialog-actions"><button value="apply">Add</button> ' +
      '<button value="cancel" class="secondary" formnovalidate>Cancel</button></p>' +
      '</form>';
    document.body.append(dialog);
    const field = (id) => dialog.querySelector(`#writing-image-${id}`);
    const error = dialog.querySelector('.writing-image-error');
    // The library's images listed on the editor page (its "Insert an image" panel).
    const list = dialog.querySelector('.writing-image-library');
    for (const item of document.querySelectorAll('.editor-media li[data-url]')) {
      const entry = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      const thumb = document.createElement('img');
      thumb.src = item.dataset.thumb;
      thumb.alt = '';
      button.append(thumb, item.dataset.alt || item.dataset.url);
      button.setAttribute('aria-pressed', 'false');
      button.addEventListener('click', () => {
        for (const other of list.querySelectorAll('button')) other.setAttribute('aria-pressed', 'false');
        button.setAttribute('aria-pressed', 'true');
        this.chosen = item.dataset;
        field('alt').value = item.dataset.alt;
        field('caption').value = item.dataset.caption;
        field('credit').value = item.dataset.credit;
      });
      entry.append(button);
      list.append(entry);
    }
    if (!list.children.length) dialog.querySelector('.writing-image-library-label').hidden = true;
    field('decorative').addEventListener('change', () => { field('alt').disabled = field('decorative').checked; });
    dialog.querySelector('form').addEventListener('submit', (event) => {
      if ((event.submitter ? event.submitter.value : 'apply') !== 'apply') return;
      const problem = !this.asking.file && !this.asking.editing && !field('input').files.length && !this.chosen
        ? 'Choose an image file, or one from the media library.'
        : !field('decorative').checked && !field('alt').value.trim()
          ? 'Describe the image in its alt text, or mark it as decorative.' : '';
      if (problem) {
        event.preventDefault();
        error.textContent = problem;
        error.hidden = false;
      }
    });
    dialog.addEventListener('close', () => {
      const resolve = this.resolve;
      this.resolve = null;
      if (!resolve) return;
      if (dialog.returnValue !== 'apply') return resolve(null);
      const decorative = field('decorative').checked;
      resolve({
        file: this.asking.file || field('input').files[0] || null,
        url: this.chosen ? this.chosen.url : '',
        alt: decorative ? '' : field('alt').value.trim().replace(/\s+/g, ' '),
        decorative,
        caption: field('caption').value.trim().replace(/\s+/g, ' '),
        credit: field('credit').value.trim().replace(/\s+/g, ' '),
        align: field('align').value,
      });
      this.view.focus();
    });
    return dialog;
  }

  // Opens the dialog filled with `details`; resolves with what the writer chose, or null.
  ask(details, heading) {
    const dialog = this.dialog;
    const field = (id) => dialog.querySelector(`#writing-image-${id}`);
    this.asking = details;
    this.chosen = null;
    dialog.querySelector('h2').textContent = heading;
    dialog.querySelector('.writing-image-source').hidden = !!(details.file || details.editing);
    const file = dialog.querySelector('.writing-image-file');
    file.textContent = details.file ? `File: ${details.file.name || 'pasted image'}` : '';
    file.hidden = !details.file;
    field('input').value = '';
    for (const button of dialog.querySelectorAll('.writing-image-library button')) {
      button.setAttribute('aria-pressed', 'false');
    }
    field('alt').value = details.alt || '';
    field('decorative').checked = false;
    field('alt').disabled = false;
    field('caption').value = details.caption || '';
    field('credit').value = details.credit || '';
    field('align').value = details.align || '';
    dialog.querySelector('.writing-image-error').hidden = true;
    dialog.querySelector('button[value=apply]').textContent = details.editing ? 'Apply' : 'Add';
    dialog.returnValue = '';
    return new Promise((resolve) => {
      this.resolve = resolve;
      dialog.showModal();
      field(details.file || details.editing ? 'alt' : 'input').focus();
    });
  }
}
