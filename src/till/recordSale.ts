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
import { appendTransfers, type AdvisoryLocks, type Authorisation } from '../ledger/engine.ts';
import { cashOutAtCounter, payableAtCounter } from '../ledger/cashOutAtCounter.ts';
import { getCurrencyById, type Currency } from '../ledger/ledger.ts';
import { MAX_AMOUNT_MINOR as MAX_AMOUNT } from '../shared/money.ts';
import { mintAtCounter } from '../ledger/mintAtCounter.ts';
import type { DeviceSignature } from '../ledger/tables.ts';
import { insertMembership } from '../memberships/addMembership.ts';
import { findProduct, type MembershipProduct } from '../memberships/products.ts';
import { getPlaceBySlug } from '../places/places.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { businessDayOf, DEFAULT_DAY_STARTS_AT } from './businessDay.ts';
import { cardBlocked, cardUnknown, isStaff } from './cardAccess.ts';
import { derivedId } from './derivedId.ts';
import { appendJournal, type JournalLineInput } from './journal.ts';
import { assertDayOpen, openDayFor } from './closeDay.ts';
import type { SaleBody, SaleOutcome } from './sales.ts';
import { presentBalances } from './sales.ts';
import { PAYMENT_METHODS, type ArticleKind, type PaymentMethod } from './tables.ts';
import { readTillSession, tillSessionKey, type TillSession } from './tillSession.ts';
import { assertTopUpLimits } from './topUpLimits.ts';
import {
  MAX_QUANTITY,
  planCardPayments,
  planSale,
  priceSale,
  walletKey,
  type LockedAccount,
  type SaleArticle,
  type SaleItemIn,
  type SalePaymentIn,
} from './planSale.ts';
import type { NodeKey } from '../ledger/nodeKey.ts';
import { venueAccountId, walletAccountId, walletBalances, type WalletBalance } from './wallet.ts';

export { MAX_QUANTITY };

export const MAX_ITEMS = 100;
export const MAX_PAYMENTS = 10;
/** Different cards paying one sale (a short card and one or two others: docs/TILL.md, "Split"). */
export const MAX_CARDS = 3;

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

type ItemIn = SaleItemIn;
type PaymentIn = SalePaymentIn;

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

/** Space of the sales' idempotency locks. */
const SALE_LOCKS = 7265101;

/** The sale's idempotency lock, taken by the device check's statement (verifyDeviceRequest): one round trip fewer. */
export const saleLock = (id: string): AdvisoryLocks => ({ space: SALE_LOCKS, keys: [id] });

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
    const body = await applySale(trx, { input, session, device, placeId, deviceId, requestSha256, now });
    return { body, replayed: false };
  });
}

interface SaleContext {
  input: ReturnType<typeof readSaleInput>;
  session: TillSession;
  device: DeviceSignature;
  placeId: string;
  deviceId: string;
  requestSha256: string;
  now: Date;
}

/**
 * Reads what the sale's rules need, in the lock order of docs/TILL.md (the sale's lock is held already;
 * then the cards by id, the card payment's accounts by id), asks `planSale` (planSale.ts: the rules,
 * pure) for the plan or the refusal, and writes it: membership, ledger, then under the venue's journal
 * lock (taken last) the day's check, the top-up limits, the sale row and its journal lines.
 */
