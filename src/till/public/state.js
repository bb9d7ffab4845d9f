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
 */

/**
 * @type {{
 *   device: Device | null,
 *   session: Session | null,
 *   config: TillConfig | null,
 *   pointId: string | null,
 *   lastSale: { id: string, totalCents: number } | null,
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
