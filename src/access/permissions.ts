import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { PlaceRole } from '../db/schema.ts';
import { DomainError, forbidden, unauthenticated } from '../shared/errors.ts';
import type { Actor } from './actor.ts';

/**
 * What can be done on a place, who may do it (roles) and which API key scope allows it. One table, so
 * that "who can do what" is read in one place and tested as a table.
 */
export const PERMISSIONS = {
  'place.read': { roles: ['admin', 'editor', 'cashier', 'door'], scope: 'place:read' },
  'place.settings': { roles: ['admin'], scope: 'place:write' },
  'place.team.read': { roles: ['admin'], scope: 'team:read' },
  'place.team.manage': { roles: ['admin'], scope: null },
  'place.keys': { roles: ['admin'], scope: null },
  'events.write': { roles: ['admin', 'editor'], scope: 'events:write' },
  checkin: { roles: ['admin', 'door'], scope: 'checkin' },
  // Saying that money was received at the door or desk: people who hold the cash box only, never a key
  // (a `checkin` key lets guests in, nobody answers for money it would declare). docs/TICKETING.md.
  'onsite.pay': { roles: ['admin', 'door'], scope: null },
  till: { roles: ['admin', 'cashier'], scope: 'till' },
  // Money leaving the venue's own accounts (refunds, payouts): not a cashier's (docs/LEDGER.md).
  refund: { roles: ['admin'], scope: 'refund' },
  'memberships.read': { roles: ['admin', 'cashier', 'door'], scope: 'memberships:read' },
  'memberships.manage': { roles: ['admin'], scope: 'memberships:write' },
  'settlement.read': { roles: ['admin'], scope: 'settlement:read' },
} as const satisfies Record<string, { roles: readonly PlaceRole[]; scope: string | null }>;

export type Permission = keyof typeof PERMISSIONS;

/** Scopes an API key may carry. Keys cannot manage the team or other keys: only people can. */
export const API_SCOPES: readonly string[] = [
  ...new Set(Object.values(PERMISSIONS).flatMap((p) => (p.scope ? [p.scope] : []))),
];

export function roleAllows(role: PlaceRole, permission: Permission): boolean {
  return (PERMISSIONS[permission].roles as readonly PlaceRole[]).includes(role);
}

/**
 * Throws unless `actor` may do `permission` on the place. Reads the role inside the caller's
 * transaction, so a role removed a moment ago no longer counts. A key of another place, or a
 * person without a role there, gets 403: the place exists (its page is public) but is not theirs.
 */
export async function authorize(db: Db, actor: Actor, placeId: string, permission: Permission): Promise<void> {
  const role = actor.kind === 'person' && !actor.isOperator ? await roleOf(db, actor.personId, placeId) : null;
  checkPermission(actor, placeId, permission, role);
}

/**
 * authorize's decision once the person's role at the place is known (read by the caller in the same
 * transaction, e.g. with `roleOfSql` inside a larger statement): throws the same 403s.
 */
export function checkPermission(actor: Actor, placeId: string, permission: Permission, role: PlaceRole | null): void {
  switch (actor.kind) {
    case 'system':
      return;
    case 'apiKey': {
      const scope = PERMISSIONS[permission].scope;
      if (actor.placeId !== placeId || scope === null || !actor.scopes.includes(scope)) {
        throw new DomainError('api-key-scope', 403, { scope: scope ?? '-' });
      }
      return;
    }
    case 'person': {
      if (actor.isOperator) return;
      if (role && roleAllows(role, permission)) return;
      throw forbidden();
    }
  }
}

/** The person's role at the place as a scalar subquery, for a caller that reads it in a larger statement. */
export function roleOfSql(personId: string, placeId: string) {
  return sql<PlaceRole | null>`(select m.role from place_members m where m.place_id = ${placeId}::uuid and m.person_id = ${personId}::uuid)`;
}

export async function roleOf(db: Db, personId: string, placeId: string): Promise<PlaceRole | null> {
  const row = await db
    .selectFrom('place_members')
    .select('role')
    .where('place_id', '=', placeId)
    .where('person_id', '=', personId)
    .executeTakeFirst();
  return row?.role ?? null;
}

export function requirePerson(actor: Actor | null): asserts actor is Extract<Actor, { kind: 'person' }> {
  if (!actor || actor.kind !== 'person') throw unauthenticated();
}
