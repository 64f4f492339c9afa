// A work session's incidents as this tablet knows them: the server's list on the page plus
// the reports filed here that it lacks (still in the outbox, marked not sent, or sent after
// the page was rendered), so a report filed offline shows at once. The worker leaves a
// one-time note when it keeps a report, and the page confirms it once.
import { done, put, transact } from './idb.js';
import { unseen } from './outbox.js';

const FILED = 'incident_filed';
// The note is read on the page the worker redirects to, at once; an older one is stale.
const FRESH_MS = 60000;

// The reports filed on this tablet for the page's session that its list (`listed` uids)
// lacks, newest first: {uid, occurred_at, category, unsent}. `page` is the page's field
// data: its mark says which of this device's ops the server had when it rendered the list.
export function localIncidents(page, ops, listed = []) {
  const shown = new Set(listed);
  return unseen(page, ops)
    .filter((op) => op.type === 'incident.create' && op.payload?.work_session_id === page.session_id
      && !shown.has(op.payload.uid))
    .map((op) => ({
      uid: op.payload.uid,
      occurred_at: op.payload.occurred_at,
      category: op.payload.category,
      // Outbox ops have no server answer yet; sent ones carry its status.
      unsent: op.status === undefined,
    }))
    .sort((a, b) => Date.parse(b.occurred_at) - Date.parse(a.occurred_at));
}

// "HH:MM" in JST, as the server's list shows an incident's time.
export function jstTime(iso) {
  return new Date(Date.parse(iso) + 9 * 3600000).toISOString().slice(11, 16);
}

// Whether the worker's note says a report for this session was just kept here.
export const justFiled = (note, sessionId, now = Date.now()) => Boolean(note)
  && note.session_id === sessionId && now - note.at >= 0 && now - note.at < FRESH_MS;

// Left by the worker when it keeps a report in the outbox, before it redirects.
export const noteFiled = (sessionId) => put('meta', { key: FILED, session_id: sessionId, at: Date.now() });

// Reads the note and forgets it, so the confirmation shows once.
export const takeFiled = (sessionId) => transact(['meta'], 'readwrite', async (s) => {
  const note = await done(s.meta.get(FILED));
  if (note) await done(s.meta.delete(FILED));
  return justFiled(note, sessionId);
});

// The page: draws this tablet's reports above the server's list (again after each sync,
// so "not sent yet" goes once they are sent). Returns how many of those drawn are sent (the server's page has them now).
export function drawLocal(section, page, ops) {
  const list = section.querySelector('ul');
  const labels = JSON.parse(section.querySelector('.incident-labels')?.textContent ?? '{}');
  const listed = [...list.querySelectorAll('li:not([data-local])')].map((li) => li.dataset.uid);
  list.querySelectorAll('li[data-local]').forEach((li) => li.remove());
  const found = localIncidents(page, ops, listed);
  const items = found.map((incident) => {
    const li = document.createElement('li');
    li.dataset.local = '1';
    li.dataset.uid = incident.uid;
    li.dataset.testid = 'incident-local';
    const words = `${jstTime(incident.occurred_at)} ${labels[incident.category] ?? incident.category}`;
    if (incident.unsent) {
      // Not on the server yet: no page to link to. (A page kept from before has no words.)
      li.append(words);
      if (section.dataset.msgUnsent) {
        const mark = document.createElement('span');
        mark.className = 'unsent-mark';
        mark.dataset.testid = 'incident-unsent';
        mark.textContent = section.dataset.msgUnsent;
        li.append(' ', mark);
      }
    } else {
      const link = document.createElement('a');
      link.href = `/incidents/${encodeURIComponent(incident.uid)}`;
      link.dataset.testid = 'incident-link';
      link.textContent = words;
      li.append(link);
    }
    return li;
  });
  list.prepend(...items);
  section.hidden = !list.querySelector('li');
  // How many are drawn here (the page's state, as the sync panel keeps its own).
  section.dataset.local = String(items.length);
  return found.filter((incident) => !incident.unsent).length;
}

// The page: says once, in its own words, that a report was just kept on this tablet.
export async function confirmFiled(note, sessionId) {
  if (await takeFiled(sessionId)) note.textContent = note.dataset.msgSaved;
}
