// The page's sync loop: sends the outbox (push.js) on start, when the browser comes online,
// shortly after each tap, and on a timer that backs off (with jitter) while sending fails.
// Ops queued offline also register a Background Sync tag, so the service worker sends them
// when the connection returns even if no page is open then. After each successful send,
// and every PULL_DELAY while all is sent, it pulls what other tablets changed (pull.js);
// `onPulled(ids)` hears which work sessions' snapshots changed.
import { get } from './idb.js';
import { pending, rejected } from './outbox.js';
import { pullAll } from './pull.js';
import { saveCsrf, sendAll, SYNC_TAG } from './push.js';

export { BATCH } from './push.js';
const TAP_DELAY = 800;
const IDLE_DELAY = 30000;
const PULL_DELAY = 10000;
const MORE_DELAY = 1000;
const MIN_BACKOFF = 2000;
const MAX_BACKOFF = 5 * 60000;

const jitter = (delay) => Math.round(delay * (0.5 + Math.random() * 0.5));

export class SyncLoop {
  constructor({ csrf, ensureDevice, onChange = () => {} }) {
    this.csrf = csrf;
    this.ensureDevice = ensureDevice;
    this.onChange = onChange;
    this.onPulled = () => {};
    this.state = { pending: 0, lastSync: null, error: null, syncing: false, rejected: 0, lastPull: null, retryAt: null };
    this.failures = 0;
    this.timer = null;
    this.running = null;
    this.stopped = false;
  }

  async start() {
    await saveCsrf(this.csrf);
    this.state.lastSync = (await get('meta', 'last_sync'))?.at ?? null;
    window.addEventListener('online', () => { this.failures = 0; this.schedule(0); });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.schedule(0);
    });
    window.addEventListener('offline', () => this.refresh({ error: 'offline' }));
    await this.refresh();
    this.schedule(0);
  }

  // Runs the loop after `delay` ms; a sooner request replaces a later one.
  schedule(delay) {
    if (this.stopped) return;
    if (this.timer && this.due <= Date.now() + delay) return;
    clearTimeout(this.timer);
    this.due = Date.now() + delay;
    this.timer = setTimeout(() => { this.timer = null; this.run(); }, delay);
  }

  // Stops for good (the tablet's data is being cleared); resolves once a run in flight ends.
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = null;
    return this.running ?? Promise.resolve();
  }

  tapped() {
    this.refresh();
    this.schedule(TAP_DELAY);
    if (!navigator.onLine) backgroundSync();
  }

  async refresh(changes = {}) {
    Object.assign(this.state, changes);
    this.state.pending = (await pending()).length;
    this.state.rejected = (await rejected()).length;
    this.onChange({ ...this.state });
  }

  run() {
    if (this.running) return this.running;
    this.running = this.drain().finally(() => { this.running = null; });
    return this.running;
  }

  async drain() {
    const outcome = await sendAll({
      csrf: this.csrf,
      ensureDevice: this.ensureDevice,
      onBusy: () => this.refresh({ syncing: true }),
    });
    this.state.lastSync = (await get('meta', 'last_sync'))?.at ?? this.state.lastSync;
    if (outcome === 'done') {
      this.failures = 0;
      const more = await this.pull();
      await this.refresh({ syncing: false, error: navigator.onLine ? null : 'offline', retryAt: null });
      if (this.state.pending) this.schedule(jitter(IDLE_DELAY));
      else {
        // Offline, the `online` event starts the next run.
        if (navigator.onLine) this.schedule(more ? MORE_DELAY : jitter(document.hidden ? IDLE_DELAY : PULL_DELAY));
        this.onDrained?.();
      }
      return;
    }
    if (outcome === 'offline') backgroundSync();
    if (outcome === 'outdated') {
      this.stopped = true;
      await this.refresh({ syncing: false, error: outcome, retryAt: null });
      return;
    }
    this.failures += 1;
    this.schedule(jitter(Math.min(MAX_BACKOFF, MIN_BACKOFF * 2 ** (this.failures - 1))));
    // Offline, the `online` event starts the next run; else the panel says when it is.
    await this.refresh({ syncing: false, error: outcome, retryAt: outcome === 'offline' ? null : this.due });
  }

  // Pulls with this device's id (its mark comes with the counts). A failed pull waits for
  // the next run; the outbox's state is what the panel reports. Resolves true when more
  // pages remain.
  async pull() {
    const me = await this.ensureDevice().catch(() => null);
    const { outcome, updated } = await pullAll({ deviceId: me?.device_id ?? null }).catch(() => ({ outcome: 'failed', updated: [] }));
    if (outcome === 'done' || outcome === 'more') this.state.lastPull = Date.now();
    if (updated.length) this.onPulled(updated);
    return outcome === 'more';
  }
}

// Asks the browser to wake the service worker when the connection returns (where Background
// Sync exists); its handler sends the outbox like this loop does.
export async function backgroundSync() {
  const registration = await navigator.serviceWorker?.getRegistration('/');
  await registration?.sync?.register(SYNC_TAG).catch(() => null);
}
