import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM } from '../access/actor.ts';
import { setOperator } from '../accounts/setOperator.ts';
import { DomainError } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { createEmptyDatabase, onPostgres, type TestDatabase, useTestDatabase } from '../../test/testDatabase.ts';
import { inTransaction, openDatabase, type Db } from './database.ts';
import { listMigrations, migrate } from './migrate.ts';

let t: TestDatabase;
let db: Db;
useTestDatabase((opened) => ({ tdb: t, db } = opened));

const settingExists = async (key: string) =>
  (await db.selectFrom('node_settings').select('key').where('key', '=', key).executeTakeFirst()) !== undefined;

describe('migrations', () => {
  test('apply every migration once, in order; a second run applies nothing', async () => {
    const versions = (await listMigrations()).map((m) => m.version);
    assert.ok(versions.length >= 1 && versions[0] === '0001_foundation');
    assert.deepEqual(versions, [...versions].sort());
    const { database, drop } = await createEmptyDatabase();
    try {
      assert.deepEqual(await migrate(database), versions);
      assert.deepEqual(await migrate(database), []);
      const rows = await sql<{ version: string }>`select version from schema_migrations order by version`.execute(
        database.db,
      );
      assert.deepEqual(
        rows.rows.map((r) => r.version),
        versions,
      );
    } finally {
      await drop();
    }
    // The test database (migrated from the template) is up to date too.
    assert.deepEqual(await migrate(t.database), []);
  });

  test(
    'several processes migrating at once apply each migration exactly once',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const { database, url, drop } = await createEmptyDatabase();
      try {
        // Separate pools stand for separate processes: each holds its own session for the advisory lock.
        const others = await Promise.all([1, 2, 3].map(() => openDatabase({ url: url!, poolSize: 2 })));
        try {
          const results = await Promise.all([database, ...others].map((d) => migrate(d)));
          const versions = (await listMigrations()).map((m) => m.version);
          assert.deepEqual(results.flat().sort(), versions);
        } finally {
          await Promise.all(others.map((d) => d.close()));
        }
      } finally {
        await drop();
      }
    },
  );
});

describe('inTransaction', () => {
  test('inside a transaction it joins it: the same handle, no new transaction', async () => {
    await inTransaction(db, async (outer) => {
      await inTransaction(outer, async (inner) => {
        assert.equal(inner, outer);
        // Both see the uncommitted write: one transaction.
        await outer.insertInto('node_settings').values({ key: 'tx-join-0', value: 'x' }).execute();
        assert.ok(
          await inner.selectFrom('node_settings').select('key').where('key', '=', 'tx-join-0').executeTakeFirst(),
        );
      });
    });
  });

  test('a failure in the inner use case rolls back the outer writes', async () => {
    await assert.rejects(
      inTransaction(db, async (trx) => {
        await trx.insertInto('node_settings').values({ key: 'tx-outer-1', value: 'x' }).execute();
        await setOperator(trx, SYSTEM, { email: 'joined@example.org', operator: true });
        // The inner use case fails (bad input): the caller's whole transaction must go.
        await setOperator(trx, SYSTEM, { email: 'not an address', operator: true });
      }),
      (e: unknown) => e instanceof DomainError && e.code === 'validation',
    );
    assert.equal(await settingExists('tx-outer-1'), false);
    assert.equal(
      await db.selectFrom('people').select('id').where('email', '=', 'joined@example.org').executeTakeFirst(),
      undefined,
    );
  });

  test('a failure after the inner use case succeeded rolls it back too', async () => {
    await assert.rejects(
      inTransaction(db, async (trx) => {
        await inTransaction(trx, async (inner) => {
          await inner.insertInto('node_settings').values({ key: 'tx-inner-2', value: 'x' }).execute();
        });
        await setOperator(trx, SYSTEM, { email: 'inner.ok@example.org', operator: true });
        throw new Error('the caller fails afterwards');
      }),
      /the caller fails afterwards/,
    );
    assert.equal(await settingExists('tx-inner-2'), false);
    assert.equal(
      await db.selectFrom('people').select('id').where('email', '=', 'inner.ok@example.org').executeTakeFirst(),
      undefined,
    );
  });

  test('committed work stays when nothing fails', async () => {
    await inTransaction(db, async (trx) => {
      await trx.insertInto('node_settings').values({ key: 'tx-ok-3', value: 'x' }).execute();
      await setOperator(trx, SYSTEM, { email: 'kept@example.org', operator: true });
    });
    assert.equal(await settingExists('tx-ok-3'), true);
    const person = await db
      .selectFrom('people')
      .select('is_operator')
      .where('email', '=', 'kept@example.org')
      .executeTakeFirstOrThrow();
    assert.equal(person.is_operator, true);
  });
});

