import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { isStaffCardHeld, normaliseUid } from '../cards/index.ts';
import { canonicalJson, sha256Hex, verifyDeviceRequest, type NodeKey, type DeviceSignature } from '../ledger/index.ts';
import type { LockKeys } from '../db/locks.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { MAX_AMOUNT_MINOR as MAX_AMOUNT } from '../shared/money.ts';
import { applySale, type SaleInput } from './applySale.ts';
import { isStaff } from './cardAccess.ts';
import { hasCardRefs, resolveCardRefs, withoutCardRefs, type CardRefFields } from './cardRef.ts';
import type { SaleItemIn, SalePaymentIn } from './planSale.ts';
import { MAX_CARDS, MAX_ITEMS, MAX_PAYMENTS, MAX_QUANTITY } from '../shared/tillRules.js';
import type { SaleBody, SaleOutcome } from './sales.ts';
import { PAYMENT_METHODS, type PaymentMethod } from './tables.ts';
import { readTillSession, tillSessionKey, type TillSession } from './tillSession.ts';

// A sale's limits are shared with the till in the browser (src/shared/tillRules.js).
export { MAX_CARDS, MAX_ITEMS, MAX_PAYMENTS, MAX_QUANTITY };

export interface RecordSaleInput extends CardRefFields {
  /** Made by the till: the idempotency key of the sale. */
  id: unknown;
  session: unknown;
  pointId: unknown;
  items: unknown;
  payments: unknown;
  /** Cash given back (a negative total: cash-out, deposits returned); no payment line then. */
  cashBackCents?: unknown;
  /** A sale the till queued offline: its time of sale (ISO 8601), docs/TILL.md "Offline sales". */
  soldAt?: unknown;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** How old a queued sale's time of sale may be: a festival weekend offline, not a month already accounted for. */
export const MAX_SALE_AGE_MS = 7 * 24 * 3600_000;
/** How far ahead of the server's clock it may be (the device signature's tolerance). */
export const MAX_SALE_AHEAD_MS = 5 * 60_000;

/** A queued sale's time of sale: an ISO 8601 instant, at most 7 days old and 5 minutes ahead. */
function readSoldAt(errors: FieldErrors, raw: unknown, now: Date): Date | null {
  if (raw === undefined || raw === null) return null;
  const at = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? new Date(raw) : null;
  const t = at?.getTime() ?? NaN;
  if (!Number.isFinite(t) || t < now.getTime() - MAX_SALE_AGE_MS || t > now.getTime() + MAX_SALE_AHEAD_MS) {
    errors.add('soldAt', 'till.sold-at-range', { days: MAX_SALE_AGE_MS / 86_400_000 });
    return null;
  }
  return at;
}

/** Validates the body of a sale (422 `validation` listing every field at fault). */
export function readSaleInput(input: RecordSaleInput, now = new Date()): SaleInput {
  const errors = new FieldErrors();
  const id =
    typeof input.id === 'string' && isUuid(input.id) ? input.id.toLowerCase() : (errors.add('id', 'format'), '');
  const pointId =
    typeof input.pointId === 'string' && isUuid(input.pointId)
      ? input.pointId.toLowerCase()
      : (errors.add('pointId', 'format'), '');
  let cardUid: string | null = null;
  if (input.cardUid !== undefined && input.cardUid !== null) {
    cardUid = normaliseUid(input.cardUid);
    if (!cardUid) errors.add('cardUid', 'format');
  }
  const items: SaleItemIn[] = [];
  if (!Array.isArray(input.items) || input.items.length === 0 || input.items.length > MAX_ITEMS)
    errors.add('items', 'range', { min: 1, max: MAX_ITEMS });
  else
    input.items.forEach((raw: Record<string, unknown>, i) => {
      const f = `items.${i}`;
      if (typeof raw?.articleId !== 'string' || !isUuid(raw.articleId)) errors.add(`${f}.articleId`, 'format');
      if (!isInt(raw?.quantity) || raw.quantity < 1 || raw.quantity > MAX_QUANTITY)
        errors.add(`${f}.quantity`, 'range', { min: 1, max: MAX_QUANTITY });
      const amount = raw?.amountCents;
      if (amount !== undefined && amount !== null && (!isInt(amount) || amount < 1 || amount > MAX_AMOUNT))
        errors.add(`${f}.amountCents`, 'range', { min: 1, max: MAX_AMOUNT });
      items.push({
        articleId: String(raw?.articleId ?? '').toLowerCase(),
        quantity: Number(raw?.quantity),
        amountCents: isInt(amount) ? amount : null,
      });
    });
  const payments: SalePaymentIn[] = [];
  if (!Array.isArray(input.payments) || input.payments.length > MAX_PAYMENTS)
    errors.add('payments', 'range', { min: 0, max: MAX_PAYMENTS });
  else
    input.payments.forEach((raw: Record<string, unknown>, i) => {
      const f = `payments.${i}`;
      const method = raw?.method as PaymentMethod;
      if (!PAYMENT_METHODS.includes(method)) errors.add(`${f}.method`, 'choice');
      // Positive, always: money given back is `cashBackCents`, never a negative payment (docs/TILL.md).
      const amount = raw?.amountCents;
      if (!isInt(amount) || amount < 1 || amount > MAX_AMOUNT)
        errors.add(`${f}.amountCents`, 'range', { min: 1, max: MAX_AMOUNT });
      const tendered = raw?.tenderedCents;
      if (tendered !== undefined && tendered !== null) {
        if (method !== 'cash' || !isInt(tendered) || !isInt(amount) || tendered < amount || tendered > MAX_AMOUNT)
          errors.add(`${f}.tenderedCents`, 'till.tendered');
      }
      let payer: string | null = method === 'card' ? cardUid : null;
      if (raw?.cardUid !== undefined && raw?.cardUid !== null) {
        payer = normaliseUid(raw.cardUid);
        if (method !== 'card') errors.add(`${f}.cardUid`, 'till.card-payment-only');
        else if (!payer) errors.add(`${f}.cardUid`, 'format');
      }
      payments.push({
        method,
        amountCents: Number(amount),
        tenderedCents: isInt(tendered) ? tendered : null,
        cardUid: payer,
      });
    });
  const payers = new Set(payments.flatMap((p) => (p.method === 'card' && p.cardUid ? [p.cardUid] : [])));
  if (payers.size > MAX_CARDS) errors.add('payments', 'till.too-many-cards', { max: MAX_CARDS });
  let cashBackCents: number | null = null;
  if (input.cashBackCents !== undefined && input.cashBackCents !== null) {
    const back = input.cashBackCents;
    if (!isInt(back) || back < 1 || back > MAX_AMOUNT)
      errors.add('cashBackCents', 'range', { min: 1, max: MAX_AMOUNT });
    else if (payments.length > 0) errors.add('cashBackCents', 'till.cash-back-no-payment');
    else cashBackCents = back;
  }
  const soldAt = readSoldAt(errors, input.soldAt, now);
  errors.throwIfAny();
  return { id, pointId, cardUid, items, payments, cashBackCents, soldAt };
}

/** The sale's idempotency lock, taken by the device check's statement (verifyDeviceRequest): one round trip fewer. */
export const saleLock = (id: string): LockKeys => ({ space: 'sale', keys: [id] });

/**
 * Returns the stored answer when this sale was already made, null when it is new. The caller holds
 * the sale's lock (`saleLock`, taken in an earlier statement of its transaction), so a retry of a
 * sale in flight waits for it and then reads its answer.
 */
export async function claimSale(
  trx: Trx,
  id: string,
  placeId: string,
  requestSha256: string,
): Promise<SaleBody | null> {
  const existing = await trx
    .selectFrom('till_sales')
    .select(['place_id', 'request_sha256', 'result'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!existing) return null;
  if (existing.place_id !== placeId || existing.request_sha256 !== requestSha256)
    throw new DomainError('till-sale-conflict', 409, { id });
  return existing.result as unknown as SaleBody;
}

/**
 * The stored answer of a sale (or reversal) of the device's venue, for a till that never got it
 * (timeout, network error): checks the device's signature (its nonce consumed) and reads, nothing else.
 * 404 `till-sale-unknown` when no such sale was recorded at this venue: the till may give up safely.
 */
export async function saleStatus(db: Db, device: DeviceSignature, saleId: unknown): Promise<SaleBody> {
  return inTransaction(db, async (trx) => {
    const { placeId } = await verifyDeviceRequest(trx, device);
    const id = typeof saleId === 'string' && isUuid(saleId) ? saleId.toLowerCase() : null;
    const row = id
      ? await trx.selectFrom('till_sales').select(['place_id', 'result']).where('id', '=', id).executeTakeFirst()
      : undefined;
    if (!row || row.place_id !== placeId) throw new DomainError('till-sale-unknown', 404, { id: id ?? '' });
    return row.result as unknown as SaleBody;
  });
}

/**
 * The session sent with a request, for this device, whose cashier is still staff of the venue and
 * whose staff card is still active (a blocked card ends its sessions: 401 `till-session`).
 */
export async function requireSession(
  key: NodeKey,
  trx: Trx,
  token: unknown,
  device: { placeId: string; deviceId: string },
): Promise<TillSession> {
  const session = readTillSession(key, token, device);
  if (!(await isStaffCardHeld(trx, session.cardId, session.cashierPersonId)))
    throw new DomainError('till-session', 401);
  if (!(await isStaff(trx, session.cashierPersonId, device.placeId))) throw new DomainError('till-not-staff', 403);
  return session;
}

/**
 * A sale at a till (docs/TILL.md): items of a point of sale paid by card, cash or the venue's card
 * terminal, with top-ups, cash-outs, gift credit and memberships, in ONE transaction:
 * device signature (nonce consumed) → sale lock and replay check → session → `applySale` (applySale.ts:
 * the facts read in lock order, the plan of `planSale`, the writes; the venue's journal lock last, held
 * the shortest). A retry with the same id and body returns the first answer (`replayed`).
 */
export async function recordSale(
  db: Db,
  device: DeviceSignature,
  raw: RecordSaleInput,
  now = new Date(),
): Promise<SaleOutcome> {
  // A card named by its number or QR token is resolved to its UID once the device is verified (docs/TILL.md,
  // "A card by its printed number or its QR code"): the fields are checked here without it, the hash made on the UID.
  const byRef = hasCardRefs(raw);
  const input = readSaleInput(byRef ? withoutCardRefs(raw) : raw, now);
  const key = await tillSessionKey(db);
  return inTransaction(db, async (trx) => {
    const { placeId, deviceId } = await verifyDeviceRequest(trx, device, Date.now(), saleLock(input.id));
    const resolved = byRef ? readSaleInput(await resolveCardRefs(trx, raw), now) : input;
    const requestSha256 = saleHash(device, resolved);
    const done = await claimSale(trx, resolved.id, placeId, requestSha256);
    if (done) return { body: done, replayed: true };
    const session = readTillSession(key, raw.session, { placeId, deviceId });
    const body = await applySale(trx, { input: resolved, session, device, placeId, deviceId, requestSha256, now });
    return { body, replayed: false };
  });
}

/** The sale's request hash: its idempotency key's content (a retry must carry the same sale). */
function saleHash(device: DeviceSignature, input: SaleInput): string {
  // A payment names its card in the hash only when it is not the sale's card (the hash of a one-card
  // sale is the same as before payments could name their card: retries across versions still match).
  const hashedPayments = input.payments.map(({ cardUid, ...p }) =>
    cardUid && cardUid !== input.cardUid ? { ...p, cardUid } : p,
  );
  return sha256Hex(
    canonicalJson({
      op: 'till-sale',
      device: `${device.placeId}:${device.deviceId}`,
      id: input.id,
      pointId: input.pointId,
      cardUid: input.cardUid,
      items: input.items,
      payments: hashedPayments,
      // Only when given: the hash of a sale without them is the same as before they existed.
      ...(input.cashBackCents !== null ? { cashBackCents: input.cashBackCents } : {}),
      ...(input.soldAt !== null ? { soldAt: input.soldAt.toISOString() } : {}),
    }),
  );
}
