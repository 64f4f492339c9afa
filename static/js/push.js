// Sending the outbox: batches of up to BATCH ops to POST /api/sync/push in seq order, then
// (once the outbox is empty) this device's day reports to POST /api/sync/report. Shared by
// the page's sync loop and the service worker's Background Sync handler; a Web Lock keeps
// the two from sending at once (the server would count every op once anyway).
import { dueReports, markReported } from './days.js';
import { get, put } from './idb.js';
import { acknowledge, device, pending, SCHEMA_VERSION } from './outbox.js';

export const BATCH = 200;
export const SYNC_TAG = 'madoguchi-push';
export const LOCK = 'madoguchi-sync';

// The page keeps its CSRF token here, so the worker can send with no page open.
export const storedCsrf = async () => (await get('meta', 'csrf'))?.token ?? '';
export const saveCsrf = (token) => (token ? put('meta', { key: 'csrf', token }) : null);

// Batches go gzip-compressed when large (the push endpoint inflates them): 200 taps are
// about 60 KB of JSON and about 7 KB gzipped, which counts on a venue's mobile link.
const GZIP_FROM = 1024;

async function encoded(body, gzip) {
  const text = JSON.stringify(body);
  if (!gzip || text.length < GZIP_FROM || typeof CompressionStream === 'undefined') return { data: text, headers: {} };
  const packed = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return { data: await new Response(packed).arrayBuffer(), headers: { 'Content-Encoding': 'gzip' } };
}

const post = async (url, csrf, body, { gzip = false } = {}) => {
  const { data, headers } = await encoded(body, gzip);
  return fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf, ...headers },
    body: data,
  });
};

// No answer at all: the browser is offline, or online but the server cannot be reached (a
// venue's Wi-Fi without internet). Both are normal in the field; 'failed' is kept for an
// answer that says something went wrong.
const lost = () => (navigator.onLine ? 'unreachable' : 'offline');

// Sends everything unsent. Resolves with 'done', or why it stopped for now: 'offline',
// 'unreachable', 'failed', 'signin', 'outdated' (schema refused) or 'revoked'.
export function sendAll({ csrf, ensureDevice = device, onBusy = () => {} }) {
  const go = () => drain(csrf, ensureDevice, onBusy);
  return navigator.locks ? navigator.locks.request(LOCK, go) : go();
}

async function drain(csrf, ensureDevice, onBusy) {
  try {
    for (let round = 0; round < 1000; round += 1) {
      const ops = await pending();
      if (!ops.length) break;
      if (!navigator.onLine) return 'offline';
      const me = (await ensureDevice()) ?? (await device());
      if (!me?.device_id) return lost();
      await onBusy();
      const batch = ops.slice(0, BATCH).map((op) => ({ ...op, device_id: me.device_id }));
      const outcome = await pushBatch(csrf, me.device_id, batch);
      if (outcome !== 'progress') return outcome;
    }
  } catch (error) {
    return lost();
  }
  await report(csrf).catch(() => null);
  return 'done';
}

// One batch. Returns 'progress', or why sending stops for now.
async function pushBatch(csrf, deviceId, batch) {
  let response;
  try {
    response = await post('/api/sync/push', csrf, { device_id: deviceId, schema_version: SCHEMA_VERSION, ops: batch }, { gzip: true });
  } catch (error) {
    return lost();
  }
  if (response.status === 409) return 'outdated';
  if (response.status === 401 || response.redirected) return 'signin';
  if (response.status === 403) {
    const body = await response.json().catch(() => ({}));
    return body.error === 'device_unknown' ? 'revoked' : 'signin';
  }
  if (!response.ok) return 'failed';
  const answer = await response.json();
  const moved = await acknowledge(answer.high_water, answer.results ?? []);
  await put('meta', { key: 'last_sync', at: Date.now() });
  // A gap: the server wants high_water + 1 next, which is where the outbox now starts.
  // If nothing moved and the outbox cannot start there, resending would not help.
  if (answer.gap && !moved.length) {
    const first = (await pending())[0];
    if (!first || first.seq !== answer.high_water + 1) return 'failed';
  }
  return 'progress';
}

// Day reports, sent only with the outbox empty: then a count the server lacks is an op
// lost, not one still waiting here.
async function report(csrf) {
  const me = await device();
  const reports = await dueReports();
  if (!me?.device_id || !reports.length) return;
  const response = await post('/api/sync/report', csrf, { device_id: me.device_id, reports });
  if (response.ok && !response.redirected) await markReported(reports);
}
