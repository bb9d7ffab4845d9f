import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { DomainError, forbidden, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { takeLocks } from '../db/locks.ts';
import { placesByIds } from '../places/index.ts';

export interface CreateFederationInput {
  /** URL name, lowercase words joined by hyphens. */
  slug: string;
  name: string;
  /** The member venues. */
  placeIds: string[];
}

/**
 * Creates a federation of venues. Only the node (operators, CLI, demo) federates venues. A venue named
 * twice counts once; an unknown venue or a slug already taken writes nothing. Venues joining later, and
 * the currencies they then accept, go through addFederationVenue.
 */
export async function createFederation(db: Db, actor: Actor, input: CreateFederationInput): Promise<{ id: string }> {
  if (actor.kind === 'apiKey' || (actor.kind === 'person' && !actor.isOperator)) throw forbidden();
  const errors = new FieldErrors();
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(input.slug) || input.slug.length > 60) errors.add('slug', 'format');
  if (!input.name || input.name.length > 120) errors.add('name', 'required');
  errors.throwIfAny();
  const placeIds = [...new Set(input.placeIds)];
  if (placeIds.some((p) => !isUuid(p))) throw notFound('venue');
  const id = uuidv7();
  return inTransaction(db, async (trx) => {
    await takeLocks(trx, { space: 'ledgerNames', keys: [`federation:${input.slug}`] });
    const taken = await trx
      .selectFrom('ledger_federations')
      .select('id')
      .where('slug', '=', input.slug)
      .executeTakeFirst();
    if (taken)
      throw new DomainError('validation', 422, {}, [{ field: 'slug', message: 'ledger.federation-slug-taken' }]);
    if (placeIds.length > 0) {
      const known = await placesByIds(trx, placeIds);
      if (known.length !== placeIds.length) throw notFound('venue');
    }
    await trx.insertInto('ledger_federations').values({ id, slug: input.slug, name: input.name }).execute();
    for (const placeId of placeIds)
      await trx.insertInto('ledger_federation_places').values({ federation_id: id, place_id: placeId }).execute();
    await audit(trx, actor, {
      action: 'ledger.federation.created',
      subjectId: id,
      data: { slug: input.slug, places: placeIds.length },
    });
    return { id };
  });
}
