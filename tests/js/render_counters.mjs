// Not a test: renders counters fragments for tests/integration/test_counters_markup.py,
// which compares them with the server's. Reads a JSON list of {snap, ops, error, now} on
// stdin; writes the JSON list of their HTML.
import { localState, renderCounters } from '../../static/js/render.js';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const html = JSON.parse(input).map(({ snap, ops = [], error = '', now }) => (
  renderCounters(snap, localState(snap, ops), { error, now: Date.parse(now) })
));
process.stdout.write(JSON.stringify(html));
