import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SYSTEM, personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createPlace } from '../places/createPlace.ts';
import { isCode, onPostgres, countRows } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { addFederationVenue } from './addFederationVenue.ts';
import { createCurrency } from './createCurrency.ts';
import { createFederation } from './createFederation.ts';
import { createTransfers } from './createTransfers.ts';
import { useLedgerWorld, type LedgerWorld } from './testFixtures.ts';

let db: Db;
let w: LedgerWorld;
let federationId: string;
useLedgerWorld((opened) => {
  ({ db, w } = opened);
  federationId = w.euro.issuerFederationId!;
});

let venues = 0;
const newVenue = async () => {
  const n = `${Date.now().toString(36)}-${venues++}`;
  const admin = await ensurePerson(db, `admin-late-${n}@example.org`, 'fr');
  const place = await createPlace(db, SYSTEM, { slug: `late-${n}`, name: `Late venue ${n}` }, admin.id);
  return { id: place.id, admin: personActor(admin.id) };
};
const count = async (
  table: 'ledger_federation_places' | 'ledger_currency_places' | 'audit_log' | 'ledger_federations',
) => countRows(db, table);
const rows = async (placeId: string) => ({
  members: (
    await db
      .selectFrom('ledger_federation_places')
      .select('place_id')
      .where('federation_id', '=', federationId)
      .where('place_id', '=', placeId)
      .execute()
  ).length,
  accepts: (
    await db
      .selectFrom('ledger_currency_places')
      .select('place_id')
      .where('currency_id', '=', w.euro.id)
      .where('place_id', '=', placeId)
      .execute()
  ).length,
  audits: (
    await db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'ledger.federation.venue-added')
      .where('place_id', '=', placeId)
      .execute()
  ).length,
});

