// The outbox: every change made on this tablet becomes an op, stored in IndexedDB before
// anything is shown, and sent later by the sync loop. Shared by the page and the service worker.
import { recordOp } from './days.js';
import { done, get, getAll, put, transact } from './idb.js';

export const SCHEMA_VERSION = 1;

// UUIDv7: 48 bits of Unix milliseconds, version 7, variant 10, random rest.
export function uuidv7() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  for (let i = 5; i >= 0; i -= 1) { bytes[i] = ms % 256; ms = Math.floor(ms / 256); }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const device = () => get('meta', 'device');

export function saveDevice(deviceId) {
  return transact(['meta'], 'readwrite', async (s) => {
    const current = await done(s.meta.get('device'));
    if (current?.device_id) return current;
    const record = { key: 'device', device_id: deviceId, next_seq: current?.next_seq ?? 1 };
    await done(s.meta.put(record));
    return record;
  });
}

// Appends an op with the next seq of this device, in one transaction that also counts it
// in its day's record. `check(ops, snap)` sees the ops already stored (and, with `sessionId`,
// that session's snapshot as stored now: a pull may have replaced it) and may refuse
// (returns a reason) before anything is written.
export function append(type, payload, { actorId = null, baseVersion = null, check = null, sessionId = null } = {}) {
  return transact(['meta', 'outbox', 'sent', 'days', 'sessions'], 'readwrite', async (s) => {
    if (check) {
      const snap = sessionId === null ? null : await done(s.sessions.get(sessionId));
      const reason = check([...(await done(s.sent.getAll())), ...(await done(s.outbox.getAll()))], snap);
      if (reason) return { refused: reason };
    }
    const meta = (await done(s.meta.get('device'))) ?? { key: 'device', device_id: null, next_seq: 1 };
    const op = {
      op_id: uuidv7(),
      device_id: meta.device_id,
      seq: meta.next_seq,
      type,
      actor_id: actorId,
      client_time: new Date().toISOString(),
      base_version: baseVersion,
      payload,
    };
    await done(s.meta.put({ ...meta, next_seq: meta.next_seq + 1 }));
    await done(s.outbox.add(op));
    await recordOp(s.days, op);
    return { op };
  });
}

export const pending = () => getAll('outbox');

// The server's answer to a push, as `sent` records: the outbox's ops (in seq order) up to
// `highWater`, with their per-op status (one the server reports nothing about was already
// there: duplicate). Later ops stay in the outbox.
export function acknowledged(ops, highWater, results, at = Date.now()) {
  const status = new Map(results.map((r) => [r.seq, r]));
  const moved = [];
  for (const op of ops) {
    if (op.seq > highWater) break;
    const result = status.get(op.seq);
    moved.push({ ...op, status: result?.status ?? 'duplicate', code: result?.code ?? null, field: result?.field ?? null, message: result?.message ?? null, acked_at: at });
  }
  return moved;
}

export function acknowledge(highWater, results) {
  return transact(['outbox', 'sent', 'sessions'], 'readwrite', async (s) => {
    const moved = acknowledged(await done(s.outbox.getAll()), highWater, results);
    for (const record of moved) {
      await done(s.sent.put(record));
      await done(s.outbox.delete(record.seq));
    }
    await pruneSent(s);
    return moved;
  });
}

// The acknowledged ops every snapshot already includes (seq at most the lowest mark): safe
// to forget only because a snapshot's mark never goes back (supersedes). Refused ops stay
// listed until the person drops them (refused.js dropRefused); the server's review screen
// keeps them anyway.
export function forgettable(snapshots, sent) {
  if (!snapshots.length) return [];
  const floor = Math.min(...snapshots.map((snap) => snap.high_water ?? 0));
  return sent.filter((op) => op.seq <= floor && op.status !== 'rejected');
}

// Forgets them, inside the caller's transaction (holding 'sessions' and 'sent').
export async function pruneSent(s) {
  const snapshots = await done(s.sessions.getAll());
  if (!snapshots.length) return;
  for (const op of forgettable(snapshots, await done(s.sent.getAll()))) await done(s.sent.delete(op.seq));
}

// Whether snapshot `next` (a rendered page's, or a pulled state) may replace `current`:
// not older by the server's clock, and this device's mark never goes back (ops below every
// mark were forgotten, so a lower mark would drop them from the counts).
export function supersedes(current, next) {
  if (!current) return true;
  if (Date.parse(next.rendered_at) < Date.parse(current.rendered_at)) return false;
  // A page rendered without the device cookie knows no mark (0): never below a known one.
  const sameDevice = current.device_id && (next.device_id ?? current.device_id) === current.device_id;
  return !(sameDevice && (next.high_water ?? 0) < (current.high_water ?? 0));
}

export const rejected = async () => (await getAll('sent')).filter((op) => op.status === 'rejected');

// A field page's snapshot (the data island). A later render replaces an earlier one.
// Snapshots of pages not seen for SNAPSHOT_DAYS are forgotten.
const SNAPSHOT_DAYS = 3;
export function saveSnapshot(data) {
  return transact(['sessions'], 'readwrite', async (s) => {
    const oldest = new Date(Date.now() - SNAPSHOT_DAYS * 86400000).toISOString();
    for (const old of await done(s.sessions.getAll())) {
      if (old.session_id !== data.session_id && (old.saved_at ?? '') < oldest) await done(s.sessions.delete(old.session_id));
    }
    const current = await done(s.sessions.get(data.session_id));
    if (!supersedes(current, data)) return current;
    const record = { ...data, saved_at: new Date().toISOString() };
    await done(s.sessions.put(record));
    return record;
  });
}

export const snapshot = (sessionId) => get('sessions', sessionId);

// A session's snapshot with this device's ops, read in one transaction (a pull or an
// acknowledgement in between could otherwise show an op twice or not at all).
export const localView = (sessionId) => transact(['sessions', 'sent', 'outbox'], 'readonly', async (s) => ({
  snap: await done(s.sessions.get(sessionId)),
  ops: [...(await done(s.sent.getAll())), ...(await done(s.outbox.getAll()))],
}));

// This device's ops the snapshot does not include yet: unsent, or sent and not refused.
export function unseen(snap, ops) {
  return ops.filter((op) => op.seq > (snap.high_water ?? 0)
    && (!snap.device_id || !op.device_id || op.device_id === snap.device_id)
    && op.status !== 'rejected');
}

export { put };
