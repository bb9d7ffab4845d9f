import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import type { Db, Trx } from '../db/database.ts';
import { forbidden } from '../shared/errors.ts';
import { INSTANCE_ACTOR } from './urls.ts';

/** Operators only (and the node itself): the territory's follows, follow requests, blocks, removals, deliveries. */
export function requireOperator(who: Actor): void {
  if (who.kind === 'apiKey' || (who.kind === 'person' && !who.isOperator)) throw forbidden();
}

/** Who may act for a local actor: operators for the instance actor, a venue's admins for the venue. */
export async function authorizeLocalActor(db: Db | Trx, who: Actor, localActor: string): Promise<void> {
  if (localActor === INSTANCE_ACTOR) requireOperator(who);
  else await authorize(db, who, localActor, 'place.settings');
}
