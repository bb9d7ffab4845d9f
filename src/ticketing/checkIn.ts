import { sql } from 'kysely';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { takeLocks } from '../db/locks.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, FieldErrors, forbidden, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { publicKeysOf, verifyTicketPayload, type Decoded } from './ticketSignature.ts';
import { eventOfPlace } from '../agenda/index.ts';

/**
 * A paired scanner (a door phone without a login): its signature was verified by the route
 * (src/ticketing/scanner.ts, scannerDeviceOf); it may check tickets in at its own venue, nothing else.
 */
export interface ScannerDevice {
  kind: 'scannerDevice';
  placeId: string;
  deviceId: string;
}
/** Who may check in: the door team, a `checkin` key, or a scanner device of the venue. */
export type DoorActor = Actor | ScannerDevice;

/** The door's permission: `checkin` for people and keys; a scanner device only at its own venue. */
export async function authorizeDoor(db: Db, actor: DoorActor, placeId: string): Promise<void> {
  if (actor.kind === 'scannerDevice') {
    if (actor.placeId !== placeId) throw forbidden();
    return;
  }
  await authorize(db, actor, placeId, 'checkin');
}

export type CheckInResult = 'valid' | 'already_checked_in' | 'cancelled' | 'refunded' | 'wrong_event' | 'unknown';

export interface ScanInput {
  /** The QR payload, as read. */
  payload: unknown;
  /** Made by the scanning device for this scan: the same scan sent twice counts once. */
  nonce: unknown;
  /** When the device scanned (offline scans are sent later); now when absent. */
  scannedAt?: unknown;
}

export interface CheckInAnswer {
  nonce: string;
  result: CheckInResult;
  ticketId: string | null;
  holderName?: string;
  priceName?: string;
  /** For already_checked_in: the first entry on this list. */
  previous?: { at: string; listName: string };
}

/** The event's default list ("Entrée"), made on first use. */
export async function defaultList(trx: Trx, placeId: string, eventId: string): Promise<string> {
  await trx
    .insertInto('checkin_lists')
    .values({ place_id: placeId, id: uuidv7(), event_id: eventId, name: 'Entrée', is_default: true })
    .onConflict((oc) => oc.columns(['place_id', 'event_id']).where('is_default', '=', sql.lit(true)).doNothing())
    .execute();
  return (
    await trx
      .selectFrom('checkin_lists')
      .select('id')
      .where('place_id', '=', placeId)
      .where('event_id', '=', eventId)
      .where('is_default', '=', true)
      .executeTakeFirstOrThrow()
  ).id;
}

function readScan(scan: ScanInput, i: number | null, errors: FieldErrors) {
  const f = (name: string) => (i === null ? name : `scans.${i}.${name}`);
  const payload = typeof scan.payload === 'string' ? scan.payload.trim() : '';
  if (!payload) errors.add(f('payload'), 'required');
  const nonce = typeof scan.nonce === 'string' ? scan.nonce : '';
  if (!/^[A-Za-z0-9_-]{8,100}$/.test(nonce)) errors.add(f('nonce'), 'nonce');
  let scannedAt = new Date();
  if (scan.scannedAt !== undefined) {
    const d = typeof scan.scannedAt === 'string' ? new Date(scan.scannedAt) : null;
    // A device clock far in the future is refused rather than trusted.
    if (!d || Number.isNaN(d.getTime()) || d.getTime() > Date.now() + 5 * 60_000) errors.add(f('scannedAt'), 'format');
    else scannedAt = d;
  }
  return { payload, nonce, scannedAt };
}

/**
 * Checks tickets in on a list, one or a batch (offline sync), each scan in its own transaction.
 * The rule "a ticket enters once per list" is a unique index on valid entries; the device's nonce
 * makes a scan sent twice answer the same and count once. Door team (role) or a key with `checkin`.
 */
