import { sql } from 'kysely';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import {
  isStaffCardHeld,
  lockCardsByUid,
  normaliseUid,
  staffCardHeld,
  walletOwnerOf,
  type Card,
} from '../cards/cards.ts';
import { canonicalJson, sha256Hex } from '../ledger/chain.ts';
import { verifyDeviceRequest } from '../ledger/deviceSignature.ts';
import { appendTransfers, type Authorisation, type TransferSpec } from '../ledger/engine.ts';
import type { LockKeys } from '../db/locks.ts';
import { cashOutAtCounter, payableAtCounter, planCashOut } from '../ledger/cashOutAtCounter.ts';
import { getCurrencyById } from '../ledger/ledger.ts';
import { MAX_AMOUNT_MINOR as MAX_AMOUNT } from '../shared/money.ts';
import { mintAtCounter } from '../ledger/mintAtCounter.ts';
import type { DeviceSignature } from '../ledger/tables.ts';
import { insertMembership } from '../memberships/addMembership.ts';
import { findProduct } from '../memberships/products.ts';
import { getPlaceBySlug } from '../places/places.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { businessDayOf, DEFAULT_DAY_STARTS_AT } from './businessDay.ts';
import { cardBlocked, cardUnknown, isStaff } from './cardAccess.ts';
import { derivedId } from './derivedId.ts';
import { appendJournal, type JournalLineInput } from './journal.ts';
import { assertDayOpen, openDayFor } from './closeDay.ts';
import type { SaleBody, SaleItemOut, SaleOutcome, SalePaymentOut } from './sales.ts';
import { presentBalances } from './sales.ts';
import { PAYMENT_METHODS, type ArticleKind, type PaymentMethod } from './tables.ts';
import {
  CARD_KINDS,
  COUNTER_KINDS,
  MAX_CARDS,
  MAX_ITEMS,
  MAX_PAYMENTS,
  MAX_QUANTITY,
  ONE_PER_LINE_KINDS,
  lineAmountCents,
} from '../shared/tillRules.js';
import { readTillSession, tillSessionKey, type TillSession } from './tillSession.ts';
import { assertTopUpLimits, type CounterMint } from './topUpLimits.ts';
import type { NodeKey } from '../ledger/nodeKey.ts';
import { sortWallet, venueAccountId, walletAccountId, walletBalances, type WalletBalance } from './wallet.ts';

// A sale's limits and its lines' rules are shared with the till in the browser (src/shared/tillRules.js).
export { MAX_CARDS, MAX_ITEMS, MAX_PAYMENTS, MAX_QUANTITY };

export interface RecordSaleInput {
  /** Made by the till: the idempotency key of the sale. */
  id: unknown;
  session: unknown;
  pointId: unknown;
  cardUid?: unknown;
  items: unknown;
  payments: unknown;
  /** Cash given back (a negative total: cash-out, deposits returned); no payment line then. */
  cashBackCents?: unknown;
  /** A sale the till queued offline: its time of sale (ISO 8601), docs/TILL.md "Offline sales". */
  soldAt?: unknown;
}

