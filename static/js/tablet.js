// What every tablet page that queues ops runs: device registration, the sync loop with its
// status panel, the service worker, and persistent storage. People who only read (city
// staff) get no panel: the loop still pulls, so the page stays current.
import { deviceRegistrar } from './device.js';
import { pending } from './outbox.js';
import { connectPanel, fmt, show } from './status.js';
import { SyncLoop } from './sync.js';
import { setupWorker } from './worker.js';

export function tablet({ canWrite, links = [], siteId = null }) {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
  const panel = document.getElementById('sync-status');
  const ensureDevice = deviceRegistrar({ csrf, canWrite, siteId });
  const loop = new SyncLoop({ csrf, ensureDevice, onChange: (state) => panel && show(panel, state) });
  if (panel) {
    connectPanel(panel, loop);
    // A refused change dropped from the list (refused.js): the count and the page follow.
    panel.addEventListener('refused-dropped', () => loop.refresh());
  }
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'op-added') loop.tapped();
    else if (event.data?.type === 'synced') {
      loop.refresh();
      // The worker sent the outbox (Background Sync): pull what changed meanwhile.
      if (event.data.outcome === 'done') loop.schedule(0);
    }
  });
  // Signing out with unsent ops: ask first (they are sent only while their author is signed in).
  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!panel || !(form instanceof HTMLFormElement) || form.dataset.testid !== 'logout-form' || form.dataset.confirmed) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const unsent = (await pending()).length;
    // eslint-disable-next-line no-alert
    if (unsent && !window.confirm(fmt(panel.dataset.msgLogout, { n: unsent }))) return;
    form.dataset.confirmed = '1';
    form.requestSubmit();
  }, true);
  async function start() {
    navigator.storage?.persist?.().catch(() => false);
    await ensureDevice();
    loop.start();
    // The worker's state is noted on the panel (or on nothing, for a reader).
    setupWorker(panel ?? document.createElement('section'), loop, links).then((ready) => {
      if (!ready || !panel) return;
      panel.dataset.offlineReady = '1';
      panel.querySelector('.sync-ready').textContent = panel.dataset.msgReady;
    }).catch(() => null);
  }
  return { csrf, panel, loop, start };
}
