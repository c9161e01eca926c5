// The editorial desk works without JavaScript; this file only makes the editor nicer:
// the article's preview beside the text, autosave, a copy of the text kept in
// the browser, and a warning before leaving with unsaved changes.
(function () {
  'use strict';
  const form = document.querySelector('form.editor');
  if (!form) return;
  const body = form.querySelector('#body');
  const status = document.createElement('p');
  status.className = 'editor-status';
  status.setAttribute('role', 'status');
  form.querySelector('.editor-actions').after(status);

  // The preview: the article as readers will see it, rendered by the server from the form as it
  // stands (nothing is saved; a chosen image is shown, not uploaded), in a sandboxed frame: what
  // staff wrote never becomes part of this page. Preview opens it beside the text (on a narrow
  // screen, in place of it), it follows the writing, and the same button closes it. Without this
  // script the button opens the same page in a new tab.
  const frame = document.querySelector('.editor-preview-frame');
  const previewPane = frame && frame.closest('.editor-preview');
  const previewButton = form.querySelector('button[name=do][value=preview]');
  let previewTimer = null;
  let previewing = false;
  let previewsAsked = 0;  // answers to older requests than the last one shown are dropped
  let previewShown = 0;
  const previewNote = document.createElement('p');
  previewNote.className = 'preview-note';
  previewNote.setAttribute('role', 'status');
  if (previewPane) previewPane.querySelector('h2').after(previewNote);
  async function refreshPreview() {
    if (!previewing) return;
    const asked = ++previewsAsked;
    const data = new FormData(form);
    data.delete('do');
    data.set('csrf', frame.dataset.token);
    // The post's id lets the server apply the save's rules (raw HTML, docs/html-policy.md).
    data.set('post', frame.dataset.post || '0');
    let response = null;
    try {
      // A redirect is the sign-in page: never shown in the frame.
      response = await fetch('/admin/preview', { method: 'POST', body: data, credentials: 'same-origin', redirect: 'manual' });
    } catch (error) {
      response = null;
    }
    // 422: a page naming the field that needs putting right.
    const page = response && (response.ok || response.status === 422) ? await response.text() : null;
    if (asked < previewShown) return;  // a newer answer is shown already
    previewShown = asked;
    if (page !== null) {
      frame.srcdoc = page;
      previewNote.textContent = '';
      return;
    }
    if (response && response.status === 429) {
      // Too many previews for this account: the last one stays, and it is asked again when the
      // server says (Retry-After), unless the writer types first.
      const wait = Math.min(Math.max(parseInt(response.headers.get('Retry-After'), 10) || 5, 1), 120);
      previewNote.textContent = 'The preview is paused for ' + wait + ' seconds (many previews in a short time); it will update then.';
      clearTimeout(previewTimer);
      previewTimer = setTimeout(refreshPreview, wait * 1000);
      return;
    }
    const reason = !response ? 'the server cannot be reached'
      : response.type === 'opaqueredirect' || response.status === 401 ? 'you are signed out; sign in again in another tab'
      : response.status === 413 ? 'the chosen image is too large to show before it is saved'
      : 'the server answered ' + response.status;
    previewNote.textContent = 'The preview was not updated: ' + reason + '.';
  }
  function showPreview(open) {
    previewing = open;
    previewPane.hidden = !open;
    form.parentElement.classList.toggle('previewing', open);
    previewButton.setAttribute('aria-expanded', String(open));
    previewButton.textContent = open ? 'Close preview' : 'Preview';
    if (open) {
      refreshPreview();
      // On a narrow screen the preview takes the text's place: show its top.
      if (window.matchMedia('(max-width: 50rem)').matches) previewPane.scrollIntoView({ block: 'start' });
    }
  }
  if (frame && previewButton) {
    previewButton.setAttribute('aria-controls', previewPane.id);
    previewButton.setAttribute('aria-expanded', 'false');
    previewButton.addEventListener('click', function (event) {
      event.preventDefault();
      showPreview(!previewing);
    });
  }
  form.addEventListener('input', function () {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 500);
  });

  // Never lose work. Three layers:
  // - a copy of the headline, dek and body in this browser (localStorage) from the first
  //   keystroke, offered back when the page opens with different text (the network dropped, the
  //   tab closed, the server refused a save);
  // - autosave to the server every 20 seconds while the text changes, and when the writer leaves
  //   the body or the page: drafts and posts under review only (a published article changes for
  //   readers only when its editor presses Update). A new post's first autosave, once it has a
  //   headline, creates its draft;
  // - a warning before leaving the page with changes the server does not have.
  let copyKey = 'broadsheet:copy:' + form.getAttribute('action');
  const fields = ['title', 'dek', 'body'];
  const fieldValues = () => Object.fromEntries(fields.map((name) => [name, form.elements[name] ? form.elements[name].value : '']));
  let unsaved = false;    // changes the server does not have
  let dirty = false;      // changes since the last autosave attempt
  let submitting = false;

  function keepCopy() {
    try {
      localStorage.setItem(copyKey, JSON.stringify({ at: Date.now(), ...fieldValues() }));
    } catch (error) {
      // Storage full or disabled: the server's copy is all there is.
    }
  }
  function dropCopy(key) {
    try { localStorage.removeItem(key || copyKey); } catch (error) { /* nothing kept */ }
  }
  let copyTimer = null;
  form.addEventListener('input', function (event) {
    if (event.target.type === 'file') return;
    unsaved = true;
    dirty = true;
    clearTimeout(copyTimer);
    copyTimer = setTimeout(keepCopy, 500);
  });

  // The page after a save: what this browser kept is on the server now.
  if (new URLSearchParams(location.search).has('saved')) {
    dropCopy();
    dropCopy('broadsheet:copy:/admin/posts');
  }
  offerCopy();
  function offerCopy() {
    let copy = null;
    try { copy = JSON.parse(localStorage.getItem(copyKey) || 'null'); } catch (error) { copy = null; }
    if (!copy) return;
    const current = fieldValues();
    if (fields.every((name) => (copy[name] || '') === current[name])) return dropCopy();
    const offer = document.createElement('div');
    offer.className = 'notice copy-offer';
    offer.setAttribute('role', 'alert');
    const text = document.createElement('p');
    text.textContent = 'This browser kept a copy of your text from ' + new Date(copy.at).toLocaleString() +
      ' that differs from the saved one (the connection may have dropped before it was saved).';
    const restore = document.createElement('button');
    restore.type = 'button';
    restore.textContent = 'Restore that copy';
    const discard = document.createElement('button');
    discard.type = 'button';
    discard.className = 'secondary';
    discard.textContent = 'Discard it';
    restore.addEventListener('click', function () {
      for (const name of fields) {
        const field = form.elements[name];
        if (!field || typeof copy[name] !== 'string') continue;
        field.value = copy[name];
        // The formatted editor reads the body again (editor/src/main.js).
        field.dispatchEvent(new Event('broadsheet:replaced'));
        field.dispatchEvent(new Event('input', { bubbles: true }));
      }
      offer.remove();
    });
    discard.addEventListener('click', function () { dropCopy(); offer.remove(); });
    offer.append(text, restore, ' ', discard);
    form.before(offer);
  }

  // An autosave under way: a save pressed meanwhile waits for its answer, so that it carries the
  // edit count the autosave moved to (and, for a new post, goes to the draft the autosave
  // created instead of creating the post a second time).
  let inFlight = null;
  form.addEventListener('submit', function (event) {
    if (inFlight) {
      event.preventDefault();
      const submitter = event.submitter;
      inFlight.then(function () { form.requestSubmit(submitter && submitter.form === form ? submitter : null); });
      return;
    }
    submitting = true;
    keepCopy();
  });
  // Leaving (or the tab being closed) before the copy's timer ran: keep it now.
  window.addEventListener('pagehide', function () { if (unsaved) keepCopy(); });
  window.addEventListener('beforeunload', function (event) {
    if (unsaved) keepCopy();
    if (!unsaved || submitting) return;
    event.preventDefault();
    event.returnValue = '';  // older browsers show their own warning only when this is set
  });

  function setStatus(text, error) {
    status.setAttribute('role', error ? 'alert' : 'status');
    status.classList.toggle('error', !!error);
    status.textContent = text;
  }

  if (form.dataset.autosave !== 'true') return;
  let saving = false;
  async function autosave() {
    // Not while the form is being sent: its own save carries the text (an autosave racing it
    // would move the edit count under it).
    if (!dirty || saving || submitting) return;
    clearTimeout(copyTimer);
    keepCopy();
    const isNew = !/\/admin\/posts\/\d+$/.test(form.getAttribute('action'));
    if (isNew && !form.elements.title.value.trim()) {
      setStatus('Kept in this browser; saved as a draft once it has a headline.');
      return;
    }
    dirty = false;
    saving = true;
    const data = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === 'string') data.append(name, value);  // files wait for a real save
    }
    data.set('do', 'autosave');
    let finished = null;
    inFlight = new Promise(function (resolve) { finished = resolve; });
    let response = null;
    try {
      response = await fetch(form.action, { method: 'POST', body: data, credentials: 'same-origin' });
    } catch (error) {
      response = null;  // offline, or the server is down
    }
    const result = response ? await response.json().catch(function () { return {}; }) : {};
    saving = false;
    if (response && response.ok) {
      form.querySelector('input[name=edit_count]').value = result.edit_count;
      if (result.id) {
        // The new draft's own address from now on, with the token for it.
        const oldKey = copyKey;
        form.setAttribute('action', result.action);
        form.querySelector('input[name=csrf]').value = result.csrf;
        if (frame) frame.dataset.post = String(result.id);
        history.replaceState(null, '', result.action);
        dropCopy(oldKey);
        copyKey = 'broadsheet:copy:' + result.action;
      }
      if (!dirty) {
        unsaved = false;
        dropCopy();
      }
      setStatus('Draft saved at ' + new Date().toLocaleTimeString() + '.');
    } else {
      // The text stays in the editor and in this browser; it is saved with the next change,
      // or by "Save draft".
      dirty = true;
      const reason = result.error || (response ? 'the server refused the draft' : 'the server cannot be reached');
      setStatus('Not saved: ' + reason + '. Your text is still here, and a copy is kept in this browser.', true);
    }
    inFlight = null;
    finished();
  }
  setInterval(autosave, 20000);
  // Also when the writer leaves the body or switches to another tab. Not when the page itself is
  // left (pagehide comes first then): that save would race the next page's load, which would then
  // hold an old edit count and text. Leaving with unsaved text is warned about and its copy kept.
  let leaving = false;
  window.addEventListener('pagehide', function () { leaving = true; });
  window.addEventListener('pageshow', function () { leaving = false; });
  body.addEventListener('blur', autosave);
  document.addEventListener('visibilitychange', function () { if (document.hidden && !leaving) autosave(); });
})();

