// Offline, the menu says which of its pages need a connection: those this tablet has no
// copy of (the service worker keeps each menu page as last seen online).
const nav = document.querySelector('.menu-links');

async function mark() {
  if (!nav) return;
  for (const link of nav.querySelectorAll('a')) {
    const kept = navigator.onLine || !('caches' in window)
      || await caches.match(link.href, { cacheName: 'madoguchi-pages', ignoreVary: true });
    let note = link.querySelector('.needs-connection');
    if (kept) note?.remove();
    else if (!note) {
      note = document.createElement('span');
      note.className = 'needs-connection';
      note.textContent = nav.dataset.msgNeedsConnection;
      link.append(note);
    }
  }
}

window.addEventListener('online', mark);
window.addEventListener('offline', mark);
document.querySelector('.menu')?.addEventListener('toggle', mark);
mark();
