// Word documents into the article: a .docx dropped on the editor, or chosen with "Import a Word
// document", is converted in the browser (mammoth, in its own bundle loaded on first use:
// docx-converter.js) and given to the same cleaner as a paste, so headings, emphasis, links,
// lists, quotes, tables and footnotes arrive as they do from the clipboard. The document's
// title and subtitle become the headline and dek when those are empty, so a new post becomes a
// draft (autosave creates it once it has a headline).
import { AllSelection, Plugin, Selection } from 'prosemirror-state';

const docxType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const maxBytes = 20 * 1024 * 1024;

export function isDocx(file) {
  return file.type === docxType || /\.docx$/i.test(file.name);
}

// The converter's bundle, loaded once (a script from the site itself, as the desk's CSP allows).
let converter = null;
function loadConverter(url) {
  if (!converter) {
    converter = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.onload = () => window.BroadsheetDocx
        ? resolve(window.BroadsheetDocx) : reject(new Error('the converter did not start'));
      script.onerror = () => reject(new Error('the converter could not be loaded'));
      document.head.append(script);
    }).catch((error) => {
      converter = null;  // the next import tries again
      throw error;
    });
  }
  return converter;
}

// mammoth's HTML made into what the paste cleaner reads: the title and subtitle taken out;
// footnotes shaped as word processors copy them (a numbered link back at the start of the
// note's paragraph, whose id the mark points at); headings one level down when the body uses
// Word's "Heading 1", since the headline is the article's only first-level heading.
export function prepare(html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const take = (selector) => {
    const element = doc.querySelector(selector);
    if (!element) return '';
    element.remove();
    return element.textContent.replace(/\s+/g, ' ').trim();
  };
  const title = take('h1.docx-title');
  const subtitle = take('p.docx-subtitle');

  const noteLists = new Set();
  for (const back of [...doc.querySelectorAll('li[id] a[href^="#footnote-ref-"], li[id] a[href^="#endnote-ref-"]')]) {
    const note = back.closest('li');
    noteLists.add(note.parentElement);
    const mark = doc.getElementById(back.getAttribute('href').slice(1));
    const paragraph = note.querySelector('p') || note;
    back.id = note.id;
    note.removeAttribute('id');
    back.textContent = mark ? mark.textContent : '';
    paragraph.prepend(back, ' ');
  }
  // The notes' lists go (not a numbered list of the text that cites a note); their paragraphs
  // stay for the cleaner to make notes of.
  for (const list of noteLists) {
    if (!list) continue;
    for (const item of [...list.children]) item.replaceWith(...item.childNodes);
    list.replaceWith(...list.childNodes);
  }

  if (doc.querySelector('h1')) {
    for (const heading of [...doc.querySelectorAll('h1, h2, h3, h4, h5')]) {
      const lower = doc.createElement(`h${Number(heading.tagName[1]) + 1}`);
      lower.append(...heading.childNodes);
      heading.replaceWith(lower);
    }
  }
  return { title, subtitle, html: doc.body.innerHTML };
}

// The "Import a Word document" control and the drop handler, for one editor.
export class DocxImport {
  // `url`: the converter bundle's address; `headline`, `dek`: the form's inputs; `imported`:
  // called after an import (the editor has autosave save it). `view` is set once the editor
  // exists.
  constructor({ url, headline, dek, imported }) {
    this.view = null;
    this.imported = imported;
    this.url = url;
    this.headline = headline;
    this.dek = dek;
    this.element = document.createElement('p');
    this.element.className = 'writing-import';
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = `.docx,${docxType}`;
    input.hidden = true;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.textContent = 'Import a Word document';
    button.addEventListener('click', () => input.click());
    this.status = document.createElement('span');
    this.status.setAttribute('role', 'status');
    input.addEventListener('change', () => {
      if (input.files.length) this.import(input.files[0], null);
      input.value = '';
    });
    this.element.append(input, button, ' ', this.status);
  }

  // For the editor's plugins: a .docx dropped on the text is imported where it is dropped.
  plugin() {
    return new Plugin({
      props: {
        handleDrop: (view, event) => {
          const file = [...(event.dataTransfer ? event.dataTransfer.files : [])].find(isDocx);
          if (!file) return false;
          event.preventDefault();
          const at = view.posAtCoords({ left: event.clientX, top: event.clientY });
          this.import(file, at ? at.pos : null);
          return true;
        },
      },
    });
  }

  say(text) {
    this.status.textContent = text;
  }

  // Converts `file` and inserts it at `position` (the selection when null); an empty body is
  // replaced by it.
  async import(file, position) {
    if (file.size > maxBytes) {
      this.say(`${file.name} is larger than 20 MB; nothing was imported.`);
      return;
    }
    this.say(`Importing ${file.name}…`);
    let converted;
    try {
      const [docx, buffer] = await Promise.all([loadConverter(this.url), file.arrayBuffer()]);
      converted = prepare((await docx.convert(buffer)).html);
    } catch (error) {
      console.error('Word import failed:', error);
      this.say(`${file.name} could not be read as a Word document (.docx); nothing was imported.`);
      return;
    }
    const fill = (field, text) => {
      if (!field || !text || field.value.trim()) return;
      field.value = text;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    };
    fill(this.headline, converted.title);
    fill(this.dek, converted.subtitle);

    const { view } = this;
    const { doc } = view.state;
    if (doc.childCount === 1 && doc.firstChild.isTextblock && doc.firstChild.content.size === 0) {
      view.dispatch(view.state.tr.setSelection(new AllSelection(doc)));
    } else if (position !== null) {
      view.dispatch(view.state.tr.setSelection(Selection.near(doc.resolve(position))));
    }
    view.pasteHTML(converted.html);
    view.focus();
    this.say(`${file.name} imported.`);
    this.imported();
  }
}
