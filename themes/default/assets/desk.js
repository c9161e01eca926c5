// The editorial desk works without JavaScript; this file only makes the editor nicer:
// a live preview of the body as the site will render it, and autosave for drafts.
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

  // Autosave: drafts that exist already are saved every 20 seconds while they change, and when
  // the writer leaves the body field or the page.
  if (form.dataset.autosave !== 'true') {
    status.textContent = form.dataset.autosaveNote || '';
    return;
  }
  let dirty = false;
  form.addEventListener('input', function () { dirty = true; });
  async function autosave() {
    if (!dirty) return;
    dirty = false;
    const data = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === 'string') data.append(name, value);  // files wait for a real save
    }
    data.set('do', 'autosave');
    let response = null;
    try {
      response = await fetch(form.action, { method: 'POST', body: data, credentials: 'same-origin' });
    } catch (error) {
      response = null;  // offline, or the server is down
    }
    const result = response ? await response.json().catch(function () { return {}; }) : {};
    if (response && response.ok) {
      form.querySelector('input[name=edit_count]').value = result.edit_count;
      status.setAttribute('role', 'status');
      status.classList.remove('error');
      status.textContent = 'Draft saved at ' + new Date().toLocaleTimeString() + '.';
    } else {
      // The text stays in the editor; it is saved with the next change, or by "Save draft".
      dirty = true;
      status.setAttribute('role', 'alert');
      status.classList.add('error');
      const reason = result.error || (response ? 'the server refused the draft' : 'the server cannot be reached');
      status.textContent = 'Not saved: ' + reason + '. Your text is still here; keep a copy until a save succeeds.';
    }
  }
  setInterval(autosave, 20000);
  // Also when the writer leaves the body or the page.
  body.addEventListener('blur', autosave);
  document.addEventListener('visibilitychange', function () { if (document.hidden) autosave(); });
})();
