import { findEvent, isListed, type AgendaEvent } from '../agenda/index.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { isUuid } from '../shared/ids.ts';
import { offersOf } from '../ticketing/index.ts';
import type { FederationData } from './fedify.ts';
import { firstTime } from './inboxSeen.ts';
import { queueAnswer } from './answer.ts';
import { upsertRemoteActor, type RemoteActor } from './remoteActors.ts';
import { eventObjectUrl } from './urls.ts';

/** What a Join became: an Accept or a Reject queued, nothing (not one of our published dates), or already applied. */
export type JoinAnswer = 'accepted' | 'rejected' | 'ignored' | 'seen';

/**
 * A remote Join of one of our Event objects (docs/FEDERATION.md, "What is accepted from whom"). A free
 * date — it sells no tickets here and its price is 0 or not given — is joined: the participant is
 * counted (federation_joins, in participantCount) and an Accept queued; when the event has a capacity
 * and as many have joined, a Reject. A date that sells tickets (even free ones: the seat is a ticket)
 * or has a price is Rejected: its `joinMode` is `external`, the ticket page is the way. A cancelled,
 * past, unlisted or removed date is Rejected too. The date's federation_published row is locked, so
 * two Joins for the last place give one Accept; the answer is queued in the same transaction and the
 * activity id is applied once (a second delivery does nothing). The same actor joining again (another
 * id) is answered Accept again without counting twice.
 */
export async function answerJoin(
  data: Pick<FederationData, 'db' | 'config'>,
  input: { activityId: string; objectId: string; joiner: RemoteActor },
  now = new Date(),
): Promise<JoinAnswer> {
  const { db, config } = data;
  const dateId = localDateId(config.baseUrl, input.objectId);
  if (!dateId) return 'ignored';
  return inTransaction(db, async (trx) => {
    const published = await trx
      .selectFrom('federation_published')
      .select(['place_id', 'event_id'])
      .where('object_id', '=', dateId)
      .where('deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!published) return 'ignored';
    if (!(await firstTime(trx, input.activityId))) return 'seen';
    await upsertRemoteActor(trx, input.joiner);
    const event = await findEvent(trx, published.event_id);
    const accepted = event ? await admit(trx, event, dateId, input, now) : false;
    await queueAnswer(trx, config.baseUrl, {
      type: accepted ? 'Accept' : 'Reject',
      from: published.place_id,
      to: input.joiner,
      object: { id: input.activityId, type: 'Join', object: eventObjectUrl(config.baseUrl, dateId) },
    });
    return accepted ? 'accepted' : 'rejected';
  });
}

/** Counts the joiner when the date is free, upcoming, not cancelled and not full; false otherwise. */
async function admit(
  trx: Trx,
  event: AgendaEvent,
  dateId: string,
  input: { activityId: string; joiner: RemoteActor },
  now: Date,
): Promise<boolean> {
  const date = event.dates.find((d) => d.id === dateId);
  if (!date || !isListed(event) || event.state === 'cancelled') return false;
  if ((date.endsAt ?? date.startsAt) < now) return false;
  if (!(await isFreeDate(trx, event, dateId))) return false;
  const joined = await trx
    .selectFrom('federation_joins')
    .select('remote_actor')
    .where('object_id', '=', dateId)
    .execute();
  if (joined.some((j) => j.remote_actor === input.joiner.id)) return true;
  if (event.capacity !== null && joined.length >= event.capacity) return false;
  await trx
    .insertInto('federation_joins')
    .values({ object_id: dateId, remote_actor: input.joiner.id, join_activity_id: input.activityId })
    .execute();
  return true;
}

/** Free for a Join: no ticket type sells this date here, and the event's price is 0 or not given. */
async function isFreeDate(db: Db | Trx, event: AgendaEvent, dateId: string): Promise<boolean> {
  if (event.priceFromCents !== null && event.priceFromCents > 0) return false;
  const offers = await offersOf(db, event.placeId, event.id);
  return !offers.some((o) => o.dateId === dateId && o.prices.length > 0);
}

/**
 * A Leave of an event date, or an Undo of a Join, by the joiner itself: uncounted, once per activity id.
 * `Leave` names the object, `Undo` the Join activity. Returns whether a participant was removed.
 */
export async function leaveEvent(
  db: Db,
  input: { activityId: string; actor: string } & ({ objectId: string; base: string } | { joinActivityId: string }),
): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    if (!(await firstTime(trx, input.activityId))) return false;
    return removeJoin(trx, input);
  });
}

/** Removes a joiner's participation, in the caller's transaction (Undo shares its transaction with Undo(Follow)). */
export async function removeJoin(
  trx: Trx,
  input: { actor: string } & ({ objectId: string; base: string } | { joinActivityId: string }),
): Promise<boolean> {
  let query = trx.deleteFrom('federation_joins').where('remote_actor', '=', input.actor);
  if ('joinActivityId' in input) query = query.where('join_activity_id', '=', input.joinActivityId);
  else {
    const dateId = localDateId(input.base, input.objectId);
    if (!dateId) return false;
    query = query.where('object_id', '=', dateId);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Participants counted by Join, per date (for participantCount and the remaining places). */
export async function joinsOf(db: Db | Trx, dateIds: readonly string[]): Promise<Map<string, number>> {
  if (dateIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('federation_joins')
    .select(['object_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('object_id', 'in', dateIds)
    .groupBy('object_id')
    .execute();
  return new Map(rows.map((r) => [r.object_id, Number(r.n)]));
}

/** The date id of one of our Event objects (`<base>/ap/events/<uuid>`), or null. */
function localDateId(base: string, objectId: string): string | null {
  const prefix = eventObjectUrl(base, '');
  if (!objectId.startsWith(prefix)) return null;
  const id = objectId.slice(prefix.length);
  return isUuid(id) ? id.toLowerCase() : null;
}
