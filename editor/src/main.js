// The writing surface: the body's Markdown textarea becomes a formatted editor with a toolbar,
// keyboard shortcuts and Markdown typing shortcuts. The textarea stays the form's field (and the
// "Markdown" view of the same text): every change is written back to it as Markdown, so saving,
// autosave, the preview and a page without JavaScript work as before.
import { EditorState, Plugin, Selection } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { history } from 'prosemirror-history';
import { keymap } from 'prosemirror-keymap';
import { baseKeymap } from 'prosemirror-commands';
import { dropCursor } from 'prosemirror-dropcursor';
import { gapCursor } from 'prosemirror-gapcursor';
import { schema, parseMarkdown, serializeMarkdown, readFaithfully } from './markdown.js';
import { buildKeymap, buildInputRules } from './commands.js';
import { Toolbar } from './toolbar.js';
import { cleanPastedHtml, pasteNotes } from './paste.js';
import { ImageUploads, ImageView } from './images.js';
import { DocxImport } from './docx.js';
import { embedPlugin, buildEmbedDialog } from './embed.js';
import { countWords } from './words.js';

function mount(textarea) {
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  const wrapper = document.createElement('div');
  wrapper.className = 'writing';
  const surface = document.createElement('div');
  surface.className = 'writing-surface';

  const note = document.createElement('p');
  note.className = 'writing-note';
  note.setAttribute('role', 'status');
  note.hidden = true;

  let read;
  try {
    read = readFaithfully(textarea.value);
  } catch (error) {
    // Text the editor cannot read stays in the textarea, which keeps working as before.
    console.error('The formatted editor could not read this body:', error);
    return null;
  }
  const doc = read.doc;

  // The textarea is written only once the writer changes something, so opening a post and
  // leaving it never rewrites its Markdown.
  let reloading = false;
  let toolbar = null;
  let uploads = null;
  // What happened to dropped, pasted and uploaded images.
  const status = document.createElement('p');
  status.className = 'writing-status';
  status.setAttribute('role', 'status');
  status.hidden = true;
  // The word count under the text (words.js counts as the review queue does), redrawn a moment
  // after typing stops; not a live region, which would speak at every pause.
  const count = document.createElement('p');
  count.className = 'writing-count';
  let countTimer = 0;
  const showCount = (doc) => {
    const words = countWords(doc.textBetween(0, doc.content.size, '\n', '\n'));
    count.textContent = `${words.toLocaleString()} ${words === 1 ? 'word' : 'words'}`;
  };
  const wordCount = new Plugin({
    view: (view) => {
      showCount(view.state.doc);
      return {
        update(view, previous) {
          if (view.state.doc.eq(previous.doc)) return;
          clearTimeout(countTimer);
          countTimer = setTimeout(() => showCount(view.state.doc), 250);
        },
      };
    },
  });
  const syncToTextarea = new Plugin({
    view: () => ({
      update(view, previous) {
        if (reloading || view.state.doc.eq(previous.doc)) return;
        textarea.value = serializeMarkdown(view.state.doc);
        textarea.dispatchEvent(new Event('input', { bubbles: true }));
      },
    }),
  });

  // Word documents, where the page offers the converter.
  const form = textarea.form;
  const docx = form && form.dataset.docxUrl ? new DocxImport({
    url: form.dataset.docxUrl,
    headline: form.querySelector('#title'),
    dek: form.querySelector('#dek'),
    imported: () => textarea.dispatchEvent(new FocusEvent('blur')),
  }) : null;

  const state = EditorState.create({
    doc,
    plugins: [
      buildInputRules(schema),
      keymap(buildKeymap(schema, { link: () => toolbar.editLink() })),
      keymap(baseKeymap),
      dropCursor(),
      gapCursor(),
      history(),
      syncToTextarea,
      wordCount,
      // A dropped Word document is the importer's before the image uploads see the drop.
      ...(docx ? [docx.plugin()] : []),
      ImageUploads.plugin(() => uploads),
      embedPlugin(schema),
      new Plugin({ view: () => ({ update: () => toolbar && toolbar.update() }) }),
    ],
  });
  const view = new EditorView(surface, {
    state,
    attributes: {
      class: 'writing-text',
      role: 'textbox',
      'aria-multiline': 'true',
      ...(label ? { 'aria-labelledby': label.id || (label.id = `${textarea.id}-label`) } : {}),
      ...(textarea.getAttribute('aria-describedby')
        ? { 'aria-describedby': textarea.getAttribute('aria-describedby') } : {}),
    },
    transformPastedHTML: cleanPastedHtml,
    nodeViews: { image: (node, editorView, getPos) => new ImageView(node, editorView, getPos) },
    handleDOMEvents: {
      // Autosave listens for the body field losing focus.
      blur: () => { textarea.dispatchEvent(new FocusEvent('blur')); return false; },
    },
  });

  // The Markdown view. Back in the formatted view, the text is read again only if it changed
  // there (so undo keeps working), and only if the editor can show it without changing what it
  // means; otherwise the Markdown view stays, saying why.
  let sourceAtSwitch = null;
  const unfaithful = 'This body uses Markdown that the formatted view cannot show without ' +
    'changing it (raw HTML in an odd place, say), so it is shown as Markdown. Edit it here; ' +
    'nothing is lost.';
  uploads = new ImageUploads(view, textarea, status);
  pasteNotes.report = (text) => uploads.say(text);
  const embedDialog = buildEmbedDialog(() => view);
  toolbar = new Toolbar(view, {
    onImage: () => uploads.choose(),
    onEmbed: () => embedDialog.open(),
    onSourceMode: (on) => {
      if (on) {
        // An import writes through the formatted view, which would overwrite this one's text.
        if (docx) docx.element.hidden = true;
        sourceAtSwitch = textarea.value;
        surface.hidden = true;
        textarea.hidden = false;
        textarea.focus();
        return true;
      }
      if (textarea.value !== sourceAtSwitch) {
        const again = readFaithfully(textarea.value);
        if (!again.faithful) {
          note.textContent = unfaithful;
          note.hidden = false;
          textarea.focus();
          return false;
        }
        // The Markdown as typed stays as typed unless the writer changes it in this view.
        load(again.doc);
      }
      note.hidden = true;
      textarea.hidden = true;
      surface.hidden = false;
      if (docx) docx.element.hidden = false;
      view.focus();
      return true;
    },
  });
  // Shows `next` without writing it back to the textarea.
  function load(next) {
    reloading = true;
    view.updateState(EditorState.create({ doc: next, plugins: view.state.plugins }));
    reloading = false;
  }
  // Text put into the textarea by the desk's script (a copy restored from this browser).
  textarea.addEventListener('broadsheet:replaced', () => {
    if (!textarea.hidden) return;  // the Markdown view shows it already
    const again = readFaithfully(textarea.value);
    if (again.faithful) return load(again.doc);
    showAsMarkdown();
  });
  // Text the formatted view cannot show: the Markdown view, with the reason. Back in the
  // formatted view the text is checked again, changed or not.
  function showAsMarkdown() {
    toolbar.toggleSource();
    sourceAtSwitch = null;
    note.textContent = unfaithful;
    note.hidden = false;
  }
  wrapper.append(toolbar.element, note, status, surface, count);
  if (docx) {
    docx.view = view;
    wrapper.append(docx.element);
  }
  textarea.before(wrapper);
  wrapper.append(textarea);
  textarea.hidden = true;
  if (label) {
    // The label names the formatted editor; clicking it focuses the text, as for a field.
    label.textContent = 'Body';
    label.addEventListener('click', (event) => {
      if (!textarea.hidden) return;
      event.preventDefault();
      view.focus();
    });
  }
  if (!read.faithful) {
    showAsMarkdown();
  } else if (doc.textContent === '') {
    // A new, empty body: typing starts at its end.
    view.dispatch(view.state.tr.setSelection(Selection.atEnd(view.state.doc)));
  }
  return view;
}

const textarea = document.querySelector('form.editor textarea#body');
if (textarea) {
  const view = mount(textarea);
  // For tests and for the desk's own scripts: the Markdown the editor would write for a text.
  window.broadsheetEditor = {
    view,
    roundTrip: (text) => serializeMarkdown(parseMarkdown(text)),
  };
}
