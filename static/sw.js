// Madoguchi service worker (an ES module; register with {type: 'module'}).
// - Precaches the field shell (SHELL_FILES) in a cache named by VERSION, which the server
//   fills in as a hash of this file and every file listed (server/sync/client_routes.py):
//   changing any of them makes a new version. An old version's caches go only when a new
//   version activates, which it does only when no page still runs the old one.
// - Navigations: network first with a short timeout, else the cached page (each /field page
//   fetched successfully is cached).
// - Static assets: stale-while-revalidate.
// - Taps (POST /field/sessions/{id}/count) are answered here, online or offline: the op is
//   appended to the IndexedDB outbox and the counters fragment is rendered from local state.
//   So are incident edits (POST /incidents/{uid}): an `incident.update` op.
// - Background Sync: the `sync` event sends the outbox with the page loop's code (push.js).
import { INCIDENT_PAGE, localEdit } from '/static/js/incident-edit.js';
import { sendAll, storedCsrf, SYNC_TAG } from '/static/js/push.js';
import { noteFiled } from '/static/js/session-incidents.js';
import { localIncident, localTap, localTransition, saidOf, TAP, TRANSITION } from '/static/js/tap.js';

const VERSION = '__SHELL_HASH__';
const SHELL = `madoguchi-shell-${VERSION}`;
const PAGES = 'madoguchi-pages';
const NAVIGATION_TIMEOUT = 3000;
const SHELL_FILES = [
  '/static/css/app.css',
  '/static/css/field.css',
  '/static/css/incidents.css',
  '/static/icons/icon.svg',
  '/static/js/guard.js',
  '/static/js/menu.js',
  '/static/js/mynumber.js',
  '/static/js/idb.js',
  '/static/js/days.js',
  '/static/js/outbox.js',
  '/static/js/push.js',
  '/static/js/pull.js',
  '/static/js/render.js',
  '/static/js/tap.js',
  '/static/js/sync.js',
  '/static/js/device.js',
  '/static/js/status.js',
  '/static/js/worker.js',
  '/static/js/tablet.js',
  '/static/js/early.js',
  '/static/js/field.js',
  '/static/js/session-incidents.js',
  '/static/js/incident-edit.js',
  '/static/js/incident.js',
];

self.VERSION = VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith('madoguchi-shell-') && name !== SHELL)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const { type, url } = event.data ?? {};
  if (type === 'cache-page' && typeof url === 'string') {
    const reply = event.ports[0];
    event.waitUntil(cachePage(url).then(
      (ok) => reply?.postMessage({ ok, version: VERSION }),
      () => reply?.postMessage({ ok: false, version: VERSION }),
    ));
  } else if (type === 'version') {
    event.ports[0]?.postMessage({ version: VERSION });
  } else if (type === 'claim') {
    event.waitUntil(self.clients.claim());
  } else if (type === 'skip-waiting') {
    self.skipWaiting();
  }
});

// Pages kept for offline use: the field pages, the incident form they link to, the
// incidents opened on this tablet (to edit them offline), and the menu's pages as last seen.
const MENU_PAGES = ['/field', '/work-sessions', '/incidents', '/sites', '/reconciliation', '/journal', '/reports/monthly'];
const isFieldPage = (url) => url.origin === self.location.origin
  && (url.pathname.startsWith('/field') || url.pathname === '/incidents/new'
    || INCIDENT_PAGE.test(url.pathname) || MENU_PAGES.includes(url.pathname));

