import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import type { PlaceRole } from '../db/schema.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createPlace } from '../places/createPlace.ts';
import { DomainError } from '../shared/errors.ts';
import { personActor, ROLES, SYSTEM, type ApiKeyActor } from './actor.ts';
import { API_SCOPES, authorize, PERMISSIONS, roleAllows, type Permission } from './permissions.ts';

/**
 * The foundation's permissions, written out again by hand: a change to the table must be made twice
 * (there and here), on purpose. Modules add their own rows; the invariants below cover those too.
 */
const FOUNDATION: Record<
  string,
  { admin: boolean; editor: boolean; cashier: boolean; door: boolean; scope: string | null }
> = {
  'place.read': { admin: true, editor: true, cashier: true, door: true, scope: 'place:read' },
  'place.settings': { admin: true, editor: false, cashier: false, door: false, scope: 'place:write' },
  'place.team.read': { admin: true, editor: false, cashier: false, door: false, scope: 'team:read' },
  'place.team.manage': { admin: true, editor: false, cashier: false, door: false, scope: null },
  'place.keys': { admin: true, editor: false, cashier: false, door: false, scope: null },
  'events.write': { admin: true, editor: true, cashier: false, door: false, scope: 'events:write' },
  checkin: { admin: true, editor: false, cashier: false, door: true, scope: 'checkin' },
  'onsite.pay': { admin: true, editor: false, cashier: false, door: true, scope: null },
  till: { admin: true, editor: false, cashier: true, door: false, scope: 'till' },
};

const ALL = Object.keys(PERMISSIONS) as Permission[];
const isForbidden = (e: unknown) => e instanceof DomainError && e.code === 'forbidden' && e.status === 403;
const isScopeRefusal = (e: unknown) => e instanceof DomainError && e.code === 'api-key-scope' && e.status === 403;

describe('the permission table', () => {
  for (const [permission, expected] of Object.entries(FOUNDATION)) {
    test(`${permission}: roles and API key scope`, () => {
      assert.ok(permission in PERMISSIONS, `${permission} is in the table`);
      const p = permission as Permission;
      for (const role of ROLES) assert.equal(roleAllows(role, p), expected[role], `${role} on ${permission}`);
      assert.equal(PERMISSIONS[p].scope, expected.scope);
    });
  }

  test('every permission, modules’ ones included: admins have it, roles are known, scopes are offered to keys', () => {
    for (const permission of ALL) {
      const { roles, scope } = PERMISSIONS[permission];
      assert.ok(roleAllows('admin', permission), `admin has ${permission}`);
      assert.ok(
        roles.every((r) => (ROLES as readonly string[]).includes(r)),
        permission,
      );
      if (scope !== null) assert.ok(API_SCOPES.includes(scope), `${scope} is offered`);
    }
    assert.equal(new Set(API_SCOPES).size, API_SCOPES.length);
  });

  test('no key scope lets a key manage the team or other keys', () => {
    assert.equal(PERMISSIONS['place.team.manage'].scope, null);
    assert.equal(PERMISSIONS['place.keys'].scope, null);
  });
});

describe('authorize, against the database', () => {
  let testDatabase: TestDatabase;
  let db: Db;
  let placeA: string;
  let placeB: string;
  const people: Partial<Record<PlaceRole | 'outsider' | 'operator', string>> = {};

  before(async () => {
    testDatabase = await createTestDatabase();
    db = testDatabase.database.db;
    for (const who of [...ROLES, 'outsider', 'operator'] as const)
      people[who] = (await ensurePerson(db, `${who}@example.org`, 'fr')).id;
    placeA = (await createPlace(db, SYSTEM, { slug: 'lieu-a', name: 'Lieu A' }, people.admin)).id;
    placeB = (await createPlace(db, SYSTEM, { slug: 'lieu-b', name: 'Lieu B' }, people.outsider)).id;
    for (const role of ROLES.filter((r) => r !== 'admin')) {
      await db.insertInto('place_members').values({ place_id: placeA, person_id: people[role]!, role }).execute();
    }
  });
  after(() => testDatabase.close());

  test('each role gets exactly what the table gives it, on its own place only', async () => {
    for (const role of ROLES) {
      const actor = personActor(people[role]!);
      for (const permission of ALL) {
        const run = authorize(db, actor, placeA, permission);
        if (roleAllows(role, permission)) await run;
        else await assert.rejects(run, isForbidden, `${role} must not have ${permission}`);
        await assert.rejects(authorize(db, actor, placeB, permission), isForbidden, `${role} of A on B: ${permission}`);
      }
    }
  });

  test('a role removed a moment ago no longer counts', async () => {
    const person = (await ensurePerson(db, 'leaving@example.org', 'fr')).id;
    await db.insertInto('place_members').values({ place_id: placeA, person_id: person, role: 'editor' }).execute();
    await authorize(db, personActor(person), placeA, 'events.write');
    await db.deleteFrom('place_members').where('person_id', '=', person).execute();
    await assert.rejects(authorize(db, personActor(person), placeA, 'events.write'), isForbidden);
  });

  test('operators and the node itself may do everything, everywhere', async () => {
    for (const permission of ALL) {
      await authorize(db, personActor(people.operator!, true), placeB, permission);
      await authorize(db, SYSTEM, placeB, permission);
    }
    await assert.rejects(authorize(db, personActor(people.operator!, false), placeB, 'place.settings'), isForbidden);
  });

  test('a key may do what its scopes allow on its own place, nothing on another, never team or keys', async () => {
    const key: ApiKeyActor = {
      kind: 'apiKey',
      keyId: '0190a0b0-0000-7000-8000-000000000001',
      placeId: placeA,
      scopes: [...API_SCOPES],
    };
    for (const permission of ALL) {
      const run = authorize(db, key, placeA, permission);
      if (PERMISSIONS[permission].scope !== null) await run;
      else await assert.rejects(run, isScopeRefusal, permission);
      await assert.rejects(authorize(db, key, placeB, permission), isScopeRefusal, `key of A on B: ${permission}`);
    }
    const readOnly: ApiKeyActor = { ...key, scopes: ['place:read'] };
    await authorize(db, readOnly, placeA, 'place.read');
    await assert.rejects(
      authorize(db, readOnly, placeA, 'place.settings'),
      (e: unknown) => isScopeRefusal(e) && (e as DomainError).params.scope === 'place:write',
    );
  });
});
