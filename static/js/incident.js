// The incident detail page on a tablet: the page is kept for offline use, the edit form's
// post is answered by the service worker (incident-edit.js), and this tablet's edits the
// server's page does not include yet are shown in the fields and the form, so the next
// edit starts from what the person sees.
import { baseOf, INCIDENT_PAGE, localEdits, reportedAt, withEdits } from './incident-edit.js';
import { tablet } from './tablet.js';

const form = document.querySelector('[data-testid="edit-form"]');
const uid = INCIDENT_PAGE.exec(window.location.pathname)?.[1];
const baseField = form.querySelector('input[name="offline_base"]');
const base = baseOf(new FormData(form));

const labelOf = (name, value) => {
  const option = form.querySelector(`select[name="${name}"] option[value="${CSS.escape(value)}"]`);
  if (option) return option.textContent.trim();
  return form.querySelector(`input[name="${name}"][value="${CSS.escape(value)}"]`)?.parentElement.textContent.trim() ?? value;
};
// As the server shows times: "2025-04-01 09:30" (JST).
const shown = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');

function showField(name, value) {
  const cell = document.querySelector(`[data-testid="field-${name}"]`);
  if (!cell) return;
  if (['category', 'severity', 'status'].includes(name)) cell.textContent = labelOf(name, value);
  else if (name === 'reported_to_city_at') cell.textContent = shown(value);
  else cell.textContent = value || '—';
}

function fillForm(name, value) {
  if (name === 'severity') {
    const radio = form.querySelector(`input[name="severity"][value="${CSS.escape(value)}"]`);
    if (radio) radio.checked = true;
  } else if (name === 'reported_to_city_at') {
    form.elements.reported_date.value = value ? value.slice(0, 10) : '';
    form.elements.reported_time.value = value ? value.slice(11, 16) : '';
  } else if (form.elements[name]) {
    form.elements[name].value = value;
  }
}

async function showLocalEdits() {
  if (!uid || !base) return;
  const edits = await localEdits(uid, base.rendered_at);
  if (!edits.length) return;
  const values = withEdits(base.values, edits);
  for (const [name, value] of Object.entries(values)) {
    if (value === base.values[name]) continue;
    showField(name, value);
    fillForm(name, value);
  }
  baseField.value = JSON.stringify({ ...base, values });
  const note = document.querySelector('[data-testid="local-edits"]');
  if (note) note.hidden = false;
}

// Both parts of the reported time or neither (the worker cannot answer a half-filled one).
form.addEventListener('submit', (event) => {
  const { reported_date: day, reported_time: time } = form.elements;
  const ok = reportedAt(day.value.trim(), time.value.trim()) !== undefined;
  time.setCustomValidity(ok ? '' : form.dataset.msgReported);
  if (!ok) {
    event.preventDefault();
    event.stopImmediatePropagation();
    time.reportValidity();
  }
}, true);
form.addEventListener('input', () => form.elements.reported_time.setCustomValidity(''));

const { start } = tablet({ canWrite: true });
await showLocalEdits();
await start();
