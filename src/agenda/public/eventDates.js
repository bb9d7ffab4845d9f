// @ts-check
/* global document */
// The event form's dates: shows the part the person chose (single dates or a repeat rule) and, in the
// rule, the weekly or the monthly fields. Without scripts every part stays shown and the radio
// "dateMode" still decides what is saved; the preview is the server's ("Aperçu", intent=preview).

/** @param {string} selector */
const all = (selector) => /** @type {HTMLElement[]} */ ([...document.querySelectorAll(selector)]);

function update() {
  const mode = /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="dateMode"]:checked'));
  const rule = mode?.value === 'rule';
  for (const el of all('#date-single')) el.hidden = rule;
  for (const el of all('#date-rule')) el.hidden = !rule;
  const frequency = /** @type {HTMLSelectElement | null} */ (document.getElementById('recurrence-frequency'));
  const monthly = frequency?.value === 'monthly';
  for (const el of all('.rule-weekly')) el.hidden = monthly;
  for (const el of all('.rule-monthly')) el.hidden = !monthly;
}

if (document.querySelector('input[name="dateMode"]')) {
  for (const el of all('input[name="dateMode"], #recurrence-frequency')) el.addEventListener('change', update);
  update();
}
