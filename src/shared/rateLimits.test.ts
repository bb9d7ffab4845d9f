import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, useTestDatabase, type TestDatabase } from '../../test/testDatabase.ts';
import { openDatabase, type Db } from '../db/database.ts';
import { hitRateLimits, purgeRateLimits, type RateLimitRule } from './rateLimits.ts';

let tdb: TestDatabase;
let db: Db;
useTestDatabase((opened) => ({ tdb, db } = opened));

const rule = (scope: string, key: string, max: number, windowSeconds = 600): RateLimitRule => ({
  scope,
  key,
  max,
  windowSeconds,
});
const hitsOf = async (scope: string) =>
  Number(
    (
      await db
        .selectFrom('rate_limit_counters')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('hits'), sql<number>`0`).as('n'))
        .where('scope', '=', scope)
        .executeTakeFirstOrThrow()
    ).n,
  );

test('counts hits per scope and key in a window; past the limit, refused with the seconds until the window ends', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await hitRateLimits(db, [rule('t.a', '192.0.2.1', 3)])).allowed, true);
  const refused = await hitRateLimits(db, [rule('t.a', '192.0.2.1', 3)]);
  assert.equal(refused.allowed, false);
  assert.deepEqual(refused.refused, ['t.a']);
  assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 600, String(refused.retryAfterSeconds));
  assert.equal(await hitsOf('t.a'), 3, 'a refused hit is not counted');
  // Another key, or the same key in another scope, has its own counter.
  assert.equal((await hitRateLimits(db, [rule('t.a', '192.0.2.2', 3)])).allowed, true);
  assert.equal((await hitRateLimits(db, [rule('t.b', '192.0.2.1', 3)])).allowed, true);
  // max 0: no limit, nothing counted.
  assert.equal((await hitRateLimits(db, [rule('t.off', 'x', 0)])).allowed, true);
  assert.equal(await hitsOf('t.off'), 0);
});

test('one rule refusing counts nothing for the others: all or none', async () => {
  assert.equal((await hitRateLimits(db, [rule('t.one', 'k', 1)])).allowed, true);
  const both = await hitRateLimits(db, [rule('t.one', 'k', 1), rule('t.many', 'k', 5)]);
  assert.equal(both.allowed, false);
  assert.deepEqual(both.refused, ['t.one']);
  assert.equal(await hitsOf('t.many'), 0);
  for (let i = 0; i < 5; i++) assert.equal((await hitRateLimits(db, [rule('t.many', 'k', 5)])).allowed, true);
  assert.equal((await hitRateLimits(db, [rule('t.many', 'k', 5)])).allowed, false);
});

/** Sleeps until just after the next whole second (windows of 1 s start there; same clock as the database). */
const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 30));

test('a new window starts afresh', async () => {
  await nextSecond();
  assert.equal((await hitRateLimits(db, [rule('t.window', 'k', 1, 1)])).allowed, true);
  const refused = await hitRateLimits(db, [rule('t.window', 'k', 1, 1)]);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterSeconds, 1);
  await nextSecond();
  assert.equal((await hitRateLimits(db, [rule('t.window', 'k', 1, 1)])).allowed, true);
});

test('keys are stored as hashes only; purging deletes the windows that ended, nothing else', async () => {
  await hitRateLimits(db, [rule('t.private', 'someone@example.org', 5)]);
  const rows = await db.selectFrom('rate_limit_counters').selectAll().where('scope', '=', 't.private').execute();
  assert.equal(rows.length, 1);
  assert.ok(
    !JSON.stringify(rows, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString() : v)).includes(
      'someone',
    ),
  );
  await hitRateLimits(db, [rule('t.ended', 'k', 5)]);
  await sql`update rate_limit_counters set expires_at = now() - interval '1 second' where scope = 't.ended'`.execute(
    db,
  );
  assert.ok((await purgeRateLimits(db)) >= 1);
  assert.equal(await hitsOf('t.ended'), 0);
  assert.equal(await hitsOf('t.private'), 1);
});

test(
  'two node processes hitting one limit at once: exactly the limit gets through',
  { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
  async () => {
    // A second pool on the same database stands for a second `rezo serve` process.
    const other = await openDatabase({ url: tdb.url!, poolSize: 10 });
    try {
      const verdicts = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          hitRateLimits(i % 2 ? db : other.db, [rule('t.shared', '198.51.100.7', 10), rule('t.mail', 'a@b.c', 1000)]),
        ),
      );
      assert.equal(verdicts.filter((v) => v.allowed).length, 10);
      assert.equal(await hitsOf('t.shared'), 10);
      // Under a race at the limit a refused request may still have counted another rule's hit (the
      // stricter side), never fewer than the requests let through.
      const mail = await hitsOf('t.mail');
      assert.ok(mail >= 10 && mail <= 40, String(mail));
    } finally {
      await other.close();
    }
  },
);
