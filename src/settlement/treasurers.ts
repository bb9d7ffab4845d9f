import type { Db, Trx } from '../db/database.ts';
import { takeLocks } from '../db/locks.ts';
import type { Actor } from '../access/actor.ts';
import { federationNames, findFederationBySlug, federationToken, type Currency } from '../ledger/index.ts';
import { DomainError, forbidden, notFound } from '../shared/errors.ts';

/**
 * Who settles a federation (docs/SETTLEMENT.md, "Who may do what"): its treasurers, node operators and
 * the node itself. The treasurer role is per federation (a federation is not a venue, so not a place role).
 */

/**
 * Serialises every settlement write of a federation (run, statement, payout, remittance) until the end
 * of the transaction. Taken before any ledger lock.
 */
export async function lockSettlement(trx: Trx, federationId: string): Promise<void> {
  // The key of the versions before db/locks.ts: old and new processes agree during an upgrade.
  await takeLocks(trx, { space: 'settlement', keys: [`settlement:${federationId}`] });
}

export async function isTreasurer(db: Db, personId: string, federationId: string): Promise<boolean> {
  const row = await db
    .selectFrom('settlement_treasurers')
    .select('person_id')
    .where('federation_id', '=', federationId)
    .where('person_id', '=', personId)
    .executeTakeFirst();
  return Boolean(row);
}

/** Throws 403 unless the actor settles this federation: the node, an operator, or one of its treasurers. */
export async function authorizeTreasurer(db: Db, actor: Actor, federationId: string): Promise<void> {
  if (actor.kind === 'system') return;
  if (actor.kind === 'person' && (actor.isOperator || (await isTreasurer(db, actor.personId, federationId)))) return;
  throw forbidden();
}

/** Only the node and operators choose treasurers and the fee. */
export function requireOperator(actor: Actor): void {
  if (actor.kind === 'system' || (actor.kind === 'person' && actor.isOperator)) return;
  throw forbidden();
}

export interface SettledFederation {
  id: string;
  slug: string;
  name: string;
  /** Its euro token. */
  currency: Currency;
}

/** A federation by slug with its euro token: 404 when unknown, 409 when it issues no token yet. */
export async function settledFederation(db: Db, slug: unknown): Promise<SettledFederation> {
  const federation = typeof slug === 'string' && slug.length <= 60 ? await findFederationBySlug(db, slug) : null;
  if (!federation) throw notFound('federation');
  const currency = await federationToken(db, federation.id);
  if (!currency) throw new DomainError('settlement-no-token', 409, { federation: federation.slug });
  return { ...federation, currency };
}

/** The federations the actor may settle (for the /settlement page). */
export async function federationsOf(db: Db, actor: Actor): Promise<{ id: string; slug: string; name: string }[]> {
  if (actor.kind === 'apiKey') return [];
  if (actor.kind === 'person' && !actor.isOperator) {
    const rows = await db
      .selectFrom('settlement_treasurers')
      .select('federation_id')
      .where('person_id', '=', actor.personId)
      .execute();
    return federationNames(
      db,
      rows.map((r) => r.federation_id),
    );
  }
  return federationNames(db);
}

/** The treasurers of a federation, for its page. */
export async function listTreasurers(
  db: Db,
  federationId: string,
): Promise<{ personId: string; email: string; name: string }[]> {
  const rows = await db
    .selectFrom('settlement_treasurers as t')
    .innerJoin('people as p', 'p.id', 't.person_id')
    .select(['p.id', 'p.email', 'p.name'])
    .where('t.federation_id', '=', federationId)
    .orderBy('p.email')
    .execute();
  return rows.map((r) => ({ personId: r.id, email: r.email, name: r.name }));
}
