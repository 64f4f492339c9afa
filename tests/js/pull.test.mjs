// What a pulled work session does to a stored snapshot (static/js/pull.js): the pulled
// state replaces it only with this device's mark and never from an older read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { pulled, slotsOf } from '../../static/js/pull.js';
import { SLOTS, snapshot } from './fixtures.mjs';

const page = (changes = {}) => ({ high_water: 6, read_at: '2025-05-01T01:50:00+00:00', ...changes });
const data = (changes = {}) => ({
  status: 'closed',
  cells: [[SLOTS[0], 'issuance_reserved', 9]],
  slot_first: SLOTS[0],
  slot_count: 4,
  has_in_charge: false,
  ...changes,
});

describe('slotsOf', () => {
  test('the first slot and a count make the list', () => {
    assert.deepEqual(slotsOf({ slot_first: SLOTS[0], slot_count: 3 }, 30), SLOTS);
    assert.deepEqual(slotsOf({ slot_first: SLOTS[0], slot_count: 0 }, 30), []);
    assert.equal(slotsOf({ slot_first: SLOTS[0] }, 30), null);
  });
});

describe('pulled', () => {
  test("takes the server's state, this device's mark and the read time", () => {
    const next = pulled(snapshot(), data(), page(), 'dev-a');
    assert.equal(next.status, 'closed');
    assert.deepEqual(next.cells, [[SLOTS[0], 'issuance_reserved', 9]]);
    assert.deepEqual(next.slots, [...SLOTS, '2025-05-01T02:30:00+00:00']);
    assert.equal(next.has_in_charge, false);
    assert.equal(next.high_water, 6);
    assert.equal(next.rendered_at, '2025-05-01T01:50:00+00:00');
    assert.equal(next.device_id, 'dev-a');
    assert.equal(next.categories, snapshot().categories.length ? next.categories : null);
    assert.deepEqual(next.messages, snapshot().messages);
  });

  test('keeps what the change leaves out', () => {
    const next = pulled(snapshot(), data({ slot_count: undefined, has_in_charge: undefined }), page(), 'dev-a');
    assert.deepEqual(next.slots, SLOTS);
    assert.equal(next.has_in_charge, true);
  });

  test('nothing without a mark, a read time or data', () => {
    assert.equal(pulled(snapshot(), data(), page({ high_water: null }), 'dev-a'), null);
    assert.equal(pulled(snapshot(), data(), page({ high_water: undefined }), 'dev-a'), null);
    assert.equal(pulled(snapshot(), data(), page({ read_at: undefined }), 'dev-a'), null);
    assert.equal(pulled(snapshot(), null, page(), 'dev-a'), null);
  });

  test('nothing older than the snapshot, nor with a lower mark', () => {
    assert.equal(pulled(snapshot(), data(), page({ read_at: '2025-05-01T01:39:00+00:00' }), 'dev-a'), null);
    assert.equal(pulled(snapshot(), data(), page({ high_water: 4 }), 'dev-a'), null);
    assert.notEqual(pulled(snapshot(), data(), page({ high_water: 5 }), 'dev-a'), null);
  });
});
