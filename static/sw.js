// Madoguchi service worker. The offline field client is being built (issue 5); until then
// this worker only takes control and passes every request to the network.
const VERSION = 'v0';
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.VERSION = VERSION;
