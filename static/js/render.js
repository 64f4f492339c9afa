// The counters fragment (templates/headcounts/_counters.html), rendered from local state:
// the server's totals in the page snapshot plus this device's ops the snapshot lacks.
// Shared by the service worker (which answers taps) and the page.
import { unseen } from './outbox.js';

const esc = (value) => String(value)
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/"/g, '&#34;').replace(/'/g, '&#39;');

export const ms = (iso) => Date.parse(iso);
export const isoUTC = (time) => new Date(time).toISOString().replace(/\.\d{3}Z$/, '+00:00');
const JST = 9 * 3600 * 1000;
const hhmm = (time) => {
  const d = new Date(time + JST);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
};

export function slotOf(time, minutes) {
  const d = new Date(time);
  const ofDay = d.getUTCHours() * 60 + d.getUTCMinutes();
  const start = Math.floor(ofDay / minutes) * minutes;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), Math.floor(start / 60), start % 60);
}

// The slot a tap now belongs to: the current one, or the nearest inside the session.
export function currentSlot(snap, now = Date.now()) {
  const slot = slotOf(now, snap.slot_minutes);
  const window = snap.slots.map(ms);
  return window.length ? Math.min(Math.max(slot, window[0]), window[window.length - 1]) : slot;
}

// Totals and status of one session: the snapshot plus the ops it does not include.
export function localState(snap, ops) {
  const cells = new Map();
  const add = (slot, category, n) => {
    const key = `${slot}|${category}`;
    cells.set(key, (cells.get(key) ?? 0) + n);
  };
  for (const [slot, category, n] of snap.cells) add(ms(slot), category, n);
  let { status } = snap;
  for (const op of unseen(snap, ops)) {
    const p = op.payload;
    if (p.work_session_id !== snap.session_id) continue;
    if (op.type === 'headcount.add') add(ms(p.slot_start), p.category, p.delta);
    else if (op.type === 'work_session.open' && status === 'planned') status = 'open';
    else if (op.type === 'work_session.close' && status === 'open') status = 'closed';
  }
  const byCategory = {};
  const bySlot = new Map();
  let total = 0;
  for (const [key, n] of cells) {
    const [slot, category] = key.split('|');
    byCategory[category] = (byCategory[category] ?? 0) + n;
    bySlot.set(Number(slot), (bySlot.get(Number(slot)) ?? 0) + n);
    total += n;
  }
  return { status, cells, byCategory, bySlot, total };
}

export function renderCounters(snap, state, { error = '', now = Date.now() } = {}) {
  const m = snap.messages;
  const slot = currentSlot(snap, now);
  const slotEnd = slot + snap.slot_minutes * 60000;
  const writable = snap.can_write && state.status === 'open';
  const url = `/field/sessions/${snap.session_id}/count`;
  const counters = snap.categories.map((c) => {
    const vals = (delta) => esc(JSON.stringify({ category: c.code, delta, slot: isoUTC(slot) }));
    const buttons = writable ? `
      <button type="button" class="tap" data-testid="plus-${esc(c.code)}"
        aria-label="${esc(c.plus_name)}"
        hx-post="${url}" hx-target="#counters" hx-swap="outerHTML"
        hx-vals="${vals(1)}">+1</button>
      <button type="button" class="minus" data-testid="minus-${esc(c.code)}"
        aria-label="${esc(c.minus_name)}"
        hx-post="${url}" hx-target="#counters" hx-swap="outerHTML"
        hx-confirm="${esc(c.confirm)}"
        hx-vals="${vals(-1)}">−1</button>` : '';
    return `
    <li class="counter" data-category="${esc(c.code)}">
      <span class="counter-label">${esc(c.label)}</span>
      <span class="counter-now">${esc(m.this_slot)} <b data-testid="slot-count-${esc(c.code)}">${state.cells.get(`${slot}|${c.code}`) ?? 0}</b></span>
      <span class="counter-total">${esc(m.total)} <b data-testid="total-${esc(c.code)}">${state.byCategory[c.code] ?? 0}</b></span>${buttons}
    </li>`;
  }).join('');
  const rows = snap.slots.map((s) => `
      <tr><td>${hhmm(ms(s))}</td><td>${state.bySlot.get(ms(s)) ?? 0}</td></tr>`).join('');
  return `<section id="counters" class="counters" data-testid="counters" data-local="1">
  <p class="slot">${esc(m.time_slot)}: <span data-testid="slot">${hhmm(slot)}–${hhmm(slotEnd)}</span></p>
  ${error ? `<p class="error" role="alert" data-testid="count-error">${esc(error)}</p>` : ''}
  <ul class="counter-grid">${counters}
  </ul>
  <table class="slot-totals" data-testid="slot-totals">
    <thead><tr><th>${esc(m.time_slot)}</th><th>${esc(m.total)}</th></tr></thead>
    <tbody>${rows}
    </tbody>
    <tfoot><tr><th>${esc(m.total)}</th><td data-testid="grand-total">${state.total}</td></tr></tfoot>
  </table>
</section>`;
}
