import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../test/testDatabase.ts';
import { openDatabase, type Database } from './database.ts';
import { StatementNames } from './preparedStatements.ts';

describe('StatementNames', () => {
  test('a text gets a name on its third use, always the same one; other texts other names', () => {
    const names = new StatementNames(3, 10);
    assert.equal(names.nameFor('select $1'), null);
    assert.equal(names.nameFor('select $1'), null);
    const name = names.nameFor('select $1');
    assert.match(name!, /^rezo_0_[A-Za-z0-9_-]{32}$/);
    assert.ok(name!.length <= 63, 'PostgreSQL truncates identifiers beyond 63 bytes');
    assert.equal(names.nameFor('select $1'), name);
    for (let i = 0; i < 2; i++) assert.equal(names.nameFor('select $2'), null);
    const other = names.nameFor('select $2');
    assert.ok(other && other !== name);
    assert.equal(names.size, 2);
    names.forgetAll();
    assert.equal(names.size, 0);
    for (let i = 0; i < 2; i++) assert.equal(names.nameFor('select $1'), null);
    assert.match(names.nameFor('select $1')!, /^rezo_1_/, 'a new generation, a new name');
  });

  test('at most `max` names: later texts stay unnamed, named ones keep their name', () => {
    const names = new StatementNames(1, 2);
    const a = names.nameFor('a');
    const b = names.nameFor('b');
    assert.ok(a && b);
    for (let i = 0; i < 5; i++) assert.equal(names.nameFor('c'), null);
    assert.equal(names.nameFor('a'), a);
    assert.equal(names.size, 2);
  });

  test('the counts of texts not yet named are bounded: past the bound they start again', () => {
    const names = new StatementNames(2, 10, 3);
    assert.equal(names.nameFor('x'), null); // x seen once
    for (const t of ['y', 'z', 'w']) names.nameFor(t); // the fourth distinct text clears the counts
    assert.equal(names.nameFor('x'), null, 'x was forgotten: its count started again');
    assert.ok(names.nameFor('x'));
  });
});

describe('prepared statements on a PostgreSQL server', { skip: !onPostgres && 'needs PostgreSQL' }, () => {
  let t: TestDatabase;
  let one: Database;
  before(async () => {
    t = await createTestDatabase();
    one = await openDatabase({ url: t.url!, poolSize: 1 });
  });
  after(async () => {
    await one.close();
    await t.close();
  });
  const prepared = async (database: Database) =>
    (
      await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(
        database.db,
      )
    ).rows;

  test('a query run again and again is prepared once on its connection and keeps answering right', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await sql<{ n: number }>`select ${i}::int * 2 as n`.execute(one.db);
      assert.equal(r.rows[0]!.n, i * 2);
    }
    const mine = (await prepared(one)).filter((p) => p.statement.includes('::int * 2'));
    assert.equal(mine.length, 1);
    assert.match(mine[0]!.name, /^rezo_/);
  });

  test('a prepared statement that fails reports its error; the connection and the statement work afterwards, in and out of transactions', async () => {
    const divide = (d: number) => sql<{ q: number }>`select 10 / ${d}::int as q`.execute(one.db);
    for (let i = 0; i < 3; i++) assert.equal((await divide(5)).rows[0]!.q, 2);
    await assert.rejects(divide(0), /division by zero/);
    await assert.rejects(
      one.db.transaction().execute(async (trx) => {
        await sql`select 10 / ${0}::int`.execute(trx);
      }),
      /division by zero/,
    );
    assert.equal((await divide(2)).rows[0]!.q, 5);
    assert.equal((await prepared(one)).filter((p) => p.statement.includes('10 /')).length, 1);
  });

  test('a table changed under a prepared select * fails that query once; the next ones are prepared afresh', async () => {
    await sql`create table prepared_probe (id int primary key)`.execute(one.db);
    await sql`insert into prepared_probe values (1)`.execute(one.db);
    const read = () => sql<Record<string, unknown>>`select * from prepared_probe where id = ${1}`.execute(one.db);
    for (let i = 0; i < 3; i++) assert.deepEqual((await read()).rows, [{ id: 1 }]);
    await sql`alter table prepared_probe add column label text default 'x'`.execute(t.database.db);
    await assert.rejects(read(), /cached plan must not change result type/);
    for (let i = 0; i < 4; i++) assert.deepEqual((await read()).rows, [{ id: 1, label: 'x' }]);
  });

  test('turned off, nothing is prepared', async () => {
    const plain = await openDatabase({ url: t.url!, poolSize: 1, preparedStatements: false });
    try {
      for (let i = 0; i < 5; i++) await sql`select ${i}::int + 1`.execute(plain.db);
      assert.deepEqual(await prepared(plain), []);
    } finally {
      await plain.close();
    }
  });

  test('concurrent queries on a pool, prepared on each connection, each get their own answer', async () => {
    const pool = await openDatabase({ url: t.url!, poolSize: 4 });
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => sql<{ n: string }>`select ${`v${i}`}::text as n`.execute(pool.db)),
      );
      results.forEach((r, i) => assert.equal(r.rows[0]!.n, `v${i}`));
    } finally {
      await pool.close();
    }
  });
});
