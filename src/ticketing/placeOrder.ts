import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { takeLocks } from '../db/locks.ts';
import { translate, type Language } from '../i18n/i18n.ts';
import type { Actor } from '../access/actor.ts';
import { isEmail } from '../config.ts';
import { queueMail } from '../mail/index.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { MAX_AMOUNT_MINOR, parseEuros } from '../shared/money.ts';
import { hitRateLimits, TooManyRequests } from '../shared/rateLimits.ts';
import { hashToken, randomToken } from '../shared/secrets.ts';
import { validMembershipsOf, today } from '../memberships/index.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
import { settleUnconfirmedHolds } from './settleUnconfirmedHolds.ts';
import type { Holding, Shortage } from './seats.ts';
import { newHoldIds, writeHold, type NewHold } from './insertHold.ts';
import { heldBy, readForOrder } from './readForOrder.ts';
import { checkAnswers, type AnswerInput, type OrderSeat } from './questions.ts';

/** Lines of one order at most: bounded work per request. */
export const MAX_LINES = 20;

export interface OrderLineInput {
  priceId: unknown;
  eventDateId: unknown;
  quantity: unknown;
  /** Pay-what-you-want: the amount per ticket, euros as typed or cents. */
  amount?: unknown;
}

export interface PlaceOrderInput {
  slug: string;
  email: unknown;
  name?: unknown;
  language: Language;
  lines: OrderLineInput[];
  promoCode?: unknown;
  /** Answers to the events' checkout questions (questions.ts). */
  answers?: AnswerInput[];
  /** The client's address (HTTP): orders without an account are counted per address (invariant 20). */
  clientAddress?: string | null;
  /**
   * Whether the venue's money can be taken online now (payments' `canTakePayments`): an order that
   * needs money it cannot take is refused before it holds anything (docs/PAYMENTS.md, "Prices nobody
   * can pay"). Absent: not checked (the caller pays otherwise).
   */
  canTakePayments?: (placeId: string) => Promise<boolean>;
}

/** The window of the order limits per client and per e-mail address (invariant 20). */
export const ORDER_LIMIT_WINDOW_MINUTES = 15;

export interface PlacedOrder {
  id: string;
  reference: string;
  status: 'pending';
  totalCents: number;
  expiresAt: Date;
  /** True for a free booking: confirmed by the link mailed to the address. */
  needsMailConfirmation: boolean;
  /** What paying it needs (payOrder), known here: no need to read it again. */
  placeId: string;
  placeName: string;
  personId: string | null;
  email: string;
  language: Language;
}

function refused(code: string, status: number, params: Record<string, string | number> = {}): never {
  throw new DomainError(code, status, params);
}

/**
 * Takes seats for a buyer and holds them for `checkoutHoldMinutes` (`bookingHoldMinutes` for a free
 * booking): the order is `pending` until it is paid (paid orders) or confirmed by mail (free bookings).
 * Without an account, its seats count in the date's unconfirmed share until then (invariant 21).
 * Every scarce counter is taken under its row lock by the statement that writes the order, its lines,
 * answers and audit entry — all or nothing (seats.ts, takeSeats; docs/TICKETING.md) — so concurrent
 * buyers can never take more than there is. Round trips, the capacity row being the hot spot of a sale:
 * - one unlocked read of everything the checks need (readForOrder); a date sold out as read, with no
 *   hold on it run out, is refused there (409, nothing else is done);
 * - one statement that counts the order against the limits per client and per e-mail address
 *   (invariant 20; 429 beyond them, nothing else written);
 * - one statement that takes the counters and writes the order, which is its own transaction; only
 *   per-person limits (their lock, then the count, then the write) and free bookings (their mail
 *   with the order) open a transaction around it;
 * - when the counters are short, the holds of these dates that ran out are released (and the paid
 *   seats of their unconfirmed share settled), in transactions of their own, and the order tried
 *   once more (invariant 4: never "sold out" while an expired hold keeps seats).
 * It opens its own transactions (the lock order forbids releasing and taking in one): never call it
 * inside one.
 */