describe('PGlite', () => {
  test(
    'concurrent transactions are serialised, never interleaved; queries outside wait for the commit',
    { skip: onPostgres && 'PGlite only' },
    async () => {
      const events: string[] = [];
      const pause = () => new Promise((r) => setTimeout(r, 20));
      const work = (name: string) =>
        inTransaction(db, async (trx) => {
          events.push(`${name} begin`);
          await trx
            .insertInto('node_settings')
            .values({ key: `serial-${name}`, value: name })
            .execute();
          await pause();
          await sql`select 1`.execute(trx);
          await pause();
          events.push(`${name} end`);
        });
      const outside = (async () => {
        await pause();
        const seen = await db.selectFrom('node_settings').select('key').where('key', 'like', 'serial-%').execute();
        events.push(`outside saw ${seen.length}`);
      })();
      await Promise.all([work('A'), work('B'), work('C'), outside]);
      const order = events.filter((e) => !e.startsWith('outside'));
      for (let i = 0; i < order.length; i += 2) {
        const name = order[i]!.split(' ')[0];
        assert.equal(order[i], `${name} begin`, events.join(', '));
        assert.equal(order[i + 1], `${name} end`, events.join(', '));
      }
      // The plain query ran between two transactions, seeing only committed ones.
      const seen = events.find((e) => e.startsWith('outside'))!;
      const index = events.indexOf(seen);
      assert.equal(
        Number(seen.split(' ')[2]),
        events.slice(0, index).filter((e) => e.endsWith('end')).length,
        events.join(', '),
      );
    },
  );
});

describe('int8', () => {
  test('values up to 2^53 - 1 read as numbers; beyond, the query fails instead of losing precision', async () => {
    const ok = await sql<{ n: number }>`select 9007199254740991::int8 as n, (-9007199254740991)::int8 as m`.execute(db);
    assert.equal(ok.rows[0]!.n, Number.MAX_SAFE_INTEGER);
    assert.equal(typeof ok.rows[0]!.n, 'number');
    await assert.rejects(
      sql`select 9007199254740993::int8 as n`.execute(db),
      /int8 value out of the safe range: 9007199254740993/,
    );
    await assert.rejects(sql`select (-9007199254740993)::int8 as n`.execute(db), /out of the safe range/);
    // numeric stays an exact string.
    const exact = await sql<{ x: string }>`select 12345678901234567890.12::numeric as x`.execute(db);
    assert.equal(exact.rows[0]!.x, '12345678901234567890.12');
  });
});

describe('uuidv7', () => {
  test('10,000 ids are unique, valid version-7 UUIDs, in creation order', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids);
    for (const id of ids) {
      assert.ok(isUuid(id), id);
      assert.equal(id[14], '7', id);
      assert.ok('89ab'.includes(id[19]!), id);
    }
  });

  test('the first 48 bits are the time in milliseconds, and a later time sorts after', () => {
    const now = Date.now() + 60_000;
    const id = uuidv7(now);
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), now);
    assert.ok(uuidv7(now + 1) > id);
    // A clock that steps back does not break the order.
    assert.ok(uuidv7(now - 5_000) > id);
  });
});
