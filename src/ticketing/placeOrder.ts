import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import type { Language } from '../db/schema.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { isEmail } from '../config.ts';
import { translate } from '../i18n/i18n.ts';
import { queueMail } from '../mail/queueMail.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { parseEuros } from '../shared/money.ts';
import { hashToken, randomToken } from '../shared/secrets.ts';
import { validMembershipsOf } from '../memberships/memberships.ts';
import { today } from '../memberships/validity.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
import { takePlaces, takePromoUse, type Holding } from './places.ts';
import { checkAnswers, questionsOf, storeAnswers, type AnswerInput, type AnswerRow, type OrderPlace } from './questions.ts';

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
}

export interface PlacedOrder {
  id: string;
  reference: string;
  status: 'pending';
  totalCents: number;
  expiresAt: Date;
  /** True for a free booking: confirmed by the link mailed to the address. */
  needsMailConfirmation: boolean;
}

function refused(code: string, status: number, params: Record<string, string | number> = {}): never {
  throw new DomainError(code, status, params);
}

/**
 * Takes places for a buyer and holds them for `checkoutHoldMinutes`: the order is `pending` until
 * it is paid (paid orders) or confirmed by mail (free bookings). Everything — checks, counters,
 * order, lines — happens in one transaction, and every scarce counter is taken by a conditional
 * update (docs/TICKETING.md), so concurrent buyers can never take more than there is.
 */
