import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { forbidden, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { lockFederation } from './federations.ts';
import { findPlaceById } from '../places/index.ts';

export interface AddFederationVenueInput {
  federationId: string;
  placeId: string;
}

export interface AddFederationVenueResult {
  federationId: string;
  placeId: string;
  /** The venue was not a member before. */
  joined: boolean;
  /** Codes of the federation's currencies the venue did not accept before and now accepts. */
  newlyAccepted: string[];
  /** Codes of every currency the federation issues (all accepted by the venue now). */
  currencies: string[];
  /** Something was written (false: the venue already was a member accepting every currency). */
  changed: boolean;
}

/**
 * Adds a venue to a federation: it becomes a member and accepts every currency the federation issues
 * (its federated euro), in one transaction, audited. Idempotent: a venue already there (and accepting)
 * changes nothing. Only the node (operators, CLI) federates venues.
 *
 * The federation row is locked first (FOR NO KEY UPDATE), as createCurrency does before reading the
 * members of a federation: a venue added while the federation's euro is being created is either seen
 * by that creation or sees the new currency, never neither. Concurrent additions of the same venue
 * queue on that lock and the later ones find the rows there.
 */
export async function addFederationVenue(
  db: Db,
  actor: Actor,
  input: AddFederationVenueInput,
): Promise<AddFederationVenueResult> {
  if (actor.kind === 'apiKey' || (actor.kind === 'person' && !actor.isOperator)) throw forbidden();
  if (!isUuid(input.federationId)) throw notFound('federation');
  if (!isUuid(input.placeId)) throw notFound('venue');
  return inTransaction(db, async (trx) => {
    await lockFederation(trx, input.federationId);
    const place = await findPlaceById(trx, input.placeId);
    if (!place) throw notFound('venue');
    const joined = await trx
      .insertInto('ledger_federation_places')
      .values({ federation_id: input.federationId, place_id: input.placeId })
      .onConflict((oc) => oc.columns(['federation_id', 'place_id']).doNothing())
      .returning('place_id')
      .executeTakeFirst();
    const currencies = await trx
      .selectFrom('ledger_currencies')
      .select(['id', 'code'])
      .where('issuer_federation_id', '=', input.federationId)
      .orderBy('code')
      .execute();
    const newlyAccepted: string[] = [];
    for (const c of currencies) {
      const added = await trx
        .insertInto('ledger_currency_places')
        .values({ currency_id: c.id, place_id: input.placeId })
        .onConflict((oc) => oc.columns(['currency_id', 'place_id']).doNothing())
        .returning('place_id')
        .executeTakeFirst();
      if (added) newlyAccepted.push(c.code);
    }
    const changed = Boolean(joined) || newlyAccepted.length > 0;
    if (changed) {
      await audit(trx, actor, {
        placeId: input.placeId,
        action: 'ledger.federation.venue-added',
        subjectId: input.federationId,
        data: { joined: Boolean(joined), accepts: newlyAccepted },
      });
    }
    return {
      federationId: input.federationId,
      placeId: input.placeId,
      joined: Boolean(joined),
      newlyAccepted,
      currencies: currencies.map((c) => c.code),
      changed,
    };
  });
}
