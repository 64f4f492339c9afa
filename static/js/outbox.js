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
// in its day's record. `check(ops)` sees the ops already stored and may refuse (returns a
// reason) before anything is written.
export function append(type, payload, { actorId = null, baseVersion = null, check = null } = {}) {
  return transact(['meta', 'outbox', 'sent', 'days'], 'readwrite', async (s) => {
    if (check) {
      const reason = check([...(await done(s.sent.getAll())), ...(await done(s.outbox.getAll()))]);
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

// The server's answer to a push: ops up to `highWater` leave the outbox for `sent`, with
// their per-op status (an op the server reports nothing about was already there: duplicate).
export function acknowledge(highWater, results) {
  const status = new Map(results.map((r) => [r.seq, r]));
  return transact(['outbox', 'sent', 'sessions'], 'readwrite', async (s) => {
    const ops = await done(s.outbox.getAll());
    const moved = [];
    for (const op of ops) {
      if (op.seq > highWater) break;
      const result = status.get(op.seq);
      await done(s.sent.put({ ...op, status: result?.status ?? 'duplicate', code: result?.code ?? null, message: result?.message ?? null, acked_at: Date.now() }));
      await done(s.outbox.delete(op.seq));
      moved.push(op);
    }
    // Forget acknowledged ops that every stored page snapshot already includes.
    const snapshots = await done(s.sessions.getAll());
    if (snapshots.length) {
      const floor = Math.min(...snapshots.map((snap) => snap.high_water ?? 0));
      const sent = await done(s.sent.getAll());
      for (const op of sent) if (op.seq <= floor && op.status !== 'rejected') await done(s.sent.delete(op.seq));
    }
    return moved;
  });
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
    if (current && Date.parse(current.rendered_at) > Date.parse(data.rendered_at)) return current;
    const record = { ...data, saved_at: new Date().toISOString() };
    await done(s.sessions.put(record));
    return record;
  });
}

export const snapshot = (sessionId) => get('sessions', sessionId);

// This device's ops the snapshot does not include yet: unsent, or sent and not refused.
export function unseen(snap, ops) {
  return ops.filter((op) => op.seq > (snap.high_water ?? 0)
    && (!snap.device_id || !op.device_id || op.device_id === snap.device_id)
    && op.status !== 'rejected');
}

export { put };
