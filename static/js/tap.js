// A counter tap answered on the tablet: the op goes to the outbox, the counters fragment is
// rendered from local state. Used by the service worker, and by the page while no worker
// controls it yet.
import { jstDay } from './days.js';
import { append, localView, snapshot } from './outbox.js';
import { localState, renderCounters } from './render.js';

// Returns the fragment's HTML, or null when this tap is not one to answer locally.
export async function localTap(sessionId, { category, delta, slot }) {
  const snap = await snapshot(sessionId);
  const n = Number.parseInt(String(delta ?? ''), 10);
  if (!snap || !snap.categories.some((c) => c.code === category)
      || !Number.isInteger(n) || n === 0 || Number.isNaN(Date.parse(String(slot)))) return null;
  const result = await append('headcount.add', {
    work_session_id: sessionId,
    slot_start: String(slot),
    category,
    delta: n,
  }, {
    actorId: snap.actor_id,
    sessionId,
    // The snapshot as stored when the op is written (a pull may have just replaced it).
    check: (ops, now) => {
      const state = localState(now ?? snap, ops);
      if (state.status !== 'open') return 'not_open';
      if ((state.byCategory[category] ?? 0) + n < 0) return snap.messages.below_zero;
      return null;
    },
  });
  const view = await localView(sessionId);
  const error = result.refused && result.refused !== 'not_open' ? result.refused : '';
  const shown = view.snap ?? snap;
  return { html: renderCounters(shown, localState(shown, view.ops), { error }), op: result.op ?? null };
}

export const TAP = /^\/field\/sessions\/(\d+)\/count$/;

export const TRANSITION = /^\/field\/sessions\/(\d+)\/(open|close)$/;

// Whether the tablet may start (or finish) the session now, by the server's rules as the
// page knew them: its staff or a manager; a start on its work date unless a manager says
// why; a finish once its totals were confirmed. (A snapshot from an older page lacks the
// facts: the server decides.)
export function mayTransition(snap, kind, { reason = '', confirmed = false } = {}, now = new Date()) {
  if (!snap || !snap.can_write || !snap.has_in_charge || snap.may_work === false) return false;
  if (kind === 'close') return confirmed;
  if (snap.work_date === undefined) return true;
  return jstDay(now.toISOString()) === snap.work_date || Boolean(snap.manager && reason);
}

// Opening or closing a work session on the tablet: an op in the outbox. Returns false when
// the snapshot says it cannot be done (the server then answers, with its message).
export async function localTransition(sessionId, kind, said = {}) {
  const snap = await snapshot(sessionId);
  const moment = new Date();
  if (said.bad || !mayTransition(snap, kind, said, moment)) return false;
  const result = await append(`work_session.${kind}`, transitionPayload(sessionId, kind, said, moment), {
    actorId: snap.actor_id,
    sessionId,
    check: (ops, now) => {
      const { status } = localState(now ?? snap, ops);
      return (kind === 'open' ? status === 'planned' : status === 'open') ? null : 'status';
    },
  });
  return Boolean(result.op);
}

const text = (form, name) => String(form.get(name) ?? '').replace(/\r\n/g, '\n').trim();
const count = (form, name) => (/^\d{1,7}$/.test(text(form, name)) ? Number(text(form, name)) : null);

// What a Start or Finish form says: a manager's reason, the confirmation, the checklist
// ticked (when it had one) and the card counts. `bad`: a count the server must explain.
export function saidOf(form) {
  const said = { reason: text(form, 'override_reason'), confirmed: form.get('confirmed') === 'yes' };
  if (form.get('checks_shown') === 'yes') said.checks = form.getAll('check').map(String);
  const names = ['stock_start', 'stock_received', 'stock_issued', 'stock_spoiled', 'stock_end'];
  const [start, received, issued, spoiled, end] = names.map((name) => count(form, name));
  said.bad = names.some((name) => text(form, name) && count(form, name) === null)
    || (end === null && [received, issued, spoiled].some((n) => n !== null));
  said.stockStart = start;
  if (end !== null) said.stock = { received: received ?? 0, issued: issued ?? 0, spoiled: spoiled ?? 0, end };
  return said;
}

// The payload of a tablet's `work_session.open` or `.close`, as the server's form makes it.
export function transitionPayload(sessionId, kind, said, moment) {
  const payload = { work_session_id: sessionId, at: moment.toISOString() };
  if (kind === 'open' && said.reason) payload.override_reason = said.reason;
  if (said.checks) payload.checks = said.checks;
  if (kind === 'open' && said.stockStart != null) payload.stock_start = said.stockStart;
  if (kind === 'close' && said.stock) payload.stock = said.stock;
  return payload;
}

// An incident filed offline: `incident.create` with the form's uid (once per uid).
export async function localIncident(form, sessionId) {
  const uid = text(form, 'uid') || crypto.randomUUID();
  const siteId = Number.parseInt(text(form, 'site_id'), 10);
  const date = text(form, 'occurred_date');
  const time = text(form, 'occurred_time');
  if (!Number.isInteger(siteId) || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{2}:\d{2}$/.test(time)) return false;
  const snap = sessionId ? await snapshot(sessionId) : null;
  const result = await append('incident.create', {
    uid,
    site_id: siteId,
    work_session_id: sessionId,
    category: text(form, 'category'),
    severity: text(form, 'severity'),
    occurred_at: `${date}T${time}:00+09:00`,
    description: text(form, 'description'),
    immediate_action: text(form, 'immediate_action'),
  }, {
    actorId: snap?.actor_id ?? null,
    check: (ops) => (ops.some((op) => op.type === 'incident.create' && op.payload.uid === uid) ? 'duplicate' : null),
  });
  return Boolean(result.op) || result.refused === 'duplicate';
}
