import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { findMembership, type Membership } from './memberships.ts';
import { mailMembership, requireMembershipId } from './addMembership.ts';
import { emitEvent } from '../webhooks/index.ts';
import { getPerson } from '../accounts/index.ts';

async function locked(db: Db, placeId: string, id: string) {
  const row = await db
    .selectFrom('memberships')
    .select(['status'])
    .where('place_id', '=', placeId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('membership');
  return row;
}

/** A venue admin cancels a membership (it stops counting at once); cancelling twice is harmless. */
export async function cancelMembership(
  db: Db,
  actor: Actor,
  input: { slug: string; membershipId: string },
): Promise<Membership> {
  const id = requireMembershipId(input.membershipId);
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'memberships.manage');
    const row = await locked(trx, place.id, id);
    if (row.status !== 'cancelled') {
      await trx
        .updateTable('memberships')
        .set({ status: 'cancelled', cancelled_at: sql<Date>`now()` })
        .where('place_id', '=', place.id)
        .where('id', '=', id)
        .execute();
      await audit(trx, actor, {
        placeId: place.id,
        action: 'membership.cancelled',
        subjectId: id,
        data: { from: row.status },
      });
    }
    return (await findMembership(trx, place.id, id))!;
  });
}

/** A venue admin approves a membership that waits for approval. */
export async function approveMembership(
  db: Db,
  config: Config,
  actor: Actor,
  input: { slug: string; membershipId: string },
): Promise<Membership> {
  const id = requireMembershipId(input.membershipId);
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'memberships.manage');
    const row = await locked(trx, place.id, id);
    if (row.status !== 'pending_approval') throw new DomainError('membership-not-pending', 409);
    await trx
      .updateTable('memberships')
      .set({ status: 'active' })
      .where('place_id', '=', place.id)
      .where('id', '=', id)
      .execute();
    await audit(trx, actor, { placeId: place.id, action: 'membership.approved', subjectId: id });
    const m = (await findMembership(trx, place.id, id))!;
    await emitEvent(trx, {
      placeId: place.id,
      type: 'membership.created',
      data: {
        membership_id: id,
        product_id: m.productId,
        person_id: m.personId,
        starts_on: m.startsOn,
        amount_cents: m.amountCents,
        method: m.method,
      },
    });
    const person = await getPerson(trx, m.personId);
    if (!person) throw new Error(`person ${m.personId} of membership ${m.id} not found`);
    await mailMembership(trx, config, place, m, person.language);
    return m;
  });
}
