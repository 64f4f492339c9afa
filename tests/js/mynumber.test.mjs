// The browser's My Number guard (static/js/mynumber.js) on the vectors the server's runs
// (tests/vectors/mynumber.json); Chromium runs them too (tests/browser).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { checkDigit, containsMyNumber } from '../../static/js/mynumber.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/mynumber.json', import.meta.url), 'utf8'));

test('every shared vector', () => {
  assert.ok(vectors.length > 20);
  const wrong = vectors.filter((v) => containsMyNumber(v.text) !== v.refused).map((v) => v.why);
  assert.deepEqual(wrong, []);
});

test('the check digit', () => {
  assert.equal(checkDigit('12345678901'), 8);
  assert.equal(checkDigit('00000000006'), 0);
});
