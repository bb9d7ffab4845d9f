import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, type TestDatabase, useTestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { PersonActor } from '../access/actor.ts';
import { GENESIS_HASH, blockHash, checkpointMessage, transferHash } from './chain.ts';
import { createTransfers } from './createTransfers.ts';
import { ensureAccount } from './ensureAccount.ts';
import { loadNodeKey, signText } from './nodeKey.ts';
import { sealBlocks } from './sealer.ts';
import { listCheckpoints, signCheckpoints } from './signCheckpoints.ts';
import { createLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { verifyLedger } from './verifyLedger.ts';
import { ledgerCommand } from './verifyCommand.ts';

let tdb: TestDatabase;
let db: Db;
let w: LedgerWorld;
useTestDatabase((opened) => ({ tdb, db } = opened));

/** Each test tampers with the ledger, so each starts from a fresh world and undoes its edit after. */
let paymentId: string;
let personAccount: string;
let barAccount: string;
let payer: PersonActor;
beforeEach(async () => {
  w = await createLedgerWorld(db);
  const p = await w.person();
  await w.fund(p.euro.id, 1000);
  const bar = await w.placeAccount(w.venueB.id, w.euro);
  paymentId = uuidv7();
  personAccount = p.euro.id;
  barAccount = bar.id;
  payer = p.actor;
  await createTransfers(db, p.actor, {
    transfers: [{ id: paymentId, debitAccountId: p.euro.id, creditAccountId: bar.id, amount: 250, kind: 'payment' }],
  });
  await createTransfers(db, p.actor, {
    transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: bar.id, amount: 50, kind: 'payment' }],
  });
});

/**
 * Runs SQL as the database owner could, behind the application's back: every trigger (append-only,
 * foreign keys) off for the transaction.
 */
