// The counters fragment rendered from local state (static/js/render.js). Its markup agrees
// with the server's template: tests/integration/test_counters_markup.py.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { currentSlot, isoUTC, localState, renderCounters, slotOf } from '../../static/js/render.js';
import { op, SLOTS, snapshot, tap } from './fixtures.mjs';

const at = (iso) => Date.parse(iso);

describe('slots', () => {
  test('a moment belongs to the slot that starts at or before it', () => {
    assert.equal(slotOf(at('2025-05-01T01:29:59Z'), 30), at('2025-05-01T01:00:00Z'));
    assert.equal(slotOf(at('2025-05-01T01:30:00Z'), 30), at('2025-05-01T01:30:00Z'));
    assert.equal(slotOf(at('2025-05-01T01:44:00Z'), 15), at('2025-05-01T01:30:00Z'));
    assert.equal(slotOf(at('2025-05-01T23:59:00Z'), 60), at('2025-05-01T23:00:00Z'));
  });

  test('a tap outside the session goes to its nearest slot', () => {
    const snap = snapshot();
    assert.equal(currentSlot(snap, at('2025-05-01T01:40:00Z')), at(SLOTS[1]));
    assert.equal(currentSlot(snap, at('2025-04-30T20:00:00Z')), at(SLOTS[0]));
    assert.equal(currentSlot(snap, at('2025-05-01T09:00:00Z')), at(SLOTS[2]));
    assert.equal(currentSlot(snapshot({ slots: [] }), at('2025-05-01T09:10:00Z')), at('2025-05-01T09:00:00Z'));
  });

  test('times are written as the server writes them', () => {
    assert.equal(isoUTC(at('2025-05-01T01:30:00Z')), '2025-05-01T01:30:00+00:00');
  });
});

describe('localState', () => {
  test('the snapshot alone', () => {
    const state = localState(snapshot(), []);
    assert.equal(state.status, 'open');
    assert.deepEqual(state.byCategory, { issuance_reserved: 3, pin_reset: 4 });
    assert.deepEqual([...state.bySlot], [[at(SLOTS[0]), 2], [at(SLOTS[1]), 5]]);
    assert.equal(state.total, 7);
  });

  test("this device's ops above the mark count once; others do not count", () => {
    const ops = [
      tap(5, 'issuance_reserved'), // the snapshot includes it already
      tap(6, 'issuance_reserved'),
      tap(7, 'pin_reset', -1),
      tap(8, 'issuance_reserved', 1, SLOTS[2]),
      tap(9, 'issuance_reserved', 1, SLOTS[2], { status: 'rejected' }),
      tap(10, 'issuance_reserved', 1, SLOTS[2], { device_id: 'dev-b' }),
      op(11, 'headcount.add', { work_session_id: 8, slot_start: SLOTS[2], category: 'issuance_reserved', delta: 1 }),
    ];
    const state = localState(snapshot(), ops);
    assert.deepEqual(state.byCategory, { issuance_reserved: 5, pin_reset: 3 });
    assert.equal(state.bySlot.get(at(SLOTS[2])), 1);
    assert.equal(state.total, 8);
  });

  test('a snapshot without a device takes ops of any device', () => {
    const state = localState(snapshot({ device_id: null, high_water: 0 }), [tap(1, 'issuance_reserved', 1, SLOTS[0], { device_id: 'dev-b' })]);
    assert.equal(state.byCategory.issuance_reserved, 4);
  });

  test('opening and closing move the status forward only', () => {
    const open = op(6, 'work_session.open', { at: '2025-05-01T01:00:00Z' });
    const close = op(7, 'work_session.close', { at: '2025-05-01T02:00:00Z' });
    assert.equal(localState(snapshot({ status: 'planned' }), [open]).status, 'open');
    assert.equal(localState(snapshot({ status: 'planned' }), [open, close]).status, 'closed');
    assert.equal(localState(snapshot({ status: 'planned' }), [close]).status, 'planned');
    assert.equal(localState(snapshot({ status: 'closed' }), [open]).status, 'closed');
    assert.equal(localState(snapshot({ status: 'locked' }), [close]).status, 'locked');
  });
});

describe('renderCounters', () => {
  const now = at('2025-05-01T01:40:00Z');
  const render = (snap, ops = [], options = {}) => renderCounters(snap, localState(snap, ops), { now, ...options });

  test('totals, slot rows and the current slot in Japan time', () => {
    const html = render(snapshot(), [tap(6, 'issuance_reserved')]);
    assert.match(html, /<span data-testid="slot">10:30–11:00<\/span>/);
    assert.match(html, /data-testid="total-issuance_reserved">4</);
    assert.match(html, /data-testid="total-pin_reset">4</);
    assert.match(html, /<tr><td>10:00<\/td><td>2<\/td><\/tr>/);
    assert.match(html, /<tr><td>10:30<\/td><td>6<\/td><\/tr>/);
    assert.match(html, /<tr><td>11:00<\/td><td>0<\/td><\/tr>/);
    assert.match(html, /data-testid="grand-total">8</);
    assert.match(html, /^<section id="counters" class="counters" data-testid="counters" data-local="1">/);
  });

  test('buttons post the tap for the current slot, only while open and writable', () => {
    const html = render(snapshot());
    const vals = [...html.matchAll(/hx-vals="([^"]*)"/g)].map((m) => JSON.parse(m[1].replaceAll('&#34;', '"')));
    assert.deepEqual(vals, [
      { category: 'issuance_reserved', delta: 1, slot: SLOTS[1] },
      { category: 'issuance_reserved', delta: -1, slot: SLOTS[1] },
      { category: 'pin_reset', delta: 1, slot: SLOTS[1] },
      { category: 'pin_reset', delta: -1, slot: SLOTS[1] },
    ]);
    assert.equal((html.match(/hx-post="\/field\/sessions\/7\/count"/g) ?? []).length, 4);
    assert.doesNotMatch(render(snapshot({ can_write: false })), /<button/);
    assert.doesNotMatch(render(snapshot({ status: 'closed' })), /<button/);
    assert.doesNotMatch(render(snapshot({ status: 'planned' })), /<button/);
    assert.match(render(snapshot({ status: 'planned' }), [op(6, 'work_session.open', {})]), /<button/);
  });

  test('text from the server is escaped', () => {
    const html = render(snapshot());
    assert.match(html, /<span class="counter-label">PIN &lt;reset&gt; &amp; &#34;more&#34;<\/span>/);
    assert.match(html, /hx-confirm="Subtract one from &#39;PIN&#39;\?"/);
    assert.doesNotMatch(html, /<reset>/);
  });

  test('an error is shown above the counters, and only then', () => {
    assert.match(render(snapshot(), [], { error: 'A <total>' }), /<p class="error" role="alert" data-testid="count-error">A &lt;total&gt;<\/p>/);
    assert.doesNotMatch(render(snapshot()), /count-error/);
  });
});
