// @ts-check
// What the cashier sees: the screens, the status bar, the full-screen answer, dialogs (amounts with a
// keypad, cash handed over, the bank terminal) and the focus kept on the card reader.
/* global document, navigator, Event */
import { $, $button, $input, el, euros, format, noteEuros, plural, typedEuros, words } from './dom.js';
import { banknotesFor, changeCents, parseEuros } from './tillRules.js';
import { state } from './state.js';

/** @typedef {import('./types.js').Action} Action */

const screens = ['loading', 'pair', 'open', 'points', 'sale'];
/** @param {string} name */
export function showScreen(name) {
  screens.forEach((s) => {
    $('till-' + s).hidden = s !== name;
  });
  $('till').setAttribute('data-screen', name);
  $('till-card-form').hidden = !(name === 'open' || name === 'sale');
  focusReader();
}
export function currentScreen() {
  return $('till').getAttribute('data-screen');
}

/** @param {boolean} offline */
export function setOffline(offline) {
  if (state.offline === offline) return;
  state.offline = offline;
  refreshBar();
}
export function refreshBar() {
  const net = $('till-net');
  const offline = state.offline || navigator.onLine === false;
  net.textContent = offline ? words.offline : words.online;
  net.className = 'till-net' + (offline ? ' off' : '');
  // Offline, a card cannot be paid from (its balance is on the server): "Carte" waits for the network.
  const card = /** @type {HTMLButtonElement} */ ($('till-pay-card'));
  card.disabled = offline || state.cart.length === 0;
  card.title = offline ? words.offline : '';
  const queue = $('till-queue');
  queue.hidden = state.queueSize === 0;
  queue.textContent = format(words['queued.' + plural.select(state.queueSize)] || words['queued.other'], {
    count: state.queueSize,
  });
  const refused = $('till-refused');
  refused.hidden = state.refusedSize === 0;
  refused.textContent = format(
    words['refusedCount.' + plural.select(state.refusedSize)] || words['refusedCount.other'],
    {
      count: state.refusedSize,
    },
  );
  // A card sale without the server's answer: pending, asked about in the background; a tap offers the choice.
  const uncertain = $('till-uncertain');
  uncertain.hidden = !state.uncertain;
  uncertain.textContent = state.uncertain
    ? format(words.uncertainBar, { amount: euros(state.uncertain.context.total) })
    : '';
  $button('till-cancel-last').disabled = !state.lastSale;
}
/** The line under the total: what the till waits for. @param {string} text */
export function prompt(text) {
  $('till-prompt').textContent = text;
}

// The full-screen answer: green, red, orange (unreachable), calm blue (a sale kept for the network) or
// neutral (a card's balances). A plain answer goes away by itself, after time enough to read it (the
// next customer is waiting), or at a tap; one that offers a choice waits for the choice.
/** How long a plain answer stays, by kind (ms): a refusal is read, not glanced at. */
export const RESULT_MS = { ok: 5000, queued: 6000, info: 10000, ko: 10000, warn: 10000 };
/** @type {ReturnType<typeof setTimeout> | undefined} */
let resultTimer;
/**
 * @param {'ok'|'ko'|'warn'|'info'|'queued'} kind
 * @param {string} big
 * @param {(string|Node|null|undefined|false)[]} [details]
 * @param {Action[]} [actions]
 */
export function showResult(kind, big, details, actions) {
  const box = $('till-result');
  clearTimeout(resultTimer);
  /** @type {HTMLElement} */ (box.querySelector('.till-result-big')).textContent = big;
  const detail = /** @type {HTMLElement} */ (box.querySelector('.till-result-detail'));
  detail.replaceChildren(
    ...(details || []).flatMap((d) => (!d ? [] : [typeof d === 'string' ? el('p', { text: d }) : d])),
  );
  const bar = /** @type {HTMLElement} */ (box.querySelector('.till-result-actions'));
  const all = (actions || []).concat([{ label: words.close, run: hideResult, quiet: true }]);
  bar.replaceChildren(
    ...all.map((a) =>
      el('button', {
        type: 'button',
        class: a.quiet ? 'till-quiet' : 'till-primary',
        text: a.label,
        on: {
          click: (/** @type {Event} */ e) => {
            e.stopPropagation();
            a.run();
          },
        },
      }),
    ),
  );
  const timed = !actions || actions.length === 0;
  // The class is set anew (after a reflow) so that the countdown bar starts again from full.
  box.className = 'till-result';
  void box.offsetWidth;
  box.className = 'till-result ' + kind + (timed ? ' timed' : '');
  box.hidden = false;
  box.setAttribute('data-kind', kind);
  if ((kind === 'ko' || kind === 'warn') && navigator.vibrate) navigator.vibrate([200, 100, 200]);
  if (timed) resultTimer = setTimeout(hideResult, RESULT_MS[kind]);
  focusReader();
}
export function hideResult() {
  clearTimeout(resultTimer);
  $('till-result').hidden = true;
  focusReader();
}
export function resultShown() {
  return !$('till-result').hidden;
}

// A dialog: a title, some fields, Confirm / Cancel. Resolves the form's values, or null on Cancel.
/** @type {((values: Record<string, string> | null) => void) | null} */
let dialogDone = null;
/**
 * @param {string} title
 * @param {(Node|string)[]} body
 * @param {string} [okLabel]
 * @param {string} [cancelLabel] the way out, when "Annuler" would read as the action itself
 * @returns {Promise<Record<string, string> | null>}
 */
