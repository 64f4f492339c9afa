// The tablet field page: registers this browser as a device and the service worker, keeps
// the page's snapshot for offline taps, and runs the sync loop with its status line.
import { getAll } from './idb.js';
import { device, pending, saveDevice, saveSnapshot, SCHEMA_VERSION, unseen } from './outbox.js';
import { localState, renderCounters } from './render.js';
import { SyncLoop } from './sync.js';
import { localTap, TAP } from './tap.js';

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const data = JSON.parse(document.getElementById('field-data').textContent);
const panel = document.getElementById('sync-status');
const DEVICE_COOKIE = 'madoguchi_device';
const PAGES = 'madoguchi-pages';
const controlledAtLoad = Boolean(navigator.serviceWorker?.controller);

const fmt = (template, values) => template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
const clock = (time) => new Date(time).toLocaleTimeString(document.documentElement.lang === 'en' ? 'en-GB' : 'ja-JP', { timeZone: 'Asia/Tokyo' });

function rememberDevice(deviceId) {
  document.cookie = `${DEVICE_COOKIE}=${deviceId}; path=/; max-age=31536000; samesite=strict`;
}

let registering = null;
async function ensureDevice() {
  const known = await device();
  if (known?.device_id) {
    rememberDevice(known.device_id);
    return known;
  }
  // Only people who may record register a device (the server refuses the others).
  if (!navigator.onLine || !data.can_write) return null;
  registering ??= (async () => {
    const response = await fetch('/api/devices', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ label: 'field tablet' }),
    });
    if (!response.ok) throw new Error(`device registration: ${response.status}`);
    const { device_id: deviceId } = await response.json();
    const saved = await saveDevice(deviceId);
    rememberDevice(saved.device_id);
    return saved;
  })().finally(() => { registering = null; });
  return registering.catch(() => null);
}

function show(state) {
  const d = panel.dataset;
  panel.querySelector('.sync-pending').textContent = fmt(d.msgPending, { n: state.pending });
  panel.querySelector('.sync-last').textContent = state.lastSync
    ? fmt(d.msgLastSync, { time: clock(state.lastSync) }) : d.msgNever;
  const errors = {
    offline: d.msgOffline, failed: d.msgFailed, signin: d.msgSignin, outdated: d.msgOutdated, revoked: d.msgRevoked,
  };
  const words = [state.syncing ? d.msgSyncing : errors[state.error] ?? ''];
  if (state.rejected) words.push(fmt(d.msgRejected, { n: state.rejected }));
  panel.querySelector('.sync-error').textContent = words.filter(Boolean).join(' ');
  panel.querySelector('.sync-export').hidden = !state.pending;
  panel.dataset.pending = String(state.pending);
  panel.dataset.state = state.syncing ? 'syncing' : state.error ?? 'ok';
  if (state.lastSync) panel.dataset.lastSync = String(state.lastSync);
}

async function offlineReady() {
  panel.dataset.offlineReady = '1';
  panel.querySelector('.sync-ready').textContent = panel.dataset.msgReady;
}

// Ask the worker to keep this page for offline use (the first visit was not fetched through it).
function cachePage(worker, url = window.location.href) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(Boolean(event.data?.ok));
    worker.postMessage({ type: 'cache-page', url }, [channel.port2]);
    setTimeout(() => resolve(false), 10000);
  });
}

// A new version of the worker waits while this tablet has unsent ops (the version that
// took them keeps answering), and takes over once the outbox is empty. The outbox is in
// IndexedDB, so nothing is lost either way.
function watchUpdates(registration) {
  const consider = async () => {
    const { waiting } = registration;
    if (!waiting || (await pending()).length) return;
    panel.dataset.update = 'activating';
    waiting.postMessage({ type: 'skip-waiting' });
  };
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) {
        panel.dataset.update = 'waiting';
        consider();
      }
    });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    panel.dataset.worker = navigator.serviceWorker.controller?.scriptURL ?? '';
  });
  loop.onDrained = consider;
  if (registration.waiting) panel.dataset.update = 'waiting';
  consider();
}

async function setupWorker() {
  if (!('serviceWorker' in navigator)) return;
  watchUpdates(await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' }));
  const registration = await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    // A page whose load raced the worker's activation is claimed on request.
    const claimed = new Promise((resolve) => {
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
      setTimeout(resolve, 5000);
    });
    registration.active.postMessage({ type: 'claim' });
    await claimed;
  }
  // A page fetched through the worker is cached already; one that was not is fetched again.
  const cached = (url) => caches.match(url, { cacheName: PAGES, ignoreVary: true });
  if (!controlledAtLoad || !(await cached(window.location.href))) await cachePage(registration.active);
  const incident = document.querySelector('[data-testid="report-incident"]');
  if (incident && !(await cached(incident.href))) await cachePage(registration.active, incident.href);
  if (await cached(window.location.href)) offlineReady();
}

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

document.addEventListener('click', (event) => {
  const button = event.target.closest?.('#counters button.tap, #counters button.minus');
  if (!button) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  const question = button.getAttribute('hx-confirm');
  // eslint-disable-next-line no-alert
  if (question && !window.confirm(question)) return;
  taps = taps.then(() => sendTap(button)).catch(() => null);
}, true);

// Signing out with unsent ops: ask first (they are sent only while their author is signed in).
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.testid !== 'logout-form' || form.dataset.confirmed) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  const unsent = (await pending()).length;
  // eslint-disable-next-line no-alert
  if (unsent && !window.confirm(fmt(panel.dataset.msgLogout, { n: unsent }))) return;
  form.dataset.confirmed = '1';
  form.requestSubmit();
}, true);

// Unsent ops to a file (the push format), for a supervisor to upload at /sync/upload when
// this tablet cannot sync.
panel.querySelector('.sync-export').addEventListener('click', async () => {
  const me = await device();
  const ops = (await pending()).map((op) => ({ ...op, device_id: me?.device_id ?? op.device_id }));
  if (!ops.length) return;
  const body = JSON.stringify({ device_id: me?.device_id ?? null, schema_version: SCHEMA_VERSION, ops }, null, 1);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([body], { type: 'application/json' }));
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '');
  link.download = `madoguchi-unsent-${stamp}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
});

const loop = new SyncLoop({ csrf, ensureDevice, onChange: show });
navigator.serviceWorker?.addEventListener('message', (event) => {
  if (event.data?.type === 'op-added') loop.tapped();
});

// The page as this tablet knows it: the server's snapshot plus ops not yet in it (a session
// opened offline, taps not synced when the page was rendered).
async function showLocal(snap) {
  const ops = [...(await getAll('sent')), ...(await pending())];
  const mine = unseen(snap, ops).filter((op) => op.payload?.work_session_id === snap.session_id);
  if (!mine.length && snap.rendered_at === data.rendered_at) return;
  const state = localState(snap, ops);
  const head = document.querySelector('.session-head');
  head.dataset.status = state.status;
  head.querySelector('[data-testid="session-status"]').textContent = snap.status_labels[state.status];
  const open = head.querySelector('form.session-open');
  const close = head.querySelector('form.session-close');
  if (open) open.hidden = state.status !== 'planned';
  if (close) close.hidden = state.status !== 'open';
  const counters = document.getElementById('counters');
  counters.outerHTML = renderCounters(snap, state);
  window.htmx?.process(document.getElementById('counters'));
}

await showLocal(await saveSnapshot(data));
navigator.storage?.persist?.().catch(() => false);
await ensureDevice();
loop.start();
setupWorker().catch(() => null);
