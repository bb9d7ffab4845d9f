import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, useTestDatabase } from '../../test/testDatabase.ts';
import { toDomainError } from '../http/problems.ts';
import { DomainError, RetryLater } from '../shared/errors.ts';
import type { Db, Trx } from './database.ts';
import {
  configureLocks,
  LOCK_ORDER,
  LOCK_SPACES,
  locksSql,
  MIGRATION_LOCK_KEY,
  outsideLockOrder,
  takeLocks,
  tryLock,
  type LockSpace,
} from './locks.ts';

const skip = !onPostgres && 'needs PostgreSQL (concurrent connections)';
let db: Db;
useTestDatabase((opened) => ({ db } = opened));

/** The advisory locks this transaction's session holds. */
async function heldKeys(trx: Trx): Promise<string[]> {
  const { rows } = await sql<{ key: string }>`
    select ((classid::bigint << 32) | objid::bigint)::text as key from pg_locks
    where locktype = 'advisory' and pid = pg_backend_pid() and objsubid = 1 order by 1`.execute(trx);
  return rows.map((r) => r.key);
}

/** Runs `fn` in a transaction that holds these locks until `release` is called; resolves once they are held. */
async function holdLocks(space: LockSpace, keys: string[] | undefined) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let held!: () => void;
  const isHeld = new Promise<void>((r) => (held = r));
  const holder = db.transaction().execute(async (trx) => {
    await takeLocks(trx, { space, ...(keys ? { keys } : {}) });
    held();
    await released;
  });
  await Promise.race([isHeld, holder]);
  return {
    async release() {
      release();
      await holder;
    },
  };
}