export async function placeOrder(db: Db, config: Config, actor: Actor | null, input: PlaceOrderInput): Promise<PlacedOrder> {
  const errors = new FieldErrors();
  const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : '';
  if (!email) errors.add('email', 'required');
  else if (!isEmail(email)) errors.add('email', 'email');
  const name = typeof input.name === 'string' ? input.name.trim().slice(0, 100) : '';
  if (!Array.isArray(input.lines) || input.lines.length === 0) errors.add('lines', 'choose-places');
  else if (input.lines.length > MAX_LINES) errors.add('lines', 'too-many');
  const lines = (Array.isArray(input.lines) ? input.lines.slice(0, MAX_LINES) : []).map((l, i) => {
    const quantity = typeof l.quantity === 'number' ? l.quantity : typeof l.quantity === 'string' && /^\d{1,3}$/.test(l.quantity) ? Number(l.quantity) : NaN;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 100) errors.add(`lines.${i}.quantity`, 'quantity');
    if (typeof l.priceId !== 'string' || !isUuid(l.priceId)) errors.add(`lines.${i}.priceId`, 'choice');
    if (typeof l.eventDateId !== 'string' || !isUuid(l.eventDateId)) errors.add(`lines.${i}.eventDateId`, 'choice');
    const given = l.amount !== undefined && l.amount !== '';
    const amount = !given ? null : typeof l.amount === 'number' ? l.amount : typeof l.amount === 'string' ? parseEuros(l.amount) : null;
    if (given && (amount === null || !Number.isSafeInteger(amount) || amount < 0)) errors.add(`lines.${i}.amount`, 'amount');
    return { priceId: String(l.priceId), eventDateId: String(l.eventDateId), quantity, amount };
  });
  const promoCode = typeof input.promoCode === 'string' ? input.promoCode.trim().toUpperCase() : '';
  if (promoCode && !/^[A-Z0-9-]{3,40}$/.test(promoCode)) errors.add('promoCode', 'promo-unknown');
  if (input.answers !== undefined && (!Array.isArray(input.answers) || input.answers.length > 1000)) errors.add('answers', 'too-many');
  // Without valid lines nothing can be priced; otherwise the address is checked with the answers,
  // so the form shows every mistake at once.
  if (errors.list.some((e) => e.field !== 'email')) errors.throwIfAny();
  const personId = actor?.kind === 'person' ? actor.personId : null;

  return inTransaction(db, async (trx) => {
    const place = await trx.selectFrom('places').select(['id', 'timezone', 'name']).where('slug', '=', input.slug).executeTakeFirst();
    if (!place) throw notFound('place');
    const dateIds = [...new Set(lines.map((l) => l.eventDateId))];
    // Holds that ran out give their places back before anyone counts what is left (invariant 4).
    await releaseExpiredOrders(trx, { placeId: place.id, dateIds });

    const prices = await trx.selectFrom('ticket_prices').selectAll().where('place_id', '=', place.id).where('id', 'in', [...new Set(lines.map((l) => l.priceId))]).execute();
    const dates = await trx
      .selectFrom('event_dates as d')
      .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'd.place_id').onRef('e.id', '=', 'd.event_id'))
      .select(['d.id', 'd.event_id', 'd.starts_at', 'e.state', 'e.visibility', 'e.title'])
      .where('d.place_id', '=', place.id)
      .where('d.id', 'in', dateIds)
      .execute();
    const now = new Date();
    const holding: Holding = { placeId: place.id, perDate: new Map(), perPrice: new Map(), promoCodeId: null };
    const priced: { id: string; priceId: string; eventId: string; eventDateId: string; quantity: number; unitCents: number; vatBp: number }[] = [];
    const perEvent = new Map<string, number>();
    for (const [i, line] of lines.entries()) {
      const price = prices.find((p) => p.id === line.priceId);
      const date = dates.find((d) => d.id === line.eventDateId);
      if (!price || !price.active || !date || date.event_id !== price.event_id || (price.event_date_id && price.event_date_id !== date.id)) {
        throw new DomainError('validation', 422, {}, [{ field: `lines.${i}.priceId`, message: 'choice' }]);
      }
      if (date.state !== 'published' || date.visibility === 'private') refused('event-not-on-sale', 409, { event: date.title });
      if ((price.sales_open_at && now < price.sales_open_at) || (price.sales_close_at && now >= price.sales_close_at) || date.starts_at < now) {
        refused('sales-closed', 409, { price: price.name });
      }
      if (line.quantity > price.per_order_limit) throw new DomainError('validation', 422, {}, [{ field: `lines.${i}.quantity`, message: 'per-order-limit', params: { max: price.per_order_limit } }]);
      let unitCents = price.price_cents;
      if (price.kind === 'free') unitCents = 0;
      if (price.kind === 'pay_what_you_want') {
        if (line.amount === null || line.amount < price.min_price_cents) {
          throw new DomainError('validation', 422, {}, [{ field: `lines.${i}.amount`, message: 'below-minimum', params: { min: (price.min_price_cents / 100).toFixed(2) } }]);
        }
        unitCents = line.amount;
      }
      if (price.kind === 'member_only') {
        if (!personId) refused('membership-required', 403, { price: price.name });
        const allowed = price.member_place_ids.length > 0 ? price.member_place_ids : [place.id];
        const valid = await validMembershipsOf(trx, personId!, today(place.timezone, date.starts_at), allowed);
        if (valid.length === 0) refused('membership-required', 403, { price: price.name });
      }
      priced.push({ id: uuidv7(), priceId: price.id, eventId: price.event_id, eventDateId: date.id, quantity: line.quantity, unitCents, vatBp: price.vat_rate_bp });
      holding.perDate.set(date.id, (holding.perDate.get(date.id) ?? 0) + line.quantity);
      holding.perPrice.set(price.id, (holding.perPrice.get(price.id) ?? 0) + line.quantity);
      perEvent.set(price.event_id, (perEvent.get(price.event_id) ?? 0) + line.quantity);
    }

    // Checkout questions: answers checked against the questions read in this transaction.
    const places: OrderPlace[] = [];
    for (const l of priced) for (let rank = 0; rank < l.quantity; rank++) places.push({ index: places.length, eventId: l.eventId, lineId: l.id, rank });
    const answers = checkAnswers(await questionsOf(trx, place.id, [...perEvent.keys()]), input.answers ?? [], places, errors);
    errors.throwIfAny();

    // Per-person limits (invariant 3): one buyer's orders for one event run one at a time.
    for (const [eventId] of [...perEvent].sort(([a], [b]) => a.localeCompare(b))) {
      await sql`select pg_advisory_xact_lock(hashtext(${`order:${eventId}:${personId ?? email}`}))`.execute(trx);
    }
    for (const p of prices.filter((x) => x.per_person_limit !== null)) {
      const wanted = holding.perPrice.get(p.id) ?? 0;
      const had = await heldBy(trx, place.id, p.id, personId, email);
      if (had + wanted > p.per_person_limit!) refused('per-person-limit', 409, { price: p.name, max: p.per_person_limit!, had });
    }

    // Promo code (invariant 2).
    let discountFor: (line: (typeof priced)[number]) => number = () => 0;
    if (promoCode) {
      const code = await trx
        .selectFrom('promo_codes')
        .selectAll()
        .where('place_id', '=', place.id)
        .where('code', '=', promoCode)
        .where('event_id', 'in', [...perEvent.keys()])
        .executeTakeFirst();
      if (!code) throw new DomainError('validation', 422, {}, [{ field: 'promoCode', message: 'promo-unknown' }]);
      if (!(await takePromoUse(trx, place.id, code.id))) refused('promo-used-up', 409, { code: promoCode });
      holding.promoCodeId = code.id;
      discountFor = (l) => {
        if (l.eventId !== code.event_id || (code.price_id && code.price_id !== l.priceId)) return 0;
        const per = code.percent_off !== null ? Math.floor((l.unitCents * code.percent_off) / 100) : Math.min(code.amount_off_cents!, l.unitCents);
        return per * l.quantity;
      };
    }

    const total = priced.reduce((sum, l) => sum + l.unitCents * l.quantity - discountFor(l), 0);
    const free = total === 0;
    const confirmToken = free ? randomToken() : null;
    const held = await insertHold(trx, {
      placeId: place.id, personId, email, name, language: input.language, promoCodeId: holding.promoCodeId, holdMinutes: config.checkoutHoldMinutes,
      confirmTokenHash: confirmToken ? hashToken(confirmToken) : null, answers, actor,
      lines: priced.map((l) => ({ ...l, discountCents: discountFor(l) })),
      beforeTaking: async ({ reference }) => {
        if (!confirmToken) return;
        const link = `${config.baseUrl}/orders/confirm/${confirmToken}`;
        const params = { place: place.name, link, minutes: config.checkoutHoldMinutes, reference };
        await queueMail(trx, { to: email, language: input.language, subject: translate(input.language, 'mail.booking.subject', params), text: translate(input.language, 'mail.booking.text', params) }, Boolean(config.smtpUrl));
      },
    });
    // Short of places, the whole order rolls back.
    if (!held) refused('sold-out', 409);
    return { id: held.id, reference: held.reference, status: 'pending', totalCents: total, expiresAt: held.expiresAt, needsMailConfirmation: free };
  });
}

