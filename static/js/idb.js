// IndexedDB for the offline field client, shared by the page and the service worker.
// Stores: meta (device id, next seq), outbox (unsent ops by seq), sent (acknowledged ops by
// seq, kept while a page snapshot may predate them), sessions (the server's totals a field
// page was rendered with), days (the ids of the ops this device made, per JST day, kept
// after they are sent: reconciliation compares them with what the server received).
export const DB_NAME = 'madoguchi';
export const DB_VERSION = 2;

let opening = null;

export function openDB() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'key' });
      if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'seq' });
      if (!db.objectStoreNames.contains('sent')) db.createObjectStore('sent', { keyPath: 'seq' });
      if (!db.objectStoreNames.contains('sessions')) db.createObjectStore('sessions', { keyPath: 'session_id' });
      if (!db.objectStoreNames.contains('days')) db.createObjectStore('days', { keyPath: 'day' });
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another version wants the database: step aside (the page reloads into the new one).
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
    request.onblocked = () => {};
  });
  return opening;
}

export const done = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

// Runs body(stores) in one transaction; resolves with body's result once committed.
export async function transact(names, mode, body) {
  const db = await openDB();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
    let result;
    Promise.resolve(body(stores, tx)).then((value) => { result = value; }, (error) => { tx.abort(); reject(error); });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

export const getAll = (name) => transact([name], 'readonly', (s) => done(s[name].getAll()));
export const get = (name, key) => transact([name], 'readonly', (s) => done(s[name].get(key)));
export const put = (name, value) => transact([name], 'readwrite', (s) => done(s[name].put(value)));

// Deletes the whole database (clearing a shared tablet). Other connections (the worker's)
// close on the versionchange event, so the deletion is not left blocked.
export async function destroy() {
  const db = await opening?.catch(() => null);
  db?.close();
  opening = null;
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}
