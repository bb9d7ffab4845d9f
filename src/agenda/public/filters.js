// @ts-check
/* global window, document */
// The agenda's filters sit in a <details> that the page sends closed, so that on a phone the events
// come first. On a wide screen there is room for both: open it (once, at load; the reader may close it).
const WIDE = '(min-width: 48rem)';
if (window.matchMedia(WIDE).matches) {
  for (const box of document.querySelectorAll('details[data-open-wide]')) {
    /** @type {HTMLDetailsElement} */ (box).open = true;
  }
}