/** Places of a price a buyer already holds or bought (pending or paid orders). */
async function heldBy(trx: Trx, placeId: string, priceId: string, personId: string | null, email: string): Promise<number> {
  const row = await trx
    .selectFrom('order_lines as l')
    .innerJoin('orders as o', (j) => j.onRef('o.place_id', '=', 'l.place_id').onRef('o.id', '=', 'l.order_id'))
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('l.quantity'), sql<number>`0`).as('n'))
    .where('l.place_id', '=', placeId)
    .where('l.price_id', '=', priceId)
    .where('o.status', 'in', ['pending', 'paid'])
    .where((eb) => (personId ? eb.or([eb('o.person_id', '=', personId), eb('o.email', '=', email)]) : eb('o.email', '=', email)))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface HoldLine {
  /** The order line's id, chosen by the caller (per-ticket answers name it). */
  id: string;
  priceId: string;
  eventId: string;
  eventDateId: string;
  quantity: number;
  unitCents: number;
  discountCents: number;
  vatBp: number;
}

export interface NewHold {
  placeId: string;
  personId: string | null;
  email: string;
  name: string;
  language: Language;
  lines: HoldLine[];
  /** Already taken by the caller (takePromoUse), given back with the places. */
  promoCodeId: string | null;
  holdMinutes: number;
  confirmTokenHash: Buffer | null;
  answers: AnswerRow[];
  actor: Actor | null;
  /** Runs after the order is written and before its places are taken (mails, links). */
  beforeTaking?: (order: { id: string; reference: string }) => Promise<void>;
}

/**
 * Writes a pending order — the order, its lines, its answers and its audit entry — and takes its
 * places with the conditional counters (docs/TICKETING.md, invariant 1), in the caller's
 * transaction. Returns null when a date or a price had not enough places left: the caller must then
 * roll its transaction back (everything here was written in it). Shared by checkout (placeOrder) and
 * the waiting list's offers (offerFreedPlaces), so a place is only ever taken one way.
 */
export async function insertHold(trx: Trx, h: NewHold): Promise<{ id: string; reference: string; totalCents: number; expiresAt: Date } | null> {
  const id = uuidv7();
  const reference = id.replace(/-/g, '').slice(-10).toUpperCase();
  const total = h.lines.reduce((sum, l) => sum + l.unitCents * l.quantity - l.discountCents, 0);
  const expires = await trx
    .insertInto('orders')
    .values({
      place_id: h.placeId,
      id,
      reference,
      person_id: h.personId,
      email: h.email,
      name: h.name,
      language: h.language,
      status: 'pending',
      total_cents: total,
      expires_at: sql<Date>`now() + make_interval(mins => ${h.holdMinutes})`,
      confirm_token_hash: h.confirmTokenHash,
      promo_code_id: h.promoCodeId,
    })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('order_lines')
    .values(h.lines.map((l) => ({ place_id: h.placeId, order_id: id, id: l.id, price_id: l.priceId, event_id: l.eventId, event_date_id: l.eventDateId, quantity: l.quantity, unit_price_cents: l.unitCents, discount_cents: l.discountCents, vat_rate_bp: l.vatBp })))
    .execute();
  await storeAnswers(trx, h.placeId, id, h.answers);
  await audit(trx, h.actor ?? { kind: 'system' }, { placeId: h.placeId, action: 'order.placed', subjectId: id, data: { email: h.email, total_cents: total, lines: h.lines.length } });
  await h.beforeTaking?.({ id, reference });
  // Places last: the capacity row stays locked from this update to the commit, so everything
  // else is written first to keep that lock short.
  const holding: Holding = { placeId: h.placeId, perDate: new Map(), perPrice: new Map(), promoCodeId: h.promoCodeId };
  for (const l of h.lines) {
    holding.perDate.set(l.eventDateId, (holding.perDate.get(l.eventDateId) ?? 0) + l.quantity);
    holding.perPrice.set(l.priceId, (holding.perPrice.get(l.priceId) ?? 0) + l.quantity);
  }
  if (await takePlaces(trx, holding)) return null;
  return { id, reference, totalCents: total, expiresAt: expires.expires_at };
}
