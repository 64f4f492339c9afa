// The per-day account of this device's ops (static/js/days.js): the JST day and the digest
// the server computes alike (server/reconciliation/service.py digest).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import { digest, jstDay } from '../../static/js/days.js';

test('the day is the calendar day in Japan', () => {
  assert.equal(jstDay('2025-05-01T14:59:59.999Z'), '2025-05-01');
  assert.equal(jstDay('2025-05-01T15:00:00.000Z'), '2025-05-02');
  assert.equal(jstDay('2025-12-31T23:00:00+09:00'), '2025-12-31');
});

test('the digest is sha256 of the sorted ids joined by newlines', async () => {
  const ids = ['0196f0c0-0000-7000-8000-00000000000b', '0196f0c0-0000-7000-8000-00000000000a', 'B', 'a'];
  const sorted = ['0196f0c0-0000-7000-8000-00000000000a', '0196f0c0-0000-7000-8000-00000000000b', 'B', 'a'];
  const expected = createHash('sha256').update(sorted.join('\n')).digest('hex');
  assert.equal(await digest(ids), expected);
  assert.equal(await digest([...ids].reverse()), expected);
  assert.equal(await digest([]), createHash('sha256').update('').digest('hex'));
});
