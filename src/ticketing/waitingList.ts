import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { isEmail } from '../config.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { takeLocks } from '../db/locks.ts';
import { localeOf, translate, type Language } from '../i18n/i18n.ts';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { queueMail } from '../mail/index.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { hashToken, randomToken } from '../shared/secrets.ts';
import { completeOrder } from './completeOrder.ts';
import { insertHold } from './placeOrder.ts';
import { holdingOf, releaseSeats } from './seats.ts';
import { transitionOrder } from './orderState.ts';
import { checkAnswers, questionsOf, storeAnswers, type AnswerInput, type OrderSeat } from './questions.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
import type { WaitlistStatus } from './tables.ts';

/**
 * Minutes an offer holds its seats. A constant for now: a setting (REZO_WAITLIST_OFFER_MINUTES)
 * would live in src/config.ts.
 */
export const OFFER_MINUTES = 60;
/** Places one entry may wait for. */
export const MAX_WAIT_QUANTITY = 10;
/** Offers made per date and per run at most: bounded work (the job runs again in 30 s). */
const OFFERS_PER_DATE = 50;
const DATES_PER_RUN = 100;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const LIVE: WaitlistStatus[] = ['unconfirmed', 'waiting', 'offered'];

export interface JoinInput {
  eventId: unknown;
  dateId: unknown;
  priceId: unknown;
  quantity: unknown;
  /** Without an account: the address, confirmed by the mailed link. */
  email?: unknown;
  language: Language;
}

/** What a date sells at a price, and the seats still free for it (null: unlimited). */
async function priceOnDate(db: Db, eventId: string, dateId: string, priceId: string) {
  const row = await db
    .selectFrom('event_dates as d')
    .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'd.place_id').onRef('e.id', '=', 'd.event_id'))
    .innerJoin('places as pl', 'pl.id', 'd.place_id')
    .innerJoin('ticket_prices as p', (j) =>
      j.onRef('p.place_id', '=', 'd.place_id').onRef('p.event_id', '=', 'd.event_id'),
    )
    .leftJoin('date_capacity as c', (j) =>
      j.onRef('c.place_id', '=', 'd.place_id').onRef('c.event_date_id', '=', 'd.id'),
    )
    .select([
      'd.place_id',
      'd.id as date_id',
      'd.starts_at',
      'd.timezone',
      'e.id as event_id',
      'e.title',
      'e.state',
      'e.visibility',
      'pl.name as place_name',
      'p.id as price_id',
      'p.name as price_name',
      'p.kind',
      'p.active',
      'p.event_date_id as price_date_id',
      'p.per_order_limit',
      'p.stock',
      'p.taken as price_taken',
      'p.price_cents',
      'p.min_price_cents',
      'p.vat_rate_bp',
      'c.capacity',
      'c.taken as date_taken',
    ])
    .where('d.event_id', '=', eventId)
    .where('d.id', '=', dateId)
    .where('p.id', '=', priceId)
    .executeTakeFirst();
  if (!row) return null;
  const dateLeft =
    row.capacity === null || row.capacity === undefined ? null : Math.max(0, row.capacity - (row.date_taken ?? 0));
  const stockLeft = row.stock === null ? null : Math.max(0, row.stock - row.price_taken);
  const free = dateLeft === null ? stockLeft : stockLeft === null ? dateLeft : Math.min(dateLeft, stockLeft);
  return { ...row, free };
}

const formatWhen = (language: Language, at: Date, timezone: string) =>
  new Intl.DateTimeFormat(localeOf(language), {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone: timezone,
  }).format(at);

/**
 * Puts a person on the waiting list of a sold-out date (at one of its prices). Logged in: waiting at
 * once. By address: waiting once the mailed link is opened (nobody lists someone else). Once per
 * address per date while the entry is alive (a unique index); joining again changes nothing.
 */
