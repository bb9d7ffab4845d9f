import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { takeLocks } from '../db/locks.ts';
import { localeOf, translate, type Language } from '../i18n/i18n.ts';
import { SYSTEM } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { getPerson } from '../accounts/index.ts';
import { eventDateForSale, eventDatesByIds, eventsByIds } from '../agenda/index.ts';
import { queueMail } from '../mail/index.ts';
import { findPlaceById } from '../places/index.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { hashToken, randomToken } from '../shared/secrets.ts';
import { completeOrder } from './completeOrder.ts';
import { insertHold } from './insertHold.ts';
import { holdingOf, releaseSeats } from './seats.ts';
import { transitionOrder } from './orderState.ts';
import { checkAnswers, questionsOf, storeAnswers, type AnswerInput, type OrderSeat } from './questions.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
import type { WaitlistStatus } from './tables.ts';

/**
 * Offers of freed seats to the waiting list (docs/TICKETING.md, "Waiting list"): the housekeeping
 * job that makes them, and the mailed offer link — take it (the checkout) or decline it. Joining and
 * leaving are in waitingList.ts.
 */

/**
 * Minutes an offer holds its seats. A constant for now: a setting (REZO_WAITLIST_OFFER_MINUTES)
 * would live in src/config.ts.
 */
export const OFFER_MINUTES = 60;
/** Offers made per date and per run at most: bounded work (the job runs again in 30 s). */
const OFFERS_PER_DATE = 50;
const DATES_PER_RUN = 100;

export const TOKEN = /^[A-Za-z0-9_-]{43}$/;
export const LIVE: WaitlistStatus[] = ['unconfirmed', 'waiting', 'offered'];

export const formatWhen = (language: Language, at: Date, timezone: string) =>
  new Intl.DateTimeFormat(localeOf(language), {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone: timezone,
  }).format(at);

/** Cancels an offer's pending order and gives its seats back (under the order's row lock). */
export async function giveBackOffer(trx: Trx, placeId: string, orderId: string): Promise<void> {
  const order = await trx
    .selectFrom('orders')
    .select(['place_id', 'id', 'status', 'promo_code_id', 'unconfirmed_hold'])
    .where('place_id', '=', placeId)
    .where('id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
  if (!order || order.status !== 'pending') return;
  await releaseSeats(trx, await holdingOf(trx, order));
  await transitionOrder(trx, SYSTEM, order, 'cancelled', { reason: 'waitlist-declined' });
}

/** Offers whose order ended: paid → done; expired or cancelled → expired (the next person's turn). */
async function settleOffers(db: Db): Promise<void> {
  await sql`update waitlist_entries w
    set status = case when o.status = 'paid' then 'done' else 'expired' end, closed_at = now()
    from orders o
    where w.status = 'offered' and o.place_id = w.place_id and o.id = w.order_id and o.status <> 'pending'`.execute(db);
}

class ShortOfSeats extends Error {}

/**
 * Offers freed seats to the waiting list (docs/TICKETING.md, "Waiting list"). Run every 30 s by
 * housekeeping. For each future date with free seats and people waiting: in one transaction per
 * offer, the next person in order whose request fits takes the seats in a pending order — with the
 * same conditional counters as any buyer (insertHold), so buyers and offers together never exceed
 * capacity — and is mailed a link to the checkout of that order, valid `OFFER_MINUTES`. An offer not
 * taken expires like any hold (its seats come back) and the next person is offered. Returns the
 * number of offers made.
 */
export async function offerFreedSeats(db: Db, config: Config, options: { minutes?: number } = {}): Promise<number> {
  const minutes = options.minutes ?? OFFER_MINUTES;
  await releaseExpiredOrders(db);
  await settleOffers(db);
  // Dates still to come only: entries of past dates stay 'waiting' and must not crowd them out.
  const dates = await db
    .selectFrom('waitlist_entries as w')
    .innerJoin('event_dates as d', (j) =>
      j.onRef('d.place_id', '=', 'w.place_id').onRef('d.id', '=', 'w.event_date_id'),
    )
    .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 'w.place_id').onRef('p.id', '=', 'w.price_id'))
    .leftJoin('date_capacity as c', (j) =>
      j.onRef('c.place_id', '=', 'w.place_id').onRef('c.event_date_id', '=', 'w.event_date_id'),
    )
    .select(['w.place_id', 'w.event_date_id'])
    .distinct()
    .where('w.status', '=', 'waiting')
    .where('d.starts_at', '>', sql<Date>`now()`)
    .where('p.active', '=', true)
    .where(sql<boolean>`(c.capacity is null or c.taken < c.capacity)`)
    .where(sql<boolean>`(p.stock is null or p.taken < p.stock)`)
    .limit(DATES_PER_RUN)
    .execute();
  let offers = 0;
  for (const d of dates) {
    for (let i = 0; i < OFFERS_PER_DATE; i++) {
      if (!(await offerNext(db, config, d.place_id, d.event_date_id, minutes))) break;
      offers++;
    }
  }
  return offers;
}