async function asOwner(...statements: ReturnType<typeof sql>[]) {
  await db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    for (const statement of statements) await statement.execute(trx);
  });
}

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await ledgerCommand(db, args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const check = async () => (await verifyLedger(db, { currencyCode: w.euro.code })).problem;
const blocksOf = (currencyId: string) =>
  db.selectFrom('ledger_blocks').selectAll().where('currency_id', '=', currencyId).orderBy('number').execute();

describe('rezo ledger verify', () => {
  test('a sound ledger passes: transfers sealed in a block, the block signed; an unsealed transfer is reported, not refused', async () => {
    const sealed = await sealBlocks(db);
    assert.equal(sealed.sealer, true);
    const block = sealed.blocks.find((b) => b.currencyId === w.euro.id)!;
    assert.deepEqual([block.number, block.transferCount, block.lastPosition, block.supply], [1, 3, 3, 1000]);
    assert.equal((await sealBlocks(db)).blocks.length, 0, 'nothing left to seal');
    const signed = await signCheckpoints(db, undefined, { force: true });
    assert.ok(
      signed.some(
        (c) =>
          c.currencyCode === w.euro.code &&
          c.block === 1 &&
          c.position === 3 &&
          c.supply === 1000 &&
          c.headHash === block.hash,
      ),
    );
    assert.deepEqual(await signCheckpoints(db, undefined, { force: true }), [], 'nothing new to sign');
    const r = await run(['verify', '--currency', w.euro.code]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `${w.euro.code}: 3 transfers \\(0 in the legacy chain, 3 in 1 blocks, none unsealed\\), .* supply 1000, 1 checkpoints verified, head ${block.hash}`,
      ),
    );
    const [checkpoint] = await listCheckpoints(db, { currencyCode: w.euro.code });
    assert.equal(checkpoint!.block, 1);
    assert.match(
      checkpointMessage(checkpoint!),
      new RegExp(`^rezo-checkpoint-v2\\|${w.euro.code}\\|1\\|3\\|${block.hash}\\|1000\\|`),
    );

    // A transfer committed after the block waits in the queue: counted, replayed, its own hash checked.
    await createTransfers(db, payer, {
      transfers: [
        { id: uuidv7(), debitAccountId: personAccount, creditAccountId: barAccount, amount: 5, kind: 'payment' },
      ],
    });
    const waiting = await run(['verify', '--currency', w.euro.code]);
    assert.equal(waiting.code, 0, waiting.stderr);
    assert.match(
      waiting.stdout,
      /4 transfers \(0 in the legacy chain, 3 in 1 blocks, 1 not sealed yet \(oldest [0-9.]+ s\)\)/,
    );
    await sealBlocks(db);
    const [, second] = await blocksOf(w.euro.id);
    assert.equal(second!.prev_hash, block.hash, 'block 2 links to block 1');
    assert.deepEqual([second!.first_position, second!.last_position, second!.supply], [4, 4, 1000]);
    assert.equal(await check(), null);
  });

  test('an amount edited behind the application’s back is found and the transfer named (sealed or not)', async () => {
    await sealBlocks(db);
    await asOwner(sql`update ledger_transfers set amount = 25 where id = ${paymentId}`);
    const r = await run(['verify', '--currency', w.euro.code]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /transfer-hash in .* at block 1, index 1, transfer/);
    assert.match(r.stderr, new RegExp(paymentId));
    await asOwner(sql`update ledger_transfers set amount = 250 where id = ${paymentId}`);
    assert.equal(await check(), null, 'restored');
    const late = uuidv7();
    await createTransfers(db, payer, {
      transfers: [{ id: late, debitAccountId: personAccount, creditAccountId: barAccount, amount: 5, kind: 'payment' }],
    });
    await asOwner(sql`update ledger_transfers set amount = 4 where id = ${late}`);
    const problem = await check();
    assert.equal(problem?.check, 'transfer-hash');
    assert.match(problem!.where, new RegExp(`unsealed, transfer ${late}`));
  });

  test('an account swapped on a transfer is found', async () => {
    await sealBlocks(db);
    await asOwner(
      sql`update ledger_transfers set credit_account_id = ${personAccount}, debit_account_id = credit_account_id where id = ${paymentId}`,
    );
    const problem = await check();
    assert.equal(problem?.check, 'transfer-hash');
    assert.match(problem!.where, new RegExp(paymentId));
  });

  test('transfers reordered inside a block are found', async () => {
    await sealBlocks(db);
    await asOwner(
      sql`update ledger_block_transfers set index = 1000 where currency_id = ${w.euro.id} and block_number = 1 and index = 1`,
      sql`update ledger_block_transfers set index = 1 where currency_id = ${w.euro.id} and block_number = 1 and index = 2`,
      sql`update ledger_block_transfers set index = 2 where currency_id = ${w.euro.id} and block_number = 1 and index = 1000`,
    );
    const problem = await check();
    assert.equal(problem?.check, 'block-transfers', JSON.stringify(problem));
    assert.match(problem!.where, /^block 1/);
  });

  test('a deleted transfer is found: sealed, sealed with its block row, unsealed, or its queue row alone', async () => {
    await sealBlocks(db);
    await asOwner(sql`delete from ledger_transfers where id = ${paymentId}`);
    let problem = await check();
    assert.equal(problem?.check, 'block-transfer-missing');
    assert.match(problem!.where, new RegExp(`block 1, index 1, transfer ${paymentId}`));
    await asOwner(sql`delete from ledger_block_transfers where transfer_id = ${paymentId}`);
    problem = await check();
    assert.equal(problem?.check, 'block-transfers', JSON.stringify(problem));

    w = await createLedgerWorld(db);
    const p = await w.person();
    await w.fund(p.euro.id, 100);
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    const [gone, lost] = [uuidv7(), uuidv7()];
    await createTransfers(db, p.actor, {
      transfers: [{ id: gone, debitAccountId: p.euro.id, creditAccountId: bar.id, amount: 10, kind: 'payment' }],
    });
    await createTransfers(db, p.actor, {
      transfers: [{ id: lost, debitAccountId: p.euro.id, creditAccountId: bar.id, amount: 10, kind: 'payment' }],
    });
    await asOwner(sql`delete from ledger_transfers where id = ${gone}`);
    problem = await check();
    assert.equal(problem?.check, 'unsealed-missing');
    assert.match(problem!.where, new RegExp(gone));
    await asOwner(
      sql`delete from ledger_unsealed where transfer_id = ${gone}`,
      sql`delete from ledger_unsealed where transfer_id = ${lost}`,
    );
    problem = await check();
    assert.equal(problem?.check, 'transfer-unsealed', JSON.stringify(problem));
    assert.match(problem!.where, new RegExp(lost));
  });

  test('a forged block is found: a field changed, a block rewritten with a recomputed hash, a block removed', async () => {
    await sealBlocks(db);
    await createTransfers(db, payer, {
      transfers: [
        { id: uuidv7(), debitAccountId: personAccount, creditAccountId: barAccount, amount: 5, kind: 'payment' },
      ],
    });
    await sealBlocks(db);
    const [first, second] = await blocksOf(w.euro.id);
    assert.equal(second!.number, 2);
    await asOwner(
      sql`update ledger_blocks set sealed_at = sealed_at + interval '1 second' where currency_id = ${w.euro.id} and number = 1`,
    );
    let problem = await check();
    assert.equal(problem?.check, 'block-hash');
    assert.equal(problem!.where, 'block 1');
    // Rewritten consistently (its hash recomputed): the next block no longer links to it.
    const sealedAt = new Date(first!.sealed_at.getTime() + 1000);
    const forged = blockHash({
      currencyCode: w.euro.code,
      number: 1,
      prevHash: first!.prev_hash,
      firstPosition: 1,
      lastPosition: 3,
      transferCount: 3,
      transfersHash: first!.transfers_hash,
      supply: 1000,
      sealedAt,
    });
    await asOwner(sql`update ledger_blocks set hash = ${forged} where currency_id = ${w.euro.id} and number = 1`);
    problem = await check();
    assert.equal(problem?.check, 'block-link');
    assert.equal(problem!.where, 'block 2');
    await asOwner(
      sql`update ledger_blocks set hash = ${first!.hash}, sealed_at = ${first!.sealed_at} where currency_id = ${w.euro.id} and number = 1`,
    );
    assert.equal(await check(), null, 'restored');
    // A block and its transfers removed: a gap in the chain of blocks.
    await asOwner(
      sql`delete from ledger_block_transfers where currency_id = ${w.euro.id} and block_number = 1`,
      sql`delete from ledger_blocks where currency_id = ${w.euro.id} and number = 1`,
    );
    problem = await check();
    assert.equal(problem?.check, 'block-gap');
    // A second block with one number (a fork) cannot even be written.
    await assert.rejects(
      db
        .insertInto('ledger_blocks')
        .values({ ...second!, hash: '1'.repeat(64) })
        .execute(),
      /duplicate key|unique/,
    );
  });

  test('a balance edited directly is found and the account named', async () => {
    await sql`update ledger_accounts set balance = balance + 100 where id = ${personAccount}`.execute(db);
    const r = await run(['verify', '--currency', w.euro.code]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`balance .* ${personAccount}`));
  });

  test('a forged checkpoint (signature, supply, head) is found', async () => {
    await sealBlocks(db);
    await signCheckpoints(db, undefined, { force: true });
    await sql`update ledger_checkpoints set signature = ${'A'.repeat(86)} where currency_id = ${w.euro.id}`.execute(db);
    const problem = await check();
    assert.equal(problem?.check, 'checkpoint-signature');
    assert.equal(problem!.where, 'checkpoint of block 1');
    await sql`delete from ledger_checkpoints where currency_id = ${w.euro.id}`.execute(db);
    await signCheckpoints(db, undefined, { force: true });
    await sql`update ledger_checkpoints set supply = supply + 1 where currency_id = ${w.euro.id}`.execute(db);
    assert.equal((await check())?.check, 'checkpoint-supply');
    await sql`delete from ledger_checkpoints where currency_id = ${w.euro.id}`.execute(db);
    await signCheckpoints(db, undefined, { force: true });
    await sql`update ledger_checkpoints set head_hash = ${'f'.repeat(64)} where currency_id = ${w.euro.id}`.execute(db);
    assert.equal((await check())?.check, 'checkpoint-head');
    await sql`update ledger_checkpoints set block_number = 7 where currency_id = ${w.euro.id}`.execute(db);
    assert.equal((await check())?.check, 'checkpoint-head', 'signed for a block that does not exist');
  });

  test('backing: tokens minted without a payment are found; every payout counts, with or without its payment', async () => {
    await sql`delete from ledger_payment_references where currency_id = ${w.euro.id}`.execute(db);
    assert.equal((await check())?.check, 'backing');

    w = await createLedgerWorld(db);
    const p = await w.person();
    await w.fund(p.euro.id, 700);
    assert.equal(await check(), null);
    // A payout recorded against no payment of this currency (as cash paid out at a counter would be):
    // counted through its burn transfer, so 1 € paid out that no burn took back breaks the backing.
    const [burn] = await db.selectFrom('ledger_transfers').select('id').where('currency_id', '=', w.euro.id).execute();
    await asOwner(sql`insert into ledger_payouts (provider, reference, payment_provider, payment_reference, amount_cents, transfer_id)
      values ('cash', ${`out-${uuidv7()}`}, 'cash', 'no-such-payment', 100, ${burn!.id})`);
    const problem = await check();
    assert.equal(problem?.check, 'backing');
    assert.match(problem!.message, /payouts 100/);
  });

  test('transfers chained one by one before blocks (migration 0003) still verify, and the first block continues their chain', async () => {
    // Two legacy transfers of the gift currency, written as ledger_append did: position, prev_hash,
    // chain hash (encoding v1), the head row moved, the balances updated.
    const p = await w.person();
    const issuance = await ensureAccount(db, { currencyId: w.gift.id, ownerKind: 'system', ownerRef: 'issuance' });
    const shop = await w.placeAccount(w.venueA.id, w.gift);
    const at = new Date('2026-11-01T10:00:00.000Z');
    let prev = GENESIS_HASH;
    const legacy = [
      { id: uuidv7(), kind: 'top_up', debit: issuance.id, credit: p.gift.id, amount: 500 },
      { id: uuidv7(), kind: 'payment', debit: p.gift.id, credit: shop.id, amount: 100 },
    ];
    for (const [i, t] of legacy.entries()) {
      const hash = transferHash(
        {
          currencyCode: w.gift.code,
          position: i + 1,
          id: t.id,
          phase: 'single',
          kind: t.kind,
          debitAccountId: t.debit,
          creditAccountId: t.credit,
          amount: t.amount,
          pendingId: null,
          batchId: null,
          createdAt: at,
          authorisedBy: 'node',
          authoriserId: '',
          metadata: {},
          deviceSignature: null,
        },
        prev,
      );
      await sql`insert into ledger_transfers (id, currency_id, position, prev_hash, hash, phase, kind, debit_account_id, credit_account_id, amount, authorised_by, authoriser_id, metadata, request_sha256, created_at)
        values (${t.id}, ${w.gift.id}, ${i + 1}, ${prev}, ${hash}, 'single', ${t.kind}, ${t.debit}, ${t.credit}, ${t.amount}, 'node', '', '{}', 'legacy', ${at})`.execute(
        db,
      );
      prev = hash;
    }
    await sql`update ledger_chain_heads set position = 2, hash = ${prev} where currency_id = ${w.gift.id}`.execute(db);
    for (const [id, balance] of [
      [issuance.id, -500],
      [p.gift.id, 400],
      [shop.id, 100],
    ] as const)
      await sql`update ledger_accounts set balance = ${balance} where id = ${id}`.execute(db);
    // A checkpoint of the legacy chain, signed as before (message version 1).
    const key = await loadNodeKey(db);
    const legacyCheckpoint = { currencyCode: w.gift.code, position: 2, headHash: prev, supply: 500, signedAt: at };
    await db
      .insertInto('ledger_checkpoints')
      .values({
        currency_id: w.gift.id,
        position: 2,
        head_hash: prev,
        supply: 500,
        signed_at: at,
        signature: signText(key.privateKey, checkpointMessage(legacyCheckpoint)),
      })
      .execute();

    const gift = async () => (await verifyLedger(db, { currencyCode: w.gift.code })).problem;
    assert.equal(await gift(), null);
    await createTransfers(db, p.actor, {
      transfers: [{ id: uuidv7(), debitAccountId: p.gift.id, creditAccountId: shop.id, amount: 30, kind: 'payment' }],
    });
    await sealBlocks(db);
    await signCheckpoints(db, undefined, { force: true });
    const [block] = await blocksOf(w.gift.id);
    assert.deepEqual([block!.prev_hash, block!.first_position, block!.last_position, block!.supply], [prev, 3, 3, 500]);
    const result = await verifyLedger(db, { currencyCode: w.gift.code });
    assert.equal(result.problem, null, JSON.stringify(result.problem));
    assert.deepEqual(
      [
        result.currencies[0]!.transfers,
        result.currencies[0]!.legacyTransfers,
        result.currencies[0]!.blocks,
        result.currencies[0]!.checkpoints,
      ],
      [3, 2, 1, 2],
    );
    await asOwner(sql`update ledger_transfers set amount = 101 where id = ${legacy[1]!.id}`);
    const problem = await gift();
    assert.equal(problem?.check, 'transfer-hash');
    assert.equal(problem!.where, `position 2, transfer ${legacy[1]!.id}`);
  });

  test('bad arguments and an unknown currency', async () => {
    assert.equal((await run(['check'])).code, 2);
    assert.equal((await run(['verify', '--currency'])).code, 2);
    const r = await run(['verify', '--currency', 'NOPE']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such currency/);
  });

  test(
    'on PostgreSQL: `rezo ledger verify` as a process exits 1 and names a tampered transfer',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const cli = (args: string[]) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const child = spawn(
            process.execPath,
            [fileURLToPath(new URL('../../bin/rezo.js', import.meta.url)), 'ledger', ...args],
            {
              env: { PATH: process.env.PATH, DATABASE_URL: tdb.url!, REZO_DEMO: '0', LOG_LEVEL: 'warn' },
            },
          );
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          child.on('exit', (code) => resolve({ code, stdout, stderr }));
        });
      const good = await cli(['verify', '--currency', w.euro.code]);
      assert.equal(good.code, 0, good.stderr);
      await sealBlocks(db);
      await asOwner(sql`update ledger_transfers set amount = amount + 1 where id = ${paymentId}`);
      const bad = await cli(['verify', '--currency', w.euro.code]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, new RegExp(`transfer ${paymentId}`));
    },
  );
});