export async function joinWaitingList(
  db: Db,
  config: Config,
  actor: Actor | null,
  input: JoinInput,
): Promise<{ id: string | null; status: 'waiting' | 'unconfirmed' }> {
  if (typeof input.eventId !== 'string' || !isUuid(input.eventId)) throw notFound('event');
  if (
    typeof input.dateId !== 'string' ||
    !isUuid(input.dateId) ||
    typeof input.priceId !== 'string' ||
    !isUuid(input.priceId)
  )
    throw notFound('date');
  const personId = actor?.kind === 'person' ? actor.personId : null;
  const errors = new FieldErrors();
  const quantity =
    typeof input.quantity === 'number'
      ? input.quantity
      : typeof input.quantity === 'string' && /^\d{1,2}$/.test(input.quantity)
        ? Number(input.quantity)
        : NaN;
  let email = '';
  if (personId) {
    email = (await db.selectFrom('people').select('email').where('id', '=', personId).executeTakeFirstOrThrow()).email;
  } else {
    email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : '';
    if (!email) errors.add('email', 'required');
    else if (!isEmail(email)) errors.add('email', 'email');
  }
  const offer = await priceOnDate(db, input.eventId, input.dateId, input.priceId);
  if (
    !offer ||
    (offer.price_date_id && offer.price_date_id !== offer.date_id) ||
    !offer.active ||
    offer.kind === 'member_only'
  )
    throw notFound('date');
  if (offer.state !== 'published' || offer.visibility === 'private')
    throw new DomainError('event-not-on-sale', 409, { event: offer.title });
  if (offer.starts_at <= new Date()) throw new DomainError('sales-closed', 409, { price: offer.price_name });
  const max = Math.min(offer.per_order_limit, MAX_WAIT_QUANTITY);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > max)
    errors.add('quantity', 'range-between', { min: 1, max });
  errors.throwIfAny();
  if (offer.free === null || offer.free >= quantity) throw new DomainError('waitlist-not-sold-out', 409);

  return inTransaction(db, async (trx) => {
    const token = randomToken();
    const id = uuidv7();
    const status = personId ? 'waiting' : 'unconfirmed';
    const added = await trx
      .insertInto('waitlist_entries')
      .values({
        place_id: offer.place_id,
        id,
        event_id: offer.event_id,
        event_date_id: offer.date_id,
        price_id: offer.price_id,
        quantity,
        person_id: personId,
        email,
        language: input.language,
        status,
        token_hash: hashToken(token),
      })
      // The unique index on live entries of a date and address: joining twice adds nothing.
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!added) {
      // Logged in, the person may know; by address, the answer is the same as a first time (no mail).
      if (personId) throw new DomainError('waitlist-already', 409);
      return { id: null, status };
    }
    await audit(trx, actor ?? SYSTEM, {
      placeId: offer.place_id,
      action: 'waitlist.joined',
      subjectId: id,
      data: { event_date_id: offer.date_id, price_id: offer.price_id, quantity, email },
    });
    const params = {
      event: offer.title,
      place: offer.place_name,
      when: formatWhen(input.language, offer.starts_at, offer.timezone),
      link: `${config.baseUrl}/waitlist/entries/${token}`,
      quantity,
    };
    const kind = personId ? 'joined' : 'confirm';
    await queueMail(
      trx,
      {
        to: email,
        language: input.language,
        subject: translate(input.language, `waitlist.mail.${kind}.subject`, params),
        text: translate(input.language, `waitlist.mail.${kind}.text`, params),
      },
      Boolean(config.smtpUrl),
    );
    return { id, status };
  });
}

/** The entry behind a mailed link (confirm / leave), with what it waits for. */
export async function entryByToken(db: Db, token: string) {
  if (!TOKEN.test(token)) throw new DomainError('waitlist-link-invalid', 400);
  const entry = await db
    .selectFrom('waitlist_entries as w')
    .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'w.place_id').onRef('e.id', '=', 'w.event_id'))
    .innerJoin('event_dates as d', (j) =>
      j.onRef('d.place_id', '=', 'w.place_id').onRef('d.id', '=', 'w.event_date_id'),
    )
    .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 'w.place_id').onRef('p.id', '=', 'w.price_id'))
    .select([
      'w.place_id',
      'w.id',
      'w.status',
      'w.quantity',
      'w.email',
      'w.order_id',
      'e.title',
      'e.slug',
      'd.starts_at',
      'd.timezone',
      'p.name as price_name',
    ])
    .where('w.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!entry) throw new DomainError('waitlist-link-invalid', 400);
  return entry;
}

/** The mailed link of a join by address: the entry starts waiting (its rank is its joining time). */
export async function confirmWaitingEntry(db: Db, token: string): Promise<{ status: WaitlistStatus }> {
  const entry = await entryByToken(db, token);
  return inTransaction(db, async (trx) => {
    const moved = await trx
      .updateTable('waitlist_entries')
      .set({ status: 'waiting' })
      .where('place_id', '=', entry.place_id)
      .where('id', '=', entry.id)
      .where('status', '=', 'unconfirmed')
      .returning('status')
      .executeTakeFirst();
    if (!moved) return { status: entry.status };
    await audit(trx, SYSTEM, { placeId: entry.place_id, action: 'waitlist.confirmed', subjectId: entry.id, data: {} });
    return { status: 'waiting' as const };
  });
}

/**
 * Leaves the list (from the mailed link, or from the account: `personId` must own the entry). An
 * entry with an offer running declines it: its seats are given back at once.
 */
