// Starting and finishing on the tablet (static/js/tap.js mayTransition): the outbox takes
// only what the server's rules would take, as the page knew them; the rest is left to the
// server, which answers with its words.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mayTransition, saidOf, transitionPayload } from '../../static/js/tap.js';

// 2026-12-03 10:00 in Japan.
const NOW = new Date('2026-12-03T01:00:00Z');
const snap = (more = {}) => ({
  can_write: true, has_in_charge: true, may_work: true, manager: false, work_date: '2026-12-03', ...more,
});

test('the staff start on the work date, in Japan time', () => {
  assert.equal(mayTransition(snap(), 'open', {}, NOW), true);
  // 23:30 on 12/02 UTC is 08:30 on 12/03 in Japan.
  assert.equal(mayTransition(snap(), 'open', {}, new Date('2026-12-02T23:30:00Z')), true);
  assert.equal(mayTransition(snap({ work_date: '2026-12-04' }), 'open', {}, NOW), false);
});

test('someone not on the staff neither starts nor finishes', () => {
  assert.equal(mayTransition(snap({ may_work: false }), 'open', {}, NOW), false);
  assert.equal(mayTransition(snap({ may_work: false }), 'close', { confirmed: true }, NOW), false);
});

test('on another day only a manager with a reason starts', () => {
  const other = { work_date: '2026-12-04' };
  assert.equal(mayTransition(snap({ ...other, manager: true }), 'open', {}, NOW), false);
  assert.equal(mayTransition(snap({ ...other, manager: true }), 'open', { reason: '前倒し' }, NOW), true);
  assert.equal(mayTransition(snap(other), 'open', { reason: '前倒し' }, NOW), false);
});

test('a finish waits for the confirmation', () => {
  assert.equal(mayTransition(snap(), 'close', {}, NOW), false);
  assert.equal(mayTransition(snap(), 'close', { confirmed: true }, NOW), true);
});

test('a snapshot from an older page leaves the start to the server', () => {
  const { work_date: _, may_work: __, ...old } = snap({ work_date: undefined });
  assert.equal(mayTransition(old, 'open', {}, NOW), true);
  assert.equal(mayTransition(null, 'open', {}, NOW), false);
});

const form = (entries) => {
  const data = new FormData();
  for (const [name, value] of entries) data.append(name, value);
  return data;
};

test('a finish with its checks and card counts goes out as the server\'s form makes it', () => {
  const said = saidOf(form([
    ['confirmed', 'yes'], ['checks_shown', 'yes'], ['check', 'terminals_off'], ['check', 'safe_locked'],
    ['stock_received', '10'], ['stock_issued', '25'], ['stock_spoiled', ''], ['stock_end', '85'],
  ]));
  assert.equal(said.bad, false);
  assert.deepEqual(transitionPayload(7, 'close', said, NOW), {
    work_session_id: 7,
    at: NOW.toISOString(),
    checks: ['terminals_off', 'safe_locked'],
    stock: { received: 10, issued: 25, spoiled: 0, end: 85 },
  });
});

test('a start records its checks, even none ticked, and the cards at the start', () => {
  const said = saidOf(form([['checks_shown', 'yes'], ['stock_start', '120']]));
  assert.deepEqual(transitionPayload(7, 'open', said, NOW), {
    work_session_id: 7, at: NOW.toISOString(), checks: [], stock_start: 120,
  });
  // A form from before checklists records none.
  assert.deepEqual(transitionPayload(7, 'open', saidOf(form([])), NOW), { work_session_id: 7, at: NOW.toISOString() });
});

test('a count the tablet cannot read is left to the server to explain', () => {
  assert.equal(saidOf(form([['stock_end', '-3']])).bad, true);
  assert.equal(saidOf(form([['stock_start', '十']])).bad, true);
  // Movements without the count at the end.
  assert.equal(saidOf(form([['stock_issued', '3']])).bad, true);
});