describe('db/locks', () => {
  test('the spaces: one number each, distinct, every one ranked once; the migration lock keeps its number', () => {
    const ids = Object.values(LOCK_SPACES).map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...LOCK_ORDER].sort(), Object.keys(LOCK_SPACES).sort());
    assert.equal(new Set(LOCK_ORDER).size, LOCK_ORDER.length);
    assert.equal(MIGRATION_LOCK_KEY, 7_265_001);
    // The declared order (docs/ARCHITECTURE.md, "Locks"): names and settlement before sales, sales
    // before the ledger's transfer ids.
    const rank = (s: LockSpace) => LOCK_ORDER.indexOf(s);
    assert.ok(rank('settlement') < rank('sale') && rank('sale') < rank('transferIds'));
    assert.ok(rank('ledgerNames') < rank('transferIds') && rank('order') < rank('transferIds'));
    assert.deepEqual(LOCK_ORDER.slice(-2), ['transferIds', 'sealer']);
  });

  test('keys are taken deduplicated, in one statement, and lock_timeout is set for the transaction only', async () => {
    const previous = configureLocks({ timeoutMs: 1234 });
    try {
      await db.transaction().execute(async (trx) => {
        await takeLocks(trx, { space: 'transferIds', keys: ['b', 'a', 'b'] }, { space: 'settlement', keys: ['a'] });
        assert.equal((await heldKeys(trx)).length, 3);
        const { rows } = await sql<{ t: string }>`select current_setting('lock_timeout') as t`.execute(trx);
        assert.equal(rows[0]!.t, '1234ms');
        await takeLocks(trx, { space: 'transferIds', keys: ['c'] });
        assert.equal((await heldKeys(trx)).length, 4);
      });
      // A single-lock space's lock is the space's number itself.
      await db.transaction().execute(async (trx) => {
        await tryLock(trx, 'sealer');
        assert.deepEqual(await heldKeys(trx), [String(LOCK_SPACES.sealer.id)]);
      });
      const { rows } = await sql<{ t: string }>`select current_setting('lock_timeout') as t`.execute(db);
      assert.equal(rows[0]!.t, '0', 'SET LOCAL: gone after commit');
    } finally {
      configureLocks(previous);
    }
  });

  test('outside a transaction every lock is refused', async () => {
    await assert.rejects(takeLocks(db, { space: 'settlement', keys: ['x'] }), /outside a transaction/);
    assert.throws(() => locksSql(db, { space: 'settlement', keys: ['x'] }), /outside a transaction/);
    await assert.rejects(tryLock(db, 'sealer'), /outside a transaction/);
  });

  test('the rank order: a lower rank after a higher one throws; the same rank again, or a higher one, does not', async () => {
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await takeLocks(trx, { space: 'transferIds', keys: ['a'] });
        await takeLocks(trx, { space: 'settlement', keys: ['f'] });
      }),
      /settlement taken after transferIds/,
    );
    // Also when the first lock was taken as a fragment of a larger statement.
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`with locks as (${locksSql(trx, { space: 'sale', keys: ['s'] })}) select count(*) from locks`.execute(
          trx,
        );
        await takeLocks(trx, { space: 'order', keys: ['o'] });
      }),
      /order taken after sale/,
    );
    await db.transaction().execute(async (trx) => {
      await takeLocks(trx, { space: 'settlement', keys: ['f'] });
      await takeLocks(trx, { space: 'transferIds', keys: ['a'] });
      await takeLocks(trx, { space: 'transferIds', keys: ['b'] });
    });
    // Several spaces in one call are taken in rank order, whatever the order given.
    await db.transaction().execute(async (trx) => {
      await takeLocks(trx, { space: 'transferIds', keys: ['a'] }, { space: 'settlement', keys: ['f'] });
    });
    // A try-lock never waits: it may come at any point, and ranks nothing after it.
    await db.transaction().execute(async (trx) => {
      await takeLocks(trx, { space: 'transferIds', keys: ['a'] });
      assert.equal(await tryLock(trx, 'sealer'), true);
      await takeLocks(trx, { space: 'transferIds', keys: ['b'] });
    });
    // A transaction exempted (the demo's loading) is not checked.
    await db.transaction().execute(async (trx) => {
      outsideLockOrder(trx);
      await takeLocks(trx, { space: 'transferIds', keys: ['a'] });
      await takeLocks(trx, { space: 'settlement', keys: ['f'] });
    });
    assert.throws(() => outsideLockOrder(db), /outside a transaction/);
    // Off (production), nothing is checked.
    const previous = configureLocks({ checkOrder: false });
    try {
      await db.transaction().execute(async (trx) => {
        await takeLocks(trx, { space: 'transferIds', keys: ['a'] });
        await takeLocks(trx, { space: 'settlement', keys: ['f'] });
      });
    } finally {
      configureLocks(previous);
    }
  });

  test('keys given in opposite orders by concurrent transactions never deadlock', { skip }, async () => {
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const orders = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? [...keys] : [...keys].reverse()));
    let inside = 0;
    let most = 0;
    await Promise.all(
      orders.map((order) =>
        db.transaction().execute(async (trx) => {
          await takeLocks(trx, { space: 'order', keys: order });
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    assert.equal(most, 1, 'one at a time');
  });

  test(
    'a lock held past the lock timeout: 503 busy with Retry-After; tryLock says false at once',
    { skip },
    async () => {
      const previous = configureLocks({ timeoutMs: 150 });
      const holder = await holdLocks('settlement', ['fed']);
      try {
        const started = Date.now();
        const error = await db
          .transaction()
          .execute((trx) => takeLocks(trx, { space: 'settlement', keys: ['other', 'fed'] }))
          .then(
            () => null,
            (e: unknown) => e,
          );
        assert.ok(error instanceof RetryLater, String(error));
        assert.deepEqual([error.code, error.status, error.retryAfterSeconds], ['busy', 503, 1]);
        assert.ok(Date.now() - started >= 140, 'waited for the timeout');
        // Embedded in a larger statement, PostgreSQL's error reaches the HTTP layer, which maps it too.
        const raw = await db
          .transaction()
          .execute((trx) =>
            sql`with locks as (${locksSql(trx, { space: 'settlement', keys: ['fed'] })}) select count(*) from locks`.execute(
              trx,
            ),
          )
          .then(
            () => null,
            (e: unknown) => e,
          );
        const mapped = toDomainError(raw);
        assert.ok(mapped instanceof RetryLater && mapped.code === 'busy' && mapped.status === 503, String(raw));
      } finally {
        await holder.release();
        configureLocks(previous);
      }
      const sealer = await holdLocks('sealer', undefined);
      try {
        const got = await db.transaction().execute((trx) => tryLock(trx, 'sealer'));
        assert.equal(got, false);
      } finally {
        await sealer.release();
      }
      assert.equal(await db.transaction().execute((trx) => tryLock(trx, 'sealer')), true);
    },
  );

  test('other errors are not busy', () => {
    assert.equal(toDomainError(Object.assign(new Error('x'), { code: '40P01' })).code, 'internal');
    assert.ok(!(toDomainError(new DomainError('forbidden', 403)) instanceof RetryLater));
  });

  test('every advisory lock of the code goes through db/locks.ts', async () => {
    const src = fileURLToPath(new URL('..', import.meta.url));
    const offenders: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (/\.(ts|sql)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) {
          const text = await readFile(path, 'utf8');
          const name = relative(src, path);
          if (/pg_(try_)?advisory_(xact_)?lock|hashtext\(/.test(text) && name !== join('db', 'locks.ts'))
            if (!(name === join('db', 'migrate.ts') && !/pg_advisory_(xact_)?lock\(\d/.test(text)))
              offenders.push(name);
        }
      }
    };
    await walk(src);
    assert.deepEqual(offenders, []);
  });
});
