import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM, personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createPlace } from '../places/createPlace.ts';
import { isCode, onPostgres } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { acceptCurrency } from './acceptCurrency.ts';
import { createCurrency } from './createCurrency.ts';
import { createTransfers } from './createTransfers.ts';
import { useLedgerWorld, type LedgerWorld } from './testFixtures.ts';

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));

let venues = 0;
const newVenue = async () => {
  const n = `${Date.now().toString(36)}-${venues++}`;
  const admin = await ensurePerson(db, `admin-acc-${n}@example.org`, 'fr');
  const place = await createPlace(db, SYSTEM, { slug: `acc-${n}`, name: `Neighbour ${n}` }, admin.id);
  return { id: place.id, admin: personActor(admin.id) };
};
let codes = 0;
const newGift = async (issuerPlaceId: string) =>
  createCurrency(db, SYSTEM, {
    code: `AC${Date.now().toString(36).toUpperCase().slice(-6)}${codes++}`,
    name: 'Gift',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId,
  });
const rows = async (currencyId: string, placeId: string) => ({
  accepts: (
    await db
      .selectFrom('ledger_currency_places')
      .select('place_id')
      .where('currency_id', '=', currencyId)
      .where('place_id', '=', placeId)
      .execute()
  ).length,
  audits: (
    await db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'ledger.currency.accepted')
      .where('subject_id', '=', currencyId)
      .where('place_id', '=', placeId)
      .execute()
  ).length,
});
const totals = async () =>
  (
    await sql<{
      a: string;
      b: string;
    }>`select (select count(*) from ledger_currency_places) as a, (select count(*) from audit_log) as b`.execute(db)
  ).rows[0];

