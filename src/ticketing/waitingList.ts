import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { isEmail } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { translate, type Language } from '../i18n/i18n.ts';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { getPerson } from '../accounts/index.ts';
import { eventDateForSale, eventDatesByIds, eventsByIds } from '../agenda/index.ts';
import { queueMail } from '../mail/index.ts';
import { findPlaceById } from '../places/index.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { hashToken, randomToken } from '../shared/secrets.ts';
import type { WaitlistStatus } from './tables.ts';
import { formatWhen, giveBackOffer, LIVE, TOKEN } from './waitingListOffers.ts';

/**
 * The waiting list of a sold-out date (docs/TICKETING.md, "Waiting list"): joining, confirming,
 * leaving, a person's entries. The offers of freed seats and their links are in waitingListOffers.ts.
 */
export { claimOffer, declineOffer, OFFER_MINUTES, offerByToken, offerFreedSeats } from './waitingListOffers.ts';

/** Places one entry may wait for. */
export const MAX_WAIT_QUANTITY = 10;

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
  const date = await eventDateForSale(db, { eventId, dateId });
  if (!date) return null;
  const [row, place] = await Promise.all([
    db
      .selectFrom('ticket_prices as p')
      .leftJoin('date_capacity as c', (j) =>
        j.onRef('c.place_id', '=', 'p.place_id').on('c.event_date_id', '=', date.dateId),
      )
      .select([
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
      .where('p.place_id', '=', date.placeId)
      .where('p.event_id', '=', date.eventId)
      .where('p.id', '=', priceId)
      .executeTakeFirst(),
    findPlaceById(db, date.placeId),
  ]);
  if (!row || !place) return null;
  const dateLeft =
    row.capacity === null || row.capacity === undefined ? null : Math.max(0, row.capacity - (row.date_taken ?? 0));
  const stockLeft = row.stock === null ? null : Math.max(0, row.stock - row.price_taken);
  const free = dateLeft === null ? stockLeft : stockLeft === null ? dateLeft : Math.min(dateLeft, stockLeft);
  return {
    ...row,
    place_id: date.placeId,
    date_id: date.dateId,
    starts_at: date.startsAt,
    timezone: date.timezone,
    event_id: date.eventId,
    title: date.title,
    state: date.state,
    visibility: date.visibility,
    place_name: place.name,
    free,
  };
}

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
    email = (await personOrThrow(db, personId)).email;
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
  const found = await db
    .selectFrom('waitlist_entries as w')
    .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 'w.place_id').onRef('p.id', '=', 'w.price_id'))
    .select([
      'w.place_id',
      'w.id',
      'w.status',
      'w.quantity',
      'w.email',
      'w.order_id',
      'w.event_id',
      'w.event_date_id',
      'p.name as price_name',
    ])
    .where('w.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  const [entry] = found ? await withEventAndDate(db, [found]) : [];
  if (!entry) throw new DomainError('waitlist-link-invalid', 400);
  const { event_id: _event, event_date_id: _date, ...shown } = entry;
  return shown;
}

/**
 * Entries with their event's title and slug and their date's start and zone, from the agenda (two
 * queries whatever the number of entries); an entry whose event or date is gone is left out.
 */
async function withEventAndDate<T extends { event_id: string; event_date_id: string }>(db: Db, rows: T[]) {
  const [events, dates] = await Promise.all([
    eventsByIds(
      db,
      rows.map((r) => r.event_id),
    ),
    eventDatesByIds(
      db,
      rows.map((r) => r.event_date_id),
    ),
  ]);
  return rows.flatMap((r) => {
    const e = events.get(r.event_id);
    const d = dates.get(r.event_date_id);
    return e && d ? [{ ...r, title: e.title, slug: e.slug, starts_at: d.startsAt, timezone: d.timezone }] : [];
  });
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
    const person = await personOrThrow(db, by.personId);
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

/** Live entries one person may have at most: a bound on the account page's work. */
const ENTRIES_READ = 1000;

/** Entries of a person (by account or address) still alive, for their account page: the 100 soonest dates. */
export async function waitingEntriesOf(db: Db, person: { id: string; email: string }) {
  const live = await db
    .selectFrom('waitlist_entries as w')
    .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 'w.place_id').onRef('p.id', '=', 'w.price_id'))
    .select(['w.id', 'w.status', 'w.quantity', 'w.event_id', 'w.event_date_id', 'p.name as price_name'])
    .where((eb) => eb.or([eb('w.person_id', '=', person.id), eb('w.email', '=', person.email)]))
    .where('w.status', 'in', LIVE)
    .orderBy('w.created_at', 'desc')
    .limit(ENTRIES_READ)
    .execute();
  return (await withEventAndDate(db, live))
    .sort((a, b) => a.starts_at.getTime() - b.starts_at.getTime())
    .slice(0, 100)
    .map(({ event_id: _event, event_date_id: _date, ...shown }) => shown);
}

/** A person by id; they must exist (the caller holds their session). */
async function personOrThrow(db: Db, personId: string) {
  const person = await getPerson(db, personId);
  if (!person) throw new Error(`person ${personId} not found`);
  return person;
}
