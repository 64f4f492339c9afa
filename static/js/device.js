// This browser as a device: the server issues its id at registration (people who may
// record only); the id is kept in IndexedDB and in a cookie, so rendered pages know which
// of this tablet's ops they already include.
import { device, saveDevice } from './outbox.js';

const DEVICE_COOKIE = 'madoguchi_device';

function rememberDevice(deviceId) {
  document.cookie = `${DEVICE_COOKIE}=${deviceId}; path=/; max-age=31536000; samesite=strict`;
}

// Returns ensureDevice(): the stored device, else a new registration (online only), else null.
export function deviceRegistrar({ csrf, canWrite }) {
  let registering = null;
  return async function ensureDevice() {
    const known = await device();
    if (known?.device_id) {
      rememberDevice(known.device_id);
      return known;
    }
    if (!navigator.onLine || !canWrite) return null;
    registering ??= (async () => {
      const response = await fetch('/api/devices', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ label: 'field tablet' }),
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
