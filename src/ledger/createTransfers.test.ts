import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM } from '../access/actor.ts';
import { isCode, onPostgres } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createTransfers } from './createTransfers.ts';
import { useLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { sealBlocks } from './sealer.ts';
import { verifyLedger } from './verifyLedger.ts';

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));

const balance = async (id: string) =>
  (await db.selectFrom('ledger_accounts').select('balance').where('id', '=', id).executeTakeFirstOrThrow()).balance;
const count = async () =>
  Number((await sql<{ n: string }>`select count(*) as n from ledger_transfers`.execute(db)).rows[0]!.n);

describe('createTransfers', () => {
  test('a person pays a venue from their wallet; the chain advances and verify passes', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const venue = await w.placeAccount(w.venueA.id, w.euro);
    const id = uuidv7();
    const r = await createTransfers(db, p.actor, {
      transfers: [
        {
          id,
          debitAccountId: p.euro.id,
          creditAccountId: venue.id,
          amount: '250',
          kind: 'payment',
          metadata: { order: 'o-1' },
        },
      ],
    });
    assert.equal(r.replayed, false);
    assert.equal(r.transfers[0]!.amount, 250);
    assert.equal(r.transfers[0]!.authorisedBy, 'person');
    assert.equal(await balance(p.euro.id), 750);
    assert.equal(await balance(venue.id), 250);
    const result = await verifyLedger(db);
    assert.equal(result.problem, null);
    assert.ok(result.ok);
  });

  test('amounts must be positive integers or digit strings; bad input writes nothing', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 100);
    const venue = await w.placeAccount(w.venueA.id, w.euro);
    const before = await count();
    for (const amount of [0, -5, 1.5, '1.5', '1e3', ' 12', 'abc', 2 ** 60] as (number | string)[]) {
      await assert.rejects(
        createTransfers(db, p.actor, {
          transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount, kind: 'payment' }],
        }),
        (e: unknown) =>
          e instanceof DomainError && e.code === 'validation' && e.fields[0]!.field === 'transfers.0.amount',
        `amount ${amount}`,
      );
    }
    await assert.rejects(
      createTransfers(db, p.actor, {
        transfers: [{ id: 'nope', debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 1, kind: 'top_up' }],
      }),
      isCode('validation'),
    );
    await assert.rejects(createTransfers(db, p.actor, { transfers: [] }), isCode('validation'));
    assert.equal(await count(), before);
  });

  test('no balance below the floor: an overdraft is refused and nothing is written', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 100);
    const venue = await w.placeAccount(w.venueA.id, w.euro);
    const before = await count();
    await assert.rejects(
      createTransfers(db, p.actor, {
        transfers: [
          { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 101, kind: 'payment' },
        ],
      }),
      isCode('ledger-insufficient-funds'),
    );
    assert.equal(await balance(p.euro.id), 100);
    assert.equal(await count(), before);
  });

  test('the database CHECK refuses a balance below the floor even if the application forgot', async () => {
    const p = await w.person();
    await assert.rejects(sql`update ledger_accounts set balance = -1 where id = ${p.euro.id}`.execute(db), /check/i);
  });

  test('linked transfers commit all together or not at all', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 500);
    const a = await w.placeAccount(w.venueA.id, w.euro);
    const b = await w.placeAccount(w.venueB.id, w.euro);
    const before = await count();
    await assert.rejects(
      createTransfers(db, p.actor, {
        transfers: [
          { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: a.id, amount: 300, kind: 'payment' },
          { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: b.id, amount: 300, kind: 'payment' },
        ],
      }),
      isCode('ledger-insufficient-funds'),
    );
    assert.equal(await count(), before);
    assert.equal(await balance(p.euro.id), 500);
    const ok = await createTransfers(db, p.actor, {
      transfers: [
        { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: a.id, amount: 300, kind: 'payment' },
        { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: b.id, amount: 200, kind: 'payment' },
      ],
    });
    assert.equal(ok.transfers.length, 2);
    assert.equal(ok.transfers[0]!.batchId, ok.transfers[1]!.batchId);
    assert.equal(ok.transfers[0]!.position, null, 'not sealed yet');
    // Sealed in request order, in one block.
    await sealBlocks(db);
    const sealed = await db
      .selectFrom('ledger_block_transfers')
      .select(['transfer_id', 'block_number', 'index'])
      .where(
        'transfer_id',
        'in',
        ok.transfers.map((t) => t.id),
      )
      .execute();
    const at = new Map(sealed.map((r) => [r.transfer_id, r]));
    assert.equal(at.get(ok.transfers[1]!.id)!.block_number, at.get(ok.transfers[0]!.id)!.block_number);
    assert.equal(at.get(ok.transfers[1]!.id)!.index, at.get(ok.transfers[0]!.id)!.index + 1);
    assert.equal(await balance(p.euro.id), 0);
  });

  test('the same id with the same body returns the first result; with another body, 409', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 100);
    const venue = await w.placeAccount(w.venueA.id, w.euro);
    const transfer = {
      id: uuidv7(),
      debitAccountId: p.euro.id,
      creditAccountId: venue.id,
      amount: 40,
      kind: 'payment',
    };
    const first = await createTransfers(db, p.actor, { transfers: [transfer] });
    const again = await createTransfers(db, p.actor, { transfers: [{ ...transfer, amount: '40' }] });
    assert.equal(again.replayed, true);
    assert.deepEqual(
      again.transfers.map((t) => t.hash),
      first.transfers.map((t) => t.hash),
    );
    assert.equal(await balance(p.euro.id), 60);
    await assert.rejects(
      createTransfers(db, p.actor, { transfers: [{ ...transfer, amount: 41 }] }),
      isCode('ledger-transfer-id-conflict'),
    );
    // Reusing one id of a done request inside a new batch is a different body too.
    await assert.rejects(
      createTransfers(db, p.actor, { transfers: [transfer, { ...transfer, id: uuidv7(), amount: 1 }] }),
      isCode('ledger-transfer-id-conflict'),
    );
    assert.equal(await balance(p.euro.id), 60);
    // Someone else sending the same id and body does not get this person's result.
    const other = await w.person();
    await assert.rejects(
      createTransfers(db, other.actor, { transfers: [transfer] }),
      isCode('ledger-transfer-id-conflict'),
    );
  });

  test('transfers are append-only: UPDATE, DELETE and TRUNCATE are refused by the database', async () => {
    const row = await db.selectFrom('ledger_transfers').select('id').limit(1).executeTakeFirstOrThrow();
    await assert.rejects(
      sql`update ledger_transfers set amount = amount + 1 where id = ${row.id}`.execute(db),
      /append-only/,
    );
    await assert.rejects(sql`delete from ledger_transfers where id = ${row.id}`.execute(db), /append-only/);
    await assert.rejects(sql`truncate ledger_transfers cascade`.execute(db), /append-only/);
  });

  test('a transfer between currencies, or from an account to itself, is refused', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 100);
    const giftVenue = await w.placeAccount(w.venueA.id, w.gift);
    await assert.rejects(
      createTransfers(db, p.actor, {
        transfers: [
          { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: giftVenue.id, amount: 1, kind: 'payment' },
        ],
      }),
      isCode('ledger-currency-mismatch'),
    );
    await assert.rejects(
      createTransfers(db, SYSTEM, {
        transfers: [
          { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: p.euro.id, amount: 1, kind: 'correction' },
        ],
      }),
      isCode('ledger-same-account'),
    );
  });

  test(
    'on PostgreSQL: 100 concurrent debits of 1 € on a 60 € wallet → exactly 60 succeed, balance 0',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const p = await w.person();
      await w.fund(p.euro.id, 6000);
      const venue = await w.placeAccount(w.venueB.id, w.euro);
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, () =>
          createTransfers(db, p.actor, {
            transfers: [
              { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 100, kind: 'payment' },
            ],
          }),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter((r) => r.status === 'rejected');
      assert.equal(ok, 60);
      assert.ok(
        refused.every((r) => isCode('ledger-insufficient-funds')((r as PromiseRejectedResult).reason)),
        'every refusal is insufficient funds',
      );
      assert.equal(await balance(p.euro.id), 0);
      const result = await verifyLedger(db, { currencyCode: w.euro.code });
      assert.equal(result.problem, null);
    },
  );

  test(
    'on PostgreSQL: 50 concurrent requests with the same id → one transfer, 50 identical answers',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const p = await w.person();
      await w.fund(p.euro.id, 1000);
      const venue = await w.placeAccount(w.venueB.id, w.euro);
      const transfer = {
        id: uuidv7(),
        debitAccountId: p.euro.id,
        creditAccountId: venue.id,
        amount: 7,
        kind: 'payment',
      };
      const results = await Promise.all(
        Array.from({ length: 50 }, () => createTransfers(db, p.actor, { transfers: [transfer] })),
      );
      assert.equal(new Set(results.map((r) => r.transfers[0]!.hash)).size, 1);
      assert.equal(results.filter((r) => !r.replayed).length, 1);
      assert.equal(await balance(p.euro.id), 993);
      const stored = await db.selectFrom('ledger_transfers').select('id').where('id', '=', transfer.id).execute();
      assert.equal(stored.length, 1);
      // Different bodies racing with the same id: one wins, the others get 409.
      const other = { ...transfer, id: uuidv7() };
      const mixed = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          createTransfers(db, p.actor, { transfers: [{ ...other, amount: 1 + (i % 2) }] }),
        ),
      );
      const winners = mixed.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
        transfers: { amount: number }[];
      }>[];
      const winningAmount = winners[0]!.value.transfers[0]!.amount;
      assert.ok(winners.every((r) => r.value.transfers[0]!.amount === winningAmount));
      assert.ok(
        mixed
          .filter((r) => r.status === 'rejected')
          .every((r) => isCode('ledger-transfer-id-conflict')((r as PromiseRejectedResult).reason)),
      );
      assert.equal(await balance(p.euro.id), 993 - winningAmount);
    },
  );
});
