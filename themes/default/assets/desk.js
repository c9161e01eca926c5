// The editorial desk works without JavaScript; this file only makes the editor nicer:
// a live preview of the body as the site will render it, autosave, a copy of the text kept in
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

  // Live preview, rendered by the server's Markdown pipeline as a whole document for the
  // sandboxed frame: what staff wrote never becomes part of this page (or of its form).
  const frame = document.querySelector('.editor-preview-frame');
  let previewTimer = null;
  async function refreshPreview() {
    if (!frame) return;
    // The post's id lets the server apply the save's rule for raw HTML (docs/html-policy.md).
    const data = new URLSearchParams({ csrf: frame.dataset.token, post: frame.dataset.post || '0', body: body.value });
    const response = await fetch('/admin/preview', { method: 'POST', body: data, credentials: 'same-origin' });
    if (!response.ok) return;
    frame.srcdoc = await response.text();
    frame.closest('.editor-preview').hidden = false;
  }
  body.addEventListener('input', function () {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 500);
  });
  refreshPreview();

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
