// The tablet field page: registers this browser as a device and the service worker, keeps
// the page's snapshot for offline taps, and runs the sync loop with its status line. When a
// pull brings this session's state (other tablets' counts), the counters are drawn again.
import { localView, saveSnapshot, unseen } from './outbox.js';
import { localState, renderCounters } from './render.js';
import { confirmFiled, drawLocal } from './session-incidents.js';
import { tablet } from './tablet.js';
import { localTap, TAP } from './tap.js';
import { keepAgain } from './worker.js';

const data = JSON.parse(document.getElementById('field-data').textContent);
// The incident form and this session's incidents are kept for offline use with the page.
const links = [...document.querySelectorAll('[data-testid="report-incident"], [data-offline-link]')].map((a) => a.href);
const { csrf, loop, start } = tablet({ canWrite: data.can_write, links, siteId: data.site_id });

// Taps: every one counts, in order. htmx would queue a second tap made while the first is
// in flight on the button the first answer replaces, and then drop it; so the page sends
// the buttons' hx-post itself, one after another, to the worker (or, before a worker
// controls the page, answers here). Neither waits for the network.
let taps = Promise.resolve();

async function sendTap(button) {
  const url = button.getAttribute('hx-post');
  const vals = JSON.parse(button.getAttribute('hx-vals') ?? '{}');
  const match = TAP.exec(url ?? '');
  if (!match) return;
  let html = null;
  if (navigator.serviceWorker?.controller) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'HX-Request': 'true', 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(Object.entries(vals).map(([k, v]) => [k, String(v)])),
    });
    html = await response.text();
  } else {
    html = (await localTap(Number(match[1]), vals))?.html ?? null;
  }
  const target = document.getElementById('counters');
  if (!html || !target) return;
  target.outerHTML = html;
  window.htmx?.process(document.getElementById('counters'));
  loop.tapped();
}

// Taps are caught by early.js (from the head, before this module runs); each, kept from
// before or made now, is sent in turn. A page kept offline from before early.js was in its
// head catches them from now on.
if (!window.madoguchiTaps) await import('./early.js');
window.madoguchiTaps((button) => {
  taps = taps.then(() => sendTap(button)).catch(() => null);
});

// The page as this tablet knows it: the server's snapshot plus ops not yet in it (a session
// opened offline, taps not synced when the page was rendered).
async function showLocal(refused = false) {
  const { snap, ops } = await localView(data.session_id);
  if (!snap) return;
  const mine = unseen(snap, ops).filter((op) => op.payload?.work_session_id === snap.session_id);
  if (!refused && !mine.length && snap.rendered_at === data.rendered_at) return;
  const state = localState(snap, ops);
  const head = document.querySelector('.session-head');
  head.dataset.status = state.status;
  head.querySelector('[data-testid="session-status"]').textContent = snap.status_labels[state.status];
  const open = head.querySelector('form.session-open');
  const close = head.querySelector('.session-close');
  if (open) open.hidden = state.status !== 'planned';
  if (close) close.hidden = state.status !== 'open';
  const counters = document.getElementById('counters');
  counters.outerHTML = renderCounters(snap, state);
  window.htmx?.process(document.getElementById('counters'));
}

// The finish confirmation shows the totals on screen when it opens (taps since the page
// was drawn included), each copied from the counter it names.
const closing = document.querySelector('details.session-close');
closing?.addEventListener('toggle', () => {
  if (!closing.open) return;
  for (const cell of closing.querySelectorAll('[data-total]')) {
    const shown = document.querySelector(`#counters [data-testid="${cell.dataset.total}"]`);
    if (shown) cell.textContent = shown.textContent;
  }
});

// This session's reports filed on this tablet that the page's list lacks, drawn at once
// and after each sync (one at a time); a report just kept offline is confirmed once.
const incidents = document.querySelector('[data-testid="session-incidents"]');
// Once one of them reached the server, the page kept offline is fetched again, so it lists
// it even after this tablet forgets the sent op.
let drawn = Promise.resolve();
let keeping = false;
function drawIncidents() {
  if (!incidents) return;
  drawn = drawn.then(async () => {
    const sent = drawLocal(incidents, data, (await localView(data.session_id)).ops);
    if (!sent || keeping || !navigator.onLine) return;
    keeping = true;
    keepAgain(window.location.href).then((ok) => { keeping = ok; }, () => { keeping = false; });
  }).catch(() => null);
}

// A pull replaced this session's snapshot: draw it, in turn with taps (a tap's answer and
// this drawing each read the snapshot and ops at once; the later one is shown last).
loop.onPulled = (ids) => {
  if (ids.includes(data.session_id)) taps = taps.then(() => showLocal()).catch(() => null);
};
// A change the server refused no longer counts: drawn again without it (a pull may not come).
// The incident list follows the outbox too (a report sent is no longer marked unsent).
let refusals = null;
const said = loop.onChange;
loop.onChange = (state) => {
  said(state);
  drawIncidents();
  if (refusals !== null && state.rejected > refusals) taps = taps.then(() => showLocal(true)).catch(() => null);
  refusals = state.rejected;
};

await saveSnapshot(data);
// Confirmed first, then drawn (in turn, without holding up the taps kept so far).
const note = document.querySelector('[data-testid="incident-saved"]');
if (note) drawn = drawn.then(() => confirmFiled(note, data.session_id)).catch(() => null);
drawIncidents();
await showLocal();
await start();
