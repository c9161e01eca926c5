// The writing surface: the body's Markdown textarea becomes a formatted editor with a toolbar,
// keyboard shortcuts and Markdown typing shortcuts. The textarea stays the form's field (and the
// "Markdown" view of the same text): every change is written back to it as Markdown, so saving,
// autosave, the preview and a page without JavaScript work as before.
import { EditorState, Plugin, TextSelection } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { history } from 'prosemirror-history';
import { keymap } from 'prosemirror-keymap';
import { baseKeymap } from 'prosemirror-commands';
import { dropCursor } from 'prosemirror-dropcursor';
import { gapCursor } from 'prosemirror-gapcursor';
import { schema, parseMarkdown, serializeMarkdown } from './markdown.js';
import { buildKeymap, buildInputRules } from './commands.js';
import { Toolbar } from './toolbar.js';

function mount(textarea) {
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  const wrapper = document.createElement('div');
  wrapper.className = 'writing';
  const surface = document.createElement('div');
  surface.className = 'writing-surface';

  let doc;
  try {
    doc = parseMarkdown(textarea.value);
  } catch (error) {
    // Text the editor cannot read stays in the textarea, which keeps working as before.
    console.error('The formatted editor could not read this body:', error);
    return null;
  }

  // The textarea is written only once the writer changes something, so opening a post and
  // leaving it never rewrites its Markdown.
  let reloading = false;
  let toolbar = null;
  const syncToTextarea = new Plugin({
    view: () => ({
      update(view, previous) {
        if (reloading || view.state.doc.eq(previous.doc)) return;
        textarea.value = serializeMarkdown(view.state.doc);
        textarea.dispatchEvent(new Event('input', { bubbles: true }));
      },
    }),
  });

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
    handleDOMEvents: {
      // Autosave listens for the body field losing focus.
      blur: () => { textarea.dispatchEvent(new FocusEvent('blur')); return false; },
    },
  });

  toolbar = new Toolbar(view, {
    onSourceMode: (on) => {
      if (on) {
        surface.hidden = true;
        textarea.hidden = false;
        textarea.focus();
      } else {
        // The Markdown as typed in source mode stays as typed unless the writer changes it here.
        loadTextarea();
        textarea.hidden = true;
        surface.hidden = false;
        view.focus();
      }
    },
  });
  // Reads the textarea's Markdown again, without writing it back.
  function loadTextarea() {
    reloading = true;
    view.updateState(EditorState.create({ doc: parseMarkdown(textarea.value), plugins: view.state.plugins }));
    reloading = false;
  }
  // Text put into the textarea by the desk's script (a copy restored from this browser).
  textarea.addEventListener('broadsheet:replaced', loadTextarea);
  wrapper.append(toolbar.element, surface);
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
  // Move the cursor to the end of a new, empty body so typing starts there.
  if (doc.textContent === '') {
    view.dispatch(view.state.tr.setSelection(TextSelection.atEnd(view.state.doc)));
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