/** One offer on one date, in its own transaction; false when nobody waiting fits the free seats. */
async function offerNext(db: Db, config: Config, placeId: string, dateId: string, minutes: number): Promise<boolean> {
  try {
    // Holds of the date that ran out go back first, in a transaction of their own: the offer's
    // transaction then takes its counters in one step (docs/TICKETING.md, "Lock order").
    await releaseExpiredOrders(db, { placeId, dateIds: [dateId] });
    return await inTransaction(db, async (trx) => {
      // Offers of a date are made one at a time (several nodes may run the job); buyers do not wait on this.
      await takeLocks(trx, { space: 'waitingList', keys: [dateId] });
      const date = await eventDateForSale(trx, { placeId, dateId });
      const [capacity, place] = date
        ? await Promise.all([
            trx
              .selectFrom('date_capacity')
              .select(['capacity', 'taken'])
              .where('place_id', '=', placeId)
              .where('event_date_id', '=', dateId)
              .executeTakeFirst(),
            findPlaceById(trx, placeId),
          ])
        : [undefined, null];
      if (!date || !place || date.state !== 'published' || date.visibility === 'private' || date.startsAt <= new Date())
        return false;
      const dateFree = capacity === undefined ? Infinity : capacity.capacity - capacity.taken;
      const queue = await trx
        .selectFrom('waitlist_entries as w')
        .innerJoin('ticket_prices as p', (j) =>
          j.onRef('p.place_id', '=', 'w.place_id').onRef('p.id', '=', 'w.price_id'),
        )
        .select([
          'w.id',
          'w.event_id',
          'w.price_id',
          'w.quantity',
          'w.email',
          'w.person_id',
          'w.language',
          'p.kind',
          'p.active',
          'p.stock',
          'p.taken',
          'p.price_cents',
          'p.min_price_cents',
          'p.vat_rate_bp',
          'p.revision',
        ])
        .where('w.place_id', '=', placeId)
        .where('w.event_date_id', '=', dateId)
        .where('w.status', '=', 'waiting')
        .orderBy('w.created_at')
        .orderBy('w.id')
        .limit(200)
        .execute();
      // The next person in order whose request fits; those who wait for more keep their rank.
      const next = queue.find(
        (w) =>
          w.active &&
          w.kind !== 'member_only' &&
          w.quantity <= Math.min(dateFree, w.stock === null ? Infinity : w.stock - w.taken),
      );
      if (!next) return false;
      const claimed = await trx
        .updateTable('waitlist_entries')
        .set({ status: 'offered', offered_at: sql<Date>`now()` })
        .where('place_id', '=', placeId)
        .where('id', '=', next.id)
        .where('status', '=', 'waiting')
        .returning('id')
        .executeTakeFirst();
      if (!claimed) return true; // left meanwhile: try the next one
      const name = next.person_id ? ((await getPerson(trx, next.person_id))?.name ?? '') : '';
      const unitCents =
        next.kind === 'free'
          ? 0
          : next.kind === 'pay_what_you_want'
            ? Math.max(next.min_price_cents, next.price_cents)
            : next.price_cents;
      const token = randomToken();
      const held = await insertHold(trx, {
        placeId,
        personId: null,
        email: next.email,
        name,
        language: next.language,
        promoCodeId: null,
        holdMinutes: minutes,
        confirmTokenHash: null,
        answers: [],
        actor: SYSTEM,
        lines: [
          {
            id: uuidv7(),
            priceId: next.price_id,
            eventId: next.event_id,
            eventDateId: dateId,
            quantity: next.quantity,
            unitCents,
            discountCents: 0,
            vatBp: next.vat_rate_bp,
            priceRevision: next.revision,
          },
        ],
      });
      // A buyer took the seats between our reading and our update: nothing of this offer stays.
      if (!held) throw new ShortOfSeats();
      await trx
        .updateTable('waitlist_entries')
        .set({ order_id: held.id, offer_token_hash: hashToken(token) })
        .where('place_id', '=', placeId)
        .where('id', '=', next.id)
        .execute();
      await audit(trx, SYSTEM, {
        placeId,
        action: 'waitlist.offered',
        subjectId: next.id,
        data: { order_id: held.id, quantity: next.quantity, minutes },
      });
      const params = {
        event: date.title,
        place: place.name,
        when: formatWhen(next.language, date.startsAt, date.timezone),
        link: `${config.baseUrl}/waitlist/offers/${token}`,
        minutes,
        quantity: next.quantity,
      };
      await queueMail(
        trx,
        {
          to: next.email,
          language: next.language,
          subject: translate(next.language, 'waitlist.mail.offer.subject', params),
          text: translate(next.language, 'waitlist.mail.offer.text', params),
        },
        Boolean(config.smtpUrl),
      );
      return true;
    });
  } catch (error) {
    if (error instanceof ShortOfSeats) return false;
    throw error;
  }
}

