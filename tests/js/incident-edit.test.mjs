// Incident edits on the tablet (static/js/incident-edit.js): what the form holds, what the
// server would refuse (so it is never queued), and the values after this tablet's edits.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { baseOf, editProblems, formValues, INCIDENT_PAGE, MAX_TEXT, reportedAt, withEdits } from '../../static/js/incident-edit.js';

const current = {
  category: 'complaint',
  severity: 'high',
  status: 'open',
  description: 'Waited too long.',
  immediate_action: '',
  recurrence_prevention: '',
  reported_to_city_at: null,
};

describe('editProblems', () => {
  test('an edit the server takes has none', () => {
    assert.deepEqual(editProblems({ ...current, status: 'reported', immediate_action: 'Apologised.' }, current), []);
    assert.deepEqual(editProblems({ ...current, status: 'closed', recurrence_prevention: 'A second desk.' }, current), []);
  });

  test('the rules the server applies', () => {
    assert.deepEqual(editProblems({ ...current, description: '' }, current), [{ field: 'description', code: 'required' }]);
    assert.deepEqual(editProblems({ ...current, immediate_action: 'a\u0007b' }, current), [{ field: 'immediate_action', code: 'control_chars' }]);
    assert.deepEqual(editProblems({ ...current, description: '字'.repeat(MAX_TEXT + 1) }, current), [{ field: 'description', code: 'too_long' }]);
    assert.deepEqual(editProblems({ ...current, description: '字'.repeat(MAX_TEXT) }, current), []);
    assert.deepEqual(editProblems({ ...current, status: 'open' }, { ...current, status: 'reported' }), [{ field: 'status', code: 'status_backwards' }]);
    assert.deepEqual(editProblems({ ...current, status: 'closed' }, current), [{ field: 'recurrence_prevention', code: 'prevention_required' }]);
    assert.deepEqual(editProblems({ ...current, status: 'closed', severity: 'low' }, current), []);
  });

  test('only changed text is checked', () => {
    const stored = { ...current, description: '' };
    assert.deepEqual(editProblems({ ...stored }, stored), []);
  });
});

describe('the form', () => {
  test('reported time from the JST date and time', () => {
    assert.equal(reportedAt('2025-05-01', '09:05'), '2025-05-01T09:05:00+09:00');
    assert.equal(reportedAt('', ''), null);
    assert.equal(reportedAt('2025-05-01', ''), undefined);
    assert.equal(reportedAt('2025-5-1', '9:05'), undefined);
  });

  test('values as an op carries them', () => {
    const form = new FormData();
    form.set('status', 'reported');
    form.set('description', '  Line one\r\nline two  ');
    form.set('reported_date', '2025-05-01');
    form.set('reported_time', '10:00');
    assert.deepEqual(formValues(form), {
      status: 'reported',
      description: 'Line one\nline two',
      reported_to_city_at: '2025-05-01T10:00:00+09:00',
    });
  });

  test('the offline base, or null', () => {
    const form = new FormData();
    assert.equal(baseOf(form), null);
    form.set('offline_base', '{"version": "2", "values": {}}');
    assert.equal(baseOf(form), null);
    form.set('offline_base', 'not json');
    assert.equal(baseOf(form), null);
    form.set('offline_base', '{"version": 2, "actor_id": 3, "values": {"status": "open"}}');
    assert.deepEqual(baseOf(form), { version: 2, actor_id: 3, values: { status: 'open' } });
  });
});

test("the values after this tablet's edits, in order", () => {
  const ops = [
    { seq: 1, payload: { uid: 'u', status: 'reported', description: 'First.' } },
    { seq: 2, payload: { uid: 'u', description: 'Second.' } },
  ];
  assert.deepEqual(withEdits(current, ops), { ...current, status: 'reported', description: 'Second.' });
});

test('the incident pages the worker answers', () => {
  assert.equal(INCIDENT_PAGE.exec('/incidents/0196f0c0-0000-7000-8000-00000000000a')[1], '0196f0c0-0000-7000-8000-00000000000a');
  assert.equal(INCIDENT_PAGE.exec('/incidents/new'), null);
  assert.equal(INCIDENT_PAGE.exec('/incidents/a/b'), null);
  assert.equal(INCIDENT_PAGE.exec('/incidents/'), null);
});
