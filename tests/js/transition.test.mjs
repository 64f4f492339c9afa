// Starting and finishing on the tablet (static/js/tap.js mayTransition): the outbox takes
// only what the server's rules would take, as the page knew them; the rest is left to the
// server, which answers with its words.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mayTransition } from '../../static/js/tap.js';

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
