/**
 * A sale's reads and writes (docs/TILL.md, "Plan and apply"): `applySale` reads the facts the sale's
 * rules need in the documented lock order, asks `planSale` (planSale.ts, pure) for the plan or the
 * refusal, and only writes. Called by `recordSale` inside the sale's transaction, once the device's
 * signature is checked, the sale's lock held and the sale found new.
 */
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { lockCardsByUid, staffCardHeld, walletOwnerOf, type Card } from '../cards/index.ts';
import {
  sha256Hex,
  appendTransfers,
  type Authorisation,
  cashOutAtCounter,
  payableAtCounter,
  getCurrencyById,
  type Currency,
  mintAtCounter,
  type DeviceSignature,
} from '../ledger/index.ts';
import { insertMembership, findProduct, type MembershipProduct } from '../memberships/index.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { DomainError } from '../shared/errors.ts';
import { businessDayOf, DEFAULT_DAY_STARTS_AT } from './businessDay.ts';
import { cardBlocked, cardUnknown } from './cardAccess.ts';
import { assertDayOpen, openDayFor } from './closeDay.ts';
import { derivedId } from './derivedId.ts';
import { appendJournal, type JournalLineInput } from './journal.ts';
import {
  planCardPayments,
  planSale,
  priceSale,
  walletKey,
  type LockedAccount,
  type SaleArticle,
  type SaleFacts,
  type SalePlan,
  type SaleRequest,
} from './planSale.ts';
import { presentBalances, type SaleBody } from './sales.ts';
import type { ArticleKind, PaymentMethod } from './tables.ts';
import type { TillSession } from './tillSession.ts';
import { assertTopUpLimits } from './topUpLimits.ts';
import { venueAccountId, walletAccountId, walletBalances, type WalletBalance } from './wallet.ts';
import { lockAccountBalances } from '../ledger/index.ts';
import { findMembership } from '../memberships/index.ts';

/** A sale as `readSaleInput` returns it. */
export interface SaleInput extends SaleRequest {
  pointId: string;
  /** A sale the till queued offline: its time of sale (docs/TILL.md, "Offline sales"). */
  soldAt: Date | null;
}

export interface SaleContext {
  input: SaleInput;
  session: TillSession;
  device: DeviceSignature;
  placeId: string;
  deviceId: string;
  requestSha256: string;
  now: Date;
}

/** The venue's clock: a sale's business day. */
interface SaleClock {
  slug: string;
  timezone: string;
  dayStartsAt: string;
}

/**
 * Reads what the sale's rules need, in the lock order of docs/TILL.md (the sale's lock is held already;
 * then the cards by id, the card payment's accounts by id), asks `planSale` for the plan or the
 * refusal, and writes it: membership, ledger, then under the venue's journal lock (taken last) the
 * day's check, the top-up limits, the sale row and its journal lines.
 */
export async function applySale(trx: Trx, ctx: SaleContext): Promise<SaleBody> {
  const { facts, clock } = await readSaleFacts(trx, ctx);
  const plan = planSale(ctx.input, facts);
  return writeSale(trx, ctx, plan, clock);
}

/**
 * The facts of a sale, read in lock order. `priceSale` (the rules that need no card) says which cards
 * to lock, `planCardPayments` which accounts: a sale refused by them reads nothing further.
 */
async function readSaleFacts(trx: Trx, ctx: SaleContext): Promise<{ facts: SaleFacts; clock: SaleClock }> {
  const { input, session, placeId } = ctx;
  const context = await readSaleContext(trx, input, session, placeId);
  const clock: SaleClock = {
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
    const locked = await lockAccountBalances(trx, [...parts.map((p) => p.accountId), ...venueAccounts.values()]);
    for (const [id, a] of locked) lockedAccounts.set(id, a);
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
  return {
    facts: {
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
    },
    clock,
  };
}

/** Writes a planned sale: membership, ledger, then under the venue's journal lock the day, the limits, the sale and its journal. */
async function writeSale(trx: Trx, ctx: SaleContext, plan: SalePlan, clock: SaleClock): Promise<SaleBody> {
  const { input, session, placeId, deviceId, now } = ctx;
  const cashier = session.cashierPersonId;
  const card = plan.card;
  const authorisation: Authorisation = {
    by: 'device',
    authoriserId: deviceId,
    placeId,
    deviceSignature: ctx.device,
  };
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
    const sold = await findMembership(trx, placeId, id);
    if (!sold) throw new Error(`membership ${id} vanished after insert`);
    membership = { id, product: product.name, endsOn: sold.endsOn };
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
async function readSaleContext(trx: Trx, input: SaleInput, session: TillSession, placeId: string) {
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