describe('acceptCurrency', () => {
  test('venue B accepts venue A’s gift credit: a wallet then pays B with it; a second run changes nothing', async () => {
    const p = await w.person();
    await w.fund(p.gift.id, 500, w.gift);
    const till = await w.placeAccount(w.venueB.id, w.gift);
    const pay = () =>
      createTransfers(db, p.actor, {
        transfers: [
          { id: uuidv7(), debitAccountId: p.gift.id, creditAccountId: till.id, amount: 200, kind: 'payment' },
        ],
      });
    await assert.rejects(pay(), isCode('ledger-currency-not-accepted'));

    assert.deepEqual(await acceptCurrency(db, SYSTEM, { currencyCode: w.gift.code, placeId: w.venueB.id }), {
      code: w.gift.code,
      placeId: w.venueB.id,
      added: true,
    });
    await pay();
    assert.deepEqual(await rows(w.gift.id, w.venueB.id), { accepts: 1, audits: 1 });

    assert.equal((await acceptCurrency(db, SYSTEM, { currencyCode: w.gift.code, placeId: w.venueB.id })).added, false);
    assert.deepEqual(await rows(w.gift.id, w.venueB.id), { accepts: 1, audits: 1 });
  });

  test('the federated euro is refused for a venue outside its federation; nothing is written', async () => {
    const outsider = await newVenue();
    const before = await totals();
    await assert.rejects(
      acceptCurrency(db, SYSTEM, { currencyCode: w.euro.code, placeId: outsider.id }),
      (e) => isCode('ledger-not-federation-member')(e) && (e as DomainError).params.currency === w.euro.code,
    );
    assert.deepEqual(await totals(), before);
    // A member already accepts it: nothing to add.
    assert.equal((await acceptCurrency(db, SYSTEM, { currencyCode: w.euro.code, placeId: w.venueA.id })).added, false);
  });

  test('unknown code or venue, an archived currency, someone not admin of the issuer: refused, nothing written', async () => {
    const neighbour = await newVenue();
    const gift = await newGift(w.venueA.id);
    const archived = await newGift(w.venueA.id);
    await db.updateTable('ledger_currencies').set({ status: 'archived' }).where('id', '=', archived.id).execute();
    const before = await totals();
    await assert.rejects(
      acceptCurrency(db, SYSTEM, { currencyCode: 'NOPE42', placeId: neighbour.id }),
      (e) => isCode('not-found')(e) && (e as DomainError).params.what === 'currency',
    );
    await assert.rejects(
      acceptCurrency(db, SYSTEM, { currencyCode: gift.code, placeId: uuidv7() }),
      (e) => isCode('not-found')(e) && (e as DomainError).params.what === 'venue',
    );
    await assert.rejects(
      acceptCurrency(db, SYSTEM, { currencyCode: archived.code, placeId: neighbour.id }),
      isCode('ledger-currency-archived'),
    );
    // The neighbour's own admin cannot decide to take A's credit; A's admin can (below).
    await assert.rejects(
      acceptCurrency(db, neighbour.admin, { currencyCode: gift.code, placeId: neighbour.id }),
      isCode('forbidden'),
    );
    await assert.rejects(
      acceptCurrency(db, w.adminA, { currencyCode: w.euro.code, placeId: w.venueA.id }),
      isCode('forbidden'),
    );
    assert.deepEqual(await totals(), before);
  });

  test('the accepting venue consents: the issuer’s admin alone cannot make it accept, nor can its own admin alone (issue 12 #15)', async () => {
    const neighbour = await newVenue();
    const gift = await newGift(w.venueA.id);
    const before = await totals();
    // A's admin is not the neighbour's: the neighbour did not consent.
    await assert.rejects(
      acceptCurrency(db, w.adminA, { currencyCode: gift.code, placeId: neighbour.id }),
      isCode('forbidden'),
    );
    // An API key with place:write of the issuer: the same.
    await assert.rejects(
      acceptCurrency(
        db,
        { kind: 'apiKey', keyId: uuidv7(), placeId: w.venueA.id, scopes: ['place:write'] },
        { currencyCode: gift.code, placeId: neighbour.id },
      ),
      isCode('api-key-scope'),
    );
    assert.deepEqual(await totals(), before);
    assert.deepEqual(await rows(gift.id, neighbour.id), { accepts: 0, audits: 0 });
    // A person admin of both venues consents for both; an operator may too.
    await db
      .insertInto('place_members')
      .values({ place_id: neighbour.id, person_id: w.adminA.personId, role: 'admin' })
      .execute();
    assert.equal((await acceptCurrency(db, w.adminA, { currencyCode: gift.code, placeId: neighbour.id })).added, true);
    const other = await newVenue();
    const operator = personActor((await ensurePerson(db, `op-acc-${uuidv7()}@example.org`, 'fr')).id, true);
    assert.equal((await acceptCurrency(db, operator, { currencyCode: gift.code, placeId: other.id })).added, true);
  });

  test('createCurrency: the venues it is accepted by at creation consent too', async () => {
    const neighbour = await newVenue();
    const code = `CC${Date.now().toString(36).toUpperCase().slice(-6)}${codes++}`;
    const before = await totals();
    await assert.rejects(
      createCurrency(db, w.adminA, {
        code,
        name: 'Gift',
        kind: 'gift',
        decimals: 2,
        issuerPlaceId: w.venueA.id,
        acceptedByPlaceIds: [neighbour.id],
      }),
      isCode('forbidden'),
    );
    assert.deepEqual(await totals(), before);
    // Venue B has the same admin as A: accepted at creation.
    const ok = await createCurrency(db, w.adminA, {
      code,
      name: 'Gift',
      kind: 'gift',
      decimals: 2,
      issuerPlaceId: w.venueA.id,
      acceptedByPlaceIds: [w.venueB.id],
    });
    assert.deepEqual(await rows(ok.id, w.venueB.id), { accepts: 1, audits: 0 });
  });

  test(
    'on PostgreSQL: 10 concurrent acceptances give one row, one audit entry, no error',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const neighbour = await newVenue();
      const gift = await newGift(w.venueA.id);
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          acceptCurrency(db, SYSTEM, { currencyCode: gift.code, placeId: neighbour.id }),
        ),
      );
      assert.equal(results.filter((r) => r.added).length, 1);
      assert.deepEqual(await rows(gift.id, neighbour.id), { accepts: 1, audits: 1 });
    },
  );
});
