// The till's service worker (served as /till/sw.js, scope /till): keeps the page, its scripts (main.js
// and the modules it imports: TILL_FILES in src/till/tillPage.ts) and its styles so that a till restarted without network
// still opens. The API is never cached: a sale's answer must come from the server (or the till says
// the server is unreachable).
/* global self, caches, fetch, Response */
'use strict';
const CACHE = 'rezo-till-v5';
const SHELL = [
  '/till',
  '/static/till/main.js',
  '/static/till/api.js',
  '/static/till/cart.js',
  '/static/till/dom.js',
  '/static/till/lookup.js',
  '/static/till/camera.js',
  '/static/till/pay.js',
  '/static/till/queue.js',
  '/static/till/sale.js',
  '/static/till/screens.js',
  '/static/till/session.js',
  '/static/till/signing.js',
  '/static/till/state.js',
  '/static/till/storage.js',
  '/static/till/tillRules.js',
  '/static/till/till.css',
  '/static/till/answers.css',
  '/till/manifest.webmanifest',
  '/till/icon.svg',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith('rezo-till-') && n !== CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const shell =
    request.mode === 'navigate' && url.pathname === '/till'
      ? '/till'
      : SHELL.indexOf(url.pathname) >= 0
        ? url.pathname
        : null;
  if (!shell) return;
  // Network first (a new version is used at once), the kept copy when the network fails.
  event.respondWith(
    fetch(request)
      .then((response) => {
        // A page opened from a pairing QR code holds that code: it is not the copy to keep.
        if (response.ok && !url.searchParams.has('code')) {
          const copy = response.clone();
          caches
            .open(CACHE)
            .then((cache) => cache.put(shell, copy))
            .catch(() => null);
        }
        return response;
      })
      .catch(() =>
        caches
          .open(CACHE)
          .then((cache) => cache.match(shell))
          .then((kept) => kept || Response.error()),
      ),
  );
});
