// The service worker's source (static/sw.js; it needs a browser to run: tests/browser):
// what it answers, and that nothing runs on after it answers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { TAP, TRANSITION } from '../../static/js/tap.js';

const source = readFileSync(new URL('../../static/sw.js', import.meta.url), 'utf8');

// The end of the statement that starts at `from` (its `;` outside brackets and strings).
function statementEnd(text, from) {
  let depth = 0;
  let quote = null;
  for (let i = from; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if ('([{'.includes(c)) depth += 1;
    else if (')]}'.includes(c)) depth -= 1;
    else if (c === ';' && depth === 0) return i;
  }
  return -1;
}

test('every respondWith is followed by a return', () => {
  const calls = [...source.matchAll(/event\.respondWith\(/g)];
  assert.ok(calls.length >= 7, calls.length);
  const missing = calls.filter((call) => {
    const end = statementEnd(source, call.index);
    const line = source.slice(source.lastIndexOf('\n', call.index) + 1, call.index);
    return end < 0 || !/^\s*return\b/.test(source.slice(end + 1)) || /\bif\s*\(.*\)\s*$/.test(line);
  });
  assert.deepEqual(missing.map((call) => source.slice(call.index, statementEnd(source, call.index) + 1)), []);
});

test('its version is the hash the server fills in, not a number bumped by hand', () => {
  assert.match(source, /^const VERSION = '__SHELL_HASH__';$/m);
});

test('the posts it answers', () => {
  assert.equal(TAP.exec('/field/sessions/12/count')[1], '12');
  assert.equal(TAP.exec('/field/sessions/12/count/x'), null);
  assert.deepEqual(TRANSITION.exec('/field/sessions/12/open').slice(1), ['12', 'open']);
  assert.deepEqual(TRANSITION.exec('/field/sessions/12/close').slice(1), ['12', 'close']);
  assert.equal(TRANSITION.exec('/field/sessions/12/lock'), null);
});