// The desk menu on narrow screens (issue 15): the layout's Menu button stays hidden until this
// runs, so that without JavaScript the whole menu simply wraps in the header. admin.css hides
// the menu while the button says it is closed, and hides the button on wide screens.
(function () {
  'use strict';
  const button = document.querySelector('.desk-menu-button');
  const menu = button && document.getElementById(button.getAttribute('aria-controls'));
  if (!menu) return;
  const isOpen = () => button.getAttribute('aria-expanded') === 'true';
  button.hidden = false;
  button.addEventListener('click', function () {
    button.setAttribute('aria-expanded', String(!isOpen()));
  });
  // Escape closes it from the button or from inside, and gives the focus back to the button so
  // that a keyboard user is not left on a link that has just disappeared.
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape' || !isOpen()) return;
    if (document.activeElement !== button && !menu.contains(document.activeElement)) return;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  });
})();

// Author and tag pickers (issue 15, item 5) over the editor's two text fields, which stay the
// form's fields: `authors` (author addresses, comma-separated, in byline order) and `tags`
// (names, comma-separated). Without this script they are typed as text. With it, each becomes
// a combobox (ARIA 1.2: an input with a listbox popup) and the chosen values show as chips:
// authors are found by name or address and can be reordered; tags suggest the existing ones
// and take new ones as typed. The choices come from the page's own datalists, so nothing is
// fetched. Keys: Down and Up move through the suggestions, Enter chooses, Escape closes the
// list (then clears the text), Backspace in an empty box removes the last chip.
(function () {
  'use strict';
  const form = document.querySelector('form.editor');
  if (!form) return;
  let announcer = null;
  function announce(text) {
    if (!announcer) {
      announcer = document.createElement('p');
      announcer.className = 'visually-hidden';
      announcer.setAttribute('role', 'status');
      form.append(announcer);
    }
    announcer.textContent = text;
  }
  const fold = (text) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

  function picker(field, options) {
    const list = document.getElementById(field.getAttribute('list'));
    if (!list) return;
    const choices = Array.from(list.options).map((option) => ({
      value: option.value,
      label: options.byName ? (option.textContent.trim() || option.value) : option.value,
    }));
    const labelOf = (value) => {
      const known = choices.find((choice) => choice.value === value);
      return known ? known.label : value;
    };
    let chosen = field.value.split(',').map((value) => value.trim()).filter(Boolean);
    const id = field.id;
    const label = document.querySelector('label[for="' + id + '"]');

    const box = document.createElement('div');
    box.className = 'picker';
    const chips = document.createElement('ul');
    chips.className = 'picker-chips';
    chips.setAttribute('aria-label', options.chipsLabel);
    const input = document.createElement('input');
    input.type = 'text';
    input.id = id + '-search';
    input.className = 'picker-input';
    input.autocomplete = 'off';
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', id + '-listbox');
    const help = document.createElement('small');
    help.id = id + '-picker-help';
    help.textContent = options.help;
    input.setAttribute('aria-describedby', help.id);
    const listbox = document.createElement('ul');
    listbox.id = id + '-listbox';
    listbox.className = 'picker-listbox';
    listbox.setAttribute('role', 'listbox');
    listbox.setAttribute('aria-label', options.listLabel);
    listbox.hidden = true;
    box.append(chips, input, listbox, help);

    // The text field becomes the hidden carrier of the value; its label names the combobox.
    field.type = 'hidden';
    field.removeAttribute('list');
    field.removeAttribute('aria-describedby');
    const oldHelp = document.getElementById(id + '-help');
    if (oldHelp) oldHelp.hidden = true;
    if (label) label.htmlFor = input.id;
    field.after(box);

    function commit(message) {
      field.value = chosen.join(', ');
      field.dispatchEvent(new Event('input', { bubbles: true }));
      if (options.onChange) options.onChange(chosen);
      drawChips();
      if (message) announce(message);
    }
    function chipButton(text, name, action) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'picker-chip-button';
      button.textContent = text;
      button.setAttribute('aria-label', name);
      button.addEventListener('click', action);
      return button;
    }
    function drawChips() {
      chips.replaceChildren();
      chosen.forEach((value, index) => {
        const item = document.createElement('li');
        item.className = 'picker-chip';
        item.dataset.value = value;
        const name = document.createElement('span');
        name.textContent = labelOf(value);
        item.append(name);
        if (options.reorder && chosen.length > 1) {
          if (index > 0) {
            item.append(chipButton('\u2191', 'Move ' + labelOf(value) + ' earlier', function () {
              chosen.splice(index - 1, 0, chosen.splice(index, 1)[0]);
              commit(labelOf(value) + ' is now number ' + index + ' in the byline.');
              chips.children[index - 1].querySelector('button').focus();
            }));
          }
          if (index < chosen.length - 1) {
            item.append(chipButton('\u2193', 'Move ' + labelOf(value) + ' later', function () {
              chosen.splice(index + 1, 0, chosen.splice(index, 1)[0]);
              commit(labelOf(value) + ' is now number ' + (index + 2) + ' in the byline.');
              const buttons = chips.children[index + 1].querySelectorAll('button');
              buttons[buttons.length - 2 >= 0 ? buttons.length - 2 : 0].focus();
            }));
          }
        }
        item.append(chipButton('\u00d7', 'Remove ' + labelOf(value), function () {
          chosen.splice(index, 1);
          commit(labelOf(value) + ' removed.');
          input.focus();
        }));
        chips.append(item);
      });
    }

    let active = -1;
    let shown = [];
    function close() {
      listbox.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }
    function open() {
      const query = fold(input.value.trim());
      shown = choices.filter((choice) => !chosen.includes(choice.value) &&
        (!query || fold(choice.label).includes(query) || fold(choice.value).includes(query))).slice(0, 50);
      listbox.replaceChildren();
      shown.forEach((choice, index) => {
        const option = document.createElement('li');
        option.id = id + '-option-' + index;
        option.className = 'picker-option';
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', 'false');
        option.textContent = options.byName && choice.label !== choice.value ? choice.label + ' (' + choice.value + ')' : choice.label;
        // The input keeps the focus while an option is clicked.
        option.addEventListener('mousedown', (event) => event.preventDefault());
        option.addEventListener('click', () => choose(choice.value));
        listbox.append(option);
      });
      listbox.hidden = shown.length === 0;
      input.setAttribute('aria-expanded', String(shown.length > 0));
      // Authors: Enter takes the first match. Tags: Enter takes the text as typed (a new tag)
      // unless a suggestion was chosen with the arrows.
      setActive(shown.length && query && !options.free ? 0 : -1);
    }
    function setActive(index) {
      active = index;
      Array.from(listbox.children).forEach((option, at) => option.setAttribute('aria-selected', String(at === index)));
      if (index >= 0) {
        input.setAttribute('aria-activedescendant', id + '-option-' + index);
        listbox.children[index].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }
    function choose(value) {
      if (value && !chosen.includes(value)) chosen.push(value);
      input.value = '';
      close();
      commit(value ? labelOf(value) + ' added.' : '');
    }

    input.addEventListener('input', function (event) {
      event.stopPropagation();  // the search text is not the form's; only a change of choice is
      if (options.free && input.value.includes(',')) {
        input.value.split(',').map((part) => part.trim()).filter(Boolean).forEach((part) => choose(part));
        return;
      }
      open();
    });
    input.addEventListener('focus', function () { if (input.value) open(); });
    input.addEventListener('blur', close);
    input.addEventListener('keydown', function (event) {
      const expanded = !listbox.hidden;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        if (!expanded) open();
        if (!shown.length) return;
        const step = event.key === 'ArrowDown' ? 1 : -1;
        setActive(active < 0 ? (step > 0 ? 0 : shown.length - 1) : (active + step + shown.length) % shown.length);
      } else if (event.key === 'Enter') {
        // Never submits the form from here: Enter chooses.
        event.preventDefault();
        if (expanded && active >= 0) choose(shown[active].value);
        else if (options.free && input.value.trim()) {
          // An existing tag typed in full keeps its spelling; anything else is a new tag.
          const typed = input.value.trim();
          const same = choices.find((choice) => fold(choice.value) === fold(typed));
          choose(same ? same.value : typed);
        }
        else if (shown.length === 1 && expanded) choose(shown[0].value);
      } else if (event.key === 'Escape') {
        if (expanded) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = '';
        }
      } else if (event.key === 'Backspace' && input.value === '' && chosen.length) {
        event.preventDefault();
        const removed = chosen.pop();
        commit(labelOf(removed) + ' removed.');
      }
    });
    drawChips();
  }

  const authors = form.querySelector('#authors');
  if (authors) {
    picker(authors, {
      byName: true, reorder: true, free: false,
      chipsLabel: 'Byline, in order', listLabel: 'Authors',
      help: 'Type a name or address and choose with Enter; Backspace removes the last author.',
      // "Publish without a byline" is asked only while there is none.
      onChange: function (chosen) {
        const confirm = form.querySelector('.byline-confirm');
        if (confirm) confirm.hidden = chosen.length > 0;
      },
    });
  }
  const tags = form.querySelector('#tags');
  if (tags) {
    picker(tags, {
      byName: false, reorder: false, free: true,
      chipsLabel: 'Tags', listLabel: 'Existing tags',
      help: 'Type a tag and press Enter or a comma; existing tags are suggested.',
    });
  }
})();
