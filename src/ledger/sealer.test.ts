import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import { onPostgres, useTestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createTransfers } from './createTransfers.ts';
import { takeLocks } from '../db/locks.ts';
import { sealBlocks, startSealer } from './sealer.ts';
import { createLedgerWorld } from './testFixtures.ts';
import { verifyLedger } from './verifyLedger.ts';

const skip = !onPostgres && 'needs PostgreSQL (concurrent connections)';
let db: Db;
useTestDatabase((opened) => ({ db } = opened));

describe('the block sealer', () => {
  test('with nothing to seal it writes nothing; a transfer is sealed once, in order, with the supply', async () => {
    const w = await createLedgerWorld(db);
    const p = await w.person();
    await w.fund(p.euro.id, 300);
    const before = (await sealBlocks(db)).blocks.find((b) => b.currencyId === w.euro.id);
    assert.deepEqual([before?.number, before?.transferCount, before?.supply], [1, 1, 300]);
    assert.deepEqual((await sealBlocks(db)).blocks, []);
    const queued = await db
      .selectFrom('ledger_unsealed')
      .select('transfer_id')
      .where('currency_id', '=', w.euro.id)
      .execute();
    assert.deepEqual(queued, []);
  });

  test('the running sealer comes back after the short interval while transfers keep coming, not after the idle one', async () => {
    const w = await createLedgerWorld(db);
    const p = await w.person();
    // A busy interval of 1 s: long enough for the next transfer to be committed before that round even
    // on a loaded machine (with 20 ms, a slow commit let that round find nothing and fall back to the
    // idle minute), far from the idle interval.
    const sealer = startSealer(db, pino({ level: 'silent' }), { intervalMs: 60_000, busyIntervalMs: 1000 });
    const unsealed = async () =>
      (await db.selectFrom('ledger_unsealed').select('transfer_id').where('currency_id', '=', w.euro.id).execute())
        .length;
    try {
      await w.fund(p.euro.id, 100);
      await sealer.sealNow(); // sealed something: the next round is due in 1 s, not in a minute
      assert.equal(await unsealed(), 0);
      await w.fund(p.euro.id, 50);
      let left = await unsealed();
      for (let i = 0; i < 100 && left > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        left = await unsealed();
      }
      assert.equal(left, 0, 'sealed by the busy cadence (the idle timer is a minute away)');
      const blocks = await db
        .selectFrom('ledger_blocks')
        .select(['number', 'transfer_count'])
        .where('currency_id', '=', w.euro.id)
        .orderBy('number')
        .execute();
      assert.deepEqual(
        blocks.map((b) => b.transfer_count),
        [1, 1],
      );
    } finally {
      await sealer.stop();
    }
  });

  test('blocks and their contents are append-only', async () => {
    const w = await createLedgerWorld(db);
    const p = await w.person();
    await w.fund(p.euro.id, 300);
    await sealBlocks(db);
    await assert.rejects(
      sql`update ledger_blocks set supply = 0 where currency_id = ${w.euro.id}`.execute(db),
      /append-only/,
    );
    await assert.rejects(
      sql`delete from ledger_block_transfers where currency_id = ${w.euro.id}`.execute(db),
      /append-only/,
    );
  });

  test('on PostgreSQL: while a sealer holds the lock, another seals nothing', { skip }, async () => {
    const w = await createLedgerWorld(db);
    const p = await w.person();
    await w.fund(p.euro.id, 300);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = db.transaction().execute(async (trx) => {
      await takeLocks(trx, { space: 'sealer' });
      locked();
      await held;
    });
    await isLocked;
    try {
      const refused = await sealBlocks(db);
      assert.deepEqual(refused, { sealer: false, blocks: [], more: false, failed: [] });
    } finally {
      // Released whatever the outcome: a failed assertion must not leave the holder waiting forever.
      release();
      await holder;
    }
    assert.equal((await sealBlocks(db)).sealer, true);
  });

  test(
    'on PostgreSQL: sealNow waits for a sealer that holds the lock, then seals what was committed',
    { skip },
    async () => {
      const w = await createLedgerWorld(db);
      const p = await w.person();
      const sealer = startSealer(db, pino({ level: 'silent' }), { intervalMs: 60_000 });
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      try {
        await w.fund(p.euro.id, 300);
        const holder = db.transaction().execute(async (trx) => {
          await takeLocks(trx, { space: 'sealer' });
          locked();
          await held;
        });
        await isLocked;
        const sealing = sealer.sealNow();
        await new Promise((r) => setTimeout(r, 150));
        release();
        await holder;
        await sealing;
        const queued = await db
          .selectFrom('ledger_unsealed')
          .select('transfer_id')
          .where('currency_id', '=', w.euro.id)
          .execute();
        assert.deepEqual(queued, [], 'sealed by sealNow once the other sealer let go');
      } finally {
        await sealer.stop();
      }
    },
  );

  test(
    'on PostgreSQL: 300 concurrent transfers while two sealers race → one chain of blocks, every transfer sealed exactly once',
    { skip, timeout: 120_000 },
    async () => {
      const w = await createLedgerWorld(db);
      const bar = await w.placeAccount(w.venueB.id, w.euro);
      const people: Awaited<ReturnType<typeof w.person>>[] = [];
      for (let i = 0; i < 10; i++) {
        const p = await w.person();
        await w.fund(p.euro.id, 10_000);
        people.push(p);
      }
      let writing = true;
      const rounds: boolean[] = [];
      const sealer = async () => {
        while (writing) {
          rounds.push((await sealBlocks(db, { maxTransfers: 37 })).sealer);
          await new Promise((r) => setTimeout(r, Math.random() * 5));
        }
      };
      const sealers = [sealer(), sealer()];
      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const p = people[i % people.length]!;
          const id = uuidv7();
          ids.push(id);
          // Linked pairs too: their order inside a block must follow the request.
          await createTransfers(db, p.actor, {
            transfers: [
              { id, debitAccountId: p.euro.id, creditAccountId: bar.id, amount: 1 + (i % 5), kind: 'payment' },
            ],
          });
        }),
      );
      writing = false;
      await Promise.all(sealers);
      for (;;) if (!(await sealBlocks(db)).more) break;

      const blocks = await db
        .selectFrom('ledger_blocks')
        .selectAll()
        .where('currency_id', '=', w.euro.id)
        .orderBy('number')
        .execute();
      assert.ok(blocks.length >= 2, `${blocks.length} blocks`);
      blocks.forEach((b, i) => {
        assert.equal(b.number, i + 1);
        if (i > 0) {
          assert.equal(b.prev_hash, blocks[i - 1]!.hash);
          assert.equal(b.first_position, blocks[i - 1]!.last_position + 1);
        }
      });
      const sealed = await db
        .selectFrom('ledger_block_transfers')
        .select(['transfer_id'])
        .where('currency_id', '=', w.euro.id)
        .execute();
      assert.equal(sealed.length, 310, '10 mints + 300 payments, each once (the primary key forbids twice)');
      const sealedIds = new Set(sealed.map((r) => r.transfer_id));
      assert.deepEqual(
        ids.filter((id) => !sealedIds.has(id)),
        [],
      );
      assert.deepEqual(
        await db.selectFrom('ledger_unsealed').select('transfer_id').where('currency_id', '=', w.euro.id).execute(),
        [],
      );
      assert.equal(blocks[blocks.length - 1]!.last_position, 310);
      assert.ok(rounds.includes(true));
      const result = await verifyLedger(db, { currencyCode: w.euro.code });
      assert.equal(result.problem, null, JSON.stringify(result.problem));
      assert.equal(result.currencies[0]!.unsealed, 0);
    },
  );
});