export function openDialog(title, body, okLabel, cancelLabel) {
  $('till-dialog-title').textContent = title;
  $('till-dialog-body').replaceChildren(...body);
  $('till-dialog-ok').textContent = okLabel || words.confirm;
  $('till-dialog-cancel').textContent = cancelLabel || words.cancel;
  $('till-dialog').hidden = false;
  const first = $('till-dialog-body').querySelector('input');
  if (first) first.focus();
  else $('till-dialog-ok').focus();
  return new Promise((resolve) => {
    dialogDone = resolve;
  });
}
/** @param {Record<string, string> | null} value */
function closeDialog(value) {
  $('till-dialog').hidden = true;
  const done = dialogDone;
  dialogDone = null;
  if (done) done(value);
  focusReader();
}
export function dialogOpen() {
  return !$('till-dialog').hidden;
}

/**
 * An amount field with a keypad (digits, comma, erase) for touch screens without a keyboard.
 * @param {string} name @param {string} label @param {string} initial @param {() => void} [onChange]
 */
export function amountField(name, label, initial, onChange) {
  const input = /** @type {HTMLInputElement} */ (
    el('input', {
      id: 'till-amount-' + name,
      name,
      inputmode: 'decimal',
      autocomplete: 'off',
      value: initial || '',
      required: true,
      maxlength: '10',
    })
  );
  const keys = ['7', '8', '9', '4', '5', '6', '1', '2', '3', ',', '0', '⌫'].map((k) =>
    el('button', {
      type: 'button',
      class: 'till-key',
      text: k,
      'aria-label': k === '⌫' ? words.clear : undefined,
      on: {
        click: () => {
          input.value = k === '⌫' ? input.value.slice(0, -1) : input.value + k;
          input.dispatchEvent(new Event('input'));
        },
      },
    }),
  );
  if (onChange) input.addEventListener('input', onChange);
  return [el('label', { for: input.id, text: label }), input, el('div', { class: 'till-keypad' }, keys)];
}

/**
 * Cash: what the customer hands over — a banknote tapped, "exact amount", or typed on the keypad — and
 * the change shown as it is known (tillRules.js `changeCents`, the server's own). Negative totals give
 * cash out. @param {number} amount @returns {Promise<{ tenderedCents: number | null } | null>}
 */
export async function askCash(amount) {
  if (amount <= 0) {
    const ok = await openDialog(
      format(words.giveOut, { amount: euros(-amount) }),
      [],
      format(words.giveOutConfirm, { amount: euros(-amount) }),
    );
    return ok ? { tenderedCents: null } : null;
  }
  const changeLine = el('p', { class: 'till-change', role: 'status', 'aria-live': 'polite' });
  const fields = amountField('tendered', words.tendered, '', () => {
    const given = parseEuros($input('till-amount-tendered').value);
    const change = changeCents(amount, given);
    changeLine.textContent =
      given === null
        ? ''
        : change >= 0
          ? format(words.change, { amount: euros(change) })
          : format(words.changeShort, { amount: euros(-change) });
  });
  /** @param {number} cents */
  const give = (cents) => {
    const input = $input('till-amount-tendered');
    input.value = typedEuros(cents);
    input.dispatchEvent(new Event('input'));
  };
  const notes = el('div', { class: 'till-notes', role: 'group', 'aria-label': words.notesGiven }, [
    ...banknotesFor(amount).map((note) =>
      el('button', { type: 'button', class: 'till-note', text: noteEuros(note), on: { click: () => give(note) } }),
    ),
    el('button', {
      type: 'button',
      class: 'till-note till-exact till-quiet',
      text: words.exact,
      on: { click: () => give(amount) },
    }),
  ]);
  for (;;) {
    const values = await openDialog(
      euros(amount),
      [notes, changeLine].concat(fields),
      format(words.confirmCash, { amount: euros(amount) }),
    );
    if (!values) return null;
    const given = values.tendered.trim() === '' ? amount : parseEuros(values.tendered);
    if (given !== null && given >= amount) return { tenderedCents: given };
  }
}
/** The venue's own bank terminal: the cashier confirms it took the amount. @param {number} amount */
export async function confirmBank(amount) {
  const ok = await openDialog(
    format(words.bankTitle, { amount: euros(amount) }),
    [el('p', { text: words.bankHint })],
    words.bankConfirm,
  );
  return !!ok;
}

// --- the card reader: a keyboard wedge typing hex + Enter into a focused field, or Web NFC ---
export function focusReader() {
  if (dialogOpen()) return;
  const active = document.activeElement;
  if (
    active &&
    active !== document.body &&
    active.id !== 'till-wedge' &&
    (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA')
  )
    return;
  const wedge = $('till-wedge');
  if (!$('till-card-form').hidden) wedge.focus({ preventScroll: true });
}
function readerStatus() {
  const on = document.activeElement === $('till-wedge');
  $('till-reader').textContent = on ? '' : words.readerOff;
  $('till-reader').className = 'till-reader' + (on ? '' : ' off');
}

/** The listeners of the dialog, the answer and the reader field (main.js calls it once). */
export function wireScreens() {
  $('till-dialog-form').addEventListener('submit', (e) => {
    e.preventDefault();
    /** @type {Record<string, string>} */
    const values = {};
    $('till-dialog-body')
      .querySelectorAll('input')
      .forEach((i) => {
        values[i.name] = i.value;
      });
    closeDialog(values);
  });
  $('till-dialog-cancel').addEventListener('click', () => closeDialog(null));
  $('till-dialog').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeDialog(null);
  });
  $('till-wedge').addEventListener('focus', readerStatus);
  $('till-wedge').addEventListener('blur', () => {
    readerStatus();
    // Back to the reader as soon as nothing else wants the keyboard.
    setTimeout(focusReader, 50);
  });
  document.addEventListener('click', () => setTimeout(focusReader, 0));
  $('till-result').addEventListener('click', () => {
    // A touch anywhere closes a plain answer; one that offers choices waits for a choice.
    if ($('till-result').classList.contains('timed')) hideResult();
  });
}
