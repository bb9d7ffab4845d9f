import { sql, type ExpressionBuilder } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { firstTime } from './inboxSeen.ts';
import type { RemoteAvailability, RemoteEvent } from './parseRemoteEvent.ts';
import { liveAvailabilityUrlOf } from './refreshRemoteAvailability.ts';

/**
 * Stores an Event received in a Create or Update: raw as received, and the fields parseRemoteEvent
 * read from it (the agenda's union of remote events reads those: docs/FEDERATION.md, "Following remote
 * venues"). Only from an actor a local actor follows (accepted), or through one (`via`: Announce). Updates apply in order: a copy whose
 * `updated` is older than the stored one, or equal with a `sequence` not greater, changes nothing
 * (deliveries retried arrive out of order); an event removed by an operator stays removed. An event
 * starting more than a year ago or more than three years ahead is refused (withinStoredRange).
 */
export async function storeRemoteEvent(
  db: Db,
  input: {
    activityId: string;
    actor: string;
    object: Record<string, unknown>;
    event: RemoteEvent;
    /** The followed actor it came through when not its origin (an Announce by a relay or a group). */
    via?: string;
  },
): Promise<'stored' | 'not-followed' | 'seen' | 'out-of-range'> {
  if (!withinStoredRange(input.event, new Date())) return 'out-of-range';
  return inTransaction(db, async (trx) => {
    const followed = await trx
      .selectFrom('federation_follows')
      .select('local_actor')
      .where('remote_actor', '=', input.via ?? input.actor)
      .where('state', '=', 'accepted')
      .executeTakeFirst();
    if (!followed) return 'not-followed';
    if (!(await firstTime(trx, input.activityId))) return 'seen';
    const { event } = input;
    const fields = {
      raw: JSON.stringify(input.object),
      updated: event.updated,
      parsed: JSON.stringify(event),
      starts_at: event.startsAt,
      ends_at: event.endsAt,
      tags: event.tags,
      sequence: event.sequence,
      remaining: event.remainingCapacity,
      availability: event.availability,
      availability_as_of: event.updated,
      availability_url: liveAvailabilityUrlOf(input.object),
    };
    await trx
      .insertInto('federation_remote_events')
      .values({ id: event.id, origin_actor: input.actor, ...fields })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ ...fields, ...keepPolledAvailability, received_at: sql<Date>`now()` })
          .where('federation_remote_events.origin_actor', '=', input.actor)
          .where('federation_remote_events.removed_by_operator', '=', false)
          .where(newer),
      )
      .execute();
    return 'stored';
  });
}

/**
 * A newer copy brings its own availability, unless a poll of the origin (refreshRemoteAvailability)
 * stored a more recent one (both times are the origin's clock): then the polled numbers stay, in the
 * columns and in `parsed`.
 */
const polledIsNewer = sql<boolean>`(federation_remote_events.availability_as_of is not null and (excluded.availability_as_of is null or federation_remote_events.availability_as_of > excluded.availability_as_of))`;
const keepPolledAvailability = {
  remaining: sql<
    number | null
  >`case when ${polledIsNewer} then federation_remote_events.remaining else excluded.remaining end`,
  availability: sql<RemoteAvailability | null>`case when ${polledIsNewer} then federation_remote_events.availability else excluded.availability end`,
  availability_as_of: sql<Date | null>`case when ${polledIsNewer} then federation_remote_events.availability_as_of else excluded.availability_as_of end`,
  parsed: sql<string>`case when ${polledIsNewer} then excluded.parsed || jsonb_build_object('remainingCapacity', federation_remote_events.remaining, 'availability', federation_remote_events.availability) else excluded.parsed end`,
};
const YEAR_MS = 365 * 86_400_000;

/**
 * The dates a node keeps of a received event: starting from a year ago to three years ahead (a
 * neighbour's agenda, not an archive; a far date is a mistake or a flood), ending no later than three
 * years ahead either.
 */
export function withinStoredRange(event: Pick<RemoteEvent, 'startsAt' | 'endsAt'>, now: Date): boolean {
  const start = Date.parse(event.startsAt);
  const end = event.endsAt ? Date.parse(event.endsAt) : start;
  const earliest = now.getTime() - YEAR_MS;
  const latest = now.getTime() + 3 * YEAR_MS;
  return start >= earliest && start <= latest && end <= latest;
}

/** The received copy is newer than the stored one: by `updated`, then by `sequence` (docs, step 7). */
const newer = (eb: ExpressionBuilder<DB, 'federation_remote_events'>) => {
  const stored = 'federation_remote_events';
  return eb.or([
    eb(`${stored}.updated`, 'is', null),
    eb(`${stored}.updated`, '<', sql<Date>`excluded.updated`),
    eb.and([
      eb(`${stored}.updated`, '=', sql<Date>`excluded.updated`),
      eb(
        sql<number>`coalesce(${sql.ref(`${stored}.sequence`)}, -1)`,
        '<',
        sql<number>`coalesce(excluded.sequence, -1)`,
      ),
    ]),
  ]);
};

/** A Delete from the event's origin actor: the remote event is removed. */
export async function removeRemoteEvent(
  db: Db,
  input: { activityId: string; actor: string; objectId: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    if (!(await firstTime(trx, input.activityId))) return;
    await trx
      .deleteFrom('federation_remote_events')
      .where('id', '=', input.objectId)
      .where('origin_actor', '=', input.actor)
      .execute();
  });
}
