// Editing an incident on the tablet (shared by the service worker and the detail page).
// Saving the edit form appends one `incident.update` op holding only the fields changed
// from what the page showed, with base_version = the version the page was rendered from;
// the server merges per field and records a conflict when another device changed the same
// field from the same base. The page shows this tablet's edits the server page lacks.
import { getAll } from './idb.js';
import { append, pending } from './outbox.js';

// /incidents/{uid}: the detail page (GET) and its edit form (POST); /incidents/new is not one.
export const INCIDENT_PAGE = /^\/incidents\/(?!new$)([\w-]{1,40})$/;
const CHOICES = ['category', 'severity', 'status'];
const TEXTS = ['description', 'immediate_action', 'recurrence_prevention'];

// As the server's clean_text: newlines as \n, no outer blanks.
const text = (value) => String(value ?? '').replace(/\r\n?/g, '\n').trim();

// The server's rules an edit can be checked against here (server/incidents/service.py
// apply_update, server/ops/apply.py check_text, server/common/text.py), so a change it
// would refuse is never queued. The My Number guard is guard.js's.
const SERIOUS = ['high', 'critical'];
const STATUS_ORDER = ['open', 'reported', 'resolved', 'closed'];
export const MAX_TEXT = 4000;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]/u;

// What the server would refuse in an edit from `current` (the values the page shows) to
// `values` (the form's): [{field, code}], empty when it may be queued.
export function editProblems(values, current) {
  const changed = Object.fromEntries(Object.entries(values).filter(([name, value]) => value !== current[name]));
  const after = { ...current, ...changed };
  const problems = [];
  for (const name of TEXTS) {
    const value = changed[name];
    if (typeof value !== 'string') continue;
    if (CONTROL.test(value)) problems.push({ field: name, code: 'control_chars' });
    else if ([...value].length > MAX_TEXT) problems.push({ field: name, code: 'too_long' });
    else if (name === 'description' && !value) problems.push({ field: name, code: 'required' });
  }
  if (STATUS_ORDER.indexOf(after.status) < STATUS_ORDER.indexOf(current.status)) {
    problems.push({ field: 'status', code: 'status_backwards' });
  } else if (after.status === 'closed' && SERIOUS.includes(after.severity) && !after.recurrence_prevention) {
    problems.push({ field: 'recurrence_prevention', code: 'prevention_required' });
  }
  return problems;
}

// The reported time from the form's JST date and time: an ISO string, null when both are
// empty, undefined when only one is given or either is malformed.
export function reportedAt(day, time) {
  if (!day && !time) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !/^\d{2}:\d{2}$/.test(time)) return undefined;
  return `${day}T${time}:00+09:00`;
}

// The form's values as an op carries them (only the fields the form holds).
export function formValues(form) {
  const values = {};
  for (const name of CHOICES) if (form.has(name)) values[name] = String(form.get(name));
  for (const name of TEXTS) if (form.has(name)) values[name] = text(form.get(name));
  if (form.has('reported_date') || form.has('reported_time')) {
    values.reported_to_city_at = reportedAt(text(form.get('reported_date')), text(form.get('reported_time')));
  }
  return values;
}

// The page's `offline_base` field: {version, actor_id, rendered_at, values} as rendered
// (plus this tablet's edits the page shows), or null for a form without it.
export function baseOf(form) {
  try {
    const base = JSON.parse(String(form.get('offline_base') ?? ''));
    return Number.isInteger(base?.version) && base.values ? base : null;
  } catch (error) {
    return null;
  }
}

// Queues the edit. Returns {op} (op null: nothing changed), or null when the worker cannot
// answer this form (no base, a malformed time, a rule broken: the server answers with its
// message).
export async function localEdit(uid, form) {
  const base = baseOf(form);
  const version = Number.parseInt(String(form.get('base_version') ?? ''), 10);
  if (!base || !Number.isInteger(version) || version < 1) return null;
  const values = formValues(form);
  if (values.reported_to_city_at === undefined && 'reported_to_city_at' in values) return null;
  // A change the server would refuse is not queued (the page checks first and says why).
  if (editProblems(values, base.values).length) return null;
  const changed = Object.fromEntries(Object.entries(values).filter(([name, value]) => value !== base.values[name]));
  if (!Object.keys(changed).length) return { op: null };
  const { op } = await append('incident.update', { uid, ...changed }, { actorId: base.actor_id ?? null, baseVersion: version });
  return { op };
}

// This tablet's edits of the incident that a page rendered at `renderedAt` may lack: unsent,
// or applied after it was rendered (refused and conflicting ones are the server's to show).
export async function localEdits(uid, renderedAt) {
  const since = Date.parse(renderedAt);
  const sent = (await getAll('sent')).filter((op) => ['applied', 'duplicate'].includes(op.status) && op.acked_at >= since);
  return [...sent, ...(await pending())]
    .filter((op) => op.type === 'incident.update' && op.payload?.uid === uid)
    .sort((a, b) => a.seq - b.seq);
}

// The values after `ops`, in order.
export function withEdits(values, ops) {
  const result = { ...values };
  for (const op of ops) {
    for (const [name, value] of Object.entries(op.payload)) if (name !== 'uid') result[name] = value;
  }
  return result;
}
