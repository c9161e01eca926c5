// The editorial desk works without JavaScript; this file only makes the editor nicer:
// a live preview of the body as the site will render it, and autosave for drafts.
(function () {
  'use strict';
  const form = document.querySelector('form.editor');
  if (!form) return;
  const body = form.querySelector('#body');
  const csrf = form.querySelector('input[name=csrf]').value;
  const status = document.createElement('p');
  status.className = 'editor-status';
  status.setAttribute('role', 'status');
  form.querySelector('.editor-actions').after(status);

  // Live preview, rendered by the server's Markdown pipeline.
  let preview = document.querySelector('.editor-preview .article-body');
  if (!preview) {
    const section = document.createElement('section');
    section.className = 'editor-preview';
    section.setAttribute('aria-label', 'Preview');
    section.innerHTML = '<h2>Preview</h2><div class="article-body"></div>';
    body.closest('p').after(section);
    preview = section.querySelector('.article-body');
  }
  let previewTimer = null;
  async function refreshPreview() {
    const data = new URLSearchParams({ csrf: csrf, body: body.value });
    const response = await fetch('/admin/preview', { method: 'POST', body: data, credentials: 'same-origin' });
    if (response.ok) preview.innerHTML = await response.text();
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
    const response = await fetch(form.action, { method: 'POST', body: data, credentials: 'same-origin' });
    const result = await response.json().catch(function () { return {}; });
    if (response.ok) {
      form.querySelector('input[name=edit_count]').value = result.edit_count;
      status.textContent = 'Draft saved at ' + new Date().toLocaleTimeString() + '.';
    } else {
      dirty = true;
      status.textContent = 'Not saved: ' + (result.error || 'the server refused the draft') + '.';
    }
  }
  setInterval(autosave, 20000);
  // Also when the writer leaves the body or the page.
  body.addEventListener('blur', autosave);
  document.addEventListener('visibilitychange', function () { if (document.hidden) autosave(); });
})();