// A menu page from the cache says when it was saved (its own words, in its <meta>); the
// field and incident pages show live local state instead.
const COPY_NOTE = /<meta name="offline-copy" content="([^"]*)">/;
async function asCopy(url, page) {
  if (!MENU_PAGES.includes(url.pathname)) return page;
  const html = await page.text();
  const words = COPY_NOTE.exec(html)?.[1];
  const taken = new Date(page.headers.get('date') ?? Date.now());
  const lang = /<html lang="en"/.test(html) ? 'en-GB' : 'ja-JP';
  const time = taken.toLocaleString(lang, {
    timeZone: 'Asia/Tokyo', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
  const note = words ? `<p class="offline-copy" role="status" data-testid="offline-copy">${words.replace('%(time)s', time)}</p>` : '';
  return new Response(html.replace('<main id="main">', `<main id="main">${note}`), {
    status: 200, headers: page.headers,
  });
}

// A page this tablet never kept, asked for offline: said plainly, never the browser's error.
const NOT_KEPT = `<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>オフライン | Offline</title>
<link rel="stylesheet" href="/static/css/app.css"></head><body><main id="main">
<h1>この画面を開くには接続が必要です</h1>
<p data-testid="not-kept">この画面はこの端末に保存されていません。接続が戻ってから開いてください。入力した記録はこの端末に保存されています。</p>
<p lang="en">This page needs a connection: it is not kept on this tablet. What you entered is kept here.</p>
<p><a class="button" href="/field">本日の業務 / Today</a></p></main></body></html>`;
const notKept = () => new Response(NOT_KEPT, {
  status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
});
const INCIDENT_UID = /(<input type="hidden" name="uid" value=")[^"]*(")/;

// A cached incident form gets a fresh uid each time it is served, so two incidents filed
// offline from one cached page stay two (a double submit of one form stays one).
async function fresh(url, page) {
  if (url.pathname !== '/incidents/new') return page;
  const html = (await page.text()).replace(INCIDENT_UID, `$1${crypto.randomUUID()}$2`);
  return new Response(html, { status: 200, headers: page.headers });
}

async function cachePage(href) {
  const url = new URL(href, self.location.origin);
  if (!isFieldPage(url)) return false;
  const response = await fetch(url, { credentials: 'same-origin', redirect: 'follow' });
  if (!response.ok || response.redirected) return false;
  await (await caches.open(PAGES)).put(url.href, response);
  return true;
}

async function navigate(event) {
  const url = new URL(event.request.url);
  const network = fetch(event.request).then(async (response) => {
    if (response.ok && !response.redirected && isFieldPage(url)) {
      await (await caches.open(PAGES)).put(url.href, response.clone());
    }
    return response;
  });
  const cached = async () => {
    const page = await caches.match(url.href, { cacheName: PAGES, ignoreVary: true });
    return page && asCopy(url, await fresh(url, page));
  };
  const timeout = new Promise((resolve) => { setTimeout(() => resolve('timeout'), NAVIGATION_TIMEOUT); });
  try {
    const first = await Promise.race([network, timeout]);
    if (first !== 'timeout') return first;
    const page = await cached();
    if (page) {
      event.waitUntil(network.catch(() => null));
      return page;
    }
    return await network;
  } catch (error) {
    return (await cached()) ?? notKept();
  }
}

async function staleWhileRevalidate(event) {
  const cached = await caches.match(event.request, { ignoreVary: true });
  const refresh = fetch(event.request).then(async (response) => {
    if (response.ok) await (await caches.open(SHELL)).put(event.request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => null));
    return cached;
  }
  return refresh;
}

async function answerTap(event, sessionId) {
  const form = await event.request.clone().formData();
  const answer = await localTap(sessionId, {
    category: String(form.get('category') ?? ''),
    delta: form.get('delta'),
    slot: form.get('slot'),
  });
  // Not a tap this page can make (no snapshot, unknown category): the server answers.
  if (!answer) return fetch(event.request);
  if (answer.op) queued();
  else notify({ type: 'op-added', added: false });
  return new Response(answer.html, {
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

// Start/Finish buttons (plain form posts): the op goes to the outbox, the page reloads.
// What the form says goes along: a manager's reason, the finish confirmation, the checks.
async function answerTransition(event, sessionId, kind) {
  const page = new URL(`/field/sessions/${sessionId}`, self.location.origin).href;
  const said = saidOf(await event.request.clone().formData());
  if (await localTransition(sessionId, kind, said)) {
    queued();
    return Response.redirect(page, 303);
  }
  try {
    return await fetch(event.request);
  } catch (error) {
    return Response.redirect(page, 303);
  }
}

// Filing an incident: the server when it answers; offline, the outbox (the form's uid is
// the incident's), then back to the work session's page, which confirms it once (the note).
async function fileIncident(event) {
  const form = await event.request.clone().formData();
  try {
    return await fetch(event.request);
  } catch (error) {
    const sessionId = Number.parseInt(String(form.get('work_session_id') ?? ''), 10) || null;
    const kept = await localIncident(form, sessionId);
    if (!kept) throw error;
    queued();
    if (sessionId) await noteFiled(sessionId).catch(() => null);
    const back = sessionId ? `/field/sessions/${sessionId}` : '/field';
    return Response.redirect(new URL(back, self.location.origin).href, 303);
  }
}

// Saving the incident edit form: only the changed fields, from the version the page showed,
// go to the outbox (online too: an edit never waits for the network); then the page again.
async function answerEdit(event, uid) {
  const form = await event.request.clone().formData();
  const result = await localEdit(uid, form);
  // A form this worker cannot read (a page from an older version): the server answers.
  if (!result) return fetch(event.request);
  if (result.op) queued();
  return Response.redirect(new URL(`/incidents/${uid}`, self.location.origin).href, 303);
}

// Signing out forgets the pages kept for offline use (they show names and work); the
// outbox stays, so nothing entered is lost.
async function signOut(event) {
  const response = await fetch(event.request);
  if (response.ok || response.type === 'opaqueredirect' || response.redirected) await caches.delete(PAGES);
  return response;
}

async function notify(message) {
  for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage(message);
}

// An op was queued: pages update their pending count and send soon; offline, the browser
// is asked to wake this worker when the connection returns.
function queued() {
  notify({ type: 'op-added', added: true });
  if (!self.navigator.onLine) self.registration.sync?.register(SYNC_TAG).catch(() => null);
}

// Background Sync: the same sending as the page loop. A failure the connection explains is
// thrown, so the browser tries again later; other stops wait for a person (sign in, update).
async function syncOutbox() {
  const outcome = await sendAll({ csrf: await storedCsrf() });
  notify({ type: 'synced', outcome });
  if (['offline', 'unreachable', 'failed'].includes(outcome)) throw new Error(`sync: ${outcome}`);
}

self.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(syncOutbox());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST') {
    const tap = TAP.exec(url.pathname);
    if (tap) {
      event.respondWith(answerTap(event, Number(tap[1])));
      return;
    }
    if (url.pathname === '/logout' && request.mode === 'navigate') {
      event.respondWith(signOut(event));
      return;
    }
    if (url.pathname === '/incidents' && request.mode === 'navigate') {
      event.respondWith(fileIncident(event));
      return;
    }
    const edit = INCIDENT_PAGE.exec(url.pathname);
    if (edit && request.mode === 'navigate') {
      event.respondWith(answerEdit(event, edit[1]));
      return;
    }
    const transition = TRANSITION.exec(url.pathname);
    if (transition) {
      event.respondWith(answerTransition(event, Number(transition[1]), transition[2]));
      return;
    }
    return;
  }
  if (request.method !== 'GET') return;
  if (request.mode === 'navigate') {
    event.respondWith(navigate(event));
    return;
  }
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(staleWhileRevalidate(event));
    return;
  }
});