async function applySale(trx: Trx, ctx: SaleContext): Promise<SaleBody> {
  const { input, session, placeId, deviceId, now } = ctx;
  const cashier = session.cashierPersonId;
  const authorisation: Authorisation = {
    by: 'device',
    authoriserId: deviceId,
    placeId,
    deviceSignature: ctx.device,
  };
  const context = await readSaleContext(trx, input, session, placeId);
  const clock = {
    slug: context.slug,
    timezone: context.timezone,
    dayStartsAt: context.day_starts_at ?? DEFAULT_DAY_STARTS_AT,
  };
  const paymentMethods = context.payment_methods!;
  const articles = new Map(
    context.articles.map((a): [string, SaleArticle] => [
      a.id,
      {
        id: a.id,
        name: a.name,
        kind: a.kind,
        priceCents: a.price_cents === null ? null : Number(a.price_cents),
        vatRate: a.vat_rate,
        currencyId: a.currency_id,
        membershipProductId: a.membership_product_id,
        categoryName: a.category_name,
      },
    ]),
  );
  // The rules that need no card first: which cards the sale names.
  const priced = priceSale(input, { paymentMethods, articles });
  const { saleUid, payerUids } = priced;
  const cards = await lockCards(trx, [...new Set([...(saleUid ? [saleUid] : []), ...payerUids])]);
  const card: Card | null = saleUid ? cards.get(saleUid)! : null;
  const owner = card ? walletOwnerOf(card) : null;
  // The wallets of the sale's card and of every card paying (read under the cards' locks).
  const wallets = new Map<string, WalletBalance[]>();
  for (const c of [...(card ? [card] : []), ...payerUids.map((uid) => cards.get(uid)!)])
    if (!wallets.has(walletKey(c))) wallets.set(walletKey(c), await walletBalances(trx, walletOwnerOf(c), placeId));
  const wallet = card ? wallets.get(walletKey(card))! : [];

  // A card payment's accounts, wallets' and venue's, locked sorted by id (the ledger's order, so no
  // deadlock with it): the balances checked and shown are the ones the transfers will move.
  const venueAccounts = new Map<string, string>();
  const lockedAccounts = new Map<string, LockedAccount>();
  if (priced.cardPaid > 0) {
    const parts = planCardPayments(input, cards, wallets);
    for (const p of parts)
      if (!venueAccounts.has(p.currencyId))
        venueAccounts.set(p.currencyId, await venueAccountId(trx, p.currencyId, placeId));
    const locked = await trx
      .selectFrom('ledger_accounts')
      .select(['id', 'balance', 'pending_debits', 'floor'])
      .where('id', 'in', [...new Set([...parts.map((p) => p.accountId), ...venueAccounts.values()])])
      .orderBy('id')
      .forUpdate()
      .execute();
    for (const a of locked)
      lockedAccounts.set(a.id, {
        balance: Number(a.balance),
        available: Number(a.balance) - Number(a.pending_debits) - Number(a.floor ?? 0),
      });
  }
  // What a cash-out may burn, a top-up or gift credit mints to, a membership sells.
  const kinds = new Set(priced.lines.map((l) => l.kind));
  const payable = kinds.has('cash_out')
    ? await payableAtCounter(
        trx,
        placeId,
        wallet.map((b) => b.currencyId),
      )
    : new Set<string>();
  const currencies = new Map<string, Currency>();
  const mintAccounts = new Map<string, string>();
  const products = new Map<string, MembershipProduct | null>();
  for (const line of priced.lines) {
    if ((line.kind === 'top_up' || line.kind === 'gift_top_up') && !currencies.has(line.currencyId!)) {
      const currency = await getCurrencyById(trx, line.currencyId!);
      currencies.set(currency.id, currency);
      mintAccounts.set(currency.id, await walletAccountId(trx, currency.id, owner!));
    }
    if (line.kind === 'membership' && !products.has(line.productId!))
      products.set(line.productId!, await findProduct(trx, placeId, line.productId!));
  }
  const plan = planSale(input, {
    paymentMethods,
    articles,
    cards,
    wallets,
    venueAccounts,
    lockedAccounts,
    payable,
    currencies,
    mintAccounts,
    products,
  });

  // The business day the sale was made on: now, or a queued sale's time of sale. The day it is booked
  // on is decided last, under the journal's lock (a closed day books a queued sale on the next one).
  const soldOn = businessDayOf(input.soldAt ?? now, clock.timezone, clock.dayStartsAt);

  // A membership sold to the card's holder, written by the memberships module in this transaction.
  let membership: SaleBody['membership'] = null;
  for (const { line, product } of plan.memberships) {
    const place = await getPlaceBySlug(trx, clock.slug);
    const id = await insertMembership(trx, place, product, {
      personId: card!.personId!,
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
  if (plan.cardTransfers.length > 0)
    await appendTransfers(trx, {
      specs: plan.cardTransfers,
      requestSha256: sha256Hex(`till-sale-payment|${ctx.requestSha256}`),
      batchId: plan.cardTransfers.length > 1 ? plan.cardTransfers[0]!.id : null,
      authorisation,
      // The sale's lock and replay check above already make these ids run once (claimIds would only repeat them).
      claimed: true,
    });
  if (plan.cashOut) {
    await cashOutAtCounter(trx, {
      idOf: (i) => derivedId(input.id, `cash-out:${i}`),
      amount: plan.cashOut.amount,
      reference: plan.cashOut.reference,
      placeId,
      authorisation,
      sources: plan.cashOut.sources,
    });
  }
  for (const mint of plan.mints)
    await mintAtCounter(trx, {
      id: mint.id,
      currency: mint.currency,
      accountId: mint.accountId,
      amount: mint.amount,
      placeId,
      deviceId,
      cashierPersonId: cashier,
      authorisation,
      metadata: { sale: input.id },
      payment: mint.payment,
    });
  // A closed point and day takes no more live sales (docs/CLOSURES.md): 409. A sale queued offline is
  // booked on its day, or, closed, on the point's next open day with a late mark (docs/TILL.md).
  // Either way this takes the venue's journal lock.
  const { head, businessDay, lateFromDay } = input.soldAt
    ? await openDayFor(trx, placeId, input.pointId, soldOn)
    : { head: await assertDayOpen(trx, placeId, input.pointId, soldOn), businessDay: soldOn, lateFromDay: null };
  // The venue's top-up limits, under the card's and the journal's locks (docs/TILL.md, "Counter top-ups").
  await assertTopUpLimits(trx, { placeId, businessDay, cardId: card?.id ?? null, mints: plan.counterMints });
  const body: SaleBody = {
    sale: {
      id: input.id,
      totalCents: plan.total,
      businessDay,
      reversesSaleId: null,
      createdAt: now.toISOString(),
      ...(input.soldAt ? { soldAt: input.soldAt.toISOString() } : {}),
      ...(lateFromDay ? { lateFromDay } : {}),
    },
    items: plan.lines.map((l) => ({
      articleId: l.articleId,
      name: l.name,
      kind: l.kind,
      quantity: l.quantity,
      unitPriceCents: l.unitPriceCents,
      amountCents: l.amountCents,
    })),
    payments: plan.payments,
    card: card ? { number: card.number, linked: card.personId !== null } : null,
    balances: presentBalances(plan.balancesAfter),
    changeCents: plan.changeCents,
    membership,
    wallet: plan.walletMoves,
    ...(plan.otherCards.length > 0 ? { otherCards: plan.otherCards } : {}),
  };
  const sale = {
    id: input.id,
    place_id: placeId,
    point_id: input.pointId,
    device_id: deviceId,
    cashier_person_id: cashier,
    request_sha256: ctx.requestSha256,
    card_id: card?.id ?? null,
    person_id: card?.personId ?? null,
    total_cents: plan.total,
    reverses_sale_id: null,
    business_day: businessDay,
    result: JSON.stringify(body),
    created_at: now,
    sold_at: input.soldAt,
    late_from_day: lateFromDay,
  };
  const base = { saleId: input.id, pointId: input.pointId, deviceId, cashierPersonId: cashier, businessDay: soldOn };
  const journal: JournalLineInput[] = plan.lines.map((l, index) => ({
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
    currencyCode: plan.itemTransfers.get(index)?.currency ?? null,
    transferId: plan.itemTransfers.get(index)?.transferId ?? null,
  }));
  // The payment lines as answered: a card's with its currency and transfer, the cash given back negative.
  const journalPayments: JournalLineInput[] = plan.payments.map((p) => ({
    ...base,
    kind: 'payment',
    amountCents: p.amountCents,
    paymentMethod: p.method,
    ...(p.currency !== null ? { currencyCode: p.currency, transferId: p.transferId } : {}),
  }));
  const booked = { businessDay, soldAt: input.soldAt, lateFromDay };
  await appendJournal(
    trx,
    placeId,
    [...journal, ...journalPayments].map((l) => ({ ...l, ...booked })),
    now,
    { head, sale },
  );
  return body;
}

/**
 * In one round trip: the venue's clock, whether the cashier is still staff (and their staff card still
 * active), the point and the articles sold as they are now (frozen into the journal).
 */
async function readSaleContext(
  trx: Trx,
  input: ReturnType<typeof readSaleInput>,
  session: TillSession,
  placeId: string,
) {
  const cashier = session.cashierPersonId;
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
  if (!context.payment_methods) throw new DomainError('validation', 422, {}, [{ field: 'pointId', message: 'choice' }]);
  return context;
}
