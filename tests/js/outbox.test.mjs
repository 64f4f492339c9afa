// The outbox's pure rules (static/js/outbox.js): op ids, which ops a push answer moves out
// and in what order, which snapshot may replace another, and which sent ops may go.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { acknowledged, forgettable, supersedes, unseen, uuidv7 } from '../../static/js/outbox.js';
import { snapshot, tap } from './fixtures.mjs';

describe('uuidv7', () => {
  const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  test('version 7, variant 10, the time in the first 48 bits', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    assert.match(id, UUID7);
    const ms = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    assert.ok(before <= ms && ms <= after, `${ms} not in [${before}, ${after}]`);
  });

  test('ids made later sort later; none repeats', async () => {
    const first = uuidv7();
    await new Promise((resolve) => { setTimeout(resolve, 3); });
    const ids = Array.from({ length: 1000 }, uuidv7);
    assert.ok(ids.every((id) => id > first));
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('acknowledged', () => {
  const outbox = [tap(3, 'issuance_reserved'), tap(4, 'issuance_reserved'), tap(5, 'pin_reset'), tap(6, 'issuance_reserved')];

  test('ops up to the high-water mark move, in seq order; later ones stay', () => {
    const moved = acknowledged(outbox, 5, [], 1234);
    assert.deepEqual(moved.map((op) => op.seq), [3, 4, 5]);
    assert.ok(moved.every((op) => op.acked_at === 1234));
    assert.deepEqual(acknowledged(outbox, 2, []), []);
    assert.deepEqual(acknowledged(outbox, 9, []).map((op) => op.seq), [3, 4, 5, 6]);
  });

  test("each takes the server's result for its seq; no result means already there", () => {
    const results = [
      { seq: 3, status: 'applied' },
      { seq: 4, status: 'rejected', code: 'below_zero', field: 'delta', message: '合計を0未満にすることはできません。' },
    ];
    const [applied, rejected, duplicate] = acknowledged(outbox, 5, results, 1);
    assert.deepEqual(
      [applied.status, applied.code, applied.field, applied.message],
      ['applied', null, null, null],
    );
    assert.deepEqual(
      [rejected.status, rejected.code, rejected.field, rejected.message],
      ['rejected', 'below_zero', 'delta', '合計を0未満にすることはできません。'],
    );
    assert.equal(duplicate.status, 'duplicate');
    assert.equal(duplicate.op_id, 'op-5');
    assert.deepEqual(duplicate.payload, outbox[2].payload);
  });

  test('a gap in the seqs: the ops above the mark stay', () => {
    assert.deepEqual(acknowledged([tap(3, 'issuance_reserved'), tap(7, 'issuance_reserved')], 5, []).map((op) => op.seq), [3]);
  });
});

describe('forgettable', () => {
  const sent = [tap(1, 'issuance_reserved', 1, undefined, { status: 'applied' }), tap(2, 'issuance_reserved', 1, undefined, { status: 'rejected' }), tap(3, 'issuance_reserved', 1, undefined, { status: 'duplicate' }), tap(4, 'issuance_reserved', 1, undefined, { status: 'applied' })];

  test('only ops every snapshot includes, never refused ones', () => {
    const snaps = [snapshot({ high_water: 3 }), snapshot({ session_id: 8, high_water: 5 })];
    assert.deepEqual(forgettable(snaps, sent).map((op) => op.seq), [1, 3]);
    assert.deepEqual(forgettable([...snaps, snapshot({ session_id: 9, high_water: undefined })], sent), []);
    assert.deepEqual(forgettable([], sent), []);
  });
});

describe('supersedes', () => {
  test('any snapshot replaces none', () => {
    assert.equal(supersedes(undefined, snapshot()), true);
  });

  test('an older render never replaces a newer one', () => {
    const current = snapshot();
    assert.equal(supersedes(current, snapshot({ rendered_at: '2025-05-01T01:39:59+00:00', high_water: 9 })), false);
    assert.equal(supersedes(current, snapshot({ rendered_at: '2025-05-01T01:40:00+00:00' })), true);
    assert.equal(supersedes(current, snapshot({ rendered_at: '2025-05-01T01:41:00+00:00', high_water: 6 })), true);
  });

  test("this device's mark never goes back", () => {
    const current = snapshot({ high_water: 5 });
    const later = '2025-05-01T02:00:00+00:00';
    assert.equal(supersedes(current, snapshot({ rendered_at: later, high_water: 4 })), false);
    // A page rendered without the device cookie knows no device, nor a mark.
    assert.equal(supersedes(current, snapshot({ rendered_at: later, device_id: null, high_water: 0 })), false);
    // Another device's snapshot, or one that knew no device: marks are not comparable.
    assert.equal(supersedes(current, snapshot({ rendered_at: later, device_id: 'dev-b', high_water: 1 })), true);
    assert.equal(supersedes(snapshot({ device_id: null, high_water: 0 }), snapshot({ rendered_at: later, high_water: 2 })), true);
  });
});

describe('unseen', () => {
  test("this device's ops above the mark, not refused", () => {
    const ops = [
      tap(4, 'issuance_reserved'),
      tap(5, 'issuance_reserved'),
      tap(6, 'issuance_reserved'),
      tap(7, 'issuance_reserved', 1, undefined, { status: 'rejected' }),
      tap(8, 'issuance_reserved', 1, undefined, { status: 'applied' }),
      tap(9, 'issuance_reserved', 1, undefined, { device_id: 'dev-b' }),
      tap(10, 'issuance_reserved', 1, undefined, { device_id: null }),
    ];
    assert.deepEqual(unseen(snapshot(), ops).map((op) => op.seq), [6, 8, 10]);
    assert.deepEqual(unseen(snapshot({ device_id: null, high_water: undefined }), ops).map((op) => op.seq), [4, 5, 6, 8, 9, 10]);
  });
});
