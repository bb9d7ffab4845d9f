import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { forbidden, FieldErrors } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';

export interface CreateFederationInput {
  /** URL name, lowercase words joined by hyphens. */
  slug: string;
  name: string;
  /** The member venues. */
  placeIds: string[];
}

/** Creates a federation of venues. Only the node (operators, CLI, demo) federates venues. */
export async function createFederation(db: Db, actor: Actor, input: CreateFederationInput): Promise<{ id: string }> {
  if (actor.kind === 'apiKey' || (actor.kind === 'person' && !actor.isOperator)) throw forbidden();
  const errors = new FieldErrors();
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(input.slug) || input.slug.length > 60) errors.add('slug', 'format');
  if (!input.name || input.name.length > 120) errors.add('name', 'required');
  errors.throwIfAny();
  const id = uuidv7();
  return inTransaction(db, async (trx) => {
    await trx.insertInto('ledger_federations').values({ id, slug: input.slug, name: input.name }).execute();
    for (const placeId of input.placeIds) await trx.insertInto('ledger_federation_places').values({ federation_id: id, place_id: placeId }).execute();
    await audit(trx, actor, { action: 'ledger.federation.created', subjectId: id, data: { slug: input.slug, places: input.placeIds.length } });
    return { id };
  });
}
