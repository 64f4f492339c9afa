// Pulling what changed elsewhere (other tablets, the office): GET /api/sync/pull from this
// tablet's cursor, page after page. A work session this tablet keeps a snapshot of (a field
// page it showed) takes the pulled state: counts per slot and category, status, slots, and
// this device's high-water mark, which the server reads in the same snapshot as the counts.
// So render.js's localState (snapshot + this device's ops above the mark) shows every
// tablet's counts, each of this device's ops exactly once, online or offline.
import { done, get, getAll, transact } from './idb.js';
import { pruneSent, supersedes } from './outbox.js';
import { LOCK } from './push.js';
import { isoUTC, ms } from './render.js';

const LIMIT = 500;
const MAX_PAGES = 20;
const CURSOR = 'pull_cursor';

// A pulled session's slots: the server sends the first and how many (a page of hundreds of
// sessions would otherwise carry thousands of timestamps).
export function slotsOf(data, minutes) {
  if (!Number.isInteger(data.slot_count)) return null;
  const first = ms(data.slot_first);
  return Array.from({ length: data.slot_count }, (_, i) => isoUTC(first + i * minutes * 60000));
}

// The snapshot with a session's pulled state, or null when it must not replace `snap`
// (no mark for this device came with it, or it is older: see supersedes).
export function pulled(snap, data, page, deviceId) {
  if (!data || page.high_water === null || page.high_water === undefined || !page.read_at) return null;
  const next = {
    ...snap,
    status: data.status,
    cells: data.cells,
    slots: slotsOf(data, snap.slot_minutes) ?? snap.slots,
    has_in_charge: data.has_in_charge ?? snap.has_in_charge,
    device_id: deviceId,
    high_water: page.high_water,
    rendered_at: page.read_at,
  };
  return supersedes(snap, next) ? next : null;
}

// One page, in one transaction: the snapshots it updates, the acknowledged ops they now
// include forgotten, and the cursor moved past it. Resolves with the sessions updated.
function apply(page, deviceId) {
  return transact(['sessions', 'sent', 'meta'], 'readwrite', async (s) => {
    const updated = [];
    for (const change of page.changes) {
      if (change.entity !== 'work_session') continue;
      const snap = await done(s.sessions.get(change.id));
      const next = snap && pulled(snap, change.data, page, deviceId);
      if (!next) continue;
      await done(s.sessions.put(next));
      updated.push(change.id);
    }
    if (updated.length) await pruneSent(s);
    await done(s.meta.put({ key: CURSOR, cursor: page.next_cursor }));
    return updated;
  });
}

const lost = () => (navigator.onLine ? 'failed' : 'offline');

// Where to read from: the stored cursor; before the first pull, the oldest field page's
// (the log's head when it was rendered), so a new tablet does not read all of history.
async function cursorNow() {
  const stored = await get('meta', CURSOR);
  if (stored) return stored.cursor;
  const starts = (await getAll('sessions')).map((snap) => snap.pull_cursor).filter(Number.isInteger);
  return starts.length ? Math.min(...starts) : 0;
}

async function pages(deviceId) {
  const updated = new Set();
  for (let n = 0; n < MAX_PAGES; n += 1) {
    const cursor = await cursorNow();
    const query = new URLSearchParams({ cursor: String(cursor), limit: String(LIMIT) });
    if (deviceId) query.set('device_id', deviceId);
    let response;
    try {
      response = await fetch(`/api/sync/pull?${query}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    } catch (error) {
      return { outcome: lost(), updated: [...updated] };
    }
    if (response.status === 401 || response.status === 403 || response.redirected) return { outcome: 'signin', updated: [...updated] };
    if (!response.ok) return { outcome: 'failed', updated: [...updated] };
    const page = await response.json();
    for (const id of await apply(page, deviceId)) updated.add(id);
    if (!page.has_more) return { outcome: 'done', updated: [...updated] };
  }
  return { outcome: 'more', updated: [...updated] };
}

// Pulls until nothing more remains (or MAX_PAGES, then 'more'). Resolves with the outcome
// ('done', 'more', 'offline', 'failed', 'signin') and the ids of the sessions updated.
// Under the sync lock, so pushes and pulls of this tablet's pages and worker take turns.
export function pullAll({ deviceId = null } = {}) {
  if (!navigator.onLine) return Promise.resolve({ outcome: 'offline', updated: [] });
  const go = () => pages(deviceId);
  return navigator.locks ? navigator.locks.request(LOCK, go) : go();
}
