// @ts-check
// The venue dashboard's "tonight" panel: fetched again every minute while the page is visible, and
// replaced in place (the server renders it; pages carry no inline script under the CSP).
/* global document, window, fetch */
const panel = /** @type {HTMLElement | null} */ (document.querySelector('[data-refresh]'));
const EVERY_MS = 60_000;

async function refresh() {
  if (!panel || document.hidden) return;
  const url = panel.dataset.refresh;
  if (!url) return;
  try {
    const response = await fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    // A lost session or a server error leaves the last figures on screen; the next minute tries again.
    if (!response.ok || !(response.headers.get('content-type') ?? '').startsWith('text/html')) return;
    const fragment = await response.text();
    // Keep an open "numbers" disclosure open across the refresh.
    const open = [...panel.querySelectorAll('details[open]')].map((d) => d.closest('figure')?.id);
    panel.innerHTML = fragment;
    for (const id of open) if (id) document.getElementById(id)?.querySelector('details')?.setAttribute('open', '');
  } catch {
    // Offline for a moment: keep what is shown.
  }
}

if (panel) {
  window.setInterval(refresh, EVERY_MS);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refresh();
  });
}
