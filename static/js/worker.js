// The service worker from a page: registers it, has it keep this page (and pages it links
// to) for offline use, and lets a new version take over only once the outbox is empty.
import { pending } from './outbox.js';

const PAGES = 'madoguchi-pages';
const controlledAtLoad = Boolean(navigator.serviceWorker?.controller);

// Ask the worker to keep a page for offline use (the first visit was not fetched through it).
function cachePage(worker, url) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(Boolean(event.data?.ok));
    worker.postMessage({ type: 'cache-page', url }, [channel.port2]);
    setTimeout(() => resolve(false), 10000);
  });
}

// Has the worker keep this page again as the server renders it now (after this tablet's
// work reached the server, so the copy kept offline shows it too).
export function keepAgain(url) {
  const worker = navigator.serviceWorker?.controller;
  return worker ? cachePage(worker, url) : Promise.resolve(false);
}

// A new version of the worker waits while this tablet has unsent ops (the version that
// took them keeps answering), and takes over once the outbox is empty. The outbox is in
// IndexedDB, so nothing is lost either way.
function watchUpdates(registration, panel, loop) {
  const consider = async () => {
    const { waiting } = registration;
    if (!waiting || (await pending()).length) return;
    panel.dataset.update = 'activating';
    waiting.postMessage({ type: 'skip-waiting' });
  };
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) {
        panel.dataset.update = 'waiting';
        consider();
      }
    });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    panel.dataset.worker = navigator.serviceWorker.controller?.scriptURL ?? '';
  });
  loop.onDrained = consider;
  if (registration.waiting) panel.dataset.update = 'waiting';
  consider();
}

// Resolves true once this page (and every one of `links`) is kept for offline use.
export async function setupWorker(panel, loop, links = []) {
  if (!('serviceWorker' in navigator)) return false;
  watchUpdates(await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' }), panel, loop);
  const registration = await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    // A page whose load raced the worker's activation is claimed on request.
    const claimed = new Promise((resolve) => {
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
      setTimeout(resolve, 5000);
    });
    registration.active.postMessage({ type: 'claim' });
    await claimed;
  }
  // A page fetched through the worker is cached already; one that was not is fetched again.
  const cached = (url) => caches.match(url, { cacheName: PAGES, ignoreVary: true });
  const here = window.location.href;
  if (!controlledAtLoad || !(await cached(here))) await cachePage(registration.active, here);
  for (const link of links) {
    if (!(await cached(link))) await cachePage(registration.active, link);
  }
  return Boolean(await cached(here));
}