export async function leaveWaitingList(
  db: Db,
  by: { token: string } | { personId: string; entryId: string },
): Promise<void> {
  let where: { placeId: string; id: string };
  if ('token' in by) {
    const entry = await entryByToken(db, by.token);
    where = { placeId: entry.place_id, id: entry.id };
  } else {
    if (!isUuid(by.entryId)) throw notFound('entry');
    const person = await db
      .selectFrom('people')
      .select('email')
      .where('id', '=', by.personId)
      .executeTakeFirstOrThrow();
    const entry = await db
      .selectFrom('waitlist_entries')
      .select(['place_id', 'id'])
      .where('id', '=', by.entryId)
      .where((eb) => eb.or([eb('person_id', '=', by.personId), eb('email', '=', person.email)]))
      .executeTakeFirst();
    if (!entry) throw notFound('entry');
    where = { placeId: entry.place_id, id: entry.id };
  }
  await inTransaction(db, async (trx) => {
    const entry = await trx
      .selectFrom('waitlist_entries')
      .select(['place_id', 'id', 'status', 'order_id'])
      .where('place_id', '=', where.placeId)
      .where('id', '=', where.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (!LIVE.includes(entry.status)) return;
    if (entry.status === 'offered' && entry.order_id) await giveBackOffer(trx, entry.place_id, entry.order_id);
    await trx
      .updateTable('waitlist_entries')
      .set({ status: 'left', closed_at: sql<Date>`now()` })
      .where('place_id', '=', entry.place_id)
      .where('id', '=', entry.id)
      .execute();
    await audit(trx, SYSTEM, {
      placeId: entry.place_id,
      action: 'waitlist.left',
      subjectId: entry.id,
      data: { from: entry.status },
    });
  });
}

/** Cancels an offer's pending order and gives its seats back (under the order's row lock). */
async function giveBackOffer(trx: Trx, placeId: string, orderId: string): Promise<void> {
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

/** Entries of a person (by account or address) still alive, for their account page. */
export async function waitingEntriesOf(db: Db, person: { id: string; email: string }) {
  return db
    .selectFrom('waitlist_entries as w')
    .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'w.place_id').onRef('e.id', '=', 'w.event_id'))
    .innerJoin('event_dates as d', (j) =>
      j.onRef('d.place_id', '=', 'w.place_id').onRef('d.id', '=', 'w.event_date_id'),
    )
    .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 'w.place_id').onRef('p.id', '=', 'w.price_id'))
    .select([
      'w.id',
      'w.status',
      'w.quantity',
      'e.title',
      'e.slug',
      'd.starts_at',
      'd.timezone',
      'p.name as price_name',
    ])
    .where((eb) => eb.or([eb('w.person_id', '=', person.id), eb('w.email', '=', person.email)]))
    .where('w.status', 'in', LIVE)
    .orderBy('d.starts_at')
    .limit(100)
    .execute();
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
      const date = await trx
        .selectFrom('event_dates as d')
        .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'd.place_id').onRef('e.id', '=', 'd.event_id'))
        .innerJoin('places as pl', 'pl.id', 'd.place_id')
        .leftJoin('date_capacity as c', (j) =>
          j.onRef('c.place_id', '=', 'd.place_id').onRef('c.event_date_id', '=', 'd.id'),
        )
        .select([
          'd.starts_at',
          'd.timezone',
          'e.title',
          'e.state',
          'e.visibility',
          'pl.name as place_name',
          'c.capacity',
          'c.taken',
        ])
        .where('d.place_id', '=', placeId)
        .where('d.id', '=', dateId)
        .executeTakeFirst();
      if (!date || date.state !== 'published' || date.visibility === 'private' || date.starts_at <= new Date())
        return false;
      const dateFree =
        date.capacity === null || date.capacity === undefined ? Infinity : date.capacity - (date.taken ?? 0);
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
      const name = next.person_id
        ? ((await trx.selectFrom('people').select('name').where('id', '=', next.person_id).executeTakeFirst())?.name ??
          '')
        : '';
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
        place: date.place_name,
        when: formatWhen(next.language, date.starts_at, date.timezone),
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
  const offer = await db
    .selectFrom('waitlist_entries as w')
    .innerJoin('orders as o', (j) => j.onRef('o.place_id', '=', 'w.place_id').onRef('o.id', '=', 'w.order_id'))
    .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'w.place_id').onRef('e.id', '=', 'w.event_id'))
    .innerJoin('event_dates as d', (j) =>
      j.onRef('d.place_id', '=', 'w.place_id').onRef('d.id', '=', 'w.event_date_id'),
    )
    .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 'w.place_id').onRef('p.id', '=', 'w.price_id'))
    .select([
      'w.place_id',
      'w.id',
      'w.status',
      'w.quantity',
      'w.email',
      'w.event_id',
      'o.id as order_id',
      'o.status as order_status',
      'o.expires_at',
      'o.total_cents',
      'o.name',
      'e.title',
      'd.starts_at',
      'd.timezone',
      'p.name as price_name',
    ])
    .where('w.offer_token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!offer) throw new DomainError('waitlist-link-invalid', 400);
  return offer;
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
