// @ts-check
// The till's state in this tab: what is kept across reloads is read back from storage.js at start.
import { store } from './storage.js';

/**
 * @typedef {import('./types.js').Device} Device
 * @typedef {import('./types.js').Session} Session
 * @typedef {import('./types.js').TillConfig} TillConfig
 * @typedef {import('./types.js').Line} Line
 * @typedef {import('./types.js').PaymentMethod} PaymentMethod
 * @typedef {import('./types.js').SentSale} SentSale
 * @typedef {import('./types.js').Split} Split
 * @typedef {import('./types.js').LastSale} LastSale
 */

/**
 * @type {{
 *   device: Device | null,
 *   session: Session | null,
 *   config: TillConfig | null,
 *   pointId: string | null,
 *   lastSale: LastSale | null,
 *   cart: Line[],
 *   attached: string | null,
 *   waitingMethod: PaymentMethod | null,
 *   pending: SentSale | null,
 *   split: Split | null,
 *   uncertain: SentSale | null,
 *   offline: boolean,
 *   queueSize: number,
 *   refusedSize: number,
 *   busy: boolean,
 *   clockOffset: number,
 * }}
 */
export const state = {
  device: null,
  session: store.get('session'),
  config: store.get('config'),
  pointId: store.get('point'),
  lastSale: store.get('lastSale'),
  cart: [],
  attached: null, // the card UID a top-up, cash-out or membership is for
  waitingMethod: null, // the method chosen before the card was tapped
  pending: null, // a sale sent without a definite answer (retry with the same id)
  split: null, // waiting for a second card
  // A card sale sent without the server's answer: before giving up or the next sale, the till asks
  // GET /api/v1/till/sales/{id} whether it was recorded (kept across reloads).
  uncertain: store.get('uncertain'),
  offline: false,
  queueSize: 0,
  refusedSize: 0, // queued sales the server refused: kept, shown, sent again only when asked
  busy: false,
  clockOffset: 0,
};

/** The open session's token (a sale is made only while one is open). */
export const sessionId = () => /** @type {Session} */ (state.session).session;
export function sessionValid() {
  const s = state.session;
  return !!(s && s.session && (!s.expiresAt || Date.parse(s.expiresAt) > Date.now() + state.clockOffset));
}

/**
 * The sale "cancel the last sale" would reverse, as the server recorded it (src/till/apiRoutes.ts,
 * SaleOut): what its dialog says — when, what, how it was paid — kept across reloads.
 * @param {any} body
 */
export function keepLastSale(body) {
  /** @type {LastSale} */
  const last = {
    id: body.sale.id,
    totalCents: body.sale.totalCents,
    at: body.sale.soldAt || body.sale.createdAt,
    // An item's value: its price × quantity (a top-up's or gift credit's amount, a cash-out's too).
    items: (body.items || []).map((/** @type {any} */ i) => ({
      name: i.name,
      kind: i.kind,
      quantity: i.quantity,
      valueCents: i.unitPriceCents * i.quantity,
    })),
    payments: (body.payments || []).map((/** @type {any} */ p) => ({ method: p.method, amountCents: p.amountCents })),
    card: body.card ? body.card.number : null,
  };
  state.lastSale = last;
  store.set('lastSale', last);
}
