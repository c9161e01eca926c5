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
