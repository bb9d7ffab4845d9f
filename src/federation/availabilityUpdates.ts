import { sql } from 'kysely';
import type { Logger } from 'pino';
import { findEvent, isListed } from '../agenda/index.ts';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { findPlaceById } from '../places/index.ts';
import { onSeatsMoved, placesLeft } from '../ticketing/index.ts';
import { bandOf, bandOfObject, decide } from './availabilityBands.ts';
import { objectsOf, queueToFollowers, recordSent } from './publishChanges.ts';
import { INSTANCE_ACTOR } from './urls.ts';

const BATCH = 500;
/** Dates are watched until this long after they started (door sales of an evening still count). */
const AFTER_START_MS = 6 * 3600_000;

interface Row {
  object_id: string;
  place_id: string;
  event_id: string;
  sequence: number;
  availability_band: string | null;
  availability_sent_at: Date | null;
}

/**
 * Threshold Updates (docs/FEDERATION.md, "Live availability"): for each published date to come (or
 * only `dateIds`), the band of its places left now (ticketing's placesLeft) against the band last sent
 * (federation_published). A crossing queues one `Update` of the date's Event object to the venue's and
 * the relay's followers — at once for sold out and back, else at most one per date every 5 minutes,
 * the crossings of a window sent once at its end with the numbers of then (decide, availabilityBands.ts).
 * The decision is made again on the locked row, so two checks at once send one Update. Returns how
 * many deliveries were queued.
 */
export async function sendAvailabilityChanges(db: Db, config: Config, dateIds?: readonly string[]): Promise<number> {
  let queued = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    let select = db
      .selectFrom('federation_published')
      .select(['object_id', 'place_id', 'event_id', 'sequence', 'availability_band', 'availability_sent_at'])
      .where('deleted_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb('starts_at', 'is', null),
          eb('starts_at', '>', sql<Date>`now() - make_interval(secs => ${AFTER_START_MS / 1000})`),
        ]),
      )
      .where('object_id', '>', after);
    if (dateIds) {
      if (dateIds.length === 0) return 0;
      select = select.where('object_id', 'in', [...dateIds]);
    }
    const rows = await select.orderBy('object_id').limit(BATCH).execute();
    if (rows.length === 0) break;
    queued += await checkRows(db, config, rows);
    if (rows.length < BATCH) break;
    after = rows.at(-1)!.object_id;
  }
  return queued;
}

async function checkRows(db: Db, config: Config, rows: Row[]): Promise<number> {
  const left = await placesLeft(
    db,
    rows.map((r) => ({ placeId: r.place_id, dateId: r.object_id })),
  );
  const now = new Date();
  const toSend = new Map<string, Row[]>();
  for (const row of rows) {
    const band = bandOf(left.get(row.object_id)!);
    const d = decide(band, { band: row.availability_band, sentAt: row.availability_sent_at }, now);
    if (d.kind === 'adopt')
      await db
        .updateTable('federation_published')
        .set({ availability_band: band })
        .where('object_id', '=', row.object_id)
        .where('availability_band', 'is', null)
        .execute();
    if (d.kind === 'send') toSend.set(row.event_id, [...(toSend.get(row.event_id) ?? []), row]);
  }
  let queued = 0;
  for (const [eventId, dates] of toSend) queued += await sendEvent(db, config, eventId, dates);
  return queued;
}

async function sendEvent(db: Db, config: Config, eventId: string, dates: Row[]): Promise<number> {
  const placeId = dates[0]!.place_id;
  const [event, venue] = await Promise.all([findEvent(db, eventId), findPlaceById(db, placeId)]);
  // No longer public listed: publishChanges sends its Delete.
  if (!event || !venue || !isListed(event)) return 0;
  const objects = await objectsOf(db, config, event, venue);
  let queued = 0;
  for (const date of dates) {
    const object = objects.get(date.object_id);
    if (!object) continue;
    queued += await inTransaction(db, async (trx) => {
      const locked = await trx
        .selectFrom('federation_published')
        .select(['sequence', 'deleted_at', 'availability_band', 'availability_sent_at', 'object_updated'])
        .where('object_id', '=', date.object_id)
        .forUpdate()
        .executeTakeFirst();
      // Gone, or already sent from a newer state of the event than the one just read.
      if (!locked || locked.deleted_at || locked.sequence > event.sequence) return 0;
      const now = new Date();
      const d = decide(
        bandOfObject(object),
        { band: locked.availability_band, sentAt: locked.availability_sent_at },
        now,
      );
      if (d.kind !== 'send') return 0;
      await recordSent(
        trx,
        object,
        locked.object_updated,
        {
          object_id: date.object_id,
          place_id: placeId,
          event_id: eventId,
          sequence: event.sequence,
          starts_at: event.dates.find((x) => x.id === date.object_id)?.startsAt ?? null,
        },
        now,
      );
      let n = 0;
      for (const sender of [placeId, INSTANCE_ACTOR])
        n += await queueToFollowers(trx, config, sender, { type: 'Update', object });
      return n;
    });
  }
  return queued;
}

/** After a sale or a release, dates are checked this soon, and once more this later (a transaction may commit late). */
export const WAKE_MS = 100;
export const RECHECK_MS = 1500;

/**
 * The in-process wake-up (docs/FEDERATION.md, "Live availability"): ticketing's seatsMoved hook names
 * the dates whose seats moved; they are checked WAKE_MS later (the moves of that time together), and
 * again RECHECK_MS later, since a hook called inside a transaction runs before its commit. Whatever is
 * queued is delivered at once (`kick`). The 30 s housekeeping check stays the backstop (other
 * processes, capacity edits, the end of debounce windows). Returns the function that stops it and
 * waits for the checks in flight.
 */
export function watchAvailability(db: Db, config: Config, logger: Logger, kick: () => void): () => Promise<void> {
  const pending = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new Set<Promise<void>>();
  let stopped = false;
  const check = (ids: string[]) => {
    const run = sendAvailabilityChanges(db, config, ids)
      .then((queued) => void (queued > 0 && kick()))
      .catch((err: unknown) => logger.error({ err }, 'federation availability check failed'))
      .finally(() => inflight.delete(run));
    inflight.add(run);
  };
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) fn();
    }, ms);
    timer.unref();
    timers.add(timer);
  };
  let waking = false;
  const unsubscribe = onSeatsMoved(({ dateIds }) => {
    if (stopped) return;
    for (const id of dateIds) pending.add(id);
    if (waking) return;
    waking = true;
    later(WAKE_MS, () => {
      waking = false;
      const ids = [...pending];
      pending.clear();
      check(ids);
      later(RECHECK_MS, () => check(ids));
    });
  });
  return async () => {
    stopped = true;
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
    await Promise.all([...inflight]);
  };
}