export async function checkIn(
  db: Db,
  actor: DoorActor,
  input: { slug: string; eventId: string; listId?: string; scans: ScanInput[] },
): Promise<CheckInAnswer[]> {
  const errors = new FieldErrors();
  if (!isUuid(input.eventId)) errors.add('eventId', 'choice');
  if (input.listId !== undefined && !isUuid(input.listId)) errors.add('listId', 'choice');
  if (input.scans.length === 0) errors.add('scans', 'required');
  if (input.scans.length > 500) errors.add('scans', 'too-many');
  const scans = input.scans.slice(0, 500).map((s, i) => readScan(s, input.scans.length === 1 ? null : i, errors));
  errors.throwIfAny();
  const place = await getPlaceBySlug(db, input.slug);
  await authorizeDoor(db, actor, place.id);
  const keys = await publicKeysOf(db, place.id);
  const event = await eventOfPlace(db, place.id, input.eventId);
  if (!event) throw notFound('event');
  const nonceField = (i: number) => (scans.length === 1 ? 'nonce' : `scans.${i}.nonce`);
  const decodedScans = scans.map((scan) => verifyTicketPayload(scan.payload, place.id, keys));
  await refuseReusedNonces(db, place.id, event.id, input.listId, scans, decodedScans, nonceField);
  const answers: CheckInAnswer[] = [];
  for (const [i, scan] of scans.entries()) {
    answers.push(
      await inTransaction(db, async (trx) => {
        // Two uploads of one batch at the same time: the second waits, then finds the nonce.
        await takeLocks(trx, { space: 'checkIn', keys: [`${place.id}:${scan.nonce}`] });
        const seen = await trx
          .selectFrom('checkins')
          .select(['result', 'ticket_id', 'list_id'])
          .where('place_id', '=', place.id)
          .where('nonce', '=', scan.nonce)
          .executeTakeFirst();
        const listId = input.listId ?? (await defaultList(trx, place.id, event.id));
        const list = await trx
          .selectFrom('checkin_lists')
          .selectAll()
          .where('place_id', '=', place.id)
          .where('id', '=', listId)
          .executeTakeFirst();
        if (!list || list.event_id !== event.id)
          throw new DomainError('validation', 422, {}, [{ field: 'listId', message: 'choice' }]);
        const decoded = decodedScans[i]!;
        const ticket = decoded
          ? await trx
              .selectFrom('tickets as t')
              .innerJoin('ticket_prices as p', (j) =>
                j.onRef('p.place_id', '=', 't.place_id').onRef('p.id', '=', 't.price_id'),
              )
              .select([
                't.id',
                't.event_id',
                't.event_date_id',
                't.price_id',
                't.status',
                't.holder_name',
                'p.name as price_name',
              ])
              .where('t.place_id', '=', place.id)
              .where('t.id', '=', decoded.ticketId)
              .executeTakeFirst()
          : undefined;
        const base = {
          nonce: scan.nonce,
          ticketId: ticket?.id ?? null,
          ...(ticket ? { holderName: ticket.holder_name, priceName: ticket.price_name } : {}),
        };
        const previousEntry = async () => {
          if (!ticket) return undefined;
          const first = await trx
            .selectFrom('checkins')
            .select(['scanned_at'])
            .where('place_id', '=', place.id)
            .where('list_id', '=', list.id)
            .where('ticket_id', '=', ticket.id)
            .where('result', '=', 'valid')
            .executeTakeFirst();
          return first ? { at: first.scanned_at.toISOString(), listName: list.name } : undefined;
        };
        if (seen) {
          // Invariant 18: the stored answer belongs to that scan only (checked again under the lock).
          if (seen.ticket_id !== (ticket?.id ?? null) || seen.list_id !== list.id) throw nonceReused([nonceField(i)]);
          const result = seen.result as CheckInResult;
          const previous = result === 'already_checked_in' ? await previousEntry() : undefined;
          return { ...base, result, ...(previous ? { previous } : {}) };
        }
        let result: CheckInResult;
        if (!decoded || !ticket || ticket.event_date_id !== decoded.eventDateId) result = 'unknown';
        else if (
          ticket.event_id !== list.event_id ||
          (list.date_ids.length > 0 && !list.date_ids.includes(ticket.event_date_id)) ||
          (list.price_ids.length > 0 && !list.price_ids.includes(ticket.price_id))
        )
          result = 'wrong_event';
        else if (ticket.status === 'cancelled') result = 'cancelled';
        else if (ticket.status === 'refunded') result = 'refunded';
        else result = 'valid';
        const row = {
          place_id: place.id,
          id: uuidv7(),
          list_id: list.id,
          ticket_id: ticket?.id ?? null,
          nonce: scan.nonce,
          scanned_at: scan.scannedAt,
          api_key_id: actor.kind === 'apiKey' ? actor.keyId : null,
          device_id: actor.kind === 'scannerDevice' ? actor.deviceId : null,
        };
        if (result === 'valid') {
          const entered = await trx
            .insertInto('checkins')
            .values({ ...row, result: 'valid' })
            .onConflict((oc) =>
              oc.columns(['place_id', 'list_id', 'ticket_id']).where('result', '=', sql.lit('valid')).doNothing(),
            )
            .returning('id')
            .executeTakeFirst();
          if (entered) return { ...base, result };
          result = 'already_checked_in';
        }
        await trx
          .insertInto('checkins')
          .values({ ...row, result })
          .execute();
        const previous = result === 'already_checked_in' ? await previousEntry() : undefined;
        return { ...base, result, ...(previous ? { previous } : {}) };
      }),
    );
  }
  return answers;
}