describe('addFederationVenue', () => {
  test('a venue added after the euro was created then accepts it: a wallet pays it; a second run changes nothing', async () => {
    const late = await newVenue();
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const till = await w.placeAccount(late.id, w.euro);
    const pay = () =>
      createTransfers(db, p.actor, {
        transfers: [
          { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: till.id, amount: 300, kind: 'payment' },
        ],
      });
    await assert.rejects(pay(), isCode('ledger-currency-not-accepted'));

    const first = await addFederationVenue(db, SYSTEM, { federationId, placeId: late.id });
    assert.deepEqual(first, {
      federationId,
      placeId: late.id,
      joined: true,
      newlyAccepted: [w.euro.code],
      currencies: [w.euro.code],
      changed: true,
    });
    assert.deepEqual(await rows(late.id), { members: 1, accepts: 1, audits: 1 });
    await pay();
    const balance = await db
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('id', '=', till.id)
      .executeTakeFirstOrThrow();
    assert.equal(balance.balance, 300);

    const again = await addFederationVenue(db, SYSTEM, { federationId, placeId: late.id });
    assert.equal(again.changed, false);
    assert.equal(again.joined, false);
    assert.deepEqual(again.newlyAccepted, []);
    assert.deepEqual(await rows(late.id), { members: 1, accepts: 1, audits: 1 });
  });

  test('a member that lacks its acceptance row gets it back (and only that is written)', async () => {
    const v = await newVenue();
    await addFederationVenue(db, SYSTEM, { federationId, placeId: v.id });
    await db
      .deleteFrom('ledger_currency_places')
      .where('currency_id', '=', w.euro.id)
      .where('place_id', '=', v.id)
      .execute();
    const r = await addFederationVenue(db, SYSTEM, { federationId, placeId: v.id });
    assert.equal(r.joined, false);
    assert.deepEqual(r.newlyAccepted, [w.euro.code]);
    assert.deepEqual(await rows(v.id), { members: 1, accepts: 1, audits: 2 });
  });

  test('an unknown federation or venue, or a venue admin, is refused and nothing is written', async () => {
    const v = await newVenue();
    const before = [
      await count('ledger_federation_places'),
      await count('ledger_currency_places'),
      await count('audit_log'),
    ];
    await assert.rejects(
      addFederationVenue(db, SYSTEM, { federationId: uuidv7(), placeId: v.id }),
      (e) => isCode('not-found')(e) && (e as DomainError).params.what === 'federation',
    );
    await assert.rejects(
      addFederationVenue(db, SYSTEM, { federationId, placeId: uuidv7() }),
      (e) => isCode('not-found')(e) && (e as DomainError).params.what === 'venue',
    );
    await assert.rejects(addFederationVenue(db, SYSTEM, { federationId: 'nope', placeId: v.id }), isCode('not-found'));
    await assert.rejects(addFederationVenue(db, v.admin, { federationId, placeId: v.id }), isCode('forbidden'));
    assert.deepEqual(
      [await count('ledger_federation_places'), await count('ledger_currency_places'), await count('audit_log')],
      before,
    );
  });

  test('createFederation and createCurrency agree: venues named twice count once, an unknown venue writes nothing, a federated euro takes the members, once', async () => {
    const a = await newVenue();
    const before = await count('ledger_federations');
    await assert.rejects(
      createFederation(db, SYSTEM, { slug: `f-${uuidv7().slice(-8)}`, name: 'F', placeIds: [a.id, uuidv7()] }),
      isCode('not-found'),
    );
    assert.equal(await count('ledger_federations'), before);
    const slug = `f-${uuidv7().slice(-8)}`;
    const f = await createFederation(db, SYSTEM, { slug, name: 'F', placeIds: [a.id, a.id] });
    await assert.rejects(
      createFederation(db, SYSTEM, { slug, name: 'F', placeIds: [] }),
      (e) => isCode('validation')(e) && (e as DomainError).fields[0]!.message === 'ledger.federation-slug-taken',
    );
    const outsider = await newVenue();
    const code = `F${uuidv7().replace(/-/g, '').slice(-8).toUpperCase()}`;
    await assert.rejects(
      createCurrency(db, SYSTEM, {
        code,
        name: 'Euro',
        kind: 'federated_euro',
        decimals: 2,
        federationId: f.id,
        acceptedByPlaceIds: [outsider.id],
      }),
      (e) => isCode('validation')(e) && (e as DomainError).fields[0]!.message === 'ledger.not-federation-member',
    );
    await assert.rejects(
      createCurrency(db, SYSTEM, { code, name: 'Euro', kind: 'federated_euro', decimals: 2, federationId: uuidv7() }),
      isCode('not-found'),
    );
    const euro = await createCurrency(db, SYSTEM, {
      code,
      name: 'Euro',
      kind: 'federated_euro',
      decimals: 2,
      federationId: f.id,
    });
    const accepting = await db
      .selectFrom('ledger_currency_places')
      .select('place_id')
      .where('currency_id', '=', euro.id)
      .execute();
    assert.deepEqual(
      accepting.map((r) => r.place_id),
      [a.id],
    );
    await assert.rejects(
      createCurrency(db, SYSTEM, {
        code: `${code}X`,
        name: 'Euro 2',
        kind: 'federated_euro',
        decimals: 2,
        federationId: f.id,
      }),
      (e) => isCode('validation')(e) && (e as DomainError).fields[0]!.message === 'ledger.federation-has-euro',
    );
    const added = await addFederationVenue(db, SYSTEM, { federationId: f.id, placeId: outsider.id });
    assert.deepEqual(added.newlyAccepted, [code]);
  });

  test(
    'on PostgreSQL: 10 concurrent additions of the same venue give one row in each table, one audit entry, no error',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const v = await newVenue();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => addFederationVenue(db, SYSTEM, { federationId, placeId: v.id })),
      );
      assert.equal(results.filter((r) => r.joined).length, 1);
      assert.equal(results.filter((r) => r.changed).length, 1);
      assert.deepEqual(await rows(v.id), { members: 1, accepts: 1, audits: 1 });
    },
  );

  test(
    'on PostgreSQL: 8 concurrent creations of one federation slug, and of one currency code: one is made, the others are told the name is taken',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const fieldOf = (r: PromiseSettledResult<unknown>) =>
        r.status === 'rejected' && r.reason instanceof DomainError && r.reason.code === 'validation'
          ? (r.reason.fields ?? []).map((f) => f.message).join()
          : String(r.status === 'rejected' ? r.reason : 'made');
      const slug = `same-${uuidv7().slice(-8)}`;
      const federations = await Promise.allSettled(
        Array.from({ length: 8 }, () => createFederation(db, SYSTEM, { slug, name: 'Same', placeIds: [] })),
      );
      assert.deepEqual(
        federations.map(fieldOf).sort(),
        ['made', ...Array(7).fill('ledger.federation-slug-taken')].sort(),
      );
      assert.equal(
        (await db.selectFrom('ledger_federations').select('id').where('slug', '=', slug).execute()).length,
        1,
      );

      const v = await newVenue();
      const code = `S${uuidv7().replace(/-/g, '').slice(-8).toUpperCase()}`;
      const currencies = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          createCurrency(db, SYSTEM, { code, name: 'Same', kind: 'gift', decimals: 2, issuerPlaceId: v.id }),
        ),
      );
      assert.deepEqual(currencies.map(fieldOf).sort(), ['made', ...Array(7).fill('ledger.code-taken')].sort());
      const made = await db.selectFrom('ledger_currencies').select('id').where('code', '=', code).execute();
      assert.equal(made.length, 1);
      assert.equal(
        (
          await db
            .selectFrom('ledger_chain_heads')
            .select('currency_id')
            .where('currency_id', '=', made[0]!.id)
            .execute()
        ).length,
        1,
      );
    },
  );

  test(
    'on PostgreSQL: a venue added while the federation creates its euro accepts it either way',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const a = await newVenue();
      const late = await newVenue();
      const f = await createFederation(db, SYSTEM, { slug: `r-${uuidv7().slice(-8)}`, name: 'Race', placeIds: [a.id] });
      const code = `R${uuidv7().replace(/-/g, '').slice(-8).toUpperCase()}`;
      const [euro] = await Promise.all([
        createCurrency(db, SYSTEM, { code, name: 'Euro', kind: 'federated_euro', decimals: 2, federationId: f.id }),
        addFederationVenue(db, SYSTEM, { federationId: f.id, placeId: late.id }),
      ]);
      const accepting = await db
        .selectFrom('ledger_currency_places')
        .select('place_id')
        .where('currency_id', '=', euro.id)
        .execute();
      assert.deepEqual(new Set(accepting.map((r) => r.place_id)), new Set([a.id, late.id]));
    },
  );
});