interface ItemIn {
  articleId: string;
  quantity: number;
  amountCents: number | null;
}
interface PaymentIn {
  method: PaymentMethod;
  amountCents: number;
  tenderedCents: number | null;
  /** The card paying (card payments only): the one named on the payment, else the sale's card. */
  cardUid: string | null;
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
export function readSaleInput(
  input: RecordSaleInput,
  now = new Date(),
): {
  id: string;
  pointId: string;
  cardUid: string | null;
  items: ItemIn[];
  payments: PaymentIn[];
  cashBackCents: number | null;
  soldAt: Date | null;
} {
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
  const items: ItemIn[] = [];
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
  const payments: PaymentIn[] = [];
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

/** 422 `till-insufficient-funds`: how much this card lacks (`missing`, cents) and which card (`card`, its number). */
const insufficientFunds = (missing: number, card: Card) =>
  new DomainError('till-insufficient-funds', 422, { missing, card: card.number });

/**
 * The cards of a sale by UID, their rows locked in id order (the cards module's lock order: several
 * cards in one transaction are locked by id, before any account), as committed now. An unknown card
 * → 404, a blocked one → 403 (checked after every lock is held, on the locked rows).
 */
async function lockCards(trx: Trx, uids: string[]): Promise<Map<string, Card>> {
  const cards = await lockCardsByUid(trx, uids);
  for (const uid of uids) if (!cards.has(uid)) throw cardUnknown();
  for (const card of cards.values()) if (card.status === 'blocked') throw cardBlocked();
  return cards;
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
 * device signature (nonce consumed) → sale lock and replay check → session → articles (frozen) →
 * total and balance of the payments → card locked → ledger (card payment in currency order, counter
 * mint or burn) → membership → till_sales row → journal lines (last: the venue's journal lock is held
 * the shortest). A retry with the same id and body returns the first answer (`replayed`).
 */
export async function recordSale(
  db: Db,
  device: DeviceSignature,
  raw: RecordSaleInput,
  now = new Date(),
): Promise<SaleOutcome> {
  const input = readSaleInput(raw, now);
  // A payment names its card in the hash only when it is not the sale's card (the hash of a one-card
  // sale is the same as before payments could name their card: retries across versions still match).
  const hashedPayments = input.payments.map(({ cardUid, ...p }) =>
    cardUid && cardUid !== input.cardUid ? { ...p, cardUid } : p,
  );
  const requestSha256 = sha256Hex(
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
  const key = await tillSessionKey(db);
  return inTransaction(db, async (trx) => {
    const { placeId, deviceId } = await verifyDeviceRequest(trx, device, Date.now(), saleLock(input.id));
    const done = await claimSale(trx, input.id, placeId, requestSha256);
    if (done) return { body: done, replayed: true };
    const session = readTillSession(key, raw.session, { placeId, deviceId });
    const cashier = session.cashierPersonId;
    const authorisation: Authorisation = { by: 'device', authoriserId: deviceId, placeId, deviceSignature: device };

    // In one round trip: the venue's clock, whether the cashier is still staff (and their staff card
    // still active), the point and the articles sold as they are now (frozen into the journal).
    const articleIds = [...new Set(input.items.map((i) => i.articleId))];
    const context = (
      await sql<{
        name: string;
        slug: string;
        timezone: string;
        day_starts_at: string | null;
        staff: boolean;
        card_held: boolean;
        payment_methods: PaymentMethod[] | null;
        articles: {
          id: string;
          name: string;
          kind: ArticleKind;
          price_cents: number | null;
          vat_rate: number;
          currency_id: string | null;
          membership_product_id: string | null;
          category_name: string | null;
        }[];
      }>`select p.name, p.slug, p.timezone, s.day_starts_at::text as day_starts_at,
        exists (select 1 from place_members m where m.place_id = p.id and m.person_id = ${cashier} and m.role in ('admin', 'cashier')) as staff,
        ${staffCardHeld(session.cardId, cashier)} as card_held,
        pt.payment_methods,
        coalesce((select json_agg(json_build_object('id', a.id, 'name', a.name, 'kind', a.kind, 'price_cents', a.price_cents, 'vat_rate', a.vat_rate,
            'currency_id', a.currency_id, 'membership_product_id', a.membership_product_id, 'category_name', c.name))
          from pos_point_articles pa join pos_articles a on a.place_id = pa.place_id and a.id = pa.article_id
          left join pos_categories c on c.place_id = a.place_id and c.id = a.category_id
          where pa.place_id = p.id and pa.point_id = ${input.pointId} and not a.archived and a.id = any(${articleIds}::uuid[])), '[]'::json) as articles
      from places p left join till_settings s on s.place_id = p.id
      left join pos_points pt on pt.place_id = p.id and pt.id = ${input.pointId} and not pt.archived
      where p.id = ${placeId}`.execute(trx)
    ).rows[0];
    // The staff card that opened the session was blocked since: the session is over (docs/TILL.md).
    if (context && !context.card_held) throw new DomainError('till-session', 401);
    if (!context?.staff) throw new DomainError('till-not-staff', 403);
    if (!context.payment_methods)
      throw new DomainError('validation', 422, {}, [{ field: 'pointId', message: 'choice' }]);
    const point = { payment_methods: context.payment_methods };
    const clock = {
      slug: context.slug,
      timezone: context.timezone,
      dayStartsAt: context.day_starts_at ?? DEFAULT_DAY_STARTS_AT,
    };
    const articles = new Map(context.articles.map((a) => [a.id, a]));

    const errors = new FieldErrors();
    const lines: (SaleItemOut & {
      vatRate: number;
      category: string | null;
      currencyId: string | null;
      productId: string | null;
    })[] = [];
    input.items.forEach((item, i) => {
      const a = articles.get(item.articleId);
      if (!a) return errors.add(`items.${i}.articleId`, 'choice');
      const price = a.price_cents === null ? null : Number(a.price_cents);
      if (price === null && item.amountCents === null) return errors.add(`items.${i}.amountCents`, 'required');
      if (price !== null && item.amountCents !== null) return errors.add(`items.${i}.amountCents`, 'till.amount-fixed');
      if (ONE_PER_LINE_KINDS.includes(a.kind) && item.quantity !== 1)
        return errors.add(`items.${i}.quantity`, 'till.quantity-one');
      const unit = price ?? item.amountCents!;
      if (COUNTER_KINDS.includes(a.kind) && unit <= 0)
        return errors.add(`items.${i}.amountCents`, 'range', { min: 1, max: MAX_AMOUNT });
      const amount = lineAmountCents(a.kind, unit, item.quantity);
      if (Math.abs(amount) > MAX_AMOUNT)
        return errors.add(`items.${i}.quantity`, 'range', { min: 1, max: MAX_QUANTITY });
      lines.push({
        articleId: a.id,
        name: a.name,
        kind: a.kind,
        quantity: item.quantity,
        unitPriceCents: unit,
        amountCents: amount,
        vatRate: a.vat_rate,
        category: a.category_name,
        currencyId: a.currency_id,
        productId: a.membership_product_id,
      });
    });
    errors.throwIfAny();
    const total = lines.reduce((n, l) => n + l.amountCents, 0);
    // A sale is one money input: its total is bounded like any amount (docs/TILL.md, "Amounts").
    if (Math.abs(total) > MAX_AMOUNT)
      throw new DomainError('validation', 422, {}, [
        { field: 'items', message: 'till.total-range', params: { max: MAX_AMOUNT } },
      ]);

    const counter = lines.filter((l) => COUNTER_KINDS.includes(l.kind));
    if (counter.length > 1) throw new DomainError('till-one-counter-article', 422);
    const paid = input.payments.reduce((n, p) => n + p.amountCents, 0);
    for (const p of input.payments) {
      if (!point.payment_methods.includes(p.method))
        throw new DomainError('till-payment-method', 422, { method: p.method });
    }
    // Money in (payments, all positive, add up to the total) or money out (cash given back = −total,
    // no payment): never both, so no payment is offset by another (docs/TILL.md, "Money given back").
    const cashBack = input.cashBackCents;
    if (cashBack !== null) {
      if (total >= 0)
        throw new DomainError('validation', 422, {}, [{ field: 'cashBackCents', message: 'till.cash-back-total' }]);
      if (cashBack !== -total) throw new DomainError('till-unbalanced', 422, { total, paid: -cashBack });
      if (!point.payment_methods.includes('cash'))
        throw new DomainError('till-payment-method', 422, { method: 'cash' });
    } else if (paid !== total) throw new DomainError('till-unbalanced', 422, { total, paid });
    const cardPaid = input.payments.filter((p) => p.method === 'card').reduce((n, p) => n + p.amountCents, 0);
    if (counter.length > 0 && cardPaid > 0) throw new DomainError('till-top-up-payment', 422);
    const methods = [...new Set(input.payments.map((p) => p.method))];
    // A top-up is minted against what was received: one method, and nothing given back in its sale.
    if (counter.some((l) => l.kind === 'top_up') && (methods.length !== 1 || lines.some((l) => l.amountCents < 0)))
      throw new DomainError('till-top-up-payment', 422);
    const changeCents = input.payments.reduce(
      (n, p) => n + (p.method === 'cash' && p.tenderedCents !== null ? p.tenderedCents - p.amountCents : 0),
      0,
    );

    // The cards: the sale's (`cardUid`, else the first card paying: the one the sale row keeps, whose
    // wallet the answer shows and that top-ups, memberships and cash-outs are for) and every card paying.
    if (input.payments.some((p) => p.method === 'card' && !p.cardUid)) throw new DomainError('till-card-required', 422);
    const payerUids = [...new Set(input.payments.flatMap((p) => (p.method === 'card' ? [p.cardUid!] : [])))];
    const saleUid = input.cardUid ?? payerUids[0] ?? null;
    const needsCard = lines.some((l) => CARD_KINDS.includes(l.kind));
    if (needsCard && !saleUid) throw new DomainError('till-card-required', 422);
    const cards = await lockCards(trx, [...new Set([...(saleUid ? [saleUid] : []), ...payerUids])]);
    const card: Card | null = saleUid ? cards.get(saleUid)! : null;
    const owner = card ? walletOwnerOf(card) : null;
    const wallet = owner ? await walletBalances(trx, owner, placeId) : [];

    // The business day the sale was made on: now, or a queued sale's time of sale. The day it is booked
    // on is decided last, under the journal's lock (a closed day books a queued sale on the next one).
    const soldOn = businessDayOf(input.soldAt ?? now, clock.timezone, clock.dayStartsAt);
    const base = { saleId: input.id, pointId: input.pointId, deviceId, cashierPersonId: cashier, businessDay: soldOn };
    const journalPayments: JournalLineInput[] = [];
    const paymentsOut: SalePaymentOut[] = [];
    const walletMoves: SaleBody['wallet'] = [];
    const otherCards: NonNullable<SaleBody['otherCards']> = [];
    // The wallet after the sale, computed from the rows read under the card's lock (and, for a card
    // payment, under the accounts' locks): the ledger writes come last, see below.
    const after = new Map(wallet.map((b) => [b.accountId, { ...b }]));
    const move = (accountId: string, delta: number) => {
      const b = after.get(accountId);
      if (b) b.balance += delta;
    };
    // The ledger writes, run once the whole sale is checked, before the venue's journal (docs/TILL.md, "Lock order").
    const ledgerWrites: (() => Promise<unknown>)[] = [];

    // Card payments: each card pays the sum of its payments (a card named twice is one debit) from its
    // wallet's usable currencies in order gift → local → federated (invariant 4), cards in the order of
    // the payments. Two cards of one holder share a wallet: what the first takes is not offered again.
    if (cardPaid > 0) {
      const dues = new Map<string, number>();
      for (const p of input.payments)
        if (p.method === 'card') dues.set(p.cardUid!, (dues.get(p.cardUid!) ?? 0) + p.amountCents);
      const wallets = new Map<string, WalletBalance[]>();
      if (owner) wallets.set(`${owner.ownerKind}:${owner.ownerRef}`, wallet);
      const taken = new Map<string, number>();
      const parts: { accountId: string; currencyId: string; code: string; amount: number; card: Card }[] = [];
      for (const [uid, due] of dues) {
        const payer = cards.get(uid)!;
        const o = walletOwnerOf(payer);
        const key = `${o.ownerKind}:${o.ownerRef}`;
        if (!wallets.has(key)) wallets.set(key, await walletBalances(trx, o, placeId));
        let left = due;
        for (const b of wallets.get(key)!) {
          if (left === 0) break;
          const free = b.usableHere ? b.available - (taken.get(b.accountId) ?? 0) : 0;
          if (free <= 0) continue;
          const amount = Math.min(left, free);
          parts.push({ accountId: b.accountId, currencyId: b.currencyId, code: b.code, amount, card: payer });
          taken.set(b.accountId, (taken.get(b.accountId) ?? 0) + amount);
          left -= amount;
        }
        if (left > 0) throw insufficientFunds(left, payer);
      }
      const specs: TransferSpec[] = [];
      for (const [i, part] of parts.entries()) {
        specs.push({
          id: derivedId(input.id, `pay:${i}`),
          phase: 'single',
          kind: 'payment',
          debitAccountId: part.accountId,
          creditAccountId: await venueAccountId(trx, part.currencyId, placeId),
          amount: part.amount,
          metadata: { sale: input.id, card: part.card.id },
        });
      }
      // Every account of the payment locked now, sorted by id (the ledger's order, so no deadlock with
      // it): the balances checked and shown are the ones the transfers will move.
      const locked = await trx
        .selectFrom('ledger_accounts')
        .select(['id', 'balance', 'pending_debits', 'floor'])
        .where('id', 'in', [...new Set(specs.flatMap((x) => [x.debitAccountId, x.creditAccountId]))])
        .orderBy('id')
        .forUpdate()
        .execute();
      const byId = new Map(locked.map((a) => [a.id, a]));
      const left = new Map(
        locked.map((a) => [a.id, Number(a.balance) - Number(a.pending_debits) - Number(a.floor ?? 0)]),
      );
      const short = new Map<Card, number>();
      for (const p of parts) {
        const free = Math.max(0, left.get(p.accountId)!);
        if (p.amount > free) short.set(p.card, (short.get(p.card) ?? 0) + p.amount - free);
        left.set(p.accountId, free - Math.min(free, p.amount));
      }
      const shortCard = [...short][0];
      if (shortCard) throw insufficientFunds(shortCard[1], shortCard[0]);
      for (const p of parts) {
        const shown = after.get(p.accountId);
        if (shown) shown.balance = Number(byId.get(p.accountId)!.balance);
      }
      for (const p of parts) move(p.accountId, -p.amount);
      // The other payers' wallets after the sale, from the same locked rows (one entry per wallet).
      const saleWallet = owner ? `${owner.ownerKind}:${owner.ownerRef}` : null;
      const shownWallets = new Set(saleWallet ? [saleWallet] : []);
      for (const uid of dues.keys()) {
        const payer = cards.get(uid)!;
        const o = walletOwnerOf(payer);
        const key = `${o.ownerKind}:${o.ownerRef}`;
        if (shownWallets.has(key)) continue;
        shownWallets.add(key);
        const list = wallets.get(key)!.map((b) => {
          const locked = byId.get(b.accountId);
          const paid = parts.filter((p) => p.accountId === b.accountId).reduce((n, p) => n + p.amount, 0);
          return { ...b, balance: (locked ? Number(locked.balance) : b.balance) - paid };
        });
        otherCards.push({ number: payer.number, balances: presentBalances(sortWallet(list)) });
      }
      ledgerWrites.push(() =>
        appendTransfers(trx, {
          specs,
          requestSha256: sha256Hex(`till-sale-payment|${requestSha256}`),
          batchId: specs.length > 1 ? specs[0]!.id : null,
          authorisation,
          // The sale's lock and replay check above already make these ids run once (claimIds would only repeat them).
          claimed: true,
        }),
      );
      parts.forEach((part, i) => {
        const transferId = specs[i]!.id;
        paymentsOut.push({ method: 'card', amountCents: part.amount, currency: part.code, transferId });
        journalPayments.push({
          ...base,
          kind: 'payment',
          amountCents: part.amount,
          paymentMethod: 'card',
          currencyCode: part.code,
          transferId,
        });
      });
    }
    for (const p of input.payments) {
      if (p.method === 'card') continue;
      paymentsOut.push({ method: p.method, amountCents: p.amountCents, currency: null, transferId: null });
      journalPayments.push({ ...base, kind: 'payment', amountCents: p.amountCents, paymentMethod: p.method });
    }
    // Cash given back: one cash line, negative (the journal's sign: − money out of the drawer).
    if (cashBack !== null) {
      paymentsOut.push({ method: 'cash', amountCents: -cashBack, currency: null, transferId: null });
      journalPayments.push({ ...base, kind: 'payment', amountCents: -cashBack, paymentMethod: 'cash' });
    }

    // Counter articles: a top-up mints against the payment taken, gift credit is given, a cash-out burns.
    const itemTransfer = new Map<number, { transferId: string; currency: string }>();
    // What the sale mints, per currency: checked against the venue's limits once the journal is locked.
    const mints = new Map<string, CounterMint>();
    for (const [index, line] of lines.entries()) {
      if (!COUNTER_KINDS.includes(line.kind)) continue;
      if (line.kind === 'cash_out') {
        // Only what this venue may pay out in cash (its federation's euro, its own local euro).
        const payable = await payableAtCounter(
          trx,
          placeId,
          wallet.map((b) => b.currencyId),
        );
        const sources = wallet
          .filter((b) => b.usableHere && payable.has(b.currencyId))
          .map((b) => ({
            accountId: b.accountId,
            currencyId: b.currencyId,
            code: b.code,
            kind: b.kind,
            euroBacked: b.euroBacked,
            available: b.available,
          }));
        const idOf = (i: number) => derivedId(input.id, `cash-out:${i}`);
        const plan = planCashOut(sources, line.unitPriceCents);
        plan.forEach((p, i) => {
          walletMoves.push({ currency: p.source.code, amount: -p.amount, transferId: idOf(i) });
          move(p.source.accountId, -p.amount);
        });
        itemTransfer.set(index, { transferId: idOf(0), currency: plan[0]!.source.code });
        ledgerWrites.push(() =>
          cashOutAtCounter(trx, {
            idOf,
            amount: line.unitPriceCents,
            reference: `till:${input.id}:${index}`,
            placeId,
            authorisation,
            sources,
          }),
        );
        continue;
      }
      const currency = await getCurrencyById(trx, line.currencyId!);
      if (line.kind === 'top_up' ? !currency.euroBacked : currency.kind !== 'gift')
        throw new DomainError('till-currency-not-accepted', 403, { currency: currency.code });
      const provider = methods[0] === 'bank_card' ? ('card_terminal' as const) : ('cash' as const);
      const accountId = await walletAccountId(trx, currency.id, owner!);
      const transferId = derivedId(input.id, 'mint');
      const mint = mints.get(currency.id) ?? { currencyId: currency.id, code: currency.code, lines: [] };
      mint.lines.push(line.unitPriceCents);
      mints.set(currency.id, mint);
      walletMoves.push({ currency: currency.code, amount: line.unitPriceCents, transferId });
      if (after.has(accountId)) move(accountId, line.unitPriceCents);
      else
        after.set(accountId, {
          accountId,
          currencyId: currency.id,
          code: currency.code,
          name: currency.name,
          kind: currency.kind,
          decimals: currency.decimals,
          euroBacked: currency.euroBacked,
          issuerPlaceId: currency.issuerPlaceId,
          balance: line.unitPriceCents,
          available: line.unitPriceCents,
          usableHere: true,
        });
      itemTransfer.set(index, { transferId, currency: currency.code });
      ledgerWrites.push(() =>
        mintAtCounter(trx, {
          id: transferId,
          currency,
          accountId,
          amount: line.unitPriceCents,
          placeId,
          deviceId,
          cashierPersonId: cashier,
          authorisation,
          metadata: { sale: input.id },
          payment: line.kind === 'top_up' ? { provider, reference: `till:${input.id}:${index}` } : null,
        }),
      );
    }

    // A membership sold to the card's holder, written by the memberships module in this transaction.
    let membership: SaleBody['membership'] = null;
    for (const line of lines) {
      if (line.kind !== 'membership') continue;
      if (!card!.personId) throw new DomainError('till-membership-needs-holder', 422);
      const product = await findProduct(trx, placeId, line.productId!);
      if (!product) throw new DomainError('validation', 422, {}, [{ field: 'items', message: 'choice' }]);
      const place = await getPlaceBySlug(trx, clock.slug);
      const id = await insertMembership(trx, place, product, {
        personId: card!.personId,
        startsOn: soldOn,
        status: 'active',
        amountCents: line.amountCents,
        method: 'till',
        note: `till:${input.id}`,
        createdBy: cashier,
        paymentId: null,
      });
      const row = await trx
        .selectFrom('memberships')
        .select('ends_on')
        .where('place_id', '=', placeId)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      membership = { id, product: product.name, endsOn: row.ends_on };
    }

    // The ledger first: it locks only accounts (the wallet's are already held). The venue's journal
    // lock, shared by all its tills, is taken last so it is held only for the last statements and the commit.
    for (const write of ledgerWrites) await write();
    // A closed point and day takes no more live sales (docs/CLOSURES.md): 409. A sale queued offline is
    // booked on its day, or, closed, on the point's next open day with a late mark (docs/TILL.md).
    // Either way this takes the venue's journal lock.
    const { head, businessDay, lateFromDay } = input.soldAt
      ? await openDayFor(trx, placeId, input.pointId, soldOn)
      : { head: await assertDayOpen(trx, placeId, input.pointId, soldOn), businessDay: soldOn, lateFromDay: null };
    // The venue's top-up limits, under the card's and the journal's locks (docs/TILL.md, "Counter top-ups").
    await assertTopUpLimits(trx, { placeId, businessDay, cardId: card?.id ?? null, mints: [...mints.values()] });
    const body: SaleBody = {
      sale: {
        id: input.id,
        totalCents: total,
        businessDay,
        reversesSaleId: null,
        createdAt: now.toISOString(),
        ...(input.soldAt ? { soldAt: input.soldAt.toISOString() } : {}),
        ...(lateFromDay ? { lateFromDay } : {}),
      },
      items: lines.map((l) => ({
        articleId: l.articleId,
        name: l.name,
        kind: l.kind,
        quantity: l.quantity,
        unitPriceCents: l.unitPriceCents,
        amountCents: l.amountCents,
      })),
      payments: paymentsOut,
      card: card ? { number: card.number, linked: card.personId !== null } : null,
      balances: presentBalances(sortWallet([...after.values()])),
      changeCents,
      membership,
      wallet: walletMoves,
      ...(otherCards.length > 0 ? { otherCards } : {}),
    };
    const sale = {
      id: input.id,
      place_id: placeId,
      point_id: input.pointId,
      device_id: deviceId,
      cashier_person_id: cashier,
      request_sha256: requestSha256,
      card_id: card?.id ?? null,
      person_id: card?.personId ?? null,
      total_cents: total,
      reverses_sale_id: null,
      business_day: businessDay,
      result: JSON.stringify(body),
      created_at: now,
      sold_at: input.soldAt,
      late_from_day: lateFromDay,
    };
    const journal: JournalLineInput[] = lines.map((l, index) => ({
      ...base,
      kind: 'item',
      articleId: l.articleId,
      articleName: l.name,
      articleKind: l.kind,
      categoryName: l.category,
      quantity: l.quantity,
      unitPriceCents: l.unitPriceCents,
      vatRate: l.vatRate,
      amountCents: l.amountCents,
      currencyCode: itemTransfer.get(index)?.currency ?? null,
      transferId: itemTransfer.get(index)?.transferId ?? null,
    }));
    const booked = { businessDay, soldAt: input.soldAt, lateFromDay };
    await appendJournal(
      trx,
      placeId,
      [...journal, ...journalPayments].map((l) => ({ ...l, ...booked })),
      now,
      { head, sale },
    );
    return { body, replayed: false };
  });
}