const nonceReused = (fields: string[]) =>
  new DomainError(
    'checkin-nonce-reused',
    409,
    {},
    fields.map((field) => ({ field, message: 'nonce-reused' })),
  );

/**
 * docs/TICKETING.md, invariant 18: a nonce already stored (or met earlier in the batch) must name the
 * same ticket — or, like the first time, no known ticket — on the same list; otherwise it is not a
 * resend, and the whole request is refused before any scan is recorded. Read-only; each scan's
 * transaction checks again under its nonce lock (a concurrent upload).
 */
async function refuseReusedNonces(
  db: Db,
  placeId: string,
  eventId: string,
  listId: string | undefined,
  scans: { nonce: string }[],
  decoded: Decoded[],
  nonceField: (i: number) => string,
): Promise<void> {
  const fields: string[] = [];
  const firstTicket = new Map<string, string | null>();
  for (const [i, scan] of scans.entries()) {
    const ticketId = decoded[i]?.ticketId ?? null;
    const earlier = firstTicket.get(scan.nonce);
    if (earlier === undefined) firstTicket.set(scan.nonce, ticketId);
    else if (earlier !== ticketId) fields.push(nonceField(i));
  }
  const stored = await db
    .selectFrom('checkins')
    .select(['nonce', 'ticket_id', 'list_id'])
    .where('place_id', '=', placeId)
    .where('nonce', 'in', [...firstTicket.keys()])
    .execute();
  if (stored.length > 0) {
    const list =
      listId ??
      (
        await db
          .selectFrom('checkin_lists')
          .select('id')
          .where('place_id', '=', placeId)
          .where('event_id', '=', eventId)
          .where('is_default', '=', true)
          .executeTakeFirst()
      )?.id;
    const ids = decoded.flatMap((d) => (d ? [d.ticketId] : []));
    const known = new Set(
      ids.length === 0
        ? []
        : (
            await db.selectFrom('tickets').select('id').where('place_id', '=', placeId).where('id', 'in', ids).execute()
          ).map((r) => r.id),
    );
    const byNonce = new Map(stored.map((r) => [r.nonce, r]));
    for (const [i, scan] of scans.entries()) {
      const row = byNonce.get(scan.nonce);
      const ticketId = decoded[i] && known.has(decoded[i].ticketId) ? decoded[i].ticketId : null;
      if (row && (row.ticket_id !== ticketId || row.list_id !== list) && !fields.includes(nonceField(i)))
        fields.push(nonceField(i));
    }
  }
  if (fields.length > 0) throw nonceReused(fields);
}
