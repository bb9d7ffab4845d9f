import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { addMembership } from './addMembership.ts';
import { findMembership, type Membership } from './memberships.ts';
import { addDays, today } from './validity.ts';

/**
 * Renews a membership at the venue: a new membership of the same product for the same person,
 * starting the day after the current one ends (or today if it already ended), so no day is lost
 * or counted twice.
 */
export async function renewMembership(
  db: Db,
  config: Config,
  actor: Actor,
  input: { slug: string; membershipId: string; method: unknown; amount?: unknown },
): Promise<Membership> {
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'memberships.manage');
    const current = await findMembership(trx, place.id, input.membershipId);
    if (!current) throw notFound('membership');
    if (current.endsOn === null) throw new DomainError('membership-lifetime', 409);
    const now = today(place.timezone);
    const next = addDays(current.endsOn, 1);
    return addMembership(trx, config, actor, {
      slug: input.slug,
      email: current.email,
      productId: current.productId,
      method: input.method,
      amount: input.amount,
      startsOn: next > now ? next : now,
      note: '',
    });
  });
}
