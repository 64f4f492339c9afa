// The incident detail page on a tablet: the page is kept for offline use, the edit form's
// post is answered by the service worker (incident-edit.js), and this tablet's edits the
// server's page does not include yet are shown in the fields and the form, so the next
// edit starts from what the person sees. Edits the server refused are marked, not shown as
// applied; edits it would refuse are stopped in the form.
import {
  baseOf, editProblems, formValues, INCIDENT_PAGE, localEdits, MAX_TEXT, reportedAt, withEdits,
} from './incident-edit.js';
import { rejected } from './outbox.js';
import { fmt, show } from './status.js';
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

// What the fields show now: the server's page plus this tablet's edits it lacks.
let drawn = base?.values ?? {};
const note = document.querySelector('[data-testid="local-edits"]');

// The page as this tablet knows it: the server's values plus this tablet's edits not in
// them yet. Drawn at load and after each sync: an edit the server refused leaves the
// fields (they show the server's value again) and is marked beside them instead.
async function draw() {
  if (!uid || !base) return;
  // Fields the person changed in the form and has not saved: kept as typed, never refilled.
  const typed = formValues(new FormData(form));
  const editing = Object.keys(typed).filter((name) => typed[name] !== drawn[name]);
  const values = withEdits(base.values, await localEdits(uid, base.rendered_at));
  for (const [name, value] of Object.entries(values)) {
    if (value === drawn[name]) continue;
    showField(name, value);
    if (!editing.includes(name)) fillForm(name, value);
  }
  drawn = values;
  baseField.value = JSON.stringify({ ...base, values });
  if (note) note.hidden = Object.entries(values).every(([name, value]) => value === base.values[name]);
  const refused = await markRefused();
  // A refusal that came back while this page is open: the server's page again (what others
  // changed meanwhile, likely why it was refused), once; it is marked there too. Not over
  // unsaved input: a notice by the form offers the reload instead (refused.js).
  seenRefused ??= refused;
  if (!refused.some((seq) => !seenRefused.includes(seq)) || !navigator.onLine) return;
  if (!editing.length) {
    window.location.reload();
    return;
  }
  seenRefused = refused;
  (await import('./refused.js')).offerReload(form);
}
let seenRefused = null;

// This tablet's refused edits of this incident, marked beside their fields (refused.js).
// Resolves with their seqs.
async function markRefused() {
  const ops = (await rejected()).filter((op) => op.type === 'incident.update' && op.payload?.uid === uid);
  if (ops.length || document.querySelector('.refused-edit')) (await import('./refused.js')).markEdits(ops, labelOf);
  return ops.map((op) => op.seq);
}

// The server's rules the form can check (incident-edit.js editProblems): refused here,
// with the server's words beside the field, before anything is queued.
function explain(field, code) {
  const message = fmt(form.dataset[`msg${code.replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase())}`] ?? code, { max: MAX_TEXT });
  const input = form.elements[field];
  const control = input instanceof RadioNodeList ? input[0] : input;
  const box = control?.closest('.field');
  if (!box) return;
  let error = box.querySelector('.field-error');
  if (!error) {
    error = document.createElement('span');
    error.className = 'field-error';
    error.setAttribute('role', 'alert');
    box.append(error);
  }
  error.dataset.rule = code;
  error.id = `error-${field}`;
  error.dataset.testid = `error-${field}`;
  error.textContent = message;
  control.setAttribute('aria-invalid', 'true');
  control.setAttribute('aria-describedby', error.id);
}

function clearProblems() {
  form.querySelectorAll('.field-error[data-rule]').forEach((error) => error.remove());
  form.querySelectorAll('[aria-invalid]').forEach((input) => input.removeAttribute('aria-invalid'));
}

form.addEventListener('submit', (event) => {
  const current = baseOf(new FormData(form))?.values;
  if (!current) return;
  clearProblems();
  const problems = editProblems(formValues(new FormData(form)), current);
  if (!problems.length) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  for (const { field, code } of problems) explain(field, code);
  form.querySelector('[aria-invalid="true"]')?.focus();
}, true);

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

const { panel, loop, start } = tablet({ canWrite: true });
// After each sync (a refusal may have come back), the page is drawn again, in turn.
let drawing = Promise.resolve();
const redraw = () => { drawing = drawing.then(draw).catch(() => null); return drawing; };
loop.onChange = (state) => { show(panel, state); redraw(); };
await redraw();
await start();
