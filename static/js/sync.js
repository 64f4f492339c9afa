// The sync loop: sends the outbox to POST /api/sync/push in batches, in seq order, and drops
// what the server acknowledged. Runs on start, when the browser comes online, shortly after
// each tap, and on a timer that backs off (with jitter) while sending fails.
import { get, put } from './idb.js';
import { acknowledge, device, pending, rejected, SCHEMA_VERSION } from './outbox.js';

export const BATCH = 200;
const TAP_DELAY = 800;
const IDLE_DELAY = 30000;
const MIN_BACKOFF = 2000;
const MAX_BACKOFF = 5 * 60000;

const jitter = (delay) => Math.round(delay * (0.5 + Math.random() * 0.5));

export class SyncLoop {
  constructor({ csrf, ensureDevice, onChange = () => {} }) {
    this.csrf = csrf;
    this.ensureDevice = ensureDevice;
    this.onChange = onChange;
    this.state = { pending: 0, lastSync: null, error: null, syncing: false, rejected: 0 };
    this.failures = 0;
    this.timer = null;
    this.running = null;
    this.stopped = false;
  }

  async start() {
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

  tapped() {
    this.refresh();
    this.schedule(TAP_DELAY);
  }

  async refresh(changes = {}) {
    Object.assign(this.state, changes);
    this.state.pending = (await pending()).length;
    this.state.rejected = (await rejected()).length;
    this.onChange({ ...this.state });
  }

  run() {
    if (this.running) return this.running;
    const go = () => this.drain().finally(() => { this.running = null; });
    this.running = navigator.locks
      ? navigator.locks.request('madoguchi-sync', go)
      : go();
    return this.running;
  }

  async drain() {
    let outcome = 'done';
    try {
      for (let round = 0; round < 1000; round += 1) {
        const ops = await pending();
        if (!ops.length) break;
        if (!navigator.onLine) { outcome = 'offline'; break; }
        const me = (await this.ensureDevice()) ?? (await device());
        if (!me?.device_id) { outcome = navigator.onLine ? 'failed' : 'offline'; break; }
        await this.refresh({ syncing: true });
        const batch = ops.slice(0, BATCH).map((op) => ({ ...op, device_id: me.device_id }));
        outcome = await this.push(me.device_id, batch);
        if (outcome !== 'progress') break;
        outcome = 'done';
      }
    } catch (error) {
      outcome = navigator.onLine ? 'failed' : 'offline';
    }
    if (outcome === 'done') {
      this.failures = 0;
      await this.refresh({ syncing: false, error: navigator.onLine ? null : 'offline' });
      if (this.state.pending) this.schedule(jitter(IDLE_DELAY));
      else this.onDrained?.();
      return;
    }
    await this.refresh({ syncing: false, error: outcome });
    if (outcome === 'outdated') { this.stopped = true; return; }
    this.failures += 1;
    this.schedule(jitter(Math.min(MAX_BACKOFF, MIN_BACKOFF * 2 ** (this.failures - 1))));
  }

  // One batch. Returns 'progress', or why the loop stops for now.
  async push(deviceId, batch) {
    let response;
    try {
      response = await fetch('/api/sync/push', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': this.csrf },
        body: JSON.stringify({ device_id: deviceId, schema_version: SCHEMA_VERSION, ops: batch }),
      });
    } catch (error) {
      return navigator.onLine ? 'failed' : 'offline';
    }
    if (response.status === 409) return 'outdated';
    if (response.status === 401 || response.redirected) return 'signin';
    if (response.status === 403) {
      const body = await response.json().catch(() => ({}));
      return body.error === 'device_unknown' ? 'revoked' : 'signin';
    }
    if (!response.ok) return 'failed';
    const answer = await response.json();
    const moved = await acknowledge(answer.high_water, answer.results ?? []);
    const at = Date.now();
    await put('meta', { key: 'last_sync', at });
    this.state.lastSync = at;
    // A gap: the server wants high_water + 1 next, which is where the outbox now starts.
    // If nothing moved and the outbox cannot start there, resending would not help.
    if (answer.gap && !moved.length) {
      const first = (await pending())[0];
      if (!first || first.seq !== answer.high_water + 1) return 'failed';
    }
    return 'progress';
  }
}
