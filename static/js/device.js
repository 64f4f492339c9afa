// This browser as a device: the server issues its id at registration (people who may
// record only); the id is kept in IndexedDB and in a cookie, so rendered pages know which
// of this tablet's ops they already include.
import { device, pending, saveDevice } from './outbox.js';

const DEVICE_COOKIE = 'madoguchi_device';
// A browser becomes a field tablet on a work session's field page. Elsewhere (a manager's
// office browser on an incident page) it registers only once it has changes of its own to
// send, which need a device id.
const FIELD_PAGE = /^\/field\/sessions\/\d+$/;

function rememberDevice(deviceId) {
  document.cookie = `${DEVICE_COOKIE}=${deviceId}; path=/; max-age=31536000; samesite=strict`;
}

// Returns ensureDevice(): the stored device, else a new registration (online only), else null.
// The server names a new device after `siteId`, the field page's site, and the next free
// number there (「アクタ西宮ステーション 2号機」).
export function deviceRegistrar({ csrf, canWrite, siteId = null }) {
  let registering = null;
  return async function ensureDevice() {
    const known = await device();
    if (known?.device_id) {
      rememberDevice(known.device_id);
      return known;
    }
    if (!navigator.onLine || !canWrite) return null;
    if (!FIELD_PAGE.test(window.location.pathname) && !(await pending()).length) return null;
    registering ??= (async () => {
      const response = await fetch('/api/devices', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify(siteId ? { site_id: siteId } : {}),
      });
      if (!response.ok) throw new Error(`device registration: ${response.status}`);
      const { device_id: deviceId } = await response.json();
      const saved = await saveDevice(deviceId);
      rememberDevice(saved.device_id);
      return saved;
    })().finally(() => { registering = null; });
    return registering.catch(() => null);
  };
}