/** An offer behind its mailed link, with its order (null when the link is unknown). */
export async function offerByToken(db: Db, token: string) {
  if (!TOKEN.test(token)) throw new DomainError('waitlist-link-invalid', 400);
  const found = await db
    .selectFrom('waitlist_entries as w')
    .innerJoin('orders as o', (j) => j.onRef('o.place_id', '=', 'w.place_id').onRef('o.id', '=', 'w.order_id'))
    .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 'w.place_id').onRef('p.id', '=', 'w.price_id'))
    .select([
      'w.place_id',
      'w.id',
      'w.status',
      'w.quantity',
      'w.email',
      'w.event_id',
      'w.event_date_id',
      'o.id as order_id',
      'o.status as order_status',
      'o.expires_at',
      'o.total_cents',
      'o.name',
      'p.name as price_name',
    ])
    .where('w.offer_token_hash', '=', hashToken(token))
    .executeTakeFirst();
  const [event, date] = found
    ? await Promise.all([
        eventsByIds(db, [found.event_id]).then((m) => m.get(found.event_id)),
        eventDatesByIds(db, [found.event_date_id]).then((m) => m.get(found.event_date_id)),
      ])
    : [];
  if (!found || !event || !date) throw new DomainError('waitlist-link-invalid', 400);
  const { event_date_id: _date, ...offer } = found;
  return { ...offer, title: event.title, starts_at: date.startsAt, timezone: date.timezone };
}

/**
 * Takes an offer: the checkout of its reserved seats. Records the holder's name and the answers to
 * the event's questions on the order, in one transaction under the order's lock; a free offer is
 * confirmed at once (the mailed link proves the address), a paid one goes on to payment.
 */
export async function claimOffer(
  db: Db,
  config: Config,
  token: string,
  input: { name?: unknown; answers?: AnswerInput[] },
): Promise<{ orderId: string; pay: boolean }> {
  const offer = await offerByToken(db, token);
  const errors = new FieldErrors();
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name.length > 100) errors.add('name', 'too-long', { max: 100 });
  return inTransaction(db, async (trx) => {
    // The entry's lock first, then the order's: the same order as leaving and declining.
    const entry = await trx
      .selectFrom('waitlist_entries')
      .select('status')
      .where('place_id', '=', offer.place_id)
      .where('id', '=', offer.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const order = await trx
      .selectFrom('orders')
      .select(['place_id', 'id', 'status', 'expires_at', 'total_cents'])
      .where('place_id', '=', offer.place_id)
      .where('id', '=', offer.order_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (order.status === 'paid') return { orderId: order.id, pay: false };
    if (entry.status !== 'offered' || order.status !== 'pending' || order.expires_at <= new Date())
      throw new DomainError('waitlist-offer-ended', 409);
    const lines = await trx
      .selectFrom('order_lines')
      .select(['id', 'event_id', 'quantity'])
      .where('place_id', '=', order.place_id)
      .where('order_id', '=', order.id)
      .orderBy('id')
      .execute();
    const seats: OrderSeat[] = [];
    for (const l of lines)
      for (let rank = 0; rank < l.quantity; rank++)
        seats.push({ index: seats.length, eventId: l.event_id, lineId: l.id, rank });
    const rows = checkAnswers(
      await questionsOf(trx, order.place_id, [...new Set(lines.map((l) => l.event_id))]),
      input.answers ?? [],
      seats,
      errors,
    );
    errors.throwIfAny();
    await trx
      .deleteFrom('order_answers')
      .where('place_id', '=', order.place_id)
      .where('order_id', '=', order.id)
      .execute();
    await storeAnswers(trx, order.place_id, order.id, rows);
    await trx
      .updateTable('orders')
      .set({ name })
      .where('place_id', '=', order.place_id)
      .where('id', '=', order.id)
      .execute();
    if (order.total_cents > 0) return { orderId: order.id, pay: true };
    await completeOrder(trx, config, SYSTEM, order.id, null);
    await trx
      .updateTable('waitlist_entries')
      .set({ status: 'done', closed_at: sql<Date>`now()` })
      .where('place_id', '=', offer.place_id)
      .where('id', '=', offer.id)
      .execute();
    return { orderId: order.id, pay: false };
  });
}

/** Declines an offer from its link: the seats go back at once, to the next person on the next run. */
export async function declineOffer(db: Db, token: string): Promise<void> {
  const offer = await offerByToken(db, token);
  await inTransaction(db, async (trx) => {
    const entry = await trx
      .selectFrom('waitlist_entries')
      .select(['status'])
      .where('place_id', '=', offer.place_id)
      .where('id', '=', offer.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (entry.status !== 'offered') return;
    await giveBackOffer(trx, offer.place_id, offer.order_id);
    await trx
      .updateTable('waitlist_entries')
      .set({ status: 'left', closed_at: sql<Date>`now()` })
      .where('place_id', '=', offer.place_id)
      .where('id', '=', offer.id)
      .execute();
    await audit(trx, SYSTEM, {
      placeId: offer.place_id,
      action: 'waitlist.declined',
      subjectId: offer.id,
      data: { order_id: offer.order_id },
    });
  });
}
