// Print buttons (`<button data-print>`): pages carry no inline script (Content-Security-Policy).
/* global window, document */
document.querySelectorAll('[data-print]').forEach((button) => {
  button.addEventListener('click', () => window.print());
});
