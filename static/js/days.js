// Per-day account of the ops this device made, for reconciliation: the server compares the
// count and a digest of their ids with what it received ("device says 37, server has 36").
// The record lives apart from the outbox, so it survives the outbox draining.
import { done, getAll, transact } from './idb.js';

const JST = 9 * 3600 * 1000;
const KEEP_DAYS = 40;

// The JST calendar day of a moment (as the server's client_day computes it).
export const jstDay = (time) => new Date(Date.parse(time) + JST).toISOString().slice(0, 10);

// Adds an op to its day's record, inside the caller's transaction (which holds 'days'), so
// an op is never in the outbox without being counted.
export async function recordOp(store, op) {
  const day = jstDay(op.client_time);
  const record = (await done(store.get(day))) ?? { day, op_ids: [], reported: null };
  record.op_ids.push(op.op_id);
  await done(store.put(record));
}

// sha256 hex of "\n".join(sorted(ids)), as server/reconciliation/service.py digest().
// Sorted by code point, as Python sorts str (the ids are ASCII anyway).
export async function digest(ids) {
  const text = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join('\n');
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Reports for the days whose account changed since it was last reported.
export async function dueReports() {
  const reports = [];
  for (const record of await getAll('days')) {
    const value = await digest(record.op_ids);
    if (record.reported !== value) reports.push({ day: record.day, op_count: record.op_ids.length, digest: value });
  }
  return reports;
}

// The server stored these reports: remember their digests (an op added meanwhile changes
// its day's digest, so that day is reported again). Very old days are forgotten.
export function markReported(reports) {
  const oldest = new Date(Date.now() + JST - KEEP_DAYS * 86400000).toISOString().slice(0, 10);
  return transact(['days'], 'readwrite', async (s) => {
    for (const report of reports) {
      const record = await done(s.days.get(report.day));
      if (record) await done(s.days.put({ ...record, reported: report.digest }));
    }
    for (const record of await done(s.days.getAll())) {
      if (record.day < oldest) await done(s.days.delete(record.day));
    }
  });
}