export async function placeOrder(
  db: Db,
  config: Config,
  actor: Actor | null,
  input: PlaceOrderInput,
): Promise<PlacedOrder> {
  if (db.isTransaction) throw new Error('placeOrder opens its own transactions (docs/TICKETING.md, "Lock order")');
  const errors = new FieldErrors();
  const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : '';
  if (!email) errors.add('email', 'required');
  else if (!isEmail(email)) errors.add('email', 'email');
  const name = typeof input.name === 'string' ? input.name.trim().slice(0, 100) : '';
  if (!Array.isArray(input.lines) || input.lines.length === 0) errors.add('lines', 'choose-places');
  else if (input.lines.length > MAX_LINES) errors.add('lines', 'too-many');
  const lines = (Array.isArray(input.lines) ? input.lines.slice(0, MAX_LINES) : []).map((l, i) => {
    const quantity =
      typeof l.quantity === 'number'
        ? l.quantity
        : typeof l.quantity === 'string' && /^\d{1,3}$/.test(l.quantity)
          ? Number(l.quantity)
          : NaN;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 100) errors.add(`lines.${i}.quantity`, 'quantity');
    if (typeof l.priceId !== 'string' || !isUuid(l.priceId)) errors.add(`lines.${i}.priceId`, 'choice');
    if (typeof l.eventDateId !== 'string' || !isUuid(l.eventDateId)) errors.add(`lines.${i}.eventDateId`, 'choice');
    const given = l.amount !== undefined && l.amount !== '';
    const amount = !given
      ? null
      : typeof l.amount === 'number'
        ? l.amount
        : typeof l.amount === 'string'
          ? parseEuros(l.amount)
          : null;
    if (given && (amount === null || !Number.isSafeInteger(amount) || amount < 0))
      errors.add(`lines.${i}.amount`, 'amount');
    else if (given && amount! > MAX_AMOUNT_MINOR)
      errors.add(`lines.${i}.amount`, 'amount-too-large', { max: MAX_AMOUNT_MINOR / 100 });
    return { priceId: String(l.priceId), eventDateId: String(l.eventDateId), quantity, amount };
  });
  const promoCode = typeof input.promoCode === 'string' ? input.promoCode.trim().toUpperCase() : '';
  if (promoCode && !/^[A-Z0-9-]{3,40}$/.test(promoCode)) errors.add('promoCode', 'promo-unknown');
  if (input.answers !== undefined && (!Array.isArray(input.answers) || input.answers.length > 1000))
    errors.add('answers', 'too-many');
  // Without valid lines nothing can be priced; otherwise the address is checked with the answers,
  // so the form shows every mistake at once.
  if (errors.list.some((e) => e.field !== 'email')) errors.throwIfAny();
  const personId = actor?.kind === 'person' ? actor.personId : null;
  const dateIds = [...new Set(lines.map((l) => l.eventDateId))];
  const priceIds = [...new Set(lines.map((l) => l.priceId))];

  // Everything the checks need, in one round trip and without a transaction (each statement reads
  // committed data; nothing here is locked, and the seats are counted again under their locks).
  const ctx = await readForOrder(db, input.slug, dateIds, priceIds, promoCode);
  if (!ctx) throw notFound('place');
  const { place, prices, dates } = ctx;
  const now = new Date();
  const holding: Holding = {
    placeId: place.id,
    perDate: new Map(),
    perPrice: new Map(),
    promoCodeId: null,
    // Without an account, its seats count as unconfirmed until paid or confirmed (invariant 21).
    unconfirmed: personId ? null : { percent: config.unconfirmedHoldPercent },
  };
  const priced: {
    id: string;
    priceId: string;
    eventId: string;
    eventDateId: string;
    quantity: number;
    unitCents: number;
    vatBp: number;
    priceRevision: number;
  }[] = [];
  const perEvent = new Map<string, number>();
  for (const [i, line] of lines.entries()) {
    const price = prices.find((p) => p.id === line.priceId);
    const date = dates.find((d) => d.id === line.eventDateId);
    if (
      !price ||
      !price.active ||
      !date ||
      date.event_id !== price.event_id ||
      (price.event_date_id && price.event_date_id !== date.id)
    ) {
      throw new DomainError('validation', 422, {}, [{ field: `lines.${i}.priceId`, message: 'choice' }]);
    }
    if (date.state !== 'published' || date.visibility === 'private')
      refused('event-not-on-sale', 409, { event: date.title });
    if (
      (price.sales_open_at && now < price.sales_open_at) ||
      (price.sales_close_at && now >= price.sales_close_at) ||
      date.starts_at < now
    ) {
      refused('sales-closed', 409, { price: price.name });
    }
    if (line.quantity > price.per_order_limit)
      throw new DomainError('validation', 422, {}, [
        { field: `lines.${i}.quantity`, message: 'per-order-limit', params: { max: price.per_order_limit } },
      ]);
    let unitCents = price.price_cents;
    if (price.kind === 'free') unitCents = 0;
    if (price.kind === 'pay_what_you_want') {
      if (line.amount === null || line.amount < price.min_price_cents) {
        throw new DomainError('validation', 422, {}, [
          {
            field: `lines.${i}.amount`,
            message: 'below-minimum',
            params: { min: (price.min_price_cents / 100).toFixed(2) },
          },
        ]);
      }
      unitCents = line.amount;
    }
    if (price.kind === 'member_only') {
      if (!personId) refused('membership-required', 403, { price: price.name });
      const allowed = price.member_place_ids.length > 0 ? price.member_place_ids : [place.id];
      const valid = await validMembershipsOf(db, personId!, today(place.timezone, date.starts_at), allowed);
      if (valid.length === 0) refused('membership-required', 403, { price: price.name });
    }
    priced.push({
      id: uuidv7(),
      priceId: price.id,
      eventId: price.event_id,
      eventDateId: date.id,
      quantity: line.quantity,
      unitCents,
      vatBp: price.vat_rate_bp,
      priceRevision: price.revision,
    });
    holding.perDate.set(date.id, (holding.perDate.get(date.id) ?? 0) + line.quantity);
    holding.perPrice.set(price.id, (holding.perPrice.get(price.id) ?? 0) + line.quantity);
    perEvent.set(price.event_id, (perEvent.get(price.event_id) ?? 0) + line.quantity);
  }

  // Checkout questions: answers checked against the questions as read above; they are written by
  // the statement that writes the order (invariant 14).
  const seats: OrderSeat[] = [];
  for (const l of priced)
    for (let rank = 0; rank < l.quantity; rank++)
      seats.push({ index: seats.length, eventId: l.eventId, lineId: l.id, rank });
  const answers = checkAnswers(
    ctx.questions.filter((q) => perEvent.has(q.eventId)),
    input.answers ?? [],
    seats,
    errors,
  );
  errors.throwIfAny();

  const limited = prices.filter((p) => p.per_person_limit !== null && holding.perPrice.has(p.id));
  const code = promoCode ? ctx.promos.find((c) => perEvent.has(c.event_id)) : undefined;
  const discountFor = (l: (typeof priced)[number]): number => {
    if (!code || l.eventId !== code.event_id || (code.price_id && code.price_id !== l.priceId)) return 0;
    const per =
      code.percent_off !== null
        ? Math.floor((l.unitCents * code.percent_off) / 100)
        : Math.min(code.amount_off_cents!, l.unitCents);
    return per * l.quantity;
  };
  const total = priced.reduce((sum, l) => sum + l.unitCents * l.quantity - discountFor(l), 0);
  // Each amount is bounded, and so is what they make together (invariant 19).
  if (total > MAX_AMOUNT_MINOR)
    throw new DomainError('validation', 422, {}, [
      { field: 'lines', message: 'total-too-large', params: { max: MAX_AMOUNT_MINOR / 100 } },
    ]);
  // Money nobody can take: refused before any seat is held.
  if (total > 0 && input.canTakePayments && !(await input.canTakePayments(place.id)))
    refused('payments-not-set-up', 409);

  // Promo code (invariant 2): its use is taken with the seats, under its row lock.
  if (promoCode) {
    if (!code) throw new DomainError('validation', 422, {}, [{ field: 'promoCode', message: 'promo-unknown' }]);
    holding.promoCodeId = code.id;
  }
  // Used up or sold out as read (no lock, no transaction) while no hold on these dates has run out:
  // refused at once. Otherwise the counters decide, under their locks.
  const promoLooksUsed = code !== undefined && code.max_uses !== null && code.used >= code.max_uses;
  const seatsLookShort =
    [...holding.perDate].some(([id, n]) => {
      const c = ctx.capacity.find((x) => x.id === id);
      return c !== undefined && c.taken + n > c.capacity;
    }) ||
    [...holding.perPrice].some(([id, n]) => {
      const p = prices.find((x) => x.id === id)!;
      return p.stock !== null && p.taken + n > p.stock;
    });
  const unconfirmedLooksFull =
    holding.unconfirmed != null &&
    [...holding.perDate].some(([id, n]) => {
      const c = ctx.capacity.find((x) => x.id === id);
      return c !== undefined && c.held_unconfirmed + n > Math.ceil((c.capacity * holding.unconfirmed!.percent) / 100);
    });
  if (!ctx.expiredHolds && promoLooksUsed) refused('promo-used-up', 409, { code: promoCode });
  if (!ctx.expiredHolds && seatsLookShort) refused('sold-out', 409);
  if (!ctx.expiredHolds && !ctx.unconfirmedToSettle && unconfirmedLooksFull)
    await refuseUnconfirmed(db, place.id, dateIds);

  // Invariant 20: counted before anything is written, in the database (every process shares it).
  const verdict = await hitRateLimits(
    db,
    [
      ...(personId === null && input.clientAddress
        ? [{ scope: 'orders.client', key: input.clientAddress, max: config.ordersPerClient }]
        : []),
      { scope: 'orders.email', key: email, max: config.ordersPerEmail },
    ].map((r) => ({ ...r, windowSeconds: ORDER_LIMIT_WINDOW_MINUTES * 60 })),
  );
  if (!verdict.allowed) throw new TooManyRequests('too-many-orders', verdict.retryAfterSeconds);

  // A free booking holds its seats only until its mailed link can be opened (invariant 7).
  const holdMinutes = total === 0 ? config.bookingHoldMinutes : config.checkoutHoldMinutes;
  const take = async (q: Db): Promise<PlacedOrder> => {
    const confirmToken = total === 0 ? randomToken() : null;
    const hold: NewHold = {
      placeId: place.id,
      personId,
      email,
      name,
      language: input.language,
      promoCodeId: holding.promoCodeId,
      unconfirmed: holding.unconfirmed ?? null,
      holdMinutes,
      confirmTokenHash: confirmToken ? hashToken(confirmToken) : null,
      answers,
      actor,
      lines: priced.map((l) => ({ ...l, discountCents: discountFor(l) })),
      beforeTaking: async ({ reference }) => {
        if (!confirmToken) return;
        const link = `${config.baseUrl}/orders/confirm/${confirmToken}`;
        const params = { place: place.name, link, minutes: holdMinutes, reference };
        await queueMail(
          q,
          {
            to: email,
            language: input.language,
            subject: translate(input.language, 'mail.booking.subject', params),
            text: translate(input.language, 'mail.booking.text', params),
          },
          Boolean(config.smtpUrl),
        );
      },
    };
    const ids = newHoldIds();
    await hold.beforeTaking?.(ids);
    const held = await writeHold(q, hold, ids);
    // Short: nothing of the order was written; in a transaction, the throw rolls back the rest of it
    // (the mail, the buyer's locks).
    if (held.short) throw new ShortOf(held.short);
    return {
      id: ids.id,
      reference: ids.reference,
      status: 'pending',
      totalCents: total,
      expiresAt: held.expiresAt!,
      needsMailConfirmation: total === 0,
      placeId: place.id,
      placeName: place.name,
      personId,
      email,
      language: input.language,
    };
  };

  // Per-person limits (invariant 3) need their lock held until the order is written; free bookings
  // queue their mail with the order: both need a transaction. Otherwise the order is written by one
  // statement, which is its own transaction.
  const attempt = (): Promise<PlacedOrder> => {
    if (limited.length === 0 && total !== 0) return take(db);
    return inTransaction(db, async (trx) => {
      if (limited.length > 0) {
        // One buyer's orders for one event run one at a time, and what they hold is read after the
        // locks, before the write (invariant 3). The buyer is every identity the count looks at — the
        // address, and the account when logged in — so a logged-in and an anonymous order with the same
        // address share a key. Sorted, in one statement (db/locks.ts).
        const keys = [...new Set(limited.map((p) => p.event_id))].flatMap((eventId) => [
          `${eventId}:email:${email}`,
          ...(personId ? [`${eventId}:person:${personId}`] : []),
        ]);
        await takeLocks(trx, { space: 'order', keys });
        const had = await heldBy(
          trx,
          place.id,
          limited.map((p) => p.id),
          personId,
          email,
        );
        for (const p of limited) {
          const wanted = holding.perPrice.get(p.id) ?? 0;
          const n = had.get(p.id) ?? 0;
          if (n + wanted > p.per_person_limit!)
            refused('per-person-limit', 409, { price: p.name, max: p.per_person_limit!, had: n });
        }
      }
      return take(trx);
    });
  };
  const tried = () =>
    attempt().then(
      (placed) => ({ placed, short: null }),
      (error: unknown) => {
        if (error instanceof ShortOf) return { placed: null, short: error.shortage };
        throw error;
      },
    );

  // Holds that ran out give their seats and promo uses back before anyone is told there are none
  // left (invariant 4): first when they looked short, else when the counters refused; then one more
  // try. Each release is a transaction of its own, never inside the order's (docs/TICKETING.md,
  // "Lock order": a transaction takes its counters in one step).
  // The unconfirmed share is given back the same way, by the orders paid or confirmed meanwhile.
  const release = async () => {
    const scope = { placeId: place.id, dateIds };
    return (await releaseExpiredOrders(db, scope)) + (await settleUnconfirmedHolds(db, scope));
  };
  let released = promoLooksUsed || seatsLookShort || unconfirmedLooksFull ? await release() : -1;
  let result = await tried();
  if (result.short && released < 0) {
    released = await release();
    if (released > 0) result = await tried();
  }
  if (result.short === 'promo') refused('promo-used-up', 409, { code: promoCode });
  // A price edited, closed or deleted between the reading and the taking (invariant 22).
  if (result.short === 'changed') refused('price-changed', 409);
  if (result.short === 'unconfirmed') await refuseUnconfirmed(db, place.id, dateIds);
  if (result.short) refused('sold-out', 409);
  return result.placed!;
}

/**
 * Invariant 21: the unconfirmed anonymous share of a date is full. 429, to be tried again when the
 * earliest of those holds ends (they end by themselves), or at once with an account.
 */
async function refuseUnconfirmed(db: Db, placeId: string, dateIds: string[]): Promise<never> {
  const { rows } = await sql<{ seconds: number | null }>`
    select ceil(extract(epoch from min(o.expires_at) - now()))::int as seconds from orders o
     where o.place_id = ${placeId} and o.status = 'pending' and o.unconfirmed_hold and o.expires_at > now()
       and exists (select 1 from order_lines l where l.place_id = o.place_id and l.order_id = o.id
                    and l.event_date_id = any(${dateIds}::uuid[]))`.execute(db);
  throw new TooManyRequests('unconfirmed-holds-full', Math.max(1, rows[0]?.seconds ?? 60));
}

/** The counters refused (nothing of the order was written): thrown to roll back the order's transaction. */
class ShortOf extends Error {
  constructor(readonly shortage: Shortage) {
    super(`short of ${shortage}`);
  }
}
