// The sync status panel shared by the tablet's pages: pending count, last sync, errors in
// words, the changes the server refused with its reasons (refused.js), saving unsent ops to
// a file, and clearing this tablet's data (shared tablets), which never discards unsent ops
// without saying how many and offering the file first.
import { destroy } from './idb.js';
import { device, pending, SCHEMA_VERSION } from './outbox.js';

export const fmt = (template, values) => template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
const clock = (time) => new Date(time).toLocaleTimeString(document.documentElement.lang === 'en' ? 'en-GB' : 'ja-JP', { timeZone: 'Asia/Tokyo' });

export function show(panel, state) {
  const d = panel.dataset;
  panel.querySelector('.sync-pending').textContent = fmt(d.msgPending, { n: state.pending });
  panel.querySelector('.sync-last').textContent = state.lastSync
    ? fmt(d.msgLastSync, { time: clock(state.lastSync) }) : d.msgNever;
  const errors = {
    offline: d.msgOffline,
    unreachable: d.msgUnreachable,
    failed: d.msgFailed,
    signin: d.msgSignin,
    outdated: d.msgOutdated,
    revoked: d.msgRevoked,
  };
  const retry = state.retryAt ? fmt(d.msgRetry, { time: clock(state.retryAt) }) : '';
  const words = state.syncing ? [d.msgSyncing] : [errors[state.error] ?? '', state.error ? retry : ''];
  if (state.rejected) words.push(fmt(d.msgRejected, { n: state.rejected }));
  panel.querySelector('.sync-error').textContent = words.filter(Boolean).join(' ');
  // Each refused change with its reason: code loaded only when there is one to show.
  if (state.rejected || panel.querySelector('.refused')) {
    import('./refused.js').then((list) => list.showRefused(panel)).catch(() => null);
  }
  panel.querySelector('.sync-export').hidden = !state.pending;
  panel.dataset.pending = String(state.pending);
  panel.dataset.state = state.syncing ? 'syncing' : state.error ?? 'ok';
  if (state.lastSync) panel.dataset.lastSync = String(state.lastSync);
  if (state.lastPull) panel.dataset.lastPull = String(state.lastPull);
}

// Unsent ops to a file (the push format), for a supervisor to upload at /sync/upload when
// this tablet cannot sync.
export async function exportUnsent() {
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
}

// Everything this tablet keeps for the app: the worker, its caches, the database (outbox,
// device id, day records) and the device cookie.
async function wipe() {
  const registrations = (await navigator.serviceWorker?.getRegistrations()) ?? [];
  await Promise.all(registrations.map((registration) => registration.unregister()));
  for (const name of await caches.keys()) if (name.startsWith('madoguchi-')) await caches.delete(name);
  await destroy();
  document.cookie = 'madoguchi_device=; path=/; max-age=0; samesite=strict';
}

function clearDialog(panel, loop) {
  const dialog = panel.querySelector('.clear-dialog');
  const d = panel.dataset;
  const save = dialog.querySelector('[data-testid="clear-export"]');
  const confirm = dialog.querySelector('[data-testid="clear-confirm"]');
  panel.querySelector('.sync-clear').addEventListener('click', async () => {
    const unsent = (await pending()).length;
    dialog.querySelector('.clear-warning').textContent = unsent
      ? fmt(d.msgClearUnsent, { n: unsent }) : d.msgClear;
    confirm.textContent = unsent ? fmt(d.msgClearAnyway, { n: unsent }) : d.msgClearConfirm;
    save.hidden = !unsent;
    dialog.dataset.unsent = String(unsent);
    dialog.showModal();
  });
  save.addEventListener('click', () => exportUnsent());
  dialog.querySelector('[data-testid="clear-cancel"]').addEventListener('click', () => dialog.close());
  confirm.addEventListener('click', async () => {
    // Ops queued after the dialog opened were not in its warning: ask again.
    if ((await pending()).length > Number(dialog.dataset.unsent)) {
      dialog.close();
      return;
    }
    dialog.close();
    await loop.stop();
    await wipe();
    window.location.replace('/');
  });
}

export function connectPanel(panel, loop) {
  panel.querySelector('.sync-export').addEventListener('click', () => exportUnsent());
  if (panel.querySelector('.clear-dialog')) clearDialog(panel, loop);
}
