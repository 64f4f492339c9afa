// A work session's incident list on the tablet (static/js/session-incidents.js): which of
// this tablet's reports the page's list lacks, and the one-time "saved here" note.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { jstTime, justFiled, localIncidents } from '../../static/js/session-incidents.js';
import { op, snapshot, tap } from './fixtures.mjs';

const report = (seq, uid, occurredAt, changes = {}, payload = {}) => op(seq, 'incident.create', {
  uid, site_id: 1, category: 'complaint', severity: 'low', occurred_at: occurredAt, ...payload,
}, changes);
const sent = (status) => ({ status, acked_at: 1 });

describe('localIncidents', () => {
  const page = snapshot();

  test('a report in the outbox shows, marked unsent; taps and other sessions do not', () => {
    const ops = [
      tap(6, 'issuance'),
      report(7, 'u-1', '2025-05-01T10:41:00+09:00'),
      report(8, 'u-2', '2025-05-01T10:45:00+09:00', {}, { work_session_id: 8 }),
    ];
    assert.deepEqual(localIncidents(page, ops), [
      { uid: 'u-1', occurred_at: '2025-05-01T10:41:00+09:00', category: 'complaint', unsent: true },
    ]);
  });

  test('sent after the page was rendered: still shown, no longer unsent; refused: not shown', () => {
    const ops = [
      report(6, 'u-1', '2025-05-01T10:41:00+09:00', sent('applied')),
      report(7, 'u-2', '2025-05-01T10:42:00+09:00', sent('rejected')),
    ];
    assert.deepEqual(localIncidents(page, ops).map(({ uid, unsent }) => [uid, unsent]), [['u-1', false]]);
  });

  test('once the page lists it, or rendered after it was sent, it is not shown twice', () => {
    const ops = [report(6, 'u-1', '2025-05-01T10:41:00+09:00', sent('applied'))];
    assert.deepEqual(localIncidents(page, ops, ['u-1']), []);
    assert.deepEqual(localIncidents(snapshot({ high_water: 6 }), ops), []);
    // A page rendered without the device's cookie knows no mark: the uid still tells.
    assert.equal(localIncidents(snapshot({ device_id: null, high_water: 0 }), ops, ['u-1']).length, 0);
  });

  test('newest first', () => {
    const ops = [
      report(6, 'early', '2025-05-01T09:00:00+09:00'),
      report(7, 'late', '2025-05-01T11:00:00+09:00'),
    ];
    assert.deepEqual(localIncidents(page, ops).map((i) => i.uid), ['late', 'early']);
  });
});

test('times are shown in JST, as the server lists them', () => {
  assert.equal(jstTime('2025-05-01T10:41:00+09:00'), '10:41');
  assert.equal(jstTime('2025-05-01T23:30:00Z'), '08:30');
});

test('the note confirms a report for this session, just kept', () => {
  const now = Date.parse('2025-05-01T01:41:00Z');
  assert.equal(justFiled({ session_id: 7, at: now - 2000 }, 7, now), true);
  assert.equal(justFiled({ session_id: 8, at: now - 2000 }, 7, now), false);
  assert.equal(justFiled({ session_id: 7, at: now - 3600000 }, 7, now), false);
  assert.equal(justFiled(undefined, 7, now), false);
});
